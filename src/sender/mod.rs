//! The sender: one event to one endpoint, with a profile's full rules.
//!
//! [`deliver`] fixes the event's time at the first attempt, then builds each attempt's
//! request (ids and body kept — the event's time too —, header timestamps and signatures
//! fresh), sends it through a [`Transport`] under the profile's per-attempt timeout,
//! follows redirects by hand where the profile does, classifies the result with the
//! profile's [`RetryPolicy`](crate::retry::RetryPolicy), and waits the planned time
//! (jittered from the delivery's seeded stream where the profile jitters) on the tokio
//! clock before the next attempt. Everything it does is reported as [`EngineEvent`]s.
//! `transport.rs` holds the two transports; `state.rs` keeps pending deliveries in
//! SQLite, so `hookrig send --state` survives being killed.

pub mod state;
pub mod transport;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::clock::SharedClock;
use crate::events::{EngineEvent, EventSink, Outcome};
use crate::profile::{AttemptInfo, DeliveryIds, Endpoint, HeaderMemo, Profile};
use crate::record::{DeliveryTag, Header, HeaderText, RequestRecord, ResponseRecord};
use crate::retry::{AttemptResult, Verdict};
use crate::rng::RunRng;
pub use transport::{Transport, TransportError, WireRequest, WireResponse};

/// Everything deliveries to one endpoint share.
#[derive(Debug, Clone)]
pub struct SenderCtx {
    /// The rules.
    pub profile: Arc<Profile>,
    /// The endpoint.
    pub endpoint: Arc<Endpoint>,
    /// Where requests go.
    pub transport: Transport,
    /// Wall-clock time for timestamps.
    pub clock: SharedClock,
    /// Where engine events go.
    pub events: EventSink,
    /// Set by a 410 under a profile that disables endpoints.
    pub disabled: Arc<AtomicBool>,
    /// The target URL (a path in sim mode): each attempt's request and record share this
    /// text (a path is kept inline, a longer URL behind a shared pointer).
    pub url: HeaderText,
    /// The scenario index events are reported under.
    pub scenario: usize,
    /// When the scenario started (offsets are measured from it).
    pub start: Instant,
    /// Real time = engine time × this (1 in sim mode and for real sends; live runs
    /// compress time with it). Every duration the sender computes — waits, `Retry-After`,
    /// timeouts — is engine time; it is scaled only where the sender sleeps or times out,
    /// and real elapsed times are divided by it before they are reported.
    pub time_scale: f64,
}

/// One event to deliver.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Index in the scenario.
    pub index: usize,
    /// Event type.
    pub event_type: String,
    /// Event data.
    pub data: Value,
    /// Ids (and the event's time) that stay the same across attempts.
    pub ids: DeliveryIds,
    /// Seed of the delivery's jitter stream, drawn from the run's seeded RNG (used only by
    /// profiles that jitter their waits).
    pub jitter_seed: u64,
}

impl SenderCtx {
    /// A context sending to `url` with `profile`'s rules for `endpoint`: scenario 0, its
    /// offsets measured from now (tokio time), real time as engine time (scale 1), the
    /// endpoint not disabled. The `with_` methods change what differs.
    pub fn new(
        profile: Arc<Profile>,
        endpoint: Arc<Endpoint>,
        transport: Transport,
        clock: SharedClock,
        events: impl Into<EventSink>,
        url: impl Into<HeaderText>,
    ) -> Self {
        SenderCtx {
            profile,
            endpoint,
            transport,
            clock,
            events: events.into(),
            disabled: Arc::new(AtomicBool::new(false)),
            url: url.into(),
            scenario: 0,
            start: Instant::now(),
            time_scale: 1.0,
        }
    }

    /// The same context reporting its events under scenario `index`.
    pub fn with_scenario(mut self, index: usize) -> Self {
        self.scenario = index;
        self
    }

    /// The same context measuring offsets from `start`.
    pub fn with_start(mut self, start: Instant) -> Self {
        self.start = start;
        self
    }

    /// The same context with real time = engine time × `scale`.
    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// The real duration of engine duration `d`.
    pub fn real(&self, d: Duration) -> Duration {
        if self.time_scale == 1.0 {
            d
        } else {
            d.mul_f64(self.time_scale)
        }
    }

    /// The engine duration of real duration `d`.
    pub fn engine(&self, d: Duration) -> Duration {
        if self.time_scale == 1.0 {
            d
        } else {
            d.div_f64(self.time_scale)
        }
    }

    fn emit(&self, e: EngineEvent) {
        self.events.send(e);
    }

    fn finish(&self, delivery: usize, outcome: Outcome, reason: Option<String>) -> Outcome {
        self.emit(EngineEvent::DeliveryFinished {
            scenario: self.scenario,
            delivery,
            outcome,
            reason,
        });
        outcome
    }
}

/// Told about a delivery's progress as it happens, before the sender acts on it: a durable
/// store writes the next attempt's due time before the wait begins, so a process killed
/// during the wait resumes at the right time.
pub trait DeliveryHooks: Sync {
    /// Attempt `next` is due after `wait`.
    fn retry_scheduled(&self, _d: &Delivery, _next: u32, _wait: Duration) {}
    /// The delivery ended.
    fn finished(&self, _d: &Delivery, _outcome: Outcome) {}
}

