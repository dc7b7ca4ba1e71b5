//! The standalone receiver's request log: a JSON Lines journal flushed as each request
//! arrives, a compact line per request for whoever echoes it (`hookrig receive` prints it
//! on standard output), the list served at
//! `GET /_hookrig/requests`, and — with a profile and secret — each request's signature
//! verdict judged at its arrival. Secret-bearing header values are redacted everywhere.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::clock::{self, SharedClock};
use crate::faults::Answer;
use crate::profile::Profile;
use crate::record::{RequestRecord, body_json, headers_json};
use crate::signing::Verdict;

/// The most requests `GET /_hookrig/requests` lists (the oldest are dropped first).
pub const LISTING_LIMIT: usize = 10_000;

/// Signature checking on arrival.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// Whose scheme.
    pub profile: Arc<Profile>,
    /// The secrets to verify with.
    pub secrets: Vec<String>,
}

/// One recorded request.
#[derive(Debug)]
struct Entry {
    n: u64,
    now: std::time::Duration,
    request: Arc<RequestRecord>,
    size: u64,
    answer: Answer,
    verdict: Option<Verdict>,
}

impl Entry {
    fn json(&self) -> Value {
        let r = &self.request;
        let signature = self.verdict.as_ref().map(|v| match v {
            Verdict::Invalid(why) => json!({ "verdict": "invalid", "why": why }),
            other => json!({ "verdict": other.label() }),
        });
        json!({
            "n": self.n,
            "at": clock::iso_z(self.now),
            "wall_ms": self.now.as_millis() as u64,
            "method": r.method,
            "path": r.path,
            "headers": headers_json(&r.headers),
            "body": body_json(&r.body),
            "size": self.size,
            "answer": self.answer.label(),
            "signature": signature,
        })
    }
}

/// Told a compact line per request, from the receiver's worker threads.
pub type Echo = Box<dyn Fn(std::fmt::Arguments<'_>) + Send + Sync>;

/// Where the receiver writes what arrived.
pub struct RequestLog {
    clock: SharedClock,
    verifier: Option<Verifier>,
    journal: Option<Mutex<std::fs::File>>,
    echo: Option<Echo>,
    listing: Mutex<std::collections::VecDeque<Entry>>,
    seq: AtomicU64,
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLog")
            .field("verifier", &self.verifier)
            .field("journal", &self.journal)
            .field("echo", &self.echo.is_some())
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl RequestLog {
    /// A log reading wall-clock time from `clock`.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            verifier: None,
            journal: None,
            echo: None,
            listing: Mutex::new(Default::default()),
            seq: AtomicU64::new(0),
        }
    }

    /// Appends one JSON line per request to `path` (created or truncated now), flushed as
    /// each request arrives.
    pub fn with_journal(mut self, path: &Path) -> std::io::Result<Self> {
        self.journal = Some(Mutex::new(std::fs::File::create(path)?));
        Ok(self)
    }

    /// Tells `echo` a compact line per request as it arrives:
    /// `#3 2026-…Z POST /hooks -> 503  812 B  sig valid`.
    pub fn with_echo(mut self, echo: Echo) -> Self {
        self.echo = Some(echo);
        self
    }

    /// Verifies each request's signature on arrival.
    pub fn with_verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Records one request, its body's size in bytes and the answer chosen for it (the
    /// size is the body's length, except for a body refused unread or cut off: then the
    /// length it declared or the bytes that had come). The JSON line is built only when a
    /// journal is written; the listing keeps the record and builds JSON when asked.
    pub fn record(&self, r: &Arc<RequestRecord>, answer: &Answer, size: u64) {
        let n = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let now = self.clock.now();
        let verdict = self.verifier.as_ref().map(|v| {
            v.profile.scheme.verify_request(
                &v.secrets,
                crate::signing::Received {
                    method: &r.method,
                    url: &r.path,
                    headers: &r.headers,
                    body: &r.body,
                },
                now,
            )
        });
        let entry = Entry {
            n,
            now,
            request: Arc::clone(r),
            size,
            answer: *answer,
            verdict,
        };
        if let Some(j) = &self.journal {
            let line = entry.json();
            let mut f = j.lock().unwrap_or_else(|e| e.into_inner());
            // A full disk must not stop the receiver: the request is still answered.
            let _ = writeln!(f, "{line}").and_then(|()| f.flush());
        }
        if let Some(echo) = &self.echo {
            let sig = match &entry.verdict {
                Some(Verdict::Invalid(why)) => format!("  sig invalid ({why})"),
                Some(v) => format!("  sig {}", v.label()),
                None => String::new(),
            };
            echo(format_args!(
                "#{n} {} {} {} -> {}  {} B{sig}",
                clock::iso_z(now),
                r.method,
                r.path,
                answer.label(),
                size
            ));
        }
        let evicted = {
            let mut l = self.listing.lock().unwrap_or_else(|e| e.into_inner());
            let evicted = if l.len() == LISTING_LIMIT {
                l.pop_front()
            } else {
                None
            };
            l.push_back(entry);
            evicted
        };
        // The oldest request is freed outside the lock: the other worker thread may be
        // waiting to record its own.
        drop(evicted);
    }

    /// What arrived, as a JSON array (oldest first).
    pub fn listing(&self) -> String {
        let l = self.listing.lock().unwrap_or_else(|e| e.into_inner());
        let items: Vec<Value> = l.iter().map(Entry::json).collect();
        serde_json::to_string(&items).unwrap_or_else(|_| "[]".into())
    }

    /// Requests recorded so far.
    pub fn count(&self) -> u64 {
        self.seq.load(Ordering::SeqCst)
    }
}
