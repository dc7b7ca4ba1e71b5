//! Evaluating a scenario's checks against what the engine recorded.
//!
//! [`evaluate`] reads only the reduced [`ScenarioState`]: the attempts the sender made
//! and the requests the receiver recorded. Checks on requests (headers, signature,
//! payload) apply to every request of every attempt; a failure names the first attempt it
//! failed on and counts the others.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::{Expectation, Scenario, SchemaRef, SignatureExpect};
use crate::events::Failure;
use crate::record::{RequestRecord, redact};
use crate::run_state::{AttemptState, ScenarioState};
use crate::signing::{Verdict, header};
use crate::text::fmt_duration;

/// Evaluates every expectation of `scenario`. `wall_of` gives the wall-clock time of an
/// offset from the scenario's start, so signatures are judged at each request's arrival.
pub fn evaluate(
    scenario: &Scenario,
    state: &ScenarioState,
    wall_of: &dyn Fn(Duration) -> Duration,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    for x in &scenario.expect {
        let mut f = Checker {
            x,
            out: &mut failures,
        };
        let Some(d) = state.deliveries.get(x.delivery) else {
            f.fail("delivery", None, "a delivery", "none was made");
            continue;
        };
        if let Some(want) = x.outcome {
            let got = d.outcome.map_or("unfinished", |o| o.as_str());
            if got != want.as_str() {
                let actual = match &d.reason {
                    Some(r) => format!("{got} ({r})"),
                    None => got.to_owned(),
                };
                f.fail("outcome", None, want.as_str(), actual);
            }
        }
        if let Some(want) = x.attempts
            && d.attempts.len() != want as usize
        {
            f.fail(
                "attempts",
                None,
                want.to_string(),
                d.attempts.len().to_string(),
            );
        }
        if let Some(want) = &x.schedule {
            check_schedule(&mut f, want, &d.attempts);
        }
        check_requests(&mut f, scenario, &d.event_type, &d.attempts, wall_of);
    }
    failures
}

struct Checker<'a> {
    x: &'a Expectation,
    out: &'a mut Vec<Failure>,
}

impl Checker<'_> {
    fn fail(
        &mut self,
        check: &str,
        attempt: Option<u32>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) {
        self.out.push(Failure {
            check: check.to_owned(),
            event: self.x.label.clone(),
            attempt,
            expected: expected.into(),
            actual: actual.into(),
        });
    }
}

