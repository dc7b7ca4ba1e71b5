//! Extend's webhook events: the five `workflow_run.*` events, the two `processor_run.*`
//! events and the eight workspace-wide `workflow.*` and `processor.*` events. The names, the
//! envelope (`eventId` "event_…", `eventType`, `payload`) and the payload of a workflow run
//! event (a WorkflowRun, `object: "workflow_run"`, `id: "workflow_run_…"`) come from
//! Extend's webhook events page (`reference/extend-webhook-events.txt`). The page shows no
//! payload for the other families: their payloads are assumed to be the object the event
//! is about, in the shape of Extend's API objects (ProcessorRun `document_processor_run`
//! "dpr_…", Workflow "workflow_…", Processor `document_processor` "dp_…", ProcessorVersion
//! `document_processor_version` "dpv_…"). The schemas require only `object` and `id` in the
//! payload and describe the rest.
//!
//! This is the catalogue of API version 2024-12-23, the version of the seed page; the
//! catalogue of API version 2026-02-09 is in `extend_2026.rs`.

use super::EventSpec;
use crate::rng::RunRng;
use serde_json::{Value, json};

/// Extend's event catalogue, in the order its docs list the events.
pub fn catalogue() -> Vec<EventSpec> {
    vec![
        event(
            "workflow_run.completed",
            "A workflow run finished processing.",
            || body_schema("workflow_run.completed", WORKFLOW_RUN, Some("PROCESSED")),
            |rng| workflow_run(rng, "PROCESSED"),
        ),
        event(
            "workflow_run.failed",
            "A workflow run failed.",
            || body_schema("workflow_run.failed", WORKFLOW_RUN, Some("FAILED")),
            |rng| workflow_run(rng, "FAILED"),
        ),
        event(
            "workflow_run.needs_review",
            "A workflow run reached a human review step and waits for a reviewer.",
            || {
                body_schema(
                    "workflow_run.needs_review",
                    WORKFLOW_RUN,
                    Some("NEEDS_REVIEW"),
                )
            },
            |rng| workflow_run(rng, "NEEDS_REVIEW"),
        ),
        event(
            "workflow_run.rejected",
            "A reviewer rejected a workflow run from the Extend dashboard.",
            || body_schema("workflow_run.rejected", WORKFLOW_RUN, Some("REJECTED")),
            |rng| workflow_run(rng, "REJECTED"),
        ),
        event(
            "workflow_run.step_run.processed",
            "One step of a workflow run (an extraction, say) finished while the run goes on.",
            || body_schema("workflow_run.step_run.processed", WORKFLOW_RUN, None),
            step_run_processed,
        ),
        event(
            "processor_run.processed",
            "A processor run started through the API finished processing.",
            || body_schema("processor_run.processed", PROCESSOR_RUN, Some("PROCESSED")),
            |rng| processor_run(rng, "PROCESSED"),
        ),
        event(
            "processor_run.failed",
            "A processor run started through the API failed.",
            || body_schema("processor_run.failed", PROCESSOR_RUN, Some("FAILED")),
            |rng| processor_run(rng, "FAILED"),
        ),
        event(
            "workflow.created",
            "A workflow was created in the workspace.",
            || body_schema("workflow.created", WORKFLOW, None),
            workflow,
        ),
        event(
            "workflow.deployed",
            "A workflow was deployed.",
            || body_schema("workflow.deployed", WORKFLOW, None),
            workflow,
        ),
        event(
            "workflow.deleted",
            "A workflow was deleted.",
            || body_schema("workflow.deleted", WORKFLOW, None),
            workflow,
        ),
        event(
            "processor.created",
            "A processor was created in the workspace.",
            || body_schema("processor.created", PROCESSOR, None),
            processor,
        ),
        event(
            "processor.updated",
            "A processor was updated.",
            || body_schema("processor.updated", PROCESSOR, None),
            processor,
        ),
        event(
            "processor.deleted",
            "A processor was deleted.",
            || body_schema("processor.deleted", PROCESSOR, None),
            processor,
        ),
        event(
            "processor.draft.updated",
            "A processor's draft version was saved, from the dashboard or through the API.",
            || body_schema("processor.draft.updated", PROCESSOR, None),
            processor,
        ),
        event(
            "processor.version.published",
            "A new version of a processor was published.",
            || body_schema("processor.version.published", PROCESSOR_VERSION, None),
            processor_version,
        ),
    ]
}

