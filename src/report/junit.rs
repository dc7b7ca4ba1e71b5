//! `--format junit`: JUnit XML for CI test reporters (GitHub Actions test-report actions,
//! GitLab, Jenkins), written with `quick-junit`.
//!
//! One `<testsuite>` per scenario file, one `<testcase>` per scenario (`classname` is the
//! file's path with `/` as `.` and no extension, so Jenkins groups cases by folder; the
//! `file` attribute names the file for reporters that annotate it). A failed scenario has
//! one `<failure>`: its `message` is the first failed check with expected vs actual and
//! the attempt involved, `type` lists the failed checks, and the text lists every failure
//! and every attempt. `<system-out>` holds each delivery's attempts.
//!
//! `time` is **virtual** time: how long the scenario's deliveries took on the simulated
//! clock, from the scenario's start to the end of its last attempt (a PerfectParser
//! schedule that exhausts reads 9300 s). The wall time of a sim run is microseconds and
//! differs from run to run; the virtual span is what the scenario replayed and keeps the
//! file byte-identical for the same seed. No timestamps are written for the same reason.
//!
//! A live run adds properties to each test case: `time_scale`, `time_scale_choice`
//! (`auto` or `fixed`) and the narrowest timing margin (`narrowest_margin_ms` of real
//! time, `narrowest_margin` in words). A scenario skipped live is `<skipped>` with its
//! file's reason; one an interruption left unfinished is an error of type `interrupted`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::report::{failure_line, text::delivery_line};
use crate::run_state::{RunState, ScenarioState};

/// The run as a JUnit XML document (with a trailing newline). `seed` is recorded as a
/// property of every suite, so a failure can be replayed exactly, and so is the slice of a
/// sharded run (`shard` = `K/N`), so a merged report still says which machine ran what.
pub fn render(state: &RunState, seed: u64) -> String {
    let mut report = Report::new("hookrig");
    let mut total = Duration::ZERO;
    for (file, scenarios) in by_file(state) {
        let mut suite = TestSuite::new(file);
        suite.add_property(Property::new("seed", seed.to_string()));
        suite.add_property(Property::new("time", "virtual"));
        if let Some(shard) = state.shard {
            suite.add_property(Property::new("shard", shard.to_string()));
        }
        let mut suite_time = Duration::ZERO;
        for sc in scenarios {
            let case = test_case(sc);
            suite_time += virtual_span(sc);
            suite.add_test_case(case);
        }
        suite.set_time(suite_time);
        total += suite_time;
        report.add_test_suite(suite);
    }
    report.set_time(total);
    match report.to_string() {
        Ok(xml) => xml,
        // Serialising into a String cannot fail on I/O; keep the document well-formed anyway.
        Err(e) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hookrig\" tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            e.to_string().replace("--", "- -")
        ),
    }
}

/// Scenarios grouped by file, files in order of first appearance.
fn by_file(state: &RunState) -> Vec<(&str, Vec<&ScenarioState>)> {
    let mut groups: Vec<(&str, Vec<&ScenarioState>)> = Vec::new();
    for sc in &state.scenarios {
        match groups.iter_mut().find(|(f, _)| *f == sc.file) {
            Some((_, list)) => list.push(sc),
            None => groups.push((&sc.file, vec![sc])),
        }
    }
    groups
}

