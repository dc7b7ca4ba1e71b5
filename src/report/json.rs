//! `--format json`: one object, `{"passed", "failed", "scenarios": […]}`.

use serde::Serialize;

use crate::engine::{Failure, RunState};

#[derive(Serialize)]
struct Report<'a> {
    passed: usize,
    failed: usize,
    scenarios: Vec<ScenarioOut<'a>>,
}

#[derive(Serialize)]
struct ScenarioOut<'a> {
    name: &'a str,
    file: &'a str,
    passed: bool,
    /// The endpoint secret the run generated (a provider that always signs, none given).
    #[serde(skip_serializing_if = "Option::is_none")]
    generated_secret: Option<&'a str>,
    failures: &'a [Failure],
    deliveries: Vec<DeliveryOut<'a>>,
}

#[derive(Serialize)]
struct DeliveryOut<'a> {
    event_type: &'a str,
    outcome: Option<&'static str>,
    attempts: Vec<AttemptOut<'a>>,
}

#[derive(Serialize)]
struct AttemptOut<'a> {
    n: u32,
    at_ms: u64,
    status: Option<u16>,
    error: Option<&'static str>,
    latency_ms: Option<u64>,
    /// The provider's status word for the delivery after this attempt, where the
    /// profile names one (PerfectParser's `pending_retry`).
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_status: Option<&'a str>,
}

/// The run as one pretty-printed JSON object (with a trailing newline).
pub fn render(state: &RunState) -> String {
    let report = Report {
        passed: state.passed(),
        failed: state.failed(),
        scenarios: state
            .scenarios
            .iter()
            .map(|s| ScenarioOut {
                name: &s.name,
                file: &s.file,
                passed: s.passed(),
                generated_secret: s.generated_secret.as_deref(),
                failures: &s.failures,
                deliveries: s
                    .deliveries
                    .iter()
                    .map(|d| DeliveryOut {
                        event_type: &d.event_type,
                        outcome: d.outcome.map(|o| o.as_str()),
                        attempts: d
                            .attempts
                            .iter()
                            .map(|a| AttemptOut {
                                n: a.n,
                                at_ms: a.at().as_millis() as u64,
                                status: a.status(),
                                error: a.error(),
                                latency_ms: a.latency.map(|l| l.as_millis() as u64),
                                provider_status: a.status_after.as_deref(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut s =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
