//! Profiles: a provider's delivery rules as data.
//!
//! A [`Profile`] is what a profile file says, checked and compiled: the envelope (the body
//! as a template over the event), the ids a delivery draws, the header list, the signing
//! [`Scheme`], the retry policy, the event catalogue with a JSON Schema and a generator
//! per event, and a source for every rule. Every built-in provider is such a file under
//! `profiles/` in the repository, embedded in the binary and loaded by the same code as a
//! user's own file, so no provider has a code path of its own: [`Profile::build_attempt`]
//! turns any profile's event into the exact bytes and headers an attempt sends, the sender
//! reads [`Profile::retry`], and verifiers read [`Profile::scheme`].
//!
//! Layout: `raw.rs` holds the serde types a file is read into (unknown keys refused);
//! `load.rs` checks and compiles them (errors with file, line, column and the valid
//! choices), resolves `base:` and the built-ins; `template.rs` is the template language
//! of envelopes, headers, ids and generators; `catalogue.rs` the event types; `rules.rs`
//! where each rule comes from; `describe.rs` the words `hookrig profiles NAME` prints,
//! computed from the data; this file has the validated types and the request builder.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use crate::clock;
use crate::record::{Header, HeaderText};
use crate::retry::{AttemptResult, RetryPolicy};
use crate::rng::RunRng;
use crate::signing::{Scheme, SecretError, SignInput};

pub mod catalogue;
mod describe;
pub mod load;
pub mod raw;
mod request_id;
pub mod rules;
pub mod template;

pub use catalogue::EventSpec;
pub use load::{BUILTIN_NAMES, ProfileError, builtin, builtin_text, builtins, lookup};
pub use request_id::IdAt;
pub use rules::{Rule, Source, Sourced};
use template::{CtxVar, Env, Expr, Gen, Program, Render, Rt, TNode, Var};

/// The path requests go to when no URL is known (sim mode, fixtures).
pub const DEFAULT_PATH: &str = "/webhook";

/// How the body's bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// Compact JSON, no spaces, UTF-8 text as is (serde_json, Go, JavaScript).
    Compact,
    /// Two-space indented JSON with `\n` line breaks (Ruby's `JSON.pretty_generate`).
    Pretty,
    /// Python's `json.dumps` defaults: `", "` and `": "`, non-ASCII as `\uXXXX`.
    PythonJsonDumps,
}

impl BodyEncoding {
    /// The names a profile file uses.
    pub const NAMES: &[&str] = &["compact", "pretty", "python"];
}

/// Where a received request names its event type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeFrom {
    /// A body field (JSON Pointer).
    Body(String),
    /// A header.
    Header(String),
    /// A template over `body` and `header(NAME)`.
    Template(TNode, usize),
    /// Nowhere the profile says.
    Unknown,
}

/// Where the event data sits in the body, read from the envelope template.
#[derive(Debug, Clone, PartialEq)]
pub enum DataAt {
    /// The data whole, at this JSON Pointer (`""`: the body is the data).
    Wrapped(String),
    /// The data's fields beside the envelope's own keys at the top level.
    Flat(Vec<String>),
    /// Named fields of the data, each somewhere in the body.
    Fields(Vec<String>),
}

/// The body: a template over the event, and how it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The template.
    pub body: TNode,
    /// Slots its frame needs.
    pub frame: usize,
    /// How the bytes are written.
    pub encoding: BodyEncoding,
    /// When true, the JSON body is sent encoded once more as a JSON string.
    pub as_json_string: Option<Expr>,
    /// Where a received request names its event type.
    pub type_from: TypeFrom,
    /// When set, event data must be a mapping; the text says why.
    pub data_must_be_object: Option<String>,
    /// The largest body the provider sends and why (for `conform`).
    pub largest: (usize, String),
    /// Where the data sits in the body.
    pub data_at: DataAt,
    /// The template in words.
    pub words: String,
}

/// One entry of the header list.
// A header entry is the common case and the list is short: boxing it would cost a pointer
// chase per header per attempt to save a few bytes for the two markers.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderEntry {
    /// A header: its value a template, sent when `when` holds and the value is present.
    Header {
        /// The name (shared by every request that sends it, not copied per attempt).
        name: HeaderText,
        /// The value.
        value: TNode,
        /// Slots its frame needs.
        frame: usize,
        /// Sent only when this holds.
        when: Option<Expr>,
        /// The value template as written, for words.
        words: String,
    },
    /// Where the endpoint's custom headers go.
    Custom,
    /// Where the signature headers go.
    Signature,
}

/// How a provider treats custom endpoint headers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderRules {
    /// Header names a custom header can never replace (case-insensitive); such a custom
    /// header is dropped.
    pub protected: Vec<String>,
    /// Custom headers the provider refuses when the endpoint is configured.
    pub limits: Option<HeaderLimits>,
}

/// A provider's configuration-time limits on custom headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLimits {
    /// The provider, in error messages (`Crawl4AI`).
    pub provider: String,
    /// Names must match `^[A-Za-z0-9-]{1,N}$` with this N.
    pub name_max_chars: Option<usize>,
    /// At most this many custom headers.
    pub max_count: Option<usize>,
    /// Values at most this long (characters).
    pub max_value_chars: Option<usize>,
    /// Values may not hold CR, LF or NUL.
    pub no_control_chars: bool,
    /// Refused names (lowercase).
    pub denied: Vec<String>,
    /// Refused name prefixes (lowercase).
    pub denied_prefixes: Vec<String>,
}

