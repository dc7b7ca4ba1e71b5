//! CI reports: `--format junit` (parsed as XML: counts, failures, virtual times, same
//! bytes for the same seed), `--report FILE.html` (well-formed, self-contained, one
//! timeline per delivery, escaped, redacted), output paths checked before the run, and
//! the report of `scenarios/` rendered in headless Chromium when it is installed.

use std::path::{Path, PathBuf};

use hookrig::ExitStatus;
use roxmltree::{Document, Node, ParsingOptions};

use crate::utils::*;

/// Two scenarios in one file: one passes, one fails its attempt count and schedule.
const TWO_IN_ONE_FILE: &str = "
    scenarios:
      - name: perfectparser retries after a hang
        profile: perfectparser
        events:
          - type: extraction.document_completed
        receiver:
          - hang: true
          - respond: 200
        expect:
          outcome: delivered
          attempts: 2
          schedule: [0s, 5m 10s]
      - name: llamacloud is expected to deliver at once but gets a 503 first
        profile: llamacloud
        events:
          - type: parse.success
        receiver:
          - respond: 503
          - respond: 200
        expect:
          attempts: 1
          schedule: [0s]
";

const ONE_PASSING: &str = "
    name: crawl4ai delivers at the first attempt
    profile: crawl4ai
    events:
      - type: crawl.completed
    expect:
      outcome: delivered
";

/// Markup in the name, the payload and the answer body; two failing checks that quote it.
const HOSTILE: &str = r#"
    name: Tricky <&"> name with ]]> and </script> in it
    profile: perfectparser
    endpoint:
      secret: pp_signing_secret
      static_secret: static-4f1d9c
    events:
      - type: extraction.document_completed
        data: { extraction_id: "ext_]]></script><script>alert(1)</script>", document_id: "doc <&>" }
    receiver:
      - respond: 503
        body: "<html>]]></script> & \"down\"</html>"
      - respond: 200
    expect:
      attempts: 1
      payload:
        match: { extraction_id: "]]></script>" }
"#;

fn shipped_scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn run_args(args: &[&str]) -> Output {
    hookrig(args.iter().copied())
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

fn attr<'a>(n: Node<'a, '_>, name: &str) -> &'a str {
    n.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no `{name}`", n.tag_name().name()))
}

fn elements<'a, 'i>(doc: &'a Document<'i>, tag: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == tag)
        .collect()
}

#[track_caller]
fn parse_xml(text: &str) -> Document<'_> {
    let opts = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, opts)
        .unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{text}"))
}

/// The SVG timelines of an HTML report (the page is well-formed XML).
fn timelines<'a, 'i>(doc: &'a Document<'i>) -> Vec<Node<'a, 'i>> {
    elements(doc, "svg")
        .into_iter()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|c| c == "timeline"))
        })
        .collect()
}

#[test]
fn junit_has_a_suite_per_file_a_case_per_scenario_and_the_right_counts() {
    let scratch = Scratch::new();
    scratch.file("a.yaml", &yaml(TWO_IN_ONE_FILE));
    scratch.file("b.yaml", &yaml(ONE_PASSING));

    let out = run_args(&["run", path_str(scratch.path()), "--format", "junit"]);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let doc = parse_xml(&out.stdout);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(attr(root, "tests"), "3");
    assert_eq!(attr(root, "failures"), "1");
    assert_eq!(attr(root, "errors"), "0");
    let suites = elements(&doc, "testsuite");
    assert_eq!(suites.len(), 2, "one suite per file");
    let a = suites
        .iter()
        .find(|s| attr(**s, "name").ends_with("a.yaml"))
        .expect("a suite for a.yaml");
    assert_eq!(attr(*a, "tests"), "2");
    assert_eq!(attr(*a, "failures"), "1");
    let cases: Vec<Node> = a
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    for c in &cases {
        assert!(attr(*c, "classname").ends_with(".a"), "{c:?}");
        assert!(attr(*c, "file").ends_with("a.yaml"), "{c:?}");
    }
}