pub(super) fn event(
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

/// What a payload is: its `object` value and the prefix of its `id`.
#[derive(Clone, Copy)]
pub(super) struct Family {
    pub(super) object: &'static str,
    pub(super) id_prefix: &'static str,
}

pub(super) const WORKFLOW_RUN: Family = Family {
    object: "workflow_run",
    id_prefix: "workflow_run_",
};
const PROCESSOR_RUN: Family = Family {
    object: "document_processor_run",
    id_prefix: "dpr_",
};
pub(super) const WORKFLOW: Family = Family {
    object: "workflow",
    id_prefix: "workflow_",
};
const PROCESSOR: Family = Family {
    object: "document_processor",
    id_prefix: "dp_",
};
const PROCESSOR_VERSION: Family = Family {
    object: "document_processor_version",
    id_prefix: "dpv_",
};

/// The whole body of an `event_type` delivery whose payload is of `family`; `status`, when
/// given, is the payload's status for that event.
pub(super) fn body_schema(event_type: &str, family: Family, status: Option<&str>) -> Value {
    let mut payload = json!({
        "description": "The object the event is about.",
        "type": "object",
        "required": ["object", "id"],
        "properties": {
            "object": { "type": "string", "const": family.object },
            "id": { "type": "string", "pattern": format!("^{}", family.id_prefix) },
        },
        "additionalProperties": true,
    });
    if let Some(status) = status {
        payload["properties"]["status"] = json!({ "type": "string", "const": status });
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("Extend {event_type} webhook body"),
        "type": "object",
        "required": ["eventId", "eventType", "payload"],
        "properties": {
            "eventId": {
                "description": "Unique id of this event.",
                "type": "string",
                "pattern": "^event_",
            },
            "eventType": { "type": "string", "const": event_type },
            "payload": payload,
        },
        "additionalProperties": true,
    })
}

pub(super) const CREATED_AT: &str = "2024-12-31T23:58:12.417Z";
pub(super) const UPDATED_AT: &str = "2025-01-01T00:00:00.000Z";

/// A use case: workflow name, processor name, file name stem, and how to fill its output.
pub(super) struct UseCase {
    pub(super) workflow: &'static str,
    pub(super) processor: &'static str,
    pub(super) file_stem: &'static str,
    pub(super) output: fn(&mut RunRng) -> Value,
}

const USE_CASES: &[UseCase] = &[
    UseCase {
        workflow: "Invoice processing",
        processor: "Invoice extractor",
        file_stem: "invoice",
        output: invoice_output,
    },
    UseCase {
        workflow: "Bill of lading intake",
        processor: "Bill of lading extractor",
        file_stem: "bol",
        output: bill_of_lading_output,
    },
    UseCase {
        workflow: "Bank statement review",
        processor: "Statement extractor",
        file_stem: "statement",
        output: statement_output,
    },
];

fn invoice_output(rng: &mut RunRng) -> Value {
    let vendor = *rng.pick(&["Acme Supplies Inc.", "Globex Corporation", "Initech LLC"]);
    let cents = rng.range(5_000, 2_500_000);
    json!({
        "invoice_number": format!("INV-{}", rng.range(1000, 99_999)),
        "vendor_name": vendor,
        "invoice_date": "2024-12-27",
        "total_amount": cents as f64 / 100.0,
        "currency": "USD",
    })
}

fn bill_of_lading_output(rng: &mut RunRng) -> Value {
    let carrier = *rng.pick(&["Maersk", "MSC", "CMA CGM"]);
    json!({
        "bol_number": format!("BOL{}", rng.range(100_000_000, 999_999_999)),
        "carrier": carrier,
        "ship_date": "2024-12-20",
        "container_count": rng.range(1, 12),
    })
}

fn statement_output(rng: &mut RunRng) -> Value {
    let bank = *rng.pick(&["First National Bank", "Harbor Credit Union", "Summit Bank"]);
    let opening = rng.range(100_000, 5_000_000);
    let closing = opening + rng.range(-90_000, 90_000);
    json!({
        "bank_name": bank,
        "account_last4": format!("{:04}", rng.range(0, 9999)),
        "period_end": "2024-12-31",
        "opening_balance": opening as f64 / 100.0,
        "closing_balance": closing as f64 / 100.0,
    })
}

pub(super) fn pick_use_case(rng: &mut RunRng) -> &'static UseCase {
    rng.pick(USE_CASES)
}

pub(super) fn id(rng: &mut RunRng, prefix: &str) -> String {
    format!("{prefix}{}", rng.alnum(22))
}