/// One id a delivery carries.
#[derive(Debug, Clone, PartialEq)]
pub struct IdForm {
    /// Its name in templates.
    pub name: String,
    /// How one is drawn.
    pub form: TNode,
    /// Slots its frame needs.
    pub frame: usize,
    /// The form as written, for words.
    pub words: String,
    /// Drawn once per delivery (`true`) or afresh per attempt.
    pub repeat: bool,
}

/// Whether an endpoint needs a secret, and the form of one the provider generates.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretRule {
    /// Signing is optional: without a secret, requests go unsigned.
    Optional,
    /// The provider signs every delivery (every endpoint has a secret): without one
    /// given, hookrig generates one of this form from the run's seed.
    Generated {
        /// The form.
        form: TNode,
        /// Slots its frame needs.
        frame: usize,
        /// The form as written, for words.
        words: String,
    },
}

/// One API version of a provider whose catalogue changes with it (Extend).
#[derive(Debug, Clone)]
pub struct ApiVersion {
    /// The version's name, e.g. `2026-02-09`.
    pub name: String,
    /// Its event catalogue.
    pub catalogue: Arc<Vec<EventSpec>>,
}

/// A test vector: known inputs and the signature headers they must give.
#[derive(Debug, Clone, PartialEq)]
pub struct TestVector {
    /// Where it comes from.
    pub source: Source,
    /// The secrets.
    pub secrets: Vec<String>,
    /// The message id.
    pub id: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// The raw body.
    pub body: String,
    /// The URL.
    pub url: String,
    /// The method.
    pub method: String,
    /// Header names and values.
    pub expect: Vec<(String, String)>,
}

impl TestVector {
    /// `Ok` when `scheme` gives the expected headers, else what it gave instead.
    pub fn check(&self, scheme: &Scheme) -> Result<(), String> {
        let got = scheme
            .sign(
                &self.secrets,
                SignInput {
                    id: &self.id,
                    timestamp: self.timestamp,
                    body: self.body.as_bytes(),
                    url: &self.url,
                    method: &self.method,
                },
            )
            .map_err(|e| format!("secret: {e}"))?;
        for (name, want) in &self.expect {
            match crate::signing::header(&got, name) {
                Some(v) if v == want => {}
                Some(v) => {
                    return Err(format!(
                        "{name}: expected `{want}`, the signature section gives `{v}`"
                    ));
                }
                None => {
                    let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
                    return Err(format!(
                        "{name}: the signature section makes no such header (it makes: {})",
                        if names.is_empty() {
                            "none".to_owned()
                        } else {
                            names.join(", ")
                        }
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Where a profile came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A built-in, by name.
    Builtin(String),
    /// A file.
    File(std::path::PathBuf),
    /// A built-in or file with overrides.
    Overridden,
}

/// A provider's delivery rules.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name (`perfectparser`).
    pub name: String,
    /// The provider, in words.
    pub provider: String,
    /// The release, server or API version the rules are read from.
    pub version: String,
    /// Tables and parts the templates use.
    pub program: Arc<Program>,
    /// The delivery's ids.
    pub ids: Arc<Vec<IdForm>>,
    /// The body.
    pub envelope: Arc<Envelope>,
    /// The header list.
    pub headers: Arc<Vec<HeaderEntry>>,
    /// What custom headers may do.
    pub header_rules: HeaderRules,
    /// The signing scheme.
    pub scheme: Scheme,
    /// The scheme in one line (fixtures' index.json).
    pub scheme_summary: String,
    /// The secret fixtures sign with by default: `secret.test`, else the first test
    /// vector's; `None` when the profile does not sign.
    pub test_secret: Option<String>,
    /// Whether a secret is needed, and the form of a generated one.
    pub secret: SecretRule,
    /// Attempts, waits, timeout and what is retried.
    pub retry: RetryPolicy,
    /// Event types the provider sends (of the selected API version).
    pub catalogue: Arc<Vec<EventSpec>>,
    /// The API versions whose catalogues differ, the default first; empty when the
    /// provider has one catalogue.
    pub api_versions: Vec<ApiVersion>,
    /// The selected API version, when the provider has several.
    pub api_version: Option<String>,
    /// Any other event type is accepted with this schema and data (Standard Webhooks).
    pub other: Option<Arc<EventSpec>>,
    /// The delivery status the provider shows between attempts, when it names one.
    pub pending_status: Option<&'static str>,
    /// Every rule with its sources, in the order `hookrig profiles NAME` prints them.
    pub rules: Vec<Sourced>,
    /// Known inputs and the signature headers they must give.
    pub test_vectors: Vec<TestVector>,
    /// Where it came from.
    pub origin: Origin,
    /// [`Profile::body_repeats`], worked out once when the profile is compiled (the
    /// envelope and the program never change after).
    body_repeats: bool,
    /// Per entry of `headers`: whether the header is the same on every attempt of a
    /// delivery ([`Profile::headers_fixed`]), worked out once when the profile is compiled.
    headers_fixed: Arc<Vec<bool>>,
}

/// Body encoding for LlamaCloud (`webhook_output_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// The JSON body encoded once more as a JSON string (the provider's default).
    #[default]
    String,
    /// Plain JSON.
    Json,
}

impl OutputFormat {
    /// `string` or `json`, as templates read `endpoint.output_format`.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::String => "string",
            OutputFormat::Json => "json",
        }
    }
}

/// Where deliveries go and how they are configured.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    /// Target URL (live mode); sim mode ignores it.
    pub url: Option<String>,
    /// HMAC secrets: one signature per secret (several only for key rotation).
    pub secrets: Vec<String>,
    /// A fixed secret sent as a header (PerfectParser's `X-Webhook-Secret`).
    pub static_secret: Option<String>,
    /// Custom headers, in order.
    pub headers: Vec<(String, String)>,
    /// Event filter; `None` = every event.
    pub events: Option<Vec<String>>,
    /// Crawl4AI: include the result in the payload.
    pub data_in_payload: bool,
    /// LlamaCloud: body encoding.
    pub output_format: OutputFormat,
    /// The secret was generated by hookrig from the run's seed (a provider that always
    /// signs, no secret given): reports and the journal show it.
    pub secret_generated: bool,
}

impl Endpoint {
    /// Whether the filter lets `event_type` through.
    pub fn accepts(&self, event_type: &str) -> bool {
        self.events
            .as_ref()
            .is_none_or(|f| f.iter().any(|e| e == event_type))
    }
}

/// A configuration error found before any request is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A custom header the provider would refuse.
    #[error("custom header `{name}`: {reason}")]
    Header {
        /// The header's name as given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// A secret the scheme cannot use.
    #[error("secret: {0}")]
    Secret(#[from] SecretError),
    /// Several secrets for a scheme without rotation.
    #[error(
        "profile `{0}` signs with one secret; a list of secrets (key rotation) needs a profile whose signature has `rotation:`"
    )]
    Rotation(String),
    /// Event data of the wrong shape, or a template that cannot be evaluated with it.
    #[error("{0}")]
    Data(String),
}

