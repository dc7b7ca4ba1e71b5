//! `hookrig conform`: play a provider against a receiver and report what it gets wrong.

use std::io::Write;

use clap::{Parser, ValueEnum};

use super::{Error, ExitStatus, Result};
use crate::conform::{self, Options, Status, report};

/// `hookrig conform`.
#[derive(Debug, Parser)]
pub struct ConformArgs {
    /// The provider to play: a built-in profile name or a profile file.
    #[arg(long)]
    pub profile: String,
    /// The receiver's URL, e.g. http://127.0.0.1:8080/webhooks.
    #[arg(long)]
    pub url: String,
    /// The receiver's signing secret.
    #[arg(long)]
    pub secret: Option<String>,
    /// PerfectParser's static secret, sent as X-Webhook-Secret.
    #[arg(long)]
    pub static_secret: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Run only these checks (ids, space- or comma-separated).
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "CHECK")]
    pub only: Vec<String>,
    /// Leave these checks out.
    #[arg(long, num_args = 1.., value_delimiter = ',', value_name = "CHECK")]
    pub skip: Vec<String>,
    /// Per-request timeout instead of the profile's (10 s perfectparser, 30 s others),
    /// e.g. `2s`.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub timeout: Option<std::time::Duration>,
}

/// The report's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// One line per check; requests and answers under each failed or warned one.
    #[default]
    Text,
    /// One JSON object.
    Json,
    /// JUnit XML: one testsuite, one testcase per check.
    Junit,
}

/// Runs `hookrig conform`: checks the arguments (exit 2 when they cannot run), runs the
/// checks, prints the report; exit 1 when a check failed, 2 when the input was short of
/// something the remaining checks ran without (a secret).
pub fn command(a: ConformArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result {
    let profile = crate::profile::lookup(&a.profile).map_err(Error::input)?;
    let opts = Options {
        secret: a.secret,
        static_secret: a.static_secret,
        only: a.only,
        skip: a.skip,
        timeout: a.timeout,
        ..Options::new(profile, a.url)
    };
    if let Err(e) = conform::validate(&opts) {
        return Err(Error::input(format!("{e}; nothing was sent")));
    }
    let report = conform::run_blocking(&opts)?;
    for e in &report.input_errors {
        writeln!(err, "error: {e}")?;
    }
    let text = match a.format {
        Format::Text => report::text(&report),
        Format::Json => report::json(&report),
        Format::Junit => report::junit(&report),
    };
    out.write_all(text.as_bytes())?;
    Ok(if !report.input_errors.is_empty() {
        ExitStatus::BadInput
    } else if report.count(Status::Fail) > 0 {
        ExitStatus::CheckFailed
    } else {
        ExitStatus::Success
    })
}
