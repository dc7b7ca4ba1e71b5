//! Live mode: the same scenarios over real sockets, in real time.
//!
//! **Time.** Each scenario runs at its own time scale ([`scale`]): with
//! `auto`, the smallest that keeps every timing margin in it at 50 ms of real time. The
//! sender works in scenario time and scales only where it sleeps or times out
//! ([`SenderCtx::time_scale`]), so waits, `Retry-After` and timeouts are all compressed
//! alike; the receiver's answer delays and the events' `at:` offsets are scaled here.
//! Reports stay in scenario time. Each delivery's offsets are measured from its own start
//! — its first request's arrival is its `at:` offset — so the real latency of setting up
//! a scenario (binding ports, the first connection) is not divided by the scale.
//!
//! **Sockets.** A scenario has one receiver (one step counter per delivery, one shared
//! state such as a 410 that disables the endpoint) and one port per delivery on
//! 127.0.0.1: the port says which delivery a request belongs to — as the in-process
//! transport's tag does in sim mode — so a redirect hop to another path still counts
//! against its delivery's steps. An endpoint `url` sends there instead.
//!
//! **Side by side.** Scenarios run concurrently, at most `jobs` at a time, the longest
//! first, so a folder takes about as long as its longest scenario. Each reports its
//! events as they happen; its checks are evaluated as soon as it ends.
//!
//! **Interruption.** A stop signal (SIGINT, SIGTERM, or [`LiveOptions::stop`]) ends the
//! run at once: scenarios already checked keep their results, the others are marked
//! interrupted.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc};

use super::RunOptions;
use super::scale::{self, Choice, TimeScale};
use crate::clock::{Clock, SystemClock};
use crate::events::{EngineEvent, Failure, LiveTiming};
use crate::faults::{Action, Dribble, FaultPlan, Step};
use crate::receiver::{Receiver, live};
use crate::record::DeliveryTag;
use crate::run_state::RunState;
use crate::scenario::{Scenario, expect};
use crate::sender::{self, SenderCtx, Transport};

pub use super::scale::LIVE_TOLERANCE;

/// The most scenarios `--jobs` lets run at once.
pub const MAX_JOBS: usize = 256;

/// Scenarios run at once by default: four per core (a live scenario mostly waits), at
/// most 64.
pub fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 4).clamp(1, 64)
}

/// How a live run goes.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// How time is scaled.
    pub scale: TimeScale,
    /// Scenarios run at once (at least 1).
    pub jobs: usize,
    /// Notified to stop the run (what finished keeps its results; the rest is marked
    /// interrupted).
    pub stop: Option<Arc<Notify>>,
    /// Whether SIGINT (Ctrl-C) and SIGTERM stop the run as [`LiveOptions::stop`] does.
    pub signals: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            scale: TimeScale::Auto,
            jobs: default_jobs(),
            stop: None,
            signals: false,
        }
    }
}

/// What a live run does with one scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    /// Runs at this scale.
    Run(Choice),
    /// Skipped, for the reason its file gives.
    Skip(String),
    /// Run in real time against its `sender:` (no time scale applies).
    External,
}

/// Decides, before a run, how each scenario goes: skipped (`live: {skip: …}`) or run at
/// the scale its margins allow (or the fixed one, with the margins that fall short).
pub fn plan(scenarios: &[Scenario], opts: &RunOptions, scale: TimeScale) -> Vec<Planned> {
    scenarios
        .iter()
        .map(|s| match &s.live_skip {
            Some(reason) => Planned::Skip(reason.clone()),
            None if s.sender.is_some() => Planned::External,
            None => {
                let mut trace = RunState::default();
                for e in super::run_scenario_sim(0, s, opts) {
                    trace.apply(e);
                }
                let replay = trace.scenarios.into_iter().next().unwrap_or_default();
                Planned::Run(scale::choose(s, &replay, scale))
            }
        })
        .collect()
}

/// What a live run produced.
#[derive(Debug, Clone, Default)]
pub struct LiveRun {
    /// The reduced state.
    pub state: RunState,
    /// Whether a stop signal ended it early.
    pub interrupted: bool,
}

