//! PerfectParser webhooks.

use std::time::Duration;

use super::{Envelope, HeaderRules, Profile, catalogue};
use crate::retry::{Backoff, RetryOn, RetryPolicy};
use crate::signing::Scheme;

const MIN: u64 = 60;

pub(super) fn profile() -> Profile {
    Profile {
        name: "perfectparser".into(),
        provider: "PerfectParser webhooks",
        envelope: Envelope::PerfectParser,
        static_headers: vec![("Content-Type", "application/json")],
        header_rules: HeaderRules {
            protected: vec![
                "Content-Type",
                "X-Webhook-Secret",
                "X-PerfectParser-Signature",
            ],
            content_type_last: false,
            crawl4ai_limits: false,
        },
        scheme: Scheme::PerfectParser,
        retry: RetryPolicy {
            attempts: 6,
            backoff: Backoff::Table(
                [5, 10, 20, 40, 80]
                    .iter()
                    .map(|m| Duration::from_secs(m * MIN))
                    .collect(),
            ),
            timeout: Duration::from_secs(10),
            retry_on: RetryOn::AnyFailure,
            max_redirects: 0,
            honour_retry_after: false,
            disable_on_410: false,
        },
        catalogue: catalogue::perfectparser::catalogue(),
        open_catalogue: false,
        pending_status: Some("pending_retry"),
        sources: vec![
            "PerfectParser webhook docs (events, X-Webhook-Secret, X-PerfectParser-Signature, 10 s timeout, retries after 5/10/20/40/80 min)",
        ],
        assumptions: vec![
            "the docs publish no body: the flat {event, created_at, …} shape and its fields are assumed",
        ],
    }
}
