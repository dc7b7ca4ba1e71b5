//! Standard Webhooks: the specification's scheme and its example schedule (the `svix`
//! profile is Svix's own server).

use std::time::Duration;

use super::rules::{Rule, assumption, code, sourced};
use super::{BodyEncoding, Envelope, HeaderRules, Profile, SecretRule, catalogue};
use crate::retry::{Backoff, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::Scheme;

const SPEC_REPO: &str = "standard-webhooks/standard-webhooks (b2fa7b8)";
const SPEC: &str = "spec/standard-webhooks.md";
const PY_LIB: &str = "libraries/python/standardwebhooks/webhooks.py";

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
        provider: "Standard Webhooks (the spec's example schedule)",
        version: "the Standard Webhooks specification (spec/standard-webhooks.md) and its reference libraries",
        envelope: Envelope::StandardWebhooks,
        body_encoding: BodyEncoding::Compact,
        static_headers: vec![("Content-Type", "application/json")],
        header_rules: HeaderRules {
            protected: vec![
                "Content-Type",
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature",
            ],
            content_type_last: false,
            limits: None,
        },
        scheme: Scheme::StandardWebhooks,
        secret: SecretRule::Optional,
        retry: RetryPolicy {
            attempts: 10,
            backoff: Backoff::Table(waits.iter().map(|s| Duration::from_secs(*s)).collect()),
            timeout: Duration::from_secs(30),
            retry_on: RetryOn::AnyFailure,
            max_redirects: 0,
            redirect_statuses: &[],
            retry_after: RetryAfter::standard(),
            overload: None,
            jitter_percent: 0,
            resend_quick_connection_error: None,
            disable_on_410: true,
        },
        catalogue: catalogue::standard_webhooks::catalogue(),
        api_versions: Vec::new(),
        api_version: None,
        open_catalogue: true,
        pending_status: None,
        rules: vec![
            sourced(
                Rule::Version,
                [code(SPEC_REPO, SPEC, "the specification as published")],
            ),
            sourced(
                Rule::Body,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "Payload structure: type, timestamp (\"when the event occurred (not necessarily the same of when it was delivered)\", ISO 8601), data",
                )],
            ),
            sourced(
                Rule::BodyBytes,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "\"it's OK (and recommended) to minimize the JSON body when serialized for sending\"",
                )],
            ),
            sourced(
                Rule::Headers,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "Webhook headers: webhook-id, webhook-timestamp (integer unix seconds: \"Every time an attempt is retried the timestamp of the attempt is updated, while the timestamp of the original event remains the same\"), webhook-signature",
                )],
            ),
            sourced(
                Rule::CustomHeaders,
                [assumption(
                    "the spec says nothing of custom headers: they cannot replace Content-Type or the webhook-* headers",
                )],
            ),
            sourced(
                Rule::Signature,
                [
                    code(
                        SPEC_REPO,
                        SPEC,
                        "Signature scheme: msg_id.timestamp.payload, HMAC-SHA256, \"v1,\" + base64; space-delimited list for rotation",
                    ),
                    code(
                        SPEC_REPO,
                        PY_LIB,
                        "verify: timestamp tolerance 5 minutes either way",
                    ),
                ],
            ),
            sourced(
                Rule::Secret,
                [
                    code(
                        SPEC_REPO,
                        SPEC,
                        "symmetric secrets \"base64 encoded, prefixed with whsec_\"",
                    ),
                    code(
                        SPEC_REPO,
                        PY_LIB,
                        "Webhook.__init__: base64.b64decode(whsecret + \"==\") (\"add padding in case whsecret is unpadded base64\")",
                    ),
                    assumption(
                        "the spec describes a scheme, not a service: signing stays optional",
                    ),
                ],
            ),
            sourced(
                Rule::Attempts,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "Example retry schedule: immediately and 9 delays (10 attempts)",
                )],
            ),
            sourced(
                Rule::Waits,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "Example retry schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h",
                )],
            ),
            sourced(
                Rule::Jitter,
                [
                    code(
                        SPEC_REPO,
                        SPEC,
                        "\"It's recommended to also add some level of random jitter\"",
                    ),
                    assumption(
                        "the example schedule has none and the spec gives no amount: hookrig keeps it exact (the svix profile jitters as Svix does)",
                    ),
                ],
            ),
            sourced(
                Rule::RetryAfter,
                [
                    code(
                        SPEC_REPO,
                        SPEC,
                        "\"some responses may also include a retry-after header (e.g. 503 Service Unavailable), which should be taken into consideration\"",
                    ),
                    assumption(
                        "the spec gives no rule: on 429 and 503 the wait becomes max(wait, Retry-After), at most 24 h",
                    ),
                ],
            ),
            sourced(
                Rule::Timeout,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "Request timeouts: \"somewhere between 15 and 30s\" (30 s taken)",
                )],
            ),
            sourced(
                Rule::RetryOn,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "Delivery success and failure: 2xx success, \"a failure in any other scenario\" (non-2xx, timeouts, connection resets)",
                )],
            ),
            sourced(
                Rule::Redirects,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "\"3xx: Failure. Following redirects causes unnecessary load\"",
                )],
            ),
            sourced(
                Rule::Gone,
                [code(
                    SPEC_REPO,
                    SPEC,
                    "\"410 Gone: … Sender should disable the webhook endpoint, and stop sending it messages\"",
                )],
            ),
            sourced(
                Rule::Events,
                [
                    code(
                        SPEC_REPO,
                        SPEC,
                        "Event types: hierarchical, full-stop delimited (user.created)",
                    ),
                    assumption(
                        "the spec has no catalogue: a few examples, and any type name is accepted",
                    ),
                ],
            ),
        ],
    }
}