enum Msg {
    Event(EngineEvent),
    Done(usize),
    Failed(std::io::Error),
}

/// Runs the scenarios over real sockets as `plans` (from [`plan`]) say, handing every
/// engine event to `observe` as it is applied.
pub fn run_live(
    scenarios: &[Scenario],
    plans: &[Planned],
    opts: &RunOptions,
    live: &LiveOptions,
    mut observe: impl FnMut(&EngineEvent),
) -> std::io::Result<LiveRun> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    // A provider that signs every delivery gets the secret the seed generates when the
    // scenario gives none: its requests are signed with it and its checks judge them so.
    let prepared: Vec<Scenario> = scenarios
        .iter()
        .map(|s| s.for_run(opts.seed).unwrap_or_else(|| s.clone()))
        .collect();
    let scenarios = &prepared[..];
    let mut run = LiveRun::default();
    let mut apply = |state: &mut RunState, e: EngineEvent| {
        observe(&e);
        state.apply(e);
    };
    let result = rt.block_on(async {
        let stop = live.stop.clone().unwrap_or_default();
        if live.signals {
            let signalled = crate::receiver::live::stop_signals();
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                signalled.await;
                stop.notify_one();
            });
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
        for (i, (s, p)) in scenarios.iter().zip(plans).enumerate() {
            if let Planned::Skip(reason) = p {
                apply(
                    &mut run.state,
                    EngineEvent::ScenarioSkipped {
                        scenario: i,
                        name: s.name.clone(),
                        file: s.file.display().to_string(),
                        reason: reason.clone(),
                    },
                );
            }
        }
        // The longest first: the run then lasts about as long as its longest scenario.
        // An external sender's length is its own: it goes first.
        let mut order: Vec<(usize, Option<&Choice>)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Planned::Run(c) => Some((i, Some(c))),
                Planned::External => Some((i, None)),
                Planned::Skip(_) => None,
            })
            .collect();
        order.sort_by_key(|(_, c)| {
            std::cmp::Reverse(c.map_or(Duration::MAX, |c| c.real_duration()))
        });
        let slots = Arc::new(Semaphore::new(live.jobs.clamp(1, MAX_JOBS)));
        let mut tasks = tokio::task::JoinSet::new();
        let mut ids = std::collections::HashMap::new();
        for (i, choice) in order {
            let s = scenarios[i].clone();
            let (tx, slots, seed, choice) =
                (tx.clone(), Arc::clone(&slots), opts.seed, choice.cloned());
            let task = tasks.spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return;
                };
                let events = tx.clone();
                let emit = move |e| {
                    let _ = events.send(Msg::Event(e));
                };
                let Some(choice) = choice else {
                    // Checked as it ends: the external run judges its own scenario.
                    super::external::run_scenario(i, &s, &emit).await;
                    return;
                };
                match live_scenario(i, &s, &choice, seed, emit).await {
                    Ok(()) => {
                        let _ = tx.send(Msg::Done(i));
                    }
                    Err(e) => {
                        let _ = tx.send(Msg::Failed(e));
                    }
                }
            });
            ids.insert(task.id(), i);
        }
        drop(tx);
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    None => break,
                    Some(Msg::Event(e)) => apply(&mut run.state, e),
                    Some(Msg::Done(i)) => {
                        let e = check(i, &scenarios[i], &run.state);
                        apply(&mut run.state, e);
                    }
                    Some(Msg::Failed(e)) => {
                        tasks.abort_all();
                        return Err(e);
                    }
                },
                Some(Err(e)) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    // A scenario whose run panicked fails; the others go on.
                    if let Some(&i) = ids.get(&e.id()) {
                        let e = EngineEvent::ScenarioChecked {
                            scenario: i,
                            failures: vec![Failure {
                                check: "run".into(),
                                event: None,
                                attempt: None,
                                expected: "the scenario to run to its end".into(),
                                actual: format!("its live run stopped: {e}"),
                            }],
                        };
                        apply(&mut run.state, e);
                    }
                }
                () = stop.notified() => {
                    tasks.abort_all();
                    run.interrupted = true;
                    break;
                }
            }
        }
        // What arrived before the stop: finished scenarios are checked, the partial
        // events of the others kept.
        while let Ok(msg) = rx.try_recv() {
            match msg {
                Msg::Event(e) => apply(&mut run.state, e),
                Msg::Done(i) => {
                    let e = check(i, &scenarios[i], &run.state);
                    apply(&mut run.state, e);
                }
                Msg::Failed(_) => {}
            }
        }
        Ok(())
    });
    result?;
    for (i, s) in scenarios.iter().enumerate() {
        let done = run
            .state
            .scenarios
            .get(i)
            .is_some_and(|st| st.checked || st.skipped.is_some());
        if !done {
            apply(
                &mut run.state,
                EngineEvent::ScenarioInterrupted {
                    scenario: i,
                    name: s.name.clone(),
                    file: s.file.display().to_string(),
                },
            );
        }
    }
    Ok(run)
}

