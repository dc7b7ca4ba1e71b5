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
//!   each a one-thread runtime with its own connection pool; prints deliveries per second,
//!   timed from when every thread has its runtime, profile, transport and journal ready
//!   (as oha's rate is timed from its first request, not from its start-up);
//! - `cargo bench --bench live -- sample DIR`: one signed llamacloud request as the sender
//!   builds it, written to `DIR/headers` (one `Name: value` a line) and `DIR/body`, so that
//!   `live.sh` points oha at the receiver with the same headers and body size;
//! - `cargo bench --bench live -- journal-check`: the journal line as the bench writes it
//!   against serde_json's for the same line, over many generated strings (every byte that
//!   needs escaping, non-ASCII text, runs across 8-byte boundaries); exits 1 on a difference;
//! - `cargo bench --bench live -- event-check`: the bench's `parse.success` events (made
//!   directly, see [`parse_success`]) against the catalogue's: same keys, same kind of
//!   ids, same header names and body lengths once built; exits 1 on a difference;
//! - `cargo bench --bench live -- clients URL N C`: the two HTTP clients alone, nothing
//!   built, signed or journaled — N POSTs of one fixed body with C in flight through raw
//!   reqwest, then through hyper-util's pooled client — to show what each costs;
//! - `cargo bench --bench live -- accuracy`: 24 deliveries × 11 attempts at time scale 1
//!   against a live receiver answering 503; prints p50/p99 of each retry's start error
//!   (actual start − (previous attempt's end + scheduled wait)), and beside them what the
//!   kernel did with the process's threads during the run (time on a CPU, time runnable
//!   but waiting for one) and the machine's stolen time; with `LIVE_DETAIL=1` in the
//!   environment, also every retry more than 0.5 ms late (delivery, attempt, due time) and,
//!   per late batch (an attempt number), the same figures from a thread sampling them
//!   every millisecond (see docs/benchmarks.md, "Schedule accuracy, fourth pass"); with
//!   `LIVE_ONE_THREAD=1`, on one thread (as `hookrig send` runs) instead of a runtime with
//!   a worker per core (as `hookrig run --live` runs);
//! - `cargo bench --bench live -- memory N`: N deliveries whose first attempt failed, all
//!   waiting an hour to retry, on one thread as `hookrig send` runs; prints the process's
//!   resident memory.

use std::io::Write;
use std::sync::Arc;
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

