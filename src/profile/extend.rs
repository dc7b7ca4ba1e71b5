//! Extend webhooks.

use std::time::Duration;

use super::{Envelope, HeaderRules, Profile, catalogue};
use crate::retry::{Backoff, RetryOn, RetryPolicy};
use crate::signing::Scheme;

pub(super) fn profile() -> Profile {
    Profile {
        name: "extend".into(),
        provider: "Extend webhooks",
        envelope: Envelope::Extend,
        static_headers: vec![("Content-Type", "application/json")],
        header_rules: HeaderRules {
            protected: vec![
                "Content-Type",
                "x-extend-request-timestamp",
                "x-extend-request-signature",
            ],
            content_type_last: false,
            crawl4ai_limits: false,
        },
        scheme: Scheme::Extend,
        retry: RetryPolicy {
            attempts: 5,
            backoff: Backoff::Exponential {
                initial: Duration::from_secs(1),
                cap: Duration::from_secs(8),
            },
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::AnyFailure,
            max_redirects: 0,
            honour_retry_after: false,
            disable_on_410: false,
        },
        catalogue: catalogue::extend::catalogue(),
        open_catalogue: false,
        pending_status: None,
        sources: vec![
            "Extend webhook docs (event object, event types, signature v0:{timestamp}:{body})",
        ],
        assumptions: vec![
            "the retry schedule is unpublished (\"exponential\"): assumed 5 attempts with waits 1 s, 2 s, 4 s, 8 s",
            "the per-attempt timeout is unpublished: assumed 30 s",
        ],
    }
}
