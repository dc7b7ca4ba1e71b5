//! Live mode's time scale: how far a scenario's time can be compressed and still be told
//! apart on a real clock.
//!
//! Real sockets on a loaded machine put some milliseconds of noise on every attempt, so a
//! scenario only means the same thing live as in sim while each of its *margins* stays at
//! least [`MIN_MARGIN`] of real time:
//! - between an answer's delay (`after:`) and the profile's timeout, so the answer
//!   reliably comes before (or after) the timeout fires;
//! - between a wait and the schedule tolerance (live: never under [`LIVE_TOLERANCE`] of
//!   real time; a percentage tolerance, a jittered profile's, plus that), so a wait that
//!   was not made, or made twice, fails the schedule check;
//!   an attempt that lasts (delayed answer, timeout) is held to the same margin, for the
//!   same reason (a delivery without a `schedule` check only needs each wait and each
//!   attempt's duration to be 50 ms of real time);
//! - between the `at:` offsets of the events, so deliveries start in the order written.
//!
//! [`margins`] lists a scenario's margins from its sim replay (which waits happen, after
//! which answer, with which `Retry-After`) and the retry policy's own bounds on each wait
//! ([`RetryPolicy::wait_range`]: the overload floor and `Retry-After` clamp applied, then
//! the shortest wait the policy's jitter can draw), and [`choose`] picks the
//! smallest scale that keeps all of them at [`MIN_MARGIN`] — so no scenario runs longer
//! than its own margins force — or, for an explicit scale, names those that fall short.
//!
//! [`RetryPolicy::wait_range`]: crate::retry::RetryPolicy::wait_range

use std::time::Duration;

use crate::faults::{Action, Fault};
use crate::run_state::{AttemptState, ScenarioState};
use crate::scenario::Scenario;
use crate::text::fmt_duration;

/// The least real time a margin may shrink to.
pub const MIN_MARGIN: Duration = Duration::from_millis(50);

/// The least schedule tolerance in live mode, in real time (a scenario's own `tolerance`
/// applies when it is larger).
pub const LIVE_TOLERANCE: Duration = Duration::from_millis(50);

/// The largest time scale (100: every duration lasts a hundred times longer).
pub const MAX_SCALE: f64 = 100.0;

/// How a live run scales time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeScale {
    /// Each scenario at the smallest scale its margins allow.
    Auto,
    /// Every scenario at this scale.
    Fixed(f64),
}

impl std::str::FromStr for TimeScale {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(TimeScale::Auto);
        }
        match s.parse::<f64>() {
            Ok(f) if f > 0.0 && f <= MAX_SCALE => Ok(TimeScale::Fixed(f)),
            Ok(_) => Err(format!(
                "{s} is out of range (more than 0, at most {MAX_SCALE})"
            )),
            Err(_) => Err(format!("`{s}` is neither `auto` nor a number (e.g. 0.01)")),
        }
    }
}

impl std::fmt::Display for TimeScale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimeScale::Auto => f.write_str("auto"),
            TimeScale::Fixed(x) => write!(f, "{x}"),
        }
    }
}

/// One timing margin of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Margin {
    /// What it lies between, in words.
    pub what: String,
    /// Its length in scenario time.
    pub span: Duration,
    /// Whether the live schedule tolerance eats into it (a wait or an attempt's duration
    /// must stand clear of the tolerance to be seen in a schedule check).
    pub against_tolerance: bool,
    /// The scenario's own tolerance for the delivery it belongs to.
    pub tolerance: Duration,
    /// Its percentage tolerance, as a duration: the percentage of the expected distance
    /// between the attempt and the next (a live check adds the live tolerance to it).
    pub tolerance_percent_of_step: Duration,
}

impl Margin {
    /// `the 5s wait after attempt 1 leaves 10 ms of real time beyond the schedule
    /// tolerance`, for a margin of `real`.
    pub fn describe(&self, real: Duration) -> String {
        let beyond = if self.against_tolerance {
            " beyond the schedule tolerance"
        } else {
            ""
        };
        format!(
            "{} leaves {} ms of real time{beyond}",
            self.what,
            real.as_millis()
        )
    }

