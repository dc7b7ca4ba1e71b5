//! LlamaCloud (LlamaIndex) job webhooks.

use std::time::Duration;

use super::rules::{Rule, assumption, code, seed, sourced};
use super::{BodyEncoding, Envelope, HeaderRules, Profile, SecretRule, catalogue};
use crate::retry::{Backoff, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::Scheme;

/// The seed document.
const DOC: &str = "llamacloud-webhooks.txt";
/// LlamaCloud's SDK, whose webhook configuration type documents the signature.
const SDK: &str = "run-llama/llama-cloud-py (PyPI llama-cloud 2.19.0)";
const SDK_FILE: &str = "src/llama_cloud/types/llama_parse_parameters.py";

pub(super) fn profile() -> Profile {
    Profile {
        name: "llamacloud".into(),
        provider: "LlamaCloud (LlamaIndex) job webhooks",
        version: "LlamaCloud's webhook docs (seed) and its SDK's WebhookConfiguration (llama-cloud 2.19.0)",
        envelope: Envelope::LlamaCloud,
        body_encoding: BodyEncoding::Compact,
        static_headers: vec![
            ("Content-Type", "application/json"),
            ("User-Agent", "llamaindex-webhook-service/1.0"),
        ],
        header_rules: HeaderRules {
            protected: vec!["Content-Type"],
            content_type_last: false,
            limits: None,
        },
        scheme: Scheme::LlamaCloud,
        secret: SecretRule::Optional,
        retry: RetryPolicy {
            attempts: 3,
            backoff: Backoff::Exponential {
                initial: Duration::from_secs(1),
                cap: Duration::from_secs(60),
            },
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::AnyFailure,
            max_redirects: 0,
            redirect_statuses: &[],
            retry_after: RetryAfter::Ignored,
            overload: None,
            jitter_percent: 0,
            resend_quick_connection_error: None,
            disable_on_410: false,
        },
        catalogue: catalogue::llamacloud::catalogue(),
        api_versions: Vec::new(),
        api_version: None,
        open_catalogue: false,
        pending_status: None,
        rules: vec![
            sourced(
                Rule::Version,
                [
                    seed(DOC, "the webhook page as published"),
                    code(SDK, SDK_FILE, "WebhookConfiguration"),
                ],
            ),
            sourced(
                Rule::Body,
                [seed(
                    DOC,
                    "Webhook Payload: event_id, event_type, timestamp (\"Unix timestamp when the event occurred\"), data {id, job_id}",
                )],
            ),
            sourced(
                Rule::BodyBytes,
                [
                    code(
                        SDK,
                        SDK_FILE,
                        "webhook_output_format: \"Response format sent to the webhook: 'string' (default) or 'json'\"",
                    ),
                    assumption(
                        "the SDK names `string` the default but never says what it means: hookrig sends the JSON body encoded once more as a JSON string; the docs show fields, not bytes, so compact JSON is assumed",
                    ),
                ],
            ),
            sourced(
                Rule::Headers,
                [
                    seed(
                        DOC,
                        "HTTP Headers: Content-Type: application/json, User-Agent: llamaindex-webhook-service/1.0, X-Webhook-Event-ID, X-Webhook-Event-Type, any custom headers",
                    ),
                    code(
                        SDK,
                        SDK_FILE,
                        "webhook_signing_secret: \"each request includes an HMAC-SHA256 signature of the request body in the 'LC-Signature' header (value 'sha256=<hex>')\"",
                    ),
                ],
            ),
            sourced(
                Rule::CustomHeaders,
                [seed(
                    DOC,
                    "Custom Headers example: \"Content-Type\": \"application/json\" # This is set automatically",
                )],
            ),
            sourced(
                Rule::Signature,
                [code(
                    SDK,
                    SDK_FILE,
                    "webhook_signing_secret: HMAC-SHA256 of the request body, 'LC-Signature: sha256=<hex>'; \"Recompute the HMAC over the raw request body with this secret\"",
                )],
            ),
            sourced(
                Rule::Secret,
                [code(
                    SDK,
                    SDK_FILE,
                    "webhook_signing_secret is Optional: \"When set, each request includes an HMAC-SHA256 signature\"",
                )],
            ),
            sourced(
                Rule::Attempts,
                [
                    seed(
                        DOC,
                        "Retry Behavior: \"Maximum attempts: 3 attempts by default\"",
                    ),
                    assumption(
                        "the doc says 3 attempts but lists three waits (1s, 2s, 4s), which would make 4: hookrig takes the stated count, so the 4 s wait never comes; `profile: {base: llamacloud, attempts: 4}` models the other reading",
                    ),
                ],
            ),
            sourced(
                Rule::Waits,
                [seed(
                    DOC,
                    "\"Exponential backoff: Wait time doubles between attempts (1s, 2s, 4s)\", \"Maximum wait time: 60 seconds maximum between retries\"",
                )],
            ),
            sourced(
                Rule::Timeout,
                [seed(DOC, "\"Timeout: 30-second timeout per request\"")],
            ),
            sourced(
                Rule::RetryOn,
                [
                    seed(
                        DOC,
                        "\"A webhook delivery is considered successful if your endpoint returns any HTTP status code in the 200-299 range\"",
                    ),
                    assumption(
                        "the doc does not say which failures are retried: every non-2xx answer, timeout and connection error is",
                    ),
                ],
            ),
            sourced(
                Rule::Redirects,
                [assumption(
                    "not documented: a 3xx is taken as a failed answer (not 200-299), not followed",
                )],
            ),
            sourced(
                Rule::RetryAfter,
                [assumption(
                    "not documented: Retry-After is taken as ignored",
                )],
            ),
            sourced(
                Rule::Events,
                [
                    seed(
                        DOC,
                        "Supported Events: extract.*, parse.*, classify.* (16 names)",
                    ),
                    code(
                        SDK,
                        SDK_FILE,
                        "webhook_events Literal: also parse.running (the SDK lists further families — batch, sheets, split, verify — that hookrig does not model)",
                    ),
                ],
            ),
        ],
    }
}
