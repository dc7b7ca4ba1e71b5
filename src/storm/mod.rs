//! `hookrig storm`: what a receiver sees when it comes back after an outage.
//!
//! A storm sends `events` deliveries with a profile's full rules — envelope, ids,
//! signatures, retry schedule, `Retry-After`, jitter where the profile has it — through
//! the in-process transport in virtual time, event k first at k × `over` / `events`, to
//! the mock receiver answering `fail_with` to every request that arrives before the
//! outage ends and 200 after. What comes out is the load the receiver saw: requests per
//! second of virtual time ([`Series`]), its peak, the outcomes and when the backlog
//! drained.
//!
//! Memory stays bounded by the deliveries in flight: a delivery is created when its first
//! send is due and dropped when it ends, and each request leaves one counter increment
//! behind, never a record (a journal, when asked for, is written as the storm goes).
//! [`estimate`] says up front what a storm would hold at its busiest, so one that cannot
//! fit is refused before it starts ([`Refusal`]). This file holds the storm's inputs,
//! the estimate and the run; `series.rs` the load curve.

mod series;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::clock::{SIM_EPOCH_UNIX, SimClock};
use crate::events::{EngineEvent, Outcome};
use crate::faults::{Action, Fault, FaultPlan};
use crate::profile::{Endpoint, Profile};
use crate::receiver::Receiver;
use crate::retry::AttemptResult;
use crate::rng::RunRng;
use crate::sender::{self, Delivery, SenderCtx, Transport};
use crate::text::{MAX_DURATION, fmt_duration};
pub use series::Series;

/// What the receiver answers during the outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailWith {
    /// An HTTP status (300–599).
    Status(u16),
    /// No answer: the sender's timeout ends each attempt.
    Timeout,
    /// The connection closes without an answer.
    Drop,
}

impl FailWith {
    /// `503`, `timeout` or `drop`, as the command line writes it.
    pub fn label(self) -> String {
        match self {
            FailWith::Status(s) => s.to_string(),
            FailWith::Timeout => "timeout".into(),
            FailWith::Drop => "drop".into(),
        }
    }

    fn action(self) -> Action {
        match self {
            FailWith::Status(s) => Action::status(s),
            FailWith::Timeout => Action::Fault(Fault::Hang),
            FailWith::Drop => Action::Fault(Fault::Drop),
        }
    }

    fn result(self) -> AttemptResult {
        match self {
            FailWith::Status(s) => AttemptResult::Status(s),
            FailWith::Timeout => AttemptResult::Timeout,
            FailWith::Drop => AttemptResult::Connection,
        }
    }
}

impl std::str::FromStr for FailWith {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "timeout" => return Ok(FailWith::Timeout),
            "drop" => return Ok(FailWith::Drop),
            _ => {}
        }
        match t.parse::<u16>() {
            Ok(code) if (300..=599).contains(&code) => Ok(FailWith::Status(code)),
            Ok(code) => Err(format!(
                "{code} is not a failure: give a status from 300 to 599, `timeout` or `drop`"
            )),
            Err(_) => Err(format!(
                "unknown answer `{t}`: give a status from 300 to 599 (e.g. 503), `timeout` or `drop`"
            )),
        }
    }
}

/// A storm's shape (the profile aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StormSpec {
    /// Deliveries in all.
    pub events: u64,
    /// The first sends are spread evenly over this long.
    pub over: Duration,
    /// The receiver fails every request that arrives before this.
    pub outage: Duration,
    /// How it fails them.
    pub fail_with: FailWith,
    /// Seed for ids, data, secrets and jitter.
    pub seed: u64,
}

impl StormSpec {
    /// The problems with this shape, each naming its flag; empty when it can run.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.events == 0 {
            out.push("--events: 0 events make no storm; give 1 or more".to_owned());
        }
        if self.over.is_zero() {
            out.push("--over: 0s leaves no time to spread the events over; give e.g. `10m`".into());
        }
        for (flag, d) in [("--over", self.over), ("--outage", self.outage)] {
            if d > MAX_DURATION {
                out.push(format!(
                    "{flag}: {} is over 30 days, the longest duration hookrig simulates",
                    fmt_duration(d)
                ));
            }
        }
        out
    }

    /// When event `k` (0-based) is first sent: k × over / events, to the nanosecond.
    pub fn first_send(&self, k: u64) -> Duration {
        let ns = self.over.as_nanos() * u128::from(k) / u128::from(self.events.max(1));
        Duration::from_nanos(ns.min(u128::from(u64::MAX)) as u64)
    }
}

