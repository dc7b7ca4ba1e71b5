//! `hookrig conform` against real receivers on 127.0.0.1: the example receivers in
//! `examples/` pass every check that applies to them, and deliberately flawed receivers
//! each fail the check aimed at their flaw — so no check passes vacuously. Bad input (an
//! unreachable URL, garbage answers, a missing secret, unknown check ids) is reported
//! without stopping the other checks.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header::LOCATION};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hookrig::ExitStatus;
use hookrig::clock::{Clock, SystemClock};
use hookrig::profile::{self, Profile};
use hookrig::signing::{self, Header, Verdict};
use serde_json::Value;

use crate::utils::*;

#[allow(dead_code)]
#[path = "../../examples/receiver_extend.rs"]
mod receiver_extend;
#[allow(dead_code)]
#[path = "../../examples/receiver_llamacloud.rs"]
mod receiver_llamacloud;
#[allow(dead_code)]
#[path = "../../examples/receiver_perfectparser.rs"]
mod receiver_perfectparser;
#[allow(dead_code)]
#[path = "../../examples/receiver_standard_webhooks.rs"]
mod receiver_standard_webhooks;

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET: &str = "conform-signing-secret";
const STATIC: &str = "conform-static-secret-value";

/// Serves `app` on 127.0.0.1:0 from a thread of its own; the URL of its `/webhooks`.
fn serve(app: Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    format!("http://{}/webhooks", rx.recv().expect("server started"))
}

/// The secret arguments a profile's receivers here are configured with.
fn secret_args(profile: &str) -> Vec<String> {
    let mut a = vec!["--secret".to_owned()];
    a.push(
        if profile == "standard-webhooks" {
            SW_SECRET
        } else {
            SECRET
        }
        .to_owned(),
    );
    if profile == "perfectparser" {
        a.extend(["--static-secret".to_owned(), STATIC.to_owned()]);
    }
    a
}

/// `hookrig conform --profile P --url URL <secrets> --format json EXTRA…`.
fn conform(profile: &str, url: &str, extra: &[&str]) -> Output {
    let mut args: Vec<String> = ["conform", "--profile", profile, "--url", url]
        .map(String::from)
        .to_vec();
    args.extend(secret_args(profile));
    args.extend(["--format".into(), "json".into()]);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    hookrig(args)
}

/// Each check's id and status in a JSON report.
fn statuses(out: &Output) -> Vec<(String, String)> {
    out.json()["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in\n{}", out.both()))
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn status_of(out: &Output, id: &str) -> String {
    statuses(out)
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no check `{id}` in\n{}", out.both()))
}

#[track_caller]
fn assert_every_check_passes(out: &Output, want_run: &[&str]) {
    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let st = statuses(out);
    for (id, s) in &st {
        // A loaded CI machine may take over 1 s to answer: a warning, not a failure.
        let slow_is_ok = id == "answers-in-time" && s == "warn";
        assert!(
            s == "pass" || s == "skip" || slow_is_ok,
            "{id} is {s}:\n{}",
            out.stdout
        );
    }
    for id in want_run {
        assert!(
            st.iter()
                .any(|(i, s)| i == id && (s == "pass" || (*i == "answers-in-time" && s == "warn"))),
            "{id} did not run and pass:\n{}",
            out.stdout
        );
    }
}

const EVERY_PROFILE: &[&str] = &[
    "accepts-valid",
    "answers-in-time",
    "no-redirect",
    "rejects-wrong-secret",
    "rejects-tampered-body",
    "rejects-missing-signature",
    "rejects-foreign-scheme",
    "verifies-raw-body",
    "accepts-redelivery",
    "tolerates-unknown-event",
    "tolerates-unknown-fields",
    "accepts-large-body",
];

const TIMESTAMPS: &[&str] = &[
    "rejects-stale-timestamp",
    "rejects-future-timestamp",
    "accepts-timestamp-in-tolerance",
];

#[test]
fn the_standard_webhooks_example_passes_every_check() {
    let url = serve(receiver_standard_webhooks::app(SW_SECRET));

    let out = conform("standard-webhooks", &url, &[]);

    let mut want = EVERY_PROFILE.to_vec();
    want.extend(TIMESTAMPS);
    want.push("accepts-rotated-signatures");
    assert_every_check_passes(&out, &want);
}