/// Hooks that do nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl DeliveryHooks for NoHooks {}

/// Delivers one event with the profile's rules; returns its outcome. Every step is
/// reported as an engine event.
pub async fn deliver(ctx: &SenderCtx, d: &Delivery) -> Outcome {
    deliver_from(ctx, d, 1, &NoHooks).await
}

/// Delivers one event starting at attempt `first` (1 for a new delivery; later when a
/// stored delivery resumes), telling `hooks` about each scheduled retry and the end.
pub async fn deliver_from(
    ctx: &SenderCtx,
    d: &Delivery,
    first: u32,
    hooks: &dyn DeliveryHooks,
) -> Outcome {
    let src = Borrowed {
        d,
        event_time: None,
        hooks,
        // In process (sim mode, storms) a delivery keeps the header values that repeat;
        // over HTTP it does not, so a delivery waiting to retry holds no more than before
        // (boxed: 8 bytes of the future, not 24).
        memo: matches!(ctx.transport, Transport::InProcess(_)).then(Box::default),
    };
    let outcome = deliver_inner(ctx, src, first.max(1)).await;
    hooks.finished(d, outcome);
    outcome
}

/// [`deliver`] for a delivery the sender may keep: the same requests and events, but a
/// delivery waiting to retry holds less — once its first body is built its event data
/// is dropped when the body repeats and no header reads the data ([`Profile::headers_read_data`]). For many deliveries waiting at once (a
/// service embedding the sender, `benches/live.rs memory`); `ctx` is anything that derefs
/// to the context (`Arc<SenderCtx>`, `&SenderCtx`), so the future can be spawned as it is.
pub fn deliver_owned<C>(ctx: C, d: Delivery) -> impl Future<Output = Outcome>
where
    C: std::ops::Deref<Target = SenderCtx>,
{
    deliver_inner(ctx, Owned(d), 1)
}

/// Where [`deliver_inner`] reads a delivery from: borrowed (the event's time fixed beside
/// it, its ids not copied; `hooks` told) or owned (fixed in place, the data dropped when
/// no longer needed).
trait Source {
    /// Whether [`Source::data_done`] drops anything: only then is the profile asked
    /// whether a header reads the data (a walk of its header templates per delivery).
    const DROPS_DATA: bool = false;
    fn index(&self) -> usize;
    fn event_type(&self) -> &str;
    /// When the event happened, once known (the delivery's own time or the one fixed).
    fn event_time(&self) -> Option<Duration>;
    fn jitter_seed(&self) -> u64;
    /// Fixes the event's time (called when the delivery has none).
    fn fix_time(&mut self, now: Duration);
    /// The first body is built and repeats, and no header reads the data.
    fn data_done(&mut self) {}
    /// Attempt `next` is due after `wait` ([`DeliveryHooks::retry_scheduled`]).
    fn retry_scheduled(&self, _next: u32, _wait: Duration) {}
    /// What an attempt is built from: the event type, the data, the ids and the
    /// delivery's header memo when it keeps one.
    fn attempt_inputs(&mut self) -> AttemptInputs<'_>;
}

/// What an attempt is built from ([`Source::attempt_inputs`]).
struct AttemptInputs<'a> {
    event_type: &'a str,
    data: &'a Value,
    ids: &'a DeliveryIds,
    /// The event's time when `ids` has none ([`Profile::build_attempt_memo`]).
    event_time: Option<Duration>,
    memo: Option<&'a mut HeaderMemo>,
}

struct Borrowed<'a> {
    d: &'a Delivery,
    /// The event's time fixed at the first attempt when the delivery has none (kept here,
    /// not in a copy of the delivery's ids).
    event_time: Option<Duration>,
    hooks: &'a dyn DeliveryHooks,
    memo: Option<Box<HeaderMemo>>,
}

impl Source for Borrowed<'_> {
    fn index(&self) -> usize {
        self.d.index
    }
    fn event_type(&self) -> &str {
        &self.d.event_type
    }
    fn event_time(&self) -> Option<Duration> {
        self.d.ids.event_time.or(self.event_time)
    }
    fn jitter_seed(&self) -> u64 {
        self.d.jitter_seed
    }
    fn fix_time(&mut self, now: Duration) {
        self.event_time = Some(now);
    }
    fn retry_scheduled(&self, next: u32, wait: Duration) {
        self.hooks.retry_scheduled(self.d, next, wait);
    }
    fn attempt_inputs(&mut self) -> AttemptInputs<'_> {
        AttemptInputs {
            event_type: &self.d.event_type,
            data: &self.d.data,
            ids: &self.d.ids,
            event_time: self.event_time,
            memo: self.memo.as_deref_mut(),
        }
    }
}

/// A delivery handed over to the sender.
struct Owned(Delivery);

impl Source for Owned {
    const DROPS_DATA: bool = true;
    fn index(&self) -> usize {
        self.0.index
    }
    fn event_type(&self) -> &str {
        &self.0.event_type
    }
    fn event_time(&self) -> Option<Duration> {
        self.0.ids.event_time
    }
    fn jitter_seed(&self) -> u64 {
        self.0.jitter_seed
    }
    fn fix_time(&mut self, now: Duration) {
        self.0.ids.event_time = Some(now);
    }
    fn data_done(&mut self) {
        // An empty object (no allocation): later attempts read neither the data (no header
        // does, the body is re-sent) nor its kind past the first build, which checked it.
        self.0.data = Value::Object(serde_json::Map::new());
    }
    fn attempt_inputs(&mut self) -> AttemptInputs<'_> {
        AttemptInputs {
            event_type: &self.0.event_type,
            data: &self.0.data,
            ids: &self.0.ids,
            event_time: None,
            memo: None,
        }
    }
}

