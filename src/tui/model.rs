//! The view-model: what the screens show, built once from a [`RunState`] (or from a
//! journal converted into one) and never recomputed by the view.
//!
//! Everything a screen needs is settled here: pass/fail, outcome, each attempt's offset
//! from the delivery's first attempt, its answer or error, the wait after it, the expected
//! schedule from the scenario's `expect`, the signature verdict judged with the profile's
//! scheme at the attempt's arrival time, and the failed checks that belong to the delivery.

use std::time::Duration;

use crate::events::Failure;
use crate::record::{RequestRecord, redact};
use crate::run_state::{AttemptState, DeliveryState, RunState, ScenarioState};
use crate::scenario::Scenario;
use crate::signing::Verdict;

/// Everything the TUI shows.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Where the results came from, e.g. `scenarios/` or `journal run.jsonl`.
    pub source: String,
    /// Scenarios in run order.
    pub scenarios: Vec<ScenarioView>,
    /// Problems met while loading (bad journal lines), shown above the list.
    pub problems: Vec<String>,
}

/// One scenario.
#[derive(Debug, Clone, Default)]
pub struct ScenarioView {
    /// Name.
    pub name: String,
    /// File it came from.
    pub file: String,
    /// `Some(true)` passed, `Some(false)` failed, `None` not known (a journal has no checks).
    pub passed: Option<bool>,
    /// Its deliveries in event order.
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery.
#[derive(Debug, Clone, Default)]
pub struct DeliveryView {
    /// Event type.
    pub event_type: String,
    /// `delivered`, `exhausted`, `gave_up`, `filtered`, or `None` when unfinished.
    pub outcome: Option<String>,
    /// Why it ended, in words.
    pub reason: Option<String>,
    /// Attempts in order.
    pub attempts: Vec<AttemptView>,
    /// Expected attempt offsets from the first attempt, when the scenario gives them.
    pub expected: Option<Vec<Duration>>,
    /// Failed checks about this delivery.
    pub failures: Vec<Failure>,
    /// The provider's status word while it waits to retry (`pending_retry`), where the
    /// profile names one.
    pub status: Option<String>,
}

/// How an attempt ended, in the classes the timeline colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A 1xx or 2xx answer.
    Success,
    /// A 3xx answer.
    Redirect,
    /// A 4xx answer.
    ClientError,
    /// A 5xx (or other) answer.
    ServerError,
    /// No answer before the timeout.
    Timeout,
    /// The connection failed or closed.
    Connection,
    /// Not finished.
    Pending,
}

impl Mark {
    /// The class of an answer status or error.
    pub fn of(status: Option<u16>, error: Option<&str>) -> Mark {
        match (status, error) {
            (_, Some("timeout")) => Mark::Timeout,
            (_, Some(_)) => Mark::Connection,
            (Some(s), None) if s < 300 => Mark::Success,
            (Some(s), None) if s < 400 => Mark::Redirect,
            (Some(s), None) if s < 500 => Mark::ClientError,
            (Some(_), None) => Mark::ServerError,
            (None, None) => Mark::Pending,
        }
    }

    /// Its name in the legend.
    pub fn label(self) -> &'static str {
        match self {
            Mark::Success => "2xx",
            Mark::Redirect => "3xx",
            Mark::ClientError => "4xx",
            Mark::ServerError => "5xx",
            Mark::Timeout => "timeout",
            Mark::Connection => "conn. error",
            Mark::Pending => "pending",
        }
    }
}

/// A request or an answer as the detail pane shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `POST /webhook` for a request, `503` for an answer.
    pub line: String,
    /// Headers in order, secrets redacted.
    pub headers: Vec<(String, String)>,
    /// The body: JSON pretty-printed, other text as is.
    pub body: String,
}