fn fmt_list(ds: &[Duration]) -> String {
    format!(
        "[{}]",
        ds.iter()
            .map(|d| fmt_duration(*d))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn check_schedule(f: &mut Checker<'_>, want: &[Duration], attempts: &[AttemptState]) {
    let first = attempts.first().map(AttemptState::at).unwrap_or_default();
    let got: Vec<Duration> = attempts
        .iter()
        .map(|a| a.at().saturating_sub(first))
        .collect();
    let tol = f.x.tolerance;
    let pct = f.x.tolerance_percent;
    let n = got.len().min(want.len());
    let first_bad = (0..n)
        .find(|i| f.x.misses(&got, want, *i))
        .map(|i| i as u32 + 1);
    if got.len() != want.len() || first_bad.is_some() {
        let mut expected = fmt_list(want);
        let pct = match (pct, f.x.slack.is_zero()) {
            (0, _) => None,
            (p, true) => Some(format!("{p}%")),
            (p, false) => Some(format!("{p}% + {}", fmt_duration(f.x.slack))),
        };
        let allowed = match pct {
            None if tol.is_zero() => None,
            None => Some(fmt_duration(tol)),
            // The percentage plus the slack is never less than a tolerance up to the slack.
            Some(p) if tol <= f.x.slack => Some(p),
            Some(p) => Some(format!("max({}, {p})", fmt_duration(tol))),
        };
        if let Some(allowed) = allowed {
            let step = if f.x.stepwise {
                " from the attempt before"
            } else {
                ""
            };
            expected.push_str(&format!(" ± {allowed}{step}"));
        }
        f.fail("schedule", first_bad, expected, fmt_list(&got));
    }
}

/// Per check: the attempts it failed on, and the first failure's text.
#[derive(Default)]
struct RequestFailures(BTreeMap<String, (String, String, Vec<u32>)>);

impl RequestFailures {
    fn add(&mut self, check: String, n: u32, expected: String, actual: String) {
        let e = self
            .0
            .entry(check)
            .or_insert_with(|| (expected, actual, Vec::new()));
        if !e.2.contains(&n) {
            e.2.push(n);
        }
    }
}

/// What holds a schema a check validates bodies against: the profile's catalogue (or
/// its open entry), or a schema file's value. Held by the validator cache, it keeps the
/// schema where it is.
#[derive(Clone)]
enum SchemaHolder {
    /// Entry `usize` of a profile's catalogue.
    Catalogue(Arc<Vec<crate::profile::EventSpec>>, usize),
    /// The open catalogue's entry.
    Other(Arc<crate::profile::EventSpec>),
    /// A schema file.
    File(Arc<Value>),
}

impl SchemaHolder {
    fn schema(&self) -> &Value {
        match self {
            SchemaHolder::Catalogue(c, i) => &c[*i].schema,
            SchemaHolder::Other(spec) => &spec.schema,
            SchemaHolder::File(v) => v,
        }
    }
}

/// The schema of `event_type`'s body in `profile`, with what holds it.
fn event_schema(profile: &crate::profile::Profile, event_type: &str) -> Option<SchemaHolder> {
    match profile.catalogue.iter().position(|e| e.name == event_type) {
        Some(i) => Some(SchemaHolder::Catalogue(Arc::clone(&profile.catalogue), i)),
        None => profile.other.clone().map(SchemaHolder::Other),
    }
}

/// The compiled validator of the schema `holder` holds. A run of many scenarios checks
/// the same few schemas again and again (their profiles are shared): each is compiled
/// once per thread, keyed by where it lies, its holder kept with it so that place is
/// never reused by another schema while the entry lives. At most [`VALIDATORS_KEPT`]
/// are kept. A schema that does not compile is not kept; its error is told each time.
fn validator_for(holder: SchemaHolder) -> Result<Rc<jsonschema::Validator>, String> {
    type Compiled = HashMap<usize, (SchemaHolder, Rc<jsonschema::Validator>)>;
    thread_local! {
        static VALIDATORS: RefCell<Compiled> = RefCell::new(HashMap::new());
    }
    let key = std::ptr::from_ref(holder.schema()) as usize;
    if let Some(v) = VALIDATORS.with(|c| c.borrow().get(&key).map(|(_, v)| Rc::clone(v))) {
        return Ok(v);
    }
    let v = Rc::new(jsonschema::validator_for(holder.schema()).map_err(|e| e.to_string())?);
    VALIDATORS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= VALIDATORS_KEPT {
            c.clear();
        }
        c.insert(key, (holder, Rc::clone(&v)));
    });
    Ok(v)
}

/// How many compiled schema validators a thread keeps.
const VALIDATORS_KEPT: usize = 256;

