//! The run state: what every report and the TUI read.
//!
//! [`RunState::apply`] is the one reducer that turns [`EngineEvent`]s into scenarios,
//! deliveries and attempts; the text, JSON, JUnit, HTML and journal views and the TUI all
//! read a [`RunState`], and none recomputes what the engine did.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::events::{EngineEvent, Failure, LiveTiming, Outcome};
use crate::record::{RequestRecord, ResponseRecord, body_json, headers_json};
use crate::retry::AttemptResult;
use crate::shard::Shard;

/// The run so far.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    /// Scenarios in run order.
    pub scenarios: Vec<ScenarioState>,
    /// The slice of the suite this run is (`--shard K/N`), recorded by every report.
    pub shard: Option<Shard>,
}

/// One scenario's state.
#[derive(Debug, Clone, Default)]
pub struct ScenarioState {
    /// Name.
    pub name: String,
    /// File it came from.
    pub file: String,
    /// Deliveries in event order.
    pub deliveries: Vec<DeliveryState>,
    /// Failed checks (empty and `checked` = passed).
    pub failures: Vec<Failure>,
    /// Whether checks were evaluated.
    pub checked: bool,
    /// Live mode: its time scale and wall clock (`None` in sim mode).
    pub timing: Option<LiveTiming>,
    /// Not run, and why (`live: {skip: …}` in its file).
    pub skipped: Option<String>,
    /// The run was interrupted before its checks were evaluated.
    pub interrupted: bool,
    /// The endpoint secret the run generated, when it did.
    pub generated_secret: Option<String>,
    /// An external sender's trigger: its command, exit status and output.
    pub trigger: Option<crate::trigger::Outcome>,
}

impl ScenarioState {
    /// Forgets the requests it sent and received (bodies, headers) and the answers' bodies
    /// and headers, keeping what the text, JSON and JUnit reports read: outcomes, attempt
    /// times, statuses, errors, latencies. A long suite replayed for those reports holds
    /// one scenario's requests at a time.
    pub fn forget_requests(&mut self) {
        for d in &mut self.deliveries {
            for a in &mut d.attempts {
                a.sent = None;
                a.received = Received::default();
                if let Some(r) = &a.response
                    && (!r.headers.is_empty() || !r.body.is_empty())
                {
                    a.response = Some(std::sync::Arc::new(crate::record::ResponseRecord {
                        status: r.status,
                        headers: Vec::new(),
                        body: Default::default(),
                    }));
                }
            }
        }
    }

    /// Checked with no failure.
    pub fn passed(&self) -> bool {
        self.checked && self.failures.is_empty()
    }

    /// Forgets all but what the run's counts read (checked, failed, skipped,
    /// interrupted): once a report written as the run goes has its entry, a long suite
    /// holds no more than that of each scenario.
    pub fn keep_verdict_only(&mut self) {
        self.name = String::new();
        self.file = String::new();
        self.deliveries = Vec::new();
        self.failures.truncate(1);
        self.failures.shrink_to_fit();
        self.timing = None;
        self.generated_secret = None;
        self.trigger = None;
    }

    /// Ran (or was meant to) and did not pass: a check failed, or the checks were never
    /// evaluated for another reason than a skip or an interruption.
    pub fn failed(&self) -> bool {
        !self.passed() && self.skipped.is_none() && !self.interrupted
    }

    /// The wall-clock time of offset `at`: the live clock when the scenario ran live,
    /// else `epoch + at` (sim mode, whose offset zero is `epoch`).
    pub fn wall_of(&self, epoch: Duration, at: Duration) -> Duration {
        match &self.timing {
            Some(t) => t.wall_of(at),
            None => epoch + at,
        }
    }
}

/// One delivery's state.
#[derive(Debug, Clone, Default)]
pub struct DeliveryState {
    /// Event type.
    pub event_type: String,
    /// Attempts in order.
    pub attempts: Vec<AttemptState>,
    /// Outcome once finished.
    pub outcome: Option<Outcome>,
    /// Why it ended (gave_up, exhausted).
    pub reason: Option<String>,
}

