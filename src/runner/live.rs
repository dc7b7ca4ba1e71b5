//! Live mode: the same scenarios over real sockets, in real time.
//!
//! Each scenario gets a receiver bound on 127.0.0.1 port 0 (or the endpoint's own `url`),
//! the sender goes over real HTTP (hyper for `http://`, reqwest for `https://`), and waits,
//! delays, timeouts and `at:` offsets are multiplied by the time scale (0.001 turns
//! PerfectParser's 155 minutes into 9.3 s). Reports stay in scenario time: offsets and waits are divided by the scale again before
//! they reach the run state, so a schedule reads as written. Each delivery posts to its
//! own path, `/hookrig/{delivery}`, which gives it its own receiver step counter.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::mpsc;

use super::RunOptions;
use crate::clock::{Clock, SystemClock};
use crate::engine::{EngineEvent, RunState};
use crate::receiver::faults::{Action, FaultPlan, Step};
use crate::receiver::{DELIVERY_PATH, Receiver, live};
use crate::scenario::{Scenario, expect};
use crate::sender::{self, SenderCtx, Transport};

/// The least schedule tolerance in live mode: 50 ms of real time (divided by the time
/// scale, in scenario time). A scenario's own `tolerance` applies when it is larger.
pub const LIVE_TOLERANCE: Duration = Duration::from_millis(50);

/// Runs every scenario over real sockets with times multiplied by `scale`.
pub fn run_live(
    scenarios: &[Scenario],
    opts: &RunOptions,
    scale: f64,
    mut observe: impl FnMut(&EngineEvent),
) -> std::io::Result<RunState> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut state = RunState::default();
    for (i, s) in scenarios.iter().enumerate() {
        let prepared = s.for_run(opts.seed);
        let s = prepared.as_ref().unwrap_or(s);
        let scaled = scale_scenario(s, scale);
        let wall_start = SystemClock.now();
        rt.block_on(live_scenario(i, &scaled, opts, &mut |e| {
            let e = unscale(e, scale);
            observe(&e);
            state.apply(e);
        }))?;
        let mut checked = s.clone();
        // Real sockets and real time are never exact: live checks are never tighter than
        // the live default, whatever the scenario says for sim mode.
        for x in &mut checked.expect {
            x.tolerance = x.tolerance.max(LIVE_TOLERANCE.div_f64(scale));
        }
        let wall_of = |at: Duration| wall_start + at.mul_f64(scale);
        let failures = expect::evaluate(&checked, &state.scenarios[i], &wall_of);
        let e = EngineEvent::ScenarioChecked {
            scenario: i,
            failures,
        };
        observe(&e);
        state.apply(e);
    }
    Ok(state)
}

/// Runs one scenario, handing each engine event to `emit` as it happens.
async fn live_scenario(
    index: usize,
    s: &Scenario,
    opts: &RunOptions,
    emit: &mut dyn FnMut(EngineEvent),
) -> std::io::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _ = tx.send(EngineEvent::ScenarioStarted {
        scenario: index,
        name: s.name.clone(),
        file: s.file.display().to_string(),
    });
    super::announce_secret(index, s, &tx);
    let start = tokio::time::Instant::now();
    let receiver = Receiver::new(s.receiver.clone())
        .with_events(index, tx.clone())
        .with_profile(Arc::clone(&s.profile));
    let listener = live::bind("127.0.0.1:0")
        .await
        .map_err(std::io::Error::other)?;
    let server = live::spawn(listener, receiver.into_app())?;
    let ctx = SenderCtx {
        profile: Arc::clone(&s.profile),
        endpoint: Arc::clone(&s.endpoint),
        transport: Transport::http().map_err(std::io::Error::other)?,
        clock: Arc::new(SystemClock),
        events: tx.clone(),
        disabled: Arc::new(AtomicBool::new(false)),
        url: String::new(),
        scenario: index,
        start,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (i, ev) in s.events.iter().enumerate() {
        let delivery = super::delivery_for(s, i, opts.seed);
        let _ = tx.send(EngineEvent::DeliveryCreated {
            scenario: index,
            delivery: i,
            event_type: ev.event_type.clone(),
        });
        let mut ctx = ctx.clone();
        ctx.url = match &s.endpoint.url {
            Some(url) => url.clone(),
            None => format!("http://{}{DELIVERY_PATH}{i}", server.addr),
        };
        let at = ev.at;
        tasks.spawn(async move {
            tokio::time::sleep_until(ctx.start + at).await;
            sender::deliver(&ctx, &delivery).await
        });
    }
    drop(tx);
    loop {
        tokio::select! {
            Some(e) = rx.recv() => emit(e),
            joined = tasks.join_next() => if joined.is_none() { break },
        }
    }
    server.stop().await;
    drop(ctx);
    while let Some(e) = rx.recv().await {
        emit(e);
    }
    Ok(())
}

/// A copy of the scenario with every duration multiplied by `scale`.
pub fn scale_scenario(s: &Scenario, scale: f64) -> Scenario {
    let mut s = s.clone();
    let d = |x: Duration| x.mul_f64(scale);
    let mut p = (*s.profile).clone();
    p.retry = p.retry.scaled(scale);
    s.profile = Arc::new(p);
    for e in &mut s.events {
        e.at = d(e.at);
    }
    let steps = s
        .receiver
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
                } => Action::Respond {
                    status: *status,
                    body: body.clone(),
                    headers: headers.clone(),
                    after: d(*after),
                },
                Action::Dribble {
                    status,
                    body,
                    chunks,
                    over,
                } => Action::Dribble {
                    status: *status,
                    body: body.clone(),
                    chunks: *chunks,
                    over: d(*over),
                },
                other => other.clone(),
            },
        })
        .collect();
    s.receiver = FaultPlan::new(steps);
    s
}

/// Offsets and waits back in scenario time.
fn unscale(e: EngineEvent, scale: f64) -> EngineEvent {
    let u = |x: Duration| x.div_f64(scale);
    match e {
        EngineEvent::AttemptStarted {
            scenario,
            delivery,
            n,
            at,
            request,
        } => EngineEvent::AttemptStarted {
            scenario,
            delivery,
            n,
            at: u(at),
            request,
        },
        EngineEvent::RequestReceived {
            scenario,
            tag,
            at,
            request,
            answer,
        } => EngineEvent::RequestReceived {
            scenario,
            tag,
            at: u(at),
            request,
            answer,
        },
        EngineEvent::RetryScheduled {
            scenario,
            delivery,
            n,
            wait,
        } => EngineEvent::RetryScheduled {
            scenario,
            delivery,
            n,
            wait: u(wait),
        },
        other => other,
    }
}
