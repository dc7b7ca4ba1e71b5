//! PerfectParser's REST API (perfectparser.com/docs/api, pages dated 2026-06): webhooks
//! (`/v1/webhooks`: create, list, get, update, delete, test), extractions
//! (`/v1/extractions`: start with a multipart upload, list, status) and the documented
//! webhook fallback `GET /v1/extractions/{id}/documents/{doc_id}`.
//!
//! - Every `/v1` call needs `X-API-Key` (any non-empty key; none is 401
//!   `UNAUTHORIZED`) and every answer carries `X-RateLimit-Limit/Remaining/Reset`
//!   (150 a minute, counted but not enforced: a plan's `reject: {status: 429}` makes the
//!   API refuse).
//! - Resources come in the documented envelopes (`{"webhook": …}`, `{"extraction": …}`,
//!   `{"document": …}`, `{"webhooks": […], "pagination": …}`); a webhook's
//!   `signing_secret` is shown in the create answer only.
//! - An extraction's documents finish one after another over its processing time: each
//!   fires `extraction.document_completed` to the API webhooks that subscribed, the last
//!   one `extraction.job_completed`, and dashboard webhooks (`--dashboard-webhook`) get
//!   `batch.completed`, `batch.failed` or `batch.partial`. `POST /v1/webhooks/{id}/test`
//!   sends a synthetic `extraction.job_completed` with `"test": true` and reports its
//!   first attempt.
//!
//! Assumed where the public docs show no body (each marked in docs/emulate.md): the
//! error body `{"error": {"code", "message"}}`, the test endpoint's answer, the webhook
//! detail's `deliveries`, the extraction list's envelope, ids as `prefix_` + 20
//! characters, 1,000 starting credits, and the webhook bodies (the perfectparser
//! profile's assumed flat shape). `http://` webhook URLs are accepted (the docs require
//! HTTPS in production only).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::engine::{Engine, Target};
use super::http::{self, ReadError, Req};
use super::multipart;
use super::plan::{Decision, DocumentRef, JobFacts, Vocabulary};
use crate::clock;
use crate::profile::{self, Endpoint, Profile};
use crate::rng::RunRng;

/// What PerfectParser plans may say.
pub const VOCABULARY: Vocabulary = Vocabulary {
    provider: "perfectparser",
    kinds: &["extraction"],
    when: &["nth", "kind", "filename", "parser"],
    outcomes: &["after", "fail", "fail_documents", "error", "reject"],
};

/// The events an API webhook can subscribe to (`POST /v1/webhooks` `events`).
pub const API_EVENTS: &[&str] = &["extraction.document_completed", "extraction.job_completed"];

/// The largest upload taken (PerfectParser publishes no limit).
const BODY_LIMIT: usize = 100 * 1024 * 1024;

/// Credits an emulated account starts with.
const CREDITS: i64 = 1000;

/// A dashboard-configured webhook: gets `batch.*` events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardHook {
    /// Its URL.
    pub url: String,
    /// Its signing secret; generated when not given.
    pub secret: Option<String>,
}

/// How the PerfectParser emulator runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Dashboard webhooks.
    pub dashboard: Vec<DashboardHook>,
}

#[derive(Debug, Clone)]
struct Hook {
    id: String,
    url: String,
    events: Vec<String>,
    active: bool,
    created_at: String,
    signing_secret: String,
    static_secret: Option<String>,
    deliveries: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Document {
    id: String,
    filename: String,
    file_type: String,
    file_size: usize,
    status: &'static str,
    pages: i64,
    confidence: Option<f64>,
    processing_time_ms: Option<u64>,
    extracted_data: Option<Value>,
    error_message: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Clone)]
struct Extraction {
    id: String,
    parser_id: String,
    status: &'static str,
    created_at: String,
    updated_at: String,
    completed_at: Option<String>,
    documents: Vec<Document>,
    credits_remaining: i64,
    seq: u64,
}

