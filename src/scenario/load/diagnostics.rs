//! How a loading problem is told: serde-saphyr's errors as [`InputError`]s with file,
//! line and column, the position of a spanned value, what kind of YAML value was found,
//! and named choices (enums that serde parses with `rename_all`) refused with the
//! nearest valid name.

use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, IntoDeserializer, Visitor};
use serde_json::Value;

use super::{Cx, Position};
use crate::scenario::InputError;
use crate::scenario::raw::Spanned;
use crate::text::choice_error;

pub(super) fn file_error(file: &Path, message: String) -> InputError {
    InputError {
        file: file.to_owned(),
        line: None,
        column: None,
        message,
    }
}

/// A serde-saphyr error as an [`InputError`]: the YAML key it is about, what was
/// expected, what was found, and the nearest valid key for an unknown one.
pub(super) fn yaml_error(file: &Path, text: &str, e: &serde_saphyr::Error) -> InputError {
    let (line, column, message) = crate::text::yaml_error(text, e);
    InputError {
        file: file.to_owned(),
        line,
        column,
        message,
    }
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

pub(super) fn loc<T>(s: &Spanned<T>) -> Position {
    let l = &s.referenced;
    if l.line() == 0 {
        (None, None)
    } else {
        (Some(l.line()), Some(l.column()))
    }
}

/// The names serde gives the variants of `T` (after `rename_all`), read from its derived
/// `Deserialize` without parsing anything.
pub(super) fn variants<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Introspect(&'static [&'static str]);
    impl<'de> Deserializer<'de> for &mut Introspect {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not an enum"))
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = variants;
            Err(de::Error::custom("variants read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            struct identifier ignored_any
        }
    }
    let mut introspect = Introspect(&[]);
    let _ = T::deserialize(&mut introspect);
    introspect.0
}

impl Cx<'_> {
    /// `s` as one of the named choices of `T`, serde parsing it by the enum's
    /// `rename_all`; anything else is an error at `s` naming `key`, the nearest choice and
    /// the valid ones (`KEY: unknown NOUN `x`: did you mean `y`? (valid: …)`).
    pub(super) fn choice<T: for<'de> Deserialize<'de>>(
        &mut self,
        s: &Spanned<String>,
        key: &str,
        noun: &str,
    ) -> Option<T> {
        let parsed: Result<T, de::value::Error> =
            T::deserialize(s.value.as_str().into_deserializer());
        match parsed {
            Ok(t) => Some(t),
            Err(_) => {
                let msg = choice_error(noun, &s.value, variants::<T>());
                self.err(loc(s), format!("{key}: {msg}"));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Outcome;

    #[test]
    fn the_choices_are_the_names_serde_gives_the_variants() {
        assert_eq!(
            variants::<Outcome>(),
            ["delivered", "exhausted", "gave_up", "filtered"]
        );
    }
}