/// Bytes a delivery in flight holds at most, measured: its task and futures, its event
/// data, ids and envelope, the request it is sending and its share of the runtime's
/// timer wheel (`docs/benchmarks.md`, "storm memory").
pub const BYTES_PER_DELIVERY: u64 = 4 * 1024;

/// Bytes one second of the load curve holds (a B-tree entry and its share of a node).
pub const BYTES_PER_SECOND: u64 = 48;

/// What a storm will hold at its busiest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// The most deliveries in flight at once.
    pub in_flight: u64,
    /// The longest a delivery can last: every wait at its longest, every attempt timing out.
    pub lifetime: Duration,
    /// Seconds the load curve can span.
    pub seconds: u64,
    /// Bytes in all.
    pub bytes: u64,
}

/// What a storm of `spec` with `profile` holds at its busiest: the deliveries in flight
/// (those started within one delivery lifetime of each other) and the load curve.
pub fn estimate(spec: &StormSpec, profile: &Profile) -> Estimate {
    let policy = &profile.retry;
    let attempts = policy.attempts.max(1);
    let mut lifetime = Duration::ZERO;
    for k in 1..attempts {
        let longest = [spec.fail_with.result(), AttemptResult::Timeout]
            .into_iter()
            .map(|r| policy.wait_range(k, r, None).1)
            .max()
            .unwrap_or_default();
        lifetime = lifetime.saturating_add(longest);
    }
    let hops = u32::from(policy.max_redirects) + 2;
    lifetime = lifetime.saturating_add(policy.timeout.saturating_mul(attempts * hops));
    let over = spec.over.as_secs_f64().max(1e-9);
    let overlap = (spec.events as f64 * lifetime.as_secs_f64() / over).ceil() + 1.0;
    let in_flight = spec.events.min(overlap.min(u64::MAX as f64) as u64);
    let seconds = (spec.over + spec.outage.max(Duration::ZERO))
        .saturating_add(lifetime)
        .as_secs()
        + 1;
    let requests = spec
        .events
        .saturating_mul(u64::from(attempts))
        .saturating_mul(u64::from(hops));
    let bytes = in_flight
        .saturating_mul(BYTES_PER_DELIVERY)
        .saturating_add(seconds.min(requests).saturating_mul(BYTES_PER_SECOND));
    Estimate {
        in_flight,
        lifetime,
        seconds,
        bytes,
    }
}

/// A storm that would not fit in memory, refused before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The estimate.
    pub estimate: Estimate,
    /// The memory it had to fit in, in bytes.
    pub limit: u64,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.estimate;
        write!(
            f,
            "this storm would hold about {} MiB at its busiest ({} deliveries in flight at once, \
             each lasting up to {}, about {} KiB each), more than the {} MiB available; \
             give fewer --events or a longer --over, or split the events across runs",
            e.bytes.div_ceil(1 << 20),
            e.in_flight,
            fmt_duration(e.lifetime),
            BYTES_PER_DELIVERY / 1024,
            self.limit >> 20,
        )
    }
}

/// Refuses a storm whose estimate is over `limit` bytes.
pub fn check_fits(spec: &StormSpec, profile: &Profile, limit: u64) -> Result<Estimate, Refusal> {
    let estimate = estimate(spec, profile);
    if estimate.bytes > limit {
        Err(Refusal { estimate, limit })
    } else {
        Ok(estimate)
    }
}

/// What the receiver saw during one profile's storm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StormResult {
    /// The profile's name.
    pub profile: String,
    /// Requests the receiver got (redirect hops and resends each count).
    pub requests: u64,
    /// Deliveries that got a 2xx.
    pub delivered: u64,
    /// Deliveries whose attempts ran out.
    pub exhausted: u64,
    /// Deliveries ended by an answer that is not retried (or a disabled endpoint).
    pub gave_up: u64,
    /// The most requests in one second of virtual time.
    pub peak_rps: u64,
    /// The second (from the storm's start) of that peak.
    pub peak_second: u64,
    /// When the last delivery ended, from the storm's start: the backlog drained.
    pub drained: Duration,
    /// Requests per second of virtual time.
    pub series: Series,
}

