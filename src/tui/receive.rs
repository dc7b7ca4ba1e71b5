//! `receive --tui`: the standalone receiver's requests in the same screens as a run.
//!
//! A receiver knows no scenarios or deliveries, only requests, so [`Requests`] is a small
//! reducer of the TUI's own (the engine's [`RunState`](crate::run_state::RunState) needs a
//! sender's events): every request path is a delivery — split by event type when a
//! profile reads one from the body — and every request an attempt with its arrival time,
//! the receiver's answer and, with a profile and secrets, the signature verdict judged at
//! arrival.

use std::sync::Arc;
use std::time::Duration;

use super::live::Reduce;
use super::model::{
    AttemptView, DeliveryView, Message, Model, ScenarioView, request_message, verdict,
};
use crate::events::EngineEvent;
use crate::faults::{Answer, Fault};
use crate::profile::Profile;
use crate::record::RequestRecord;

/// The requests a receiver got, grouped by path (and event type).
#[derive(Debug, Clone)]
pub struct Requests {
    label: String,
    profile: Option<Arc<Profile>>,
    secrets: Vec<String>,
    epoch: Duration,
    groups: Vec<Group>,
}

#[derive(Debug, Clone)]
struct Group {
    path: String,
    event_type: Option<String>,
    arrivals: Vec<Arrival>,
}

#[derive(Debug, Clone)]
struct Arrival {
    at: Duration,
    request: Arc<RequestRecord>,
    answer: Answer,
    signature: Option<String>,
}

impl Requests {
    /// No requests yet. `label` names the receiver (e.g. its address); `epoch` is the
    /// wall-clock time of the receiver's offset zero; `profile` reads event types and,
    /// with `secrets`, judges signatures.
    pub fn new(
        label: impl Into<String>,
        profile: Option<Arc<Profile>>,
        secrets: Vec<String>,
        epoch: Duration,
    ) -> Self {
        Requests {
            label: label.into(),
            profile,
            secrets,
            epoch,
            groups: Vec::new(),
        }
    }

    /// Requests received so far.
    pub fn count(&self) -> usize {
        self.groups.iter().map(|g| g.arrivals.len()).sum()
    }
}

impl Reduce for Requests {
    type Msg = EngineEvent;

    fn apply(&mut self, e: EngineEvent) {
        // The sender's events never reach a standalone receiver; only requests count,
        // tagged (a `/hookrig/N` path) or not.
        let EngineEvent::RequestReceived {
            at,
            request,
            answer,
            ..
        } = e
        else {
            return;
        };
        let event_type = self
            .profile
            .as_ref()
            .and_then(|p| p.event_type_of_request(&request.headers, &request.body));
        let signature = match &self.profile {
            Some(p) if !self.secrets.is_empty() => Some(verdict(p.scheme.verify_request(
                &self.secrets,
                crate::signing::Received {
                    method: &request.method,
                    url: &request.path,
                    headers: &request.headers,
                    body: &request.body,
                },
                self.epoch + at,
            ))),
            _ => None,
        };
        let arrival = Arrival {
            at,
            request: Arc::clone(&request),
            answer,
            signature,
        };
        match self
            .groups
            .iter_mut()
            .find(|g| g.path == request.path && g.event_type == event_type)
        {
            Some(g) => g.arrivals.push(arrival),
            None => self.groups.push(Group {
                path: request.path.to_string(),
                event_type,
                arrivals: vec![arrival],
            }),
        }
    }

    fn counts(e: &EngineEvent) -> bool {
        matches!(e, EngineEvent::RequestReceived { .. })
    }

    fn model(&self) -> Model {
        let deliveries = self.groups.iter().map(group_view).collect();
        Model {
            source: self.label.clone(),
            scenarios: vec![ScenarioView {
                name: format!("requests to {}", self.label),
                file: String::new(),
                passed: None,
                deliveries,
            }],
            problems: Vec::new(),
        }
    }
}

