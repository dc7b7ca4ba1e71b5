//! Time in sim mode: retry schedules to the millisecond, timeouts before waits, 410 and
//! `Retry-After`, and deliveries running side by side. Every offset is read from the JSON
//! report's `at_ms` (the receiver's recorded arrival time).

use hookrig::ExitStatus;
use serde_json::Value;

use crate::utils::*;

fn sec(s: u64) -> u64 {
    s * 1000
}

#[test]
fn perfectparser_tries_a_delivery_failing_five_times_at_0_5_15_35_75_and_155_minutes() {
    let text = yaml(
        "
        name: perfectparser fails five times
        profile: perfectparser
        events:
          - type: extraction.document_completed
        receiver:
          - respond: 503
          - respond: 500
          - respond: 502
          - respond: 404
          - respond: 503
          - respond: 200
        expect:
          outcome: delivered
          attempts: 6
          schedule: [0s, 5m, 15m, 35m, 75m, 155m]
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let report = out.json();
    assert_eq!(
        at_ms(&report, 0),
        [0, min(5), min(15), min(35), min(75), min(155)]
    );
    assert_eq!(
        report["scenarios"][0]["deliveries"][0]["outcome"],
        "delivered"
    );
}

#[test]
fn perfectparser_exhausts_after_six_failed_attempts() {
    let text = yaml(
        "
        name: perfectparser never gets a 2xx
        profile: perfectparser
        events:
          - type: batch.failed
        receiver:
          - respond: 503
        ",
    );

    let out = run_json(&text);

    let report = out.json();
    assert_eq!(
        at_ms(&report, 0),
        [0, min(5), min(15), min(35), min(75), min(155)]
    );
    assert_eq!(
        report["scenarios"][0]["deliveries"][0]["outcome"],
        "exhausted"
    );
}

#[test]
fn a_hang_costs_the_full_perfectparser_timeout_before_the_wait() {
    let text = yaml(
        "
        name: perfectparser times out then delivers
        profile: perfectparser
        events:
          - type: extraction.document_completed
        receiver:
          - hang: true
          - respond: 200
        expect:
          schedule: [0s, 5m 10s]
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let report = out.json();
    assert_eq!(at_ms(&report, 0), [0, sec(10) + min(5)]);
    let hang = &attempts(&report, 0)[0];
    assert_eq!(hang["status"], Value::Null);
    assert_eq!(hang["error"], "timeout");
    assert_eq!(hang["latency_ms"], sec(10));
}

#[test]
fn a_slow_answer_delays_the_next_attempt_by_its_latency() {
    let text = yaml(
        "
        name: llamacloud gets a slow 500
        profile: llamacloud
        events:
          - type: parse.success
        receiver:
          - respond: 500
            after: 2s 500ms
          - respond: 200
        ",
    );

    let out = run_json(&text);

    let report = out.json();
    assert_eq!(at_ms(&report, 0), [0, 2_500 + sec(1)]);
    assert_eq!(attempts(&report, 0)[0]["latency_ms"], 2_500);
}

#[test]
fn a_dropped_connection_is_a_connection_error_that_is_retried() {
    let text = yaml(
        "
        name: llamacloud loses the connection
        profile: llamacloud
        events:
          - type: parse.success
        receiver:
          - drop: true
          - respond: 200
        ",
    );

    let out = run_json(&text);

    let report = out.json();
    let tries = attempts(&report, 0);
    assert_eq!(tries[0]["status"], Value::Null);
    assert_eq!(tries[0]["error"], "connection");
    assert_eq!(at_ms(&report, 0), [0, sec(1)]);
}

#[test]
fn standard_webhooks_stops_a_delivery_at_a_410() {
    let text = yaml(
        "
        name: standard-webhooks endpoint gone
        profile: standard-webhooks
        events:
          - type: user.created
        receiver:
          - respond: 503
          - respond: 410
          - respond: 200
        expect:
          outcome: gave_up
          attempts: 2
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let report = out.json();
    assert_eq!(at_ms(&report, 0), [0, sec(5)]);
    assert_eq!(attempts(&report, 0)[1]["status"], 410);
}

#[test]
fn a_410_under_standard_webhooks_stops_the_other_deliveries_to_the_endpoint() {
    let text = yaml(
        "
        name: standard-webhooks endpoint disabled for everyone
        profile: standard-webhooks
        events:
          - type: user.created
          - type: invoice.paid
            at: 1s
        receiver:
          - when: { event: user.created }
            respond: 503
          - when: { event: user.created }
            respond: 410
          - when: { event: invoice.paid }
            respond: 503
        ",
    );

    let out = run_json(&text);

    let report = out.json();
    let deliveries = &report["scenarios"][0]["deliveries"];
    assert_eq!(at_ms(&report, 0), [0, sec(5)]);
    assert_eq!(deliveries[0]["outcome"], "gave_up");
    // invoice.paid tried at 1 s (503), then would have waited until 6 s; the 410 at 5 s
    // disabled the endpoint first.
    assert_eq!(at_ms(&report, 1), [sec(1)]);
    assert_eq!(deliveries[1]["outcome"], "gave_up");
}

#[test]
fn retry_after_600_on_a_429_starts_the_next_attempt_at_600_seconds() {
    let text = yaml(
        "
        name: standard-webhooks told to come back in ten minutes
        profile: standard-webhooks
        events:
          - type: user.created
        receiver:
          - respond: 429
            headers: { Retry-After: 600 }
          - respond: 200
        expect:
          outcome: delivered
          schedule: [0s, 10m]
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(at_ms(&out.json(), 0), [0, sec(600)]);
}

#[test]
fn retry_after_on_a_503_lengthens_but_never_shortens_the_scheduled_wait() {
    let text = yaml(
        "
        name: standard-webhooks gets a short Retry-After on its second failure
        profile: standard-webhooks
        events:
          - type: user.created
        receiver:
          - respond: 503
            headers: { Retry-After: 60 }
          - respond: 503
            headers: { Retry-After: 10 }
          - respond: 200
        ",
    );

    let out = run_json(&text);

    // wait 1 = max(5 s, 60 s); wait 2 = max(5 min, 10 s).
    assert_eq!(at_ms(&out.json(), 0), [0, sec(60), sec(60) + min(5)]);
}

#[test]
fn retry_after_is_ignored_by_a_profile_that_does_not_honour_it() {
    let text = yaml(
        "
        name: llamacloud ignores Retry-After
        profile: llamacloud
        events:
          - type: parse.success
        receiver:
          - respond: 429
            headers: { Retry-After: 600 }
          - respond: 200
        ",
    );

    let out = run_json(&text);

    assert_eq!(at_ms(&out.json(), 0), [0, sec(1)]);
}

#[test]
fn two_events_with_offsets_run_side_by_side_with_their_own_step_counters() {
    let text = yaml(
        "
        name: llamacloud delivers two jobs at once
        profile: llamacloud
        events:
          - type: parse.success
          - type: extract.success
            at: 500ms
        receiver:
          - respond: 503
          - respond: 200
        expect:
          - event: parse.success
            outcome: delivered
            schedule: [0s, 1s]
          - event: extract.success
            outcome: delivered
            schedule: [0s, 1s]
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let report = out.json();
    // Interleaved in time: 0 (parse, 503), 500 (extract, 503), 1000 (parse, 200),
    // 1500 (extract, 200). A shared counter would have answered extract's first try 200.
    assert_eq!(at_ms(&report, 0), [0, sec(1)]);
    assert_eq!(at_ms(&report, 1), [500, 1_500]);
    for d in 0..2 {
        let statuses: Vec<Value> = attempts(&report, d)
            .iter()
            .map(|a| a["status"].clone())
            .collect();
        assert_eq!(statuses, [503, 200], "delivery {d}");
    }
}

#[test]
fn a_schedule_that_does_not_hold_fails_naming_expected_and_actual_offsets() {
    let text = yaml(
        "
        name: perfectparser schedule written wrong
        profile: perfectparser
        events:
          - type: batch.completed
        receiver:
          - respond: 503
          - respond: 200
        expect:
          schedule: [0s, 10m]
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let failure = &out.json()["scenarios"][0]["failures"][0];
    assert_eq!(failure["check"], "schedule");
    assert_eq!(failure["expected"], "[0s, 10m]");
    assert_eq!(failure["actual"], "[0s, 5m]");
}

#[test]
fn retry_after_as_an_http_date_counts_from_the_virtual_wall_clock() {
    // The sim wall clock starts at 2025-01-01T00:00:00Z.
    let text = yaml(
        "
        name: standard-webhooks told to come back at ten past midnight
        profile: standard-webhooks
        events:
          - type: user.created
        receiver:
          - respond: 503
            headers: { Retry-After: 'Wed, 01 Jan 2025 00:10:00 GMT' }
          - respond: 200
        ",
    );

    let out = run_json(&text);

    assert_eq!(at_ms(&out.json(), 0), [0, min(10)]);
}

#[test]
fn retry_after_as_an_http_date_on_a_slow_answer_counts_from_the_answers_end() {
    // Arrange: the answer comes 5 s after the request, and names ten past midnight.
    let text = yaml(
        "
        name: standard-webhooks told late to come back at ten past midnight
        profile: standard-webhooks
        events:
          - type: user.created
        receiver:
          - respond: 503
            after: 5s
            headers: { Retry-After: 'Wed, 01 Jan 2025 00:10:00 GMT' }
          - respond: 200
        ",
    );

    // Act
    let out = run_json(&text);

    // Assert: the wait is the 9 min 55 s left when the answer ended, so the retry lands at
    // ten past, not 5 s after.
    let report = out.json();
    assert_eq!(at_ms(&report, 0), [0, min(10)]);
    assert_eq!(attempts(&report, 0)[0]["latency_ms"], sec(5));
}

#[test]
fn a_410_is_an_ordinary_failure_for_a_profile_that_does_not_disable_endpoints() {
    let text = yaml(
        "
        name: llamacloud retries a 410
        profile: llamacloud
        events:
          - type: parse.success
        receiver:
          - respond: 410
          - respond: 200
        expect:
          outcome: delivered
          attempts: 2
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(at_ms(&out.json(), 0), [0, sec(1)]);
}

#[test]
fn every_retry_verifies_at_its_own_arrival_even_long_after_the_first_attempt() {
    // Attempts at 0 s, 5 s, 5 m 5 s and 35 m 5 s: far past the 5-minute tolerance of the
    // first attempt's timestamp, so each one must carry its own.
    let text = yaml(
        "
        name: standard-webhooks re-signs every retry
        profile: standard-webhooks
        endpoint:
          secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
        events:
          - type: invoice.paid
        receiver:
          - respond: 500
          - respond: 500
          - respond: 500
          - respond: 200
        expect:
          outcome: delivered
          schedule: [0s, 5s, 5m 5s, 35m 5s]
          signature: valid
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
}

#[test]
fn a_filtered_event_is_never_sent() {
    let text = yaml(
        "
        name: perfectparser endpoint takes document events only
        profile: perfectparser
        endpoint:
          events: [extraction.document_completed]
        events:
          - type: batch.completed
          - type: extraction.document_completed
        expect:
          - event: batch.completed
            outcome: filtered
            attempts: 0
          - event: extraction.document_completed
            outcome: delivered
            attempts: 1
        ",
    );

    let out = run_json(&text);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(attempts(&out.json(), 0), Vec::<Value>::new());
}
