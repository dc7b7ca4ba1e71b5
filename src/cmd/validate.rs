//! `hookrig validate`: check scenario (and profile) files without running them.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;

use super::{ExitStatus, Result};
use crate::scenario;

/// `hookrig validate`.
#[derive(Debug, Parser)]
pub struct ValidateArgs {
    /// Scenario files or folders.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// How many threads read and check the files (default: one per core, at most 8); the
    /// errors and their order are the same whatever the number.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub jobs: Option<u64>,
}

/// Runs `hookrig validate`: every problem of every file, then a count; exit 2 when a
/// file has errors.
pub fn command(a: ValidateArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result {
    let jobs = a.jobs.map_or_else(crate::par::default_jobs, |j| j as usize);
    let loaded = scenario::load_paths_on(&a.paths, jobs);
    for e in &loaded.errors {
        writeln!(err, "error: {e}")?;
    }
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
