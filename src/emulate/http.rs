//! The HTTP side every emulated API shares: a request read whole (up to the provider's
//! body limit) with its query and headers at hand, and answers with exact bytes.

pub use ::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

use crate::receiver::body::{BodyError, read_body};

/// A request, read.
#[derive(Debug, Clone)]
pub struct Req {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The query's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// Why a request was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// Over the body limit.
    TooLarge,
    /// Cut off or badly framed.
    Broken,
}

impl Req {
    /// Reads `req`, its body at most `limit` bytes.
    pub async fn read(req: Request, limit: usize) -> Result<Req, ReadError> {
        let (parts, body) = req.into_parts();
        let body = read_body(body, limit).await.map_err(|e| match e {
            BodyError::TooLarge(_) => ReadError::TooLarge,
            _ => ReadError::Broken,
        })?;
        let query = parts
            .uri
            .query()
            .map(|q| {
                reqwest::Url::parse(&format!("http://q/?{q}"))
                    .map(|u| u.query_pairs().into_owned().collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        Ok(Req {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query,
            headers: parts.headers,
            body,
        })
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The path's segments (`/a/b/` → `["a", "b"]`).
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter.
    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `scheme://host[:port]` as the client named the server (the `Host` header).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.header("host").unwrap_or("127.0.0.1"))
    }

    /// The bearer token of `Authorization: Bearer …`, when one is given and not empty.
    pub fn bearer(&self) -> Option<&str> {
        let v = self.header("authorization")?;
        let (scheme, token) = v.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }
}

/// An answer with exactly these bytes.
pub fn bytes(
    status: u16,
    content_type: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> Response {
    let mut b = http::Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    if !content_type.is_empty() {
        b = b.header("content-type", content_type);
    }
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Body::from(body)).unwrap_or_else(|_| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// A JSON answer, compact (serde_json's bytes).
pub fn json(status: u16, v: &Value) -> Response {
    bytes(
        status,
        "application/json",
        serde_json::to_vec(v).unwrap_or_default(),
        &[],
    )
}

/// An answer with no body.
pub fn empty(status: u16) -> Response {
    bytes(status, "", Vec::new(), &[])
}
