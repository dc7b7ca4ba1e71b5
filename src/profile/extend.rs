//! Extend webhooks.

use std::time::Duration;

use super::rules::{Rule, assumption, code, doc, seed, sourced};
use super::{
    ApiVersion, BodyEncoding, Envelope, HeaderRules, Profile, SecretBody, SecretForm, SecretRule,
    catalogue,
};
use crate::retry::{Backoff, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::Scheme;

const DOC: &str = "extend-webhook-events.txt";
const SDK: &str = "extend-hq/extend-python-sdk (PyPI extend-ai 1.20.0)";
const WEBHOOKS: &str = "src/extend_ai/wrapper/webhooks.py";
const BEST_PRACTICES: &str = "https://docs.extend.ai/2026-02-09/product/webhooks/best-practices";

/// The API version whose event names the seed page lists (the default), then the newer
/// one whose names the SDK lists.
pub const API_VERSIONS: &[ApiVersion] = &[
    ApiVersion {
        name: "2024-12-23",
        catalogue: catalogue::extend::catalogue,
    },
    ApiVersion {
        name: "2026-02-09",
        catalogue: catalogue::extend_2026::catalogue,
    },
];

pub(super) fn profile() -> Profile {
    Profile {
        name: "extend".into(),
        provider: "Extend webhooks",
        version: "Extend's webhook events page (seed, API version 2024-12-23: the default catalogue) and the extend-ai SDK 1.20.0 (signature; API version 2026-02-09's catalogue)",
        envelope: Envelope::Extend,
        body_encoding: BodyEncoding::Compact,
        static_headers: vec![("Content-Type", "application/json")],
        header_rules: HeaderRules {
            protected: vec![
                "Content-Type",
                "x-extend-request-timestamp",
                "x-extend-request-signature",
            ],
            content_type_last: false,
            limits: None,
        },
        scheme: Scheme::Extend,
        secret: SecretRule::Generated(SecretForm {
            prefix: "wss_",
            body: SecretBody::Alnum(32),
        }),
        retry: RetryPolicy {
            attempts: 5,
            backoff: Backoff::Exponential {
                initial: Duration::from_secs(1),
                cap: Duration::from_secs(8),
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
        catalogue: (API_VERSIONS[0].catalogue)(),
        api_versions: API_VERSIONS.to_vec(),
        api_version: Some(API_VERSIONS[0].name),
        open_catalogue: false,
        pending_status: None,
        rules: vec![
            sourced(
                Rule::Version,
                [
                    seed(
                        DOC,
                        "the Events page of API version 2024-12-23 (docs.extend.ai/2024-12-23/developers/webhooks/events)",
                    ),
                    code(
                        SDK,
                        "src/extend_ai/core/client_wrapper.py",
                        "x-extend-api-version default \"2026-02-09\"",
                    ),
                ],
            ),
            sourced(
                Rule::Body,
                [seed(
                    DOC,
                    "The Event object: eventId, eventType, payload (\"Contains the WorkflowRun object\"); example eventId \"event_1234\"",
                )],
            ),
            sourced(
                Rule::BodyBytes,
                [assumption(
                    "the docs show the fields, not the bytes: compact JSON assumed (the SDK verifies the raw body as sent, so any form verifies)",
                )],
            ),
            sourced(
                Rule::Headers,
                [code(
                    SDK,
                    WEBHOOKS,
                    "_verify_signature reads x-extend-request-timestamp and x-extend-request-signature",
                )],
            ),
            sourced(
                Rule::CustomHeaders,
                [assumption(
                    "not documented: custom headers are taken to leave Content-Type and the signature headers alone",
                )],
            ),
            sourced(
                Rule::Signature,
                [code(
                    SDK,
                    WEBHOOKS,
                    "_verify_signature: hmac.new(signing_secret.encode(\"utf-8\"), f\"v0:{timestamp}:{body}\", sha256).hexdigest(); age > max_age_seconds (300) or < -60 rejected",
                )],
            ),
            sourced(
                Rule::Secret,
                [
                    code(
                        SDK,
                        WEBHOOKS,
                        "verify_and_parse: \"signing_secret: Your webhook signing secret (starts with wss_)\"",
                    ),
                    doc(
                        BEST_PRACTICES,
                        "\"Always verify the webhook signature\": every endpoint has a signing secret",
                    ),
                    assumption(
                        "the length of a real secret is not published: hookrig generates wss_ + 32 letters and digits",
                    ),
                ],
            ),
            sourced(
                Rule::Attempts,
                [
                    doc(
                        BEST_PRACTICES,
                        "\"Extend retries failed or timed-out (30 s) requests with exponential backoff\"",
                    ),
                    assumption("the number of attempts is not published: 5 assumed"),
                ],
            ),
            sourced(
                Rule::Waits,
                [assumption(
                    "\"exponential backoff\" without a schedule: waits 1 s, 2 s, 4 s, 8 s assumed",
                )],
            ),
            sourced(
                Rule::Timeout,
                [doc(BEST_PRACTICES, "\"Extend times out after 30 seconds\"")],
            ),
            sourced(
                Rule::RetryOn,
                [doc(
                    BEST_PRACTICES,
                    "\"Respond with a 2xx status quickly\"; \"Extend retries failed or timed-out (30 s) requests\"",
                )],
            ),
            sourced(
                Rule::Redirects,
                [assumption(
                    "not documented: a 3xx is taken as a failed answer, not followed",
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
                        "workflow_run.*, processor_run.*, workflow.*, processor.* (15 names; API version 2024-12-23)",
                    ),
                    code(
                        SDK,
                        "src/extend_ai/types/webhook_endpoint_event_type.py",
                        "WebhookEndpointEventType (+ WebhookSubscriptionEventType's workflow_run.*): the 40 names of API version 2026-02-09",
                    ),
                ],
            ),
        ],
    }
}