    /// Its real length at `scale`, less the live tolerance where that eats into it.
    pub fn real_at(&self, scale: f64) -> Duration {
        let span = self.span.mul_f64(scale);
        if self.against_tolerance {
            span.saturating_sub(live_tolerance(
                self.tolerance,
                self.tolerance_percent_of_step,
                scale,
            ))
        } else {
            span
        }
    }

    /// The smallest scale at which it is at least [`MIN_MARGIN`] of real time; `None`
    /// when no scale is enough (the scenario's own tolerance swallows the span).
    pub fn min_scale(&self) -> Option<f64> {
        let span = self.span.as_secs_f64();
        let m = MIN_MARGIN.as_secs_f64();
        if self.against_tolerance {
            // span·s − max(tol·s, pct·s + LIVE) ≥ m
            //   ⇔  (span − tol)·s ≥ m  and  (span − pct)·s ≥ m + LIVE
            let clear = span - self.tolerance.as_secs_f64();
            let clear_of_pct = span - self.tolerance_percent_of_step.as_secs_f64();
            (clear > 0.0 && clear_of_pct > 0.0)
                .then(|| (m / clear).max((m + LIVE_TOLERANCE.as_secs_f64()) / clear_of_pct))
        } else {
            (span > 0.0).then(|| m / span)
        }
    }
}

/// The live schedule tolerance at `scale`, in real time: the scenario's own, or its
/// percentage (`percent`, as a duration of scenario time) plus [`LIVE_TOLERANCE`], or
/// [`LIVE_TOLERANCE`] alone, whichever is largest (as a live check allows).
pub fn live_tolerance(tolerance: Duration, percent: Duration, scale: f64) -> Duration {
    tolerance
        .mul_f64(scale)
        .max(percent.mul_f64(scale) + LIVE_TOLERANCE)
}

/// The scale a scenario runs at, and how its margins fare there.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// Real time = scenario time × this.
    pub scale: f64,
    /// Whether it was chosen from the margins.
    pub auto: bool,
    /// The scale `auto` picks for the scenario (the same as `scale` when `auto`).
    pub auto_scale: f64,
    /// The narrowest margin at `scale` (real time) and what it lies between.
    pub narrowest: Option<(Duration, String)>,
    /// Margins under [`MIN_MARGIN`] at `scale`, the narrowest first: an explicit scale
    /// too small for the scenario, or margins no scale up to [`MAX_SCALE`] can widen
    /// enough.
    pub short: Vec<(Duration, Margin)>,
    /// How long the scenario's sim replay lasts, in scenario time (its real duration is
    /// about this × `scale`).
    pub span: Duration,
}

impl Choice {
    /// Roughly how long the scenario takes live.
    pub fn real_duration(&self) -> Duration {
        self.span.mul_f64(self.scale)
    }
}

