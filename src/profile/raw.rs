//! Raw profile types: what serde reads from a profile file, before any check.
//!
//! Every struct denies unknown keys. Templates are read as [`Node`]s — the YAML value
//! with the line and column of every scalar and key — so a template error can point into
//! the file; [`crate::profile::load`] checks and compiles them into a
//! [`Profile`](crate::profile::Profile).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
pub use serde_saphyr::Spanned;

/// A YAML value with the position of each part.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line; 0 when unknown (a value that did not come from a file).
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub col: u64,
    /// The value.
    pub kind: NodeKind,
}

/// What a [`Node`] holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null` or nothing.
    Null,
    /// `true`, `false`.
    Bool(bool),
    /// A number.
    Num(Number),
    /// Text.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key.
    pub name: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub col: u64,
}

impl Node {
    /// The text, if the node is text.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node as plain JSON, positions dropped.
    pub fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Num(n) => Value::Number(n.clone()),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeKind::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    m.insert(k.name.clone(), v.to_value());
                }
                Value::Object(m)
            }
        }
    }

    /// A node from plain JSON, without positions.
    pub fn from_value(v: &Value) -> Node {
        let kind = match v {
            Value::Null => NodeKind::Null,
            Value::Bool(b) => NodeKind::Bool(*b),
            Value::Number(n) => NodeKind::Num(n.clone()),
            Value::String(s) => NodeKind::Str(s.clone()),
            Value::Array(a) => NodeKind::Seq(a.iter().map(Node::from_value).collect()),
            Value::Object(o) => NodeKind::Map(
                o.iter()
                    .map(|(k, v)| {
                        (
                            Key {
                                name: k.clone(),
                                line: 0,
                                col: 0,
                            },
                            Node::from_value(v),
                        )
                    })
                    .collect(),
            ),
        };
        Node {
            line: 0,
            col: 0,
            kind,
        }
    }

    /// The value of key `name`, when this is a mapping that has it.
    pub fn get(&self, name: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// What kind of value this is, in words.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "nothing",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Num(_) => "a number",
            NodeKind::Str(_) => "text",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<NodeKind>::deserialize(d)?;
        Ok(Node {
            line: s.referenced.line(),
            col: s.referenced.column(),
            kind: s.value,
        })
    }
}

