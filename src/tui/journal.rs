//! Opening a recorded journal (`hookrig run --journal FILE`): its JSON Lines become a
//! [`RunState`], the same structure a run reduces to, and then a [`Model`].
//!
//! A bad line (malformed JSON, a missing field, a truncated last line) is skipped and
//! named by its 1-based line number in [`Model::problems`]; the good lines are still
//! shown. A journal carries no check results, so scenarios show no pass/fail; when the
//! scenario file a line names can still be loaded, its expected schedule is drawn and
//! signatures are judged with its scheme and secret at the recorded wall-clock time.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::model::{Model, scenario_view};
use crate::events::Outcome;
use crate::record::{RequestRecord, ResponseRecord};
use crate::retry::AttemptResult;
use crate::run_state::{AttemptState, DeliveryState, RunState, ScenarioState};
use crate::scenario::{self, Scenario};

/// Reads and converts a journal file. Fails only when the file cannot be read.
pub fn load(path: &Path) -> std::io::Result<Model> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let parsed = parse(&text);
    let mut files: Vec<String> = parsed
        .state
        .scenarios
        .iter()
        .map(|s| s.file.clone())
        .collect();
    files.sort();
    files.dedup();
    let loaded = scenario::load_paths(&files.iter().map(Into::into).collect::<Vec<_>>());
    Ok(to_model(
        format!("journal {}", path.display()),
        parsed,
        &loaded.scenarios,
    ))
}

/// A journal's text as a run state, plus the lines that could not be read.
#[derive(Debug, Default)]
pub struct Parsed {
    /// What the good lines say.
    pub state: RunState,
    /// `line N: why`, one per bad line.
    pub problems: Vec<String>,
    /// Wall-clock time of offset zero, from the first attempt line.
    pub epoch: Option<Duration>,
}

/// Converts journal text.
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut keys: Vec<(String, String)> = Vec::new();
    let line_count = text.lines().count();
    for (i, line) in text.lines().enumerate() {
        let no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let truncated = no == line_count && !text.ends_with('\n');
        let result = serde_json::from_str::<Value>(line)
            .map_err(|e| e.to_string())
            .and_then(|v| apply(&mut out, &mut keys, &v));
        if let Err(why) = result {
            let why = if truncated {
                format!("truncated ({why})")
            } else {
                why
            };
            out.problems
                .push(format!("line {no}: {why}; the line was skipped"));
        }
    }
    out
}

fn apply(out: &mut Parsed, keys: &mut Vec<(String, String)>, v: &Value) -> Result<(), String> {
    let kind = str_field(v, "kind")?;
    let name = str_field(v, "scenario")?;
    let file = str_field(v, "file")?;
    let delivery = u64_field(v, "delivery")? as usize;
    if delivery > 100_000 {
        return Err(format!("delivery index {delivery} is absurd"));
    }
    let event_type = str_field(v, "event_type")?;
    let si = match keys.iter().position(|k| k.0 == name && k.1 == file) {
        Some(i) => i,
        None => {
            keys.push((name.to_owned(), file.to_owned()));
            out.state.scenarios.push(ScenarioState {
                name: name.to_owned(),
                file: file.to_owned(),
                ..Default::default()
            });
            keys.len() - 1
        }
    };
    let s = &mut out.state.scenarios[si];
    // A secret the run generated judges the signatures when the scenario gives none.
    if let Some(secret) = v.get("generated_secret").and_then(Value::as_str) {
        s.generated_secret = Some(secret.to_owned());
    }
    if s.deliveries.len() <= delivery {
        s.deliveries
            .resize_with(delivery + 1, DeliveryState::default);
    }
    let d = &mut s.deliveries[delivery];
    d.event_type = event_type.to_owned();
    match kind {
        "attempt" => {
            let n = u64_field(v, "n")?;
            if n == 0 || n > 10_000 {
                return Err(format!("attempt number {n} is out of range"));
            }
            let at = Duration::from_millis(u64_field(v, "at_ms")?);
            let wall = v
                .get("wall_ms")
                .and_then(Value::as_u64)
                .map(Duration::from_millis);
            if let Some(wall) = wall
                && out.epoch.is_none()
            {
                out.epoch = Some(wall.saturating_sub(at));
            }
            let status = v.get("status").and_then(Value::as_u64).map(|s| s as u16);
            let error = v.get("error").and_then(Value::as_str);
            let result = match (status, error) {
                (_, Some("timeout")) => Some(AttemptResult::Timeout),
                (_, Some(_)) => Some(AttemptResult::Connection),
                (Some(s), None) => Some(AttemptResult::Status(s)),
                (None, None) => None,
            };
            let request = v.get("request").filter(|r| !r.is_null()).map(request);
            let response = v.get("response").filter(|r| !r.is_null()).map(response);
            let attempt = AttemptState {
                n: n as u32,
                started: at,
                arrived: Some(at),
                sent: None,
                received: request.into_iter().map(Arc::new).collect(),
                result,
                response: response.map(Arc::new),
                latency: v
                    .get("latency_ms")
                    .and_then(Value::as_u64)
                    .map(Duration::from_millis),
                wait_after: v
                    .get("wait_after_ms")
                    .and_then(Value::as_u64)
                    .map(Duration::from_millis),
                requests: v.get("requests").and_then(Value::as_u64).unwrap_or(1) as u32,
                wall,
                status_after: v
                    .get("provider_status")
                    .and_then(Value::as_str)
                    .map(|s| s.to_owned().into()),
            };
            let idx = n as usize - 1;
            while d.attempts.len() <= idx {
                let k = d.attempts.len() as u32 + 1;
                d.attempts.push(AttemptState {
                    n: k,
                    ..Default::default()
                });
            }
            d.attempts[idx] = attempt;
        }
        "delivery" => {
            d.outcome = match v.get("outcome").and_then(Value::as_str) {
                Some("delivered") => Some(Outcome::Delivered),
                Some("exhausted") => Some(Outcome::Exhausted),
                Some("gave_up") => Some(Outcome::GaveUp),
                Some("filtered") => Some(Outcome::Filtered),
                Some(other) => return Err(format!("unknown outcome `{other}`")),
                None => None,
            };
            d.reason = v.get("reason").and_then(Value::as_str).map(str::to_owned);
        }
        other => return Err(format!("unknown kind `{other}`")),
    }
    Ok(())
}

fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no string field `{key}`"))
}

fn u64_field(v: &Value, key: &str) -> Result<u64, String> {
    v.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("no number field `{key}`"))
}

fn headers<T: for<'a> From<&'a str>>(v: &Value) -> Vec<(T, T)> {
    v.get("headers")
        .and_then(Value::as_array)
        .map(|hs| {
            hs.iter()
                .filter_map(|h| {
                    let k = h.get(0)?.as_str()?;
                    let v = h.get(1)?.as_str()?;
                    Some((k.into(), v.into()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn body(v: &Value) -> Bytes {
    match v.get("body") {
        Some(Value::String(s)) => Bytes::from(s.clone().into_bytes()),
        Some(Value::Object(o)) => {
            use base64::Engine as _;
            o.get("base64")
                .and_then(Value::as_str)
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .map(Bytes::from)
                .unwrap_or_default()
        }
        _ => Bytes::new(),
    }
}

fn request(v: &Value) -> RequestRecord {
    RequestRecord {
        method: v
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("POST")
            .into(),
        path: v.get("path").and_then(Value::as_str).unwrap_or("").into(),
        headers: headers(v),
        body: body(v),
    }
}

fn response(v: &Value) -> ResponseRecord {
    ResponseRecord {
        status: v.get("status").and_then(Value::as_u64).unwrap_or(0) as u16,
        headers: headers(v),
        body: body(v),
    }
}

/// The model of parsed journal text; `scenarios` are whatever scenario files could be
/// loaded, matched to the journal's scenarios by name.
pub fn to_model(source: String, parsed: Parsed, scenarios: &[Scenario]) -> Model {
    let epoch = parsed.epoch.unwrap_or_default();
    let views = parsed
        .state
        .scenarios
        .iter()
        .map(|s| {
            let sc = scenarios.iter().find(|x| x.name == s.name);
            scenario_view(s, sc, &|at| epoch + at, None, &[])
        })
        .collect();
    Model {
        source,
        scenarios: views,
        problems: parsed.problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"kind":"attempt","scenario":"s","file":"f.yaml","delivery":0,"event_type":"e","n":1,"at_ms":0,"wall_ms":1000,"status":503,"error":null,"latency_ms":3,"wait_after_ms":1000,"requests":1,"request":{"method":"POST","path":"/webhook","headers":[["content-type","application/json"]],"body":"{}"},"response":{"status":503,"headers":[],"body":""}}
{"kind":"attempt","scenario":"s","file":"f.yaml","delivery":0,"event_type":"e","n":2,"at_ms":1003,"wall_ms":2003,"status":null,"error":"timeout","latency_ms":30000,"wait_after_ms":null,"requests":1,"request":null,"response":null}
{"kind":"delivery","scenario":"s","file":"f.yaml","delivery":0,"event_type":"e","outcome":"exhausted","attempts":2,"reason":"out of attempts"}
"#;

    #[test]
    fn good_lines_become_attempts_and_an_outcome() {
        let p = parse(GOOD);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let d = &p.state.scenarios[0].deliveries[0];
        assert_eq!(d.attempts.len(), 2);
        assert_eq!(d.attempts[0].status(), Some(503));
        assert_eq!(d.attempts[1].error(), Some("timeout"));
        assert_eq!(d.outcome, Some(Outcome::Exhausted));
        assert_eq!(p.epoch, Some(Duration::from_secs(1)));
    }

    #[test]
    fn a_malformed_line_is_named_and_the_rest_kept() {
        let mut lines: Vec<&str> = GOOD.lines().collect();
        lines.insert(1, "{not json");
        let p = parse(&(lines.join("\n") + "\n"));
        assert_eq!(p.problems.len(), 1);
        assert!(p.problems[0].starts_with("line 2: "), "{}", p.problems[0]);
        assert_eq!(p.state.scenarios[0].deliveries[0].attempts.len(), 2);
    }

    #[test]
    fn a_truncated_last_line_says_so() {
        let cut = &GOOD[..GOOD.len() - 40];
        let p = parse(cut);
        assert_eq!(p.problems.len(), 1);
        assert!(
            p.problems[0].starts_with("line 3: truncated"),
            "{}",
            p.problems[0]
        );
        assert_eq!(p.state.scenarios[0].deliveries[0].attempts.len(), 2);
    }
}
