//! Profiles: a provider's delivery rules as data.
//!
//! A [`Profile`] is a table — envelope, header rules, signing scheme, retry policy,
//! timeout, event catalogue — and the code paths that read it are shared by every
//! provider: [`Profile::build_request`] turns an event into the exact bytes and headers an
//! attempt sends, and the sender reads [`Profile::retry`] to know what to do next.
//!
//! Layout: one file per built-in provider (`llamacloud.rs`, `crawl4ai.rs`, `extend.rs`,
//! `perfectparser.rs`, `standard_webhooks.rs`) holding only its table; `catalogue/` holds
//! each provider's event types with their JSON Schemas and data generators; this file has
//! the shared types, the envelope builders and the header rules.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::clock;
use crate::retry::{Backoff, RetryOn, RetryPolicy};
use crate::rng::RunRng;
use crate::signing::{Scheme, SecretError, SignInput};

pub mod catalogue;
mod crawl4ai;
mod extend;
mod llamacloud;
mod perfectparser;
mod standard_webhooks;

pub use catalogue::EventSpec;

/// The names of the built-in profiles, in display order.
pub const BUILTIN_NAMES: &[&str] = &[
    "llamacloud",
    "crawl4ai",
    "extend",
    "perfectparser",
    "standard-webhooks",
];

