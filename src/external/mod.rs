//! External senders: hookrig's live receiver played against a sender hookrig did not
//! write, started by a trigger command.
//!
//! One socket serves every [`Slot`] (a scenario with `sender:` has one; `conform-sender`
//! one per check, each on its own path). Each slot has its own [`Receiver`] playing its
//! fault plan, its requests grouped into deliveries by the profile's delivery id
//! ([`Grouping`]), and its own trigger, run once the socket listens, with `{url}` the
//! slot's URL. A slot ends when every delivery it waits for is over by the profile's rules
//! (a 2xx, an answer the profile gives up or stops on, or the profile's last attempt
//! failed), plus a short grace for stray retries; when its trigger fails; or at its
//! timeout. Since the sender is not ours, what its attempts ended with is what the
//! receiver answered (a hang is a timeout, a drop or reset a connection error), and the
//! outcome is the one the profile's rules give for that.
//!
//! Events stream out as the receiver records them, in the engine's own types, so the run
//! state, the reports and the journal read an external sender's run like any other.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tokio::sync::mpsc;
use tower::ServiceExt;

use crate::events::{EngineEvent, Outcome};
use crate::faults::{Answer, Fault, FaultPlan};
use crate::profile::Profile;
use crate::receiver::group::Grouping;
use crate::receiver::{Receiver, live};
use crate::retry::{AttemptResult, Verdict};
use crate::run_state::ScenarioState;
use crate::trigger::{self, Template};

/// After the last delivery is over, how long stray requests are still taken in (a flood,
/// a retry the profile does not allow).
pub const GRACE: Duration = Duration::from_secs(1);

/// The timeout a scenario's `sender:` has by default: the profile's whole schedule, plus
/// its per-attempt timeout, plus 10 s.
pub fn default_timeout(profile: &Profile) -> Duration {
    let waits: Duration = profile.retry.waits().iter().sum();
    waits + profile.retry.timeout + Duration::from_secs(10)
}

/// One trigger and the receiver plan it is played against.
#[derive(Debug, Clone)]
pub struct Slot {
    /// The scenario index its events carry.
    pub scenario: usize,
    /// The path its URL ends in (`/webhook`); with several slots, requests are routed to
    /// the slot whose path they start with.
    pub path: String,
    /// What the receiver answers, per delivery.
    pub plan: FaultPlan,
    /// What it waits for.
    pub until: Until,
    /// Give up waiting after this long (with [`Until::Requests`], counted from the first
    /// request once one came).
    pub timeout: Duration,
    /// Once it has what it waits for, how long stray requests are still taken in.
    pub grace: Duration,
    /// How requests are grouped into deliveries.
    pub group: Group,
    /// The command that makes the sender send.
    pub trigger: Template,
    /// Environment for the trigger, beyond `HOOKRIG_URL`.
    pub env: Vec<(String, String)>,
    /// The trigger's working directory (`None`: the current one).
    pub cwd: Option<std::path::PathBuf>,
}

/// What a slot waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// This many deliveries, each over by the profile's rules.
    DeliveriesOver(u32),
    /// This many requests.
    Requests(u32),
}

/// How a slot groups requests into deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// By the delivery id the profile says a request carries.
    ById,
    /// All in one delivery, in arrival order (its ids still listed).
    OneDelivery,
}

/// How a slot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every delivery it waited for is over.
    Done,
    /// The trigger exited with a failure.
    TriggerFailed,
    /// The timeout passed first.
    TimedOut,
}

/// What one slot saw.
#[derive(Debug, Clone)]
pub struct SlotRun {
    /// How it ended.
    pub end: End,
    /// What its trigger did.
    pub trigger: trigger::Outcome,
    /// Each delivery's id, in arrival order (empty when its requests carried none).
    pub ids: Vec<String>,
    /// Where the ids were read (`header webhook-id`), or `None` when the profile's
    /// requests carry none.
    pub id_at: Option<String>,
    /// The URL the trigger was given.
    pub url: String,
    /// How long it waited.
    pub waited: Duration,
}

