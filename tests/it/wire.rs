//! On the wire: the sender over real HTTP (hyper for http://, reqwest for https://) against a wiremock `MockServer`, in
//! real time with the waits shrunk to milliseconds. What arrives must be exactly what the
//! profile builds: the header set, the body bytes, one request per attempt.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hookrig::clock::{Clock, FixedClock, SIM_EPOCH_UNIX};
use hookrig::events::{EngineEvent, Outcome};
use hookrig::profile::{self, DeliveryIds, Endpoint, OutgoingRequest, Profile};
use hookrig::retry::Backoff;
use hookrig::sender::{self, Delivery, SenderCtx, Transport};
use hookrig::signing::Verdict;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Headers every HTTP client adds for the connection itself; not part of a profile's set.
use hookrig::sender::transport::TRANSPORT_HEADERS;

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A built-in profile with 10 ms waits and a short timeout, so retries take no time.
fn fast(name: &str) -> Profile {
    let mut p = profile::builtin(name).expect("built-in profile");
    p.retry.backoff = Backoff::Table(vec![Duration::from_millis(10)]);
    p.retry.timeout = Duration::from_millis(500);
    p
}

/// A clock that reads one second later every time it is read, starting at the sim epoch.
#[derive(Debug, Default)]
struct TickingClock(AtomicU64);

impl Clock for TickingClock {
    fn now(&self) -> Duration {
        let tick = self.0.fetch_add(1, Ordering::SeqCst);
        Duration::from_secs(SIM_EPOCH_UNIX as u64 + tick)
    }
}

fn epoch() -> Duration {
    Duration::from_secs(SIM_EPOCH_UNIX as u64)
}

/// One delivery of `event_type` with `data` to `url`, through real HTTP.
async fn deliver(
    profile: &Profile,
    endpoint: &Endpoint,
    clock: Arc<dyn Clock>,
    url: String,
    event_type: &str,
    data: Value,
    message_id: &str,
) -> (Outcome, Vec<EngineEvent>) {
    deliver_at_scale(
        profile, endpoint, clock, url, event_type, data, message_id, 1.0,
    )
    .await
}

/// [`deliver`] with the sender's time scaled by `time_scale`, as a live run scales it.
#[allow(clippy::too_many_arguments)]
async fn deliver_at_scale(
    profile: &Profile,
    endpoint: &Endpoint,
    clock: Arc<dyn Clock>,
    url: String,
    event_type: &str,
    data: Value,
    message_id: &str,
    time_scale: f64,
) -> (Outcome, Vec<EngineEvent>) {
    let (ctx, rx) = live_ctx(profile, endpoint, clock, url, time_scale);
    let delivery = Delivery {
        index: 0,
        event_type: event_type.to_owned(),
        data,
        ids: DeliveryIds::with_message_id(message_id),
        jitter_seed: 0,
    };
    deliver_with(ctx, rx, &delivery).await
}

/// A sender context over real HTTP to `url`, starting now, and the receiving end of its
/// engine events.
fn live_ctx(
    profile: &Profile,
    endpoint: &Endpoint,
    clock: Arc<dyn Clock>,
    url: String,
    time_scale: f64,
) -> (SenderCtx, mpsc::UnboundedReceiver<EngineEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let ctx = SenderCtx::new(
        Arc::new(profile.clone()),
        Arc::new(endpoint.clone()),
        Transport::http().expect("reqwest client"),
        clock,
        tx,
        url,
    )
    .with_time_scale(time_scale);
    (ctx, rx)
}

/// Delivers `delivery` with `ctx`; its outcome and every engine event it sent.
async fn deliver_with(
    ctx: SenderCtx,
    mut rx: mpsc::UnboundedReceiver<EngineEvent>,
    delivery: &Delivery,
) -> (Outcome, Vec<EngineEvent>) {
    let outcome = sender::deliver(&ctx, delivery).await;
    drop(ctx);
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    (outcome, events)
}

/// A request's headers without the transport's own, names lowercased, in a sorted map.
fn profile_headers(req: &wiremock::Request) -> BTreeMap<String, String> {
    req.headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().expect("ASCII header value").to_owned(),
            )
        })
        .filter(|(k, _)| !TRANSPORT_HEADERS.contains(&k.as_str()))
        .collect()
}

/// [`profile_headers`] as the list [`hookrig::signing::Scheme::verify`] reads.
fn profile_header_list(req: &wiremock::Request) -> Vec<hookrig::record::Header> {
    profile_headers(req)
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

fn header<'a>(req: &'a wiremock::Request, name: &str) -> &'a str {
    req.headers
        .get(name)
        .unwrap_or_else(|| panic!("`{name}` missing"))
        .to_str()
        .expect("ASCII header value")
}

fn as_map<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_ref().to_ascii_lowercase(), v.as_ref().to_owned()))
        .collect()
}

/// Always answers `status` on /hooks.
async fn server_always(status: u16) -> MockServer {
    server_answering(status, 0, status).await
}