fn group_view(g: &Group) -> DeliveryView {
    let first = g.arrivals.first().map_or(Duration::ZERO, |a| a.at);
    DeliveryView {
        event_type: g.event_type.clone().unwrap_or_else(|| g.path.clone()),
        outcome: None,
        reason: None,
        attempts: g
            .arrivals
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let (status, error) = match &a.answer {
                    Answer::Status(s) => (Some(*s), None),
                    Answer::TooLarge => (Some(413), None),
                    // The sender waits for an answer that never comes: its timeout.
                    Answer::Fault(Fault::Hang | Fault::Stall) => (None, Some("timeout".to_owned())),
                    Answer::Fault(f) => (None, Some(f.label().to_owned())),
                };
                AttemptView {
                    n: i as u32 + 1,
                    offset: a.at.saturating_sub(first),
                    at: a.at,
                    status,
                    error,
                    latency: None,
                    wait_after: None,
                    status_after: None,
                    requests: 1,
                    request: Some(request_message(&a.request)),
                    response: Some(Message {
                        line: format!("answered {}", a.answer.label()),
                        headers: Vec::new(),
                        body: String::new(),
                    }),
                    signature: a.signature.clone(),
                }
            })
            .collect(),
        expected: None,
        failures: Vec::new(),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrived(path: &str, body: &str, at_ms: u64, answer: Answer) -> EngineEvent {
        EngineEvent::RequestReceived {
            scenario: 0,
            tag: None,
            at: Duration::from_millis(at_ms),
            request: Arc::new(RequestRecord {
                method: "POST".into(),
                path: path.into(),
                headers: Vec::new(),
                body: body.to_owned().into(),
            }),
            answer,
        }
    }

    #[test]
    fn each_path_is_a_delivery_named_by_its_path_without_a_profile() {
        let mut r = Requests::new("http://x", None, Vec::new(), Duration::ZERO);
        r.apply(arrived("/a", "{}", 0, Answer::Status(503)));
        r.apply(arrived("/b", "{}", 5, Answer::Fault(Fault::Hang)));
        r.apply(arrived("/a", "{}", 1500, Answer::Fault(Fault::Reset)));
        let m = r.model();
        let d = &m.scenarios[0].deliveries;
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].event_type.as_str(), d[0].attempts.len()), ("/a", 2));
        assert_eq!(d[0].attempts[1].offset, Duration::from_millis(1500));
        assert_eq!(d[0].attempts[1].error.as_deref(), Some("reset"));
        assert_eq!(d[1].attempts[0].error.as_deref(), Some("timeout"));
        assert_eq!(d[1].attempts[0].signature, None, "no profile, no verdict");
        assert_eq!(r.count(), 3);
    }

    #[test]
    fn a_profile_names_deliveries_by_event_type_and_judges_signatures() {
        let p = crate::profile::builtin("extend").expect("built-in");
        let mut r = Requests::new(
            "http://x",
            Some(Arc::new(p)),
            vec!["k".into()],
            Duration::ZERO,
        );
        r.apply(arrived(
            "/h",
            r#"{"eventType":"a.b"}"#,
            0,
            Answer::Status(200),
        ));
        r.apply(arrived(
            "/h",
            r#"{"eventType":"c.d"}"#,
            0,
            Answer::Status(200),
        ));
        let m = r.model();
        let names: Vec<_> = m.scenarios[0]
            .deliveries
            .iter()
            .map(|d| d.event_type.as_str())
            .collect();
        assert_eq!(names, ["a.b", "c.d"]);
        assert_eq!(
            m.scenarios[0].deliveries[0].attempts[0]
                .signature
                .as_deref(),
            Some("absent")
        );
    }

    #[test]
    fn only_requests_count() {
        let started = EngineEvent::ScenarioStarted {
            scenario: 0,
            name: String::new(),
            file: String::new(),
        };
        assert!(!Requests::counts(&started));
        assert!(Requests::counts(&arrived(
            "/a",
            "",
            0,
            Answer::Fault(Fault::Drop)
        )));
    }
}
