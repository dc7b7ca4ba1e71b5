//! PerfectParser's webhook events: the dashboard's `batch.completed`, `batch.failed` and
//! `batch.partial`, and the API's `extraction.document_completed` and
//! `extraction.job_completed`. The names and when each fires come from PerfectParser's
//! webhook docs (`reference/perfectparser-webhooks.txt`), which also say that payloads
//! carry `extraction_id` and `document_id`. The docs publish no body, so the shape here is
//! an assumption: a flat JSON object, `{event, created_at}` with the event's data fields
//! beside them at the top level (ids `ext_…`, `doc_…`, `batch_…`, `parser_…` and document
//! counts). The schemas leave the id forms open because they are assumed too.

use super::EventSpec;
use crate::rng::RunRng;
use serde_json::{Map, Value, json};

/// PerfectParser's event catalogue, in the order its docs list the events.
pub fn catalogue() -> Vec<EventSpec> {
    vec![
        EventSpec {
            name: "batch.completed",
            description: "Every document of a dashboard extraction batch was extracted.",
            body_schema: || batch_schema("batch.completed"),
            generate: |rng| batch(rng, Outcome::Completed),
        },
        EventSpec {
            name: "batch.failed",
            description: "Every document of a dashboard extraction batch failed.",
            body_schema: || batch_schema("batch.failed"),
            generate: |rng| batch(rng, Outcome::Failed),
        },
        EventSpec {
            name: "batch.partial",
            description: "A dashboard extraction batch finished with mixed success and failure.",
            body_schema: || batch_schema("batch.partial"),
            generate: |rng| batch(rng, Outcome::Partial),
        },
        EventSpec {
            name: "extraction.document_completed",
            description: "One document of an API extraction reached completed or failed.",
            body_schema: document_completed_schema,
            generate: document_completed,
        },
        EventSpec {
            name: "extraction.job_completed",
            description: "Every document of an API extraction finished processing.",
            body_schema: job_completed_schema,
            generate: job_completed,
        },
    ]
}

/// The whole (flat) body of an `event_type` delivery: `event` and `created_at`, then
/// `fields` beside them, all of them required.
fn flat_schema(event_type: &str, fields: Vec<(&str, Value)>) -> Value {
    let mut required = vec!["event", "created_at"];
    let mut properties = Map::new();
    properties.insert(
        "event".into(),
        json!({ "type": "string", "const": event_type }),
    );
    properties.insert(
        "created_at".into(),
        json!({
            "description": "When the event was created, ISO-8601.",
            "type": "string",
            "format": "date-time",
        }),
    );
    for (name, schema) in fields {
        required.push(name);
        properties.insert(name.into(), schema);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("PerfectParser {event_type} webhook body (assumed shape)"),
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": true,
    })
}

fn id_schema(what: &str) -> Value {
    json!({ "description": what, "type": "string", "minLength": 1 })
}

fn count_schema(what: &str) -> Value {
    json!({ "description": what, "type": "integer", "minimum": 0 })
}

fn batch_schema(event_type: &str) -> Value {
    flat_schema(
        event_type,
        vec![
            (
                "extraction_id",
                id_schema("The extraction the batch belongs to (assumed form ext_…)."),
            ),
            (
                "batch_id",
                id_schema("The extraction batch (assumed form batch_…)."),
            ),
            (
                "parser_id",
                id_schema("The parser the batch ran (assumed form parser_…)."),
            ),
            ("total_documents", count_schema("Documents in the batch.")),
            (
                "completed_documents",
                count_schema("Documents extracted successfully."),
            ),
            ("failed_documents", count_schema("Documents that failed.")),
        ],
    )
}

fn document_completed_schema() -> Value {
    flat_schema(
        "extraction.document_completed",
        vec![
            (
                "extraction_id",
                id_schema("The extraction (assumed form ext_…)."),
            ),
            (
                "document_id",
                id_schema("The document (assumed form doc_…)."),
            ),
            (
                "status",
                json!({ "type": "string", "enum": ["completed", "failed"] }),
            ),
        ],
    )
}

fn job_completed_schema() -> Value {
    flat_schema(
        "extraction.job_completed",
        vec![
            (
                "extraction_id",
                id_schema("The extraction (assumed form ext_…)."),
            ),
            (
                "total_documents",
                count_schema("Documents in the extraction."),
            ),
            (
                "completed",
                count_schema("Documents extracted successfully."),
            ),
            ("failed", count_schema("Documents that failed.")),
        ],
    )
}

fn id(rng: &mut RunRng, prefix: &str) -> String {
    format!("{prefix}_{}", rng.alnum(20))
}

/// How a batch ended.
#[derive(Clone, Copy)]
enum Outcome {
    Completed,
    Failed,
    Partial,
}

/// `total` documents split into `(completed, failed)` for `outcome`; a partial batch has
/// at least one of each.
fn split(rng: &mut RunRng, outcome: Outcome, total: i64) -> (i64, i64) {
    match outcome {
        Outcome::Completed => (total, 0),
        Outcome::Failed => (0, total),
        Outcome::Partial => {
            let failed = rng.range(1, total - 1);
            (total - failed, failed)
        }
    }
}

fn batch(rng: &mut RunRng, outcome: Outcome) -> Value {
    let total = rng.range(2, 40);
    let (completed, failed) = split(rng, outcome, total);
    json!({
        "extraction_id": id(rng, "ext"),
        "batch_id": id(rng, "batch"),
        "parser_id": id(rng, "parser"),
        "total_documents": total,
        "completed_documents": completed,
        "failed_documents": failed,
    })
}

fn document_completed(rng: &mut RunRng) -> Value {
    let status = if rng.chance(4, 5) {
        "completed"
    } else {
        "failed"
    };
    json!({
        "extraction_id": id(rng, "ext"),
        "document_id": id(rng, "doc"),
        "status": status,
    })
}

fn job_completed(rng: &mut RunRng) -> Value {
    let total = rng.range(1, 40);
    let failed = rng.range(0, total / 5);
    json!({
        "extraction_id": id(rng, "ext"),
        "total_documents": total,
        "completed": total - failed,
        "failed": failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_counts_add_up_and_match_the_outcome() {
        for seed in 0..50 {
            for (outcome, check) in [
                (
                    Outcome::Completed,
                    (|c, f| c > 0 && f == 0) as fn(i64, i64) -> bool,
                ),
                (Outcome::Failed, |c, f| c == 0 && f > 0),
                (Outcome::Partial, |c, f| c > 0 && f > 0),
            ] {
                let data = batch(&mut RunRng::new(seed), outcome);
                let n = |k: &str| data[k].as_i64().unwrap();
                let (c, f) = (n("completed_documents"), n("failed_documents"));
                assert_eq!(c + f, n("total_documents"));
                assert!(check(c, f), "{data}");
            }
            let job = job_completed(&mut RunRng::new(seed));
            let n = |k: &str| job[k].as_i64().unwrap();
            assert_eq!(n("completed") + n("failed"), n("total_documents"));
        }
    }
}