impl DeliveryState {
    /// The provider's own status word for the delivery now, where the profile names one:
    /// the word after its latest attempt while it waits to retry.
    pub fn provider_status(&self) -> Option<&str> {
        if self.outcome.is_some() {
            return None;
        }
        self.attempts.last().and_then(|a| a.status_after.as_deref())
    }
}

/// The requests an attempt's receiver recorded, in order (the first hop's, then each
/// redirect hop's): the first kept in place, so an attempt's one request (as nearly every
/// attempt has) takes no list of its own on the heap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// The first request.
    first: Option<Arc<RequestRecord>>,
    /// The requests after the first.
    more: Vec<Arc<RequestRecord>>,
}

impl Received {
    /// `request` recorded after those before it.
    pub fn push(&mut self, request: Arc<RequestRecord>) {
        if self.first.is_none() {
            self.first = Some(request);
        } else {
            self.more.push(request);
        }
    }

    /// Whether no request was recorded.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// How many requests were recorded.
    pub fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }

    /// The first request, if one was recorded.
    pub fn first(&self) -> Option<&Arc<RequestRecord>> {
        self.first.as_ref()
    }

    /// The requests in the order they were recorded.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<RequestRecord>> {
        self.first.iter().chain(&self.more)
    }
}

impl FromIterator<Arc<RequestRecord>> for Received {
    fn from_iter<I: IntoIterator<Item = Arc<RequestRecord>>>(requests: I) -> Self {
        let mut received = Received::default();
        for r in requests {
            received.push(r);
        }
        received
    }
}

/// One attempt's state.
#[derive(Debug, Clone, Default)]
pub struct AttemptState {
    /// 1-based number.
    pub n: u32,
    /// When the sender started it (offset from the scenario start).
    pub started: Duration,
    /// When the receiver recorded its first request, if it arrived.
    pub arrived: Option<Duration>,
    /// The request as built by the sender.
    pub sent: Option<Arc<RequestRecord>>,
    /// The requests as received (first hop, then redirect hops).
    pub received: Received,
    /// How it ended, once finished.
    pub result: Option<AttemptResult>,
    /// The final answer.
    pub response: Option<Arc<ResponseRecord>>,
    /// Start to end.
    pub latency: Option<Duration>,
    /// Requests the sender made in it (1 + redirect hops), once finished.
    pub requests: u32,
    /// The wait scheduled after it.
    pub wait_after: Option<Duration>,
    /// The wall-clock time it was made at, when a journal recorded it (a run knows it
    /// from its scenario's clock: [`ScenarioState::wall_of`]).
    pub wall: Option<Duration>,
    /// The provider's status word for the delivery after this attempt (`pending_retry`):
    /// the profile's own text in a run (borrowed, not copied per attempt), a copy when a
    /// journal was read.
    pub status_after: Option<std::borrow::Cow<'static, str>>,
}

impl AttemptState {
    /// The arrival time when known, else the start time: the `at_ms` of reports.
    pub fn at(&self) -> Duration {
        self.arrived.unwrap_or(self.started)
    }

    /// The answer's status, if one came.
    pub fn status(&self) -> Option<u16> {
        match self.result {
            Some(AttemptResult::Status(s)) => Some(s),
            _ => self.response.as_ref().map(|r| r.status),
        }
    }

