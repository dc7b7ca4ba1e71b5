//! Reports: views over a finished [`RunState`].
//!
//! `text.rs` writes what a person reads in a terminal or a CI log; `json.rs` the machine
//! form (`--format json`, docs/ci.md); `journal.rs` every attempt as JSON Lines;
//! `junit.rs` JUnit XML for CI test reporters (`--format junit`); `html.rs` one
//! self-contained page with a timeline per delivery (`--report FILE.html`); `storm.rs` the
//! page of `hookrig storm --report`, a load-curve chart over storm results. None
//! recomputes anything: all read the state the engine events reduced to.

pub mod html;
pub mod journal;
pub mod json;
pub mod junit;
pub mod storm;
pub mod text;

use crate::events::{Failure, LiveTiming};
use crate::run_state::RunState;

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

/// `time scale 0.02 (auto); narrowest margin 50 ms real: the 5s wait after attempt 1`.
pub fn timing_line(t: &LiveTiming) -> String {
    let how = if t.auto { " (auto)" } else { "" };
    let mut s = format!("time scale {}{how}", t.scale);
    if let Some((real, what)) = &t.narrowest {
        s.push_str(&format!(
            "; narrowest margin {} ms real: {what}",
            real.as_millis()
        ));
    }
    s
}

/// `80 of 82 scenarios passed, 0 failed` plus `, 1 skipped` and `, 1 interrupted` when
/// there are any, and ` (shard 2/4)` for one slice of a suite.
pub fn summary(state: &RunState) -> String {
    let mut s = format!(
        "{} of {} scenarios passed, {} failed",
        state.passed(),
        state.scenarios.len(),
        state.failed()
    );
    let skipped = state.skipped();
    if skipped > 0 {
        s.push_str(&format!(", {skipped} skipped"));
    }
    let interrupted = state.interrupted();
    if interrupted > 0 {
        s.push_str(&format!(", {interrupted} interrupted"));
    }
    if let Some(shard) = state.shard {
        s.push_str(&format!(" (shard {shard})"));
    }
    s
}