#[derive(Debug, Default)]
struct Store {
    hooks: Vec<Hook>,
    extractions: Vec<Extraction>,
    idempotency: HashMap<String, String>,
    credits: i64,
    window: (u64, u32),
}

/// The emulated API.
#[derive(Debug)]
pub struct Api {
    engine: Arc<Engine>,
    profile: Arc<Profile>,
    dashboard: Vec<Target>,
    store: Mutex<Store>,
}

/// The router of a PerfectParser emulator; generated dashboard secrets go to `notes`.
pub fn router(
    engine: Arc<Engine>,
    opts: Options,
    notes: &mut Vec<String>,
) -> Result<Router, String> {
    let profile =
        Arc::new(profile::builtin("perfectparser").ok_or("the perfectparser profile is missing")?);
    let mut dashboard = Vec::new();
    for d in opts.dashboard {
        let (secret, generated) = match d.secret {
            Some(s) => (s, None),
            None => {
                let s = engine.draw(signing_secret);
                notes.push(format!(
                    "dashboard webhook {} signs with the generated secret {s}",
                    d.url
                ));
                (s.clone(), Some(s))
            }
        };
        dashboard.push(Target {
            profile: Arc::clone(&profile),
            endpoint: Arc::new(Endpoint {
                url: Some(d.url),
                secrets: vec![secret],
                ..Endpoint::default()
            }),
            generated_secret: generated,
        });
    }
    let api = Arc::new(Api {
        engine,
        profile,
        dashboard,
        store: Mutex::new(Store {
            credits: CREDITS,
            ..Store::default()
        }),
    });
    Ok(Router::new().fallback(handle).with_state(api))
}

fn signing_secret(rng: &mut RunRng) -> String {
    format!("wh_sec_{}", rng.hex(32))
}