#[test]
fn a_junit_failure_says_what_was_expected_what_happened_and_on_which_attempt() {
    let scratch = Scratch::new();
    let file = scratch.file("a.yaml", &yaml(TWO_IN_ONE_FILE));

    let out = run_args(&["run", path_str(&file), "--format", "junit"]);

    let doc = parse_xml(&out.stdout);
    let failures = elements(&doc, "failure");
    assert_eq!(failures.len(), 1);
    let f = failures[0];
    let case = f.parent().expect("a failure sits in a testcase");
    assert_eq!(
        attr(case, "name"),
        "llamacloud is expected to deliver at once but gets a 503 first"
    );
    assert_eq!(
        attr(f, "message"),
        "attempts: expected 1, got 2 (and 1 more)"
    );
    assert_eq!(attr(f, "type"), "attempts, schedule");
    let text = f.text().unwrap_or_default();
    assert_contains(text, "schedule: expected [0s], got [0s, 1s]");
    assert_contains(
        text,
        "parse.success → delivered after 2 attempts: 503 @0s, 200 @1s",
    );
}

#[test]
fn junit_times_are_the_virtual_span_of_each_scenario() {
    let scratch = Scratch::new();
    let file = scratch.file("a.yaml", &yaml(TWO_IN_ONE_FILE));

    let out = run_args(&["run", path_str(&file), "--format", "junit"]);

    let doc = parse_xml(&out.stdout);
    let times: Vec<(&str, &str)> = elements(&doc, "testcase")
        .iter()
        .map(|c| (attr(*c, "name"), attr(*c, "time")))
        .collect();
    // A 10 s hang, a 5 min wait, then a 200: 5 min 10 s. A 503, a 1 s wait, a 200: 1 s.
    assert_eq!(
        times,
        [
            ("perfectparser retries after a hang", "310.000"),
            (
                "llamacloud is expected to deliver at once but gets a 503 first",
                "1.000"
            ),
        ]
    );
    let suite = elements(&doc, "testsuite")[0];
    assert_eq!(attr(suite, "time"), "311.000");
    assert!(
        !out.stdout.contains("timestamp"),
        "no wall-clock time in the file"
    );
}

#[test]
fn junit_and_html_are_byte_identical_for_the_same_seed() {
    let scratch = Scratch::new();
    let dir = shipped_scenarios();
    let report = |name: &str| {
        let html = scratch.path().join(name);
        let out = run_args(&[
            "run",
            path_str(&dir),
            "--format",
            "junit",
            "--seed",
            "7",
            "--report",
            path_str(&html),
        ]);
        assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
        let html = std::fs::read(&html).expect("the HTML report was written");
        (out.stdout, html)
    };

    let (junit_1, html_1) = report("one.html");
    let (junit_2, html_2) = report("two.html");

    assert!(junit_1 == junit_2, "JUnit output differs between runs");
    assert!(html_1 == html_2, "HTML report differs between runs");
    assert!(!junit_1.contains('\u{1b}'), "no terminal escapes in JUnit");
}

#[test]
fn markup_in_names_payloads_and_answers_keeps_junit_well_formed() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(HOSTILE));

    let out = run_args(&["run", path_str(&file), "--format", "junit"]);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let doc = parse_xml(&out.stdout);
    let case = elements(&doc, "testcase")[0];
    assert_eq!(
        attr(case, "name"),
        r#"Tricky <&"> name with ]]> and </script> in it"#
    );
    let failure = elements(&doc, "failure")[0];
    assert_contains(
        failure.text().unwrap_or_default(),
        r#"payload.match [attempt 1]: expected {"extraction_id":"]]></script>"}"#,
    );
    assert_eq!(elements(&doc, "testcase").len(), 1);
}

