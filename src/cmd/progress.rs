//! The progress bar of `hookrig run`: scenarios done out of the total, drawn on stderr only
//! when stderr is a terminal and there is more than one scenario, and cleared before the
//! report is written. Sim runs take microseconds per scenario, so the bar counts
//! scenarios, not attempts. It never touches standard output, so text, JSON and JUnit
//! reports stay exactly what they are.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::events::EngineEvent;

/// A bar fed by engine events.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    failed: usize,
}

impl Progress {
    /// A bar for `total` scenarios on stderr when stderr is a terminal; hidden otherwise,
    /// and for a single scenario, which is done before a bar could say anything.
    pub fn on_stderr(total: usize) -> Self {
        if total < 2 || !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner:.cyan} replaying [{bar:32.cyan/blue}] {pos}/{len} scenarios {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        // No steady tick: a ticker thread would write to stderr while `main` holds the
        // stderr lock for the whole command, and the two would deadlock. Every draw happens
        // on the calling thread, when a scenario finishes.
        Self { bar, failed: 0 }
    }

    /// A bar that draws nothing.
    pub fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
            failed: 0,
        }
    }

    /// Whether anything is drawn.
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Counts a scenario once its checks are evaluated, or once a live run skips it.
    pub fn observe(&mut self, event: &EngineEvent) {
        match event {
            EngineEvent::ScenarioChecked { failures, .. } => {
                if !failures.is_empty() {
                    self.failed += 1;
                    self.bar.set_message(format!("({} failed)", self.failed));
                }
                self.bar.inc(1);
            }
            EngineEvent::ScenarioSkipped { .. } => self.bar.inc(1),
            _ => {}
        }
    }

    /// Clears the bar, so the report that follows starts on a clean line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