/// The delivery loop. Only what the next attempt needs is kept across its waits: the
/// verdict, the wait and the messages are worked out in [`settle`] (a delivery waiting to
/// retry holds this future; every byte of it is multiplied by the deliveries waiting).
/// Not an `async fn`: the block owns `ctx` and `src` and uses them in place, where an
/// `async fn` would keep its arguments and their moved copies side by side, and a
/// reference to each (16 bytes, enough to cross a tokio task-cell size class here).
#[allow(clippy::manual_async_fn)]
fn deliver_inner<C, S>(ctx: C, mut src: S, first: u32) -> impl Future<Output = Outcome>
where
    C: std::ops::Deref<Target = SenderCtx>,
    S: Source,
{
    async move {
        if !ctx.endpoint.accepts(src.event_type()) {
            return ctx.finish(
                src.index(),
                Outcome::Filtered,
                Some("the endpoint's event filter leaves it out".into()),
            );
        }
        let attempts = ctx.profile.retry.attempts.max(1);
        // The event happened when its first attempt is made (or when a stored delivery says):
        // every attempt's body carries that time.
        if src.event_time().is_none() {
            src.fix_time(ctx.clock.now());
        }
        // Only profiles that jitter draw from the delivery's stream (and pay for it); boxed,
        // so that a delivery waiting to retry without jitter does not carry its space.
        let mut jitter = (ctx.profile.retry.jitter_percent > 0)
            .then(|| Box::new(RunRng::new(src.jitter_seed())));
        let mut previous: Option<AttemptResult> = None;
        // The body repeats unchanged on every attempt (docs/scenarios.md: the event's time is fixed):
        // built once and re-sent, unless the profile's envelope reads the attempt.
        let body_repeats = ctx.profile.body_repeats();
        let mut body: Option<bytes::Bytes> = None;
        // Over real HTTP, when the attempt after a wait is due (set by the wait, handed to
        // the attempt, which builds its request before then). 16 bytes of a waiting
        // delivery's future (376 → 392 in a debug build; the same tokio task-cell class).
        let mut due: Option<Due> = None;
        for n in first..=attempts {
            if ctx.disabled.load(Ordering::SeqCst) {
                let policy = &ctx.profile.retry;
                return ctx.finish(
                    src.index(),
                    Outcome::GaveUp,
                    Some(format!(
                        "the endpoint was disabled by a {} answer",
                        policy
                            .disable_on
                            .iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )),
                );
            }
            // Boxed: an attempt's state (its request, a router call or an HTTP exchange) is
            // large, and a delivery waiting to retry should not carry its space through the wait.
            let had_body = body.is_some();
            // The inputs borrowed in a block of their own, so that the future keeps no
            // room for them across the attempt (a waiting delivery's future stays as small).
            // In process the attempt calls the router itself ([`Sends`]): its future is then
            // sized for that call, not for the largest transport's exchange, and copied into
            // its box at that size.
            let tried: std::pin::Pin<Box<dyn Future<Output = Tried> + Send + '_>> = {
                let index = src.index();
                let inputs = src.attempt_inputs();
                // One call, made for each kind of [`Sends`] (a future type of its own).
                macro_rules! attempt_via {
                    ($via:expr) => {
                        pinned_in_place(|| {
                            one_attempt(
                                &ctx,
                                $via,
                                index,
                                inputs,
                                n,
                                previous,
                                &mut body,
                                body_repeats,
                                due,
                            )
                        })
                    };
                }
                match &ctx.transport {
                    Transport::InProcess(router) => attempt_via!(CallRouter(router)),
                    Transport::Http(_) => attempt_via!(AnyTransport),
                }
            };
            let tried = tried.await;
            if S::DROPS_DATA && !had_body && body.is_some() && !ctx.profile.headers_read_data() {
                src.data_done();
            }
            match settle(&ctx, &src, n, attempts, tried, &mut previous, &mut jitter) {
                Settled::Done(outcome) => return outcome,
                Settled::Last => due = None,
                Settled::Wait(real) => {
                    if matches!(ctx.transport, Transport::Http(_)) {
                        // Until [`LIVE_WAIT_MARGIN`] before the due time; the attempt builds
                        // its request then and waits out the rest. Boxed: the wait's state
                        // would grow every waiting delivery's future past a tokio task-cell
                        // size class (128 bytes).
                        due = Some(Box::pin(wait_to_margin(real)).await);
                    } else {
                        // In process (sim mode, paused time): one plain tokio sleep, as sim
                        // output depends on it. (From the time the attempt ended at it would
                        // save a clock read, but keeping that time through the wait made
                        // every waiting delivery's future larger.)
                        due = None;
                        tokio::time::sleep(real).await;
                    }
                }
            }
        }
        ctx.finish(
            src.index(),
            Outcome::Exhausted,
            // Described only here, not on every attempt.
            Some(format!(
                "{attempts} attempts failed; the last: {}",
                previous.map(describe).unwrap_or_default()
            )),
        )
    }
}

