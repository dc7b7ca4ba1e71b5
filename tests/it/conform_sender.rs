//! `hookrig conform-sender` against tests/senders/sw_sender.py under the examples' short
//! Standard Webhooks profile: a correct sender passes, each planted bug fails the check
//! aimed at it, the reports name what arrived, and bad input is exit 2.

use std::path::PathBuf;

use hookrig::ExitStatus;
use serde_json::Value;

use crate::external::sender_py;
use crate::utils::*;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn profile() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/senders/profile.yaml")
        .display()
        .to_string()
}

/// Runs the checks `only` on the test sender with `args`; the JSON report.
fn conform(args: &str, only: &str) -> (ExitStatus, Value) {
    let out = hookrig([
        "conform-sender",
        "--profile",
        &profile(),
        "--secret",
        SECRET,
        "--trigger",
        &format!("python3 {} {{url}} {args}", sender_py()),
        "--format",
        "json",
        "--only",
        only,
        // Many Python senders run at once beside the other tests on a loaded machine.
        "--tolerance",
        "1s",
    ]);
    (out.status, out.json())
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

#[test]
fn a_correct_sender_passes_every_check_and_skips_rotation_with_one_secret() {
    let (status, report) = conform(
        "",
        "signature,rotation,id-stable,timestamp-fresh,body-identical,retry-5xx,retry-drop,retry-reset,timeout-hang,on-4xx,on-3xx,on-410,retry-after,schedule,headers-payload,no-secret-in-headers",
    );

    assert_eq!(status, ExitStatus::Success, "{report:#}");
    assert_eq!(check(&report, "rotation")["status"], "skip");
    assert_contains(
        check(&report, "rotation")["expected"].as_str().unwrap(),
        "give --secret again",
    );
    let schedule = check(&report, "schedule");
    assert_eq!(schedule["expected"], "3 attempts at [0s, 1s, 3s]");
    assert_eq!(schedule["requests"].as_array().unwrap().len(), 3);
}

#[test]
fn a_new_id_on_every_retry_fails_id_stable_and_nothing_else() {
    let (status, report) = conform("--bug new-id", "id-stable,retry-5xx,signature");

    assert_eq!(status, ExitStatus::CheckFailed, "{report:#}");
    assert_eq!(failed(&report), ["id-stable"]);
    let c = check(&report, "id-stable");
    assert_eq!(
        c["expected"],
        "one id in header webhook-id on every attempt"
    );
    assert_contains(c["actual"].as_str().unwrap(), "ids msg_");
    let answers: Vec<&str> = c["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["answer"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["500", "500", "200"]);
}

#[test]
fn the_first_attempts_timestamp_and_signature_resent_fails_timestamp_fresh() {
    let (status, report) = conform("--bug stale", "timestamp-fresh,signature");

    assert_eq!(status, ExitStatus::CheckFailed, "{report:#}");
    assert_eq!(failed(&report), ["timestamp-fresh"]);
    assert_contains(
        check(&report, "timestamp-fresh")["actual"]
            .as_str()
            .unwrap(),
        "with the same webhook-timestamp",
    );
}

#[test]
fn a_wrong_secret_is_reported_as_a_signature_that_matches_none() {
    let (status, report) = conform("--bug wrong-secret", "signature,no-secret-in-headers");

    assert_eq!(status, ExitStatus::CheckFailed, "{report:#}");
    assert_eq!(failed(&report), ["signature"]);
    assert_contains(
        check(&report, "signature")["actual"].as_str().unwrap(),
        "signed with another secret",
    );
}

#[test]
fn a_sender_without_a_timeout_fails_both_timeout_checks() {
    let (status, report) = conform("--bug no-timeout", "timeout-hang,timeout-dribble,retry-5xx");

    assert_eq!(status, ExitStatus::CheckFailed, "{report:#}");
    assert_eq!(failed(&report), ["timeout-hang", "timeout-dribble"]);
    assert_contains(
        check(&report, "timeout-dribble")["actual"]
            .as_str()
            .unwrap(),
        "it read the slow answer to its end",
    );
}

#[test]
fn a_sender_that_never_retries_fails_the_retry_checks() {
    let (status, report) = conform("--bug no-retry", "retry-5xx,on-410,headers-payload");

    assert_eq!(status, ExitStatus::CheckFailed, "{report:#}");
    assert_eq!(failed(&report), ["retry-5xx"]);
    assert_eq!(
        check(&report, "retry-5xx")["actual"],
        "only 1 attempt(s) arrived: the sender did not retry"
    );
}

#[test]
fn text_and_junit_reports_name_each_check_and_what_arrived() {
    let args = |format: &str| {
        hookrig([
            "conform-sender",
            "--profile",
            &profile(),
            "--secret",
            SECRET,
            "--trigger",
            &format!("python3 {} {{url}} --bug new-id", sender_py()),
            "--only",
            "id-stable",
            "--format",
            format,
        ])
    };

    let text = args("text");
    let junit = args("junit");

    assert_eq!(text.status, ExitStatus::CheckFailed);
    assert_contains(&text.stdout, "FAIL  id-stable");
    assert_contains(
        &text.stdout,
        "receiver: 500, then 500, then 200 (the last repeats)",
    );
    assert_contains(
        &text.stdout,
        "requests: #1 @0ms /conform-sender/id-stable id=msg_",
    );
    assert_contains(
        &junit.stdout,
        "<testcase name=\"id-stable\" classname=\"conform-sender.standard-webhooks-ci\"",
    );
    assert_contains(&junit.stdout, "<failure");
}

#[test]
fn bad_input_is_exit_2_naming_the_problem() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let base = |extra: &[&str]| {
        let mut a = vec!["conform-sender".to_owned(), "--profile".into(), profile()];
        if !extra.contains(&"--trigger") {
            a.extend(["--trigger".to_owned(), "true".to_owned()]);
        }
        a.extend(extra.iter().map(|s| s.to_string()));
        hookrig(a)
    };

    let in_use = base(&["--listen", &format!("127.0.0.1:{port}")]);
    let placeholder = base(&["--trigger", "send {URL}"]);
    let unknown = base(&["--only", "id-stabel"]);
    let secret = base(&["--secret", "not base64!"]);

    for (out, says) in [
        (&in_use, "the port is already in use"),
        (
            &placeholder,
            "--trigger: unknown placeholder `{URL}`: did you mean `url`?",
        ),
        (
            &unknown,
            "unknown check `id-stabel`: did you mean `id-stable`?",
        ),
        (&secret, "--secret:"),
    ] {
        assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
        assert_contains(&out.stderr, says);
        assert_eq!(out.stdout, "");
    }
}