/// A scenario's margins, from its sim replay `trace` (the reduced state of
/// [`run_scenario_sim`](super::run_scenario_sim)).
pub fn margins(s: &Scenario, trace: &ScenarioState) -> Vec<Margin> {
    let policy = &s.profile.retry;
    let mut out = Vec::new();
    // Every answer against the timeout (each redirect hop has its own): a delayed one must
    // come clearly before or after it, and even an immediate one (or a dropped
    // connection) takes a real round trip that must fit well inside it.
    let timeout = policy.timeout;
    for step in s.receiver.steps() {
        let (delay, what) = match &step.action {
            Action::Respond {
                dribble: Some(d), ..
            } => (
                d.over,
                format!("a body dribbled over {}", fmt_duration(d.over)),
            ),
            Action::Respond { after, .. } if after.is_zero() => {
                (Duration::ZERO, "an immediate answer".to_owned())
            }
            Action::Respond { after, .. } => {
                (*after, format!("an answer after {}", fmt_duration(*after)))
            }
            Action::Fault(Fault::Drop | Fault::Reset | Fault::Malformed) => {
                (Duration::ZERO, "a closed connection".to_owned())
            }
            Action::Fault(Fault::Hang | Fault::Stall) => continue,
        };
        let m = Margin {
            what: format!("{what} and the {} timeout", fmt_duration(timeout)),
            span: delay.abs_diff(timeout),
            against_tolerance: false,
            tolerance: Duration::ZERO,
            tolerance_percent_of_step: Duration::ZERO,
        };
        if !out.contains(&m) {
            out.push(m);
        }
    }
    let several = trace.deliveries.len() > 1;
    for (di, d) in trace.deliveries.iter().enumerate() {
        // Only a schedule check needs a wait to stand clear of the tolerance; without
        // one, a wait still has to be a wait (50 ms) for the deliveries' order to hold.
        let checked = s
            .expect
            .iter()
            .find(|x| x.delivery == di && x.schedule.is_some());
        let against_tolerance = checked.is_some();
        let tolerance = checked.map(|x| x.tolerance).unwrap_or_default();
        // A percentage tolerance is of the expected distance from an attempt to the next:
        // the schedule's, or the replay's past the end of the schedule.
        let percent_of_step = |a: &AttemptState| -> Duration {
            let Some(x) = checked.filter(|x| x.tolerance_percent > 0) else {
                return Duration::ZERO;
            };
            let want = x.schedule.as_deref().unwrap_or_default();
            let n = a.n as usize;
            let step = match (n.checked_sub(1).and_then(|i| want.get(i)), want.get(n)) {
                (Some(this), Some(next)) => next.saturating_sub(*this),
                _ => a.latency.unwrap_or_default() + a.wait_after.unwrap_or_default(),
            };
            step.mul_f64(f64::from(x.tolerance_percent) / 100.0)
        };
        let of = if several {
            format!(" of event {di}")
        } else {
            String::new()
        };
        for a in &d.attempts {
            // How long the attempt lasted (answer delays, timeouts) is part of the
            // schedule too.
            if let Some(lat) = a.latency.filter(|l| !l.is_zero()) {
                out.push(Margin {
                    what: format!("attempt {}{of} lasting {}", a.n, fmt_duration(lat)),
                    span: lat,
                    against_tolerance,
                    tolerance,
                    tolerance_percent_of_step: percent_of_step(a),
                });
            }
            let Some(waited) = a.wait_after else {
                continue;
            };
            let result = a.result.unwrap_or(crate::retry::AttemptResult::Connection);
            let retry_after = a.response.as_ref().and_then(|r| {
                let now = Duration::from_secs(crate::clock::SIM_EPOCH_UNIX as u64) + a.at();
                crate::sender::retry_after(&r.headers, now)
            });
            let (shortest, _) = policy.wait_range(a.n, result, retry_after);
            let wait = shortest.min(waited);
            if wait.is_zero() {
                // "Nearly immediately" (Slack's first retry): nothing to tell apart; the
                // live tolerance covers the next attempt's latency.
                continue;
            }
            out.push(Margin {
                what: format!("the {} wait after attempt {}{of}", fmt_duration(wait), a.n),
                span: wait,
                against_tolerance,
                tolerance,
                tolerance_percent_of_step: percent_of_step(a),
            });
        }
    }
    let mut ats: Vec<Duration> = s.events.iter().map(|e| e.at).collect();
    ats.sort();
    ats.dedup();
    for pair in ats.windows(2) {
        out.push(Margin {
            what: format!(
                "the events at {} and {}",
                fmt_duration(pair[0]),
                fmt_duration(pair[1])
            ),
            span: pair[1] - pair[0],
            against_tolerance: false,
            tolerance: Duration::ZERO,
            tolerance_percent_of_step: Duration::ZERO,
        });
    }
    out
}