/// `make()`'s value pinned in a box of its own, the box allocated before the value is made,
/// so that it can be made in the box (`Box::pin(value)` makes it on the stack first and
/// copies it in: the attempt's future, at its full size, on every attempt).
#[inline(always)]
fn pinned_in_place<T>(make: impl FnOnce() -> T) -> std::pin::Pin<Box<T>> {
    Box::into_pin(Box::write(Box::new_uninit(), make()))
}

/// What the delivery loop does after an attempt.
enum Settled {
    /// The delivery ended so.
    Done(Outcome),
    /// Retried, but that was the last attempt.
    Last,
    /// Wait this long (real time) before the next attempt.
    Wait(Duration),
}

/// Attempt `n`'s verdict acted on: the delivery's end reported, or its retry scheduled
/// (reported, `src` told) with the real time to wait.
fn settle(
    ctx: &SenderCtx,
    src: &impl Source,
    n: u32,
    attempts: u32,
    tried: Tried,
    previous: &mut Option<AttemptResult>,
    jitter: &mut Option<Box<RunRng>>,
) -> Settled {
    let profile = &ctx.profile;
    let policy = &profile.retry;
    let index = src.index();
    let (result, verdict, retry_after) = match tried {
        Tried::NotBuilt(e) => {
            return Settled::Done(ctx.finish(
                index,
                Outcome::GaveUp,
                Some(format!("request could not be built: {e}")),
            ));
        }
        Tried::Ran {
            result,
            verdict,
            retry_after,
        } => (result, verdict, retry_after),
    };
    *previous = Some(result);
    let outcome = match verdict {
        Verdict::Delivered => ctx.finish(index, Outcome::Delivered, None),
        Verdict::GiveUp => ctx.finish(
            index,
            Outcome::GaveUp,
            Some(format!("attempt {n}: {} is not retried", describe(result))),
        ),
        Verdict::Disable => {
            ctx.disabled.store(true, Ordering::SeqCst);
            ctx.finish(
                index,
                Outcome::GaveUp,
                Some(format!(
                    "attempt {n}: {} disables the endpoint",
                    match result {
                        AttemptResult::Status(s) => s.to_string(),
                        _ => describe(result),
                    }
                )),
            )
        }
        Verdict::Stop => {
            let (name, value) = policy.stop_header.clone().unwrap_or_default();
            ctx.finish(
                index,
                Outcome::GaveUp,
                Some(format!(
                    "attempt {n}: {} with `{name}: {value}` stops the retries",
                    describe(result)
                )),
            )
        }
        Verdict::Retry if n < attempts => {
            let planned = policy.planned_wait(n, result, retry_after);
            let wait = match jitter {
                Some(rng) => policy.jittered(planned, rng.u64()),
                None => planned,
            };
            src.retry_scheduled(n + 1, wait);
            ctx.emit(EngineEvent::RetryScheduled {
                scenario: ctx.scenario,
                delivery: index,
                n,
                wait,
            });
            if let Some(status) = profile.pending_status {
                ctx.emit(EngineEvent::DeliveryStatus {
                    scenario: ctx.scenario,
                    delivery: index,
                    after: n,
                    status,
                });
            }
            return Settled::Wait(ctx.real(wait));
        }
        Verdict::Retry => return Settled::Last,
    };
    Settled::Done(outcome)
}

/// How long before a live retry's due time its timer is set. Tokio's timer fires on the
/// first millisecond tick at or after a deadline, and the thread then has to wake: on its
/// own a live retry started 1.3–1.7 ms late at the median and 2.4–7 ms at the 99th
/// percentile (`benches/live.rs accuracy`, docs/benchmarks.md). So a live wait sleeps until
/// this margin before the due time; the attempt then builds and signs its request and
/// yields to the runtime for the rest, at most this long, so that at the due time only the
/// send is left.
pub const LIVE_WAIT_MARGIN: Duration = Duration::from_millis(2);

/// When a live retry is due (tokio time).
#[derive(Debug)]
struct Due(Instant);

/// Sleeps over real HTTP until [`LIVE_WAIT_MARGIN`] before the end of `real`; returns when
/// that end is due.
async fn wait_to_margin(real: Duration) -> Due {
    let due = Instant::now() + real;
    if real > LIVE_WAIT_MARGIN {
        tokio::time::sleep_until(due - LIVE_WAIT_MARGIN).await;
    }
    Due(due)
}

/// The injected clock's reading at `due`: its reading now plus the tokio time left until
/// then (the clock's reading now when there is no due time or it has passed). A retry built
/// before its due time carries the time it is sent at, not the time it was built at.
fn clock_at(ctx: &SenderCtx, due: Option<&Due>) -> Duration {
    // The time left read before the clock, so that the sum can only err late (by the
    // nanoseconds between the two reads), never early.
    let left = due.map(|Due(at)| at.saturating_duration_since(Instant::now()));
    ctx.clock.now() + left.unwrap_or_default()
}

