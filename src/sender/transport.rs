//! Transports: how a request reaches the receiver.
//!
//! [`Transport::InProcess`] calls an axum [`Router`] as a `tower::Service` —
//! no socket, so it runs under paused (virtual) time. [`Transport::Http`] is real sockets:
//! `https://` URLs go through reqwest (rustls), plain `http://` URLs through hyper's HTTP/1
//! connections held by the transport itself ([`Conns`]: a small set of idle keep-alive
//! connections per endpoint, as hyper-util's pooled client keeps, without its pool's
//! hashing, boxing and task hop) — the same hyper engine reqwest drives, without the layers
//! reqwest puts in front of it (URL re-parsing, redirect and retry services), which cost
//! about a third of the sender's throughput (`bash benches/live.sh`). Both put the same
//! bytes on the wire: the caller's headers in order, then `accept: */*`, `host` and
//! `content-length`. Neither follows redirects (the sender does, when the profile says so)
//! and neither times out (that is the sender's job).

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use smol_str::StrExt as _;

use crate::faults::{Dribble, Fault};
use crate::record::{DeliveryTag, Header, HeaderText, InProcessRequest};

/// Response bodies are read up to this many bytes; the rest is dropped.
pub const RESPONSE_BODY_LIMIT: usize = 64 * 1024;

/// A request on its way out (its headers borrowed from the attempt's record: one attempt
/// may send them several times, once per redirect hop).
#[derive(Debug, Clone)]
pub struct WireRequest<'a> {
    /// Full URL (live) or path (in-process; a full URL's path is used): the context's own
    /// text, shared (a clone is a copy of 24 bytes or a reference count, not a new string
    /// per attempt).
    pub url: HeaderText,
    /// Headers in order.
    pub headers: &'a [Header],
    /// Raw body.
    pub body: Bytes,
    /// The attempt it belongs to (in-process only; never on the wire).
    pub tag: DeliveryTag,
}

/// An answer.
#[derive(Debug, Clone)]
pub struct WireResponse {
    /// Status code.
    pub status: u16,
    /// Headers (lowercase names).
    pub headers: Vec<Header>,
    /// Body, at most [`RESPONSE_BODY_LIMIT`] bytes.
    pub body: Bytes,
}

/// A request that got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// Connection refused, reset or closed before an answer.
    #[error("connection error: {0}")]
    Connection(String),
    /// The request could not be built (bad URL, bad header).
    #[error("request error: {0}")]
    Request(String),
}

/// Where requests go.
#[derive(Debug, Clone)]
pub enum Transport {
    /// The receiver's router, called in-process.
    InProcess(Router),
    /// Real HTTP (behind an `Arc`: every delivery holds a clone of its transport).
    Http(std::sync::Arc<HttpClients>),
}

/// The two clients behind [`Transport::Http`]: hyper's HTTP/1 connections for `http://`,
/// reqwest for `https://`. Both keep connections alive per host.
#[derive(Clone)]
pub struct HttpClients {
    plain: std::sync::Arc<std::sync::Mutex<Conns>>,
    tls: reqwest::Client,
    /// What a plain request's head is made of, parsed once and re-used.
    parsed: std::sync::Arc<std::sync::Mutex<Parsed>>,
}

/// How long an idle plain connection is kept (hyper-util's pooled client's default).
const IDLE_KEPT: std::time::Duration = std::time::Duration::from_secs(90);

/// The idle plain-HTTP connections of an [`HttpClients`], per endpoint (`host:port`): a
/// request takes the one that went idle last (or opens a new one) and puts it back once its
/// answer is read whole, so several requests in flight to one endpoint use several
/// connections, and one after another re-use one. A connection that closed or stayed idle
/// longer than [`IDLE_KEPT`] is dropped when met.
#[derive(Default)]
struct Conns {
    endpoints: Vec<(std::sync::Arc<str>, Vec<Idle>)>,
}

/// A connection waiting for its next request.
struct Idle {
    since: tokio::time::Instant,
    conn: http1::SendRequest<Full<Bytes>>,
}

impl Conns {
    /// The idle connection to `addr` that went idle last, if one is open and fresh.
    fn take(&mut self, addr: &str) -> Option<http1::SendRequest<Full<Bytes>>> {
        let (_, idle) = self.endpoints.iter_mut().find(|(a, _)| &**a == addr)?;
        let now = tokio::time::Instant::now();
        while let Some(i) = idle.pop() {
            if !i.conn.is_closed() && now.duration_since(i.since) < IDLE_KEPT {
                return Some(i.conn);
            }
        }
        None
    }

    /// Puts a connection to `addr` back, idle.
    fn put(&mut self, addr: &std::sync::Arc<str>, conn: http1::SendRequest<Full<Bytes>>) {
        let now = tokio::time::Instant::now();
        let idle = match self.endpoints.iter().position(|(a, _)| a == addr) {
            Some(i) => &mut self.endpoints[i].1,
            None => {
                self.endpoints
                    .push((std::sync::Arc::clone(addr), Vec::new()));
                &mut self.endpoints.last_mut().expect("just pushed").1
            }
        };
        // The oldest is met here, so connections left idle by a past burst go in time.
        if idle
            .first()
            .is_some_and(|i| i.conn.is_closed() || now.duration_since(i.since) >= IDLE_KEPT)
        {
            idle.remove(0);
        }
        idle.push(Idle { since: now, conn });
    }
}

/// Where a plain `http://` URL's requests go: the request target (origin form), the `Host`
/// header hyper-util's client would add, and the `host:port` connected to.
#[derive(Clone)]
struct Target {
    path: http::Uri,
    host: http::HeaderValue,
    addr: std::sync::Arc<str>,
}

impl Target {
    /// As hyper-util's pooled client reads an absolute `http://` URI: origin form, `Host`
    /// its host with the port unless it is 80; a URI with no host is refused (as a
    /// connection error, as that client's error was one).
    fn of(uri: &http::Uri) -> Result<Self, TransportError> {
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| TransportError::Connection(format!("{uri}: no host to connect to")))?;
        let port = uri.port_u16();
        let host_header = match port {
            Some(p) if p != 80 => format!("{host}:{p}"),
            _ => host.to_owned(),
        };
        let host_value = http::HeaderValue::from_str(&host_header)
            .map_err(|e| TransportError::Request(format!("{uri}: {e}")))?;
        let path = match uri.path_and_query() {
            Some(p) if p.as_str() != "/" => {
                let mut parts = http::uri::Parts::default();
                parts.path_and_query = Some(p.clone());
                http::Uri::from_parts(parts)
                    .map_err(|e| TransportError::Request(format!("{uri}: {e}")))?
            }
            _ => http::Uri::default(),
        };
        Ok(Target {
            path,
            host: host_value,
            addr: format!("{host}:{}", port.unwrap_or(80)).into(),
        })
    }
}

/// The `http://` URLs and header names an [`HttpClients`] has parsed, each kept with what
/// it parsed to (a clone shares its bytes): a transport sends most requests to its
/// context's one URL with its profile's header names, so each is parsed once, not once per
/// attempt. With each name, the first value parsed for it: a value that repeats from one
/// request to the next (`Content-Type`, `User-Agent`, an event type) is then a clone of it
/// (its bytes shared), not checked and copied again; a value that changes (an id, a
/// signature) costs one comparison. At most [`PARSED_KEPT`] of each are kept; others are
/// parsed on each send.
#[derive(Default)]
struct Parsed {
    urls: Vec<(String, Target)>,
    names: Vec<(String, http::HeaderName, http::HeaderValue)>,
    /// The last header map built header by header whose names were all different, with the
    /// caller's header names as the caller spelled them (see [`Parsed::header_map`]).
    template: Option<Template>,
}

