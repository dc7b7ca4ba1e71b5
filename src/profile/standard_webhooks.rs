//! Standard Webhooks (Svix's scheme).

use std::time::Duration;

use super::{Envelope, HeaderRules, Profile, catalogue};
use crate::retry::{Backoff, RetryOn, RetryPolicy};
use crate::signing::Scheme;

pub(super) fn profile() -> Profile {
    let waits = [
        5,
        5 * 60,
        30 * 60,
        2 * 3600,
        5 * 3600,
        10 * 3600,
        14 * 3600,
        20 * 3600,
        24 * 3600,
    ];
    Profile {
        name: "standard-webhooks".into(),
        provider: "Standard Webhooks (Svix)",
        envelope: Envelope::StandardWebhooks,
        static_headers: vec![("Content-Type", "application/json")],
        header_rules: HeaderRules {
            protected: vec![
                "Content-Type",
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature",
            ],
            content_type_last: false,
            crawl4ai_limits: false,
        },
        scheme: Scheme::StandardWebhooks,
        retry: RetryPolicy {
            attempts: 10,
            backoff: Backoff::Table(waits.iter().map(|s| Duration::from_secs(*s)).collect()),
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::AnyFailure,
            max_redirects: 0,
            honour_retry_after: true,
            disable_on_410: true,
        },
        catalogue: catalogue::standard_webhooks::catalogue(),
        open_catalogue: true,
        pending_status: None,
        sources: vec![
            "Standard Webhooks specification (headers, v1 signature, key rotation)",
            "Svix retry schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h",
        ],
        assumptions: vec!["the catalogue holds examples only: any event type name is accepted"],
    }
}
