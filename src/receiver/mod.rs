//! The mock receiver: an axum [`Router`] factory with a fault plan and a recorder.
//!
//! [`app`] builds the router; every request, on any path and method, goes to one handler
//! that records it (headers, raw body, arrival time on the tokio clock), picks the
//! delivery's next step from the [`FaultPlan`] and answers. The same router serves the
//! in-process transport of sim mode (through `tower::ServiceExt::oneshot`) and a real
//! socket in live mode. A fault below HTTP ([`Fault`]) or a dribbled body ([`Dribble`])
//! travels to whoever serves the router as a response extension: the live server
//! ([`live`]) acts it out on the socket, the in-process transport turns it into what a
//! sender would see. This file holds the handler and its state; `body.rs` takes a
//! request's body up to the limit; `log.rs` is the standalone receiver's request log.
//!
//! Which delivery a request belongs to comes from a [`DeliveryTag`] request extension that
//! the in-process transport sets (in its [`InProcessRequest`]; extensions never reach the
//! wire, so the header set stays the provider's), or that a live run's router sets for
//! every request on a delivery's own port; without one (`hookrig receive`) the request
//! path is the key.

pub mod body;
pub mod group;
pub mod live;
pub mod log;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::events::{EngineEvent, EventSink};
use crate::faults::{Action, Answer, Dribble, Fault, FaultPlan, Route};
use crate::record::{DeliveryTag, HeaderText, InProcessRequest, RequestRecord};
use body::{BodyError, read_body};

/// Bodies over this size get 413 (10 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// The receiver's shared state.
#[derive(Debug)]
pub struct Receiver {
    plan: FaultPlan,
    routes: Vec<Route>,
    log: Option<log::RequestLog>,
    profile: Option<Arc<crate::profile::Profile>>,
    counters: Mutex<HashMap<String, usize>>,
    start: tokio::time::Instant,
    body_limit: usize,
    events: Option<EventSink>,
    scenario: usize,
    grouping: Option<Arc<group::Grouping>>,
    outage: Option<(std::time::Duration, Action)>,
}

impl Receiver {
    /// A receiver answering by `plan`, its clock starting now.
    pub fn new(plan: FaultPlan) -> Self {
        Self {
            plan,
            routes: Vec::new(),
            log: None,
            profile: None,
            counters: Mutex::new(HashMap::new()),
            start: tokio::time::Instant::now(),
            body_limit: DEFAULT_BODY_LIMIT,
            events: None,
            scenario: 0,
            grouping: None,
            outage: None,
        }
    }

    /// An outage: every request that arrives before `until` on the receiver's clock gets
    /// `action` instead of its plan's step (and does not count as one of its delivery's
    /// steps); from `until` on, the plan answers.
    pub fn with_outage(mut self, until: std::time::Duration, action: Action) -> Self {
        self.outage = Some((until, action));
        self
    }

    /// Reports every request as an [`EngineEvent::RequestReceived`] of `scenario`.
    pub fn with_events(mut self, scenario: usize, events: impl Into<EventSink>) -> Self {
        self.scenario = scenario;
        self.events = Some(events.into());
        self
    }

    /// Requests matching a route are answered by its plan (first match wins); the rest by
    /// the receiver's own plan.
    pub fn with_routes(mut self, routes: Vec<Route>) -> Self {
        self.routes = routes;
        self
    }

    /// Logs every request (journal, stdout, `GET /_hookrig/requests`, signature verdicts).
    pub fn with_log(mut self, log: log::RequestLog) -> Self {
        self.log = Some(log);
        self
    }

    /// Reads the event type of untagged requests (a real socket) from their bodies with
    /// this profile's envelope, so `when: {event: …}` steps apply there too.
    pub fn with_profile(mut self, profile: Arc<crate::profile::Profile>) -> Self {
        self.profile = Some(profile);
        self
    }

    /// Untagged requests are grouped into deliveries by the delivery id the grouping's
    /// profile says they carry (a sender hookrig did not write): each gets a tag with its
    /// delivery and attempt number, and its delivery's own step counter.
    pub fn with_grouping(mut self, grouping: Arc<group::Grouping>) -> Self {
        self.grouping = Some(grouping);
        self
    }