/// The scale of scenario `s` given its sim replay `trace`.
pub fn choose(s: &Scenario, trace: &ScenarioState, scale: TimeScale) -> Choice {
    let mut ms = margins(s, trace);
    if ms.is_empty() && s.profile.retry.attempts > 1 {
        // Nothing in the replay waits; should the live run diverge and retry, its first
        // wait still has to be told apart, and must not take the profile's full time.
        // A plain failure (no overload, no Retry-After): the shortest first wait the
        // policy can draw.
        let (wait, _) =
            s.profile
                .retry
                .wait_range(1, crate::retry::AttemptResult::Status(500), None);
        ms.push(Margin {
            what: format!("the profile's first wait ({})", fmt_duration(wait)),
            span: wait,
            against_tolerance: true,
            tolerance: Duration::ZERO,
            tolerance_percent_of_step: Duration::ZERO,
        });
    }
    let needed = ms
        .iter()
        .filter_map(Margin::min_scale)
        .fold(None, |acc: Option<f64>, x| {
            Some(acc.map_or(x, |a| a.max(x)))
        });
    let auto_scale = round_up(needed.unwrap_or(1.0).min(MAX_SCALE));
    let (scale, auto) = match scale {
        TimeScale::Fixed(f) => (f, false),
        TimeScale::Auto => (auto_scale, true),
    };
    let real: Vec<(Duration, &Margin)> = ms.iter().map(|m| (m.real_at(scale), m)).collect();
    let narrowest = real
        .iter()
        .min_by_key(|(d, _)| *d)
        .map(|(d, m)| (*d, m.what.clone()));
    // A margin that only falls short by rounding (the chosen scale sits exactly on it)
    // is not short.
    let mut short: Vec<(Duration, Margin)> = real
        .into_iter()
        .filter(|(d, _)| *d + Duration::from_micros(10) < MIN_MARGIN)
        .map(|(d, m)| (d, m.clone()))
        .collect();
    short.sort_by_key(|(d, _)| *d);
    Choice {
        scale,
        auto,
        auto_scale,
        narrowest,
        short,
        span: span_of(s, trace),
    }
}

/// `x` rounded up to three significant digits (0.0123456 → 0.0124), so reports print a
/// short number and the margins only grow.
pub fn round_up(x: f64) -> f64 {
    if !(x > 0.0 && x.is_finite()) {
        return x;
    }
    let digits = 2 - x.log10().floor() as i32;
    let f = 10f64.powi(digits);
    let r = (x * f).ceil() / f;
    // `ceil` of a value that is already short (0.1 × 100 = 10.000000000000002) would add
    // a unit; take the plain rounding when it is within a hair of `x`.
    let plain = (x * f).round() / f;
    if (plain - x).abs() <= x * 1e-9 {
        plain
    } else {
        r
    }
}

