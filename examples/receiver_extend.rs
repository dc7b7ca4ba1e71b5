//! An Extend receiver, written as a user would write one: axum, the signature over
//! `v0:{timestamp}:{raw body}` checked with the `extend` profile's scheme (`profile::builtin("extend")?.scheme.verify`) (which also
//! refuses timestamps older than 300 s or more than 60 s ahead) before the JSON is parsed,
//! duplicates (same `eventId`) answered 200 once handled, unknown event types ignored.
//!
//! ```sh
//! WEBHOOK_SECRET=wss_example cargo run --example receiver_extend -- 8080
//! hookrig conform --profile extend --url http://127.0.0.1:8080/webhooks --secret wss_example
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
    hookrig::profile::builtin("extend")
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
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(event_id) = event["eventId"].as_str() else {
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
    if let Some("workflow_run.completed" | "workflow_run.failed") = event["eventType"].as_str() {
        // Queue the run for processing here and answer at once.
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
        eprintln!("set WEBHOOK_SECRET to the endpoint's signing secret");
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