/// Evaluates scenario `i`'s checks once it has ended: live tolerances, signatures judged
/// on its real clock.
fn check(i: usize, s: &Scenario, state: &RunState) -> EngineEvent {
    let st = &state.scenarios[i];
    let scale = st.timing.as_ref().map_or(1.0, |t| t.scale);
    let mut checked = s.clone();
    // Real sockets and real time are never exact: live checks are never tighter than
    // the live tolerance, whatever the scenario says for sim mode, and hold each wait
    // rather than the sum along the schedule (Expectation::for_live).
    let live = LIVE_TOLERANCE.div_f64(scale);
    for x in &mut checked.expect {
        *x = x.for_live(live);
    }
    let failures = expect::evaluate(&checked, st, &|at| st.wall_of(Duration::ZERO, at));
    EngineEvent::ScenarioChecked {
        scenario: i,
        failures,
    }
}

/// Runs one scenario at `choice.scale`, handing each engine event to `emit` as it happens
/// (offsets in scenario time, each delivery's from its own start).
async fn live_scenario(
    index: usize,
    s: &Scenario,
    choice: &Choice,
    seed: u64,
    emit: impl Fn(EngineEvent),
) -> std::io::Result<()> {
    let scale = choice.scale;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let receiver = Receiver::new(scale_plan(&s.receiver, scale))
        .with_events(index, tx.clone())
        .with_profile(Arc::clone(&s.profile));
    let origin = receiver.started_at();
    emit(EngineEvent::ScenarioStarted {
        scenario: index,
        name: s.name.clone(),
        file: s.file.display().to_string(),
    });
    emit(EngineEvent::ScenarioTimed {
        scenario: index,
        timing: LiveTiming {
            scale,
            auto: choice.auto,
            wall_start: SystemClock.now(),
            narrowest: choice.narrowest.clone(),
        },
    });
    super::announce_secret(index, s, &tx);
    let receiver = Arc::new(receiver);
    let mut servers = Vec::new();
    let mut urls = Vec::new();
    for (i, ev) in s.events.iter().enumerate() {
        let url = match &s.endpoint.url {
            Some(url) => url.clone(),
            None => {
                // One port per delivery: the port tells the receiver whose request it is.
                let tag = DeliveryTag {
                    delivery: i,
                    event_type: ev.event_type.as_str().into(),
                    attempt: 0,
                    hop: 0,
                };
                let app = crate::receiver::app(Arc::clone(&receiver)).layer(axum::Extension(tag));
                let listener = live::bind("127.0.0.1:0")
                    .await
                    .map_err(std::io::Error::other)?;
                let server = live::spawn(listener, app)?;
                let url = format!("http://{}/webhook", server.addr);
                servers.push(server);
                url
            }
        };
        urls.push(url);
    }
    drop(receiver);
    let ctx = SenderCtx::new(
        Arc::clone(&s.profile),
        Arc::clone(&s.endpoint),
        Transport::http().map_err(std::io::Error::other)?,
        Arc::new(SystemClock),
        tx.clone(),
        String::new(),
    )
    .with_scenario(index)
    .with_start(origin)
    .with_time_scale(scale);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, ev) in s.events.iter().enumerate() {
        let delivery = super::delivery_for(s, i, seed);
        emit(EngineEvent::DeliveryCreated {
            scenario: index,
            delivery: i,
            event_type: ev.event_type.clone(),
        });
        let mut ctx = ctx.clone();
        ctx.url = urls[i].as_str().into();
        let at = ctx.real(ev.at);
        tasks.spawn(async move {
            tokio::time::sleep_until(ctx.start + at).await;
            sender::deliver(&ctx, &delivery).await
        });
    }
    drop(tx);
    drop(ctx);
    let mut clock = DeliveryClocks::new(s, scale);
    loop {
        tokio::select! {
            Some(e) = rx.recv() => emit(clock.convert(e)),
            joined = tasks.join_next() => if joined.is_none() { break },
        }
    }
    for server in servers {
        server.stop().await;
    }
    while let Some(e) = rx.recv().await {
        emit(clock.convert(e));
    }
    Ok(())
}

