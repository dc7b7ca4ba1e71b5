//! The receiver's socket as raw TCP sees it: protocol edge cases answered as a kept server
//! answers them (hyper's), the body limit to the byte, requests refused for size still on
//! record, the connection faults as bytes (or their absence) on the wire, a dribble timed
//! piece by piece, HTTP/2 with prior knowledge, and `hookrig receive` itself.

use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hookrig::clock::SystemClock;
use hookrig::faults::{Action, Dribble, Fault, FaultPlan, Step};
use hookrig::receiver::live::{self, Running};
use hookrig::receiver::log::RequestLog;
use hookrig::receiver::{Receiver, app};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::utils::Scratch;

fn plan(action: Action) -> FaultPlan {
    FaultPlan::new(vec![Step {
        when_event: None,
        action,
    }])
}

async fn start(receiver: Receiver) -> Running {
    let listener = live::bind("127.0.0.1:0").await.expect("bind a free port");
    live::spawn(listener, receiver.into_app()).expect("serve")
}

/// Reads until the peer closes (or 5 s pass); the bytes and how reading ended.
async fn read_to_close(stream: &mut TcpStream) -> (Vec<u8>, std::io::Result<()>) {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (got, Err(std::io::ErrorKind::TimedOut.into())),
            Ok(Ok(0)) => return (got, Ok(())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return (got, Err(e)),
        }
    }
}

/// Sends `request` on a fresh connection and reads until the server closes it.
async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let (got, _) = read_to_close(&mut stream).await;
    String::from_utf8_lossy(&got).into_owned()
}

fn status(response: &str) -> u16 {
    response
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 answer: {response:?}"))
}

