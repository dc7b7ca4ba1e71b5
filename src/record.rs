//! A request and its answer as hookrig records them, and the one way they are written:
//! the [`RequestRecord`] and [`ResponseRecord`] every part passes around, the
//! [`DeliveryTag`] that ties an in-process request to its attempt, secret-bearing header
//! values redacted ([`redact`]), and headers and bodies as JSON ([`headers_json`],
//! [`body_json`]) for journals, listings and reports. A leaf: it imports nothing of ours.

use bytes::Bytes;
use serde_json::{Value, json};

/// A header's name or value as hookrig records it (a request's or an answer's), and the
/// other short texts a record carries per attempt (a method, a path or URL, an event type):
/// a string that is cheap to copy and to share (`smol_str`: up to 23 bytes kept inline, a
/// `'static` text borrowed, a longer one behind a shared pointer), read as a `&str` (it
/// derefs to one, compares with `&str` and `String`, and displays and serialises as its
/// text). The sender's record, the receiver's record of the same request and a delivery's
/// remembered values then share their text instead of copying it per attempt.
pub type HeaderText = smol_str::SmolStr;

/// One header (of a request or an answer): its name and its value.
pub type Header = (HeaderText, HeaderText);

/// A request as it was sent or received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: HeaderText,
    /// Path (sim) or URL (live, as sent).
    pub path: HeaderText,
    /// Headers in order (names lowercase when received).
    pub headers: Vec<Header>,
    /// Raw body.
    pub body: Bytes,
}

/// An answer as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRecord {
    /// Status code.
    pub status: u16,
    /// Headers (names lowercase), in the order the answer gave them.
    pub headers: Vec<Header>,
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
    pub event_type: HeaderText,
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
    pub headers: Vec<Header>,
}

thread_local! {
    /// An in-process request's extensions map, handed back empty by the receiver that
    /// took its [`InProcessRequest`] out of it, for the thread's next in-process request
    /// (see [`reused_extensions`]).
    static EXTENSIONS: std::cell::Cell<Option<http::Extensions>> =
        const { std::cell::Cell::new(None) };
    /// An in-process answer's header map, handed back empty by the transport that read
    /// it, for the thread's next planned answer (see [`reused_header_map`]).
    static HEADER_MAP: std::cell::Cell<Option<http::HeaderMap>> =
        const { std::cell::Cell::new(None) };
}

/// An empty extensions map for an in-process request: the one the receiver of this
/// thread's last in-process request handed back ([`hand_back_extensions`]), whose table
/// is already allocated, else a new one. A request's [`InProcessRequest`] and the
/// router's own extension then go in without the map and its table being allocated
/// afresh per request (two allocations each). What the map holds is the same either way.
pub fn reused_extensions() -> http::Extensions {
    EXTENSIONS.take().unwrap_or_default()
}

/// `extensions` (an in-process request's, read) emptied and kept for this thread's next
/// in-process request ([`reused_extensions`]).
pub fn hand_back_extensions(mut extensions: http::Extensions) {
    extensions.clear();
    EXTENSIONS.set(Some(extensions));
}

/// An empty header map for an answer: the one the transport handed back after reading
/// this thread's last in-process answer ([`hand_back_header_map`]), whose room is already
/// allocated, else a new one (a live receiver's answers go to a socket and are never
/// handed back). The router's `content-length` and a plan's headers then go in without
/// the map being allocated afresh per answer (two allocations). `http` keeps a map's
/// entries in the order they went in, so the map lists the same headers either way.
pub fn reused_header_map() -> http::HeaderMap {
    HEADER_MAP.take().unwrap_or_default()
}

/// `headers` (an in-process answer's, read) emptied and kept for this thread's next
/// answer ([`reused_header_map`]); a map grown by an unusual answer is not kept.
pub fn hand_back_header_map(mut headers: http::HeaderMap) {
    if headers.capacity() <= 64 {
        headers.clear();
        HEADER_MAP.set(Some(headers));
    }
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
pub fn headers_json<K: AsRef<str>, V: AsRef<str>>(h: &[(K, V)]) -> Value {
    Value::Array(
        h.iter()
            .map(|(k, v)| {
                let (k, v) = (k.as_ref(), v.as_ref());
                json!([k, redact(k, v)])
            })
            .collect(),
    )
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
    fn a_header_takes_the_room_of_two_strings_and_reads_displays_and_serialises_as_its_text() {
        assert_eq!(
            std::mem::size_of::<Header>(),
            std::mem::size_of::<(String, String)>()
        );
        let long = "msg_ZMllTx47KEyJ9XWgybMuYrDbL1l-and-more";
        for text in ["", "content-type", long] {
            let h = HeaderText::from(text);
            assert_eq!(h, text);
            assert_eq!(h.to_string(), text);
            assert_eq!(format!("{h:?}"), format!("{text:?}"));
            assert_eq!(
                serde_json::to_string(&h).unwrap(),
                serde_json::to_string(text).unwrap()
            );
            assert_eq!(h.clone().as_str(), text);
        }
        let pairs: Vec<Header> = vec![
            ("Authorization".into(), long.into()),
            ("x-a".into(), "1".into()),
        ];
        let strings: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(headers_json(&pairs), headers_json(&strings));
    }

    #[test]
    fn secret_headers_are_redacted() {
        assert_eq!(
            redact("X-Webhook-Secret", "static-123"),
            "<redacted, 10 chars>"
        );
        assert_eq!(redact("X-Tenant", "acme"), "acme");
    }
}
