//! The receiver on a real socket.
//!
//! hyper's server serves the same axum [`Router`] the in-process transport calls:
//! hyper-util's auto builder speaks HTTP/1.1, and HTTP/2 to a client that opens with its
//! preface (h2c, prior knowledge). The protocol is hyper's — keep-alive, pipelining,
//! `Expect: 100-continue`, chunked bodies, 400 for a request that is not HTTP or has
//! conflicting lengths, 431 for an oversized head — and the receiver's own answers (the
//! fault plan, 413 over the body limit) come from the router.
//!
//! The faults below HTTP are acted out here, on the connection, when the router's answer
//! carries a [`Fault`] or a [`Dribble`]: `dribble` by a body that sends itself in pieces
//! on a timer ([`dribble`]), `drop`, `reset`, `malformed` and `stall` by the stream under
//! hyper ([`stream`]), which the service switches just before it hands hyper the answer.
//! This is how wiremock-rs serves (`serve_connection` on `TokioIo`,
//! `src/mock_server/hyper.rs`) with the one addition a fault injector needs: the socket
//! stays reachable through the wrapper.

pub mod dribble;
pub mod stream;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Bytes;
use axum::response::Response;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::faults::{Dribble, Fault};
use stream::{FaultStream, Switch};

/// Request heads over this size get 431 (HTTP/1.1; HTTP/2 header lists over it are
/// refused too).
pub const MAX_HEAD: usize = 64 * 1024;

/// Requests with more header fields than this get 431: hyper's default, kept because
/// hyper parses the head into a buffer of this many fields on the stack only when the
/// number is left alone (set, even to 100, it allocates two per request).
pub const MAX_HEADERS: usize = 100;

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

/// Ctrl-C, or SIGTERM where there is one: both are registered when this is called, so a
/// signal sent as soon as a command has said it is listening stops it gracefully (a
/// handler installed only when the wait is first polled leaves a moment in which SIGTERM
/// kills the process outright). Call it inside the runtime, before announcing anything.
pub fn stop_signals() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            if interrupt.is_none() && terminate.is_none() {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
            tokio::select! {
                () = wait(interrupt) => {}
                () = wait(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
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
    let http = Arc::new(builder());
    tokio::pin!(shutdown);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    // Out of file descriptors, say: give connections a moment to end
                    // rather than spin on the error.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                conns.spawn(connection(Arc::clone(&http), stream, router.clone()));
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

/// hyper's server, HTTP/1.1 and HTTP/2, with the head limits above.
fn builder() -> auto::Builder<TokioExecutor> {
    let mut http = auto::Builder::new(TokioExecutor::new());
    http.http1().max_buf_size(MAX_HEAD);
    http.http2().max_header_list_size(MAX_HEAD as u32);
    http
}

/// One connection: hyper over the fault-acting stream, until either side ends it.
async fn connection(http: Arc<auto::Builder<TokioExecutor>>, stream: TcpStream, router: Router) {
    let switch = Arc::new(Switch::default());
    let io = TokioIo::new(FaultStream::new(stream, Arc::clone(&switch)));
    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
        answer(router.clone(), Arc::clone(&switch), request)
    });
    // A connection's end (a fault, the peer leaving, a request hyper refused) is no
    // error of the server's; every request that reached the router is recorded already.
    let _ = http.serve_connection(io, service).await;
}

/// The router's answer to one request, with its connection fault set up.
async fn answer(
    router: Router,
    switch: Arc<Switch>,
    request: http::Request<Incoming>,
) -> Result<Response, Infallible> {
    let response = match router.oneshot(request.map(OwnedBody)).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if let Some(d) = response.extensions().get::<Dribble>().copied() {
        return Ok(dribble::dribbled(response, d.chunks, d.over).await);
    }
    let Some(fault) = response.extensions().get::<Fault>().copied() else {
        return Ok(response);
    };
    switch.throw(fault);
    match fault {
        Fault::Hang | Fault::Stall => std::future::pending().await,
        Fault::Drop | Fault::Reset | Fault::Malformed => Ok(response),
    }
}

/// A request body whose pieces are copied out of hyper's read buffer. hyper hands out
/// slices of the buffer it reads into (8 KiB and more), so a request record that kept such
/// a slice would keep the whole buffer alive: with the listing's last 10,000 requests of
/// 1 KB, 95 MiB resident instead of 40.
struct OwnedBody(Incoming);

impl hyper::body::Body for OwnedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.get_mut().0)
            .poll_frame(cx)
            .map_ok(|frame| frame.map_data(|d| Bytes::copy_from_slice(&d)))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}