    /// Bodies over `limit` bytes get 413.
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// When its clock started: arrival offsets are measured from it.
    pub fn started_at(&self) -> tokio::time::Instant {
        self.start
    }

    /// Requests its log recorded so far (0 without a log).
    pub fn count(&self) -> u64 {
        self.log.as_ref().map_or(0, |l| l.count())
    }

    /// The router serving this receiver.
    pub fn into_app(self) -> Router {
        app(Arc::new(self))
    }

    fn next_action(&self, method: &str, key: &str, event_type: Option<&str>) -> Action {
        let route = self.routes.iter().position(|r| {
            r.path == key
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        });
        let key = match route {
            Some(i) => format!("{i} {key}"),
            None => key.to_owned(),
        };
        let plan = route.map_or(&self.plan, |i| &self.routes[i].plan);
        let index = {
            let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            let c = counters.entry(key).or_insert(0);
            let i = *c;
            *c += 1;
            i
        };
        plan.action_for(event_type, index)
    }
}

/// The receiver's router: one handler for every path and method.
///
/// The routes are built once per process and each receiver's router is a clone of them
/// given its state (axum clones the route table and binds the handler to the state); a
/// replay makes one router per scenario, and building the route table anew cost about four
/// times the clone.
pub fn app(state: Arc<Receiver>) -> Router {
    static ROUTES: std::sync::OnceLock<Router<Arc<Receiver>>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(routes).clone().with_state(state)
}

/// The receiver's route table, before it is given a receiver.
fn routes() -> Router<Arc<Receiver>> {
    Router::new().fallback(Handle)
}

/// The router's handler ([`handle`]) as axum calls it: given the request and the receiver
/// whole. A function handler taking `State` and `Request` is called through axum's
/// extractor wrapper, which splits the request, takes the state from its parts, puts it
/// back together and boxes a future holding the parts, the body and the handler's own
/// future, made on its first poll; this one boxes only [`handle`]'s future, made when
/// called (in the same poll of the router's future, so at the same instant).
#[derive(Debug, Clone, Copy)]
struct Handle;

impl axum::handler::Handler<(), Arc<Receiver>> for Handle {
    type Future = std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, req: Request, rx: Arc<Receiver>) -> Self::Future {
        Box::pin(handle(rx, req))
    }
}

/// The path that lists what arrived (`GET`), when the receiver keeps a log.
pub const REQUESTS_PATH: &str = "/_hookrig/requests";

/// Answers a request. Not an `async fn`: what the request brings is taken from it before
/// the future is made, which then holds only what it uses after the body is read (an
/// `async fn` would hold the whole request beside its parts, and axum boxes the future,
/// copying it at its full size, on every request).
fn handle(rx: Arc<Receiver>, req: Request) -> impl Future<Output = Response> + Send {
    let arrived = rx.start.elapsed();
    let (mut parts, body) = req.into_parts();
    let listing = rx.log.is_some()
        && parts.method == axum::http::Method::GET
        && parts.uri.path() == REQUESTS_PATH;
    // An in-process request brings its tag and its header list made already (the same
    // list its `HeaderMap` would give); a request from a socket has its `HeaderMap`
    // converted, and in a live run its tag comes from the delivery's port and names no
    // attempt (0): the reducer takes the latest one the sender started.
    let (tag, headers) = match parts.extensions.remove::<InProcessRequest>() {
        Some(InProcessRequest { tag, headers }) => {
            // Nothing else is read from an in-process request's extensions: the map goes
            // back (emptied) for the thread's next in-process request.
            crate::record::hand_back_extensions(std::mem::take(&mut parts.extensions));
            (Some(tag), headers)
        }
        None => (
            parts.extensions.remove::<DeliveryTag>(),
            parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        HeaderText::from(k.as_str()),
                        HeaderText::from(String::from_utf8_lossy(v.as_bytes())),
                    )
                })
                .collect::<Vec<_>>(),
        ),
    };
    // The path and method as texts kept inline (a path up to 23 bytes, a method: no
    // allocation), where they were two strings per request.
    let path = HeaderText::new(parts.uri.path());
    // A POST's method (a webhook's) the program's own text, another copied inline.
    let method = if parts.method == axum::http::Method::POST {
        HeaderText::new_static("POST")
    } else {
        HeaderText::new(parts.method.as_str())
    };
    drop(parts);
    answer(rx, arrived, listing, tag, headers, path, method, body)
}

