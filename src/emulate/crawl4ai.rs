//! Crawl4AI's Docker server job API (v0.9.2, `deploy/docker/job.py` and `api.py`):
//! `POST /crawl/job`, `GET /crawl/job/{task_id}`, `POST /llm/job`, `GET /llm/job/{task_id}`,
//! with the webhook each job sends when it ends (`webhook.py`).
//!
//! - Requests are validated as FastAPI and pydantic validate `CrawlJobPayload`,
//!   `LlmJobPayload` and `WebhookConfig` (`schemas.py` L105-119, `job.py` L49-64), with
//!   `sanitize_webhook_headers` as the `webhook_headers` validator: a refused header is a
//!   422 with pydantic's `value_error` entry, byte for byte (fastapi.rs).
//! - Answers are Starlette's compact JSON; `POST /crawl/job` is 202 `{"task_id":
//!   "crawl_…"}`, `POST /llm/job` is **200** (the handler returns a `JSONResponse`, which
//!   overrides the route's `status_code=202`) with `_links`; the status body is
//!   `create_task_response`'s, `url` a JSON text for crawl jobs, and its `_links` carry
//!   the double slash `str(request.base_url)` gives (`http://host//llm/…`).
//! - A job ends after its processing time: completed with a `/crawl`-shaped result built
//!   from the crawl4ai profile's `crawl_result` part (per URL; a URL the plan fails gets
//!   `success: false` and its `error_message`, the job still completes), or failed with
//!   an error; the final state is stored before the webhook is sent, as Crawl4AI does.
//! - The webhook goes to `webhook_config.webhook_url`, else `webhooks.default_url` from
//!   `--config`; `webhooks.enabled: false` silences both; `data_in_payload` and the
//!   default headers come from the job or the config as `notify_job_completion` reads
//!   them; `webhooks.retry` sets attempts, waits and timeout.
//! - Differences, on purpose: loopback and private webhook URLs are accepted (the real
//!   server answers 400 `URL blocked` unless `CRAWL4AI_ALLOW_INTERNAL_URLS=true`;
//!   `--strict-egress` restores the check), no bearer token is required unless `--token`
//!   is given (0.9 always requires one), and jobs are not limited to 4 workers (a hanging
//!   receiver stalls nothing else here).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use serde_saphyr::Spanned;
use tokio::time::Instant;

use super::engine::{Engine, Target};
use super::fastapi::{self, Check, at};
use super::generate;
use super::http::{self, ReadError, Req};
use super::plan::{Decision, JobFacts, PlanError, Vocabulary};
use crate::clock;
use crate::profile::{self, Endpoint, Profile};
use crate::retry::Backoff;
use crate::rng::RunRng;

/// What Crawl4AI plans may say.
pub const VOCABULARY: Vocabulary = Vocabulary {
    provider: "crawl4ai",
    kinds: &["crawl", "llm"],
    when: &["nth", "kind", "url"],
    outcomes: &["after", "fail", "fail_urls", "error", "reject"],
};

/// The `webhooks:` section of Crawl4AI's `config.yml`, with its defaults
/// (`deploy/docker/config.yml` L122-133).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// `enabled`.
    pub enabled: bool,
    /// `default_url`.
    pub default_url: Option<String>,
    /// `data_in_payload`.
    pub data_in_payload: bool,
    /// `headers`, in order.
    pub headers: Vec<(String, String)>,
    /// `retry.max_attempts`.
    pub max_attempts: u32,
    /// `retry.initial_delay_ms`.
    pub initial_delay: Duration,
    /// `retry.max_delay_ms`.
    pub max_delay: Duration,
    /// `retry.timeout_ms`.
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            default_url: None,
            data_in_payload: false,
            headers: vec![("User-Agent".into(), "Crawl4AI-Webhook/1.0".into())],
            max_attempts: 5,
            initial_delay: Duration::from_millis(1000),
            max_delay: Duration::from_millis(32000),
            timeout: Duration::from_millis(30000),
        }
    }
}

/// How the Crawl4AI emulator runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The `webhooks:` settings.
    pub webhooks: WebhookSettings,
    /// `limits.max_body_bytes` (default 10 MiB).
    pub max_body_bytes: usize,
    /// `redis.task_ttl_seconds` (default 3600 s).
    pub task_ttl: Duration,
    /// Require `Authorization: Bearer <token>` (0.9's auth gate).
    pub token: Option<String>,
    /// Refuse non-global webhook and LLM URLs as the real server does.
    pub strict_egress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            webhooks: WebhookSettings::default(),
            max_body_bytes: 10 * 1024 * 1024,
            task_ttl: Duration::from_secs(3600),
            token: None,
            strict_egress: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    webhooks: Option<Spanned<RawWebhooks>>,
    limits: Option<RawLimits>,
    redis: Option<RawRedis>,
}