/// How an attempt's requests go out: through the context's [`Transport`], or, in
/// process, straight to its router. An attempt's future holds its request's future, and an
/// attempt through `Transport::send` is sized for the largest of its transports' (a plain
/// HTTP exchange's, about twice an in-process call's); the attempt is copied into its box
/// at that size on every attempt.
trait Sends: Sync {
    /// Sends `req` and waits for the answer.
    fn send<'a>(
        &'a self,
        ctx: &'a SenderCtx,
        req: WireRequest<'a>,
    ) -> impl Future<Output = Result<WireResponse, TransportError>> + Send + 'a;
}

/// Through the context's transport, whichever it is.
struct AnyTransport;

impl Sends for AnyTransport {
    fn send<'a>(
        &'a self,
        ctx: &'a SenderCtx,
        req: WireRequest<'a>,
    ) -> impl Future<Output = Result<WireResponse, TransportError>> + Send + 'a {
        ctx.transport.send(req)
    }
}

/// Straight to the in-process transport's router (what `Transport::send` does for it).
struct CallRouter<'r>(&'r axum::Router);

impl Sends for CallRouter<'_> {
    fn send<'a>(
        &'a self,
        _ctx: &'a SenderCtx,
        req: WireRequest<'a>,
    ) -> impl Future<Output = Result<WireResponse, TransportError>> + Send + 'a {
        transport::send_in_process(self.0, req)
    }
}

/// How one attempt went.
enum Tried {
    /// Its request could not be built (why).
    NotBuilt(String),
    /// It was made: its result, the policy's verdict and the answer's `Retry-After`.
    Ran {
        result: AttemptResult,
        verdict: Verdict,
        retry_after: Option<Duration>,
    },
}

/// Attempt `n` of `d`, start to verdict: builds the request (re-sending `body` when it
/// repeats, and keeping the one built), waits for `due` when it has one (a live retry,
/// built ahead with the clock's reading at `due`), reports its start, makes it, classifies
/// the answer and reports its end.
#[allow(clippy::too_many_arguments)]
async fn one_attempt(
    ctx: &SenderCtx,
    via: impl Sends,
    index: usize,
    inputs: AttemptInputs<'_>,
    n: u32,
    previous: Option<AttemptResult>,
    body: &mut Option<bytes::Bytes>,
    body_repeats: bool,
    due: Option<Due>,
) -> Tried {
    let profile = &ctx.profile;
    let policy = &profile.retry;
    let mut started = Instant::now();
    // The wall clock read from the tokio time just read (a live retry built ahead: at its
    // due time).
    let wall = match due.as_ref() {
        None => ctx.clock.now_at(started),
        Some(d) => clock_at(ctx, Some(d)),
    };
    let AttemptInputs {
        event_type,
        data,
        ids,
        event_time,
        memo,
    } = inputs;
    let request = match profile.build_attempt_memo(
        &ctx.endpoint,
        event_type,
        data,
        ids,
        event_time,
        wall,
        AttemptInfo {
            n,
            last: previous,
            url: &ctx.url,
        },
        body.clone(),
        memo,
    ) {
        Ok(r) => {
            if body_repeats {
                *body = Some(r.body.clone());
            }
            r
        }
        Err(e) => return Tried::NotBuilt(e.to_string()),
    };
    // A live retry built ahead of its due time starts then: the runtime is yielded to until
    // tokio's clock reaches it (at most [`LIVE_WAIT_MARGIN`]).
    if let Some(Due(at)) = due {
        while Instant::now() < at {
            // The thread is yielded to the kernel too: another worker of the runtime, holding
            // retries already due, may be waiting for this CPU (the kernel puts a worker woken
            // by another on the waker's CPU), and would wait out this whole loop behind it.
            std::thread::yield_now();
            tokio::task::yield_now().await;
        }
        started = Instant::now();
    }
    let record = Arc::new(RequestRecord {
        method: "POST".into(),
        path: ctx.url.clone(),
        headers: request.headers,
        body: request.body,
    });
    ctx.emit(EngineEvent::AttemptStarted {
        scenario: ctx.scenario,
        delivery: index,
        n,
        at: ctx.engine(started - ctx.start),
        request: Arc::clone(&record),
    });
    let (result, response, requests) =
        attempt(ctx, &via, index, event_type, n, &record, started).await;
    drop(record);
    // The tokio clock read once at the end, for the latency and a `Retry-After`.
    let ended = Instant::now();
    let latency = ctx.engine(ended.saturating_duration_since(started));
    // The wall clock read only when the answer has a `Retry-After` to read against it.
    let retry_after = response
        .as_ref()
        .filter(|r| crate::signing::header(&r.headers, "retry-after").is_some())
        .and_then(|r| retry_after(&r.headers, ctx.clock.now_at(ended)));
    let verdict = match &response {
        Some(r) => policy.classify_answer(result, &r.headers),
        None => policy.classify(result),
    };
    ctx.emit(EngineEvent::AttemptFinished {
        scenario: ctx.scenario,
        delivery: index,
        n,
        result,
        response: response.map(Arc::new),
        latency,
        requests,
    });
    Tried::Ran {
        result,
        verdict,
        retry_after,
    }
}

