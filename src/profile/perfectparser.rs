//! PerfectParser webhooks.

use std::time::Duration;

use super::rules::{Rule, assumption, seed, sourced};
use super::{
    BodyEncoding, Envelope, HeaderRules, Profile, SecretBody, SecretForm, SecretRule, catalogue,
};
use crate::retry::{Backoff, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::Scheme;

const MIN: u64 = 60;
const DOC: &str = "perfectparser-webhooks.txt";

pub(super) fn profile() -> Profile {
    Profile {
        name: "perfectparser".into(),
        provider: "PerfectParser webhooks",
        version: "PerfectParser's Webhooks Overview page (seed)",
        envelope: Envelope::PerfectParser,
        body_encoding: BodyEncoding::Compact,
        static_headers: vec![("Content-Type", "application/json")],
        header_rules: HeaderRules {
            protected: vec![
                "Content-Type",
                "X-Webhook-Secret",
                "X-PerfectParser-Signature",
            ],
            content_type_last: false,
            limits: None,
        },
        scheme: Scheme::PerfectParser,
        secret: SecretRule::Generated(SecretForm {
            prefix: "",
            body: SecretBody::Hex(64),
        }),
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
            redirect_statuses: &[],
            retry_after: RetryAfter::Ignored,
            overload: None,
            jitter_percent: 0,
            resend_quick_connection_error: None,
            disable_on_410: false,
        },
        catalogue: catalogue::perfectparser::catalogue(),
        api_versions: Vec::new(),
        api_version: None,
        open_catalogue: false,
        pending_status: Some("pending_retry"),
        rules: vec![
            sourced(Rule::Version, [seed(DOC, "the page as published")]),
            sourced(
                Rule::Body,
                [
                    seed(
                        DOC,
                        "\"Webhook payloads include both extraction_id and document_id\"; the event types and when they fire",
                    ),
                    assumption(
                        "the page publishes no body: the flat {event, created_at, …} shape and its other fields are assumed",
                    ),
                ],
            ),
            sourced(
                Rule::BodyBytes,
                [assumption("no body is published: compact JSON assumed")],
            ),
            sourced(
                Rule::Headers,
                [seed(
                    DOC,
                    "Webhook Verification: X-Webhook-Secret (the static secret, \"sent verbatim\") and X-PerfectParser-Signature \"in every callback request\"",
                )],
            ),
            sourced(
                Rule::CustomHeaders,
                [assumption(
                    "the page offers no custom headers beyond the static secret: none can replace the documented ones",
                )],
            ),
            sourced(
                Rule::Signature,
                [seed(
                    DOC,
                    "\"a SHA-256 HMAC signature of the raw request payload using the webhook's private signing secret\"",
                )],
            ),
            sourced(
                Rule::Secret,
                [
                    seed(
                        DOC,
                        "\"Dashboard webhooks reveal the signing secret\"; API webhooks return \"signing_secret once on create\": every webhook has one",
                    ),
                    assumption("its form is not published: hookrig generates 64 hex digits"),
                ],
            ),
            sourced(
                Rule::Attempts,
                [seed(
                    DOC,
                    "\"PerfectParser will retry up to 5 times\": 6 attempts",
                )],
            ),
            sourced(
                Rule::Waits,
                [seed(
                    DOC,
                    "Retry 1: 5 minutes after initial failure; then 10, 20, 40, 80 minutes later",
                )],
            ),
            sourced(
                Rule::Timeout,
                [seed(
                    DOC,
                    "\"Webhook delivery requests time out after 10 seconds\"",
                )],
            ),
            sourced(
                Rule::RetryOn,
                [seed(
                    DOC,
                    "\"If delivery fails (returns a non-2xx code or times out)\"",
                )],
            ),
            sourced(
                Rule::Redirects,
                [assumption(
                    "not documented: a 3xx is non-2xx, a failed answer, not followed",
                )],
            ),
            sourced(
                Rule::RetryAfter,
                [assumption(
                    "not documented: Retry-After is taken as ignored",
                )],
            ),
            sourced(
                Rule::Status,
                [seed(DOC, "\"the log status becomes pending_retry\"")],
            ),
            sourced(
                Rule::Events,
                [seed(
                    DOC,
                    "Event Types: batch.completed, batch.failed, batch.partial, extraction.document_completed, extraction.job_completed",
                )],
            ),
        ],
    }
}