fn error(status: u16, code: &str, message: &str) -> Response {
    http::json(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

fn invalid(what: &str) -> Response {
    error(
        400,
        "INVALID_PAYLOAD",
        &format!("Validation failed: {what}"),
    )
}

fn not_found() -> Response {
    error(
        404,
        "RESOURCE_NOT_FOUND",
        "The requested resource was not found.",
    )
}

async fn handle(State(api): State<Arc<Api>>, req: Request) -> Response {
    let mut r = match Req::read(req, BODY_LIMIT).await {
        Ok(req) => route(&api, req).await,
        Err(ReadError::TooLarge) => {
            error(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")
        }
        Err(ReadError::Broken) => invalid("the request body could not be read"),
    };
    let (limit, remaining, reset) = api.rate();
    let h = r.headers_mut();
    for (k, v) in [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
    ] {
        if let Ok(v) = http::HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    r
}

async fn route(api: &Arc<Api>, req: Req) -> Response {
    let seg = req.segments();
    if seg.first() != Some(&"v1") {
        return not_found();
    }
    if req.header("x-api-key").is_none_or(|k| k.trim().is_empty()) {
        return error(401, "UNAUTHORIZED", "Invalid or missing API key.");
    }
    use http::Method as M;
    match (&req.method, &seg[1..]) {
        (&M::POST, ["webhooks"]) => api.create_hook(&req),
        (&M::GET, ["webhooks"]) => api.list_hooks(&req),
        (&M::GET, ["webhooks", id]) => api.get_hook(id),
        (&M::PATCH, ["webhooks", id]) => api.update_hook(id, &req),
        (&M::DELETE, ["webhooks", id]) => api.delete_hook(id),
        (&M::POST, ["webhooks", id, "test"]) => api.test_hook(id).await,
        (&M::POST, ["extractions"]) => api.start(&req),
        (&M::GET, ["extractions"]) => api.list(&req),
        (&M::GET, ["extractions", id]) => api.status(id),
        (&M::GET, ["extractions", id, "documents", doc]) => api.document(id, doc),
        _ => not_found(),
    }
}

/// The JSON object of a body, or the 400 for one that is not.
fn object(req: &Req) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err("the body must be a JSON object".into()),
    }
}

fn check_url(v: Option<&Value>) -> Result<String, String> {
    match v.and_then(Value::as_str).map(reqwest::Url::parse) {
        Some(Ok(u)) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(v.and_then(Value::as_str).unwrap_or_default().to_owned())
        }
        _ => Err("url must be an http or https URL".into()),
    }
}

fn check_events(v: Option<&Value>) -> Result<Vec<String>, String> {
    let bad = || {
        format!(
            "events must be a non-empty list of: {}",
            API_EVENTS.join(", ")
        )
    };
    let Some(Value::Array(items)) = v else {
        return Err(bad());
    };
    let mut out = Vec::new();
    for i in items {
        match i.as_str() {
            Some(e) if API_EVENTS.contains(&e) => {
                if !out.iter().any(|x| x == e) {
                    out.push(e.to_owned());
                }
            }
            _ => return Err(bad()),
        }
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

impl Api {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The documented rate-limit headers: 150 requests a wall-clock minute.
    fn rate(&self) -> (u32, u32, u64) {
        let now = clock::unix_secs(self.engine.now()).max(0) as u64;
        let minute = now / 60;
        let mut s = self.lock();
        if s.window.0 != minute {
            s.window = (minute, 0);
        }
        s.window.1 += 1;
        (150, 150u32.saturating_sub(s.window.1), (minute + 1) * 60)
    }

    fn id(&self, prefix: &str) -> String {
        self.engine.draw(|g| {
            self.profile
                .part("id", &[("prefix".into(), json!(prefix))], g)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("{prefix}_{}", g.alnum(20)))
        })
    }

    fn hook_json(h: &Hook) -> Value {
        json!({
            "webhook_id": h.id,
            "url": h.url,
            "events": h.events,
            "is_active": h.active,
            "created_at": h.created_at,
        })
    }

    fn create_hook(&self, req: &Req) -> Response {
        let body = match object(req) {
            Ok(b) => b,
            Err(m) => return invalid(&m),
        };
        let url = match check_url(body.get("url")) {
            Ok(u) => u,
            Err(m) => return invalid(&m),
        };
        let events = match check_events(body.get("events")) {
            Ok(e) => e,
            Err(m) => return invalid(&m),
        };
        let static_secret = match body.get("secret") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() >= 8 => Some(s.clone()),
            Some(_) => return invalid("secret must be at least 8 characters"),
        };
        let hook = Hook {
            id: self.id("wh"),
            url,
            events,
            active: true,
            created_at: clock::iso_z(self.engine.now()),
            signing_secret: self.engine.draw(signing_secret),
            static_secret,
            deliveries: Vec::new(),
        };
        let mut v = Self::hook_json(&hook);
        v["signing_secret"] = json!(hook.signing_secret);
        self.lock().hooks.push(hook);
        http::json(201, &json!({ "webhook": v }))
    }

    fn list_hooks(&self, req: &Req) -> Response {
        let limit = match req.param("limit").map(str::parse::<usize>) {
            None => 20,
            Some(Ok(n)) if (1..=100).contains(&n) => n,
            Some(_) => return invalid("limit must be a whole number from 1 to 100"),
        };
        let s = self.lock();
        let start = match req.param("cursor") {
            None => 0,
            Some(c) => match s.hooks.iter().position(|h| h.id == c) {
                Some(i) => i + 1,
                None => return invalid("cursor is not a cursor this API returned"),
            },
        };
        let page: Vec<&Hook> = s.hooks[start.min(s.hooks.len())..]
            .iter()
            .take(limit)
            .collect();
        let more = start + page.len() < s.hooks.len();
        json_page(
            "webhooks",
            page.iter().map(|h| Self::hook_json(h)).collect(),
            limit,
            more,
            page.last().map(|h| h.id.clone()),
        )
    }

    fn get_hook(&self, id: &str) -> Response {
        let Some(h) = self.lock().hooks.iter().find(|h| h.id == id).cloned() else {
            return not_found();
        };
        let deliveries: Vec<Value> = h
            .deliveries
            .iter()
            .rev()
            .take(10)
            .filter_map(|i| {
                let d = self.engine.delivery_summary(*i)?;
                let status = match (d.outcome, &d.waiting) {
                    (Some(crate::events::Outcome::Delivered), _) => "delivered".to_owned(),
                    (Some(_), _) => "failed".to_owned(),
                    (None, Some(w)) => w.clone(),
                    (None, None) => "pending".to_owned(),
                };
                Some(json!({
                    "delivery_id": format!("dlv_{i}"),
                    "event": d.event_type,
                    "status": status,
                    "attempts": d.attempts,
                    "last_response_status": d.last_status,
                }))
            })
            .collect();
        let mut v = Self::hook_json(&h);
        v["deliveries"] = json!(deliveries);
        http::json(200, &json!({ "webhook": v }))
    }

    fn update_hook(&self, id: &str, req: &Req) -> Response {
        let body = match object(req) {
            Ok(b) => b,
            Err(m) => return invalid(&m),
        };
        let url = match body.get("url") {
            None => None,
            v => match check_url(v) {
                Ok(u) => Some(u),
                Err(m) => return invalid(&m),
            },
        };
        let events = match body.get("events") {
            None => None,
            v => match check_events(v) {
                Ok(e) => Some(e),
                Err(m) => return invalid(&m),
            },
        };
        let active = match body.get("is_active") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return invalid("is_active must be true or false"),
        };
        let mut s = self.lock();
        let Some(h) = s.hooks.iter_mut().find(|h| h.id == id) else {
            return not_found();
        };
        if let Some(u) = url {
            h.url = u;
        }
        if let Some(e) = events {
            h.events = e;
        }
        if let Some(a) = active {
            h.active = a;
        }
        http::json(200, &json!({ "webhook": Self::hook_json(h) }))
    }

    fn delete_hook(&self, id: &str) -> Response {
        let mut s = self.lock();
        match s.hooks.iter().position(|h| h.id == id) {
            Some(i) => {
                s.hooks.remove(i);
                http::empty(204)
            }
            None => not_found(),
        }
    }

    fn target(&self, h: &Hook) -> Target {
        Target {
            profile: Arc::clone(&self.profile),
            endpoint: Arc::new(Endpoint {
                url: Some(h.url.clone()),
                secrets: vec![h.signing_secret.clone()],
                static_secret: h.static_secret.clone(),
                ..Endpoint::default()
            }),
            generated_secret: Some(h.signing_secret.clone()),
        }
    }

    async fn test_hook(&self, id: &str) -> Response {
        let Some(h) = self.lock().hooks.iter().find(|h| h.id == id).cloned() else {
            return not_found();
        };
        let mut rng = self.engine.job_rng();
        let extraction = format!("ext_test_{}", rng.alnum(12));
        let data = json!({
            "extraction_id": extraction,
            "total_documents": 1,
            "completed": 1,
            "failed": 0,
            "test": true,
        });
        let target = self.target(&h);
        let (n, rx) = self.engine.fire_watched(
            &target,
            "extraction.job_completed",
            data,
            &extraction,
            &mut rng,
        );
        if let Some(hk) = self.lock().hooks.iter_mut().find(|x| x.id == id) {
            hk.deliveries.push(n);
        }
        let first = rx.await.unwrap_or(super::engine::First {
            status: None,
            error: Some("connection"),
        });
        let delivered = first.status.is_some_and(|s| (200..300).contains(&s));
        http::json(
            200,
            &json!({"test": {
                "webhook_id": h.id,
                "event": "extraction.job_completed",
                "delivered": delivered,
                "response_status": first.status,
                "error": first.error,
            }}),
        )
    }

    fn start(self: &Arc<Self>, req: &Req) -> Response {
        if let Some(key) = req.header("idempotency-key")
            && let Some(ext) = {
                let s = self.lock();
                s.idempotency
                    .get(key)
                    .and_then(|id| s.extractions.iter().find(|e| &e.id == id).cloned())
            }
        {
            let mut r = http::json(202, &json!({ "extraction": started_json(&ext) }));
            r.headers_mut().insert(
                "idempotent-replayed",
                http::HeaderValue::from_static("true"),
            );
            return r;
        }
        let Some(boundary) = req.header("content-type").and_then(multipart::boundary) else {
            return invalid("the body must be multipart/form-data with parser_id and files");
        };
        let parts = match multipart::parse(&req.body, &boundary) {
            Ok(p) => p,
            Err(e) => return invalid(&format!("the multipart body is malformed: {e}")),
        };
        let parser_id = parts
            .iter()
            .find(|p| p.name == "parser_id" && p.filename.is_none())
            .map(|p| p.text())
            .filter(|p| !p.trim().is_empty());
        let Some(parser_id) = parser_id else {
            return invalid("parser_id is required");
        };
        let files: Vec<&multipart::Part> = parts
            .iter()
            .filter(|p| p.name == "files" || p.name == "files[]")
            .collect();
        if files.is_empty() || files.len() > 50 {
            return invalid("files must hold between 1 and 50 files");
        }
        let filenames: Vec<String> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                f.filename
                    .clone()
                    .unwrap_or_else(|| format!("file-{}", i + 1))
            })
            .collect();
        let decision = self.engine.decide(&JobFacts {
            kind: "extraction",
            filenames: filenames.clone(),
            parser: Some(parser_id.clone()),
            ..JobFacts::default()
        });
        if let Some(r) = &decision.reject {
            let code = r.code.clone().unwrap_or_else(|| {
                match r.status {
                    401 => "UNAUTHORIZED",
                    402 => "INSUFFICIENT_CREDITS",
                    404 => "PARSER_NOT_FOUND",
                    429 => "RATE_LIMITED",
                    400 => "PARSER_NOT_CONFIGURED",
                    _ => "INTERNAL_ERROR",
                }
                .to_owned()
            });
            let message = r.message.clone().unwrap_or_else(|| default_message(&code));
            return error(r.status, &code, &message);
        }
        let now = clock::iso_z(self.engine.now());
        let pages: Vec<i64> = files
            .iter()
            .map(|f| multipart::pdf_pages(&f.data) as i64)
            .collect();
        let total: i64 = pages.iter().sum();
        let mut s = self.lock();
        if s.credits < total {
            return error(
                402,
                "INSUFFICIENT_CREDITS",
                &format!(
                    "This extraction needs {total} credits; {} remain.",
                    s.credits
                ),
            );
        }
        s.credits -= total;
        let credits_remaining = s.credits;
        let seq = s.extractions.len() as u64;
        drop(s);
        let documents: Vec<Document> = files
            .iter()
            .zip(&filenames)
            .zip(&pages)
            .map(|((f, name), pages)| Document {
                id: self.id("doc"),
                filename: name.clone(),
                file_type: f
                    .content_type
                    .clone()
                    .unwrap_or_else(|| guess_type(name).to_owned()),
                file_size: f.data.len(),
                status: "queued",
                pages: *pages,
                confidence: None,
                processing_time_ms: None,
                extracted_data: None,
                error_message: None,
                created_at: now.clone(),
                updated_at: now.clone(),
            })
            .collect();
        let ext = Extraction {
            id: self.id("ext"),
            parser_id,
            status: "queued",
            created_at: now.clone(),
            updated_at: now,
            completed_at: None,
            documents,
            credits_remaining,
            seq,
        };
        let body = json!({ "extraction": started_json(&ext) });
        {
            let mut s = self.lock();
            if let Some(key) = req.header("idempotency-key") {
                s.idempotency.insert(key.to_owned(), ext.id.clone());
            }
            s.extractions.push(ext.clone());
        }
        let api = Arc::clone(self);
        let rng = self.engine.job_rng();
        tokio::spawn(async move { api.process(ext.id, decision, rng).await });
        http::json(202, &body)
    }

    fn with_extraction<T>(&self, id: &str, f: impl FnOnce(&mut Extraction) -> T) -> Option<T> {
        let mut s = self.lock();
        s.extractions.iter_mut().find(|e| e.id == id).map(f)
    }

    /// The extraction's documents finish one after another over its processing time.
    async fn process(self: Arc<Self>, id: String, d: Decision, mut rng: RunRng) {
        let now = clock::iso_z(self.engine.now());
        let Some(docs) = self.with_extraction(&id, |e| {
            e.status = "processing";
            e.updated_at.clone_from(&now);
            for doc in &mut e.documents {
                doc.status = "processing";
                doc.updated_at.clone_from(&now);
            }
            e.documents.clone()
        }) else {
            return;
        };
        let n = docs.len().max(1) as u32;
        let after = d.after.unwrap_or_default();
        let mut done = Duration::ZERO;
        let (mut completed, mut failed) = (0u64, 0u64);
        for (i, doc) in docs.iter().enumerate() {
            let until = after * (i as u32 + 1) / n;
            self.engine.sleep(until.saturating_sub(done)).await;
            done = until;
            let fails = d.fail.is_some()
                || d.fail_documents.iter().flatten().any(|r| match r {
                    DocumentRef::Position(p) => *p == i as u64 + 1,
                    DocumentRef::Name(name) => *name == doc.filename,
                });
            let now = clock::iso_z(self.engine.now());
            let ms = (until.as_millis() as u64).max(1) + rng.range(0, 400) as u64;
            let (status, data, err, conf) = if fails {
                let msg = d
                    .error
                    .clone()
                    .or_else(|| d.fail.clone().flatten())
                    .unwrap_or_else(|| "The document could not be read.".into());
                failed += 1;
                ("failed", None, Some(msg), None)
            } else {
                completed += 1;
                (
                    "completed",
                    Some(extracted(&mut rng)),
                    None,
                    Some(rng.range(85, 99) as f64 / 100.0),
                )
            };
            self.with_extraction(&id, |e| {
                let x = &mut e.documents[i];
                x.status = status;
                x.extracted_data = data;
                x.error_message = err;
                x.confidence = conf;
                x.processing_time_ms = Some(ms);
                x.updated_at.clone_from(&now);
                e.updated_at = now;
            });
            let event = json!({"extraction_id": id, "document_id": doc.id, "status": status});
            self.fire_api("extraction.document_completed", event, &id, &mut rng);
        }
        let now = clock::iso_z(self.engine.now());
        let status = match (completed, failed) {
            (_, 0) => "completed",
            (0, _) => "failed",
            _ => "partial",
        };
        let Some((parser, batch)) = self.with_extraction(&id, |e| {
            e.status = status;
            e.updated_at.clone_from(&now);
            e.completed_at = Some(now);
            (e.parser_id.clone(), e.seq)
        }) else {
            return;
        };
        let total = completed + failed;
        self.fire_api(
            "extraction.job_completed",
            json!({"extraction_id": id, "total_documents": total, "completed": completed, "failed": failed}),
            &id,
            &mut rng,
        );
        let batch_event = match status {
            "completed" => "batch.completed",
            "failed" => "batch.failed",
            _ => "batch.partial",
        };
        let batch_id = format!("batch_{}", rng.alnum(20));
        let _ = batch;
        for t in &self.dashboard {
            let data = json!({
                "extraction_id": id,
                "batch_id": batch_id,
                "parser_id": parser,
                "total_documents": total,
                "completed_documents": completed,
                "failed_documents": failed,
            });
            self.engine.fire(t, batch_event, data, &id, &mut rng);
        }
    }

    /// Sends `event` to every active API webhook that subscribed to it.
    fn fire_api(&self, event: &str, data: Value, job: &str, rng: &mut RunRng) {
        let hooks: Vec<Hook> = self
            .lock()
            .hooks
            .iter()
            .filter(|h| h.active && h.events.iter().any(|e| e == event))
            .cloned()
            .collect();
        for h in hooks {
            let n = self
                .engine
                .fire(&self.target(&h), event, data.clone(), job, rng);
            if let Some(x) = self.lock().hooks.iter_mut().find(|x| x.id == h.id) {
                x.deliveries.push(n);
            }
        }
    }

    fn status(&self, id: &str) -> Response {
        let s = self.lock();
        let Some(e) = s.extractions.iter().find(|e| e.id == id) else {
            return not_found();
        };
        http::json(200, &json!({ "extraction": status_json(e) }))
    }

    fn list(&self, req: &Req) -> Response {
        const STATUSES: &[&str] = &[
            "queued",
            "pending",
            "processing",
            "completed",
            "failed",
            "partial",
        ];
        if let Some(st) = req.param("status")
            && !STATUSES.contains(&st)
        {
            return invalid(&format!("status must be one of: {}", STATUSES.join(", ")));
        }
        let since = match req.param("since") {
            None => None,
            Some(t) => match clock::parse_rfc3339(t) {
                Some(d) => Some(d),
                None => return invalid("since must be an ISO-8601 time"),
            },
        };
        let limit = match req.param("limit").map(str::parse::<usize>) {
            None => 20,
            Some(Ok(n)) if (1..=100).contains(&n) => n,
            Some(_) => return invalid("limit must be a whole number from 1 to 100"),
        };
        let s = self.lock();
        let all: Vec<&Extraction> = s
            .extractions
            .iter()
            .rev()
            .filter(|e| req.param("parser_id").is_none_or(|p| e.parser_id == p))
            .filter(|e| req.param("status").is_none_or(|st| e.status == st))
            .filter(|e| {
                since.is_none_or(|t| clock::parse_rfc3339(&e.created_at).is_some_and(|c| c >= t))
            })
            .collect();
        let start = match req.param("cursor") {
            None => 0,
            Some(c) => match all.iter().position(|e| e.id == c) {
                Some(i) => i + 1,
                None => return invalid("cursor is not a cursor this API returned"),
            },
        };
        let page: Vec<&&Extraction> = all[start.min(all.len())..].iter().take(limit).collect();
        let more = start + page.len() < all.len();
        let items = page
            .iter()
            .map(|e| {
                let count = |st: &str| e.documents.iter().filter(|d| d.status == st).count();
                let mut v = status_json(e);
                if let Value::Object(m) = &mut v {
                    m.remove("documents");
                    m.insert(
                        "document_summary".into(),
                        json!({"total": e.documents.len(), "completed": count("completed"), "failed": count("failed"), "processing": count("processing") + count("queued")}),
                    );
                }
                v
            })
            .collect();
        json_page(
            "extractions",
            items,
            limit,
            more,
            page.last().map(|e| e.id.clone()),
        )
    }

    fn document(&self, id: &str, doc: &str) -> Response {
        let s = self.lock();
        let Some(e) = s.extractions.iter().find(|e| e.id == id) else {
            return not_found();
        };
        let Some(d) = e.documents.iter().find(|d| d.id == doc) else {
            return not_found();
        };
        http::json(
            200,
            &json!({"document": {
                "document_id": d.id,
                "extraction_id": e.id,
                "parser_id": e.parser_id,
                "parser_name": parser_name(&e.parser_id),
                "filename": d.filename,
                "file_type": d.file_type,
                "file_size": d.file_size,
                "status": d.status,
                "page_count": d.pages,
                "credits_used": d.pages,
                "confidence": d.confidence,
                "processing_time_ms": d.processing_time_ms,
                "extracted_data": d.extracted_data,
                "error_message": d.error_message,
                "created_at": d.created_at,
                "updated_at": d.updated_at,
            }}),
        )
    }
}

