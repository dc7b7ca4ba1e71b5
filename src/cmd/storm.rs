//! `hookrig storm`: N deliveries through a receiver outage in virtual time, and the load
//! curve the receiver sees when it comes back — as text (a summary and a compact curve),
//! JSON Lines (one object per profile) and, with `--report`, an HTML page drawing every
//! profile's curve on one chart. A progress bar runs on stderr when it is a terminal.

use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::{Error, ExitStatus, Result};
use crate::profile::{self, Profile};
use crate::report;
use crate::storm::{self, FailWith, StormResult, StormSpec};
use crate::text::{fmt_duration, parse_duration};

/// `hookrig storm`.
#[derive(Debug, Parser)]
pub struct StormArgs {
    /// The provider whose rules every delivery follows: a built-in name or a profile file.
    /// Repeat to compare profiles (e.g. `standard-webhooks` against `svix` and its jitter).
    #[arg(long, required = true)]
    pub profile: Vec<String>,
    /// How many deliveries (events) in all.
    #[arg(long)]
    pub events: u64,
    /// Spread the events' first sends evenly over this long: event k at k × over / N.
    #[arg(long, value_name = "DURATION")]
    pub over: String,
    /// The receiver fails every request that arrives before this (from the first send).
    #[arg(long, value_name = "DURATION")]
    pub outage: String,
    /// What the receiver answers during the outage: a status (300–599), `timeout` (no
    /// answer) or `drop` (the connection closes).
    #[arg(long, default_value = "503", value_name = "STATUS|timeout|drop")]
    pub fail_with: String,
    /// Seed for ids, data, secrets and jitter: the same seed gives the same output.
    #[arg(long, default_value_t = crate::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StormFormat::Text)]
    pub format: StormFormat,
    /// Also write a self-contained HTML page with the load curves to this file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Write every request the receiver got and every ended delivery as JSON Lines to this
    /// file, as the storm goes (nothing is kept in memory for it).
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Refuse a storm estimated to hold more than this many MiB (default: the memory the
    /// system says is available).
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
}

/// Output formats of `hookrig storm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum StormFormat {
    /// A summary per profile and a compact load curve.
    #[default]
    Text,
    /// One JSON object per profile, one per line.
    Json,
}

/// Runs `hookrig storm`.
pub fn command(a: StormArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result {
    let (spec, profiles) = validate(&a)?;
    let limit = a
        .max_memory
        .map_or_else(available_memory, |mib| mib.saturating_mul(1 << 20));
    for p in &profiles {
        if let Err(refusal) = storm::check_fits(&spec, p, limit) {
            return Err(Error::input(format!(
                "--profile {}: {refusal}; nothing was run",
                p.name
            )));
        }
    }
    let mut journal = match &a.journal {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| {
                Error::input(format!(
                    "cannot write the journal to {}: {e} (--journal); nothing was run",
                    path.display()
                ))
            })?,
        )),
        None => None,
    };
    if let Some(path) = &a.report
        && let Err(e) = std::fs::write(path, "")
    {
        return Err(Error::input(format!(
            "cannot write the HTML report to {}: {e} (--report); nothing was run",
            path.display()
        )));
    }
    let mut results = Vec::new();
    for p in profiles {
        let bar = progress_bar(&p.name, spec.events);
        let mut tick = |s: storm::Progress| bar.set_position(s.done);
        let result = storm::run(
            &spec,
            Arc::new(p),
            &mut tick,
            journal.as_mut().map(|j| j as &mut dyn Write),
        );
        bar.finish_and_clear();
        let result = result.map_err(|e| match &a.journal {
            Some(path) => Error::input(format!(
                "cannot write the journal to {}: {e}",
                path.display()
            )),
            None => Error::Io(e),
        })?;
        match a.format {
            StormFormat::Text => out.write_all(text(&spec, &result).as_bytes())?,
            StormFormat::Json => writeln!(out, "{}", json_line(&spec, &result))?,
        }
        results.push(result);
    }
    if let Some(path) = &a.report
        && let Err(e) = std::fs::write(path, report::storm::render(&spec, &results))
    {
        return Err(Error::input(format!(
            "cannot write the HTML report to {}: {e}",
            path.display()
        )));
    }
    let _ = err;
    Ok(ExitStatus::Success)
}

