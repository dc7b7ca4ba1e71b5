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

use crate::run_state::{RunState, ScenarioState};

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
                append(&mut line, a.to_json(wall));
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

/// Appends `more`'s keys to the object `line`, in their order.
fn append(line: &mut Value, more: Value) {
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