/// What stays the same across every attempt of one delivery: its ids and the time the
/// event happened. The providers build the payload once and re-post it, so every body
/// field that says when the event happened repeats unchanged on each retry; only the
/// header timestamps that belong to a signature are fresh per attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryIds {
    /// The id named `id` (LlamaCloud `event_id`, Extend `eventId`, Standard Webhooks
    /// `webhook-id`): the one a signature's `{id}` signs; empty when the provider has none.
    pub message_id: String,
    /// Every id, in the profile's `ids:` order (the message id among them).
    pub values: Vec<String>,
    /// When the event happened (wall clock, since the Unix epoch): the body's
    /// `timestamp`/`created_at`. `None` until the sender fixes it at the first attempt;
    /// a request built while it is `None` uses the time it is built at.
    pub event_time: Option<Duration>,
    /// The seed of ids drawn afresh per attempt (only profiles that have such ids).
    pub attempt_seed: u64,
}

impl DeliveryIds {
    /// Ids with only a message id (and no other named ids).
    pub fn with_message_id(message_id: impl Into<String>) -> Self {
        Self {
            message_id: message_id.into(),
            ..Self::default()
        }
    }
}

/// What the request builder knows about the attempt being made.
#[derive(Debug, Clone, Copy)]
pub struct AttemptInfo<'a> {
    /// Its number, from 1.
    pub n: u32,
    /// How the previous attempt ended.
    pub last: Option<AttemptResult>,
    /// The URL the request goes to (a path in sim mode).
    pub url: &'a str,
}

impl AttemptInfo<'_> {
    /// The first attempt, to [`DEFAULT_PATH`].
    pub fn first() -> AttemptInfo<'static> {
        AttemptInfo {
            n: 1,
            last: None,
            url: DEFAULT_PATH,
        }
    }
}

/// One attempt's request: headers in order and the body exactly as sent.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// Header names and values, in order.
    pub headers: Vec<Header>,
    /// The raw body.
    pub body: Bytes,
}

/// The header values of one delivery that are the same on every attempt (their entry
/// reads neither the attempt's time, number or previous result, nor an id drawn per
/// attempt), kept from the first attempt that made them so that later attempts copy them
/// instead of evaluating their templates again ([`Profile::build_attempt_memo`]). One per
/// delivery; empty until its first attempt.
///
/// It keeps the delivery's signature headers too when they cannot change between its
/// attempts: the body repeats ([`Profile::body_repeats`]) and the signature reads neither
/// the time ([`crate::signing::Scheme::reads_time`]) nor the URL
/// ([`crate::signing::Scheme::signs_url`], which a caller gives per attempt), so the id,
/// body, method and secrets signed are the delivery's own on every attempt
/// (`perfectparser` signs only its body). They are made on the first attempt and copied after, for as long as the body
/// signed is the same bytes (its buffer shared with the body the delivery re-sends).
#[derive(Debug, Clone, Default)]
pub struct HeaderMemo {
    values: Vec<Memo>,
    signature: Option<SignatureMemo>,
}

/// The signature headers of a [`HeaderMemo`] and the body they sign.
#[derive(Debug, Clone)]
struct SignatureMemo {
    body: Bytes,
    headers: Vec<Header>,
}

/// One header entry's value in a [`HeaderMemo`].
#[derive(Debug, Clone)]
enum Memo {
    /// Not made yet, or made afresh per attempt.
    Unknown,
    /// Left out (its `when` does not hold, or its value is absent).
    Skip,
    /// This text (shared, not copied, by the attempts that send it).
    Text(HeaderText),
}

impl Profile {
    /// The profile with the catalogue of API version `name`, or an error listing the
    /// valid versions.
    pub fn with_api_version(mut self, name: &str) -> Result<Profile, String> {
        let names: Vec<&str> = self.api_versions.iter().map(|v| v.name.as_str()).collect();
        if names.is_empty() {
            return Err(format!(
                "profile `{}` has one event catalogue; `api_version` is for extend and other profiles whose catalogue has `api_versions:`",
                self.name
            ));
        }
        let Some(v) = self.api_versions.iter().find(|v| v.name == name).cloned() else {
            let hint = crate::text::did_you_mean(name, &names);
            return Err(format!(
                "unknown api_version `{name}` for {}{hint} (valid: {}; default {})",
                self.name,
                names.join(", "),
                names[0]
            ));
        };
        self.catalogue = v.catalogue;
        self.api_version = Some(v.name);
        Ok(self)
    }

