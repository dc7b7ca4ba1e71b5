//! Retry rules as data: how many attempts, how long to wait after each failed one, and
//! which outcomes of an attempt are retried. Pure: nothing here sleeps or reads a clock.

use std::time::Duration;

/// The longest a `Retry-After` answer can push a wait (24 h).
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(24 * 3600);

/// The waits between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backoff {
    /// Wait k = min(initial · 2^(k−1), cap).
    Exponential {
        /// The first wait.
        initial: Duration,
        /// No wait is longer than this.
        cap: Duration,
    },
    /// Wait k is the k-th entry of the table (the last repeats if attempts outnumber it).
    Table(Vec<Duration>),
}

/// A profile's retry policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Waits between them.
    pub backoff: Backoff,
    /// Per-attempt (per-hop) timeout.
    pub timeout: Duration,
    /// Which answers are retried.
    pub retry_on: RetryOn,
    /// Redirect hops followed by hand inside one attempt (0 = a 3xx is just an answer).
    pub max_redirects: u8,
    /// The statuses that are redirects to follow (with a `Location`), when
    /// `max_redirects` is above 0.
    pub redirect_statuses: Vec<u16>,
    /// What a `Retry-After` on a failed answer does to the next wait.
    pub retry_after: RetryAfter,
    /// A longer least wait after an overload (a timeout, a 429), if the provider has one.
    pub overload: Option<Overload>,
    /// The wait is drawn uniformly within ± this many percent of its planned length
    /// (0 = exact).
    pub jitter_percent: u8,
    /// A connection error within this long of the request's start is sent once more at
    /// once, inside the same attempt (svix-server's "insta-retry").
    pub resend_quick_connection_error: Option<Duration>,
    /// Statuses that disable the endpoint (Standard Webhooks: 410 Gone): this and every
    /// later attempt to it stop.
    pub disable_on: Vec<u16>,
    /// A response header (name, value) that, on a failed answer, stops the delivery's
    /// retries (Slack's `X-Slack-No-Retry: 1`).
    pub stop_header: Option<(String, String)>,
}

/// The redirect statuses followed when a profile override turns redirects on without
/// naming them (the ones Crawl4AI follows, `deploy/docker/webhook.py`).
pub const REDIRECT_STATUSES: &[u16] = &[301, 302, 303, 307, 308];

/// What a `Retry-After` header on a failed answer does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryAfter {
    /// Nothing.
    Ignored,
    /// On these statuses the wait becomes max(scheduled wait, Retry-After), at most `cap`.
    Lengthens {
        /// The statuses it is read on.
        statuses: Vec<u16>,
        /// The longest wait it can make.
        cap: Duration,
    },
    /// On any failed answer the wait becomes Retry-After clamped to
    /// [scheduled wait, `max_factor` × scheduled wait] (svix-server's `limit_retry_delay`).
    Clamped {
        /// The most the wait can grow to, as a multiple of the scheduled wait.
        max_factor: u32,
    },
}

impl RetryAfter {
    /// The Standard Webhooks rule: 429 and 503 lengthen the wait, at most 24 h.
    pub fn standard() -> Self {
        RetryAfter::Lengthens {
            statuses: vec![429, 503],
            cap: RETRY_AFTER_CAP,
        }
    }

    /// Whether any `Retry-After` is read.
    pub fn honoured(&self) -> bool {
        !matches!(self, RetryAfter::Ignored)
    }
}

/// After an overload the next wait is at least `min_wait`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overload {
    /// The least wait after an overload.
    pub min_wait: Duration,
    /// Whether a timeout counts as an overload.
    pub on_timeout: bool,
    /// The statuses that count as an overload.
    pub statuses: Vec<u16>,
}

/// Which answers are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOn {
    /// Any non-2xx answer, a timeout, a connection error.
    AnyFailure,
    /// Status ≥ 500, a timeout, a connection error; any other non-2xx ends the delivery.
    ServerErrors,
}

/// How one attempt ended, as the sender saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// An HTTP answer with this status.
    Status(u16),
    /// No answer within the timeout.
    Timeout,
    /// The connection failed or closed without an answer.
    Connection,
    /// Redirects followed past the profile's limit.
    TooManyRedirects,
}

/// What the sender does after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: the delivery is done.
    Delivered,
    /// Try again after the scheduled wait (if attempts remain).
    Retry,
    /// A non-retryable answer: the delivery ends (`gave_up`).
    GiveUp,
    /// A status the profile disables endpoints on (410 under Standard Webhooks): this and
    /// every later attempt to the endpoint stop.
    Disable,
    /// A failed answer carried the profile's stop header: no more retries (`gave_up`).
    Stop,
}

