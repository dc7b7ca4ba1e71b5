//! The built-ins added as data files — Stripe, GitHub, Shopify, Slack — do what their
//! providers do, request by request: per-attempt headers, ids that repeat, signatures in
//! the providers' header forms.

use serde_json::Value;

use hookrig::ExitStatus;
use hookrig::profile::{self, DeliveryIds, Endpoint};

use crate::utils::{Scratch, hookrig};

/// Runs one scenario and returns every attempt's journal line.
fn attempts_of(scenario: &str) -> Vec<Value> {
    let scratch = Scratch::new();
    let file = scratch.file("s.yaml", scenario);
    let journal = scratch.path().join("j.jsonl");
    let out = hookrig([
        "run".into(),
        file.into_os_string(),
        "--journal".into(),
        journal.clone().into_os_string(),
    ]);
    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    std::fs::read_to_string(journal)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|l| l["kind"] == "attempt")
        .collect()
}

fn header<'a>(attempt: &'a Value, name: &str) -> Option<&'a str> {
    attempt["request"]["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0].as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
        .and_then(|h| h[1].as_str())
}

#[test]
fn slack_numbers_its_retries_and_names_why_each_was_needed() {
    let attempts = attempts_of(
        "name: slack retry headers
profile: slack
events: [{type: event_callback}]
receiver: [{respond: 500}, {hang: true}, {drop: true}, {respond: 302, headers: {Location: /a}}, {respond: 302, headers: {Location: /b}}, {respond: 302, headers: {Location: /c}}, {respond: 200}]
expect: {outcome: exhausted, attempts: 4}
",
    );

    let got: Vec<(Option<&str>, Option<&str>)> = attempts
        .iter()
        .map(|a| {
            (
                header(a, "X-Slack-Retry-Num"),
                header(a, "X-Slack-Retry-Reason"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (None, None),
            (Some("1"), Some("http_error")),
            (Some("2"), Some("http_timeout")),
            (Some("3"), Some("connection_failed")),
        ]
    );
    let stamps: Vec<&str> = attempts
        .iter()
        .map(|a| header(a, "X-Slack-Request-Timestamp").unwrap())
        .collect();
    assert_eq!(
        stamps,
        ["1735689600", "1735689600", "1735689663", "1735689963"]
    );
}

#[test]
fn slack_names_too_many_redirects_as_the_retry_reason() {
    let attempts = attempts_of(
        "name: slack redirects
profile: slack
events: [{type: event_callback}]
receiver: [{respond: 302, headers: {Location: /a}}, {respond: 302, headers: {Location: /b}}, {respond: 302, headers: {Location: /c}}, {respond: 200}]
expect: {outcome: delivered, attempts: 2}
",
    );

    assert_eq!(
        header(&attempts[1], "X-Slack-Retry-Reason"),
        Some("too_many_redirects")
    );
}

#[test]
fn shopify_repeats_its_ids_and_trigger_time_on_every_retry() {
    let attempts = attempts_of(
        "name: shopify ids
profile: shopify
events: [{type: orders/create}]
receiver: [{respond: 500}, {respond: 500}, {respond: 200}]
expect: {outcome: delivered, attempts: 3}
",
    );

    for name in [
        "X-Shopify-Webhook-Id",
        "X-Shopify-Event-Id",
        "X-Shopify-Triggered-At",
        "X-Shopify-Hmac-Sha256",
    ] {
        let values: Vec<&str> = attempts.iter().map(|a| header(a, name).unwrap()).collect();
        assert!(values.iter().all(|v| *v == values[0]), "{name}: {values:?}");
    }
    assert_eq!(
        header(&attempts[0], "X-Shopify-Triggered-At"),
        Some("2025-01-01T00:00:00.000000000Z")
    );
}

#[test]
fn stripe_signs_with_each_secret_during_a_roll_and_keeps_the_event_id_and_created() {
    let p = profile::builtin("stripe").unwrap();
    let endpoint = Endpoint {
        secrets: vec!["whsec_new".into(), "whsec_old".into()],
        ..Endpoint::default()
    };
    let data = serde_json::json!({"object": {"id": "pi_1", "object": "payment_intent"}});
    let ids = DeliveryIds {
        event_time: Some(std::time::Duration::from_secs(1_735_689_600)),
        ..DeliveryIds::with_message_id("evt_1")
    };

    let req = p
        .build_request(
            &endpoint,
            "payment_intent.succeeded",
            &data,
            &ids,
            std::time::Duration::from_secs(1_735_690_000),
        )
        .unwrap();

    let sig = hookrig::signing::header(&req.headers, "Stripe-Signature").unwrap();
    let parts: Vec<&str> = sig.split(',').collect();
    assert_eq!(parts[0], "t=1735690000");
    assert_eq!(parts.len(), 3);
    assert!(
        parts[1..]
            .iter()
            .all(|p| p.starts_with("v1=") && p.len() == 3 + 64),
        "{sig}"
    );
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["id"], "evt_1");
    assert_eq!(body["created"], 1_735_689_600);
    assert!(
        req.body.starts_with(b"{\n  \"id\": \"evt_1\",\n"),
        "pretty JSON"
    );
    for secret in &endpoint.secrets {
        assert_eq!(
            p.scheme.verify(
                std::slice::from_ref(secret),
                &req.headers,
                &req.body,
                std::time::Duration::from_secs(1_735_690_100)
            ),
            hookrig::signing::Verdict::Valid,
            "{secret}"
        );
    }
}

#[test]
fn github_sends_both_signatures_of_its_documented_example() {
    let p = profile::builtin("github").unwrap();

    let sig = p
        .scheme
        .sign(
            &["It's a Secret to Everybody".to_owned()],
            hookrig::signing::SignInput::post("", 0, b"Hello, World!"),
        )
        .unwrap();

    assert_eq!(
        sig,
        [
            (
                "X-Hub-Signature-256".into(),
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".into()
            ),
            (
                "X-Hub-Signature".into(),
                "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59".into()
            ),
        ]
    );
}

#[test]
fn github_reads_a_received_event_type_from_its_header() {
    let p = profile::builtin("github").unwrap();
    let headers: Vec<hookrig::record::Header> = vec![("x-github-event".into(), "push".into())];

    assert_eq!(
        p.event_type_of_request(&headers, b"{}").as_deref(),
        Some("push")
    );
    assert_eq!(
        profile::builtin("slack")
            .unwrap()
            .event_type_of(br#"{"type":"url_verification"}"#)
            .as_deref(),
        Some("url_verification")
    );
}