fn json_page(
    key: &str,
    items: Vec<Value>,
    limit: usize,
    more: bool,
    last: Option<String>,
) -> Response {
    let mut m = serde_json::Map::new();
    m.insert(key.into(), Value::Array(items));
    m.insert(
        "pagination".into(),
        json!({"limit": limit, "has_next_page": more, "next_cursor": if more { last } else { None }}),
    );
    http::json(200, &Value::Object(m))
}

fn default_message(code: &str) -> String {
    match code {
        "UNAUTHORIZED" => "Invalid or missing API key.",
        "INSUFFICIENT_CREDITS" => "Not enough credits for this extraction.",
        "PARSER_NOT_FOUND" => "The parser does not exist.",
        "PARSER_NOT_CONFIGURED" => "The parser has no fields configured.",
        "UNSUPPORTED_FILE_TYPE" => "A file is of a type the parser cannot read.",
        "PAGE_COUNT_FAILED" => "The page count of a file could not be determined.",
        "RATE_LIMITED" => "Too many requests; retry after the reset time.",
        _ => "The request could not be completed.",
    }
    .to_owned()
}

fn parser_name(parser_id: &str) -> String {
    format!("Parser {parser_id}")
}

fn guess_type(name: &str) -> &'static str {
    let l = name.to_ascii_lowercase();
    if l.ends_with(".pdf") {
        "application/pdf"
    } else if l.ends_with(".png") {
        "image/png"
    } else if l.ends_with(".jpg") || l.ends_with(".jpeg") {
        "image/jpeg"
    } else {
        "application/octet-stream"
    }
}