/// Answers `first` to the first `times` requests on /hooks (none when 0), then `then`.
async fn server_answering(first: u16, times: u64, then: u16) -> MockServer {
    let server = MockServer::start().await;
    if times > 0 {
        Mock::given(method("POST"))
            .and(path("/hooks"))
            .respond_with(ResponseTemplate::new(first))
            .up_to_n_times(times)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(then))
        .mount(&server)
        .await;
    server
}

/// One request of `event_type` with `data` and message id `id` under `profile_name`,
/// sent over HTTP to a server answering 200; returns what arrived and what the profile
/// builds for the same input at the same (fixed) time.
async fn one_exchange(
    profile_name: &str,
    endpoint: &Endpoint,
    event_type: &str,
    data: Value,
    id: &str,
) -> (wiremock::Request, OutgoingRequest) {
    let server = server_always(200).await;
    let profile = fast(profile_name);
    let (outcome, _) = deliver(
        &profile,
        endpoint,
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        event_type,
        data.clone(),
        id,
    )
    .await;
    assert_eq!(outcome, Outcome::Delivered);
    let mut received = server.received_requests().await.expect("recording on");
    assert_eq!(received.len(), 1);
    let built = profile
        .build_request(
            endpoint,
            event_type,
            &data,
            &DeliveryIds::with_message_id(id),
            epoch(),
        )
        .expect("request builds");
    (received.remove(0), built)
}

fn llamacloud_endpoint() -> Endpoint {
    Endpoint {
        secrets: vec!["It's a Secret to Everybody".into()],
        headers: vec![("X-Tenant".into(), "acme".into())],
        ..Endpoint::default()
    }
}

const LC_ID: &str = "6f1c2d0e-8a4b-4c1d-9e2f-0a1b2c3d4e5f";

fn standard_endpoint() -> Endpoint {
    Endpoint {
        secrets: vec![SW_SECRET.into()],
        ..Endpoint::default()
    }
}

const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";

fn owned(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn llamacloud_sends_its_header_set_with_exact_values_and_the_body_it_built() {
    let data = json!({ "id": "job_1", "job_id": "job_1" });

    let (req, built) = one_exchange(
        "llamacloud",
        &llamacloud_endpoint(),
        "parse.success",
        data,
        LC_ID,
    )
    .await;

    assert_eq!(req.body, built.body.to_vec());
    let signature = hookrig::signing::sign_sha256_prefixed("It's a Secret to Everybody", &req.body);
    let want = owned(&[
        ("content-type", "application/json"),
        ("user-agent", "llamaindex-webhook-service/1.0"),
        ("x-webhook-event-id", LC_ID),
        ("x-webhook-event-type", "parse.success"),
        ("x-tenant", "acme"),
        ("lc-signature", &signature),
    ]);
    assert_eq!(as_map(&built.headers), want, "the profile's own header set");
    for (name, value) in &want {
        assert_eq!(header(&req, name), value, "`{name}` on the wire");
    }
}

#[tokio::test]
async fn standard_webhooks_sends_its_header_set_with_exact_values_and_the_body_it_built() {
    let data = json!({ "id": "user_1", "email": "ada@example.com", "name": "Ada" });

    let (req, built) = one_exchange(
        "standard-webhooks",
        &standard_endpoint(),
        "user.created",
        data,
        SW_ID,
    )
    .await;

    assert_eq!(req.body, built.body.to_vec());
    let timestamp = SIM_EPOCH_UNIX.to_string();
    let signature = profile::builtin("standard-webhooks")
        .unwrap()
        .scheme
        .sign(
            &[SW_SECRET.to_owned()],
            hookrig::signing::SignInput::post(SW_ID, SIM_EPOCH_UNIX, &req.body),
        )
        .expect("secret is base64")
        .remove(0)
        .1;
    let want = owned(&[
        ("webhook-id", SW_ID),
        ("webhook-timestamp", &timestamp),
        ("webhook-signature", &signature),
        ("content-type", "application/json"),
    ]);
    assert_eq!(as_map(&built.headers), want, "the profile's own header set");
    for (name, value) in &want {
        assert_eq!(header(&req, name), value, "`{name}` on the wire");
    }
}

#[tokio::test]
async fn the_http_transport_adds_only_the_transport_headers_that_sim_adds_too() {
    let (lc, lc_built) = one_exchange(
        "llamacloud",
        &llamacloud_endpoint(),
        "parse.success",
        json!({ "id": "job_1", "job_id": "job_1" }),
        LC_ID,
    )
    .await;
    let (sw, sw_built) = one_exchange(
        "standard-webhooks",
        &standard_endpoint(),
        "user.created",
        json!({ "id": "user_1", "email": "ada@example.com", "name": "Ada" }),
        SW_ID,
    )
    .await;

    assert_eq!(profile_headers(&lc), as_map(&lc_built.headers));
    assert_eq!(profile_headers(&sw), as_map(&sw_built.headers));
}

#[tokio::test]
async fn llamacloud_signs_the_body_as_it_arrives() {
    let server = server_always(200).await;
    let profile = fast("llamacloud");
    let secrets = vec!["It's a Secret to Everybody".to_owned()];
    let endpoint = Endpoint {
        secrets: secrets.clone(),
        ..Endpoint::default()
    };

    deliver(
        &profile,
        &endpoint,
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        "extract.success",
        json!({ "id": "job_2", "job_id": "job_2" }),
        "0b6f9f8e-3c1a-4d2e-8f7a-1b2c3d4e5f60",
    )
    .await;

    let req = &server.received_requests().await.expect("recording on")[0];
    let headers = profile_header_list(req);
    let signature = header(req, "lc-signature");
    assert_eq!(
        signature,
        hookrig::signing::sign_sha256_prefixed(&secrets[0], &req.body)
    );
    assert_eq!(
        profile
            .scheme
            .verify(&secrets, &headers, &req.body, epoch()),
        Verdict::Valid
    );
}

#[tokio::test]
async fn two_500s_then_a_200_make_three_requests() {
    let server = server_answering(500, 2, 200).await;
    let profile = fast("llamacloud");

    let (outcome, events) = deliver(
        &profile,
        &Endpoint::default(),
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        "parse.success",
        json!({ "id": "job_3", "job_id": "job_3" }),
        "d3b07384-d113-4ec6-a7e1-1a2b3c4d5e6f",
    )
    .await;

    assert_eq!(outcome, Outcome::Delivered);
    let received = server.received_requests().await.expect("recording on");
    assert_eq!(received.len(), 3);
    let started = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::AttemptStarted { .. }))
        .count();
    assert_eq!(started, 3);
}

