//! LlamaCloud's job APIs as its current Python SDK calls them (llama-cloud 2.19.0,
//! `resources/parsing.py`, `extract.py`, `classify.py`, `files.py`): `POST /api/v2/parse`
//! (and `/api/v2/parse/upload`), `POST /api/v2/extract`, `POST /api/v2/classify`, their
//! `GET …/{job_id}`, and `POST /api/v1/beta/files` for uploads.
//!
//! - Every job takes `webhook_configurations`: several per job, each with its own
//!   `webhook_url`, `webhook_events` filter, `webhook_headers`, `webhook_output_format`
//!   (`string`, the default, sends the JSON body encoded once more as a JSON string) and
//!   `webhook_signing_secret` (`LC-Signature: sha256=<hex>`). Each configuration is an
//!   endpoint of the llamacloud profile; each event a configuration admits is a delivery
//!   of its own.
//! - A job fires `<kind>.pending` when it is created, `parse.running` /
//!   `classify.running` halfway through its processing time (extract has no running
//!   event in any of LlamaCloud's lists), and `<kind>.success`, `.partial_success` (a
//!   parse with failed pages) or `.error` at the end, in that order. The webhook body's
//!   `data` is `{id, job_id}`, as the webhook docs publish it.
//! - Statuses are the SDK's `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`; results are in
//!   the GET (`expand=markdown,text,…` for parse, `extract_result`, `result`).
//! - Errors are FastAPI's: 401 `{"detail":"Not authenticated"}` without a bearer key (any
//!   key is accepted), 422 with pydantic's entries for bodies that do not fit, 404
//!   `{"detail":"Job not found"}` (the text is assumed). Which fields the server
//!   requires is read from the SDK's `Required[…]`; that its answer to a missing one is
//!   pydantic's is an assumption (LlamaCloud's API is FastAPI: `/redoc`).
//!
//! Not emulated: the v1 extraction-agent and classifier-job routes (gone from the SDK
//! since 2.2.0 and 2.19.0), saved configurations (`configuration_id`,
//! `webhook_configuration_ids` are accepted and ignored), cancellation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::engine::{Engine, Target};
use super::fastapi::{self, BodyIn, Check, at};
use super::generate;
use super::http::{self, ReadError, Req};
use super::multipart;
use super::plan::{Decision, JobFacts, Vocabulary};
use crate::clock;
use crate::profile::{self, Endpoint, OutputFormat, Profile};
use crate::rng::RunRng;

/// What LlamaCloud plans may say.
pub const VOCABULARY: Vocabulary = Vocabulary {
    provider: "llamacloud",
    kinds: &["parse", "extract", "classify"],
    when: &["nth", "kind", "url", "filename"],
    outcomes: &["after", "fail", "fail_pages", "error", "reject"],
};

/// The event names `webhook_events` takes on extract and classify jobs (the SDK's
/// `Literal`, llama-cloud 2.19.0 `types/extract_create_params.py`).
pub const EVENT_NAMES: &[&str] = &[
    "batch.cancelled",
    "batch.error",
    "batch.pending",
    "batch.running",
    "batch.success",
    "classify.cancelled",
    "classify.error",
    "classify.partial_success",
    "classify.pending",
    "classify.running",
    "classify.success",
    "extract.cancelled",
    "extract.error",
    "extract.partial_success",
    "extract.pending",
    "extract.success",
    "parse.cancelled",
    "parse.error",
    "parse.partial_success",
    "parse.pending",
    "parse.running",
    "parse.success",
    "sheets.cancelled",
    "sheets.error",
    "sheets.partial_success",
    "sheets.pending",
    "sheets.success",
    "split.cancelled",
    "split.error",
    "split.pending",
    "split.processing",
    "split.success",
    "unmapped_event",
    "verify.cancelled",
    "verify.error",
    "verify.pending",
    "verify.running",
    "verify.success",
];

const TIERS: &[&str] = &["fast", "cost_effective", "agentic", "agentic_plus"];
const BODY_LIMIT: usize = 100 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Parse,
    Extract,
    Classify,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Parse => "parse",
            Kind::Extract => "extract",
            Kind::Classify => "classify",
        }
    }
}

