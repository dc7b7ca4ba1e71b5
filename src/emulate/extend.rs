//! Extend's API as its Python SDK calls it (extend-ai 1.20.0, API version 2026-02-09):
//! workflow runs (`POST /workflow_runs`, `GET /workflow_runs/{id}`), the legacy processor
//! runs (`POST /processor_runs`, `GET /processor_runs/{id}`), and webhook endpoints and
//! subscriptions (`/webhook_endpoints`, `/webhook_subscriptions`).
//!
//! - Calls need `Authorization: Bearer …` (any key; none is 401 `UNAUTHORIZED`) and
//!   `x-extend-api-version` (none is 400 `INVALID_REQUEST`: the docs allow a 400 there).
//!   Errors have Extend's documented shape `{code, message, retryable, requestId}`; the
//!   status for each code and the messages are assumed.
//! - Webhooks go to endpoints given on the command line (`--endpoint URL --secret S
//!   [--events …]`, which get every run event unless `--events` narrows them) and to
//!   endpoints created through the API (`POST /webhook_endpoints`, whose `signingSecret`
//!   is returned once — the 2026-02-09 API has them, the issue assumed dashboard-only).
//!   An API endpoint gets an event when its `enabledEvents` name it, or when a
//!   subscription of it (`resourceType`/`resourceId`: the run's workflow or processor)
//!   does; a `disabled` endpoint gets nothing.
//! - A workflow run "returns immediately with a `PROCESSING` status" (the SDK's
//!   `workflow_runs.create` docstring); at the end of its processing time it fires
//!   `workflow_run.step_run.processed` for its extraction step and ends `PROCESSED` (`workflow_run.completed`), `FAILED`
//!   (`workflow_run.failed`) or, when the plan says so, `NEEDS_REVIEW`
//!   (`workflow_run.needs_review`). Processor runs end `PROCESSED` or `FAILED` and fire
//!   `processor_run.processed` / `processor_run.failed` (events of API versions up to
//!   2025-04-21, with the legacy ProcessorRun payload). Every body is the extend
//!   profile's envelope, signed with the endpoint's secret (`x-extend-request-signature`
//!   over `v0:{timestamp}:{body}`, fresh per attempt).
//! - Objects are the 2026-02-09 shapes whatever version a request names; ids come from
//!   the profile's `id` part (`workflow_run_…`, `dpr_…`, `event_…`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::engine::{Engine, Target};
use super::http::{self, ReadError, Req};
use super::plan::{Decision, JobFacts, Vocabulary};
use crate::clock;
use crate::profile::{self, Endpoint, Profile};
use crate::rng::RunRng;

/// What Extend plans may say.
pub const VOCABULARY: Vocabulary = Vocabulary {
    provider: "extend",
    kinds: &["workflow_run", "processor_run"],
    when: &["nth", "kind", "url", "filename", "workflow", "processor"],
    outcomes: &["after", "fail", "needs_review", "reject"],
};

/// The API versions Extend serves (docs.extend.ai `/llms.txt`).
pub const API_VERSIONS: &[&str] = &["2026-02-09", "2025-04-21", "2024-12-23"];

/// The run events the emulator fires.
pub const RUN_EVENTS: &[&str] = &[
    "workflow_run.completed",
    "workflow_run.failed",
    "workflow_run.needs_review",
    "workflow_run.step_run.processed",
    "processor_run.processed",
    "processor_run.failed",
];

const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// An endpoint given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliEndpoint {
    /// Its URL.
    pub url: String,
    /// Its signing secret; generated (and printed) when not given.
    pub secret: Option<String>,
    /// The events it gets; every run event when `None`.
    pub events: Option<Vec<String>>,
}

/// How the Extend emulator runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Endpoints given on the command line.
    pub endpoints: Vec<CliEndpoint>,
}

/// Every event name an endpoint or subscription may list: both catalogues of the extend
/// profile.
pub fn known_events() -> Vec<String> {
    let mut names = Vec::new();
    if let Some(p) = profile::builtin("extend") {
        for v in &p.api_versions {
            for e in v.catalogue.iter() {
                if !names.contains(&e.name) {
                    names.push(e.name.clone());
                }
            }
        }
    }
    names
}

