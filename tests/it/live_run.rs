//! `hookrig run --live` as a whole: the time scale chosen per scenario and reported,
//! warnings for an explicit scale too small, scenarios side by side (`--jobs`), scenarios
//! that say they cannot run live, and a run stopped by a signal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hookrig::events::EngineEvent;
use hookrig::runner::RunOptions;
use hookrig::runner::live::{LiveOptions, Planned, plan, run_live};
use hookrig::runner::scale::TimeScale;
use hookrig::scenario::load_paths;
use serde_json::Value;

use crate::utils::{Scratch, assert_contains, hookrig, yaml};

/// A scenario that retries once after `wait` and delivers.
fn retry_once(name: &str, wait: &str) -> String {
    yaml(&format!(
        "
        name: {name}
        profile: {{base: llamacloud, waits: [{wait}]}}
        events:
          - type: parse.success
        receiver:
          - respond: 500
          - respond: 200
        expect:
          outcome: delivered
          attempts: 2
          schedule: [0s, {wait}]
        "
    ))
}

fn run(args: &[&std::ffi::OsStr]) -> crate::utils::Output {
    hookrig(std::iter::once("run".as_ref()).chain(args.iter().copied()))
}

#[test]
fn auto_picks_each_scenario_s_own_scale_and_every_report_names_it() {
    let dir = Scratch::new();
    dir.file("a.yaml", &retry_once("one-second wait", "1s"));
    dir.file("b.yaml", &retry_once("ten-second wait", "10s"));
    let junit = dir.path().join("junit.xml");

    let json = run(&[
        dir.path().as_os_str(),
        "--live".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let text = run(&[dir.path().as_os_str(), "--live".as_ref()]);
    let xml = run(&[
        dir.path().as_os_str(),
        "--live".as_ref(),
        "--format".as_ref(),
        "junit".as_ref(),
        "--out".as_ref(),
        junit.as_os_str(),
    ]);

    assert_eq!(json.status, hookrig::ExitStatus::Success, "{}", json.both());
    let report = json.json();
    let scales: Vec<f64> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["time_scale"].as_f64().unwrap())
        .collect();
    // A wait must stay 100 ms of real time (50 ms of tolerance + 50 ms of margin).
    assert_eq!(scales, [0.1, 0.01]);
    assert_eq!(text.status, hookrig::ExitStatus::Success, "{}", text.both());
    assert_contains(
        &text.stdout,
        "time scale 0.1 (auto); narrowest margin 50 ms real: the 1s wait after attempt 1",
    );
    assert_eq!(xml.status, hookrig::ExitStatus::Success, "{}", xml.both());
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_contains(&xml, r#"<property name="time_scale" value="0.01"/>"#);
    assert_contains(&xml, r#"<property name="time_scale_choice" value="auto"/>"#);
}

#[test]
fn sim_reports_carry_no_time_scale() {
    let dir = Scratch::new();
    let path = dir.scenario(&retry_once("sim", "1s"));

    let out = run(&[path.as_os_str(), "--format".as_ref(), "json".as_ref()]);

    let report = out.json();
    assert!(
        report["scenarios"][0].get("time_scale").is_none(),
        "{report:#}"
    );
    assert!(report.get("skipped").is_none());
}

#[test]
fn an_explicit_time_scale_warns_about_margins_under_fifty_milliseconds() {
    // An answer 100 ms before the 30 s timeout: 0.1 ms of slack at 0.001.
    let dir = Scratch::new();
    let path = dir.scenario(&yaml(
        "
        name: LlamaCloud answers just inside its timeout
        profile: llamacloud
        events:
          - type: parse.success
        receiver:
          - respond: 200
            after: 29s 900ms
        expect:
          outcome: delivered
        ",
    ));

    let out = run(&[
        path.as_os_str(),
        "--live".as_ref(),
        "--time-scale".as_ref(),
        "0.001".as_ref(),
    ]);

    assert_contains(
        &out.stderr,
        "`LlamaCloud answers just inside its timeout`: at time scale 0.001, an answer after 29s 900ms and the 30s timeout leaves 0 ms of real time (and 1 more margin(s)), under the 50 ms live runs need to tell timings apart; `--time-scale auto` would run it at 0.5",
    );
}

#[test]
fn scenarios_run_side_by_side_so_a_folder_takes_about_its_longest() {
    // Four scenarios of one real second each (an explicit scale of 1).
    let dir = Scratch::new();
    for i in 0..4 {
        dir.file(
            &format!("s{i}.yaml"),
            &retry_once(&format!("wait {i}"), "1s"),
        );
    }
    let args = |jobs: &'static str| -> Vec<std::ffi::OsString> {
        vec![
            dir.path().into(),
            "--live".into(),
            "--time-scale".into(),
            "1".into(),
            "--jobs".into(),
            jobs.into(),
        ]
    };

    let started = Instant::now();
    let side_by_side = hookrig(std::iter::once("run".into()).chain(args("4")));
    let together = started.elapsed();
    let started = Instant::now();
    let one_at_a_time = hookrig(std::iter::once("run".into()).chain(args("1")));
    let in_turn = started.elapsed();

    assert_eq!(
        side_by_side.status,
        hookrig::ExitStatus::Success,
        "{}",
        side_by_side.both()
    );
    assert_eq!(one_at_a_time.status, hookrig::ExitStatus::Success);
    assert!(in_turn >= Duration::from_secs(4), "{in_turn:?}");
    // Side by side saves most of the three seconds the others wait in turn; measured
    // against the run in turn, so a loaded machine slows both sides alike.
    assert!(
        together + Duration::from_millis(1500) < in_turn,
        "side by side {together:?}, in turn {in_turn:?}"
    );
    // The report keeps the files' order whatever order they finished in.
    let names: Vec<&str> = side_by_side
        .stdout
        .lines()
        .filter(|l| l.starts_with("PASS"))
        .collect();
    assert_eq!(names.len(), 4);
    assert!(
        names[0].contains("wait 0") && names[3].contains("wait 3"),
        "{names:?}"
    );
}

#[test]
fn a_scenario_that_cannot_run_live_is_skipped_with_its_reason_in_every_report() {
    let dir = Scratch::new();
    let mut text = retry_once("sim only", "1s");
    text.push_str("live:\n  skip: \"needs a clock that never moves\"\n");
    let path = dir.scenario(&text);

    let sim = run(&[path.as_os_str()]);
    let live = run(&[path.as_os_str(), "--live".as_ref()]);
    let json = run(&[
        path.as_os_str(),
        "--live".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let junit = run(&[
        path.as_os_str(),
        "--live".as_ref(),
        "--format".as_ref(),
        "junit".as_ref(),
    ]);

    assert_eq!(sim.status, hookrig::ExitStatus::Success);
    assert_contains(&sim.stdout, "PASS  sim only");
    assert_eq!(live.status, hookrig::ExitStatus::Success, "{}", live.both());
    assert_contains(&live.stdout, "SKIP  sim only");
    assert_contains(&live.stdout, "skipped live: needs a clock that never moves");
    assert_contains(&live.stdout, "0 of 1 scenarios passed, 0 failed, 1 skipped");
    let report = json.json();
    assert_eq!(report["skipped"], 1);
    assert_eq!(
        report["scenarios"][0]["skipped"],
        "needs a clock that never moves"
    );
    assert_contains(&junit.stdout, "<skipped");
    assert_contains(
        &junit.stdout,
        "skipped live: needs a clock that never moves",
    );
}

#[test]
fn a_live_skip_needs_a_reason_and_no_other_key() {
    let dir = Scratch::new();
    let mut empty = retry_once("empty reason", "1s");
    empty.push_str("live:\n  skip: \"  \"\n");
    let mut typo = retry_once("typo", "1s");
    typo.push_str("live:\n  skipp: \"why\"\n");
    let empty = dir.file("empty.yaml", &empty);
    let typo = dir.file("typo.yaml", &typo);

    let a = hookrig(["validate".as_ref(), empty.as_os_str()]);
    let b = hookrig(["validate".as_ref(), typo.as_os_str()]);

    assert_eq!(a.status, hookrig::ExitStatus::BadInput);
    assert_contains(&a.stderr, "live.skip: give the reason");
    assert_contains(&a.stderr, &format!("{}:14:", empty.display()));
    assert_eq!(b.status, hookrig::ExitStatus::BadInput);
    assert_contains(&b.stderr, "skipp");
    assert_contains(&b.stderr, "skip");
}

#[test]
fn a_stopped_run_keeps_what_finished_and_marks_the_rest_interrupted() {
    let dir = Scratch::new();
    dir.file("a.yaml", &retry_once("quick", "1s"));
    dir.file("b.yaml", &retry_once("slow", "1h"));
    let loaded = load_paths(&[dir.path().to_owned()]);
    let opts = RunOptions::default();
    let scale = TimeScale::Fixed(0.01);
    let plans = plan(&loaded.scenarios, &opts, scale);
    let stop = Arc::new(tokio::sync::Notify::new());
    let live = LiveOptions {
        scale,
        jobs: 2,
        stop: Some(Arc::clone(&stop)),
        signals: false,
    };

    // The stop comes once the quick one is checked and the slow one waits after its first
    // attempt, in whichever order the two happen (on a busy machine the quick one can be
    // done before the slow one has sent anything).
    let (mut quick_checked, mut slow_waiting) = (false, false);
    let started = Instant::now();
    let run = run_live(&loaded.scenarios, &plans, &opts, &live, |e| {
        match e {
            EngineEvent::ScenarioChecked { scenario: 0, .. } => quick_checked = true,
            EngineEvent::RetryScheduled { scenario: 1, .. } => slow_waiting = true,
            _ => return,
        }
        if quick_checked && slow_waiting {
            stop.notify_one();
        }
    })
    .unwrap();

    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(run.interrupted);
    let s = &run.state.scenarios;
    assert!(s[0].passed(), "{:?}", s[0].failures);
    assert!(s[1].interrupted && !s[1].checked);
    assert_eq!(s[1].name, "slow");
    // The slow one got as far as its first attempt and the wait after it.
    assert_eq!(s[1].deliveries[0].attempts.len(), 1);
    assert_eq!(
        (
            run.state.passed(),
            run.state.failed(),
            run.state.interrupted()
        ),
        (1, 0, 1)
    );
    assert!(matches!(plans[1], Planned::Run(_)));
}

#[test]
#[cfg(unix)]
fn sigterm_prints_the_finished_scenarios_and_exits_130() {
    let dir = Scratch::new();
    dir.file("a.yaml", &retry_once("quick", "1s"));
    dir.file("b.yaml", &retry_once("slow", "1h"));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .args(["run", "--live", "--time-scale", "0.01", "--format", "json"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The quick one takes 10 ms of real time; the slow one 36 s.
    std::thread::sleep(Duration::from_secs(3));

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();

    assert!(killed.success());
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["passed"], 1);
    assert_eq!(report["interrupted"], 1);
    assert_eq!(report["scenarios"][1]["interrupted"], true);
    assert_contains(
        &String::from_utf8_lossy(&out.stderr),
        "interrupted; 1 scenario(s) left unfinished",
    );
}

#[test]
fn a_retry_nearly_immediately_after_a_failure_needs_no_margin_and_draws_no_warning() {
    // Slack's first retry follows the failure at once: a 0 s wait has nothing to tell
    // apart, so it must neither warn nor push the scale.
    let dir = Scratch::new();
    let path = dir.scenario(&yaml(
        "
        name: Slack retries at once after a 500
        profile: slack
        endpoint:
          secret: 8f742231b10e8888abcd99yyyzzz85a5
        events:
          - type: event_callback
        receiver:
          - respond: 500
          - respond: 200
        expect:
          outcome: delivered
          attempts: 2
          schedule: [0s, 0s]
        ",
    ));

    let out = run(&[path.as_os_str(), "--live".as_ref()]);

    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    assert_eq!(out.status, hookrig::ExitStatus::Success, "{}", out.both());
}
