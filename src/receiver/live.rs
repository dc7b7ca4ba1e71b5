//! The receiver on a real socket.
//!
//! A small HTTP/1.1 server of our own around the same axum [`Router`] the in-process
//! transport calls: it reads each request (head parsed with `httparse`, body by
//! `Content-Length` or chunked), hands it to the router, and writes the answer — or acts
//! out the [`ConnectionFault`] the router attached: close without answering (`drop`), a
//! TCP RST (`reset`), garbage bytes (`malformed`), a body dribbled out in pieces
//! (`dribble`), or no reading and no answer at all (`stall`). A server of our own is what
//! makes those faults possible; hyper's server hides the socket.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::ConnectionFault;

/// Request heads over this size get 431.
pub const MAX_HEAD: usize = 64 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// The address is taken.
    #[error(
        "cannot listen on {addr}: the port is already in use (pick another with --listen, or port 0 for any free one)"
    )]
    InUse {
        /// The address.
        addr: String,
    },
    /// Anything else.
    #[error("cannot listen on {addr}: {source}")]
    Other {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Binds `addr` (e.g. `127.0.0.1:0`).
pub async fn bind(addr: &str) -> Result<TcpListener, BindError> {
    TcpListener::bind(addr).await.map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            BindError::InUse {
                addr: addr.to_owned(),
            }
        } else {
            BindError::Other {
                addr: addr.to_owned(),
                source,
            }
        }
    })
}

/// Serves `router` on `listener` until `shutdown` completes; connections in flight are
/// dropped then (every request was recorded when it arrived).
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                conns.spawn(connection(stream, router.clone()));
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

/// A server running in the background.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Starts serving `router` on `listener` in the background.
pub fn spawn(listener: TcpListener, router: Router) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(serve(listener, router, async {
        let _ = rx.await;
    }));
    Ok(Running {
        addr,
        stop: Some(tx),
        task,
    })
}

struct Parsed {
    request: http::Request<Body>,
    keep_alive: bool,
}

enum ReadOutcome {
    Request(Box<Parsed>),
    Closed,
    Reject(u16, &'static str),
}

async fn connection(mut stream: TcpStream, router: Router) {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    loop {
        let parsed = match read_request(&mut stream, &mut buf).await {
            ReadOutcome::Request(p) => p,
            ReadOutcome::Closed => return,
            ReadOutcome::Reject(status, why) => {
                let _ = write_simple(&mut stream, status, why).await;
                return;
            }
        };
        let call = router.clone().oneshot(parsed.request);
        let response = tokio::select! {
            // The router first: most answers are ready at once, and then the peer is
            // never peeked at.
            biased;
            r = call => match r { Ok(r) => r, Err(never) => match never {} },
            () = peer_closed(&stream) => return,
        };
        let fault = response.extensions().get::<ConnectionFault>().copied();
        match fault {
            Some(ConnectionFault::Drop) => return,
            Some(ConnectionFault::Reset) => {
                let _ = stream.set_zero_linger();
                return;
            }
            Some(ConnectionFault::Malformed) => {
                let _ = stream
                    .write_all(b"HTTP/1.1 2OO NOT\x00HTTP\r\n\xff\xfe garbage \r\n\r")
                    .await;
                let _ = stream.shutdown().await;
                return;
            }
            Some(ConnectionFault::Stall) => {
                peer_closed(&stream).await;
                return;
            }
            Some(ConnectionFault::Dribble { chunks, over }) => {
                let _ = write_response(&mut stream, response, false, Some((chunks, over))).await;
                return;
            }
            None => {
                if write_response(&mut stream, response, parsed.keep_alive, None)
                    .await
                    .is_err()
                    || !parsed.keep_alive
                {
                    return;
                }
            }
        }
    }
}

/// Completes when the peer closes (or resets) the connection; data the peer sends meanwhile
/// is left unread.
async fn peer_closed(stream: &TcpStream) {
    let mut b = [0u8; 1];
    loop {
        match stream.peek(&mut b).await {
            Ok(0) | Err(_) => return,
            Ok(_) => std::future::pending::<()>().await,
        }
    }
}

async fn fill(stream: &mut TcpStream, buf: &mut BytesMut) -> std::io::Result<usize> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(8 * 1024);
    }
    stream.read_buf(buf).await
}

