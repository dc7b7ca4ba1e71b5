//! The checks: a table ([`CHECKS`]) of values — each a stable id, what it protects
//! against and what a correct receiver does, what it [`Need`]s to run, and the function
//! that sends its requests and judges their answers.
//!
//! Every request starts as a valid delivery from [`Profile::build_request`] at the wall
//! clock's now; a check then forges it (wrong secret, tampered body, stale timestamp, …)
//! and says which answers are right: **accept** (2xx), **reject** (4xx — a 2xx lets a
//! forgery in, a 5xx makes the provider retry it and hides the refusal), or **tolerate**
//! (2xx; a 4xx passes with a warning, a 5xx fails).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::{CheckResult, Ctx, Exchange, SLOW_ANSWER, Status};
use crate::profile::{DeliveryIds, OutgoingRequest, Profile};
use crate::signing::{KeyReading, SignInput, Signed, header};

/// One check as a value: its id (for `--only`/`--skip`), title, what it protects against
/// and what a correct receiver does, what it needs to run, the function that sends its
/// requests and judges their answers, and how a pass is summed up.
#[derive(Debug, Clone, Copy)]
pub struct CheckDef {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// What is checked, in words.
    pub title: &'static str,
    /// The attack or outage the behaviour protects against.
    pub protects: &'static str,
    /// What a correct receiver does.
    pub correct: &'static str,
    /// What the profile and options must give for the check to run, in the order they are
    /// asked; the first one missing is the reason the check is skipped.
    pub needs: &'static [Need],
    /// Sends the check's requests and judges each answer.
    pub(crate) check: CheckFn,
    /// The one-line message of a check whose every answer passed.
    pub(crate) summary: fn(&[Exchange]) -> String,
}

/// A check's requests and judged answers, or why its request could not be built.
type Outcome = Result<Vec<Exchange>, String>;

/// The function of a check: borrows the run's context for as long as it runs.
pub(crate) type CheckFn =
    for<'c, 'a> fn(&'c mut Ctx<'a>) -> Pin<Box<dyn Future<Output = Outcome> + 'c>>;

/// Something a check needs before it can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The profile signs deliveries.
    Signing,
    /// The receiver's signing secret (`--secret`).
    Secret,
    /// `--secret` when the profile signs every delivery (it cannot send one without).
    SecretIfAlwaysSigns,
    /// `--secret` when the profile signs only with one (so an unsigned delivery is not
    /// already the default).
    SecretUnlessAlwaysSigns,
    /// The profile never follows a redirect.
    NoRedirects,
    /// The profile sends a static secret header, and `--static-secret` gives its value.
    StaticSecret,
    /// The profile signs a timestamp its verifiers judge, with a limit on how old.
    PastTolerance,
    /// The profile signs a timestamp its verifiers judge, with a limit on how far ahead.
    FutureTolerance,
    /// The profile's signature header carries several signatures during key rotation.
    Rotation,
}

