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
    failures: &'a [Failure],
    deliveries: Vec<DeliveryOut<'a>>,
}

#[derive(Serialize)]
struct DeliveryOut<'a> {
    event_type: &'a str,
    outcome: Option<&'static str>,
    attempts: Vec<AttemptOut>,
}

#[derive(Serialize)]
struct AttemptOut {
    n: u32,
    at_ms: u64,
    status: Option<u16>,
    error: Option<&'static str>,
    latency_ms: Option<u64>,
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
