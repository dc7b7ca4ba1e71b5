//! Views over a `conform-sender` [`Report`]: text for people, JSON for tools, JUnit XML
//! for CI test reporters (one testcase per check). Each names the check, what the
//! profile's rules expect and what arrived: every request on the check's path with its
//! time, id, timestamp and the receiver's answer, and the trigger's exit.

use std::fmt::Write as _;

use serde_json::json;

use super::{CheckResult, Report, Status};

fn requests_line(c: &CheckResult) -> String {
    let parts: Vec<String> = c
        .requests
        .iter()
        .map(|r| {
            let mut s = format!("#{} @{}ms {}", r.n, r.at_ms, r.path);
            if let Some(id) = &r.id {
                let _ = write!(s, " id={id}");
            }
            if let Some(t) = &r.timestamp {
                let _ = write!(s, " ts={t}");
            }
            let _ = write!(s, " → {}", r.answer);
            s
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("; ")
    }
}

/// The text report: a line per check; under a failed one, what was expected, what
/// arrived, the requests, the plan and the trigger.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "hookrig conform-sender: profile {}, trigger `{}`, receiver on {}\n",
        r.profile, r.trigger, r.listen
    );
    let width = r.results.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in &r.results {
        let _ = writeln!(s, "{}  {:width$}  {}", c.status.label(), c.id, c.title);
        match c.status {
            Status::Pass => {
                let _ = writeln!(s, "      {}", c.expected);
            }
            Status::Skip => {
                let _ = writeln!(s, "      skipped: {}", c.expected);
            }
            Status::Fail => {
                let _ = writeln!(s, "      expected: {}", c.expected);
                let _ = writeln!(s, "      got:      {}", c.actual);
                let _ = writeln!(s, "      receiver: {}", c.plan);
                let _ = writeln!(s, "      requests: {}", requests_line(c));
                if let Some(t) = &c.trigger {
                    let _ = writeln!(s, "      trigger:  `{}` → {}", t.command, t.exit);
                    for line in t.stderr.lines().filter(|l| !l.trim().is_empty()).take(5) {
                        let _ = writeln!(s, "        stderr: {line}");
                    }
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "\nhookrig conform-sender: {} passed, {} failed, {} skipped",
        r.count(Status::Pass),
        r.count(Status::Fail),
        r.count(Status::Skip)
    );
    s
}

/// One JSON object: `{profile, trigger, listen, passed, failed, skipped, checks: […]}`.
pub fn json(r: &Report) -> String {
    let v = json!({
        "profile": r.profile,
        "trigger": r.trigger,
        "listen": r.listen,
        "passed": r.count(Status::Pass),
        "failed": r.count(Status::Fail),
        "skipped": r.count(Status::Skip),
        "checks": r.results,
    });
    let mut out = serde_json::to_string_pretty(&v).unwrap_or_default();
    out.push('\n');
    out
}

/// JUnit XML: one `<testsuite>` for the profile, one `<testcase>` per check (`classname`
/// `conform-sender.PROFILE`); a failure's text lists the requests, a skip says why.
pub fn junit(r: &Report) -> String {
    use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
    let mut report = JReport::new("hookrig conform-sender");
    let mut suite = TestSuite::new(format!("conform-sender {}", r.profile));
    for c in &r.results {
        let status = match c.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Skip => {
                let mut st = TestCaseStatus::skipped();
                st.set_message(c.expected.as_str());
                st
            }
            Status::Fail => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(format!("expected {}, got {}", c.expected, c.actual))
                    .set_type(c.id)
                    .set_description(format!(
                        "{}\nreceiver: {}\nrequests: {}\n",
                        c.title,
                        c.plan,
                        requests_line(c)
                    ));
                st
            }
        };
        let mut case = TestCase::new(c.id, status);
        case.set_classname(format!("conform-sender.{}", r.profile));
        if let Some(t) = &c.trigger {
            case.set_system_out(format!(
                "trigger `{}` → {}\n{}",
                t.command, t.exit, t.stdout
            ));
            if !t.stderr.is_empty() {
                case.set_system_err(t.stderr.as_str());
            }
        }
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string().unwrap_or_else(|e| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hookrig conform-sender\" tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            e.to_string().replace("--", "- -")
        )
    })
}