impl<'de> Deserialize<'de> for NodeKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NodeKind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<NodeKind, E> {
                Ok(NodeKind::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<NodeKind, E> {
                Ok(NodeKind::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<NodeKind, D2::Error> {
                NodeKind::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<NodeKind, E> {
                Ok(NodeKind::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<NodeKind, E> {
                Ok(NodeKind::Num(n.into()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<NodeKind, E> {
                Ok(NodeKind::Num(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<NodeKind, E> {
                Number::from_f64(n)
                    .map(NodeKind::Num)
                    .ok_or_else(|| E::custom(format!("{n} is not a number JSON can hold")))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<NodeKind, E> {
                Ok(NodeKind::Str(s.to_owned()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<NodeKind, E> {
                Ok(NodeKind::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeKind, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = seq.next_element::<Node>()? {
                    items.push(n);
                }
                Ok(NodeKind::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeKind, A::Error> {
                let mut entries: Vec<(Key, Node)> = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let v: Node = map.next_value()?;
                    if entries.iter().any(|(e, _)| e.name == k.value) {
                        return Err(de::Error::custom(format!(
                            "the key `{}` appears twice",
                            k.value
                        )));
                    }
                    entries.push((
                        Key {
                            name: k.value,
                            line: k.referenced.line(),
                            col: k.referenced.column(),
                        },
                        v,
                    ));
                }
                Ok(NodeKind::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// A mapping whose keys keep their order and position.
#[derive(Debug, Clone, Default)]
pub struct OMap<V>(pub Vec<(Spanned<String>, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = OMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OMap<V>, A::Error> {
                let mut out: Vec<(Spanned<String>, V)> = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    if out.iter().any(|(e, _)| e.value == k.value) {
                        return Err(de::Error::custom(format!(
                            "the key `{}` appears twice",
                            k.value
                        )));
                    }
                    let v = map.next_value()?;
                    out.push((k, v));
                }
                Ok(OMap(out))
            }
        }
        d.deserialize_map(Vis(std::marker::PhantomData))
    }
}

/// A profile file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// A built-in name or a profile file this one starts from.
    #[serde(default)]
    pub base: Option<Spanned<String>>,
    /// The profile's name.
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    /// The provider, in words.
    #[serde(default)]
    pub provider: Option<Spanned<String>>,
    /// What release, server or API version the rules are read from.
    #[serde(default)]
    pub version: Option<Spanned<String>>,
    /// Constant data templates can read by name.
    #[serde(default)]
    pub tables: Option<OMap<Node>>,
    /// Named, reusable templates.
    #[serde(default)]
    pub parts: Option<OMap<Spanned<RawPart>>>,
    /// The delivery's ids: name → how one is drawn.
    #[serde(default)]
    pub ids: Option<Spanned<OMap<Node>>>,
    /// The body.
    #[serde(default)]
    pub envelope: Option<Spanned<RawEnvelope>>,
    /// The request headers, in order.
    #[serde(default)]
    pub headers: Option<Spanned<Vec<Node>>>,
    /// What endpoint custom headers may do.
    #[serde(default)]
    pub custom_headers: Option<Spanned<RawCustomHeaders>>,
    /// The signature.
    #[serde(default)]
    pub signature: Option<Spanned<RawSignature>>,
    /// Whether an endpoint always has a secret, and its form.
    #[serde(default)]
    pub secret: Option<Spanned<RawSecret>>,
    /// Attempts, waits, timeout and what is retried.
    #[serde(default)]
    pub delivery: Option<Spanned<RawDelivery>>,
    /// The event types.
    #[serde(default)]
    pub catalogue: Option<Spanned<RawCatalogue>>,
    /// Each rule's sources.
    #[serde(default)]
    pub sources: Option<Spanned<RawSources>>,
    /// Known inputs and the signature headers they must give.
    #[serde(default)]
    pub test_vectors: Option<Spanned<Vec<Spanned<RawVector>>>>,
    /// Shorthand: `delivery.attempts`.
    #[serde(default)]
    pub attempts: Option<Spanned<i64>>,
    /// Shorthand: `delivery.waits`.
    #[serde(default)]
    pub waits: Option<Spanned<Vec<Spanned<String>>>>,
    /// Shorthand: `delivery.initial_wait`.
    #[serde(default)]
    pub initial_wait: Option<Spanned<String>>,
    /// Shorthand: `delivery.max_wait`.
    #[serde(default)]
    pub max_wait: Option<Spanned<String>>,
    /// Shorthand: `delivery.timeout`.
    #[serde(default)]
    pub timeout: Option<Spanned<String>>,
    /// Shorthand: `delivery.retry_on`.
    #[serde(default)]
    pub retry_on: Option<Spanned<String>>,
    /// Shorthand: `delivery.max_redirects`.
    #[serde(default)]
    pub max_redirects: Option<Spanned<i64>>,
    /// Shorthand: `Retry-After` on (the Standard Webhooks rule) or off.
    #[serde(default)]
    pub honour_retry_after: Option<Spanned<bool>>,
    /// Shorthand: whether 410 disables the endpoint.
    #[serde(default)]
    pub disable_on_410: Option<Spanned<bool>>,
    /// Shorthand: `delivery.jitter_percent`.
    #[serde(default)]
    pub jitter_percent: Option<Spanned<i64>>,
}

/// `sources:`: rule → its sources.
pub type RawSources = OMap<Spanned<Vec<Spanned<RawSource>>>>;

/// The top-level keys of a profile file, for messages.
pub const PROFILE_KEYS: &[&str] = &[
    "base",
    "name",
    "provider",
    "version",
    "tables",
    "parts",
    "ids",
    "envelope",
    "headers",
    "custom_headers",
    "signature",
    "secret",
    "delivery",
    "catalogue",
    "sources",
    "test_vectors",
    "attempts",
    "waits",
    "initial_wait",
    "max_wait",
    "timeout",
    "retry_on",
    "max_redirects",
    "honour_retry_after",
    "disable_on_410",
    "jitter_percent",
];

/// A named template with parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPart {
    /// Parameter names.
    #[serde(default)]
    pub params: Vec<Spanned<String>>,
    /// Bindings evaluated in order before `value`.
    #[serde(default, rename = "let")]
    pub lets: Option<OMap<Node>>,
    /// The part's value.
    pub value: Node,
}

/// `envelope:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnvelope {
    /// The body as a template over the event.
    pub body: Node,
    /// `compact`, `pretty` or `python`.
    #[serde(default)]
    pub encoding: Option<Spanned<String>>,
    /// A condition: when true, the JSON body is sent encoded once more as a JSON string.
    #[serde(default)]
    pub as_json_string: Option<Node>,
    /// How a received request names its event type, when the body template does not say.
    #[serde(default)]
    pub type_from: Option<Node>,
    /// When set, event data must be a mapping; the text says why.
    #[serde(default)]
    pub data_must_be_object: Option<Spanned<String>>,
    /// The largest body the provider sends, and why (conformance's large-body check).
    #[serde(default)]
    pub largest: Option<Spanned<RawLargest>>,
}

/// `envelope.largest:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLargest {
    /// Bytes, or text with a `KiB`/`MiB` unit.
    pub size: Node,
    /// Why that size.
    pub why: String,
}

/// `custom_headers:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomHeaders {
    /// Names a custom header can never replace (it is dropped).
    #[serde(default)]
    pub protected: Vec<String>,
    /// Limits the provider checks when the endpoint is configured.
    #[serde(default)]
    pub limits: Option<Spanned<RawLimits>>,
}

/// `custom_headers.limits:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Who refuses, in messages (`Crawl4AI`).
    pub by: String,
    /// Names must match `^[A-Za-z0-9-]{1,N}$`.
    #[serde(default)]
    pub name_max_chars: Option<Spanned<i64>>,
    /// At most this many.
    #[serde(default)]
    pub max_count: Option<Spanned<i64>>,
    /// Values at most this long (characters).
    #[serde(default)]
    pub max_value_chars: Option<Spanned<i64>>,
    /// Values may not hold CR, LF or NUL.
    #[serde(default)]
    pub no_control_chars: bool,
    /// Refused names (any case).
    #[serde(default)]
    pub denied: Vec<String>,
    /// Refused name prefixes (any case).
    #[serde(default)]
    pub denied_prefixes: Vec<String>,
}

/// `signature:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSignature {
    /// `hmac-sha1`, `hmac-sha256`, `hmac-sha512`, or `none`.
    pub algorithm: Spanned<String>,
    /// `utf8`, `base64` or `hex`.
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    /// Stripped before a base64 or hex key is decoded.
    #[serde(default)]
    pub key_prefix: Option<Spanned<String>>,
    /// The signed string, over `{id}`, `{timestamp}`, `{body}`, `{url}`, `{method}`.
    #[serde(default)]
    pub signed: Option<Spanned<String>>,
    /// `hex` or `base64`.
    #[serde(default)]
    pub encoding: Option<Spanned<String>>,
    /// The header the signature goes in.
    #[serde(default)]
    pub header: Option<Spanned<String>>,
    /// The header's whole value (default `{signatures}`).
    #[serde(default)]
    pub value: Option<Spanned<String>>,
    /// One signature (default `{sig}`).
    #[serde(default)]
    pub each: Option<Spanned<String>>,
    /// Several secrets at once.
    #[serde(default)]
    pub rotation: Option<Spanned<RawRotation>>,
    /// The verifier's tolerance for the signed timestamp.
    #[serde(default)]
    pub tolerance: Option<Spanned<RawTolerance>>,
    /// Further signature headers over the same key and signed string.
    #[serde(default)]
    pub also: Vec<Spanned<RawAlso>>,
    /// The scheme in one line for people (fixtures' index.json); derived when omitted.
    #[serde(default)]
    pub summary: Option<String>,
}

/// `signature.rotation:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRotation {
    /// What joins one signature per secret.
    pub join: String,
}

/// `signature.tolerance:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTolerance {
    /// The oldest accepted (omitted: no limit).
    #[serde(default)]
    pub past: Option<Spanned<String>>,
    /// The furthest ahead accepted (omitted: no limit).
    #[serde(default)]
    pub future: Option<Spanned<String>>,
}

/// One of `signature.also:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlso {
    /// Its header.
    pub header: Spanned<String>,
    /// Its algorithm (default: the main one's).
    #[serde(default)]
    pub algorithm: Option<Spanned<String>>,
    /// Its whole value (default `{signatures}`).
    #[serde(default)]
    pub value: Option<Spanned<String>>,
    /// One signature (default `{sig}`).
    #[serde(default)]
    pub each: Option<Spanned<String>>,
}

/// `secret:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSecret {
    /// Every endpoint has a secret: the form of one the provider generates.
    #[serde(default)]
    pub generate: Option<Node>,
    /// The secret fixtures are signed with by default (default: the first test vector's).
    #[serde(default)]
    pub test: Option<String>,
}

/// `delivery:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    /// Attempts in all.
    pub attempts: Spanned<i64>,
    /// A table of waits (the last repeats).
    #[serde(default)]
    pub waits: Option<Spanned<Vec<Spanned<String>>>>,
    /// Doubling waits: the first.
    #[serde(default)]
    pub initial_wait: Option<Spanned<String>>,
    /// Doubling waits: the longest.
    #[serde(default)]
    pub max_wait: Option<Spanned<String>>,
    /// Per attempt (per redirect hop).
    pub timeout: Spanned<String>,
    /// `any_failure` or `server_errors`.
    pub retry_on: Spanned<String>,
    /// Redirect hops followed inside one attempt.
    #[serde(default)]
    pub max_redirects: Option<Spanned<i64>>,
    /// The statuses followed.
    #[serde(default)]
    pub redirect_statuses: Option<Spanned<Vec<i64>>>,
    /// What `Retry-After` does.
    #[serde(default)]
    pub retry_after: Option<Spanned<RawRetryAfter>>,
    /// A least wait after an overload.
    #[serde(default)]
    pub overload: Option<Spanned<RawOverload>>,
    /// ± this many percent of each wait, from the seeded generator.
    #[serde(default)]
    pub jitter_percent: Option<Spanned<i64>>,
    /// A connection error this soon after the request started is sent again at once.
    #[serde(default)]
    pub resend_connection_error_within: Option<Spanned<String>>,
    /// Statuses that disable the endpoint.
    #[serde(default)]
    pub disable_on: Option<Spanned<Vec<i64>>>,
    /// A response header that stops the retries.
    #[serde(default)]
    pub stop_header: Option<Spanned<RawStopHeader>>,
    /// The delivery's status between attempts.
    #[serde(default)]
    pub pending_status: Option<Spanned<String>>,
}

/// `delivery.retry_after:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetryAfter {
    /// `ignored`, `lengthen` or `clamp`.
    pub mode: Spanned<String>,
    /// `lengthen`: the statuses it is read on.
    #[serde(default)]
    pub statuses: Option<Vec<i64>>,
    /// `lengthen`: the longest wait it can make.
    #[serde(default)]
    pub cap: Option<Spanned<String>>,
    /// `clamp`: the most the wait can grow to, as a multiple of the scheduled wait.
    #[serde(default)]
    pub max_factor: Option<Spanned<i64>>,
}

/// `delivery.overload:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverload {
    /// The least wait after an overload.
    pub min_wait: Spanned<String>,
    /// Whether a timeout counts.
    #[serde(default)]
    pub on_timeout: bool,
    /// The statuses that count.
    #[serde(default)]
    pub statuses: Vec<i64>,
}

/// `delivery.stop_header:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStopHeader {
    /// The response header.
    pub name: String,
    /// Its value that stops retries.
    pub value: String,
}

/// `catalogue:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCatalogue {
    /// The event types (one catalogue).
    #[serde(default)]
    pub events: Option<Spanned<Vec<Spanned<RawEvent>>>>,
    /// Catalogues by API version, the default first.
    #[serde(default)]
    pub api_versions: Option<Spanned<Vec<Spanned<RawApiVersion>>>>,
    /// Any other type name is accepted, with this schema and data.
    #[serde(default)]
    pub other: Option<Spanned<RawOther>>,
}

/// One API version's catalogue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiVersion {
    /// Its name.
    pub name: Spanned<String>,
    /// Its events.
    pub events: Spanned<Vec<Spanned<RawEvent>>>,
}

/// One event type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// The type name.
    pub name: Spanned<String>,
    /// When the provider sends it.
    pub description: String,
    /// The JSON Schema of the whole body (a template: parts welcome).
    pub schema: Node,
    /// Example event data, taken as it is.
    #[serde(default)]
    pub example: Option<Node>,
    /// How to generate event data.
    #[serde(default)]
    pub generate: Option<Spanned<RawGen>>,
}

/// `catalogue.other:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOther {
    /// When such a type is sent, in words.
    #[serde(default)]
    pub description: Option<String>,
    /// The body schema for any other type.
    pub schema: Node,
    /// Their data.
    pub generate: Spanned<RawGen>,
}