/// [`handle`]'s answer, from what it took from the request. Not an `async fn`: the block
/// uses what it owns in place (an `async fn` keeps its arguments and their moved copies
/// side by side).
#[allow(clippy::too_many_arguments, clippy::manual_async_fn)]
fn answer(
    rx: Arc<Receiver>,
    arrived: std::time::Duration,
    listing: bool,
    mut tag: Option<DeliveryTag>,
    headers: Vec<crate::record::Header>,
    path: HeaderText,
    method: HeaderText,
    body: Body,
) -> impl Future<Output = Response> + Send {
    async move {
        if listing && let Some(log) = &rx.log {
            return (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                log.listing(),
            )
                .into_response();
        }
        let (body, size, refused) = match read_body(body, rx.body_limit).await {
            Ok(b) => {
                let size = b.len() as u64;
                (b, size, None)
            }
            // The sender left mid-body: nobody to answer, nothing whole to record.
            Err(BodyError::Cut) => return StatusCode::BAD_REQUEST.into_response(),
            Err(e @ BodyError::TooLarge(size)) => (Bytes::new(), size, Some(e)),
            Err(e @ BodyError::Malformed(size)) => (Bytes::new(), size, Some(e)),
        };
        if tag.is_none()
            && let Some(g) = &rx.grouping
        {
            tag = Some(g.tag(&headers, &body));
        }
        // The receiver's own action where it answers every request alike (borrowed, not
        // copied per request), else the one its plan gives this request.
        let action: Option<Cow<'_, Action>> = if refused.is_some() {
            None
        } else if let Some((until, action)) = &rx.outage
            && arrived < *until
        {
            Some(Cow::Borrowed(action))
        } else if let ([only], true) = (rx.plan.steps(), rx.routes.is_empty())
            && only.when_event.is_none()
        {
            // One step for every request answers them all the same: no counter to keep (and
            // no lock to take).
            Some(Cow::Borrowed(&only.action))
        } else {
            let key = tag
                .as_ref()
                .map_or_else(|| path.to_string(), |t| t.delivery.to_string());
            let event_type: Option<Cow<'_, str>> = match &tag {
                Some(t) if !t.event_type.is_empty() => Some(Cow::Borrowed(&t.event_type)),
                _ => rx
                    .profile
                    .as_ref()
                    .and_then(|p| p.event_type_of_request(&headers, &body))
                    .map(Cow::Owned),
            };
            Some(Cow::Owned(rx.next_action(
                &method,
                &key,
                event_type.as_deref(),
            )))
        };
        let answer = match &action {
            None if matches!(refused, Some(BodyError::Malformed(_))) => Answer::Status(400),
            None => Answer::TooLarge,
            Some(a) => a.answer(),
        };
        let record = Arc::new(RequestRecord {
            method,
            path,
            headers,
            body,
        });
        if let Some(log) = &rx.log {
            log.record(&record, &answer, size);
        }
        if let Some(events) = &rx.events {
            events.send(EngineEvent::RequestReceived {
                scenario: rx.scenario,
                tag,
                at: arrived,
                request: record,
                answer,
            });
        }
        match action.as_deref() {
            None if matches!(refused, Some(BodyError::Malformed(_))) => {
                (StatusCode::BAD_REQUEST, "malformed request body\n").into_response()
            }
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
                dribble,
            }) => {
                if !after.is_zero() {
                    tokio::time::sleep(*after).await;
                }
                let mut r = respond(*status, body, headers);
                if let Some(d) = dribble {
                    r.extensions_mut().insert::<Dribble>(*d);
                }
                r
            }
            Some(Action::Fault(Fault::Hang)) => std::future::pending().await,
            Some(Action::Fault(f)) => {
                let mut r = Response::new(Body::empty());
                r.extensions_mut().insert(*f);
                r
            }
        }
    }
}