/// A header map to clone for the next request with the same names (see
/// [`Parsed::header_map`]).
struct Template {
    /// The caller's header names, in order, spelled as the caller sent them: a request whose
    /// names are these, byte for byte, has the map's names (compared as bytes, not without
    /// regard to case: a profile sends its names spelled the same on every request, and
    /// byte equality is a length check and a `memcmp` where a caseless comparison looks at
    /// every byte twice).
    names: Vec<HeaderText>,
    map: http::HeaderMap,
}

/// How many URLs and header names a [`Parsed`] keeps.
const PARSED_KEPT: usize = 64;

impl Parsed {
    fn target(&mut self, url: &str) -> Result<Target, TransportError> {
        if let Some((_, t)) = self.urls.iter().find(|(u, _)| u == url) {
            return Ok(t.clone());
        }
        let uri: http::Uri = url
            .parse()
            .map_err(|e| TransportError::Request(format!("{url}: {e}")))?;
        let t = Target::of(&uri)?;
        if self.urls.len() < PARSED_KEPT {
            self.urls.push((url.to_owned(), t.clone()));
        }
        Ok(t)
    }

    /// A plain request's header map: `headers` in order (a repeated name's values
    /// together at its first place), then `accept: */*`, `host` and `content-length` (of
    /// a `body_len`-byte body) where the caller sent none — the same names, values, order
    /// and refusals as adding them one by one, and the `content-length` hyper would add
    /// there (it adds none when the map has one; it still drops it for a caller's
    /// `transfer-encoding`). Built header by header the first time; then, while requests
    /// carry the same names in the same order (all different, as a profile's are), cloned
    /// from the last one built with its values replaced where they differ: no name is
    /// looked up, parsed or hashed again, a value that repeats is neither checked nor
    /// copied, and the clone, sized to its headers, is not grown by hyper's insert.
    fn header_map(
        &mut self,
        headers: &[Header],
        host: &http::HeaderValue,
        body_len: usize,
    ) -> Result<http::HeaderMap, TransportError> {
        let refused = |e: http::Error| TransportError::Request(e.to_string());
        if let Some(template) = &self.template
            && template.names.len() == headers.len()
            && template
                .names
                .iter()
                .zip(headers)
                .all(|(name, (k, _))| name == k)
        {
            let mut map = template.map.clone();
            for (i, (name, value)) in map.iter_mut().enumerate() {
                match headers.get(i) {
                    Some((_, v)) if value.as_bytes() != v.as_bytes() => {
                        *value = http::HeaderValue::from_str(v).map_err(|e| refused(e.into()))?;
                    }
                    None if name == http::header::HOST && value != host => {
                        *value = host.clone();
                    }
                    None if name == http::header::CONTENT_LENGTH
                        && value.as_bytes() != itoa::Buffer::new().format(body_len).as_bytes() =>
                    {
                        *value = http::HeaderValue::from(body_len);
                    }
                    _ => {}
                }
            }
            return Ok(map);
        }
        let mut map = http::HeaderMap::with_capacity(headers.len() + 3);
        for (k, v) in headers {
            let (name, value) = self.header(k, v).map_err(refused)?;
            map.append(name, value);
        }
        if !map.contains_key(http::header::ACCEPT) {
            map.insert(http::header::ACCEPT, http::HeaderValue::from_static("*/*"));
        }
        // Where hyper-util's client put it: after the caller's headers and `accept`, unless
        // the caller sent one (hyper adds `content-length` after it, as it did there).
        if !map.contains_key(http::header::HOST) {
            map.insert(http::header::HOST, host.clone());
        }
        if !map.contains_key(http::header::CONTENT_LENGTH) {
            map.insert(
                http::header::CONTENT_LENGTH,
                http::HeaderValue::from(body_len),
            );
        }
        // Kept only when every name is different: the map's entries are then in the
        // caller's order, one value each, which the walk above relies on.
        self.template = (map.keys_len() == map.len()).then(|| Template {
            names: headers.iter().map(|(k, _)| k.clone()).collect(),
            map: map.clone(),
        });
        Ok(map)
    }

    /// A header's name and value, as `HeaderName::from_bytes` and `HeaderValue::from_str`
    /// give them (and refuse them: the name is checked first).
    fn header(
        &mut self,
        name: &str,
        value: &str,
    ) -> Result<(http::HeaderName, http::HeaderValue), http::Error> {
        if let Some((_, n, first)) = self.names.iter().find(|(k, _, _)| k == name) {
            let v = if first.as_bytes() == value.as_bytes() {
                first.clone()
            } else {
                http::HeaderValue::from_str(value)?
            };
            return Ok((n.clone(), v));
        }
        let n = http::HeaderName::from_bytes(name.as_bytes())?;
        let v = http::HeaderValue::from_str(value)?;
        if self.names.len() < PARSED_KEPT {
            self.names.push((name.to_owned(), n.clone(), v.clone()));
        }
        Ok((n, v))
    }
}

impl std::fmt::Debug for HttpClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClients { plain: hyper http1, tls: reqwest }")
    }
}

impl Transport {
    /// An HTTP transport that never follows redirects.
    pub fn http() -> Result<Self, TransportError> {
        let tls = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Request(e.to_string()))?;
        Ok(Transport::Http(std::sync::Arc::new(HttpClients {
            plain: Default::default(),
            tls,
            parsed: Default::default(),
        })))
    }

    /// Sends one POST and reads the answer.
    pub async fn send(&self, req: WireRequest<'_>) -> Result<WireResponse, TransportError> {
        match self {
            Transport::InProcess(router) => send_in_process(router, req).await,
            Transport::Http(clients) if is_plain_http(&req.url) => send_plain(clients, req).await,
            Transport::Http(clients) => send_http(&clients.tls, req).await,
        }
    }
}

/// Whether a URL is `http://` (scheme compared without regard to case).
fn is_plain_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

/// The path-and-query part of a URL (the URL itself when it has no scheme).
pub fn path_of(url: &str) -> &str {
    // The first `://`, found byte by byte: `str::find` sets up a two-way searcher per call,
    // which cost more than the scan of a sim path (once per in-process request).
    let scheme_end = url.as_bytes().windows(3).position(|w| w == b"://");
    match scheme_end {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map_or("/", |p| &rest[p..])
        }
        None if url.is_empty() => "/",
        None => url,
    }
}

/// The headers an HTTP client adds on its own, which the in-process transport adds too so
/// that sim and live receivers see the same header set: `host`, `content-length` and
/// reqwest's default `accept: */*`.
pub const TRANSPORT_HEADERS: &[&str] = &["host", "content-length", "accept"];

/// The host a sim-mode request names (there is no socket).
pub const SIM_HOST: &str = "hookrig.sim";

pub(crate) async fn send_in_process(
    router: &Router,
    req: WireRequest<'_>,
) -> Result<WireResponse, TransportError> {
    let headers = in_process_headers(req.headers, req.body.len())?;
    // The request made in place (`http::request::Builder` moves the request's parts on
    // every call), its URI the one parsed for this URL before (see [`in_process_uri`]).
    let uri = in_process_uri(&req.url)?;
    let mut request = http::Request::new(Body::from(req.body));
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = uri;
    // The map the receiver handed back after the thread's last in-process request (its
    // table allocated already), empty.
    *request.extensions_mut() = crate::record::reused_extensions();
    request.extensions_mut().insert(InProcessRequest {
        tag: req.tag,
        headers,
    });
    // Called directly, not through `oneshot`: an axum `Router` is always ready (its
    // `poll_ready` answers `Ready(Ok(()))`), so the wrapper's readiness step is no work.
    // The call's future pinned where it is made, and awaited there (not moved again into
    // the await's own place).
    let call = std::pin::pin!(tower::Service::call(&mut router.clone(), request));
    let response = match call.await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if let Some(d) = response.extensions().get::<Dribble>() {
        tokio::time::sleep(d.over).await;
    }
    if let Some(f) = response.extensions().get::<Fault>().copied() {
        return Err(TransportError::Connection(match f {
            Fault::Hang | Fault::Stall => std::future::pending().await,
            Fault::Reset => "connection reset by the receiver".into(),
            Fault::Malformed => "the receiver answered bytes that are not HTTP".into(),
            Fault::Drop => "the receiver closed the connection without answering".into(),
        }));
    }

    let status = response.status().as_u16();
    let (mut parts, body) = response.into_parts();
    let headers = header_pairs(&parts.headers);
    // The answer's header map, read, handed back for the thread's next answer.
    crate::record::hand_back_header_map(std::mem::take(&mut parts.headers));
    let body = match body.collect().await {
        Ok(c) => truncate(c.to_bytes()),
        Err(e) => return Err(TransportError::Connection(format!("body cut off: {e}"))),
    };
    Ok(WireResponse {
        status,
        headers,
        body,
    })
}

