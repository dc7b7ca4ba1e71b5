//! `hookrig fixtures`: signed example requests, schemas and edge-value variants, written
//! as files (the layout is [`crate::fixtures::files`]'s).

use std::io::Write;
use std::path::PathBuf;

use clap::{ArgGroup, Parser, ValueEnum};

use super::{Error, ExitStatus, Result};
use crate::fixtures::files::{FileSet, Format, MARK, render, write_sets};
use crate::fixtures::{DEFAULT_TIMESTAMP, FixtureError, Generator, MAX_COUNT};
use crate::profile::{self, Profile};
use crate::rng::DEFAULT_SEED;
use crate::text::nearest;

/// `hookrig fixtures`.
#[derive(Debug, Parser)]
#[command(group(ArgGroup::new("which").required(true).args(["profile", "all"])))]
pub struct FixturesArgs {
    /// The profile to write fixtures for: a built-in name or a profile file.
    #[arg(long)]
    pub profile: Option<String>,
    /// Every built-in profile, each in its own folder.
    #[arg(long, conflicts_with_all = ["event", "secret"])]
    pub all: bool,
    /// Folder to write into; each profile gets `<out>/<profile>/`, replaced as a whole.
    #[arg(long, default_value = "fixtures")]
    pub out: PathBuf,
    /// Only this event type (default: every event in the profile's catalogue).
    #[arg(long)]
    pub event: Option<String>,
    /// Sign with this secret (default: the profile's documented test secret).
    #[arg(long)]
    pub secret: Option<String>,
    /// Seed for ids, data and edits: the same seed gives the same files.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Also write this many edge-value variants per event (1 to 1000).
    #[arg(long)]
    pub count: Option<u64>,
    /// How requests are written.
    #[arg(long, value_enum, default_value_t = FileFormat::Json)]
    pub format: FileFormat,
    /// Sign at this wall-clock time, in Unix seconds (the default is 2025-01-01T00:00:00Z);
    /// `--timestamp "$(date +%s)"` for a live replay.
    #[arg(long, default_value_t = DEFAULT_TIMESTAMP)]
    pub timestamp: i64,
}

/// How requests are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    /// `<event>.json`: the request, its signing time and secret, and the parsed body.
    Json,
    /// `<event>.http`: `POST {{url}}`, headers and body, for a REST client or curl.
    Http,
}

impl From<FileFormat> for Format {
    fn from(f: FileFormat) -> Format {
        match f {
            FileFormat::Json => Format::Json,
            FileFormat::Http => Format::Http,
        }
    }
}

/// Runs `hookrig fixtures`: exit 0 with the folders written, or 2 with nothing written.
pub fn command(a: FixturesArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result {
    let nothing =
        |e: &dyn std::fmt::Display| Error::inputs([e], "hookrig: no fixtures were written");
    let sets = plan(&a, err).map_err(|e| nothing(&e))?;
    write_sets(&a.out, &sets).map_err(|e| nothing(&e))?;
    for set in &sets {
        writeln!(
            out,
            "wrote {}: {} event(s), {} variant(s), {} file(s)",
            a.out.join(&set.profile).display(),
            set.events,
            set.variants,
            set.files.len()
        )?;
    }
    Ok(ExitStatus::Success)
}

/// Checks the arguments and makes every file in memory.
fn plan(a: &FixturesArgs, err: &mut dyn Write) -> std::result::Result<Vec<FileSet>, FixtureError> {
    let count = match a.count {
        None => 0,
        Some(n) if (1..=MAX_COUNT).contains(&n) => n,
        Some(n) => {
            return Err(FixtureError(format!(
                "--count must be between 1 and {MAX_COUNT} variants per event, got {n}"
            )));
        }
    };
    let profiles: Vec<Profile> = match &a.profile {
        Some(name) => vec![profile::lookup(name).map_err(FixtureError)?],
        None => profile::builtins(),
    };
    let mut sets = Vec::new();
    for p in &profiles {
        let mut generator = Generator::new(p).at(a.timestamp)?;
        if let Some(s) = &a.secret {
            generator = generator.with_secret(s)?;
        }
        let events: Vec<String> = match &a.event {
            Some(e) => {
                generator.check_event(e)?;
                if p.event(e).is_none() {
                    let names: Vec<&str> = p.catalogue.iter().map(|e| e.name.as_str()).collect();
                    let hint = nearest(e, &names)
                        .map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default();
                    let _ = writeln!(
                        err,
                        "note: `{e}` is not in {}'s example catalogue{hint}: it gets the generic schema (any type name, any data object)",
                        p.name
                    );
                }
                vec![e.clone()]
            }
            None => p.catalogue.iter().map(|e| e.name.clone()).collect(),
        };
        let command = command_line(a, a.profile.as_deref().unwrap_or(&p.name));
        sets.push(render(
            &generator,
            &events,
            a.seed,
            count,
            a.format.into(),
            &command,
        )?);
    }
    Ok(sets)
}

/// The command that makes this folder, for its index.
fn command_line(a: &FixturesArgs, profile: &str) -> String {
    let mut s = format!("{MARK}--profile {profile}");
    if let Some(e) = &a.event {
        s.push_str(&format!(" --event {e}"));
    }
    if let Some(secret) = &a.secret {
        s.push_str(&format!(" --secret '{}'", secret.replace('\'', r"'\''")));
    }
    if a.seed != DEFAULT_SEED {
        s.push_str(&format!(" --seed {}", a.seed));
    }
    if let Some(n) = a.count {
        s.push_str(&format!(" --count {n}"));
    }
    if a.format != FileFormat::Json {
        s.push_str(" --format http");
    }
    if a.timestamp != DEFAULT_TIMESTAMP {
        s.push_str(&format!(" --timestamp {}", a.timestamp));
    }
    s
}
