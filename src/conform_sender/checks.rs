//! The checks of `hookrig conform-sender`, each a value: its id, what it is about, when
//! the profile makes it meaningless, the receiver plan it plays, how many requests it
//! waits for and for how long, and how it judges what arrived.

use std::sync::Arc;
use std::time::Duration;

use crate::external::GRACE;
use crate::faults::{Action, Dribble, Fault, FaultPlan, Step};
use crate::profile::{Endpoint, HeaderEntry, IdAt, Profile};
use crate::record::RequestRecord;
use crate::retry::{AttemptResult, RetryAfter, Verdict};
use crate::run_state::{AttemptState, ScenarioState};
use crate::scenario::{Expectation, Scenario, ScenarioEvent, SchemaRef, SignatureExpect, expect};
use crate::signing::{self, Received};
use crate::text::fmt_duration;

use super::Options;

/// What a check concludes: a summary of what held, or (expected, actual).
pub type Judged = Result<String, (String, String)>;

/// One check.
pub struct Check {
    /// Stable id (`--only`, reports).
    pub id: &'static str,
    /// What it is about.
    pub title: &'static str,
    /// Why it cannot apply to this profile or input, if it cannot.
    pub skip: fn(&Cx) -> Option<String>,
    /// What the receiver answers on the check's path.
    pub plan: fn(&Cx) -> FaultPlan,
    /// Requests it waits for.
    pub requests: fn(&Cx) -> u32,
    /// How long it waits at most.
    pub timeout: fn(&Cx) -> Duration,
    /// Once they came, how long stray requests are still taken in.
    pub grace: fn(&Cx) -> Duration,
    /// The verdict on what arrived (`wall_of`: the wall-clock time of an offset).
    pub judge: fn(&Cx, &ScenarioState, &dyn Fn(Duration) -> Duration) -> Judged,
}

/// What every check reads: the profile, the secrets, where ids travel.
pub struct Cx {
    /// The profile.
    pub profile: Arc<Profile>,
    /// The secrets.
    pub secrets: Vec<String>,
    /// How far an attempt may be from its expected time.
    pub tolerance: Duration,
    id_at: Option<IdAt>,
}

impl Cx {
    /// The context of a run with `opts`.
    pub fn new(opts: &Options) -> Self {
        Self {
            profile: Arc::clone(&opts.profile),
            secrets: opts.secrets.clone(),
            tolerance: opts.tolerance,
            id_at: opts.profile.delivery_id_at(),
        }
    }

    fn timeout(&self) -> Duration {
        self.profile.retry.timeout
    }

    fn wait1(&self) -> Duration {
        self.profile.retry.wait_after(1)
    }

    /// The delivery id a request carries.
    pub fn id_of(&self, r: &RequestRecord) -> Option<String> {
        self.id_at
            .as_ref()
            .and_then(|at| at.read(&self.profile, &r.headers, &r.body))
    }

    /// The signature timestamp header's value.
    pub fn timestamp_of(&self, r: &RequestRecord) -> Option<String> {
        let name = self.profile.scheme.timestamp_header.as_ref()?;
        signing::header(&r.headers, name).map(str::to_owned)
    }

    /// Judges `x` as a scenario's `expect` would, on the check's one delivery.
    fn evaluate(
        &self,
        st: &ScenarioState,
        x: Expectation,
        wall_of: &dyn Fn(Duration) -> Duration,
    ) -> Result<(), (String, String)> {
        let event_type = st
            .deliveries
            .first()
            .map(|d| d.event_type.clone())
            .unwrap_or_default();
        let scenario = Scenario {
            name: "conform-sender".into(),
            file: Default::default(),
            profile: Arc::clone(&self.profile),
            endpoint: Arc::new(Endpoint {
                secrets: self.secrets.clone(),
                ..Endpoint::default()
            }),
            events: vec![ScenarioEvent {
                event_type,
                data: None,
                at: Duration::ZERO,
            }],
            receiver: FaultPlan::default(),
            expect: vec![x],
            live_skip: None,
            sender: None,
        };
        match expect::evaluate(&scenario, st, wall_of).into_iter().next() {
            None => Ok(()),
            Some(f) => {
                let at = f
                    .attempt
                    .map(|n| format!(" [attempt {n}]"))
                    .unwrap_or_default();
                Err((format!("{}{at}: {}", f.check, f.expected), f.actual))
            }
        }
    }
}

