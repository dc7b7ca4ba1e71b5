//! A Standard Webhooks receiver, written as a user would write one: axum, the signature
//! checked with the `standard-webhooks` profile's scheme over the raw body *before* the JSON is
//! parsed, duplicates answered 200 without being handled twice, unknown event types
//! answered 200 and ignored, a 10 MiB body limit.
//!
//! ```sh
//! WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw cargo run --example receiver_standard_webhooks -- 8080
//! hookrig conform --profile standard-webhooks --url http://127.0.0.1:8080/webhooks \
//!     --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
//! ```

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hookrig::clock::{Clock, SystemClock};
use hookrig::signing::{Header, Verdict};
use serde_json::Value;

#[derive(Clone)]
struct Receiver {
    secrets: Vec<String>,
    seen: Arc<Mutex<HashSet<String>>>,
}

/// The receiver: `POST /webhooks`, verifying with `secret` (`whsec_…`).
pub fn app(secret: &str) -> Router {
    let state = Receiver {
        secrets: vec![secret.to_owned()],
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
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(id), Some(timestamp), Some(signature)) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    ) else {
        return StatusCode::BAD_REQUEST;
    };
    // The raw bytes, exactly as received; the timestamp within 5 minutes of now.
    let _ = (timestamp, signature);
    let verdict = hookrig::profile::builtin("standard-webhooks")
        .expect("a built-in profile")
        .scheme
        .verify(&r.secrets, &pairs(&headers), &body, SystemClock.now());
    if verdict != Verdict::Valid {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if !r.seen.lock().expect("not poisoned").insert(id.to_owned()) {
        return StatusCode::OK; // a redelivery: already handled
    }
    // Event types not handled here are acknowledged (2xx) and ignored.
    if let Some("user.created" | "invoice.paid") = event["type"].as_str() {
        // Hand the event to a queue here and answer at once.
    }
    StatusCode::NO_CONTENT
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    let port = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PORT").ok())
        .unwrap_or_else(|| "8080".into());
    let Ok(secret) = std::env::var("WEBHOOK_SECRET") else {
        eprintln!("set WEBHOOK_SECRET to the endpoint's signing secret (whsec_…)");
        std::process::exit(2);
    };
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind 127.0.0.1");
    eprintln!(
        "listening on http://{}/webhooks",
        listener.local_addr().expect("bound")
    );
    axum::serve(listener, app(&secret)).await.expect("serve");
}
