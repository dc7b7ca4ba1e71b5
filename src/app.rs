//! The commands: what `hookrig run`, `validate` and `profiles` do with their arguments.
//! Output goes to the writers passed in, so tests drive the CLI in-process.

use std::io::Write;

use crate::cli::{Cli, Command, ProfilesArgs, RunArgs, ValidateArgs};
use crate::profile;
use crate::report::{self, Format};
use crate::runner::{self, RunOptions};
use crate::scenario::{self, InputError};

/// How a command ended (the process exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: everything passed.
    Success = 0,
    /// 1: a check failed.
    CheckFailed = 1,
    /// 2: bad input (arguments, files).
    BadInput = 2,
    /// 130: a live run was interrupted (SIGINT, SIGTERM); what finished was reported.
    Interrupted = 130,
}

/// Runs a parsed command, writing results to `out` and diagnostics to `err`. Signals are
/// left alone (a test harness driving the CLI keeps its own Ctrl-C); the binary uses
/// [`execute_process`].
pub fn execute(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<ExitStatus> {
    execute_with(cli, out, err, false)
}

/// [`execute`] as the `hookrig` process: SIGINT (Ctrl-C) and SIGTERM stop a live run,
/// which then reports what finished and exits 130.
pub fn execute_process(
    cli: Cli,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<ExitStatus> {
    execute_with(cli, out, err, true)
}

fn execute_with(
    cli: Cli,
    out: &mut dyn Write,
    err: &mut dyn Write,
    signals: bool,
) -> std::io::Result<ExitStatus> {
    match cli.command {
        Command::Run(a) => run(a, out, err, signals),
        Command::Validate(a) => validate(a, out, err),
        Command::Profiles(a) => profiles(a, out, err),
        Command::Conform(a) => crate::conform::command(a, out, err),
        Command::Fixtures(a) => crate::fixtures::command(a, out, err),
        Command::Tui(a) => crate::tui::run(tui_source(a), err),
        Command::Receive(a) => crate::receiver::command::command(a, out, err),
        Command::Send(a) => crate::sender::command::command(a, out, err),
        Command::Emulate(a) => crate::cmd::emulate::command(a, out, err),
    }
}

/// What `hookrig tui` shows, from its arguments.
pub fn tui_source(a: crate::cli::TuiArgs) -> crate::tui::Source {
    let paths = if a.paths.is_empty() {
        vec!["scenarios".into()]
    } else {
        a.paths
    };
    match a.journal {
        Some(path) => crate::tui::Source::Journal(path),
        None if a.live => crate::tui::Source::Live {
            paths,
            filter: a.filter,
            seed: a.seed,
            scale: a.time_scale,
        },
        None => crate::tui::Source::Scenarios {
            paths,
            filter: a.filter,
            seed: a.seed,
        },
    }
}

fn print_errors(err: &mut dyn Write, errors: &[InputError]) -> std::io::Result<()> {
    for e in errors {
        writeln!(err, "error: {e}")?;
    }
    Ok(())
}

fn run(
    a: RunArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    signals: bool,
) -> std::io::Result<ExitStatus> {
    let loaded = scenario::load_paths(&a.paths);
    if !loaded.errors.is_empty() {
        print_errors(err, &loaded.errors)?;
        writeln!(
            err,
            "hookrig: {} error(s) in scenario files; nothing was run",
            loaded.errors.len()
        )?;
        return Ok(ExitStatus::BadInput);
    }
    let outputs = [
        ("--out", &a.out),
        ("--journal", &a.journal),
        ("--report", &a.report),
    ];
    for (flag, path) in outputs {
        let Some(path) = path else { continue };
        if let Err(e) = check_writable(path) {
            writeln!(
                err,
                "error: cannot write {}: {e} ({flag}); nothing was run",
                path.display()
            )?;
            return Ok(ExitStatus::BadInput);
        }
    }
    let mut scenarios = loaded.scenarios;
    if let Some(f) = &a.filter {
        scenarios.retain(|s| s.name.contains(f.as_str()));
    }
    if scenarios.is_empty() {
        let whr: Vec<String> = a.paths.iter().map(|p| p.display().to_string()).collect();
        writeln!(
            err,
            "error: no scenarios to run in {}{}",
            whr.join(", "),
            a.filter
                .as_ref()
                .map(|f| format!(" matching --filter `{f}`"))
                .unwrap_or_default()
        )?;
        return Ok(ExitStatus::BadInput);
    }
    let mut progress = report::progress::Progress::on_stderr(scenarios.len());
    let opts = RunOptions { seed: a.seed };
    let mut interrupted = false;
    let state = if a.live {
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
                writeln!(err, "error: live run: {e}")?;
                return Ok(ExitStatus::BadInput);
            }
        }
    } else {
        runner::run_sim(&scenarios, &opts, |e| progress.observe(e))
    };
    progress.finish();
    let text = match a.format {
        Format::Text => report::text::render(&state),
        Format::Json => report::json::render(&state),
        Format::Junit => report::junit::render(&state, a.seed),
    };
    if let Some(path) = &a.report
        && let Err(e) = std::fs::write(path, report::html::render(&state, &scenarios, a.seed))
    {
        writeln!(
            err,
            "error: cannot write the HTML report to {}: {e}",
            path.display()
        )?;
        return Ok(ExitStatus::BadInput);
    }
    if let Some(path) = &a.journal {
        // Sim scenarios' offset zero is the sim epoch; live ones carry their own clock.
        let epoch = std::time::Duration::from_secs(crate::clock::SIM_EPOCH_UNIX as u64);
        if let Err(e) = std::fs::write(path, report::journal::render(&state, epoch)) {
            writeln!(
                err,
                "error: cannot write the journal to {}: {e}",
                path.display()
            )?;
            return Ok(ExitStatus::BadInput);
        }
    }
    match &a.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                writeln!(
                    err,
                    "error: cannot write the report to {}: {e}",
                    path.display()
                )?;
                return Ok(ExitStatus::BadInput);
            }
        }
        None => out.write_all(text.as_bytes())?,
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

