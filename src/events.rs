//! Engine events: what the sender, the receiver and the runner did, in the order they
//! did it.
//!
//! The sender and the receiver emit [`EngineEvent`]s into one channel as they act; the
//! runner adds a scenario's start, timing, skip and check results.
//! [`RunState::apply`](crate::run_state::RunState::apply) is the one reducer that turns
//! them into scenarios, deliveries and attempts.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::faults::Answer;
use crate::record::{DeliveryTag, RequestRecord, ResponseRecord};
use crate::retry::AttemptResult;

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// Where the sender and the receiver put their [`EngineEvent`]s, in the order they act.
#[derive(Debug, Clone)]
pub enum EventSink {
    /// A channel read while the run goes on (live runs, storms, the TUI).
    Channel(UnboundedSender<EngineEvent>),
    /// A list the events are appended to, read once every sender is done: a sim run,
    /// which reads its events only at its end, so they are written once in order (not
    /// copied into a channel's blocks, then out of them, with its bookkeeping on each).
    Collected(Arc<Mutex<Vec<EngineEvent>>>),
}

impl EventSink {
    /// A list sized for `capacity` events to start with ([`EventSink::Collected`]).
    pub fn collected(capacity: usize) -> Self {
        EventSink::Collected(Arc::new(Mutex::new(Vec::with_capacity(capacity))))
    }

    /// Puts `e` after the events sent before it (dropped when the channel's reader is gone).
    pub fn send(&self, e: EngineEvent) {
        match self {
            EventSink::Channel(tx) => {
                let _ = tx.send(e);
            }
            EventSink::Collected(list) => {
                list.lock().unwrap_or_else(PoisonError::into_inner).push(e)
            }
        }
    }

    /// The events collected so far, in the order they were sent, taken out of the list
    /// (none for a channel, whose reader takes them).
    pub fn take(&self) -> Vec<EngineEvent> {
        match self {
            EventSink::Channel(_) => Vec::new(),
            EventSink::Collected(list) => {
                std::mem::take(&mut *list.lock().unwrap_or_else(PoisonError::into_inner))
            }
        }
    }
}

impl From<UnboundedSender<EngineEvent>> for EventSink {
    fn from(tx: UnboundedSender<EngineEvent>) -> Self {
        EventSink::Channel(tx)
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
    /// An external sender's trigger ended (or was stopped when the scenario ended).
    TriggerFinished {
        /// Scenario index.
        scenario: usize,
        /// What it did.
        outcome: crate::trigger::Outcome,
    },
    /// A scenario's checks were evaluated.
    ScenarioChecked {
        /// Scenario index.
        scenario: usize,
        /// The failed checks.
        failures: Vec<Failure>,
    },
}

impl EngineEvent {
    /// The index of the scenario it is about.
    pub fn scenario(&self) -> usize {
        match self {
            Self::ScenarioStarted { scenario, .. }
            | Self::DeliveryCreated { scenario, .. }
            | Self::AttemptStarted { scenario, .. }
            | Self::RequestReceived { scenario, .. }
            | Self::AttemptFinished { scenario, .. }
            | Self::RetryScheduled { scenario, .. }
            | Self::DeliveryStatus { scenario, .. }
            | Self::SecretGenerated { scenario, .. }
            | Self::DeliveryFinished { scenario, .. }
            | Self::ScenarioTimed { scenario, .. }
            | Self::ScenarioSkipped { scenario, .. }
            | Self::ScenarioInterrupted { scenario, .. }
            | Self::TriggerFinished { scenario, .. }
            | Self::ScenarioChecked { scenario, .. } => *scenario,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn created(delivery: usize) -> EngineEvent {
        EngineEvent::DeliveryCreated {
            scenario: 0,
            delivery,
            event_type: "user.created".into(),
        }
    }

    #[test]
    fn a_collected_sink_gives_back_what_every_clone_sent_in_the_order_it_was_sent_once() {
        // Arrange
        let sink = EventSink::collected(1);
        let clone = sink.clone();

        // Act
        sink.send(created(0));
        clone.send(created(1));
        sink.send(created(2));
        let first = clone.take();
        let second = sink.take();

        // Assert
        let deliveries: Vec<usize> = first
            .iter()
            .map(|e| match e {
                EngineEvent::DeliveryCreated { delivery, .. } => *delivery,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(deliveries, [0, 1, 2]);
        assert!(second.is_empty(), "{second:?}");
    }

    #[test]
    fn a_channel_sink_passes_events_to_its_reader_and_keeps_none() {
        // Arrange
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sink = EventSink::from(tx);

        // Act
        sink.send(created(7));

        // Assert
        assert!(matches!(
            rx.try_recv(),
            Ok(EngineEvent::DeliveryCreated { delivery: 7, .. })
        ));
        assert!(sink.take().is_empty());
    }
}