/// A built-in profile by name.
pub fn builtin(name: &str) -> Option<Profile> {
    Some(match name {
        "llamacloud" => llamacloud::profile(),
        "crawl4ai" => crawl4ai::profile(),
        "extend" => extend::profile(),
        "perfectparser" => perfectparser::profile(),
        "standard-webhooks" => standard_webhooks::profile(),
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

/// How a provider treats custom endpoint headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRules {
    /// Header names a custom header can never replace (case-insensitive).
    pub protected: Vec<&'static str>,
    /// `Content-Type` is forced after custom headers (Crawl4AI).
    pub content_type_last: bool,
    /// Crawl4AI's configuration-time limits (name pattern, count, value length, deny-list).
    pub crawl4ai_limits: bool,
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

/// A provider's delivery rules.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name (`perfectparser`).
    pub name: String,
    /// The provider, in words.
    pub provider: &'static str,
    /// Body envelope.
    pub envelope: Envelope,
    /// Fixed headers every request carries, in order.
    pub static_headers: Vec<(&'static str, &'static str)>,
    /// What custom headers may do.
    pub header_rules: HeaderRules,
    /// Signing scheme.
    pub scheme: Scheme,
    /// Attempts, waits, timeout and what is retried.
    pub retry: RetryPolicy,
    /// Event types the provider sends.
    pub catalogue: Vec<EventSpec>,
    /// Whether event types outside the catalogue are allowed (Standard Webhooks).
    pub open_catalogue: bool,
    /// The delivery status shown between attempts, when the provider names one.
    pub pending_status: Option<&'static str>,
    /// Where the rules come from.
    pub sources: Vec<&'static str>,
    /// Rules that are assumptions, not published facts.
    pub assumptions: Vec<&'static str>,
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

/// The ids that stay the same across every attempt of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryIds {
    /// LlamaCloud `event_id`, Extend `eventId`, Standard Webhooks `webhook-id`; empty when
    /// the provider has none.
    pub message_id: String,
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
            Envelope::StandardWebhooks => format!("msg_{}", rng.alnum(27)),
            Envelope::Crawl4ai | Envelope::PerfectParser => String::new(),
        };
        DeliveryIds { message_id }
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
        if self.header_rules.crawl4ai_limits && headers.len() > 20 {
            return Err(refuse(
                &headers[20].0,
                format!(
                    "Crawl4AI accepts at most 20 custom headers, {} given",
                    headers.len()
                ),
            ));
        }
        for (name, value) in headers {
            if self.header_rules.crawl4ai_limits {
                let ok_name = !name.is_empty()
                    && name.len() <= 64
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !ok_name {
                    return Err(refuse(
                        name,
                        "Crawl4AI header names must match ^[A-Za-z0-9-]{1,64}$".into(),
                    ));
                }
                let lower = name.to_ascii_lowercase();
                if CRAWL4AI_DENIED_HEADERS.contains(&lower.as_str()) {
                    return Err(refuse(
                        name,
                        format!(
                            "Crawl4AI refuses this header (denied: {})",
                            CRAWL4AI_DENIED_HEADERS.join(", ")
                        ),
                    ));
                }
                if value.chars().count() > 2048 {
                    return Err(refuse(
                        name,
                        format!(
                            "value is {} characters; Crawl4AI allows 2048",
                            value.chars().count()
                        ),
                    ));
                }
                if value.contains(['\r', '\n', '\0']) {
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

    /// The request for one attempt: envelope, headers, signature, all computed afresh at
    /// wall time `now`.
    pub fn build_request(
        &self,
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        ids: &DeliveryIds,
        now: Duration,
    ) -> Result<OutgoingRequest, ConfigError> {
        let ts = clock::unix_secs(now);
        let mut body = self.envelope_bytes(endpoint, event_type, data, ids, now)?;
        if self.envelope == Envelope::LlamaCloud && endpoint.output_format == OutputFormat::String {
            let inner = String::from_utf8(body).unwrap_or_default();
            body = serde_json::to_vec(&inner).map_err(|e| ConfigError::Data(e.to_string()))?;
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
                headers.insert(0, ("webhook-id".into(), ids.message_id.clone()));
                headers.insert(1, ("webhook-timestamp".into(), ts.to_string()));
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
        let at = headers
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case("webhook-timestamp"))
            .map_or(headers.len(), |p| p + 1);
        for (i, h) in sig.into_iter().enumerate() {
            headers.insert((at + i).min(headers.len()), h);
        }
        Ok(OutgoingRequest {
            headers,
            body: Bytes::from(body),
        })
    }

    /// The body as JSON (before LlamaCloud's string encoding).
    /// The body's bytes. The three envelopes that wrap `data` whole are written straight
    /// from borrowed fields, without copying `data` into a new tree first (this runs once
    /// per attempt); the two that lay out or pick `data`'s fields are built as a tree.
    fn envelope_bytes(
        &self,
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        ids: &DeliveryIds,
        now: Duration,
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
        let bytes = match self.envelope {
            Envelope::LlamaCloud => serde_json::to_vec(&LlamaCloud {
                event_id: &ids.message_id,
                event_type,
                timestamp: clock::unix_float(now),
                data,
            }),
            Envelope::Extend => serde_json::to_vec(&Extend {
                event_id: &ids.message_id,
                event_type,
                payload: data,
            }),
            Envelope::StandardWebhooks => serde_json::to_vec(&Standard {
                event_type,
                timestamp: clock::iso_z(now),
                data,
            }),
            Envelope::PerfectParser => {
                serde_json::to_vec(&Self::perfectparser_body(event_type, data, now)?)
            }
            Envelope::Crawl4ai => {
                serde_json::to_vec(&Self::crawl4ai_body(endpoint, event_type, data, now)?)
            }
        };
        bytes.map_err(|e| ConfigError::Data(e.to_string()))
    }

    /// PerfectParser's body: `event`, `created_at`, then `data`'s fields at the top level.
    fn perfectparser_body(
        event_type: &str,
        data: &Value,
        now: Duration,
    ) -> Result<Value, ConfigError> {
        let fields = mapping(
            data,
            "perfectparser event data must be a mapping (its fields are sent at the top level)",
        )?;
        let mut body = Map::new();
        body.insert("event".into(), json!(event_type));
        body.insert("created_at".into(), json!(clock::iso_z(now)));
        for (k, v) in fields {
            body.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(body))
    }

    /// Crawl4AI's body: picked from `data`'s fields, `data` only when the endpoint asks.
    fn crawl4ai_body(
        endpoint: &Endpoint,
        event_type: &str,
        data: &Value,
        now: Duration,
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
        body.insert("timestamp".into(), json!(clock::iso_python_utc(now)));
        body.insert(
            "urls".into(),
            fields.get("urls").cloned().unwrap_or_else(|| json!([])),
        );
        if let Some(result) = fields.get("result").filter(|_| endpoint.data_in_payload) {
            let d = if task_type == "llm_extraction" {
                json!({ "extracted_content": result })
            } else {
                result.clone()
            };
            body.insert("data".into(), d);
        }
        if let Some(err) = fields.get("error") {
            body.insert("error".into(), err.clone());
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

    /// The rules in words, for `hookrig profiles NAME`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let r = &self.retry;
        let _ = writeln!(s, "{} — {}", self.name, self.provider);
        let _ = writeln!(s);
        let _ = writeln!(s, "body        {}", envelope_words(self.envelope));
        let _ = writeln!(s, "headers     {}", self.header_words());
        let _ = writeln!(s, "signature   {}", scheme_words(self.scheme));
        let waits: Vec<String> = r
            .waits()
            .iter()
            .map(|d| humantime::format_duration(*d).to_string())
            .collect();
        let _ = writeln!(
            s,
            "attempts    {} (waits {})",
            r.attempts,
            if waits.is_empty() {
                "none".into()
            } else {
                waits.join(", ")
            }
        );
        if let Backoff::Exponential { initial, cap } = &r.backoff {
            let _ = writeln!(
                s,
                "backoff     exponential from {}, doubling, each wait capped at {}",
                humantime::format_duration(*initial),
                humantime::format_duration(*cap)
            );
        }
        let starts = retry_starts(r);
        let _ = writeln!(
            s,
            "starts      {} (with instant failures)",
            starts
                .iter()
                .map(|d| humantime::format_duration(*d).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            s,
            "timeout     {} per attempt",
            humantime::format_duration(r.timeout)
        );
        let _ = writeln!(s, "retry on    {}", retry_words(r));
        if let Some(p) = self.pending_status {
            let _ = writeln!(s, "between     delivery status `{p}`");
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "events ({}{}):",
            self.catalogue.len(),
            if self.open_catalogue {
                ", any other type name is accepted too"
            } else {
                ""
            }
        );
        for e in &self.catalogue {
            let _ = writeln!(s, "  {:<34} {}", e.name, e.description);
        }
        if !self.assumptions.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(s, "assumptions (not published by the provider):");
            for a in &self.assumptions {
                let _ = writeln!(s, "  - {a}");
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "sources:");
        for src in &self.sources {
            let _ = writeln!(s, "  - {src}");
        }
        s
    }

    fn header_words(&self) -> String {
        let mut parts: Vec<String> = self
            .static_headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        match self.envelope {
            Envelope::LlamaCloud => parts.push("X-Webhook-Event-ID, X-Webhook-Event-Type".into()),
            Envelope::StandardWebhooks => {
                parts.insert(0, "webhook-id, webhook-timestamp (unix s)".into())
            }
            Envelope::PerfectParser => {
                parts.push("X-Webhook-Secret (when a static secret is set)".into())
            }
            _ => {}
        }
        if let Some(h) = self.scheme.signature_header() {
            parts.push(format!("{h} (with a secret)"));
        }
        let mut s = parts.join(", ");
        if self.header_rules.crawl4ai_limits {
            s.push_str("; custom headers win over defaults, Content-Type forced last; names ^[A-Za-z0-9-]{1,64}$, at most 20, values ≤ 2048 chars without CR/LF/NUL; refused: ");
            s.push_str(&CRAWL4AI_DENIED_HEADERS.join(", "));
        } else if !self.header_rules.protected.is_empty() {
            let _ = write!(
                s,
                "; custom headers cannot override {}",
                self.header_rules.protected.join(", ")
            );
        }
        s
    }
}

/// Every attempt's start offset when each attempt fails at once: 0, w1, w1+w2, …
pub fn retry_starts(policy: &RetryPolicy) -> Vec<Duration> {
    let mut t = Duration::ZERO;
    let mut out = vec![t];
    for w in policy.waits() {
        t += w;
        out.push(t);
    }
    out
}

fn envelope_words(e: Envelope) -> &'static str {
    match e {
        Envelope::LlamaCloud => {
            "{event_id: uuid, event_type, timestamp: float unix s, data: {id, job_id, …}}; output_format `string` (default) sends it JSON-encoded as a string"
        }
        Envelope::Crawl4ai => {
            "{task_id, task_type, status, timestamp: ISO-8601 +00:00, urls} + data (data_in_payload and a result; LLM jobs {extracted_content}) + error (failed)"
        }
        Envelope::Extend => "{eventId: event_…, eventType, payload: {object, id, …}}",
        Envelope::PerfectParser => "flat {event, created_at: ISO-8601, …event fields}",
        Envelope::StandardWebhooks => "{type, timestamp: ISO-8601, data}",
    }
}

fn scheme_words(s: Scheme) -> &'static str {
    match s {
        Scheme::None => "none",
        Scheme::LlamaCloud => "optional: LC-Signature: sha256=<hex HMAC-SHA256(secret, body)>",
        Scheme::PerfectParser => {
            "X-PerfectParser-Signature: <hex HMAC-SHA256(signing secret, raw body)>"
        }
        Scheme::Extend => {
            "x-extend-request-signature: hex HMAC-SHA256(secret, \"v0:{timestamp}:{body}\"); verifiers reject age > 300 s or > 60 s in the future"
        }
        Scheme::StandardWebhooks => {
            "webhook-signature: v1,<base64 HMAC-SHA256(base64-decoded secret, \"{id}.{timestamp}.{body}\")>, space-separated during key rotation; tolerance 5 min"
        }
    }
}

fn retry_words(r: &RetryPolicy) -> String {
    let mut s = match r.retry_on {
        RetryOn::AnyFailure => "any non-2xx answer, timeout, connection error".to_owned(),
        RetryOn::ServerErrors => {
            "status ≥ 500, timeout, connection error; any other non-2xx ends the delivery"
                .to_owned()
        }
    };
    if r.max_redirects > 0 {
        let _ = write!(
            s,
            "; redirects followed by hand re-sending the POST, ≤ {} hops (each with its own timeout)",
            r.max_redirects
        );
    } else {
        s.push_str("; 3xx is a failed attempt, never followed");
    }
    if r.disable_on_410 {
        s.push_str("; 410 disables the endpoint");
    }
    if r.honour_retry_after {
        s.push_str("; Retry-After on 429/503 lengthens the wait (≤ 24 h)");
    }
    s
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
