//! The scenario runner: drives the sender against the receiver and evaluates the checks.
//!
//! Sim mode gives each scenario its own current-thread tokio runtime with paused time:
//! the receiver's router is called in-process, waits and timeouts advance the virtual
//! clock instantly, and the wall clock is [`SIM_EPOCH_UNIX`] plus virtual time. Each
//! delivery draws its ids and generated data from a generator derived from the run seed,
//! the scenario name and the delivery index, so the same seed gives the same bytes. A
//! provider that signs every delivery gets a secret generated from the seed when the
//! scenario gives none ([`Scenario::for_run`]). A suite replayed on several threads
//! ([`run_sim_on`]) gives each thread its own runtime, and every scenario is handed to
//! the reports in run order: nothing a scenario sends depends on where or when it ran.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::clock::{SIM_EPOCH_UNIX, SimClock};
use crate::events::{EngineEvent, EventSink};
use crate::receiver::Receiver;
use crate::rng::{DEFAULT_SEED, RunRng};
use crate::run_state::RunState;
use crate::scenario::{Scenario, expect};
use crate::sender::{self, Delivery, SenderCtx, Transport};

pub mod external;
pub mod live;
pub mod scale;

/// How a run goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Seed for ids and generated data.
    pub seed: u64,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { seed: DEFAULT_SEED }
    }
}

/// Runs every scenario in sim mode and returns the reduced run state. `observe` sees every
/// engine event as it is applied.
pub fn run_sim(
    scenarios: &[Scenario],
    opts: &RunOptions,
    observe: impl FnMut(&EngineEvent),
) -> RunState {
    run_sim_keeping(scenarios, opts, Keep::Requests, observe)
}

/// What a sim run keeps of a scenario once its checks are evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Everything, requests and answers included (the HTML report, the journal, the TUI).
    Requests,
    /// What the text, JSON and JUnit reports read
    /// ([`ScenarioState::forget_requests`](crate::run_state::ScenarioState::forget_requests)).
    Outcomes,
}

/// [`run_sim`], keeping `keep` of each scenario. The scenarios share one paused-time
/// runtime, one after the other: each measures its times from its own start, so where the
/// virtual clock stands when it begins changes nothing, and a suite of 10,000 scenarios
/// builds one runtime, not 10,000.
pub fn run_sim_keeping(
    scenarios: &[Scenario],
    opts: &RunOptions,
    keep: Keep,
    observe: impl FnMut(&EngineEvent),
) -> RunState {
    let never: Result<RunState, std::convert::Infallible> =
        run_sim_each(scenarios, opts, keep, observe, |_, _| Ok(()));
    match never {
        Ok(state) => state,
        Err(e) => match e {},
    }
}

/// [`run_sim_keeping`], handing each scenario's state to `checked` as soon as its checks
/// are evaluated (in run order, before the next scenario starts), and before `keep`
/// forgets anything of it: a report written as the run goes (`--format json`) writes its
/// entry there and may shrink it. The first error `checked` returns stops the run.
pub fn run_sim_each<E>(
    scenarios: &[Scenario],
    opts: &RunOptions,
    keep: Keep,
    observe: impl FnMut(&EngineEvent),
    checked: impl FnMut(usize, &mut crate::run_state::ScenarioState) -> Result<(), E>,
) -> Result<RunState, E> {
    run_sim_on(scenarios, opts, keep, 1, observe, checked)
}

/// What replaying one scenario gave, on whichever thread replayed it.
enum Replayed {
    /// A sim scenario: its engine events in order (its checks' last), and its state
    /// reduced from them.
    Sim {
        events: Vec<EngineEvent>,
        state: Box<crate::run_state::ScenarioState>,
    },
    /// A scenario with someone else's sender: it runs live, on the calling thread, when
    /// its turn comes (one at a time, as on one thread).
    External,
}

/// [`run_sim_each`] on `jobs` threads ([`crate::par::in_order`]): each thread replays
/// scenarios on its own paused-time runtime and evaluates their checks; `observe` and
/// `checked` see every scenario on the calling thread in run order, exactly as on one
/// thread. What a scenario sends never depends on the thread or the order: its secret,
/// ids and data come from generators derived from the seed and its name
/// ([`Scenario::for_run`], [`delivery_for`]), and its times from its own start. A scenario
/// with a `sender:` runs live on the calling thread when its turn comes. At most
/// [`crate::par::WINDOW_PER_JOB`] scenarios per thread are replayed ahead of the one
/// being handed over.
pub fn run_sim_on<E>(
    scenarios: &[Scenario],
    opts: &RunOptions,
    keep: Keep,
    jobs: usize,
    mut observe: impl FnMut(&EngineEvent),
    mut checked: impl FnMut(usize, &mut crate::run_state::ScenarioState) -> Result<(), E>,
) -> Result<RunState, E> {
    let mut state = RunState::default();
    crate::par::in_order(
        scenarios.len(),
        jobs,
        sim_runtime,
        |rt, i| replay(rt, i, &scenarios[i], opts),
        |i, replayed| {
            let s = &scenarios[i];
            match replayed {
                Replayed::External => {
                    // Someone else's sender keeps its own clock: it runs live, whatever
                    // the mode.
                    for e in external::run_blocking(i, s) {
                        observe(&e);
                        state.apply(e);
                    }
                }
                Replayed::Sim {
                    events,
                    state: done,
                } => {
                    for e in &events {
                        observe(e);
                    }
                    drop(events);
                    state.put(i, *done);
                }
            }
            if let Some(done) = state.scenarios.get_mut(i) {
                checked(i, done)?;
            }
            if keep == Keep::Outcomes
                && s.sender.is_none()
                && let Some(done) = state.scenarios.get_mut(i)
            {
                done.forget_requests();
            }
            Ok(())
        },
    )?;
    Ok(state)
}