#[test]
fn markup_in_names_payloads_and_answers_keeps_html_well_formed_and_escaped() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(HOSTILE));
    let html = scratch.path().join("report.html");

    let out = run_args(&["run", path_str(&file), "--report", path_str(&html)]);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let text = std::fs::read_to_string(&html).expect("the HTML report was written");
    let doc = parse_xml(&text);
    assert!(!text.contains("</script>"), "an unescaped </script>");
    assert!(!text.contains("]]>"), "an unescaped ]]>");
    assert!(!text.contains("<script"), "a script element");
    let h2: Vec<String> = elements(&doc, "h2")
        .iter()
        .map(|n| n.descendants().filter_map(|d| d.text()).collect())
        .collect();
    assert!(
        h2.iter()
            .any(|t| t.contains(r#"Tricky <&"> name with ]]> and </script> in it"#)),
        "the name reads back exactly: {h2:?}"
    );
    let pre: String = elements(&doc, "pre")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    assert_contains(
        &pre,
        r#""extraction_id": "ext_]]></script><script>alert(1)</script>""#,
    );
    assert_contains(&pre, r#"<html>]]></script> & "down"</html>"#);
}

#[test]
fn html_redacts_secret_bearing_headers() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(HOSTILE));
    let html = scratch.path().join("report.html");

    run_args(&["run", path_str(&file), "--report", path_str(&html)]);

    let text = std::fs::read_to_string(&html).expect("the HTML report was written");
    assert!(!text.contains("static-4f1d9c"), "the static secret leaked");
    assert_contains(&text, "&lt;redacted, 13 chars&gt;");
}

#[test]
fn html_draws_one_timeline_per_delivery() {
    let scratch = Scratch::new();
    let dir = shipped_scenarios();
    let html = scratch.path().join("report.html");

    let out = run_args(&[
        "run",
        path_str(&dir),
        "--format",
        "json",
        "--report",
        path_str(&html),
    ]);

    let report = out.json();
    let deliveries: usize = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| s["deliveries"].as_array().expect("deliveries").len())
        .sum();
    let text = std::fs::read_to_string(&html).expect("the HTML report was written");
    let doc = parse_xml(&text);
    let svgs = timelines(&doc);
    assert_eq!(svgs.len(), deliveries);
    // Every attempt is a box that links to its request and answer.
    let attempts: usize = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .flat_map(|s| s["deliveries"].as_array().expect("deliveries"))
        .map(|d| d["attempts"].as_array().expect("attempts").len())
        .sum();
    let links = svgs
        .iter()
        .flat_map(|s| s.descendants())
        .filter(|n| n.has_tag_name("a"))
        .count();
    assert_eq!(links, attempts);
}

#[test]
fn a_timeline_draws_the_expected_schedule_and_flags_a_missed_start() {
    let scratch = Scratch::new();
    let file = scratch.file("a.yaml", &yaml(TWO_IN_ONE_FILE));
    let html = scratch.path().join("report.html");

    run_args(&["run", path_str(&file), "--report", path_str(&html)]);

    let text = std::fs::read_to_string(&html).expect("the HTML report was written");
    let doc = parse_xml(&text);
    let svgs = timelines(&doc);
    assert_eq!(svgs.len(), 2);
    let groups = |svg: Node, class: &str| {
        svg.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
            .count()
    };
    // The passing scenario: both expected starts met.
    assert_eq!(groups(svgs[0], "exp"), 2);
    assert_eq!(groups(svgs[0], "exp off"), 0);
    // The failing one expected one start at 0s; it got two attempts, the first in time.
    assert_eq!(groups(svgs[1], "exp"), 1);
    assert_eq!(groups(svgs[1], "att"), 1);
    assert_eq!(groups(svgs[1], "att bad"), 1, "attempt 2 is ringed");
    // Waits are labelled.
    let waits: Vec<String> = svgs[0]
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("wait"))
        .filter_map(|g| g.children().find(|c| c.has_tag_name("text")))
        .filter_map(|t| t.text().map(str::to_owned))
        .collect();
    assert_eq!(waits, ["5m"]);
}

