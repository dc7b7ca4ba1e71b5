//! Svix, as its open-source server (svix-webhooks `server/svix-server`) sends webhooks
//! with its default configuration.

use std::time::Duration;

use super::rules::{Rule, assumption, code, doc, sourced};
use super::{
    BodyEncoding, Envelope, HeaderLimits, HeaderRules, Profile, SecretBody, SecretForm, SecretRule,
    catalogue,
};
use crate::retry::{Backoff, Overload, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::Scheme;

/// The server read: svix-server 1.100.0 (`server/svix-server/Cargo.toml`).
const REPO: &str = "svix/svix-webhooks svix-server 1.100.0 (4fc0cfb)";
const WORKER: &str = "server/svix-server/src/worker.rs";
const CONFIG: &str = "server/svix-server/config.default.toml";
const TYPES: &str = "server/svix-server/src/core/types/mod.rs";
const CLIENT: &str = "server/svix-server/src/core/webhook_http_client.rs";
const RETRIES_DOC: &str = "https://docs.svix.com/retries";

/// The User-Agent: `concat!("Svix-Webhooks/", env!("CARGO_PKG_VERSION"))`.
pub const USER_AGENT: &str = "Svix-Webhooks/1.100.0";

/// Endpoint header names svix-server refuses (`FORBIDDEN_KEYS`).
const FORBIDDEN_KEYS: &[&str] = &[
    "user-agent",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "age",
    "cache-control",
    "clear-site-data",
    "expires",
    "pragma",
    "warning",
    "content-length",
    "content-type",
    "content-encoding",
    "content-language",
    "content-location",
];

/// Endpoint header name prefixes svix-server refuses (`FORBIDDEN_PREFIXES`).
const FORBIDDEN_PREFIXES: &[&str] = &[
    "x-amz-", "x-amzn-", "x-google", "x-goog-", "x-gfe", "x-azure-", "x-fd-", "x-svix-", "svix-",
];

pub(super) fn profile() -> Profile {
    let waits = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
    Profile {
        name: "svix".into(),
        provider: "Svix (svix-server, its open-source server)",
        version: "svix-server 1.100.0 with config.default.toml; the 30 s timeout is the server's default — Svix's hosted service documents 15 s (`profile: {base: svix, timeout: 15s}`)",
        envelope: Envelope::StandardWebhooks,
        body_encoding: BodyEncoding::Compact,
        static_headers: vec![
            ("User-Agent", USER_AGENT),
            ("Content-Type", "application/json"),
        ],
        header_rules: HeaderRules {
            protected: vec![],
            content_type_last: false,
            limits: Some(HeaderLimits {
                provider: "Svix",
                name_max_chars: None,
                max_count: None,
                max_value_chars: Some(4096),
                no_control_chars: false,
                denied: FORBIDDEN_KEYS,
                denied_prefixes: FORBIDDEN_PREFIXES,
            }),
        },
        scheme: Scheme::Svix,
        secret: SecretRule::Generated(SecretForm {
            prefix: "whsec_",
            body: SecretBody::Base64Bytes(24),
        }),
        retry: RetryPolicy {
            attempts: waits.len() as u32 + 1,
            backoff: Backoff::Table(waits.iter().map(|s| Duration::from_secs(*s)).collect()),
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::AnyFailure,
            max_redirects: 0,
            redirect_statuses: &[],
            retry_after: RetryAfter::Clamped { max_factor: 2 },
            overload: Some(Overload {
                min_wait: Duration::from_secs(60),
                on_timeout: true,
                statuses: vec![429],
            }),
            jitter_percent: 20,
            resend_quick_connection_error: Some(Duration::from_secs(1)),
            disable_on_410: false,
        },
        catalogue: catalogue::standard_webhooks::catalogue(),
        api_versions: Vec::new(),
        api_version: None,
        open_catalogue: true,
        pending_status: None,
        rules: vec![
            sourced(
                Rule::Version,
                [
                    code(
                        REPO,
                        "server/svix-server/Cargo.toml",
                        "version = \"1.100.0\"",
                    ),
                    code(
                        REPO,
                        CONFIG,
                        "\"The values shown below are the default values\"",
                    ),
                ],
            ),
            sourced(
                Rule::Body,
                [assumption(
                    "Svix sends the message payload its user posted, whatever its shape: hookrig sends the Standard Webhooks shape {type, timestamp, data}, built once per message",
                )],
            ),
            sourced(
                Rule::BodyBytes,
                [assumption(
                    "the payload is sent as stored: compact JSON assumed",
                )],
            ),
            sourced(
                Rule::Headers,
                [
                    code(
                        REPO,
                        WORKER,
                        "generate_msg_headers: SVIX_ID, SVIX_TIMESTAMP, SVIX_SIGNATURE (webhook-* only with whitelabel_headers), USER_AGENT = OUR_USER_AGENT (\"Svix-Webhooks/\" + CARGO_PKG_VERSION), CONTENT_TYPE application/json, then the endpoint's headers",
                    ),
                    code(
                        REPO,
                        CONFIG,
                        "whitelabel_headers = false: \"otherwise with `Svix-` (default)\"",
                    ),
                    code(
                        REPO,
                        WORKER,
                        "prepare_dispatch: attempt_created_at = Utc::now() — the timestamp and signatures are made per attempt",
                    ),
                ],
            ),
            sourced(
                Rule::CustomHeaders,
                [code(
                    REPO,
                    TYPES,
                    "validate_header_key: FORBIDDEN_KEYS (user-agent, content-type, …) and FORBIDDEN_PREFIXES (svix-, x-svix-, x-amz-, …) refused; HEADER_MAX_LENGTH = 4096",
                )],
            ),
            sourced(
                Rule::Signature,
                [code(
                    REPO,
                    WORKER,
                    "sign_msg: to_sign = \"{msg_id}.{timestamp}.{body}\"; \"v1,\" + base64 per key, joined with spaces",
                )],
            ),
            sourced(
                Rule::Secret,
                [
                    code(
                        REPO,
                        CONFIG,
                        "default_signature_type = \"hmac256\": \"the type of key that is generated for endpoint secrets by default (when none is set)\"",
                    ),
                    code(
                        REPO,
                        TYPES,
                        "EndpointSecretInternal::generate_symmetric: KEY_SIZE = 24 random bytes, shown as whsec_ + base64",
                    ),
                ],
            ),
            sourced(
                Rule::Attempts,
                [code(
                    REPO,
                    WORKER,
                    "handle_failed_dispatch: retried while attempt_count < retry_schedule.len() (7): the first attempt and 7 retries",
                )],
            ),
            sourced(
                Rule::Waits,
                [
                    code(
                        REPO,
                        CONFIG,
                        "retry_schedule = [5,300,1800,7200,18000,36000,36000]",
                    ),
                    doc(
                        RETRIES_DOC,
                        "Immediately, 5 seconds, 5 minutes, 30 minutes, 2 hours, 5 hours, 10 hours, 10 hours",
                    ),
                ],
            ),
            sourced(
                Rule::Jitter,
                [code(
                    REPO,
                    WORKER,
                    "JITTER_DELTA = 0.2; calculate_retry_delay: rand::random_range(duration * (1 - JITTER_DELTA) ..= duration * (1 + JITTER_DELTA)) — hookrig draws from the run's seeded RNG instead",
                )],
            ),
            sourced(
                Rule::Overload,
                [
                    code(
                        REPO,
                        WORKER,
                        "OVERLOAD_PENALTY_SECS = 60; calculate_retry_delay: max(duration, 60 s) for ErrorType::Timeout or an HttpError with status TOO_MANY_REQUESTS",
                    ),
                    assumption(
                        "in 1.100.0 make_http_call wraps a failure status in Error::generic, so the 429 arm never matches and only timeouts get the penalty; hookrig follows the rule calculate_retry_delay states (timeouts and 429)",
                    ),
                ],
            ),
            sourced(
                Rule::RetryAfter,
                [code(
                    REPO,
                    WORKER,
                    "make_http_call reads retry_after() on every non-2xx answer; limit_retry_delay: retry_after.clamp(base, base * 2); retry_after(): an RFC 2822 date or seconds, fractions rounded up",
                )],
            ),
            sourced(
                Rule::Timeout,
                [
                    code(
                        REPO,
                        CONFIG,
                        "worker_request_timeout = 30 (\"How long to wait when making a request (in seconds)\")",
                    ),
                    doc(
                        RETRIES_DOC,
                        "the hosted service: \"within a reasonable time-frame (15s with Svix)\"",
                    ),
                ],
            ),
            sourced(
                Rule::RetryOn,
                [code(
                    REPO,
                    WORKER,
                    "make_http_call: res.status().is_success() or a failure (FailureStatus); any client error is a failure",
                )],
            ),
            sourced(
                Rule::Redirects,
                [
                    code(
                        REPO,
                        CLIENT,
                        "WebhookClient: a hyper client, no redirect handling",
                    ),
                    doc(
                        RETRIES_DOC,
                        "\"Any other status code, including 3xx redirects are treated as failures\"",
                    ),
                ],
            ),
            sourced(
                Rule::Resend,
                [code(
                    REPO,
                    CLIENT,
                    "execute_inner: Err(Error::FailedRequest(e)) if start.elapsed() < 1000 ms → \"Insta-retrying\" once (execute_inner(org_req, false)); timeouts are not resent",
                )],
            ),
            sourced(
                Rule::Gone,
                [code(
                    REPO,
                    WORKER,
                    "no status is special; endpoints are disabled only after failing for endpoint_failure_disable_after (120 h, config.default.toml)",
                )],
            ),
            sourced(
                Rule::Events,
                [assumption(
                    "Svix carries whatever event types its user defines: the catalogue holds examples, and any type name is accepted",
                )],
            ),
        ],
    }
}