    /// The secret fixtures sign with by default.
    pub fn test_secret(&self) -> Option<&str> {
        self.test_secret.as_deref()
    }

    /// Whether the profile signs every delivery (so an endpoint always has a secret).
    pub fn always_signs(&self) -> bool {
        self.scheme.signs() && matches!(self.secret, SecretRule::Generated { .. })
    }

    /// Whether a template reads `endpoint.static_secret` (a fixed secret sent as a header).
    pub fn uses_static_secret(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            HeaderEntry::Header { name, words, .. } if words.contains("endpoint.static_secret") => {
                Some(name.as_str())
            }
            _ => None,
        })
    }

    /// A secret in the provider's own form, drawn from `rng`, when the provider signs
    /// every delivery; `None` when signing is optional.
    pub fn generate_secret(&self, rng: &mut RunRng) -> Option<String> {
        let SecretRule::Generated { form, frame, .. } = &self.secret else {
            return None;
        };
        let env = Env::default();
        let rt = Rt {
            prog: &self.program,
            env: &env,
        };
        let mut text = String::new();
        rt.eval(form, *frame, Some(rng)).ok()?.write_text(&mut text);
        Some(text)
    }

    /// `endpoint` as the run sends to it: with a secret generated from `rng` when the
    /// provider signs every delivery and none was given; unchanged otherwise.
    pub fn endpoint_for_run(&self, endpoint: &Endpoint, rng: &mut RunRng) -> Option<Endpoint> {
        if !endpoint.secrets.is_empty() {
            return None;
        }
        let secret = self.generate_secret(rng)?;
        Some(Endpoint {
            secrets: vec![secret],
            secret_generated: true,
            ..endpoint.clone()
        })
    }

    /// The catalogue entry for `event_type`.
    pub fn event(&self, event_type: &str) -> Option<&EventSpec> {
        self.catalogue.iter().find(|e| e.name == event_type)
    }

    /// The catalogue entry for `event_type`, or the open catalogue's entry for any other.
    fn spec(&self, event_type: &str) -> Option<&EventSpec> {
        self.event(event_type).or(self.other.as_deref())
    }

    /// Whether the profile sends `event_type`.
    pub fn knows_event(&self, event_type: &str) -> bool {
        self.other.is_some() || self.event(event_type).is_some()
    }

    /// The JSON Schema of the body for `event_type`.
    pub fn body_schema(&self, event_type: &str) -> Option<Value> {
        self.spec(event_type).map(|s| s.schema.clone())
    }

    /// Realistic data for `event_type` of an event that happened at the simulated clock's
    /// start (2025-01-01T00:00:00Z): [`Profile::generate_data_at`] that time.
    pub fn generate_data(&self, event_type: &str, rng: &mut RunRng) -> Value {
        let epoch = Duration::from_secs(crate::clock::SIM_EPOCH_UNIX as u64);
        self.generate_data_at(event_type, epoch, rng)
    }

    /// Realistic data for `event_type`: its generator's, or its example; for a type the
    /// profile does not know, the open catalogue's, else the first event's. The data's own
    /// time fields (a generator's or part's `time`, e.g. Extend's `updatedAt`) read `time`,
    /// when the event happened (unix time as a duration).
    pub fn generate_data_at(&self, event_type: &str, time: Duration, rng: &mut RunRng) -> Value {
        let Some(spec) = self.spec(event_type).or(self.catalogue.first()) else {
            return Value::Object(serde_json::Map::new());
        };
        spec.data(&self.program, event_type, time, rng)
            .unwrap_or(Value::Null)
    }

    /// The value of the profile's part `name` called with `args`, drawn from `rng`: data
    /// in the provider's own shapes for code that builds more than one event's data (the
    /// provider emulators' job results).
    pub fn part(
        &self,
        name: &str,
        args: &[(String, Value)],
        rng: &mut RunRng,
    ) -> Result<Value, String> {
        let env = Env::default();
        let rt = Rt {
            prog: &self.program,
            env: &env,
        };
        rt.call_part(name, args, rng)
    }

    /// The profile's table `name`, if it has one.
    pub fn table(&self, name: &str) -> Option<&Value> {
        self.program
            .tables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// New ids for one delivery.
    pub fn new_ids(&self, rng: &mut RunRng) -> DeliveryIds {
        let env = Env::default();
        let rt = Rt {
            prog: &self.program,
            env: &env,
        };
        // Sized to the profile's ids: a pushed-to empty `Vec` would hold room for four.
        let mut ids = DeliveryIds {
            values: Vec::with_capacity(self.ids.len()),
            ..DeliveryIds::default()
        };
        for f in self.ids.iter() {
            let mut text = String::new();
            if f.repeat
                && let Ok(v) = rt.eval(&f.form, f.frame, Some(rng))
            {
                v.write_text(&mut text);
            }
            if f.name == "id" {
                ids.message_id.clone_from(&text);
            }
            ids.values.push(text);
        }
        if self.ids.iter().any(|f| !f.repeat) {
            ids.attempt_seed = rng.u64();
        }
        ids
    }

    /// The id values for attempt `n`: the delivery's, with the ids drawn per attempt drawn
    /// afresh from the delivery's attempt seed.
    fn attempt_ids<'a>(&self, ids: &'a DeliveryIds, n: u32) -> std::borrow::Cow<'a, [String]> {
        if self.ids.iter().all(|f| f.repeat) && ids.values.len() == self.ids.len() {
            return std::borrow::Cow::Borrowed(&ids.values);
        }
        let env = Env::default();
        let rt = Rt {
            prog: &self.program,
            env: &env,
        };
        let mut rng = RunRng::derive(ids.attempt_seed, &format!("attempt-{n}"));
        let values = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if f.repeat
                    && let Some(v) = ids.values.get(i)
                {
                    return v.clone();
                }
                if f.name == "id" && !ids.message_id.is_empty() && f.repeat {
                    return ids.message_id.clone();
                }
                let mut text = String::new();
                if let Ok(v) = rt.eval(&f.form, f.frame, Some(&mut rng)) {
                    v.write_text(&mut text);
                }
                text
            })
            .collect();
        std::borrow::Cow::Owned(values)
    }

    /// Checks an endpoint against the provider's configuration rules.
    pub fn check_endpoint(&self, endpoint: &Endpoint) -> Result<(), ConfigError> {
        if endpoint.secrets.len() > 1 && !self.scheme.supports_rotation() {
            return Err(ConfigError::Rotation(self.name.clone()));
        }
        for s in &endpoint.secrets {
            self.scheme.check_secret(s)?;
        }
        self.check_headers(&endpoint.headers)
    }

    fn check_headers(&self, headers: &[(String, String)]) -> Result<(), ConfigError> {
        let refuse = |name: &str, reason: String| ConfigError::Header {
            name: name.to_owned(),
            reason,
        };
        if let Some(l) = &self.header_rules.limits
            && let Some(max) = l.max_count
            && headers.len() > max
        {
            return Err(refuse(
                &headers[max].0,
                format!(
                    "{} accepts at most {max} custom headers, {} given",
                    l.provider,
                    headers.len()
                ),
            ));
        }
        for (name, value) in headers {
            if let Some(l) = &self.header_rules.limits {
                if let Some(max) = l.name_max_chars {
                    let ok_name = !name.is_empty()
                        && name.len() <= max
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                    if !ok_name {
                        return Err(refuse(
                            name,
                            format!(
                                "{} header names must match ^[A-Za-z0-9-]{{1,{max}}}$",
                                l.provider
                            ),
                        ));
                    }
                }
                let lower = name.to_ascii_lowercase();
                if l.denied.contains(&lower) {
                    return Err(refuse(
                        name,
                        format!(
                            "{} refuses this header (denied: {})",
                            l.provider,
                            l.denied.join(", ")
                        ),
                    ));
                }
                if let Some(p) = l
                    .denied_prefixes
                    .iter()
                    .find(|p| lower.starts_with(p.as_str()))
                {
                    return Err(refuse(
                        name,
                        format!(
                            "{} refuses header names starting with `{p}` (denied prefixes: {})",
                            l.provider,
                            l.denied_prefixes.join(", ")
                        ),
                    ));
                }
                if let Some(max) = l.max_value_chars {
                    let n = value.chars().count();
                    if n > max {
                        return Err(refuse(
                            name,
                            format!("value is {n} characters; {} allows {max}", l.provider),
                        ));
                    }
                }
                if l.no_control_chars && value.contains(['\r', '\n', '\0']) {
                    return Err(refuse(name, "value contains CR, LF or NUL".into()));
                }
            }
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(refuse(name, "not a valid HTTP header name".into()));
            }
            if http::HeaderValue::from_str(value).is_err() {
                return Err(refuse(
                    name,
                    "value is not a valid HTTP header value".into(),
                ));
            }
        }
        Ok(())
    }

    /// The first attempt's request at wall time `now`, sent to `endpoint.url` (or
    /// [`DEFAULT_PATH`]): see [`Profile::build_attempt`].
    pub fn build_request(
        &self,
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        ids: &DeliveryIds,
        now: Duration,
    ) -> Result<OutgoingRequest, ConfigError> {
        let url = endpoint.url.as_deref().unwrap_or(DEFAULT_PATH);
        self.build_attempt(
            endpoint,
            event_type,
            data,
            ids,
            now,
            AttemptInfo {
                url,
                ..AttemptInfo::first()
            },
        )
    }

    /// The request for one attempt at wall time `now`: the body (whose event-time fields
    /// read `ids.event_time`, fixed for the delivery), the headers (per-attempt ones such
    /// as a retry number from `attempt`), and the signature with its timestamp, both
    /// computed afresh at `now`.
    pub fn build_attempt(
        &self,
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        ids: &DeliveryIds,
        now: Duration,
        attempt: AttemptInfo<'_>,
    ) -> Result<OutgoingRequest, ConfigError> {
        self.build_attempt_memo(
            endpoint, event_type, data, ids, None, now, attempt, None, None,
        )
    }

    /// Whether every attempt of a delivery carries the same body bytes: the envelope reads
    /// nothing that changes between attempts (their time, number or previous result) and
    /// draws nothing from the generator. The body is then built once per delivery
    /// ([`Profile::build_attempt_memo`]).
    pub fn body_repeats(&self) -> bool {
        self.body_repeats
    }

    /// Whether `envelope` builds the same body on every attempt under `program` (see
    /// [`Profile::body_repeats`]): the template walked once, when the profile is compiled.
    fn envelope_repeats(envelope: &Envelope, program: &Program) -> bool {
        !template::node_varies_per_attempt(&envelope.body, &program.parts)
            && envelope
                .as_json_string
                .as_ref()
                .is_none_or(|c| !template::expr_varies_per_attempt(c))
    }

    /// Whether any header (its value or its `when`) reads the event data. When none does
    /// and [`Profile::body_repeats`] holds, a delivery needs its data only to build its
    /// first body: the sender drops the data of a delivery it owns once that is built.
    pub fn headers_read_data(&self) -> bool {
        self.headers.iter().any(|h| match h {
            HeaderEntry::Header { value, when, .. } => {
                template::node_reads_data(value, &self.program.parts)
                    || when.as_ref().is_some_and(template::expr_reads_data)
            }
            HeaderEntry::Custom | HeaderEntry::Signature => false,
        })
    }

    /// Per entry of `headers`, whether it makes the same header on every attempt of one
    /// delivery: neither its value nor its `when` reads what varies per attempt
    /// ([`template::node_varies_per_attempt`]), and no id is drawn afresh per attempt
    /// (an id is read as `{id}` alike whether it repeats or not, so a profile with such an
    /// id has no fixed header).
    fn headers_fixed(headers: &[HeaderEntry], program: &Program, ids: &[IdForm]) -> Arc<Vec<bool>> {
        let ids_repeat = ids.iter().all(|f| f.repeat);
        Arc::new(
            headers
                .iter()
                .map(|h| match h {
                    HeaderEntry::Header { value, when, .. } => {
                        ids_repeat
                            && !template::node_varies_per_attempt(value, &program.parts)
                            && when
                                .as_ref()
                                .is_none_or(|w| !template::expr_varies_per_attempt(w))
                    }
                    HeaderEntry::Custom | HeaderEntry::Signature => false,
                })
                .collect(),
        )
    }

    /// [`Profile::build_attempt`] for attempt after attempt of one delivery: with `body`,
    /// the body of an earlier attempt when [`Profile::body_repeats`] holds, and with `memo`,
    /// the delivery's [`HeaderMemo`] — a header that is the same on every attempt is
    /// evaluated on the first attempt and copied from it after. Only the other headers and
    /// the signature are made afresh; the requests are the same as with neither.
    /// `event_time` is the event's time when `ids` has none (`ids.event_time` wins when
    /// set): a delivery the sender borrows has its time fixed at its first attempt without
    /// its ids being copied to hold it. With neither, the event happened at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn build_attempt_memo(
        &self,
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        ids: &DeliveryIds,
        event_time: Option<Duration>,
        now: Duration,
        attempt: AttemptInfo<'_>,
        body: Option<Bytes>,
        memo: Option<&mut HeaderMemo>,
    ) -> Result<OutgoingRequest, ConfigError> {
        if let Some(why) = &self.envelope.data_must_be_object
            && !data.is_object()
        {
            return Err(ConfigError::Data(format!("{why}, got {}", json_kind(data))));
        }
        let id_values = self.attempt_ids(ids, attempt.n);
        let (last_failure, last_status) = match attempt.last {
            None => (None, None),
            Some(AttemptResult::Status(s)) => (Some("status"), Some(s)),
            Some(AttemptResult::Timeout) => (Some("timeout"), None),
            Some(AttemptResult::Connection) => (Some("connection"), None),
            Some(AttemptResult::TooManyRedirects) => (Some("too_many_redirects"), None),
        };
        let signed = self.scheme.signs() && !endpoint.secrets.is_empty();
        let env = Env {
            ty: event_type,
            data: Some(data),
            ids: &id_values,
            time: ids.event_time.or(event_time).unwrap_or(now),
            now,
            attempt: attempt.n,
            last_failure,
            last_status,
            signed,
            static_secret: endpoint.static_secret.as_deref(),
            data_in_payload: endpoint.data_in_payload,
            output_format: endpoint.output_format.name(),
            url: endpoint.url.as_deref(),
            body: None,
            headers: &[],
        };
        let rt = Rt {
            prog: &self.program,
            env: &env,
        };
        let body = match body {
            Some(b) => b,
            None => {
                let render = Render {
                    rt: &rt,
                    node: &self.envelope.body,
                };
                // Compact JSON sent as a JSON string is written escaped as it is made, in one
                // pass: the same bytes as encoding it and then encoding that text again
                // ([`InString`]). Otherwise (another encoding, or the condition false or in
                // error) as before: encoded, then the condition read.
                if self.envelope.encoding == BodyEncoding::Compact
                    && let Some(cond) = &self.envelope.as_json_string
                    && let Ok(wrap) = rt.expr_value(cond)
                    && wrap.into_value().as_bool() == Some(true)
                {
                    let body = Bytes::from(in_json_string(&render)?);
                    let headers =
                        self.headers_for(&rt, endpoint, &body, ids, now, attempt.url, memo)?;
                    return Ok(OutgoingRequest { headers, body });
                }
                let mut body = self.encode(&render)?;
                if let Some(cond) = &self.envelope.as_json_string {
                    let wrap = rt.expr_value(cond).map_err(ConfigError::Data)?.into_value();
                    if wrap.as_bool() == Some(true) {
                        let inner = String::from_utf8(body).unwrap_or_default();
                        body = self.encode(&inner)?;
                    }
                }
                Bytes::from(body)
            }
        };
        let headers = self.headers_for(&rt, endpoint, &body, ids, now, attempt.url, memo)?;
        Ok(OutgoingRequest { headers, body })
    }

    /// The header list evaluated, the endpoint's custom headers merged in, the signature
    /// inserted where the list says.
    #[allow(clippy::too_many_arguments)]
    fn headers_for(
        &self,
        rt: &Rt<'_>,
        endpoint: &Endpoint,
        body: &Bytes,
        ids: &DeliveryIds,
        now: Duration,
        url: &str,
        memo: Option<&mut HeaderMemo>,
    ) -> Result<Vec<Header>, ConfigError> {
        let mut out: Vec<Header> = Vec::with_capacity(self.headers.len() + 4);
        let mut sig_at = None;
        let mut late = false;
        let (values, signature) = match memo {
            Some(m) => (Some(&mut m.values), Some(&mut m.signature)),
            None => (None, None),
        };
        // The memo only with the fixed flags of this very header list (a profile whose
        // `headers` were replaced after it was compiled evaluates every header).
        let mut memo = values.filter(|_| self.headers_fixed.len() == self.headers.len());
        if let Some(m) = memo.as_deref_mut()
            && m.len() != self.headers.len()
        {
            *m = vec![Memo::Unknown; self.headers.len()];
        }
        for (i, entry) in self.headers.iter().enumerate() {
            match entry {
                HeaderEntry::Custom => {
                    self.merge_custom(&mut out, endpoint);
                    late = true;
                }
                HeaderEntry::Signature => sig_at = Some(out.len()),
                HeaderEntry::Header {
                    name,
                    value,
                    frame,
                    when,
                    ..
                } => {
                    let slot = match memo.as_deref_mut() {
                        Some(m) if self.headers_fixed[i] => Some(&mut m[i]),
                        _ => None,
                    };
                    let text = match slot {
                        Some(Memo::Skip) => continue,
                        Some(Memo::Text(t)) => t.clone(),
                        slot => {
                            let text = Self::header_value(rt, name, value, *frame, when.as_ref())?;
                            if let Some(slot) = slot {
                                *slot = match &text {
                                    None => Memo::Skip,
                                    Some(t) => Memo::Text(t.clone()),
                                };
                            }
                            match text {
                                Some(t) => t,
                                None => continue,
                            }
                        }
                    };
                    if late {
                        // A header after the custom ones wins over a custom one of its name.
                        if let Some(i) = out.iter().position(|(k, _)| k.eq_ignore_ascii_case(name))
                        {
                            out.remove(i);
                            if let Some(at) = &mut sig_at
                                && *at > i
                            {
                                *at -= 1;
                            }
                        }
                    }
                    out.push((name.clone(), text));
                }
            }
        }
        if !late {
            self.merge_custom(&mut out, endpoint);
        }
        let sign = || {
            self.scheme.sign(
                &endpoint.secrets,
                SignInput {
                    id: &ids.message_id,
                    timestamp: clock::unix_secs(now),
                    body,
                    url,
                    method: "POST",
                },
            )
        };
        // Signed once per delivery when nothing signed changes between its attempts (see
        // [`HeaderMemo`]); the body compared, so a different one is signed afresh.
        let kept_per_delivery =
            self.body_repeats && !self.scheme.reads_time() && !self.scheme.signs_url();
        // The signature headers go in where the list says, one after another; those kept
        // for the delivery are copied straight into the list (their texts shared), not
        // into a list of their own first.
        let at = sig_at.unwrap_or(out.len()).min(out.len());
        match signature.filter(|_| kept_per_delivery) {
            Some(Some(kept)) if kept.body == *body => {
                out.splice(at..at, kept.headers.iter().cloned());
            }
            Some(slot) => {
                let headers = sign()?;
                out.splice(at..at, headers.iter().cloned());
                *slot = Some(SignatureMemo {
                    body: body.clone(),
                    headers,
                });
            }
            None => {
                out.splice(at..at, sign()?);
            }
        }
        Ok(out)
    }

    /// One header entry's value, `None` when its `when` does not hold or its value is absent.
    fn header_value(
        rt: &Rt<'_>,
        name: &str,
        value: &TNode,
        frame: usize,
        when: Option<&Expr>,
    ) -> Result<Option<HeaderText>, ConfigError> {
        if let Some(w) = when {
            // `when: signed` (Extend's timestamp header) read from the attempt's variables,
            // not evaluated into a value: the same truth either way.
            let holds = match w {
                Expr::Var(Var::Ctx(CtxVar::Signed)) => rt.env.signed,
                _ => {
                    rt.expr_value(w)
                        .map_err(|e| ConfigError::Data(format!("header {name}: {e}")))?
                        .into_value()
                        .as_bool()
                        == Some(true)
                }
            };
            if !holds {
                return Ok(None);
            }
        }
        // A plain string (`Content-Type: application/json`) is its own text: copied, not
        // evaluated into a value and written out again (the same text either way).
        if let TNode::Lit(Value::String(text)) = value {
            return Ok(Some(text.as_str().into()));
        }
        // `{timestamp}` alone (Standard Webhooks' `webhook-timestamp`, Extend's
        // `x-extend-request-timestamp`), made afresh on every attempt: the attempt's Unix
        // seconds written straight into the value (inline, no allocation), not evaluated
        // into a JSON number and written out through the thread's buffer — the same digits.
        if let TNode::Expr(Expr::Var(Var::Ctx(CtxVar::Timestamp))) = value {
            let mut digits = itoa::Buffer::new();
            return Ok(Some(HeaderText::new(
                digits.format(clock::unix_secs(rt.env.now)),
            )));
        }
        let v = rt
            .eval(value, frame, None)
            .map_err(|e| ConfigError::Data(format!("header {name}: {e}")))?;
        if v.is_absent() {
            return Ok(None);
        }
        // Written into the thread's buffer and copied from it: a short value (a timestamp)
        // is then kept inline with no allocation, a long one is one allocation.
        thread_local! {
            static TEXT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        Ok(Some(TEXT.with_borrow_mut(|text| {
            text.clear();
            v.write_text(text);
            let value = HeaderText::new(text.as_str());
            // A buffer grown by an unusual value is not kept.
            if text.capacity() > 4096 {
                *text = String::new();
            }
            value
        })))
    }

    /// The endpoint's custom headers: a protected name is dropped, a name already sent
    /// takes the custom value in place, any other is appended.
    fn merge_custom(&self, out: &mut Vec<Header>, endpoint: &Endpoint) {
        for (name, value) in &endpoint.headers {
            if self
                .header_rules
                .protected
                .iter()
                .any(|p| p.eq_ignore_ascii_case(name))
            {
                continue;
            }
            match out.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                Some(slot) => slot.1 = value.as_str().into(),
                None => out.push((name.as_str().into(), value.as_str().into())),
            }
        }
    }

    /// `value` in the profile's body encoding.
    fn encode<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>, ConfigError> {
        match self.envelope.encoding {
            BodyEncoding::Compact => serde_json::to_vec(value),
            BodyEncoding::Pretty => serde_json::to_vec_pretty(value),
            BodyEncoding::PythonJsonDumps => crate::pyjson::to_vec(value),
        }
        .map_err(|e| ConfigError::Data(e.to_string()))
    }

    /// The event type a received body names (for `when:` steps on a live receiver); see
    /// [`Profile::event_type_of_request`] for profiles that name it in a header.
    pub fn event_type_of(&self, raw: &[u8]) -> Option<String> {
        self.event_type_of_request(&[], raw)
    }

    /// The event type a received request names, where the profile says it is.
    pub fn event_type_of_request(&self, headers: &[Header], raw: &[u8]) -> Option<String> {
        match &self.envelope.type_from {
            TypeFrom::Header(name) => crate::signing::header(headers, name).map(str::to_owned),
            TypeFrom::Body(ptr) => {
                let body = self.decode_body(raw).ok()?;
                body.pointer(ptr).and_then(Value::as_str).map(str::to_owned)
            }
            TypeFrom::Template(t, frame) => {
                let body = self.decode_body(raw).ok()?;
                let env = Env {
                    body: Some(&body),
                    headers,
                    ..Env::default()
                };
                let rt = Rt {
                    prog: &self.program,
                    env: &env,
                };
                let v = rt.eval(t, *frame, None).ok()?;
                let mut s = String::new();
                v.write_text(&mut s);
                (!s.is_empty()).then_some(s)
            }
            TypeFrom::Unknown => None,
        }
    }

    /// The body as JSON for checks: a body sent encoded as a JSON string is decoded.
    pub fn decode_body(&self, raw: &[u8]) -> Result<Value, String> {
        let v: Value = serde_json::from_slice(raw).map_err(|e| format!("body is not JSON: {e}"))?;
        match v {
            Value::String(inner) if self.envelope.as_json_string.is_some() => {
                serde_json::from_str(&inner)
                    .map_err(|e| format!("string-encoded body is not JSON: {e}"))
            }
            other => Ok(other),
        }
    }

    /// The profile file's text, for `hookrig profiles NAME --export`: a built-in's file as
    /// shipped.
    pub fn export(&self) -> Option<&'static str> {
        match &self.origin {
            Origin::Builtin(name) => builtin_text(name),
            _ => None,
        }
    }
}