#[test]
fn the_extend_example_passes_every_check() {
    let url = serve(receiver_extend::app(SECRET));

    let out = conform("extend", &url, &[]);

    let mut want = EVERY_PROFILE.to_vec();
    want.extend(TIMESTAMPS);
    assert_every_check_passes(&out, &want);
}

#[test]
fn the_llamacloud_example_passes_every_check() {
    let url = serve(receiver_llamacloud::app(SECRET));

    let out = conform("llamacloud", &url, &[]);

    assert_every_check_passes(&out, EVERY_PROFILE);
}

#[test]
fn the_perfectparser_example_passes_every_check() {
    let url = serve(receiver_perfectparser::app(SECRET, STATIC));

    let out = conform("perfectparser", &url, &[]);

    let mut want = EVERY_PROFILE.to_vec();
    want.extend([
        "rejects-missing-static-secret",
        "rejects-wrong-static-secret",
    ]);
    assert_every_check_passes(&out, &want);
}

#[test]
fn a_receiver_verifying_with_the_profiles_own_scheme_passes_every_check_that_applies() {
    // Which checks run is derived from each profile: a timestamp check needs a tolerance
    // (Stripe's has no future bound), rotation needs `rotation:`, no-redirect a profile
    // that never follows one (Slack follows two).
    let stripe: Vec<&str> = EVERY_PROFILE
        .iter()
        .copied()
        .chain([
            "rejects-stale-timestamp",
            "accepts-timestamp-in-tolerance",
            "accepts-rotated-signatures",
        ])
        .collect();
    let slack: Vec<&str> = EVERY_PROFILE
        .iter()
        .copied()
        .filter(|c| *c != "no-redirect")
        .chain(TIMESTAMPS.iter().copied())
        .collect();
    for (name, want, skipped) in [
        (
            "stripe",
            stripe,
            vec![("rejects-future-timestamp", "however far ahead")],
        ),
        (
            "github",
            EVERY_PROFILE.to_vec(),
            vec![
                ("rejects-stale-timestamp", "signs no timestamp"),
                ("accepts-rotated-signatures", "no key rotation"),
            ],
        ),
        (
            "shopify",
            EVERY_PROFILE.to_vec(),
            vec![("accepts-timestamp-in-tolerance", "signs no timestamp")],
        ),
        (
            "slack",
            slack,
            vec![
                ("no-redirect", "follows redirects"),
                ("accepts-rotated-signatures", "no key rotation"),
            ],
        ),
    ] {
        let url = serve(flawed(name, Flaw::Slow(Duration::ZERO)));

        let out = conform(name, &url, &[]);

        assert_every_check_passes(&out, &want);
        for (check, why) in skipped {
            assert_eq!(status_of(&out, check), "skip", "{name} {check}");
            let message = out.json()["checks"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["id"] == check))
                .map(|c| c["message"].as_str().unwrap_or_default().to_owned())
                .unwrap_or_default();
            assert!(message.contains(why), "{name} {check}: {message}");
        }
    }
}

#[test]
fn a_receiver_that_skips_the_timestamp_check_fails_the_stale_check_of_stripe_and_slack() {
    assert_flaw_fails(
        "stripe",
        Flaw::SkipsTimestampCheck,
        "rejects-stale-timestamp",
    );
    assert_flaw_fails(
        "slack",
        Flaw::SkipsTimestampCheck,
        "rejects-future-timestamp",
    );
}

// ---------------------------------------------------------------------------------------
// Flawed receivers: each gets one thing wrong, the way real receivers do.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Flaw {
    /// Answers 401 to everything.
    RejectsEverything,
    /// Sleeps this long before answering.
    Slow(Duration),
    /// Answers 307 to another path.
    Redirects,
    /// Answers 200 to everything, signed or not.
    AcceptsEverything,
    /// Verifies a signature only when the header is there.
    SignatureOptional,
    /// Accepts a MAC in any provider's scheme under its secret.
    TriesEveryScheme,
    /// Never looks at X-Webhook-Secret.
    IgnoresStaticSecret,
    /// Verifies the MAC but never the timestamp's age.
    SkipsTimestampCheck,
    /// Refuses timestamps older than 60 s.
    TightTolerance,
    /// Reads only the first entry of webhook-signature.
    FirstSignatureOnly,
    /// Parses the JSON and verifies its compact re-serialisation.
    Reserialises,
    /// Answers 409 to an event id it has seen.
    RejectsDuplicates,
    /// Answers 500 to an event type it does not handle.
    FailsUnknownEvents,
    /// Deserialises with `deny_unknown_fields` and answers 500 when that fails.
    FailsUnknownFields,
    /// Keeps a 64 KiB body limit.
    SmallBodyLimit,
}