#[derive(Debug, Default, Deserialize)]
struct RawWebhooks {
    enabled: Option<Spanned<Value>>,
    default_url: Option<Spanned<Value>>,
    data_in_payload: Option<Spanned<Value>>,
    headers: Option<Spanned<Value>>,
    retry: Option<RawRetry>,
}

#[derive(Debug, Default, Deserialize)]
struct RawRetry {
    max_attempts: Option<Spanned<Value>>,
    initial_delay_ms: Option<Spanned<Value>>,
    max_delay_ms: Option<Spanned<Value>>,
    timeout_ms: Option<Spanned<Value>>,
}

#[derive(Debug, Default, Deserialize)]
struct RawLimits {
    max_body_bytes: Option<Spanned<Value>>,
}

#[derive(Debug, Default, Deserialize)]
struct RawRedis {
    task_ttl_seconds: Option<Spanned<Value>>,
}

/// Reads the sections of a Crawl4AI `config.yml` the job API uses — `webhooks:` (as
/// `utils.load_config` deep-merges it over the defaults), `limits.max_body_bytes` and
/// `redis.task_ttl_seconds` — into `opts`. Every other section is left alone, as
/// Crawl4AI's server reads them for other routes.
pub fn read_config(path: &Path, opts: &mut Options) -> Result<(), Vec<PlanError>> {
    let origin = path.display().to_string();
    let fail = |line: Option<u64>, column: Option<u64>, message: String| PlanError {
        origin: origin.clone(),
        line,
        column,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![fail(None, None, format!("cannot read: {e}"))])?;
    let raw: RawConfig = if text.trim().is_empty() {
        RawConfig::default()
    } else {
        serde_saphyr::from_str(&text).map_err(|e| {
            let (l, c, m) = crate::text::yaml_error(&text, &e);
            vec![fail(l, c, m)]
        })?
    };
    let mut errors = Vec::new();
    let here = |s: &Spanned<Value>| {
        let l = &s.referenced;
        (l.line() > 0).then(|| (l.line(), l.column()))
    };
    let mut bad = |s: &Spanned<Value>, what: &str, expected: &str| {
        let (l, c) = here(s).unzip();
        errors.push(fail(
            l,
            c,
            format!("{what}: expected {expected}, found `{}`", s.value),
        ));
    };
    let uint = |s: &Spanned<Value>| s.value.as_u64();
    if let Some(w) = &raw.webhooks {
        let w = &w.value;
        let s = &mut opts.webhooks;
        if let Some(v) = &w.enabled {
            match v.value.as_bool() {
                Some(b) => s.enabled = b,
                None => bad(v, "webhooks.enabled", "true or false"),
            }
        }
        if let Some(v) = &w.data_in_payload {
            match v.value.as_bool() {
                Some(b) => s.data_in_payload = b,
                None => bad(v, "webhooks.data_in_payload", "true or false"),
            }
        }
        if let Some(v) = &w.default_url {
            match &v.value {
                Value::Null => s.default_url = None,
                Value::String(u) => match reqwest::Url::parse(u) {
                    Ok(p) if matches!(p.scheme(), "http" | "https") => {
                        s.default_url = Some(u.clone());
                    }
                    _ => bad(v, "webhooks.default_url", "an http or https URL"),
                },
                _ => bad(v, "webhooks.default_url", "a URL or null"),
            }
        }
        if let Some(v) = &w.headers {
            match &v.value {
                Value::Object(m) => {
                    // Deep merge: keys given replace the defaults' of the same name.
                    for (k, val) in m {
                        let val = match val {
                            Value::String(t) => t.clone(),
                            other => other.to_string(),
                        };
                        match s.headers.iter_mut().find(|(n, _)| n == k) {
                            Some(slot) => slot.1 = val,
                            None => s.headers.push((k.clone(), val)),
                        }
                    }
                }
                Value::Null => {}
                _ => bad(v, "webhooks.headers", "a mapping of header names to values"),
            }
        }
        if let Some(r) = &w.retry {
            if let Some(v) = &r.max_attempts {
                match uint(v) {
                    Some(n) if (1..=100).contains(&n) => s.max_attempts = n as u32,
                    _ => bad(
                        v,
                        "webhooks.retry.max_attempts",
                        "a whole number from 1 to 100",
                    ),
                }
            }
            for (field, slot, name) in [
                (
                    &r.initial_delay_ms,
                    &mut s.initial_delay,
                    "initial_delay_ms",
                ),
                (&r.max_delay_ms, &mut s.max_delay, "max_delay_ms"),
                (&r.timeout_ms, &mut s.timeout, "timeout_ms"),
            ] {
                if let Some(v) = field {
                    match uint(v) {
                        Some(ms) if ms <= 30 * 24 * 3600 * 1000 => {
                            *slot = Duration::from_millis(ms);
                        }
                        _ => bad(
                            v,
                            &format!("webhooks.retry.{name}"),
                            "milliseconds as a whole number",
                        ),
                    }
                }
            }
        }
    }
    if let Some(v) = raw.limits.as_ref().and_then(|l| l.max_body_bytes.as_ref()) {
        match uint(v) {
            Some(n) if n > 0 => opts.max_body_bytes = n as usize,
            _ => bad(v, "limits.max_body_bytes", "a whole number of bytes"),
        }
    }
    if let Some(v) = raw.redis.as_ref().and_then(|r| r.task_ttl_seconds.as_ref()) {
        match uint(v) {
            Some(n) if n > 0 => opts.task_ttl = Duration::from_secs(n),
            _ => bad(v, "redis.task_ttl_seconds", "a whole number of seconds"),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[derive(Debug, Clone)]
struct Task {
    status: &'static str,
    created_at: String,
    url: String,
    result: Option<Value>,
    error: Option<String>,
    created: Instant,
    written: Instant,
}

/// The emulated server.
#[derive(Debug)]
pub struct Api {
    engine: Arc<Engine>,
    opts: Options,
    profile: Arc<Profile>,
    tasks: Mutex<HashMap<String, Task>>,
}

/// The router of a Crawl4AI emulator; what it does differently from the real server
/// goes to `notes`.
pub fn router(
    engine: Arc<Engine>,
    opts: Options,
    notes: &mut Vec<String>,
) -> Result<Router, String> {
    if !opts.strict_egress {
        notes.push(
            "webhook URLs on loopback and private addresses are accepted (Crawl4AI answers 400 `URL blocked` unless CRAWL4AI_ALLOW_INTERNAL_URLS=true; --strict-egress refuses them)".into(),
        );
    }
    if !opts.webhooks.enabled {
        notes.push("webhooks.enabled is false: no job sends a webhook".into());
    }
    let mut p = profile::builtin("crawl4ai").ok_or("the crawl4ai profile is missing")?;
    let w = &opts.webhooks;
    p.retry.attempts = w.max_attempts;
    p.retry.backoff = Backoff::Exponential {
        initial: w.initial_delay,
        cap: w.max_delay,
    };
    p.retry.timeout = w.timeout;
    let api = Arc::new(Api {
        engine,
        opts,
        profile: Arc::new(p),
        tasks: Mutex::new(HashMap::new()),
    });
    Ok(Router::new().fallback(handle).with_state(api))
}

/// The API responses' security headers (`server.py` L343-374).
fn secure(mut r: Response) -> Response {
    const HEADERS: &[(&str, &str)] = &[
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        (
            "content-security-policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    ];
    for (k, v) in HEADERS {
        r.headers_mut()
            .entry(*k)
            .or_insert(http::HeaderValue::from_static(v));
    }
    r
}

/// Starlette's compact JSON.
fn starlette(status: u16, v: &Value, headers: &[(&str, String)]) -> Response {
    http::bytes(
        status,
        "application/json",
        crate::pyjson::to_vec_compact(v).unwrap_or_default(),
        headers,
    )
}

fn detail(status: u16, text: &str) -> Response {
    starlette(status, &json!({ "detail": text }), &[])
}

async fn handle(State(api): State<Arc<Api>>, req: Request) -> Response {
    // The outer ASGI layers answer with `json.dumps` defaults and no security headers.
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        http::bytes(
            413,
            "application/json",
            br#"{"detail": "Request body too large"}"#.to_vec(),
            &[],
        )
    };
    if declared.is_some_and(|n| n > api.opts.max_body_bytes as u64) {
        return too_large();
    }
    if let Some(token) = &api.opts.token {
        let given = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                (v.len() >= 7 && v[..7].eq_ignore_ascii_case("bearer ")).then(|| v[7..].trim())
            });
        // Compared in constant time, as the auth gate's `hmac.compare_digest` does.
        let ok = given.is_some_and(|g| {
            g.len() == token.len()
                && g.bytes()
                    .zip(token.bytes())
                    .fold(0u8, |d, (x, y)| d | (x ^ y))
                    == 0
        });
        if !ok {
            return http::bytes(
                401,
                "application/json",
                br#"{"detail": "Authentication required"}"#.to_vec(),
                &[("www-authenticate", "Bearer".into())],
            );
        }
    }
    let req = match Req::read(req, api.opts.max_body_bytes).await {
        Ok(r) => r,
        Err(ReadError::TooLarge) => return too_large(),
        Err(ReadError::Broken) => {
            return secure(detail(400, "There was an error parsing the body"));
        }
    };
    secure(route(&api, req).await)
}

async fn route(api: &Arc<Api>, req: Req) -> Response {
    let seg = req.segments();
    let get = req.method == http::Method::GET;
    let post = req.method == http::Method::POST;
    let not_allowed = |allow: &str| {
        starlette(
            405,
            &json!({"detail": "Method Not Allowed"}),
            &[("allow", allow.to_owned())],
        )
    };
    match seg.as_slice() {
        ["crawl", "job"] if post => submit_crawl(api, &req).await,
        ["llm", "job"] if post => submit_llm(api, &req).await,
        ["crawl", "job"] | ["llm", "job"] => not_allowed("POST"),
        ["crawl", "job", id] | ["llm", "job", id] if get => status(api, &req, id),
        ["crawl", "job", _] | ["llm", "job", _] => not_allowed("GET"),
        _ => starlette(404, &json!({"detail": "Not Found"}), &[]),
    }
}

/// `WebhookConfig` checked, `None` when absent or null.
struct Hook {
    url: String,
    data_in_payload: bool,
    headers: Vec<(String, String)>,
}

fn check_webhook_config(c: &mut Check, obj: &Map<String, Value>, loc: &[Value]) -> Option<Hook> {
    let v = obj.get("webhook_config")?;
    if v.is_null() {
        return None;
    }
    let loc = at(loc, "webhook_config");
    let w = c.object(v, loc.clone())?;
    let url = c
        .required(w, "webhook_url", &loc)
        .and_then(|u| c.http_url(u, at(&loc, "webhook_url")));
    let data_in_payload = match w.get("webhook_data_in_payload") {
        Some(v) => c.boolean(v, at(&loc, "webhook_data_in_payload")),
        None => Some(false),
    };
    let headers = match w.get("webhook_headers") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(v) => {
            let hloc = at(&loc, "webhook_headers");
            match c.dict_str(v, hloc.clone()) {
                Some(h) if h.is_empty() => Some(h),
                Some(h) => match sanitize_headers(&h) {
                    Ok(()) => Some(h),
                    Err(msg) => {
                        c.value_error(hloc, &msg, v);
                        None
                    }
                },
                None => None,
            }
        }
    };
    Some(Hook {
        url: url?,
        data_in_payload: data_in_payload?,
        headers: headers?,
    })
}

/// `sanitize_webhook_headers` (`webhook.py` L53-79): the first refused header's message.
fn sanitize_headers(h: &[(String, String)]) -> Result<(), String> {
    const DENY: &[&str] = &[
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
    if h.len() > 20 {
        return Err("too many webhook headers".into());
    }
    for (name, value) in h {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(format!("invalid webhook header name: {}", py_repr(name)));
        }
        if DENY.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(format!("webhook header not allowed: {name}"));
        }
        if value.chars().count() > 2048 || value.contains(['\r', '\n', '\0']) {
            return Err(format!("invalid value for webhook header {name}"));
        }
    }
    Ok(())
}