fn attempts(st: &ScenarioState) -> &[AttemptState] {
    st.deliveries.first().map_or(&[], |d| d.attempts.as_slice())
}

/// Arrival gaps: attempt k's arrival minus attempt k−1's.
fn gap(st: &ScenarioState, k: usize) -> Option<Duration> {
    let a = attempts(st);
    Some(a.get(k)?.at().saturating_sub(a.get(k - 1)?.at()))
}

fn step(action: Action) -> Step {
    Step {
        when_event: None,
        action,
    }
}

fn plan(actions: Vec<Action>) -> FaultPlan {
    FaultPlan::new(actions.into_iter().map(step).collect())
}

fn status_with(status: u16, headers: Vec<(String, String)>) -> Action {
    Action::Respond {
        status,
        body: String::new(),
        headers,
        after: Duration::ZERO,
        dribble: None,
    }
}

/// How long a check whose plan costs `retries` waits and `hangs` timeouts waits at most.
fn budget(cx: &Cx, retries: u32, hangs: u32) -> Duration {
    let waits: Duration = (1..=retries).map(|k| cx.profile.retry.wait_after(k)).sum();
    waits + cx.timeout() * hangs + cx.tolerance + Duration::from_secs(5)
}

fn no_retry(st: &ScenarioState, wanted: &str) -> (String, String) {
    (
        wanted.to_owned(),
        format!(
            "only {} attempt(s) arrived: the sender did not retry",
            attempts(st).len()
        ),
    )
}

/// A plan in words: `500, then 200`.
pub fn plan_words(p: &FaultPlan) -> String {
    let words: Vec<String> = p
        .steps()
        .iter()
        .map(|s| match &s.action {
            Action::Respond {
                status,
                headers,
                dribble: Some(d),
                ..
            } if headers.is_empty() => {
                format!(
                    "{status} dribbled in {} pieces over {}",
                    d.chunks,
                    fmt_duration(d.over)
                )
            }
            Action::Respond {
                status, headers, ..
            } if !headers.is_empty() => {
                let h: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{status} ({})", h.join(", "))
            }
            other => other.answer().label(),
        })
        .collect();
    format!("{} (the last repeats)", words.join(", then "))
}

/// A second attempt must be `want` after the first, within −tolerance / +max(1 s,
/// tolerance).
fn second_within(cx: &Cx, st: &ScenarioState, want: Duration, what: &str) -> Judged {
    let late = cx.tolerance.max(Duration::from_secs(1));
    let expected = format!(
        "a second attempt {} after the first ({what}), −{} / +{}",
        fmt_duration(want),
        fmt_duration(cx.tolerance),
        fmt_duration(late)
    );
    let Some(g) = gap(st, 1) else {
        return Err(no_retry(st, &expected));
    };
    if g + cx.tolerance < want || g > want + late {
        return Err((
            expected,
            format!("it came {} after the first", fmt_duration(g)),
        ));
    }
    Ok(format!("retried {} after the first", fmt_duration(g)))
}

/// Retried and delivered on the second attempt: the sender retries `what`.
fn retried(
    cx: &Cx,
    st: &ScenarioState,
    wall_of: &dyn Fn(Duration) -> Duration,
    what: &str,
) -> Judged {
    let x = Expectation {
        outcome: Some(crate::events::Outcome::Delivered),
        attempts: Some(2),
        ..Expectation::default()
    };
    if attempts(st).len() < 2 {
        return Err(no_retry(
            st,
            &format!("{what} retried, delivered on attempt 2"),
        ));
    }
    cx.evaluate(st, x, wall_of)?;
    Ok(format!(
        "{what} retried {} later, delivered on attempt 2",
        gap(st, 1).map_or_else(String::new, fmt_duration)
    ))
}

/// Exactly one attempt: nothing came after the answer that ends the delivery.
fn only_one(st: &ScenarioState, why: &str) -> Judged {
    match attempts(st).len() {
        1 => Ok(format!("no retry after {why}")),
        n => Err((
            format!("one attempt: {why}"),
            format!(
                "{n} attempts, the second {} after the first",
                gap(st, 1).map_or_else(String::new, fmt_duration)
            ),
        )),
    }
}

fn signs(cx: &Cx) -> Option<String> {
    if !cx.profile.scheme.signs() {
        return Some(format!("{} does not sign its requests", cx.profile.name));
    }
    if cx.secrets.is_empty() {
        return Some("no --secret given: give the secret the sender signs with".into());
    }
    None
}

