//! Reports: views over a finished [`RunState`](crate::engine::RunState).
//!
//! `text.rs` writes what a person reads in a terminal or a CI log; `json.rs` the machine
//! form of DESIGN.md (`--format json`); `journal.rs` every attempt as JSON Lines;
//! `junit.rs` JUnit XML for CI test reporters (`--format junit`); `html.rs` one
//! self-contained page with a timeline per delivery (`--report FILE.html`). None
//! recomputes anything: all read the state the engine events reduced to. `progress.rs`
//! is the progress bar drawn on a terminal's stderr while a run goes.

pub mod html;
pub mod journal;
pub mod json;
pub mod junit;
pub mod progress;
pub mod text;

use crate::engine::Failure;

/// Output formats of `hookrig run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object.
    Json,
    /// JUnit XML: a testsuite per scenario file, a testcase per scenario.
    Junit,
}

/// `schedule [event parse.success, attempt 2]: expected [0s, 1s], got [0s, 2s]`.
pub fn failure_line(f: &Failure) -> String {
    let mut whr = Vec::new();
    if let Some(e) = &f.event {
        whr.push(format!("event {e}"));
    }
    if let Some(n) = f.attempt {
        whr.push(format!("attempt {n}"));
    }
    let whr = if whr.is_empty() {
        String::new()
    } else {
        format!(" [{}]", whr.join(", "))
    };
    format!(
        "{}{whr}: expected {}, got {}",
        f.check, f.expected, f.actual
    )
}
