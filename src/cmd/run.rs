//! `hookrig run`: replay scenarios (in virtual time, or live over sockets) and report.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};

use super::{Error, ExitStatus, Result};
use crate::report;
use crate::runner::{self, RunOptions};
use crate::scenario::{self, Scenario};
use crate::shard::Shard;

/// `hookrig run`.
#[derive(Debug, Parser)]
pub struct RunArgs {
    /// Scenario files or folders (searched recursively for *.yaml, *.yml).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Run only scenarios whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Run only the K-th of N slices of the scenarios (1/N to N/N), each scenario's slice
    /// fixed by a hash of its file and name, so N machines of a CI matrix run the suite
    /// once between them (docs/ci.md).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Seed for ids and generated data: the same seed gives the same output.
    #[arg(long, default_value_t = crate::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// Run over real sockets in real time (receiver on 127.0.0.1, sender over real HTTP).
    #[arg(long)]
    pub live: bool,
    /// With --live: multiply every wait, delay, timeout and offset by this factor (0.001
    /// turns 155 minutes into 9.3 s), or `auto`: each scenario at the smallest scale that
    /// keeps its timing margins at 50 ms of real time (docs/live.md).
    #[arg(long, default_value = "auto", requires = "live", value_name = "auto|F")]
    pub time_scale: runner::scale::TimeScale,
    /// How many threads load the files and replay the scenarios (default: one per core,
    /// at most 8; 1 runs everything on one thread); every report and error is the same
    /// whatever the number. With --live: how many scenarios run side by side, each with
    /// its own receiver and ports (default: four per core, at most 64).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub jobs: Option<u64>,
    /// Write the report (text, JSON or JUnit) to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write every attempt (request, answer, timing) as JSON Lines to this file.
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Also write a self-contained HTML report (summary, a timeline per delivery, failed
    /// checks with their requests and answers) to this file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// Output formats of `hookrig run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object.
    Json,
    /// JUnit XML: a testsuite per scenario file, a testcase per scenario.
    Junit,
}

/// Runs `hookrig run`; `signals` lets SIGINT and SIGTERM stop a live run.
pub fn command(a: RunArgs, out: &mut dyn Write, err: &mut dyn Write, signals: bool) -> Result {
    // Sim runs load and replay on `--jobs` threads; a live run's `--jobs` counts the
    // scenarios it runs side by side, and it loads on one thread per core.
    let sim_jobs = match (a.live, a.jobs) {
        (false, Some(j)) => j as usize,
        _ => crate::par::default_jobs(),
    };
    let scenarios = load(&a.paths, sim_jobs)?;
    let outputs = [
        ("--out", &a.out),
        ("--journal", &a.journal),
        ("--report", &a.report),
    ];
    for (flag, path) in outputs {
        let Some(path) = path else { continue };
        if let Err(e) = check_writable(path) {
            return Err(Error::input(format!(
                "cannot write {}: {e} ({flag}); nothing was run",
                path.display()
            )));
        }
    }
    let scenarios = matching(scenarios, &a.paths, a.filter.as_deref())?;
    let scenarios = match a.shard {
        Some(shard) => slice(scenarios, shard, err)?,
        None => scenarios,
    };
    let mut progress = super::progress::Progress::on_stderr(scenarios.len());
    let opts = RunOptions { seed: a.seed };
    let mut interrupted = false;
    let mut state = if a.live {
        let plans = runner::live::plan(&scenarios, &opts, a.time_scale);
        warn_short_margins(err, &scenarios, &plans)?;
        let live = runner::live::LiveOptions {
            scale: a.time_scale,
            jobs: a
                .jobs
                .map_or_else(runner::live::default_jobs, |j| j as usize),
            stop: None,
            signals,
        };
        match runner::live::run_live(&scenarios, &plans, &opts, &live, |e| progress.observe(e)) {
            Ok(run) => {
                interrupted = run.interrupted;
                run.state
            }
            Err(e) => {
                progress.finish();
                return Err(Error::input(format!("live run: {e}")));
            }
        }
    } else {
        // The HTML report and the journal show requests; the other reports never read
        // them, so a long suite holds one scenario's at a time.
        let keep = if a.report.is_some() || a.journal.is_some() {
            runner::Keep::Requests
        } else {
            runner::Keep::Outcomes
        };
        if a.format == Format::Json {
            // Each scenario's entry is written as soon as it is checked; the counts close
            // the document (docs/ci.md).
            let mut file;
            let target: &mut dyn Write = match &a.out {
                Some(path) => {
                    file = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| {
                        Error::input(format!(
                            "cannot write the report to {}: {e}",
                            path.display()
                        ))
                    })?);
                    &mut file
                }
                None => &mut *out,
            };
            let mut json = report::json::JsonStream::start(target, a.shard)?;
            let mut state = runner::run_sim_on(
                &scenarios,
                &opts,
                keep,
                sim_jobs,
                |e| progress.observe(e),
                |_, s| {
                    json.scenario(s)?;
                    if keep == runner::Keep::Outcomes {
                        s.keep_verdict_only();
                    }
                    Ok::<(), std::io::Error>(())
                },
            )?;
            progress.finish();
            state.shard = a.shard;
            json.finish(&state)?;
            return finish_run(&a, state, &scenarios, None, false, out, err);
        }
        let never: std::result::Result<_, std::convert::Infallible> = runner::run_sim_on(
            &scenarios,
            &opts,
            keep,
            sim_jobs,
            |e| progress.observe(e),
            |_, _| Ok(()),
        );
        match never {
            Ok(state) => state,
            Err(e) => match e {},
        }
    };
    progress.finish();
    state.shard = a.shard;
    let text = match a.format {
        Format::Text => report::text::render(&state),
        Format::Json => report::json::render(&state),
        Format::Junit => report::junit::render(&state, a.seed),
    };
    finish_run(&a, state, &scenarios, Some(text), interrupted, out, err)
}

