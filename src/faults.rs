//! Fault plans: what the mock receiver answers, attempt by attempt.
//!
//! A plan is a list of [`Step`]s. Each delivery has its own counter: its k-th request gets
//! the k-th step that applies to its event type (steps without `when` apply to all), and
//! the last applicable step repeats. A step's [`Action`] is an HTTP answer — with its own
//! delay, as wiremock's response templates carry theirs, and optionally a body dribbled
//! in pieces — or a [`Fault`]: no answer at all, or one below HTTP. The receiver records
//! what it did with each request as an [`Answer`]. Scenarios and fault files are loaded
//! into these types (`scenario`), the receiver acts them out (`receiver`), and the
//! in-process transport turns the faults into what a sender sees (`sender`). A leaf: it
//! imports nothing of ours.

use std::time::Duration;

/// What the receiver does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer with this status (after an optional delay).
    Respond {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: String,
        /// Response headers.
        headers: Vec<(String, String)>,
        /// Delay before the answer.
        after: Duration,
        /// Live only: the body sent in pieces over time instead of at once.
        dribble: Option<Dribble>,
    },
    /// No HTTP answer.
    Fault(Fault),
}

/// A receiver that does not answer in HTTP: the sender sees a timeout or a connection
/// error. The live server acts these out on the socket; the in-process transport turns
/// them into the error a socket would give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Never answer.
    Hang,
    /// Close the connection without answering.
    Drop,
    /// Live only: reset the connection (TCP RST) without answering.
    Reset,
    /// Live only: answer with garbage bytes that are not HTTP, then close.
    Malformed,
    /// Live only: stop reading the connection and never answer.
    Stall,
}

impl Fault {
    /// `hang`, `drop`, `reset`, `malformed` or `stall`, as scenarios write it.
    pub fn label(self) -> &'static str {
        match self {
            Fault::Hang => "hang",
            Fault::Drop => "drop",
            Fault::Reset => "reset",
            Fault::Malformed => "malformed",
            Fault::Stall => "stall",
        }
    }
}

/// A slow body: sent in `chunks` pieces spread over `over`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dribble {
    /// Number of pieces.
    pub chunks: u32,
    /// Time over which they are sent.
    pub over: Duration,
}

/// What the receiver answered one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP answer (also a dribbled one, and a 400 for a malformed body).
    Status(u16),
    /// 413: the body was over the receiver's limit.
    TooLarge,
    /// No HTTP answer.
    Fault(Fault),
}

impl Answer {
    /// `503`, `hang`, `drop`, `reset`, `malformed`, `stall` or `413 (too large)`.
    pub fn label(&self) -> String {
        match self {
            Answer::Status(s) => s.to_string(),
            Answer::TooLarge => "413 (too large)".into(),
            Answer::Fault(f) => f.label().into(),
        }
    }
}

impl Action {
    /// A plain `respond: STATUS`.
    pub fn status(status: u16) -> Self {
        Action::Respond {
            status,
            body: String::new(),
            headers: Vec::new(),
            after: Duration::ZERO,
            dribble: None,
        }
    }

    /// What the receiver answers when it takes this action.
    pub fn answer(&self) -> Answer {
        match self {
            Action::Respond { status, .. } => Answer::Status(*status),
            Action::Fault(f) => Answer::Fault(*f),
        }
    }
}

/// A fault plan for one path (and optionally one method).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Exact request path.
    pub path: String,
    /// Method, or any when `None`.
    pub method: Option<String>,
    /// The answers for requests to it.
    pub plan: FaultPlan,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Only for deliveries of this event type (`when: {event: TYPE}`).
    pub when_event: Option<String>,
    /// What to do.
    pub action: Action,
}

/// The receiver's answers, one step per attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    steps: Vec<Step>,
}

impl Default for FaultPlan {
    /// `[respond: 200]`.
    fn default() -> Self {
        Self {
            steps: vec![Step {
                when_event: None,
                action: Action::status(200),
            }],
        }
    }
}

impl FaultPlan {
    /// A plan of these steps; an empty list means the default (`respond: 200`).
    pub fn new(steps: Vec<Step>) -> Self {
        if steps.is_empty() {
            Self::default()
        } else {
            Self { steps }
        }
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The action for the `index`-th (0-based) request of a delivery of `event_type`.
    /// A delivery whose type no step applies to gets `200`.
    pub fn action_for(&self, event_type: Option<&str>, index: usize) -> Action {
        let applicable = self
            .steps
            .iter()
            .filter(|s| match (&s.when_event, event_type) {
                (None, _) => true,
                (Some(w), Some(t)) => w == t,
                (Some(_), None) => false,
            });
        let mut last = None;
        for (i, step) in applicable.enumerate() {
            if i == index {
                return step.action.clone();
            }
            last = Some(step);
        }
        last.map_or_else(|| Action::status(200), |s| s.action.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(when: Option<&str>, status: u16) -> Step {
        Step {
            when_event: when.map(str::to_owned),
            action: Action::status(status),
        }
    }

    #[test]
    fn the_last_step_repeats() {
        let plan = FaultPlan::new(vec![step(None, 503), step(None, 200)]);
        assert_eq!(plan.action_for(None, 0), Action::status(503));
        assert_eq!(plan.action_for(None, 1), Action::status(200));
        assert_eq!(plan.action_for(None, 7), Action::status(200));
    }

    #[test]
    fn scoped_steps_only_count_for_their_event() {
        let plan = FaultPlan::new(vec![
            step(Some("a"), 500),
            step(Some("b"), 404),
            step(None, 200),
        ]);
        assert_eq!(plan.action_for(Some("a"), 0), Action::status(500));
        assert_eq!(plan.action_for(Some("a"), 1), Action::status(200));
        assert_eq!(plan.action_for(Some("b"), 0), Action::status(404));
        assert_eq!(plan.action_for(Some("c"), 0), Action::status(200));
    }
}