/// Replays sim scenario `i` on `rt` and evaluates its checks; a scenario with a `sender:`
/// is left to the caller.
fn replay(rt: &tokio::runtime::Runtime, i: usize, s: &Scenario, opts: &RunOptions) -> Replayed {
    if s.sender.is_some() {
        return Replayed::External;
    }
    let prepared = s.for_run(opts.seed);
    let s = prepared.as_ref().unwrap_or(s);
    let mut events = rt.block_on(sim_prepared(i, s, opts));
    let mut state = crate::run_state::ScenarioState::default();
    state.reserve_attempts(&events);
    // Reduced by reference: the events are handed to the run's observer after.
    for e in &events {
        state.apply_ref(e);
    }
    let epoch = Duration::from_secs(SIM_EPOCH_UNIX as u64);
    let failures = expect::evaluate(s, &state, &|at| epoch + at);
    let e = EngineEvent::ScenarioChecked {
        scenario: i,
        failures,
    };
    state.apply_ref(&e);
    events.push(e);
    Replayed::Sim {
        events,
        state: Box::new(state),
    }
}

fn sim_runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build the sim runtime: {e}"),
    }
}

/// Runs one scenario in virtual time; returns its engine events in order.
pub fn run_scenario_sim(index: usize, scenario: &Scenario, opts: &RunOptions) -> Vec<EngineEvent> {
    sim_runtime().block_on(sim(index, scenario, opts))
}

async fn sim(index: usize, scenario: &Scenario, opts: &RunOptions) -> Vec<EngineEvent> {
    let prepared = scenario.for_run(opts.seed);
    sim_prepared(index, prepared.as_ref().unwrap_or(scenario), opts).await
}

/// [`sim`] of a scenario already prepared by [`Scenario::for_run`] (a run of a suite
/// prepares each once, for the run and its checks).
async fn sim_prepared(index: usize, scenario: &Scenario, opts: &RunOptions) -> Vec<EngineEvent> {
    // The events appended to one list in the order they are sent (the run reads them only
    // at its end), sized for what a delivery reports at most without redirects — created,
    // then per attempt its start, its reception, its end, a retry and a status, then its end
    // — and for the checks' event a replay adds.
    let attempts = scenario.profile.retry.attempts.max(1) as usize;
    let sized = scenario
        .events
        .len()
        .saturating_mul(attempts.saturating_mul(5).saturating_add(2))
        .saturating_add(3);
    let events = EventSink::collected(sized.min(SIM_EVENTS_SIZED_MAX));
    events.send(EngineEvent::ScenarioStarted {
        scenario: index,
        name: scenario.name.clone(),
        file: scenario.file.display().to_string(),
    });
    if let Some(e) = secret_event(index, scenario) {
        events.send(e);
    }
    let start = tokio::time::Instant::now();
    let router = Receiver::new(scenario.receiver.clone())
        .with_events(index, events.clone())
        .into_app();
    let ctx = SenderCtx::new(
        Arc::clone(&scenario.profile),
        Arc::clone(&scenario.endpoint),
        Transport::InProcess(router),
        Arc::new(SimClock::new(SIM_EPOCH_UNIX)),
        events.clone(),
        "/webhook",
    )
    .with_scenario(index)
    .with_start(start);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, ev) in scenario.events.iter().enumerate() {
        let delivery = delivery_for(scenario, i, opts.seed);
        events.send(EngineEvent::DeliveryCreated {
            scenario: index,
            delivery: i,
            event_type: ev.event_type.clone(),
        });
        let ctx = ctx.clone();
        let at = ev.at;
        tasks.spawn(async move {
            tokio::time::sleep_until(ctx.start + at).await;
            sender::deliver(&ctx, &delivery).await
        });
    }
    while tasks.join_next().await.is_some() {}
    drop(ctx);
    // Every sender is done: the list, taken whole.
    events.take()
}

/// The most events [`sim_prepared`] sizes its list for at the start (a list of more grows).
const SIM_EVENTS_SIZED_MAX: usize = 1 << 14;

/// Tells the run state the endpoint secret the run generated, if it did.
pub fn announce_secret(index: usize, scenario: &Scenario, tx: &mpsc::UnboundedSender<EngineEvent>) {
    if let Some(e) = secret_event(index, scenario) {
        let _ = tx.send(e);
    }
}

/// The event telling the run state the endpoint secret the run generated, if it did.
fn secret_event(index: usize, scenario: &Scenario) -> Option<EngineEvent> {
    let secret = scenario.generated_secret()?;
    Some(EngineEvent::SecretGenerated {
        scenario: index,
        secret: secret.to_owned(),
    })
}

/// The delivery of a scenario's `i`-th event: its data (as given, or generated), ids and
/// jitter stream drawn from a generator derived from the seed, the scenario name and the
/// index, so the order in which deliveries run never changes what they send.
pub fn delivery_for(scenario: &Scenario, i: usize, seed: u64) -> Delivery {
    let ev = &scenario.events[i];
    // The generator of the label `{name}/{i}`, the label not made.
    let mut index = itoa::Buffer::new();
    let index = index.format(i);
    let mut rng = RunRng::derive_parts(seed, &[scenario.name.as_bytes(), b"/", index.as_bytes()]);
    let data = ev
        .data
        .clone()
        .unwrap_or_else(|| scenario.profile.generate_data(&ev.event_type, &mut rng));
    let ids = scenario.profile.new_ids(&mut rng);
    Delivery {
        index: i,
        event_type: ev.event_type.clone(),
        data,
        ids,
        jitter_seed: rng.u64(),
    }
}