impl RetryPolicy {
    /// The wait after failed attempt `k` (1-based), before any `Retry-After`.
    pub fn wait_after(&self, k: u32) -> Duration {
        let k = k.max(1);
        match &self.backoff {
            Backoff::Exponential { initial, cap } => {
                let factor = 1u32.checked_shl(k - 1).unwrap_or(u32::MAX);
                initial.checked_mul(factor).unwrap_or(*cap).min(*cap)
            }
            Backoff::Table(table) => table
                .get(k as usize - 1)
                .or(table.last())
                .copied()
                .unwrap_or(Duration::ZERO),
        }
    }

    /// The longest single wait the policy can schedule (before `Retry-After`).
    pub fn max_wait(&self) -> Duration {
        (1..self.attempts)
            .map(|k| self.wait_after(k))
            .max()
            .unwrap_or_default()
    }

    /// The waits in order, one after each failed attempt but the last.
    pub fn waits(&self) -> Vec<Duration> {
        (1..self.attempts).map(|k| self.wait_after(k)).collect()
    }

    /// The wait after failed attempt `k` that ended with `result`, given the answer's
    /// `Retry-After` (already parsed), before jitter: the scheduled wait, raised after an
    /// overload, then changed by `Retry-After` as the profile's rule says.
    pub fn planned_wait(
        &self,
        k: u32,
        result: AttemptResult,
        retry_after: Option<Duration>,
    ) -> Duration {
        let mut wait = self.wait_after(k);
        if let Some(o) = &self.overload {
            let overloaded = match result {
                AttemptResult::Timeout => o.on_timeout,
                AttemptResult::Status(s) => o.statuses.contains(&s),
                _ => false,
            };
            if overloaded {
                wait = wait.max(o.min_wait);
            }
        }
        let status = match result {
            AttemptResult::Status(s) => Some(s),
            _ => None,
        };
        match (&self.retry_after, status, retry_after) {
            (RetryAfter::Lengthens { statuses, cap }, Some(s), Some(ra))
                if statuses.contains(&s) =>
            {
                wait.max(ra.min(*cap))
            }
            (RetryAfter::Clamped { max_factor }, Some(_), Some(ra)) => {
                ra.clamp(wait, wait.saturating_mul(*max_factor))
            }
            _ => wait,
        }
    }

    /// `wait` with the profile's jitter applied, `draw` being a uniformly random number:
    /// a whole number of milliseconds in [wait − p %, wait + p %].
    pub fn jittered(&self, wait: Duration, draw: u64) -> Duration {
        if self.jitter_percent == 0 {
            return wait;
        }
        let (lo, hi) = self.jitter_bounds(wait);
        let (lo, hi) = (lo.as_millis() as u64, hi.as_millis() as u64);
        Duration::from_millis(lo + draw % (hi - lo + 1))
    }

    /// The shortest and longest a jittered `wait` can be (whole milliseconds).
    pub fn jitter_bounds(&self, wait: Duration) -> (Duration, Duration) {
        let ms = wait.as_millis() as u64;
        let p = u64::from(self.jitter_percent);
        let lo = ms.saturating_mul(100 - p.min(100)) / 100;
        let hi = ms.saturating_mul(100 + p).div_ceil(100);
        (Duration::from_millis(lo), Duration::from_millis(hi))
    }

    /// Whether a redirect answer with this status is followed.
    pub fn follows(&self, status: u16) -> bool {
        self.max_redirects > 0 && self.redirect_statuses.contains(&status)
    }

    /// The shortest and the longest wait the policy can schedule after failed attempt `k`
    /// that ended with `result`, given the answer's `Retry-After`: the planned wait (the
    /// overload floor and the `Retry-After` rule applied, a clamp included), widened by
    /// the jitter a jittering policy draws from it. Live mode's time scale reads it
    /// (`runner::scale`), so a drawn wait can never be too short to tell apart.
    pub fn wait_range(
        &self,
        k: u32,
        result: AttemptResult,
        retry_after: Option<Duration>,
    ) -> (Duration, Duration) {
        let planned = self.planned_wait(k, result, retry_after);
        if self.jitter_percent == 0 {
            (planned, planned)
        } else {
            self.jitter_bounds(planned)
        }
    }

