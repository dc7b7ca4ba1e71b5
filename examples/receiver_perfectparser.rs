//! A PerfectParser receiver, written as a user would write one: axum, the static
//! `X-Webhook-Secret` compared in constant time, `X-PerfectParser-Signature` (hex
//! HMAC-SHA256 of the raw body) checked with the `perfectparser` profile's scheme (`scheme.verify`)
//! before the JSON is parsed, duplicates answered 200 once handled (PerfectParser sends
//! no event id, so the key is the event name with its extraction, document and batch
//! ids), unknown event types ignored.
//!
//! ```sh
//! WEBHOOK_SECRET=pp_signing WEBHOOK_STATIC_SECRET=static-123 \
//!     cargo run --example receiver_perfectparser -- 8080
//! hookrig conform --profile perfectparser --url http://127.0.0.1:8080/webhooks \
//!     --secret pp_signing --static-secret static-123
//! ```

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hookrig::clock::{Clock, SystemClock};
use hookrig::signing::{Header, Scheme, Verdict};

/// The provider's signing scheme, read from its built-in profile file.
fn scheme() -> Scheme {
    hookrig::profile::builtin("perfectparser")
        .expect("a built-in profile")
        .scheme
}
use serde_json::Value;
use subtle::ConstantTimeEq;

#[derive(Clone)]
struct Receiver {
    secrets: Vec<String>,
    static_secret: String,
    seen: Arc<Mutex<HashSet<String>>>,
}

/// The receiver: `POST /webhooks`, verifying with the signing `secret` and requiring
/// `static_secret` in `X-Webhook-Secret`.
pub fn app(secret: &str, static_secret: &str) -> Router {
    let state = Receiver {
        secrets: vec![secret.to_owned()],
        static_secret: static_secret.to_owned(),
        seen: Arc::default(),
    };
    Router::new()
        .route("/webhooks", post(webhook))
        .layer(DefaultBodyLimit::max(10 * 1024 * 1024))
        .with_state(state)
}

fn pairs(headers: &HeaderMap) -> Vec<Header> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().into(), v.to_str().ok()?.into())))
        .collect()
}

async fn webhook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get("x-webhook-secret")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(r.static_secret.as_bytes())) {
        return StatusCode::UNAUTHORIZED;
    }
    let verdict = scheme().verify(&r.secrets, &pairs(&headers), &body, SystemClock.now());
    if verdict != Verdict::Valid {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let key = ["event", "extraction_id", "document_id", "batch_id"]
        .map(|k| event[k].as_str().unwrap_or_default())
        .join("/");
    if !r.seen.lock().expect("not poisoned").insert(key) {
        return StatusCode::OK; // a redelivery: already handled
    }
    // Event types not handled here are acknowledged (2xx) and ignored.
    if let Some("extraction.document_completed" | "extraction.job_completed") =
        event["event"].as_str()
    {
        // Queue the extraction for processing here and answer at once.
    }
    StatusCode::OK
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    let port = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PORT").ok())
        .unwrap_or_else(|| "8080".into());
    let (Ok(secret), Ok(static_secret)) = (
        std::env::var("WEBHOOK_SECRET"),
        std::env::var("WEBHOOK_STATIC_SECRET"),
    ) else {
        eprintln!(
            "set WEBHOOK_SECRET (signing secret) and WEBHOOK_STATIC_SECRET (X-Webhook-Secret)"
        );
        std::process::exit(2);
    };
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind 127.0.0.1");
    eprintln!(
        "listening on http://{}/webhooks",
        listener.local_addr().expect("bound")
    );
    axum::serve(listener, app(&secret, &static_secret))
        .await
        .expect("serve");
}
