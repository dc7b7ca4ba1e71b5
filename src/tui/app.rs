//! The TUI's state and its keys: which delivery and attempt are selected, which screen is
//! open, the filter, the help overlay. [`App::handle_event`] only changes this view state
//! or asks for a command ([`Action::Rerun`], [`Action::Quit`]); it never computes a result.
//! In a live view, space pauses and resumes ([`LiveStatus::paused`]): the event loop then
//! buffers arriving events instead of applying them.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;

use super::model::{AttemptView, DeliveryView, Model, ScenarioView};

/// Which screen is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The scenario and delivery list above the selected delivery's timeline.
    List,
    /// The timeline above the selected attempt's request, answer and checks.
    Detail,
}

/// What a live view is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    /// `tui --live`: a run over real sockets.
    Run,
    /// `receive --tui`: a standalone receiver's requests.
    Receive,
}

/// A live view's progress, as the status bar shows it. The event loop keeps the counts
/// up to date; the keys only change `paused`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveStatus {
    /// Run or receiver.
    pub kind: LiveKind,
    /// Space pressed: new events are buffered, not applied.
    pub paused: bool,
    /// Engine events (requests, for a receiver) applied so far.
    pub events: usize,
    /// Events buffered while paused.
    pub waiting: usize,
    /// The run has ended and everything is applied.
    pub done: bool,
    /// Why the run failed, if it did.
    pub error: Option<String>,
}

impl LiveStatus {
    /// A live view that has just started.
    pub fn new(kind: LiveKind) -> LiveStatus {
        LiveStatus {
            kind,
            paused: false,
            events: 0,
            waiting: 0,
            done: false,
            error: None,
        }
    }

    /// The status bar's words: `live: running… 12 events`, `paused (3 events waiting)`,
    /// `live: done · 40 events`, `receiving… 2 requests`.
    pub fn text(&self) -> String {
        let noun = match self.kind {
            LiveKind::Run => "event",
            LiveKind::Receive => "request",
        };
        let n = |k: usize| format!("{k} {noun}{}", if k == 1 { "" } else { "s" });
        if self.paused {
            return format!("paused ({} waiting)", n(self.waiting));
        }
        match (&self.error, self.kind, self.done) {
            (Some(e), _, _) => format!("live: error: {e}"),
            (None, LiveKind::Run, false) => format!("live: running… {}", n(self.events)),
            (None, LiveKind::Run, true) => format!("live: done · {}", n(self.events)),
            (None, LiveKind::Receive, false) => format!("receiving… {}", n(self.events)),
            (None, LiveKind::Receive, true) => format!("receiver stopped · {}", n(self.events)),
        }
    }
}

/// What the event loop must do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond redrawing.
    None,
    /// Run the scenarios again (or re-read the journal) and show the new results.
    Rerun,
    /// Leave the TUI.
    Quit,
}

/// The view state over one [`Model`].
#[derive(Debug, Clone)]
pub struct App {
    /// What is shown.
    pub model: Model,
    /// Index into [`App::visible`].
    pub selected: usize,
    /// 0-based attempt index in the selected delivery.
    pub attempt: usize,
    /// The open screen.
    pub screen: Screen,
    /// First line shown in the detail pane.
    pub scroll: u16,
    /// Case-insensitive text a scenario name, file or event type must contain.
    pub filter: String,
    /// Whether keys go to the filter.
    pub editing_filter: bool,
    /// Whether the help overlay is open.
    pub help: bool,
    /// A one-line message for the status bar (e.g. after a re-run).
    pub message: Option<String>,
    /// Set when events arrive while the screen is open (`tui --live`, `receive --tui`).
    pub live: Option<LiveStatus>,
}

impl App {
    /// A view of `model` with the first delivery selected.
    pub fn new(model: Model) -> App {
        App {
            model,
            selected: 0,
            attempt: 0,
            screen: Screen::List,
            scroll: 0,
            filter: String::new(),
            editing_filter: false,
            help: false,
            message: None,
            live: None,
        }
    }

    /// A live view of `kind`, starting from `model` (usually empty).
    pub fn live(model: Model, kind: LiveKind) -> App {
        App {
            live: Some(LiveStatus::new(kind)),
            ..App::new(model)
        }
    }

    /// Draws the current screen.
    pub fn render(&self, frame: &mut Frame) {
        super::ui::draw(self, frame);
    }

    /// The deliveries that pass the filter, as (scenario, delivery) indices in run order.
    pub fn visible(&self) -> Vec<(usize, usize)> {
        let needle = self.filter.to_lowercase();
        let mut out = Vec::new();
        for (si, s) in self.model.scenarios.iter().enumerate() {
            let scenario_hit =
                s.name.to_lowercase().contains(&needle) || s.file.to_lowercase().contains(&needle);
            for (di, d) in s.deliveries.iter().enumerate() {
                if scenario_hit || d.event_type.to_lowercase().contains(&needle) {
                    out.push((si, di));
                }
            }
        }
        out
    }

    /// The selected scenario and delivery.
    pub fn current(&self) -> Option<(&ScenarioView, &DeliveryView)> {
        let (si, di) = *self.visible().get(self.selected)?;
        let s = &self.model.scenarios[si];
        Some((s, &s.deliveries[di]))
    }