/// A generator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGen {
    /// Bindings evaluated in order.
    #[serde(default, rename = "let")]
    pub lets: Option<OMap<Node>>,
    /// The data.
    #[serde(default)]
    pub value: Option<Node>,
    /// JSON Pointers into the example, and what to put there.
    #[serde(default)]
    pub set: Option<OMap<Node>>,
}

/// One source of a rule.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// A seed document's file name.
    #[serde(default)]
    pub seed: Option<String>,
    /// A repository (`owner/name` and the version read).
    #[serde(default)]
    pub code: Option<String>,
    /// A documentation page's address.
    #[serde(default)]
    pub doc: Option<String>,
    /// Why this is assumed.
    #[serde(default)]
    pub assumption: Option<String>,
    /// What a seed document or page says.
    #[serde(default)]
    pub says: Option<String>,
    /// The file in the repository.
    #[serde(default)]
    pub file: Option<String>,
    /// The constant, function or line, and what it says.
    #[serde(default)]
    pub at: Option<String>,
}

/// One test vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVector {
    /// Where the vector comes from.
    pub source: Spanned<RawSource>,
    /// The secret.
    #[serde(default)]
    pub secret: Option<String>,
    /// Several secrets (rotation).
    #[serde(default)]
    pub secrets: Option<Vec<String>>,
    /// The message id.
    #[serde(default)]
    pub id: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub timestamp: Option<i64>,
    /// The raw body.
    pub body: String,
    /// The URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The method.
    #[serde(default)]
    pub method: Option<String>,
    /// Header names and the values the signature must give.
    pub expect: OMap<String>,
}