#[tokio::test]
async fn llamacloud_stops_after_three_attempts_on_the_wire() {
    let server = server_always(503).await;
    let profile = fast("llamacloud");

    let (outcome, _) = deliver(
        &profile,
        &Endpoint::default(),
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        "parse.error",
        json!({ "id": "job_4", "job_id": "job_4" }),
        "5a6b7c8d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
    )
    .await;

    assert_eq!(outcome, Outcome::Exhausted);
    assert_eq!(
        server
            .received_requests()
            .await
            .expect("recording on")
            .len(),
        3
    );
}

#[tokio::test]
async fn a_webhook_id_stays_the_same_across_retries_while_the_signature_is_regenerated() {
    let server = server_answering(500, 2, 200).await;
    let profile = fast("standard-webhooks");
    let secrets = vec![SW_SECRET.to_owned()];
    let endpoint = Endpoint {
        secrets: secrets.clone(),
        ..Endpoint::default()
    };

    let (outcome, _) = deliver(
        &profile,
        &endpoint,
        Arc::new(TickingClock::default()),
        format!("{}/hooks", server.uri()),
        "user.created",
        json!({ "id": "user_2", "email": "grace@example.com", "name": "Grace" }),
        "msg_2Lh9bE1yQn8TQXj5cWm0Kp3RzVa",
    )
    .await;

    assert_eq!(outcome, Outcome::Delivered);
    let received = server.received_requests().await.expect("recording on");
    assert_eq!(received.len(), 3);
    let ids: Vec<&str> = received.iter().map(|r| header(r, "webhook-id")).collect();
    assert!(
        ids.iter()
            .all(|id| *id == "msg_2Lh9bE1yQn8TQXj5cWm0Kp3RzVa"),
        "{ids:?}"
    );
    let timestamps: Vec<&str> = received
        .iter()
        .map(|r| header(r, "webhook-timestamp"))
        .collect();
    let signatures: Vec<&str> = received
        .iter()
        .map(|r| header(r, "webhook-signature"))
        .collect();
    for i in 0..3 {
        for j in i + 1..3 {
            assert_ne!(timestamps[i], timestamps[j], "{timestamps:?}");
            assert_ne!(signatures[i], signatures[j], "{signatures:?}");
        }
    }
    for req in &received {
        let headers = profile_header_list(req);
        let at: u64 = header(req, "webhook-timestamp").parse().expect("integer");
        assert_eq!(
            profile
                .scheme
                .verify(&secrets, &headers, &req.body, Duration::from_secs(at)),
            Verdict::Valid
        );
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_a_timeout_and_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let mut profile = fast("perfectparser");
    profile.retry.timeout = Duration::from_millis(200);

    let (outcome, events) = deliver(
        &profile,
        &Endpoint::default(),
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        "batch.completed",
        json!({ "batch_id": "batch_1" }),
        "",
    )
    .await;

    assert_eq!(outcome, Outcome::Delivered);
    let results: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::AttemptFinished { result, .. } => Some(*result),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        [
            hookrig::retry::AttemptResult::Timeout,
            hookrig::retry::AttemptResult::Status(200)
        ]
    );
}

#[tokio::test]
async fn crawl4ai_follows_a_redirect_by_re_sending_the_post_within_one_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/moved"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/moved"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let profile = fast("crawl4ai");

    let (outcome, events) = deliver(
        &profile,
        &Endpoint::default(),
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        "crawl.completed",
        json!({ "task_id": "crawl_0a1b2c3d", "urls": ["https://example.com"] }),
        "",
    )
    .await;

    assert_eq!(outcome, Outcome::Delivered);
    let received = server.received_requests().await.expect("recording on");
    let paths: Vec<&str> = received.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/hooks", "/moved"]);
    assert_eq!(received[0].body, received[1].body);
    assert!(received.iter().all(|r| r.method.as_str() == "POST"));
    let started = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::AttemptStarted { .. }))
        .count();
    assert_eq!(started, 1, "the hop is part of the first attempt");
}

