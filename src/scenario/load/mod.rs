//! Reading scenario files and folders, and validating them.
//!
//! [`load_paths`] expands folders recursively (`*.yaml`, `*.yml`), parses each file with
//! serde-saphyr into the raw types, then checks every value a user can get wrong: names
//! against the valid choices (with the nearest one suggested), durations, statuses,
//! header rules, schema files. Every problem becomes an [`InputError`] with file, line and
//! column; one bad file never stops the others from being read.
//!
//! One file per job: `paths.rs` (files, folders, names unique in a run), `diagnostics.rs`
//! (YAML errors, positions, named choices with their nearest-name hint), `overrides.rs`
//! (the profile and its endpoint), `steps.rs` (receiver steps and fault files),
//! `expectations.rs` (`expect:`), `sender.rs` (what a scenario with `sender:` may say;
//! the block itself is `scenario::sender`'s). This file holds the checking context and the scenario
//! and its events.

mod diagnostics;
mod expectations;
mod overrides;
mod paths;
mod sender;
mod steps;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::raw::{self, RawScenario, Spanned};
use super::{InputError, Scenario, ScenarioEvent};
use crate::profile::{self, Endpoint, Profile};
use crate::text::choice_error;
use diagnostics::loc;

pub use paths::{Loaded, load_file, load_paths, load_paths_on, parse_str};
pub use steps::{Faults, load_faults};

/// A 1-based (line, column) in a file, when known.
pub type Position = (Option<u64>, Option<u64>);

/// The most attempts a profile override may ask for.
pub use crate::profile::load::MAX_ATTEMPTS;
pub use crate::text::MAX_DURATION;
pub use crate::text::parse_duration;

/// The endpoint of every scenario that gives none: one, shared (a suite holds every
/// scenario until all are checked).
fn default_endpoint() -> Arc<Endpoint> {
    static DEFAULT: std::sync::OnceLock<Arc<Endpoint>> = std::sync::OnceLock::new();
    Arc::clone(DEFAULT.get_or_init(|| Arc::new(Endpoint::default())))
}

struct Cx<'a> {
    file: &'a Path,
    errors: Vec<InputError>,
    /// Connection-level faults are allowed (a live receiver's fault file).
    live: bool,
}

impl Cx<'_> {
    fn err(&mut self, at: Position, message: impl Into<String>) {
        self.errors.push(InputError {
            file: self.file.to_owned(),
            line: at.0,
            column: at.1,
            message: message.into(),
        });
    }

    fn duration(&mut self, s: &Spanned<String>, key: &str) -> Option<Duration> {
        match parse_duration(&s.value) {
            Ok(d) => Some(d),
            Err(m) => {
                self.err(loc(s), format!("{key}: {m}"));
                None
            }
        }
    }

    fn scenario(&mut self, raw: RawScenario) -> Option<Scenario> {
        let before = self.errors.len();
        let name = raw.name.value.trim().to_owned();
        if name.is_empty() {
            self.err(loc(&raw.name), "name: must not be empty");
        }
        let mut profile = self.profile(&raw.profile);
        let external = raw.sender.is_some();
        if external {
            self.refuse_for_sender(&raw.endpoint, raw.events.as_ref());
        }
        let endpoint = match (&mut profile, raw.endpoint) {
            (Some(p), Some(e)) => self.endpoint(p, *e).map(Arc::new),
            (_, None) => Some(default_endpoint()),
            (None, Some(_)) => None,
        };
        let sender = raw.sender.and_then(|s| self.sender(*s));
        let events = match raw.events {
            Some(ev) => profile
                .as_ref()
                .map(|p| self.events(p, endpoint.as_deref(), ev))
                .unwrap_or_default(),
            None if external => sender::unnamed_events(sender.as_ref()),
            None => {
                self.err(loc(&raw.name), "missing field `events`: give the events to deliver (`events: [{type: NAME}]`), or a `sender:` whose deliveries are judged");
                Vec::new()
            }
        };
        // An external sender's scenario is live: the socket faults apply.
        self.live = external;
        let receiver_at = raw.receiver.as_ref().map_or(loc(&raw.name), loc);
        let receiver = self.receiver(profile.as_deref(), raw.receiver);
        self.live = false;
        if external {
            self.refuse_when_steps(profile.as_deref(), receiver.as_ref(), receiver_at);
        }
        let scenario_at = loc(&raw.name);
        let expect = match raw.expect {
            Some(e) => self.expectations(&events, scenario_at, e),
            None => Vec::new(),
        };
        let live_skip = raw.live.and_then(|l| {
            let reason = l.value.skip.value.trim().to_owned();
            if reason.is_empty() {
                self.err(
                    loc(&l.value.skip),
                    "live.skip: give the reason the scenario cannot run live; it is printed when live runs skip it",
                );
                return None;
            }
            Some(reason)
        });
        if self.errors.len() > before {
            return None;
        }
        Some(Scenario {
            name,
            file: self.file.to_owned(),
            profile: profile?,
            endpoint: endpoint?,
            events,
            receiver: receiver?,
            expect,
            live_skip,
            sender,
        })
    }

    fn event_type_known(&mut self, p: &Profile, s: &Spanned<String>, key: &str) -> bool {
        if p.knows_event(&s.value) {
            return true;
        }
        let names: Vec<&str> = p.catalogue.iter().map(|e| e.name.as_str()).collect();
        let msg = choice_error(
            &format!("event type for profile {}", p.name),
            &s.value,
            &names,
        );
        self.err(loc(s), format!("{key}: {msg}"));
        false
    }

    fn events(
        &mut self,
        p: &Profile,
        endpoint: Option<&Endpoint>,
        raw: Spanned<Vec<Spanned<raw::RawEvent>>>,
    ) -> Vec<ScenarioEvent> {
        if raw.value.is_empty() {
            self.err(
                loc(&raw),
                "events: the list is empty; give at least one event (`- type: NAME`)",
            );
        }
        let mut out = Vec::with_capacity(raw.value.len());
        for ev in raw.value {
            let at = loc(&ev);
            let ev = ev.value;
            if !self.event_type_known(p, &ev.kind, "events[].type") {
                continue;
            }
            let offset = match &ev.at {
                Some(a) => self.duration(a, "events[].at").unwrap_or_default(),
                None => Duration::ZERO,
            };
            if let (Some(data), Some(endpoint)) = (&ev.data, endpoint) {
                let ids = profile::DeliveryIds::with_message_id("check");
                if let Err(e) =
                    p.build_request(endpoint, &ev.kind.value, data, &ids, Duration::ZERO)
                {
                    self.err(at, format!("events[].data: {e}"));
                }
            }
            out.push(ScenarioEvent {
                event_type: ev.kind.value,
                data: ev.data,
                at: offset,
            });
        }
        out
    }
}