fn check_requests(
    f: &mut Checker<'_>,
    scenario: &Scenario,
    event_type: &str,
    attempts: &[AttemptState],
    wall_of: &dyn Fn(Duration) -> Duration,
) {
    let x = f.x;
    let profile = &scenario.profile;
    let mut fails = RequestFailures::default();
    let schema = match &x.schema {
        Some(SchemaRef::Event) => event_schema(profile, event_type),
        Some(SchemaRef::File { schema, .. }) => Some(SchemaHolder::File(Arc::clone(schema))),
        None => None,
    };
    let validator = match schema.map(validator_for) {
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            f.fail("payload.schema", None, "a valid JSON Schema", e);
            None
        }
        None => None,
    };
    for a in attempts {
        let at = wall_of(a.at());
        for req in a.requests() {
            check_headers(&mut fails, x, a.n, req);
            if let Some(want) = x.signature {
                let v = profile.scheme.verify_request(
                    &scenario.endpoint.secrets,
                    crate::signing::Received {
                        method: &req.method,
                        url: &req.path,
                        headers: &req.headers,
                        body: &req.body,
                    },
                    at,
                );
                let ok = matches!(
                    (want, &v),
                    (SignatureExpect::Valid, Verdict::Valid)
                        | (SignatureExpect::Invalid, Verdict::Invalid(_))
                        | (SignatureExpect::Absent, Verdict::Absent)
                );
                if !ok {
                    let actual = match &v {
                        Verdict::Invalid(why) => format!("invalid: {why}"),
                        other => other.label().to_owned(),
                    };
                    let expected = match want {
                        SignatureExpect::Valid => "valid",
                        SignatureExpect::Invalid => "invalid",
                        SignatureExpect::Absent => "absent",
                    };
                    fails.add("signature".into(), a.n, expected.into(), actual);
                }
            }
            if validator.is_none() && x.subset.is_none() {
                continue;
            }
            let body = match profile.decode_body(&req.body) {
                Ok(b) => b,
                Err(e) => {
                    fails.add("payload".into(), a.n, "a JSON body".into(), e);
                    continue;
                }
            };
            if let Some(v) = &validator
                && let Some(err) = v.iter_errors(&body).next()
            {
                let path = err.instance_path().to_string();
                let path = if path.is_empty() {
                    "/".to_owned()
                } else {
                    path
                };
                fails.add(
                    "payload.schema".into(),
                    a.n,
                    "the body to satisfy the schema".into(),
                    format!("{path}: {err}"),
                );
            }
            if let Some(want) = &x.subset
                && let Err(why) = contains(&body, want, "")
            {
                fails.add("payload.match".into(), a.n, want.to_string(), why);
            }
        }
    }
    if x.identical
        && let Some(first) = attempts.first().and_then(|a| a.requests().first().copied())
    {
        for a in attempts {
            for req in a.requests() {
                if req.body != first.body {
                    fails.add(
                        "payload.identical".into(),
                        a.n,
                        "the first attempt's body, byte for byte".into(),
                        first_difference(&first.body, &req.body),
                    );
                }
            }
        }
    }
    for (check, (expected, actual, ns)) in fails.0 {
        let actual = if ns.len() > 1 {
            let others: Vec<String> = ns[1..].iter().map(u32::to_string).collect();
            format!("{actual} (also on attempts {})", others.join(", "))
        } else {
            actual
        };
        f.fail(&check, ns.first().copied(), expected, actual);
    }
}

/// Where `got` first differs from `want`, with a little context from each.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let i = want
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let around = |b: &[u8]| {
        let from = i.saturating_sub(20);
        String::from_utf8_lossy(&b[from.min(b.len())..(i + 20).min(b.len())]).into_owned()
    };
    format!(
        "a body that differs at byte {i}: …{}… where the first attempt had …{}…",
        around(got),
        around(want)
    )
}

fn check_headers(fails: &mut RequestFailures, x: &Expectation, n: u32, req: &RequestRecord) {
    for name in &x.headers_present {
        if header(&req.headers, name).is_none() {
            fails.add(
                format!("headers.present {name}"),
                n,
                format!("`{name}` present"),
                "absent".into(),
            );
        }
    }
    for name in &x.headers_absent {
        if let Some(v) = header(&req.headers, name) {
            fails.add(
                format!("headers.absent {name}"),
                n,
                format!("`{name}` absent"),
                format!("present: {}", redact(name, v)),
            );
        }
    }
    for (name, want) in &x.headers_equal {
        match header(&req.headers, name) {
            Some(v) if v == want => {}
            Some(v) => fails.add(
                format!("headers.equal {name}"),
                n,
                format!("{name}: {}", redact(name, want)),
                format!("{name}: {}", redact(name, v)),
            ),
            None => fails.add(
                format!("headers.equal {name}"),
                n,
                format!("{name}: {}", redact(name, want)),
                "absent".into(),
            ),
        }
    }
}

/// Whether `body` contains `want` as a subset: every key of a mapping, arrays element by
/// element, numbers by value.
pub fn contains(body: &Value, want: &Value, path: &str) -> Result<(), String> {
    match (body, want) {
        (Value::Object(b), Value::Object(w)) => {
            for (k, wv) in w {
                let p = format!("{path}/{k}");
                match b.get(k) {
                    Some(bv) => contains(bv, wv, &p)?,
                    None => return Err(format!("{p} is missing")),
                }
            }
            Ok(())
        }
        (Value::Array(b), Value::Array(w)) => {
            if b.len() != w.len() {
                return Err(format!(
                    "{} has {} items, expected {}",
                    display_path(path),
                    b.len(),
                    w.len()
                ));
            }
            for (i, (bv, wv)) in b.iter().zip(w).enumerate() {
                contains(bv, wv, &format!("{path}/{i}"))?;
            }
            Ok(())
        }
        (Value::Number(b), Value::Number(w)) if b.as_f64() == w.as_f64() => Ok(()),
        (b, w) if b == w => Ok(()),
        (b, _) => Err(format!("{} is {}", display_path(path), b)),
    }
}