    /// The selected attempt.
    pub fn current_attempt(&self) -> Option<&AttemptView> {
        self.current()?.1.attempts.get(self.attempt)
    }

    /// Shows new results (after a re-run), keeping the selection on the same scenario and
    /// event when they still exist.
    pub fn replace_model(&mut self, model: Model) {
        let keep = self
            .current()
            .map(|(s, d)| (s.name.clone(), d.event_type.clone()));
        self.model = model;
        let visible = self.visible();
        self.selected = keep
            .and_then(|(name, ev)| {
                visible.iter().position(|&(si, di)| {
                    let s = &self.model.scenarios[si];
                    s.name == name && s.deliveries[di].event_type == ev
                })
            })
            .unwrap_or(0);
        self.clamp_attempt();
    }

    /// Applies one terminal event.
    pub fn handle_event(&mut self, event: &Event) -> Action {
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.key(*k),
            _ => Action::None,
        }
    }

    fn key(&mut self, k: KeyEvent) -> Action {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if self.help {
            self.help = false;
            return if k.code == KeyCode::Char('q') {
                Action::Quit
            } else {
                Action::None
            };
        }
        if self.editing_filter {
            match k.code {
                KeyCode::Char(c) => self.set_filter(format!("{}{c}", self.filter)),
                KeyCode::Backspace => {
                    let mut f = self.filter.clone();
                    f.pop();
                    self.set_filter(f);
                }
                KeyCode::Enter => self.editing_filter = false,
                KeyCode::Esc => {
                    self.editing_filter = false;
                    self.set_filter(String::new());
                }
                _ => {}
            }
            return Action::None;
        }
        self.message = None;
        match k.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('r') => return self.rerun(),
            KeyCode::Char(' ') => {
                if let Some(l) = &mut self.live {
                    l.paused = !l.paused;
                }
            }
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char('/') => self.editing_filter = true,
            KeyCode::Up | KeyCode::Char('k') => self.up(1),
            KeyCode::Down | KeyCode::Char('j') => self.down(1),
            KeyCode::PageUp => self.up(10),
            KeyCode::PageDown => self.down(10),
            KeyCode::Left | KeyCode::Char('h') => {
                self.attempt = self.attempt.saturating_sub(1);
                self.scroll = 0;
            }
            KeyCode::Right | KeyCode::Char('l') => {
                self.attempt += 1;
                self.clamp_attempt();
                self.scroll = 0;
            }
            KeyCode::Enter => {
                self.screen = match self.screen {
                    Screen::List if self.current().is_some() => Screen::Detail,
                    _ => Screen::List,
                };
                self.scroll = 0;
            }
            KeyCode::Esc | KeyCode::Backspace => self.screen = Screen::List,
            _ => {}
        }
        Action::None
    }

    /// `r`: a re-run, except while a live run goes (or for a receiver, which has nothing
    /// to re-run).
    fn rerun(&mut self) -> Action {
        match &self.live {
            None => Action::Rerun,
            Some(l) if l.kind == LiveKind::Run && l.done => Action::Rerun,
            Some(l) if l.kind == LiveKind::Run => {
                self.message = Some("the run is still going; r re-runs it once it is done".into());
                Action::None
            }
            Some(_) => {
                self.message = Some("a receiver has nothing to re-run".into());
                Action::None
            }
        }
    }

    /// ↑: the previous delivery in the list, or scrolls the detail pane up.
    fn up(&mut self, by: usize) {
        match self.screen {
            Screen::List => {
                self.selected = self.selected.saturating_sub(by);
                self.attempt = 0;
            }
            Screen::Detail => self.scroll = self.scroll.saturating_sub(by as u16),
        }
    }

    /// ↓: the next delivery in the list, or scrolls the detail pane down.
    fn down(&mut self, by: usize) {
        match self.screen {
            Screen::List => {
                let last = self.visible().len().saturating_sub(1);
                self.selected = (self.selected + by).min(last);
                self.attempt = 0;
            }
            Screen::Detail => {
                // Folded at the narrowest pane there is, the most lines there can be;
                // the drawing clamps to the last page of the actual width.
                let narrowest = super::ui::MIN_WIDTH as usize - 2;
                let lines = self.current().map_or(0, |(s, d)| {
                    super::ui::detail_lines(s, d, self.attempt, narrowest).len()
                });
                let last = lines.saturating_sub(1).min(u16::MAX as usize) as u16;
                self.scroll = self.scroll.saturating_add(by as u16).min(last);
            }
        }
    }

    fn set_filter(&mut self, f: String) {
        self.filter = f;
        self.selected = 0;
        self.attempt = 0;
    }

    fn clamp_attempt(&mut self) {
        let n = self.current().map_or(0, |(_, d)| d.attempts.len());
        self.attempt = self.attempt.min(n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_status_says_running_paused_done_or_receiving() {
        let mut s = LiveStatus::new(LiveKind::Run);
        s.events = 12;
        assert_eq!(s.text(), "live: running… 12 events");
        s.paused = true;
        s.waiting = 1;
        assert_eq!(s.text(), "paused (1 event waiting)");
        s.paused = false;
        s.done = true;
        assert_eq!(s.text(), "live: done · 12 events");
        let mut r = LiveStatus::new(LiveKind::Receive);
        r.events = 2;
        assert_eq!(r.text(), "receiving… 2 requests");
    }
}
