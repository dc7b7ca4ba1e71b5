//! Raw scenario types: what serde reads from YAML, before any check.
//!
//! Every struct denies unknown keys; values whose meaning is checked later (names,
//! durations) keep their source location through [`Spanned`] so the error can point at
//! them. [`crate::scenario::load`] turns these into the validated
//! [`Scenario`](crate::scenario::Scenario).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
pub use serde_saphyr::Spanned;

/// A file holding a list of scenarios.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// The scenarios.
    pub scenarios: Vec<Spanned<RawScenario>>,
}

/// One scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Its name (unique in a run).
    pub name: Spanned<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// A built-in name, a path, or `{base: NAME, …overrides}`.
    pub profile: Spanned<Value>,
    /// Where deliveries go (boxed, as are the checks and the sender: a parse moves the
    /// scenario through several layers, and a small one moves faster).
    #[serde(default)]
    pub endpoint: Option<Box<Spanned<RawEndpoint>>>,
    /// The events to deliver (optional with `sender:`).
    #[serde(default)]
    pub events: Option<Spanned<Vec<Spanned<RawEvent>>>>,
    /// The fault plan.
    #[serde(default)]
    pub receiver: Option<Spanned<Vec<Spanned<RawStep>>>>,
    /// The checks.
    #[serde(default)]
    pub expect: Option<OneOrMany<Box<RawExpect>>>,
    /// How the scenario runs in live mode.
    #[serde(default)]
    pub live: Option<Spanned<RawLive>>,
    /// A sender hookrig did not write, started by a trigger command.
    #[serde(default)]
    pub sender: Option<Box<Spanned<super::sender::RawSender>>>,
}

/// `live:` of a scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLive {
    /// Why the scenario cannot run live: it is skipped there, and reported with this.
    pub skip: Spanned<String>,
}

/// `endpoint:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    /// Target URL (live mode).
    #[serde(default)]
    pub url: Option<String>,
    /// One secret or a list (rotation).
    #[serde(default)]
    pub secret: Option<Spanned<OneOrMany<String>>>,
    /// PerfectParser `X-Webhook-Secret`.
    #[serde(default)]
    pub static_secret: Option<String>,
    /// Custom headers.
    #[serde(default)]
    pub headers: Option<Spanned<OrderedMap>>,
    /// Event filter.
    #[serde(default)]
    pub events: Option<Vec<Spanned<String>>>,
    /// Crawl4AI `webhook_data_in_payload`.
    #[serde(default)]
    pub data_in_payload: Option<bool>,
    /// LlamaCloud `webhook_output_format`.
    #[serde(default)]
    pub output_format: Option<Spanned<String>>,
    /// Extend: the API version whose event catalogue the endpoint receives.
    #[serde(default)]
    pub api_version: Option<Spanned<String>>,
}

/// One event of `events:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// Event type.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// Event data; generated when absent.
    #[serde(default)]
    pub data: Option<Value>,
    /// Offset from the scenario start.
    #[serde(default)]
    pub at: Option<Spanned<String>>,
}

/// One receiver step.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// Answer with this status.
    #[serde(default)]
    pub respond: Option<Spanned<i64>>,
    /// Response body (a string, or any value sent as JSON).
    #[serde(default)]
    pub body: Option<Value>,
    /// Response headers.
    #[serde(default)]
    pub headers: Option<Spanned<OrderedMap>>,
    /// Delay before the answer.
    #[serde(default)]
    pub after: Option<Spanned<String>>,
    /// Never answer.
    #[serde(default)]
    pub hang: Option<bool>,
    /// Close without answering.
    #[serde(default)]
    pub drop: Option<bool>,
    /// Live only: TCP RST.
    #[serde(default)]
    pub reset: Option<bool>,
    /// Live only: slow body.
    #[serde(default)]
    pub dribble: Option<Value>,
    /// Live only: garbage bytes.
    #[serde(default)]
    pub malformed: Option<bool>,
    /// Live only: never read, never answer.
    #[serde(default)]
    pub stall: Option<bool>,
    /// Scope to one event type.
    #[serde(default)]
    pub when: Option<RawWhen>,
}

/// `when:` of a step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    /// Event type.
    pub event: Spanned<String>,
}

/// One expectation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    /// Event type or 0-based index (several events).
    #[serde(default)]
    pub event: Option<Spanned<Value>>,
    /// delivered | exhausted | gave_up | filtered.
    #[serde(default)]
    pub outcome: Option<Spanned<String>>,
    /// Number of attempts.
    #[serde(default)]
    pub attempts: Option<Spanned<i64>>,
    /// Attempt start offsets from the first attempt.
    #[serde(default)]
    pub schedule: Option<Vec<Spanned<String>>>,
    /// Allowed schedule error: a duration, or a percentage of each expected offset.
    #[serde(default)]
    pub tolerance: Option<Spanned<String>>,
    /// Header checks.
    #[serde(default)]
    pub headers: Option<RawHeaderChecks>,
    /// valid | invalid | absent.
    #[serde(default)]
    pub signature: Option<Spanned<String>>,
    /// Body checks.
    #[serde(default)]
    pub payload: Option<RawPayload>,
}

/// `expect.headers`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeaderChecks {
    /// Names that must be there.
    #[serde(default)]
    pub present: Vec<String>,
    /// Names that must not.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Exact values.
    #[serde(default)]
    pub equal: Option<OrderedMap>,
}

/// `expect.payload`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPayload {
    /// `event` or a schema file path.
    #[serde(default)]
    pub schema: Option<Spanned<String>>,
    /// A subset the body must contain.
    #[serde(default, rename = "match")]
    pub subset: Option<Value>,
    /// Every attempt's body is byte for byte the first attempt's.
    #[serde(default)]
    pub identical: Option<bool>,
}

/// A single value or a list of them.
#[derive(Debug)]
pub enum OneOrMany<T> {
    /// One.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// As a list.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StrDeserializer::new(v)).map(OneOrMany::One)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A mapping of strings to scalars, in file order (header maps), with the line and
/// column of each key so an error can point at the entry it is about.
#[derive(Debug, Default, Clone)]
pub struct OrderedMap {
    /// Names and values in file order.
    pub entries: Vec<(String, String)>,
    /// The (line, column) of each entry's key; (0, 0) when unknown.
    pub positions: Vec<(u64, u64)>,
}

impl OrderedMap {
    /// The (line, column) of the entry named `name` (case-insensitive), if known.
    pub fn position_of(&self, name: &str) -> Option<(u64, u64)> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(name))?;
        self.positions.get(i).copied().filter(|(l, _)| *l > 0)
    }
}

impl<'de> Deserialize<'de> for OrderedMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of header names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = OrderedMap::default();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let v: Value = map.next_value()?;
                    let name = k.value;
                    let v = match v {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(de::Error::custom(format!(
                                "header `{name}` must have a text value, not {other}"
                            )));
                        }
                    };
                    out.positions
                        .push((k.referenced.line(), k.referenced.column()));
                    out.entries.push((name, v));
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// A standalone receiver's fault file in its mapping form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFaults {
    /// Steps for requests no route matches.
    #[serde(default)]
    pub steps: Option<Spanned<Vec<Spanned<RawStep>>>>,
    /// Plans by path and method.
    #[serde(default)]
    pub routes: Vec<Spanned<RawRoute>>,
}

/// One route of a fault file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Exact request path.
    pub path: String,
    /// Method (any when omitted).
    #[serde(default)]
    pub method: Option<String>,
    /// The steps for this route.
    pub steps: Spanned<Vec<Spanned<RawStep>>>,
}