/// The storm's shape and its profiles, or every problem with the arguments.
fn validate(a: &StormArgs) -> Result<(StormSpec, Vec<Profile>)> {
    let mut problems = Vec::new();
    let mut duration = |flag: &str, text: &str| match parse_duration(text) {
        Ok(d) => d,
        Err(e) => {
            problems.push(format!("{flag}: {e}"));
            Duration::from_secs(1)
        }
    };
    let over = duration("--over", &a.over);
    let outage = duration("--outage", &a.outage);
    let fail_with = a.fail_with.parse::<FailWith>().unwrap_or_else(|e| {
        problems.push(format!("--fail-with: {e}"));
        FailWith::Status(503)
    });
    let spec = StormSpec {
        events: a.events,
        over,
        outage,
        fail_with,
        seed: a.seed,
    };
    problems.extend(spec.problems());
    let mut profiles = Vec::new();
    for name in &a.profile {
        match profile::lookup(name) {
            Ok(p) => profiles.push(p),
            Err(e) => problems.push(format!("--profile: {e}")),
        }
    }
    if problems.is_empty() {
        Ok((spec, profiles))
    } else {
        let n = problems.len();
        Err(Error::inputs(
            problems,
            format!("hookrig storm: {n} problem(s) with the arguments; nothing was run"),
        ))
    }
}

/// The memory the system says is available (`MemAvailable` in /proc/meminfo), or 4 GiB
/// where it says nothing.
fn available_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(4 << 30, |kib| kib.saturating_mul(1024))
}

/// A bar on stderr when it is a terminal and the storm is long enough to wait for.
fn progress_bar(profile: &str, events: u64) -> ProgressBar {
    if events < 10_000 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(events), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner:.cyan} storm {msg} [{bar:32.cyan/blue}] {pos}/{len} deliveries ended",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(profile.to_owned());
    bar
}

/// The JSON line of one profile's storm.
fn json_line(spec: &StormSpec, r: &StormResult) -> serde_json::Value {
    let series: Vec<[u64; 2]> = r.series.points().map(|(s, n)| [s, n]).collect();
    json!({
        "profile": r.profile,
        "events": spec.events,
        "over_ms": spec.over.as_millis() as u64,
        "outage_ms": spec.outage.as_millis() as u64,
        "fail_with": spec.fail_with.label(),
        "seed": spec.seed,
        "requests": r.requests,
        "delivered": r.delivered,
        "exhausted": r.exhausted,
        "gave_up": r.gave_up,
        "peak_rps": r.peak_rps,
        "peak_second": r.peak_second,
        "drained_ms": r.drained.as_millis() as u64,
        "series": series,
    })
}

/// Columns of the text load curve.
const CURVE_COLUMNS: usize = 64;

/// One profile's storm as text: a summary and a compact load curve.
fn text(spec: &StormSpec, r: &StormResult) -> String {
    let mut s = format!(
        "storm: {} — {} events over {}, the receiver answering {} until {} (seed {})\n",
        r.profile,
        spec.events,
        fmt_duration(spec.over),
        spec.fail_with.label(),
        fmt_duration(spec.outage),
        spec.seed
    );
    s.push_str(&format!(
        "  requests  {} (delivered {}, exhausted {}, gave up {})\n",
        r.requests, r.delivered, r.exhausted, r.gave_up
    ));
    s.push_str(&format!(
        "  peak      {} requests/s at {}\n",
        r.peak_rps,
        fmt_duration(Duration::from_secs(r.peak_second))
    ));
    s.push_str(&format!("  drained   at {}\n", fmt_duration(r.drained)));
    let until = r.series.last_second().max(spec.outage.as_secs());
    let (cols, width) = r.series.columns(until, CURVE_COLUMNS);
    let peak = cols.iter().copied().max().unwrap_or(0).max(1);
    let curve: String = cols.iter().map(|c| block(*c, peak)).collect();
    s.push_str(&format!(
        "  load      |{curve}| requests/s, the busiest second of every {}\n",
        fmt_duration(Duration::from_secs(width))
    ));
    let mark = ((spec.outage.as_secs() / width) as usize).min(cols.len().saturating_sub(1));
    s.push_str(&format!(
        "            {}^ outage ends at {}; the curve ends at {}\n",
        " ".repeat(mark + 1),
        fmt_duration(spec.outage),
        fmt_duration(Duration::from_secs((until + 1).div_ceil(width) * width)),
    ));
    s
}

/// A column of the curve: blank for no request, else one of eight heights.
fn block(count: u64, peak: u64) -> char {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if count == 0 {
        return ' ';
    }
    let i = ((count * 8).div_ceil(peak) as usize).clamp(1, 8) - 1;
    BLOCKS[i]
}
