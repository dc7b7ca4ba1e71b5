//! The time axis every timeline is drawn on, in the HTML report and in the TUI alike.
//!
//! Waits in a webhook schedule run from a second to days, so time is not drawn in
//! proportion: each stretch between two moments that matter (attempt starts and ends,
//! expected offsets) gets room in proportion to the number of doublings it spans,
//! log2(1 + seconds), on top of any fixed room a view gives it (for its labels). A 1 s
//! wait and an 80 min wait are then both readable wherever they fall, and time only
//! grows to the right. A leaf: it imports nothing of ours.

/// The doublings a stretch of `seconds` spans: log2(1 + seconds), so zero for no time,
/// one for a second, about 12.2 for 80 minutes.
pub fn doublings(seconds: f64) -> f64 {
    (1.0 + seconds).log2()
}

/// The positions of the moments separated by `gaps` (in seconds, each ≥ 0, in time
/// order): the first at `start`, each next one further by `room(i)` (the fixed room the
/// view wants between moments `i` and `i + 1`) plus `per_doubling` times the doublings of
/// the gap, counted as at least `min_doublings`. One more position than gaps.
pub fn positions(
    gaps: &[f64],
    start: f64,
    room: impl Fn(usize) -> f64,
    per_doubling: f64,
    min_doublings: f64,
) -> Vec<f64> {
    let mut x = start;
    let mut out = Vec::with_capacity(gaps.len() + 1);
    out.push(x);
    for (i, g) in gaps.iter().enumerate() {
        x += room(i) + per_doubling * doublings(*g).max(min_doublings);
        out.push(x);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_is_one_doubling_and_eighty_minutes_about_twelve() {
        assert_eq!(doublings(0.0), 0.0);
        assert_eq!(doublings(1.0), 1.0);
        assert!((doublings(80.0 * 60.0) - 12.23).abs() < 0.01);
    }

    #[test]
    fn positions_add_the_fixed_room_and_the_doublings_of_each_gap() {
        let at = positions(&[1.0, 3.0, 0.0], 10.0, |i| [5.0, 0.0, 2.0][i], 4.0, 0.5);
        assert_eq!(at, vec![10.0, 19.0, 27.0, 31.0]);
    }
}
