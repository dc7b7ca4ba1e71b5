//! `hookrig conform-sender`: a profile's rules checked on a sender hookrig did not write.
//!
//! Each check is a value ([`checks::Check`]): a stable id, what it is about, the receiver
//! plan it plays, how many requests it waits for, why the profile may make it
//! meaningless (then it is skipped and says why), and how it judges what arrived. Every
//! check gets its own path on one socket (`{url}` differs per check) and its own run of
//! the trigger; they run side by side ([`crate::external`]), so the suite takes about as
//! long as its longest check. Requests on a check's path are its one delivery's attempts
//! in arrival order, whatever id they carry (so a sender that draws a new id per retry
//! fails `id-stable` and nothing else). Where a check is an `expect` check in another
//! form (signature, schedule, headers, payload), it is judged by
//! [`crate::scenario::expect::evaluate`], not by a copy.
//!
//! `checks.rs` holds the checks; `report.rs` the text, JSON and JUnit views.

pub mod checks;
pub mod report;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::clock::{Clock, SystemClock};
use crate::external::{self, Group, Slot, SlotRun, Until};
use crate::profile::Profile;
use crate::receiver::live::BindError;
use crate::run_state::{RunState, ScenarioState};
use crate::trigger::{self, Template};

pub use checks::{CHECKS, Check};

/// The default tolerance of the checks on timing.
pub const TOLERANCE: Duration = Duration::from_millis(250);

/// What to check.
#[derive(Debug, Clone)]
pub struct Options {
    /// The rules the sender claims to follow.
    pub profile: Arc<Profile>,
    /// The secrets it signs with (several: key rotation).
    pub secrets: Vec<String>,
    /// The command that makes it send one delivery to `{url}`.
    pub trigger: Template,
    /// Where the receiver listens.
    pub listen: String,
    /// Only these checks (ids); empty = all.
    pub only: Vec<String>,
    /// Not these.
    pub skip: Vec<String>,
    /// How far an attempt may be from the time the profile gives it ([`TOLERANCE`] by
    /// default).
    pub tolerance: Duration,
}

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The sender follows the rule.
    Pass,
    /// It does not.
    Fail,
    /// The profile (or the input) makes the check meaningless.
    Skip,
}

impl Status {
    /// `PASS`, `FAIL`, `SKIP`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// One request as a check saw it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Seen {
    /// 1-based, in arrival order.
    pub n: u32,
    /// Arrival, from the first request of the check.
    pub at_ms: u64,
    /// The path it came to.
    pub path: String,
    /// Its delivery id, where the profile says one travels.
    pub id: Option<String>,
    /// Its signature timestamp header, where the profile has one.
    pub timestamp: Option<String>,
    /// What the receiver answered (`500`, `hang`, `drop`, …).
    pub answer: String,
}

/// One check's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckResult {
    /// Stable id.
    pub id: &'static str,
    /// What it is about.
    pub title: &'static str,
    /// Its verdict.
    pub status: Status,
    /// What the profile's rules expect (or why it was skipped).
    pub expected: String,
    /// What arrived (empty for a skip).
    pub actual: String,
    /// The receiver plan it played, in words.
    pub plan: String,
    /// Every request that arrived on its path.
    pub requests: Vec<Seen>,
    /// Its trigger's command and end.
    pub trigger: Option<TriggerSeen>,
}

/// A check's trigger, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TriggerSeen {
    /// The command as run.
    pub command: String,
    /// `exit 0`, or why it has none.
    pub exit: String,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// The suite's result.
#[derive(Debug, Clone)]
pub struct Report {
    /// The profile's name.
    pub profile: String,
    /// The trigger as given.
    pub trigger: String,
    /// Where the receiver listened.
    pub listen: String,
    /// One per check, in suite order.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// Checks with this status.
    pub fn count(&self, s: Status) -> usize {
        self.results.iter().filter(|r| r.status == s).count()
    }
}

/// Why the suite cannot run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--only`/`--skip` names a check that does not exist.
    #[error("{0}")]
    UnknownCheck(String),
    /// The socket.
    #[error(transparent)]
    Bind(#[from] BindError),
    /// The runtime.
    #[error("cannot start a runtime: {0}")]
    Runtime(std::io::Error),
}

/// Checks `--only` and `--skip` name real checks.
pub fn validate(opts: &Options) -> Result<(), Error> {
    let ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
    for id in opts.only.iter().chain(&opts.skip) {
        if !ids.contains(&id.as_str()) {
            return Err(Error::UnknownCheck(crate::text::choice_error(
                "check", id, &ids,
            )));
        }
    }
    Ok(())
}

/// Runs the suite on a runtime of its own.
pub fn run_blocking(opts: &Options) -> Result<Report, Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    rt.block_on(run(opts))
}

