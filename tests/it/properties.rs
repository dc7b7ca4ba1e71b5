//! Properties that hold for any input: signatures verify and break when anything signed
//! changes, no wait exceeds its cap, and no fault plan makes a delivery overrun its
//! profile or misreport its outcome.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hookrig::events::{EngineEvent, Outcome};
use hookrig::faults::{Action, Fault, FaultPlan, Step};
use hookrig::profile::{self, Endpoint};
use hookrig::retry::{AttemptResult, Backoff, RETRY_AFTER_CAP, RetryAfter, RetryOn, RetryPolicy};
use hookrig::run_state::AttemptState;
use hookrig::runner::{RunOptions, run_sim};
use hookrig::scenario::{Scenario, ScenarioEvent};
use hookrig::signing::{KeyReading, Scheme, SignInput, Verdict};
use proptest::prelude::*;

/// Every built-in profile that signs: their schemes differ only in data.
fn signing_profiles() -> Vec<String> {
    profile::builtins()
        .into_iter()
        .filter(|p| p.scheme.signs())
        .map(|p| p.name)
        .collect()
}

/// What one signed request is made of.
#[derive(Debug, Clone)]
struct Signed {
    profile: String,
    secret: String,
    id: String,
    timestamp: i64,
    body: Vec<u8>,
}

impl Signed {
    fn scheme(&self) -> Scheme {
        profile::builtin(&self.profile).expect("a built-in").scheme
    }

    /// The headers a request carries: the scheme's signature headers, plus the headers its
    /// verifier reads the id and the timestamp from.
    fn headers(&self) -> Vec<hookrig::record::Header> {
        let scheme = self.scheme();
        let mut h = Vec::new();
        if let Some(n) = &scheme.id_header {
            h.push((n.as_str().into(), self.id.as_str().into()));
        }
        if let Some(n) = &scheme.timestamp_header {
            h.push((n.as_str().into(), self.timestamp.to_string().into()));
        }
        h.extend(
            scheme
                .sign(
                    std::slice::from_ref(&self.secret),
                    SignInput::post(&self.id, self.timestamp, &self.body),
                )
                .expect("generated secrets are valid"),
        );
        h
    }

    fn verify(&self, headers: &[hookrig::record::Header], body: &[u8]) -> Verdict {
        self.scheme().verify(
            std::slice::from_ref(&self.secret),
            headers,
            body,
            Duration::from_secs(self.timestamp as u64),
        )
    }
}

fn set(headers: &mut [hookrig::record::Header], name: &str, value: String) {
    let slot = headers
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("`{name}` not among the headers"));
    slot.1 = value.into();
}