#[test]
fn a_live_timeline_judges_each_start_as_the_live_check_does() {
    // Arrange: a 1 s wait checked with `tolerance: 0s`; live, the wait comes a few real
    // milliseconds late, which the live check allows (50 ms of real time).
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(
        "
        name: Extend retries after 1 s
        profile: extend
        events:
          - type: workflow.created
        receiver:
          - respond: 500
          - respond: 200
        expect:
          outcome: delivered
          schedule: [0s, 1s]
          tolerance: 0s
        ",
    ));
    let html = scratch.path().join("report.html");

    // Act
    let out = run_args(&[
        "run",
        path_str(&file),
        "--live",
        "--report",
        path_str(&html),
    ]);

    // Assert: it passed, and its timeline marks no expected start as missed.
    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let text = std::fs::read_to_string(&html).expect("the HTML report was written");
    let doc = parse_xml(&text);
    let svg = timelines(&doc)[0];
    let groups = |class: &str| {
        svg.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
            .count()
    };
    assert_eq!((groups("exp"), groups("exp off")), (2, 0));
}

#[test]
fn html_is_self_contained() {
    let scratch = Scratch::new();
    let file = scratch.file("a.yaml", &yaml(TWO_IN_ONE_FILE));
    let html = scratch.path().join("report.html");

    run_args(&["run", path_str(&file), "--report", path_str(&html)]);

    let text = std::fs::read_to_string(&html).expect("the HTML report was written");
    let without_svg_ns = text.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in [
        "http://", "https://", "<script", "<link", "@import", "url(", "<img",
    ] {
        assert!(
            !without_svg_ns.contains(needle),
            "`{needle}` in a report that must need no network"
        );
    }
}

#[test]
fn an_unwritable_output_path_exits_2_before_anything_runs() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(ONE_PASSING));
    let missing = scratch.path().join("no-such-folder");
    let journal = scratch.path().join("journal.jsonl");
    for flag in ["--out", "--journal", "--report"] {
        let bad = missing.join("file");
        let mut args = vec!["run", path_str(&file), flag, path_str(&bad)];
        if flag != "--journal" {
            args.extend(["--journal", path_str(&journal)]);
        }

        let out = run_args(&args);

        assert_eq!(out.status, ExitStatus::BadInput, "{flag}: {}", out.both());
        assert_contains(
            &out.stderr,
            &format!("error: cannot write {}", bad.display()),
        );
        assert_contains(&out.stderr, &format!("({flag}); nothing was run"));
        assert_eq!(out.stdout, "", "{flag}: no report before the run");
        assert!(!journal.exists(), "{flag}: the journal was written");
    }
}

#[test]
fn a_folder_given_as_the_html_report_exits_2() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(ONE_PASSING));

    let out = run_args(&["run", path_str(&file), "--report", path_str(scratch.path())]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, "(--report); nothing was run");
}

/// Renders the report of `scenarios/` in headless Chromium (tests/html/screenshot.sh) and
/// checks the PNG is a drawn page with timeline boxes. Skipped when Chromium is missing.
#[test]
fn the_html_report_renders_in_headless_chromium() {
    let chromium = ["chromium", "chromium-browser"].into_iter().find(|c| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {c}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(chromium) = chromium else {
        eprintln!(
            "note: the_html_report_renders_in_headless_chromium skipped: chromium is not installed (apt-get install -y chromium)"
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-screenshot");

    let run = std::process::Command::new("bash")
        .arg(root.join("tests/html/screenshot.sh"))
        .arg(&out_dir)
        .env("HOOKRIG", env!("CARGO_BIN_EXE_hookrig"))
        .env("CHROMIUM", chromium)
        .output()
        .expect("run tests/html/screenshot.sh");

    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "screenshot check failed ({}):\n{stdout}\n{stderr}",
        run.status
    );
    eprintln!("{stdout}");
}