    /// What the sender does after an attempt that ended with `result`.
    pub fn classify(&self, result: AttemptResult) -> Verdict {
        match result {
            AttemptResult::Status(s) if (200..300).contains(&s) => Verdict::Delivered,
            AttemptResult::Status(s) if self.disable_on.contains(&s) => Verdict::Disable,
            AttemptResult::Status(s) => match self.retry_on {
                RetryOn::AnyFailure => Verdict::Retry,
                RetryOn::ServerErrors if s >= 500 => Verdict::Retry,
                RetryOn::ServerErrors => Verdict::GiveUp,
            },
            AttemptResult::Timeout | AttemptResult::Connection => Verdict::Retry,
            // A sender that retries any failure retries this one too (Slack's
            // `too_many_redirects`); one that retries server errors only gives up (Crawl4AI).
            AttemptResult::TooManyRedirects => match self.retry_on {
                RetryOn::AnyFailure => Verdict::Retry,
                RetryOn::ServerErrors => Verdict::GiveUp,
            },
        }
    }

    /// [`RetryPolicy::classify`] with the answer's headers (any pairs of texts: the
    /// recorded answer's `Header`s, a module of its own being a leaf): a failed answer
    /// carrying the profile's stop header stops the retries.
    pub fn classify_answer<K: AsRef<str>, V: AsRef<str>>(
        &self,
        result: AttemptResult,
        headers: &[(K, V)],
    ) -> Verdict {
        let verdict = self.classify(result);
        if verdict == Verdict::Retry
            && let Some((name, value)) = &self.stop_header
            && headers
                .iter()
                .any(|(k, v)| k.as_ref().eq_ignore_ascii_case(name) && v.as_ref().trim() == value)
        {
            return Verdict::Stop;
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(initial: u64, cap: u64, attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            backoff: Backoff::Exponential {
                initial: Duration::from_secs(initial),
                cap: Duration::from_secs(cap),
            },
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::AnyFailure,
            max_redirects: 0,
            redirect_statuses: Vec::new(),
            retry_after: RetryAfter::Ignored,
            overload: None,
            jitter_percent: 0,
            resend_quick_connection_error: None,
            disable_on: Vec::new(),
            stop_header: None,
        }
    }

    fn svix_like() -> RetryPolicy {
        RetryPolicy {
            backoff: Backoff::Table(vec![Duration::from_secs(5), Duration::from_secs(300)]),
            retry_after: RetryAfter::Clamped { max_factor: 2 },
            overload: Some(Overload {
                min_wait: Duration::from_secs(60),
                on_timeout: true,
                statuses: vec![429],
            }),
            jitter_percent: 20,
            ..exp(1, 1, 3)
        }
    }

    #[test]
    fn exponential_waits_double_up_to_the_cap() {
        let p = exp(1, 32, 8);
        let secs: Vec<u64> = p.waits().iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 32]);
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        assert_eq!(exp(1, 60, 3).wait_after(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn server_errors_policy_gives_up_on_4xx_and_retries_5xx() {
        let mut p = exp(1, 32, 5);
        p.retry_on = RetryOn::ServerErrors;
        assert_eq!(p.classify(AttemptResult::Status(404)), Verdict::GiveUp);
        assert_eq!(p.classify(AttemptResult::Status(304)), Verdict::GiveUp);
        assert_eq!(p.classify(AttemptResult::Status(502)), Verdict::Retry);
        assert_eq!(p.classify(AttemptResult::Timeout), Verdict::Retry);
    }

    #[test]
    fn retry_after_lengthens_but_never_shortens_the_wait() {
        let mut p = exp(300, 300, 3);
        p.retry_after = RetryAfter::standard();
        let ra = |s: u64| Some(Duration::from_secs(s));
        assert_eq!(
            p.planned_wait(1, AttemptResult::Status(429), ra(10)),
            Duration::from_secs(300)
        );
        assert_eq!(
            p.planned_wait(1, AttemptResult::Status(503), ra(900)),
            Duration::from_secs(900)
        );
        assert_eq!(
            p.planned_wait(1, AttemptResult::Status(500), ra(900)),
            Duration::from_secs(300)
        );
        assert_eq!(
            p.planned_wait(1, AttemptResult::Status(429), ra(999_999)),
            RETRY_AFTER_CAP
        );
    }

    #[test]
    fn a_clamped_retry_after_stays_between_the_wait_and_twice_the_wait() {
        let p = svix_like();
        let ra = |s: u64| Some(Duration::from_secs(s));
        let at = |s, r| p.planned_wait(1, AttemptResult::Status(s), r);
        assert_eq!(at(500, ra(1)), Duration::from_secs(5));
        assert_eq!(at(500, ra(7)), Duration::from_secs(7));
        assert_eq!(at(404, ra(3600)), Duration::from_secs(10));
        assert_eq!(at(302, None), Duration::from_secs(5));
    }

    #[test]
    fn a_timeout_or_a_429_waits_at_least_the_overload_penalty() {
        let p = svix_like();
        assert_eq!(
            p.planned_wait(1, AttemptResult::Timeout, None),
            Duration::from_secs(60)
        );
        assert_eq!(
            p.planned_wait(1, AttemptResult::Status(429), None),
            Duration::from_secs(60)
        );
        assert_eq!(
            p.planned_wait(1, AttemptResult::Status(503), None),
            Duration::from_secs(5)
        );
        assert_eq!(
            p.planned_wait(2, AttemptResult::Timeout, None),
            Duration::from_secs(300),
            "the penalty is a floor, not an addition"
        );
        // The penalty comes first, then Retry-After is clamped around it.
        assert_eq!(
            p.planned_wait(
                1,
                AttemptResult::Status(429),
                Some(Duration::from_secs(3600))
            ),
            Duration::from_secs(120)
        );
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_covers_the_range() {
        let p = svix_like();
        let wait = Duration::from_secs(300);
        let (lo, hi) = p.jitter_bounds(wait);
        assert_eq!(
            (lo, hi),
            (Duration::from_secs(240), Duration::from_secs(360))
        );
        let draws: Vec<Duration> = (0..10_000u64)
            .map(|i| p.jittered(wait, i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
            .collect();
        assert!(draws.iter().all(|d| (lo..=hi).contains(d)));
        assert!(draws.iter().any(|d| *d < Duration::from_secs(250)));
        assert!(draws.iter().any(|d| *d > Duration::from_secs(350)));
        assert_eq!(exp(1, 1, 2).jittered(wait, 12345), wait, "no jitter, exact");
    }

    #[test]
    fn the_wait_range_spans_the_jitter_around_the_overload_floor_and_the_retry_after_clamp() {
        let p = svix_like();
        let secs = |s: u64| Duration::from_secs(s);

        // A plain failure: 5 s ± 20 %.
        assert_eq!(
            p.wait_range(1, AttemptResult::Status(500), None),
            (secs(4), secs(6))
        );
        // A timeout: the 60 s overload floor, ± 20 %.
        assert_eq!(
            p.wait_range(1, AttemptResult::Timeout, None),
            (secs(48), secs(72))
        );
        // Retry-After 3600 clamped to twice the 5 s wait, ± 20 %.
        assert_eq!(
            p.wait_range(1, AttemptResult::Status(500), Some(secs(3600))),
            (secs(8), secs(12))
        );
        // An exact policy: one value.
        let exact = RetryPolicy {
            jitter_percent: 0,
            ..svix_like()
        };
        assert_eq!(
            exact.wait_range(1, AttemptResult::Status(429), None),
            (secs(60), secs(60))
        );
    }

    #[test]
    fn only_the_listed_redirect_statuses_are_followed() {
        let mut p = exp(1, 1, 2);
        p.max_redirects = 5;
        p.redirect_statuses = REDIRECT_STATUSES.to_vec();
        for s in [301, 302, 303, 307, 308] {
            assert!(p.follows(s), "{s}");
        }
        for s in [300, 304, 305, 306] {
            assert!(!p.follows(s), "{s}");
        }
        p.max_redirects = 0;
        assert!(!p.follows(302));
    }

    #[test]
    fn a_stop_header_on_a_failed_answer_stops_the_retries() {
        let mut p = exp(1, 1, 4);
        p.stop_header = Some(("X-Slack-No-Retry".into(), "1".into()));
        let with = vec![("x-slack-no-retry".to_owned(), "1".to_owned())];
        assert_eq!(
            p.classify_answer(AttemptResult::Status(503), &with),
            Verdict::Stop
        );
        assert_eq!(
            p.classify_answer(AttemptResult::Status(503), &[] as &[(String, String)]),
            Verdict::Retry
        );
        assert_eq!(
            p.classify_answer(AttemptResult::Status(200), &with),
            Verdict::Delivered
        );
    }

    #[test]
    fn too_many_redirects_is_retried_only_by_a_profile_that_retries_any_failure() {
        let mut p = exp(1, 1, 4);
        assert_eq!(p.classify(AttemptResult::TooManyRedirects), Verdict::Retry);
        p.retry_on = RetryOn::ServerErrors;
        assert_eq!(p.classify(AttemptResult::TooManyRedirects), Verdict::GiveUp);
    }
}
