//! A LlamaCloud receiver, written as a user would write one: axum, `LC-Signature:
//! sha256=<hex>` checked with the `llamacloud` profile's scheme (`scheme.verify`) over the raw body
//! before it is parsed; the body decoded from LlamaCloud's default `string` output format
//! (the JSON event encoded once more as a JSON string); duplicates (same `event_id`)
//! answered 200 once handled; unknown event types ignored.
//!
//! ```sh
//! WEBHOOK_SECRET=lc_example cargo run --example receiver_llamacloud -- 8080
//! hookrig conform --profile llamacloud --url http://127.0.0.1:8080/webhooks --secret lc_example
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
    hookrig::profile::builtin("llamacloud")
        .expect("a built-in profile")
        .scheme
}
use serde_json::Value;

#[derive(Clone)]
struct Receiver {
    secrets: Vec<String>,
    seen: Arc<Mutex<HashSet<String>>>,
}

/// The receiver: `POST /webhooks`, verifying with `secret`.
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
    let verdict = scheme().verify(&r.secrets, &pairs(&headers), &body, SystemClock.now());
    if verdict != Verdict::Valid {
        return StatusCode::UNAUTHORIZED;
    }
    let event = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::String(inner)) => serde_json::from_str::<Value>(&inner),
        other => other,
    };
    let Ok(event) = event else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(event_id) = event["event_id"].as_str() else {
        return StatusCode::BAD_REQUEST;
    };
    if !r
        .seen
        .lock()
        .expect("not poisoned")
        .insert(event_id.to_owned())
    {
        return StatusCode::OK; // a redelivery: already handled
    }
    // Event types not handled here are acknowledged (2xx) and ignored.
    if let Some("parse.success" | "extract.success") = event["event_type"].as_str() {
        // Fetch the job's result through the API from a background task.
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
    let Ok(secret) = std::env::var("WEBHOOK_SECRET") else {
        eprintln!("set WEBHOOK_SECRET to the webhook's signing secret");
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
