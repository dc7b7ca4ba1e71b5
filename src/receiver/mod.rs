//! The mock receiver: an axum [`Router`] factory with a fault plan and a recorder.
//!
//! [`app`] builds the router; every request, on any path and method, goes to one handler
//! that records it (headers, raw body, arrival time on the tokio clock), picks the
//! delivery's next step from the [`FaultPlan`](faults::FaultPlan) and answers. The same
//! router serves the in-process transport of sim mode (through `tower::ServiceExt::oneshot`)
//! and a real socket in live mode. `faults.rs` holds the plan; this file the handler and
//! the recorder.
//!
//! Which delivery a request belongs to comes from a [`DeliveryTag`] request extension that
//! the in-process transport sets (extensions never reach the wire, so the header set stays
//! the provider's); without one (a real socket) the request path is the key.

pub mod faults;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc::UnboundedSender;

use crate::engine::{EngineEvent, RequestRecord};
use faults::{Action, FaultPlan};

/// Bodies over this size get 413 (10 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// Identifies the attempt a request belongs to (set by the in-process transport).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryTag {
    /// The delivery's index in its scenario.
    pub delivery: usize,
    /// The delivery's event type (for `when:` steps).
    pub event_type: String,
    /// 1-based attempt number.
    pub attempt: u32,
    /// 0 for the attempt's first request, 1… for redirect hops.
    pub hop: u32,
}

/// Marks a response that stands for a dropped connection: the in-process transport turns
/// it into a connection error.
#[derive(Debug, Clone, Copy)]
pub struct Dropped;

/// What the receiver answered one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP answer.
    Status(u16),
    /// Never answered.
    Hang,
    /// Connection closed.
    Drop,
    /// Body over the limit.
    TooLarge,
}

/// The receiver's shared state.
#[derive(Debug)]
pub struct Receiver {
    plan: FaultPlan,
    counters: Mutex<HashMap<String, usize>>,
    start: tokio::time::Instant,
    body_limit: usize,
    events: Option<UnboundedSender<EngineEvent>>,
    scenario: usize,
}

impl Receiver {
    /// A receiver answering by `plan`, its clock starting now.
    pub fn new(plan: FaultPlan) -> Self {
        Self {
            plan,
            counters: Mutex::new(HashMap::new()),
            start: tokio::time::Instant::now(),
            body_limit: DEFAULT_BODY_LIMIT,
            events: None,
            scenario: 0,
        }
    }

    /// Reports every request as an [`EngineEvent::RequestReceived`] of `scenario`.
    pub fn with_events(mut self, scenario: usize, events: UnboundedSender<EngineEvent>) -> Self {
        self.scenario = scenario;
        self.events = Some(events);
        self
    }

    /// Bodies over `limit` bytes get 413.
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// The router serving this receiver.
    pub fn into_app(self) -> Router {
        app(Arc::new(self))
    }

    fn next_action(&self, key: &str, event_type: Option<&str>) -> Action {
        let index = {
            let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            let c = counters.entry(key.to_owned()).or_insert(0);
            let i = *c;
            *c += 1;
            i
        };
        self.plan.action_for(event_type, index)
    }
}

/// The receiver's router: one handler for every path and method.
pub fn app(state: Arc<Receiver>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

async fn handle(State(rx): State<Arc<Receiver>>, req: Request) -> Response {
    let arrived = rx.start.elapsed();
    let (parts, body) = req.into_parts();
    let tag = parts.extensions.get::<DeliveryTag>().cloned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let path = parts.uri.path().to_owned();
    let (body, too_large) = match axum::body::to_bytes(body, rx.body_limit).await {
        Ok(b) => (b, false),
        Err(_) => (Bytes::new(), true),
    };
    let action = if too_large {
        None
    } else {
        let key = tag
            .as_ref()
            .map_or_else(|| path.clone(), |t| t.delivery.to_string());
        Some(rx.next_action(&key, tag.as_ref().map(|t| t.event_type.as_str())))
    };
    let answer = match &action {
        None => Answer::TooLarge,
        Some(Action::Respond { status, .. }) => Answer::Status(*status),
        Some(Action::Hang) => Answer::Hang,
        Some(Action::Drop) => Answer::Drop,
    };
    if let Some(events) = &rx.events {
        let record = RequestRecord {
            method: parts.method.to_string(),
            path,
            headers,
            body,
        };
        let _ = events.send(EngineEvent::RequestReceived {
            scenario: rx.scenario,
            tag,
            at: arrived,
            request: Arc::new(record),
            answer,
        });
    }
    match action {
        None => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "body over the receiver's limit\n",
        )
            .into_response(),
        Some(Action::Respond {
            status,
            body,
            headers,
            after,
        }) => {
            if !after.is_zero() {
                tokio::time::sleep(after).await;
            }
            respond(status, body, &headers)
        }
        Some(Action::Hang) => std::future::pending().await,
        Some(Action::Drop) => {
            let mut r = Response::new(Body::empty());
            r.extensions_mut().insert(Dropped);
            r
        }
    }
}

fn respond(status: u16, body: String, headers: &[(String, String)]) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            r.headers_mut().append(k, v);
        }
    }
    r
}