/// Puts each delivery's offsets on its own clock: its first request arrives at its `at:`
/// offset (before any arrival, its first attempt starts there), so what it took to set
/// the scenario up and open the first connection — real time, divided by the scale,
/// seconds of scenario time at a small scale — is not counted.
struct DeliveryClocks {
    scale: f64,
    at: Vec<Duration>,
    /// Per delivery: scenario time to subtract, and whether it came from an arrival.
    shift: Vec<Option<(Duration, bool)>>,
    /// Per delivery: the latest attempt started.
    latest: Vec<u32>,
}

impl DeliveryClocks {
    fn new(s: &Scenario, scale: f64) -> Self {
        Self {
            scale,
            at: s.events.iter().map(|e| e.at).collect(),
            shift: vec![None; s.events.len()],
            latest: vec![0; s.events.len()],
        }
    }

    fn shift(&mut self, delivery: usize, at: Duration, arrival: bool) -> Duration {
        let Some(slot) = self.shift.get_mut(delivery) else {
            return at;
        };
        let own = self.at[delivery];
        // The first attempt's own arrival sets the clock; before it, its start does.
        let first = self.latest[delivery] <= 1;
        match slot {
            None => *slot = Some((at.saturating_sub(own), arrival)),
            Some((_, false)) if arrival && first => *slot = Some((at.saturating_sub(own), true)),
            Some(_) => {}
        }
        at.saturating_sub(slot.map_or(Duration::ZERO, |s| s.0))
    }

    fn convert(&mut self, e: EngineEvent) -> EngineEvent {
        match e {
            // The sender reports in scenario time already.
            EngineEvent::AttemptStarted {
                scenario,
                delivery,
                n,
                at,
                request,
            } => {
                if let Some(l) = self.latest.get_mut(delivery) {
                    *l = (*l).max(n);
                }
                EngineEvent::AttemptStarted {
                    scenario,
                    delivery,
                    n,
                    at: self.shift(delivery, at, false),
                    request,
                }
            }
            // The receiver reports real time.
            EngineEvent::RequestReceived {
                scenario,
                tag,
                at,
                request,
                answer,
            } => {
                let at = at.div_f64(self.scale);
                let at = match &tag {
                    Some(t) => self.shift(t.delivery, at, true),
                    None => at,
                };
                EngineEvent::RequestReceived {
                    scenario,
                    tag,
                    at,
                    request,
                    answer,
                }
            }
            other => other,
        }
    }
}

/// A copy of `plan` with every answer delay multiplied by `scale`.
pub fn scale_plan(plan: &FaultPlan, scale: f64) -> FaultPlan {
    let d = |x: Duration| x.mul_f64(scale);
    let steps = plan
        .steps()
        .iter()
        .map(|st| Step {
            when_event: st.when_event.clone(),
            action: match &st.action {
                Action::Respond {
                    status,
                    body,
                    headers,
                    after,
                    dribble,
                } => Action::Respond {
                    status: *status,
                    body: body.clone(),
                    headers: headers.clone(),
                    after: d(*after),
                    dribble: dribble.map(|x| Dribble {
                        over: d(x.over),
                        ..x
                    }),
                },
                other => other.clone(),
            },
        })
        .collect();
    FaultPlan::new(steps)
}
