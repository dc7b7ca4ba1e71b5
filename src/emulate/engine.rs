//! The job and delivery engine every emulator shares.
//!
//! An [`Engine`] owns what makes an emulator deterministic and observable: the seeded
//! generator every id and result is drawn from (a job draws its own generator from it when
//! it is created, so jobs finishing in another order draw the same values), the injected
//! wall clock, the time scale, the plan, and the deliveries. [`Engine::fire`] hands one
//! event to hookrig's own sender ([`crate::sender::deliver`]) with the provider's
//! profile, as its own task: envelope, headers, signature, retries and timeouts are the
//! profile's, a receiver that never answers holds up only that delivery, and every step
//! comes back as an [`EngineEvent`]. One reducer task applies those events to a
//! [`RunState`] — the structure every hookrig report reads — from which
//! `GET /_hookrig/deliveries` is served and `--journal` lines are written (the same lines
//! as `hookrig run --journal`, with the job and URL added).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::plan::{self, Decision, JobFacts, Plan, PlanError, Vocabulary};
use crate::clock::SharedClock;
use crate::events::{EngineEvent, LiveTiming, Outcome};
use crate::profile::{Endpoint, Profile};
use crate::retry::AttemptResult;
use crate::rng::RunRng;
use crate::run_state::RunState;
use crate::sender::{self, Delivery, SenderCtx, Transport};

/// Where one kind of webhook goes: the provider's rules and one configured endpoint.
#[derive(Debug, Clone)]
pub struct Target {
    /// The provider's profile (with the endpoint's API version, retry settings, …).
    pub profile: Arc<Profile>,
    /// The endpoint, its URL set.
    pub endpoint: Arc<Endpoint>,
    /// A signing secret the emulator generated for it (shown in the journal and the
    /// listing, as `hookrig run` shows a secret it generated).
    pub generated_secret: Option<String>,
}

impl Target {
    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        self.endpoint.url.as_deref().unwrap_or_default()
    }
}

/// How a delivery's first attempt ended (PerfectParser's test endpoint reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct First {
    /// The answer's status, if one came.
    pub status: Option<u16>,
    /// `timeout` or `connection` when none came.
    pub error: Option<&'static str>,
}

/// Where one delivery stands (see [`Engine::delivery_summary`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySummary {
    /// The event type.
    pub event_type: String,
    /// How it ended, once it did.
    pub outcome: Option<Outcome>,
    /// Attempts finished.
    pub attempts: usize,
    /// The last answer's status.
    pub last_status: Option<u16>,
    /// The provider's word for it while it waits to retry (`pending_retry`).
    pub waiting: Option<String>,
}

/// What an engine is made with.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The provider's name.
    pub provider: &'static str,
    /// Seed of every id and generated value.
    pub seed: u64,
    /// Real time = provider time × this.
    pub time_scale: f64,
    /// Wall-clock time.
    pub clock: SharedClock,
    /// What the provider's plans may say.
    pub vocabulary: Vocabulary,
    /// The plan to start with.
    pub plan: Plan,
}

/// The shared engine; see the module documentation.
#[derive(Debug)]
pub struct Engine {
    /// The provider's name.
    pub provider: &'static str,
    /// Wall-clock time.
    pub clock: SharedClock,
    /// Real time = provider time × this.
    pub scale: f64,
    rng: Mutex<RunRng>,
    transport: Transport,
    events: UnboundedSender<EngineEvent>,
    started: Instant,
    book: Arc<Mutex<Book>>,
    plan: Mutex<(Plan, u64)>,
    next: AtomicUsize,
    vocabulary: Vocabulary,
}

/// What the reducer keeps.
#[derive(Debug)]
struct Book {
    provider: &'static str,
    state: RunState,
    meta: Vec<Meta>,
    journal: Option<std::fs::File>,
    waiters: HashMap<usize, oneshot::Sender<First>>,
    notices: Option<UnboundedSender<String>>,
}

#[derive(Debug, Clone, Default)]
struct Meta {
    job: String,
    url: String,
    pending_status: bool,
    generated_secret: Option<String>,
    written: u32,
}