/// Reads one HTTP/1.1 answer with a `content-length` (head and body) from `stream`.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if got.len() >= end + 4 + length {
                return String::from_utf8_lossy(&got).into_owned();
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("an answer within 5 s")
            .unwrap();
        assert!(
            n > 0,
            "closed mid-answer: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn expect_100_continue_is_answered_at_once_so_the_client_sends_its_body_without_waiting() {
    let server = start(Receiver::new(FaultPlan::default())).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();

    let asked = Instant::now();
    stream
        .write_all(
            b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let mut interim = [0u8; 25];
    tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut interim))
        .await
        .expect("100 Continue before curl's 1 s wait would end")
        .unwrap();
    let waited = asked.elapsed();
    stream.write_all(b"hello").await.unwrap();
    let answer = read_answer(&mut stream).await;

    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(waited < Duration::from_millis(500), "{waited:?}");
    assert_eq!(status(&answer), 200, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn two_different_content_lengths_get_400_and_reach_no_step() {
    let log = RequestLog::new(Arc::new(SystemClock));
    let receiver = Arc::new(Receiver::new(FaultPlan::default()).with_log(log));
    let listener = live::bind("127.0.0.1:0").await.unwrap();
    let server = live::spawn(listener, app(Arc::clone(&receiver))).unwrap();

    let answer = exchange(
        server.addr,
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello",
    )
    .await;
    let listed = exchange(
        server.addr,
        b"GET /_hookrig/requests HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;

    assert_eq!(status(&answer), 400, "{answer}");
    assert!(listed.ends_with("[]"), "{listed}");
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_chunk_gets_400() {
    let server = start(Receiver::new(FaultPlan::default())).await;

    let answer = exchange(
        server.addr,
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    )
    .await;

    assert_eq!(status(&answer), 400, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn a_head_over_64_kib_gets_431() {
    let server = start(Receiver::new(FaultPlan::default())).await;
    let big = format!(
        "POST /x HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
        "a".repeat(live::MAX_HEAD + 1)
    );

    let answer = exchange(server.addr, big.as_bytes()).await;

    assert_eq!(status(&answer), 431, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn more_header_fields_than_the_limit_get_431() {
    let server = start(Receiver::new(FaultPlan::default())).await;
    let fields: String = (0..live::MAX_HEADERS)
        .map(|i| format!("X-F{i}: v\r\n"))
        .collect();
    let request = format!("POST /x HTTP/1.1\r\nHost: x\r\n{fields}Content-Length: 0\r\n\r\n");

    let answer = exchange(server.addr, request.as_bytes()).await;

    assert_eq!(status(&answer), 431, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn a_head_just_under_the_limit_is_answered() {
    let server = start(Receiver::new(FaultPlan::default())).await;
    let big = format!(
        "POST /x HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "a".repeat(live::MAX_HEAD - 1024)
    );

    let answer = exchange(server.addr, big.as_bytes()).await;

    assert_eq!(status(&answer), 200, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn a_tls_client_hello_is_refused_and_closed_at_once() {
    let server = start(Receiver::new(FaultPlan::default())).await;
    // The first bytes of a TLS 1.2/1.3 ClientHello record.
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
    ];
    hello.extend_from_slice(&[0x5a; 32]);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();

    let sent = Instant::now();
    stream.write_all(&hello).await.unwrap();
    let (got, ended) = read_to_close(&mut stream).await;
    let took = sent.elapsed();

    assert!(
        !matches!(&ended, Err(e) if e.kind() == std::io::ErrorKind::TimedOut),
        "the connection was left open"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(status(&String::from_utf8_lossy(&got)), 400);
    server.stop().await;
}

/// A request with `size` body bytes, as one `Content-Length` body or in 64 KiB chunks.
fn upload(size: usize, chunked: bool) -> Vec<u8> {
    let mut r = Vec::with_capacity(size + size / 1000 + 256);
    if chunked {
        r.extend_from_slice(b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        let mut left = size;
        while left > 0 {
            let n = left.min(64 * 1024);
            r.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            r.resize(r.len() + n, b'a');
            r.extend_from_slice(b"\r\n");
            left -= n;
        }
        r.extend_from_slice(b"0\r\n\r\n");
    } else {
        r.extend_from_slice(
            format!("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        r.resize(r.len() + size, b'a');
    }
    r
}

/// Sends `request` while reading the answer (a server may answer before the body is all
/// sent); returns the answer's status.
async fn upload_status(addr: SocketAddr, request: Vec<u8>) -> u16 {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&request).await;
        wr
    });
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(30), rd.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            other => panic!(
                "no answer ({other:?}) after {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    drop(writer.await);
    status(&String::from_utf8_lossy(&got))
}

/// The statuses a receiver limited to `limit` body bytes answers to uploads of `limit` and
/// `limit + 1` bytes, first with a length, then chunked.
async fn statuses_at_and_over(limit: usize) -> Vec<u16> {
    let server = start(Receiver::new(FaultPlan::default()).with_body_limit(limit)).await;
    let mut got = Vec::new();
    for chunked in [false, true] {
        for size in [limit, limit + 1] {
            got.push(upload_status(server.addr, upload(size, chunked)).await);
        }
    }
    server.stop().await;
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_limit_holds_to_the_byte_with_lengths_and_with_chunks() {
    let got = statuses_at_and_over(1000).await;

    assert_eq!(got, [200, 413, 200, 413]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_far_above_the_default_is_honoured_too() {
    // Five times the 10 MiB default (the old server refused anything over four times it).
    let got = statuses_at_and_over(50 * 1024 * 1024).await;

    assert_eq!(got, [200, 413, 200, 413]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_refused_for_size_is_journaled_and_listed_with_its_headers_and_size() {
    let dir = Scratch::new();
    let journal = dir.path().join("requests.jsonl");
    let log = RequestLog::new(Arc::new(SystemClock))
        .with_journal(&journal)
        .unwrap();
    let receiver = Arc::new(
        Receiver::new(FaultPlan::default())
            .with_body_limit(1000)
            .with_log(log),
    );
    let listener = live::bind("127.0.0.1:0").await.unwrap();
    let server = live::spawn(listener, app(Arc::clone(&receiver))).unwrap();

    let declared = upload_status(server.addr, upload(5000, false)).await;
    let chunked = upload_status(server.addr, upload(5000, true)).await;
    let listed = exchange(
        server.addr,
        b"GET /_hookrig/requests HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    let listed: Vec<Value> =
        serde_json::from_str(listed.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let lines: Vec<Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    assert_eq!((declared, chunked), (413, 413));
    assert_eq!(lines, listed);
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(line["answer"], "413 (too large)");
        assert_eq!(line["path"], "/up");
        assert_eq!(line["body"], "");
    }
    let header = |l: &Value, name: &str| {
        l["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == name)
            .map(|h| h[1].clone())
    };
    assert_eq!(header(&lines[0], "content-length"), Some("5000".into()));
    assert_eq!(lines[0]["size"], 5000);
    assert_eq!(
        header(&lines[1], "transfer-encoding"),
        Some("chunked".into())
    );
    // A chunked body has no declared size: what had come when it passed the limit.
    let cut = lines[1]["size"].as_u64().unwrap();
    assert!(cut > 1000 && cut <= 5000, "{cut}");
    server.stop().await;
}

#[tokio::test]
async fn drop_closes_with_a_fin_and_no_answer() {
    let server = start(Receiver::new(plan(Action::Fault(Fault::Drop)))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();

    stream
        .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();
    let (got, ended) = read_to_close(&mut stream).await;

    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
    assert!(ended.is_ok(), "a clean close, not {ended:?}");
    server.stop().await;
}

#[tokio::test]
async fn reset_resets_the_connection_without_an_answer() {
    let server = start(Receiver::new(plan(Action::Fault(Fault::Reset)))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();

    stream
        .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();
    let (got, ended) = read_to_close(&mut stream).await;

    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
    assert_eq!(
        ended.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
    server.stop().await;
}

#[tokio::test]
async fn malformed_sends_bytes_that_are_not_http_then_closes() {
    let server = start(Receiver::new(plan(Action::Fault(Fault::Malformed)))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();

    stream
        .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();
    let (got, ended) = read_to_close(&mut stream).await;

    assert_eq!(got, live::stream::GARBAGE);
    assert!(ended.is_ok(), "{ended:?}");
    server.stop().await;
}

#[tokio::test]
async fn stall_neither_answers_nor_reads_the_next_request() {
    let log = RequestLog::new(Arc::new(SystemClock));
    let receiver = Arc::new(Receiver::new(plan(Action::Fault(Fault::Stall))).with_log(log));
    let listener = live::bind("127.0.0.1:0").await.unwrap();
    let server = live::spawn(listener, app(Arc::clone(&receiver))).unwrap();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();

    let mut buf = [0u8; 64];
    let answered = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
    // Nothing more is read: a second request is left in the socket's buffers, unrecorded.
    let second = b"POST /y HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    stream.write_all(second).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let listed = {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET /_hookrig/requests HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (got, _) = read_to_close(&mut s).await;
        String::from_utf8_lossy(&got).into_owned()
    };

    assert!(answered.is_err(), "stall answered: {answered:?}");
    let listed: Vec<Value> =
        serde_json::from_str(listed.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(
        listed.len(),
        1,
        "only the first request was read: {listed:?}"
    );
    assert_eq!(listed[0]["answer"], "stall");
    server.stop().await;
}

#[tokio::test]
async fn a_dribble_sends_exactly_its_chunks_evenly_over_its_time() {
    // 16 bytes in 10 pieces over 1 s: pieces of 2, 2, 2, 2, 2, 2, 1, 1, 1, 1 bytes, one
    // every 100 ms (the old server sent 8 pieces and finished at 800 ms).
    let slow = Action::Respond {
        status: 200,
        body: "0123456789abcdef".into(),
        headers: Vec::new(),
        after: Duration::ZERO,
        dribble: Some(Dribble {
            chunks: 10,
            over: Duration::from_secs(1),
        }),
    };
    let server = start(Receiver::new(plan(slow))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();

    let sent = Instant::now();
    let mut head = Vec::new();
    let mut pieces: Vec<(Duration, Vec<u8>)> = Vec::new();
    let mut buf = [0u8; 1024];
    let mut body_len = 0;
    while body_len < 16 {
        let n = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buf))
            .await
            .expect("the next piece")
            .unwrap();
        assert!(n > 0, "closed early");
        let at = sent.elapsed();
        let mut bytes = &buf[..n];
        if !head.windows(4).any(|w| w == b"\r\n\r\n") {
            head.extend_from_slice(bytes);
            let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let extra = head.split_off(end + 4);
            assert!(at < Duration::from_millis(90), "the head waited: {at:?}");
            if extra.is_empty() {
                continue;
            }
            bytes = &buf[n - extra.len()..n];
        }
        body_len += bytes.len();
        pieces.push((at, bytes.to_vec()));
    }

    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-length: 16\r\n"), "{head}");
    let sizes: Vec<usize> = pieces.iter().map(|p| p.1.len()).collect();
    assert_eq!(sizes, [2, 2, 2, 2, 2, 2, 1, 1, 1, 1]);
    let body: Vec<u8> = pieces.iter().flat_map(|p| p.1.clone()).collect();
    assert_eq!(body, b"0123456789abcdef");
    for (k, (at, _)) in pieces.iter().enumerate() {
        let due = Duration::from_millis(100 * (k as u64 + 1));
        // Never early; late by no more than a busy machine's scheduling.
        assert!(
            *at + Duration::from_millis(5) >= due && *at < due + Duration::from_millis(80),
            "piece {} at {at:?}, due {due:?}",
            k + 1
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn an_answer_body_larger_than_the_head_limit_arrives_whole() {
    let body = "x".repeat(4 * live::MAX_HEAD);
    let server = start(Receiver::new(plan(Action::Respond {
        status: 200,
        body: body.clone(),
        headers: Vec::new(),
        after: Duration::ZERO,
        dribble: None,
    })))
    .await;

    let got = reqwest::Client::new()
        .post(format!("http://{}/big", server.addr))
        .body("{}")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert_eq!(got.len(), body.len());
    server.stop().await;
}

#[tokio::test]
async fn an_http2_client_with_prior_knowledge_gets_the_routers_answers_and_the_limit() {
    let server = start(Receiver::new(plan(Action::status(202))).with_body_limit(100_000)).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let post = |size: usize| {
        client
            .post(format!("http://{}/h2", server.addr))
            .body(vec![b'a'; size])
            .send()
    };

    let fits = post(100_000).await.unwrap();
    let over = post(100_001).await.unwrap();

    assert_eq!(fits.version(), reqwest::Version::HTTP_2);
    assert_eq!(fits.status().as_u16(), 202);
    assert_eq!(over.status().as_u16(), 413);
    server.stop().await;
}

#[test]
fn hookrig_receive_prints_its_address_and_on_ctrl_c_how_many_requests_it_recorded() {
    let (child, first, addr, mut out) =
        crate::utils::spawn_serving(&["receive", "--listen", "127.0.0.1:0"]);

    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(
        b"POST /hooks HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    // Ctrl-C, through the shell's own `kill`.
    let (killed, rest, exit) = crate::utils::stop_serving(child, out, "INT");

    assert!(killed);
    assert!(
        first.starts_with("hookrig receive: listening on http://127.0.0.1:")
            && first.ends_with("(Ctrl-C to stop)\n"),
        "{first}"
    );
    assert_eq!(status(&answer), 200, "{answer}");
    assert!(
        line.starts_with("#1 ") && line.contains(" POST /hooks -> 200  2 B"),
        "{line}"
    );
    assert_eq!(rest, "hookrig receive: stopped; 1 request(s) recorded\n");
    assert!(exit.success(), "{exit:?}");
}

/// A service manager (systemd, Docker, a CI runner) stops with SIGTERM, and may send it as
/// soon as the listening line appears: the receiver still stops gracefully with its count.
#[test]
fn hookrig_receive_stops_gracefully_on_sigterm_sent_right_after_it_says_it_is_listening() {
    let (child, first, _addr, out) =
        crate::utils::spawn_serving(&["receive", "--listen", "127.0.0.1:0"]);

    let (killed, rest, exit) = crate::utils::stop_serving(child, out, "TERM");

    assert!(killed);
    assert!(
        first.starts_with("hookrig receive: listening on"),
        "{first}"
    );
    assert_eq!(rest, "hookrig receive: stopped; 0 request(s) recorded\n");
    assert!(exit.success(), "{exit:?}");
}
