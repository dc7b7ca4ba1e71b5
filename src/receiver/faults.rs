//! Fault plans: what the mock receiver answers, attempt by attempt.
//!
//! A plan is a list of [`Step`]s. Each delivery has its own counter: its k-th request gets
//! the k-th step that applies to its event type (steps without `when` apply to all), and
//! the last applicable step repeats. A step carries its own delay, as wiremock's response
//! templates do.

use std::time::Duration;

/// What one step does with a request.
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
    },
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
    /// Answer with this status, the body sent in `chunks` pieces spread over `over`.
    Dribble {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: String,
        /// Number of pieces.
        chunks: u32,
        /// Time over which the pieces are sent.
        over: Duration,
    },
}

impl Action {
    /// Whether the action is a connection-level fault that only a real socket can produce.
    pub fn live_only(&self) -> bool {
        matches!(
            self,
            Action::Reset | Action::Malformed | Action::Stall | Action::Dribble { .. }
        )
    }

    /// A plain `respond: STATUS`.
    pub fn status(status: u16) -> Self {
        Action::Respond {
            status,
            body: String::new(),
            headers: Vec::new(),
            after: Duration::ZERO,
        }
    }

    /// A short label: `503`, `200 after 2s`, `hang`, `drop`.
    pub fn label(&self) -> String {
        match self {
            Action::Respond { status, after, .. } if after.is_zero() => status.to_string(),
            Action::Respond { status, after, .. } => {
                format!("{status} after {}", humantime::format_duration(*after))
            }
            Action::Hang => "hang".into(),
            Action::Drop => "drop".into(),
            Action::Reset => "reset".into(),
            Action::Malformed => "malformed".into(),
            Action::Stall => "stall".into(),
            Action::Dribble {
                status,
                chunks,
                over,
                ..
            } => {
                format!(
                    "{status} dribbled in {chunks} chunks over {}",
                    humantime::format_duration(*over)
                )
            }
        }
    }
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