impl Engine {
    /// A new engine; starts its reducer task (so it must be called inside a tokio
    /// runtime). `journal` is created (or truncated) now; `notices`, when given, gets a
    /// line per delivery step for the console.
    pub fn new(
        opts: EngineOptions,
        journal: Option<&Path>,
        notices: Option<UnboundedSender<String>>,
    ) -> std::io::Result<Arc<Engine>> {
        let journal = match journal {
            Some(p) => Some(std::fs::File::create(p)?),
            None => None,
        };
        let transport = Transport::http().map_err(std::io::Error::other)?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let started = Instant::now();
        let mut state = RunState::default();
        state.apply(EngineEvent::ScenarioStarted {
            scenario: 0,
            name: format!("hookrig emulate {}", opts.provider),
            file: String::new(),
        });
        state.apply(EngineEvent::ScenarioTimed {
            scenario: 0,
            timing: LiveTiming {
                scale: opts.time_scale,
                auto: false,
                wall_start: opts.clock.now(),
                narrowest: None,
            },
        });
        let book = Arc::new(Mutex::new(Book {
            provider: opts.provider,
            state,
            meta: Vec::new(),
            journal,
            waiters: HashMap::new(),
            notices,
        }));
        tokio::spawn(reduce(rx, Arc::clone(&book)));
        Ok(Arc::new(Engine {
            provider: opts.provider,
            clock: opts.clock,
            scale: opts.time_scale,
            rng: Mutex::new(RunRng::new(opts.seed)),
            transport,
            events: tx,
            started,
            book,
            plan: Mutex::new((opts.plan, 0)),
            next: AtomicUsize::new(0),
            vocabulary: opts.vocabulary,
        }))
    }

