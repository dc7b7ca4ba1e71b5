//! The run's seeded random number generator.
//!
//! Every id and every generated value comes from a [`RunRng`] that the run owns, so the
//! same seed gives the same bytes out. Each delivery derives its own generator from the
//! run seed, the scenario name and the delivery index ([`RunRng::derive`]), so the order in
//! which concurrent deliveries happen to draw numbers never changes what they draw.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// The seed used when none is given (24301).
pub const DEFAULT_SEED: u64 = 0x5eed;

/// A deterministic generator seeded by the run.
#[derive(Debug, Clone)]
pub struct RunRng(ChaCha8Rng);

impl RunRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A generator derived from `seed` and a label (FNV-1a mixed), stable across runs and
    /// platforms: use it to give each scenario and delivery its own stream.
    pub fn derive(seed: u64, label: &str) -> Self {
        Self::derive_parts(seed, &[label.as_bytes()])
    }

    /// [`RunRng::derive`] for the label that is `parts` one after the other (the same
    /// generator, without making the label: a delivery's is its scenario's name, `/` and
    /// its index).
    pub fn derive_parts(seed: u64, parts: &[&[u8]]) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for b in parts.iter().flat_map(|p| p.iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Self::new(h)
    }

    /// The next 64 random bits.
    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `lo..=hi` (inclusive). `hi < lo` gives `lo`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.u64() % span) as i64
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        den != 0 && self.u64() % den < num
    }

    /// One element of a non-empty slice (the first when it is empty is impossible: callers
    /// pass literals).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.u64() % items.len().max(1) as u64) as usize]
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        ascii(
            (0..n)
                .map(|_| DIGITS[(self.u64() & 0xf) as usize])
                .collect(),
        )
    }

    /// `n` characters from `[A-Za-z0-9]` (the alphabet of Svix-style message ids).
    pub fn alnum(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        ascii(
            (0..n)
                .map(|_| ALPHABET[(self.u64() % ALPHABET.len() as u64) as usize])
                .collect(),
        )
    }

    /// `n` characters drawn uniformly from `alphabet` (one draw each).
    pub fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        if alphabet.is_empty() {
            return String::new();
        }
        let pick = |rng: &mut Self| alphabet[(rng.u64() % alphabet.len() as u64) as usize];
        if alphabet.is_ascii() {
            return ascii((0..n).map(|_| pick(self)).collect());
        }
        (0..n).map(|_| pick(self) as char).collect()
    }

    /// `n` random bytes, one draw each (the low byte), as a generated secret takes them.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u64() as u8).collect()
    }

    /// A UUID laid out as version 1 (time-based) — GitHub's delivery GUIDs have that form
    /// — with every field random: lowercase, hyphenated.
    pub fn uuid_v1(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.0.fill_bytes(&mut bytes);
        bytes[6] = (bytes[6] & 0x0f) | 0x10;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        hyphenated(uuid::Uuid::from_bytes(bytes))
    }

    /// A random (version 4) UUID in its hyphenated lowercase form.
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.0.fill_bytes(&mut bytes);
        hyphenated(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }
}

/// ASCII bytes as text: the same string as collecting them as `char`s one by one, made
/// in one allocation of the exact size without encoding each character (a delivery's ids
/// and generated data draw many of these).
fn ascii(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("drawn from an ASCII alphabet")
}

/// A UUID's hyphenated lowercase form, written straight into its string (its `Display`
/// goes through the formatting machinery for the same 36 characters).
fn hyphenated(u: uuid::Uuid) -> String {
    u.hyphenated()
        .encode_lower(&mut uuid::Uuid::encode_buffer())
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_text_is_the_characters_drawn_one_by_one_from_the_same_draws() {
        // The text as the draws pick it, character by character (the form before the
        // bytes were collected at once), for every length up to 64 and many seeds.
        fn by_chars(rng: &mut RunRng, n: usize, alphabet: &[u8], mask: bool) -> String {
            (0..n)
                .map(|_| {
                    let x = rng.u64();
                    let i = if mask {
                        x & 0xf
                    } else {
                        x % alphabet.len() as u64
                    };
                    alphabet[i as usize] as char
                })
                .collect()
        }
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for seed in 0..40 {
            let mut rng = RunRng::new(seed);
            let mut twin = rng.clone();
            for n in 0..=64 {
                assert_eq!(rng.alnum(n), by_chars(&mut twin, n, ALNUM, false));
                assert_eq!(
                    rng.hex(n),
                    by_chars(&mut twin, n, b"0123456789abcdef", true)
                );
                assert_eq!(
                    rng.chars(n, b"xyz-"),
                    by_chars(&mut twin, n, b"xyz-", false)
                );
                // A byte past ASCII is the character of that code point, as before.
                assert_eq!(
                    rng.chars(n, b"a\xe9"),
                    by_chars(&mut twin, n, b"a\xe9", false)
                );
            }
            assert_eq!(rng.u64(), twin.u64(), "the same number of draws");
        }
    }

    #[test]
    fn a_label_given_in_parts_derives_the_generator_of_the_whole_label() {
        for (name, i) in [("", 0usize), ("a scenario", 7), ("ünï/códe", 123_456)] {
            let whole = format!("{name}/{i}");
            let mut a = RunRng::derive(42, &whole);
            let index = itoa::Buffer::new().format(i).to_owned();
            let mut b = RunRng::derive_parts(42, &[name.as_bytes(), b"/", index.as_bytes()]);
            assert_eq!(a.u64(), b.u64(), "{whole}");
        }
    }

    #[test]
    fn uuids_are_written_as_their_hyphenated_lowercase_display() {
        let mut rng = RunRng::new(11);
        for _ in 0..64 {
            // Arrange
            let mut twin = rng.clone();

            // Act
            let (v4, v1) = (rng.uuid(), rng.uuid_v1());

            // Assert
            let mut bytes = [0u8; 16];
            twin.0.fill_bytes(&mut bytes);
            let want = uuid::Builder::from_random_bytes(bytes).into_uuid();
            assert_eq!(v4, want.hyphenated().to_string());
            assert_eq!(v4.len(), 36);
            let parsed = uuid::Uuid::parse_str(&v1).unwrap();
            assert_eq!(v1, parsed.hyphenated().to_string());
            assert_eq!(parsed.get_version_num(), 1);
        }
    }

    #[test]
    fn the_same_seed_and_label_give_the_same_stream() {
        let mut a = RunRng::derive(7, "scenario/0");
        let mut b = RunRng::derive(7, "scenario/0");
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.hex(8), b.hex(8));
    }

    #[test]
    fn different_labels_give_different_streams() {
        let mut a = RunRng::derive(7, "scenario/0");
        let mut b = RunRng::derive(7, "scenario/1");
        assert_ne!(a.u64(), b.u64());
    }

    #[test]
    fn uuids_are_version_4() {
        let id = RunRng::new(1).uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