/// A secret in the form the scheme reads: `prefix` + base64 or hex, or printable text.
fn secret_for(scheme: &Scheme, key: &[u8]) -> String {
    match &scheme.key {
        KeyReading::Base64 { prefix } => format!(
            "{prefix}{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        ),
        KeyReading::Hex { prefix } => format!("{prefix}{}", hex::encode(key)),
        KeyReading::Utf8 => key.iter().map(|b| char::from(b'!' + b % 94)).collect(),
    }
}

fn signed() -> impl Strategy<Value = Signed> {
    (
        prop::sample::select(signing_profiles()),
        prop::collection::vec(any::<u8>(), 1..48),
        "[A-Za-z0-9_]{1,40}",
        1_000_000_000i64..4_000_000_000,
        prop::collection::vec(any::<u8>(), 0..256),
    )
        .prop_map(|(profile, key, id, timestamp, body)| {
            let scheme = profile::builtin(&profile).expect("a built-in").scheme;
            Signed {
                secret: secret_for(&scheme, &key),
                profile,
                id,
                timestamp,
                body,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_signed_request_always_verifies(s in signed()) {
        let headers = s.headers();

        prop_assert_eq!(s.verify(&headers, &s.body), Verdict::Valid);
    }

    #[test]
    fn any_change_to_the_body_breaks_the_signature(
        s in signed(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let headers = s.headers();
        let mut body = s.body.clone();
        if body.is_empty() {
            body.push(flip);
        } else {
            let i = at.index(body.len());
            body[i] ^= flip;
        }

        prop_assert!(matches!(s.verify(&headers, &body), Verdict::Invalid(_)));
    }

    #[test]
    fn any_change_to_a_signed_timestamp_breaks_the_signature(
        s in signed().prop_filter("schemes that sign a timestamp header", |s| {
            let scheme = s.scheme();
            scheme.signed.contains(&hookrig::signing::Signed::Timestamp)
                && scheme.timestamp_header.is_some()
        }),
        shift in prop_oneof![-300i64..=-1, 1i64..=60],
    ) {
        let mut headers = s.headers();
        let name = s.scheme().timestamp_header.expect("filtered");
        set(&mut headers, &name, (s.timestamp + shift).to_string());

        prop_assert!(matches!(s.verify(&headers, &s.body), Verdict::Invalid(_)));
    }

    #[test]
    fn any_change_to_a_signed_id_breaks_the_signature(
        s in signed().prop_filter("schemes that sign the id", |s| {
            let scheme = s.scheme();
            scheme.signed.contains(&hookrig::signing::Signed::Id) && scheme.id_header.is_some()
        }),
        other in "[A-Za-z0-9_]{1,40}",
    ) {
        prop_assume!(other != s.id);
        let mut headers = s.headers();
        let name = s.scheme().id_header.expect("filtered");
        set(&mut headers, &name, other);

        prop_assert!(matches!(s.verify(&headers, &s.body), Verdict::Invalid(_)));
    }

    #[test]
    fn a_signature_made_with_another_secret_never_verifies(
        s in signed(),
        other_key in prop::collection::vec(any::<u8>(), 1..48),
    ) {
        let forged = Signed { secret: secret_for(&s.scheme(), &other_key), ..s.clone() };
        prop_assume!(forged.secret != s.secret);

        let headers = forged.headers();

        prop_assert!(matches!(s.verify(&headers, &s.body), Verdict::Invalid(_)));
    }
}

fn exponential(initial_ms: u64, cap_ms: u64, attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        backoff: Backoff::Exponential {
            initial: Duration::from_millis(initial_ms),
            cap: Duration::from_millis(cap_ms),
        },
        timeout: Duration::from_secs(30),
        retry_on: RetryOn::AnyFailure,
        max_redirects: 0,
        redirect_statuses: Vec::new(),
        retry_after: RetryAfter::standard(),
        overload: None,
        jitter_percent: 0,
        resend_quick_connection_error: None,
        disable_on: Vec::new(),
        stop_header: None,
    }
}

#[test]
fn no_built_in_profile_schedules_a_wait_over_its_cap() {
    for p in profile::builtins() {
        let cap = p.retry.max_wait();

        let waits = p.retry.waits();

        assert_eq!(waits.len(), p.retry.attempts as usize - 1, "{}", p.name);
        assert!(
            waits.iter().all(|w| *w <= cap),
            "{}: {waits:?} over {cap:?}",
            p.name
        );
        if let Backoff::Exponential { cap: declared, .. } = p.retry.backoff {
            assert!(cap <= declared, "{}", p.name);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_exponential_wait_exceeds_its_cap(
        initial_ms in 0u64..=3_600_000,
        cap_ms in 0u64..=30 * 24 * 3_600_000,
        k in prop_oneof![1u32..=64, any::<u32>()],
    ) {
        let policy = exponential(initial_ms, cap_ms, 10);

        let wait = policy.wait_after(k);

        prop_assert!(wait <= Duration::from_millis(cap_ms));
    }

    #[test]
    fn exponential_waits_never_shrink(
        initial_ms in 0u64..=3_600_000,
        cap_ms in 0u64..=30 * 24 * 3_600_000,
        k in 1u32..u32::MAX,
    ) {
        let policy = exponential(initial_ms, cap_ms, 10);

        prop_assert!(policy.wait_after(k) <= policy.wait_after(k + 1));
    }

    #[test]
    fn no_wait_exceeds_max_wait_for_any_exponential_policy(
        initial_ms in 0u64..=3_600_000,
        cap_ms in 0u64..=30 * 24 * 3_600_000,
        attempts in 1u32..=40,
    ) {
        let policy = exponential(initial_ms, cap_ms, attempts);
        let cap = policy.max_wait();

        let waits = policy.waits();

        prop_assert!(cap <= Duration::from_millis(cap_ms));
        prop_assert!(waits.iter().all(|w| *w <= cap));
    }

    #[test]
    fn retry_after_never_pushes_a_wait_past_a_day_or_below_the_schedule(
        p in prop::sample::select(profile::BUILTIN_NAMES.to_vec()),
        k in 1u32..=12,
        status in prop::sample::select(vec![429u16, 503, 500, 404, 302]),
        retry_after_s in 0u64..=10 * 24 * 3600,
    ) {
        let policy = profile::builtin(p).expect("built-in").retry;
        let result = AttemptResult::Status(status);
        let planned = policy.planned_wait(k, result, None);

        let wait = policy.planned_wait(k, result, Some(Duration::from_secs(retry_after_s)));

        prop_assert!(planned >= policy.wait_after(k));
        prop_assert!(wait >= planned);
        prop_assert!(wait <= planned.max(RETRY_AFTER_CAP).max(planned * 2));
    }

    #[test]
    fn a_jittered_wait_stays_within_the_profiles_percentage(
        p in prop::sample::select(profile::BUILTIN_NAMES.to_vec()),
        k in 1u32..=12,
        draw in any::<u64>(),
    ) {
        let policy = profile::builtin(p).expect("built-in").retry;
        let planned = policy.wait_after(k);
        let pct = u64::from(policy.jitter_percent);

        let wait = policy.jittered(planned, draw);

        let ms = planned.as_millis() as u64;
        let got = wait.as_millis() as u64;
        prop_assert!(got >= ms * (100 - pct) / 100, "{got} < {ms} - {pct}%");
        prop_assert!(got <= (ms * (100 + pct)).div_ceil(100), "{got} > {ms} + {pct}%");
    }
}

/// One step of a random fault plan.
fn step() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::status(503)),
        Just(Action::status(200)),
        Just(Action::status(404)),
        Just(Action::Fault(Fault::Hang)),
        Just(Action::Fault(Fault::Drop)),
    ]
}

fn scenario(profile_name: &str, steps: Vec<Action>, deliveries: usize) -> Scenario {
    let profile = profile::builtin(profile_name).expect("built-in");
    let events = (0..deliveries)
        .map(|i| ScenarioEvent {
            event_type: profile.catalogue[i % profile.catalogue.len()]
                .name
                .to_owned(),
            data: None,
            at: Duration::from_millis(i as u64 * 700),
        })
        .collect();
    Scenario {
        name: format!("{profile_name} under a random fault plan"),
        file: PathBuf::from("generated.yaml"),
        profile: Arc::new(profile),
        endpoint: Arc::new(Endpoint::default()),
        events,
        receiver: FaultPlan::new(
            steps
                .into_iter()
                .map(|action| Step {
                    when_event: None,
                    action,
                })
                .collect(),
        ),
        expect: Vec::new(),
        live_skip: None,
        sender: None,
    }
}

fn got_a_2xx(a: &AttemptState) -> bool {
    matches!(a.result, Some(AttemptResult::Status(s)) if (200..300).contains(&s))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_fault_plan_makes_a_delivery_overrun_its_profile_or_misreport_its_outcome(
        p in prop::sample::select(profile::BUILTIN_NAMES.to_vec()),
        steps in prop::collection::vec(step(), 1..8),
        deliveries in 1usize..=3,
        seed in any::<u64>(),
    ) {
        let s = scenario(p, steps, deliveries);
        let policy = s.profile.retry.clone();
        let mut waits = Vec::new();

        let state = run_sim(std::slice::from_ref(&s), &RunOptions { seed }, |e| {
            if let EngineEvent::RetryScheduled { wait, .. } = e {
                waits.push(*wait);
            }
        });

        let ran = &state.scenarios[0];
        prop_assert_eq!(ran.deliveries.len(), deliveries);
        for d in &ran.deliveries {
            let outcome = d.outcome.expect("every delivery finishes");
            prop_assert!(d.attempts.len() <= policy.attempts as usize,
                "{} attempts under {}", d.attempts.len(), p);
            prop_assert_eq!(outcome == Outcome::Delivered, d.attempts.iter().any(got_a_2xx),
                "outcome {:?} with attempts {:?}", outcome,
                d.attempts.iter().map(|a| a.result).collect::<Vec<_>>());
            if outcome == Outcome::Exhausted {
                prop_assert_eq!(d.attempts.len(), policy.attempts as usize);
            }
            prop_assert!(d.attempts.iter().all(|a| a.result.is_some()),
                "every attempt ends");
        }
        // No plan here answers with Retry-After: the longest wait is the longest scheduled
        // one, raised to the overload floor (a timeout), plus the profile's jitter.
        let floor = policy.overload.as_ref().map(|o| o.min_wait).unwrap_or_default();
        let (_, cap) = policy.jitter_bounds(policy.max_wait().max(floor));
        prop_assert!(waits.iter().all(|w| *w <= cap), "{:?} over {:?}", waits, cap);
    }
}
