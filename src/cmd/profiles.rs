//! `hookrig profiles`: list the built-in profiles, print one's rules, or export its file.

use std::io::Write;

use clap::Parser;

use super::{Error, ExitStatus, Result};
use crate::profile;
use crate::text::fmt_duration;

/// `hookrig profiles`.
#[derive(Debug, Parser)]
pub struct ProfilesArgs {
    /// A profile to describe in full: a built-in name or a profile file.
    pub name: Option<String>,
    /// Print the profile's file instead (a built-in as shipped), to copy and edit.
    #[arg(long, requires = "name")]
    pub export: bool,
}

/// Runs `hookrig profiles`.
pub fn command(a: ProfilesArgs, out: &mut dyn Write) -> Result {
    let Some(name) = a.name else {
        for p in profile::builtins() {
            let waits: Vec<String> = profile::retry_starts(&p.retry)
                .iter()
                .map(|d| fmt_duration(*d))
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
                fmt_duration(p.retry.timeout)
            )?;
        }
        writeln!(
            out,
            "\n`hookrig profiles NAME` prints one profile's rules, each with its source, and its events (docs/profiles.md);\n`hookrig profiles NAME --export` prints its file, to copy and edit (docs/profile-format.md)."
        )?;
        return Ok(ExitStatus::Success);
    };
    if a.export {
        let text = if profile::load::is_path(&name) {
            std::fs::read_to_string(&name).map_err(|e| format!("cannot read {name}: {e}"))
        } else {
            profile::builtin_text(&name)
                .map(str::to_owned)
                .ok_or_else(|| profile::load::unknown_profile(&name))
        };
        out.write_all(text.map_err(Error::input)?.as_bytes())?;
    } else {
        let p = profile::lookup(&name).map_err(Error::input)?;
        write!(out, "{}", p.describe())?;
    }
    Ok(ExitStatus::Success)
}