/// jemalloc's start-up options as the binary's ([`hookrig::JEMALLOC_CONF`]): read through its weak
/// `malloc_conf` symbol, which this definition takes the place of.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: hookrig::JemallocConf = hookrig::JemallocConf::BINARY;

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
        Some("sample") => sample(std::path::Path::new(args.get(1).expect("DIR"))),
        Some("journal-check") => journal_check(),
        Some("event-check") => event_check(),
        Some("clients") => {
            let url = args.get(1).expect("URL").clone();
            let n = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000);
            let c = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50);
            many_threads().block_on(clients(url, n, c.max(1)));
        }
        // `LIVE_ONE_THREAD=1`: on one thread, as `hookrig send` runs (the receiver with it).
        Some("accuracy") if std::env::var_os("LIVE_ONE_THREAD").is_some() => {
            one_thread().block_on(accuracy())
        }
        Some("accuracy") => many_threads().block_on(accuracy()),
        Some("memory") => {
            let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
            one_thread().block_on(memory(n));
        }
        _ => eprintln!(
            "usage: live (serve-axum PORT | serve-wiremock PORT | sender URL N C [THREADS] | sample DIR | journal-check | event-check | clients URL N C | accuracy | memory N)"
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

/// Delivery `index`: a `parse.success` event with fresh data and ids from `rng`. The bench
/// stands for the service that hands the sender its events, so it makes the data itself —
/// the catalogue's `parse.success` (`{"id": U, "job_id": U}`, one fresh random UUID `U`),
/// made directly rather than through the profile's template interpreter, which is the
/// event producer's work, not the sender's (≈ 3,300 instructions a delivery; `event-check`
/// compares the two). The ids are the profile's own, drawn as the sender's caller draws them.
fn parse_success(p: &Profile, index: usize, rng: &mut RunRng) -> Delivery {
    let job = rng.uuid();
    // Sized to its two entries, as the catalogue's object is: a delivery waiting to retry
    // keeps its data, and a map grown by its inserts holds room for more (≈ 100 bytes).
    let mut data = serde_json::Map::with_capacity(2);
    data.insert("id".into(), serde_json::Value::String(job.clone()));
    data.insert("job_id".into(), serde_json::Value::String(job));
    Delivery {
        index,
        event_type: "parse.success".into(),
        data: serde_json::Value::Object(data),
        ids: p.new_ids(rng),
        jitter_seed: 0,
    }
}

/// The bench's `parse.success` events against the catalogue's: the same keys in the same
/// order, the same kind of id (a random UUID, the same one for `id` and `job_id`), and
/// requests built from them the same header names and body lengths; exits 1 otherwise.
fn event_check() {
    let p = llamacloud();
    let endpoint = bench_endpoint();
    let (mut ours, mut theirs) = (RunRng::new(18), RunRng::new(18));
    let shape = |v: &serde_json::Value| -> Vec<(String, usize)> {
        let object = v.as_object().expect("an object");
        let uuid = |s: &str| {
            uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 4)
                && s == s.to_ascii_lowercase()
        };
        assert!(object.values().all(|x| x.as_str().is_some_and(uuid)));
        assert_eq!(object.get("id"), object.get("job_id"));
        object
            .iter()
            .map(|(k, x)| (k.clone(), x.as_str().map_or(0, str::len)))
            .collect()
    };
    let build = |d: &Delivery| {
        let r = p
            .build_request(
                &endpoint,
                &d.event_type,
                &d.data,
                &d.ids,
                Duration::from_secs(1_700_000_000),
            )
            .expect("a llamacloud request");
        let names: Vec<String> = r.headers.iter().map(|(k, _)| k.to_string()).collect();
        (names, r.body.len())
    };
    for i in 0..1_000 {
        let bench = parse_success(&p, i, &mut ours);
        let catalogue = Delivery {
            index: i,
            event_type: "parse.success".into(),
            data: p.generate_data("parse.success", &mut theirs),
            ids: p.new_ids(&mut theirs),
            jitter_seed: 0,
        };
        if shape(&bench.data) != shape(&catalogue.data) || build(&bench) != build(&catalogue) {
            eprintln!(
                "event-check: event {i} differs:\n bench:     {}\n catalogue: {}",
                bench.data, catalogue.data
            );
            std::process::exit(1);
        }
    }
    println!("event-check: 1000 events shaped as the catalogue's");
}

fn llamacloud() -> Profile {
    profile::builtin("llamacloud").expect("built-in")
}

/// One journal line: the attempt, its answer, and the request as sent (secrets redacted).
/// The bench writes it with [`Journal::line`]; this is serde_json's writing of the same line,
/// which [`journal_check`] compares it with.
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

/// What a journal line says.
struct Line<'a> {
    delivery: usize,
    n: u32,
    at_us: u64,
    status: Option<u16>,
    latency_us: u64,
    headers: &'a [hookrig::record::Header],
    body: &'a [u8],
}

impl Line<'_> {
    /// The line as serde_json writes it (with the newline).
    fn serde_json(&self) -> Vec<u8> {
        let line = JournalLine {
            delivery: self.delivery,
            n: self.n,
            at_us: self.at_us,
            status: self.status,
            latency_us: self.latency_us,
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), redact(k, v)))
                .collect(),
            body: String::from_utf8_lossy(self.body),
        };
        let mut out = serde_json::to_vec(&line).expect("a journal line");
        out.push(b'\n');
        out
    }
}

/// The journal's lines, written in place into a buffer zeroed once (nothing resized or
/// reserved per string) and appended to the file 64 KiB at a time.
struct Journal {
    buf: Vec<u8>,
    used: usize,
}

impl Journal {
    fn new(len: usize) -> Self {
        Journal {
            buf: vec![0; len],
            used: 0,
        }
    }