/// Binds `listen` and runs every slot side by side; each slot's events go to `emit` with
/// `scenario` set to the slot's own, as the receiver records them, then the attempts'
/// and deliveries' ends as the profile's rules judge them.
pub async fn run(
    listen: &str,
    profile: Arc<Profile>,
    slots: Vec<Slot>,
    emit: mpsc::UnboundedSender<EngineEvent>,
) -> Result<Vec<SlotRun>, live::BindError> {
    let listener = live::bind(listen).await?;
    let mut receivers = Vec::new();
    let mut drivers = Vec::new();
    for slot in &slots {
        let (tx, rx) = mpsc::unbounded_channel();
        let grouping = Arc::new(match slot.group {
            Group::ById => Grouping::new(Arc::clone(&profile)),
            Group::OneDelivery => Grouping::one_delivery(Arc::clone(&profile)),
        });
        let receiver = Receiver::new(slot.plan.clone())
            .with_events(slot.scenario, tx)
            .with_profile(Arc::clone(&profile))
            .with_grouping(Arc::clone(&grouping));
        let app = crate::receiver::app(Arc::new(receiver));
        receivers.push((slot.path.clone(), app));
        drivers.push((rx, grouping));
    }
    let router = route(receivers);
    let server = live::spawn(listener, router).map_err(|source| live::BindError::Other {
        addr: listen.to_owned(),
        source,
    })?;
    let base = base_url(server.addr);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (slot, (rx, grouping))) in slots.into_iter().zip(drivers).enumerate() {
        let url = format!("{base}{}", slot.path);
        let (profile, emit) = (Arc::clone(&profile), emit.clone());
        tasks.spawn(async move {
            let run = drive(&slot, &profile, url, rx, &grouping, &emit).await;
            (i, run)
        });
    }
    let mut runs: Vec<Option<SlotRun>> = vec![None; tasks.len()];
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, run)) = joined {
            runs[i] = Some(run);
        }
    }
    server.stop().await;
    Ok(runs.into_iter().flatten().collect())
}

/// `http://ADDR`, with 127.0.0.1 for an address bound on every interface (what a sender
/// on this machine can reach).
fn base_url(addr: SocketAddr) -> String {
    let host = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}", addr.port())
}

/// One router over the slots' routers: a lone slot takes every path (a sender that
/// follows a redirect elsewhere still counts); several are told apart by path prefix,
/// the longest first, and a request for none of them gets 404.
fn route(slots: Vec<(String, Router)>) -> Router {
    let mut slots = slots;
    slots.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let slots = Arc::new(slots);
    Router::new().fallback(move |req: Request| {
        let slots = Arc::clone(&slots);
        async move {
            let path = req.uri().path().to_owned();
            let pick = if slots.len() == 1 {
                slots.first()
            } else {
                slots.iter().find(|(p, _)| path.starts_with(p.as_str()))
            };
            match pick {
                Some((_, app)) => match app.clone().oneshot(req).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                },
                None => (
                    StatusCode::NOT_FOUND,
                    "no conform-sender check on this path\n",
                )
                    .into_response(),
            }
        }
    })
}

/// What the sender saw, as far as the receiver can tell.
pub fn result_of(answer: Answer) -> AttemptResult {
    match answer {
        Answer::Status(s) => AttemptResult::Status(s),
        Answer::TooLarge => AttemptResult::Status(413),
        Answer::Fault(Fault::Hang | Fault::Stall) => AttemptResult::Timeout,
        Answer::Fault(Fault::Drop | Fault::Reset | Fault::Malformed) => AttemptResult::Connection,
    }
}

/// A delivery's outcome by the profile's rules, from its attempts' answers; `None` while
/// the sender may still retry.
pub fn outcome_of(profile: &Profile, answers: &[Answer]) -> Option<(Outcome, Option<String>)> {
    let last = *answers.last()?;
    let result = result_of(last);
    match profile.retry.classify(result) {
        Verdict::Delivered => Some((Outcome::Delivered, None)),
        Verdict::GiveUp | Verdict::Disable | Verdict::Stop => Some((
            Outcome::GaveUp,
            Some(format!(
                "{} ends the delivery under {}",
                last.label(),
                profile.name
            )),
        )),
        Verdict::Retry if answers.len() as u32 >= profile.retry.attempts => Some((
            Outcome::Exhausted,
            Some(format!(
                "{} attempts, the last answered {}",
                answers.len(),
                last.label()
            )),
        )),
        Verdict::Retry => None,
    }
}

