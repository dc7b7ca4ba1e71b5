//! The command line: arguments, the commands they drive, what is printed and the exit
//! code — the only part of hookrig that touches the terminal or picks an exit code, and
//! the only part that imports every other (nothing imports it).
//!
//! One file per command: its clap arguments, then the glue that turns them into calls of
//! the library and writes the results to the writers passed in, so tests drive the CLI
//! in-process. A command that cannot go on returns an [`Error`]; whoever runs the command
//! line (`main`, or a test) prints it once, and [`Error::exit_status`] gives the exit code.

pub mod conform;
pub mod conform_sender;
pub mod emulate;
pub mod fixtures;
pub mod profiles;
pub mod progress;
pub mod receive;
pub mod run;
pub mod send;
pub mod storm;
pub mod tui;
pub mod validate;

use std::fmt;
use std::io::Write;

use clap::{Parser, Subcommand};

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
    Run(run::RunArgs),
    /// Check scenario files without running them.
    Validate(validate::ValidateArgs),
    /// List the built-in profiles, or print one's rules.
    Profiles(profiles::ProfilesArgs),
    /// Play a profile against a receiver at --url and report what it gets wrong.
    Conform(conform::ConformArgs),
    /// Play a receiver against someone else's sender (--trigger) and report which of the
    /// profile's rules it breaks.
    ConformSender(conform_sender::ConformSenderArgs),
    /// Show a run's deliveries as timelines in an interactive terminal view.
    Tui(tui::TuiArgs),
    /// A standalone mock receiver on a real socket: fault plans, journal, signature checks.
    Receive(receive::ReceiveArgs),
    /// One delivery with a profile's full rules to a real URL; `--state` makes it durable.
    Send(send::SendArgs),
    /// Write signed example requests, JSON Schemas and edge-value variants for a profile's events.
    Fixtures(fixtures::FixturesArgs),
    /// N deliveries through a receiver outage in virtual time: the load curve the
    /// receiver sees when it comes back.
    Storm(storm::StormArgs),
    /// A provider's API on a local port (jobs, webhook registration, test sends), firing its real webhooks.
    Emulate(emulate::EmulateArgs),
}

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

/// Why a command stopped: printed once, on standard error, by whoever runs the command
/// line.
#[derive(Debug)]
pub enum Error {
    /// Bad input (arguments, files, names): exit 2. Its lines are printed as they are.
    BadInput(Vec<String>),
    /// Standard output or error, a terminal or a file could not be used: exit 2, except a
    /// closed standard-output pipe (`hookrig run | head`), which exits 0 in silence.
    Io(std::io::Error),
}

impl Error {
    /// Bad input with one problem: `error: PROBLEM`.
    pub fn input(problem: impl fmt::Display) -> Self {
        Error::BadInput(vec![format!("error: {problem}")])
    }

    /// Bad input with several problems, each `error: PROBLEM`, then a closing line.
    pub fn inputs<P: fmt::Display>(
        problems: impl IntoIterator<Item = P>,
        then: impl Into<String>,
    ) -> Self {
        let mut lines: Vec<String> = problems
            .into_iter()
            .map(|p| format!("error: {p}"))
            .collect();
        lines.push(then.into());
        Error::BadInput(lines)
    }

    /// The exit code this error ends the process with.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Success,
            Error::BadInput(_) | Error::Io(_) => ExitStatus::BadInput,
        }
    }
}

impl fmt::Display for Error {
    /// The lines printed on standard error (none for a closed pipe).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadInput(lines) => lines.iter().try_for_each(|l| writeln!(f, "{l}")),
            Error::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Error::Io(e) => writeln!(f, "error: {e:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// What a command returns.
pub type Result<T = ExitStatus> = std::result::Result<T, Error>;

/// Runs a parsed command, writing results to `out` and diagnostics to `err`. Signals are
/// left alone (a test harness driving the CLI keeps its own Ctrl-C); the binary uses
/// [`execute_process`].
pub fn execute(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result {
    execute_with(cli, out, err, false)
}

/// [`execute`] as the `hookrig` process: SIGINT (Ctrl-C) and SIGTERM stop a live run,
/// which then reports what finished and exits 130.
pub fn execute_process(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result {
    execute_with(cli, out, err, true)
}

fn execute_with(cli: Cli, out: &mut dyn Write, err: &mut dyn Write, signals: bool) -> Result {
    match cli.command {
        Command::Run(a) => run::command(a, out, err, signals),
        Command::Validate(a) => validate::command(a, out, err),
        Command::Profiles(a) => profiles::command(a, out),
        Command::Conform(a) => conform::command(a, out, err),
        Command::ConformSender(a) => conform_sender::command(a, out),
        Command::Fixtures(a) => fixtures::command(a, out, err),
        Command::Tui(a) => tui::command(a),
        Command::Receive(a) => receive::command(a, out),
        Command::Send(a) => send::command(a, out),
        Command::Storm(a) => storm::command(a, out, err),
        Command::Emulate(a) => emulate::command(a, out),
    }
}
