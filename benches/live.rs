//! Live-mode benchmarks (not timed tests). `benches/live.sh` runs them side by side and
//! prints the ratios; each can also run alone:
//!
//! - `cargo bench --bench live -- serve-axum PORT` / `serve-wiremock PORT`: the baselines
//!   the load generator (oha) is pointed at beside `hookrig receive` — a bare axum handler
//!   answering 200 for the rate, a wiremock-rs `MockServer` answering 200 to anything for
//!   the sustained comparison (it keeps every request; `live.sh` reads its resident memory
//!   after each round);
//! - `cargo bench --bench live -- sender URL N C [THREADS]`: N signed llamacloud
//!   deliveries, C workers each delivering one after another (as oha's C connections each
//!   send one request after another), every attempt written to a JSON Lines journal with
//!   its request headers and body; on THREADS threads (default 1, as `hookrig send` runs),
//!   each a one-thread runtime with its own connection pool; prints deliveries per second;
//! - `cargo bench --bench live -- clients URL N C`: the two HTTP clients alone, nothing
//!   built, signed or journaled — N POSTs of one fixed body with C in flight through raw
//!   reqwest, then through hyper-util's pooled client — to show what each costs;
//! - `cargo bench --bench live -- accuracy`: 24 deliveries × 11 attempts at time scale 1
//!   against a live receiver answering 503; prints p50/p99 of each retry's start error
//!   (actual start − (previous attempt's end + scheduled wait)); with `LIVE_DETAIL=1` in
//!   the environment, also every retry more than 0.5 ms late (delivery, attempt, due time);
//! - `cargo bench --bench live -- memory N`: N deliveries whose first attempt failed, all
//!   waiting an hour to retry, on one thread as `hookrig send` runs; prints the process's
//!   resident memory.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use hookrig::clock::SystemClock;
use hookrig::events::EngineEvent;
use hookrig::faults::{Action, FaultPlan, Step};
use hookrig::profile::{self, Endpoint, Profile};
use hookrig::receiver::{Receiver, live};
use hookrig::record::redact;
use hookrig::retry::{AttemptResult, Backoff};
use hookrig::rng::RunRng;
use hookrig::sender::{self, Delivery, SenderCtx, Transport};
use tokio::sync::mpsc;

/// The allocator the `hookrig` binary uses, so that the sender measured here is the one
/// `hookrig send` runs and the baselines (bare axum, wiremock-rs) allocate as hookrig does.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("serve-axum") => many_threads().block_on(serve_axum(port(&args))),
        Some("serve-wiremock") => many_threads().block_on(serve_wiremock(port(&args))),
        // One single-thread runtime per thread asked for (`hookrig send` uses one).
        Some("sender") => {
            let url = args.get(1).expect("URL").clone();
            let n = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000);
            let c = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50);
            let threads = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1usize);
            sender_bench(url, n, c.max(1), threads.clamp(1, c.max(1)));
        }
        Some("clients") => {
            let url = args.get(1).expect("URL").clone();
            let n = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000);
            let c = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50);
            many_threads().block_on(clients(url, n, c.max(1)));
        }
        Some("accuracy") => many_threads().block_on(accuracy()),
        Some("memory") => {
            let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
            one_thread().block_on(memory(n));
        }
        _ => eprintln!(
            "usage: live (serve-axum PORT | serve-wiremock PORT | sender URL N C [THREADS] | clients URL N C | accuracy | memory N)"
        ),
    }
}

fn many_threads() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn one_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn port(args: &[String]) -> u16 {
    args.get(1).and_then(|s| s.parse().ok()).expect("PORT")
}

async fn serve_axum(port: u16) {
    let app = axum::Router::new().fallback(|| async { "" });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    println!("bare axum on {port}");
    axum::serve(listener, app).await.expect("serve");
}

async fn serve_wiremock(port: u16) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
    let server = wiremock::MockServer::builder()
        .listener(listener)
        .start()
        .await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&server)
        .await;
    println!("wiremock on {}", server.uri());
    std::future::pending::<()>().await;
}

/// Delivery `index`: a `parse.success` event with fresh data and ids from `rng`.
fn parse_success(p: &Profile, index: usize, rng: &mut RunRng) -> Delivery {
    Delivery {
        index,
        event_type: "parse.success".into(),
        data: p.generate_data("parse.success", rng),
        ids: p.new_ids(rng),
        jitter_seed: 0,
    }
}