/// One attempt: the first request and any redirect hops, each under the timeout (and,
/// where the profile does it, one immediate resend after a quick connection error).
/// `started` is the tokio time the attempt started at: in process, where nothing waits
/// between it and the first request, that request's timeout runs from it (the same
/// deadline, one clock read less).
async fn attempt(
    ctx: &SenderCtx,
    via: &impl Sends,
    index: usize,
    event_type: &str,
    n: u32,
    request: &RequestRecord,
    started: Instant,
) -> (AttemptResult, Option<ResponseRecord>, u32) {
    let policy = &ctx.profile.retry;
    // The URL a redirect led to (none yet: the context's).
    let mut redirected: Option<String> = None;
    let mut hop = 0u32;
    let mut resent = false;
    loop {
        // Read only where the profile resends after a quick connection error.
        let sent_at = policy
            .resend_quick_connection_error
            .is_some()
            .then(Instant::now);
        // The context's URL shared (a redirect's target made into a text once per hop).
        let url = match &redirected {
            Some(r) => HeaderText::from(r.as_str()),
            None => ctx.url.clone(),
        };
        let req = WireRequest {
            url: url.clone(),
            headers: &request.headers,
            body: request.body.clone(),
            tag: DeliveryTag {
                delivery: index,
                // Read by the in-process receiver only: over HTTP the tag goes nowhere.
                event_type: match ctx.transport {
                    // Kept inline (no allocation) up to 23 bytes, as most event types are.
                    Transport::InProcess(_) => HeaderText::new(event_type),
                    Transport::Http(_) => HeaderText::default(),
                },
                attempt: n,
                hop,
            },
        };
        let limit = ctx.real(policy.timeout);
        let deadline = match ctx.transport {
            Transport::InProcess(_) if hop == 0 => started.checked_add(limit),
            _ => None,
        };
        // The call's future pinned where it is made: the timeout holds a reference to it,
        // so the future (the router call's state, in process) is not moved into the
        // timeout and again into the await's place.
        let send = std::pin::pin!(via.send(ctx, req));
        let send = match deadline {
            Some(at) => tokio::time::timeout_at(at, send),
            None => tokio::time::timeout(limit, send),
        };
        let answer = match send.await {
            Err(_) => return (AttemptResult::Timeout, None, hop + 1),
            Ok(Err(_)) => {
                // Real time, never scaled: the window tells a socket that fails at
                // once from one that fails slowly.
                let quick = policy
                    .resend_quick_connection_error
                    .zip(sent_at)
                    .is_some_and(|(within, at)| at.elapsed() < within);
                if quick && !resent {
                    resent = true;
                    hop += 1;
                    continue;
                }
                return (AttemptResult::Connection, None, hop + 1);
            }
            Ok(Ok(r)) => r,
        };
        let response = ResponseRecord {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
        };
        let location = crate::signing::header(&response.headers, "location").map(str::to_owned);
        match location {
            Some(loc) if policy.follows(response.status) => {
                if hop >= u32::from(policy.max_redirects) {
                    return (AttemptResult::TooManyRedirects, Some(response), hop + 1);
                }
                redirected = Some(resolve(&url, &loc));
                hop += 1;
            }
            _ => {
                return (
                    AttemptResult::Status(response.status),
                    Some(response),
                    hop + 1,
                );
            }
        }
    }
}

/// Resolves a `Location` against the URL it answered.
fn resolve(base: &str, location: &str) -> String {
    match reqwest::Url::parse(base) {
        Ok(b) => b
            .join(location)
            .map_or_else(|_| location.to_owned(), |u| u.to_string()),
        Err(_) => location.to_owned(),
    }
}

/// `Retry-After` as a duration: seconds (a fraction rounded up, as svix-server reads it)
/// or an HTTP date relative to `now`.
pub fn retry_after(headers: &[Header], now: Duration) -> Option<Duration> {
    let v = crate::signing::header(headers, "retry-after")?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs(secs.ceil().min(u64::MAX as f64) as u64));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let at = at.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(at.saturating_sub(now))
}

