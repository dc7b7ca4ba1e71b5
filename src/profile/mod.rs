//! Profiles: a provider's delivery rules as data.
//!
//! A [`Profile`] is a table — envelope, header rules, signing scheme, retry policy,
//! timeout, event catalogue — and the code paths that read it are shared by every
//! provider: [`Profile::build_request`] turns an event into the exact bytes and headers an
//! attempt sends, and the sender reads [`Profile::retry`] to know what to do next.
//!
//! Layout: one file per built-in provider (`llamacloud.rs`, `crawl4ai.rs`, `extend.rs`,
//! `perfectparser.rs`, `standard_webhooks.rs`, `svix.rs`) holding only its table — the
//! rules and, beside each, where it comes from (`rules.rs`); `catalogue/` holds each
//! provider's event types with their JSON Schemas and data generators; `describe.rs` the
//! words `hookrig profiles NAME` prints, computed from the data; this file has the shared
//! types, the envelope builders and the header rules.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::clock;
use crate::retry::RetryPolicy;
use crate::rng::RunRng;
use crate::signing::{Scheme, SecretError, SignInput};

pub mod catalogue;
mod crawl4ai;
mod describe;
mod extend;
mod llamacloud;
mod perfectparser;
pub mod rules;
mod standard_webhooks;
mod svix;

pub use catalogue::EventSpec;
pub use rules::{Rule, Source, Sourced};

/// The names of the built-in profiles, in display order.
pub const BUILTIN_NAMES: &[&str] = &[
    "llamacloud",
    "crawl4ai",
    "extend",
    "perfectparser",
    "standard-webhooks",
    "svix",
];

/// A built-in profile by name.
pub fn builtin(name: &str) -> Option<Profile> {
    Some(match name {
        "llamacloud" => llamacloud::profile(),
        "crawl4ai" => crawl4ai::profile(),
        "extend" => extend::profile(),
        "perfectparser" => perfectparser::profile(),
        "standard-webhooks" => standard_webhooks::profile(),
        "svix" => svix::profile(),
        _ => return None,
    })
}

/// A built-in profile by name, or an error naming the nearest built-in one and listing
/// them all: `unknown profile `perfectparsr`: did you mean `perfectparser`? (built-in: …)`.
pub fn lookup(name: &str) -> Result<Profile, String> {
    builtin(name).ok_or_else(|| {
        let hint = crate::scenario::load::nearest(name, BUILTIN_NAMES)
            .map(|n| format!(": did you mean `{n}`?"))
            .unwrap_or_default();
        format!(
            "unknown profile `{name}`{hint} (built-in: {})",
            BUILTIN_NAMES.join(", ")
        )
    })
}

/// Every built-in profile.
pub fn builtins() -> Vec<Profile> {
    BUILTIN_NAMES.iter().filter_map(|n| builtin(n)).collect()
}

/// The body envelope: how event data becomes a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `{event_id, event_type, timestamp: float, data}`, optionally JSON-encoded as a string.
    LlamaCloud,
    /// `{task_id, task_type, status, timestamp, urls, data?, error?}`.
    Crawl4ai,
    /// `{eventId, eventType, payload}`.
    Extend,
    /// `{event, created_at, …data}` (flat).
    PerfectParser,
    /// `{type, timestamp, data}`.
    StandardWebhooks,
}

/// How the body's bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// Compact JSON, no spaces, UTF-8 text as is (serde_json, Go, JavaScript).
    Compact,
    /// Python's `json.dumps` defaults: `", "` and `": "`, non-ASCII as `\uXXXX`.
    PythonJsonDumps,
}

/// How a provider treats custom endpoint headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRules {
    /// Header names a custom header can never replace (case-insensitive); such a custom
    /// header is dropped.
    pub protected: Vec<&'static str>,
    /// `Content-Type` is forced after custom headers (Crawl4AI).
    pub content_type_last: bool,
    /// Custom headers the provider refuses when the endpoint is configured.
    pub limits: Option<HeaderLimits>,
}

