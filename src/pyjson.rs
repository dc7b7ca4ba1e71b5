//! JSON bytes exactly as Python's `json.dumps` writes them with its defaults — what
//! aiohttp's `json=` sends (Crawl4AI's webhook body).
//!
//! The defaults differ from serde_json's compact output in three ways: items are
//! separated by `", "` and keys from values by `": "`; every character outside printable
//! ASCII is escaped as `\uXXXX` (lowercase hex, a surrogate pair above U+FFFF, `\b` `\f`
//! `\n` `\r` `\t` in their short forms, U+007F escaped too: `ensure_ascii=True`); and
//! floats are written as Python's `repr` writes them (`1.0`, `0.0001`, `1e-05`,
//! `1e+16`). Key order is the map's own order, as Python keeps a dict's insertion order.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, Serializer};

/// `value` as `json.dumps(value)` writes it.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    let mut ser = Serializer::with_formatter(&mut out, PythonFormatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

/// `value` as Starlette's `JSONResponse` writes it — `json.dumps(value,
/// ensure_ascii=False, allow_nan=False, separators=(",", ":"))`: compact, text as UTF-8,
/// floats as Python's `repr` writes them. FastAPI servers (Crawl4AI's, LlamaCloud's)
/// answer their API calls with these bytes.
pub fn to_vec_compact<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    let mut ser = Serializer::with_formatter(&mut out, StarletteFormatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

/// The formatter behind [`to_vec_compact`]: serde_json's compact output with Python's
/// float `repr`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StarletteFormatter;

impl Formatter for StarletteFormatter {
    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        w.write_all(float_repr(f64::from(value)).as_bytes())
    }
}

/// The formatter behind [`to_vec`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        w.write_all(float_repr(f64::from(value)).as_bytes())
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut plain = 0;
        for (i, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            w.write_all(&fragment.as_bytes()[plain..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(w, "\\u{u:04x}")?;
            }
            plain = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[plain..])
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let s: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(b) => return write!(w, "\\u{:04x}", b),
        };
        w.write_all(s)
    }
}

/// A float as Python's `repr` writes it: the shortest digits that read back the same,
/// in positional form when the decimal point falls within 16 places (`1e+16` and
/// `1e-05` are not), with `.0` on whole numbers. Non-finite values, which JSON cannot
/// hold, are written as Python writes them (`NaN`, `Infinity`, `-Infinity`).
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.2345e3`.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    // The decimal point sits `decpt` digits into `digits`.
    let decpt = exp + 1;
    let n = digits.len() as i32;
    let body = if (-4 < decpt && decpt <= 16) || x == 0.0 {
        if decpt <= 0 {
            format!("0.{}{digits}", "0".repeat((-decpt) as usize))
        } else if decpt >= n {
            format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
        } else {
            let (int, frac) = digits.split_at(decpt as usize);
            format!("{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let e = decpt - 1;
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!(
            "{first}{frac}e{}{:02}",
            if e < 0 { '-' } else { '+' },
            e.abs()
        )
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Every expected string below is what CPython 3.11's `json.dumps` printed for the
    // same value (`python3 -c 'import json; print(json.dumps(...))'`); tests/it/pyjson.rs
    // asks a real Python for the same on random values when one is installed.

    #[test]
    fn floats_are_written_as_python_repr_writes_them() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000_012_5, "1.25e-05"),
            (123.456, "123.456"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123_456_789_012_345_680.0, "1.2345678901234568e+17"),
            (2.5e-300, "2.5e-300"),
            (1e300, "1e+300"),
            (-42.25, "-42.25"),
            (1.234_567_890_123_4, "1.2345678901234"),
            (0.3412, "0.3412"),
        ];
        for (x, want) in cases {
            assert_eq!(float_repr(*x), *want, "{x:?}");
        }
    }

    #[test]
    fn separators_have_a_space_after_commas_and_colons() {
        let v = json!({"a": [1, 2, {"b": null}], "c": true, "d": {}, "e": []});
        assert_eq!(
            String::from_utf8(to_vec(&v).unwrap()).unwrap(),
            r#"{"a": [1, 2, {"b": null}], "c": true, "d": {}, "e": []}"#
        );
    }

    #[test]
    fn starlette_bytes_are_compact_utf8_with_python_floats() {
        let v = json!({"a": [1, 1e-5, 2.0], "t": "caf\u{e9} \u{27e8}1\u{27e9}\n"});
        assert_eq!(
            String::from_utf8(to_vec_compact(&v).unwrap()).unwrap(),
            "{\"a\":[1,1e-05,2.0],\"t\":\"caf\u{e9} \u{27e8}1\u{27e9}\\n\"}"
        );
    }

    #[test]
    fn non_ascii_text_is_escaped_as_python_escapes_it() {
        let v = json!({"t": "naïve café — ✓ 🚀 \u{7f}\u{1}\t\n\"\\/"});
        assert_eq!(
            String::from_utf8(to_vec(&v).unwrap()).unwrap(),
            r#"{"t": "na\u00efve caf\u00e9 \u2014 \u2713 \ud83d\ude80 \u007f\u0001\t\n\"\\/"}"#
        );
    }
}