async fn drive(
    slot: &Slot,
    profile: &Profile,
    url: String,
    mut rx: mpsc::UnboundedReceiver<EngineEvent>,
    grouping: &Grouping,
    emit: &mpsc::UnboundedSender<EngineEvent>,
) -> SlotRun {
    let index = slot.scenario;
    let started = tokio::time::Instant::now();
    let mut deadline = started + slot.timeout;
    let mut answers: Vec<Vec<Answer>> = Vec::new();
    let mut types: Vec<String> = Vec::new();
    let mut running = trigger::start(&slot.trigger, &url, &slot.env, slot.cwd.as_deref());
    let mut exited = false;
    let mut end = End::TimedOut;
    let mut over_at: Option<tokio::time::Instant> = None;
    let apply = |e: EngineEvent, answers: &mut Vec<Vec<Answer>>, types: &mut Vec<String>| -> bool {
        if let EngineEvent::RequestReceived {
            tag: Some(tag),
            answer,
            ..
        } = &e
        {
            if answers.len() <= tag.delivery {
                answers.resize_with(tag.delivery + 1, Vec::new);
                types.resize_with(tag.delivery + 1, String::new);
            }
            if answers[tag.delivery].is_empty() {
                types[tag.delivery].replace_range(.., &tag.event_type);
                let _ = emit.send(EngineEvent::DeliveryCreated {
                    scenario: index,
                    delivery: tag.delivery,
                    event_type: tag.event_type.to_string(),
                });
            }
            answers[tag.delivery].push(*answer);
        }
        let _ = emit.send(e);
        match slot.until {
            Until::DeliveriesOver(n) => {
                answers.len() >= n as usize
                    && answers.iter().all(|a| outcome_of(profile, a).is_some())
            }
            Until::Requests(n) => answers.iter().map(Vec::len).sum::<usize>() >= n as usize,
        }
    };
    loop {
        let wake = over_at.map_or(deadline, |o| o.min(deadline));
        tokio::select! {
            got = rx.recv() => match got {
                Some(e) => {
                    // A check's time counts from its first request: a trigger slow to
                    // start its sender (a loaded machine) does not eat into it.
                    if matches!(slot.until, Until::Requests(_))
                        && answers.is_empty()
                        && matches!(e, EngineEvent::RequestReceived { .. })
                    {
                        deadline = deadline.max(tokio::time::Instant::now() + slot.timeout);
                    }
                    if apply(e, &mut answers, &mut types) && over_at.is_none() {
                        end = End::Done;
                        over_at = Some(tokio::time::Instant::now() + slot.grace);
                    }
                }
                None => break,
            },
            code = running.wait(), if !exited => {
                exited = true;
                if code != Some(0) && over_at.is_none() {
                    end = End::TriggerFailed;
                    over_at = Some(tokio::time::Instant::now() + GRACE);
                }
            }
            () = tokio::time::sleep_until(wake) => {
                if over_at.is_none() {
                    end = End::TimedOut;
                }
                break;
            }
        }
    }
    let trigger = running.finish().await;
    // What arrived while the trigger was being stopped.
    while let Ok(e) = rx.try_recv() {
        apply(e, &mut answers, &mut types);
    }
    for (d, list) in answers.iter().enumerate() {
        for (k, answer) in list.iter().enumerate() {
            let _ = emit.send(EngineEvent::AttemptFinished {
                scenario: index,
                delivery: d,
                n: k as u32 + 1,
                result: result_of(*answer),
                response: None,
                latency: Duration::ZERO,
                requests: 1,
            });
        }
        if let Some((outcome, reason)) = outcome_of(profile, list) {
            let _ = emit.send(EngineEvent::DeliveryFinished {
                scenario: index,
                delivery: d,
                outcome,
                reason,
            });
        }
    }
    let _ = emit.send(EngineEvent::TriggerFinished {
        scenario: index,
        outcome: trigger.clone(),
    });
    SlotRun {
        end,
        trigger,
        ids: grouping.ids(),
        id_at: grouping.id_at().map(|a| a.describe()),
        url,
        waited: started.elapsed(),
    }
}

/// Deliveries that made more attempts than the profile allows (a flood), with how many
/// they made.
pub fn floods(profile: &Profile, state: &ScenarioState) -> Vec<(usize, usize)> {
    let max = profile.retry.attempts as usize;
    state
        .deliveries
        .iter()
        .enumerate()
        .filter(|(_, d)| d.attempts.len() > max)
        .map(|(i, d)| (i, d.attempts.len()))
        .collect()
}
