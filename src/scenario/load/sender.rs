//! What a scenario with `sender:` may say: no endpoint `url` (hookrig's receiver is the
//! target), no event `data` or `at` (the sender builds its payload and picks its time),
//! no `when: {event: …}` step under a profile whose requests do not say their type; and
//! its deliveries, when it lists no events, named by index.

use std::time::Duration;

use serde_json::Value;

use super::diagnostics::{kind, loc};
use super::{Cx, Position};
use crate::faults::FaultPlan;
use crate::profile::{Profile, TypeFrom};
use crate::scenario::ScenarioEvent;
use crate::scenario::raw::{self, Spanned};
use crate::scenario::sender::{self, ExternalSender, MAX_DELIVERIES, RawSender};
use crate::trigger::Template;

impl Cx<'_> {
    /// Checks `sender:`: a trigger that is a string with a good `{url}` placeholder,
    /// `deliveries` from 1 to [`MAX_DELIVERIES`], a `timeout` over zero.
    pub(super) fn sender(&mut self, raw: Spanned<RawSender>) -> Option<ExternalSender> {
        let raw = raw.value;
        let before = self.errors.len();
        let trigger = match &raw.trigger.value {
            Value::String(s) => match Template::parse(s) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.err(
                        loc(&raw.trigger),
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
                self.err(
                    loc(&raw.trigger),
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
                self.err(
                    loc(d),
                    format!(
                        "sender.deliveries: {} is out of range (1 to {MAX_DELIVERIES}); it is how many deliveries to wait for",
                        d.value
                    ),
                );
                None
            }
        };
        let timeout = match &raw.timeout {
            Some(t) => match self.duration(t, "sender.timeout") {
                Some(d) if d.is_zero() => {
                    self.err(loc(t), "sender.timeout: must be longer than 0s");
                    None
                }
                d => d,
            },
            None => None,
        };
        if self.errors.len() > before {
            return None;
        }
        Some(ExternalSender {
            trigger: trigger?,
            deliveries,
            timeout,
        })
    }

    /// Refuses an endpoint URL and events' data and times.
    pub(super) fn refuse_for_sender(
        &mut self,
        endpoint: &Option<Box<Spanned<raw::RawEndpoint>>>,
        events: Option<&Spanned<Vec<Spanned<raw::RawEvent>>>>,
    ) {
        if let Some(e) = endpoint
            && e.value.url.is_some()
        {
            self.err(loc(e), sender::URL_REFUSED);
        }
        for ev in events.map(|e| e.value.as_slice()).unwrap_or_default() {
            if ev.value.data.is_some() {
                self.err(loc(ev), sender::DATA_REFUSED);
            }
            if let Some(a) = &ev.value.at {
                self.err(loc(a), sender::AT_REFUSED);
            }
        }
    }

    /// Refuses steps kept for one event type when the receiver cannot tell the type of
    /// someone else's request.
    pub(super) fn refuse_when_steps(
        &mut self,
        profile: Option<&Profile>,
        plan: Option<&FaultPlan>,
        at: Position,
    ) {
        if let (Some(p), Some(plan)) = (profile, plan)
            && plan.steps().iter().any(|s| s.when_event.is_some())
            && matches!(p.envelope.type_from, TypeFrom::Unknown)
        {
            self.err(at, sender::WHEN_REFUSED);
        }
    }
}

/// Without events, an external sender's deliveries are told apart by arrival: `expect`
/// names them by index, and they take no type of their own.
pub(super) fn unnamed_events(s: Option<&ExternalSender>) -> Vec<ScenarioEvent> {
    let n = s.and_then(|s| s.deliveries).unwrap_or(1);
    (0..n)
        .map(|_| ScenarioEvent {
            event_type: sender::ANY_TYPE.into(),
            data: None,
            at: Duration::ZERO,
        })
        .collect()
}
