//! Wall-clock time, injected.
//!
//! Signatures and payload timestamps read a [`Clock`], never `SystemTime::now()`
//! directly. In sim mode the clock is a fixed epoch plus the virtual time elapsed on the
//! paused tokio clock, so a retry 155 minutes later carries a timestamp 155 minutes later
//! and the same run always produces the same bytes.

use std::sync::Arc;
use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// The fixed epoch of sim mode: 2025-01-01T00:00:00Z.
pub const SIM_EPOCH_UNIX: i64 = 1_735_689_600;

/// A source of wall-clock time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Time since the Unix epoch.
    fn now(&self) -> Duration;

    /// Time since the Unix epoch when the tokio clock reads `tokio_now`, for a caller that
    /// has just read the tokio clock (`tokio_now` must be its reading now): a clock that
    /// follows tokio's ([`SimClock`]) computes it from that reading instead of reading the
    /// tokio clock again (a mutex under a paused runtime); any other reads itself.
    fn now_at(&self, tokio_now: tokio::time::Instant) -> Duration {
        let _ = tokio_now;
        self.now()
    }
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;

/// The system's wall clock (live mode).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// A fixed epoch plus the time elapsed on the tokio clock since the clock was made. Under
/// a paused runtime that is virtual time.
#[derive(Debug, Clone)]
pub struct SimClock {
    epoch: Duration,
    start: tokio::time::Instant,
}

impl SimClock {
    /// A clock reading `epoch_unix` seconds now. Must be called inside a tokio runtime.
    pub fn new(epoch_unix: i64) -> Self {
        Self {
            epoch: Duration::from_secs(epoch_unix.max(0) as u64),
            start: tokio::time::Instant::now(),
        }
    }

    /// The clock's reading at `offset` after it was made.
    pub fn at(&self, offset: Duration) -> Duration {
        self.epoch + offset
    }
}

impl Clock for SimClock {
    fn now(&self) -> Duration {
        self.epoch + self.start.elapsed()
    }

    fn now_at(&self, tokio_now: tokio::time::Instant) -> Duration {
        // What `elapsed` gives (tokio's `Instant` subtraction saturates at zero).
        self.epoch + tokio_now.saturating_duration_since(self.start)
    }
}

/// A clock frozen at one instant (tests, fixtures).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Duration);

impl Clock for FixedClock {
    fn now(&self) -> Duration {
        self.0
    }
}

/// Whole seconds since the Unix epoch.
pub fn unix_secs(t: Duration) -> i64 {
    t.as_secs() as i64
}

/// Seconds since the epoch as a float with microsecond precision (LlamaCloud's form).
pub fn unix_float(t: Duration) -> f64 {
    t.as_micros() as f64 / 1e6
}

/// ISO-8601 / RFC 3339 in UTC with a `Z` suffix and millisecond precision,
/// e.g. `2025-01-01T00:05:00.000Z`.
pub fn iso_z(t: Duration) -> String {
    rfc3339(t, Some(3), true)
}

/// ISO-8601 in UTC with a `+00:00` offset, the form of Python's
/// `datetime.now(timezone.utc).isoformat()` (Crawl4AI): microseconds when there are any
/// (`2025-01-01T00:00:00.001500+00:00`), none when they are zero (`2025-01-01T00:00:00+00:00`).
pub fn iso_python_utc(t: Duration) -> String {
    rfc3339(t, None, false)
}

/// RFC 3339 in UTC: `digits` fraction digits (0 to 9, truncated; `None`: Python's
/// `isoformat()`, six when the microseconds are not zero, none when they are) and a `Z`
/// (`zulu`) or `+00:00` offset.
pub fn rfc3339(t: Duration, digits: Option<u8>, zulu: bool) -> String {
    rfc3339_at(t, digits, (!zulu).then_some(0))
}