fn llamacloud() -> Profile {
    profile::builtin("llamacloud").expect("built-in")
}

/// One journal line: the attempt, its answer, and the request as sent (secrets redacted).
#[derive(serde::Serialize)]
struct JournalLine<'a> {
    delivery: usize,
    n: u32,
    at_us: u64,
    status: Option<u16>,
    latency_us: u64,
    headers: Vec<(&'a str, std::borrow::Cow<'a, str>)>,
    body: std::borrow::Cow<'a, str>,
}

/// N deliveries over `shards` threads, each a one-thread runtime with its own connection
/// pool and C / shards workers; prints the rate.
fn sender_bench(url: String, n: usize, c: usize, shards: usize) {
    let journal_path = std::env::temp_dir().join("hookrig-bench-sender.jsonl");
    let journal = Arc::new(std::sync::Mutex::new(
        std::fs::File::create(&journal_path).expect("journal"),
    ));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..shards)
        .map(|s| {
            let (url, journal, next) = (url.clone(), Arc::clone(&journal), Arc::clone(&next));
            let workers = c / shards + usize::from(s < c % shards);
            std::thread::spawn(move || {
                one_thread().block_on(sender_shard(url, n, workers, s, next, journal))
            })
        })
        .collect();
    let (mut delivered, mut attempts) = (0, 0);
    for t in threads {
        let (d, a) = t.join().unwrap_or((0, 0));
        delivered += d;
        attempts += a;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sender: {delivered} of {n} deliveries in {secs:.2} s = {:.0} deliveries/s (signed, {attempts} attempts journaled, concurrency {c}, {shards} thread(s))",
        delivered as f64 / secs
    );
}

/// One thread's share: `workers` tasks taking delivery numbers from `next` until `n`;
/// journal lines are gathered here and appended to the shared file 64 KiB at a time.
async fn sender_shard(
    url: String,
    n: usize,
    workers: usize,
    shard: usize,
    next: Arc<std::sync::atomic::AtomicUsize>,
    file: Arc<std::sync::Mutex<std::fs::File>>,
) -> (usize, usize) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ctx = SenderCtx {
        profile: Arc::new(llamacloud()),
        endpoint: Arc::new(Endpoint {
            secrets: vec!["bench-secret".into()],
            ..Endpoint::default()
        }),
        transport: Transport::http().expect("client"),
        clock: Arc::new(SystemClock),
        events: tx,
        disabled: Arc::new(AtomicBool::new(false)),
        url,
        scenario: 0,
        start: tokio::time::Instant::now(),
        time_scale: 1.0,
    };
    // The journal: one JSON line per attempt with the request as sent (headers, secrets
    // redacted, and body), the answer's status or error and the latency.
    let writer = tokio::spawn(async move {
        let mut attempts = 0usize;
        let mut sent = std::collections::HashMap::new();
        let mut buf = Vec::with_capacity(80 * 1024);
        let flush = |buf: &mut Vec<u8>| {
            if let Ok(mut f) = file.lock() {
                let _ = f.write_all(buf);
            }
            buf.clear();
        };
        while let Some(e) = rx.recv().await {
            match e {
                EngineEvent::AttemptStarted {
                    delivery,
                    n,
                    at,
                    request,
                    ..
                } => {
                    sent.insert((delivery, n), (at, request));
                }
                EngineEvent::AttemptFinished {
                    delivery,
                    n,
                    result,
                    latency,
                    ..
                } => {
                    attempts += 1;
                    let Some((at, request)) = sent.remove(&(delivery, n)) else {
                        continue;
                    };
                    let line = JournalLine {
                        delivery,
                        n,
                        at_us: at.as_micros() as u64,
                        status: match result {
                            AttemptResult::Status(s) => Some(s),
                            _ => None,
                        },
                        latency_us: latency.as_micros() as u64,
                        headers: request
                            .headers
                            .iter()
                            .map(|(k, v)| (k.as_str(), redact(k, v)))
                            .collect(),
                        // UTF-8 (as the sender's bodies are) is written as it is; only
                        // other bytes go through the lossy pass.
                        body: match std::str::from_utf8(&request.body) {
                            Ok(s) => std::borrow::Cow::Borrowed(s),
                            Err(_) => String::from_utf8_lossy(&request.body),
                        },
                    };
                    let _ = serde_json::to_writer(&mut buf, &line);
                    buf.push(b'\n');
                    if buf.len() >= 64 * 1024 {
                        flush(&mut buf);
                    }
                }
                _ => {}
            }
        }
        flush(&mut buf);
        attempts
    });
    // Workers deliver one event after another (as oha's connections each send one request
    // after another); every delivery gets fresh data and ids.
    let profile = Arc::new(llamacloud());
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..workers {
        let (ctx, profile, next) = (ctx.clone(), Arc::clone(&profile), Arc::clone(&next));
        tasks.spawn(async move {
            let mut rng = RunRng::derive(1, &format!("shard {shard} worker {w}"));
            let mut delivered = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break delivered;
                }
                let d = parse_success(&profile, i, &mut rng);
                if sender::deliver(&ctx, &d).await == hookrig::events::Outcome::Delivered {
                    delivered += 1;
                }
            }
        });
    }
    let mut delivered = 0usize;
    while let Some(r) = tasks.join_next().await {
        delivered += r.unwrap_or(0);
    }
    drop(ctx);
    (delivered, writer.await.unwrap_or(0))
}