    /// Draws from the emulator's own generator (ids assigned in request order).
    pub fn draw<T>(&self, f: impl FnOnce(&mut RunRng) -> T) -> T {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut rng)
    }

    /// A generator of the job's own, drawn from the emulator's: what the job makes later
    /// (results, event ids) does not depend on which job finishes first.
    pub fn job_rng(&self) -> RunRng {
        RunRng::new(self.draw(|r| r.u64()))
    }

    /// The wall clock now.
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// The real duration of provider duration `d`.
    pub fn real(&self, d: Duration) -> Duration {
        if self.scale == 1.0 {
            d
        } else {
            d.mul_f64(self.scale)
        }
    }

    /// Waits provider duration `d` (scaled).
    pub async fn sleep(&self, d: Duration) {
        tokio::time::sleep(self.real(d)).await;
    }

    /// What the plan decides for a job just submitted (counting it).
    pub fn decide(&self, facts: &JobFacts) -> Decision {
        let mut p = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        p.1 += 1;
        p.0.decide(p.1, facts)
    }

    /// Replaces the plan with the one in `text` (YAML or JSON); job numbers (`nth`) count
    /// again from 1. Returns the number of rules.
    pub fn set_plan(&self, text: &str, origin: &str) -> Result<usize, Vec<PlanError>> {
        let plan = plan::parse(text, origin, &self.vocabulary)?;
        let n = plan.rules.len();
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) = (plan, 0);
        Ok(n)
    }

    /// Sends `event_type` with `data` to `target` through the sender, as a task of its
    /// own; returns the delivery's number. Ids and the jitter stream come from `rng` (the
    /// job's); the event's time is now.
    pub fn fire(
        &self,
        target: &Target,
        event_type: &str,
        data: Value,
        job: &str,
        rng: &mut RunRng,
    ) -> usize {
        self.fire_inner(target, event_type, data, job, rng, None)
    }

    /// [`Engine::fire`], and a receiver told how the delivery's first attempt ended.
    pub fn fire_watched(
        &self,
        target: &Target,
        event_type: &str,
        data: Value,
        job: &str,
        rng: &mut RunRng,
    ) -> (usize, oneshot::Receiver<First>) {
        let (tx, rx) = oneshot::channel();
        let n = self.fire_inner(target, event_type, data, job, rng, Some(tx));
        (n, rx)
    }

    fn fire_inner(
        &self,
        target: &Target,
        event_type: &str,
        data: Value,
        job: &str,
        rng: &mut RunRng,
        waiter: Option<oneshot::Sender<First>>,
    ) -> usize {
        let index = self.next.fetch_add(1, Ordering::SeqCst);
        let mut ids = target.profile.new_ids(rng);
        ids.event_time = Some(self.clock.now());
        let delivery = Delivery {
            index,
            event_type: event_type.to_owned(),
            data,
            ids,
            jitter_seed: rng.u64(),
        };
        {
            let mut book = self.book.lock().unwrap_or_else(|e| e.into_inner());
            if book.meta.len() <= index {
                book.meta.resize_with(index + 1, Meta::default);
            }
            book.meta[index] = Meta {
                job: job.to_owned(),
                url: target.url().to_owned(),
                pending_status: target.profile.pending_status.is_some(),
                generated_secret: target.generated_secret.clone(),
                written: 0,
            };
            if let Some(w) = waiter {
                book.waiters.insert(index, w);
            }
        }
        let _ = self.events.send(EngineEvent::DeliveryCreated {
            scenario: 0,
            delivery: index,
            event_type: event_type.to_owned(),
        });
        let ctx = SenderCtx::new(
            Arc::clone(&target.profile),
            Arc::clone(&target.endpoint),
            self.transport.clone(),
            Arc::clone(&self.clock),
            self.events.clone(),
            target.url(),
        )
        .with_start(self.started)
        .with_time_scale(self.scale);
        tokio::spawn(async move {
            sender::deliver(&ctx, &delivery).await;
        });
        index
    }

    /// Every delivery with its attempts, as `GET /_hookrig/deliveries` lists them;
    /// `job` keeps only that job's.
    pub fn deliveries(&self, job: Option<&str>) -> Value {
        let book = self.book.lock().unwrap_or_else(|e| e.into_inner());
        let Some(s) = book.state.scenarios.first() else {
            return json!([]);
        };
        let items: Vec<Value> = s
            .deliveries
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let m = book.meta.get(i)?;
                if job.is_some_and(|j| j != m.job) {
                    return None;
                }
                let attempts: Vec<Value> = d
                    .attempts
                    .iter()
                    .map(|a| a.to_json(s.wall_of(Duration::ZERO, a.at())))
                    .collect();
                let mut v = json!({
                    "delivery": i,
                    "job": m.job,
                    "event_type": d.event_type,
                    "url": m.url,
                    "outcome": d.outcome.map(Outcome::as_str),
                    "reason": d.reason,
                    "attempts": attempts,
                });
                if let Some(secret) = &m.generated_secret {
                    v["generated_secret"] = json!(secret);
                }
                Some(v)
            })
            .collect();
        Value::Array(items)
    }

    /// Where delivery `index` stands: its event type, outcome (if it ended), attempts
    /// made, the last answer's status and the provider's status word while it waits.
    pub fn delivery_summary(&self, index: usize) -> Option<DeliverySummary> {
        let book = self.book.lock().unwrap_or_else(|e| e.into_inner());
        let d = book.state.scenarios.first()?.deliveries.get(index)?;
        Some(DeliverySummary {
            event_type: d.event_type.clone(),
            outcome: d.outcome,
            attempts: d.attempts.iter().filter(|a| a.result.is_some()).count(),
            last_status: d.attempts.iter().rev().find_map(|a| a.status()),
            waiting: d.provider_status().map(str::to_owned),
        })
    }

    /// Deliveries so far, and how many of them ended in each outcome.
    pub fn tally(&self) -> (usize, Vec<(&'static str, usize)>) {
        let book = self.book.lock().unwrap_or_else(|e| e.into_inner());
        let Some(s) = book.state.scenarios.first() else {
            return (0, Vec::new());
        };
        let mut counts: Vec<(&'static str, usize)> = Vec::new();
        for d in &s.deliveries {
            let word = d.outcome.map_or("pending", Outcome::as_str);
            match counts.iter_mut().find(|(w, _)| *w == word) {
                Some(c) => c.1 += 1,
                None => counts.push((word, 1)),
            }
        }
        (s.deliveries.len(), counts)
    }
}

/// The reducer: applies every engine event, answers first-attempt waiters, writes the
/// journal and the console notices.
async fn reduce(mut rx: UnboundedReceiver<EngineEvent>, book: Arc<Mutex<Book>>) {
    while let Some(e) = rx.recv().await {
        let mut b = book.lock().unwrap_or_else(|e| e.into_inner());
        b.take(e);
    }
}

impl Book {
    fn take(&mut self, e: EngineEvent) {
        let notice = self.notice(&e);
        let (complete, finished) = match &e {
            EngineEvent::AttemptFinished {
                delivery,
                n,
                result,
                response,
                ..
            } => {
                if *n == 1
                    && let Some(w) = self.waiters.remove(delivery)
                {
                    let (status, error) = match result {
                        AttemptResult::Timeout => (None, Some("timeout")),
                        AttemptResult::Connection => (None, Some("connection")),
                        AttemptResult::Status(s) => (Some(*s), None),
                        AttemptResult::TooManyRedirects => {
                            (response.as_ref().map(|r| r.status), None)
                        }
                    };
                    let _ = w.send(First { status, error });
                }
                (None, None)
            }
            EngineEvent::RetryScheduled { delivery, n, .. } => {
                let pending = self.meta.get(*delivery).is_some_and(|m| m.pending_status);
                ((!pending).then_some((*delivery, *n)), None)
            }
            EngineEvent::DeliveryStatus {
                delivery, after, ..
            } => (Some((*delivery, *after)), None),
            EngineEvent::DeliveryFinished { delivery, .. } => {
                if let Some(w) = self.waiters.remove(delivery) {
                    let _ = w.send(First {
                        status: None,
                        error: None,
                    });
                }
                (None, Some(*delivery))
            }
            _ => (None, None),
        };
        self.state.apply(e);
        if let Some((d, n)) = complete {
            self.write_attempts(d, n);
        }
        if let Some(d) = finished {
            self.write_attempts(d, u32::MAX);
            self.write_delivery(d);
        }
        if let (Some(text), Some(tx)) = (notice, &self.notices) {
            let _ = tx.send(text);
        }
    }

    fn head(&self, kind: &str, d: usize) -> Value {
        let s = &self.state.scenarios[0];
        let m = self.meta.get(d).cloned().unwrap_or_default();
        json!({
            "kind": kind,
            "scenario": s.name,
            "file": s.file,
            "delivery": d,
            "event_type": s.deliveries.get(d).map(|x| x.event_type.as_str()).unwrap_or_default(),
            "job": m.job,
            "url": m.url,
        })
    }

    /// Writes the journal lines of delivery `d`'s attempts up to `upto` not yet written.
    fn write_attempts(&mut self, d: usize, upto: u32) {
        if self.journal.is_none() {
            return;
        }
        let Some(m) = self.meta.get(d) else { return };
        let from = m.written;
        let s = &self.state.scenarios[0];
        let Some(del) = s.deliveries.get(d) else {
            return;
        };
        let mut lines = Vec::new();
        let mut last = from;
        for a in del.attempts.iter().filter(|a| a.n > from && a.n <= upto) {
            let mut line = self.head("attempt", d);
            append(&mut line, a.to_json(s.wall_of(Duration::ZERO, a.at())));
            if let Some(secret) = &m.generated_secret {
                line["generated_secret"] = json!(secret);
            }
            lines.push(line);
            last = a.n;
        }
        self.meta[d].written = last;
        for l in lines {
            self.write_line(&l);
        }
    }

    fn write_delivery(&mut self, d: usize) {
        if self.journal.is_none() {
            return;
        }
        let s = &self.state.scenarios[0];
        let Some(del) = s.deliveries.get(d) else {
            return;
        };
        let mut line = self.head("delivery", d);
        append(
            &mut line,
            json!({
                "outcome": del.outcome.map(Outcome::as_str),
                "attempts": del.attempts.len(),
                "reason": del.reason,
            }),
        );
        if let Some(secret) = self.meta.get(d).and_then(|m| m.generated_secret.clone()) {
            line["generated_secret"] = json!(secret);
        }
        self.write_line(&line);
    }

    fn write_line(&mut self, v: &Value) {
        if let Some(f) = &mut self.journal {
            // A full disk must not stop the emulator: the webhook is still delivered.
            let _ = writeln!(f, "{v}").and_then(|()| f.flush());
        }
    }

    /// A console line for an event, when it deserves one.
    fn notice(&self, e: &EngineEvent) -> Option<String> {
        self.notices.as_ref()?;
        let what = |d: usize| {
            let ty = self
                .state
                .scenarios
                .first()
                .and_then(|s| s.deliveries.get(d))
                .map(|x| x.event_type.clone())
                .unwrap_or_default();
            format!("#{d} {ty}")
        };
        match e {
            EngineEvent::DeliveryCreated {
                delivery,
                event_type,
                ..
            } => {
                let m = self.meta.get(*delivery)?;
                Some(format!(
                    "{} {}: #{delivery} {event_type} for {} → {}",
                    self.provider, "webhook", m.job, m.url
                ))
            }
            EngineEvent::AttemptFinished {
                delivery,
                n,
                result,
                latency,
                ..
            } => {
                let r = match result {
                    AttemptResult::Status(s) => s.to_string(),
                    AttemptResult::Timeout => "timeout".into(),
                    AttemptResult::Connection => "connection error".into(),
                    AttemptResult::TooManyRedirects => "too many redirects".into(),
                };
                Some(format!(
                    "  {} attempt {n}: {r} in {} ms",
                    what(*delivery),
                    latency.as_millis()
                ))
            }
            EngineEvent::DeliveryFinished {
                delivery,
                outcome,
                reason,
                ..
            } => Some(format!(
                "  {}: {}{}",
                what(*delivery),
                outcome.as_str(),
                reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )),
            _ => None,
        }
    }
}

/// Appends `more`'s keys to the object `line`, in their order: a journal line's own keys,
/// then the attempt's.
fn append(line: &mut Value, more: Value) {
    if let (Value::Object(l), Value::Object(m)) = (line, more) {
        l.extend(m);
    }
}