/// A provider's configuration-time limits on custom headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLimits {
    /// The provider, in error messages (`Crawl4AI`).
    pub provider: &'static str,
    /// Names must match `^[A-Za-z0-9-]{1,N}$` with this N.
    pub name_max_chars: Option<usize>,
    /// At most this many custom headers.
    pub max_count: Option<usize>,
    /// Values at most this long (characters).
    pub max_value_chars: Option<usize>,
    /// Values may not hold CR, LF or NUL.
    pub no_control_chars: bool,
    /// Refused names (lowercase).
    pub denied: &'static [&'static str],
    /// Refused name prefixes (lowercase).
    pub denied_prefixes: &'static [&'static str],
}

/// Crawl4AI refuses these custom header names at configuration time.
pub const CRAWL4AI_DENIED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "content-type",
    "proxy-authorization",
    "authorization",
    "cookie",
    "expect",
    "upgrade",
    "te",
    "trailer",
];

/// Whether an endpoint needs a secret, and the form of one the provider generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretRule {
    /// Signing is optional: without a secret, requests go unsigned.
    Optional,
    /// The provider signs every delivery (every endpoint has a secret): without one
    /// given, hookrig generates one of this form from the run's seed.
    Generated(SecretForm),
}

/// The form of a generated secret: a prefix and random characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretForm {
    /// `wss_`, `whsec_`, or empty.
    pub prefix: &'static str,
    /// What follows the prefix.
    pub body: SecretBody,
}

/// What follows a generated secret's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretBody {
    /// This many letters and digits.
    Alnum(usize),
    /// This many lowercase hex digits.
    Hex(usize),
    /// This many random bytes, base64-encoded (Svix: 24).
    Base64Bytes(usize),
}

/// One API version of a provider whose catalogue changes with it (Extend).
#[derive(Debug, Clone, Copy)]
pub struct ApiVersion {
    /// The version's name, e.g. `2026-02-09`.
    pub name: &'static str,
    /// Its event catalogue.
    pub catalogue: fn() -> Vec<EventSpec>,
}

/// A provider's delivery rules.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name (`perfectparser`).
    pub name: String,
    /// The provider, in words.
    pub provider: &'static str,
    /// The release, server or API version the rules are read from.
    pub version: &'static str,
    /// Body envelope.
    pub envelope: Envelope,
    /// How the body's bytes are written.
    pub body_encoding: BodyEncoding,
    /// Fixed headers every request carries, in order.
    pub static_headers: Vec<(&'static str, &'static str)>,
    /// What custom headers may do.
    pub header_rules: HeaderRules,
    /// Signing scheme.
    pub scheme: Scheme,
    /// Whether a secret is needed, and the form of a generated one.
    pub secret: SecretRule,
    /// Attempts, waits, timeout and what is retried.
    pub retry: RetryPolicy,
    /// Event types the provider sends (of the selected API version).
    pub catalogue: Vec<EventSpec>,
    /// The API versions whose catalogues differ, the default first; empty when the
    /// provider has one catalogue.
    pub api_versions: Vec<ApiVersion>,
    /// The selected API version, when the provider has several.
    pub api_version: Option<&'static str>,
    /// Whether event types outside the catalogue are allowed (Standard Webhooks).
    pub open_catalogue: bool,
    /// The delivery status the provider shows between attempts, when it names one.
    pub pending_status: Option<&'static str>,
    /// Every rule with its sources, in the order `hookrig profiles NAME` prints them.
    pub rules: Vec<Sourced>,
}

/// Body encoding for LlamaCloud (`webhook_output_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// The JSON body encoded once more as a JSON string (the provider's default).
    #[default]
    String,
    /// Plain JSON.
    Json,
}

/// Where deliveries go and how they are configured.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    /// Target URL (live mode); sim mode ignores it.
    pub url: Option<String>,
    /// HMAC secrets: one signature per secret (several only for key rotation).
    pub secrets: Vec<String>,
    /// PerfectParser's static `X-Webhook-Secret`.
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
        "profile `{0}` signs with one secret; a list of secrets (key rotation) is only for standard-webhooks"
    )]
    Rotation(String),
    /// Event data of the wrong shape.
    #[error("{0}")]
    Data(String),
}

