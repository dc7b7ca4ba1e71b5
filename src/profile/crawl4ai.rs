//! Crawl4AI `/crawl/job` and `/llm/job` webhooks.

use std::time::Duration;

use super::{Envelope, HeaderRules, Profile, catalogue};
use crate::retry::{Backoff, RetryOn, RetryPolicy};
use crate::signing::Scheme;

pub(super) fn profile() -> Profile {
    Profile {
        name: "crawl4ai".into(),
        provider: "Crawl4AI job webhooks (/crawl/job, /llm/job)",
        envelope: Envelope::Crawl4ai,
        static_headers: vec![("User-Agent", "Crawl4AI-Webhook/1.0")],
        header_rules: HeaderRules {
            protected: vec![],
            content_type_last: true,
            crawl4ai_limits: true,
        },
        scheme: Scheme::None,
        retry: RetryPolicy {
            attempts: 5,
            backoff: Backoff::Exponential {
                initial: Duration::from_secs(1),
                cap: Duration::from_secs(32),
            },
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::ServerErrors,
            max_redirects: 5,
            honour_retry_after: false,
            disable_on_410: false,
        },
        catalogue: catalogue::crawl4ai::catalogue(),
        open_catalogue: false,
        pending_status: None,
        sources: vec![
            "Crawl4AI WEBHOOK_EXAMPLES.md and config.yml (max_attempts 5, initial_delay_ms 1000, max_delay_ms 32000, timeout_ms 30000)",
            "Crawl4AI webhook delivery service code (status ≥ 500 retried, other non-2xx final; redirects followed by hand)",
        ],
        assumptions: vec![
            "event type names are task_type.status (crawl.completed, llm_extraction.failed, …); Crawl4AI itself names no event types",
        ],
    }
}