/// How many URLs [`in_process_uri`] keeps parsed per thread.
const URIS_KEPT: usize = 8;

thread_local! {
    /// The URLs in-process requests went to, each with the request URI parsed from it, the
    /// most recently used first: a delivery sends every attempt to its context's one URL
    /// (one shared text), so its path is parsed once per thread, not once per attempt, and
    /// each request's URI is a clone (its bytes shared, not copied).
    static URIS: std::cell::RefCell<Vec<(HeaderText, http::Uri)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The entry of `kept` (a per-thread cache, the most recently used first) that `hit`
/// finds, moved to the front: the entries before it move one place back, so the last is
/// always the least recently used. An entry found first (a thread meeting one URL or one
/// name list over and over) moves nothing. Inlined: a hit costs what the plain search did.
#[inline(always)]
fn use_kept<T>(kept: &mut [T], hit: impl FnMut(&T) -> bool) -> Option<&mut T> {
    let i = kept.iter().position(hit)?;
    if i > 0 {
        kept[..=i].rotate_right(1);
    }
    kept.first_mut()
}

/// `entry` put first in `kept` (a per-thread cache of at most `most` entries, the most
/// recently used first), the least recently used one dropped when it is full.
fn keep_first<T>(kept: &mut Vec<T>, most: usize, entry: T) {
    if kept.len() >= most {
        kept.truncate(most.saturating_sub(1));
    }
    if most > 0 {
        kept.insert(0, entry);
    }
}

/// The request URI of an in-process request to `url`: its path and query
/// ([`path_of`]) parsed as `http` parses it, refused with the words
/// `http::request::Builder` used (`http::Error` shows its cause). A URL parsed before on
/// this thread (found by its text's address first, then by its text) gives a clone of the
/// URI parsed then; the [`URIS_KEPT`] URLs used most recently are kept (a new one takes
/// the place of the one least recently used); a URL refused is not kept (it is refused
/// again each time).
fn in_process_uri(url: &HeaderText) -> Result<http::Uri, TransportError> {
    URIS.with(|kept| {
        let mut kept = kept.borrow_mut();
        // The same address and length is the same text: a kept text is alive (so no other
        // text lives where it does), and a shared one is never written.
        if let Some((_, uri)) = use_kept(&mut kept, |(u, _)| {
            std::ptr::eq(u.as_str(), url.as_str()) || u == url
        }) {
            return Ok(uri.clone());
        }
        let uri: http::Uri = path_of(url).parse().map_err(|e: http::uri::InvalidUri| {
            TransportError::Request(http::Error::from(e).to_string())
        })?;
        keep_first(&mut kept, URIS_KEPT, (url.clone(), uri.clone()));
        Ok(uri)
    })
}

/// The header list the receiver records for an in-process request of `headers` with a
/// body of `body_len` bytes: the list an `http::Request` built header by header would
/// carry (names lowercase, a repeated name's values together at its first place, then
/// `accept: */*`, `host` and `content-length` where the caller sent none), made in one
/// pass. A name or value `http` would refuse is refused alike.
///
/// A list whose names are, in order and byte for byte, those of a list made before on this
/// thread (as a profile sends its names on every attempt) is made from what that one's
/// names gave ([`NamesMade`]): its names checked, lowercased and placed once, each value
/// checked and then put where its name went; otherwise it is made header by header.
fn in_process_headers(headers: &[Header], body_len: usize) -> Result<Vec<Header>, TransportError> {
    let known = NAMES_MADE.with(|made| {
        let mut made = made.borrow_mut();
        let m = use_kept(&mut made, |m| {
            m.names.len() == headers.len() && m.names.iter().zip(headers).all(|(n, (k, _))| n == k)
        })?;
        // The names were checked when they were first met; the values are checked in
        // the caller's order, so the first refused is the one a pass header by header
        // refuses.
        for (k, v) in headers {
            if !valid_header_value(v) {
                return Some(Err(TransportError::Request(format!(
                    "invalid value for HTTP header `{k}`"
                ))));
            }
        }
        let mut out: Vec<Header> = Vec::with_capacity(m.placed.len() + 3);
        out.extend(
            m.placed
                .iter()
                .map(|(name, from)| (name.clone(), headers[*from].1.clone())),
        );
        Some(Ok((out, m.sent)))
    });
    let (mut out, sent) = match known {
        Some(made) => made?,
        None => in_process_headers_afresh(headers)?,
    };
    own_headers(&mut out, sent, body_len);
    Ok(out)
}

/// How many name lists [`NAMES_MADE`] keeps per thread.
const NAMES_KEPT: usize = 8;

/// What an in-process header list's names gave (see [`in_process_headers`]).
struct NamesMade {
    /// The caller's names, in order, spelled as the caller sent them.
    names: Vec<HeaderText>,
    /// The list's entries in order: each one's name (lowercase) and the caller's header
    /// whose value it takes.
    placed: Vec<(HeaderText, usize)>,
    /// Which of the transport's own headers the caller sent (`accept`, `host`,
    /// `content-length`).
    sent: [bool; 3],
}

thread_local! {
    /// The name lists in-process header lists were made of, header by header, on this
    /// thread, the most recently used first (the [`NAMES_KEPT`] used most recently: a new
    /// one takes the place of the one least recently used).
    static NAMES_MADE: std::cell::RefCell<Vec<NamesMade>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The caller's part of [`in_process_headers`], header by header, with which of the
/// transport's own headers the caller sent; what its names gave is kept in
/// [`NAMES_MADE`] (in the place of the one least recently used when [`NAMES_KEPT`] are).
fn in_process_headers_afresh(
    headers: &[Header],
) -> Result<(Vec<Header>, [bool; 3]), TransportError> {
    let mut out: Vec<Header> = Vec::with_capacity(headers.len() + 3);
    // For each of `out`'s entries, the caller's header it was made of (kept in step with
    // `out`).
    let mut from: Vec<usize> = Vec::with_capacity(headers.len());
    // Which of the transport's own headers the caller sent (`accept`, `host`,
    // `content-length`), noted on the way instead of looked up after.
    let mut sent = [false; 3];
    // The names of `out`, in its order, as the caller spelled them (for up to
    // `SPELLED` headers, as a profile sends): a repeated name is found among these by
    // its length, then without regard to case (two valid names are the same in lowercase
    // exactly when they are the same without regard to ASCII case), not by comparing the
    // list's texts, each of which reads its form first.
    const SPELLED: usize = 16;
    let mut spelled: [&str; SPELLED] = [""; SPELLED];
    let few = headers.len() <= SPELLED;
    for (at, (k, v)) in headers.iter().enumerate() {
        let key = k.as_str();
        let Some(capitals) = name_capitals(key) else {
            return Err(TransportError::Request(format!(
                "invalid HTTP header name `{k}`"
            )));
        };
        if !valid_header_value(v) {
            return Err(TransportError::Request(format!(
                "invalid value for HTTP header `{k}`"
            )));
        }
        // The name lowercase (see [`lowercase`]); the value always the sender's text,
        // shared with its record.
        let name = if capitals { lowercase(k) } else { k.clone() };
        // A repeated name goes after the name's last value so far.
        let repeated = if few {
            spelled[..out.len()]
                .iter()
                .rposition(|s| s.len() == key.len() && s.eq_ignore_ascii_case(key))
        } else {
            out.iter().rposition(|(n, _)| *n == name)
        };
        match repeated {
            Some(i) => {
                out.insert(i + 1, (name, v.clone()));
                from.insert(i + 1, at);
                if few {
                    spelled.copy_within(i + 1..out.len() - 1, i + 2);
                    spelled[i + 1] = key;
                }
            }
            None => {
                // One of the transport's own names? Told by its length first.
                let own = match key.len() {
                    6 => key.eq_ignore_ascii_case("accept").then_some(0),
                    4 => key.eq_ignore_ascii_case("host").then_some(1),
                    14 => key.eq_ignore_ascii_case("content-length").then_some(2),
                    _ => None,
                };
                if let Some(t) = own {
                    sent[t] = true;
                }
                if few {
                    spelled[out.len()] = key;
                }
                out.push((name, v.clone()));
                from.push(at);
            }
        }
    }
    NAMES_MADE.with(|made| {
        keep_first(
            &mut made.borrow_mut(),
            NAMES_KEPT,
            NamesMade {
                names: headers.iter().map(|(k, _)| k.clone()).collect(),
                placed: out.iter().map(|(n, _)| n.clone()).zip(from).collect(),
                sent,
            },
        );
    });
    Ok((out, sent))
}

/// The transport's own headers, after the caller's (`sent`: which of them the caller
/// sent; `body_len`: the body's length).
fn own_headers(out: &mut Vec<Header>, sent: [bool; 3], body_len: usize) {
    // The transport's own headers: names and `accept`'s and `host`'s values borrowed from
    // the program's text, the length (at most 20 digits) kept inline: no allocation.
    if !sent[0] {
        out.push((
            HeaderText::new_static("accept"),
            HeaderText::new_static("*/*"),
        ));
    }
    if !sent[1] {
        out.push((
            HeaderText::new_static("host"),
            HeaderText::new_static(SIM_HOST),
        ));
    }
    if !sent[2] {
        out.push((
            HeaderText::new_static("content-length"),
            HeaderText::new(itoa::Buffer::new().format(body_len)),
        ));
    }
}

/// The longest text a [`HeaderText`] keeps inline (no allocation).
const INLINE: usize = 23;

/// How many long names with capitals [`lowercase`] remembers per thread.
const LOWERED_KEPT: usize = 64;

thread_local! {
    /// Names too long to be kept inline and written with capitals (`X-PerfectParser-Signature`),
    /// each with its lowercase text: a profile sends the same names on every attempt, so each
    /// is lowercased once per thread instead of once per request.
    static LOWERED: std::cell::RefCell<Vec<(HeaderText, HeaderText)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `name` (a name with capitals, see [`name_capitals`]) in lowercase: a copy kept inline
/// (no allocation) up to 23 bytes, and for a longer name the one this thread made for it
/// before (found by its text's address first: a profile's long name is one shared text).
fn lowercase(name: &HeaderText) -> HeaderText {
    if name.len() <= INLINE {
        return name.to_ascii_lowercase_smolstr();
    }
    LOWERED.with(|kept| {
        let mut kept = kept.borrow_mut();
        if let Some((_, lower)) = kept
            .iter()
            .find(|(n, _)| std::ptr::eq(n.as_str(), name.as_str()) || n == name)
        {
            return lower.clone();
        }
        let lower = name.to_ascii_lowercase_smolstr();
        if kept.len() < LOWERED_KEPT {
            kept.push((name.clone(), lower.clone()));
        }
        lower
    })
}

/// What [`name_capitals`] reads of each byte: 1 for a byte no header name may have, 2 for
/// a capital letter, 0 for any other RFC 9110 `tchar`.
const NAME_BYTE: [u8; 256] = {
    let mut t = [1u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_uppercase() {
            t[i] = 2;
        } else if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            )
        {
            t[i] = 0;
        }
        i += 1;
    }
    t
};

/// Whether `http::HeaderName::from_bytes` takes `name` (1 to 65,535 bytes, each an RFC 9110
/// `tchar`), and if so whether it has a capital letter: both read in one pass over its
/// bytes, one table look-up each.
fn name_capitals(name: &str) -> Option<bool> {
    if !(1..1 << 16).contains(&name.len()) {
        return None;
    }
    let seen = name
        .bytes()
        .fold(0u8, |seen, b| seen | NAME_BYTE[usize::from(b)]);
    (seen & 1 == 0).then_some(seen & 2 != 0)
}

/// Whether `http::HeaderValue::from_str` takes `value`: no control byte but tab.
fn valid_header_value(value: &str) -> bool {
    // Every byte looked at (no early exit: a refused value is rare, and the loop without
    // one is vectorised).
    value
        .bytes()
        .fold(true, |ok, b| ok & (b == b'\t' || (b >= 32 && b != 127)))
}

async fn send_plain(
    clients: &HttpClients,
    req: WireRequest<'_>,
) -> Result<WireResponse, TransportError> {
    // The header map made in one go (`http::request::Builder` moves the request's parts on
    // every `header` call), or from the last one when the names repeat.
    let (target, headers) = {
        // A poisoned lock only means another thread panicked holding it; the lists are
        // whole (entries are pushed complete), so they are used anyway.
        let mut parsed = clients.parsed.lock().unwrap_or_else(|e| e.into_inner());
        let target = parsed.target(&req.url)?;
        let headers = parsed.header_map(req.headers, &target.host, req.body.len())?;
        (target, headers)
    };
    let mut request = http::Request::new(Full::new(req.body));
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = target.path.clone();
    *request.headers_mut() = headers;
    let (response, conn) = exchange(&clients.plain, &target.addr, request).await?;
    let status = response.status().as_u16();
    let headers = header_pairs(response.headers());
    let mut body = response.into_body();
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            TransportError::Connection(format!("body cut off: {}", error_chain(&e)))
        })?;
        if let Some(chunk) = frame.data_ref() {
            keep(&mut kept, chunk);
        }
    }
    // The answer read whole: the connection can take the next request.
    if !conn.is_closed() {
        lock(&clients.plain).put(&target.addr, conn);
    }
    Ok(WireResponse {
        status,
        headers,
        body: Bytes::from(kept),
    })
}