#[derive(Debug, Clone)]
struct ApiEndpoint {
    id: String,
    url: String,
    name: String,
    enabled: bool,
    events: Vec<String>,
    api_version: String,
    advanced: Option<Value>,
    created_at: String,
    secret: String,
}

#[derive(Debug, Clone)]
struct Subscription {
    id: String,
    endpoint: String,
    resource_type: String,
    resource_id: String,
    events: Vec<String>,
    created_at: String,
}

#[derive(Debug, Clone)]
struct Run {
    /// The object as GET shows it.
    object: Value,
    /// The processor, for processor runs.
    processor: Option<String>,
}

#[derive(Debug, Default)]
struct Store {
    endpoints: Vec<ApiEndpoint>,
    subscriptions: Vec<Subscription>,
    runs: HashMap<String, Run>,
}

/// The emulated API.
#[derive(Debug)]
pub struct Api {
    engine: Arc<Engine>,
    profile: Arc<Profile>,
    cli: Vec<(Target, Vec<String>)>,
    known: Vec<String>,
    store: Mutex<Store>,
}

/// The router of an Extend emulator; generated secrets go to `notes`.
pub fn router(
    engine: Arc<Engine>,
    opts: Options,
    notes: &mut Vec<String>,
) -> Result<Router, String> {
    let profile = Arc::new(profile::builtin("extend").ok_or("the extend profile is missing")?);
    let mut cli = Vec::new();
    for e in opts.endpoints {
        let (secret, generated) = match e.secret {
            Some(s) => (s, None),
            None => {
                let s = engine
                    .draw(|g| profile.generate_secret(g))
                    .ok_or("the extend profile generates no secret")?;
                notes.push(format!(
                    "endpoint {} signs with the generated secret {s}",
                    e.url
                ));
                (s.clone(), Some(s))
            }
        };
        let events = e
            .events
            .unwrap_or_else(|| RUN_EVENTS.iter().map(|s| (*s).to_owned()).collect());
        cli.push((
            Target {
                profile: Arc::clone(&profile),
                endpoint: Arc::new(Endpoint {
                    url: Some(e.url),
                    secrets: vec![secret],
                    ..Endpoint::default()
                }),
                generated_secret: generated,
            },
            events,
        ));
    }
    let api = Arc::new(Api {
        engine,
        profile,
        cli,
        known: known_events(),
        store: Mutex::new(Store::default()),
    });
    Ok(Router::new().fallback(handle).with_state(api))
}

impl Api {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn id(&self, prefix: &str, rng: &mut RunRng) -> String {
        self.profile
            .part("id", &[("prefix".into(), json!(prefix))], rng)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{prefix}{}", rng.alnum(22)))
    }

    fn error(&self, status: u16, code: &str, message: &str) -> Response {
        let request_id = self.engine.draw(|g| format!("req_{}", g.alnum(20)));
        http::json(
            status,
            &json!({"code": code, "message": message, "retryable": status == 429 || status >= 500, "requestId": request_id}),
        )
    }

    fn invalid(&self, message: &str) -> Response {
        self.error(400, "INVALID_REQUEST", message)
    }

    fn not_found(&self, what: &str) -> Response {
        self.error(404, "NOT_FOUND", &format!("{what} not found"))
    }
}

fn iso(t: Duration) -> String {
    clock::iso_z(t)
}

