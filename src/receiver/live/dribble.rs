//! `dribble: {chunks, over}`: an answer whose body arrives slowly.
//!
//! The head goes out at once; the body follows in exactly `chunks` pieces, piece k
//! (1-based) due `over · k / chunks` after the answer was ready, so the last byte is out
//! at `over`. The due times are taken from one start, not from each other, so the pieces
//! do not drift. The pieces differ in size by at most one byte. A body shorter than
//! `chunks` bytes goes a byte at a time on the same spread (one piece per byte, the last
//! at `over`); an empty body cannot be sent slowly, so its whole answer waits `over`.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The answer `response` with its body dribbled in `chunks` pieces over `over`.
pub async fn dribbled(response: Response, chunks: u32, over: Duration) -> Response {
    let (parts, body) = response.into_parts();
    // The router's answer is in memory already; this only gathers it.
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if body.is_empty() {
        tokio::time::sleep(over).await;
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::new(Dribble::new(body, chunks, over)))
}

/// A body sent in pieces on a timer.
#[derive(Debug)]
pub struct Dribble {
    rest: Bytes,
    pieces: u32,
    sent: u32,
    /// Size of every piece; the first `bigger` pieces are one byte larger.
    size: usize,
    bigger: u32,
    start: Instant,
    over: Duration,
    timer: Pin<Box<Sleep>>,
}

impl Dribble {
    /// `body` (not empty) in `chunks` pieces (fewer when it has fewer bytes) over `over`,
    /// counted from now.
    pub fn new(body: Bytes, chunks: u32, over: Duration) -> Self {
        let len = body.len();
        let pieces = u32::try_from(len).map_or(chunks, |l| chunks.min(l)).max(1);
        let start = Instant::now();
        let mut d = Self {
            size: len / pieces as usize,
            bigger: (len % pieces as usize) as u32,
            rest: body,
            pieces,
            sent: 0,
            start,
            over,
            timer: Box::pin(tokio::time::sleep_until(start)),
        };
        let first = d.due(1);
        d.timer.as_mut().reset(first);
        d
    }

    /// When piece `k` (1-based) is due.
    fn due(&self, k: u32) -> Instant {
        let offset = self
            .over
            .checked_mul(k)
            .unwrap_or_else(|| self.over.mul_f64(f64::from(k)))
            / self.pieces;
        self.start + offset
    }
}

impl hyper::body::Body for Dribble {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.sent == this.pieces {
            return Poll::Ready(None);
        }
        ready!(this.timer.as_mut().poll(cx));
        let size = this.size + usize::from(this.sent < this.bigger);
        let piece = this.rest.split_to(size.min(this.rest.len()));
        this.sent += 1;
        if this.sent < this.pieces {
            let next = this.due(this.sent + 1);
            this.timer.as_mut().reset(next);
        }
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent == self.pieces
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn ten_bytes_in_four_pieces_are_three_three_two_two_each_on_its_quarter() {
        let start = Instant::now();
        let mut body = Dribble::new(Bytes::from_static(b"0123456789"), 4, Duration::from_secs(2));

        let mut pieces = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            pieces.push((start.elapsed().as_millis(), data));
        }

        assert_eq!(
            pieces,
            [
                (500, Bytes::from_static(b"012")),
                (1000, Bytes::from_static(b"345")),
                (1500, Bytes::from_static(b"67")),
                (2000, Bytes::from_static(b"89")),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_shorter_than_its_chunks_goes_a_byte_at_a_time_ending_at_over() {
        let start = Instant::now();
        let mut body = Dribble::new(Bytes::from_static(b"ok"), 10, Duration::from_secs(5));

        let mut at = Vec::new();
        while let Some(frame) = body.frame().await {
            assert_eq!(frame.unwrap().into_data().unwrap().len(), 1);
            at.push(start.elapsed().as_millis());
        }

        assert_eq!(at, [2500, 5000]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_body_holds_the_whole_answer_for_over() {
        let start = Instant::now();
        let response = Response::new(Body::empty());

        let r = dribbled(response, 10, Duration::from_secs(3)).await;

        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert!(r.into_body().collect().await.unwrap().to_bytes().is_empty());
    }
}
