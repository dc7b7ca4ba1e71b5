//! A request and its answer as hookrig records them, and the one way they are written:
//! the [`RequestRecord`] and [`ResponseRecord`] every part passes around, the
//! [`DeliveryTag`] that ties an in-process request to its attempt, secret-bearing header
//! values redacted ([`redact`]), and headers and bodies as JSON ([`headers_json`],
//! [`body_json`]) for journals, listings and reports. A leaf: it imports nothing of ours.

use bytes::Bytes;
use serde_json::{Value, json};

/// A request as it was sent or received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path (sim) or URL (live, as sent).
    pub path: String,
    /// Headers in order (names lowercase when received).
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Bytes,
}

/// An answer as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRecord {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body (at most 64 KiB kept).
    pub body: Bytes,
}

/// Identifies the attempt a request belongs to (set by the in-process transport, or per
/// port by a live run, which knows the delivery but not the attempt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryTag {
    /// The delivery's index in its scenario.
    pub delivery: usize,
    /// The delivery's event type (for `when:` steps).
    pub event_type: String,
    /// 1-based attempt number; 0 when unknown (a live run's port: the latest attempt).
    pub attempt: u32,
    /// 0 for the attempt's first request, 1… for redirect hops.
    pub hop: u32,
}

/// What the in-process transport hands the receiver with a request, as one request
/// extension (one insert into the request's extensions, where two made the map grow
/// once more per request): the attempt the request belongs to, and its headers as the
/// receiver records them (names lowercase, a name's values together at its first place,
/// the transport's own headers after the caller's: what the request's `HeaderMap` would
/// list), made straight from the sender's list. The request then carries no `HeaderMap`
/// entries of its own, and the receiver takes this list in place of converting one, so
/// the headers are converted once per request instead of three times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InProcessRequest {
    /// The attempt.
    pub tag: DeliveryTag,
    /// The headers as recorded.
    pub headers: Vec<(String, String)>,
}

/// Header values that carry secrets are never printed.
pub fn redact<'a>(name: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
    const SECRET: &[&str] = &[
        "authorization",
        "x-webhook-secret",
        "proxy-authorization",
        "cookie",
    ];
    if SECRET.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        format!("<redacted, {} chars>", value.chars().count()).into()
    } else {
        value.into()
    }
}

/// Headers as `[[name, value], …]`, secret-bearing values redacted.
pub fn headers_json(h: &[(String, String)]) -> Value {
    Value::Array(h.iter().map(|(k, v)| json!([k, redact(k, v)])).collect())
}

/// A body as JSON: the text when it is UTF-8, else `{"base64": …}`.
pub fn body_json(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => json!(s),
        Err(_) => {
            use base64::Engine as _;
            json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_headers_are_redacted() {
        assert_eq!(
            redact("X-Webhook-Secret", "static-123"),
            "<redacted, 10 chars>"
        );
        assert_eq!(redact("X-Tenant", "acme"), "acme");
    }
}