/// Python's `repr` of a string.
fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Percent-decoding, as `urllib.parse.unquote` does.
fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether an address is one Python's `ipaddress` calls global.
fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_global(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// `egress_broker.resolve_and_pin`'s verdict: whether every address the URL's host
/// resolves to is global (an unresolvable host is blocked too).
async fn egress_allowed(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return is_global(ip);
    }
    let port = u.port_or_known_default().unwrap_or(80);
    match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(addrs) => {
            let all: Vec<_> = addrs.collect();
            !all.is_empty() && all.iter().all(|a| is_global(a.ip()))
        }
        Err(_) => false,
    }
}

/// The answer to a submission the plan rejects, as Crawl4AI's handlers answer those
/// statuses (`api.py` L34-53, `server.py` L509-530).
fn rejected(api: &Api, r: &super::plan::Reject) -> Response {
    match r.status {
        503 => starlette(
            503,
            &json!({"detail": r.message.clone().unwrap_or_else(|| "Server busy, retry later".into())}),
            &[("retry-after", "5".into())],
        ),
        429 => detail(
            429,
            r.message
                .as_deref()
                .unwrap_or("Too many concurrent jobs for this caller"),
        ),
        500 => starlette(
            500,
            &json!({"error": "Internal server error", "correlation_id": api.engine.draw(|g| g.hex(12))}),
            &[],
        ),
        s => detail(
            s,
            r.message.as_deref().unwrap_or_else(|| {
                http::StatusCode::from_u16(s)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("Error")
            }),
        ),
    }
}

