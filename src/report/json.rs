//! `--format json`: one object, `{"scenarios": […], "passed", "failed"}`. Live runs add,
//! per scenario, `time_scale`, `time_scale_auto` and `narrowest_margin` (`{real_ms,
//! between}`), and `skipped` (the reason) or `interrupted: true` where they apply, with
//! `skipped` and `interrupted` counts after `failed`; sim output has none of these keys. A
//! run of one slice (`--shard K/N`) starts with `"shard": {"index": K, "count": N}`.
//!
//! The document is written as the run goes ([`JsonStream`]): each scenario's entry as
//! soon as it is checked, the counts (known only at the end) after the `scenarios` list.

use std::io::Write;

use serde::Serialize;

use crate::events::Failure;
use crate::run_state::{RunState, ScenarioState};
use crate::shard::Shard;

#[derive(Serialize)]
struct ShardOut {
    index: u32,
    count: u32,
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

/// The run as one pretty-printed JSON object (with a trailing newline): the bytes
/// [`JsonStream`] writes for it.
pub fn render(state: &RunState) -> String {
    let mut out = Vec::new();
    let written = JsonStream::start(&mut out, state.shard).and_then(|mut j| {
        for s in &state.scenarios {
            j.scenario(s)?;
        }
        j.finish(state)
    });
    if let Err(e) = written {
        return format!("{{\"error\": \"{e}\"}}\n");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// `--format json` written as the run goes: [`start`](Self::start) writes the opening
/// (and the shard), [`scenario`](Self::scenario) one scenario's entry, in run order, as
/// soon as it is checked, and [`finish`](Self::finish) closes the list and writes the
/// counts. The bytes are what serde_json's pretty printer writes for the same object with
/// its keys in that order, so the document holds the same keys and values however the
/// run is cut.
pub struct JsonStream<W: Write> {
    out: W,
    entries: usize,
}

impl<W: Write> JsonStream<W> {
    /// Writes `{`, the shard when the run is one slice, and opens `scenarios`.
    pub fn start(mut out: W, shard: Option<Shard>) -> std::io::Result<Self> {
        out.write_all(b"{\n")?;
        if let Some(s) = shard {
            let shard = ShardOut {
                index: s.index,
                count: s.count,
            };
            write!(out, "  \"shard\": ")?;
            write_indented(&mut out, &shard, "  ", false)?;
            out.write_all(b",\n")?;
        }
        out.write_all(b"  \"scenarios\": [")?;
        Ok(Self { out, entries: 0 })
    }

    /// Writes one scenario's entry (in one write) and flushes it.
    pub fn scenario(&mut self, s: &ScenarioState) -> std::io::Result<()> {
        let mut entry = Vec::with_capacity(1024);
        entry.extend_from_slice(if self.entries == 0 { b"\n" } else { b",\n" });
        write_indented(&mut entry, &scenario_out(s), "    ", true)?;
        self.out.write_all(&entry)?;
        self.entries += 1;
        self.out.flush()
    }

    /// Closes `scenarios` and writes the counts of `state` (the verdicts of every scenario
    /// run); returns the writer.
    pub fn finish(mut self, state: &RunState) -> std::io::Result<W> {
        if self.entries > 0 {
            self.out.write_all(b"\n  ")?;
        }
        self.out.write_all(b"],\n")?;
        write!(
            self.out,
            "  \"passed\": {},\n  \"failed\": {}",
            state.passed(),
            state.failed()
        )?;
        for (key, n) in [
            ("skipped", state.skipped()),
            ("interrupted", state.interrupted()),
        ] {
            if n > 0 {
                write!(self.out, ",\n  \"{key}\": {n}")?;
            }
        }
        self.out.write_all(b"\n}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `value` pretty-printed, every line after the first (or every line, with `first`)
/// indented by `indent` (two spaces a level): serde_json's pretty printer started
/// `indent` deep, written straight into `out` (no text made, then split into lines).
/// JSON strings hold no raw line breaks, so these are the bytes of the pretty-printed
/// text with `indent` put before each line.
fn write_indented(
    out: &mut impl Write,
    value: &impl Serialize,
    indent: &str,
    first: bool,
) -> std::io::Result<()> {
    if first {
        out.write_all(indent.as_bytes())?;
    }
    let formatter = Pretty {
        level: indent.len() / 2,
        has_value: false,
    };
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut ser).map_err(std::io::Error::other)
}

/// serde_json's `PrettyFormatter` with two-space indents, starting `level` levels deep.
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    fn indent<W: ?Sized + Write>(&self, w: &mut W) -> std::io::Result<()> {
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    /// An array or object begins: one level deeper, nothing in it yet.
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// An array or object ends: on a line of its own at its level if it held anything.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(bracket)
    }

    /// An item or key begins: on a new line, after a comma unless it is the first.
    fn item<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

fn scenario_out(s: &ScenarioState) -> ScenarioOut<'_> {
    ScenarioOut {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{self, RunOptions};

    /// What serde_json's pretty printer writes for the whole report, held, its keys in
    /// the streamed order.
    fn held(state: &RunState) -> String {
        let mut doc = serde_json::Map::new();
        if let Some(s) = state.shard {
            doc.insert(
                "shard".into(),
                serde_json::json!({"index": s.index, "count": s.count}),
            );
        }
        let scenarios: Vec<serde_json::Value> = state
            .scenarios
            .iter()
            .map(|s| serde_json::to_value(scenario_out(s)).unwrap())
            .collect();
        doc.insert("scenarios".into(), scenarios.into());
        doc.insert("passed".into(), state.passed().into());
        doc.insert("failed".into(), state.failed().into());
        for (key, n) in [
            ("skipped", state.skipped()),
            ("interrupted", state.interrupted()),
        ] {
            if n > 0 {
                doc.insert(key.into(), n.into());
            }
        }
        let mut s = serde_json::to_string_pretty(&serde_json::Value::Object(doc)).unwrap();
        s.push('\n');
        s
    }

    fn replayed(folder: &str) -> RunState {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        let loaded = crate::scenario::load_paths(&[dir]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        runner::run_sim(&loaded.scenarios, &RunOptions::default(), |_| {})
    }

    #[test]
    fn the_streamed_report_is_byte_for_byte_the_held_document_with_counts_last() {
        let mut state = replayed("scenarios/perfectparser");
        state.scenarios[1].failures.push(Failure {
            check: "outcome".into(),
            event: None,
            attempt: None,
            expected: "delivered".into(),
            actual: "exhausted".into(),
        });
        state.shard = Some(Shard { index: 2, count: 3 });

        let streamed = render(&state);

        assert_eq!(streamed, held(&state));
        let doc: serde_json::Value = serde_json::from_str(&streamed).unwrap();
        assert_eq!(doc["failed"], 1);
        assert_eq!(doc["passed"], state.scenarios.len() - 1);
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys, ["shard", "scenarios", "passed", "failed"]);
    }

    #[test]
    fn a_run_of_nothing_streams_an_empty_list_and_skips_and_interruptions_are_counted() {
        let empty = RunState::default();
        let mut live = replayed("scenarios/github");
        live.scenarios[0].skipped = Some("no socket".into());
        live.scenarios[1].interrupted = true;

        assert_eq!(render(&empty), held(&empty));
        assert!(render(&empty).contains("\"scenarios\": [],\n"));
        assert_eq!(render(&live), held(&live));
    }
}