/// Writes the HTML report and the journal when asked, then the report `text` (`None`:
/// already written as the run went), and gives the run's exit status (`interrupted`: a
/// live run was stopped).
fn finish_run(
    a: &RunArgs,
    state: crate::run_state::RunState,
    scenarios: &[Scenario],
    text: Option<String>,
    interrupted: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result {
    if let Some(path) = &a.report
        && let Err(e) = std::fs::write(path, report::html::render(&state, scenarios, a.seed))
    {
        return Err(Error::input(format!(
            "cannot write the HTML report to {}: {e}",
            path.display()
        )));
    }
    if let Some(path) = &a.journal {
        // Sim scenarios' offset zero is the sim epoch; live ones carry their own clock.
        let epoch = std::time::Duration::from_secs(crate::clock::SIM_EPOCH_UNIX as u64);
        if let Err(e) = std::fs::write(path, report::journal::render(&state, epoch)) {
            return Err(Error::input(format!(
                "cannot write the journal to {}: {e}",
                path.display()
            )));
        }
    }
    match (&a.out, text) {
        (_, None) => {}
        (Some(path), Some(text)) => {
            if let Err(e) = std::fs::write(path, &text) {
                return Err(Error::input(format!(
                    "cannot write the report to {}: {e}",
                    path.display()
                )));
            }
        }
        (None, Some(text)) => out.write_all(text.as_bytes())?,
    }
    if interrupted {
        writeln!(
            err,
            "hookrig: interrupted; {} scenario(s) left unfinished",
            state.interrupted()
        )?;
        return Ok(ExitStatus::Interrupted);
    }
    Ok(if state.failed() == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::CheckFailed
    })
}

/// The scenarios under `paths`: bad input when a file has errors (nothing runs then).
fn load(paths: &[PathBuf], jobs: usize) -> Result<Vec<Scenario>> {
    let loaded = scenario::load_paths_on(paths, jobs);
    if !loaded.errors.is_empty() {
        return Err(Error::inputs(
            &loaded.errors,
            format!(
                "hookrig: {} error(s) in scenario files; nothing was run",
                loaded.errors.len()
            ),
        ));
    }
    Ok(loaded.scenarios)
}

/// The scenarios whose names contain `filter`: bad input when none is left to run.
fn matching(
    mut scenarios: Vec<Scenario>,
    paths: &[PathBuf],
    filter: Option<&str>,
) -> Result<Vec<Scenario>> {
    if let Some(f) = filter {
        scenarios.retain(|s| s.name.contains(f));
    }
    if scenarios.is_empty() {
        let whr: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::input(format!(
            "no scenarios to run in {}{}",
            whr.join(", "),
            filter
                .map(|f| format!(" matching --filter `{f}`"))
                .unwrap_or_default()
        )));
    }
    Ok(scenarios)
}

/// The scenarios in slice `shard`. A slice may hold none (more slices than scenarios, or
/// an unlucky draw): that is a run of nothing, not an error, so a matrix's other machines
/// still pass; a note says so.
fn slice(scenarios: Vec<Scenario>, shard: Shard, err: &mut dyn Write) -> Result<Vec<Scenario>> {
    let all = scenarios.len();
    let mine: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| shard.holds(&s.file, &s.name))
        .collect();
    if mine.is_empty() {
        writeln!(
            err,
            "note: shard {shard} holds none of the {all} scenario(s); nothing to run"
        )?;
    }
    Ok(mine)
}

/// Warns about each scenario whose timing margins fall under 50 ms of real time at its
/// scale: an explicit `--time-scale` too small for it, or margins no scale can widen.
fn warn_short_margins(
    err: &mut dyn Write,
    scenarios: &[Scenario],
    plans: &[runner::live::Planned],
) -> std::io::Result<()> {
    for (s, p) in scenarios.iter().zip(plans) {
        let runner::live::Planned::Run(c) = p else {
            continue;
        };
        let Some((real, margin)) = c.short.first() else {
            continue;
        };
        let more = match c.short.len() {
            1 => String::new(),
            n => format!(" (and {} more margin(s))", n - 1),
        };
        let hint = if c.auto {
            "no time scale up to 100 widens it enough".to_owned()
        } else {
            format!("`--time-scale auto` would run it at {}", c.auto_scale)
        };
        writeln!(
            err,
            "warning: {} `{}`: at time scale {}, {}{more}, under the {} ms live runs need to tell timings apart; {hint}",
            s.file.display(),
            s.name,
            c.scale,
            margin.describe(*real),
            runner::scale::MIN_MARGIN.as_millis()
        )?;
    }
    Ok(())
}

/// Opens `path` for appending (creating it) to find out before a run whether it can be
/// written; a file that did not exist before is removed again.
fn check_writable(path: &Path) -> std::io::Result<()> {
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}