fn lock(conns: &std::sync::Mutex<Conns>) -> std::sync::MutexGuard<'_, Conns> {
    // A poisoned lock only means another thread panicked holding it; the lists are whole.
    conns.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends `request` to `addr` on an idle connection or a new one; the answer's head and the
/// connection it came on. As hyper-util's pooled client does, a request that a re-used
/// connection could not take (it closed in the meantime, the request unsent) is sent again
/// on another; a new connection's failure is the request's.
async fn exchange(
    conns: &std::sync::Mutex<Conns>,
    addr: &str,
    mut request: http::Request<Full<Bytes>>,
) -> Result<
    (
        http::Response<hyper::body::Incoming>,
        http1::SendRequest<Full<Bytes>>,
    ),
    TransportError,
> {
    loop {
        let idle = lock(conns).take(addr);
        let (mut conn, reused) = match idle {
            Some(c) => (c, true),
            None => (connect(addr).await?, false),
        };
        // A connection put back is ready once hyper has seen its last answer end; one that
        // closed meanwhile is passed over.
        if conn.ready().await.is_err() {
            if reused {
                continue;
            }
            return Err(TransportError::Connection(
                "the connection closed before the request was sent".into(),
            ));
        }
        match conn.try_send_request(request).await {
            Ok(response) => return Ok((response, conn)),
            Err(mut e) => match e.take_message() {
                Some(unsent) if reused => request = unsent,
                _ => return Err(TransportError::Connection(error_chain(e.error()))),
            },
        }
    }
}