/// One attempt.
#[derive(Debug, Clone, Default)]
pub struct AttemptView {
    /// 1-based number.
    pub n: u32,
    /// Offset from the delivery's first attempt.
    pub offset: Duration,
    /// Offset from the scenario's start.
    pub at: Duration,
    /// Answer status.
    pub status: Option<u16>,
    /// `timeout` or `connection` when no answer came.
    pub error: Option<String>,
    /// Start to end.
    pub latency: Option<Duration>,
    /// The wait scheduled after it.
    pub wait_after: Option<Duration>,
    /// The provider's status word for the delivery after it (`pending_retry`).
    pub status_after: Option<String>,
    /// Requests made (1 + redirect hops).
    pub requests: usize,
    /// The (first) request as received.
    pub request: Option<Message>,
    /// The final answer.
    pub response: Option<Message>,
    /// The signature verdict, e.g. `valid` or `invalid: timestamp is 400 s old`; `None`
    /// when it could not be judged (no scenario to take the scheme and secret from).
    pub signature: Option<String>,
}

impl AttemptView {
    /// Its class on the timeline.
    pub fn mark(&self) -> Mark {
        Mark::of(self.status, self.error.as_deref())
    }
}

impl Model {
    /// The model of a run: `scenarios` are the scenarios that were run, in the same order
    /// as `state.scenarios`; `epoch` is the wall-clock time of offset zero.
    pub fn from_run(
        source: impl Into<String>,
        state: &RunState,
        scenarios: &[Scenario],
        epoch: Duration,
    ) -> Model {
        Model::from_run_with(source, state, scenarios, &|_, at| epoch + at)
    }

    /// [`Model::from_run`] for runs whose scenarios do not share one epoch: `wall_of(i,
    /// at)` is the wall-clock time of offset `at` in scenario `i` (a live run starts each
    /// scenario at its own time and scales its offsets).
    pub fn from_run_with(
        source: impl Into<String>,
        state: &RunState,
        scenarios: &[Scenario],
        wall_of: &dyn Fn(usize, Duration) -> Duration,
    ) -> Model {
        let scenarios = state
            .scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let passed = s.checked.then(|| s.passed());
                scenario_view(
                    s,
                    scenarios.get(i),
                    &|at| wall_of(i, at),
                    passed,
                    &s.failures,
                )
            })
            .collect();
        Model {
            source: source.into(),
            scenarios,
            problems: Vec::new(),
        }
    }

    /// Total number of deliveries.
    pub fn delivery_count(&self) -> usize {
        self.scenarios.iter().map(|s| s.deliveries.len()).sum()
    }
}

/// One scenario's view; `scenario` (when known) gives the expected schedules and the
/// scheme and secrets for the signature verdicts, judged at `wall_of(arrival offset)`.
pub(crate) fn scenario_view(
    s: &ScenarioState,
    scenario: Option<&Scenario>,
    wall_of: &dyn Fn(Duration) -> Duration,
    passed: Option<bool>,
    failures: &[Failure],
) -> ScenarioView {
    // A secret the run generated judges the signatures when the scenario gives none.
    let with_secret;
    let scenario = match (scenario, &s.generated_secret) {
        (Some(sc), Some(secret)) if sc.endpoint.secrets.is_empty() => {
            let mut endpoint = (*sc.endpoint).clone();
            endpoint.secrets = vec![secret.clone()];
            with_secret = Scenario {
                endpoint: std::sync::Arc::new(endpoint),
                ..sc.clone()
            };
            Some(&with_secret)
        }
        _ => scenario,
    };
    let several = s.deliveries.len() > 1;
    let deliveries = s
        .deliveries
        .iter()
        .enumerate()
        .map(|(di, d)| {
            let expected = scenario.and_then(|sc| {
                sc.expect
                    .iter()
                    .find(|x| x.delivery == di)
                    .and_then(|x| x.schedule.clone())
            });
            let failures = failures
                .iter()
                .filter(|f| match &f.event {
                    None => !several || di == 0,
                    Some(e) => *e == di.to_string() || *e == d.event_type,
                })
                .cloned()
                .collect();
            delivery_view(d, scenario, wall_of, expected, failures)
        })
        .collect();
    ScenarioView {
        name: s.name.clone(),
        file: s.file.clone(),
        passed,
        deliveries,
    }
}