/// Python's `datetime.isoformat()` of a naive time: microseconds only when not zero.
fn naive_iso(t: Duration) -> String {
    let s = clock::iso_python_utc(t);
    s.trim_end_matches("+00:00").to_owned()
}

impl Api {
    fn target(&self, hook: Option<&Hook>) -> Option<Target> {
        let w = &self.opts.webhooks;
        if !w.enabled {
            return None;
        }
        let (url, data_in_payload, custom) = match hook {
            Some(h) => (h.url.clone(), h.data_in_payload, h.headers.clone()),
            None => (w.default_url.clone()?, w.data_in_payload, Vec::new()),
        };
        // {**config.headers, **safe_custom}: the profile sends its User-Agent first and
        // takes a configured or custom value of the same name in its place.
        let mut headers = w.headers.clone();
        for (k, v) in custom {
            match headers.iter_mut().find(|(n, _)| n == &k) {
                Some(slot) => slot.1 = v,
                None => headers.push((k, v)),
            }
        }
        Some(Target {
            profile: Arc::clone(&self.profile),
            endpoint: Arc::new(Endpoint {
                url: Some(url),
                headers,
                data_in_payload,
                ..Endpoint::default()
            }),
            generated_secret: None,
        })
    }

    fn store(&self, id: &str, t: Task) {
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), t);
    }

    fn finish(&self, id: &str, result: Result<Value, String>) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = tasks.get_mut(id) {
            match result {
                Ok(r) => {
                    t.status = "completed";
                    t.result = Some(r);
                }
                Err(e) => {
                    t.status = "failed";
                    t.error = Some(e);
                }
            }
            t.written = Instant::now();
        }
    }
}