/// A new HTTP/1 connection to `addr` (`host:port`), its hyper task spawned.
async fn connect(addr: &str) -> Result<http1::SendRequest<Full<Bytes>>, TransportError> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| TransportError::Connection(format!("tcp connect error: {e}")))?;
    let _ = stream.set_nodelay(true);
    // The request's head and body copied into one buffer and written with one `write`
    // (hyper's "flatten" strategy), not queued as two buffers for one `writev`: a body of a
    // few hundred bytes is cheaper to copy than the queue's bookkeeping, and the bytes on the
    // wire are the same.
    let (conn, task) = http1::Builder::new()
        .writev(false)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| TransportError::Connection(error_chain(&e)))?;
    tokio::spawn(async move {
        let _ = task.await;
    });
    Ok(conn)
}

/// Appends as much of `chunk` as fits under [`RESPONSE_BODY_LIMIT`].
fn keep(body: &mut Vec<u8>, chunk: &[u8]) {
    let room = RESPONSE_BODY_LIMIT.saturating_sub(body.len());
    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
}

async fn send_http(
    client: &reqwest::Client,
    req: WireRequest<'_>,
) -> Result<WireResponse, TransportError> {
    let mut rb = client.post(req.url.as_str());
    for (k, v) in req.headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    let mut response = rb.body(req.body).send().await.map_err(|e| {
        if e.is_builder() {
            TransportError::Request(e.to_string())
        } else {
            TransportError::Connection(error_chain(&e))
        }
    })?;
    let status = response.status().as_u16();
    let headers = header_pairs(response.headers());
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => keep(&mut body, &chunk),
            Ok(None) => break,
            Err(e) => {
                return Err(TransportError::Connection(format!(
                    "body cut off: {}",
                    error_chain(&e)
                )));
            }
        }
    }
    Ok(WireResponse {
        status,
        headers,
        body: Bytes::from(body),
    })
}

/// An answer's headers as recorded: names (lowercase, as `http` keeps them) and values as
/// texts, each kept inline (no allocation) up to 23 bytes — `content-length: 0`, a
/// `retry-after`, most names and short values — and a longer one in one shared allocation;
/// the names an answer carries most often are the program's own text (see
/// [`answer_name`]).
fn header_pairs(h: &http::HeaderMap) -> Vec<Header> {
    h.iter()
        .map(|(k, v)| {
            // UTF-8 (as nearly every value is) taken as it is, after the standard library's
            // check; only other bytes go through the lossy pass (the same text either way).
            let value = match std::str::from_utf8(v.as_bytes()) {
                Ok(s) => HeaderText::new(s),
                Err(_) => HeaderText::from(String::from_utf8_lossy(v.as_bytes())),
            };
            (answer_name(k), value)
        })
        .collect()
}

/// An answer's header name as a text: the names the receiver's answers carry most often
/// (`content-length`, which the router adds to every answer, `content-type`, `location`,
/// `retry-after`) borrowed from the program's text — told apart from others by `http`'s
/// own comparison of its standard names, one number each — and any other name copied.
fn answer_name(name: &http::HeaderName) -> HeaderText {
    use http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER};
    if name == CONTENT_LENGTH {
        HeaderText::new_static("content-length")
    } else if name == CONTENT_TYPE {
        HeaderText::new_static("content-type")
    } else if name == LOCATION {
        HeaderText::new_static("location")
    } else if name == RETRY_AFTER {
        HeaderText::new_static("retry-after")
    } else {
        HeaderText::new(name.as_str())
    }
}