/// How far a storm has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Deliveries ended.
    pub done: u64,
    /// Deliveries in all.
    pub total: u64,
}

/// Runs one profile's storm in virtual time. `progress` hears how far it has got (every
/// few hundred deliveries, and at the end); `journal`, when given, gets one JSON line per
/// request the receiver got and one per delivery that ended, as they happen.
pub fn run(
    spec: &StormSpec,
    profile: Arc<Profile>,
    progress: &mut dyn FnMut(Progress),
    journal: Option<&mut dyn Write>,
) -> std::io::Result<StormResult> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    rt.block_on(storm(spec, profile, progress, journal))
}

/// The endpoint a storm sends to: signed with a secret generated from the seed where the
/// provider always signs, else with the profile's test secret, so every request carries
/// the signature the provider would compute.
fn endpoint(profile: &Profile, seed: u64) -> Endpoint {
    let base = Endpoint::default();
    let mut rng = RunRng::derive(seed, "storm/secret");
    if let Some(e) = profile.endpoint_for_run(&base, &mut rng) {
        return e;
    }
    Endpoint {
        secrets: profile
            .test_secret()
            .map(str::to_owned)
            .into_iter()
            .collect(),
        ..base
    }
}

/// The event types a storm cycles through: the profile's catalogue in order.
fn event_types(profile: &Profile) -> Vec<String> {
    let names: Vec<String> = profile.catalogue.iter().map(|e| e.name.clone()).collect();
    if names.is_empty() {
        vec!["storm.event".into()]
    } else {
        names
    }
}

fn delivery(profile: &Profile, types: &[String], seed: u64, k: u64) -> Delivery {
    let event_type = types[(k % types.len() as u64) as usize].clone();
    let mut rng = RunRng::derive(seed, &format!("storm/{k}"));
    let data = profile.generate_data(&event_type, &mut rng);
    let ids = profile.new_ids(&mut rng);
    Delivery {
        index: k as usize,
        event_type,
        data,
        ids,
        jitter_seed: rng.u64(),
    }
}

/// How many deliveries end between two progress reports.
const PROGRESS_EVERY: u64 = 512;

async fn storm(
    spec: &StormSpec,
    profile: Arc<Profile>,
    progress: &mut dyn FnMut(Progress),
    mut journal: Option<&mut dyn Write>,
) -> std::io::Result<StormResult> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let start = Instant::now();
    let router = Receiver::new(FaultPlan::default())
        .with_outage(spec.outage, spec.fail_with.action())
        .with_events(0, tx.clone())
        .into_app();
    let types = event_types(&profile);
    let ctx = SenderCtx::new(
        Arc::clone(&profile),
        Arc::new(endpoint(&profile, spec.seed)),
        Transport::InProcess(router),
        Arc::new(SimClock::new(SIM_EPOCH_UNIX)),
        tx,
        "/webhook",
    )
    .with_start(start);
    let mut tally = Tally {
        profile: profile.name.clone(),
        series: Series::default(),
        journal: journal.take(),
    };
    let mut result = StormResult {
        profile: profile.name.clone(),
        requests: 0,
        delivered: 0,
        exhausted: 0,
        gave_up: 0,
        peak_rps: 0,
        peak_second: 0,
        drained: Duration::ZERO,
        series: Series::default(),
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut next = 0u64;
    let mut done = 0u64;
    let total = spec.events;
    while done < total {
        tokio::select! {
            biased;
            Some(e) = rx.recv() => tally.apply(e)?,
            Some(ended) = tasks.join_next(), if !tasks.is_empty() => {
                let (outcome, at) = match ended {
                    Ok(x) => x,
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                };
                match outcome {
                    Outcome::Delivered => result.delivered += 1,
                    Outcome::Exhausted => result.exhausted += 1,
                    Outcome::GaveUp | Outcome::Filtered => result.gave_up += 1,
                }
                result.drained = result.drained.max(at);
                done += 1;
                if done.is_multiple_of(PROGRESS_EVERY) {
                    progress(Progress { done, total });
                }
            }
            () = tokio::time::sleep_until(start + spec.first_send(next)), if next < total => {
                let d = delivery(&profile, &types, spec.seed, next);
                let ctx = ctx.clone();
                tasks.spawn(async move {
                    let outcome = sender::deliver(&ctx, &d).await;
                    (outcome, ctx.start.elapsed())
                });
                next += 1;
            }
        }
    }
    drop(ctx);
    while let Some(e) = rx.recv().await {
        tally.apply(e)?;
    }
    if let Some(j) = tally.journal.as_mut() {
        j.flush()?;
    }
    progress(Progress { done, total });
    let (peak_second, peak_rps) = tally.series.peak();
    result.requests = tally.series.total();
    result.peak_rps = peak_rps;
    result.peak_second = peak_second;
    result.series = tally.series;
    Ok(result)
}