    /// `timeout` or `connection` when no answer came; `None` when one did (an attempt
    /// ended by too many redirects did get an answer: the last 3xx).
    pub fn error(&self) -> Option<&'static str> {
        match self.result? {
            AttemptResult::Status(_) | AttemptResult::TooManyRedirects => None,
            AttemptResult::Timeout => Some("timeout"),
            AttemptResult::Connection => Some("connection"),
        }
    }

    /// The requests the checks look at: what arrived, or what was sent if nothing did.
    pub fn requests(&self) -> Vec<&RequestRecord> {
        if self.received.is_empty() {
            self.sent.iter().map(|r| r.as_ref()).collect()
        } else {
            self.received.iter().map(|r| r.as_ref()).collect()
        }
    }

    /// The attempt as a journal line writes it after the line's own keys, made at
    /// wall-clock time `wall`: `n`, `at_ms`, `wall_ms`, `status`, `error`, `latency_ms`,
    /// `wait_after_ms`, `requests`, `request` (the first as received, secrets redacted),
    /// `response`, and `provider_status` where the profile names the delivery's status
    /// after it. `hookrig run --journal` and `hookrig emulate`'s journal and deliveries
    /// listing all write attempts this way.
    pub fn to_json(&self, wall: Duration) -> Value {
        let request = self.requests().first().map(|r| {
            json!({ "method": r.method, "path": r.path, "headers": headers_json(&r.headers), "body": body_json(&r.body) })
        });
        let response = self.response.as_deref().map(|r| {
            json!({ "status": r.status, "headers": headers_json(&r.headers), "body": body_json(&r.body) })
        });
        let mut v = json!({
            "n": self.n,
            "at_ms": self.at().as_millis() as u64,
            "wall_ms": wall.as_millis() as u64,
            "status": self.status(),
            "error": self.error(),
            "latency_ms": self.latency.map(|l| l.as_millis() as u64),
            "wait_after_ms": self.wait_after.map(|w| w.as_millis() as u64),
            "requests": self.requests.max(1),
            "request": request,
            "response": response,
        });
        if let Some(status) = self.status_after.as_deref() {
            v["provider_status"] = json!(status);
        }
        v
    }
}

impl ScenarioState {
    /// Applies one of its own events (the index it carries is not read): the reducer of
    /// [`RunState::apply`], for a scenario reduced on its own (a run on several threads
    /// reduces each scenario where it ran, then [`RunState::put`]s it in its place).
    pub fn apply(&mut self, event: EngineEvent) {
        self.apply_ref(&event);
    }

    /// [`apply`](Self::apply) of an event the caller keeps (a sim replay hands its events
    /// to the run's observer after reducing them): only what the state keeps is copied —
    /// `Arc`s of the requests and answers, a scenario's or a delivery's words — not the
    /// whole event.
    pub fn apply_ref(&mut self, event: &EngineEvent) {
        match event {
            EngineEvent::ScenarioStarted {
                scenario: _,
                name,
                file,
            } => {
                self.name.clone_from(name);
                self.file.clone_from(file);
            }
            EngineEvent::DeliveryCreated {
                scenario: _,
                delivery,
                event_type,
            } => {
                self.delivery_mut(*delivery)
                    .event_type
                    .clone_from(event_type);
            }
            EngineEvent::AttemptStarted {
                scenario: _,
                delivery,
                n,
                at,
                request,
            } => {
                let a = self.attempt_mut(*delivery, *n);
                a.started = *at;
                a.sent = Some(Arc::clone(request));
            }
            EngineEvent::RequestReceived {
                tag, at, request, ..
            } => {
                if let Some(tag) = tag {
                    let n = match tag.attempt {
                        // Live: the latest attempt the sender started for this delivery.
                        0 => self.delivery_mut(tag.delivery).attempts.len().max(1) as u32,
                        n => n,
                    };
                    let a = self.attempt_mut(tag.delivery, n);
                    if a.arrived.is_none() {
                        a.arrived = Some(*at);
                    }
                    a.received.push(Arc::clone(request));
                }
            }
            EngineEvent::AttemptFinished {
                scenario: _,
                delivery,
                n,
                result,
                response,
                latency,
                requests,
            } => {
                let a = self.attempt_mut(*delivery, *n);
                a.result = Some(*result);
                a.response.clone_from(response);
                a.latency = Some(*latency);
                a.requests = *requests;
            }
            EngineEvent::RetryScheduled {
                scenario: _,
                delivery,
                n,
                wait,
            } => {
                self.attempt_mut(*delivery, *n).wait_after = Some(*wait);
            }
            EngineEvent::DeliveryStatus {
                scenario: _,
                delivery,
                after,
                status,
            } => {
                self.attempt_mut(*delivery, *after).status_after =
                    Some(std::borrow::Cow::Borrowed(*status));
            }
            EngineEvent::SecretGenerated {
                scenario: _,
                secret,
            } => {
                self.generated_secret = Some(secret.clone());
            }
            EngineEvent::DeliveryFinished {
                scenario: _,
                delivery,
                outcome,
                reason,
            } => {
                let d = self.delivery_mut(*delivery);
                d.outcome = Some(*outcome);
                d.reason.clone_from(reason);
            }
            EngineEvent::ScenarioTimed {
                scenario: _,
                timing,
            } => {
                self.timing = Some(timing.clone());
            }
            EngineEvent::ScenarioSkipped {
                scenario: _,
                name,
                file,
                reason,
            } => {
                self.name.clone_from(name);
                self.file.clone_from(file);
                self.skipped = Some(reason.clone());
            }
            EngineEvent::ScenarioInterrupted {
                scenario: _,
                name,
                file,
            } => {
                self.name.clone_from(name);
                self.file.clone_from(file);
                self.interrupted = true;
            }
            EngineEvent::TriggerFinished {
                scenario: _,
                outcome,
            } => {
                self.trigger = Some(outcome.clone());
            }
            EngineEvent::ScenarioChecked {
                scenario: _,
                failures,
            } => {
                self.failures.clone_from(failures);
                self.checked = true;
            }
        }
    }

