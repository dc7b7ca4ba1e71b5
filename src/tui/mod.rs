//! `hookrig tui`: the interactive view of a run's deliveries as timelines.
//!
//! The module is split the way the data flows. [`model`] builds the view-model from a
//! [`RunState`](crate::run_state::RunState) — the same state the reports read — and
//! [`journal`] turns a recorded journal into that state first. [`app`] holds the view
//! state and the keys ([`App::handle_event`] changes only view state or asks for a
//! command), [`ui`] draws it ([`App::render`]). This file loads the results
//! ([`Source`]), owns the terminal ([`TerminalGuard`], restored on quit, on error and on
//! panic) and runs the event loop; `hookrig tui`'s arguments and messages are the
//! command line's (`cmd::tui`).
//!
//! Live views ([`live`]) show events as they arrive: `tui --live` runs the scenarios on
//! a thread of their own and reduces the engine's events with the engine's reducer;
//! `receive --tui` ([`receive()`]) reduces a standalone receiver's requests with a small
//! reducer of the TUI's own. Both share `live_loop`: each tick it drains the channel,
//! applies what arrived unless the view is paused, and rebuilds the model.

pub mod app;
pub mod journal;
pub mod live;
pub mod model;
pub mod receive;
pub mod ui;

use std::io::{IsTerminal, Stdout, Write};
use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::Duration;

use crossterm::event;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub use app::{Action, App, LiveKind, LiveStatus, Screen};
pub use model::Model;

use crate::runner::{self, RunOptions};
use crate::scenario;

/// Where the results come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Scenario files or folders, replayed in sim mode.
    Scenarios {
        /// Files or folders.
        paths: Vec<PathBuf>,
        /// Only scenarios whose name contains this.
        filter: Option<String>,
        /// The run's seed.
        seed: u64,
    },
    /// Scenario files or folders, run over real sockets while the screen shows them.
    Live {
        /// Files or folders.
        paths: Vec<PathBuf>,
        /// Only scenarios whose name contains this.
        filter: Option<String>,
        /// The run's seed.
        seed: u64,
        /// How every wait, delay, timeout and offset is scaled.
        scale: crate::runner::scale::TimeScale,
    },
    /// A journal written by `hookrig run --journal`.
    Journal(PathBuf),
}

/// Loads and filters the scenarios of `paths`: the scenarios and a label of the paths, or
/// a message for the user.
pub fn load_scenarios(
    paths: &[PathBuf],
    filter: Option<&str>,
) -> Result<(String, Vec<scenario::Scenario>), String> {
    let loaded = scenario::load_paths(paths);
    if !loaded.errors.is_empty() {
        let mut msg = String::new();
        for e in &loaded.errors {
            msg.push_str(&format!("error: {e}\n"));
        }
        msg.push_str(&format!(
            "hookrig: {} error(s) in scenario files; nothing was run",
            loaded.errors.len()
        ));
        return Err(msg);
    }
    let mut scenarios = loaded.scenarios;
    if let Some(f) = filter {
        scenarios.retain(|s| s.name.contains(f));
    }
    let label: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    if scenarios.is_empty() {
        return Err(format!(
            "error: no scenarios to run in {}",
            label.join(", ")
        ));
    }
    Ok((label.join(" "), scenarios))
}

impl Source {
    /// Runs the scenarios (or reads the journal) and builds the model. The error is a
    /// message for the user: bad scenario files, nothing to run, an unreadable journal.
    /// A live source is only loaded: its model is the empty one before any event (the
    /// run itself is [`live::start_run`]).
    pub fn load(&self) -> Result<Model, String> {
        match self {
            Source::Scenarios {
                paths,
                filter,
                seed,
            } => {
                let (label, scenarios) = load_scenarios(paths, filter.as_deref())?;
                let state = runner::run_sim(&scenarios, &RunOptions { seed: *seed }, |_| {});
                let epoch = Duration::from_secs(crate::clock::SIM_EPOCH_UNIX as u64);
                Ok(Model::from_run(label, &state, &scenarios, epoch))
            }
            Source::Live { paths, filter, .. } => {
                let (label, scenarios) = load_scenarios(paths, filter.as_deref())?;
                let feed = live::RunFeed::new(format!("live {label}"), Arc::new(scenarios));
                Ok(live::Reduce::model(&feed))
            }
            Source::Journal(path) => journal::load(path)
                .map_err(|e| format!("error: cannot read the journal {}: {e}", path.display())),
        }
    }
}

