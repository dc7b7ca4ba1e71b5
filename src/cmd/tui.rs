//! `hookrig tui`: the interactive timeline view of a run, a journal or a live run.

use std::path::PathBuf;

use clap::Parser;

use super::{Error, ExitStatus, Result};
use crate::runner::scale::TimeScale;
use crate::tui::{self, Source};

/// `hookrig tui`.
#[derive(Debug, Parser)]
pub struct TuiArgs {
    /// Scenario files or folders to replay in virtual time (default `scenarios`).
    pub paths: Vec<PathBuf>,
    /// Open a journal written by `hookrig run --journal` instead of running scenarios.
    #[arg(long, conflicts_with = "paths")]
    pub journal: Option<PathBuf>,
    /// Run only scenarios whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Seed for ids and generated data.
    #[arg(long, default_value_t = crate::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// Run over real sockets in real time and show deliveries as they happen.
    #[arg(long, conflicts_with = "journal")]
    pub live: bool,
    /// With --live: multiply every wait, delay, timeout and offset by this factor, or
    /// `auto` (each scenario at the smallest scale its timing margins allow).
    #[arg(long, default_value = "auto", requires = "live", value_name = "auto|F")]
    pub time_scale: TimeScale,
}

impl TuiArgs {
    /// What the view shows.
    pub fn source(self) -> Source {
        let paths = if self.paths.is_empty() {
            vec!["scenarios".into()]
        } else {
            self.paths
        };
        match self.journal {
            Some(path) => Source::Journal(path),
            None if self.live => Source::Live {
                paths,
                filter: self.filter,
                seed: self.seed,
                scale: self.time_scale,
            },
            None => Source::Scenarios {
                paths,
                filter: self.filter,
                seed: self.seed,
            },
        }
    }
}

/// Runs `hookrig tui`: loads the results, then shows them until `q`. Bad input (scenario
/// files, an unreadable journal) and a standard input or output that is not a terminal
/// are exit 2 before the screen opens.
pub fn command(a: TuiArgs) -> Result {
    let source = a.source();
    if let Source::Live {
        paths,
        filter,
        seed,
        scale,
    } = source
    {
        let (label, scenarios) = tui::load_scenarios(&paths, filter.as_deref()).map_err(said)?;
        need_terminal("hookrig tui needs a terminal; use `hookrig run --live` for a report")?;
        tui::show_live(&label, scenarios, seed, scale)?;
        return Ok(ExitStatus::Success);
    }
    let model = source.load().map_err(said)?;
    need_terminal("hookrig tui needs a terminal; use `hookrig run` for a report")?;
    tui::show(model, &source)?;
    Ok(ExitStatus::Success)
}

/// Bad input unless standard input and output are a terminal; `instead` says what to do.
pub fn need_terminal(instead: &str) -> Result<()> {
    if tui::is_terminal() {
        Ok(())
    } else {
        Err(Error::input(instead))
    }
}

/// A message the view worded already, printed as it is.
fn said(message: String) -> Error {
    Error::BadInput(message.lines().map(str::to_owned).collect())
}