fn display_path(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_subset_matches_nested_keys_and_numbers_by_value() {
        let body = json!({"a": 1, "b": {"c": [1, 2], "d": "x"}, "e": 2.0});
        assert!(contains(&body, &json!({"b": {"d": "x"}, "e": 2}), "").is_ok());
        assert_eq!(
            contains(&body, &json!({"b": {"d": "y"}}), ""),
            Err("/b/d is \"x\"".into())
        );
        assert_eq!(
            contains(&body, &json!({"z": 1}), ""),
            Err("/z is missing".into())
        );
    }

    #[test]
    fn payload_identical_names_the_attempt_whose_body_changed() {
        // Arrange: a scenario that asks for identical bodies, and a run whose second
        // attempt carried another timestamp.
        let text = "name: t\nprofile: llamacloud\nevents:\n  - type: parse.success\nexpect:\n  payload: { identical: true }\n";
        let (scenario, _) = crate::scenario::load::parse_str(std::path::Path::new("t.yaml"), text)
            .expect("valid")
            .remove(0);
        let req = |body: &str| {
            std::sync::Arc::new(RequestRecord {
                method: "POST".into(),
                path: "/".into(),
                headers: Vec::new(),
                body: bytes::Bytes::from(body.to_owned()),
            })
        };
        let attempt = |n, body: &str| AttemptState {
            n,
            received: [req(body)].into_iter().collect(),
            ..AttemptState::default()
        };
        let state = ScenarioState {
            deliveries: vec![crate::run_state::DeliveryState {
                event_type: "parse.success".into(),
                attempts: vec![
                    attempt(1, r#"{"timestamp":1735689600.0}"#),
                    attempt(2, r#"{"timestamp":1735689601.0}"#),
                    attempt(3, r#"{"timestamp":1735689600.0}"#),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };

        // Act
        let failures = evaluate(&scenario, &state, &|d| d);

        // Assert
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].check, "payload.identical");
        assert_eq!(failures[0].attempt, Some(2));
        assert!(
            failures[0].actual.contains("differs at byte 22"),
            "{}",
            failures[0].actual
        );
    }

    #[test]
    fn a_live_percentage_tolerance_holds_each_step_to_its_percentage_plus_the_live_slack() {
        // Arrange: steps of 10 s and 30 s, 20 %, checked as a live run checks them (1 s of
        // live tolerance, also as slack on top of the percentage).
        let text = "name: t\nprofile: svix\nevents:\n  - type: user.created\nexpect:\n  schedule: [0s, 10s, 40s]\n  tolerance: 20%\n";
        let (mut scenario, _) =
            crate::scenario::load::parse_str(std::path::Path::new("t.yaml"), text)
                .expect("valid")
                .remove(0);
        for x in &mut scenario.expect {
            *x = x.for_live(Duration::from_secs(1));
        }
        let run = |offsets_ms: [u64; 3]| ScenarioState {
            deliveries: vec![crate::run_state::DeliveryState {
                event_type: "user.created".into(),
                attempts: (0..3)
                    .map(|i| AttemptState {
                        n: i as u32 + 1,
                        started: Duration::from_millis(offsets_ms[i]),
                        ..AttemptState::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        };

        // Act: each step at its full 20 % plus the whole slack; then 100 ms past it.
        let at_the_edge = evaluate(&scenario, &run([0, 12_900, 49_900]), &|d| d);
        let past_it = evaluate(&scenario, &run([0, 12_900, 50_000]), &|d| d);

        // Assert
        assert!(at_the_edge.is_empty(), "{at_the_edge:?}");
        assert_eq!(past_it.len(), 1, "{past_it:?}");
        assert_eq!(past_it[0].attempt, Some(3));
        assert_eq!(
            past_it[0].expected,
            "[0s, 10s, 40s] ± 20% + 1s from the attempt before"
        );
    }
}
