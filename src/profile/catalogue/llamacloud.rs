//! LlamaCloud's job events: the five `extract.*` states, the six `parse.*` states and the
//! six `classify.*` states. The names, the envelope (`event_id`, `event_type`, a float
//! Unix `timestamp`, `data`) and the `data` fields `id` and `job_id` (both the job's UUID)
//! come from LlamaCloud's webhook docs (`reference/llamacloud-webhooks.txt`);
//! `parse.running`, which the docs do not list, from the `webhook_events` values of
//! LlamaCloud's SDK (run-llama/llama-cloud-py `src/llama_cloud/types/llama_parse_parameters.py`).
//! The docs show no other `data` field; the `error` message generated for `*.error` events
//! is an assumption, so the schemas describe it without requiring it.

use super::EventSpec;
use crate::rng::RunRng;
use serde_json::{Value, json};

/// A lowercase hyphenated UUID, the form of `event_id`, `id` and `job_id`.
const UUID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// LlamaCloud's event catalogue, in the order its docs list the events.
pub fn catalogue() -> Vec<EventSpec> {
    vec![
        event(
            "extract.pending",
            "An extract job has been queued and waits to be processed.",
            || body_schema("extract.pending"),
            job,
        ),
        event(
            "extract.success",
            "An extract job finished successfully.",
            || body_schema("extract.success"),
            job,
        ),
        event(
            "extract.error",
            "An extract job failed with an error.",
            || body_schema("extract.error"),
            |rng| failed_job(rng, EXTRACT_ERRORS),
        ),
        event(
            "extract.partial_success",
            "An extract job finished with warnings or partial failures.",
            || body_schema("extract.partial_success"),
            job,
        ),
        event(
            "extract.cancelled",
            "An extract job was cancelled before it finished.",
            || body_schema("extract.cancelled"),
            job,
        ),
        event(
            "parse.pending",
            "A parse job has been queued and waits to be processed.",
            || body_schema("parse.pending"),
            job,
        ),
        event(
            "parse.running",
            "A parse job has started processing (named by LlamaCloud's SDK, not its webhook docs).",
            || body_schema("parse.running"),
            job,
        ),
        event(
            "parse.success",
            "A parse job finished successfully.",
            || body_schema("parse.success"),
            job,
        ),
        event(
            "parse.error",
            "A parse job failed with an error.",
            || body_schema("parse.error"),
            |rng| failed_job(rng, PARSE_ERRORS),
        ),
        event(
            "parse.partial_success",
            "A parse job finished with warnings or partial failures.",
            || body_schema("parse.partial_success"),
            job,
        ),
        event(
            "parse.cancelled",
            "A parse job was cancelled before it finished.",
            || body_schema("parse.cancelled"),
            job,
        ),
        event(
            "classify.pending",
            "A classify job has been queued and waits to be processed.",
            || body_schema("classify.pending"),
            job,
        ),
        event(
            "classify.running",
            "A classify job has started processing.",
            || body_schema("classify.running"),
            job,
        ),
        event(
            "classify.success",
            "A classify job finished successfully.",
            || body_schema("classify.success"),
            job,
        ),
        event(
            "classify.partial_success",
            "A classify job finished with warnings or partial failures.",
            || body_schema("classify.partial_success"),
            job,
        ),
        event(
            "classify.error",
            "A classify job failed with an error.",
            || body_schema("classify.error"),
            |rng| failed_job(rng, CLASSIFY_ERRORS),
        ),
        event(
            "classify.cancelled",
            "A classify job was cancelled before it finished.",
            || body_schema("classify.cancelled"),
            job,
        ),
    ]
}

fn event(
    name: &'static str,
    description: &'static str,
    body_schema: fn() -> Value,
    generate: fn(&mut RunRng) -> Value,
) -> EventSpec {
    EventSpec {
        name,
        description,
        body_schema,
        generate,
    }
}

/// The whole body of an `event_type` delivery.
fn body_schema(event_type: &str) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("LlamaCloud {event_type} webhook body"),
        "type": "object",
        "required": ["event_id", "event_type", "timestamp", "data"],
        "properties": {
            "event_id": {
                "description": "Unique id of this webhook event (also sent as X-Webhook-Event-ID).",
                "type": "string",
                "pattern": UUID_PATTERN,
            },
            "event_type": { "type": "string", "const": event_type },
            "timestamp": {
                "description": "When the event occurred, in Unix seconds with a fraction.",
                "type": "number",
            },
            "data": data_schema(),
        },
        "additionalProperties": true,
    })
}

/// The `data` object: the job's id, twice.
fn data_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "job_id"],
        "properties": {
            "id": { "type": "string", "pattern": UUID_PATTERN },
            "job_id": { "type": "string", "pattern": UUID_PATTERN },
            "error": {
                "description": "What went wrong (assumed; only error events carry it).",
                "type": "string",
            },
        },
        "additionalProperties": true,
    })
}

const EXTRACT_ERRORS: &[&str] = &[
    "Extraction failed: the document has no extractable text",
    "Extraction failed: the output did not match the data schema",
    "Extraction timed out after 1800 seconds",
];

const PARSE_ERRORS: &[&str] = &[
    "Failed to parse document: unsupported file type",
    "Failed to parse document: the PDF is password-protected",
    "Failed to parse document: the file is empty or corrupted",
];

const CLASSIFY_ERRORS: &[&str] = &[
    "Classification failed: no rule matched the document",
    "Classification failed: the file could not be read",
    "Classification timed out after 600 seconds",
];

/// `{id, job_id}` for one job: the same UUID under both names.
fn job(rng: &mut RunRng) -> Value {
    let id = rng.uuid();
    json!({ "id": id, "job_id": id })
}

/// A job that failed, with one of `messages` as its `error`.
fn failed_job(rng: &mut RunRng, messages: &[&str]) -> Value {
    let mut data = job(rng);
    data["error"] = json!(*rng.pick(messages));
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_and_job_id_are_the_same_uuid() {
        for spec in catalogue() {
            let data = (spec.generate)(&mut RunRng::new(3));
            assert_eq!(data["id"], data["job_id"], "{}", spec.name);
            assert_eq!(data["id"].as_str().map(str::len), Some(36));
        }
    }
}