#[tokio::test]
async fn sim_and_http_receivers_see_the_same_header_names() {
    // Arrange: one standard-webhooks request, sent once over HTTP and once in-process.
    let (wire, _) = one_exchange(
        "standard-webhooks",
        &standard_endpoint(),
        "user.created",
        json!({ "id": "user_1" }),
        SW_ID,
    )
    .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let router = hookrig::receiver::Receiver::new(Default::default())
        .with_events(0, tx.clone())
        .into_app();
    let profile = fast("standard-webhooks");
    let built = profile
        .build_request(
            &standard_endpoint(),
            "user.created",
            &json!({ "id": "user_1" }),
            &DeliveryIds::with_message_id(SW_ID),
            epoch(),
        )
        .expect("request builds");

    // Act
    Transport::InProcess(router)
        .send(sender::WireRequest {
            url: "/hooks".into(),
            headers: &built.headers,
            body: built.body,
            tag: hookrig::record::DeliveryTag {
                delivery: 0,
                event_type: "user.created".into(),
                attempt: 1,
                hop: 0,
            },
        })
        .await
        .expect("in-process answer");
    drop(tx);
    let mut sim_names = Vec::new();
    while let Some(e) = rx.recv().await {
        if let EngineEvent::RequestReceived { request, .. } = e {
            sim_names = request.headers.iter().map(|(k, _)| k.clone()).collect();
        }
    }

    // Assert
    let mut wire_names: Vec<String> = wire.headers.keys().map(|k| k.as_str().to_owned()).collect();
    wire_names.sort();
    sim_names.sort();
    assert_eq!(sim_names, wire_names);
}

/// Reads one request from `socket` into `buf`, until its head and its whole
/// (content-length) body are in: the request as text, or `None` when the connection ends
/// or fails first.
async fn read_request(socket: &mut tokio::net::TcpStream, buf: &mut [u8]) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = 0;
    loop {
        let n = socket.read(&mut buf[got..]).await.ok()?;
        if n == 0 {
            return None;
        }
        got += n;
        let text = String::from_utf8_lossy(&buf[..got]).into_owned();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let len = text[..end]
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if got >= end + 4 + len {
            return Some(text);
        }
    }
}

/// Accepts connections on 127.0.0.1 and hands back the raw bytes of each request's head
/// and body (one read each, enough for small requests), answering 200.
async fn raw_capture() -> (String, mpsc::UnboundedReceiver<String>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                while let Some(text) = read_request(&mut socket, &mut buf).await {
                    let _ = tx.send(text);
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await;
                }
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn plain_http_puts_the_same_bytes_on_the_wire_as_reqwest_does() {
    // hookrig sends http:// through hyper directly and https:// through reqwest; a receiver
    // must not be able to tell which one it got.
    let (url, mut rx) = raw_capture().await;
    let built = profile::builtin("standard-webhooks")
        .unwrap()
        .build_request(
            &standard_endpoint(),
            "invoice.paid",
            &json!({"id": "in_1", "amount": 4200}),
            &DeliveryIds::with_message_id("msg_wire"),
            epoch(),
        )
        .unwrap();

    let transport = Transport::http().unwrap();
    let req = hookrig::sender::WireRequest {
        url: url.as_str().into(),
        headers: &built.headers,
        body: built.body.clone(),
        tag: hookrig::record::DeliveryTag {
            delivery: 0,
            event_type: "invoice.paid".into(),
            attempt: 1,
            hop: 0,
        },
    };
    assert_eq!(transport.send(req).await.unwrap().status, 200);
    let ours = rx.recv().await.unwrap();

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut rb = client.post(&url);
    for (k, v) in &built.headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    assert_eq!(rb.body(built.body).send().await.unwrap().status(), 200);
    let theirs = rx.recv().await.unwrap();

    assert_eq!(ours, theirs);
    assert!(ours.starts_with("POST /hooks HTTP/1.1\r\nwebhook-id: msg_wire\r\n"));
}

#[tokio::test]
async fn plain_requests_on_one_connection_each_put_their_own_head_and_whole_body_on_the_wire() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // hyper writes a plain request's head and body from one buffer (its "flatten" write
    // strategy): a small body, one far larger than hyper's write buffer (400 KiB), then the
    // small one again, one after another on one kept-alive connection. Each must arrive as
    // its own head and its whole body, nothing left over from the request before.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, String, Vec<u8>)>();
    tokio::spawn(async move {
        let mut connection = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            connection += 1;
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut got: Vec<u8> = Vec::new();
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8(got[..end + 4].to_vec()).unwrap();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .unwrap()
                        .parse()
                        .unwrap();
                    while got.len() < end + 4 + len {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                    }
                    let rest = got.split_off(end + 4 + len);
                    let body = got.split_off(end + 4);
                    let _ = tx.send((connection, head, body));
                    got = rest;
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await;
                }
            });
        }
    });
    let headers: Vec<hookrig::record::Header> = vec![
        ("Content-Type".into(), "application/json".into()),
        ("X-Event".into(), "e1".into()),
    ];
    let large: Vec<u8> = (0..1_000_003u32).map(|i| b'a' + (i % 26) as u8).collect();
    let bodies = [
        bytes::Bytes::from_static(b"{\"small\":1}"),
        bytes::Bytes::from(large),
        bytes::Bytes::from_static(b"{\"small\":1}"),
    ];
    let transport = Transport::http().unwrap();

    let mut seen = Vec::new();
    for body in &bodies {
        let req = hookrig::sender::WireRequest {
            url: url.as_str().into(),
            headers: &headers,
            body: body.clone(),
            tag: hookrig::record::DeliveryTag {
                delivery: 0,
                event_type: "x".into(),
                attempt: 1,
                hop: 0,
            },
        };
        assert_eq!(transport.send(req).await.unwrap().status, 200);
        seen.push(rx.recv().await.unwrap());
    }

    let host = url.trim_start_matches("http://").trim_end_matches("/hooks");
    for ((connection, head, body), sent) in seen.iter().zip(&bodies) {
        assert_eq!(*connection, 1, "one kept-alive connection");
        assert_eq!(
            *head,
            format!(
                "POST /hooks HTTP/1.1\r\ncontent-type: application/json\r\nx-event: e1\r\naccept: */*\r\nhost: {host}\r\ncontent-length: {}\r\n\r\n",
                sent.len()
            )
        );
        assert_eq!(body.as_slice(), sent.as_ref());
    }
}

