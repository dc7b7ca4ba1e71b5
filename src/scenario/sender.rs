//! `sender:` — a scenario about a sender hookrig did not write.
//!
//! ```yaml
//! sender:
//!   trigger: "python send_one.py {url}"   # sh, once the receiver listens; also $HOOKRIG_URL
//!   deliveries: 1                          # default: one per event (one without events)
//!   timeout: 2m                            # default: the profile's schedule + timeout + 10 s
//! ```
//!
//! This file holds the block's types; `load/sender.rs` checks it. Such a scenario always
//! runs live: the sender keeps its own clock, so neither sim mode
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

/// Why a part of a scenario cannot apply to an external sender, when it cannot.
pub const URL_REFUSED: &str = "endpoint.url: a scenario with `sender:` receives on hookrig's own socket; the sender is told where through `{url}` and $HOOKRIG_URL";
/// See [`URL_REFUSED`].
pub const DATA_REFUSED: &str = "events[].data: the external sender builds its own payload; check what it sends with expect.payload.match";
/// See [`URL_REFUSED`].
pub const AT_REFUSED: &str = "events[].at: the external sender decides when it sends; a scenario with `sender:` cannot set an event's time";
/// See [`URL_REFUSED`].
pub const WHEN_REFUSED: &str = "receiver[].when: this profile's requests do not say their event type, so a step cannot be kept for one event when the sender is not hookrig";
