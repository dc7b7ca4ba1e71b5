//! `hookrig tui`: the interactive view of a run's deliveries as timelines.
//!
//! The module is split the way the data flows. [`model`] builds the view-model from a
//! [`RunState`](crate::engine::RunState) — the same state the reports read — and
//! [`journal`] turns a recorded journal into that state first. [`app`] holds the view
//! state and the keys ([`App::handle_event`] changes only view state or asks for a
//! command), [`ui`] draws it ([`App::render`]). This file loads the results
//! ([`Source`]), owns the terminal ([`TerminalGuard`], restored on quit, on error and on
//! panic) and runs the event loop.
//!
//! Only sim runs and journals are shown; a live view (`receive --tui`) does not exist yet.

pub mod app;
pub mod journal;
pub mod model;
pub mod ui;

use std::io::{IsTerminal, Stdout, Write};
use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use crossterm::event;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub use app::{Action, App, Screen};
pub use model::Model;

use crate::app::ExitStatus;
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
    /// A journal written by `hookrig run --journal`.
    Journal(PathBuf),
}

impl Source {
    /// Runs the scenarios (or reads the journal) and builds the model. The error is a
    /// message for the user: bad scenario files, nothing to run, an unreadable journal.
    pub fn load(&self) -> Result<Model, String> {
        match self {
            Source::Scenarios {
                paths,
                filter,
                seed,
            } => {
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
                    scenarios.retain(|s| s.name.contains(f.as_str()));
                }
                let label: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                if scenarios.is_empty() {
                    return Err(format!(
                        "error: no scenarios to run in {}",
                        label.join(", ")
                    ));
                }
                let state = runner::run_sim(&scenarios, &RunOptions { seed: *seed }, |_| {});
                let epoch = Duration::from_secs(crate::clock::SIM_EPOCH_UNIX as u64);
                Ok(Model::from_run(label.join(" "), &state, &scenarios, epoch))
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

/// `hookrig tui`: loads the results, then shows them until `q`. Bad input (scenario
/// files, an unreadable journal) and a standard input or output that is not a terminal
/// go to `err` with exit status 2 before the screen opens.
pub fn run(source: Source, err: &mut dyn Write) -> std::io::Result<ExitStatus> {
    let model = match source.load() {
        Ok(m) => m,
        Err(msg) => {
            writeln!(err, "{msg}")?;
            return Ok(ExitStatus::BadInput);
        }
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        writeln!(
            err,
            "error: hookrig tui needs a terminal; use `hookrig run` for a report"
        )?;
        return Ok(ExitStatus::BadInput);
    }
    let mut app = App::new(model);
    let mut guard = TerminalGuard::enter()?;
    event_loop(&mut guard.terminal, &mut app, &source)?;
    drop(guard);
    Ok(ExitStatus::Success)
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