async fn read_request(stream: &mut TcpStream, buf: &mut BytesMut) -> ReadOutcome {
    let head_len = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > MAX_HEAD {
            return ReadOutcome::Reject(431, "request head too large");
        }
        match fill(stream, buf).await {
            Ok(0) | Err(_) => return ReadOutcome::Closed,
            Ok(_) => {}
        }
    };
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(&buf[..head_len]) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return ReadOutcome::Reject(400, "malformed request"),
    }
    let method = req.method.unwrap_or("GET").to_owned();
    let path = req.path.unwrap_or("/").to_owned();
    let http10 = req.version == Some(0);
    let mut builder = http::Request::builder()
        .method(method.as_str())
        .uri(path.as_str());
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut keep_alive = !http10;
    for h in req.headers.iter() {
        let name = h.name.to_ascii_lowercase();
        let value = String::from_utf8_lossy(h.value);
        match name.as_str() {
            "content-length" => match value.trim().parse() {
                Ok(n) => content_length = Some(n),
                Err(_) => return ReadOutcome::Reject(400, "bad content-length"),
            },
            "transfer-encoding" if value.to_ascii_lowercase().contains("chunked") => chunked = true,
            "connection" if value.eq_ignore_ascii_case("close") => keep_alive = false,
            "connection" if value.eq_ignore_ascii_case("keep-alive") => keep_alive = true,
            _ => {}
        }
        builder = builder.header(h.name, h.value);
    }
    buf.advance(head_len);
    let body = if chunked {
        match read_chunked(stream, buf).await {
            Some(b) => b,
            None => return ReadOutcome::Closed,
        }
    } else {
        let n = content_length.unwrap_or(0);
        if n > super::DEFAULT_BODY_LIMIT.max(1) * 4 {
            return ReadOutcome::Reject(413, "body too large");
        }
        while buf.len() < n {
            match fill(stream, buf).await {
                Ok(0) | Err(_) => return ReadOutcome::Closed,
                Ok(_) => {}
            }
        }
        buf.split_to(n).freeze()
    };
    match builder.body(Body::from(body)) {
        Ok(request) => ReadOutcome::Request(Box::new(Parsed {
            request,
            keep_alive,
        })),
        Err(_) => ReadOutcome::Reject(400, "malformed request"),
    }
}

async fn read_chunked(stream: &mut TcpStream, buf: &mut BytesMut) -> Option<bytes::Bytes> {
    let mut body = BytesMut::new();
    loop {
        let line_end = loop {
            if let Some(p) = buf.windows(2).position(|w| w == b"\r\n") {
                break p;
            }
            if buf.len() > MAX_HEAD || matches!(fill(stream, buf).await, Ok(0) | Err(_)) {
                return None;
            }
        };
        let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        buf.advance(line_end + 2);
        if body.len() + size > super::DEFAULT_BODY_LIMIT * 4 {
            return None;
        }
        while buf.len() < size + 2 {
            if matches!(fill(stream, buf).await, Ok(0) | Err(_)) {
                return None;
            }
        }
        body.extend_from_slice(&buf[..size]);
        buf.advance(size + 2);
        if size == 0 {
            return Some(body.freeze());
        }
    }
}

async fn write_simple(stream: &mut TcpStream, status: u16, why: &str) -> std::io::Result<()> {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let msg = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{why}\n",
        why.len() + 1
    );
    stream.write_all(msg.as_bytes()).await
}

async fn write_response(
    stream: &mut TcpStream,
    response: axum::response::Response,
    keep_alive: bool,
    dribble: Option<(u32, Duration)>,
) -> std::io::Result<()> {
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let reason = parts.status.canonical_reason().unwrap_or("");
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", parts.status.as_u16());
    for (k, v) in &parts.headers {
        if k == http::header::CONTENT_LENGTH || k == http::header::CONNECTION {
            continue;
        }
        head.push_str(k.as_str());
        head.push_str(": ");
        head.push_str(&String::from_utf8_lossy(v.as_bytes()));
        head.push_str("\r\n");
    }
    head.push_str(&format!("content-length: {}\r\n", body.len()));
    head.push_str(if keep_alive {
        "connection: keep-alive\r\n\r\n"
    } else {
        "connection: close\r\n\r\n"
    });
    match dribble {
        None => {
            let mut out = Vec::with_capacity(head.len() + body.len());
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(&body);
            stream.write_all(&out).await
        }
        Some((chunks, over)) => {
            stream.write_all(head.as_bytes()).await?;
            let chunks = chunks.max(1) as usize;
            let size = body.len().div_ceil(chunks).max(1);
            let pause = over / chunks as u32;
            for piece in body.chunks(size) {
                tokio::time::sleep(pause).await;
                stream.write_all(piece).await?;
                stream.flush().await?;
            }
            stream.shutdown().await
        }
    }
}