/// What stays the same across every attempt of one delivery: its ids and the time the
/// event happened. The providers build the payload once and re-post it, so every body
/// field that says when the event happened repeats unchanged on each retry; only the
/// header timestamps that belong to a signature are fresh per attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryIds {
    /// LlamaCloud `event_id`, Extend `eventId`, Standard Webhooks `webhook-id`; empty when
    /// the provider has none.
    pub message_id: String,
    /// When the event happened (wall clock, since the Unix epoch): the body's
    /// `timestamp`/`created_at`. `None` until the sender fixes it at the first attempt;
    /// a request built while it is `None` uses the time it is built at.
    pub event_time: Option<Duration>,
}

/// One attempt's request: headers in order and the body exactly as sent.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Bytes,
}

impl Profile {
    /// The profile with the catalogue of API version `name`, or an error listing the
    /// valid versions.
    pub fn with_api_version(mut self, name: &str) -> Result<Profile, String> {
        let names: Vec<&str> = self.api_versions.iter().map(|v| v.name).collect();
        if names.is_empty() {
            return Err(format!(
                "profile `{}` has one event catalogue; `api_version` is for extend",
                self.name
            ));
        }
        let Some(v) = self.api_versions.iter().find(|v| v.name == name).copied() else {
            let hint = crate::scenario::load::nearest(name, &names)
                .map(|n| format!(": did you mean `{n}`?"))
                .unwrap_or_default();
            return Err(format!(
                "unknown api_version `{name}` for {}{hint} (valid: {}; default {})",
                self.name,
                names.join(", "),
                names[0]
            ));
        };
        self.catalogue = (v.catalogue)();
        self.api_version = Some(v.name);
        Ok(self)
    }