/// The terminal in raw mode on the alternate screen; dropping it restores the terminal.
pub struct TerminalGuard {
    /// The ratatui terminal.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, and installs (once) a panic hook that
    /// restores the terminal before the panic message is printed.
    pub fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = std::io::stdout();
        if let Err(e) = crossterm::execute!(out, EnterAlternateScreen, crossterm::cursor::Hide) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves raw mode and the alternate screen and shows the cursor; harmless to repeat.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(out, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = out.flush();
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Whether standard input and output are a terminal (the screen needs both).
pub fn is_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Shows `model` (loaded from `source`, which `r` loads again) until `q`. The caller
/// checked for a terminal.
pub fn show(model: Model, source: &Source) -> std::io::Result<()> {
    let mut app = App::new(model);
    let mut guard = TerminalGuard::enter()?;
    event_loop(&mut guard.terminal, &mut app, source)?;
    drop(guard);
    Ok(())
}

/// Runs `scenarios` over real sockets on a thread of their own and shows their deliveries
/// as the events arrive, until `q`; `r` runs them again once the run is done. The caller
/// checked for a terminal.
pub fn show_live(
    label: &str,
    scenarios: Vec<scenario::Scenario>,
    seed: u64,
    scale: crate::runner::scale::TimeScale,
) -> std::io::Result<()> {
    let label = format!("live {label}");
    let scenarios = Arc::new(scenarios);
    let start = || live::start_run(&label, Arc::clone(&scenarios), seed, scale);
    let mut feed = start();
    let mut app = App::live(live::Reduce::model(&feed.reducer), LiveKind::Run);
    let mut guard = TerminalGuard::enter()?;
    live_loop(&mut guard.terminal, &mut app, &mut feed, &mut || {
        Some(start())
    })?;
    drop(guard);
    Ok(())
}

/// `hookrig receive --tui`: shows the requests `events` brings (a receiver's
/// [`EngineEvent::RequestReceived`](crate::events::EngineEvent)s) until `q`. The caller
/// checked for a terminal and stops the receiver afterwards.
pub fn receive(
    events: tokio::sync::mpsc::UnboundedReceiver<crate::events::EngineEvent>,
    requests: receive::Requests,
) -> std::io::Result<usize> {
    let mut feed = live::Feed::new(requests, events, None);
    let mut app = App::live(live::Reduce::model(&feed.reducer), LiveKind::Receive);
    let mut guard = TerminalGuard::enter()?;
    live_loop(&mut guard.terminal, &mut app, &mut feed, &mut || None)?;
    drop(guard);
    feed.tick(false);
    Ok(feed.reducer.count())
}

/// One tick of a live view: drains the channel, applies what arrived unless paused,
/// rebuilds the model when something was applied and updates the status bar's counts.
pub fn live_tick<R: live::Reduce>(app: &mut App, feed: &mut live::Feed<R>) {
    let paused = app.live.as_ref().is_some_and(|l| l.paused);
    if feed.tick(paused) {
        app.replace_model(feed.reducer.model());
    }
    if let Some(l) = &mut app.live {
        l.events = feed.applied();
        l.waiting = feed.waiting();
        l.done = feed.done();
        l.error = feed.error().map(str::to_owned);
    }
}

fn live_loop<R: live::Reduce>(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    feed: &mut live::Feed<R>,
    restart: &mut dyn FnMut() -> Option<live::Feed<R>>,
) -> std::io::Result<()> {
    loop {
        live_tick(app, feed);
        terminal.draw(|f| app.render(f))?;
        if !event::poll(Duration::from_millis(100))? {
            continue;
        }
        match app.handle_event(&event::read()?) {
            Action::None => {}
            Action::Quit => return Ok(()),
            Action::Rerun => {
                if let Some(f) = restart() {
                    *feed = f;
                    if let Some(l) = &mut app.live {
                        *l = LiveStatus::new(l.kind);
                    }
                    app.replace_model(feed.reducer.model());
                }
            }
        }
    }
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    source: &Source,
) -> std::io::Result<()> {
    loop {
        terminal.draw(|f| app.render(f))?;
        if !event::poll(Duration::from_millis(250))? {
            continue;
        }
        // Resize events need nothing but the redraw at the top of the loop.
        match app.handle_event(&event::read()?) {
            Action::None => {}
            Action::Quit => return Ok(()),
            Action::Rerun => {
                app.message = Some("running…".into());
                terminal.draw(|f| app.render(f))?;
                match source.load() {
                    Ok(m) => {
                        app.replace_model(m);
                        app.message = Some(format!(
                            "re-ran: {} scenarios, {} deliveries",
                            app.model.scenarios.len(),
                            app.model.delivery_count()
                        ));
                    }
                    Err(msg) => {
                        app.message = Some(msg.lines().last().unwrap_or_default().to_owned())
                    }
                }
            }
        }
    }
}
