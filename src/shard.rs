//! `--shard K/N`: the K-th of N slices of a suite, so a CI matrix can run one slice per
//! machine.
//!
//! A scenario belongs to the slice its key says: a 64-bit FNV-1a hash of its file's path
//! (forward slashes, no `./`, relative to the working folder when it is under it) and its
//! name, modulo N. The hash depends on nothing but those bytes — not on the order files are
//! found, nor on the other scenarios, nor on the Rust version — so every machine of a
//! matrix agrees on the slices, and adding, removing or renaming a scenario moves that
//! scenario alone. The price of that stability is that slices are even only on average
//! (like a fair die: 119 scenarios in 4 slices are about 30 ± 5 each). A leaf: it imports
//! nothing of ours.

use std::fmt;
use std::path::{Component, Path};
use std::str::FromStr;

/// One slice of N: `index` counts from 1 to `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, from 1 to N.
    pub index: u32,
    /// N, at least 1.
    pub count: u32,
}

impl Shard {
    /// Whether the scenario `name` of `file` is in this slice.
    pub fn holds(&self, file: &Path, name: &str) -> bool {
        slice_of(file, name, self.count) == self.index
    }
}

/// The slice (1 to `count`) the scenario `name` of `file` belongs to when a suite is cut
/// into `count` slices.
pub fn slice_of(file: &Path, name: &str, count: u32) -> u32 {
    let key = format!("{}\n{name}", portable(file));
    (fnv1a(key.as_bytes()) % u64::from(count.max(1))) as u32 + 1
}

/// `file` as every machine of a matrix writes it: relative to the working folder when it
/// is under it, without `.` steps, with `/` between the parts.
fn portable(file: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd
        .as_deref()
        .and_then(|c| file.strip_prefix(c).ok())
        .unwrap_or(file);
    let mut parts: Vec<String> = Vec::new();
    for c in rel.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => parts.push(String::new()),
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

/// 64-bit FNV-1a: small, fixed and the same everywhere (std's hasher may change).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N` with 1 ≤ K ≤ N; anything else says what is wrong and what to give.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let form = "give K/N, the K-th of N slices counting from 1 (e.g. `2/4`)";
        let Some((k, n)) = t.split_once('/') else {
            return Err(format!("`{t}` is not a shard: {form}"));
        };
        let (Ok(index), Ok(count)) = (k.trim().parse::<u32>(), n.trim().parse::<u32>()) else {
            return Err(format!(
                "`{t}` is not a shard: K and N are whole numbers; {form}"
            ));
        };
        if count == 0 {
            return Err(format!(
                "`{t}`: N is the number of slices and must be at least 1"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "`{t}`: K counts from 1 to N, so with N = {count} give 1/{count} to {count}/{count}"
            ));
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors of the FNV reference (draft-eastlake-fnv, 64-bit FNV-1a).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_path_is_keyed_the_same_however_it_was_written() {
        assert_eq!(
            portable(Path::new("./scenarios/stripe/x.yaml")),
            "scenarios/stripe/x.yaml"
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            portable(&cwd.join("scenarios").join("x.yaml")),
            "scenarios/x.yaml"
        );
    }

    #[test]
    fn k_of_n_parses_and_everything_else_says_what_to_give() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(" 1/1 ".parse(), Ok(Shard { index: 1, count: 1 }));
        for (bad, says) in [
            ("0/4", "K counts from 1 to N"),
            ("5/4", "give 1/4 to 4/4"),
            ("1/0", "at least 1"),
            ("two/4", "whole numbers"),
            ("3", "not a shard"),
            ("-1/4", "whole numbers"),
        ] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