fn started_json(e: &Extraction) -> Value {
    let pages: i64 = e.documents.iter().map(|d| d.pages).sum();
    json!({
        "extraction_id": e.id,
        "parser_id": e.parser_id,
        "status": "queued",
        "file_count": e.documents.len(),
        "page_count": pages,
        "credits_used": pages,
        "credits_remaining": e.credits_remaining,
        "documents": e.documents.iter().map(|d| json!({
            "document_id": d.id,
            "filename": d.filename,
            "page_count": d.pages,
            "credits_used": d.pages,
            "status": "queued",
        })).collect::<Vec<_>>(),
    })
}

fn status_json(e: &Extraction) -> Value {
    let pages: i64 = e.documents.iter().map(|d| d.pages).sum();
    json!({
        "extraction_id": e.id,
        "parser_id": e.parser_id,
        "parser_name": parser_name(&e.parser_id),
        "status": e.status,
        "file_count": e.documents.len(),
        "page_count": pages,
        "credits_used": pages,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
        "completed_at": e.completed_at,
        "documents": e.documents.iter().map(|d| json!({
            "document_id": d.id,
            "filename": d.filename,
            "status": d.status,
            "page_count": d.pages,
            "credits_used": d.pages,
            "error_message": d.error_message,
            "created_at": d.created_at,
            "updated_at": d.updated_at,
        })).collect::<Vec<_>>(),
    })
}

/// An invoice's fields, as the docs' example document carries them.
fn extracted(rng: &mut RunRng) -> Value {
    let vendors = ["Acme Supplies Inc.", "Globex Corporation", "Initech LLC"];
    json!({
        "invoice_number": format!("INV-2026-{:03}", rng.range(1, 999)),
        "vendor_name": rng.pick(&vendors),
        "invoice_date": format!("2026-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28)),
        "total_amount": rng.range(5000, 2_500_000) as f64 / 100.0,
        "currency": "USD",
    })
}