/// The request's body as FastAPI reads it, or the answer FastAPI gives a body it cannot read.
fn read_body(req: &Req) -> Result<fastapi::BodyIn, Box<Response>> {
    fastapi::read_body(req.header("content-type"), &req.body).map_err(|e| {
        let (s, v) = e.answer();
        Box::new(starlette(s, &v, &[]))
    })
}

async fn submit_crawl(api: &Arc<Api>, req: &Req) -> Response {
    let body = match read_body(req) {
        Ok(b) => b,
        Err(answer) => return *answer,
    };
    let mut c = Check::default();
    let root = vec![json!("body")];
    let mut urls = None;
    let mut hook = None;
    if let Some(obj) = c.model(&body, root.clone()) {
        urls = c.required(obj, "urls", &root).and_then(|v| {
            let list = c.list(v, at(&root, "urls"))?;
            let before = c.errors.len();
            let out: Vec<String> = list
                .iter()
                .enumerate()
                .filter_map(|(i, u)| c.http_url(u, at(&at(&root, "urls"), i)))
                .collect();
            (c.errors.len() == before).then_some(out)
        });
        for field in ["browser_config", "crawler_config"] {
            if let Some(v) = obj.get(field) {
                c.dict(v, at(&root, field));
            }
        }
        hook = check_webhook_config(&mut c, obj, &root);
    }
    if !c.ok() {
        return starlette(422, &fastapi::detail(&c.errors), &[]);
    }
    let urls = urls.unwrap_or_default();
    if let Some(h) = &hook
        && api.opts.strict_egress
        && !egress_allowed(&h.url).await
    {
        return detail(400, "URL blocked");
    }
    let api2 = Arc::clone(api);
    let decision = api.engine.decide(&JobFacts {
        kind: "crawl",
        urls: urls.clone(),
        ..JobFacts::default()
    });
    if let Some(r) = &decision.reject {
        return rejected(api, r);
    }
    let id = format!("crawl_{}", api.engine.draw(|g| g.hex(8)));
    let now = Instant::now();
    api.store(
        &id,
        Task {
            status: "processing",
            created_at: naive_iso(api.engine.now()),
            url: String::from_utf8(crate::pyjson::to_vec(&urls).unwrap_or_default())
                .unwrap_or_default(),
            result: None,
            error: None,
            created: now,
            written: now,
        },
    );
    let target = api.target(hook.as_ref());
    let mut rng = api.engine.job_rng();
    let id2 = id.clone();
    tokio::spawn(async move {
        let api = api2;
        let after = decision.after.unwrap_or_default();
        api.engine.sleep(after).await;
        let mut blocked = false;
        if api.opts.strict_egress {
            for u in &urls {
                if !egress_allowed(u).await {
                    blocked = true;
                }
            }
        }
        let outcome = if blocked {
            Err("400: URL blocked (SSRF protection): URL blocked".to_owned())
        } else {
            crawl_outcome(&api, &urls, &decision, after, &mut rng)
        };
        api.finish(&id2, outcome.clone());
        if let Some(t) = target {
            let (ty, data) = match outcome {
                Ok(result) => (
                    "crawl.completed",
                    json!({"task_id": id2, "urls": urls, "result": result}),
                ),
                Err(error) => (
                    "crawl.failed",
                    json!({"task_id": id2, "urls": urls, "error": error}),
                ),
            };
            api.engine.fire(&t, ty, data, &id2, &mut rng);
        }
    });
    starlette(202, &json!({ "task_id": id }), &[])
}

