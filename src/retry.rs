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
    /// Whether `Retry-After` on 429/503 lengthens the wait.
    pub honour_retry_after: bool,
    /// Whether 410 Gone disables the endpoint.
    pub disable_on_410: bool,
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
    /// 410 under a profile that disables endpoints: this and every later attempt to the
    /// endpoint stop.
    Disable,
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

    /// The wait after attempt `k` given the answer's `Retry-After` (already parsed), if
    /// the profile honours it for this status.
    pub fn wait_with_retry_after(
        &self,
        k: u32,
        status: Option<u16>,
        retry_after: Option<Duration>,
    ) -> Duration {
        let base = self.wait_after(k);
        match (self.honour_retry_after, status, retry_after) {
            (true, Some(429 | 503), Some(ra)) => base.max(ra.min(RETRY_AFTER_CAP)),
            _ => base,
        }
    }

    /// The shortest and the longest wait the policy can schedule after attempt `k` given
    /// the answer's status and `Retry-After`: one value while the policy is exact; a rule
    /// that draws or clamps waits (jitter) widens the range here, and live mode's time
    /// scale reads it (`runner::scale`) so a drawn wait can never be too short to tell
    /// apart.
    pub fn wait_range(
        &self,
        k: u32,
        status: Option<u16>,
        retry_after: Option<Duration>,
    ) -> (Duration, Duration) {
        let w = self.wait_with_retry_after(k, status, retry_after);
        (w, w)
    }

    /// What the sender does after an attempt that ended with `result`.
    pub fn classify(&self, result: AttemptResult) -> Verdict {
        match result {
            AttemptResult::Status(s) if (200..300).contains(&s) => Verdict::Delivered,
            AttemptResult::Status(410) if self.disable_on_410 => Verdict::Disable,
            AttemptResult::Status(s) => match self.retry_on {
                RetryOn::AnyFailure => Verdict::Retry,
                RetryOn::ServerErrors if s >= 500 => Verdict::Retry,
                RetryOn::ServerErrors => Verdict::GiveUp,
            },
            AttemptResult::Timeout | AttemptResult::Connection => Verdict::Retry,
            AttemptResult::TooManyRedirects => Verdict::GiveUp,
        }
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
            honour_retry_after: false,
            disable_on_410: false,
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
        p.honour_retry_after = true;
        assert_eq!(
            p.wait_with_retry_after(1, Some(429), Some(Duration::from_secs(10))),
            Duration::from_secs(300)
        );
        assert_eq!(
            p.wait_with_retry_after(1, Some(503), Some(Duration::from_secs(900))),
            Duration::from_secs(900)
        );
        assert_eq!(
            p.wait_with_retry_after(1, Some(500), Some(Duration::from_secs(900))),
            Duration::from_secs(300)
        );
        assert_eq!(
            p.wait_with_retry_after(1, Some(429), Some(Duration::from_secs(999_999))),
            RETRY_AFTER_CAP
        );
    }
}
