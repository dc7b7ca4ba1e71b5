//! Taking a request's body: whole, up to the receiver's limit, or refused with the reason
//! and the size that had come. Over a socket the body streams in from hyper; in-process it
//! is there already. Either way a declared length over the limit is refused unread.

use axum::body::{Body, Bytes};

/// Why a request's body was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit: the declared length, or the bytes that had come when it was cut.
    TooLarge(u64),
    /// Not valid framing (a bad chunk); the bytes that had come before it.
    Malformed(u64),
    /// The sender closed the connection mid-body.
    Cut,
}

/// Reads a request's body, at most `limit` bytes of it. A body whose declared length
/// (`Content-Length`) is over the limit is refused before any of it is read, so a client
/// that asked `Expect: 100-continue` is never told to send it.
pub async fn read_body(mut body: Body, limit: usize) -> Result<Bytes, BodyError> {
    use http_body_util::BodyExt as _;
    let limit = limit as u64;
    let declared = hyper::body::Body::size_hint(&body).lower();
    if declared > limit {
        return Err(BodyError::TooLarge(declared));
    }
    // Most bodies come in one frame; that one is kept as it is, without a copy.
    let mut first: Option<Bytes> = None;
    let mut more: Vec<u8> = Vec::new();
    let declared = usize::try_from(declared).unwrap_or(0);
    let mut size = 0u64;
    while let Some(frame) = body.frame().await {
        let data = match frame {
            Ok(f) => match f.into_data() {
                Ok(d) => d,
                Err(_) => continue, // trailers
            },
            Err(e) if mid_body_eof(&e) => return Err(BodyError::Cut),
            Err(_) => return Err(BodyError::Malformed(size)),
        };
        size += data.len() as u64;
        if size > limit {
            return Err(BodyError::TooLarge(size));
        }
        match &first {
            None => first = Some(data),
            Some(f) => {
                if more.is_empty() {
                    more.reserve(declared.max(f.len() + data.len()));
                    more.extend_from_slice(f);
                }
                more.extend_from_slice(&data);
            }
        }
    }
    Ok(if more.is_empty() {
        first.unwrap_or_default()
    } else {
        Bytes::from(more)
    })
}

/// Whether a body error is the connection ending before the body did.
fn mid_body_eof(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::UnexpectedEof;
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && h.is_incomplete_message()
        {
            return true;
        }
        source = s.source();
    }
    false
}