#[tokio::test]
async fn an_https_url_is_spoken_to_in_tls_so_a_plain_http_listener_is_a_connection_error() {
    use tokio::io::AsyncWriteExt;
    // A listener that answers plain HTTP to whatever arrives, then closes: a plain-HTTP
    // client would read a 200 from it; a TLS client cannot finish its handshake.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
            let _ = socket.shutdown().await;
        }
    });
    let headers: Vec<hookrig::record::Header> =
        vec![("Content-Type".into(), "application/json".into())];
    let req = hookrig::sender::WireRequest {
        url: format!("https://{addr}/hooks").into(),
        headers: &headers,
        body: bytes::Bytes::from_static(b"{}"),
        tag: hookrig::record::DeliveryTag {
            delivery: 0,
            event_type: "x".into(),
            attempt: 1,
            hop: 0,
        },
    };
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        Transport::http().unwrap().send(req),
    )
    .await
    .expect("the TLS handshake fails quickly");
    match answer {
        // rustls read the plain-HTTP answer as a TLS record and gave up.
        Err(sender::TransportError::Connection(e)) => {
            assert!(e.contains("corrupt message"), "not a TLS failure: {e}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
}

/// A secret every built-in profile that signs can use.
fn secret_for(p: &Profile) -> Vec<String> {
    match &p.scheme.key {
        _ if !p.scheme.signs() => Vec::new(),
        hookrig::signing::KeyReading::Base64 { .. } => vec![SW_SECRET.into()],
        _ => vec!["wss_wire_retry_secret".into()],
    }
}

#[tokio::test]
async fn every_profile_re_sends_the_same_body_bytes_and_signs_each_retry_afresh() {
    for name in profile::BUILTIN_NAMES {
        // Arrange: two failures (500: retried by every profile that retries), then 200; a
        // clock that moves one second on every read.
        let p = fast(name);
        if p.retry.attempts < 3 {
            continue; // GitHub makes one attempt
        }
        let server = server_answering(500, 2, 200).await;
        let endpoint = Endpoint {
            secrets: secret_for(&p),
            output_format: profile::OutputFormat::Json,
            ..Endpoint::default()
        };
        let event = p.catalogue[0].name.clone();
        let data = p.generate_data(&event, &mut hookrig::rng::RunRng::new(3));

        // Act
        let (outcome, _) = deliver(
            &p,
            &endpoint,
            Arc::new(TickingClock::default()),
            format!("{}/hooks", server.uri()),
            &event,
            data,
            "msg_2Lh9bE1yQn8TQXj5cWm0Kp3RzVa",
        )
        .await;

        // Assert: three requests, byte-identical bodies; whatever the provider
        // regenerates (header timestamps, signatures) differs and verifies when it came.
        assert_eq!(outcome, Outcome::Delivered, "{name}");
        let received = server.received_requests().await.expect("recording on");
        assert_eq!(received.len(), 3, "{name}");
        assert!(
            received.iter().all(|r| r.body == received[0].body),
            "{name}: a retry changed the body:\n{}\n{}",
            String::from_utf8_lossy(&received[0].body),
            String::from_utf8_lossy(&received[1].body)
        );
        let ts_header = p.scheme.timestamp_header.as_deref();
        if let Some(ts_header) = ts_header {
            let stamps: Vec<&str> = received.iter().map(|r| header(r, ts_header)).collect();
            assert!(
                stamps[0] != stamps[1] && stamps[1] != stamps[2],
                "{name}: {stamps:?}"
            );
        }
        for req in &received {
            let headers = profile_header_list(req);
            let at = ts_header
                .map(|h| Duration::from_secs(header(req, h).parse().expect("integer")))
                .unwrap_or_else(epoch);
            let verdict = p.scheme.verify(&endpoint.secrets, &headers, &req.body, at);
            let want = if !p.scheme.signs() {
                Verdict::Absent
            } else {
                Verdict::Valid
            };
            assert_eq!(verdict, want, "{name}");
        }
    }
}

#[tokio::test]
async fn crawl4ai_puts_python_json_dumps_bytes_on_the_wire() {
    // Arrange: non-ASCII text, an emoji, quotes, a newline and floats Python writes in
    // exponent form. The expected bytes are what CPython 3.11's json.dumps printed for
    // the same payload.
    let server = server_always(200).await;
    let p = fast("crawl4ai");
    let endpoint = Endpoint {
        data_in_payload: true,
        ..Endpoint::default()
    };
    let data = json!({
        "task_id": "crawl_5e6f7a8b",
        "urls": ["https://example.com/café"],
        "result": {
            "success": true,
            "results": [{
                "url": "https://example.com/café",
                "markdown": "# Café — ✓ 🚀",
                "html": "<p>\"quoted\"\n</p>",
            }],
            "server_processing_time_s": 2.5e-05,
            "server_memory_delta_mb": 1e16,
            "server_peak_memory_mb": 214.0,
        },
    });

    // Act
    let (outcome, _) = deliver(
        &p,
        &endpoint,
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        "crawl.completed",
        data,
        "",
    )
    .await;

    // Assert
    assert_eq!(outcome, Outcome::Delivered);
    let received = server.received_requests().await.expect("recording on");
    let python = r##"{"task_id": "crawl_5e6f7a8b", "task_type": "crawl", "status": "completed", "timestamp": "2025-01-01T00:00:00+00:00", "urls": ["https://example.com/caf\u00e9"], "data": {"success": true, "results": [{"url": "https://example.com/caf\u00e9", "markdown": "# Caf\u00e9 \u2014 \u2713 \ud83d\ude80", "html": "<p>\"quoted\"\n</p>"}], "server_processing_time_s": 2.5e-05, "server_memory_delta_mb": 1e+16, "server_peak_memory_mb": 214.0}}"##;
    assert_eq!(String::from_utf8_lossy(&received[0].body), python);
}

#[tokio::test]
async fn svix_sends_only_its_own_header_set() {
    let server = server_always(200).await;
    let p = fast("svix");
    let endpoint = standard_endpoint();

    let (outcome, _) = deliver(
        &p,
        &endpoint,
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        "invoice.paid",
        json!({ "id": "inv_1" }),
        SW_ID,
    )
    .await;

    assert_eq!(outcome, Outcome::Delivered);
    let received = server.received_requests().await.expect("recording on");
    let headers = profile_headers(&received[0]);
    let names: Vec<&str> = headers.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "content-type",
            "svix-id",
            "svix-signature",
            "svix-timestamp",
            "user-agent"
        ]
    );
    assert_eq!(headers["user-agent"], "Svix-Webhooks/1.100.0");
    assert_eq!(headers["svix-id"], SW_ID);
    assert_eq!(headers["svix-timestamp"], SIM_EPOCH_UNIX.to_string());
}

