//! The load curve: requests per second of virtual time, kept as one counter per second
//! that saw a request (never one record per request), with its peak and a downsampled
//! form for drawing (`columns`: the busiest second of each column, so a peak never
//! disappears into an average).

use std::collections::BTreeMap;

/// Requests per second of virtual time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    counts: BTreeMap<u64, u64>,
    total: u64,
}

impl Series {
    /// Counts one request arriving in `second`.
    pub fn add(&mut self, second: u64) {
        *self.counts.entry(second).or_insert(0) += 1;
        self.total += 1;
    }

    /// Every request counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// `(second, requests)` for every second with requests, in order.
    pub fn points(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().map(|(s, n)| (*s, *n))
    }

    /// How many seconds saw a request.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no request was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The busiest second and its requests (the earliest of equals); `(0, 0)` when empty.
    pub fn peak(&self) -> (u64, u64) {
        self.counts.iter().fold(
            (0, 0),
            |best, (s, n)| if *n > best.1 { (*s, *n) } else { best },
        )
    }

    /// The last second with a request (0 when empty).
    pub fn last_second(&self) -> u64 {
        self.counts.keys().next_back().copied().unwrap_or(0)
    }

    /// The seconds `0..=until` cut into `n` equal columns (at least one second each):
    /// each column's busiest second, and how many seconds a column spans.
    pub fn columns(&self, until: u64, n: usize) -> (Vec<u64>, u64) {
        let n = n.max(1) as u64;
        let width = (until + 1).div_ceil(n).max(1);
        let cols = (until + 1).div_ceil(width) as usize;
        let mut out = vec![0u64; cols];
        for (s, c) in self.points() {
            if let Some(slot) = out.get_mut((s / width) as usize) {
                *slot = (*slot).max(c);
            }
        }
        (out, width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(seconds: &[u64]) -> Series {
        let mut s = Series::default();
        for x in seconds {
            s.add(*x);
        }
        s
    }

    #[test]
    fn the_peak_is_the_busiest_second_and_the_earliest_of_equals() {
        let s = series(&[0, 3, 3, 5, 5, 9]);

        assert_eq!(s.peak(), (3, 2));
        assert_eq!(s.total(), 6);
        assert_eq!(
            s.points().collect::<Vec<_>>(),
            [(0, 1), (3, 2), (5, 2), (9, 1)]
        );
    }

    #[test]
    fn a_column_keeps_its_busiest_second_not_its_average() {
        let s = series(&[0, 1, 1, 1, 7]);

        let (cols, width) = s.columns(7, 2);

        assert_eq!(width, 4);
        assert_eq!(cols, [3, 1]);
    }

    #[test]
    fn columns_are_never_narrower_than_a_second() {
        let (cols, width) = series(&[2]).columns(2, 60);

        assert_eq!(width, 1);
        assert_eq!(cols, [0, 0, 1]);
    }
}
