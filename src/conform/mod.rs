//! Conformance testing of receivers: `hookrig conform` plays a provider against *your*
//! endpoint — valid and forged signatures, stale timestamps, redeliveries, unknown events,
//! large bodies — and reports what the endpoint gets wrong.
//!
//! The module is split three ways: this file holds the options, the result types and the
//! runner (one real HTTP request at a time, real wall-clock time from
//! [`SystemClock`], each request bounded by the profile's timeout); [`checks`] holds the
//! table of checks (id, what it protects against, what a correct receiver does) and the
//! requests each one sends; [`report`] renders a run as text or JSON. The requests
//! themselves come from [`Profile::build_request`], so a conformance delivery is byte for
//! byte what hookrig's sender would send, then forged where the check says so.

pub mod checks;
pub mod report;

use std::time::Duration;

use bytes::Bytes;

use crate::clock::{Clock, SystemClock};
use crate::profile::{Endpoint, OutgoingRequest, Profile};
use crate::record::DeliveryTag;
use crate::rng::RunRng;
use crate::sender::transport::{Transport, WireRequest};

pub use checks::{CHECKS, CheckDef, Need};

/// Answers slower than this pass with a warning: providers time out at 10–30 s, and a
/// receiver that does its work before answering is one slow dependency away from that.
pub const SLOW_ANSWER: Duration = Duration::from_secs(1);

/// What a conformance run needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The provider to play.
    pub profile: Profile,
    /// The receiver's URL.
    pub url: String,
    /// The receiver's signing secret.
    pub secret: Option<String>,
    /// PerfectParser's static `X-Webhook-Secret`.
    pub static_secret: Option<String>,
    /// Run only these checks (empty = all).
    pub only: Vec<String>,
    /// Leave these checks out.
    pub skip: Vec<String>,
    /// Per-request timeout; the profile's own when `None`.
    pub timeout: Option<Duration>,
    /// Seed for generated event data and ids.
    pub seed: u64,
}

impl Options {
    /// Options for `profile` against `url`, with every other field at its default.
    pub fn new(profile: Profile, url: impl Into<String>) -> Self {
        Self {
            profile,
            url: url.into(),
            secret: None,
            static_secret: None,
            only: Vec::new(),
            skip: Vec::new(),
            timeout: None,
            seed: crate::rng::DEFAULT_SEED,
        }
    }

    /// The per-request timeout in force.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(self.profile.retry.timeout)
    }
}

/// Options that cannot be run, found before any request is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    /// `--only`/`--skip` named a check that does not exist.
    #[error("unknown check `{name}`{hint} (checks: {all})")]
    UnknownCheck {
        /// The name given.
        name: String,
        /// `: did you mean …?` or nothing.
        hint: String,
        /// Every check id.
        all: String,
    },
    /// The URL is not an http(s) URL.
    #[error("--url `{0}` is not an http:// or https:// URL")]
    Url(String),
    /// A secret the profile cannot use.
    #[error("{0}")]
    Secret(String),
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Every request got the answer a correct receiver gives.
    Pass,
    /// Passed, with a remark (a slow answer, a 4xx where a 2xx is better).
    Warn,
    /// A request got an answer a correct receiver never gives.
    Fail,
    /// Not run; the reason says why.
    Skip,
}

impl Status {
    /// `pass`, `warn`, `fail`, `skip`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// A receiver's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<crate::record::Header>,
    /// Body (at most the transport's limit).
    pub body: Bytes,
}

/// One request a check sent and what came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What the request is, in words (`signed with a wrong secret`).
    pub label: String,
    /// Headers as sent (unredacted; reports redact).
    pub headers: Vec<crate::record::Header>,
    /// Body as sent.
    pub body: Bytes,
    /// The answer, or why none came.
    pub answer: Result<Answer, String>,
    /// From sending to the whole answer.
    pub latency: Duration,
    /// How this exchange was judged.
    pub status: Status,
    /// Why, when not a pass.
    pub note: Option<String>,
}

/// One check's result.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The check's stable id.
    pub id: &'static str,
    /// The check in words.
    pub title: &'static str,
    /// How it ended.
    pub status: Status,
    /// What happened, in one line.
    pub message: String,
    /// What a correct receiver does.
    pub correct: &'static str,
    /// The requests sent and their answers.
    pub exchanges: Vec<Exchange>,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The profile played.
    pub profile: String,
    /// The receiver's URL.
    pub url: String,
    /// The per-request timeout used.
    pub timeout: Duration,
    /// One result per check, in table order.
    pub results: Vec<CheckResult>,
    /// Problems with the input found while running (a missing secret); they make the run
    /// exit 2 even though the other checks ran.
    pub input_errors: Vec<String>,
}

