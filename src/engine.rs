//! Engine events and the run state they reduce to.
//!
//! The sender and the receiver emit [`EngineEvent`]s into one channel; [`RunState::apply`]
//! is the one reducer that turns them into scenarios, deliveries and attempts. Every
//! report and the TUI read a [`RunState`]; none recomputes what the engine did.

use std::sync::Arc;
use std::time::Duration;

use crate::faults::Answer;
use crate::record::{DeliveryTag, RequestRecord, ResponseRecord};
use crate::retry::AttemptResult;

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Some attempt got a 2xx.
    Delivered,
    /// Every attempt failed with a retryable result.
    Exhausted,
    /// A non-retryable answer (or a disabled endpoint) ended it.
    GaveUp,
    /// The endpoint's event filter left it out: no attempts.
    Filtered,
}

impl Outcome {
    /// The name used in scenario files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Exhausted => "exhausted",
            Outcome::GaveUp => "gave_up",
            Outcome::Filtered => "filtered",
        }
    }
}

/// Something the engine did.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// A scenario began.
    ScenarioStarted {
        /// Index in the run.
        scenario: usize,
        /// Its name.
        name: String,
        /// Its file.
        file: String,
    },
    /// A delivery exists (before its first attempt, or filtered).
    DeliveryCreated {
        /// Scenario index.
        scenario: usize,
        /// Delivery index.
        delivery: usize,
        /// Event type.
        event_type: String,
    },
    /// The sender started an attempt.
    AttemptStarted {
        /// Scenario index.
        scenario: usize,
        /// Delivery index.
        delivery: usize,
        /// 1-based attempt number.
        n: u32,
        /// Start offset from the scenario start.
        at: Duration,
        /// The request as built.
        request: Arc<RequestRecord>,
    },
    /// The receiver got a request.
    RequestReceived {
        /// Scenario index.
        scenario: usize,
        /// Which attempt it belongs to, when known.
        tag: Option<DeliveryTag>,
        /// Arrival offset from the scenario start.
        at: Duration,
        /// What arrived.
        request: Arc<RequestRecord>,
        /// What the receiver answered.
        answer: Answer,
    },
    /// The sender finished an attempt.
    AttemptFinished {
        /// Scenario index.
        scenario: usize,
        /// Delivery index.
        delivery: usize,
        /// 1-based attempt number.
        n: u32,
        /// How it ended.
        result: AttemptResult,
        /// The final answer, if one came.
        response: Option<Arc<ResponseRecord>>,
        /// Start to end.
        latency: Duration,
        /// Requests made (1 + redirect hops).
        requests: u32,
    },
    /// The sender will wait before the next attempt.
    RetryScheduled {
        /// Scenario index.
        scenario: usize,
        /// Delivery index.
        delivery: usize,
        /// The attempt that failed.
        n: u32,
        /// The wait.
        wait: Duration,
    },
    /// The provider's own status word for a delivery waiting to retry (PerfectParser's
    /// `pending_retry`), for profiles that name one.
    DeliveryStatus {
        /// Scenario index.
        scenario: usize,
        /// Delivery index.
        delivery: usize,
        /// The attempt after which the delivery has this status.
        after: u32,
        /// The word.
        status: &'static str,
    },
    /// The run generated the endpoint's secret (a provider that signs every delivery,
    /// no secret given); reports and the journal show it.
    SecretGenerated {
        /// Scenario index.
        scenario: usize,
        /// The secret.
        secret: String,
    },
    /// A delivery ended.
    DeliveryFinished {
        /// Scenario index.
        scenario: usize,
        /// Delivery index.
        delivery: usize,
        /// Its outcome.
        outcome: Outcome,
        /// Why, in words (for gave_up and exhausted).
        reason: Option<String>,
    },
    /// A live scenario's clock: the time scale it runs at and the wall-clock time of its
    /// offset zero. Sim scenarios have none (their clock is the sim epoch).
    ScenarioTimed {
        /// Scenario index.
        scenario: usize,
        /// How it is timed.
        timing: LiveTiming,
    },
    /// A scenario was not run, for a reason its file gives (`live: {skip: …}`).
    ScenarioSkipped {
        /// Scenario index.
        scenario: usize,
        /// Its name.
        name: String,
        /// Its file.
        file: String,
        /// Why, in the file's words.
        reason: String,
    },
    /// The run was interrupted (SIGINT, SIGTERM) before the scenario's checks were
    /// evaluated.
    ScenarioInterrupted {
        /// Scenario index.
        scenario: usize,
        /// Its name.
        name: String,
        /// Its file.
        file: String,
    },
    /// A scenario's checks were evaluated.
    ScenarioChecked {
        /// Scenario index.
        scenario: usize,
        /// The failed checks.
        failures: Vec<Failure>,
    },
}

