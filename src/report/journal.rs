//! `--journal FILE`: the run as JSON Lines, one line per attempt and one per finished
//! delivery, in run order.
//!
//! An attempt line carries the request as the receiver got it (headers in order, the body
//! exactly as sent), the answer, the arrival offset `at_ms` and the wall-clock time
//! `wall_ms` at which signatures were judged (in live mode the real clock: the scenario's
//! wall-clock start plus the offset times its time scale), and — where the profile names
//! one — the provider's status word for the delivery after the attempt
//! (`provider_status`, PerfectParser's `pending_retry`). Header values that carry secrets
//! (`X-Webhook-Secret`, `Authorization`, …) are redacted; a secret the run generated
//! itself (no secret given to a provider that always signs) is shown as
//! `generated_secret`, so the journal's signatures can be checked.

use std::time::Duration;

use serde_json::{Value, json};

use crate::engine::{AttemptState, RequestRecord, ResponseRecord, RunState, ScenarioState};
use crate::scenario::expect::redact;

/// The journal text for a run whose offset zero is wall-clock `epoch` (sim scenarios; a
/// live scenario's offsets go through its own clock: its start on the wall clock and its
/// time scale).
pub fn render(state: &RunState, epoch: Duration) -> String {
    let mut out = String::new();
    for s in &state.scenarios {
        for (di, d) in s.deliveries.iter().enumerate() {
            for a in &d.attempts {
                let mut line = json!({
                    "kind": "attempt",
                    "scenario": s.name,
                    "file": s.file,
                    "delivery": di,
                    "event_type": d.event_type,
                });
                let wall = a.wall.unwrap_or_else(|| s.wall_of(epoch, a.at()));
                append(&mut line, attempt_fields(a, wall));
                push(&mut out, &extend(line, s));
            }
            let line = json!({
                "kind": "delivery",
                "scenario": s.name,
                "file": s.file,
                "delivery": di,
                "event_type": d.event_type,
                "outcome": d.outcome.map(|o| o.as_str()),
                "attempts": d.attempts.len(),
                "reason": d.reason,
            });
            push(&mut out, &extend(line, s));
        }
    }
    out
}

/// One attempt as the journal writes it, made at wall-clock time `wall`: `n`, `at_ms`,
/// `wall_ms`, `status`, `error`, `latency_ms`, `wait_after_ms`, `requests`, `request`,
/// `response`, and `provider_status` where the profile names the delivery's status after
/// it. Other journals of deliveries (`hookrig emulate`) put these after their own keys.
pub fn attempt_fields(a: &AttemptState, wall: Duration) -> Value {
    let request = a.requests().first().map(|r| request_json(r));
    let mut v = json!({
        "n": a.n,
        "at_ms": a.at().as_millis() as u64,
        "wall_ms": wall.as_millis() as u64,
        "status": a.status(),
        "error": a.error(),
        "latency_ms": a.latency.map(|l| l.as_millis() as u64),
        "wait_after_ms": a.wait_after.map(|w| w.as_millis() as u64),
        "requests": a.requests.max(1),
        "request": request,
        "response": a.response.as_deref().map(response_json),
    });
    if let Some(status) = a.status_after.as_deref() {
        v["provider_status"] = json!(status);
    }
    v
}

/// Appends `more`'s keys to the object `line`, in their order.
pub fn append(line: &mut Value, more: Value) {
    if let (Value::Object(l), Value::Object(m)) = (line, more) {
        l.extend(m);
    }
}

/// `line` with the secret the run generated, when it did.
fn extend(mut line: Value, s: &ScenarioState) -> Value {
    if let Some(secret) = &s.generated_secret {
        line["generated_secret"] = json!(secret);
    }
    line
}

fn push(out: &mut String, v: &Value) {
    out.push_str(&v.to_string());
    out.push('\n');
}

/// Headers as `[[name, value], …]`, secret-bearing values redacted.
pub fn headers_json(h: &[(String, String)]) -> Value {
    Value::Array(h.iter().map(|(k, v)| json!([k, redact(k, v)])).collect())
}

/// A body as JSON: the text when it is UTF-8, else `{"base64": …}`.
pub fn body_json(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => json!(s),
        Err(_) => {
            use base64::Engine as _;
            json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) })
        }
    }
}

fn request_json(r: &RequestRecord) -> Value {
    json!({ "method": r.method, "path": r.path, "headers": headers_json(&r.headers), "body": body_json(&r.body) })
}

fn response_json(r: &ResponseRecord) -> Value {
    json!({ "status": r.status, "headers": headers_json(&r.headers), "body": body_json(&r.body) })
}
