//! `sender:` — a scenario about a sender hookrig did not write.
//!
//! ```yaml
//! sender:
//!   trigger: "python send_one.py {url}"   # sh, once the receiver listens; also $HOOKRIG_URL
//!   deliveries: 1                          # default: one per event (one without events)
//!   timeout: 2m                            # default: the profile's schedule + timeout + 10 s
//! ```
//!
//! Such a scenario always runs live: the sender keeps its own clock, so neither sim mode
//! nor `--time-scale` applies. What cannot apply to someone else's sender is refused here
//! with its place in the file: an endpoint `url` (hookrig's receiver is the target), an
//! event's `data` or `at` (the sender builds its payload and picks its time), a receiver
//! step `when: {event: …}` under a profile whose requests do not say their type.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::raw::Spanned;
use crate::trigger::Template;

/// The event type of a delivery an external sender's scenario names by index only (it
/// lists no events).
pub const ANY_TYPE: &str = "(any type)";

/// The most deliveries a scenario may wait for.
pub const MAX_DELIVERIES: i64 = 1000;

/// `sender:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSender {
    /// The shell command.
    pub trigger: Spanned<Value>,
    /// How many deliveries to wait for.
    #[serde(default)]
    pub deliveries: Option<Spanned<i64>>,
    /// Give up waiting after this long.
    #[serde(default)]
    pub timeout: Option<Spanned<String>>,
}

/// A validated `sender:`.
#[derive(Debug, Clone)]
pub struct ExternalSender {
    /// The trigger command.
    pub trigger: Template,
    /// Deliveries to wait for (`None`: one per event).
    pub deliveries: Option<u32>,
    /// How long to wait (`None`: the profile's default, see
    /// [`crate::external::default_timeout`]).
    pub timeout: Option<Duration>,
}

/// A 1-based (line, column), when known.
type At = (Option<u64>, Option<u64>);

fn at<T>(s: &Spanned<T>) -> At {
    let l = &s.referenced;
    if l.line() == 0 {
        (None, None)
    } else {
        (Some(l.line()), Some(l.column()))
    }
}

/// Checks `sender:`, reporting each problem through `err` with its place.
pub fn check(raw: Spanned<RawSender>, err: &mut dyn FnMut(At, String)) -> Option<ExternalSender> {
    let raw = raw.value;
    let mut ok = true;
    let trigger = match &raw.trigger.value {
        Value::String(s) => match Template::parse(s) {
            Ok(t) => Some(t),
            Err(e) => {
                err(
                    at(&raw.trigger),
                    format!(
                        "sender.trigger: {} (at character {} of the command)",
                        e.message,
                        e.offset + 1
                    ),
                );
                None
            }
        },
        other => {
            err(
                at(&raw.trigger),
                format!(
                    "sender.trigger: expected a string (a shell command run with sh, `{{url}}` its receiver's URL), found {}",
                    kind(other)
                ),
            );
            None
        }
    };
    let deliveries = match &raw.deliveries {
        None => None,
        Some(d) if (1..=MAX_DELIVERIES).contains(&d.value) => Some(d.value as u32),
        Some(d) => {
            err(
                at(d),
                format!(
                    "sender.deliveries: {} is out of range (1 to {MAX_DELIVERIES}); it is how many deliveries to wait for",
                    d.value
                ),
            );
            ok = false;
            None
        }
    };
    let timeout = match &raw.timeout {
        None => None,
        Some(t) => match crate::text::parse_duration(&t.value) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                err(at(t), "sender.timeout: must be longer than 0s".into());
                ok = false;
                None
            }
            Err(m) => {
                err(at(t), format!("sender.timeout: {m}"));
                ok = false;
                None
            }
        },
    };
    match (trigger, ok) {
        (Some(trigger), true) => Some(ExternalSender {
            trigger,
            deliveries,
            timeout,
        }),
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Why a part of a scenario cannot apply to an external sender, when it cannot.
pub const URL_REFUSED: &str = "endpoint.url: a scenario with `sender:` receives on hookrig's own socket; the sender is told where through `{url}` and $HOOKRIG_URL";
/// See [`URL_REFUSED`].
pub const DATA_REFUSED: &str = "events[].data: the external sender builds its own payload; check what it sends with expect.payload.match";
/// See [`URL_REFUSED`].
pub const AT_REFUSED: &str = "events[].at: the external sender decides when it sends; a scenario with `sender:` cannot set an event's time";
/// See [`URL_REFUSED`].
pub const WHEN_REFUSED: &str = "receiver[].when: this profile's requests do not say their event type, so a step cannot be kept for one event when the sender is not hookrig";