#[derive(Debug, Clone)]
struct Job {
    kind: Kind,
    id: String,
    project_id: String,
    status: &'static str,
    created_at: String,
    updated_at: String,
    error_message: Option<String>,
    /// The request's own fields echoed in the job (tier, name, file_input, configuration…).
    echo: Map<String, Value>,
    /// Parse: pages, each `Ok(markdown)` or `Err(error)`.
    pages: Vec<Result<String, String>>,
    /// Extract or classify result.
    result: Option<Value>,
}

#[derive(Debug, Clone)]
struct FileRec {
    name: String,
    pages: usize,
}

/// The emulated API.
#[derive(Debug)]
pub struct Api {
    engine: Arc<Engine>,
    profile: Arc<Profile>,
    project: String,
    user: String,
    jobs: Mutex<HashMap<String, Job>>,
    files: Mutex<HashMap<String, FileRec>>,
}

/// The router of a LlamaCloud emulator.
pub fn router(engine: Arc<Engine>) -> Result<Router, String> {
    let profile =
        Arc::new(profile::builtin("llamacloud").ok_or("the llamacloud profile is missing")?);
    let (project, user) = engine.draw(|g| (g.uuid(), format!("user_{}", g.hex(4))));
    let api = Arc::new(Api {
        engine,
        profile,
        project,
        user,
        jobs: Mutex::new(HashMap::new()),
        files: Mutex::new(HashMap::new()),
    });
    Ok(Router::new().fallback(handle).with_state(api))
}

fn answer(status: u16, v: &Value) -> Response {
    http::bytes(
        status,
        "application/json",
        crate::pyjson::to_vec_compact(v).unwrap_or_default(),
        &[],
    )
}

fn detail(status: u16, text: &str) -> Response {
    answer(status, &json!({ "detail": text }))
}

fn ts(t: Duration) -> String {
    clock::rfc3339(t, Some(6), true)
}

async fn handle(State(api): State<Arc<Api>>, req: Request) -> Response {
    let req = match Req::read(req, BODY_LIMIT).await {
        Ok(r) => r,
        Err(ReadError::TooLarge) => return detail(413, "Request body too large"),
        Err(ReadError::Broken) => return detail(400, "There was an error parsing the body"),
    };
    let seg = req.segments();
    use http::Method as M;
    let known = matches!(
        seg.as_slice(),
        ["api", "v2", "parse" | "extract" | "classify"]
            | ["api", "v2", "parse", "upload"]
            | ["api", "v2", "parse" | "extract" | "classify", _]
            | ["api", "v1", "beta", "files"]
    );
    if !known {
        return detail(404, "Not Found");
    }
    if req.bearer().is_none() {
        return detail(401, "Not authenticated");
    }
    match (&req.method, seg.as_slice()) {
        (&M::POST, ["api", "v2", "parse", "upload"]) => api.upload_parse(&req),
        (&M::POST, ["api", "v2", kind]) => {
            let kind = match *kind {
                "parse" => Kind::Parse,
                "extract" => Kind::Extract,
                _ => Kind::Classify,
            };
            match fastapi::read_body(req.header("content-type"), &req.body) {
                Ok(body) => api.create(kind, &req, &body, None),
                Err(e) => {
                    let (s, v) = e.answer();
                    answer(s, &v)
                }
            }
        }
        (&M::GET, ["api", "v2", kind, id]) if *id != "upload" => api.get(kind, id, &req),
        (&M::POST, ["api", "v1", "beta", "files"]) => api.upload_file(&req),
        _ => detail(405, "Method Not Allowed"),
    }
}