async fn handle(State(api): State<Arc<Api>>, req: Request) -> Response {
    let req = match Req::read(req, BODY_LIMIT).await {
        Ok(r) => r,
        Err(ReadError::TooLarge) => {
            return api.error(413, "PAYLOAD_TOO_LARGE", "The request body is too large");
        }
        Err(ReadError::Broken) => return api.invalid("The request body could not be read"),
    };
    let seg = req.segments();
    let known = matches!(
        seg.as_slice(),
        ["workflow_runs" | "processor_runs" | "webhook_endpoints" | "webhook_subscriptions"]
            | [
                "workflow_runs" | "processor_runs" | "webhook_endpoints" | "webhook_subscriptions",
                _
            ]
    );
    if !known {
        return api.not_found("Route");
    }
    if req.bearer().is_none() {
        return api.error(401, "UNAUTHORIZED", "Invalid API key");
    }
    match req.header("x-extend-api-version") {
        None => return api.invalid("x-extend-api-version header is required"),
        Some(v) if !API_VERSIONS.contains(&v) => {
            return api.invalid(&format!(
                "x-extend-api-version `{v}` is not an API version (valid: {})",
                API_VERSIONS.join(", ")
            ));
        }
        Some(_) => {}
    }
    use http::Method as M;
    match (&req.method, seg.as_slice()) {
        (&M::POST, ["workflow_runs"]) => api.create_workflow_run(&req),
        (&M::GET, ["workflow_runs", id]) => api.get_run(id, false),
        (&M::POST, ["processor_runs"]) => api.create_processor_run(&req).await,
        (&M::GET, ["processor_runs", id]) => api.get_run(id, true),
        (&M::POST, ["webhook_endpoints"]) => api.create_endpoint(&req),
        (&M::GET, ["webhook_endpoints"]) => api.list_endpoints(),
        (&M::GET, ["webhook_endpoints", id]) => api.get_endpoint(id),
        (&M::POST, ["webhook_endpoints", id]) => api.update_endpoint(id, &req),
        (&M::DELETE, ["webhook_endpoints", id]) => api.delete_endpoint(id),
        (&M::POST, ["webhook_subscriptions"]) => api.create_subscription(&req),
        (&M::GET, ["webhook_subscriptions"]) => api.list_subscriptions(),
        (&M::GET, ["webhook_subscriptions", id]) => api.get_subscription(id),
        (&M::DELETE, ["webhook_subscriptions", id]) => api.delete_subscription(id),
        _ => api.error(405, "METHOD_NOT_ALLOWED", "Method not allowed"),
    }
}

fn body(req: &Req) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

fn text<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Whether `s` is an absolute http(s) URL with a host: what a webhook endpoint's `url`
/// and a file's `url` / `fileUrl` must be (the SDK types them as plain strings; a URL
/// Extend cannot fetch or call is refused at once here, with an assumed message).
fn http_url(s: &str) -> bool {
    reqwest::Url::parse(s)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The last path segment of a URL, as a file name.
fn file_name_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_owned))
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "document.pdf".into())
}