    /// Room made in each delivery's attempt list for as many attempts as `events` start
    /// in it, before they are applied: each list is allocated once at its size, not grown
    /// (and its attempts copied) as they arrive. The state the events then make is the
    /// same; a delivery no event starts an attempt in gets no room.
    pub fn reserve_attempts(&mut self, events: &[EngineEvent]) {
        let mut most: Vec<u32> = Vec::new();
        for e in events {
            if let EngineEvent::AttemptStarted { delivery, n, .. } = e {
                if most.len() <= *delivery {
                    most.resize(*delivery + 1, 0);
                }
                most[*delivery] = most[*delivery].max(*n);
            }
        }
        for (d, &n) in most.iter().enumerate() {
            if n > 0 {
                let attempts = &mut self.delivery_mut(d).attempts;
                attempts.reserve_exact((n as usize).saturating_sub(attempts.len()));
            }
        }
    }

    fn delivery_mut(&mut self, d: usize) -> &mut DeliveryState {
        if self.deliveries.len() <= d {
            self.deliveries.resize_with(d + 1, Default::default);
        }
        &mut self.deliveries[d]
    }

    fn attempt_mut(&mut self, d: usize, n: u32) -> &mut AttemptState {
        let del = self.delivery_mut(d);
        let idx = n.max(1) as usize - 1;
        while del.attempts.len() <= idx {
            let n = del.attempts.len() as u32 + 1;
            del.attempts.push(AttemptState {
                n,
                ..Default::default()
            });
        }
        &mut del.attempts[idx]
    }
}

impl RunState {
    /// Applies one event.
    pub fn apply(&mut self, event: EngineEvent) {
        // An untagged request changes nothing, not even the number of scenarios.
        if let EngineEvent::RequestReceived { tag: None, .. } = event {
            return;
        }
        self.scenario_mut(event.scenario()).apply(event);
    }

    /// Puts scenario `i`'s state, reduced elsewhere from its events
    /// ([`ScenarioState::apply`]): what applying them here would have made.
    pub fn put(&mut self, i: usize, state: ScenarioState) {
        *self.scenario_mut(i) = state;
    }

    /// Scenarios that passed.
    pub fn passed(&self) -> usize {
        self.scenarios.iter().filter(|s| s.passed()).count()
    }

    /// Scenarios that failed (skipped and interrupted ones did not).
    pub fn failed(&self) -> usize {
        self.scenarios.iter().filter(|s| s.failed()).count()
    }

    /// Scenarios skipped for a reason their files give.
    pub fn skipped(&self) -> usize {
        self.scenarios
            .iter()
            .filter(|s| s.skipped.is_some())
            .count()
    }

    /// Scenarios an interruption left unfinished.
    pub fn interrupted(&self) -> usize {
        self.scenarios.iter().filter(|s| s.interrupted).count()
    }