/// How long a scenario's sim replay lasts: the end of its last attempt (or its last
/// event's offset, when no attempt comes later).
fn span_of(s: &Scenario, trace: &ScenarioState) -> Duration {
    let last_attempt = trace
        .deliveries
        .iter()
        .flat_map(|d| &d.attempts)
        .map(|a| a.started + a.latency.unwrap_or_default())
        .max()
        .unwrap_or_default();
    let last_event = s.events.iter().map(|e| e.at).max().unwrap_or_default();
    last_attempt.max(last_event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(secs: u64, tol: u64) -> Margin {
        Margin {
            what: "w".into(),
            span: Duration::from_secs(secs),
            against_tolerance: true,
            tolerance: Duration::from_secs(tol),
            tolerance_percent_of_step: Duration::ZERO,
        }
    }

    #[test]
    fn a_wait_needs_the_live_tolerance_plus_the_margin_of_real_time() {
        let m = wait(1, 0);

        let s = m.min_scale().unwrap();

        assert!((s - 0.1).abs() < 1e-9, "{s}");
        assert_eq!(m.real_at(s).as_millis(), 50);
    }

    #[test]
    fn a_scenario_tolerance_larger_than_the_live_one_eats_into_the_wait() {
        // 10 s wait, 5 s tolerance: (10 − 5)·s ≥ 50 ms ⇒ s ≥ 0.01, and then 5 s of
        // tolerance is 50 ms real, so the live tolerance adds nothing.
        let m = wait(10, 5);

        let s = m.min_scale().unwrap();

        assert!((s - 0.01).abs() < 1e-9, "{s}");
    }

    #[test]
    fn a_wait_the_scenario_tolerance_swallows_sets_no_scale() {
        assert_eq!(wait(1, 2).min_scale(), None);
    }

    #[test]
    fn a_margin_not_against_the_tolerance_only_needs_fifty_milliseconds() {
        let m = Margin {
            what: "answer".into(),
            span: Duration::from_secs(1),
            against_tolerance: false,
            tolerance: Duration::ZERO,
            tolerance_percent_of_step: Duration::ZERO,
        };

        assert!((m.min_scale().unwrap() - 0.05).abs() < 1e-9);
    }

    /// `text` loaded, replayed in sim mode and given its auto scale.
    fn auto_choice(text: &str) -> Choice {
        let (s, _) = crate::scenario::load::parse_str(std::path::Path::new("t.yaml"), text)
            .expect("valid")
            .remove(0);
        let mut trace = crate::run_state::RunState::default();
        for e in crate::runner::run_scenario_sim(0, &s, &crate::runner::RunOptions::default()) {
            trace.apply(e);
        }
        choose(&s, &trace.scenarios[0], TimeScale::Auto)
    }

    #[test]
    fn a_jittered_wait_is_held_at_its_shortest_draw_clear_of_its_percentage_and_the_live_tolerance()
    {
        // svix: 5 s, drawn within ±20 % (4 s at the least); the check allows 20 % of the
        // 5 s step (1 s) plus the live tolerance: (4 − 1)·s ≥ 50 ms + 50 ms.
        let c = auto_choice(
            "name: t\nprofile: svix\nevents:\n  - type: user.created\nreceiver:\n  - respond: 500\n  - respond: 200\nexpect:\n  schedule: [0s, 5s]\n  tolerance: 20%\n",
        );

        assert_eq!(c.scale, 0.0334);
        let (real, what) = c.narrowest.expect("a margin");
        assert_eq!(what, "the 4s wait after attempt 1");
        assert_eq!(real.as_millis(), 50);
    }

    #[test]
    fn the_overload_floor_and_the_retry_after_clamp_set_the_wait_a_scale_is_chosen_for() {
        // svix, no jitter: a 429 with Retry-After 1 s after attempt 1 waits
        // clamp(1 s, max(5 s, 60 s), 120 s) = 60 s — not the scheduled 5 s.
        let c = auto_choice(
            "name: t\nprofile: { base: svix, jitter_percent: 0 }\nevents:\n  - type: user.created\nreceiver:\n  - respond: 429\n    headers: { Retry-After: \"1\" }\n  - respond: 200\nexpect:\n  schedule: [0s, 1m]\n",
        );

        // The immediate answer against the 30 s timeout is the narrowest, not a 5 s wait.
        assert_eq!(c.scale, 0.00167);
        let (_, what) = c.narrowest.expect("a margin");
        assert_eq!(what, "an immediate answer and the 30s timeout");
    }

    #[test]
    fn scales_round_up_to_three_significant_digits() {
        assert_eq!(round_up(0.1), 0.1);
        assert_eq!(round_up(0.0123456), 0.0124);
        assert_eq!(round_up(1.0 / 3000.0), 0.000334);
        assert_eq!(round_up(2.0), 2.0);
    }

    #[test]
    fn time_scale_parses_auto_and_numbers_in_range() {
        assert_eq!("auto".parse::<TimeScale>(), Ok(TimeScale::Auto));
        assert_eq!("0.01".parse::<TimeScale>(), Ok(TimeScale::Fixed(0.01)));
        assert!(
            "0".parse::<TimeScale>()
                .unwrap_err()
                .contains("out of range")
        );
        assert!("fast".parse::<TimeScale>().unwrap_err().contains("auto"));
    }
}