fn respond(status: u16, body: &str, headers: &[(String, String)]) -> Response {
    // Copied from the plan only here. An empty body (most planned answers) is `Body`'s
    // own empty one, which allocates nothing (a body made from a text is boxed, even an
    // empty one); both tell the router their length is exactly 0, so the answer's
    // `content-length` and bytes are the same.
    let body = if body.is_empty() {
        Body::empty()
    } else {
        Body::from(body.to_owned())
    };
    let mut r = Response::new(body);
    // The header map an in-process transport handed back after reading this thread's last
    // answer (allocated already), empty: the router adds `content-length` to every answer.
    *r.headers_mut() = crate::record::reused_header_map();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::Step;
    use crate::sender::{Transport, WireRequest};

    #[tokio::test]
    async fn an_in_process_request_is_recorded_with_its_tag_and_exactly_the_headers_and_body_sent()
    {
        // Arrange
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let plan = FaultPlan::new(vec![Step {
            when_event: None,
            action: Action::status(503),
        }]);
        let transport = Transport::InProcess(Receiver::new(plan).with_events(3, tx).into_app());
        let sent: Vec<crate::record::Header> = [
            ("Content-Type", "application/json"),
            ("Webhook-Id", "msg_1"),
            ("X-Two", "a"),
            ("webhook-timestamp", "1735689600"),
            ("x-two", "b"),
        ]
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
        let body = Bytes::from_static(b"{\"a\":1}");
        let tag = DeliveryTag {
            delivery: 2,
            event_type: "user.created".into(),
            attempt: 4,
            hop: 1,
        };

        // Act
        let answer = transport
            .send(WireRequest {
                url: "/hooks".into(),
                headers: &sent,
                body: body.clone(),
                tag: tag.clone(),
            })
            .await
            .unwrap();

        // Assert
        assert_eq!(answer.status, 503);
        let Some(EngineEvent::RequestReceived {
            scenario,
            tag: got,
            request,
            ..
        }) = rx.recv().await
        else {
            panic!("no request event");
        };
        assert_eq!(scenario, 3);
        assert_eq!(got, Some(tag));
        let recorded: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            recorded,
            [
                ("content-type", "application/json"),
                ("webhook-id", "msg_1"),
                ("x-two", "a"),
                ("x-two", "b"),
                ("webhook-timestamp", "1735689600"),
                ("accept", "*/*"),
                ("host", "hookrig.sim"),
                ("content-length", "7"),
            ]
        );
        assert_eq!(request.body, body);
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/hooks")
        );
    }

    #[tokio::test]
    async fn a_requests_method_and_short_path_and_its_answers_short_headers_are_kept_without_an_allocation_and_a_long_path_whole()
     {
        // Arrange: a receiver answering 503 with a `Retry-After`; one request to a short
        // path, one to a path longer than 23 bytes.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let plan = FaultPlan::new(vec![Step {
            when_event: None,
            action: Action::Respond {
                status: 503,
                body: String::new(),
                headers: vec![("Retry-After".into(), "120".into())],
                after: std::time::Duration::ZERO,
                dribble: None,
            },
        }]);
        let transport = Transport::InProcess(Receiver::new(plan).with_events(0, tx).into_app());
        let long_path = "/hooks/a-path-longer-than-23-bytes";
        for path in ["/webhook", long_path] {
            let tag = DeliveryTag {
                delivery: 0,
                event_type: "invoice.payment_failed".into(),
                attempt: 1,
                hop: 0,
            };

            // Act
            let answer = transport
                .send(WireRequest {
                    url: path.into(),
                    headers: &[],
                    body: Bytes::new(),
                    tag,
                })
                .await
                .unwrap();

            // Assert
            let Some(EngineEvent::RequestReceived { request, .. }) = rx.recv().await else {
                panic!("no request event");
            };
            assert_eq!(
                (request.method.as_str(), request.path.as_str()),
                ("POST", path)
            );
            assert!(!request.method.is_heap_allocated());
            assert_eq!(request.path.is_heap_allocated(), path.len() > 23);
            let got: Vec<(&str, &str)> = answer
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(got, [("retry-after", "120"), ("content-length", "0")]);
            assert!(
                answer
                    .headers
                    .iter()
                    .all(|(k, v)| !k.is_heap_allocated() && !v.is_heap_allocated())
            );
        }
    }

    #[tokio::test]
    async fn an_empty_planned_body_is_answered_with_the_length_and_bytes_a_body_made_from_an_empty_text_gives()
     {
        // Arrange: the body a planned answer without one had before (made from its text)
        // and the one it has now.
        let from_text = Body::from(String::new());

        // Act
        let answer = respond(204, "", &[]);

        // Assert: the same exact length (what the router and hyper write as
        // `content-length`), the same end of stream, no bytes.
        let (got, want) = (
            hyper::body::Body::size_hint(answer.body()),
            hyper::body::Body::size_hint(&from_text),
        );
        assert_eq!((got.lower(), got.upper()), (want.lower(), want.upper()));
        assert_eq!((got.lower(), got.upper()), (0, Some(0)));
        assert_eq!(
            hyper::body::Body::is_end_stream(answer.body()),
            hyper::body::Body::is_end_stream(&from_text)
        );
        let bytes = http_body_util::BodyExt::collect(answer.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert!(bytes.is_empty());
        // A body the plan does give is sent whole.
        let full = respond(200, "ok\n", &[]);
        assert_eq!(hyper::body::Body::size_hint(full.body()).exact(), Some(3));
    }

    #[tokio::test]
    async fn the_routers_handler_boxes_a_smaller_future_than_axums_wrapper_of_the_same_handler_and_answers_alike()
     {
        // Arrange: the handler the router is given, and the same `handle` as a function
        // handler taking `State` and `Request` (what the router was given before).
        use axum::handler::Handler as _;
        let rx = Arc::new(Receiver::new(FaultPlan::new(vec![Step {
            when_event: None,
            action: Action::status(503),
        }])));
        let request = || {
            http::Request::builder()
                .method("POST")
                .uri("/hooks")
                .body(Body::from("{}"))
                .unwrap()
        };
        let wrapped = |axum::extract::State(rx): axum::extract::State<Arc<Receiver>>,
                       req: Request| handle(rx, req);

        // Act
        let ours = Handle.call(request(), Arc::clone(&rx));
        let axums = wrapped.call(request(), Arc::clone(&rx));

        // Assert: the boxed futures' sizes, then what each answers.
        assert!(
            std::mem::size_of_val(&*ours) < std::mem::size_of_val(&*axums),
            "{} B against {} B",
            std::mem::size_of_val(&*ours),
            std::mem::size_of_val(&*axums)
        );
        let (ours, axums) = (ours.await, axums.await);
        assert_eq!(ours.status(), 503);
        assert_eq!(axums.status(), 503);
    }

    #[tokio::test]
    async fn a_receiver_answering_every_request_alike_gives_each_its_planned_status_headers_and_body()
     {
        // Arrange: one step for every request, and an outage before it, each answered from
        // the receiver's own action (borrowed, not copied per request).
        let planned = |status: u16, body: &str, header: &str| Action::Respond {
            status,
            body: body.to_owned(),
            headers: vec![("Retry-After".to_owned(), header.to_owned())],
            after: std::time::Duration::ZERO,
            dribble: None,
        };
        let plan = FaultPlan::new(vec![Step {
            when_event: None,
            action: planned(429, "slow down\n", "7"),
        }]);
        let outage = Receiver::new(plan.clone())
            .with_outage(std::time::Duration::from_secs(3600), planned(503, "", "60"))
            .into_app();
        let plain = Receiver::new(plan).into_app();

        for (router, status, body, header) in [
            (&plain, 429, "slow down\n", "7"),
            (&plain, 429, "slow down\n", "7"),
            (&outage, 503, "", "60"),
            (&outage, 503, "", "60"),
        ] {
            let request = http::Request::builder()
                .method("POST")
                .uri("/hooks")
                .body(Body::from("{}"))
                .unwrap();

            // Act
            let answer = tower::ServiceExt::oneshot(router.clone(), request)
                .await
                .unwrap();

            // Assert
            assert_eq!(answer.status(), status);
            assert_eq!(answer.headers()["retry-after"], header);
            let got = http_body_util::BodyExt::collect(answer.into_body())
                .await
                .unwrap()
                .to_bytes();
            assert_eq!(&got[..], body.as_bytes());
        }
    }

    #[tokio::test]
    async fn without_axums_unused_features_the_router_answers_and_records_every_method_and_path_as_before()
     {
        // Arrange: axum's `original-uri` and `matched-path` features are off (Cargo.toml);
        // the handler reads the request's own URI, which the router leaves as it came.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let plan = FaultPlan::new(vec![Step {
            when_event: None,
            action: Action::status(202),
        }]);
        let router = Receiver::new(plan).with_events(0, tx).into_app();
        let cases = [
            ("POST", "/hooks", "/hooks"),
            ("GET", "/", "/"),
            ("PUT", "/a/b/c?x=1&y=%20", "/a/b/c"),
            ("DELETE", "/%E2%9C%93/x%2Fy", "/%E2%9C%93/x%2Fy"),
            ("PATCH", "/_hookrig/plan", "/_hookrig/plan"),
            ("OPTIONS", "/trailing/", "/trailing/"),
        ];

        for (method, uri, path) in cases {
            let request = http::Request::builder()
                .method(method)
                .uri(uri)
                .header("x-a", "1")
                .body(Body::from("{}"))
                .unwrap();

            // Act
            let answer = tower::ServiceExt::oneshot(router.clone(), request)
                .await
                .unwrap();

            // Assert
            assert_eq!(answer.status(), 202, "{method} {uri}");
            let Some(EngineEvent::RequestReceived { request, .. }) = rx.recv().await else {
                panic!("no request event for {method} {uri}");
            };
            assert_eq!(
                (request.method.as_str(), request.path.as_str()),
                (method, path)
            );
            assert_eq!(
                request.headers,
                [("x-a".into(), "1".into())],
                "{method} {uri}"
            );
            assert_eq!(&request.body[..], b"{}");
        }
    }

    #[tokio::test]
    async fn routers_cloned_from_the_shared_routes_answer_and_record_as_routers_built_anew_each_for_its_own_receiver()
     {
        // Arrange: two receivers with their own plans and event channels, each served by a
        // router cloned from the shared routes and by one built anew as `app` used to.
        let receiver = |status: u16, scenario: usize| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let plan = FaultPlan::new(vec![
                Step {
                    when_event: None,
                    action: Action::status(status),
                },
                Step {
                    when_event: None,
                    action: Action::status(200),
                },
            ]);
            (Arc::new(Receiver::new(plan).with_events(scenario, tx)), rx)
        };
        let (a, mut a_events) = receiver(503, 1);
        let (b, mut b_events) = receiver(429, 2);
        let (a_fresh, mut a_fresh_events) = receiver(503, 1);
        let (b_fresh, mut b_fresh_events) = receiver(429, 2);
        let routers = [
            (app(a), &mut a_events),
            (app(b), &mut b_events),
            (routes_built_anew(a_fresh), &mut a_fresh_events),
            (routes_built_anew(b_fresh), &mut b_fresh_events),
        ];
        let request = |method: &str, uri: &str| {
            http::Request::builder()
                .method(method)
                .uri(uri)
                .header("x-a", "1")
                .body(Body::from("{}"))
                .unwrap()
        };

        // Act: each router gets the same three requests.
        let mut seen = Vec::new();
        for (router, events) in routers {
            let mut answers = Vec::new();
            for (method, uri) in [("POST", "/hooks"), ("POST", "/hooks"), ("HEAD", "/")] {
                let answer = tower::ServiceExt::oneshot(router.clone(), request(method, uri))
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                let headers = header_list(answer.headers());
                let body = http_body_util::BodyExt::collect(answer.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                let Some(EngineEvent::RequestReceived {
                    scenario, request, ..
                }) = events.recv().await
                else {
                    panic!("no request event");
                };
                answers.push((
                    status,
                    headers,
                    body,
                    scenario,
                    request.method.clone(),
                    request.path.clone(),
                ));
            }
            seen.push(answers);
        }

        // Assert: the cloned routers answer as the fresh ones, each by its own plan and
        // to its own channel.
        assert_eq!(seen[0], seen[2]);
        assert_eq!(seen[1], seen[3]);
        let statuses = |i: usize| seen[i].iter().map(|a| (a.0, a.3)).collect::<Vec<_>>();
        assert_eq!(statuses(0), [(503, 1), (200, 1), (503, 1)]);
        assert_eq!(statuses(1), [(429, 2), (200, 2), (429, 2)]);
    }

    /// A router whose route table is built anew for its receiver, as `app` built it
    /// before the routes were shared.
    fn routes_built_anew(state: Arc<Receiver>) -> Router {
        routes().with_state(state)
    }

    fn header_list(h: &axum::http::HeaderMap) -> Vec<(String, Vec<u8>)> {
        h.iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect()
    }
}