fn retry_after_status(cx: &Cx) -> Option<u16> {
    match &cx.profile.retry.retry_after {
        RetryAfter::Ignored => None,
        RetryAfter::Lengthens { statuses, .. } => statuses
            .iter()
            .copied()
            .find(|s| *s == 503)
            .or_else(|| statuses.first().copied()),
        RetryAfter::Clamped { .. } => Some(503),
    }
}

/// The Retry-After a check sends: the first wait plus 2 s, in whole seconds.
fn retry_after_secs(cx: &Cx) -> u64 {
    (cx.wait1() + Duration::from_secs(2)).as_secs_f64().ceil() as u64
}

fn retry_after_wait(cx: &Cx) -> Duration {
    let status = retry_after_status(cx).unwrap_or(503);
    cx.profile.retry.planned_wait(
        1,
        AttemptResult::Status(status),
        Some(Duration::from_secs(retry_after_secs(cx))),
    )
}

fn dribble_over(cx: &Cx) -> Duration {
    (cx.timeout() * 3).max(Duration::from_secs(3))
}

fn moved_path() -> &'static str {
    "/conform-sender/on-3xx/moved"
}

/// The headers every request of the profile carries (its unconditional ones, and the
/// signature's when it signs).
fn required_headers(cx: &Cx) -> Vec<String> {
    let mut out: Vec<String> = cx
        .profile
        .headers
        .iter()
        .filter_map(|h| match h {
            HeaderEntry::Header {
                name, when, words, ..
            } if when.is_none() && !words.contains("endpoint.") => Some(name.to_string()),
            _ => None,
        })
        .collect();
    if cx.profile.scheme.signs() && !cx.secrets.is_empty() {
        out.extend(cx.profile.scheme.headers.iter().map(|h| h.name.to_string()));
    }
    out
}

fn is_none(_: &Cx) -> Option<String> {
    None
}

fn grace(_: &Cx) -> Duration {
    GRACE
}

fn one(_: &Cx) -> u32 {
    1
}

fn two(_: &Cx) -> u32 {
    2
}

fn three(_: &Cx) -> u32 {
    3
}

/// Time for a plan with one failed attempt before the answer that delivers.
fn one_wait(cx: &Cx) -> Duration {
    budget(cx, 1, 0)
}

/// Time for a plan that answers at once.
fn no_wait(cx: &Cx) -> Duration {
    budget(cx, 0, 0)
}

