//! Scenarios with `sender:`: a sender hookrig did not write (tests/senders/sw_sender.py, a
//! Standard Webhooks sender in Python's standard library, with bugs to order) started by
//! the scenario's trigger and judged by the scenario's checks; and every bad `sender:` is
//! exit 2 with `PATH:LINE:COL:`.

use std::path::PathBuf;

use hookrig::ExitStatus;
use serde_json::Value;

use crate::utils::*;

/// The test sender, by absolute path.
pub fn sender_py() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/senders/sw_sender.py")
        .display()
        .to_string()
}

/// A scenario about the test sender run with `args`, under a short Standard Webhooks
/// schedule (3 attempts, waits 1 s and 2 s, 2 s timeout), answering `receiver`.
fn scenario(args: &str, sender_extra: &str, receiver: &str, expect: &str) -> String {
    format!(
        "name: an external sender\n\
         profile: {{base: standard-webhooks, attempts: 3, waits: [1s, 2s], timeout: 2s}}\n\
         endpoint:\n  secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n\
         sender:\n  trigger: \"python3 {} {{url}} {args}\"\n{sender_extra}\
         receiver:\n{receiver}\
         expect:\n{expect}",
        sender_py()
    )
}

fn failed_checks(report: &Value) -> Vec<String> {
    report["scenarios"][0]["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["check"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_correct_sender_passes_its_schedule_signature_and_payload_checks() {
    let text = scenario(
        "",
        "  timeout: 20s\n",
        "  - respond: 503\n  - drop: true\n  - respond: 200\n",
        "  outcome: delivered\n  attempts: 3\n  schedule: [0s, 1s, 3s]\n  tolerance: 1s\n  signature: valid\n  \
         headers: {present: [webhook-id, webhook-timestamp]}\n  payload: {schema: event, identical: true}\n",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let report = out.json();
    let s = &report["scenarios"][0];
    assert_eq!(s["trigger"]["status"], 0);
    assert_eq!(s["deliveries"][0]["outcome"], "delivered");
    let errors: Vec<Value> = attempts(&report, 0)
        .iter()
        .map(|a| a["error"].clone())
        .collect();
    assert_eq!(errors, [Value::Null, "connection".into(), Value::Null]);
}

#[test]
fn a_sender_that_draws_a_new_id_per_retry_is_three_deliveries_not_one() {
    let text = scenario(
        "--bug new-id",
        "  timeout: 8s\n",
        "  - respond: 503\n",
        "  attempts: 3\n",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let report = out.json();
    let deliveries = &report["scenarios"][0]["failures"][0];
    assert_eq!(deliveries["check"], "deliveries");
    assert_contains(
        deliveries["expected"].as_str().unwrap(),
        "told apart by header webhook-id",
    );
    assert_contains(
        deliveries["actual"].as_str().unwrap(),
        "3 arrived with ids msg_",
    );
}

#[test]
fn a_trigger_that_fails_fails_the_scenario_with_its_exit_and_stderr() {
    let text = scenario(
        "--fail-with 3",
        "",
        "  - respond: 200\n",
        "  outcome: delivered\n",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let report = out.json();
    let f = &report["scenarios"][0]["failures"][0];
    assert_eq!(f["check"], "trigger");
    assert_eq!(f["actual"], "exit 3; stderr: the sender failed on purpose");
    assert_eq!(
        report["scenarios"][0]["trigger"]["stdout"],
        "attempt 1: 200\n"
    );
}

#[test]
fn deliveries_that_never_come_fail_once_the_timeout_passes() {
    let text = yaml(
        "
        name: nothing comes
        profile: standard-webhooks
        sender:
          trigger: 'echo not sending to {url}'
          deliveries: 2
          timeout: 1500ms
        expect:
          - {event: 0, outcome: delivered}
          - {event: 1, outcome: delivered}
        ",
    );

    let started = std::time::Instant::now();
    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let report = out.json();
    let f = &report["scenarios"][0]["failures"][0];
    assert_eq!(f["check"], "deliveries");
    assert_eq!(
        f["expected"],
        "2 deliveries, told apart by header webhook-id"
    );
    assert_contains(
        f["actual"].as_str().unwrap(),
        "0 arrived (gave up waiting after 1s 5",
    );
}

#[test]
fn a_flooding_sender_is_reported_with_every_request_it_made() {
    let text = scenario(
        "--bug flood",
        "  timeout: 10s\n",
        "  - respond: 200\n",
        "  outcome: delivered\n",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let report = out.json();
    assert!(
        failed_checks(&report).contains(&"attempts".to_owned()),
        "{report:#}"
    );
    assert_eq!(
        attempts(&report, 0).len(),
        6,
        "every request is in the report"
    );
}

#[test]
fn scenarios_with_a_sender_can_name_their_deliveries_by_type() {
    let text = format!(
        "name: two types\n\
         profile: {{base: standard-webhooks, attempts: 1, timeout: 2s}}\n\
         endpoint: {{secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}}\n\
         events: [{{type: user.deleted}}, {{type: user.created}}]\n\
         sender:\n  trigger: \"python3 {py} {{url}} --type user.created && python3 {py} {{url}} --type user.deleted\"\n\
         expect:\n  - {{event: user.deleted, outcome: delivered, signature: valid}}\n  - {{event: user.created, outcome: delivered, payload: {{match: {{type: user.created}}}}}}\n",
        py = sender_py()
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
}

/// `text` as a scenario file refused as bad input; its path and standard error.
fn refused(text: &str) -> (PathBuf, String) {
    let scratch = Scratch::new();
    let file = scratch.scenario(text);
    let out = hookrig(["run".into(), file.clone().into_os_string()]);
    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    (file, out.stderr)
}

fn bad(sender: &str) -> String {
    yaml(&format!(
        "
        name: bad sender
        profile: standard-webhooks
        sender:
{sender}
        "
    ))
}

#[test]
fn an_unknown_key_in_sender_is_refused_with_the_nearest_key() {
    let text = bad("          trigger: 'true'\n          deliverys: 2");

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "deliverys"));
    assert_contains(&stderr, "deliveries");
}

#[test]
fn a_trigger_that_is_not_a_string_is_refused_where_it_is() {
    let text = bad("          trigger: [python3, send.py]");

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "[python3"));
    assert_contains(&stderr, "sender.trigger: expected a string");
}

#[test]
fn zero_deliveries_are_refused() {
    let text = bad("          trigger: 'true'\n          deliveries: 0");

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "0\n"));
    assert_contains(&stderr, "sender.deliveries: 0 is out of range (1 to 1000)");
}