/// Every check, in the order they run.
pub const CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "accepts-valid",
        title: "accepts a valid signed delivery of every event type in the catalogue",
        protects: "lost events: a receiver that refuses a genuine delivery makes the provider retry it and finally drop it",
        correct: "verifies the signature over the raw body and answers 2xx to every genuine delivery, whatever its event type",
        needs: &[Need::SecretIfAlwaysSigns],
        check: |ctx| Box::pin(accepts_valid(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "answers-in-time",
        title: "answers within the profile's timeout (warns above 1 s)",
        protects: "duplicate deliveries and lost events: a provider that times out counts the attempt as failed and sends it again",
        correct: "answers 2xx at once and does the work afterwards (a queue, a background task)",
        needs: &[Need::SecretIfAlwaysSigns],
        check: |ctx| Box::pin(answers_in_time(ctx)),
        summary: answered_in,
    },
    CheckDef {
        id: "no-redirect",
        title: "does not answer a redirect (the profile never follows one)",
        protects: "lost events: a provider that does not follow redirects counts a 3xx as a failed attempt",
        correct: "serves the webhook at the configured URL itself and answers 2xx there; update the URL at the provider instead of redirecting",
        needs: &[Need::NoRedirects, Need::SecretIfAlwaysSigns],
        check: |ctx| Box::pin(no_redirect(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "rejects-wrong-secret",
        title: "rejects a signature made with the wrong secret",
        protects: "forged deliveries: anyone who knows the URL could otherwise send events",
        correct: "recomputes the HMAC with its own secret, compares in constant time, and answers 4xx (401 or 400) when it does not match",
        needs: &[Need::Signing, Need::Secret],
        check: |ctx| Box::pin(rejects_wrong_secret(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "rejects-tampered-body",
        title: "rejects a body changed after it was signed",
        protects: "tampering: a body altered in transit or replayed with edits",
        correct: "computes the HMAC over the exact bytes received and answers 4xx when it does not match the signature",
        needs: &[Need::Signing, Need::Secret],
        check: |ctx| Box::pin(rejects_tampered_body(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "rejects-missing-signature",
        title: "rejects a delivery without its signature header",
        protects: "forged deliveries: a receiver that only checks a signature when one is present checks nothing",
        correct: "treats a missing signature header as a failed check and answers 4xx",
        needs: &[Need::Signing, Need::SecretUnlessAlwaysSigns],
        check: |ctx| Box::pin(rejects_missing_signature(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "rejects-foreign-scheme",
        title: "rejects a signature made in another provider's scheme",
        protects: "scheme confusion: a receiver that tries several schemes until one matches accepts MACs over inputs the provider never signs",
        correct: "verifies exactly the profile's scheme (its MAC input, encoding and header) and answers 4xx to anything else",
        needs: &[Need::Signing, Need::Secret],
        check: |ctx| Box::pin(rejects_foreign_scheme(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "rejects-missing-static-secret",
        title: "rejects a delivery without X-Webhook-Secret when a static secret is configured",
        protects: "forged deliveries from anyone who knows the URL",
        correct: "requires X-Webhook-Secret, compares it in constant time with the configured value and answers 4xx when it is missing",
        needs: &[Need::StaticSecret, Need::Secret],
        check: |ctx| Box::pin(missing_static_secret(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "rejects-wrong-static-secret",
        title: "rejects a wrong X-Webhook-Secret",
        protects: "forged deliveries with a guessed or leaked-and-rotated static secret",
        correct: "compares X-Webhook-Secret in constant time with the configured value and answers 4xx when it differs",
        needs: &[Need::StaticSecret, Need::Secret],
        check: |ctx| Box::pin(wrong_static_secret(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "rejects-stale-timestamp",
        title: "rejects a signed timestamp older than the tolerance",
        protects: "replay attacks: a captured delivery sent again later",
        correct: "rejects (4xx) a signed timestamp older than the profile's tolerance (Standard Webhooks 5 min, Extend, Stripe and Slack 300 s)",
        needs: &[Need::PastTolerance, Need::Secret],
        check: |ctx| Box::pin(stale_timestamp(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "rejects-future-timestamp",
        title: "rejects a signed timestamp too far in the future",
        protects: "pre-signed replays: a delivery signed with a future timestamp stays 'fresh' for longer",
        correct: "rejects (4xx) a timestamp further ahead than the profile's tolerance (Standard Webhooks and Slack 5 min, Extend 60 s)",
        needs: &[Need::FutureTolerance, Need::Secret],
        check: |ctx| Box::pin(future_timestamp(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "accepts-timestamp-in-tolerance",
        title: "accepts a signed timestamp just inside the tolerance",
        protects: "lost events: a tolerance tighter than the provider's rejects retries and deliveries delayed by clock skew",
        correct: "accepts (2xx) any timestamp within the provider's tolerance (here: 4.5 minutes old)",
        needs: &[Need::PastTolerance, Need::Secret],
        check: |ctx| Box::pin(timestamp_in_tolerance(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "accepts-rotated-signatures",
        title: "accepts a rotation header with one invalid and one valid signature",
        protects: "lost events during key rotation, when the provider signs with the old and the new secret at once",
        correct: "splits the signature header into its entries (Standard Webhooks: on spaces; Stripe: on commas) and accepts the delivery when any signature entry verifies",
        needs: &[Need::Rotation, Need::Secret],
        check: |ctx| Box::pin(rotated(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "verifies-raw-body",
        title: "verifies the raw body, not a re-serialisation of it",
        protects: "forgeries and false rejections: a signature checked over re-serialised JSON accepts bodies the provider never signed and rejects ones it did",
        correct: "computes the HMAC over the bytes exactly as received, before parsing; the same JSON with other whitespace or key order is a different body and gets 4xx",
        needs: &[Need::Signing, Need::Secret],
        check: |ctx| Box::pin(raw_body(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "accepts-redelivery",
        title: "accepts a redelivery of the same event with 2xx",
        protects: "endless retries: providers deliver at least once, and a receiver that refuses a duplicate makes the provider retry it until it gives up",
        correct: "answers 2xx to a duplicate (same event id) without processing it twice",
        needs: &[Need::SecretIfAlwaysSigns],
        check: |ctx| Box::pin(redelivery(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "tolerates-unknown-event",
        title: "accepts an unknown event type without a 5xx",
        protects: "outages when the provider adds an event type: every delivery of it fails and is retried",
        correct: "answers 2xx to event types it does not handle and ignores them",
        needs: &[Need::SecretIfAlwaysSigns],
        check: |ctx| Box::pin(unknown_event(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "tolerates-unknown-fields",
        title: "accepts unknown extra fields without a 5xx",
        protects: "outages when the provider adds a field to its payload (a strict parser that refuses unknown fields)",
        correct: "ignores fields it does not know and answers 2xx",
        needs: &[Need::SecretIfAlwaysSigns],
        check: |ctx| Box::pin(unknown_fields(ctx)),
        summary: answered,
    },
    CheckDef {
        id: "accepts-large-body",
        title: "accepts a body as large as the provider sends",
        protects: "lost events: a framework's default body limit (axum 2 MiB, many proxies 1 MiB) refuses large genuine deliveries",
        correct: "raises its body limit above the provider's largest delivery and answers 2xx",
        needs: &[Need::SecretIfAlwaysSigns],
        check: |ctx| Box::pin(large_body(ctx)),
        summary: answered,
    },
];

/// The body size `accepts-large-body` sends for a profile, and why: the profile's
/// `envelope.largest`.
pub fn large_body_size(profile: &Profile) -> (usize, &str) {
    let (size, why) = &profile.envelope.largest;
    (*size, why.as_str())
}

/// Whether the profile signs every delivery (so a conformance run needs `--secret`).
pub fn always_signs(profile: &Profile) -> bool {
    profile.always_signs()
}

/// `Ok` when the check can run here, else the reason it is skipped: the first of its
/// needs that the profile or the options do not meet.
pub(crate) fn applies(def: &CheckDef, ctx: &Ctx<'_>) -> Result<(), String> {
    def.needs.iter().try_for_each(|need| need.met(ctx))
}

impl Need {
    /// `Ok` when the profile and options meet this need, else why not.
    fn met(self, ctx: &Ctx<'_>) -> Result<(), String> {
        let p = ctx.profile();
        let has_secret = !ctx.endpoint.secrets.is_empty();
        let no_secret = || {
            if always_signs(p) {
                format!(
                    "no --secret: profile `{}` signs every delivery, so this check needs the receiver's signing secret",
                    p.name
                )
            } else {
                format!(
                    "no --secret: `{}` signs only when the endpoint has a signing secret; give --secret to check signature handling",
                    p.name
                )
            }
        };
        let tolerance = || {
            p.scheme
                .tolerance
                .filter(|_| p.scheme.checks_timestamp())
                .ok_or_else(|| {
                    format!(
                        "profile `{}` signs no timestamp that its verifiers judge",
                        p.name
                    )
                })
        };
        match self {
            Need::Signing if !p.scheme.signs() => {
                Err(format!("profile `{}` does not sign deliveries", p.name))
            }
            Need::Secret if !has_secret => Err(no_secret()),
            Need::SecretIfAlwaysSigns if always_signs(p) && !has_secret => Err(no_secret()),
            Need::SecretUnlessAlwaysSigns if !always_signs(p) && !has_secret => Err(no_secret()),
            Need::NoRedirects if p.retry.max_redirects > 0 => Err(format!(
                "profile `{}` follows redirects (≤ {} hops, re-sending the POST)",
                p.name, p.retry.max_redirects
            )),
            Need::StaticSecret => {
                let Some(header) = p.uses_static_secret() else {
                    return Err(format!(
                        "profile `{}` sends no static secret header",
                        p.name
                    ));
                };
                if ctx.endpoint.static_secret.is_none() {
                    return Err(format!(
                        "no --static-secret: `{}` sends {header} only when one is configured",
                        p.name
                    ));
                }
                Ok(())
            }
            Need::PastTolerance if tolerance()?.past.is_none() => Err(format!(
                "profile `{}`'s verifiers accept a timestamp however old (its tolerance has no `past`)",
                p.name
            )),
            Need::FutureTolerance if tolerance()?.future.is_none() => Err(format!(
                "profile `{}`'s verifiers accept a timestamp however far ahead (its tolerance has no `future`)",
                p.name
            )),
            Need::Rotation if !p.scheme.supports_rotation() => Err(format!(
                "profile `{}` has no key rotation (its signature has no `rotation:`)",
                p.name
            )),
            _ => Ok(()),
        }
    }
}

/// Which answers are right for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 2xx.
    Accept,
    /// 4xx.
    Reject,
    /// 2xx; 4xx warns; 5xx fails.
    Tolerate,
}

/// Runs one check.
pub(crate) async fn run(def: &CheckDef, ctx: &mut Ctx<'_>) -> CheckResult {
    let outcome = (def.check)(ctx).await;
    let exchanges = match outcome {
        Ok(x) => x,
        Err(e) => {
            return CheckResult {
                id: def.id,
                title: def.title,
                status: Status::Fail,
                message: format!("could not build the request: {e}"),
                correct: def.correct,
                exchanges: Vec::new(),
            };
        }
    };
    let status = exchanges
        .iter()
        .map(|x| x.status)
        .max()
        .unwrap_or(Status::Pass);
    let message = match exchanges
        .iter()
        .find(|x| x.status == status && x.note.is_some())
    {
        Some(x) if status != Status::Pass => {
            format!("{}: {}", x.label, x.note.clone().unwrap_or_default())
        }
        _ => (def.summary)(&exchanges),
    };
    CheckResult {
        id: def.id,
        title: def.title,
        status,
        message,
        correct: def.correct,
        exchanges,
    }
}

/// `answered 200`, or `3 requests, answered 200, 204`.
fn answered(xs: &[Exchange]) -> String {
    let n = xs.len();
    let statuses: Vec<String> = xs
        .iter()
        .filter_map(|x| x.answer.as_ref().ok().map(|a| a.status.to_string()))
        .collect();
    let mut uniq = statuses.clone();
    uniq.dedup();
    let answered = uniq.join(", ");
    if n == 1 {
        format!("answered {answered}")
    } else {
        format!("{n} requests, answered {answered}")
    }
}

/// `answered in 12 ms`: how long the first request took.
fn answered_in(xs: &[Exchange]) -> String {
    xs.first()
        .map(|x| format!("answered in {}", fmt_latency(x.latency)))
        .unwrap_or_default()
}

/// Milliseconds below 10 s, seconds with one decimal above.
pub fn fmt_latency(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Judges an exchange against what a correct receiver answers.
fn judge(ctx: &Ctx<'_>, mut x: Exchange, expect: Expect) -> Exchange {
    let p = ctx.profile();
    let retries = match p.retry.retry_on {
        crate::retry::RetryOn::AnyFailure => "retries it",
        crate::retry::RetryOn::ServerErrors => "gives up on it",
    };
    let (status, note) = match (&x.answer, expect) {
        (Err(e), _) => (Status::Fail, format!("no answer: {e}")),
        (Ok(a), Expect::Accept) => match a.status {
            200..=299 => (Status::Pass, String::new()),
            300..=399 => (
                Status::Fail,
                format!(
                    "answered {} (a redirect): `{}` {}, so the delivery fails",
                    a.status,
                    p.name,
                    if p.retry.max_redirects > 0 {
                        "follows it by re-sending the POST"
                    } else {
                        "never follows redirects"
                    }
                ),
            ),
            s => (
                Status::Fail,
                format!(
                    "answered {s} to a genuine delivery: `{}` counts it as failed and {}",
                    p.name,
                    if s >= 500 { "retries it" } else { retries }
                ),
            ),
        },
        (Ok(a), Expect::Reject) => match a.status {
            400..=499 => (Status::Pass, String::new()),
            200..=299 => (
                Status::Fail,
                format!("answered {}: the forged request was accepted", a.status),
            ),
            s if s >= 500 => (
                Status::Fail,
                format!(
                    "answered {s}: a 5xx tells the provider to retry and hides that the request was refused"
                ),
            ),
            s => (
                Status::Fail,
                format!("answered {s}: a forged request must get a 4xx"),
            ),
        },
        (Ok(a), Expect::Tolerate) => match a.status {
            200..=299 => (Status::Pass, String::new()),
            400..=499 => (
                Status::Warn,
                format!(
                    "answered {}: not a 5xx, but `{}` {} instead of counting it delivered",
                    a.status, p.name, retries
                ),
            ),
            s => (
                Status::Fail,
                format!(
                    "answered {s}: `{}` counts the delivery as failed and retries it, every time",
                    p.name
                ),
            ),
        },
    };
    x.status = status;
    x.note = (!note.is_empty()).then_some(note);
    x
}

/// Event types of the catalogue, the first one standing for "a typical event".
fn first_event(p: &Profile) -> String {
    p.catalogue
        .first()
        .map(|e| e.name.clone())
        .unwrap_or_else(|| "hookrig.test".into())
}

/// A valid delivery of `event_type` at wall time `at`.
fn valid_at(ctx: &mut Ctx<'_>, event_type: &str, at: Duration) -> Result<Built, String> {
    let data = ctx
        .opts
        .profile
        .generate_data_at(event_type, ctx.now(), &mut ctx.rng);
    let ids = ctx.opts.profile.new_ids(&mut ctx.rng);
    let req = ctx
        .profile()
        .build_request(&ctx.endpoint, event_type, &data, &ids, at)
        .map_err(|e| e.to_string())?;
    Ok(Built { req, data, ids, at })
}

fn valid(ctx: &mut Ctx<'_>, event_type: &str) -> Result<Built, String> {
    let now = ctx.now();
    valid_at(ctx, event_type, now)
}

struct Built {
    req: OutgoingRequest,
    data: Value,
    ids: DeliveryIds,
    /// The wall time it was signed at.
    at: Duration,
}

async fn accepts_valid(ctx: &mut Ctx<'_>) -> Outcome {
    let names: Vec<String> = ctx
        .profile()
        .catalogue
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let mut out = Vec::new();
    for name in names {
        let b = valid(ctx, &name)?;
        let x = ctx.send(format!("valid `{name}` delivery"), b.req).await;
        out.push(judge(ctx, x, Expect::Accept));
    }
    Ok(out)
}

async fn answers_in_time(ctx: &mut Ctx<'_>) -> Outcome {
    let b = valid(ctx, &first_event(ctx.profile()))?;
    let mut x = ctx.send("valid delivery, timed", b.req).await;
    let limit = ctx.opts.timeout();
    match &x.answer {
        Err(e) => {
            x.status = Status::Fail;
            x.note = Some(format!("no answer: {e}"));
        }
        Ok(_) if x.latency > limit => {
            x.status = Status::Fail;
            x.note = Some(format!(
                "answered in {}, after the profile's {} timeout",
                fmt_latency(x.latency),
                humantime::format_duration(limit)
            ));
        }
        Ok(_) if x.latency > SLOW_ANSWER => {
            x.status = Status::Warn;
            x.note = Some(format!(
                "answered in {} (limit {}): above 1 s the receiver is one slow dependency away from timeouts and duplicate deliveries",
                fmt_latency(x.latency),
                humantime::format_duration(limit)
            ));
        }
        Ok(_) => {}
    }
    Ok(vec![x])
}

async fn no_redirect(ctx: &mut Ctx<'_>) -> Outcome {
    let b = valid(ctx, &first_event(ctx.profile()))?;
    let mut x = ctx.send("valid delivery", b.req).await;
    match &x.answer {
        Err(e) => {
            x.status = Status::Fail;
            x.note = Some(format!("no answer: {e}"));
        }
        Ok(a) if (300..400).contains(&a.status) => {
            let to = header(&a.headers, "location")
                .map(|l| format!(" to {l}"))
                .unwrap_or_default();
            x.status = Status::Fail;
            x.note = Some(format!(
                "answered {}{to}: `{}` never follows redirects, so every delivery fails and is retried",
                a.status,
                ctx.profile().name
            ));
        }
        Ok(_) => {}
    }
    Ok(vec![x])
}

async fn rejects_wrong_secret(ctx: &mut Ctx<'_>) -> Outcome {
    let wrong = wrong_secret(ctx);
    let mut endpoint = ctx.endpoint.clone();
    endpoint.secrets = vec![wrong];
    let event = first_event(ctx.profile());
    let data = ctx
        .opts
        .profile
        .generate_data_at(&event, ctx.now(), &mut ctx.rng);
    let ids = ctx.opts.profile.new_ids(&mut ctx.rng);
    let req = ctx
        .profile()
        .build_request(&endpoint, &event, &data, &ids, ctx.now())
        .map_err(|e| e.to_string())?;
    let x = ctx.send("signed with a wrong secret", req).await;
    Ok(vec![judge(ctx, x, Expect::Reject)])
}

async fn rejects_tampered_body(ctx: &mut Ctx<'_>) -> Outcome {
    let mut b = valid(ctx, &first_event(ctx.profile()))?;
    b.req.body = map_json(ctx.profile(), &b.req.body, false, |v| {
        inner_object(v).insert("hookrig_tampered".into(), json!(true));
    })?;
    let x = ctx
        .send("body changed after signing (a field added)", b.req)
        .await;
    Ok(vec![judge(ctx, x, Expect::Reject)])
}

async fn rejects_missing_signature(ctx: &mut Ctx<'_>) -> Outcome {
    let mut b = valid(ctx, &first_event(ctx.profile()))?;
    let names: Vec<String> = ctx
        .profile()
        .scheme
        .headers
        .iter()
        .map(|h| h.name.to_string())
        .collect();
    b.req
        .headers
        .retain(|(k, _)| !names.iter().any(|n| k.eq_ignore_ascii_case(n)));
    let x = ctx
        .send(format!("without {}", names.join(" or ")), b.req)
        .await;
    Ok(vec![judge(ctx, x, Expect::Reject)])
}

/// A MAC in the profile's own header form, but over an input the profile never signs:
/// `v0:{timestamp}:{body}` (Extend's and Slack's) where the profile signs the body alone,
/// the body alone (LlamaCloud's, GitHub's) where it signs more.
async fn rejects_foreign_scheme(ctx: &mut Ctx<'_>) -> Outcome {
    let mut b = valid(ctx, &first_event(ctx.profile()))?;
    let mut foreign = ctx.profile().scheme.clone();
    let body_only = foreign.signed == [Signed::Body];
    let label = if body_only {
        foreign.signed = vec![
            Signed::Lit("v0:".into()),
            Signed::Timestamp,
            Signed::Lit(":".into()),
            Signed::Body,
        ];
        format!(
            "{} holding a MAC over `v0:{{timestamp}}:{{body}}` (Extend's and Slack's input)",
            foreign.signature_header().unwrap_or_default()
        )
    } else {
        foreign.signed = vec![Signed::Body];
        format!(
            "{} holding a MAC over the body alone (LlamaCloud's, PerfectParser's and GitHub's input)",
            foreign.signature_header().unwrap_or_default()
        )
    };
    let sig = foreign
        .sign(
            &ctx.endpoint.secrets[..1],
            SignInput {
                id: &b.ids.message_id,
                timestamp: b.at.as_secs() as i64,
                body: &b.req.body,
                url: ctx.endpoint.url.as_deref().unwrap_or_default(),
                method: "POST",
            },
        )
        .map_err(|e| e.to_string())?;
    for (k, v) in sig {
        set_header(&mut b.req.headers, &k, v);
    }
    if body_only {
        // As Extend sends that input: its timestamp in its own header.
        set_header(
            &mut b.req.headers,
            "x-extend-request-timestamp",
            b.at.as_secs().to_string(),
        );
    }
    let x = ctx.send(label, b.req).await;
    Ok(vec![judge(ctx, x, Expect::Reject)])
}

async fn missing_static_secret(ctx: &mut Ctx<'_>) -> Outcome {
    static_secret(ctx, None).await
}

async fn wrong_static_secret(ctx: &mut Ctx<'_>) -> Outcome {
    let wrong = format!("wrong-{}", ctx.rng.alnum(16));
    static_secret(ctx, Some(wrong)).await
}

async fn static_secret(ctx: &mut Ctx<'_>, value: Option<String>) -> Outcome {
    let mut endpoint = ctx.endpoint.clone();
    let label = match &value {
        None => "without X-Webhook-Secret",
        Some(_) => "with a wrong X-Webhook-Secret",
    };
    endpoint.static_secret = value;
    let event = first_event(ctx.profile());
    let data = ctx
        .opts
        .profile
        .generate_data_at(&event, ctx.now(), &mut ctx.rng);
    let ids = ctx.opts.profile.new_ids(&mut ctx.rng);
    let req = ctx
        .profile()
        .build_request(&endpoint, &event, &data, &ids, ctx.now())
        .map_err(|e| e.to_string())?;
    let x = ctx.send(label, req).await;
    Ok(vec![judge(ctx, x, Expect::Reject)])
}

#[derive(Debug, Clone, Copy)]
enum Skew {
    Stale,
    Future,
    Inside,
}

async fn stale_timestamp(ctx: &mut Ctx<'_>) -> Outcome {
    timestamp(ctx, Skew::Stale).await
}

async fn future_timestamp(ctx: &mut Ctx<'_>) -> Outcome {
    timestamp(ctx, Skew::Future).await
}

async fn timestamp_in_tolerance(ctx: &mut Ctx<'_>) -> Outcome {
    timestamp(ctx, Skew::Inside).await
}

async fn timestamp(ctx: &mut Ctx<'_>, skew: Skew) -> Outcome {
    let tolerance = ctx.profile().scheme.tolerance.unwrap_or_default();
    let max_age = tolerance.past.unwrap_or_default();
    let max_future = tolerance.future.unwrap_or_default();
    let now = ctx.now();
    let margin = Duration::from_secs(60);
    let (at, label, expect) = match skew {
        Skew::Stale => (
            now.saturating_sub(max_age + margin),
            format!(
                "signed {} s ago (tolerance {} s)",
                (max_age + margin).as_secs(),
                max_age.as_secs()
            ),
            Expect::Reject,
        ),
        Skew::Future => (
            now + max_future + margin,
            format!(
                "signed {} s in the future (tolerance {} s)",
                (max_future + margin).as_secs(),
                max_future.as_secs()
            ),
            Expect::Reject,
        ),
        Skew::Inside => {
            let age = max_age.saturating_sub(Duration::from_secs(30));
            (
                now.saturating_sub(age),
                format!(
                    "signed {} s ago, inside the {} s tolerance",
                    age.as_secs(),
                    max_age.as_secs()
                ),
                Expect::Accept,
            )
        }
    };
    let b = valid_at(ctx, &first_event(ctx.profile()), at)?;
    let x = ctx.send(label, b.req).await;
    Ok(vec![judge(ctx, x, expect)])
}

async fn rotated(ctx: &mut Ctx<'_>) -> Outcome {
    let wrong = wrong_secret(ctx);
    let event = first_event(ctx.profile());
    let data = ctx
        .opts
        .profile
        .generate_data_at(&event, ctx.now(), &mut ctx.rng);
    let ids = ctx.opts.profile.new_ids(&mut ctx.rng);
    let mut endpoint = ctx.endpoint.clone();
    endpoint.secrets.insert(0, wrong);
    let req = ctx
        .profile()
        .build_request(&endpoint, &event, &data, &ids, ctx.now())
        .map_err(|e| e.to_string())?;
    let label = format!(
        "{} with an old key's signature first, then a valid one",
        ctx.profile().scheme.signature_header().unwrap_or_default()
    );
    let x = ctx.send(&label, req).await;
    Ok(vec![judge(ctx, x, Expect::Accept)])
}

async fn raw_body(ctx: &mut Ctx<'_>) -> Outcome {
    let event = first_event(ctx.profile());
    let mut out = Vec::new();
    let b = valid(ctx, &event)?;
    let mut other = b.req.clone();
    other.body = map_json(ctx.profile(), &b.req.body, true, |_| {})?;
    let mut label = "the same JSON pretty-printed, under the original signature";
    if other.body == b.req.body {
        // A provider that sends pretty JSON (Stripe) gets its body compacted instead.
        other.body = map_json(ctx.profile(), &b.req.body, false, |_| {})?;
        label = "the same JSON compacted, under the original signature";
    }
    let x = ctx.send(label, other).await;
    out.push(judge(ctx, x, Expect::Reject));
    let b = valid(ctx, &event)?;
    let mut reordered = b.req.clone();
    reordered.body = map_json(ctx.profile(), &b.req.body, false, reverse_keys)?;
    let x = ctx
        .send(
            "the same JSON with its keys in reverse order, under the original signature",
            reordered,
        )
        .await;
    out.push(judge(ctx, x, Expect::Reject));
    Ok(out)
}

async fn redelivery(ctx: &mut Ctx<'_>) -> Outcome {
    let event = first_event(ctx.profile());
    let b = valid(ctx, &event)?;
    let first = ctx.send("first delivery", b.req).await;
    let again = ctx
        .profile()
        .build_request(&ctx.endpoint, &event, &b.data, &b.ids, ctx.now())
        .map_err(|e| e.to_string())?;
    let what = if b.ids.message_id.is_empty() {
        "the same event again (same ids and data), signed afresh".to_owned()
    } else {
        format!(
            "the same event again (id {}), signed afresh",
            b.ids.message_id
        )
    };
    let second = ctx.send(what, again).await;
    Ok(vec![
        judge(ctx, first, Expect::Accept),
        judge(ctx, second, Expect::Accept),
    ])
}

async fn unknown_event(ctx: &mut Ctx<'_>) -> Outcome {
    let first = first_event(ctx.profile());
    let unknown = match first.split_once('.') {
        Some((prefix, _)) => format!("{prefix}.hookrig_unknown"),
        None => "hookrig.unknown".into(),
    };
    let data = ctx
        .opts
        .profile
        .generate_data_at(&first, ctx.now(), &mut ctx.rng);
    let ids = ctx.opts.profile.new_ids(&mut ctx.rng);
    let req = ctx
        .profile()
        .build_request(&ctx.endpoint, &unknown, &data, &ids, ctx.now())
        .map_err(|e| e.to_string())?;
    let x = ctx
        .send(
            format!("event type `{unknown}` (not in the catalogue)"),
            req,
        )
        .await;
    Ok(vec![judge(ctx, x, Expect::Tolerate)])
}

async fn unknown_fields(ctx: &mut Ctx<'_>) -> Outcome {
    let mut b = valid(ctx, &first_event(ctx.profile()))?;
    b.req.body = map_json(ctx.profile(), &b.req.body, false, |v| {
        if let Value::Object(top) = v {
            top.insert(
                "hookrig_unknown_field".into(),
                json!({ "added_by": "hookrig conform" }),
            );
        }
        inner_object(v).insert("hookrig_unknown_nested_field".into(), json!([1, 2, 3]));
    })?;
    resign(ctx, &mut b.req, &b.ids, b.at)?;
    let x = ctx
        .send(
            "valid delivery with unknown fields at the top and in the data",
            b.req,
        )
        .await;
    Ok(vec![judge(ctx, x, Expect::Tolerate)])
}

async fn large_body(ctx: &mut Ctx<'_>) -> Outcome {
    let (size, _) = large_body_size(ctx.profile());
    let mut b = valid(ctx, &first_event(ctx.profile()))?;
    let room = size.saturating_sub(b.req.body.len() + 64);
    let text = "hookrig large body padding. ".repeat(room / 28 + 1);
    let pad = &text[..room.min(text.len())];
    b.req.body = map_json(ctx.profile(), &b.req.body, false, |v| {
        inner_object(v).insert("hookrig_padding".into(), json!(pad));
    })?;
    resign(ctx, &mut b.req, &b.ids, b.at)?;
    let label = format!("valid delivery of {} bytes", b.req.body.len());
    let x = ctx.send(label, b.req).await;
    Ok(vec![judge(ctx, x, Expect::Accept)])
}

/// A secret that is not the receiver's, in the form the scheme reads.
fn wrong_secret(ctx: &mut Ctx<'_>) -> String {
    match ctx.profile().scheme.key.clone() {
        KeyReading::Base64 { prefix } => {
            let bytes: Vec<u8> = (0..24).map(|_| ctx.rng.u64() as u8).collect();
            format!("{prefix}{}", B64.encode(bytes))
        }
        KeyReading::Hex { prefix } => format!("{prefix}{}", ctx.rng.hex(64)),
        KeyReading::Utf8 => format!("hookrig-wrong-secret-{}", ctx.rng.alnum(16)),
    }
}

/// Replaces (or appends) a header, matching its name case-insensitively.
fn set_header(
    headers: &mut Vec<crate::record::Header>,
    name: &str,
    value: impl Into<crate::record::HeaderText>,
) {
    let value = value.into();
    match headers
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
    {
        Some(slot) => slot.1 = value,
        None => headers.push((name.into(), value)),
    }
}

/// Signs the request's current body afresh with the endpoint's secrets, keeping its id
/// and timestamp.
fn resign(
    ctx: &Ctx<'_>,
    req: &mut OutgoingRequest,
    ids: &DeliveryIds,
    at: Duration,
) -> Result<(), String> {
    let sig = ctx
        .profile()
        .scheme
        .sign(
            &ctx.endpoint.secrets,
            SignInput {
                id: &ids.message_id,
                timestamp: at.as_secs() as i64,
                body: &req.body,
                url: ctx.endpoint.url.as_deref().unwrap_or_default(),
                method: "POST",
            },
        )
        .map_err(|e| e.to_string())?;
    for (k, v) in sig {
        set_header(&mut req.headers, &k, v);
    }
    Ok(())
}

/// Decodes a body (LlamaCloud's JSON-string form too), lets `f` change it, and encodes it
/// again the same way — compact, or pretty-printed.
fn map_json(
    profile: &Profile,
    raw: &[u8],
    pretty: bool,
    f: impl FnOnce(&mut Value),
) -> Result<Bytes, String> {
    let outer: Value = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    let string_encoded =
        matches!(outer, Value::String(_)) && profile.envelope.as_json_string.is_some();
    let mut v = profile.decode_body(raw)?;
    f(&mut v);
    let enc = |v: &Value| {
        if pretty {
            serde_json::to_string_pretty(v)
        } else {
            serde_json::to_string(v)
        }
    };
    let mut text = enc(&v).map_err(|e| e.to_string())?;
    if string_encoded {
        text = serde_json::to_string(&Value::String(text)).map_err(|e| e.to_string())?;
    }
    Ok(Bytes::from(text))
}

/// The event's data object (`data`, `payload`), or the body itself for flat envelopes.
fn inner_object(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = json!({ "value": v.take() });
    }
    let Value::Object(top) = v else {
        unreachable!("made an object above")
    };
    let key = ["data", "payload"]
        .into_iter()
        .find(|k| top.get(*k).is_some_and(Value::is_object));
    match key {
        Some(k) => match top.get_mut(k) {
            Some(Value::Object(inner)) => inner,
            _ => unreachable!("checked to be an object"),
        },
        None => top,
    }
}

/// Reverses the order of keys in every object.
fn reverse_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            entries.reverse();
            for (k, mut val) in entries {
                reverse_keys(&mut val);
                m.insert(k, val);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(reverse_keys),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_kebab_case() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        for id in &ids {
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{id}"
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
    }

    /// Why `id` is skipped for `profile` with no secret given (`Ok` when it runs).
    fn skip_reason(profile: &str, id: &str) -> Result<(), String> {
        let opts = super::super::Options::new(
            crate::profile::builtin(profile).unwrap(),
            "http://127.0.0.1:9/webhooks",
        );
        let ctx = Ctx::new(&opts);
        let def = CHECKS.iter().find(|c| c.id == id).unwrap();
        applies(def, &ctx)
    }

    #[test]
    fn a_check_is_skipped_for_the_first_of_its_needs_that_is_not_met() {
        // GitHub signs only with a secret, judges no timestamp and has no rotation.
        assert_eq!(skip_reason("github", "accepts-valid"), Ok(()));
        for (id, says) in [
            (
                "rejects-wrong-secret",
                "no --secret: `github` signs only when",
            ),
            ("rejects-stale-timestamp", "signs no timestamp"),
            ("accepts-rotated-signatures", "no key rotation"),
            (
                "rejects-missing-static-secret",
                "sends no static secret header",
            ),
        ] {
            let why = skip_reason("github", id).unwrap_err();
            assert!(why.contains(says), "{id}: {why}");
        }
        // Stripe lacks a future limit before it lacks the secret: that is the reason given.
        let why = skip_reason("stripe", "rejects-future-timestamp").unwrap_err();
        assert!(why.contains("however far ahead"), "{why}");
        // Crawl4AI follows redirects and never signs.
        let why = skip_reason("crawl4ai", "no-redirect").unwrap_err();
        assert!(why.contains("follows redirects"), "{why}");
        let why = skip_reason("crawl4ai", "verifies-raw-body").unwrap_err();
        assert!(why.contains("does not sign deliveries"), "{why}");
    }

    #[test]
    fn every_check_that_forges_a_signature_needs_signing_and_a_secret() {
        for def in CHECKS {
            if [
                "rejects-wrong-secret",
                "rejects-tampered-body",
                "rejects-foreign-scheme",
                "verifies-raw-body",
            ]
            .contains(&def.id)
            {
                assert_eq!(def.needs, [Need::Signing, Need::Secret], "{}", def.id);
            }
        }
    }

    #[test]
    fn re_serialised_bodies_differ_from_the_original_bytes() {
        let p = crate::profile::builtin("llamacloud").unwrap();
        let raw = serde_json::to_vec(&Value::String(r#"{"a":1,"b":{"c":2}}"#.into())).unwrap();
        let pretty = map_json(&p, &raw, true, |_| {}).unwrap();
        let reordered = map_json(&p, &raw, false, reverse_keys).unwrap();
        assert_ne!(pretty.as_ref(), raw.as_slice());
        assert_eq!(
            serde_json::from_slice::<Value>(&reordered).unwrap(),
            json!(r#"{"b":{"c":2},"a":1}"#)
        );
    }
}