impl Api {
    fn create_workflow_run(self: &Arc<Self>, req: &Req) -> Response {
        let Some(b) = body(req) else {
            return self.invalid("The request body must be a JSON object");
        };
        let Some(workflow_id) = b
            .get("workflow")
            .and_then(|w| w.get("id"))
            .and_then(Value::as_str)
        else {
            return self.invalid("workflow.id is required");
        };
        let version = b
            .get("workflow")
            .and_then(|w| w.get("version"))
            .and_then(Value::as_str)
            .unwrap_or("draft")
            .to_owned();
        let file = b.get("file").filter(|v| !v.is_null());
        let package = b.get("package").filter(|v| !v.is_null());
        if file.is_some() == package.is_some() {
            return self.invalid("Exactly one of file or package is required");
        }
        let files: Vec<Map<String, Value>> = match (file, package) {
            (Some(Value::Object(f)), _) => vec![f.clone()],
            (_, Some(Value::Object(p))) => match p.get("files").and_then(Value::as_array) {
                Some(list) if (2..=50).contains(&list.len()) => {
                    list.iter().filter_map(|f| f.as_object().cloned()).collect()
                }
                _ => return self.invalid("package.files must hold 2 to 50 files"),
            },
            _ => return self.invalid("file must be an object with url, id or text"),
        };
        for f in &files {
            if text(f, "url").is_none() && text(f, "id").is_none() && text(f, "text").is_none() {
                return self.invalid("file.url, file.id or file.text is required");
            }
            if text(f, "url").is_some_and(|u| !http_url(u)) {
                return self.invalid("file.url must be an http or https URL");
            }
        }
        if let Some(m) = b.get("metadata")
            && !m.is_object()
        {
            return self.invalid("metadata must be an object");
        }
        let urls: Vec<String> = files
            .iter()
            .filter_map(|f| text(f, "url").map(str::to_owned))
            .collect();
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                text(f, "name")
                    .map(str::to_owned)
                    .or_else(|| text(f, "url").map(file_name_of))
                    .unwrap_or_else(|| "document.pdf".into())
            })
            .collect();
        let decision = self.engine.decide(&JobFacts {
            kind: "workflow_run",
            urls,
            filenames: names.clone(),
            workflow: Some(workflow_id.to_owned()),
            ..JobFacts::default()
        });
        if let Some(r) = &decision.reject {
            return self.rejected(r);
        }
        let mut rng = self.engine.job_rng();
        let now = iso(self.engine.now());
        let use_cases = self
            .profile
            .table("use_cases")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let use_case = if use_cases.is_empty() {
            json!({"workflow": "Document processing"})
        } else {
            rng.pick(&use_cases).clone()
        };
        let run_id = self.id("workflow_run_", &mut rng);
        let file_objects: Vec<Value> = names
            .iter()
            .map(|n| {
                json!({
                    "object": "file",
                    "id": self.id("file_", &mut rng),
                    "name": n,
                    "type": if n.to_ascii_lowercase().ends_with(".pdf") { "PDF" } else { "IMG" },
                    "parentFileId": null,
                    "metadata": {"pageCount": rng.range(1, 6)},
                    "createdAt": now,
                    "updatedAt": now,
                })
            })
            .collect();
        let object = json!({
            "object": "workflow_run",
            "id": run_id,
            "workflow": {"object": "workflow", "id": workflow_id, "name": use_case["workflow"], "createdAt": now, "updatedAt": now},
            "workflowVersion": {"object": "workflow_version", "id": self.id("workflow_version_", &mut rng), "version": version, "name": null, "createdAt": now},
            "dashboardUrl": format!("https://dashboard.extend.ai/workflows/{run_id}"),
            "status": "PROCESSING",
            "metadata": b.get("metadata").cloned().unwrap_or_else(|| json!({})),
            "batchId": null,
            "files": file_objects,
            "failureReason": null,
            "failureMessage": null,
            "initialRunAt": now,
            "reviewedByUser": null,
            "reviewed": false,
            "rejectionNote": null,
            "reviewedAt": null,
            "startTime": now,
            "endTime": null,
            "stepRuns": [],
            "usage": null,
        });
        self.lock().runs.insert(
            run_id.clone(),
            Run {
                object: object.clone(),
                processor: None,
            },
        );
        let api = Arc::clone(self);
        tokio::spawn(async move { api.run_workflow(run_id, decision, rng).await });
        http::json(200, &object)
    }

    fn update_run(&self, id: &str, f: impl FnOnce(&mut Value)) -> Option<Value> {
        let mut s = self.lock();
        let run = s.runs.get_mut(id)?;
        f(&mut run.object);
        Some(run.object.clone())
    }

    async fn run_workflow(self: Arc<Self>, id: String, d: Decision, mut rng: RunRng) {
        self.engine.sleep(d.after.unwrap_or_default()).await;
        let Some(run) = self.lock().runs.get(&id).map(|r| r.object.clone()) else {
            return;
        };
        let end = iso(self.engine.now());
        let (status, event) = if d.fail.is_some() {
            ("FAILED", "workflow_run.failed")
        } else if d.needs_review == Some(true) {
            ("NEEDS_REVIEW", "workflow_run.needs_review")
        } else {
            ("PROCESSED", "workflow_run.completed")
        };
        if status != "FAILED" {
            let extract = self
                .profile
                .part(
                    "extract_run",
                    &[("status".into(), json!("PROCESSED"))],
                    &mut rng,
                )
                .unwrap_or(Value::Null);
            let step = json!({
                "object": "workflow_step_run",
                "id": self.id("step_run_", &mut rng),
                "workflowRunId": id,
                "status": "PROCESSED",
                "stepType": "EXTRACT",
                "step": {"object": "workflow_step", "id": self.id("step_", &mut rng), "name": "Extraction", "type": "EXTRACT"},
                "result": {"extractRun": extract},
                "files": run["files"],
            });
            self.update_run(&id, |o| o["stepRuns"] = json!([step.clone()]));
            self.deliver(
                "workflow_run.step_run.processed",
                &step,
                &id,
                run_resources(&run),
                &mut rng,
            );
        }
        let failure = d
            .fail
            .clone()
            .map(|f| f.unwrap_or_else(|| "The file could not be processed.".into()));
        let reason = failure.as_ref().map(|_| {
            let reasons = self
                .profile
                .table("failure_reasons")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if reasons.is_empty() {
                json!("INTERNAL_ERROR")
            } else {
                rng.pick(&reasons).clone()
            }
        });
        let Some(done) = self.update_run(&id, |o| {
            o["status"] = json!(status);
            o["endTime"] = json!(end);
            o["failureReason"] = reason.clone().unwrap_or(Value::Null);
            o["failureMessage"] = json!(failure);
            o["usage"] = json!({"credits": o["files"].as_array().map_or(1, |f| f.len()) * 2});
        }) else {
            return;
        };
        self.deliver(event, &done, &id, run_resources(&done), &mut rng);
    }

    async fn create_processor_run(self: &Arc<Self>, req: &Req) -> Response {
        let Some(b) = body(req) else {
            return self.invalid("The request body must be a JSON object");
        };
        let Some(processor_id) = text(&b, "processorId").map(str::to_owned) else {
            return self.invalid("processorId is required");
        };
        let file = b.get("file").and_then(Value::as_object);
        let raw = text(&b, "rawText");
        if file.is_some() == raw.is_some() {
            return self.invalid("Exactly one of file or rawText is required");
        }
        let url = file.and_then(|f| text(f, "fileUrl")).map(str::to_owned);
        if let Some(f) = file
            && url.is_none()
            && text(f, "fileId").is_none()
        {
            return self.invalid("file.fileUrl or file.fileId is required");
        }
        if url.as_deref().is_some_and(|u| !http_url(u)) {
            return self.invalid("file.fileUrl must be an http or https URL");
        }
        let name = file
            .and_then(|f| text(f, "fileName").map(str::to_owned))
            .or_else(|| url.as_deref().map(file_name_of));
        let decision = self.engine.decide(&JobFacts {
            kind: "processor_run",
            urls: url.clone().into_iter().collect(),
            filenames: name.clone().into_iter().collect(),
            processor: Some(processor_id.clone()),
            ..JobFacts::default()
        });
        if let Some(r) = &decision.reject {
            return self.rejected(r);
        }
        let mut rng = self.engine.job_rng();
        let use_cases = self
            .profile
            .table("use_cases")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let use_case = if use_cases.is_empty() {
            json!({"processor": "Extractor", "output": "invoice_output"})
        } else {
            rng.pick(&use_cases).clone()
        };
        let mut object = self
            .profile
            .part(
                "processor_run",
                &[
                    ("use_case".into(), use_case),
                    ("status".into(), json!("PROCESSING")),
                ],
                &mut rng,
            )
            .unwrap_or_else(|_| json!({"object": "document_processor_run"}));
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        object["processorId"] = json!(processor_id);
        object["output"] = json!({});
        for (k, v) in [
            (
                "metadata",
                b.get("metadata").cloned().unwrap_or_else(|| json!({})),
            ),
            ("edits", json!({})),
            (
                "config",
                b.get("config")
                    .cloned()
                    .unwrap_or_else(|| json!({"type": "EXTRACT", "schema": {}})),
            ),
            ("initialOutput", Value::Null),
            ("reviewedOutput", Value::Null),
            ("files", json!([])),
            ("mergedProcessors", json!([])),
            (
                "url",
                json!(format!("https://dashboard.extend.ai/runs/{id}")),
            ),
        ] {
            object[k] = v;
        }
        self.lock().runs.insert(
            id.clone(),
            Run {
                object: object.clone(),
                processor: Some(processor_id),
            },
        );
        let sync = b.get("sync").and_then(Value::as_bool) == Some(true);
        let api = Arc::clone(self);
        let id2 = id.clone();
        let task = tokio::spawn(async move { api.run_processor(id2, decision, rng).await });
        let object = if sync {
            let _ = task.await;
            self.lock()
                .runs
                .get(&id)
                .map_or(object, |r| r.object.clone())
        } else {
            object
        };
        http::json(200, &json!({"success": true, "processorRun": object}))
    }

    async fn run_processor(self: Arc<Self>, id: String, d: Decision, mut rng: RunRng) {
        self.engine.sleep(d.after.unwrap_or_default()).await;
        let failure = d
            .fail
            .clone()
            .map(|f| f.unwrap_or_else(|| "The processor could not read the document.".into()));
        let output = self
            .profile
            .part(
                "output",
                &[("use_case".into(), json!({"output": "invoice_output"}))],
                &mut rng,
            )
            .unwrap_or(Value::Null);
        let Some(done) = self.update_run(&id, |o| match &failure {
            Some(msg) => {
                o["status"] = json!("FAILED");
                o["failureReason"] = json!("FAILED_TO_PROCESS_FILE");
                o["failureMessage"] = json!(msg);
            }
            None => {
                o["status"] = json!("PROCESSED");
                o["output"] = json!({ "value": output });
                o["initialOutput"] = json!({ "value": output });
            }
        }) else {
            return;
        };
        let event = if failure.is_some() {
            "processor_run.failed"
        } else {
            "processor_run.processed"
        };
        let processor = done["processorId"].as_str().map(str::to_owned);
        self.deliver(event, &done, &id, (None, processor), &mut rng);
    }

    /// Sends `event` to every command-line endpoint that takes it, and every enabled API
    /// endpoint whose events or subscriptions (for the run's workflow or processor) do.
    fn deliver(
        &self,
        event: &str,
        payload: &Value,
        job: &str,
        resources: (Option<String>, Option<String>),
        rng: &mut RunRng,
    ) {
        for (t, events) in &self.cli {
            if events.iter().any(|e| e == event) {
                self.engine.fire(t, event, payload.clone(), job, rng);
            }
        }
        let targets: Vec<Target> = {
            let s = self.lock();
            s.endpoints
                .iter()
                .filter(|e| e.enabled)
                .filter(|e| {
                    e.events.iter().any(|x| x == event)
                        || s.subscriptions.iter().any(|sub| {
                            sub.endpoint == e.id
                                && sub.events.iter().any(|x| x == event)
                                && (Some(&sub.resource_id) == resources.0.as_ref()
                                    || Some(&sub.resource_id) == resources.1.as_ref())
                        })
                })
                .map(|e| Target {
                    profile: Arc::new(
                        (*self.profile)
                            .clone()
                            .with_api_version(&e.api_version)
                            .unwrap_or_else(|_| (*self.profile).clone()),
                    ),
                    endpoint: Arc::new(Endpoint {
                        url: Some(e.url.clone()),
                        secrets: vec![e.secret.clone()],
                        headers: e
                            .advanced
                            .as_ref()
                            .and_then(|a| a.get("headers"))
                            .and_then(Value::as_object)
                            .map(|h| {
                                h.iter()
                                    .map(|(k, v)| {
                                        (k.clone(), v.as_str().unwrap_or_default().to_owned())
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                        ..Endpoint::default()
                    }),
                    generated_secret: Some(e.secret.clone()),
                })
                .collect()
        };
        for t in targets {
            self.engine.fire(&t, event, payload.clone(), job, rng);
        }
    }

    fn get_run(&self, id: &str, processor: bool) -> Response {
        let s = self.lock();
        match s.runs.get(id) {
            Some(r) if processor == r.processor.is_some() => {
                if processor {
                    http::json(200, &json!({"success": true, "processorRun": r.object}))
                } else {
                    http::json(200, &r.object)
                }
            }
            _ => self.not_found(if processor {
                "Processor run"
            } else {
                "Workflow run"
            }),
        }
    }

    fn rejected(&self, r: &super::plan::Reject) -> Response {
        let code = r.code.clone().unwrap_or_else(|| {
            match r.status {
                400 => "INVALID_REQUEST",
                401 => "UNAUTHORIZED",
                402 => "USAGE_BLOCKED",
                404 => "NOT_FOUND",
                429 => "RATE_LIMIT_EXCEEDED",
                _ => "INTERNAL_ERROR",
            }
            .to_owned()
        });
        let message = r
            .message
            .clone()
            .unwrap_or_else(|| "The request could not be completed".into());
        self.error(r.status, &code, &message)
    }

    fn check_events(&self, v: Option<&Value>) -> Result<Vec<String>, String> {
        let Some(Value::Array(items)) = v else {
            return Err("enabledEvents must be a list of event names".into());
        };
        let mut out = Vec::new();
        for i in items {
            match i.as_str() {
                Some(e) if self.known.iter().any(|k| k == e) => out.push(e.to_owned()),
                Some(e) => {
                    let names: Vec<&str> = self.known.iter().map(String::as_str).collect();
                    return Err(crate::text::choice_error("event", e, &names));
                }
                None => return Err("enabledEvents must be a list of event names".into()),
            }
        }
        Ok(out)
    }

    fn endpoint_json(e: &ApiEndpoint, secret: bool) -> Value {
        let mut v = json!({
            "object": "webhook_endpoint",
            "id": e.id,
            "url": e.url,
            "name": e.name,
            "status": if e.enabled { "enabled" } else { "disabled" },
            "enabledEvents": e.events,
            "apiVersion": e.api_version,
            "advancedOptions": e.advanced,
        });
        if secret {
            v["signingSecret"] = json!(e.secret);
        }
        v["createdAt"] = json!(e.created_at);
        v
    }

    fn create_endpoint(&self, req: &Req) -> Response {
        let Some(b) = body(req) else {
            return self.invalid("The request body must be a JSON object");
        };
        let url = match text(&b, "url") {
            Some(u) if http_url(u) => u.to_owned(),
            _ => return self.invalid("url must be an http or https URL"),
        };
        let Some(name) = text(&b, "name").map(str::to_owned) else {
            return self.invalid("name is required");
        };
        let events = match self.check_events(b.get("enabledEvents")) {
            Ok(e) => e,
            Err(m) => return self.invalid(&m),
        };
        let api_version = match text(&b, "apiVersion") {
            Some(v) if API_VERSIONS.contains(&v) => v.to_owned(),
            _ => {
                return self.invalid(&format!(
                    "apiVersion must be one of: {}",
                    API_VERSIONS.join(", ")
                ));
            }
        };
        let enabled = match text(&b, "status") {
            None | Some("enabled") => true,
            Some("disabled") => false,
            Some(_) => return self.invalid("status must be enabled or disabled"),
        };
        let (id, secret) = self.engine.draw(|g| {
            let id = self.id("whe_", g);
            let secret = self
                .profile
                .generate_secret(g)
                .unwrap_or_else(|| format!("wss_{}", g.alnum(32)));
            (id, secret)
        });
        let e = ApiEndpoint {
            id,
            url,
            name,
            enabled,
            events,
            api_version,
            advanced: b.get("advancedOptions").cloned().filter(|v| !v.is_null()),
            created_at: iso(self.engine.now()),
            secret,
        };
        let v = Self::endpoint_json(&e, true);
        self.lock().endpoints.push(e);
        http::json(200, &v)
    }

    fn list_endpoints(&self) -> Response {
        let s = self.lock();
        let data: Vec<Value> = s
            .endpoints
            .iter()
            .map(|e| Self::endpoint_json(e, false))
            .collect();
        http::json(
            200,
            &json!({"object": "list", "data": data, "nextPageToken": null}),
        )
    }

    fn get_endpoint(&self, id: &str) -> Response {
        match self.lock().endpoints.iter().find(|e| e.id == id) {
            Some(e) => http::json(200, &Self::endpoint_json(e, false)),
            None => self.not_found("Webhook endpoint"),
        }
    }

    fn update_endpoint(&self, id: &str, req: &Req) -> Response {
        let Some(b) = body(req) else {
            return self.invalid("The request body must be a JSON object");
        };
        if let Some(u) = b.get("url")
            && !u.as_str().is_some_and(http_url)
        {
            return self.invalid("url must be an http or https URL");
        }
        let events = match b.get("enabledEvents") {
            None => None,
            v => match self.check_events(v) {
                Ok(e) => Some(e),
                Err(m) => return self.invalid(&m),
            },
        };
        let mut s = self.lock();
        let Some(e) = s.endpoints.iter_mut().find(|e| e.id == id) else {
            drop(s);
            return self.not_found("Webhook endpoint");
        };
        if let Some(u) = text(&b, "url") {
            e.url = u.to_owned();
        }
        if let Some(n) = text(&b, "name") {
            e.name = n.to_owned();
        }
        if let Some(st) = text(&b, "status") {
            e.enabled = st != "disabled";
        }
        if let Some(ev) = events {
            e.events = ev;
        }
        if let Some(a) = b.get("advancedOptions") {
            e.advanced = Some(a.clone()).filter(|v| !v.is_null());
        }
        http::json(200, &Self::endpoint_json(e, false))
    }

    fn delete_endpoint(&self, id: &str) -> Response {
        let mut s = self.lock();
        match s.endpoints.iter().position(|e| e.id == id) {
            Some(i) => {
                s.endpoints.remove(i);
                s.subscriptions.retain(|x| x.endpoint != id);
                http::json(200, &json!({ "id": id }))
            }
            None => {
                drop(s);
                self.not_found("Webhook endpoint")
            }
        }
    }

    fn subscription_json(s: &Subscription) -> Value {
        json!({
            "object": "webhook_subscription",
            "id": s.id,
            "webhookEndpointId": s.endpoint,
            "resourceType": s.resource_type,
            "resourceId": s.resource_id,
            "enabledEvents": s.events,
            "createdAt": s.created_at,
        })
    }

    fn create_subscription(&self, req: &Req) -> Response {
        let Some(b) = body(req) else {
            return self.invalid("The request body must be a JSON object");
        };
        let Some(endpoint) = text(&b, "webhookEndpointId").map(str::to_owned) else {
            return self.invalid("webhookEndpointId is required");
        };
        if !self.lock().endpoints.iter().any(|e| e.id == endpoint) {
            return self.not_found("Webhook endpoint");
        }
        let resource_type = match text(&b, "resourceType") {
            Some(t @ ("workflow" | "extractor" | "classifier" | "splitter")) => t.to_owned(),
            _ => {
                return self.invalid(
                    "resourceType must be one of: workflow, extractor, classifier, splitter",
                );
            }
        };
        let Some(resource_id) = text(&b, "resourceId").map(str::to_owned) else {
            return self.invalid("resourceId is required");
        };
        let events = match self.check_events(b.get("enabledEvents")) {
            Ok(e) => e,
            Err(m) => return self.invalid(&m),
        };
        let sub = Subscription {
            id: self.engine.draw(|g| self.id("whs_", g)),
            endpoint,
            resource_type,
            resource_id,
            events,
            created_at: iso(self.engine.now()),
        };
        let v = Self::subscription_json(&sub);
        self.lock().subscriptions.push(sub);
        http::json(200, &v)
    }

    fn list_subscriptions(&self) -> Response {
        let s = self.lock();
        let data: Vec<Value> = s
            .subscriptions
            .iter()
            .map(Self::subscription_json)
            .collect();
        http::json(
            200,
            &json!({"object": "list", "data": data, "nextPageToken": null}),
        )
    }

    fn get_subscription(&self, id: &str) -> Response {
        match self.lock().subscriptions.iter().find(|x| x.id == id) {
            Some(x) => http::json(200, &Self::subscription_json(x)),
            None => self.not_found("Webhook subscription"),
        }
    }

    fn delete_subscription(&self, id: &str) -> Response {
        let mut s = self.lock();
        match s.subscriptions.iter().position(|x| x.id == id) {
            Some(i) => {
                s.subscriptions.remove(i);
                http::json(200, &json!({ "id": id }))
            }
            None => {
                drop(s);
                self.not_found("Webhook subscription")
            }
        }
    }
}

/// The workflow a run belongs to (what subscriptions name).
fn run_resources(run: &Value) -> (Option<String>, Option<String>) {
    (run["workflow"]["id"].as_str().map(str::to_owned), None)
}