    /// Appends `l` as one JSON line, byte for byte what serde_json writes for its
    /// [`JournalLine`] (`journal-check`), without the header list serde_json needs made
    /// first, with the strings escaped eight bytes at a time where nothing needs escaping
    /// ([`put_str`]) — serde_json looks at every byte and copies each run between escapes
    /// on its own, and a llamacloud body (a JSON string holding JSON) has an escape every
    /// few bytes — and integers written digit by digit (no `fmt`).
    fn line(&mut self, l: &Line<'_>) {
        // UTF-8 (as the sender's bodies are) is written as it is; only other bytes go
        // through the lossy pass.
        let lossy;
        let body = match std::str::from_utf8(l.body) {
            Ok(s) => s,
            Err(_) => {
                lossy = String::from_utf8_lossy(l.body);
                &*lossy
            }
        };
        // At most 6 bytes out for a byte in (`\u00XX`); a redacted value is at most 32
        // bytes; 200 for the keys, the integers and the punctuation.
        let most = 200
            + 6 * body.len()
            + l.headers
                .iter()
                .map(|(k, v)| 8 + 6 * k.len() + 6 * v.len().max(32))
                .sum::<usize>();
        if self.buf.len() - self.used < most {
            self.buf.resize(self.used + most, 0);
        }
        let out = &mut self.buf[self.used..];
        let mut w = put(out, 0, b"{\"delivery\":");
        w = put_uint(out, w, l.delivery as u64);
        w = put(out, w, b",\"n\":");
        w = put_uint(out, w, l.n.into());
        w = put(out, w, b",\"at_us\":");
        w = put_uint(out, w, l.at_us);
        w = put(out, w, b",\"status\":");
        w = match l.status {
            Some(s) => put_uint(out, w, s.into()),
            None => put(out, w, b"null"),
        };
        w = put(out, w, b",\"latency_us\":");
        w = put_uint(out, w, l.latency_us);
        w = put(out, w, b",\"headers\":[");
        for (i, (k, v)) in l.headers.iter().enumerate() {
            w = put(out, w, if i == 0 { b"[" } else { b",[" });
            w = put_str(out, w, k);
            w = put(out, w, b",");
            w = put_str(out, w, &redact(k, v));
            w = put(out, w, b"]");
        }
        w = put(out, w, b"],\"body\":");
        w = put_str(out, w, body);
        w = put(out, w, b"}\n");
        self.used += w;
    }

    fn written(&self) -> &[u8] {
        &self.buf[..self.used]
    }

    fn clear(&mut self) {
        self.used = 0;
    }
}

fn put(out: &mut [u8], w: usize, bytes: &[u8]) -> usize {
    out[w..w + bytes.len()].copy_from_slice(bytes);
    w + bytes.len()
}

fn put_uint(out: &mut [u8], w: usize, v: u64) -> usize {
    put(out, w, itoa::Buffer::new().format(v).as_bytes())
}

/// serde_json's escape table: 0 for a byte written as it is, else the letter after the
/// backslash (`u` for `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Whether any of the 8 bytes of `x` is below 0x20, a `"` or a `\` (exact: the
/// "has a byte less than n" and "has a zero byte" word tests, n ≤ 128).
fn needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_in = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    below_space | zero_in(x ^ (ONES * u64::from(b'"'))) | zero_in(x ^ (ONES * u64::from(b'\\')))
        != 0
}

/// `s` as a JSON string at `out[w..]`, escaped as serde_json escapes it (`out` has room
/// for 6 bytes a byte and the quotes); where it ends.
fn put_str(out: &mut [u8], mut w: usize, s: &str) -> usize {
    let bytes = s.as_bytes();
    out[w] = b'"';
    w += 1;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if needs_escape(word) {
            for &c in chunk {
                w = put_byte(out, w, c);
            }
        } else {
            out[w..w + 8].copy_from_slice(chunk);
            w += 8;
        }
    }
    for &c in chunks.remainder() {
        w = put_byte(out, w, c);
    }
    out[w] = b'"';
    w + 1
}

fn put_byte(out: &mut [u8], w: usize, c: u8) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ESCAPE[usize::from(c)] {
        0 => {
            out[w] = c;
            w + 1
        }
        b'u' => put(
            out,
            w,
            &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ],
        ),
        e => put(out, w, &[b'\\', e]),
    }
}