#[test]
fn a_misspelt_or_open_url_placeholder_is_refused() {
    for (trigger, says) in [
        (
            "'python3 send.py {uri}'",
            "unknown placeholder `{uri}`: did you mean `url`?",
        ),
        (
            "'python3 send.py {url'",
            "the placeholder `{url` is not closed",
        ),
    ] {
        let text = bad(&format!("          trigger: {trigger}"));

        let (file, stderr) = refused(&text);

        assert_contains(&stderr, &located(&file, &text, trigger));
        assert_contains(&stderr, says);
        assert_contains(&stderr, "(at character 17 of the command)");
    }
}

#[test]
fn what_cannot_apply_to_an_external_sender_is_refused() {
    let text = yaml(
        "
        name: cannot apply
        profile: standard-webhooks
        endpoint:
          url: http://example.com/hook
        events:
          - type: user.created
            data: {id: user_1}
            at: 5s
        sender:
          trigger: 'true'
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(
        &stderr,
        &format!("{} endpoint.url", located(&file, &text, "url: http")),
    );
    assert_contains(
        &stderr,
        &format!(
            "{} events[].data",
            located(&file, &text, "type: user.created")
        ),
    );
    assert_contains(
        &stderr,
        &format!("{} events[].at", located(&file, &text, "5s")),
    );
}

#[test]
fn socket_faults_are_allowed_with_a_sender_but_missing_events_are_not_without_one() {
    let live = yaml(
        "
        name: socket faults
        profile: standard-webhooks
        sender: {trigger: 'true'}
        receiver:
          - reset: true
          - dribble: {chunks: 3, over: 1s}
            respond: 200
        ",
    );
    let no_events = yaml(
        "
        name: no events
        profile: standard-webhooks
        ",
    );
    let scratch = Scratch::new();
    let ok = scratch.file("live.yaml", &live);

    let validated = hookrig(["validate".into(), ok.into_os_string()]);
    let (file, stderr) = refused(&no_events);

    assert_eq!(
        validated.status,
        ExitStatus::Success,
        "{}",
        validated.both()
    );
    assert_contains(
        &stderr,
        &format!(
            "{} missing field `events`",
            located(&file, &no_events, "no events")
        ),
    );
}
