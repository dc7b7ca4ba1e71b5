//! Crawl4AI `/crawl/job` and `/llm/job` webhooks, as the Docker server's webhook code of
//! the 0.9 releases sends them.

use std::time::Duration;

use super::rules::{Rule, assumption, code, seed, sourced};
use super::{
    BodyEncoding, CRAWL4AI_DENIED_HEADERS, Envelope, HeaderLimits, HeaderRules, Profile,
    SecretRule, catalogue,
};
use crate::retry::{Backoff, REDIRECT_STATUSES, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::Scheme;

const DOC: &str = "crawl4ai-webhooks.txt";
/// The code read: the 0.9 releases (webhook.py is the same in v0.9.0, v0.9.1 and v0.9.2).
const REPO: &str = "unclecode/crawl4ai v0.9.2 (7e80152)";
const WEBHOOK: &str = "deploy/docker/webhook.py";
const API: &str = "deploy/docker/api.py";
const CONFIG: &str = "deploy/docker/config.yml";

pub(super) fn profile() -> Profile {
    Profile {
        name: "crawl4ai".into(),
        provider: "Crawl4AI job webhooks (/crawl/job, /llm/job)",
        version: "Crawl4AI 0.9.0–0.9.2, the Docker server's WebhookDeliveryService (aiohttp, follows redirects by hand). Releases up to 0.8.9 (httpx) followed no redirect at all: `profile: {base: crawl4ai, max_redirects: 0}` models them",
        envelope: Envelope::Crawl4ai,
        body_encoding: BodyEncoding::PythonJsonDumps,
        static_headers: vec![("User-Agent", "Crawl4AI-Webhook/1.0")],
        header_rules: HeaderRules {
            protected: vec![],
            content_type_last: true,
            limits: Some(HeaderLimits {
                provider: "Crawl4AI",
                name_max_chars: Some(64),
                max_count: Some(20),
                max_value_chars: Some(2048),
                no_control_chars: true,
                denied: CRAWL4AI_DENIED_HEADERS,
                denied_prefixes: &[],
            }),
        },
        scheme: Scheme::None,
        secret: SecretRule::Optional,
        retry: RetryPolicy {
            attempts: 5,
            backoff: Backoff::Exponential {
                initial: Duration::from_secs(1),
                cap: Duration::from_secs(32),
            },
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::ServerErrors,
            max_redirects: 5,
            redirect_statuses: REDIRECT_STATUSES,
            retry_after: RetryAfter::Ignored,
            overload: None,
            jitter_percent: 0,
            resend_quick_connection_error: None,
            disable_on_410: false,
        },
        catalogue: catalogue::crawl4ai::catalogue(),
        api_versions: Vec::new(),
        api_version: None,
        open_catalogue: false,
        pending_status: None,
        rules: vec![
            sourced(
                Rule::Version,
                [
                    code(
                        REPO,
                        WEBHOOK,
                        "_deliver: aiohttp POST with allow_redirects=False, redirects followed in a loop (since 0.9.0)",
                    ),
                    code(
                        "unclecode/crawl4ai v0.8.9",
                        WEBHOOK,
                        "httpx.AsyncClient(follow_redirects=False), no redirect loop: a 3xx was an answer (< 500: not retried)",
                    ),
                ],
            ),
            sourced(
                Rule::Body,
                [
                    code(
                        REPO,
                        WEBHOOK,
                        "notify_job_completion: payload {task_id, task_type, status, timestamp: datetime.now(timezone.utc).isoformat(), urls}, then error, then data when data_in_payload and a result; built once, re-posted by send_webhook",
                    ),
                    code(
                        REPO,
                        API,
                        "handle_crawl_job passes handle_crawl_request's whole response {success, results: [CrawlResult.model_dump() per URL], server_processing_time_s, server_memory_delta_mb, server_peak_memory_mb} as result; process_llm_extraction passes {extracted_content}",
                    ),
                    seed(
                        DOC,
                        "Example 2 shows data as {markdown, html, links, metadata}: a simplified shape; the same page's Flask handler reads data['results'], as the code sends",
                    ),
                ],
            ),
            sourced(
                Rule::BodyBytes,
                [code(
                    REPO,
                    WEBHOOK,
                    "session.post(current, json=payload, …): aiohttp serialises with json.dumps and its defaults",
                )],
            ),
            sourced(
                Rule::Headers,
                [
                    code(
                        REPO,
                        WEBHOOK,
                        "send_webhook: merged_headers = {**default_headers, **safe_custom}; merged_headers[\"Content-Type\"] = \"application/json\"",
                    ),
                    code(
                        REPO,
                        CONFIG,
                        "webhooks.headers: User-Agent: \"Crawl4AI-Webhook/1.0\"",
                    ),
                ],
            ),
            sourced(
                Rule::CustomHeaders,
                [code(
                    REPO,
                    WEBHOOK,
                    "sanitize_webhook_headers: _WEBHOOK_HEADER_NAME ^[A-Za-z0-9-]{1,64}$, _MAX_WEBHOOK_HEADERS = 20, _MAX_WEBHOOK_HEADER_VALUE = 2048, no \\r \\n \\x00, _WEBHOOK_DENY_HEADERS",
                )],
            ),
            sourced(
                Rule::Signature,
                [code(
                    REPO,
                    WEBHOOK,
                    "no signing anywhere in WebhookDeliveryService",
                )],
            ),
            sourced(
                Rule::Secret,
                [seed(
                    DOC,
                    "Example 3: authentication through custom headers (X-Webhook-Secret), no signature",
                )],
            ),
            sourced(
                Rule::Attempts,
                [code(REPO, CONFIG, "webhooks.retry.max_attempts: 5")],
            ),
            sourced(
                Rule::Waits,
                [
                    code(
                        REPO,
                        WEBHOOK,
                        "send_webhook: delay = min(self.initial_delay * (2 ** attempt), self.max_delay)",
                    ),
                    code(REPO, CONFIG, "initial_delay_ms: 1000, max_delay_ms: 32000"),
                ],
            ),
            sourced(
                Rule::Timeout,
                [
                    code(REPO, CONFIG, "timeout_ms: 30000"),
                    code(
                        REPO,
                        WEBHOOK,
                        "_deliver: aiohttp.ClientTimeout(total=self.timeout) per hop",
                    ),
                ],
            ),
            sourced(
                Rule::RetryOn,
                [code(
                    REPO,
                    WEBHOOK,
                    "send_webhook: 200 <= status < 300 delivered; status < 500 returns False (\"client error - don't retry\"); exceptions (timeouts, connection errors) retried",
                )],
            ),
            sourced(
                Rule::Redirects,
                [code(
                    REPO,
                    WEBHOOK,
                    "_deliver: resp.status in (301, 302, 303, 307, 308) with a Location is followed, _MAX_WEBHOOK_REDIRECTS = 5; no Location returns the status; past the limit raises _WebhookBlocked(\"too many webhook redirects\"), which send_webhook does not retry",
                )],
            ),
            sourced(
                Rule::RetryAfter,
                [code(
                    REPO,
                    WEBHOOK,
                    "send_webhook never reads a response header but Location",
                )],
            ),
            sourced(
                Rule::Events,
                [
                    code(
                        REPO,
                        API,
                        "notify_job_completion calls: task_type crawl or llm_extraction, status completed or failed",
                    ),
                    assumption(
                        "Crawl4AI names no event types: hookrig names them task_type.status (crawl.completed, llm_extraction.failed, …)",
                    ),
                ],
            ),
        ],
    }
}