/// Runs the suite: every selected check side by side, each on its own path.
pub async fn run(opts: &Options) -> Result<Report, Error> {
    validate(opts)?;
    let cx = checks::Cx::new(opts);
    let selected: Vec<&Check> = CHECKS
        .iter()
        .filter(|c| opts.only.is_empty() || opts.only.iter().any(|o| o == c.id))
        .filter(|c| !opts.skip.iter().any(|s| s == c.id))
        .collect();
    let mut results: Vec<Option<CheckResult>> = vec![None; selected.len()];
    let mut slots = Vec::new();
    let mut running = Vec::new();
    for (i, c) in selected.iter().enumerate() {
        if let Some(why) = (c.skip)(&cx) {
            results[i] = Some(CheckResult {
                id: c.id,
                title: c.title,
                status: Status::Skip,
                expected: why,
                actual: String::new(),
                plan: String::new(),
                requests: Vec::new(),
                trigger: None,
            });
            continue;
        }
        let plan = (c.plan)(&cx);
        let mut env = vec![("HOOKRIG_CHECK".to_owned(), c.id.to_owned())];
        if let Some(s) = opts.secrets.first() {
            env.push(("HOOKRIG_SECRET".to_owned(), s.clone()));
        }
        slots.push(Slot {
            scenario: i,
            path: format!("/conform-sender/{}", c.id),
            plan: plan.clone(),
            until: Until::Requests((c.requests)(&cx)),
            timeout: (c.timeout)(&cx),
            grace: (c.grace)(&cx),
            group: Group::OneDelivery,
            trigger: opts.trigger.clone(),
            env,
            cwd: None,
        });
        running.push((i, *c, plan));
    }
    let wall_start = SystemClock.now();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let runs = if slots.is_empty() {
        Vec::new()
    } else {
        external::run(&opts.listen, Arc::clone(&opts.profile), slots, tx).await?
    };
    let mut state = RunState::default();
    while let Ok(e) = rx.try_recv() {
        state.apply(e);
    }
    for ((i, c, plan), run) in running.into_iter().zip(runs) {
        let st = state.scenarios.get(i).cloned().unwrap_or_default();
        results[i] = Some(judge(&cx, c, &plan, &st, &run, wall_start));
    }
    Ok(Report {
        profile: opts.profile.name.clone(),
        trigger: opts.trigger.text.clone(),
        listen: opts.listen.clone(),
        results: results.into_iter().flatten().collect(),
    })
}

fn judge(
    cx: &checks::Cx,
    c: &Check,
    plan: &crate::faults::FaultPlan,
    st: &ScenarioState,
    run: &SlotRun,
    wall_start: Duration,
) -> CheckResult {
    let requests = seen(cx, plan, st);
    let trigger = TriggerSeen {
        command: run.trigger.command.clone(),
        exit: run.trigger.describe(),
        stdout: run.trigger.stdout.clone(),
        stderr: run.trigger.stderr.clone(),
    };
    let verdict = if run.trigger.status.is_some() && !run.trigger.succeeded() {
        Err((
            "the trigger to exit 0".to_owned(),
            format!(
                "{}; stderr: {}",
                run.trigger.describe(),
                last_line(&run.trigger.stderr)
            ),
        ))
    } else if st.deliveries.is_empty() {
        Err((
            "a delivery".to_owned(),
            format!(
                "nothing arrived within {}",
                crate::text::fmt_duration(run.waited)
            ),
        ))
    } else {
        let wall_of = |at: Duration| wall_start + at;
        (c.judge)(cx, st, &wall_of)
    };
    let (status, expected, actual) = match verdict {
        Ok(summary) => (Status::Pass, summary, String::new()),
        Err((expected, actual)) => (Status::Fail, expected, actual),
    };
    CheckResult {
        id: c.id,
        title: c.title,
        status,
        expected,
        actual,
        plan: checks::plan_words(plan),
        requests,
        trigger: Some(trigger),
    }
}

fn last_line(s: &str) -> &str {
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
}

fn seen(cx: &checks::Cx, plan: &crate::faults::FaultPlan, st: &ScenarioState) -> Vec<Seen> {
    let Some(d) = st.deliveries.first() else {
        return Vec::new();
    };
    let first = d.attempts.first().map(|a| a.at()).unwrap_or_default();
    d.attempts
        .iter()
        .map(|a| {
            let req = a.requests().first().copied();
            Seen {
                n: a.n,
                at_ms: a.at().saturating_sub(first).as_millis() as u64,
                path: req.map(|r| r.path.to_string()).unwrap_or_default(),
                id: req.and_then(|r| cx.id_of(r)),
                timestamp: req.and_then(|r| cx.timestamp_of(r)),
                answer: plan.action_for(None, a.n as usize - 1).answer().label(),
            }
        })
        .collect()
}

/// Whether a trigger template is usable (for the command line's bad-input check).
pub fn parse_trigger(text: &str) -> Result<Template, trigger::TemplateError> {
    Template::parse(text)
}