/// `write_line` against serde_json over generated lines; exits 1 at the first difference.
fn journal_check() {
    // Every byte that needs escaping, 0x7f (which does not), ASCII and non-ASCII text.
    let mut alphabet: Vec<String> = (0u8..0x20).map(|b| char::from(b).to_string()).collect();
    for s in [
        "\"", "\\", "\u{7f}", "a", "Z", "0", " ", "/", "é", "€", "😀", "{\"k\":",
    ] {
        alphabet.push(s.to_owned());
    }
    let mut rng = RunRng::new(18);
    let text = |rng: &mut RunRng| {
        let len = rng.u64() % 40;
        (0..len)
            .map(|_| alphabet[(rng.u64() % alphabet.len() as u64) as usize].as_str())
            .collect::<String>()
    };
    let mut lines = 0;
    let mut journal = Journal::new(64);
    for i in 0..20_000u64 {
        let headers: Vec<hookrig::record::Header> = (0..rng.u64() % 6)
            .map(|h| {
                let name = match h {
                    0 => "Authorization".to_owned(),
                    1 => "X-Webhook-Secret".to_owned(),
                    _ => text(&mut rng),
                };
                (name.into(), text(&mut rng).into())
            })
            .collect();
        let mut body = text(&mut rng)
            .repeat(1 + (rng.u64() % 8) as usize)
            .into_bytes();
        if i % 7 == 0 {
            body.push(0xff); // not UTF-8: the lossy pass
        }
        let line = Line {
            delivery: (rng.u64() % 100_000) as usize,
            n: (rng.u64() % 12) as u32,
            at_us: rng.u64() >> (rng.u64() % 64),
            status: (i % 3 != 0).then(|| (rng.u64() % 600) as u16),
            latency_us: u64::MAX >> (rng.u64() % 64),
            headers: &headers,
            body: &body,
        };
        // Every line into one journal that starts small: lines after lines, and growth.
        let before = journal.written().len();
        journal.line(&line);
        let ours = &journal.written()[before..];
        let theirs = line.serde_json();
        if ours != theirs {
            eprintln!(
                "journal-check: line {i} differs:\n ours:       {}\n serde_json: {}",
                String::from_utf8_lossy(ours),
                String::from_utf8_lossy(&theirs)
            );
            std::process::exit(1);
        }
        lines += 1;
        if journal.written().len() > 1 << 20 {
            journal.clear();
        }
    }
    println!("journal-check: {lines} lines the same as serde_json's");
}

/// One signed llamacloud request as the sender builds it (the bench's secret), written to
/// `dir/headers` (`Name: value` a line) and `dir/body`, for oha to send the same.
fn sample(dir: &std::path::Path) {
    let p = llamacloud();
    let endpoint = bench_endpoint();
    let d = parse_success(&p, 0, &mut RunRng::new(1));
    let request = p
        .build_attempt(
            &endpoint,
            &d.event_type,
            &d.data,
            &d.ids,
            hookrig::clock::Clock::now(&SystemClock),
            hookrig::profile::AttemptInfo {
                n: 1,
                last: None,
                url: "/hooks",
            },
        )
        .expect("a llamacloud request");
    std::fs::create_dir_all(dir).expect("sample dir");
    let headers: String = request
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect();
    std::fs::write(dir.join("headers"), headers).expect("headers");
    std::fs::write(dir.join("body"), &request.body).expect("body");
}

fn bench_endpoint() -> Endpoint {
    Endpoint {
        secrets: vec!["bench-secret".into()],
        ..Endpoint::default()
    }
}

/// `(delivery, attempt)` keys hashed by a multiply per word: the journal's map of its own
/// attempts in flight needs no SipHash (which guards maps keyed by outside input).
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v.into());
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// A shard's context, made before the clock starts.
struct Shard {
    ctx: SenderCtx,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    profile: Arc<Profile>,
}

