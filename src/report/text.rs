//! The text report: one line per scenario, failing checks below it with expected vs
//! actual, then a summary line.

use std::fmt::Write as _;

use crate::run_state::{DeliveryState, RunState};
use crate::text::fmt_duration;

/// The run in words.
pub fn render(state: &RunState) -> String {
    let mut s = String::new();
    for sc in &state.scenarios {
        let mark = if sc.passed() {
            "PASS"
        } else if sc.skipped.is_some() {
            "SKIP"
        } else if sc.interrupted {
            "STOP"
        } else {
            "FAIL"
        };
        let _ = writeln!(s, "{mark}  {}  ({})", sc.name, sc.file);
        if let Some(reason) = &sc.skipped {
            let _ = writeln!(s, "      skipped live: {reason}");
        }
        if sc.interrupted {
            let _ = writeln!(s, "      interrupted before it finished");
        }
        if let Some(t) = &sc.timing {
            let _ = writeln!(s, "      {}", super::timing_line(t));
        }
        if let Some(secret) = &sc.generated_secret {
            let _ = writeln!(
                s,
                "      signed with a secret generated from the seed (none given): {secret}"
            );
        }
        if let Some(t) = &sc.trigger {
            let _ = writeln!(s, "      trigger `{}` → {}", t.command, t.describe());
            // Its output matters when something went wrong.
            if !sc.passed() {
                for (name, text) in [("stdout", &t.stdout), ("stderr", &t.stderr)] {
                    for line in text.lines().filter(|l| !l.trim().is_empty()).take(20) {
                        let _ = writeln!(s, "        {name}: {line}");
                    }
                }
            }
        }
        for d in &sc.deliveries {
            let _ = writeln!(s, "      {}", delivery_line(d));
        }
        for f in &sc.failures {
            let _ = writeln!(s, "      ✗ {}", super::failure_line(f));
        }
    }
    let _ = writeln!(s, "\nhookrig: {}", super::summary(state));
    s
}

/// `parse.success → delivered after 3 attempts: 503 @0s, timeout @1s, 200 @33s`.
pub fn delivery_line(d: &DeliveryState) -> String {
    let outcome = d.outcome.map_or("unfinished", |o| o.as_str());
    let attempts: Vec<String> = d
        .attempts
        .iter()
        .map(|a| {
            let what = match (a.status(), a.error()) {
                (_, Some(e)) => e.to_owned(),
                (Some(st), None) => st.to_string(),
                (None, None) => "?".to_owned(),
            };
            format!("{what} @{}", fmt_duration(a.at()))
        })
        .collect();
    let n = d.attempts.len();
    if attempts.is_empty() {
        format!("{} → {outcome}", d.event_type)
    } else {
        format!(
            "{} → {outcome} after {n} attempt{}: {}",
            d.event_type,
            if n == 1 { "" } else { "s" },
            attempts.join(", ")
        )
    }
}