/// A socket that closes the first `drops` connections as soon as their request is in,
/// then answers 200; returns its URL and the number of requests it has read so far.
async fn dropping_server(drops: usize) -> (String, Arc<AtomicU64>) {
    dropping_server_after(drops, Duration::ZERO).await
}

/// [`dropping_server`], closing each of the first `drops` connections `delay` of real
/// time after their request is in.
async fn dropping_server_after(drops: usize, delay: Duration) -> (String, Arc<AtomicU64>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while read_request(&mut socket, &mut buf).await.is_some() {
                    let n = count.fetch_add(1, Ordering::SeqCst) as usize;
                    if n < drops {
                        tokio::time::sleep(delay).await;
                        return; // close without answering
                    }
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await;
                }
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn svix_resends_a_quickly_dropped_request_once_inside_the_same_attempt() {
    // One drop: the request goes again at once and the first attempt delivers.
    let (url, seen) = dropping_server(1).await;
    let p = fast("svix");

    let (outcome, events) = deliver(
        &p,
        &standard_endpoint(),
        Arc::new(FixedClock(epoch())),
        url,
        "user.created",
        json!({ "id": "user_1" }),
        SW_ID,
    )
    .await;

    assert_eq!(outcome, Outcome::Delivered);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "two requests reached the socket"
    );
    let attempts: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::AttemptFinished { n, requests, .. } => Some(*n * 100 + *requests),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [102], "attempt 1, made of 2 requests");

    // Two drops in a row: the attempt fails after its one resend, attempt 2 delivers.
    let (url, seen) = dropping_server(2).await;
    let (outcome, events) = deliver(
        &p,
        &standard_endpoint(),
        Arc::new(FixedClock(epoch())),
        url,
        "user.created",
        json!({ "id": "user_1" }),
        SW_ID,
    )
    .await;
    assert_eq!(outcome, Outcome::Delivered);
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    let finished = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::AttemptFinished { .. }))
        .count();
    assert_eq!(finished, 2);
}