fn describe(r: AttemptResult) -> String {
    match r {
        AttemptResult::Status(s) => format!("status {s}"),
        AttemptResult::Timeout => "a timeout".into(),
        AttemptResult::Connection => "a connection error".into(),
        AttemptResult::TooManyRedirects => "too many redirects".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{FixedClock, SIM_EPOCH_UNIX};
    use crate::faults::{Action, FaultPlan, Step};
    use crate::receiver::Receiver;
    use crate::retry::Backoff;

    type Sent = Vec<(Vec<crate::record::Header>, bytes::Bytes)>;

    /// A context sending `p` (three attempts, a second apart) to `endpoint` through an
    /// in-process receiver answering 503 to every attempt, on `clock`; and its events.
    fn answering_503(
        mut p: Profile,
        endpoint: Endpoint,
        clock: SharedClock,
    ) -> (SenderCtx, tokio::sync::mpsc::UnboundedReceiver<EngineEvent>) {
        p.retry.attempts = 3;
        p.retry.backoff = Backoff::Table(vec![Duration::from_secs(1)]);
        let plan = FaultPlan::new(vec![Step {
            when_event: None,
            action: Action::status(503),
        }]);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let ctx = SenderCtx::new(
            Arc::new(p),
            Arc::new(endpoint),
            Transport::InProcess(Receiver::new(plan).into_app()),
            clock,
            tx,
            "/hooks",
        );
        (ctx, rx)
    }

    /// Delivers the profile's first event type (data and ids from seed 7) to a receiver
    /// answering 503 three times, owned or borrowed; every attempt's headers and body, and
    /// the outcome.
    async fn three_attempts(p: &Profile, owned: bool) -> (Sent, Outcome) {
        let mut rng = RunRng::new(7);
        let endpoint = p
            .endpoint_for_run(&Endpoint::default(), &mut rng)
            .unwrap_or_default();
        let event_type = p
            .catalogue
            .first()
            .map_or_else(|| "ping".to_owned(), |e| e.name.clone());
        let d = Delivery {
            index: 0,
            data: p.generate_data(&event_type, &mut rng),
            ids: p.new_ids(&mut rng),
            event_type,
            jitter_seed: 5,
        };
        let (ctx, mut rx) = answering_503(
            p.clone(),
            endpoint,
            Arc::new(FixedClock(Duration::from_secs(SIM_EPOCH_UNIX as u64))),
        );
        let outcome = if owned {
            deliver_owned(&ctx, d).await
        } else {
            deliver(&ctx, &d).await
        };
        drop(ctx);
        let mut sent = Vec::new();
        while let Some(e) = rx.recv().await {
            if let EngineEvent::AttemptStarted { request, .. } = e {
                sent.push((request.headers.clone(), request.body.clone()));
            }
        }
        (sent, outcome)
    }

    /// llamacloud with one more header, which reads the event data.
    fn llamacloud_with_a_data_header() -> Profile {
        let text = crate::profile::builtin_text("llamacloud").unwrap().replace(
            "  - $custom\n",
            "  - X-Job: \"{data.job_id}\"\n  - $custom\n",
        );
        crate::profile::load::load_str(std::path::Path::new("x.yaml"), &text).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn an_owned_delivery_sends_the_same_requests_as_a_borrowed_one_with_every_builtin_profile()
     {
        for p in crate::profile::builtins() {
            // Act
            let (borrowed, by_ref) = three_attempts(&p, false).await;
            let (owned, by_value) = three_attempts(&p, true).await;

            // Assert
            assert!(!borrowed.is_empty(), "{}", p.name);
            assert_eq!(owned, borrowed, "{}", p.name);
            assert_eq!(by_value, by_ref, "{}", p.name);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_owned_delivery_keeps_its_data_for_every_attempt_when_a_header_reads_it() {
        // Arrange
        let p = llamacloud_with_a_data_header();

        // Act
        let (borrowed, _) = three_attempts(&p, false).await;
        let (owned, _) = three_attempts(&p, true).await;

        // Assert
        assert_eq!(owned.len(), 3);
        for (headers, _) in &owned {
            let job = headers.iter().find(|(k, _)| k == "X-Job").map(|(_, v)| v);
            assert!(job.is_some_and(|v| !v.is_empty()), "{headers:?}");
        }
        assert_eq!(owned, borrowed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_borrowed_delivery_without_a_time_carries_its_first_attempts_time_on_every_attempt() {
        // Arrange: a header read afresh on every attempt (it reads the attempt number, so
        // no memo keeps it) that also reads the event's time; a clock that moves with the
        // paused tokio clock, and a second between attempts.
        let text = crate::profile::builtin_text("standard-webhooks")
            .unwrap()
            .replace(
                "  - $custom\n",
                "  - X-When: \"{attempt} {rfc3339(time, 3, 'Z')}\"\n  - $custom\n",
            );
        let p = crate::profile::load::load_str(std::path::Path::new("x.yaml"), &text).unwrap();
        let mut rng = RunRng::new(7);
        let d = Delivery {
            index: 0,
            data: p.generate_data("user.created", &mut rng),
            ids: p.new_ids(&mut rng),
            event_type: "user.created".into(),
            jitter_seed: 5,
        };
        assert_eq!(d.ids.event_time, None);
        let (ctx, mut rx) = answering_503(
            p,
            Endpoint::default(),
            Arc::new(crate::clock::SimClock::new(SIM_EPOCH_UNIX)),
        );

        // Act
        let outcome = deliver(&ctx, &d).await;
        drop(ctx);

        // Assert
        let mut when = Vec::new();
        while let Some(e) = rx.recv().await {
            if let EngineEvent::AttemptStarted { request, .. } = e {
                let v = crate::signing::header(&request.headers, "x-when").map(str::to_owned);
                when.push(v.unwrap_or_default());
            }
        }
        assert_eq!(outcome, Outcome::Exhausted);
        assert_eq!(
            when,
            [1, 2, 3].map(|n| format!("{n} 2025-01-01T00:00:00.000Z")),
            "the delivery's own ids are not given a time: {:?}",
            d.ids.event_time
        );
    }

    /// One attempt of a standard-webhooks delivery to an in-process receiver answering
    /// `action`, its router called directly or through the transport: what it reported
    /// and how it went.
    async fn one_attempt_via(action: Action, direct: bool) -> (Vec<String>, String) {
        let p = crate::profile::builtin("standard-webhooks").unwrap();
        let mut rng = RunRng::new(3);
        let endpoint = p
            .endpoint_for_run(&Endpoint::default(), &mut rng)
            .unwrap_or_default();
        let data = p.generate_data("user.created", &mut rng);
        let ids = p.new_ids(&mut rng);
        let plan = FaultPlan::new(vec![Step {
            when_event: None,
            action,
        }]);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let ctx = SenderCtx::new(
            Arc::new(p),
            Arc::new(endpoint),
            Transport::InProcess(Receiver::new(plan).with_events(0, tx.clone()).into_app()),
            Arc::new(FixedClock(Duration::from_secs(SIM_EPOCH_UNIX as u64))),
            tx,
            "/hooks",
        );
        let mut body = None;
        let mut memo = HeaderMemo::default();
        let Transport::InProcess(router) = &ctx.transport else {
            unreachable!("an in-process context");
        };
        let last = Some(AttemptResult::Status(503));
        macro_rules! attempt_via {
            ($via:expr) => {
                one_attempt(
                    &ctx,
                    $via,
                    0,
                    AttemptInputs {
                        event_type: "user.created",
                        data: &data,
                        ids: &ids,
                        event_time: None,
                        memo: Some(&mut memo),
                    },
                    2,
                    last,
                    &mut body,
                    true,
                    None,
                )
                .await
            };
        }
        let tried = if direct {
            attempt_via!(CallRouter(router))
        } else {
            attempt_via!(AnyTransport)
        };
        let tried = match tried {
            Tried::NotBuilt(e) => format!("not built: {e}"),
            Tried::Ran {
                result,
                verdict,
                retry_after,
            } => format!(
                "{result:?} {verdict:?} {retry_after:?} {:?}",
                Instant::now() - ctx.start
            ),
        };
        drop(ctx);
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(format!("{e:?}"));
        }
        (events, tried)
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_calling_the_router_directly_goes_as_one_through_the_transport() {
        let answers = [
            Action::status(200),
            Action::Respond {
                status: 503,
                body: "busy".into(),
                headers: vec![("Retry-After".into(), "120".into())],
                after: Duration::from_secs(2),
                dribble: None,
            },
            Action::Respond {
                status: 301,
                body: String::new(),
                headers: vec![("Location".into(), "/moved".into())],
                after: Duration::ZERO,
                dribble: None,
            },
            Action::Fault(crate::faults::Fault::Reset),
            Action::Fault(crate::faults::Fault::Hang),
        ];
        for action in answers {
            // Act
            let (direct, direct_tried) = one_attempt_via(action.clone(), true).await;
            let (through, through_tried) = one_attempt_via(action.clone(), false).await;

            // Assert
            assert!(direct.len() >= 3, "{action:?}: {direct:?}");
            assert_eq!(direct, through, "{action:?}");
            assert_eq!(direct_tried, through_tried, "{action:?}");
        }
    }

    #[test]
    fn a_header_reading_the_event_data_is_seen_and_llamacloud_has_none() {
        assert!(
            !crate::profile::builtin("llamacloud")
                .unwrap()
                .headers_read_data()
        );
        assert!(llamacloud_with_a_data_header().headers_read_data());
    }

    /// A sender that keeps what each request it is given says of its texts: the address of
    /// its URL's text, whether its tag's event type is on the heap, and the URL.
    struct Recorded(std::sync::Mutex<Vec<(usize, bool, String)>>);

    impl Sends for Recorded {
        fn send<'a>(
            &'a self,
            _ctx: &'a SenderCtx,
            req: WireRequest<'a>,
        ) -> impl Future<Output = Result<WireResponse, TransportError>> + Send + 'a {
            self.0.lock().unwrap().push((
                req.url.as_ptr().addr(),
                req.tag.event_type.is_heap_allocated(),
                req.url.to_string(),
            ));
            std::future::ready(Ok(WireResponse {
                status: 503,
                headers: Vec::new(),
                body: bytes::Bytes::new(),
            }))
        }
    }

    #[tokio::test]
    async fn every_attempts_request_shares_the_contexts_long_url_and_keeps_a_short_event_type_inline()
     {
        // Arrange: a context whose URL is too long to be kept inline.
        let url = "http://127.0.0.1:8080/hooks/a-long-webhook-path";
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let ctx = SenderCtx::new(
            Arc::new(crate::profile::builtin("standard-webhooks").unwrap()),
            Arc::new(Endpoint::default()),
            Transport::InProcess(Receiver::new(FaultPlan::new(Vec::new())).into_app()),
            Arc::new(FixedClock(Duration::from_secs(SIM_EPOCH_UNIX as u64))),
            tx,
            url,
        );
        let request = RequestRecord {
            method: "POST".into(),
            path: ctx.url.clone(),
            headers: Vec::new(),
            body: bytes::Bytes::new(),
        };
        let via = Recorded(Default::default());

        // Act: three attempts, of a short event type and of one over 23 bytes.
        for (n, event_type) in [
            (1, "user.created"),
            (2, "user.created"),
            (3, "a.long.event_type.name.x"),
        ] {
            let (result, _, _) =
                attempt(&ctx, &via, 0, event_type, n, &request, Instant::now()).await;
            assert_eq!(result, AttemptResult::Status(503));
        }

        // Assert: each request's URL is the context's very text; the event type's text is
        // copied inline when short.
        let seen = via.0.into_inner().unwrap();
        assert_eq!(seen.len(), 3);
        for (at, _, sent) in &seen {
            assert_eq!(sent, url);
            assert_eq!(*at, ctx.url.as_ptr().addr(), "the URL copied");
        }
        let on_heap: Vec<bool> = seen.iter().map(|(_, heap, _)| *heap).collect();
        assert_eq!(on_heap, [false, false, true]);
    }
}