/// Warns about each scenario whose timing margins fall under 50 ms of real time at its
/// scale: an explicit `--time-scale` too small for it, or margins no scale can widen.
fn warn_short_margins(
    err: &mut dyn Write,
    scenarios: &[scenario::Scenario],
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

fn validate(
    a: ValidateArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<ExitStatus> {
    let loaded = scenario::load_paths(&a.paths);
    print_errors(err, &loaded.errors)?;
    let bad: std::collections::BTreeSet<_> = loaded.errors.iter().map(|e| e.file.clone()).collect();
    writeln!(
        out,
        "hookrig: {} file(s) checked, {} scenario(s) and {} profile file(s) valid, {} file(s) with errors",
        loaded.files.len(),
        loaded.scenarios.len(),
        loaded.profiles,
        bad.len()
    )?;
    Ok(if loaded.errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::BadInput
    })
}

fn profiles(
    a: ProfilesArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<ExitStatus> {
    match a.name {
        None => {
            for p in profile::builtins() {
                let waits: Vec<String> = profile::retry_starts(&p.retry)
                    .iter()
                    .map(|d| scenario::expect::fmt_duration(*d))
                    .collect();
                let jitter = match p.retry.jitter_percent {
                    0 => String::new(),
                    j => format!(" ±{j} %"),
                };
                writeln!(
                    out,
                    "{:<18} {:<45} {} attempts at {}{jitter}; timeout {}",
                    p.name,
                    p.provider,
                    p.retry.attempts,
                    waits.join(", "),
                    scenario::expect::fmt_duration(p.retry.timeout)
                )?;
            }
            writeln!(
                out,
                "\n`hookrig profiles NAME` prints one profile's rules, each with its source, and its events (docs/profiles.md);\n`hookrig profiles NAME --export` prints its file, to copy and edit (docs/profile-format.md)."
            )?;
            Ok(ExitStatus::Success)
        }
        Some(name) if a.export => {
            let text = if profile::load::is_path(&name) {
                std::fs::read_to_string(&name).map_err(|e| format!("cannot read {name}: {e}"))
            } else {
                profile::builtin_text(&name)
                    .map(str::to_owned)
                    .ok_or_else(|| profile::load::unknown_profile(&name))
            };
            match text {
                Ok(t) => {
                    out.write_all(t.as_bytes())?;
                    Ok(ExitStatus::Success)
                }
                Err(e) => {
                    writeln!(err, "error: {e}")?;
                    Ok(ExitStatus::BadInput)
                }
            }
        }
        Some(name) => match profile::lookup(&name) {
            Ok(p) => {
                write!(out, "{}", p.describe())?;
                Ok(ExitStatus::Success)
            }
            Err(e) => {
                writeln!(err, "error: {e}")?;
                Ok(ExitStatus::BadInput)
            }
        },
    }
}

/// Opens `path` for appending (creating it) to find out before a run whether it can be
/// written; a file that did not exist before is removed again.
fn check_writable(path: &std::path::Path) -> std::io::Result<()> {
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