fn test_case(sc: &ScenarioState) -> TestCase {
    let status = if sc.passed() {
        TestCaseStatus::success()
    } else if let Some(reason) = &sc.skipped {
        let mut st = TestCaseStatus::skipped();
        st.set_message(format!("skipped live: {reason}"))
            .set_type("skipped");
        st
    } else if sc.interrupted {
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
        st.set_message("the run was interrupted before the scenario finished")
            .set_type("interrupted");
        st
    } else if !sc.checked {
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
        st.set_message("the scenario's checks were not evaluated")
            .set_type("unchecked");
        st
    } else {
        failure_status(sc)
    };
    let mut case = TestCase::new(&sc.name, status);
    case.set_classname(classname(&sc.file))
        .set_time(virtual_span(sc));
    case.extra.insert("file".into(), sc.file.as_str().into());
    if let Some(t) = &sc.timing {
        case.add_property(Property::new("time_scale", t.scale.to_string()));
        case.add_property(Property::new(
            "time_scale_choice",
            if t.auto { "auto" } else { "fixed" },
        ));
        if let Some((real, what)) = &t.narrowest {
            case.add_property(Property::new(
                "narrowest_margin_ms",
                real.as_millis().to_string(),
            ));
            case.add_property(Property::new("narrowest_margin", what.as_str()));
        }
    }
    let attempts: Vec<String> = sc.deliveries.iter().map(delivery_line).collect();
    let mut out = if attempts.is_empty() {
        String::new()
    } else {
        attempts.join("\n") + "\n"
    };
    // An external sender's trigger: its command and exit in the output, its standard
    // error in the case's.
    if let Some(t) = &sc.trigger {
        case.add_property(Property::new("trigger", t.command.as_str()));
        case.add_property(Property::new("trigger_exit", t.describe()));
        out.push_str(&format!(
            "trigger `{}` → {}\n{}",
            t.command,
            t.describe(),
            t.stdout
        ));
        if !t.stderr.is_empty() {
            case.set_system_err(t.stderr.as_str());
        }
    }
    if !out.is_empty() {
        case.set_system_out(out);
    }
    case
}

fn failure_status(sc: &ScenarioState) -> TestCaseStatus {
    let failures = &sc.failures;
    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let Some(first) = failures.first() else {
        return st;
    };
    let mut message = failure_line(first);
    if failures.len() > 1 {
        message.push_str(&format!(" (and {} more)", failures.len() - 1));
    }
    let mut checks: Vec<&str> = Vec::new();
    for f in failures {
        if !checks.contains(&f.check.as_str()) {
            checks.push(&f.check);
        }
    }
    let mut text = String::new();
    for f in failures {
        text.push_str(&failure_line(f));
        text.push('\n');
    }
    text.push_str("\nattempts:\n");
    for d in &sc.deliveries {
        text.push_str("  ");
        text.push_str(&delivery_line(d));
        text.push('\n');
    }
    st.set_message(message)
        .set_type(checks.join(", "))
        .set_description(text);
    st
}

/// `scenarios/crawl4ai/gives-up-on-404.yaml` → `scenarios.crawl4ai.gives-up-on-404`.
fn classname(file: &str) -> String {
    let file = file.replace('\\', "/");
    let trimmed = file.trim_start_matches("./").trim_start_matches('/');
    let stem = [".yaml", ".yml", ".json"]
        .iter()
        .find_map(|ext| trimmed.strip_suffix(ext))
        .unwrap_or(trimmed);
    stem.replace('/', ".")
}

/// From the scenario's start to the end of its last attempt, on the virtual clock.
pub(crate) fn virtual_span(sc: &ScenarioState) -> Duration {
    sc.deliveries
        .iter()
        .flat_map(|d| &d.attempts)
        .map(|a| a.started + a.latency.unwrap_or_default())
        .max()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classname_drops_the_extension_and_dots_the_folders() {
        assert_eq!(
            classname("scenarios/crawl4ai/gives-up-on-404.yaml"),
            "scenarios.crawl4ai.gives-up-on-404"
        );
        assert_eq!(classname("./a/b.yml"), "a.b");
        assert_eq!(classname("/tmp/x/s.yaml"), "tmp.x.s");
    }

    #[test]
    fn an_empty_run_is_an_empty_testsuites_element() {
        let xml = render(&RunState::default(), 1);
        assert!(
            xml.contains("<testsuites name=\"hookrig\" tests=\"0\""),
            "{xml}"
        );
    }
}