/// The context a shard's workers share (call inside its runtime).
fn shard_setup(url: String) -> Shard {
    let (tx, rx) = mpsc::unbounded_channel();
    let profile = Arc::new(llamacloud());
    let ctx = SenderCtx::new(
        Arc::clone(&profile),
        Arc::new(bench_endpoint()),
        Transport::http().expect("client"),
        Arc::new(SystemClock),
        tx,
        url,
    );
    Shard {
        ctx,
        events: rx,
        profile,
    }
}

/// N deliveries over `shards` threads, each a one-thread runtime with its own connection
/// pool and C / shards workers; prints the rate, timed from when every thread is ready.
fn sender_bench(url: String, n: usize, c: usize, shards: usize) {
    let journal_path = std::env::temp_dir().join("hookrig-bench-sender.jsonl");
    let journal = Arc::new(std::sync::Mutex::new(
        std::fs::File::create(&journal_path).expect("journal"),
    ));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Each thread makes its runtime and context (profile loaded, HTTP clients built) before
    // the clock starts: start-up, not deliveries (≈ 44 million instructions, a few percent
    // of a 20,000-delivery run, measured with callgrind), as oha's own start-up is not in
    // its rate.
    let ready = Arc::new(std::sync::Barrier::new(shards + 1));
    let threads: Vec<_> = (0..shards)
        .map(|s| {
            let (url, journal, next, ready) = (
                url.clone(),
                Arc::clone(&journal),
                Arc::clone(&next),
                Arc::clone(&ready),
            );
            let workers = c / shards + usize::from(s < c % shards);
            std::thread::spawn(move || {
                let rt = one_thread();
                let shard = {
                    let _in = rt.enter();
                    shard_setup(url)
                };
                ready.wait();
                rt.block_on(sender_shard(shard, n, workers, s, next, journal))
            })
        })
        .collect();
    ready.wait();
    let started = Instant::now();
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
    shard: Shard,
    n: usize,
    workers: usize,
    shard_index: usize,
    next: Arc<std::sync::atomic::AtomicUsize>,
    file: Arc<std::sync::Mutex<std::fs::File>>,
) -> (usize, usize) {
    let Shard {
        ctx,
        events: mut rx,
        profile,
    } = shard;
    // The journal: one JSON line per attempt with the request as sent (headers, secrets
    // redacted, and body), the answer's status or error and the latency.
    let writer = tokio::spawn(async move {
        let mut attempts = 0usize;
        let mut sent: std::collections::HashMap<_, _, std::hash::BuildHasherDefault<KeyHasher>> =
            Default::default();
        let mut journal = Journal::new(80 * 1024);
        let flush = |journal: &mut Journal| {
            if let Ok(mut f) = file.lock() {
                let _ = f.write_all(journal.written());
            }
            journal.clear();
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
                    journal.line(&Line {
                        delivery,
                        n,
                        at_us: at.as_micros() as u64,
                        status: match result {
                            AttemptResult::Status(s) => Some(s),
                            _ => None,
                        },
                        latency_us: latency.as_micros() as u64,
                        headers: &request.headers,
                        body: &request.body,
                    });
                    if journal.written().len() >= 64 * 1024 {
                        flush(&mut journal);
                    }
                }
                _ => {}
            }
        }
        flush(&mut journal);
        attempts
    });
    // Workers deliver one event after another (as oha's connections each send one request
    // after another); every delivery gets fresh data and ids.
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..workers {
        let (ctx, profile, next) = (ctx.clone(), Arc::clone(&profile), Arc::clone(&next));
        tasks.spawn(async move {
            let mut rng = RunRng::derive(1, &format!("shard {shard_index} worker {w}"));
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
    let ctx = SenderCtx::new(
        Arc::new(p.clone()),
        Arc::new(Endpoint::default()),
        Transport::http().expect("client"),
        Arc::new(SystemClock),
        tx,
        format!("http://{}/x", server.addr),
    );
    // What the kernel did with the process's threads meanwhile: read at the start and the
    // end (always), and every millisecond by a sampling thread with `LIVE_DETAIL=1`.
    let detail = std::env::var_os("LIVE_DETAIL").is_some();
    let start = ctx.start.into_std();
    let before = Sched::now();
    let sampler = detail.then(|| Sampler::start(start));
    let mut tasks = tokio::task::JoinSet::new();
    let mut rng = RunRng::new(2);
    for i in 0..24 {
        let ctx = ctx.clone();
        let d = parse_success(&p, i, &mut rng);
        tasks.spawn(async move { sender::deliver(&ctx, &d).await });
    }
    while tasks.join_next().await.is_some() {}
    let after = Sched::now();
    let samples = sampler.map(Sampler::stop).unwrap_or_default();
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
    // Per attempt number (a batch: every delivery runs the same schedule), the late retries:
    // (due, start, lateness) in ms from the context's start.
    let mut late: std::collections::BTreeMap<u32, Vec<(f64, f64, f64)>> = Default::default();
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
        if detail && error > 0.5 {
            eprintln!(
                "late: delivery {d} attempt {} due {:.2} ms, {error:.2} ms late",
                n + 1,
                due.as_secs_f64() * 1e3
            );
            late.entry(n + 1).or_default().push((
                due.as_secs_f64() * 1e3,
                next.as_secs_f64() * 1e3,
                error,
            ));
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
    println!("{}", after.since(&before));
    if detail {
        // The monotonic clock's reading at the context's start (std's `Instant` shows it), to
        // find a batch in a `perf sched record -k CLOCK_MONOTONIC` trace.
        eprintln!("context start (CLOCK_MONOTONIC): {start:?}");
        for (n, retries) in &late {
            let first_due = retries.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
            let last_start = retries.iter().map(|r| r.1).fold(0.0, f64::max);
            let worst = retries.iter().map(|r| r.2).fold(0.0, f64::max);
            eprintln!(
                "late batch: attempt {n}, {} of 24 retries late, the worst {worst:.2} ms; from the first due ({first_due:.2} ms) to the last start ({last_start:.2} ms): {}",
                retries.len(),
                window(&samples, first_due, last_start)
            );
        }
    }
    server.stop().await;
}

/// The scheduler's figures for the process's threads (`/proc/self/task/*/schedstat`: time on
/// a CPU, time runnable but waiting for one, in ns) and the machine's stolen time (`steal`
/// of `/proc/stat`, in USER_HZ ticks of 10 ms: the time the host ran something else while a
/// virtual CPU of this machine had work).
#[derive(Clone, Default)]
struct Sched {
    /// (thread id, name, ns on a CPU, ns runnable and waiting)
    threads: Vec<(u32, String, u64, u64)>,
    steal_ticks: u64,
}

impl Sched {
    fn now() -> Sched {
        let mut threads = Vec::new();
        for entry in std::fs::read_dir("/proc/self/task")
            .into_iter()
            .flatten()
            .flatten()
        {
            let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            let dir = entry.path();
            let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            let stat = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
            let mut f = stat
                .split_whitespace()
                .map(|x| x.parse::<u64>().unwrap_or(0));
            let (run, wait) = (f.next().unwrap_or(0), f.next().unwrap_or(0));
            threads.push((tid, name.trim().to_string(), run, wait));
        }
        Sched {
            threads,
            steal_ticks: steal_ticks(),
        }
    }

    /// What happened between `earlier` and `self`, per thread that ran.
    fn since(&self, earlier: &Sched) -> String {
        let mut out = format!(
            "scheduler during the run: steal {} ms (10 ms ticks)",
            (self.steal_ticks.saturating_sub(earlier.steal_ticks)) * 10
        );
        for (tid, name, run, wait) in &self.threads {
            let (run0, wait0) = earlier
                .threads
                .iter()
                .find(|t| t.0 == *tid)
                .map_or((0, 0), |t| (t.2, t.3));
            if run > &run0 {
                out += &format!(
                    "; {name} {tid}: on a CPU {:.2} ms, runnable and waiting {:.2} ms",
                    (run - run0) as f64 / 1e6,
                    wait.saturating_sub(wait0) as f64 / 1e6
                );
            }
        }
        out
    }
}

/// The `steal` field of `/proc/stat`'s `cpu` line, all CPUs together.
fn steal_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(8))
        .and_then(|x| x.parse().ok())
        .unwrap_or(0)
}

/// A thread reading the scheduler's figures for the runtime's threads every millisecond (from
/// files opened once; the steal every tenth reading, as it counts in 10 ms ticks), and how
/// late it woke up itself: a thread that sleeps 1 ms and wakes late without having waited
/// runnable was not woken (the machine, or its host, was elsewhere).
struct Sampler {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Sample>>,
}

/// One reading: ms since the context's start, ms the sampler woke late, the readings.
struct Sample {
    at: f64,
    woke_late: f64,
    sched: Sched,
    /// The sampler's own figures (ns on a CPU, ns runnable and waiting).
    own: (u64, u64),
}

/// The first two numbers of a schedstat file, read again from its start.
fn schedstat(f: &std::fs::File, buf: &mut [u8]) -> (u64, u64) {
    use std::os::unix::fs::FileExt;
    let n = f.read_at(buf, 0).unwrap_or(0);
    let mut it = std::str::from_utf8(&buf[..n])
        .unwrap_or("")
        .split_whitespace()
        .map(|x| x.parse::<u64>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

impl Sampler {
    fn start(start: Instant) -> Sampler {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        // The threads there are now (the runtime's, and this one's caller).
        let threads: Vec<(u32, String, std::fs::File)> = Sched::now()
            .threads
            .into_iter()
            .filter_map(|(tid, name, ..)| {
                let f = std::fs::File::open(format!("/proc/self/task/{tid}/schedstat")).ok()?;
                Some((tid, name, f))
            })
            .collect();
        let sampling = move || {
            let own = std::fs::File::open("/proc/thread-self/schedstat").ok();
            let mut buf = [0u8; 128];
            let mut samples = Vec::with_capacity(2_000);
            let mut next = Instant::now();
            let mut steal = steal_ticks();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let now = Instant::now();
                if samples.len() % 10 == 9 {
                    steal = steal_ticks();
                }
                let sched = Sched {
                    threads: threads
                        .iter()
                        .map(|(tid, name, f)| {
                            let (run, wait) = schedstat(f, &mut buf);
                            (*tid, name.clone(), run, wait)
                        })
                        .collect(),
                    steal_ticks: steal,
                };
                samples.push(Sample {
                    at: now.saturating_duration_since(start).as_secs_f64() * 1e3,
                    woke_late: now.saturating_duration_since(next).as_secs_f64() * 1e3,
                    sched,
                    own: own.as_ref().map_or((0, 0), |f| schedstat(f, &mut buf)),
                });
                next = Instant::now() + Duration::from_millis(1);
                std::thread::sleep(Duration::from_millis(1));
            }
            samples
        };
        let thread = std::thread::Builder::new()
            .name("sampler".into())
            .spawn(sampling)
            .expect("a sampling thread");
        Sampler { stop, thread }
    }

    fn stop(self) -> Vec<Sample> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// What the samples say happened from `from` to `to` (ms since the context's start): from
/// the last sample at or before `from` to the first at or after `to`.
fn window(samples: &[Sample], from: f64, to: f64) -> String {
    let Some(a) = samples.iter().rposition(|s| s.at <= from) else {
        return "no sample".into();
    };
    let b = samples[a..]
        .iter()
        .position(|s| s.at >= to)
        .map_or(samples.len() - 1, |i| a + i);
    let (s0, s1) = (&samples[a], &samples[b]);
    let woke = samples[a + 1..=b]
        .iter()
        .map(|s| s.woke_late)
        .fold(0.0, f64::max);
    format!(
        "sampled {:.2}–{:.2} ms, the sampler woke up to {woke:.2} ms late, itself runnable and waiting {:.2} ms; {}",
        s0.at,
        s1.at,
        s1.own.1.saturating_sub(s0.own.1) as f64 / 1e6,
        s1.sched
            .since(&s0.sched)
            .replace("scheduler during the run: ", "")
    )
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
    let ctx = SenderCtx::new(
        Arc::new(p.clone()),
        Arc::new(Endpoint {
            secrets: vec!["s".into()],
            ..Endpoint::default()
        }),
        Transport::InProcess(router),
        Arc::new(SystemClock),
        tx,
        "/x",
    );
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
