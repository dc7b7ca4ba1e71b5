//! `hookrig emulate`: each provider's API driven the way its docs drive it (the HTTP calls
//! of their examples, sent with reqwest), against a receiver that checks signatures with
//! the provider's own recipe — written out here, not hookrig's signing code.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::Response;
use hmac::{Hmac, KeyInit, Mac};
use hookrig::clock::SystemClock;
use hookrig::emulate::{
    Config, Emulator, Options, Provider, crawl4ai, extend, perfectparser, plan,
};
use hookrig::receiver::live::{self, Running};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::time::Instant;

use crate::utils::Scratch;

// ---------------------------------------------------------------------------------------
// A receiver of the integrator's kind

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    at: Instant,
    path: String,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// What the receiver answers: a status, or no answer at all.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    Hang,
}

type Script = Arc<dyn Fn(&str, usize) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Sink {
    got: Arc<Mutex<Vec<Got>>>,
    script: Script,
}

struct Hooks {
    server: Running,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Hooks {
    /// A receiver answering 200 to everything.
    async fn ok() -> Hooks {
        Hooks::scripted(|_, _| Reply::Status(200)).await
    }

    /// A receiver whose answer to the n-th (0-based) request on a path `script` picks.
    async fn scripted(script: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Hooks {
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink {
            got: Arc::clone(&got),
            script: Arc::new(script),
        };
        let app = Router::new().fallback(take).with_state(sink);
        let listener = live::bind("127.0.0.1:0").await.unwrap();
        Hooks {
            server: live::spawn(listener, app).unwrap(),
            got,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    fn all(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    fn on(&self, path: &str) -> Vec<Got> {
        self.all().into_iter().filter(|g| g.path == path).collect()
    }

    /// Waits until `n` requests have come to `path` (panics after 15 s).
    async fn wait(&self, path: &str, n: usize) -> Vec<Got> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.on(path);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} request(s) to {path} after 15 s, {n} expected: {:?}",
                got.len(),
                self.all().iter().map(|g| &g.path).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn take(State(s): State<Sink>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let n = {
        let mut got = s.got.lock().unwrap();
        let n = got.iter().filter(|g| g.path == path).count();
        got.push(Got {
            at: Instant::now(),
            path: path.clone(),
            headers: parts.headers,
            body,
        });
        n
    };
    match (s.script)(&path, n) {
        Reply::Status(code) => {
            let mut r = Response::new(axum::body::Body::from("ok"));
            *r.status_mut() = http::StatusCode::from_u16(code).unwrap();
            r
        }
        Reply::Hang => std::future::pending().await,
    }
}

fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// PerfectParser's recipe (perfectparser.com/docs/api/webhooks/verify): hex HMAC-SHA256
/// of the raw body with the signing secret, compared with `X-PerfectParser-Signature`.
fn perfectparser_verifies(g: &Got, secret: &str) -> bool {
    g.header("x-perfectparser-signature") == Some(hmac_hex(secret.as_bytes(), &[&g.body]).as_str())
}

/// LlamaCloud's recipe (SDK `webhook_signing_secret` docstring): `LC-Signature:
/// sha256=<hex HMAC-SHA256 of the raw body>`.
fn llamacloud_verifies(g: &Got, secret: &str) -> bool {
    g.header("lc-signature")
        == Some(format!("sha256={}", hmac_hex(secret.as_bytes(), &[&g.body])).as_str())
}

/// Extend's recipe (extend-ai `wrapper/webhooks.py` `_verify_signature`): hex HMAC-SHA256
/// of `v0:{timestamp}:{body}`, the timestamp at most 300 s old.
fn extend_verifies(g: &Got, secret: &str) -> bool {
    let Some(ts) = g.header("x-extend-request-timestamp") else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let fresh = ts.parse::<i64>().is_ok_and(|t| (now - t).abs() <= 300);
    fresh
        && g.header("x-extend-request-signature")
            == Some(hmac_hex(secret.as_bytes(), &[b"v0:", ts.as_bytes(), b":", &g.body]).as_str())
}

// ---------------------------------------------------------------------------------------
// Emulators

async fn start_with(
    options: Options,
    scale: f64,
    plan_text: &str,
    journal: Option<&std::path::Path>,
) -> Emulator {
    let provider = options.provider();
    let plan = plan::parse(plan_text, "test plan", &provider.vocabulary()).expect("plan");
    let listener = live::bind("127.0.0.1:0").await.unwrap();
    Emulator::start(
        Config {
            options,
            seed: 7,
            time_scale: scale,
            clock: Arc::new(SystemClock),
            plan,
            journal: journal.map(ToOwned::to_owned),
        },
        listener,
        None,
    )
    .await
    .unwrap()
}

async fn start(options: Options, scale: f64) -> Emulator {
    start_with(options, scale, "", None).await
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn body_text(r: reqwest::Response) -> (u16, String) {
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

async fn poll_until(url: &str, headers: &[(&str, &str)], done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut rb = client().get(url);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let v: Value = rb.send().await.unwrap().json().await.unwrap();
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "still not done after 15 s: {v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `GET /_hookrig/deliveries` once every delivery listed has ended.
async fn settled_listing(emu: &Emulator) -> Value {
    poll_until(&format!("{}/_hookrig/deliveries", emu.url()), &[], |v| {
        v.as_array()
            .is_some_and(|l| !l.is_empty() && l.iter().all(|d| !d["outcome"].is_null()))
    })
    .await
}

// ---------------------------------------------------------------------------------------
// crawl4ai

#[tokio::test]
async fn crawl4ai_crawl_job_fires_its_webhook_as_the_docs_example_shows() {
    let hooks = Hooks::ok().await;
    // Half a second of processing: time to see the job still processing.
    let emu = start(Options::Crawl4ai(crawl4ai::Options::default()), 0.5).await;

    // Crawl4AI's WEBHOOK_EXAMPLES.md: a job with webhook_config and a secret header.
    let r = client()
        .post(format!("{}/crawl/job", emu.url()))
        .json(&json!({
            "urls": ["https://example.com"],
            "browser_config": {"headless": true},
            "crawler_config": {"cache_mode": "bypass"},
            "webhook_config": {
                "webhook_url": hooks.url("/webhooks/crawl-complete"),
                "webhook_data_in_payload": true,
                "webhook_headers": {"X-Webhook-Secret": "my-secret-token"}
            }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let task: Value = r.json().await.unwrap();
    let id = task["task_id"].as_str().unwrap().to_owned();
    let early: Value = client()
        .get(format!("{}/crawl/job/{id}", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got = hooks.wait("/webhooks/crawl-complete", 1).await;
    let status: Value = client()
        .get(format!("{}/crawl/job/{id}", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(task.as_object().unwrap().len(), 1);
    assert!(id.starts_with("crawl_") && id.len() == 14, "{id}");
    assert_eq!(early["status"], "processing");
    assert!(early.get("result").is_none());
    let hook = &got[0];
    assert_eq!(hook.header("x-webhook-secret"), Some("my-secret-token"));
    assert_eq!(hook.header("user-agent"), Some("Crawl4AI-Webhook/1.0"));
    assert_eq!(hook.header("content-type"), Some("application/json"));
    let text = String::from_utf8_lossy(&hook.body).into_owned();
    assert!(
        text.starts_with(&format!(
            "{{\"task_id\": \"{id}\", \"task_type\": \"crawl\", \"status\": \"completed\", \"timestamp\": \""
        )),
        "{text}"
    );
    let body = hook.json();
    assert_eq!(body["urls"], json!(["https://example.com/"]));
    assert_eq!(body["data"]["success"], true);
    assert_eq!(body["data"]["results"][0]["url"], "https://example.com/");
    assert!(body["data"]["results"][0]["markdown"]["raw_markdown"].is_string());
    // The job was stored completed before its webhook went out, with the same result.
    assert_eq!(status["status"], "completed");
    assert_eq!(status["result"], body["data"]);
    assert_eq!(status["url"], "[\"https://example.com/\"]");
    let self_link = status["_links"]["self"]["href"].as_str().unwrap();
    assert!(self_link.ends_with(&format!("//llm/{id}")), "{self_link}");
    let listing = settled_listing(&emu).await.to_string();
    assert!(listing.contains("X-Webhook-Secret"), "{listing}");
    assert!(
        !listing.contains("my-secret-token"),
        "the secret header's value is redacted"
    );
    emu.stop().await;
}

#[tokio::test]
async fn crawl4ai_refuses_what_its_pydantic_models_refuse_with_their_422_bytes() {
    let emu = start(Options::Crawl4ai(crawl4ai::Options::default()), 1.0).await;
    let post = |body: &'static str| {
        client()
            .post(format!("{}/crawl/job", emu.url()))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let refused = body_text(
        post(r#"{"urls":["https://example.com"],"webhook_config":{"webhook_url":"http://127.0.0.1:9/h","webhook_headers":{"Authorization":"Bearer x"}}}"#)
            .await
            .unwrap(),
    )
    .await;
    let malformed = body_text(post(r#"{"urls": ["#).await.unwrap()).await;
    let bad_url = body_text(post(r#"{"urls":["example.com"]}"#).await.unwrap()).await;
    let missing = body_text(post("{}").await.unwrap()).await;
    let unknown = body_text(
        client()
            .get(format!("{}/crawl/job/crawl_00000000", emu.url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let bad_webhook_url = body_text(
        post(r#"{"urls":["https://example.com"],"webhook_config":{"webhook_url":"ftp://example.com/h"}}"#)
            .await
            .unwrap(),
    )
    .await;
    let unknown_llm = body_text(
        client()
            .get(format!("{}/llm/job/llm_1_2", emu.url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let wrong_method = client()
        .put(format!("{}/crawl/job", emu.url()))
        .send()
        .await
        .unwrap();
    let allow = wrong_method.headers().get("allow").cloned();
    let wrong_method = body_text(wrong_method).await;
    let still_serving = post(r#"{"urls":["https://example.com"]}"#).await.unwrap();

    // Byte for byte what Crawl4AI v0.9.2 answers (notes/emulators/crawl4ai/422.*.json).
    assert_eq!(
        refused,
        (422, r#"{"detail":[{"type":"value_error","loc":["body","webhook_config","webhook_headers"],"msg":"Value error, webhook header not allowed: Authorization","input":{"Authorization":"Bearer x"},"ctx":{"error":{}}}]}"#.to_owned())
    );
    assert_eq!(
        malformed,
        (422, r#"{"detail":[{"type":"json_invalid","loc":["body",10],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}"#.to_owned())
    );
    assert_eq!(
        bad_url,
        (422, r#"{"detail":[{"type":"url_parsing","loc":["body","urls",0],"msg":"Input should be a valid URL, relative URL without a base","input":"example.com","ctx":{"error":"relative URL without a base"}}]}"#.to_owned())
    );
    assert_eq!(
        missing,
        (422, r#"{"detail":[{"type":"missing","loc":["body","urls"],"msg":"Field required","input":{}}]}"#.to_owned())
    );
    assert_eq!(
        bad_webhook_url,
        (422, r#"{"detail":[{"type":"url_scheme","loc":["body","webhook_config","webhook_url"],"msg":"URL scheme should be 'http' or 'https'","input":"ftp://example.com/h","ctx":{"expected_schemes":"'http' or 'https'"}}]}"#.to_owned())
    );
    assert_eq!(unknown, (404, r#"{"detail":"Task not found"}"#.to_owned()));
    assert_eq!(
        unknown_llm,
        (404, r#"{"detail":"Task not found"}"#.to_owned())
    );
    assert_eq!(
        wrong_method,
        (405, r#"{"detail":"Method Not Allowed"}"#.to_owned())
    );
    assert_eq!(allow.unwrap(), "POST");
    assert_eq!(still_serving.status().as_u16(), 202);
    emu.stop().await;
}

#[tokio::test]
async fn crawl4ai_retries_a_503_on_its_1_2_4_8_second_schedule_scaled() {
    let hooks = Hooks::scripted(|_, _| Reply::Status(503)).await;
    let emu = start(Options::Crawl4ai(crawl4ai::Options::default()), 0.1).await;

    client()
        .post(format!("{}/crawl/job", emu.url()))
        .json(&json!({"urls": ["https://example.com"], "webhook_config": {"webhook_url": hooks.url("/h")}}))
        .send()
        .await
        .unwrap();
    let got = hooks.wait("/h", 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listing: Value = client()
        .get(format!("{}/_hookrig/deliveries", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(hooks.on("/h").len(), 5, "five attempts, then no more");
    let waits = [100u64, 200, 400, 800];
    for (i, w) in waits.iter().enumerate() {
        let gap = (got[i + 1].at - got[i].at).as_millis() as u64;
        assert!(
            gap >= w - 5 && gap <= w + 250,
            "wait {}: {gap} ms, {w} ms expected",
            i + 1
        );
    }
    let d = &listing[0];
    assert_eq!(d["outcome"], "exhausted");
    assert_eq!(d["attempts"].as_array().unwrap().len(), 5);
    assert_eq!(d["attempts"][0]["status"], 503);
    assert_eq!(
        d["attempts"][0]["wait_after_ms"], 1000,
        "waits are listed in provider time"
    );
    emu.stop().await;
}

#[tokio::test]
async fn crawl4ai_config_default_url_gets_jobs_without_webhook_config() {
    let hooks = Hooks::ok().await;
    let dir = Scratch::new();
    let config = dir.file(
        "config.yml",
        &format!(
            "app:\n  title: Crawl4AI\nwebhooks:\n  enabled: true\n  default_url: {}\n  data_in_payload: false\n  headers:\n    X-Env: ci\n  retry:\n    max_attempts: 2\n",
            hooks.url("/default")
        ),
    );
    let mut opts = crawl4ai::Options::default();
    crawl4ai::read_config(&config, &mut opts).unwrap();
    let emu = start(Options::Crawl4ai(opts), 0.05).await;

    client()
        .post(format!("{}/crawl/job", emu.url()))
        .json(&json!({"urls": ["https://example.com/blog"]}))
        .send()
        .await
        .unwrap();
    let got = hooks.wait("/default", 1).await;

    let body = got[0].json();
    assert_eq!(got[0].header("x-env"), Some("ci"));
    assert_eq!(got[0].header("user-agent"), Some("Crawl4AI-Webhook/1.0"));
    assert!(body.get("data").is_none(), "data_in_payload: false");
    assert_eq!(body["status"], "completed");
    emu.stop().await;
}

#[test]
fn crawl4ai_config_errors_name_the_file_line_and_column() {
    let dir = Scratch::new();
    let config = dir.file(
        "config.yml",
        "webhooks:\n  retry:\n    max_attempts: lots\n",
    );
    let mut opts = crawl4ai::Options::default();

    let errors = crawl4ai::read_config(&config, &mut opts).unwrap_err();

    let text = errors[0].to_string();
    assert!(text.contains("config.yml:3:"), "{text}");
    assert!(text.contains("webhooks.retry.max_attempts"), "{text}");
}

#[tokio::test]
async fn crawl4ai_config_retry_settings_and_data_in_payload_apply_to_jobs_without_webhook_config() {
    let hooks = Hooks::scripted(|_, _| Reply::Status(503)).await;
    let dir = Scratch::new();
    let config = dir.file(
        "config.yml",
        &format!(
            "webhooks:\n  default_url: {}\n  data_in_payload: true\n  retry:\n    max_attempts: 3\n    initial_delay_ms: 3000\n    max_delay_ms: 3000\n",
            hooks.url("/default")
        ),
    );
    let mut opts = crawl4ai::Options::default();
    crawl4ai::read_config(&config, &mut opts).unwrap();
    // 3 s and then 3 s (6 s capped), at 1/10: 300 ms twice.
    let emu = start(Options::Crawl4ai(opts), 0.1).await;

    client()
        .post(format!("{}/crawl/job", emu.url()))
        .json(&json!({"urls": ["https://example.com"]}))
        .send()
        .await
        .unwrap();
    let got = hooks.wait("/default", 3).await;
    tokio::time::sleep(Duration::from_millis(600)).await;

    assert_eq!(hooks.on("/default").len(), 3, "max_attempts: 3");
    let gaps: Vec<u64> = got
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_millis() as u64)
        .collect();
    assert!((295..=550).contains(&gaps[0]), "{gaps:?}");
    assert!(
        (295..=550).contains(&gaps[1]),
        "max_delay_ms caps the second wait: {gaps:?}"
    );
    assert_eq!(
        got[0].json()["data"]["success"],
        true,
        "data_in_payload: true"
    );
    assert_eq!(got[0].body, got[2].body, "the payload is built once");
    emu.stop().await;
}

#[tokio::test]
async fn crawl4ai_config_enabled_false_silences_even_a_jobs_own_webhook_config() {
    let hooks = Hooks::ok().await;
    let dir = Scratch::new();
    let config = dir.file("config.yml", "webhooks:\n  enabled: false\n");
    let mut opts = crawl4ai::Options::default();
    crawl4ai::read_config(&config, &mut opts).unwrap();
    let emu = start(Options::Crawl4ai(opts), 0.02).await;

    let r: Value = client()
        .post(format!("{}/crawl/job", emu.url()))
        .json(&json!({"urls": ["https://example.com"], "webhook_config": {"webhook_url": hooks.url("/h")}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let done = poll_until(
        &format!("{}/crawl/job/{}", emu.url(), r["task_id"].as_str().unwrap()),
        &[],
        |v| v["status"] == "completed",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let listing: Value = client()
        .get(format!("{}/_hookrig/deliveries", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(done["status"], "completed");
    assert!(hooks.all().is_empty(), "no webhook at all");
    assert_eq!(listing, json!([]));
    emu.stop().await;
}

#[tokio::test]
async fn crawl4ai_with_strict_egress_blocks_loopback_urls_as_crawl4ai_does() {
    let opts = crawl4ai::Options {
        strict_egress: true,
        ..crawl4ai::Options::default()
    };
    let emu = start(Options::Crawl4ai(opts), 0.02).await;

    let crawl = body_text(
        client()
            .post(format!("{}/crawl/job", emu.url()))
            .json(&json!({"urls": ["https://example.com"], "webhook_config": {"webhook_url": "http://127.0.0.1:9/h"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let llm = body_text(
        client()
            .post(format!("{}/llm/job", emu.url()))
            .json(&json!({"url": "http://localhost/page", "q": "Summarise"}))
            .send()
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(crawl, (400, r#"{"detail":"URL blocked"}"#.to_owned()));
    assert_eq!(
        llm,
        (
            400,
            r#"{"detail":"URL blocked (SSRF protection): URL blocked"}"#.to_owned()
        )
    );
    emu.stop().await;
}

#[tokio::test]
async fn crawl4ai_llm_job_answers_200_and_its_webhook_carries_the_extracted_content() {
    let hooks = Hooks::ok().await;
    let emu = start(Options::Crawl4ai(crawl4ai::Options::default()), 0.05).await;

    let r = client()
        .post(format!("{}/llm/job", emu.url()))
        .json(&json!({
            "url": "https://example.com/article",
            "q": "Extract the article title and author",
            "schema": "{\"type\": \"object\", \"properties\": {\"title\": {\"type\": \"string\"}, \"author\": {\"type\": \"string\"}}}",
            "cache": false,
            "provider": "openai/gpt-4o-mini",
            "webhook_config": {"webhook_url": hooks.url("/llm"), "webhook_data_in_payload": true}
        }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let created: Value = r.json().await.unwrap();
    let got = hooks.wait("/llm", 1).await;

    assert_eq!(
        status, 200,
        "the handler's JSONResponse overrides status_code=202"
    );
    let id = created["task_id"].as_str().unwrap();
    assert!(id.starts_with("llm_"), "{id}");
    assert_eq!(created["status"], "processing");
    assert_eq!(
        created["_links"]["status"]["href"],
        format!("{}/llm/{id}", emu.url())
    );
    let body = got[0].json();
    assert_eq!(body["task_type"], "llm_extraction");
    assert_eq!(
        body["data"]["extracted_content"],
        json!([{"title": "Understanding Web Scraping", "author": "John Doe", "error": false}])
    );
    emu.stop().await;
}

#[tokio::test]
async fn a_receiver_that_never_answers_holds_up_only_its_own_delivery() {
    let hooks = Hooks::scripted(|path, _| {
        if path == "/stuck" {
            Reply::Hang
        } else {
            Reply::Status(200)
        }
    })
    .await;
    let emu = start(Options::Crawl4ai(crawl4ai::Options::default()), 0.05).await;
    let submit = |path: &str| {
        client()
            .post(format!("{}/crawl/job", emu.url()))
            .json(&json!({"urls": ["https://example.com"], "webhook_config": {"webhook_url": hooks.url(path)}}))
            .send()
    };

    submit("/stuck").await.unwrap();
    hooks.wait("/stuck", 1).await;
    let sent = Instant::now();
    submit("/fine").await.unwrap();
    hooks.wait("/fine", 1).await;

    // 50 ms of processing; the stuck delivery waits on its 1.5 s (scaled 30 s) timeout.
    assert!(
        sent.elapsed() < Duration::from_millis(1000),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(hooks.on("/stuck").len(), 1);
    emu.stop().await;
}

#[tokio::test]
async fn a_plan_fails_urls_and_jobs_and_a_bad_plan_names_its_line() {
    let hooks = Hooks::ok().await;
    let emu = start(Options::Crawl4ai(crawl4ai::Options::default()), 0.05).await;
    let set_plan = |text: &'static str| {
        client()
            .post(format!("{}/_hookrig/plan", emu.url()))
            .body(text)
            .send()
    };

    let bad = body_text(
        set_plan("jobs:\n  - when: {nth: 1}\n    fail_documents: [1]\n")
            .await
            .unwrap(),
    )
    .await;
    let good = set_plan(
        "jobs:\n  - when: {nth: 1}\n    fail_urls: [https://example.com/missing]\n    error: 'net::ERR_NAME_NOT_RESOLVED'\n  - when: {nth: 2}\n    fail: '500: Browser closed unexpectedly'\n",
    )
    .await
    .unwrap();
    for path in ["/one", "/two"] {
        client()
            .post(format!("{}/crawl/job", emu.url()))
            .json(&json!({"urls": ["https://example.com", "https://example.com/missing"], "webhook_config": {"webhook_url": hooks.url(path), "webhook_data_in_payload": true}}))
            .send()
            .await
            .unwrap();
    }
    let one = hooks.wait("/one", 1).await[0].json();
    let two = hooks.wait("/two", 1).await[0].json();

    assert_eq!(bad.0, 400);
    assert!(
        bad.1.contains("POST /_hookrig/plan:3:")
            && bad.1.contains("fail_documents is not for crawl4ai"),
        "{}",
        bad.1
    );
    assert_eq!(good.status().as_u16(), 200);
    assert_eq!(one["status"], "completed");
    assert_eq!(one["data"]["results"][0]["success"], true);
    assert_eq!(one["data"]["results"][1]["success"], false);
    assert_eq!(
        one["data"]["results"][1]["error_message"],
        "net::ERR_NAME_NOT_RESOLVED"
    );
    assert_eq!(two["status"], "failed");
    assert_eq!(two["error"], "500: Browser closed unexpectedly");
    assert!(two.get("data").is_none());
    emu.stop().await;
}

#[tokio::test]
async fn a_plan_sets_how_long_jobs_take_by_url_and_refuses_a_submission_as_crawl4ai_would() {
    let hooks = Hooks::ok().await;
    // At 1/50: processing 1 s → 20 ms; the slow URL's 50 s → 1 s.
    let emu = start_with(
        Options::Crawl4ai(crawl4ai::Options::default()),
        0.02,
        "processing: 1s\njobs:\n  - when: {url: 'https://example.com/slow'}\n    after: 50s\n  - when: {nth: 3}\n    reject: {status: 503}\n",
        None,
    )
    .await;
    let submit = |url: &str, path: &str| {
        client()
            .post(format!("{}/crawl/job", emu.url()))
            .json(&json!({"urls": [url], "webhook_config": {"webhook_url": hooks.url(path)}}))
            .send()
    };

    let sent = Instant::now();
    submit("https://example.com/slow", "/slow").await.unwrap();
    submit("https://example.com/fast", "/fast").await.unwrap();
    let refused = submit("https://example.com/third", "/third").await.unwrap();
    let retry_after = refused.headers().get("retry-after").cloned();
    let refused = body_text(refused).await;
    let fast = hooks.wait("/fast", 1).await[0].at - sent;
    let slow = hooks.wait("/slow", 1).await[0].at - sent;

    assert!(slow >= Duration::from_millis(995), "{slow:?}");
    assert!(
        fast < slow,
        "the second job is not held up: {fast:?}, {slow:?}"
    );
    assert_eq!(
        refused,
        (503, r#"{"detail":"Server busy, retry later"}"#.to_owned())
    );
    assert_eq!(retry_after.unwrap(), "5");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        hooks.on("/third").is_empty(),
        "a refused job has no webhook"
    );
    emu.stop().await;
}

#[tokio::test]
async fn with_a_token_crawl4ai_answers_401_without_it() {
    let opts = crawl4ai::Options {
        token: Some("t0ken".into()),
        ..crawl4ai::Options::default()
    };
    let emu = start(Options::Crawl4ai(opts), 1.0).await;
    let url = format!("{}/crawl/job", emu.url());
    let body = json!({"urls": ["https://example.com"]});

    let without = client().post(&url).json(&body).send().await.unwrap();
    let www = without.headers().get("www-authenticate").cloned();
    let without = body_text(without).await;
    let with = client()
        .post(&url)
        .bearer_auth("t0ken")
        .json(&body)
        .send()
        .await
        .unwrap();

    assert_eq!(
        without,
        (401, r#"{"detail": "Authentication required"}"#.to_owned())
    );
    assert_eq!(www.unwrap(), "Bearer");
    assert_eq!(with.status().as_u16(), 202);
    emu.stop().await;
}

// ---------------------------------------------------------------------------------------
// perfectparser

const PP_KEY: (&str, &str) = ("X-API-Key", "pp_live_test");

async fn pp_webhook(emu: &Emulator, url: &str, events: &[&str], secret: Option<&str>) -> Value {
    let mut body = json!({"url": url, "events": events});
    if let Some(s) = secret {
        body["secret"] = json!(s);
    }
    client()
        .post(format!("{}/v1/webhooks", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn multipart_body(parser: &str, files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "hookrigBoundary7MA4YWxk";
    let mut b = Vec::new();
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"parser_id\"\r\n\r\n{parser}\r\n"
        )
        .as_bytes(),
    );
    for (name, data) in files {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
        );
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

#[tokio::test]
async fn perfectparser_shows_the_signing_secret_once_and_its_test_send_verifies() {
    let hooks = Hooks::ok().await;
    let emu = start(
        Options::PerfectParser(perfectparser::Options::default()),
        1.0,
    )
    .await;

    let created = pp_webhook(
        &emu,
        &hooks.url("/pp"),
        &["extraction.document_completed", "extraction.job_completed"],
        Some("my_shared_token"),
    )
    .await;
    let hook = &created["webhook"];
    let id = hook["webhook_id"].as_str().unwrap();
    let secret = hook["signing_secret"].as_str().unwrap().to_owned();
    let listed: Value = client()
        .get(format!("{}/v1/webhooks", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let test: Value = client()
        .post(format!("{}/v1/webhooks/{id}/test", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got = hooks.wait("/pp", 1).await;
    let detail: Value = client()
        .get(format!("{}/v1/webhooks/{id}", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert!(secret.starts_with("wh_sec_"), "{secret}");
    assert_eq!(hook["is_active"], true);
    assert!(
        listed["webhooks"][0].get("signing_secret").is_none(),
        "{listed}"
    );
    assert_eq!(listed["webhooks"][0]["webhook_id"], id);
    assert_eq!(listed["pagination"]["has_next_page"], false);
    assert_eq!(test["test"]["delivered"], true);
    assert_eq!(test["test"]["response_status"], 200);
    let g = &got[0];
    assert!(
        perfectparser_verifies(g, &secret),
        "signature does not verify"
    );
    assert!(
        !perfectparser_verifies(g, "wh_sec_wrong"),
        "a wrong secret must not verify"
    );
    assert_eq!(g.header("x-webhook-secret"), Some("my_shared_token"));
    let body = g.json();
    assert_eq!(body["event"], "extraction.job_completed");
    assert_eq!(body["test"], true);
    assert_eq!(detail["webhook"]["deliveries"][0]["status"], "delivered");
    assert!(detail["webhook"].get("signing_secret").is_none());
    let listing = settled_listing(&emu).await.to_string();
    assert!(listing.contains("X-Webhook-Secret"), "{listing}");
    assert!(
        !listing.contains("my_shared_token"),
        "the static secret is redacted: {listing}"
    );
    emu.stop().await;
}

#[tokio::test]
async fn perfectparser_extraction_fires_per_document_then_per_batch_and_the_fallback_matches() {
    let hooks = Hooks::ok().await;
    let opts = perfectparser::Options {
        dashboard: vec![perfectparser::DashboardHook {
            url: hooks.url("/dashboard"),
            secret: Some("dash_secret_123".into()),
        }],
    };
    let emu = start_with(
        Options::PerfectParser(opts),
        0.1,
        "jobs:\n  - fail_documents: [bad.pdf]\n    error: The PDF is password-protected.\n",
        None,
    )
    .await;
    let created = pp_webhook(
        &emu,
        &hooks.url("/api"),
        &["extraction.document_completed", "extraction.job_completed"],
        None,
    )
    .await;
    let secret = created["webhook"]["signing_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Page >>\n2 0 obj << /Type /Page >>\n";
    let (ct, body) = multipart_body(
        "prs_999",
        &[("invoice-1.pdf", pdf), ("bad.pdf", b"%PDF-1.4 x")],
    );

    let r = client()
        .post(format!("{}/v1/extractions", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let started: Value = r.json().await.unwrap();
    let api = hooks.wait("/api", 3).await;
    let dash = hooks.wait("/dashboard", 1).await;
    let ext = started["extraction"]["extraction_id"].as_str().unwrap();
    let docs = &started["extraction"]["documents"];
    let fallback: Value = client()
        .get(format!(
            "{}/v1/extractions/{ext}/documents/{}",
            emu.url(),
            docs[1]["document_id"].as_str().unwrap()
        ))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let final_status: Value = client()
        .get(format!("{}/v1/extractions/{ext}", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(status, 202);
    assert_eq!(started["extraction"]["status"], "queued");
    assert_eq!(started["extraction"]["page_count"], 3, "two pages and one");
    let events: Vec<Value> = api.iter().map(Got::json).collect();
    assert!(api.iter().all(|g| perfectparser_verifies(g, &secret)));
    assert_eq!(events[0]["event"], "extraction.document_completed");
    assert_eq!(events[0]["document_id"], docs[0]["document_id"]);
    assert_eq!(events[0]["status"], "completed");
    assert_eq!(events[1]["document_id"], docs[1]["document_id"]);
    assert_eq!(events[1]["status"], "failed");
    assert_eq!(events[2]["event"], "extraction.job_completed");
    assert_eq!(
        (events[2]["completed"].clone(), events[2]["failed"].clone()),
        (json!(1), json!(1))
    );
    assert!(perfectparser_verifies(&dash[0], "dash_secret_123"));
    assert_eq!(dash[0].json()["event"], "batch.partial");
    assert_eq!(fallback["document"]["status"], events[1]["status"]);
    assert_eq!(
        fallback["document"]["error_message"],
        "The PDF is password-protected."
    );
    assert_eq!(final_status["extraction"]["status"], "partial");
    emu.stop().await;
}

#[tokio::test]
async fn perfectparser_wants_an_api_key_and_a_valid_payload() {
    let emu = start(
        Options::PerfectParser(perfectparser::Options::default()),
        1.0,
    )
    .await;
    let url = format!("{}/v1/webhooks", emu.url());

    let no_key = body_text(client().get(&url).send().await.unwrap()).await;
    let short_secret = body_text(
        client()
            .post(&url)
            .header(PP_KEY.0, PP_KEY.1)
            .json(&json!({"url": "http://127.0.0.1:9/x", "events": ["extraction.job_completed"], "secret": "short"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let bad_event = body_text(
        client()
            .post(&url)
            .header(PP_KEY.0, PP_KEY.1)
            .json(&json!({"url": "http://127.0.0.1:9/x", "events": ["batch.completed"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let bad_url = body_text(
        client()
            .post(&url)
            .header(PP_KEY.0, PP_KEY.1)
            .json(&json!({"url": "ftp://example.com/hook", "events": ["extraction.job_completed"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let malformed = body_text(
        client()
            .post(&url)
            .header(PP_KEY.0, PP_KEY.1)
            .header("content-type", "application/json")
            .body(r#"{"url": "#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let unknown_test = client()
        .post(format!("{url}/wh_nope/test"))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap();
    let unknown = client()
        .get(format!("{}/v1/extractions/ext_nope", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap();
    let limit = unknown.headers().get("x-ratelimit-limit").cloned();

    assert_eq!(no_key.0, 401);
    assert!(no_key.1.contains("\"UNAUTHORIZED\""), "{}", no_key.1);
    assert_eq!(short_secret.0, 400);
    assert!(
        short_secret.1.contains("INVALID_PAYLOAD") && short_secret.1.contains("at least 8"),
        "{}",
        short_secret.1
    );
    assert_eq!(bad_event.0, 400);
    assert_eq!(
        bad_url,
        (
            400,
            r#"{"error":{"code":"INVALID_PAYLOAD","message":"Validation failed: url must be an http or https URL"}}"#.to_owned()
        )
    );
    assert_eq!(
        malformed,
        (
            400,
            r#"{"error":{"code":"INVALID_PAYLOAD","message":"Validation failed: the body must be a JSON object"}}"#.to_owned()
        )
    );
    assert_eq!(unknown_test.status().as_u16(), 404);
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(limit.unwrap(), "150");
    emu.stop().await;
}

#[tokio::test]
async fn perfectparser_retries_on_its_schedule_and_says_pending_retry_meanwhile() {
    // 5 and 10 minutes at 1/250: 1.2 s and 2.4 s. The profile's 10 s timeout is then
    // 40 ms of real time: at 1/1000 it was 10 ms, which a loaded machine's answer on
    // localhost can outlast, and a timed-out third attempt is retried 20 minutes on.
    let hooks = Hooks::scripted(|_, n| Reply::Status(if n < 2 { 503 } else { 200 })).await;
    let dir = Scratch::new();
    let journal = dir.path().join("emulate.jsonl");
    let emu = start_with(
        Options::PerfectParser(perfectparser::Options::default()),
        0.004,
        "",
        Some(&journal),
    )
    .await;
    let created = pp_webhook(&emu, &hooks.url("/pp"), &["extraction.job_completed"], None).await;
    let id = created["webhook"]["webhook_id"]
        .as_str()
        .unwrap()
        .to_owned();

    client()
        .post(format!("{}/v1/webhooks/{id}/test", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap();
    let waiting: Value = client()
        .get(format!("{}/v1/webhooks/{id}", emu.url()))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got = hooks.wait("/pp", 3).await;
    // The delivery's line is written once the third answer is read: wait for it.
    let read_journal = || -> Vec<Value> {
        let text = std::fs::read_to_string(&journal).unwrap_or_default();
        let whole = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
        whole
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut lines = read_journal();
    while lines.len() < 4 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        lines = read_journal();
    }

    assert_eq!(
        waiting["webhook"]["deliveries"][0]["status"],
        "pending_retry"
    );
    let gap1 = (got[1].at - got[0].at).as_millis() as u64;
    let gap2 = (got[2].at - got[1].at).as_millis() as u64;
    assert!((1195..=1500).contains(&gap1), "{gap1}");
    assert!((2395..=2750).contains(&gap2), "{gap2}");
    assert_eq!(lines.len(), 4, "three attempts and the delivery: {lines:?}");
    assert_eq!(lines[0]["kind"], "attempt");
    assert_eq!(lines[0]["provider_status"], "pending_retry");
    assert_eq!(lines[0]["wait_after_ms"], 300_000);
    assert_eq!(lines[3]["kind"], "delivery");
    assert_eq!(lines[3]["outcome"], "delivered");
    assert!(
        lines[3]["generated_secret"]
            .as_str()
            .unwrap()
            .starts_with("wh_sec_")
    );
    emu.stop().await;
}

#[tokio::test]
async fn perfectparser_stops_calling_a_deleted_or_inactive_webhook_and_replays_an_idempotent_start()
{
    let hooks = Hooks::ok().await;
    let emu = start(
        Options::PerfectParser(perfectparser::Options::default()),
        0.02,
    )
    .await;
    let events = ["extraction.job_completed"];
    let gone = pp_webhook(&emu, &hooks.url("/gone"), &events, None).await;
    let paused = pp_webhook(&emu, &hooks.url("/paused"), &events, None).await;
    pp_webhook(&emu, &hooks.url("/kept"), &events, None).await;
    let id = |v: &Value| v["webhook"]["webhook_id"].as_str().unwrap().to_owned();
    let (ct, body) = multipart_body("prs_1", &[("a.pdf", b"%PDF-1.4")]);
    let start_extraction = || {
        client()
            .post(format!("{}/v1/extractions", emu.url()))
            .header(PP_KEY.0, PP_KEY.1)
            .header("content-type", ct.clone())
            .header("idempotency-key", "run-1")
            .body(body.clone())
            .send()
    };

    let deleted = client()
        .delete(format!("{}/v1/webhooks/{}", emu.url(), id(&gone)))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap();
    let patched: Value = client()
        .patch(format!("{}/v1/webhooks/{}", emu.url(), id(&paused)))
        .header(PP_KEY.0, PP_KEY.1)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first: Value = start_extraction().await.unwrap().json().await.unwrap();
    let replay = start_extraction().await.unwrap();
    let replayed = replay.headers().get("idempotent-replayed").cloned();
    let again: Value = replay.json().await.unwrap();
    hooks.wait("/kept", 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after_delete = client()
        .get(format!("{}/v1/webhooks/{}", emu.url(), id(&gone)))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap();
    let listing: Value = client()
        .get(format!(
            "{}/_hookrig/deliveries?job={}",
            emu.url(),
            first["extraction"]["extraction_id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(patched["webhook"]["is_active"], false);
    assert_eq!(replayed.unwrap(), "true");
    assert_eq!(
        again["extraction"]["extraction_id"],
        first["extraction"]["extraction_id"]
    );
    assert_eq!(
        hooks.on("/kept").len(),
        1,
        "one extraction despite the replay"
    );
    assert!(hooks.on("/gone").is_empty() && hooks.on("/paused").is_empty());
    assert_eq!(after_delete.status().as_u16(), 404);
    assert_eq!(listing.as_array().unwrap().len(), 1);
    assert_eq!(listing[0]["url"], hooks.url("/kept"));
    emu.stop().await;
}

// ---------------------------------------------------------------------------------------
// llamacloud

#[tokio::test]
async fn llamacloud_parse_job_sends_each_configuration_the_events_it_admits_in_order() {
    let hooks = Hooks::ok().await;
    let emu = start(Options::LlamaCloud, 0.1).await;

    let r = client()
        .post(format!("{}/api/v2/parse", emu.url()))
        .bearer_auth("llx-test")
        .json(&json!({
            "tier": "fast",
            "version": "latest",
            "source_url": "https://example.com/a.pdf",
            "webhook_configurations": [
                {
                    "webhook_url": hooks.url("/a"),
                    "webhook_events": ["parse.success", "parse.error"],
                    "webhook_headers": {"X-Tenant": "acme"},
                    "webhook_output_format": "json",
                    "webhook_signing_secret": "lc_secret"
                },
                {"webhook_url": hooks.url("/b")}
            ]
        }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let job: Value = r.json().await.unwrap();
    let b = hooks.wait("/b", 3).await;
    let a = hooks.wait("/a", 1).await;
    let id = job["id"].as_str().unwrap();
    let result: Value = client()
        .get(format!(
            "{}/api/v2/parse/{id}?expand=markdown&expand=text",
            emu.url()
        ))
        .bearer_auth("llx-test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert_eq!(status, 200);
    assert_eq!(job["status"], "PENDING");
    assert_eq!(job["tier"], "fast");
    assert_eq!(
        hooks.on("/a").len(),
        1,
        "only parse.success passes /a's filter"
    );
    let a = &a[0];
    assert!(llamacloud_verifies(a, "lc_secret"));
    assert_eq!(a.header("x-tenant"), Some("acme"));
    assert_eq!(
        a.header("user-agent"),
        Some("llamaindex-webhook-service/1.0")
    );
    assert_eq!(a.header("x-webhook-event-type"), Some("parse.success"));
    let body = a.json();
    assert_eq!(body["data"], json!({"id": id, "job_id": id}));
    assert_eq!(a.header("x-webhook-event-id"), body["event_id"].as_str());
    // /b takes the default `string` format: the JSON body encoded as a JSON string.
    let types: Vec<String> = b
        .iter()
        .map(|g| {
            assert!(
                g.header("lc-signature").is_none(),
                "no secret, no signature"
            );
            let inner: Value = serde_json::from_str(g.json().as_str().unwrap()).unwrap();
            inner["event_type"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(types, ["parse.pending", "parse.running", "parse.success"]);
    assert_eq!(result["job"]["status"], "COMPLETED");
    assert_eq!(result["markdown"]["pages"][0]["success"], true);
    assert!(result["text"]["pages"][0]["text"].is_string());
    emu.stop().await;
}

#[tokio::test]
async fn llamacloud_answers_fastapi_errors_and_keeps_serving() {
    let emu = start(Options::LlamaCloud, 1.0).await;
    let url = format!("{}/api/v2/parse", emu.url());

    let unauthenticated =
        body_text(client().post(&url).json(&json!({})).send().await.unwrap()).await;
    let missing = body_text(
        client()
            .post(&url)
            .bearer_auth("k")
            .json(&json!({"source_url": "https://example.com/a.pdf"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let bad_format = body_text(
        client()
            .post(format!("{}/api/v2/extract", emu.url()))
            .bearer_auth("k")
            .json(&json!({"file_input": "f", "configuration": {"data_schema": {}}, "webhook_configurations": [{"webhook_url": "http://127.0.0.1:9/x", "webhook_output_format": "xml", "webhook_events": ["extract.done"]}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let bad_hook = body_text(
        client()
            .post(&url)
            .bearer_auth("k")
            .json(&json!({"tier": "fast", "version": "latest", "source_url": "https://example.com/a.pdf", "webhook_configurations": [{"webhook_url": "hooks.example.com/lc"}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let malformed = body_text(
        client()
            .post(&url)
            .bearer_auth("k")
            .header("content-type", "application/json")
            .body(r#"{"tier": "fast",}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let unknown = body_text(
        client()
            .get(format!(
                "{}/api/v2/parse/00000000-0000-4000-8000-000000000000",
                emu.url()
            ))
            .bearer_auth("k")
            .send()
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(
        unauthenticated,
        (401, r#"{"detail":"Not authenticated"}"#.to_owned())
    );
    assert_eq!(missing.0, 422);
    let m: Value = serde_json::from_str(&missing.1).unwrap();
    let locs: Vec<&Value> = m["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["loc"])
        .collect();
    assert_eq!(
        locs,
        [&json!(["body", "tier"]), &json!(["body", "version"])]
    );
    let f: Value = serde_json::from_str(&bad_format.1).unwrap();
    assert_eq!(bad_format.0, 422);
    assert_eq!(f["detail"][0]["type"], "literal_error");
    assert_eq!(
        f["detail"][0]["loc"],
        json!(["body", "webhook_configurations", 0, "webhook_events", 0])
    );
    assert_eq!(f["detail"][1]["msg"], "Input should be 'json' or 'string'");
    assert_eq!(
        bad_hook,
        (422, r#"{"detail":[{"type":"url_parsing","loc":["body","webhook_configurations",0,"webhook_url"],"msg":"Input should be a valid URL, relative URL without a base","input":"hooks.example.com/lc","ctx":{"error":"relative URL without a base"}}]}"#.to_owned())
    );
    assert_eq!(
        malformed,
        (422, r#"{"detail":[{"type":"json_invalid","loc":["body",16],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting property name enclosed in double quotes"}}]}"#.to_owned())
    );
    assert_eq!(unknown, (404, r#"{"detail":"Job not found"}"#.to_owned()));
    emu.stop().await;
}

#[tokio::test]
async fn llamacloud_extract_fills_the_data_schema_and_a_failed_page_is_partial_success() {
    let hooks = Hooks::ok().await;
    let emu = start_with(
        Options::LlamaCloud,
        0.05,
        "jobs:\n  - when: {kind: parse}\n    fail_pages: [2]\n",
        None,
    )
    .await;
    let config =
        |path: &str| json!([{"webhook_url": hooks.url(path), "webhook_output_format": "json"}]);

    let job: Value = client()
        .post(format!("{}/api/v2/extract", emu.url()))
        .bearer_auth("k")
        .json(&json!({
            "file_input": "b1f7c9d2-3e4a-4b5c-8d6e-7f8091a2b3c4",
            "configuration": {"data_schema": {"type": "object", "properties": {"total": {"type": "number"}, "vendor": {"type": "string"}, "paid": {"type": "boolean"}}}, "tier": "cost_effective"},
            "webhook_configurations": config("/extract")
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parse: Value = client()
        .post(format!("{}/api/v2/parse", emu.url()))
        .bearer_auth("k")
        .json(&json!({"tier": "agentic", "version": "latest", "source_url": "https://example.com/b.pdf", "webhook_configurations": config("/parse")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let extract_events = hooks.wait("/extract", 2).await;
    let parse_events = hooks.wait("/parse", 3).await;
    let done = poll_until(
        &format!(
            "{}/api/v2/extract/{}",
            emu.url(),
            job["id"].as_str().unwrap()
        ),
        &[("authorization", "Bearer k")],
        |v| v["status"] == "COMPLETED",
    )
    .await;
    let parsed = poll_until(
        &format!(
            "{}/api/v2/parse/{}?expand=markdown",
            emu.url(),
            parse["id"].as_str().unwrap()
        ),
        &[("authorization", "Bearer k")],
        |v| v["job"]["status"] == "COMPLETED",
    )
    .await;

    let kinds: Vec<Value> = extract_events
        .iter()
        .map(|g| g.json()["event_type"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("extract.pending"), json!("extract.success")],
        "no extract.running exists"
    );
    assert!(done["extract_result"]["total"].is_number());
    assert!(done["extract_result"]["vendor"].is_string());
    assert!(done["extract_result"]["paid"].is_boolean());
    assert_eq!(
        parse_events[2].json()["event_type"],
        "parse.partial_success"
    );
    let pages = parsed["markdown"]["pages"].as_array().unwrap();
    assert!(
        pages.len() >= 2,
        "seed 7 draws a document of several pages: {pages:?}"
    );
    assert_eq!(pages[0]["success"], true);
    assert_eq!(pages[1]["success"], false);
    emu.stop().await;
}

#[tokio::test]
async fn llamacloud_parses_an_uploaded_pdf_page_by_page() {
    let emu = start(Options::LlamaCloud, 0.02).await;
    let pdf = b"%PDF-1.4\n<< /Type /Page >>\n<< /Type /Page >>\n<< /Type /Page >>\n";
    let boundary = "b0undary";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"configuration\"\r\n\r\n{{\"tier\": \"fast\", \"version\": \"latest\"}}\r\n").as_bytes());
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
    body.extend_from_slice(pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());

    let job: Value = client()
        .post(format!("{}/api/v2/parse/upload", emu.url()))
        .bearer_auth("k")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let done = poll_until(
        &format!(
            "{}/api/v2/parse/{}?expand=markdown",
            emu.url(),
            job["id"].as_str().unwrap()
        ),
        &[("authorization", "Bearer k")],
        |v| v["job"]["status"] == "COMPLETED",
    )
    .await;

    assert_eq!(job["status"], "PENDING");
    assert_eq!(done["markdown"]["pages"].as_array().unwrap().len(), 3);
    assert_eq!(done["markdown"]["pages"][2]["page_number"], 3);
    emu.stop().await;
}

#[tokio::test]
async fn llamacloud_classify_sends_running_and_picks_one_of_the_rules() {
    let hooks = Hooks::ok().await;
    let emu = start(Options::LlamaCloud, 0.05).await;

    let job: Value = client()
        .post(format!("{}/api/v2/classify", emu.url()))
        .bearer_auth("k")
        .json(&json!({
            "file_input": "b1f7c9d2-3e4a-4b5c-8d6e-7f8091a2b3c4",
            "configuration": {"rules": [
                {"type": "invoice", "description": "An invoice with line items and a total"},
                {"type": "receipt", "description": "A point-of-sale receipt"}
            ]},
            "webhook_configurations": [{"webhook_url": hooks.url("/c"), "webhook_output_format": "json"}]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got = hooks.wait("/c", 3).await;
    let done = poll_until(
        &format!(
            "{}/api/v2/classify/{}",
            emu.url(),
            job["id"].as_str().unwrap()
        ),
        &[("authorization", "Bearer k")],
        |v| v["status"] == "COMPLETED",
    )
    .await;

    let kinds: Vec<Value> = got.iter().map(|g| g.json()["event_type"].clone()).collect();
    assert_eq!(
        kinds,
        [
            json!("classify.pending"),
            json!("classify.running"),
            json!("classify.success")
        ]
    );
    assert!(["invoice", "receipt"].contains(&done["result"]["type"].as_str().unwrap()));
    assert_eq!(done["document_input_type"], "file_id");
    emu.stop().await;
}

// ---------------------------------------------------------------------------------------
// extend

const EXTEND_VERSION: (&str, &str) = ("x-extend-api-version", "2026-02-09");

#[tokio::test]
async fn extend_workflow_run_signs_its_events_for_command_line_endpoints() {
    let hooks = Hooks::ok().await;
    let opts = extend::Options {
        endpoints: vec![
            extend::CliEndpoint {
                url: hooks.url("/all"),
                secret: Some("wss_test_secret".into()),
                events: None,
            },
            extend::CliEndpoint {
                url: hooks.url("/done"),
                secret: Some("wss_other".into()),
                events: Some(vec!["workflow_run.completed".into()]),
            },
        ],
    };
    let emu = start(Options::Extend(opts), 0.05).await;

    let r = client()
        .post(format!("{}/workflow_runs", emu.url()))
        .bearer_auth("sk_test")
        .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
        .json(&json!({"workflow": {"id": "workflow_BMdfq_yWM3sT-ZzvCnA3f"}, "file": {"url": "https://example.com/invoice.pdf"}, "metadata": {"customerId": "cust_42"}}))
        .send()
        .await
        .unwrap();
    let created: Value = r.json().await.unwrap();
    let all = hooks.wait("/all", 2).await;
    let done = hooks.wait("/done", 1).await;
    let id = created["id"].as_str().unwrap();
    let fetched: Value = client()
        .get(format!("{}/workflow_runs/{id}", emu.url()))
        .bearer_auth("sk_test")
        .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(created["status"], "PROCESSING");
    assert!(id.starts_with("workflow_run_"), "{id}");
    assert_eq!(created["files"][0]["name"], "invoice.pdf");
    assert!(all.iter().all(|g| extend_verifies(g, "wss_test_secret")));
    assert!(!extend_verifies(&all[0], "wss_other"));
    let types: Vec<Value> = all.iter().map(|g| g.json()["eventType"].clone()).collect();
    assert_eq!(
        types,
        [
            json!("workflow_run.step_run.processed"),
            json!("workflow_run.completed")
        ]
    );
    assert_eq!(all[1].json()["payload"]["id"], id);
    assert_eq!(all[1].json()["payload"]["status"], "PROCESSED");
    assert_eq!(
        all[1].json()["payload"]["metadata"]["customerId"],
        "cust_42"
    );
    assert!(
        all[1].json()["eventId"]
            .as_str()
            .unwrap()
            .starts_with("event_")
    );
    assert_eq!(done.len(), 1);
    assert!(extend_verifies(&done[0], "wss_other"));
    assert_eq!(fetched["status"], "PROCESSED");
    emu.stop().await;
}

#[tokio::test]
async fn extend_api_endpoints_get_their_subscribed_events_signed_with_their_secret() {
    let hooks = Hooks::ok().await;
    let emu = start(Options::Extend(extend::Options::default()), 0.05).await;
    let call = |method: reqwest::Method, path: &str| {
        client()
            .request(method, format!("{}{path}", emu.url()))
            .bearer_auth("sk_test")
            .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
    };

    let endpoint: Value = call(reqwest::Method::POST, "/webhook_endpoints")
        .json(&json!({"url": hooks.url("/api"), "name": "ci", "enabledEvents": [], "apiVersion": "2026-02-09"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = endpoint["signingSecret"].as_str().unwrap().to_owned();
    let sub = call(reqwest::Method::POST, "/webhook_subscriptions")
        .json(&json!({"webhookEndpointId": endpoint["id"], "resourceType": "workflow", "resourceId": "workflow_abc", "enabledEvents": ["workflow_run.completed"]}))
        .send()
        .await
        .unwrap();
    let sub_status = sub.status().as_u16();
    let listed: Value = call(reqwest::Method::GET, "/webhook_endpoints")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    call(reqwest::Method::POST, "/workflow_runs")
        .json(&json!({"workflow": {"id": "workflow_other"}, "file": {"url": "https://example.com/a.pdf"}}))
        .send()
        .await
        .unwrap();
    call(reqwest::Method::POST, "/workflow_runs")
        .json(&json!({"workflow": {"id": "workflow_abc"}, "file": {"url": "https://example.com/b.pdf"}}))
        .send()
        .await
        .unwrap();
    let got = hooks.wait("/api", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert!(secret.starts_with("wss_"), "{secret}");
    assert_eq!(sub_status, 200);
    assert!(listed["data"][0].get("signingSecret").is_none());
    assert_eq!(
        hooks.on("/api").len(),
        1,
        "only the subscribed workflow's completion"
    );
    assert!(extend_verifies(&got[0], &secret));
    assert_eq!(got[0].json()["payload"]["workflow"]["id"], "workflow_abc");
    emu.stop().await;
}

#[tokio::test]
async fn extend_processor_runs_and_plans_fail_or_hold_runs_for_review() {
    let hooks = Hooks::ok().await;
    let opts = extend::Options {
        endpoints: vec![extend::CliEndpoint {
            url: hooks.url("/h"),
            secret: Some("wss_s".into()),
            events: None,
        }],
    };
    let emu = start_with(
        Options::Extend(opts),
        0.05,
        "jobs:\n  - when: {kind: processor_run}\n    fail: The processor could not read the document.\n  - when: {workflow: workflow_review}\n    needs_review: true\n",
        None,
    )
    .await;
    let call = |path: &str, body: Value| {
        client()
            .post(format!("{}{path}", emu.url()))
            .bearer_auth("sk_test")
            .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
            .json(&body)
            .send()
    };

    let run: Value = call(
        "/processor_runs",
        json!({"processorId": "dp_Xj8mK2pL9nR4vT7qY5wZ", "file": {"fileUrl": "https://example.com/invoice.pdf", "fileName": "invoice.pdf"}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    call("/workflow_runs", json!({"workflow": {"id": "workflow_review"}, "file": {"url": "https://example.com/c.pdf"}}))
        .await
        .unwrap();
    let got = hooks.wait("/h", 3).await;

    assert_eq!(run["success"], true);
    assert!(
        run["processorRun"]["id"]
            .as_str()
            .unwrap()
            .starts_with("dpr_")
    );
    assert_eq!(run["processorRun"]["status"], "PROCESSING");
    let types: Vec<String> = got
        .iter()
        .map(|g| g.json()["eventType"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        types.contains(&"processor_run.failed".to_owned()),
        "{types:?}"
    );
    assert!(
        types.contains(&"workflow_run.needs_review".to_owned()),
        "{types:?}"
    );
    let failed = got
        .iter()
        .map(Got::json)
        .find(|b| b["eventType"] == "processor_run.failed")
        .unwrap();
    assert_eq!(
        failed["payload"]["failureMessage"],
        "The processor could not read the document."
    );
    emu.stop().await;
}

#[tokio::test]
async fn extend_errors_have_extends_shape() {
    let emu = start(Options::Extend(extend::Options::default()), 1.0).await;
    let url = format!("{}/workflow_runs", emu.url());

    let no_auth = client().post(&url).json(&json!({})).send().await.unwrap();
    let no_version = client()
        .post(&url)
        .bearer_auth("k")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let no_workflow = client()
        .post(&url)
        .bearer_auth("k")
        .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
        .json(&json!({"file": {"url": "https://example.com/a.pdf"}}))
        .send()
        .await
        .unwrap();
    let unknown = client()
        .get(format!("{url}/workflow_run_nope"))
        .bearer_auth("k")
        .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
        .send()
        .await
        .unwrap();

    let call = |method: reqwest::Method, path: &str| {
        client()
            .request(method, format!("{}{path}", emu.url()))
            .bearer_auth("k")
            .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
    };
    let malformed = call(reqwest::Method::POST, "/workflow_runs")
        .header("content-type", "application/json")
        .body(r#"{"workflow": "#)
        .send()
        .await
        .unwrap();
    let bad_file_url = call(reqwest::Method::POST, "/workflow_runs")
        .json(&json!({"workflow": {"id": "workflow_abc"}, "file": {"url": "invoice.pdf"}}))
        .send()
        .await
        .unwrap();
    let bad_processor_file = call(reqwest::Method::POST, "/processor_runs")
        .json(&json!({"processorId": "dp_1", "file": {"fileUrl": "ftp://example.com/a.pdf"}}))
        .send()
        .await
        .unwrap();
    let bad_endpoint = call(reqwest::Method::POST, "/webhook_endpoints")
        .json(&json!({"url": "example.com/hooks", "name": "ci", "enabledEvents": [], "apiVersion": "2026-02-09"}))
        .send()
        .await
        .unwrap();
    let endpoint: Value = call(reqwest::Method::POST, "/webhook_endpoints")
        .json(&json!({"url": "https://example.com/hooks", "name": "ci", "enabledEvents": [], "apiVersion": "2026-02-09"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bad_update = call(
        reqwest::Method::POST,
        &format!("/webhook_endpoints/{}", endpoint["id"].as_str().unwrap()),
    )
    .json(&json!({"url": "not a url"}))
    .send()
    .await
    .unwrap();
    let unknown_processor_run = call(reqwest::Method::GET, "/processor_runs/dpr_nope")
        .send()
        .await
        .unwrap();

    for (r, status, code) in [
        (malformed, 400, "INVALID_REQUEST"),
        (bad_file_url, 400, "INVALID_REQUEST"),
        (bad_processor_file, 400, "INVALID_REQUEST"),
        (bad_endpoint, 400, "INVALID_REQUEST"),
        (bad_update, 400, "INVALID_REQUEST"),
        (unknown_processor_run, 404, "NOT_FOUND"),
        (no_auth, 401, "UNAUTHORIZED"),
        (no_version, 400, "INVALID_REQUEST"),
        (no_workflow, 400, "INVALID_REQUEST"),
        (unknown, 404, "NOT_FOUND"),
    ] {
        assert_eq!(r.status().as_u16(), status);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], code);
        assert_eq!(v["retryable"], false);
        assert!(v["requestId"].as_str().unwrap().starts_with("req_"));
        assert!(v["message"].is_string());
    }
    emu.stop().await;
}

#[tokio::test]
async fn extend_retries_a_503_five_times_and_every_attempt_verifies() {
    let hooks = Hooks::scripted(|_, _| Reply::Status(503)).await;
    let opts = extend::Options {
        endpoints: vec![extend::CliEndpoint {
            url: hooks.url("/h"),
            secret: Some("wss_retry".into()),
            events: Some(vec!["processor_run.processed".into()]),
        }],
    };
    // The extend profile's 1, 2, 4, 8 s at 1/20: 50, 100, 200, 400 ms.
    let emu = start(Options::Extend(opts), 0.05).await;

    client()
        .post(format!("{}/processor_runs", emu.url()))
        .bearer_auth("k")
        .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
        .json(&json!({"processorId": "dp_1", "rawText": "Invoice 42, total 10.00"}))
        .send()
        .await
        .unwrap();
    let got = hooks.wait("/h", 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(hooks.on("/h").len(), 5);
    assert!(got.iter().all(|g| extend_verifies(g, "wss_retry")));
    assert!(
        got.iter().all(|g| g.body == got[0].body),
        "one event, resent"
    );
    let gaps: Vec<u64> = got
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_millis() as u64)
        .collect();
    for (gap, want) in gaps.iter().zip([50u64, 100, 200, 400]) {
        assert!(*gap >= want - 5 && *gap <= want + 250, "{gaps:?}");
    }
    emu.stop().await;
}

#[tokio::test]
async fn llamacloud_retries_a_503_three_times_and_lists_it_as_the_journal_writes_it() {
    let hooks = Hooks::scripted(|_, _| Reply::Status(503)).await;
    let dir = Scratch::new();
    let journal = dir.path().join("lc.jsonl");
    // LlamaCloud's 1 s and 2 s at 1/10: 100 ms and 200 ms.
    let emu = start_with(Options::LlamaCloud, 0.1, "", Some(&journal)).await;

    let job: Value = client()
        .post(format!("{}/api/v2/parse", emu.url()))
        .bearer_auth("k")
        .json(&json!({"tier": "fast", "version": "latest", "source_url": "https://example.com/a.pdf",
            "webhook_configurations": [{"webhook_url": hooks.url("/lc"), "webhook_events": ["parse.success"],
                "webhook_output_format": "json", "webhook_signing_secret": "lc_s"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got = hooks.wait("/lc", 3).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let listing: Value = client()
        .get(format!(
            "{}/_hookrig/deliveries?job={}",
            emu.url(),
            job["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines: Vec<Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    assert_eq!(hooks.on("/lc").len(), 3);
    assert!(got.iter().all(|g| llamacloud_verifies(g, "lc_s")));
    let gap1 = (got[1].at - got[0].at).as_millis() as u64;
    let gap2 = (got[2].at - got[1].at).as_millis() as u64;
    assert!((95..=350).contains(&gap1), "{gap1}");
    assert!((195..=450).contains(&gap2), "{gap2}");
    let d = &listing[0];
    assert_eq!(listing.as_array().unwrap().len(), 1);
    assert_eq!(d["event_type"], "parse.success");
    assert_eq!(d["url"], hooks.url("/lc"));
    assert_eq!(d["outcome"], "exhausted");
    // Each listed attempt is the journal's attempt line without the line's own head.
    let attempts: Vec<Value> = lines
        .iter()
        .filter(|l| l["kind"] == "attempt")
        .map(|l| {
            let mut l = l.clone();
            let o = l.as_object_mut().unwrap();
            for k in [
                "kind",
                "scenario",
                "file",
                "delivery",
                "event_type",
                "job",
                "url",
            ] {
                o.remove(k);
            }
            l
        })
        .collect();
    assert_eq!(d["attempts"], Value::Array(attempts));
    let end = lines.last().unwrap();
    assert_eq!(
        (
            end["kind"].clone(),
            end["outcome"].clone(),
            end["attempts"].clone()
        ),
        (json!("delivery"), json!("exhausted"), json!(3))
    );
    emu.stop().await;
}

// ---------------------------------------------------------------------------------------
// Every emulator

#[tokio::test]
async fn the_same_seed_and_requests_give_the_same_ids_and_results() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let emu = start(Options::Crawl4ai(crawl4ai::Options::default()), 0.02).await;
        let mut ids = Vec::new();
        for _ in 0..2 {
            let v: Value = client()
                .post(format!("{}/crawl/job", emu.url()))
                .json(&json!({"urls": ["https://example.com", "https://example.org/x"]}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            ids.push(v["task_id"].as_str().unwrap().to_owned());
        }
        let mut results = Vec::new();
        for id in &ids {
            let v = poll_until(&format!("{}/crawl/job/{id}", emu.url()), &[], |v| {
                v["status"] == "completed"
            })
            .await;
            let mut r = v["result"].clone();
            r["server_processing_time_s"] = Value::Null;
            results.push(r);
        }
        runs.push((ids, results));
        emu.stop().await;
    }
    assert_eq!(runs[0], runs[1]);
}

#[tokio::test]
async fn the_health_route_answers_and_unknown_routes_get_the_providers_404() {
    for (options, path, body) in [
        (
            Options::Crawl4ai(crawl4ai::Options::default()),
            "/nope",
            r#"{"detail":"Not Found"}"#,
        ),
        (
            Options::LlamaCloud,
            "/api/v9/nope",
            r#"{"detail":"Not Found"}"#,
        ),
    ] {
        let provider = options.provider();
        let emu = start(options, 1.0).await;
        let health: Value = client()
            .get(format!("{}/_hookrig/health", emu.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let nope = body_text(
            client()
                .get(format!("{}{path}", emu.url()))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(health["provider"], provider.name());
        assert_eq!(nope, (404, body.to_owned()));
        emu.stop().await;
    }
    assert_eq!(Provider::parse("extend"), Ok(Provider::Extend));
}

#[tokio::test]
async fn garbage_on_every_route_gets_an_answer_and_the_emulator_keeps_serving() {
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    // As deep as the emulators read (their limit): it comes back in 422 inputs, whole.
    let deepest = format!(
        r#"{{"urls": {}{}, "url": 1, "file_input": 2, "workflow": {{"id": 3}}}}"#,
        "[".repeat(126),
        "]".repeat(126)
    );
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        br#"{"urls": 5, "url": [], "webhook_config": 3, "workflow": "x", "file": 1, "tier": null, "webhook_configurations": [1, {"webhook_url": 2}]}"#.to_vec(),
        nested.into_bytes(),
        deepest.into_bytes(),
    ];
    let routes: &[(Options, &[&str])] = &[
        (
            Options::Crawl4ai(crawl4ai::Options::default()),
            &["/crawl/job", "/llm/job", "/crawl/job/x"],
        ),
        (
            Options::PerfectParser(perfectparser::Options::default()),
            &[
                "/v1/webhooks",
                "/v1/webhooks/x/test",
                "/v1/extractions",
                "/v1/extractions/x/documents/y",
            ],
        ),
        (
            Options::LlamaCloud,
            &[
                "/api/v2/parse",
                "/api/v2/parse/upload",
                "/api/v2/extract",
                "/api/v2/classify",
                "/api/v1/beta/files",
            ],
        ),
        (
            Options::Extend(extend::Options::default()),
            &[
                "/workflow_runs",
                "/processor_runs",
                "/webhook_endpoints",
                "/webhook_subscriptions",
                "/webhook_endpoints/x",
            ],
        ),
    ];
    let c = client();
    for (options, paths) in routes {
        let emu = start(options.clone(), 0.01).await;
        for path in *paths {
            for body in &bodies {
                for ct in [
                    "application/json",
                    "multipart/form-data; boundary=zz",
                    "text/plain",
                ] {
                    let r = c
                        .post(format!("{}{path}", emu.url()))
                        .header("content-type", ct)
                        .header("x-api-key", "k")
                        .header("x-extend-api-version", "2026-02-09")
                        .bearer_auth("k")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{path} with {ct}: no answer ({e})"));
                    assert!(
                        r.status().as_u16() < 500,
                        "{path} with {ct}: {}",
                        r.status()
                    );
                }
            }
        }
        let deep_plan = format!("jobs: {}{}", "[".repeat(5000), "]".repeat(5000));
        let plan = c
            .post(format!("{}/_hookrig/plan", emu.url()))
            .body(deep_plan)
            .send()
            .await
            .unwrap();
        assert_eq!(plan.status().as_u16(), 400);
        let health = c
            .get(format!("{}/_hookrig/health", emu.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status().as_u16(), 200);
        emu.stop().await;
    }
}

#[test]
fn hookrig_emulate_serves_until_sigterm_and_tells_what_it_delivered() {
    let (child, first, addr, out) =
        crate::utils::spawn_serving(&["emulate", "llamacloud", "--listen", "127.0.0.1:0"]);

    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(
        &mut s,
        b"GET /_hookrig/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let (killed, rest, exit) = crate::utils::stop_serving(child, out, "TERM");

    assert!(killed);
    assert!(
        first.starts_with("hookrig emulate llamacloud: listening on http://127.0.0.1:"),
        "{first}"
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""provider":"llamacloud""#), "{answer}");
    assert_eq!(
        rest,
        "hookrig emulate llamacloud: stopped; 0 webhook deliveries\n"
    );
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn hookrig_emulate_refuses_a_bad_plan_with_its_line_and_exit_2() {
    let dir = Scratch::new();
    let plan = dir.file(
        "plan.yaml",
        "jobs:\n  - when: {kind: crawll}\n    after: 2s\n",
    );
    let out = crate::utils::hookrig(["emulate", "crawl4ai", "--plan", plan.to_str().unwrap()]);
    assert_eq!(out.status, hookrig::ExitStatus::BadInput);
    assert!(out.stderr.contains("plan.yaml:2:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean `crawl`"),
        "{}",
        out.stderr
    );
}

#[test]
fn hookrig_emulate_refuses_an_address_it_cannot_listen_on_with_exit_2() {
    let out = crate::utils::hookrig(["emulate", "extend", "--listen", "nowhere:port"]);

    assert_eq!(out.status, hookrig::ExitStatus::BadInput);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(out.stderr.contains("nowhere:port"), "{}", out.stderr);
}

/// What is wrong with each received webhook by its profile's schema for the event it
/// names: `profile` picks the profile (and API version) a request is checked against.
fn schema_problems(
    got: &[Got],
    profile: impl Fn(&str) -> hookrig::profile::Profile,
) -> Vec<String> {
    let mut problems = Vec::new();
    for g in got {
        let headers: Vec<hookrig::record::Header> = g
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().into(), v.to_str().unwrap_or_default().into()))
            .collect();
        let probe = profile("");
        let Some(event) = probe.event_type_of_request(&headers, &g.body) else {
            problems.push(format!(
                "{}: no event type in {}",
                g.path,
                String::from_utf8_lossy(&g.body)
            ));
            continue;
        };
        let p = profile(&event);
        let Some(schema) = p.body_schema(&event) else {
            problems.push(format!("{}: {} has no schema for {event}", g.path, p.name));
            continue;
        };
        let body = p.decode_body(&g.body).unwrap();
        let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
        for e in validator.iter_errors(&body) {
            problems.push(format!("{} {event}: {}: {e}", g.path, e.instance_path()));
        }
    }
    problems
}

#[tokio::test]
async fn every_webhook_the_emulators_send_satisfies_its_profiles_event_schema() {
    let builtin = |name: &str| hookrig::profile::builtin(name).unwrap();
    let mut problems = Vec::new();

    // crawl4ai: a crawl and an LLM job that complete, and two that fail.
    let hooks = Hooks::ok().await;
    let emu = start_with(
        Options::Crawl4ai(crawl4ai::Options::default()),
        0.02,
        "jobs:\n  - when: {nth: 2}\n    fail: true\n  - when: {nth: 4}\n    fail: true\n",
        None,
    )
    .await;
    for (route, body) in [
        (
            "/crawl/job",
            json!({"urls": ["https://example.com", "https://example.org/a"]}),
        ),
        ("/crawl/job", json!({"urls": ["https://example.com"]})),
        (
            "/llm/job",
            json!({"url": "https://example.com/article", "q": "Extract the title"}),
        ),
        (
            "/llm/job",
            json!({"url": "https://example.com/article", "q": "Extract the title"}),
        ),
    ] {
        let mut body = body;
        body["webhook_config"] =
            json!({"webhook_url": hooks.url("/c4"), "webhook_data_in_payload": true});
        client()
            .post(format!("{}{route}", emu.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    problems.extend(schema_problems(&hooks.wait("/c4", 4).await, |_| {
        builtin("crawl4ai")
    }));
    emu.stop().await;

    // perfectparser: a batch with a failed document, one that fails whole, a test send.
    let hooks = Hooks::ok().await;
    let emu = start_with(
        Options::PerfectParser(perfectparser::Options {
            dashboard: vec![perfectparser::DashboardHook {
                url: hooks.url("/pp"),
                secret: None,
            }],
        }),
        0.02,
        "jobs:\n  - when: {nth: 1}\n    fail_documents: [2]\n  - when: {nth: 2}\n    fail: true\n",
        None,
    )
    .await;
    let hook = pp_webhook(
        &emu,
        &hooks.url("/pp"),
        &["extraction.document_completed", "extraction.job_completed"],
        Some("static-secret"),
    )
    .await;
    for files in [
        &[("a.pdf", &b"%PDF-1.4"[..]), ("b.pdf", &b"%PDF-1.4"[..])][..],
        &[("c.pdf", &b"%PDF-1.4"[..])][..],
    ] {
        let (ct, body) = multipart_body("prs_1", files);
        client()
            .post(format!("{}/v1/extractions", emu.url()))
            .header(PP_KEY.0, PP_KEY.1)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
    }
    client()
        .post(format!(
            "{}/v1/webhooks/{}/test",
            emu.url(),
            hook["webhook"]["webhook_id"].as_str().unwrap()
        ))
        .header(PP_KEY.0, PP_KEY.1)
        .send()
        .await
        .unwrap();
    // 3 documents, 2 batches, 2 dashboard batch events, 1 test.
    problems.extend(schema_problems(&hooks.wait("/pp", 8).await, |_| {
        builtin("perfectparser")
    }));
    emu.stop().await;

    // llamacloud: parse (both formats), extract and classify, one of them failing.
    let hooks = Hooks::ok().await;
    let emu = start_with(
        Options::LlamaCloud,
        0.02,
        "jobs:\n  - when: {kind: extract}\n    fail: true\n",
        None,
    )
    .await;
    let configs = json!([
        {"webhook_url": hooks.url("/lc"), "webhook_output_format": "json"},
        {"webhook_url": hooks.url("/lc")}
    ]);
    for (route, body) in [
        (
            "/api/v2/parse",
            json!({"tier": "fast", "version": "latest", "source_url": "https://example.com/a.pdf"}),
        ),
        (
            "/api/v2/extract",
            json!({"file_input": "f", "configuration": {"data_schema": {"type": "object", "properties": {"total": {"type": "number"}}}}}),
        ),
        (
            "/api/v2/classify",
            json!({"file_input": "f", "configuration": {"rules": [{"type": "invoice", "description": "An invoice"}]}}),
        ),
    ] {
        let mut body = body;
        body["webhook_configurations"] = configs.clone();
        client()
            .post(format!("{}{route}", emu.url()))
            .bearer_auth("k")
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    // parse 3 + extract 2 + classify 3 events, to two configurations each.
    problems.extend(schema_problems(&hooks.wait("/lc", 16).await, |_| {
        builtin("llamacloud")
    }));
    emu.stop().await;

    // extend: workflow runs that complete, fail and wait for review; processor runs that
    // complete and fail.
    let hooks = Hooks::ok().await;
    let emu = start_with(
        Options::Extend(extend::Options {
            endpoints: vec![extend::CliEndpoint {
                url: hooks.url("/ex"),
                secret: Some("wss_s".into()),
                events: None,
            }],
        }),
        0.02,
        "jobs:\n  - when: {nth: 2}\n    fail: true\n  - when: {nth: 3}\n    needs_review: true\n  - when: {nth: 5}\n    fail: true\n",
        None,
    )
    .await;
    for n in 0..5 {
        let (route, body) = if n < 3 {
            (
                "/workflow_runs",
                json!({"workflow": {"id": "workflow_abc"}, "file": {"url": "https://example.com/a.pdf"}}),
            )
        } else {
            (
                "/processor_runs",
                json!({"processorId": "dp_1", "file": {"fileUrl": "https://example.com/a.pdf"}}),
            )
        };
        client()
            .post(format!("{}{route}", emu.url()))
            .bearer_auth("k")
            .header(EXTEND_VERSION.0, EXTEND_VERSION.1)
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    // Workflow runs: a step and an end each (the failed run has no step) ; processor
    // runs: one each.
    let got = hooks.wait("/ex", 7).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = if hooks.on("/ex").len() > got.len() {
        hooks.on("/ex")
    } else {
        got
    };
    problems.extend(schema_problems(&got, |event| {
        let p = builtin("extend");
        if event.starts_with("workflow_run") {
            p.with_api_version("2026-02-09").unwrap()
        } else {
            p
        }
    }));
    emu.stop().await;

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