/// `webhook_configurations` checked into endpoints; configurations without a URL send
/// nothing.
fn check_configs(
    c: &mut Check,
    obj: &Map<String, Value>,
    loc: &[Value],
    closed_events: bool,
) -> Vec<Endpoint> {
    let Some(v) = obj.get("webhook_configurations").filter(|v| !v.is_null()) else {
        return Vec::new();
    };
    let loc = at(loc, "webhook_configurations");
    let Some(list) = c.list(v, loc.clone()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let l = at(&loc, i);
        let Some(m) = c.object(item, l.clone()) else {
            continue;
        };
        let url = match m.get("webhook_url").filter(|v| !v.is_null()) {
            Some(u) => c
                .http_url(u, at(&l, "webhook_url"))
                .map(|_| u.as_str().unwrap_or_default().to_owned()),
            None => None,
        };
        let events = match m.get("webhook_events").filter(|v| !v.is_null()) {
            None => None,
            Some(v) => c.list(v, at(&l, "webhook_events")).map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(j, e)| {
                        let el = at(&at(&l, "webhook_events"), j);
                        if closed_events {
                            c.literal(e, el, EVENT_NAMES)
                        } else {
                            c.string(e, el)
                        }
                    })
                    .collect::<Vec<_>>()
            }),
        };
        let headers = match m.get("webhook_headers").filter(|v| !v.is_null()) {
            None => Vec::new(),
            Some(v) => c
                .dict(v, at(&l, "webhook_headers"))
                .map(|h| {
                    h.iter()
                        .map(|(k, v)| {
                            let v = match v {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        let format = match m.get("webhook_output_format").filter(|v| !v.is_null()) {
            None => Some(OutputFormat::String),
            Some(v) => c
                .literal(v, at(&l, "webhook_output_format"), &["json", "string"])
                .map(|f| {
                    if f == "json" {
                        OutputFormat::Json
                    } else {
                        OutputFormat::String
                    }
                }),
        };
        let secret = match m.get("webhook_signing_secret").filter(|v| !v.is_null()) {
            None => None,
            Some(v) => c.string(v, at(&l, "webhook_signing_secret")),
        };
        if let (Some(url), Some(format)) = (url, format) {
            out.push(Endpoint {
                url: Some(url),
                secrets: secret.into_iter().filter(|s| !s.is_empty()).collect(),
                headers,
                events,
                output_format: format,
                ..Endpoint::default()
            });
        }
    }
    out
}

impl Api {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn upload_parse(self: &Arc<Self>, req: &Req) -> Response {
        let root = vec![json!("body")];
        let Some(boundary) = req.header("content-type").and_then(multipart::boundary) else {
            let mut c = Check::default();
            c.push("missing", at(&root, "file"), "Field required", &Value::Null);
            return answer(422, &fastapi::detail(&c.errors));
        };
        let parts = match multipart::parse(&req.body, &boundary) {
            Ok(p) => p,
            Err(_) => return detail(400, "There was an error parsing the body"),
        };
        let file = parts.iter().find(|p| p.name == "file");
        let config = parts.iter().find(|p| p.name == "configuration");
        let mut c = Check::default();
        if file.is_none() {
            c.push("missing", at(&root, "file"), "Field required", &Value::Null);
        }
        let mut body = Map::new();
        match config.map(|p| fastapi::parse_python_json(&p.text())) {
            None => {}
            Some(Ok(Value::Object(m))) => body = m,
            Some(Ok(other)) => c.push(
                "model_attributes_type",
                at(&root, "configuration"),
                "Input should be a valid dictionary or object to extract fields from",
                &other,
            ),
            Some(Err((pos, msg))) => {
                c.push_ctx(
                    "json_invalid",
                    at(&root, "configuration"),
                    format!("Invalid JSON: {msg} at position {pos}"),
                    &Value::String(config.map(|p| p.text()).unwrap_or_default()),
                    json!({ "error": msg }),
                );
            }
        }
        if !c.ok() {
            return answer(422, &fastapi::detail(&c.errors));
        }
        let Some(file) = file else {
            return answer(422, &fastapi::detail(&c.errors));
        };
        let name = file.filename.clone().unwrap_or_else(|| "upload".into());
        let pages = multipart::pdf_pages(&file.data);
        body.insert("file_id".into(), Value::Null);
        self.create(
            Kind::Parse,
            req,
            &BodyIn::Json(Value::Object(body)),
            Some((name, pages)),
        )
    }

    fn upload_file(&self, req: &Req) -> Response {
        let root = vec![json!("body")];
        let parts = req
            .header("content-type")
            .and_then(multipart::boundary)
            .and_then(|b| multipart::parse(&req.body, &b).ok())
            .unwrap_or_default();
        let file = parts.iter().find(|p| p.name == "file");
        let purpose = parts
            .iter()
            .find(|p| p.name == "purpose")
            .map(multipart::Part::text);
        let mut c = Check::default();
        if file.is_none() {
            c.push("missing", at(&root, "file"), "Field required", &Value::Null);
        }
        if purpose.is_none() {
            c.push(
                "missing",
                at(&root, "purpose"),
                "Field required",
                &Value::Null,
            );
        }
        let (Some(file), Some(purpose)) = (file, purpose) else {
            return answer(422, &fastapi::detail(&c.errors));
        };
        let id = self.engine.draw(RunRng::uuid);
        let name = file.filename.clone().unwrap_or_else(|| "upload".into());
        self.files.lock().unwrap_or_else(|e| e.into_inner()).insert(
            id.clone(),
            FileRec {
                name: name.clone(),
                pages: multipart::pdf_pages(&file.data),
            },
        );
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        answer(
            200,
            &json!({
                "id": id,
                "name": name,
                "project_id": req.param("project_id").unwrap_or(&self.project),
                "expires_at": null,
                "external_file_id": parts.iter().find(|p| p.name == "external_file_id").map(multipart::Part::text),
                "file_type": ext,
                "last_modified_at": ts(self.engine.now()),
                "purpose": purpose,
            }),
        )
    }

    /// Creates a job of `kind` from `body`; `upload` is a file sent with the request
    /// (name, pages).
    fn create(
        self: &Arc<Self>,
        kind: Kind,
        req: &Req,
        body: &BodyIn,
        upload: Option<(String, usize)>,
    ) -> Response {
        let mut c = Check::default();
        let root = vec![json!("body")];
        let Some(obj) = c.model(body, root.clone()) else {
            return answer(422, &fastapi::detail(&c.errors));
        };
        let mut echo = Map::new();
        let mut facts = JobFacts {
            kind: kind.word(),
            ..JobFacts::default()
        };
        let mut pages = 0usize;
        match kind {
            Kind::Parse => {
                if let Some(t) = c.required(obj, "tier", &root)
                    && let Some(t) = c.literal(t, at(&root, "tier"), TIERS)
                {
                    echo.insert("tier".into(), json!(t));
                }
                if let Some(v) = c.required(obj, "version", &root) {
                    c.string(v, at(&root, "version"));
                }
                let source = obj.get("source_url").filter(|v| !v.is_null());
                let file_id = obj.get("file_id").filter(|v| !v.is_null());
                if let Some(s) = source
                    && let Some(u) = c.http_url(s, at(&root, "source_url"))
                {
                    facts.urls.push(u);
                }
                if let Some(f) = file_id
                    && let Some(f) = c.string(f, at(&root, "file_id"))
                    && let Some(rec) = self.files.lock().unwrap_or_else(|e| e.into_inner()).get(&f)
                {
                    facts.filenames.push(rec.name.clone());
                    pages = rec.pages;
                }
                if source.is_none() && file_id.is_none() && upload.is_none() {
                    c.value_error(
                        root.clone(),
                        "one of file_id or source_url is required",
                        &Value::Object(obj.clone()),
                    );
                }
                echo.insert(
                    "name".into(),
                    obj.get("client_name").cloned().unwrap_or(Value::Null),
                );
            }
            Kind::Extract | Kind::Classify => {
                let input = c
                    .required(obj, "file_input", &root)
                    .and_then(|v| c.string(v, at(&root, "file_input")));
                let conf = obj.get("configuration").filter(|v| !v.is_null());
                let conf_id = obj.get("configuration_id").filter(|v| !v.is_null());
                if let Some(conf) = conf {
                    let l = at(&root, "configuration");
                    if let Some(m) = c.object(conf, l.clone()) {
                        if kind == Kind::Extract {
                            if let Some(s) = c.required(m, "data_schema", &l) {
                                c.dict(s, at(&l, "data_schema"));
                            }
                        } else if let Some(rules) = c.required(m, "rules", &l) {
                            let rl = at(&l, "rules");
                            if let Some(list) = c.list(rules, rl.clone()) {
                                if list.is_empty() {
                                    c.push_ctx(
                                        "too_short",
                                        rl.clone(),
                                        "List should have at least 1 item after validation, not 0",
                                        rules,
                                        json!({"field_type": "List", "min_length": 1, "actual_length": 0}),
                                    );
                                }
                                for (i, r) in list.iter().enumerate() {
                                    let il = at(&rl, i);
                                    if let Some(rm) = c.object(r, il.clone()) {
                                        for f in ["type", "description"] {
                                            if let Some(v) = c.required(rm, f, &il) {
                                                c.string(v, at(&il, f));
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } else if conf_id.is_none() {
                    c.value_error(
                        root.clone(),
                        "one of configuration or configuration_id is required",
                        &Value::Object(obj.clone()),
                    );
                }
                if let Some(i) = &input {
                    if i.starts_with("http://") || i.starts_with("https://") {
                        facts.urls.push(i.clone());
                    }
                    if let Some(rec) = self.files.lock().unwrap_or_else(|e| e.into_inner()).get(i) {
                        facts.filenames.push(rec.name.clone());
                        pages = rec.pages;
                    }
                    echo.insert("file_input".into(), json!(i));
                    let input_type = if i.starts_with("http://") || i.starts_with("https://") {
                        "url"
                    } else if self.lock().get(i).is_some_and(|j| j.kind == Kind::Parse) {
                        "parse_job_id"
                    } else {
                        "file_id"
                    };
                    echo.insert("document_input_type".into(), json!(input_type));
                }
                echo.insert("configuration".into(), conf.cloned().unwrap_or(Value::Null));
                echo.insert(
                    "configuration_id".into(),
                    conf_id.cloned().unwrap_or(Value::Null),
                );
            }
        }
        let configs = check_configs(&mut c, obj, &root, kind != Kind::Parse);
        if !c.ok() {
            return answer(422, &fastapi::detail(&c.errors));
        }
        if let Some((name, p)) = &upload {
            facts.filenames.push(name.clone());
            pages = *p;
        }
        let decision = self.engine.decide(&facts);
        if let Some(r) = &decision.reject {
            let text = r.message.clone().unwrap_or_else(|| {
                http::StatusCode::from_u16(r.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Error")
                    .to_owned()
            });
            return detail(r.status, &text);
        }
        let mut rng = self.engine.job_rng();
        let id = rng.uuid();
        if pages == 0 {
            pages = rng.range(1, 3) as usize;
        }
        let now = ts(self.engine.now());
        let job = Job {
            kind,
            id: id.clone(),
            project_id: req.param("project_id").unwrap_or(&self.project).to_owned(),
            status: "PENDING",
            created_at: now.clone(),
            updated_at: now,
            error_message: None,
            echo,
            pages: vec![Ok(String::new()); pages],
            result: None,
        };
        let created = self.job_json(&job, &[], true);
        self.lock().insert(id.clone(), job);
        let targets: Vec<Target> = configs
            .into_iter()
            .map(|e| Target {
                profile: Arc::clone(&self.profile),
                endpoint: Arc::new(e),
                generated_secret: None,
            })
            .collect();
        self.fire(&targets, &format!("{}.pending", kind.word()), &id, &mut rng);
        let api = Arc::clone(self);
        tokio::spawn(async move { api.run(id, decision, targets, rng).await });
        answer(200, &created)
    }

    /// Sends `event` to every configuration whose filter admits it, in order.
    fn fire(&self, targets: &[Target], event: &str, id: &str, rng: &mut RunRng) {
        for t in targets {
            if t.endpoint.accepts(event) {
                self.engine
                    .fire(t, event, json!({"id": id, "job_id": id}), id, rng);
            }
        }
    }

    async fn run(self: Arc<Self>, id: String, d: Decision, targets: Vec<Target>, mut rng: RunRng) {
        let after = d.after.unwrap_or_default();
        self.engine.sleep(after / 2).await;
        let kind = {
            let mut jobs = self.lock();
            let Some(j) = jobs.get_mut(&id) else { return };
            j.status = "RUNNING";
            j.updated_at = ts(self.engine.now());
            j.kind
        };
        if kind != Kind::Extract {
            self.fire(&targets, &format!("{}.running", kind.word()), &id, &mut rng);
        }
        self.engine.sleep(after - after / 2).await;
        let event = {
            let mut jobs = self.lock();
            let Some(j) = jobs.get_mut(&id) else { return };
            j.updated_at = ts(self.engine.now());
            if let Some(fail) = &d.fail {
                j.status = "FAILED";
                j.error_message = Some(fail.clone().unwrap_or_else(|| {
                    let table = format!("{}_errors", kind.word());
                    self.profile
                        .table(&table)
                        .and_then(Value::as_array)
                        .filter(|a| !a.is_empty())
                        .and_then(|a| rng.pick(a).as_str().map(str::to_owned))
                        .unwrap_or_else(|| "The job failed.".into())
                }));
                "error"
            } else {
                j.status = "COMPLETED";
                let failed: Vec<u32> = d.fail_pages.clone().unwrap_or_default();
                let partial = finish(j, &failed, d.error.as_deref(), &mut rng);
                if partial {
                    "partial_success"
                } else {
                    "success"
                }
            }
        };
        self.fire(&targets, &format!("{}.{event}", kind.word()), &id, &mut rng);
    }

    fn get(&self, kind: &str, id: &str, req: &Req) -> Response {
        let jobs = self.lock();
        let Some(j) = jobs.get(id).filter(|j| j.kind.word() == kind) else {
            return detail(404, "Job not found");
        };
        let expand: Vec<String> = req
            .params("expand")
            .iter()
            .flat_map(|e| e.split(','))
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect();
        answer(200, &self.job_json(j, &expand, false))
    }

    /// A job as the API shows it: a parse job's create answer is the bare job, its GET
    /// `{job, …expanded results}`.
    fn job_json(&self, j: &Job, expand: &[String], created: bool) -> Value {
        let base = json!({
            "id": j.id,
            "project_id": j.project_id,
            "status": j.status,
            "created_at": j.created_at,
            "updated_at": j.updated_at,
            "error_message": j.error_message,
        });
        match j.kind {
            Kind::Parse => {
                let mut job = base;
                job["name"] = j.echo.get("name").cloned().unwrap_or(Value::Null);
                job["tier"] = j.echo.get("tier").cloned().unwrap_or(Value::Null);
                if created {
                    return job;
                }
                let mut out = Map::new();
                out.insert("job".into(), job);
                if j.status == "COMPLETED" {
                    let want = |k: &str| expand.iter().any(|e| e == k);
                    if want("markdown") {
                        let pages: Vec<Value> = j
                            .pages
                            .iter()
                            .enumerate()
                            .map(|(i, p)| match p {
                                Ok(md) => json!({"page_number": i + 1, "markdown": md, "success": true, "header": null, "footer": null}),
                                Err(e) => json!({"page_number": i + 1, "error": e, "success": false}),
                            })
                            .collect();
                        out.insert("markdown".into(), json!({ "pages": pages }));
                    }
                    if want("text") {
                        let pages: Vec<Value> = j
                            .pages
                            .iter()
                            .enumerate()
                            .filter_map(|(i, p)| {
                                p.as_ref()
                                    .ok()
                                    .map(|md| json!({"page_number": i + 1, "text": plain(md)}))
                            })
                            .collect();
                        out.insert("text".into(), json!({ "pages": pages }));
                    }
                    let ok: Vec<&String> = j.pages.iter().filter_map(|p| p.as_ref().ok()).collect();
                    if want("markdown_full") {
                        let full: Vec<&str> = ok.iter().map(|s| s.as_str()).collect();
                        out.insert("markdown_full".into(), json!(full.join("\n\n")));
                    }
                    if want("text_full") {
                        let full: Vec<String> = ok.iter().map(|s| plain(s)).collect();
                        out.insert("text_full".into(), json!(full.join("\n\n")));
                    }
                }
                Value::Object(out)
            }
            Kind::Extract => {
                let mut v = base;
                v["file_input"] = j.echo.get("file_input").cloned().unwrap_or(Value::Null);
                v["configuration"] = j.echo.get("configuration").cloned().unwrap_or(Value::Null);
                v["configuration_id"] = j
                    .echo
                    .get("configuration_id")
                    .cloned()
                    .unwrap_or(Value::Null);
                v["extract_metadata"] = Value::Null;
                v["extract_result"] = j.result.clone().unwrap_or(Value::Null);
                v["metadata"] = json!({"usage": null});
                v
            }
            Kind::Classify => {
                let input = j
                    .echo
                    .get("file_input")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let input_type = j
                    .echo
                    .get("document_input_type")
                    .cloned()
                    .unwrap_or(json!("file_id"));
                let mut v = base;
                v["configuration"] = j.echo.get("configuration").cloned().unwrap_or(Value::Null);
                v["configuration_id"] = j
                    .echo
                    .get("configuration_id")
                    .cloned()
                    .unwrap_or(Value::Null);
                v["document_input_type"] = input_type.clone();
                v["file_input"] = json!(input);
                v["user_id"] = json!(self.user);
                v["parse_job_id"] = if input_type == "parse_job_id" {
                    json!(input)
                } else {
                    Value::Null
                };
                v["result"] = j.result.clone().unwrap_or(Value::Null);
                v["transaction_id"] = Value::Null;
                v
            }
        }
    }
}

/// Fills a finished job's results; returns whether some pages failed.
fn finish(j: &mut Job, failed: &[u32], error: Option<&str>, rng: &mut RunRng) -> bool {
    let msg = error.unwrap_or("Failed to parse page: the page image could not be read");
    const TOPICS: &[(&str, &str)] = &[
        (
            "Invoice",
            "Invoice INV-{n}\n\n| Item | Amount |\n|---|---|\n| Consulting | {a} |\n\nTotal: {a}",
        ),
        (
            "Quarterly report",
            "Revenue grew {p}% over the previous quarter.\n\n## Highlights\n\n- New customers: {n}\n- Churn: 2.1%",
        ),
        (
            "Service agreement",
            "This agreement starts on 2025-01-01 and runs for {p} months.\n\n## Payment terms\n\nNet 30; late fees of {a} apply.",
        ),
    ];
    let mut partial = false;
    match j.kind {
        Kind::Parse => {
            let (title, body) = TOPICS[rng.range(0, TOPICS.len() as i64 - 1) as usize];
            let n = j.pages.len();
            for i in 0..n {
                let page = i as u32 + 1;
                j.pages[i] = if failed.contains(&page) {
                    partial = true;
                    Err(msg.to_owned())
                } else {
                    let text = body
                        .replace("{n}", &rng.range(100, 9999).to_string())
                        .replace("{a}", &format!("{}.00", rng.range(100, 9999)))
                        .replace("{p}", &rng.range(2, 40).to_string());
                    Ok(format!("# {title} (page {page} of {n})\n\n{text}"))
                };
            }
        }
        Kind::Extract => {
            let conf = j.echo.get("configuration").cloned().unwrap_or(Value::Null);
            let schema = conf
                .get("data_schema")
                .cloned()
                .unwrap_or(json!({"type": "object"}));
            let hints = json!({"total": 1250.0, "currency": "USD", "vendor": "Acme Supplies Inc.", "invoice_number": "INV-1042"});
            let hints = hints.as_object().cloned().unwrap_or_default();
            let per_page =
                conf.get("extraction_target").and_then(Value::as_str) == Some("per_page");
            j.result = Some(if per_page {
                let n = j.pages.len() as u32;
                let mut items = Vec::new();
                for page in 1..=n {
                    if failed.contains(&page) {
                        partial = true;
                        continue;
                    }
                    items.push(generate::from_schema(&schema, &hints, rng));
                }
                Value::Array(items)
            } else {
                generate::from_schema(&schema, &hints, rng)
            });
        }
        Kind::Classify => {
            let rules = j
                .echo
                .get("configuration")
                .and_then(|c| c.get("rules"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            j.result = Some(if rules.is_empty() {
                json!({"type": null, "confidence": 0.0, "reasoning": "No rule was given."})
            } else {
                let r = rng.pick(&rules).clone();
                json!({
                    "confidence": rng.range(80, 99) as f64 / 100.0,
                    "reasoning": format!("The document matches: {}", r["description"].as_str().unwrap_or_default()),
                    "type": r["type"],
                })
            });
        }
    }
    partial
}

/// Markdown as plain text: headings and table rules dropped.
fn plain(md: &str) -> String {
    md.lines()
        .filter(|l| !l.starts_with("|---"))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .replace('|', " ")
                .trim()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
