//! `hookrig receive`: the standalone mock receiver on a real socket.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;

use super::{Error, ExitStatus, Result};
use crate::clock::{Clock, SystemClock};
use crate::profile;
use crate::receiver::log::{RequestLog, Verifier};
use crate::receiver::{self, DEFAULT_BODY_LIMIT, Receiver, live};
use crate::scenario::load::load_faults;

/// `hookrig receive`.
#[derive(Debug, Parser)]
pub struct ReceiveArgs {
    /// Address to listen on (loopback unless told otherwise; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub listen: String,
    /// Fault file: a list of receiver steps, or `steps:` and `routes: [{path, method, steps}]`.
    #[arg(long)]
    pub faults: Option<PathBuf>,
    /// Write every request as a JSON line, flushed as it arrives.
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Verify signatures on arrival with this profile's scheme (and read event types for
    /// `when:` steps).
    #[arg(long)]
    pub profile: Option<String>,
    /// Secret(s) to verify with (repeat for key rotation).
    #[arg(long)]
    pub secret: Vec<String>,
    /// Bodies over this many bytes get 413.
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// No line per request on standard output.
    #[arg(long)]
    pub quiet: bool,
    /// Show the requests as they arrive in the interactive terminal view (space pauses,
    /// q stops the receiver).
    #[arg(long)]
    pub tui: bool,
}

/// Runs the receiver until Ctrl-C.
pub fn command(a: ReceiveArgs, out: &mut dyn Write) -> Result {
    let faults = match &a.faults {
        Some(path) => load_faults(path).map_err(|errors| {
            Error::BadInput(errors.iter().map(|e| format!("error: {e}")).collect())
        })?,
        None => Default::default(),
    };
    let profile = match &a.profile {
        Some(name) => Some(Arc::new(
            profile::lookup(name).map_err(|e| Error::input(format!("--profile: {e}")))?,
        )),
        None => None,
    };
    if !a.secret.is_empty() && profile.is_none() {
        return Err(Error::input(
            "--secret needs --profile (the scheme to verify with)",
        ));
    }
    if let Some(p) = &profile {
        for s in &a.secret {
            p.scheme
                .check_secret(s)
                .map_err(|e| Error::input(format!("--secret: {e}")))?;
        }
    }
    if a.tui {
        super::tui::need_terminal(
            "hookrig receive --tui needs a terminal; leave out --tui for a line per request",
        )?;
    }
    // The screen shows the requests; lines on standard output would tear it.
    let mut log = RequestLog::new(Arc::new(SystemClock));
    if !a.quiet && !a.tui {
        log = log.with_echo(Box::new(|line| println!("{line}")));
    }
    if let Some(path) = &a.journal {
        log = log.with_journal(path).map_err(|e| {
            Error::input(format!("--journal: cannot write {}: {e}", path.display()))
        })?;
    }
    if let (Some(p), false) = (&profile, a.secret.is_empty()) {
        log = log.with_verifier(Verifier {
            profile: Arc::clone(p),
            secrets: a.secret.clone(),
        });
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = live::bind(&a.listen).await.map_err(Error::input)?;
        let addr = listener.local_addr()?;
        let stop = live::stop_signals();
        let mut receiver = Receiver::new(faults.default)
            .with_routes(faults.routes)
            .with_body_limit(a.body_limit)
            .with_log(log);
        if let Some(p) = &profile {
            receiver = receiver.with_profile(Arc::clone(p));
        }
        if a.tui {
            return receive_tui(receiver, listener, profile, a.secret.clone(), out).await;
        }
        writeln!(
            out,
            "hookrig receive: listening on http://{addr} (Ctrl-C to stop)"
        )?;
        out.flush()?;
        let state = Arc::new(receiver);
        live::serve(listener, receiver::app(Arc::clone(&state)), stop).await;
        let n = state.count();
        writeln!(out, "hookrig receive: stopped; {n} request(s) recorded")?;
        Ok(ExitStatus::Success)
    })
}

/// `receive --tui`: serves in the background while the screen shows each request; `q`
/// stops the receiver gracefully.
async fn receive_tui(
    receiver: Receiver,
    listener: tokio::net::TcpListener,
    profile: Option<Arc<profile::Profile>>,
    secrets: Vec<String>,
    out: &mut dyn Write,
) -> Result {
    let addr = listener.local_addr()?;
    let epoch = SystemClock.now();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let server = live::spawn(listener, receiver.with_events(0, tx).into_app())?;
    let requests =
        crate::tui::receive::Requests::new(format!("http://{addr}"), profile, secrets, epoch);
    let n = tokio::task::block_in_place(|| crate::tui::receive(rx, requests))?;
    server.stop().await;
    writeln!(out, "hookrig receive: stopped; {n} request(s) recorded")?;
    Ok(ExitStatus::Success)
}