/// RFC 3339 of `t` as local time at a UTC offset of `offset_minutes` (`None`: UTC written
/// `Z`; `Some(0)`: `+00:00`; `Some(-240)`: `-04:00`, as Shopify writes a shop's times),
/// with `digits` fraction digits as in [`rfc3339`]. An offset outside ±23:59 is UTC.
pub fn rfc3339_at(t: Duration, digits: Option<u8>, offset_minutes: Option<i16>) -> String {
    let minutes = offset_minutes.unwrap_or(0);
    let offset = UtcOffset::from_whole_seconds(i32::from(minutes) * 60).unwrap_or(UtcOffset::UTC);
    let dt = to_datetime(t).to_offset(offset);
    // Written digit by digit into one buffer (templates call this per delivery, and the
    // `format!`s it took were ≈ 1.5 % of a sim replay's time); a year `{:04}` would not
    // write as four digits falls back to the formatter.
    // Sized exactly: the text is kept (a generated event's data holds it while its delivery
    // waits to retry, 100,000 of them in a storm).
    let fraction_len = match digits {
        None if dt.microsecond() == 0 => 0,
        None => 7,
        Some(0) => 0,
        Some(d) => 1 + usize::from(d.min(9)),
    };
    let zone_len = if offset_minutes.is_some() { 6 } else { 1 };
    let mut out = String::with_capacity(19 + fraction_len + zone_len);
    let year = dt.year();
    if (0..=9999).contains(&year) {
        push_digits(&mut out, year as u32, 4);
    } else {
        out.push_str(&format!("{year:04}"));
    }
    out.push('-');
    push_digits(&mut out, u32::from(u8::from(dt.month())), 2);
    out.push('-');
    push_digits(&mut out, u32::from(dt.day()), 2);
    out.push('T');
    push_digits(&mut out, u32::from(dt.hour()), 2);
    out.push(':');
    push_digits(&mut out, u32::from(dt.minute()), 2);
    out.push(':');
    push_digits(&mut out, u32::from(dt.second()), 2);
    match digits {
        None => match dt.microsecond() {
            0 => {}
            us => {
                out.push('.');
                push_digits(&mut out, us, 6);
            }
        },
        Some(0) => {}
        Some(d) => {
            let d = u32::from(d.min(9));
            out.push('.');
            push_digits(&mut out, dt.nanosecond() / 10u32.pow(9 - d), d as usize);
        }
    }
    match offset_minutes {
        None => out.push('Z'),
        Some(_) => {
            let (h, m, _) = offset.as_hms();
            out.push(if offset.is_negative() { '-' } else { '+' });
            push_digits(&mut out, u32::from(h.unsigned_abs()), 2);
            out.push(':');
            push_digits(&mut out, u32::from(m.unsigned_abs()), 2);
        }
    }
    out
}

/// Appends `n` in decimal, zero-padded to at least `width` digits (as `{n:0width$}`).
fn push_digits(out: &mut String, n: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len().saturating_sub(width));
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[start..]).unwrap_or_default());
}

/// Reads an RFC 3339 offset as [`rfc3339_at`] takes it: `Z` is `None`, `+HH:MM` or
/// `-HH:MM` (hours 0–23, minutes 0–59) its minutes east of UTC.
pub fn parse_utc_offset(s: &str) -> Option<Option<i16>> {
    if s == "Z" {
        return Some(None);
    }
    let b = s.as_bytes();
    if b.len() != 6 || b[3] != b':' || !matches!(b[0], b'+' | b'-') {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i16> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (h, m) = (digits(1..3)?, digits(4..6)?);
    if h > 23 || m > 59 {
        return None;
    }
    let minutes = h * 60 + m;
    Some(Some(if b[0] == b'-' { -minutes } else { minutes }))
}

/// Parses an RFC 3339 timestamp into time since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<Duration> {
    let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    let nanos = dt.unix_timestamp_nanos();
    (nanos >= 0).then(|| Duration::from_nanos(nanos as u64))
}