/// The suite, in report order.
pub static CHECKS: &[Check] = &[
    Check {
        id: "signature",
        title: "every attempt's signature verifies with the profile's scheme",
        skip: signs,
        plan: |_| plan(vec![Action::status(500), Action::status(200)]),
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, wall_of| {
            let x = Expectation {
                signature: Some(SignatureExpect::Valid),
                ..Expectation::default()
            };
            cx.evaluate(st, x, wall_of).map_err(|(e, a)| {
                let a = if a.contains("matched") {
                    format!("{a}: signed with another secret, or over other bytes")
                } else {
                    a
                };
                (e, a)
            })?;
            Ok(format!(
                "{} attempt(s), every signature valid",
                attempts(st).len()
            ))
        },
    },
    Check {
        id: "rotation",
        title: "during key rotation every request carries a signature for each secret",
        skip: |cx| {
            if !cx.profile.scheme.supports_rotation() {
                return Some(format!("{} has no key rotation", cx.profile.name));
            }
            if cx.secrets.len() < 2 {
                return Some("one secret given: rotation needs two (give --secret again)".into());
            }
            signs(cx)
        },
        plan: |_| plan(vec![Action::status(200)]),
        requests: one,
        timeout: no_wait,
        grace,
        judge: |cx, st, wall_of| {
            for a in attempts(st) {
                for r in a.requests() {
                    for (k, s) in cx.secrets.iter().enumerate() {
                        let v = cx.profile.scheme.verify_request(
                            std::slice::from_ref(s),
                            Received {
                                method: &r.method,
                                url: &r.path,
                                headers: &r.headers,
                                body: &r.body,
                            },
                            wall_of(a.at()),
                        );
                        if v != signing::Verdict::Valid {
                            return Err((
                                format!(
                                    "a valid signature for each of the {} secrets",
                                    cx.secrets.len()
                                ),
                                format!(
                                    "attempt {}: none verifies with secret #{} ({})",
                                    a.n,
                                    k + 1,
                                    v.label()
                                ),
                            ));
                        }
                    }
                }
            }
            Ok(format!(
                "a signature for each of the {} secrets",
                cx.secrets.len()
            ))
        },
    },
    Check {
        id: "id-stable",
        title: "the delivery id stays the same across retries",
        skip: |cx| {
            cx.id_at
                .is_none()
                .then(|| format!("{}'s requests carry no delivery id", cx.profile.name))
        },
        plan: |_| {
            plan(vec![
                Action::status(500),
                Action::status(500),
                Action::status(200),
            ])
        },
        requests: three,
        timeout: |cx| budget(cx, 2, 0),
        grace,
        judge: |cx, st, _| {
            let at = cx.id_at.as_ref().map_or_else(String::new, IdAt::describe);
            let ids: Vec<String> = attempts(st)
                .iter()
                .map(|a| {
                    a.requests()
                        .first()
                        .and_then(|r| cx.id_of(r))
                        .unwrap_or_else(|| "(none)".into())
                })
                .collect();
            let wanted = format!("one id in {at} on every attempt");
            if ids.len() < 2 {
                return Err(no_retry(st, &wanted));
            }
            if ids.iter().any(|i| i != &ids[0]) {
                return Err((wanted, format!("ids {}", ids.join(", "))));
            }
            Ok(format!("{} attempts, one id {}", ids.len(), ids[0]))
        },
    },
    Check {
        id: "timestamp-fresh",
        title: "each attempt carries a fresh timestamp (one 1 s or more after another must not repeat it)",
        skip: |cx| {
            cx.profile
                .scheme
                .timestamp_header
                .is_none()
                .then(|| format!("{}'s signature has no timestamp header", cx.profile.name))
        },
        plan: |_| plan(vec![Action::status(500), Action::status(200)]),
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, _| {
            let name = cx
                .profile
                .scheme
                .timestamp_header
                .clone()
                .unwrap_or_default();
            let a = attempts(st);
            let wanted = format!("a fresh {name} on every attempt 1 s or more after another");
            if a.len() < 2 {
                return Err(no_retry(st, &wanted));
            }
            let ts = |k: usize| a[k].requests().first().and_then(|r| cx.timestamp_of(r));
            let mut compared = 0;
            for k in 1..a.len() {
                let g = a[k].at().saturating_sub(a[k - 1].at());
                if g < Duration::from_secs(1) {
                    continue;
                }
                compared += 1;
                if ts(k) == ts(k - 1) {
                    return Err((
                        wanted,
                        format!(
                            "attempt {} came {} after attempt {} with the same {name}: {}",
                            k + 1,
                            fmt_duration(g),
                            k,
                            ts(k).unwrap_or_default()
                        ),
                    ));
                }
            }
            Ok(if compared == 0 {
                "no two attempts 1 s apart: nothing to compare".into()
            } else {
                format!("{name} fresh on each of {} attempts", a.len())
            })
        },
    },
    Check {
        id: "body-identical",
        title: "the body is byte-identical across retries",
        skip: is_none,
        plan: |_| plan(vec![Action::status(500), Action::status(200)]),
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, wall_of| {
            if attempts(st).len() < 2 {
                return Err(no_retry(
                    st,
                    "a retry with the first attempt's body, byte for byte",
                ));
            }
            let x = Expectation {
                identical: true,
                ..Expectation::default()
            };
            cx.evaluate(st, x, wall_of)?;
            Ok(format!("{} attempts, one body", attempts(st).len()))
        },
    },
    Check {
        id: "retry-5xx",
        title: "a 5xx answer is retried",
        skip: is_none,
        plan: |_| plan(vec![Action::status(500), Action::status(200)]),
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, wall_of| retried(cx, st, wall_of, "500"),
    },
    Check {
        id: "retry-drop",
        title: "a dropped connection is retried",
        skip: is_none,
        plan: |_| plan(vec![Action::Fault(Fault::Drop), Action::status(200)]),
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, wall_of| retried(cx, st, wall_of, "a dropped connection"),
    },
    Check {
        id: "retry-reset",
        title: "a reset connection is retried",
        skip: is_none,
        plan: |_| plan(vec![Action::Fault(Fault::Reset), Action::status(200)]),
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, wall_of| retried(cx, st, wall_of, "a reset connection"),
    },
    Check {
        id: "timeout-hang",
        title: "an answer that never comes is given up at the profile's timeout and retried",
        skip: is_none,
        plan: |_| plan(vec![Action::Fault(Fault::Hang), Action::status(200)]),
        requests: two,
        timeout: |cx| budget(cx, 1, 1),
        grace,
        judge: |cx, st, _| {
            second_within(
                cx,
                st,
                cx.timeout() + cx.wait1(),
                &format!(
                    "the {} timeout, then the {} wait",
                    fmt_duration(cx.timeout()),
                    fmt_duration(cx.wait1())
                ),
            )
            .map_err(|(e, a)| {
                if attempts(st).len() < 2 {
                    (
                        e,
                        format!("{a}; it waited on the hung request past the profile's timeout"),
                    )
                } else {
                    (e, a)
                }
            })
        },
    },
    Check {
        id: "timeout-dribble",
        title: "an answer that dribbles in past the timeout is given up and retried",
        skip: is_none,
        plan: |cx| {
            plan(vec![
                Action::Respond {
                    status: 200,
                    body: "x".repeat(20),
                    headers: Vec::new(),
                    after: Duration::ZERO,
                    dribble: Some(Dribble {
                        chunks: 20,
                        over: dribble_over(cx),
                    }),
                },
                Action::status(200),
            ])
        },
        requests: two,
        timeout: |cx| budget(cx, 1, 1) + dribble_over(cx),
        grace,
        judge: |cx, st, _| {
            second_within(
                cx,
                st,
                cx.timeout() + cx.wait1(),
                &format!(
                    "the {} timeout on a body sent over {}, then the {} wait",
                    fmt_duration(cx.timeout()),
                    fmt_duration(dribble_over(cx)),
                    fmt_duration(cx.wait1())
                ),
            )
            .map_err(|(e, a)| {
                if attempts(st).len() < 2 {
                    (e, format!("{a}; it read the slow answer to its end"))
                } else {
                    (e, a)
                }
            })
        },
    },
    Check {
        id: "on-4xx",
        title: "a 4xx answer is retried, or ends the delivery, as the profile says",
        skip: is_none,
        plan: |_| plan(vec![Action::status(400), Action::status(200)]),
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, wall_of| match cx.profile.retry.classify(AttemptResult::Status(400)) {
            Verdict::Retry => retried(cx, st, wall_of, "400"),
            _ => only_one(st, &format!("a 400 ({} gives up on 4xx)", cx.profile.name)),
        },
    },
    Check {
        id: "on-3xx",
        title: "a 3xx answer is followed, retried or ends the delivery, as the profile says",
        skip: is_none,
        plan: |_| {
            plan(vec![
                status_with(302, vec![("Location".into(), moved_path().into())]),
                Action::status(200),
            ])
        },
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, wall_of| {
            let a = attempts(st);
            let second_path = a
                .get(1)
                .and_then(|x| x.requests().first().map(|r| r.path.clone()));
            if cx.profile.retry.follows(302) {
                let wanted = format!("the 302 followed at once to {}", moved_path());
                return match (second_path, gap(st, 1)) {
                    (Some(p), Some(g))
                        if p.ends_with("/moved") && g <= cx.tolerance + Duration::from_secs(1) =>
                    {
                        Ok(format!("followed to {p} after {}", fmt_duration(g)))
                    }
                    (Some(p), Some(g)) => Err((
                        wanted,
                        format!("a request to {p} {} later", fmt_duration(g)),
                    )),
                    _ => Err((wanted, "no request after the 302".into())),
                };
            }
            match cx.profile.retry.classify(AttemptResult::Status(302)) {
                Verdict::Retry => {
                    if second_path
                        .as_deref()
                        .is_some_and(|p| p.ends_with("/moved"))
                    {
                        return Err((
                            format!(
                                "the 302 treated as a failure ({} never follows redirects) and retried",
                                cx.profile.name
                            ),
                            "the sender followed the redirect".into(),
                        ));
                    }
                    retried(cx, st, wall_of, "302")
                }
                _ => only_one(st, &format!("a 302 ({} gives up on it)", cx.profile.name)),
            }
        },
    },
    Check {
        id: "on-410",
        title: "a 410 stops the delivery where the profile says so",
        skip: |cx| {
            (!cx.profile.retry.disable_on.contains(&410)).then(|| {
                format!(
                    "{} has no rule of its own for 410 (on-4xx covers 4xx)",
                    cx.profile.name
                )
            })
        },
        plan: |_| plan(vec![Action::status(410), Action::status(200)]),
        requests: two,
        timeout: one_wait,
        grace,
        judge: |cx, st, _| {
            only_one(
                st,
                &format!("a 410 ({} disables the endpoint)", cx.profile.name),
            )
        },
    },
    Check {
        id: "retry-after",
        title: "Retry-After is honoured where the profile honours it",
        skip: |cx| {
            retry_after_status(cx)
                .is_none()
                .then(|| format!("{} ignores Retry-After", cx.profile.name))
        },
        plan: |cx| {
            let status = retry_after_status(cx).unwrap_or(503);
            plan(vec![
                status_with(
                    status,
                    vec![("Retry-After".into(), retry_after_secs(cx).to_string())],
                ),
                Action::status(200),
            ])
        },
        requests: two,
        timeout: |cx| retry_after_wait(cx) + Duration::from_secs(5),
        grace,
        judge: |cx, st, _| {
            let status = retry_after_status(cx).unwrap_or(503);
            second_within(
                cx,
                st,
                retry_after_wait(cx),
                &format!(
                    "{status} with Retry-After: {}; the profile waits {}",
                    retry_after_secs(cx),
                    fmt_duration(retry_after_wait(cx))
                ),
            )
        },
    },
    Check {
        id: "schedule",
        title: "the attempts and their waits match the profile's schedule",
        skip: |cx| {
            (cx.profile.retry.attempts < 2).then(|| {
                format!(
                    "{} makes one attempt: there is no schedule",
                    cx.profile.name
                )
            })
        },
        plan: |_| plan(vec![Action::status(500)]),
        requests: |cx| cx.profile.retry.attempts,
        timeout: |cx| {
            budget(cx, cx.profile.retry.attempts - 1, 0)
                + Duration::from_secs(u64::from(cx.profile.retry.attempts))
        },
        // Long enough to see an attempt the profile does not allow.
        grace: |cx| cx.profile.retry.max_wait() + cx.tolerance + GRACE,
        judge: |cx, st, wall_of| {
            let starts = crate::profile::retry_starts(&cx.profile.retry);
            let x = Expectation {
                attempts: Some(cx.profile.retry.attempts),
                schedule: Some(starts.clone()),
                tolerance: cx.tolerance,
                tolerance_percent: u32::from(cx.profile.retry.jitter_percent),
                stepwise: true,
                ..Expectation::default()
            };
            cx.evaluate(st, x, wall_of)?;
            let words: Vec<String> = starts.iter().map(|d| fmt_duration(*d)).collect();
            Ok(format!(
                "{} attempts at [{}]",
                starts.len(),
                words.join(", ")
            ))
        },
    },
    Check {
        id: "headers-payload",
        title: "required headers are present and the payload validates against the event's schema",
        skip: is_none,
        plan: |_| plan(vec![Action::status(200)]),
        requests: one,
        timeout: no_wait,
        grace,
        judge: |cx, st, wall_of| {
            let present = required_headers(cx);
            let x = Expectation {
                headers_present: present.clone(),
                schema: Some(SchemaRef::Event),
                ..Expectation::default()
            };
            cx.evaluate(st, x, wall_of)?;
            Ok(format!(
                "{} present; the body satisfies its schema",
                present.join(", ")
            ))
        },
    },
    Check {
        id: "no-secret-in-headers",
        title: "no secret is sent in a header",
        skip: |cx| {
            cx.secrets
                .is_empty()
                .then(|| "no --secret given: nothing to look for".into())
        },
        plan: |_| plan(vec![Action::status(200)]),
        requests: one,
        timeout: no_wait,
        grace,
        judge: |cx, st, _| {
            for a in attempts(st) {
                for r in a.requests() {
                    for (name, value) in &r.headers {
                        for (k, s) in cx.secrets.iter().enumerate() {
                            let bare = s.split_once('_').map_or(s.as_str(), |(_, b)| b);
                            if value.contains(s.as_str())
                                || (bare.len() >= 8 && value.contains(bare))
                            {
                                return Err((
                                    "no secret in any header".into(),
                                    format!(
                                        "attempt {}: header {name} carries secret #{} (value not shown)",
                                        a.n,
                                        k + 1
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
            Ok("no header carries a secret".into())
        },
    },
];
