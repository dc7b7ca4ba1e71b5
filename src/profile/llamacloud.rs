//! LlamaCloud (LlamaIndex) job webhooks.

use std::time::Duration;

use super::{Envelope, HeaderRules, Profile, catalogue};
use crate::retry::{Backoff, RetryOn, RetryPolicy};
use crate::signing::Scheme;

pub(super) fn profile() -> Profile {
    Profile {
        name: "llamacloud".into(),
        provider: "LlamaCloud (LlamaIndex) job webhooks",
        envelope: Envelope::LlamaCloud,
        static_headers: vec![
            ("Content-Type", "application/json"),
            ("User-Agent", "llamaindex-webhook-service/1.0"),
        ],
        header_rules: HeaderRules {
            protected: vec!["Content-Type"],
            content_type_last: false,
            crawl4ai_limits: false,
        },
        scheme: Scheme::LlamaCloud,
        retry: RetryPolicy {
            attempts: 3,
            backoff: Backoff::Exponential {
                initial: Duration::from_secs(1),
                cap: Duration::from_secs(60),
            },
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::AnyFailure,
            max_redirects: 0,
            honour_retry_after: false,
            disable_on_410: false,
        },
        catalogue: catalogue::llamacloud::catalogue(),
        open_catalogue: false,
        pending_status: None,
        sources: vec![
            "LlamaCloud webhook docs (events, payload, headers, retry: 3 attempts, doubling waits ≤ 60 s, 30 s timeout)",
        ],
        assumptions: vec![
            "the LC-Signature header (sha256=<hex>, GitHub's form) is sent only when a signing secret is configured",
            "the body is serialised compactly (no spaces); the docs show the fields, not the bytes",
        ],
    }
}
