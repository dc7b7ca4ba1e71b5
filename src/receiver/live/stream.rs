//! The socket under hyper, and the switch that turns it faulty.
//!
//! hyper owns the connection once it serves it, so the faults that happen below HTTP are
//! acted out by the stream it reads and writes: a [`FaultStream`] passes every read and
//! write through to the [`TcpStream`] until the connection's [`Switch`] is thrown. The
//! service throws it when the router's answer carries a [`Fault`], just before
//! handing that answer to hyper, so the fault lands exactly where the answer would have
//! gone on the wire:
//!
//! - `drop`: the answer's first write fails instead; hyper ends the connection and the
//!   socket is closed (FIN) without a byte of the answer;
//! - `reset`: the same, with `SO_LINGER` set to zero first, so closing sends a TCP RST;
//! - `malformed`: bytes that are not HTTP go out in place of the answer, then FIN;
//! - `stall`: the service never answers, and reads stop — the peer's bytes stay unread in
//!   the kernel's buffers — until the peer closes (then the connection ends).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::faults::Fault;

/// What a `malformed` fault writes: a status line that is not one, a NUL, bytes that are
/// not UTF-8, and no end to the head.
pub const GARBAGE: &[u8] = b"HTTP/1.1 2OO NOT\x00HTTP\r\n\xff\xfe garbage \r\n\r";

const OFF: u8 = 0;
const DROP: u8 = 1;
const RESET: u8 = 2;
const MALFORMED: u8 = 3;
const STALL: u8 = 4;

/// The fault a connection acts out next, shared by its service and its stream.
#[derive(Debug, Default)]
pub struct Switch(AtomicU8);

impl Switch {
    /// Makes the stream act out `fault` from its next write (or, for `stall`, read). A
    /// `hang` is not a socket fault (the service never answers; the socket stays as it
    /// is) and leaves the switch off.
    pub fn throw(&self, fault: Fault) {
        let v = match fault {
            Fault::Drop => DROP,
            Fault::Reset => RESET,
            Fault::Malformed => MALFORMED,
            Fault::Stall => STALL,
            Fault::Hang => OFF,
        };
        self.0.store(v, Ordering::Release);
    }

    fn get(&self) -> u8 {
        self.0.load(Ordering::Acquire)
    }
}

/// A [`TcpStream`] that acts out its connection's [`Switch`].
#[derive(Debug)]
pub struct FaultStream {
    io: TcpStream,
    switch: std::sync::Arc<Switch>,
    /// How much of [`GARBAGE`] is out.
    garbage_sent: usize,
    /// The fault is done: every write fails, shutting down does nothing.
    over: bool,
    /// Stalled, and the peer sent more: wait for nothing.
    stalled_with_data: bool,
}

impl FaultStream {
    /// Wraps an accepted socket.
    pub fn new(io: TcpStream, switch: std::sync::Arc<Switch>) -> Self {
        Self {
            io,
            switch,
            garbage_sent: 0,
            over: false,
            stalled_with_data: false,
        }
    }

    fn ended() -> io::Error {
        io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "connection fault acted out",
        )
    }

    /// The thrown fault in place of a write; `None` when the switch is off (or stalled:
    /// a stalled connection never answers, and whatever else it writes, e.g. an HTTP/2
    /// window update, may go out).
    fn poll_fault(&mut self, cx: &mut Context<'_>) -> Option<Poll<io::Result<usize>>> {
        if self.over {
            return Some(Poll::Ready(Err(Self::ended())));
        }
        match self.switch.get() {
            DROP => {
                self.over = true;
                Some(Poll::Ready(Err(Self::ended())))
            }
            RESET => {
                self.over = true;
                // Closing a socket whose linger time is zero discards what is unsent and
                // sends RST instead of FIN.
                let _ = self.io.set_zero_linger();
                Some(Poll::Ready(Err(Self::ended())))
            }
            MALFORMED => Some(self.poll_garbage(cx)),
            _ => None,
        }
    }

    fn poll_garbage(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while self.garbage_sent < GARBAGE.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &GARBAGE[self.garbage_sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.garbage_sent += n;
        }
        ready!(Pin::new(&mut self.io).poll_shutdown(cx))?;
        self.over = true;
        Poll::Ready(Err(Self::ended()))
    }

    /// Stalled: nothing is read. Completes (as end of stream) only when the peer closes
    /// before sending anything more.
    fn poll_stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.stalled_with_data {
            return Poll::Pending;
        }
        let mut one = [0u8; 1];
        let mut peek = ReadBuf::new(&mut one);
        match ready!(self.io.poll_peek(cx, &mut peek)) {
            Ok(0) => Poll::Ready(Ok(())),
            Ok(_) => {
                // Bytes we will not read; the peer's close now hides behind them, so the
                // connection lives until the server stops (as a stalled server's would).
                self.stalled_with_data = true;
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncRead for FaultStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.switch.get() == STALL {
            return this.poll_stalled(cx);
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(p) = this.poll_fault(cx) {
            return p;
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(p) = this.poll_fault(cx) {
            return p;
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.over {
            // A reset must not be preceded by a FIN; the other faults have closed already.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
