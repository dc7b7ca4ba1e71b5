//! `hookrig conform-sender`: the profile's rules checked on someone else's sender.

use std::io::Write;

use clap::Parser;

use super::conform::Format;
use super::{Error, ExitStatus, Result};
use crate::conform_sender::{self, Options, Status, report};

/// `hookrig conform-sender`.
#[derive(Debug, Parser)]
pub struct ConformSenderArgs {
    /// The rules the sender claims to follow: a built-in profile name or a profile file.
    #[arg(long)]
    pub profile: String,
    /// The secret the sender signs with; give it twice (or more) to check key rotation.
    #[arg(long)]
    pub secret: Vec<String>,
    /// The shell command that makes the sender send one delivery to `{url}` (also in
    /// $HOOKRIG_URL; $HOOKRIG_CHECK names the check, $HOOKRIG_SECRET the first secret).
    /// It runs once per check.
    #[arg(long)]
    pub trigger: String,
    /// Where the receiver listens (each check has its own path under it).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Run only these checks (ids, space- or comma-separated).
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "CHECK")]
    pub only: Vec<String>,
    /// Leave these checks out.
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "CHECK")]
    pub skip: Vec<String>,
    /// How far an attempt may be from the time the profile gives it, e.g. `500ms`.
    #[arg(long, default_value = "250ms", value_parser = humantime::parse_duration)]
    pub tolerance: std::time::Duration,
}

/// Runs `hookrig conform-sender`: exit 0 when every check passes (skips included), 1
/// when one fails, 2 on bad input (profile, secret, trigger, a port in use).
pub fn command(a: ConformSenderArgs, out: &mut dyn Write) -> Result {
    let profile = crate::profile::lookup(&a.profile).map_err(Error::input)?;
    let trigger = conform_sender::parse_trigger(&a.trigger).map_err(|e| {
        Error::input(format!(
            "--trigger: {} (at character {} of the command)",
            e.message,
            e.offset + 1
        ))
    })?;
    for s in &a.secret {
        profile
            .scheme
            .check_secret(s)
            .map_err(|e| Error::input(format!("--secret: {e}")))?;
    }
    let opts = Options {
        profile: std::sync::Arc::new(profile),
        secrets: a.secret,
        trigger,
        listen: a.listen,
        only: a.only,
        skip: a.skip,
        tolerance: a.tolerance,
    };
    conform_sender::validate(&opts).map_err(|e| Error::input(format!("{e}; nothing was run")))?;
    let report = conform_sender::run_blocking(&opts).map_err(|e| match e {
        conform_sender::Error::Bind(b) => Error::input(format!("--listen: {b}")),
        other => Error::input(other.to_string()),
    })?;
    let text = match a.format {
        Format::Text => report::text(&report),
        Format::Json => report::json(&report),
        Format::Junit => report::junit(&report),
    };
    out.write_all(text.as_bytes())?;
    Ok(if report.count(Status::Fail) > 0 {
        ExitStatus::CheckFailed
    } else {
        ExitStatus::Success
    })
}