    /// A secret in the provider's own form, drawn from `rng`, when the provider signs
    /// every delivery; `None` when signing is optional.
    pub fn generate_secret(&self, rng: &mut RunRng) -> Option<String> {
        let SecretRule::Generated(form) = self.secret else {
            return None;
        };
        let body = match form.body {
            SecretBody::Alnum(n) => rng.alnum(n),
            SecretBody::Hex(n) => rng.hex(n),
            SecretBody::Base64Bytes(n) => {
                use base64::Engine as _;
                let bytes: Vec<u8> = (0..n).map(|_| rng.u64() as u8).collect();
                base64::engine::general_purpose::STANDARD.encode(bytes)
            }
        };
        Some(format!("{}{body}", form.prefix))
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

    /// Whether the profile sends `event_type`.
    pub fn knows_event(&self, event_type: &str) -> bool {
        self.open_catalogue || self.event(event_type).is_some()
    }

    /// The JSON Schema of the body for `event_type`.
    pub fn body_schema(&self, event_type: &str) -> Option<Value> {
        match self.event(event_type) {
            Some(spec) => Some((spec.body_schema)()),
            None if self.envelope == Envelope::StandardWebhooks => {
                Some(catalogue::standard_webhooks::generic_body_schema())
            }
            None => None,
        }
    }

    /// Realistic data for `event_type`.
    pub fn generate_data(&self, event_type: &str, rng: &mut RunRng) -> Value {
        match self.event(event_type) {
            Some(spec) => (spec.generate)(rng),
            None => catalogue::standard_webhooks::generic_data(rng),
        }
    }

    /// New ids for one delivery.
    pub fn new_ids(&self, rng: &mut RunRng) -> DeliveryIds {
        let message_id = match self.envelope {
            Envelope::LlamaCloud => rng.uuid(),
            Envelope::Extend => format!("event_{}", rng.alnum(20)),
            // Svix and Standard Webhooks: `msg_` and a 27-character KSUID.
            Envelope::StandardWebhooks => format!("msg_{}", rng.alnum(27)),
            Envelope::Crawl4ai | Envelope::PerfectParser => String::new(),
        };
        DeliveryIds {
            message_id,
            event_time: None,
        }
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
                if l.denied.contains(&lower.as_str()) {
                    return Err(refuse(
                        name,
                        format!(
                            "{} refuses this header (denied: {})",
                            l.provider,
                            l.denied.join(", ")
                        ),
                    ));
                }
                if let Some(p) = l.denied_prefixes.iter().find(|p| lower.starts_with(*p)) {
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

    /// The request for one attempt at wall time `now`: the body (whose event-time fields
    /// read `ids.event_time`, fixed for the delivery), the headers, and the signature
    /// with its header timestamp, both computed afresh at `now`.
    pub fn build_request(
        &self,
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        ids: &DeliveryIds,
        now: Duration,
    ) -> Result<OutgoingRequest, ConfigError> {
        let ts = clock::unix_secs(now);
        let event_time = ids.event_time.unwrap_or(now);
        let mut body = self.envelope_bytes(endpoint, event_type, data, ids, event_time)?;
        if self.envelope == Envelope::LlamaCloud && endpoint.output_format == OutputFormat::String {
            let inner = String::from_utf8(body).unwrap_or_default();
            body = self.encode(&inner)?;
        }

        let mut headers: Vec<(String, String)> = self
            .static_headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        match self.envelope {
            Envelope::LlamaCloud => {
                headers.push(("X-Webhook-Event-ID".into(), ids.message_id.clone()));
                headers.push(("X-Webhook-Event-Type".into(), event_type.to_owned()));
            }
            Envelope::StandardWebhooks => {
                let names = self
                    .scheme
                    .standard_headers()
                    .unwrap_or(crate::signing::WEBHOOK_HEADERS);
                headers.insert(0, (names.id.into(), ids.message_id.clone()));
                headers.insert(1, (names.timestamp.into(), ts.to_string()));
            }
            Envelope::PerfectParser => {
                if let Some(s) = &endpoint.static_secret {
                    headers.push(("X-Webhook-Secret".into(), s.clone()));
                }
            }
            Envelope::Crawl4ai | Envelope::Extend => {}
        }
        for (name, value) in &endpoint.headers {
            if self
                .header_rules
                .protected
                .iter()
                .any(|p| p.eq_ignore_ascii_case(name))
            {
                continue;
            }
            match headers
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
            {
                Some(slot) => slot.1 = value.clone(),
                None => headers.push((name.clone(), value.clone())),
            }
        }
        if self.header_rules.content_type_last {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        let sig = self.scheme.sign(
            &endpoint.secrets,
            SignInput {
                id: &ids.message_id,
                timestamp: ts,
                body: &body,
            },
        )?;
        let after = self
            .scheme
            .standard_headers()
            .map_or("webhook-timestamp", |h| h.timestamp);
        let at = headers
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(after))
            .map_or(headers.len(), |p| p + 1);
        for (i, h) in sig.into_iter().enumerate() {
            headers.insert((at + i).min(headers.len()), h);
        }
        Ok(OutgoingRequest {
            headers,
            body: Bytes::from(body),
        })
    }

    /// `value` in the profile's body encoding.
    fn encode<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>, ConfigError> {
        match self.body_encoding {
            BodyEncoding::Compact => serde_json::to_vec(value),
            BodyEncoding::PythonJsonDumps => crate::pyjson::to_vec(value),
        }
        .map_err(|e| ConfigError::Data(e.to_string()))
    }

    /// The body's bytes (before LlamaCloud's string encoding), its event-time fields
    /// reading `at`. The three envelopes that wrap `data` whole are written straight
    /// from borrowed fields, without copying `data` into a new tree first (this runs once
    /// per attempt); the two that lay out or pick `data`'s fields are built as a tree.
    fn envelope_bytes(
        &self,
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        ids: &DeliveryIds,
        at: Duration,
    ) -> Result<Vec<u8>, ConfigError> {
        #[derive(serde::Serialize)]
        struct LlamaCloud<'a> {
            event_id: &'a str,
            event_type: &'a str,
            timestamp: f64,
            data: &'a Value,
        }
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Extend<'a> {
            event_id: &'a str,
            event_type: &'a str,
            payload: &'a Value,
        }
        #[derive(serde::Serialize)]
        struct Standard<'a> {
            #[serde(rename = "type")]
            event_type: &'a str,
            timestamp: String,
            data: &'a Value,
        }
        match self.envelope {
            Envelope::LlamaCloud => self.encode(&LlamaCloud {
                event_id: &ids.message_id,
                event_type,
                timestamp: clock::unix_float(at),
                data,
            }),
            Envelope::Extend => self.encode(&Extend {
                event_id: &ids.message_id,
                event_type,
                payload: data,
            }),
            Envelope::StandardWebhooks => self.encode(&Standard {
                event_type,
                timestamp: clock::iso_z(at),
                data,
            }),
            Envelope::PerfectParser => {
                self.encode(&Self::perfectparser_body(event_type, data, at)?)
            }
            Envelope::Crawl4ai => {
                self.encode(&Self::crawl4ai_body(endpoint, event_type, data, at)?)
            }
        }
    }