/// A WorkflowRun of `use_case` in `status`.
pub(super) fn workflow_run_of(rng: &mut RunRng, use_case: &UseCase, status: &str) -> Value {
    let run_id = id(rng, WORKFLOW_RUN.id_prefix);
    let file_name = format!("{}-{}.pdf", use_case.file_stem, rng.range(1000, 9999));
    let mut run = json!({
        "object": WORKFLOW_RUN.object,
        "id": run_id,
        "name": file_name,
        "url": format!("https://dashboard.extend.ai/workflows/{run_id}"),
        "status": status,
        "workflow": {
            "object": WORKFLOW.object,
            "id": id(rng, WORKFLOW.id_prefix),
            "name": use_case.workflow,
        },
        "files": [{
            "object": "file",
            "id": id(rng, "file_"),
            "name": file_name,
            "type": "PDF",
        }],
        "metadata": {},
        "outputs": [],
        "createdAt": CREATED_AT,
        "updatedAt": UPDATED_AT,
    });
    match status {
        "FAILED" => {
            run["failureReason"] = json!("INTERNAL_ERROR");
            run["failureMessage"] = json!("The file could not be processed.");
        }
        "PROCESSING" => {}
        _ => run["outputs"] = json!([processor_run_of(rng, use_case, "PROCESSED")]),
    }
    if status == "REJECTED" {
        run["reviewedByUser"] = json!("reviewer@example.com");
        run["reviewedAt"] = json!(UPDATED_AT);
        run["rejectionNote"] = json!("Document is a duplicate of an earlier upload.");
    }
    run
}

/// A ProcessorRun of `use_case` in `status`.
fn processor_run_of(rng: &mut RunRng, use_case: &UseCase, status: &str) -> Value {
    let mut run = json!({
        "object": PROCESSOR_RUN.object,
        "id": id(rng, PROCESSOR_RUN.id_prefix),
        "processorId": id(rng, PROCESSOR.id_prefix),
        "processorVersionId": id(rng, PROCESSOR_VERSION.id_prefix),
        "processorName": use_case.processor,
        "type": "EXTRACT",
        "status": status,
        "output": {},
        "reviewed": false,
        "edited": false,
    });
    if status == "FAILED" {
        run["failureReason"] = json!(*rng.pick(&["INTERNAL_ERROR", "FAILED_TO_PROCESS_FILE"]));
        run["failureMessage"] = json!("The processor could not read the document.");
    } else {
        run["output"] = json!({ "value": (use_case.output)(rng) });
    }
    run
}

pub(super) fn workflow_run(rng: &mut RunRng, status: &str) -> Value {
    let use_case = pick_use_case(rng);
    workflow_run_of(rng, use_case, status)
}

/// A run still processing, with the step run that just finished.
fn step_run_processed(rng: &mut RunRng) -> Value {
    let use_case = pick_use_case(rng);
    let mut run = workflow_run_of(rng, use_case, "PROCESSING");
    run["stepRun"] = json!({
        "object": "workflow_step_run",
        "id": id(rng, "step_run_"),
        "status": "PROCESSED",
        "step": {
            "object": "workflow_step",
            "id": id(rng, "step_"),
            "name": "Extraction",
            "type": "EXTRACT",
        },
        "output": processor_run_of(rng, use_case, "PROCESSED"),
    });
    run
}

fn processor_run(rng: &mut RunRng, status: &str) -> Value {
    let use_case = pick_use_case(rng);
    processor_run_of(rng, use_case, status)
}

pub(super) fn workflow(rng: &mut RunRng) -> Value {
    let use_case = pick_use_case(rng);
    json!({
        "object": WORKFLOW.object,
        "id": id(rng, WORKFLOW.id_prefix),
        "name": use_case.workflow,
        "createdAt": CREATED_AT,
        "updatedAt": UPDATED_AT,
    })
}

fn processor(rng: &mut RunRng) -> Value {
    let use_case = pick_use_case(rng);
    json!({
        "object": PROCESSOR.object,
        "id": id(rng, PROCESSOR.id_prefix),
        "name": use_case.processor,
        "type": "EXTRACT",
        "createdAt": CREATED_AT,
        "updatedAt": UPDATED_AT,
    })
}

fn processor_version(rng: &mut RunRng) -> Value {
    let version = format!("{}.{}", rng.range(1, 3), rng.range(0, 9));
    json!({
        "object": PROCESSOR_VERSION.object,
        "id": id(rng, PROCESSOR_VERSION.id_prefix),
        "processorId": id(rng, PROCESSOR.id_prefix),
        "processorType": "EXTRACT",
        "version": version,
        "description": "Adds the payment terms field.",
        "createdAt": UPDATED_AT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_payloads_carry_their_schemas_object_and_status() {
        for spec in catalogue() {
            let schema = (spec.body_schema)();
            let props = &schema["properties"]["payload"]["properties"];
            let data = (spec.generate)(&mut RunRng::new(5));
            assert_eq!(data["object"], props["object"]["const"], "{}", spec.name);
            if let Some(status) = props.get("status") {
                assert_eq!(data["status"], status["const"], "{}", spec.name);
            }
        }
    }
}