fn truncate(b: Bytes) -> Bytes {
    if b.len() > RESPONSE_BODY_LIMIT {
        b.slice(..RESPONSE_BODY_LIMIT)
    } else {
        b
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list `http` gives for the same headers, built as a request header by header.
    fn through_a_header_map(headers: &[Header], body_len: usize) -> Option<Vec<Header>> {
        let mut b = http::Request::builder();
        for (k, v) in headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let has = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        if !has("accept") {
            b = b.header("accept", "*/*");
        }
        if !has("host") {
            b = b.header("host", SIM_HOST);
        }
        if !has("content-length") {
            b = b.header("content-length", body_len);
        }
        Some(header_pairs(b.body(()).ok()?.headers()))
    }

    /// A header list of owned pairs, as a request carries it.
    fn h(pairs: &[(&str, &str)]) -> Vec<Header> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn in_process_headers_are_the_list_a_header_map_would_give() {
        let cases = [
            h(&[
                ("Content-Type", "application/json"),
                ("webhook-id", "msg_1"),
            ]),
            h(&[
                ("X-A", "1"),
                ("x-b", "2"),
                ("x-a", "3"),
                ("Accept", "text/plain"),
            ]),
            h(&[
                ("Host", "example.com"),
                ("Content-Length", "7"),
                ("x-tab", "a\tb ü"),
            ]),
            h(&[
                ("X-Dup", "1"),
                ("X-Other", "2"),
                ("X-Dup", "3"),
                ("X-Other", "4"),
                ("X-Dup", "5"),
            ]),
            h(&[]),
        ];
        for headers in cases {
            let ours = in_process_headers(&headers, 156).ok();
            assert_eq!(ours, through_a_header_map(&headers, 156), "{headers:?}");
        }
    }

    #[test]
    fn a_header_list_made_from_names_met_before_is_the_list_a_header_map_gives_for_its_own_values()
    {
        // Arrange: each name list sent twice, the second time with other values (as a
        // profile's next attempt), so the second list is made from what the first's names
        // gave.
        let cases = [
            (
                h(&[
                    ("Content-Type", "application/json"),
                    ("webhook-id", "msg_1"),
                ]),
                h(&[("Content-Type", "text/plain"), ("webhook-id", "msg_2")]),
            ),
            (
                h(&[
                    ("X-Dup", "1"),
                    ("X-Other", "2"),
                    ("x-dup", "3"),
                    ("Accept", "a"),
                ]),
                h(&[
                    ("X-Dup", "4"),
                    ("X-Other", "5"),
                    ("x-dup", "6"),
                    ("Accept", "b"),
                ]),
            ),
            (
                h(&[
                    ("Host", "h1"),
                    ("Content-Length", "7"),
                    ("X-Long-Signature-Name-Here", "s1"),
                ]),
                h(&[
                    ("Host", "h2"),
                    ("Content-Length", "8"),
                    ("X-Long-Signature-Name-Here", "s2"),
                ]),
            ),
        ];
        for (first, second) in cases {
            // Act
            let made_first = in_process_headers(&first, 10).ok();
            let made_second = in_process_headers(&second, 2_000).ok();

            // Assert
            assert_eq!(made_first, through_a_header_map(&first, 10), "{first:?}");
            assert_eq!(
                made_second,
                through_a_header_map(&second, 2_000),
                "{second:?}"
            );
        }
        let kept = NAMES_MADE.with(|m| m.borrow().len());
        assert_eq!(kept, 3, "each name list is kept once");
    }

    #[test]
    fn a_header_list_made_from_names_met_before_refuses_the_first_bad_value_as_a_list_made_afresh_does()
     {
        // Arrange: the names met once with good values; then bad values.
        let good = h(&[("X-A", "1"), ("X-B", "2"), ("X-A", "3")]);
        let bad = h(&[("X-A", "1"), ("X-B", "bad\nvalue"), ("X-A", "also\rbad")]);
        in_process_headers(&good, 0).unwrap();

        // Act: the bad list here (names known) and on a thread that never met its names.
        let known = in_process_headers(&bad, 0);
        let afresh = std::thread::spawn(move || in_process_headers(&bad, 0))
            .join()
            .unwrap();

        // Assert
        assert_eq!(known, afresh);
        assert_eq!(
            known,
            Err(TransportError::Request(
                "invalid value for HTTP header `X-B`".into()
            ))
        );
    }

    #[test]
    fn the_in_process_uri_is_the_urls_path_parsed_once_per_thread_and_shared_after() {
        for url in [
            "http://hookrig.sim/hooks/orders?tenant=7",
            "/webhooks/stripe/endpoint-number-one",
        ] {
            // Arrange
            let url = HeaderText::new(url);
            let parsed: http::Uri = path_of(&url).parse().unwrap();

            // Act: the same URL twice, the second time as a text of its own.
            let first = in_process_uri(&url).unwrap();
            let second = in_process_uri(&HeaderText::new(url.as_str())).unwrap();

            // Assert: both what parsing gives, the second sharing the first's bytes.
            assert_eq!(first, parsed);
            assert_eq!(second, parsed);
            assert_eq!(first.path_and_query(), parsed.path_and_query());
            assert!(std::ptr::eq(first.path(), second.path()), "{url}");
        }
    }

    #[test]
    fn a_ninth_url_met_is_kept_in_the_place_of_the_least_recently_used_and_every_uri_stays_what_parsing_gives()
     {
        // Arrange: nine URLs, each one text kept for the whole test (as a delivery keeps
        // its context's URL).
        let urls: Vec<HeaderText> = (0..9)
            .map(|i| {
                HeaderText::new(format!(
                    "http://hookrig.sim/hooks/endpoint-number-{i}?n={i}"
                ))
            })
            .collect();
        let parsed = |i: usize| -> http::Uri { path_of(&urls[i]).parse().unwrap() };
        let kept = || -> Vec<String> {
            URIS.with(|k| k.borrow().iter().map(|(u, _)| u.to_string()).collect())
        };
        for (i, url) in urls[..8].iter().enumerate() {
            assert_eq!(in_process_uri(url).unwrap(), parsed(i));
        }
        // The first URL used again: the second is now the least recently used.
        let first_again = in_process_uri(&urls[0]).unwrap();

        // Act: the ninth URL.
        let ninth = in_process_uri(&urls[8]).unwrap();

        // Assert: the ninth kept first, the second dropped, the first still kept.
        assert_eq!(first_again, parsed(0));
        assert_eq!(ninth, parsed(8));
        let now = kept();
        assert_eq!(now.len(), URIS_KEPT);
        assert_eq!(now[0], urls[8]);
        assert_eq!(now[1], urls[0]);
        assert!(!now.contains(&urls[1].to_string()), "{now:?}");
        // Kept or not, each URL's URI is what parsing gives, and one kept is shared.
        for i in [8, 0, 1, 2, 8, 1] {
            assert_eq!(in_process_uri(&urls[i]).unwrap(), parsed(i), "{i}");
        }
        let again = in_process_uri(&urls[8]).unwrap();
        assert!(
            std::ptr::eq(ninth.path(), again.path()),
            "the ninth is shared"
        );
    }

    #[test]
    fn a_ninth_name_list_met_is_kept_in_the_place_of_the_least_recently_used_and_every_list_stays_what_a_header_map_gives()
     {
        // Arrange: nine name lists, each with a capital, a repeated name and its own name.
        let lists: Vec<Vec<Header>> = (0..9)
            .map(|i| {
                let own = format!("X-Own-{i}");
                h(&[
                    ("Content-Type", "application/json"),
                    (own.as_str(), "a"),
                    ("X-Dup", "1"),
                    ("x-dup", "2"),
                ])
            })
            .collect();
        let first_names = || -> Vec<String> {
            NAMES_MADE.with(|m| m.borrow().iter().map(|n| n.names[1].to_string()).collect())
        };
        for list in &lists[..8] {
            assert_eq!(
                in_process_headers(list, 7).ok(),
                through_a_header_map(list, 7)
            );
        }
        // The first list used again: the second is now the least recently used.
        in_process_headers(&lists[0], 7).unwrap();

        // Act: the ninth list.
        let ninth = in_process_headers(&lists[8], 7).ok();

        // Assert: the ninth kept first, the second dropped, the first still kept.
        assert_eq!(ninth, through_a_header_map(&lists[8], 7));
        let now = first_names();
        assert_eq!(now.len(), NAMES_KEPT);
        assert_eq!(now[0], "X-Own-8");
        assert_eq!(now[1], "X-Own-0");
        assert!(!now.contains(&"X-Own-1".to_string()), "{now:?}");
        // Kept or not, each list is what a header map gives, at any body length.
        for (i, len) in [(8, 0), (0, 12), (1, 3), (2, 99), (8, 100), (1, 5)] {
            assert_eq!(
                in_process_headers(&lists[i], len).ok(),
                through_a_header_map(&lists[i], len),
                "{i}"
            );
        }
    }

    #[test]
    fn an_in_process_uri_http_refuses_is_refused_every_time_in_the_builders_words() {
        let url = HeaderText::new("http://hookrig.sim/a path");
        let builder = http::Request::builder()
            .uri(path_of(&url))
            .body(())
            .unwrap_err()
            .to_string();
        for _ in 0..2 {
            assert_eq!(
                in_process_uri(&url),
                Err(TransportError::Request(builder.clone()))
            );
        }
        assert_eq!(
            URIS.with(|k| k.borrow().len()),
            0,
            "a refused URL is not kept"
        );
    }

    #[test]
    fn the_content_length_added_and_repeated_names_in_any_case_are_what_a_header_map_gives_for_any_body_length()
     {
        // Arrange: the length written with `itoa`, the repeated name found among the
        // lowercase names by plain equality (it was `to_string` and a case-blind compare).
        let headers = h(&[
            ("X-Dup", "1"),
            ("x-OTHER", "2"),
            ("x-dup", "3"),
            ("X-other", "4"),
            ("X-DUP", "5"),
        ]);

        for body_len in [
            0,
            1,
            9,
            10,
            99,
            100,
            65_535,
            1 << 20,
            u32::MAX as usize,
            usize::MAX,
        ] {
            // Act
            let ours = in_process_headers(&headers, body_len).ok();

            // Assert
            assert_eq!(ours, through_a_header_map(&headers, body_len), "{body_len}");
        }
    }

    #[test]
    fn the_receivers_header_list_shares_the_senders_long_texts_and_copies_none() {
        // Arrange: values and a lowercase name too long to be kept inline, and one name
        // that needs lowercasing.
        let long_value = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=";
        let long_name = "x-a-header-name-longer-than-23-bytes";
        let sent = h(&[
            ("Webhook-Signature", long_value),
            (long_name, "msg_ZMllTx47KEyJ9XWgybMuYrDbL1l"),
        ]);

        // Act
        let got = in_process_headers(&sent, 212).unwrap();

        // Assert: the same text, and the long ones the very bytes the sender's list holds.
        assert_eq!(got, through_a_header_map(&sent, 212).unwrap());
        assert_eq!(
            got[0].1.as_ptr(),
            sent[0].1.as_ptr(),
            "the signature shared"
        );
        assert_eq!(
            got[1].0.as_ptr(),
            sent[1].0.as_ptr(),
            "the lowercase name shared"
        );
        assert_eq!(got[1].1.as_ptr(), sent[1].1.as_ptr(), "the id shared");
        // Every text of the list on the heap is one of the sender's (nothing newly allocated).
        let senders: Vec<*const u8> = sent
            .iter()
            .flat_map(|(k, v)| [k.as_ptr(), v.as_ptr()])
            .collect();
        for text in got.iter().flat_map(|(k, v)| [k, v]) {
            assert!(
                !text.is_heap_allocated() || senders.contains(&text.as_ptr()),
                "{text} copied"
            );
        }
    }

    #[test]
    fn a_name_is_lowercased_as_ascii_whatever_its_length_and_however_often() {
        for name in [
            "content-type",
            "Content-Type",
            "X-PerfectParser-Signature",
            "x-perfectparser-signature",
            "X-A-Name-Of-Exactly-23-B",
            "X-A-Name-Of-Exactly-24-By",
            "Ünïcode-Ä-name-kept-as-it-is-but-ASCII",
        ] {
            for _ in 0..3 {
                let text = HeaderText::from(name);
                let got = if name_capitals(name) == Some(false) {
                    text
                } else {
                    lowercase(&text)
                };
                assert_eq!(got, name.to_ascii_lowercase(), "{name}");
            }
        }
    }

    #[test]
    fn in_process_headers_refuse_what_http_refuses() {
        let mut names: Vec<String> = (0u8..=127).map(|b| format!("x{}", b as char)).collect();
        names.extend(["".into(), "é".into(), "a".repeat(70), "A".repeat(1 << 16)]);
        for name in names {
            let headers: Vec<Header> = vec![(name.as_str().into(), "v".into())];
            let http_takes = http::HeaderName::from_bytes(name.as_bytes()).is_ok();
            assert_eq!(
                in_process_headers(&headers, 0).is_ok(),
                http_takes,
                "name {name:?}"
            );
        }
        let mut values: Vec<String> = (0u8..=127).map(|b| format!("v{}", b as char)).collect();
        values.extend(["é".into(), String::new()]);
        for value in values {
            let headers: Vec<Header> = vec![("x-v".into(), value.as_str().into())];
            let http_takes = http::HeaderValue::from_str(&value).is_ok();
            assert_eq!(
                in_process_headers(&headers, 0).is_ok(),
                http_takes,
                "value {value:?}"
            );
        }
    }

    fn no_tag() -> DeliveryTag {
        DeliveryTag {
            delivery: 0,
            event_type: HeaderText::default(),
            attempt: 1,
            hop: 0,
        }
    }

    /// What `http::request::Builder` says of `headers` added one by one (the way plain
    /// requests were built before their header map was made in one go).
    fn builder_refusal(headers: &[Header]) -> Option<String> {
        let mut b = http::Request::builder()
            .method("POST")
            .uri("http://127.0.0.1:9/");
        for (k, v) in headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(()).err().map(|e| e.to_string())
    }

    #[tokio::test]
    async fn a_plain_request_refuses_a_bad_header_as_the_request_builder_does() {
        // Arrange: nothing listens on port 9; each refusal comes before any connection.
        let Transport::Http(clients) = Transport::http().unwrap() else {
            unreachable!()
        };
        let h = |k: &str, v: &str| -> Vec<Header> { vec![(k.into(), v.into())] };
        for headers in [
            h("bad name", "v"),
            h("é", "v"),
            h("x-ok", "a\nb"),
            h("", "v"),
        ] {
            let req = WireRequest {
                url: "http://127.0.0.1:9/".into(),
                headers: &headers,
                body: Bytes::new(),
                tag: no_tag(),
            };

            // Act (twice: the second time the name is the one kept from the first)
            let first = send_plain(&clients, req.clone()).await.err();
            let again = send_plain(&clients, req).await.err();

            // Assert
            let want = builder_refusal(&headers).map(TransportError::Request);
            assert!(want.is_some(), "{headers:?}");
            assert_eq!(first, want, "{headers:?}");
            assert_eq!(again, want, "{headers:?}");
        }
    }

    #[tokio::test]
    async fn a_plain_request_to_a_url_http_cannot_parse_is_refused_every_time() {
        // Arrange
        let Transport::Http(clients) = Transport::http().unwrap() else {
            unreachable!()
        };
        let url = "http://exa mple.com/x";
        let want = url
            .parse::<http::Uri>()
            .err()
            .map(|e| format!("{url}: {e}"));

        // Act
        let req = || WireRequest {
            url: url.into(),
            headers: &[],
            body: Bytes::new(),
            tag: no_tag(),
        };
        let first = send_plain(&clients, req()).await.err();
        let again = send_plain(&clients, req()).await.err();

        // Assert
        assert!(want.is_some());
        assert_eq!(first, want.clone().map(TransportError::Request));
        assert_eq!(again, want.map(TransportError::Request));
    }

    #[test]
    fn a_parsed_url_and_header_name_are_kept_and_give_what_parsing_gives() {
        // Arrange
        let mut parsed = Parsed::default();

        // Act
        let target = parsed.target("http://127.0.0.1:8080/hooks?x=1").unwrap();
        let again = parsed.target("http://127.0.0.1:8080/hooks?x=1").unwrap();
        let (name, _) = parsed.header("X-Signature", "v1").unwrap();
        let (same, _) = parsed.header("X-Signature", "v2").unwrap();

        // Assert
        assert_eq!(target.path, again.path);
        assert_eq!(
            (target.path.to_string(), target.host.to_str().unwrap()),
            ("/hooks?x=1".to_owned(), "127.0.0.1:8080")
        );
        assert_eq!(&*target.addr, "127.0.0.1:8080");
        assert_eq!(
            (name.as_str(), same.as_str()),
            ("x-signature", "x-signature")
        );
        assert_eq!((parsed.urls.len(), parsed.names.len()), (1, 1));
    }

    #[test]
    fn a_kept_header_value_is_shared_when_the_text_repeats_and_parsed_afresh_when_it_changes() {
        // Arrange
        let mut parsed = Parsed::default();
        let (_, first) = parsed.header("Content-Type", "application/json").unwrap();

        // Act
        let (_, repeated) = parsed.header("Content-Type", "application/json").unwrap();
        let (_, changed) = parsed.header("Content-Type", "text/plain").unwrap();
        let (_, back) = parsed.header("Content-Type", "application/json").unwrap();
        let refused = parsed
            .header("Content-Type", "a\nb")
            .err()
            .map(|e| e.to_string());

        // Assert
        assert_eq!(repeated, http::HeaderValue::from_static("application/json"));
        assert_eq!(repeated.as_bytes().as_ptr(), first.as_bytes().as_ptr());
        assert_eq!(changed, http::HeaderValue::from_static("text/plain"));
        assert_eq!(back.as_bytes().as_ptr(), first.as_bytes().as_ptr());
        let want = http::HeaderValue::from_str("a\nb")
            .err()
            .map(|e| http::Error::from(e).to_string());
        assert!(refused.is_some());
        assert_eq!(refused, want);
    }

    /// A header map as a list, in its order.
    fn listed(map: &http::HeaderMap) -> Vec<(String, Vec<u8>)> {
        map.iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn a_plain_header_map_made_from_the_last_one_is_the_map_made_afresh() {
        // Arrange: requests one after another through one `Parsed`, each also made by a
        // fresh one — same names with new values, other names, a repeated name, the
        // caller's own Accept and Host, another host, fewer headers.
        let host = http::HeaderValue::from_static("127.0.0.1:8080");
        let other = http::HeaderValue::from_static("example.com");
        let requests = [
            (
                h(&[("Content-Type", "application/json"), ("X-Id", "1")]),
                &host,
                156,
            ),
            (
                h(&[("Content-Type", "application/json"), ("X-Id", "2")]),
                &host,
                156,
            ),
            (
                h(&[("content-type", "text/plain"), ("x-id", "3")]),
                &host,
                157,
            ),
            (
                h(&[("Content-Type", "application/json"), ("X-Id", "4")]),
                &other,
                9,
            ),
            (
                h(&[("X-Id", "5"), ("Content-Type", "application/json")]),
                &host,
                0,
            ),
            (h(&[("X-A", "1"), ("X-B", "2"), ("X-A", "3")]), &host, 10),
            (h(&[("X-A", "1"), ("X-B", "2"), ("X-A", "4")]), &host, 10),
            (h(&[("Accept", "text/html"), ("Host", "a.test")]), &host, 1),
            (h(&[("Accept", "text/html"), ("Host", "b.test")]), &other, 2),
            (h(&[("Content-Length", "7"), ("X-Id", "6")]), &host, 3),
            (h(&[("Content-Length", "8"), ("X-Id", "7")]), &host, 3),
            (h(&[("X-Id", "8")]), &host, 1 << 40),
            (h(&[]), &host, 0),
            (h(&[]), &other, 0),
        ];
        let mut parsed = Parsed::default();
        for (headers, host, body_len) in &requests {
            // Act
            let ours = parsed.header_map(headers, host, *body_len).ok();
            let fresh = Parsed::default().header_map(headers, host, *body_len).ok();

            // Assert
            assert!(fresh.is_some(), "{headers:?}");
            assert_eq!(
                ours.as_ref().map(listed),
                fresh.as_ref().map(listed),
                "{headers:?}"
            );
        }
        assert!(parsed.template.is_some());
        let last = parsed.header_map(&h(&[]), &host, 42).unwrap();
        assert_eq!(
            listed(&last),
            vec![
                ("accept".to_owned(), b"*/*".to_vec()),
                ("host".to_owned(), b"127.0.0.1:8080".to_vec()),
                ("content-length".to_owned(), b"42".to_vec()),
            ]
        );
    }

    #[test]
    fn a_plain_header_map_is_made_from_the_last_one_only_for_names_spelled_as_its_were() {
        // Arrange: a map made for `Content-Type`, `X-Id`; then the same names in another
        // case, and with one name changed in a single letter's case.
        let host = http::HeaderValue::from_static("127.0.0.1:8080");
        let mut parsed = Parsed::default();
        let first = h(&[("Content-Type", "application/json"), ("X-Id", "1")]);
        let lower = h(&[("content-type", "application/json"), ("x-id", "2")]);
        let one_letter = h(&[("content-type", "application/json"), ("x-Id", "3")]);
        parsed.header_map(&first, &host, 1).unwrap();

        for headers in [&lower, &one_letter, &first] {
            // Act
            let ours = parsed.header_map(headers, &host, 1).unwrap();

            // Assert: the map is the one made afresh, and the template is now the one made
            // for these names as they are spelled here.
            let fresh = Parsed::default().header_map(headers, &host, 1).unwrap();
            assert_eq!(listed(&ours), listed(&fresh), "{headers:?}");
            let template = parsed.template.as_ref().expect("a template");
            let spelled: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(template.names, spelled);
            assert_eq!(listed(&template.map)[..2], listed(&fresh)[..2]);
        }
    }

    #[test]
    fn a_plain_header_map_made_from_the_last_one_refuses_a_bad_value_as_the_builder_does() {
        // Arrange
        let mut parsed = Parsed::default();
        let host = http::HeaderValue::from_static("127.0.0.1:8080");
        let good: Vec<Header> = vec![("X-Id".into(), "1".into())];
        let bad: Vec<Header> = vec![("X-Id".into(), "a\nb".into())];
        parsed.header_map(&good, &host, 0).unwrap();

        // Act
        let refused = parsed.header_map(&bad, &host, 0).err();

        // Assert
        assert!(parsed.template.is_some());
        assert_eq!(refused, builder_refusal(&bad).map(TransportError::Request));
    }

    #[test]
    fn answer_header_values_that_are_not_utf8_are_read_lossily_and_others_as_they_are() {
        // Arrange
        let mut h = http::HeaderMap::new();
        h.append("x-a", http::HeaderValue::from_static("plain, ascii"));
        h.append(
            "x-b",
            http::HeaderValue::from_bytes(b"caf\xe9 \xff").unwrap(),
        );
        h.append(
            "x-c",
            http::HeaderValue::from_bytes("d\u{e9}j\u{e0}".as_bytes()).unwrap(),
        );

        // Act
        let pairs = header_pairs(&h);

        // Assert
        let want = |k: &str, v: &[u8]| -> Header {
            (k.into(), String::from_utf8_lossy(v).into_owned().into())
        };
        assert_eq!(
            pairs,
            vec![
                want("x-a", b"plain, ascii"),
                want("x-b", b"caf\xe9 \xff"),
                want("x-c", "d\u{e9}j\u{e0}".as_bytes()),
            ]
        );
        assert_eq!(pairs[1].1, "caf\u{fffd} \u{fffd}");
    }

    #[test]
    fn an_answers_headers_are_the_maps_texts_with_short_ones_inline_and_common_names_borrowed_not_copied()
     {
        // Arrange: the names an answer carries most often, other names, and values short
        // and long, in the order a header map keeps them.
        let long_value = "http://127.0.0.1:8080/webhook/next?after=a-long-query";
        let long_name = "x-a-header-name-longer-than-23-bytes";
        let mut h = http::HeaderMap::new();
        for (k, v) in [
            ("content-length", "0"),
            ("content-type", "text/plain; charset=utf-8"),
            ("location", long_value),
            ("retry-after", "120"),
            ("x-request-id", "req_1"),
            (long_name, "v"),
            ("retry-after", "7"),
        ] {
            h.append(
                http::HeaderName::from_static(k),
                http::HeaderValue::from_static(v),
            );
        }

        // Act
        let pairs = header_pairs(&h);

        // Assert: the map's texts, in its order (a repeated name's values together).
        let texts: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, &**v)).collect();
        let map: Vec<(&str, &str)> = h
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(texts, map);
        // Only the texts over 23 bytes are on the heap; the common names are neither there
        // nor kept inline: borrowed from the program's text.
        for (k, v) in &pairs {
            assert_eq!(k.is_heap_allocated(), k.len() > 23, "{k}");
            assert_eq!(v.is_heap_allocated(), v.len() > 23, "{v}");
        }
        let inline = |t: &HeaderText| {
            let at = std::ptr::from_ref(t).addr();
            (at..at + std::mem::size_of::<HeaderText>()).contains(&t.as_ptr().addr())
        };
        assert_eq!(pairs[5].0, "x-request-id");
        assert!(
            inline(&pairs[5].0),
            "a short name of no note is copied inline"
        );
        for (k, _) in &pairs[..5] {
            assert!(!inline(k) && !k.is_heap_allocated(), "{k} copied");
        }
    }

    #[test]
    fn a_plain_target_is_read_as_hyper_util_read_it_origin_form_and_host_with_a_port_unless_80() {
        let target = |url: &str| {
            let t = Target::of(&url.parse().unwrap()).unwrap();
            (
                t.path.to_string(),
                t.host.to_str().unwrap().to_owned(),
                t.addr.to_string(),
            )
        };
        let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(
            target("http://example.com"),
            owned("/", "example.com", "example.com:80")
        );
        assert_eq!(
            target("http://example.com:80/hooks"),
            owned("/hooks", "example.com", "example.com:80")
        );
        assert_eq!(
            target("http://127.0.0.1:8080/a/b?x=1&y=2"),
            owned("/a/b?x=1&y=2", "127.0.0.1:8080", "127.0.0.1:8080")
        );
        assert_eq!(
            target("http://[::1]:9000/"),
            owned("/", "[::1]:9000", "[::1]:9000")
        );
    }

    #[test]
    fn path_of_keeps_the_path_and_query() {
        assert_eq!(path_of("http://127.0.0.1:8080/hooks/a?x=1"), "/hooks/a?x=1");
        assert_eq!(path_of("https://example.com"), "/");
        assert_eq!(path_of("/next"), "/next");
    }

    #[test]
    fn path_of_finds_the_scheme_where_str_find_found_it() {
        // `path_of` as it was written with `str::find`.
        fn by_find(url: &str) -> &str {
            match url.find("://") {
                Some(i) => {
                    let rest = &url[i + 3..];
                    rest.find('/').map_or("/", |p| &rest[p..])
                }
                None if url.is_empty() => "/",
                None => url,
            }
        }
        for url in [
            "",
            "/",
            ":",
            "://",
            ":/",
            "x://",
            "a:/b",
            "/webhook",
            "/a?next=http://b.example/c",
            "http://h:1/p://q",
            "HTTPS://Example.com/é/ü",
            "é://x/y",
            "ab:://c/d",
            "http:///",
        ] {
            assert_eq!(path_of(url), by_find(url), "{url:?}");
        }
    }
}
