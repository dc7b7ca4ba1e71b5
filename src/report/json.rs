//! `--format json`: one object, `{"passed", "failed", "scenarios": […]}`. Live runs add,
//! per scenario, `time_scale`, `time_scale_auto` and `narrowest_margin` (`{real_ms,
//! between}`), and `skipped` (the reason) or `interrupted: true` where they apply, with
//! `skipped` and `interrupted` counts at the top; sim output has none of these keys. A
//! run of one slice (`--shard K/N`) starts with `"shard": {"index": K, "count": N}`.

use serde::Serialize;

use crate::events::Failure;
use crate::run_state::RunState;

#[derive(Serialize)]
struct Report<'a> {
    /// `--shard K/N`: which slice of the suite this run is.
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<ShardOut>,
    passed: usize,
    failed: usize,
    #[serde(skip_serializing_if = "is_zero")]
    skipped: usize,
    #[serde(skip_serializing_if = "is_zero")]
    interrupted: usize,
    scenarios: Vec<ScenarioOut<'a>>,
}

#[derive(Serialize)]
struct ShardOut {
    index: u32,
    count: u32,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct ScenarioOut<'a> {
    name: &'a str,
    file: &'a str,
    passed: bool,
    /// Live mode only: the time scale the scenario ran at.
    #[serde(skip_serializing_if = "Option::is_none")]
    time_scale: Option<f64>,
    /// Live mode only: whether `auto` chose it.
    #[serde(skip_serializing_if = "Option::is_none")]
    time_scale_auto: Option<bool>,
    /// Live mode only: the narrowest timing margin at that scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    narrowest_margin: Option<MarginOut<'a>>,
    /// Why it was skipped (`live: {skip: …}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<&'a str>,
    /// The run was interrupted before it finished.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    interrupted: bool,
    /// The endpoint secret the run generated (a provider that always signs, none given).
    #[serde(skip_serializing_if = "Option::is_none")]
    generated_secret: Option<&'a str>,
    /// An external sender's trigger (`sender:`): command, exit status, output.
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger: Option<TriggerOut<'a>>,
    failures: &'a [Failure],
    deliveries: Vec<DeliveryOut<'a>>,
}

#[derive(Serialize)]
struct TriggerOut<'a> {
    command: &'a str,
    status: Option<i32>,
    error: Option<&'a str>,
    stdout: &'a str,
    stderr: &'a str,
    elapsed_ms: u64,
}

#[derive(Serialize)]
struct MarginOut<'a> {
    real_ms: u64,
    between: &'a str,
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
        shard: state.shard.map(|s| ShardOut {
            index: s.index,
            count: s.count,
        }),
        passed: state.passed(),
        failed: state.failed(),
        skipped: state.skipped(),
        interrupted: state.interrupted(),
        scenarios: state
            .scenarios
            .iter()
            .map(|s| ScenarioOut {
                name: &s.name,
                file: &s.file,
                passed: s.passed(),
                time_scale: s.timing.as_ref().map(|t| t.scale),
                time_scale_auto: s.timing.as_ref().map(|t| t.auto),
                narrowest_margin: s.timing.as_ref().and_then(|t| {
                    t.narrowest.as_ref().map(|(real, what)| MarginOut {
                        real_ms: real.as_millis() as u64,
                        between: what,
                    })
                }),
                skipped: s.skipped.as_deref(),
                interrupted: s.interrupted,
                generated_secret: s.generated_secret.as_deref(),
                trigger: s.trigger.as_ref().map(|t| TriggerOut {
                    command: &t.command,
                    status: t.status,
                    error: t.error.as_deref(),
                    stdout: &t.stdout,
                    stderr: &t.stderr,
                    elapsed_ms: t.elapsed.as_millis() as u64,
                }),
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