/// How many requests each attempt of a delivery was made of.
fn requests_per_attempt(events: &[EngineEvent]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::AttemptFinished { requests, .. } => Some(*requests),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn svix_s_resend_window_is_one_second_of_real_time_whatever_the_time_scale() {
    // Arrange: svix's own 30 s timeout, a 10 ms wait; connections that fail 300 ms and
    // 1.3 s of real time after their request.
    let mut p = profile::builtin("svix").unwrap();
    p.retry.backoff = Backoff::Table(vec![Duration::from_millis(10)]);
    p.retry.jitter_percent = 0;
    let send = |url: String, scale: f64| {
        let p = p.clone();
        async move {
            deliver_at_scale(
                &p,
                &standard_endpoint(),
                Arc::new(FixedClock(epoch())),
                url,
                "user.created",
                json!({ "id": "user_1" }),
                SW_ID,
                scale,
            )
            .await
        }
    };
    let (fails_fast, _) = dropping_server_after(1, Duration::from_millis(300)).await;
    let (fails_slowly, _) = dropping_server_after(1, Duration::from_millis(1300)).await;

    // Act: at 0.05 the timeout is 1.5 s of real time, at 2 a minute; a scaled window
    // would be 50 ms and 2 s.
    let (fast_outcome, fast) = send(fails_fast, 0.05).await;
    let (slow_outcome, slow) = send(fails_slowly, 2.0).await;

    // Assert: 300 ms is within the real second: resent inside attempt 1; 1.3 s is not:
    // attempt 1 fails and attempt 2 delivers.
    assert_eq!(fast_outcome, Outcome::Delivered);
    assert_eq!(requests_per_attempt(&fast), [2]);
    assert_eq!(slow_outcome, Outcome::Delivered);
    assert_eq!(requests_per_attempt(&slow), [1, 1]);
}

#[tokio::test]
async fn llamacloud_does_not_resend_a_dropped_request_inside_the_attempt() {
    let (url, seen) = dropping_server(1).await;
    let p = fast("llamacloud");

    let (outcome, events) = deliver(
        &p,
        &llamacloud_endpoint(),
        Arc::new(FixedClock(epoch())),
        url,
        "parse.success",
        json!({ "id": LC_ID, "job_id": LC_ID }),
        LC_ID,
    )
    .await;

    assert_eq!(outcome, Outcome::Delivered);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    let finished = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::AttemptFinished { .. }))
        .count();
    assert_eq!(
        finished, 2,
        "the drop failed attempt 1; attempt 2 delivered"
    );
}

/// A wall clock running at tokio's rate from the sim epoch at `.0`.
#[derive(Debug)]
struct TokioRateClock(tokio::time::Instant);

impl TokioRateClock {
    /// Its reading when tokio's clock reads `at`.
    fn at(&self, at: tokio::time::Instant) -> Duration {
        epoch() + at.saturating_duration_since(self.0)
    }
}

impl Clock for TokioRateClock {
    fn now(&self) -> Duration {
        self.at(tokio::time::Instant::now())
    }
}

#[tokio::test]
async fn a_live_retry_carries_the_clock_reading_of_its_due_time_though_built_ahead_of_it() {
    // Arrange: standard-webhooks with one more header, the attempt's time in milliseconds;
    // waits longer than the sender's timer margin, so every retry is built 1–2 ms before
    // it is due
    let text = profile::load::builtin_text("standard-webhooks")
        .expect("built-in")
        .replace(
            "  - $signature\n",
            "  - $signature\n  - X-Sent-Ms: \"{unix_ms(now)}\"\n",
        );
    let mut profile =
        profile::load::load_str(std::path::Path::new("sw-ms.yaml"), &text).expect("profile");
    profile.retry.attempts = 5;
    profile.retry.timeout = Duration::from_millis(500);
    profile.retry.backoff = Backoff::Table(
        [8, 5, 11, 6]
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect(),
    );
    let server = server_always(503).await;
    let t0 = tokio::time::Instant::now();
    let clock = Arc::new(TokioRateClock(t0));
    let (mut ctx, rx) = live_ctx(
        &profile,
        &standard_endpoint(),
        clock.clone(),
        format!("{}/hooks", server.uri()),
        1.0,
    );
    ctx.start = t0;
    let delivery = Delivery {
        index: 0,
        event_type: "invoice.paid".into(),
        data: json!({ "id": "in_1" }),
        ids: DeliveryIds::with_message_id(SW_ID),
        jitter_seed: 0,
    };

    // Act
    let (outcome, events) = deliver_with(ctx, rx, &delivery).await;

    // Assert: each retry says the clock's reading at its due time (its previous attempt's
    // end + the wait) — not earlier, as when it was built — and no later than its start
    assert_eq!(outcome, Outcome::Exhausted);
    let (started, due) = starts_and_due_times(&events);
    let sent_ms: BTreeMap<u32, u128> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::AttemptStarted { n, request, .. } => Some((*n, request)),
            _ => None,
        })
        .map(|(n, request)| {
            let ms = request
                .headers
                .iter()
                .find(|(k, _)| k == "X-Sent-Ms")
                .map(|(_, v)| v.parse::<u128>().expect("integer"))
                .expect("an X-Sent-Ms header");
            (n, ms)
        })
        .collect();
    assert_eq!(due.len(), 4);
    for (n, due) in due {
        let earliest = clock.at(t0 + due).as_millis();
        let latest = clock.at(t0 + started[&n]).as_millis();
        assert!(
            (earliest..=latest).contains(&sent_ms[&n]),
            "attempt {n}: says {} ms, due at {earliest} ms, started at {latest} ms",
            sent_ms[&n]
        );
    }
}