async fn accuracy() {
    let mut p = llamacloud();
    p.retry.attempts = 11;
    p.retry.backoff = Backoff::Table(
        [20, 50, 100, 30, 70, 150, 40, 90, 60, 120]
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect(),
    );
    let plan = FaultPlan::new(vec![Step {
        when_event: None,
        action: Action::status(503),
    }]);
    let listener = live::bind("127.0.0.1:0").await.expect("bind");
    let server = live::spawn(listener, Receiver::new(plan).into_app()).expect("serve");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ctx = SenderCtx {
        profile: Arc::new(p.clone()),
        endpoint: Arc::new(Endpoint::default()),
        transport: Transport::http().expect("client"),
        clock: Arc::new(SystemClock),
        events: tx,
        disabled: Arc::new(AtomicBool::new(false)),
        url: format!("http://{}/x", server.addr),
        scenario: 0,
        start: tokio::time::Instant::now(),
        time_scale: 1.0,
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut rng = RunRng::new(2);
    for i in 0..24 {
        let ctx = ctx.clone();
        let d = parse_success(&p, i, &mut rng);
        tasks.spawn(async move { sender::deliver(&ctx, &d).await });
    }
    while tasks.join_next().await.is_some() {}
    drop(ctx);
    // Per delivery: when each attempt started and ended, and the wait scheduled after it.
    let mut starts: std::collections::HashMap<(usize, u32), Duration> = Default::default();
    let mut ends: std::collections::HashMap<(usize, u32), Duration> = Default::default();
    let mut waits: std::collections::HashMap<(usize, u32), Duration> = Default::default();
    while let Some(e) = rx.recv().await {
        match e {
            EngineEvent::AttemptStarted {
                delivery, n, at, ..
            } => {
                starts.insert((delivery, n), at);
            }
            EngineEvent::AttemptFinished {
                delivery,
                n,
                latency,
                ..
            } => {
                ends.insert((delivery, n), latency);
            }
            EngineEvent::RetryScheduled {
                delivery, n, wait, ..
            } => {
                waits.insert((delivery, n), wait);
            }
            _ => {}
        }
    }
    let mut errors: Vec<f64> = Vec::new();
    for (&(d, n), &wait) in &waits {
        let (Some(s), Some(l), Some(next)) = (
            starts.get(&(d, n)),
            ends.get(&(d, n)),
            starts.get(&(d, n + 1)),
        ) else {
            continue;
        };
        let due = *s + *l + wait;
        let error = next.as_secs_f64() * 1e3 - due.as_secs_f64() * 1e3;
        if std::env::var_os("LIVE_DETAIL").is_some() && error > 0.5 {
            eprintln!(
                "late: delivery {d} attempt {} due {:.2} ms, {error:.2} ms late",
                n + 1,
                due.as_secs_f64() * 1e3
            );
        }
        errors.push(error);
    }
    errors.sort_by(|a, b| a.total_cmp(b));
    let pct = |q: f64| errors[((errors.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "schedule accuracy at time scale 1: {} retries, start error p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 1 ms)",
        errors.len(),
        pct(0.5),
        pct(0.99),
        errors.last().copied().unwrap_or_default()
    );
    server.stop().await;
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn memory(n: usize) {
    let mut p = llamacloud();
    p.retry.attempts = 2;
    p.retry.backoff = Backoff::Table(vec![Duration::from_secs(3600)]);
    let plan = FaultPlan::new(vec![Step {
        when_event: None,
        action: Action::status(503),
    }]);
    let router = Receiver::new(plan).into_app();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ctx = SenderCtx {
        profile: Arc::new(p.clone()),
        endpoint: Arc::new(Endpoint {
            secrets: vec!["s".into()],
            ..Endpoint::default()
        }),
        transport: Transport::InProcess(router),
        clock: Arc::new(SystemClock),
        events: tx,
        disabled: Arc::new(AtomicBool::new(false)),
        url: "/x".into(),
        scenario: 0,
        start: tokio::time::Instant::now(),
        time_scale: 1.0,
    };
    let before = rss_mib();
    let mut rng = RunRng::new(3);
    let mut tasks = Vec::with_capacity(n);
    // One context shared by every delivery (as a service embedding the sender would hold
    // it), each delivery handed over to the sender (`deliver_owned`).
    let ctx = Arc::new(ctx);
    let mut future_size = 0;
    for i in 0..n {
        let d = parse_success(&p, i, &mut rng);
        let delivery = sender::deliver_owned(Arc::clone(&ctx), d);
        future_size = std::mem::size_of_val(&delivery);
        tasks.push(tokio::spawn(delivery));
    }
    drop(ctx);
    // The events are read as they come — every one waiting in the channel, not only the
    // next: a reader that takes one per wake-up falls behind 100,000 deliveries and holds
    // their attempts' requests and answers until it catches up.
    let mut waiting = 0usize;
    'read: while waiting < n {
        let Some(first) = rx.recv().await else { break };
        let mut next = Some(first);
        while let Some(e) = next {
            if matches!(e, EngineEvent::RetryScheduled { .. }) {
                waiting += 1;
            }
            next = match rx.try_recv() {
                Ok(e) => Some(e),
                Err(mpsc::error::TryRecvError::Empty) => None,
                Err(mpsc::error::TryRecvError::Disconnected) => break 'read,
            };
        }
    }
    let after = rss_mib();
    println!(
        "memory: {waiting} deliveries waiting to retry (1 h): resident {after:.1} MiB (process before: {before:.1} MiB; {:.0} bytes per delivery, its future {future_size} bytes; target <= 128 MiB)",
        (after - before) * 1024.0 * 1024.0 / waiting.max(1) as f64
    );
    for t in tasks {
        t.abort();
    }
}

/// N POSTs of one fixed body, C workers, through raw reqwest and then through hyper-util's
/// pooled client; prints each one's rate.
async fn clients(url: String, n: usize, c: usize) {
    use http_body_util::{BodyExt, Full};
    let body = bytes::Bytes::from_static(
        br#"{"event_id":"149744dd-9002-4411-a6c7-9635da372caa","event_type":"parse.success","timestamp":1753985275.1154444,"data":{"id":"a9a57884","job_id":"a9a57884"}}"#,
    );
    let per = n / c;
    let reqwest_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest");
    let parsed = reqwest::Url::parse(&url).expect("URL");
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..c {
        let (client, url, body) = (reqwest_client.clone(), parsed.clone(), body.clone());
        workers.spawn(async move {
            for _ in 0..per {
                let sent = client
                    .post(url.clone())
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                if let Ok(r) = sent {
                    let _ = r.bytes().await;
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let reqwest_rate = (per * c) as f64 / started.elapsed().as_secs_f64();

    let hyper_client: hyper_util::client::legacy::Client<_, Full<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let uri: http::Uri = url.parse().expect("URI");
    let started = Instant::now();
    for _ in 0..c {
        let (client, uri, body) = (hyper_client.clone(), uri.clone(), body.clone());
        workers.spawn(async move {
            for _ in 0..per {
                let Ok(req) = http::Request::post(uri.clone())
                    .header("content-type", "application/json")
                    .body(Full::new(body.clone()))
                else {
                    return;
                };
                if let Ok(r) = client.request(req).await {
                    let _ = r.into_body().collect().await;
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let hyper_rate = (per * c) as f64 / started.elapsed().as_secs_f64();
    println!(
        "clients alone ({} POSTs, concurrency {c}): reqwest {reqwest_rate:.0} req/s, hyper-util {hyper_rate:.0} req/s",
        per * c
    );
}