/// `value` as compact JSON encoded as a JSON string: the bytes of
/// `serde_json::to_vec(&String::from_utf8(serde_json::to_vec(value)))`, written in one pass
/// (`"`, the JSON with each of its own escapes escaped, `"`).
fn in_json_string<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ConfigError> {
    let mut out = Vec::with_capacity(256);
    out.push(b'"');
    let mut ser = serde_json::Serializer::with_formatter(&mut out, InString);
    value
        .serialize(&mut ser)
        .map_err(|e| ConfigError::Data(e.to_string()))?;
    out.push(b'"');
    Ok(out)
}

/// serde_json's compact formatter writing inside a JSON string. Outside its strings compact
/// JSON has no byte a JSON string escapes (structure, numbers, `true`, `false`, `null`), and
/// inside them serde_json hands over as fragments only bytes that need no escape; so only
/// its quotes and its own escapes change: `"` is written `\"`, and an escape (`\n`,
/// `\"`, `\u001f`) with its backslash, and a quote it holds, escaped once more.
struct InString;

impl serde_json::ser::Formatter for InString {
    fn begin_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"\\\"")
    }

    fn end_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"\\\"")
    }

    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        use serde_json::ser::CharEscape as E;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match escape {
            E::Quote => w.write_all(b"\\\\\\\""),
            E::ReverseSolidus => w.write_all(b"\\\\\\\\"),
            E::Solidus => w.write_all(b"\\\\/"),
            E::Backspace => w.write_all(b"\\\\b"),
            E::FormFeed => w.write_all(b"\\\\f"),
            E::LineFeed => w.write_all(b"\\\\n"),
            E::CarriageReturn => w.write_all(b"\\\\r"),
            E::Tab => w.write_all(b"\\\\t"),
            E::AsciiControl(b) => w.write_all(&[
                b'\\',
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
    }
}

/// Every attempt's start offset when each attempt fails at once: 0, w1, w1+w2, … (the
/// planned waits: without jitter, overload or `Retry-After`).
pub fn retry_starts(policy: &RetryPolicy) -> Vec<Duration> {
    let mut t = Duration::ZERO;
    let mut out = vec![t];
    for w in policy.waits() {
        t += w;
        out.push(t);
    }
    out
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A generator of event data, shared by catalogue entries.
pub type SharedGen = Arc<Gen>;

/// A shared profile.
pub type SharedProfile = Arc<Profile>;

#[cfg(test)]
mod tests;