    fn scenario_mut(&mut self, i: usize) -> &mut ScenarioState {
        if self.scenarios.len() <= i {
            self.scenarios.resize_with(i + 1, Default::default);
        }
        &mut self.scenarios[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EngineEvent;
    use crate::runner::{RunOptions, run_scenario_sim};
    use crate::scenario::load::parse_str;

    /// The engine events of a sim replay of scenarios that retry, give up, filter, generate
    /// a secret and name a pending status, with the run's last event (its checks) and the
    /// events only live runs send.
    fn replay_events() -> Vec<Vec<EngineEvent>> {
        let text = r#"
scenarios:
  - name: perfectparser retries then is delivered
    profile: perfectparser
    endpoint: { secret: pp_secret, static_secret: static-1 }
    events:
      - type: batch.failed
      - type: batch.completed
    receiver:
      - respond: 503
      - respond: 500
        headers: { Retry-After: "7" }
      - respond: 200
  - name: standard-webhooks gives up at a 410 with a generated secret
    profile: standard-webhooks
    events:
      - type: user.created
    receiver:
      - respond: 410
"#;
        let scenarios = parse_str(std::path::Path::new("reduce.yaml"), text).unwrap();
        scenarios
            .iter()
            .enumerate()
            .map(|(i, (s, _))| {
                let mut events = run_scenario_sim(i, s, &RunOptions::default());
                events.push(EngineEvent::ScenarioTimed {
                    scenario: i,
                    timing: LiveTiming {
                        scale: 2.0,
                        auto: true,
                        wall_start: Duration::from_secs(9),
                        narrowest: Some((Duration::from_millis(3), "two attempts".into())),
                    },
                });
                events.push(EngineEvent::ScenarioChecked {
                    scenario: i,
                    failures: Vec::new(),
                });
                events
            })
            .collect()
    }

    #[test]
    fn an_attempts_received_requests_keep_their_order_the_first_kept_in_place() {
        let req = |path: &str| {
            Arc::new(RequestRecord {
                method: "POST".into(),
                path: path.into(),
                headers: Vec::new(),
                body: Default::default(),
            })
        };
        let mut received = Received::default();
        assert!(received.is_empty());
        assert_eq!(received.first(), None);
        for p in ["/a", "/b", "/c"] {
            received.push(req(p));
        }
        let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/a", "/b", "/c"]);
        assert_eq!(received.len(), 3);
        assert_eq!(received.first().map(|r| r.path.as_str()), Some("/a"));
        let collected: Received = [req("/a"), req("/b"), req("/c")].into_iter().collect();
        assert_eq!(collected, received);
        let mut one = Received::default();
        one.push(req("/only"));
        assert_eq!(one.len(), 1);
        assert!(
            one.more.capacity() == 0,
            "one request takes no list of its own"
        );
    }

    #[test]
    fn reducing_events_by_reference_gives_the_state_reducing_them_by_value_gives() {
        for events in replay_events() {
            // Arrange
            assert!(events.len() > 5, "{events:?}");
            let mut by_value = ScenarioState::default();
            let mut by_ref = ScenarioState::default();

            // Act
            for e in &events {
                by_value.apply(e.clone());
                by_ref.apply_ref(e);
            }

            // Assert
            assert_eq!(format!("{by_ref:?}"), format!("{by_value:?}"));
            assert!(by_ref.deliveries.iter().all(|d| d.outcome.is_some()));
        }
    }

    #[test]
    fn room_reserved_for_the_attempts_leaves_the_state_the_events_make_unchanged_and_allocates_each_list_once()
     {
        let mut longest = 0;
        for events in replay_events() {
            // Arrange
            let mut plain = ScenarioState::default();
            let mut reserved = ScenarioState::default();

            // Act
            reserved.reserve_attempts(&events);
            let capacities: Vec<usize> = reserved
                .deliveries
                .iter()
                .map(|d| d.attempts.capacity())
                .collect();
            for e in &events {
                plain.apply_ref(e);
                reserved.apply_ref(e);
            }

            // Assert: the same state, each attempt list at its final size from the start.
            assert_eq!(format!("{reserved:?}"), format!("{plain:?}"));
            let lengths: Vec<usize> = reserved
                .deliveries
                .iter()
                .map(|d| d.attempts.len())
                .collect();
            assert_eq!(capacities, lengths);
            longest = lengths.into_iter().fold(longest, usize::max);
        }
        assert!(longest > 1, "a delivery retried");
    }
}