/// A failed check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// What was checked, e.g. `schedule` or `signature`.
    pub check: String,
    /// The event type (or index) the check was about, when the scenario has several.
    pub event: Option<String>,
    /// The 1-based attempt the check failed on, for checks on requests.
    pub attempt: Option<u32>,
    /// What the scenario expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

/// How a live scenario's offsets map to real time.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveTiming {
    /// Real time = scenario time × `scale`.
    pub scale: f64,
    /// Whether `scale` was chosen from the scenario's margins (`--time-scale auto`).
    pub auto: bool,
    /// Wall-clock time (since the Unix epoch) of the scenario's offset zero.
    pub wall_start: Duration,
    /// The narrowest timing margin at `scale`, in real time, and what it lies between.
    pub narrowest: Option<(Duration, String)>,
}

impl LiveTiming {
    /// The wall-clock time of scenario offset `at`.
    pub fn wall_of(&self, at: Duration) -> Duration {
        self.wall_start + at.mul_f64(self.scale)
    }
}

/// The run so far.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    /// Scenarios in run order.
    pub scenarios: Vec<ScenarioState>,
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
}

impl ScenarioState {
    /// Checked with no failure.
    pub fn passed(&self) -> bool {
        self.checked && self.failures.is_empty()
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
    pub received: Vec<Arc<RequestRecord>>,
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
    /// The provider's status word for the delivery after this attempt (`pending_retry`).
    pub status_after: Option<String>,
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
}

impl RunState {
    /// Applies one event.
    pub fn apply(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::ScenarioStarted {
                scenario,
                name,
                file,
            } => {
                let s = self.scenario_mut(scenario);
                s.name = name;
                s.file = file;
            }
            EngineEvent::DeliveryCreated {
                scenario,
                delivery,
                event_type,
            } => {
                self.delivery_mut(scenario, delivery).event_type = event_type;
            }
            EngineEvent::AttemptStarted {
                scenario,
                delivery,
                n,
                at,
                request,
            } => {
                let a = self.attempt_mut(scenario, delivery, n);
                a.started = at;
                a.sent = Some(request);
            }
            EngineEvent::RequestReceived {
                scenario,
                tag,
                at,
                request,
                ..
            } => {
                if let Some(tag) = tag {
                    let n = match tag.attempt {
                        // Live: the latest attempt the sender started for this delivery.
                        0 => self
                            .delivery_mut(scenario, tag.delivery)
                            .attempts
                            .len()
                            .max(1) as u32,
                        n => n,
                    };
                    let a = self.attempt_mut(scenario, tag.delivery, n);
                    if a.arrived.is_none() {
                        a.arrived = Some(at);
                    }
                    a.received.push(request);
                }
            }
            EngineEvent::AttemptFinished {
                scenario,
                delivery,
                n,
                result,
                response,
                latency,
                requests,
            } => {
                let a = self.attempt_mut(scenario, delivery, n);
                a.result = Some(result);
                a.response = response;
                a.latency = Some(latency);
                a.requests = requests;
            }
            EngineEvent::RetryScheduled {
                scenario,
                delivery,
                n,
                wait,
            } => {
                self.attempt_mut(scenario, delivery, n).wait_after = Some(wait);
            }
            EngineEvent::DeliveryStatus {
                scenario,
                delivery,
                after,
                status,
            } => {
                self.attempt_mut(scenario, delivery, after).status_after = Some(status.to_owned());
            }
            EngineEvent::SecretGenerated { scenario, secret } => {
                self.scenario_mut(scenario).generated_secret = Some(secret);
            }
            EngineEvent::DeliveryFinished {
                scenario,
                delivery,
                outcome,
                reason,
            } => {
                let d = self.delivery_mut(scenario, delivery);
                d.outcome = Some(outcome);
                d.reason = reason;
            }
            EngineEvent::ScenarioTimed { scenario, timing } => {
                self.scenario_mut(scenario).timing = Some(timing);
            }
            EngineEvent::ScenarioSkipped {
                scenario,
                name,
                file,
                reason,
            } => {
                let s = self.scenario_mut(scenario);
                s.name = name;
                s.file = file;
                s.skipped = Some(reason);
            }
            EngineEvent::ScenarioInterrupted {
                scenario,
                name,
                file,
            } => {
                let s = self.scenario_mut(scenario);
                s.name = name;
                s.file = file;
                s.interrupted = true;
            }
            EngineEvent::ScenarioChecked { scenario, failures } => {
                let s = self.scenario_mut(scenario);
                s.failures = failures;
                s.checked = true;
            }
        }
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

    fn delivery_mut(&mut self, s: usize, d: usize) -> &mut DeliveryState {
        let sc = self.scenario_mut(s);
        if sc.deliveries.len() <= d {
            sc.deliveries.resize_with(d + 1, Default::default);
        }
        &mut sc.deliveries[d]
    }

    fn attempt_mut(&mut self, s: usize, d: usize, n: u32) -> &mut AttemptState {
        let del = self.delivery_mut(s, d);
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