fn delivery_view(
    d: &DeliveryState,
    scenario: Option<&Scenario>,
    wall_of: &dyn Fn(Duration) -> Duration,
    expected: Option<Vec<Duration>>,
    failures: Vec<Failure>,
) -> DeliveryView {
    let first = d.attempts.first().map(AttemptState::at).unwrap_or_default();
    DeliveryView {
        event_type: d.event_type.clone(),
        outcome: d.outcome.map(|o| o.as_str().to_owned()),
        reason: d.reason.clone(),
        attempts: d
            .attempts
            .iter()
            .map(|a| attempt_view(a, first, scenario, wall_of))
            .collect(),
        expected,
        failures,
        status: d.provider_status().map(str::to_owned),
    }
}

fn attempt_view(
    a: &AttemptState,
    first: Duration,
    scenario: Option<&Scenario>,
    wall_of: &dyn Fn(Duration) -> Duration,
) -> AttemptView {
    let req = a.requests().first().copied();
    let signature = match (scenario, req) {
        (Some(sc), Some(r)) => Some(verdict(sc.profile.scheme.verify_request(
            &sc.endpoint.secrets,
            crate::signing::Received {
                method: &r.method,
                url: &r.path,
                headers: &r.headers,
                body: &r.body,
            },
            // A journal records when each attempt was made; a run knows its clock.
            a.wall.unwrap_or_else(|| wall_of(a.at())),
        ))),
        _ => None,
    };
    AttemptView {
        n: a.n,
        offset: a.at().saturating_sub(first),
        at: a.at(),
        status: a.status(),
        error: a.error().map(str::to_owned),
        latency: a.latency,
        wait_after: a.wait_after,
        status_after: a.status_after.as_deref().map(str::to_owned),
        requests: a.requests.max(1) as usize,
        request: req.map(request_message),
        response: a.response.as_deref().map(|r| Message {
            line: r.status.to_string(),
            headers: redacted(&r.headers),
            body: pretty(&r.body),
        }),
        signature,
    }
}

pub(crate) fn verdict(v: Verdict) -> String {
    match v {
        Verdict::Invalid(why) => format!("invalid: {why}"),
        other => other.label().to_owned(),
    }
}

pub(crate) fn request_message(r: &RequestRecord) -> Message {
    Message {
        line: format!("{} {}", r.method, r.path),
        headers: redacted(&r.headers),
        body: pretty(&r.body),
    }
}

fn redacted<K: AsRef<str>, V: AsRef<str>>(h: &[(K, V)]) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            let (k, v) = (k.as_ref(), v.as_ref());
            (k.to_owned(), redact(k, v).into_owned())
        })
        .collect()
}

/// A body for reading: JSON pretty-printed (a JSON string that itself holds JSON, as
/// LlamaCloud's `string` output format sends, is decoded once more), other UTF-8 as is,
/// anything else as a byte count.
pub fn pretty(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(inner)) => {
            match serde_json::from_str::<serde_json::Value>(&inner) {
                Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                    format!(
                        "(a JSON string holding JSON)\n{}",
                        serde_json::to_string_pretty(&v).unwrap_or(inner)
                    )
                }
                _ => String::from_utf8_lossy(body).into_owned(),
            }
        }
        Ok(v) => serde_json::to_string_pretty(&v)
            .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned()),
        Err(_) => match std::str::from_utf8(body) {
            Ok(s) => s.to_owned(),
            Err(_) => format!("({} bytes, not UTF-8)", body.len()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_classify_answers_and_errors() {
        assert_eq!(Mark::of(Some(204), None), Mark::Success);
        assert_eq!(Mark::of(Some(302), None), Mark::Redirect);
        assert_eq!(Mark::of(Some(410), None), Mark::ClientError);
        assert_eq!(Mark::of(Some(503), None), Mark::ServerError);
        assert_eq!(Mark::of(None, Some("timeout")), Mark::Timeout);
        assert_eq!(Mark::of(None, Some("connection")), Mark::Connection);
        assert_eq!(Mark::of(None, None), Mark::Pending);
    }

    #[test]
    fn pretty_prints_json_and_json_inside_a_string() {
        assert_eq!(pretty(br#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert!(pretty(br#""{\"a\":1}""#).starts_with("(a JSON string holding JSON)\n{"));
        assert_eq!(pretty(b"plain text"), "plain text");
        assert_eq!(pretty(&[0xff, 0xfe]), "(2 bytes, not UTF-8)");
    }
}