#[derive(Clone)]
struct Flawed {
    profile: Arc<Profile>,
    secrets: Vec<String>,
    static_secret: Option<String>,
    flaw: Flaw,
    seen: Arc<Mutex<HashSet<String>>>,
}

fn flawed(profile_name: &str, flaw: Flaw) -> Router {
    let p = profile::builtin(profile_name).expect("built-in profile");
    let secret = if profile_name == "standard-webhooks" {
        SW_SECRET
    } else {
        SECRET
    };
    let state = Flawed {
        profile: Arc::new(p),
        secrets: vec![secret.to_owned()],
        static_secret: (profile_name == "perfectparser").then(|| STATIC.to_owned()),
        flaw,
        seen: Arc::default(),
    };
    let limit = if flaw == Flaw::SmallBodyLimit {
        64 * 1024
    } else {
        10 * 1024 * 1024
    };
    Router::new()
        .route("/webhooks", post(flawed_webhook))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

fn pairs(headers: &HeaderMap) -> Vec<Header> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().into(), v.to_str().ok()?.into())))
        .collect()
}

/// The Standard Webhooks envelope, as a strict receiver declares it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StrictEnvelope {
    r#type: String,
    timestamp: String,
    data: Value,
}

async fn flawed_webhook(State(r): State<Flawed>, headers: HeaderMap, body: Bytes) -> Response {
    let flaw = r.flaw;
    match flaw {
        Flaw::RejectsEverything => return StatusCode::UNAUTHORIZED.into_response(),
        Flaw::AcceptsEverything => return StatusCode::OK.into_response(),
        Flaw::Redirects => {
            return (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, "/v2/webhooks")]).into_response();
        }
        Flaw::Slow(d) => tokio::time::sleep(d).await,
        _ => {}
    }
    let received = pairs(&headers);
    let mut hs = received.clone();
    let get = |name: &str| signing::header(&received, name).map(str::to_owned);
    if let Some(want) = &r.static_secret
        && flaw != Flaw::IgnoresStaticSecret
        && get("x-webhook-secret").as_deref() != Some(want.as_str())
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let scheme = r.profile.scheme.clone();
    let sig_name = scheme.signature_header().expect("a signed profile");
    // The signed timestamp: in its own header, or inside the signature (Stripe's `t=`).
    let signed_ts: Option<i64> = scheme
        .timestamp_header
        .as_deref()
        .and_then(get)
        .or_else(|| {
            get(sig_name)?
                .split(',')
                .find_map(|p| p.strip_prefix("t=").map(str::to_owned))
        })
        .and_then(|t| t.parse().ok());
    let mut now = SystemClock.now();
    if let Some(ts) = signed_ts {
        if flaw == Flaw::SkipsTimestampCheck {
            now = Duration::from_secs(ts as u64);
        }
        if flaw == Flaw::TightTolerance && now.as_secs() as i64 - ts > 60 {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    if flaw == Flaw::FirstSignatureOnly
        && let Some(first) =
            get("webhook-signature").and_then(|s| s.split(' ').next().map(str::to_owned))
    {
        hs.retain(|(k, _)| k != "webhook-signature");
        hs.push(("webhook-signature".into(), first.into()));
    }
    let verified_body = if flaw == Flaw::Reserialises {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => Bytes::from(serde_json::to_vec(&v).expect("serialise")),
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        }
    } else {
        body.clone()
    };
    let skip_verify = flaw == Flaw::SignatureOptional && get(sig_name).is_none();
    if !skip_verify {
        let mut ok = scheme.verify(&r.secrets, &hs, &verified_body, now) == Verdict::Valid;
        if !ok && flaw == Flaw::TriesEveryScheme {
            let given = get(sig_name).unwrap_or_default();
            let given = given.strip_prefix("sha256=").unwrap_or(&given);
            let ts = get("x-extend-request-timestamp")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let key = r.secrets[0].as_bytes();
            let ts = ts.to_string();
            ok = [
                hex::encode(signing::hmac_sha256(key, &[&body])),
                hex::encode(signing::hmac_sha256(
                    key,
                    &[b"v0:", ts.as_bytes(), b":", &body],
                )),
            ]
            .iter()
            .any(|mac| mac == given);
        }
        if !ok {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    let event: Value = match serde_json::from_slice(&body) {
        Ok(Value::String(inner)) => serde_json::from_str(&inner).unwrap_or_default(),
        Ok(v) => v,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    if flaw == Flaw::FailsUnknownFields
        && serde_json::from_value::<StrictEnvelope>(event.clone()).is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let event_type = ["type", "eventType", "event_type", "event"]
        .iter()
        .find_map(|k| event[k].as_str())
        .unwrap_or_default();
    if flaw == Flaw::FailsUnknownEvents && r.profile.event(event_type).is_none() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let id = get("webhook-id")
        .or_else(|| event["eventId"].as_str().map(str::to_owned))
        .or_else(|| event["event_id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| event.to_string());
    let fresh = r.seen.lock().expect("not poisoned").insert(id);
    if flaw == Flaw::RejectsDuplicates && !fresh {
        return StatusCode::CONFLICT.into_response();
    }
    StatusCode::OK.into_response()
}

/// Runs every check against `profile`'s receiver with `flaw`; `check` must fail and the
/// run must exit 1.
#[track_caller]
fn assert_flaw_fails(profile: &str, flaw: Flaw, check: &str) {
    let url = serve(flawed(profile, flaw));

    let out = conform(profile, &url, &[]);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    assert_eq!(status_of(&out, check), "fail", "{}", out.stdout);
}

#[test]
fn a_receiver_that_refuses_genuine_deliveries_fails_accepts_valid() {
    assert_flaw_fails("extend", Flaw::RejectsEverything, "accepts-valid");
}

#[test]
fn a_receiver_that_accepts_everything_fails_every_rejection_check() {
    let url = serve(flawed("standard-webhooks", Flaw::AcceptsEverything));

    let out = conform("standard-webhooks", &url, &[]);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    for check in [
        "rejects-wrong-secret",
        "rejects-tampered-body",
        "rejects-missing-signature",
        "rejects-foreign-scheme",
        "rejects-stale-timestamp",
        "rejects-future-timestamp",
        "verifies-raw-body",
    ] {
        assert_eq!(status_of(&out, check), "fail", "{check}:\n{}", out.stdout);
    }
    assert_eq!(status_of(&out, "accepts-valid"), "pass");
}

#[test]
fn a_receiver_that_checks_a_signature_only_when_present_fails_rejects_missing_signature() {
    assert_flaw_fails(
        "llamacloud",
        Flaw::SignatureOptional,
        "rejects-missing-signature",
    );
}

#[test]
fn a_receiver_that_tries_every_scheme_fails_rejects_foreign_scheme() {
    assert_flaw_fails(
        "perfectparser",
        Flaw::TriesEveryScheme,
        "rejects-foreign-scheme",
    );
    assert_flaw_fails("extend", Flaw::TriesEveryScheme, "rejects-foreign-scheme");
}

#[test]
fn a_receiver_that_ignores_the_static_secret_fails_both_static_secret_checks() {
    let url = serve(flawed("perfectparser", Flaw::IgnoresStaticSecret));

    let out = conform("perfectparser", &url, &[]);

    assert_eq!(status_of(&out, "rejects-missing-static-secret"), "fail");
    assert_eq!(status_of(&out, "rejects-wrong-static-secret"), "fail");
    assert_eq!(status_of(&out, "accepts-valid"), "pass");
}

#[test]
fn a_receiver_that_skips_the_timestamp_check_fails_stale_and_future_timestamps() {
    for profile in ["standard-webhooks", "extend"] {
        let url = serve(flawed(profile, Flaw::SkipsTimestampCheck));

        let out = conform(profile, &url, &[]);

        assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
        assert_eq!(status_of(&out, "rejects-stale-timestamp"), "fail");
        assert_eq!(status_of(&out, "rejects-future-timestamp"), "fail");
        assert_eq!(status_of(&out, "accepts-timestamp-in-tolerance"), "pass");
        assert_eq!(status_of(&out, "rejects-wrong-secret"), "pass");
    }
}

#[test]
fn a_receiver_with_a_tighter_tolerance_fails_accepts_timestamp_in_tolerance() {
    assert_flaw_fails(
        "standard-webhooks",
        Flaw::TightTolerance,
        "accepts-timestamp-in-tolerance",
    );
}

#[test]
fn a_receiver_that_reads_only_the_first_signature_fails_accepts_rotated_signatures() {
    assert_flaw_fails(
        "standard-webhooks",
        Flaw::FirstSignatureOnly,
        "accepts-rotated-signatures",
    );
}

#[test]
fn a_receiver_that_re_serialises_the_body_before_verifying_fails_verifies_raw_body() {
    let url = serve(flawed("standard-webhooks", Flaw::Reserialises));

    let out = conform("standard-webhooks", &url, &[]);

    assert_eq!(
        status_of(&out, "verifies-raw-body"),
        "fail",
        "{}",
        out.stdout
    );
    // hookrig's own bodies are compact, so genuine deliveries still get through.
    assert_eq!(status_of(&out, "accepts-valid"), "pass");
}

#[test]
fn a_receiver_that_refuses_duplicates_fails_accepts_redelivery() {
    assert_flaw_fails("extend", Flaw::RejectsDuplicates, "accepts-redelivery");
}

#[test]
fn a_receiver_that_answers_500_to_unknown_events_fails_tolerates_unknown_event() {
    for profile in ["extend", "llamacloud", "perfectparser", "standard-webhooks"] {
        assert_flaw_fails(profile, Flaw::FailsUnknownEvents, "tolerates-unknown-event");
    }
}

#[test]
fn a_strict_parser_fails_tolerates_unknown_fields() {
    assert_flaw_fails(
        "standard-webhooks",
        Flaw::FailsUnknownFields,
        "tolerates-unknown-fields",
    );
}

#[test]
fn a_receiver_with_a_64_kib_body_limit_fails_accepts_large_body() {
    let url = serve(flawed("standard-webhooks", Flaw::SmallBodyLimit));

    let out = conform("standard-webhooks", &url, &[]);

    assert_eq!(status_of(&out, "accepts-large-body"), "fail");
    assert_contains(&out.stdout, "answered 413");
}

#[test]
fn a_receiver_that_redirects_fails_no_redirect() {
    assert_flaw_fails("llamacloud", Flaw::Redirects, "no-redirect");
}

#[test]
fn a_receiver_slower_than_the_timeout_fails_answers_in_time() {
    let url = serve(flawed(
        "perfectparser",
        Flaw::Slow(Duration::from_millis(600)),
    ));

    let out = conform(
        "perfectparser",
        &url,
        &["--timeout", "150ms", "--only", "answers-in-time"],
    );

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    assert_eq!(status_of(&out, "answers-in-time"), "fail");
    assert_contains(&out.stdout, "no answer within 150ms");
}

#[test]
fn a_receiver_slower_than_a_second_passes_answers_in_time_with_a_warning() {
    let url = serve(flawed(
        "perfectparser",
        Flaw::Slow(Duration::from_millis(1100)),
    ));

    let out = conform("perfectparser", &url, &["--only", "answers-in-time"]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(status_of(&out, "answers-in-time"), "warn");
}

// ---------------------------------------------------------------------------------------
// Reports and bad input.

#[test]
fn a_failed_check_shows_the_request_the_answer_and_what_a_correct_receiver_does() {
    let url = serve(flawed("perfectparser", Flaw::IgnoresStaticSecret));
    let mut args: Vec<String> = ["conform", "--profile", "perfectparser", "--url", &url]
        .map(String::from)
        .to_vec();
    args.extend(secret_args("perfectparser"));
    args.extend(["--only".into(), "rejects-wrong-static-secret".into()]);

    let out = hookrig(args);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    assert_contains(&out.stdout, "FAIL  rejects-wrong-static-secret");
    assert_contains(&out.stdout, "X-PerfectParser-Signature: ");
    assert_contains(&out.stdout, "X-Webhook-Secret: <redacted");
    assert_contains(&out.stdout, "answer: 200");
    assert_contains(&out.stdout, "a correct receiver compares X-Webhook-Secret");
    assert!(!out.stdout.contains(STATIC), "{}", out.stdout);
    assert!(
        !out.stdout.contains("conform-signing-secret"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unreachable_url_fails_each_check_that_met_it_and_runs_the_rest() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}/webhooks");

    let out = conform(
        "extend",
        &url,
        &["--only", "rejects-wrong-secret", "accepts-redelivery"],
    );

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    assert_eq!(status_of(&out, "rejects-wrong-secret"), "fail");
    assert_eq!(status_of(&out, "accepts-redelivery"), "fail");
    assert_contains(&out.stdout, "connection");
}

/// A TCP server that reads a request and answers `reply` (or nothing) before closing.
fn raw_server(reply: &'static [u8]) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = c.write_all(reply);
        }
    });
    format!("http://{addr}/webhooks")
}

#[test]
fn a_receiver_that_answers_garbage_or_closes_the_connection_fails_with_a_clear_message() {
    for reply in [&b"garbage, not HTTP\r\n\r\n"[..], &b""[..]] {
        let url = raw_server(reply);

        let out = conform(
            "standard-webhooks",
            &url,
            &["--only", "accepts-valid", "rejects-wrong-secret"],
        );

        assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
        assert_eq!(status_of(&out, "accepts-valid"), "fail");
        assert_eq!(status_of(&out, "rejects-wrong-secret"), "fail");
        assert_contains(&out.stdout, "no answer: connection error");
    }
}

#[test]
fn a_missing_secret_for_a_signed_profile_is_bad_input_yet_the_unsigned_check_runs() {
    let url = serve(receiver_extend::app(SECRET));

    let out = hookrig(["conform", "--profile", "extend", "--url", &url]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(
        &out.stderr,
        "give the receiver's signing secret with --secret",
    );
    assert_contains(&out.stdout, "PASS  rejects-missing-signature");
    assert_contains(&out.stdout, "SKIP  accepts-valid");
}

#[test]
fn unknown_checks_profiles_and_urls_are_bad_input_and_nothing_is_sent() {
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--profile",
                "extend",
                "--url",
                "http://127.0.0.1:9/",
                "--only",
                "rejects-stale",
            ],
            "did you mean `rejects-stale-timestamp`?",
        ),
        (
            &["--profile", "extnd", "--url", "http://127.0.0.1:9/"],
            "did you mean `extend`?",
        ),
        (
            &["--profile", "extend", "--url", "127.0.0.1:9"],
            "is not an http:// or https:// URL",
        ),
        (
            &[
                "--profile",
                "crawl4ai",
                "--url",
                "http://127.0.0.1:9/",
                "--secret",
                "s",
            ],
            "does not sign deliveries",
        ),
    ];
    for (args, message) in cases {
        let out = hookrig(std::iter::once("conform").chain(args.iter().copied()));

        assert_eq!(out.status, ExitStatus::BadInput, "{args:?}: {}", out.both());
        assert_contains(&out.stderr, message);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
}

#[test]
fn crawl4ai_runs_the_checks_it_has_and_skips_signature_checks_with_a_reason() {
    let url = serve(
        Router::new()
            .route("/webhooks", post(|_body: Bytes| async { StatusCode::OK }))
            .layer(DefaultBodyLimit::max(10 * 1024 * 1024)),
    );

    let out = hookrig([
        "conform",
        "--profile",
        "crawl4ai",
        "--url",
        &url,
        "--format",
        "json",
    ]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(status_of(&out, "accepts-valid"), "pass");
    assert_eq!(status_of(&out, "accepts-large-body"), "pass");
    assert_eq!(status_of(&out, "rejects-wrong-secret"), "skip");
    assert_eq!(status_of(&out, "no-redirect"), "skip");
}

#[test]
fn conform_junit_has_one_testcase_per_check_and_a_failure_for_each_failed_check() {
    let url = serve(flawed("standard-webhooks", Flaw::AcceptsEverything));
    let mut args: Vec<String> = ["conform", "--profile", "standard-webhooks", "--url", &url]
        .map(String::from)
        .to_vec();
    args.extend(secret_args("standard-webhooks"));
    args.extend(["--format".into(), "junit".into()]);

    let out = hookrig(args);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let doc = roxmltree::Document::parse(&out.stdout).expect("well-formed JUnit XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .filter_map(|c| c.attribute("name"))
        .collect();
    assert_eq!(cases.len(), 18, "one testcase per check");
    assert!(failed.contains(&"rejects-wrong-secret"), "{failed:?}");
    assert!(!failed.contains(&"accepts-valid"), "{failed:?}");
}