/// A crawl job's result (`handle_crawl_request`'s response) or its error.
fn crawl_outcome(
    api: &Api,
    urls: &[String],
    d: &Decision,
    after: Duration,
    rng: &mut RunRng,
) -> Result<Value, String> {
    let p = &api.profile;
    if let Some(fail) = &d.fail {
        return Err(match fail {
            Some(text) => text.clone(),
            None => {
                let msg = pick_text(p, "crawl_errors", rng);
                let detail = json!({
                    "error": msg,
                    "server_memory_delta_mb": rng.range(0, 800) as f64 / 100.0,
                    "server_peak_memory_mb": 380.0 + rng.range(0, 8000) as f64 / 100.0,
                });
                format!(
                    "500: {}",
                    String::from_utf8(crate::pyjson::to_vec(&detail).unwrap_or_default())
                        .unwrap_or_default()
                )
            }
        });
    }
    let failed: Vec<&String> = d.fail_urls.iter().flatten().collect();
    let pages = p
        .table("pages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut results = Vec::new();
    for u in urls {
        if failed.iter().any(|f| super::plan::same_url(f, u)) {
            let error = d
                .error
                .clone()
                .unwrap_or_else(|| pick_text(p, "crawl_errors", rng));
            results.push(failed_result(u, &error));
            continue;
        }
        let hint = if pages.is_empty() {
            json!({"title": "Example Domain", "text": "Example page."})
        } else {
            rng.pick(&pages).clone()
        };
        let origin = reqwest::Url::parse(u)
            .map(|x| x.origin().ascii_serialization())
            .unwrap_or_default();
        let page =
            json!({"url": u, "origin": origin, "title": hint["title"], "text": hint["text"]});
        let r = p
            .part("crawl_result", &[("page".into(), page)], rng)
            .map_err(|e| format!("500: {e}"))?;
        results.push(r);
    }
    Ok(json!({
        "success": true,
        "results": results,
        "server_processing_time_s": after.as_secs_f64() + rng.range(1000, 999_999) as f64 / 1e7,
        "server_memory_delta_mb": rng.range(0, 4000) as f64 / 100.0,
        "server_peak_memory_mb": 180.0 + rng.range(0, 12000) as f64 / 100.0,
    }))
}

/// `CrawlResult(url=url, html="", success=False, error_message=…).model_dump()`
/// (`async_webcrawler.py` L692-712): every other field at its default. `fit_html` is
/// null where Crawl4AI writes the repr of a shadowing property.
fn failed_result(url: &str, error: &str) -> Value {
    json!({
        "url": url, "html": "", "fit_html": null, "success": false, "cleaned_html": null,
        "media": {}, "links": {}, "downloaded_files": null, "js_execution_result": null,
        "screenshot": null, "pdf": null, "mhtml": null, "extracted_content": null,
        "metadata": null, "error_message": error, "session_id": null,
        "response_headers": null, "status_code": null, "ssl_certificate": null,
        "dispatch_result": null, "redirected_url": null, "redirected_status_code": null,
        "network_requests": null, "console_messages": null, "tables": [],
        "head_fingerprint": null, "cached_at": null, "cache_status": null, "crawl_stats": null,
    })
}

fn pick_text(p: &Profile, table: &str, rng: &mut RunRng) -> String {
    match p.table(table).and_then(Value::as_array) {
        Some(items) if !items.is_empty() => rng.pick(items).as_str().unwrap_or_default().to_owned(),
        _ => "Unexpected error".into(),
    }
}

async fn submit_llm(api: &Arc<Api>, req: &Req) -> Response {
    let body = match read_body(req) {
        Ok(b) => b,
        Err(answer) => return *answer,
    };
    let mut c = Check::default();
    let root = vec![json!("body")];
    let (mut url, mut q, mut schema, mut hook) = (None, None, None, None);
    if let Some(obj) = c.model(&body, root.clone()) {
        url = c
            .required(obj, "url", &root)
            .and_then(|v| c.http_url(v, at(&root, "url")));
        q = c
            .required(obj, "q", &root)
            .and_then(|v| c.string(v, at(&root, "q")));
        match obj.get("schema") {
            None | Some(Value::Null) => {}
            Some(v) => schema = c.string(v, at(&root, "schema")),
        }
        if let Some(v) = obj.get("cache") {
            c.boolean(v, at(&root, "cache"));
        }
        if let Some(v) = obj.get("provider").filter(|v| !v.is_null()) {
            c.string(v, at(&root, "provider"));
        }
        hook = check_webhook_config(&mut c, obj, &root);
        if let Some(v) = obj.get("temperature").filter(|v| !v.is_null()) {
            c.float(v, at(&root, "temperature"));
        }
    }
    if !c.ok() {
        return starlette(422, &fastapi::detail(&c.errors), &[]);
    }
    let (Some(url), Some(q)) = (url, q) else {
        return starlette(422, &fastapi::detail(&c.errors), &[]);
    };
    if let Some(h) = &hook
        && api.opts.strict_egress
        && !egress_allowed(&h.url).await
    {
        return detail(400, "URL blocked");
    }
    let base = req.base_url();
    // handle_llm_request: the URL as unquote() leaves it; an empty instruction gets a
    // hint and no task.
    let decoded = unquote(&url);
    if q.is_empty() {
        return starlette(
            200,
            &json!({"message": "Please provide an instruction", "_links": {"example": {"href": format!("{base}/llm/{decoded}?q=Extract+main+content"), "title": "Try this example"}}}),
            &[],
        );
    }
    if api.opts.strict_egress && !egress_allowed(&decoded).await {
        return detail(400, "URL blocked (SSRF protection): URL blocked");
    }
    let decision = api.engine.decide(&JobFacts {
        kind: "llm",
        urls: vec![decoded.clone()],
        ..JobFacts::default()
    });
    if let Some(r) = &decision.reject {
        return rejected(api, r);
    }
    let now = api.engine.now();
    let address = api
        .engine
        .draw(|g| 139_600_000_000_000 + g.range(0, 1_099_999_999) * 16);
    let id = format!("llm_{}_{address}", clock::unix_secs(now));
    let started = Instant::now();
    api.store(
        &id,
        Task {
            status: "processing",
            created_at: naive_iso(now),
            url: decoded.clone(),
            result: None,
            error: None,
            created: started,
            written: started,
        },
    );
    let target = api.target(hook.as_ref());
    let mut rng = api.engine.job_rng();
    let api2 = Arc::clone(api);
    let id2 = id.clone();
    let url2 = decoded.clone();
    tokio::spawn(async move {
        let api = api2;
        api.engine.sleep(decision.after.unwrap_or_default()).await;
        let outcome = llm_outcome(&api, &url2, schema.as_deref(), &decision, &mut rng);
        api.finish(&id2, outcome.clone());
        if let Some(t) = target {
            let (ty, data) = match outcome {
                Ok(content) => (
                    "llm_extraction.completed",
                    json!({"task_id": id2, "urls": [url2], "result": content}),
                ),
                Err(error) => (
                    "llm_extraction.failed",
                    json!({"task_id": id2, "urls": [url2], "error": error}),
                ),
            };
            api.engine.fire(&t, ty, data, &id2, &mut rng);
        }
    });
    starlette(
        200,
        &json!({"task_id": id, "status": "processing", "url": decoded, "_links": {"self": {"href": format!("{base}/llm/{id}")}, "status": {"href": format!("{base}/llm/{id}")}}}),
        &[],
    )
}

/// An LLM job's extracted content: `LLMExtractionStrategy`'s blocks, each with
/// `"error": false` — one object of the job's schema, or without a schema the
/// `{index, tags, content}` block — or the job's error.
fn llm_outcome(
    api: &Api,
    url: &str,
    schema: Option<&str>,
    d: &Decision,
    rng: &mut RunRng,
) -> Result<Value, String> {
    let p = &api.profile;
    if let Some(fail) = &d.fail {
        return Err(fail
            .clone()
            .unwrap_or_else(|| pick_text(p, "llm_errors", rng)));
    }
    let articles = p
        .table("articles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let hint = articles
        .iter()
        .find(|a| {
            a["url"]
                .as_str()
                .is_some_and(|x| super::plan::same_url(x, url))
        })
        .cloned()
        .or_else(|| (!articles.is_empty()).then(|| rng.pick(&articles).clone()))
        .unwrap_or_else(|| json!({}));
    let hints = hint.as_object().cloned().unwrap_or_default();
    let mut block = match schema {
        Some(text) if !text.is_empty() => {
            // json.loads(schema) runs inside the job: a bad schema fails it.
            let s = fastapi::parse_python_json(text).map_err(|(pos, msg)| {
                let before: String = text.chars().take(pos).collect();
                let line = before.matches('\n').count() + 1;
                let col = pos
                    - before
                        .rfind('\n')
                        .map_or(0, |i| before[..=i].chars().count())
                    + 1;
                format!("{msg}: line {line} column {col} (char {pos})")
            })?;
            generate::from_schema(&s, &hints, rng)
        }
        _ => json!({
            "index": 0,
            "tags": ["article"],
            "content": [hint["title"].clone(), hint["author"].clone()],
        }),
    };
    if let Value::Object(m) = &mut block {
        m.insert("error".into(), Value::Bool(false));
    }
    Ok(json!([block]))
}

fn status(api: &Api, req: &Req, id: &str) -> Response {
    let mut tasks = api.tasks.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let ttl = api.opts.task_ttl;
    // Redis expires a task `task_ttl_seconds` after its last write.
    if tasks.get(id).is_some_and(|t| now - t.written > ttl) {
        tasks.remove(id);
    }
    let Some(t) = tasks.get(id).cloned() else {
        return detail(404, "Task not found");
    };
    // handle_task_status: base_url is str(request.base_url), which ends in a slash.
    let base = format!("{}/", req.base_url());
    let mut v = json!({
        "task_id": id,
        "status": t.status,
        "created_at": t.created_at,
        "url": t.url,
        "_links": {"self": {"href": format!("{base}/llm/{id}")}, "refresh": {"href": format!("{base}/llm/{id}")}},
    });
    match t.status {
        "completed" => v["result"] = t.result.clone().unwrap_or(Value::Null),
        "failed" => v["error"] = json!(t.error.clone().unwrap_or_default()),
        _ => {}
    }
    // A finished task read after its TTL since creation is deleted once answered.
    if t.status != "processing" && now - t.created > ttl {
        tasks.remove(id);
    }
    starlette(200, &v, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_headers_get_crawl4ai_messages_in_its_order() {
        let h = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            sanitize_headers(&h(&[("Authorization", "Bearer x")])),
            Err("webhook header not allowed: Authorization".into())
        );
        assert_eq!(
            sanitize_headers(&h(&[("X Bad", "1")])),
            Err("invalid webhook header name: 'X Bad'".into())
        );
        assert_eq!(
            sanitize_headers(&h(&[("X-A", "a\r\nb")])),
            Err("invalid value for webhook header X-A".into())
        );
        let many: Vec<(String, String)> = (0..21).map(|i| (format!("X-{i}"), "v".into())).collect();
        assert_eq!(
            sanitize_headers(&many),
            Err("too many webhook headers".into())
        );
        assert_eq!(sanitize_headers(&h(&[("X-Ok", "fine")])), Ok(()));
    }

    #[test]
    fn python_repr_quotes_as_python_does() {
        assert_eq!(py_repr("X Bad"), "'X Bad'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a\nb"), "'a\\nb'");
    }

    #[test]
    fn loopback_and_private_addresses_are_not_global() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.1.1",
            "::1",
            "fd00::1",
            "100.64.0.1",
        ] {
            assert!(!is_global(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_global("93.184.216.34".parse().unwrap()));
    }

    #[test]
    fn unquote_decodes_percent_escapes() {
        assert_eq!(unquote("https://a.com/x%20y%2F"), "https://a.com/x y/");
        assert_eq!(unquote("100%"), "100%");
    }
}