fn to_datetime(t: Duration) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(t.as_nanos() as i128)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_sim_clock_given_the_tokio_reading_reads_what_it_reads_itself() {
        // Arrange
        let clock = SimClock::new(SIM_EPOCH_UNIX);
        let fixed = FixedClock(Duration::from_secs(42));

        for step in [0, 1, 999, 5_000, 3_600_000] {
            // Act
            tokio::time::advance(Duration::from_millis(step)).await;
            let at = clock.now_at(tokio::time::Instant::now());

            // Assert
            assert_eq!(at, clock.now(), "after {step} ms more");
            assert_eq!(fixed.now_at(tokio::time::Instant::now()), fixed.now());
        }
    }

    #[test]
    fn iso_forms_match_the_providers() {
        let t = Duration::from_secs(SIM_EPOCH_UNIX as u64) + Duration::from_micros(1_500);
        assert_eq!(iso_z(t), "2025-01-01T00:00:00.001Z");
        assert_eq!(iso_python_utc(t), "2025-01-01T00:00:00.001500+00:00");
        let whole = Duration::from_secs(SIM_EPOCH_UNIX as u64);
        assert_eq!(iso_python_utc(whole), "2025-01-01T00:00:00+00:00");
        assert_eq!(
            parse_rfc3339(&iso_z(t)),
            Some(Duration::from_millis(SIM_EPOCH_UNIX as u64 * 1000 + 1))
        );
    }

    /// `rfc3339_at` as it was written with `format!`, to compare the digit writer with.
    fn rfc3339_at_formatted(
        t: Duration,
        digits: Option<u8>,
        offset_minutes: Option<i16>,
    ) -> String {
        let minutes = offset_minutes.unwrap_or(0);
        let offset =
            UtcOffset::from_whole_seconds(i32::from(minutes) * 60).unwrap_or(UtcOffset::UTC);
        let dt = to_datetime(t).to_offset(offset);
        let fraction = match digits {
            None => match dt.microsecond() {
                0 => String::new(),
                us => format!(".{us:06}"),
            },
            Some(0) => String::new(),
            Some(d) => {
                let d = u32::from(d.min(9));
                let n = dt.nanosecond() / 10u32.pow(9 - d);
                format!(".{n:0width$}", width = d as usize)
            }
        };
        let zone = match offset_minutes {
            None => "Z".to_owned(),
            Some(_) => {
                let (h, m, _) = offset.as_hms();
                let sign = if offset.is_negative() { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
            }
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}{zone}",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
        )
    }

    #[test]
    fn the_digit_writer_gives_what_the_formatter_gave_for_every_precision_and_offset() {
        let mut rng = crate::rng::RunRng::new(18);
        let mut times = vec![
            Duration::ZERO,
            Duration::from_secs(SIM_EPOCH_UNIX as u64),
            Duration::from_secs(SIM_EPOCH_UNIX as u64) + Duration::from_nanos(1),
            // The last day of year 9999 less a day, so that no offset moves it past 9999.
            Duration::from_secs(253_402_214_399) + Duration::from_nanos(999_999_999),
        ];
        for _ in 0..2_000 {
            times.push(
                Duration::from_secs(rng.u64() % 253_402_214_399)
                    + Duration::from_nanos(rng.u64() % 1_000_000_000),
            );
        }
        let digits = [None, Some(0), Some(1), Some(3), Some(6), Some(9), Some(12)];
        let offsets = [
            None,
            Some(0),
            Some(-240),
            Some(330),
            Some(-1439),
            Some(1439),
            Some(1440),
        ];
        for t in times {
            for d in digits {
                for o in offsets {
                    assert_eq!(
                        rfc3339_at(t, d, o),
                        rfc3339_at_formatted(t, d, o),
                        "{t:?} {d:?} {o:?}"
                    );
                }
            }
        }
        let t = Duration::from_secs(SIM_EPOCH_UNIX as u64) + Duration::from_micros(1_500);
        for (d, o) in [
            (None, None),
            (Some(3), Some(-240)),
            (Some(9), None),
            (Some(0), Some(0)),
        ] {
            let text = rfc3339_at(t, d, o);
            assert_eq!(
                text.capacity(),
                text.len(),
                "{text}: kept, so sized exactly"
            );
        }
        let mut s = String::new();
        push_digits(&mut s, 4_294_967_295, 2);
        push_digits(&mut s, 7, 9);
        assert_eq!(s, "4294967295000000007");
    }

    #[test]
    fn a_time_is_written_as_local_time_at_any_whole_minute_offset() {
        let whole = Duration::from_secs(SIM_EPOCH_UNIX as u64);

        let shop = rfc3339_at(whole, Some(0), parse_utc_offset("-04:00").unwrap());
        let commit = rfc3339_at(whole, Some(0), parse_utc_offset("+02:00").unwrap());
        let india = rfc3339_at(whole, Some(3), parse_utc_offset("+05:30").unwrap());

        assert_eq!(shop, "2024-12-31T20:00:00-04:00");
        assert_eq!(commit, "2025-01-01T02:00:00+02:00");
        assert_eq!(india, "2025-01-01T05:30:00.000+05:30");
        assert_eq!(rfc3339_at(whole, None, None), "2025-01-01T00:00:00Z");
        assert_eq!(parse_utc_offset("Z"), Some(None));
        for bad in ["+24:00", "-04:60", "04:00", "+4:00", "+04:00:00", "UTC", ""] {
            assert_eq!(parse_utc_offset(bad), None, "{bad}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_sim_clock_follows_virtual_time() {
        let clock = SimClock::new(SIM_EPOCH_UNIX);
        tokio::time::sleep(Duration::from_secs(300)).await;
        assert_eq!(unix_secs(clock.now()), SIM_EPOCH_UNIX + 300);
    }
}
