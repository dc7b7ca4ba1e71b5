//! The live views: engine events arrive over a channel while the screen is open.
//!
//! A [`Feed`] buffers what arrives and, unless the view is paused, applies it to a
//! [`Reduce`]r: [`RunFeed`] for `tui --live` (the engine's own reducer,
//! [`RunState::apply`]) or [`Requests`](super::receive::Requests) for `receive --tui`.
//! The event loop rebuilds the [`Model`] from the reducer after each tick that applied
//! something; the view never computes results itself.

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, error::TryRecvError};

use super::model::Model;
use crate::events::EngineEvent;
use crate::run_state::RunState;
use crate::runner::RunOptions;
use crate::runner::live::{LiveOptions, plan, run_live};
use crate::runner::scale::TimeScale;
use crate::scenario::Scenario;

/// Something that folds a live view's messages into a state and builds the model of it.
pub trait Reduce {
    /// What arrives over the channel.
    type Msg: Send + 'static;
    /// Folds one message in.
    fn apply(&mut self, msg: Self::Msg);
    /// Whether the message counts as an engine event in the status bar.
    fn counts(msg: &Self::Msg) -> bool;
    /// The view-model of the state so far.
    fn model(&self) -> Model;
}

/// A live view's channel, its buffer and its reducer.
pub struct Feed<R: Reduce> {
    /// The state built so far.
    pub reducer: R,
    rx: UnboundedReceiver<R::Msg>,
    waiting: VecDeque<R::Msg>,
    applied: usize,
    closed: bool,
    worker: Option<JoinHandle<Result<(), String>>>,
    error: Option<String>,
}

impl<R: Reduce> Feed<R> {
    /// A feed reading `rx` into `reducer`; `worker`, when given, is the thread producing
    /// the messages (its error, if any, is reported once the channel closes).
    pub fn new(
        reducer: R,
        rx: UnboundedReceiver<R::Msg>,
        worker: Option<JoinHandle<Result<(), String>>>,
    ) -> Self {
        Feed {
            reducer,
            rx,
            waiting: VecDeque::new(),
            applied: 0,
            closed: false,
            worker,
            error: None,
        }
    }

    /// Moves everything that arrived into the buffer and, unless `paused`, applies the
    /// buffer. Returns whether the state changed.
    pub fn tick(&mut self, paused: bool) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(m) => self.waiting.push_back(m),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.closed = true;
                    break;
                }
            }
        }
        if self.closed
            && let Some(w) = self.worker.take()
        {
            self.error = match w.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(_) => Some("the run panicked".into()),
            };
        }
        if paused || self.waiting.is_empty() {
            return false;
        }
        for m in self.waiting.drain(..) {
            if R::counts(&m) {
                self.applied += 1;
            }
            self.reducer.apply(m);
        }
        true
    }

    /// Engine events applied so far.
    pub fn applied(&self) -> usize {
        self.applied
    }

    /// Engine events buffered while paused.
    pub fn waiting(&self) -> usize {
        self.waiting.iter().filter(|m| R::counts(m)).count()
    }

    /// Whether nothing more will arrive and everything is applied.
    pub fn done(&self) -> bool {
        self.closed && self.waiting.is_empty()
    }

    /// Why the producer failed, once it has.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// What the live run's thread sends: the engine's events (each scenario's clock — its
/// time scale and wall-clock start, to judge signatures at the time they were made —
/// arrives as one of them).
#[derive(Debug, Clone)]
pub enum RunMsg {
    /// An engine event, as `run_live` applied it.
    Event(EngineEvent),
}

/// `tui --live`: the run state reduced from the engine's events as they arrive.
#[derive(Debug, Clone)]
pub struct RunFeed {
    /// Shown in the title bar.
    pub label: String,
    /// The scenarios being run, in run order.
    pub scenarios: Arc<Vec<Scenario>>,
    /// The state so far.
    pub state: RunState,
}

impl RunFeed {
    /// An empty state for a run of `scenarios`.
    pub fn new(label: impl Into<String>, scenarios: Arc<Vec<Scenario>>) -> Self {
        RunFeed {
            label: label.into(),
            scenarios,
            state: RunState::default(),
        }
    }
}

impl Reduce for RunFeed {
    type Msg = RunMsg;

    fn apply(&mut self, msg: RunMsg) {
        match msg {
            RunMsg::Event(e) => self.state.apply(e),
        }
    }

    fn counts(msg: &RunMsg) -> bool {
        matches!(msg, RunMsg::Event(_))
    }

    fn model(&self) -> Model {
        // Each live scenario carries its clock; before it arrives, offsets are judged as
        // if zero were the Unix epoch (no signature verifies then: nothing is claimed).
        let wall_of = |i: usize, at: Duration| match self.state.scenarios.get(i) {
            Some(s) => s.wall_of(Duration::ZERO, at),
            None => at,
        };
        Model::from_run_with(self.label.clone(), &self.state, &self.scenarios, &wall_of)
    }
}

/// Starts `run_live` on a thread of its own; every event it applies comes over the feed.
/// Scenarios run side by side as in `hookrig run --live`.
pub fn start_run(
    label: &str,
    scenarios: Arc<Vec<Scenario>>,
    seed: u64,
    scale: TimeScale,
) -> Feed<RunFeed> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let run = Arc::clone(&scenarios);
    let worker = std::thread::spawn(move || {
        let opts = RunOptions { seed };
        let plans = plan(&run, &opts, scale);
        let live = LiveOptions {
            scale,
            ..LiveOptions::default()
        };
        run_live(&run, &plans, &opts, &live, |e| {
            let _ = tx.send(RunMsg::Event(e.clone()));
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
    });
    Feed::new(RunFeed::new(label, scenarios), rx, Some(worker))
}
