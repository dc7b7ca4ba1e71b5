//! Scenarios: YAML files that drive the sender against the receiver and say what must
//! happen.
//!
//! `raw.rs` holds the serde types exactly as written in a file; `load/` reads files and
//! folders and turns raw scenarios into validated [`Scenario`]s, reporting every problem
//! as an [`InputError`] with file, line and column; `expect.rs` evaluates a scenario's
//! checks against what the engine recorded; `sender.rs` reads `sender:`, a sender
//! hookrig did not write.

pub mod expect;
pub mod load;
pub mod raw;
pub mod sender;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::events::Outcome;
use crate::faults::FaultPlan;
use crate::profile::{Endpoint, Profile};

pub use load::{Loaded, load_paths, load_paths_on};
pub use sender::ExternalSender;

/// Bad input: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// What is wrong, and the valid choices where there are some.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// One event of a scenario.
#[derive(Debug, Clone)]
pub struct ScenarioEvent {
    /// Event type.
    pub event_type: String,
    /// Data as given; `None` = generated from the catalogue.
    pub data: Option<Value>,
    /// Offset of its first attempt from the scenario start.
    pub at: Duration,
}

/// What a signature check must conclude.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureExpect {
    /// Verifies.
    Valid,
    /// Present but does not verify.
    Invalid,
    /// No signature header.
    Absent,
}

/// Which schema a body must satisfy.
#[derive(Debug, Clone)]
pub enum SchemaRef {
    /// The profile's schema for the delivery's event type.
    Event,
    /// A schema loaded from a file.
    File {
        /// Where it came from.
        path: PathBuf,
        /// The schema.
        schema: Arc<Value>,
    },
}

/// Checks on one delivery.
#[derive(Debug, Clone, Default)]
pub struct Expectation {
    /// The delivery (event index) it is about.
    pub delivery: usize,
    /// How the scenario named it (for messages), when it has several events.
    pub label: Option<String>,
    /// Expected outcome.
    pub outcome: Option<Outcome>,
    /// Expected number of attempts.
    pub attempts: Option<u32>,
    /// Expected attempt start offsets from the first attempt.
    pub schedule: Option<Vec<Duration>>,
    /// Allowed schedule error.
    pub tolerance: Duration,
    /// Allowed schedule error as a percentage of each expected offset (for jittered
    /// profiles); the larger of the two applies.
    pub tolerance_percent: u32,
    /// Whether the scenario gave `tolerance` (live mode has a default of its own).
    pub tolerance_given: bool,
    /// Whether the tolerance holds each attempt's offset from the attempt before it rather
    /// than from the first (live mode: every attempt adds the real latency of a round
    /// trip, which would otherwise add up along a long schedule).
    pub stepwise: bool,
    /// What a live run's real clock adds to a percentage tolerance, in scenario time (zero
    /// in sim mode): a jittered wait may use all of its percentage, and the real round
    /// trip and timer come on top of it.
    pub slack: Duration,
    /// Header names that must be on every request.
    pub headers_present: Vec<String>,
    /// Header names that must not be.
    pub headers_absent: Vec<String>,
    /// Exact header values.
    pub headers_equal: Vec<(String, String)>,
    /// Signature verdict on every request.
    pub signature: Option<SignatureExpect>,
    /// Schema every body must satisfy.
    pub schema: Option<SchemaRef>,
    /// Subset every body must contain.
    pub subset: Option<Value>,
    /// Every attempt's body must be byte for byte the first attempt's (the provider
    /// builds its payload once and re-sends it).
    pub identical: bool,
}

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name, unique in the run.
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// The profile (built-in or overridden).
    pub profile: Arc<Profile>,
    /// The endpoint.
    pub endpoint: Arc<Endpoint>,
    /// Events, one delivery each.
    pub events: Vec<ScenarioEvent>,
    /// The receiver's answers.
    pub receiver: FaultPlan,
    /// Checks.
    pub expect: Vec<Expectation>,
    /// Why the scenario cannot run live (`live: {skip: …}`): live runs skip it and report
    /// this reason; sim runs ignore it.
    pub live_skip: Option<String>,
    /// A sender hookrig did not write (`sender:`): the scenario then always runs live,
    /// against it.
    pub sender: Option<ExternalSender>,
}

impl Expectation {
    /// How far an attempt expected at `want` may be from it: the tolerance, or the
    /// percentage of `want` (plus the live slack), whichever is larger.
    pub fn allowed(&self, want: Duration) -> Duration {
        self.tolerance
            .max(want.mul_f64(f64::from(self.tolerance_percent) / 100.0) + self.slack)
    }

    /// Whether attempt `i` (0-based), `got[i]` from the first attempt, misses its
    /// expected offset `want[i]` — or, stepwise, whether its distance from the attempt
    /// before misses the expected distance (a percentage tolerance being of that expected
    /// offset or distance). `i` must be within both lists.
    pub fn misses(&self, got: &[Duration], want: &[Duration], i: usize) -> bool {
        let (g, w) = (got[i], want[i]);
        if self.stepwise && i > 0 {
            let (g, w) = (g.saturating_sub(got[i - 1]), w.saturating_sub(want[i - 1]));
            g.abs_diff(w) > self.allowed(w)
        } else {
            g.abs_diff(w) > self.allowed(w)
        }
    }

    /// The expectation as a live run checks it, `live` being the live tolerance in
    /// scenario time: never tighter than `live`, with `live` on top of a percentage (a
    /// jittered draw may use all of its percentage, and the real clock's noise comes on
    /// top), and stepwise (each attempt adds a real round trip, which would otherwise add
    /// up along a long schedule).
    pub fn for_live(&self, live: Duration) -> Expectation {
        Expectation {
            tolerance: self.tolerance.max(live),
            slack: live,
            stepwise: true,
            ..self.clone()
        }
    }
}

impl Scenario {
    /// The scenario as a run with `seed` plays it: when hookrig sends (no `sender:`), its
    /// provider signs every delivery and the endpoint gives no secret, with a secret generated from the seed and the
    /// scenario's name (the same seed, the same secret); `None` when nothing changes.
    pub fn for_run(&self, seed: u64) -> Option<Scenario> {
        // An external sender signs with its own secret: none is generated for it.
        if self.sender.is_some() {
            return None;
        }
        let mut rng = crate::rng::RunRng::derive(seed, &format!("{}/secret", self.name));
        let endpoint = self.profile.endpoint_for_run(&self.endpoint, &mut rng)?;
        Some(Scenario {
            endpoint: Arc::new(endpoint),
            ..self.clone()
        })
    }

    /// The secret the run generated for the endpoint, if it did.
    pub fn generated_secret(&self) -> Option<&str> {
        self.endpoint
            .secret_generated
            .then(|| self.endpoint.secrets.first().map(String::as_str))
            .flatten()
    }
}