impl Report {
    /// How many results have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

/// Checks the options before anything is sent.
pub fn validate(opts: &Options) -> Result<(), OptionsError> {
    let ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
    for name in opts.only.iter().chain(&opts.skip) {
        if !ids.contains(&name.as_str()) {
            let prefixed: Vec<&str> = ids
                .iter()
                .copied()
                .filter(|id| id.starts_with(name.as_str()))
                .collect();
            let hint = (prefixed.len() == 1)
                .then(|| prefixed[0])
                .or_else(|| crate::text::nearest(name, &ids))
                .map(|n| format!(": did you mean `{n}`?"))
                .unwrap_or_default();
            return Err(OptionsError::UnknownCheck {
                name: name.clone(),
                hint,
                all: ids.join(", "),
            });
        }
    }
    let lower = opts.url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://"))
        || reqwest::Url::parse(&opts.url).is_err()
    {
        return Err(OptionsError::Url(opts.url.clone()));
    }
    let p = &opts.profile;
    if let Some(s) = &opts.secret {
        if p.scheme.signature_header().is_none() {
            return Err(OptionsError::Secret(format!(
                "profile `{}` does not sign deliveries; leave out --secret",
                p.name
            )));
        }
        p.scheme
            .check_secret(s)
            .map_err(|e| OptionsError::Secret(format!("--secret: {e}")))?;
    }
    if opts.static_secret.is_some() && p.uses_static_secret().is_none() {
        return Err(OptionsError::Secret(format!(
            "profile `{}` sends no static secret header (X-Webhook-Secret is PerfectParser's); leave out --static-secret",
            p.name
        )));
    }
    if opts.static_secret.as_deref() == Some("") {
        return Err(OptionsError::Secret("--static-secret is empty".into()));
    }
    Ok(())
}

/// Runs the checks against the receiver, one request at a time. Call
/// [`validate`] first; this never fails, a receiver's misbehaviour is data in the report.
pub async fn run(opts: &Options) -> Report {
    let mut ctx = Ctx::new(opts);
    let mut results = Vec::new();
    let mut input_errors = Vec::new();
    if opts.secret.is_none() && checks::always_signs(&opts.profile) {
        input_errors.push(format!(
            "profile `{}` signs every delivery: give the receiver's signing secret with --secret; the checks that need a signed delivery were skipped",
            opts.profile.name
        ));
    }
    for def in CHECKS {
        let wanted = (opts.only.is_empty() || opts.only.iter().any(|o| o == def.id))
            && !opts.skip.iter().any(|s| s == def.id);
        if !wanted {
            continue;
        }
        let result = match checks::applies(def, &ctx) {
            Err(reason) => CheckResult {
                id: def.id,
                title: def.title,
                status: Status::Skip,
                message: reason,
                correct: def.correct,
                exchanges: Vec::new(),
            },
            Ok(()) => checks::run(def, &mut ctx).await,
        };
        results.push(result);
    }
    Report {
        profile: opts.profile.name.clone(),
        url: opts.url.clone(),
        timeout: opts.timeout(),
        results,
        input_errors,
    }
}

/// [`run`] on a fresh current-thread runtime with real time (the CLI's entry point).
pub fn run_blocking(opts: &Options) -> std::io::Result<Report> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(run(opts)))
}

/// What checks share: the profile, the endpoint as configured, the transport, time, ids.
pub(crate) struct Ctx<'a> {
    pub(crate) opts: &'a Options,
    pub(crate) endpoint: Endpoint,
    transport: Option<Transport>,
    transport_error: Option<String>,
    pub(crate) rng: RunRng,
}

impl<'a> Ctx<'a> {
    fn new(opts: &'a Options) -> Self {
        let endpoint = Endpoint {
            url: Some(opts.url.clone()),
            secrets: opts.secret.iter().cloned().collect(),
            static_secret: opts.static_secret.clone(),
            // Crawl4AI sends results inline only with data_in_payload; conformance
            // plays the larger of its two forms.
            data_in_payload: true,
            ..Endpoint::default()
        };
        let (transport, transport_error) = match Transport::http() {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Self {
            opts,
            endpoint,
            transport,
            transport_error,
            rng: RunRng::derive(opts.seed, "conform"),
        }
    }

    pub(crate) fn profile(&self) -> &Profile {
        &self.opts.profile
    }

    /// Wall-clock now.
    pub(crate) fn now(&self) -> Duration {
        SystemClock.now()
    }

    /// Sends one request and times it; the answer is judged by the caller.
    pub(crate) async fn send(&self, label: impl Into<String>, req: OutgoingRequest) -> Exchange {
        let label = label.into();
        let timeout = self.opts.timeout();
        let start = tokio::time::Instant::now();
        let answer = match &self.transport {
            None => Err(self
                .transport_error
                .clone()
                .unwrap_or_else(|| "no HTTP client".into())),
            Some(t) => {
                let wire = WireRequest {
                    url: self.opts.url.as_str().into(),
                    headers: &req.headers,
                    body: req.body.clone(),
                    tag: DeliveryTag {
                        delivery: 0,
                        event_type: Default::default(),
                        attempt: 1,
                        hop: 0,
                    },
                };
                match tokio::time::timeout(timeout, t.send(wire)).await {
                    Err(_) => Err(format!(
                        "no answer within {} (the profile's timeout): the provider counts the delivery as failed",
                        humantime::format_duration(timeout)
                    )),
                    Ok(Err(e)) => Err(e.to_string()),
                    Ok(Ok(r)) => Ok(Answer {
                        status: r.status,
                        headers: r.headers,
                        body: r.body,
                    }),
                }
            }
        };
        Exchange {
            label,
            headers: req.headers,
            body: req.body,
            answer,
            latency: start.elapsed(),
            status: Status::Pass,
            note: None,
        }
    }
}