/// What the storm keeps of the engine's events: a counter per second of arrivals, and
/// the journal's lines when one is written.
struct Tally<'a> {
    profile: String,
    series: Series,
    journal: Option<&'a mut dyn Write>,
}

impl Tally<'_> {
    fn apply(&mut self, e: EngineEvent) -> std::io::Result<()> {
        match e {
            EngineEvent::RequestReceived {
                at, tag, answer, ..
            } => {
                self.series.add(at.as_secs());
                if let Some(j) = self.journal.as_mut() {
                    let line = json!({
                        "kind": "request",
                        "profile": self.profile,
                        "delivery": tag.as_ref().map(|t| t.delivery),
                        "event_type": tag.as_ref().map(|t| t.event_type.as_str()),
                        "attempt": tag.as_ref().map(|t| t.attempt),
                        "at_ms": at.as_millis() as u64,
                        "answer": answer.label(),
                    });
                    writeln!(j, "{line}")?;
                }
            }
            EngineEvent::DeliveryFinished {
                delivery, outcome, ..
            } => {
                if let Some(j) = self.journal.as_mut() {
                    let line = json!({
                        "kind": "delivery",
                        "profile": self.profile,
                        "delivery": delivery,
                        "outcome": outcome.as_str(),
                    });
                    writeln!(j, "{line}")?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(events: u64, over: u64, outage: u64) -> StormSpec {
        StormSpec {
            events,
            over: Duration::from_secs(over),
            outage: Duration::from_secs(outage),
            fail_with: FailWith::Status(503),
            seed: 1,
        }
    }

    #[test]
    fn event_k_is_first_sent_at_k_times_over_by_n() {
        let s = spec(3, 10, 0);

        assert_eq!(s.first_send(0), Duration::ZERO);
        assert_eq!(s.first_send(1), Duration::from_nanos(3_333_333_333));
        assert_eq!(s.first_send(2), Duration::from_nanos(6_666_666_666));
    }

    #[test]
    fn fail_with_reads_statuses_timeout_and_drop_and_refuses_the_rest() {
        assert_eq!("503".parse(), Ok(FailWith::Status(503)));
        assert_eq!("Timeout".parse(), Ok(FailWith::Timeout));
        assert_eq!("drop".parse(), Ok(FailWith::Drop));
        assert!(
            "200"
                .parse::<FailWith>()
                .unwrap_err()
                .contains("not a failure")
        );
        assert!(
            "hang"
                .parse::<FailWith>()
                .unwrap_err()
                .contains("`timeout` or `drop`")
        );
    }

    #[test]
    fn a_storm_holds_only_the_deliveries_one_lifetime_apart() {
        let p = crate::profile::builtin("llamacloud").unwrap();
        // Three attempts: waits of 1 s and 2 s, every attempt timing out at 30 s (each of
        // up to 2 requests): a delivery lasts at most 3 s + 3 × 2 × 30 s = 183 s.
        let spread = spec(1_000_000, 30 * 24 * 3600, 0);
        let bunched = spec(1_000_000, 60, 0);

        let (s, b) = (estimate(&spread, &p), estimate(&bunched, &p));

        assert_eq!(s.lifetime, Duration::from_secs(183));
        assert_eq!(s.in_flight, 72);
        assert_eq!(b.in_flight, 1_000_000);
        assert!(b.bytes >= 1_000_000 * BYTES_PER_DELIVERY);
        assert!(check_fits(&bunched, &p, 1 << 30).is_err());
        assert!(check_fits(&spread, &p, 1 << 30).is_ok());
    }

    #[test]
    fn a_storm_of_nothing_over_no_time_has_a_problem_per_flag() {
        let s = spec(0, 0, 31 * 24 * 3600);

        let problems = s.problems();

        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("--events"));
        assert!(problems[1].starts_with("--over"));
        assert!(problems[2].starts_with("--outage") && problems[2].contains("30 days"));
    }
}