    /// PerfectParser's body: `event`, `created_at`, then `data`'s fields at the top level.
    fn perfectparser_body(
        event_type: &str,
        data: &Value,
        at: Duration,
    ) -> Result<Value, ConfigError> {
        let fields = mapping(
            data,
            "perfectparser event data must be a mapping (its fields are sent at the top level)",
        )?;
        let mut body = Map::new();
        body.insert("event".into(), json!(event_type));
        body.insert("created_at".into(), json!(clock::iso_z(at)));
        for (k, v) in fields {
            body.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(body))
    }

    /// Crawl4AI's body, in the order `notify_job_completion` builds it: `task_id`,
    /// `task_type`, `status`, `timestamp`, `urls`, then `error` (failed jobs) and `data`
    /// (only when the endpoint asks and the job has a result: a crawl job's whole `/crawl`
    /// response, an LLM job's `{extracted_content}`).
    fn crawl4ai_body(
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        at: Duration,
    ) -> Result<Value, ConfigError> {
        let fields = mapping(
            data,
            "crawl4ai event data must be a mapping with task_id, urls and result or error",
        )?;
        let (task_type, status) = event_type.split_once('.').unwrap_or((event_type, ""));
        let mut body = Map::new();
        if let Some(id) = fields.get("task_id") {
            body.insert("task_id".into(), id.clone());
        }
        body.insert("task_type".into(), json!(task_type));
        body.insert("status".into(), json!(status));
        body.insert("timestamp".into(), json!(clock::iso_python_utc(at)));
        body.insert(
            "urls".into(),
            fields.get("urls").cloned().unwrap_or_else(|| json!([])),
        );
        if let Some(err) = fields.get("error") {
            body.insert("error".into(), err.clone());
        }
        if let Some(result) = fields.get("result").filter(|_| endpoint.data_in_payload) {
            let d = if task_type == "llm_extraction" {
                json!({ "extracted_content": result })
            } else {
                result.clone()
            };
            body.insert("data".into(), d);
        }
        Ok(Value::Object(body))
    }

    /// The event type a received body names (for `when:` steps on a live receiver).
    pub fn event_type_of(&self, raw: &[u8]) -> Option<String> {
        let body = self.decode_body(raw).ok()?;
        let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        match self.envelope {
            Envelope::LlamaCloud => field("event_type"),
            Envelope::Extend => field("eventType"),
            Envelope::StandardWebhooks => field("type"),
            Envelope::PerfectParser => field("event"),
            Envelope::Crawl4ai => Some(format!("{}.{}", field("task_type")?, field("status")?)),
        }
    }

    /// The body as JSON for checks: LlamaCloud's string-encoded form is decoded.
    pub fn decode_body(&self, raw: &[u8]) -> Result<Value, String> {
        let v: Value = serde_json::from_slice(raw).map_err(|e| format!("body is not JSON: {e}"))?;
        match v {
            Value::String(inner) if self.envelope == Envelope::LlamaCloud => {
                serde_json::from_str(&inner)
                    .map_err(|e| format!("string-encoded body is not JSON: {e}"))
            }
            other => Ok(other),
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

/// `data`'s fields, or `what` and the kind `data` is instead.
fn mapping<'a>(data: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ConfigError> {
    match data {
        Value::Object(fields) => Ok(fields),
        other => Err(ConfigError::Data(format!(
            "{what}, got {}",
            json_kind(other)
        ))),
    }
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

/// A shared profile.
pub type SharedProfile = Arc<Profile>;

#[cfg(test)]
mod tests;
