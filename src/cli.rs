//! Command-line arguments (clap), kept apart from what they drive.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::Format;

/// hookrig: a test rig for webhooks.
#[derive(Debug, Parser)]
#[command(name = "hookrig", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay scenarios in virtual time and check what happened.
    Run(RunArgs),
    /// Check scenario files without running them.
    Validate(ValidateArgs),
    /// List the built-in profiles, or print one's rules.
    Profiles(ProfilesArgs),
    /// Play a profile against a receiver at --url and report what it gets wrong.
    Conform(ConformArgs),
    /// Show a run's deliveries as timelines in an interactive terminal view.
    Tui(TuiArgs),
    /// A standalone mock receiver on a real socket: fault plans, journal, signature checks.
    Receive(crate::receiver::command::ReceiveArgs),
    /// One delivery with a profile's full rules to a real URL; `--state` makes it durable.
    Send(crate::sender::command::SendArgs),
    /// Write signed example requests, JSON Schemas and edge-value variants for a profile's events.
    Fixtures(crate::fixtures::FixturesArgs),
    /// A provider's API on a local port (jobs, webhook registration, test sends), firing its real webhooks.
    Emulate(crate::cmd::emulate::EmulateArgs),
}

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
    /// Seed for ids and generated data: the same seed gives the same output.
    #[arg(long, default_value_t = crate::runner::DEFAULT_SEED)]
    pub seed: u64,
    /// Run over real sockets in real time (receiver on 127.0.0.1, sender over real HTTP).
    #[arg(long)]
    pub live: bool,
    /// With --live: multiply every wait, delay, timeout and offset by this factor (0.001
    /// turns 155 minutes into 9.3 s), or `auto`: each scenario at the smallest scale that
    /// keeps its timing margins at 50 ms of real time (docs/live.md).
    #[arg(long, default_value = "auto", requires = "live", value_name = "auto|F")]
    pub time_scale: crate::runner::scale::TimeScale,
    /// With --live: how many scenarios run side by side, each with its own receiver and
    /// ports (default: four per core, at most 64).
    #[arg(long, requires = "live", value_parser = clap::value_parser!(u64).range(1..=256))]
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

/// `hookrig validate`.
#[derive(Debug, Parser)]
pub struct ValidateArgs {
    /// Scenario files or folders.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
}

/// `hookrig profiles`.
#[derive(Debug, Parser)]
pub struct ProfilesArgs {
    /// A profile to describe in full: a built-in name or a profile file.
    pub name: Option<String>,
    /// Print the profile's file instead (a built-in as shipped), to copy and edit.
    #[arg(long, requires = "name")]
    pub export: bool,
}

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
    #[arg(long, default_value_t = crate::runner::DEFAULT_SEED)]
    pub seed: u64,
    /// Run over real sockets in real time and show deliveries as they happen.
    #[arg(long, conflicts_with = "journal")]
    pub live: bool,
    /// With --live: multiply every wait, delay, timeout and offset by this factor, or
    /// `auto` (each scenario at the smallest scale its timing margins allow).
    #[arg(long, default_value = "auto", requires = "live", value_name = "auto|F")]
    pub time_scale: crate::runner::scale::TimeScale,
}

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
    #[arg(long, value_enum, default_value_t = crate::conform::report::Format::Text)]
    pub format: crate::conform::report::Format,
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