/// Each attempt's start, and each retry's due time (its previous attempt's start + latency
/// + the wait scheduled), from a delivery's engine events, by attempt number.
fn starts_and_due_times(
    events: &[EngineEvent],
) -> (BTreeMap<u32, Duration>, BTreeMap<u32, Duration>) {
    let (mut started, mut latency, mut due) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for e in events {
        match e {
            EngineEvent::AttemptStarted { n, at, .. } => {
                started.insert(*n, *at);
            }
            EngineEvent::AttemptFinished { n, latency: l, .. } => {
                latency.insert(*n, *l);
            }
            EngineEvent::RetryScheduled { n, wait, .. } => {
                due.insert(*n + 1, started[n] + latency[n] + *wait);
            }
            _ => {}
        }
    }
    (started, due)
}

#[tokio::test]
async fn a_live_retry_never_starts_before_its_due_time() {
    // Arrange: waits under and over the sender's timer margin
    let server = server_always(503).await;
    let mut profile = fast("llamacloud");
    profile.retry.attempts = 5;
    profile.retry.backoff = Backoff::Table(
        [1, 7, 3, 12]
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect(),
    );

    // Act
    let (outcome, events) = deliver(
        &profile,
        &Endpoint::default(),
        Arc::new(FixedClock(epoch())),
        format!("{}/hooks", server.uri()),
        "parse.error",
        json!({ "id": "job_9", "job_id": "job_9" }),
        "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    )
    .await;

    // Assert: attempt n + 1 starts at or after attempt n's start + latency + wait
    assert_eq!(outcome, Outcome::Exhausted);
    let (started, due) = starts_and_due_times(&events);
    assert_eq!(due.len(), 4);
    for (n, due) in due {
        assert!(
            started[&n] >= due,
            "attempt {n} started {:?} early",
            due - started[&n]
        );
    }
}

/// Reads one HTTP/1.1 request (head and `content-length` body) from `socket`; false at
/// the end of the stream.
async fn read_one_request(socket: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => got.push(byte[0]),
            _ => return false,
        }
    }
    let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    socket.read_exact(&mut body).await.is_ok()
}

/// One plain-HTTP POST through `transport` to `url`; its status or the transport's error.
async fn post(transport: &Transport, url: &str) -> Result<u16, sender::TransportError> {
    let headers: Vec<hookrig::record::Header> =
        vec![("Content-Type".into(), "application/json".into())];
    let req = hookrig::sender::WireRequest {
        url: url.into(),
        headers: &headers,
        body: bytes::Bytes::from_static(b"{}"),
        tag: hookrig::record::DeliveryTag {
            delivery: 0,
            event_type: Default::default(),
            attempt: 1,
            hop: 0,
        },
    };
    let answer = tokio::time::timeout(Duration::from_secs(10), transport.send(req)).await;
    answer
        .expect("an answer or an error in time")
        .map(|r| r.status)
}

#[tokio::test]
async fn a_refused_plain_http_connection_is_a_connection_error() {
    // Arrange: a port nothing listens on any more
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    // Act
    let answer = post(&Transport::http().unwrap(), &format!("http://{addr}/hooks")).await;

    // Assert
    match answer {
        Err(sender::TransportError::Connection(e)) => assert!(e.contains("refused"), "{e}"),
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn requests_in_flight_together_go_on_as_many_connections_and_later_ones_reuse_them() {
    // Arrange: a receiver that answers nothing until three requests are in, then answers
    // every request at once, keeping each connection open; it counts connections
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(3));
    let counted = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                let mut first = true;
                while read_one_request(&mut socket).await {
                    if first {
                        barrier.wait().await;
                        first = false;
                    }
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    if socket.write_all(ok).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let transport = Transport::http().unwrap();
    let url = format!("http://{addr}/hooks");

    // Act: three at once (one connection would never see the third answer), then three
    // one after another
    let together = tokio::join!(
        post(&transport, &url),
        post(&transport, &url),
        post(&transport, &url)
    );
    let mut after = Vec::new();
    for _ in 0..3 {
        after.push(post(&transport, &url).await);
    }

    // Assert
    assert_eq!(together, (Ok(200), Ok(200), Ok(200)));
    assert_eq!(after, [Ok(200), Ok(200), Ok(200)]);
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_request_after_the_receiver_closed_the_idle_connection_goes_on_a_new_one() {
    // Arrange: a receiver that answers one request per connection, keep-alive said, then
    // closes it
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            if read_one_request(&mut socket).await {
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(socket);
        }
    });
    let transport = Transport::http().unwrap();
    let url = format!("http://{addr}/hooks");

    // Act
    let first = post(&transport, &url).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = post(&transport, &url).await;

    // Assert
    assert_eq!((first, second), (Ok(200), Ok(200)));
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}
