//! Scenarios with `sender:`: someone else's sender, started by the scenario's trigger,
//! against hookrig's receiver on a real socket, in real time (the sender keeps its own
//! clock, so neither sim mode nor a time scale applies).
//!
//! The run itself is [`crate::external`]'s; this file gives it the scenario's plan,
//! reports the scenario's start and clock, and judges what arrived: the trigger's exit,
//! the number of deliveries, a flood past the profile's attempts, then the scenario's
//! `expect` checks as every run evaluates them ([`expect::evaluate`]), with the live
//! tolerance for external senders ([`EXTERNAL_TOLERANCE`] unless the file gives one).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::clock::{Clock, SystemClock};
use crate::events::{EngineEvent, Failure, LiveTiming};
use crate::external::{self, End, Group, Slot, SlotRun, Until};
use crate::receiver::live::BindError;
use crate::run_state::ScenarioState;
use crate::scenario::{Scenario, expect};

/// The schedule tolerance for an external sender when the scenario gives none.
pub const EXTERNAL_TOLERANCE: Duration = Duration::from_millis(250);

/// Where an external scenario's receiver listens.
pub const LISTEN: &str = "127.0.0.1:0";

/// Runs scenario `index` (which has a `sender:`) against its trigger, handing each event
/// to `emit` as it happens, then its checks.
pub async fn run_scenario(index: usize, s: &Scenario, emit: &(dyn Fn(EngineEvent) + Sync)) {
    let Some(sender) = &s.sender else {
        return;
    };
    let mut state = crate::run_state::RunState::default();
    let opening = [
        EngineEvent::ScenarioStarted {
            scenario: index,
            name: s.name.clone(),
            file: s.file.display().to_string(),
        },
        EngineEvent::ScenarioTimed {
            scenario: index,
            timing: LiveTiming {
                scale: 1.0,
                auto: false,
                wall_start: SystemClock.now(),
                narrowest: None,
            },
        },
    ];
    for e in opening {
        state.apply(e.clone());
        emit(e);
    }
    let deliveries = sender
        .deliveries
        .unwrap_or_else(|| (s.events.len() as u32).max(1));
    let slot = Slot {
        scenario: index,
        path: crate::profile::DEFAULT_PATH.into(),
        plan: s.receiver.clone(),
        until: Until::DeliveriesOver(deliveries),
        timeout: sender
            .timeout
            .unwrap_or_else(|| external::default_timeout(&s.profile)),
        grace: external::GRACE,
        group: Group::ById,
        trigger: sender.trigger.clone(),
        env: s
            .endpoint
            .secrets
            .first()
            .map(|secret| vec![("HOOKRIG_SECRET".to_owned(), secret.clone())])
            .unwrap_or_default(),
        // Relative paths in the trigger are the scenario file's neighbours.
        cwd: s
            .file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(ToOwned::to_owned),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let run = external::run(LISTEN, Arc::clone(&s.profile), vec![slot], tx);
    tokio::pin!(run);
    let forward = |e: EngineEvent, state: &mut crate::run_state::RunState| {
        state.apply(e.clone());
        emit(e);
    };
    let result = loop {
        tokio::select! {
            Some(e) = rx.recv() => forward(e, &mut state),
            r = &mut run => break r,
        }
    };
    while let Ok(e) = rx.try_recv() {
        forward(e, &mut state);
    }
    let st = state.scenarios.get(index).cloned().unwrap_or_default();
    let failures = match result {
        Ok(runs) => match runs.first() {
            Some(run) => judge(s, deliveries, run, &st),
            None => vec![run_failure(
                "the external sender's run ended without a result",
            )],
        },
        Err(e) => vec![bind_failure(&e)],
    };
    emit(EngineEvent::ScenarioChecked {
        scenario: index,
        failures,
    });
}

fn run_failure(actual: &str) -> Failure {
    Failure {
        check: "run".into(),
        event: None,
        attempt: None,
        expected: "the scenario to run to its end".into(),
        actual: actual.into(),
    }
}

fn bind_failure(e: &BindError) -> Failure {
    run_failure(&e.to_string())
}

/// The checks of an external sender's run: the trigger, the number of deliveries, a
/// flood, then the scenario's own `expect`.
pub fn judge(s: &Scenario, deliveries: u32, run: &SlotRun, st: &ScenarioState) -> Vec<Failure> {
    let mut out = Vec::new();
    let fail = |check: &str, expected: String, actual: String| Failure {
        check: check.into(),
        event: None,
        attempt: None,
        expected,
        actual,
    };
    let t = &run.trigger;
    if run.end == End::TriggerFailed || (t.status.is_some() && !t.succeeded()) {
        let tail = last_lines(&t.stderr, 3);
        let actual = if tail.is_empty() {
            t.describe()
        } else {
            format!("{}; stderr: {tail}", t.describe())
        };
        out.push(fail(
            "trigger",
            format!("`{}` to exit 0", t.command),
            actual,
        ));
    }
    let arrived = st.deliveries.len();
    if arrived != deliveries as usize {
        let how = match run.end {
            End::TimedOut => format!(
                " (gave up waiting after {})",
                crate::text::fmt_duration(run.waited)
            ),
            _ => String::new(),
        };
        let ids = match &run.id_at {
            Some(at) => format!(", told apart by {at}"),
            None => String::new(),
        };
        out.push(fail(
            "deliveries",
            format!(
                "{deliveries} deliver{}{ids}",
                if deliveries == 1 { "y" } else { "ies" }
            ),
            format!(
                "{arrived} arrived{}{how}",
                if arrived > deliveries as usize && !run.ids.is_empty() {
                    format!(" with ids {}", run.ids.join(", "))
                } else {
                    String::new()
                }
            ),
        ));
    } else if run.end == End::TimedOut
        && let Some(i) = st.deliveries.iter().position(|d| d.outcome.is_none())
    {
        out.push(fail(
            "deliveries",
            format!(
                "every delivery over by {}'s rules within {}",
                s.profile.name,
                crate::text::fmt_duration(run.waited)
            ),
            format!(
                "delivery #{i} still unfinished after {} attempt(s)",
                st.deliveries[i].attempts.len()
            ),
        ));
    }
    for (i, n) in external::floods(&s.profile, st) {
        out.push(Failure {
            check: "attempts".into(),
            event: Some(format!("#{i}")),
            attempt: None,
            expected: format!(
                "at most {} attempts ({}'s rules)",
                s.profile.retry.attempts, s.profile.name
            ),
            actual: format!("{n} requests with one id: the sender floods the receiver"),
        });
    }
    let mut checked = s.clone();
    let order = match_events(s, st);
    for x in &mut checked.expect {
        if !x.tolerance_given {
            x.tolerance = EXTERNAL_TOLERANCE;
        }
        x.stepwise = true;
        if let Some(d) = order.get(x.delivery).copied().flatten() {
            x.delivery = d;
        }
    }
    out.extend(expect::evaluate(&checked, st, &|at| {
        st.wall_of(Duration::ZERO, at)
    }));
    out
}

/// For each of the scenario's events, the delivery that arrived for it: the first not yet
/// taken of its type, else the first not yet taken (arrival order decides otherwise).
fn match_events(s: &Scenario, st: &ScenarioState) -> Vec<Option<usize>> {
    let mut taken = vec![false; st.deliveries.len()];
    let mut out = vec![None; s.events.len()];
    for (i, ev) in s.events.iter().enumerate() {
        if let Some(d) =
            (0..taken.len()).find(|&d| !taken[d] && st.deliveries[d].event_type == ev.event_type)
        {
            taken[d] = true;
            out[i] = Some(d);
        }
    }
    for slot in out.iter_mut().filter(|o| o.is_none()) {
        if let Some(d) = (0..taken.len()).find(|&d| !taken[d]) {
            taken[d] = true;
            *slot = Some(d);
        }
    }
    out
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// Runs scenario `index` (which has a `sender:`) on a runtime of its own, for a caller
/// outside one (a sim run meeting an external scenario); returns its events in order.
pub fn run_blocking(index: usize, s: &Scenario) -> Vec<EngineEvent> {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return vec![
                EngineEvent::ScenarioStarted {
                    scenario: index,
                    name: s.name.clone(),
                    file: s.file.display().to_string(),
                },
                EngineEvent::ScenarioChecked {
                    scenario: index,
                    failures: vec![run_failure(&format!("cannot start a runtime: {e}"))],
                },
            ];
        }
    };
    let events = std::sync::Mutex::new(Vec::new());
    rt.block_on(run_scenario(index, s, &|e| {
        events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
    }));
    events.into_inner().unwrap_or_else(|p| p.into_inner())
}
