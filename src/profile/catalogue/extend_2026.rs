//! Extend's webhook events in API version 2026-02-09: the names of the extend-ai SDK's
//! `WebhookEndpointEventType` (run events and resource lifecycle events) and
//! `WebhookSubscriptionEventType` (`workflow_run.*`, among them `workflow_run.cancelled`)
//! — 40 names, the discriminators of its `WebhookEvent` union — each with the payload
//! type that union gives it (extend-hq/extend-python-sdk, PyPI extend-ai 1.20.0,
//! `src/extend_ai/types/webhook_event.py`). Ids follow the SDK's documented examples
//! (`exr_…`, `clr_…`, `splr_…`, `pr_…`, `edr_…`, `sgr_…`, `bpr_…`, `ex_…`, `exv_…`, `cl_…`,
//! `clv_…`, `spl_…`, `splv_…`); the generated fields past `object`, `id` and `status` are
//! realistic, and the schemas require only `object` and `id`.

use serde_json::{Value, json};

use super::EventSpec;
use super::extend::{
    CREATED_AT, Family, UPDATED_AT, WORKFLOW, WORKFLOW_RUN, body_schema, event, id, pick_use_case,
    workflow, workflow_run,
};
use crate::rng::RunRng;

const EXTRACT_RUN: Family = Family {
    object: "extract_run",
    id_prefix: "exr_",
};
const CLASSIFY_RUN: Family = Family {
    object: "classify_run",
    id_prefix: "clr_",
};
const SPLIT_RUN: Family = Family {
    object: "split_run",
    id_prefix: "splr_",
};
const BATCH_RUN: Family = Family {
    object: "batch_run",
    id_prefix: "bpr_",
};
const PARSE_RUN_STATUS: Family = Family {
    object: "parse_run_status",
    id_prefix: "pr_",
};
const EDIT_RUN: Family = Family {
    object: "edit_run",
    id_prefix: "edr_",
};
const FORM_DETECTION_RUN: Family = Family {
    object: "form_detection_run",
    id_prefix: "sgr_",
};
const STEP_RUN: Family = Family {
    object: "workflow_step_run",
    id_prefix: "step_run_",
};
const EXTRACTOR: Family = Family {
    object: "extractor",
    id_prefix: "ex_",
};
const EXTRACTOR_VERSION: Family = Family {
    object: "extractor_version",
    id_prefix: "exv_",
};
const CLASSIFIER: Family = Family {
    object: "classifier",
    id_prefix: "cl_",
};
const CLASSIFIER_VERSION: Family = Family {
    object: "classifier_version",
    id_prefix: "clv_",
};
const SPLITTER: Family = Family {
    object: "splitter",
    id_prefix: "spl_",
};
const SPLITTER_VERSION: Family = Family {
    object: "splitter_version",
    id_prefix: "splv_",
};

/// One catalogue entry: `ev!(name, description, FAMILY, status or None, generator)`.
macro_rules! ev {
    ($name:literal, $desc:literal, $family:expr, $status:expr, $gen:expr) => {
        event($name, $desc, || body_schema($name, $family, $status), $gen)
    };
}

/// Extend's catalogue in API version 2026-02-09, in the SDK's order.
pub fn catalogue() -> Vec<EventSpec> {
    vec![
        ev!(
            "workflow_run.completed",
            "A workflow run finished processing.",
            WORKFLOW_RUN,
            Some("PROCESSED"),
            |r| workflow_run(r, "PROCESSED")
        ),
        ev!(
            "workflow_run.failed",
            "A workflow run failed.",
            WORKFLOW_RUN,
            Some("FAILED"),
            |r| workflow_run(r, "FAILED")
        ),
        ev!(
            "workflow_run.needs_review",
            "A workflow run reached a human review step.",
            WORKFLOW_RUN,
            Some("NEEDS_REVIEW"),
            |r| workflow_run(r, "NEEDS_REVIEW")
        ),
        ev!(
            "workflow_run.rejected",
            "A reviewer rejected a workflow run.",
            WORKFLOW_RUN,
            Some("REJECTED"),
            |r| workflow_run(r, "REJECTED")
        ),
        ev!(
            "workflow_run.cancelled",
            "A workflow run was cancelled.",
            WORKFLOW_RUN,
            Some("CANCELLED"),
            |r| workflow_run(r, "CANCELLED")
        ),
        ev!(
            "workflow_run.step_run.processed",
            "One step of a workflow run finished; the payload is that step run.",
            STEP_RUN,
            Some("PROCESSED"),
            step_run
        ),
        ev!(
            "extract_run.processed",
            "An extract run finished processing.",
            EXTRACT_RUN,
            Some("PROCESSED"),
            |r| extract_run(r, "PROCESSED")
        ),
        ev!(
            "extract_run.failed",
            "An extract run failed.",
            EXTRACT_RUN,
            Some("FAILED"),
            |r| extract_run(r, "FAILED")
        ),
        ev!(
            "classify_run.processed",
            "A classify run finished processing.",
            CLASSIFY_RUN,
            Some("PROCESSED"),
            |r| classify_run(r, "PROCESSED")
        ),
        ev!(
            "classify_run.failed",
            "A classify run failed.",
            CLASSIFY_RUN,
            Some("FAILED"),
            |r| classify_run(r, "FAILED")
        ),
        ev!(
            "split_run.processed",
            "A split run finished processing.",
            SPLIT_RUN,
            Some("PROCESSED"),
            |r| split_run(r, "PROCESSED")
        ),
        ev!(
            "split_run.failed",
            "A split run failed.",
            SPLIT_RUN,
            Some("FAILED"),
            |r| split_run(r, "FAILED")
        ),
        ev!(
            "batch_processor_run.processed",
            "A batch of extract, classify or split runs finished.",
            BATCH_RUN,
            Some("PROCESSED"),
            |r| batch_run(r, "PROCESSED")
        ),
        ev!(
            "batch_processor_run.failed",
            "A batch of extract, classify or split runs failed.",
            BATCH_RUN,
            Some("FAILED"),
            |r| batch_run(r, "FAILED")
        ),
        ev!(
            "batch_parse_run.processed",
            "A batch of parse runs finished.",
            BATCH_RUN,
            Some("PROCESSED"),
            |r| batch_run(r, "PROCESSED")
        ),
        ev!(
            "batch_parse_run.failed",
            "A batch of parse runs failed.",
            BATCH_RUN,
            Some("FAILED"),
            |r| batch_run(r, "FAILED")
        ),
        ev!(
            "parse_run.processed",
            "A parse run finished; the payload is its minimal status object.",
            PARSE_RUN_STATUS,
            Some("PROCESSED"),
            |r| parse_run_status(r, "PROCESSED")
        ),
        ev!(
            "parse_run.failed",
            "A parse run failed; the payload is its minimal status object.",
            PARSE_RUN_STATUS,
            Some("FAILED"),
            |r| parse_run_status(r, "FAILED")
        ),
        ev!(
            "edit_run.processed",
            "An edit run finished processing.",
            EDIT_RUN,
            Some("PROCESSED"),
            |r| file_run(r, EDIT_RUN, "PROCESSED")
        ),
        ev!(
            "edit_run.failed",
            "An edit run failed.",
            EDIT_RUN,
            Some("FAILED"),
            |r| file_run(r, EDIT_RUN, "FAILED")
        ),
        ev!(
            "form_detection_run.processed",
            "A form detection run finished processing.",
            FORM_DETECTION_RUN,
            Some("PROCESSED"),
            |r| file_run(r, FORM_DETECTION_RUN, "PROCESSED")
        ),
        ev!(
            "form_detection_run.failed",
            "A form detection run failed.",
            FORM_DETECTION_RUN,
            Some("FAILED"),
            |r| file_run(r, FORM_DETECTION_RUN, "FAILED")
        ),
        ev!(
            "workflow.created",
            "A workflow was created.",
            WORKFLOW,
            None,
            workflow
        ),
        ev!(
            "workflow.deployed",
            "A workflow was deployed.",
            WORKFLOW,
            None,
            workflow
        ),
        ev!(
            "workflow.deleted",
            "A workflow was deleted.",
            WORKFLOW,
            None,
            workflow
        ),
        ev!(
            "extractor.created",
            "An extractor was created.",
            EXTRACTOR,
            None,
            |r| resource(r, EXTRACTOR, EXTRACTOR_VERSION)
        ),
        ev!(
            "extractor.updated",
            "An extractor was updated.",
            EXTRACTOR,
            None,
            |r| resource(r, EXTRACTOR, EXTRACTOR_VERSION)
        ),
        ev!(
            "extractor.deleted",
            "An extractor was deleted.",
            EXTRACTOR,
            None,
            |r| resource(r, EXTRACTOR, EXTRACTOR_VERSION)
        ),
        ev!(
            "extractor.draft.updated",
            "An extractor's draft version was saved.",
            EXTRACTOR,
            None,
            |r| resource(r, EXTRACTOR, EXTRACTOR_VERSION)
        ),
        ev!(
            "extractor.version.published",
            "A new extractor version was published.",
            EXTRACTOR_VERSION,
            None,
            |r| version(r, EXTRACTOR_VERSION, EXTRACTOR, "extractorId")
        ),
        ev!(
            "classifier.created",
            "A classifier was created.",
            CLASSIFIER,
            None,
            |r| resource(r, CLASSIFIER, CLASSIFIER_VERSION)
        ),
        ev!(
            "classifier.updated",
            "A classifier was updated.",
            CLASSIFIER,
            None,
            |r| resource(r, CLASSIFIER, CLASSIFIER_VERSION)
        ),
        ev!(
            "classifier.deleted",
            "A classifier was deleted.",
            CLASSIFIER,
            None,
            |r| resource(r, CLASSIFIER, CLASSIFIER_VERSION)
        ),
        ev!(
            "classifier.draft.updated",
            "A classifier's draft version was saved.",
            CLASSIFIER,
            None,
            |r| resource(r, CLASSIFIER, CLASSIFIER_VERSION)
        ),
        ev!(
            "classifier.version.published",
            "A new classifier version was published.",
            CLASSIFIER_VERSION,
            None,
            |r| version(r, CLASSIFIER_VERSION, CLASSIFIER, "classifierId")
        ),
        ev!(
            "splitter.created",
            "A splitter was created.",
            SPLITTER,
            None,
            |r| resource(r, SPLITTER, SPLITTER_VERSION)
        ),
        ev!(
            "splitter.updated",
            "A splitter was updated.",
            SPLITTER,
            None,
            |r| resource(r, SPLITTER, SPLITTER_VERSION)
        ),
        ev!(
            "splitter.deleted",
            "A splitter was deleted.",
            SPLITTER,
            None,
            |r| resource(r, SPLITTER, SPLITTER_VERSION)
        ),
        ev!(
            "splitter.draft.updated",
            "A splitter's draft version was saved.",
            SPLITTER,
            None,
            |r| resource(r, SPLITTER, SPLITTER_VERSION)
        ),
        ev!(
            "splitter.version.published",
            "A new splitter version was published.",
            SPLITTER_VERSION,
            None,
            |r| version(r, SPLITTER_VERSION, SPLITTER, "splitterId")
        ),
    ]
}

/// A file summary, as runs list their input.
fn file(rng: &mut RunRng, stem: &str) -> Value {
    json!({
        "object": "file",
        "id": id(rng, "file_"),
        "name": format!("{stem}-{}.pdf", rng.range(1000, 9999)),
        "type": "PDF",
    })
}

/// `failureReason` and `failureMessage` for a failed run.
fn fail(run: &mut Value, rng: &mut RunRng) {
    run["failureReason"] = json!(*rng.pick(&["INTERNAL_ERROR", "FAILED_TO_PROCESS_FILE"]));
    run["failureMessage"] = json!("The file could not be processed.");
}

fn extract_run(rng: &mut RunRng, status: &str) -> Value {
    let use_case = pick_use_case(rng);
    let mut run = json!({
        "object": EXTRACT_RUN.object,
        "id": id(rng, EXTRACT_RUN.id_prefix),
        "status": status,
        "output": null,
        "extractor": { "object": EXTRACTOR.object, "id": id(rng, EXTRACTOR.id_prefix), "name": use_case.processor },
        "file": file(rng, use_case.file_stem),
        "reviewed": false,
        "edited": false,
        "metadata": {},
        "config": {},
        "createdAt": CREATED_AT,
        "updatedAt": UPDATED_AT,
    });
    if status == "FAILED" {
        fail(&mut run, rng);
    } else {
        run["output"] = json!({ "value": (use_case.output)(rng) });
    }
    run
}

fn classify_run(rng: &mut RunRng, status: &str) -> Value {
    let use_case = pick_use_case(rng);
    let mut run = json!({
        "object": CLASSIFY_RUN.object,
        "id": id(rng, CLASSIFY_RUN.id_prefix),
        "status": status,
        "output": null,
        "classifier": { "object": CLASSIFIER.object, "id": id(rng, CLASSIFIER.id_prefix), "name": "Document type" },
        "file": file(rng, use_case.file_stem),
        "reviewed": false,
        "edited": false,
        "metadata": {},
        "config": {},
    });
    if status == "FAILED" {
        fail(&mut run, rng);
    } else {
        run["output"] = json!({
            "id": id(rng, "cls_"),
            "type": use_case.file_stem,
            "confidence": rng.range(80, 99) as f64 / 100.0,
            "insights": [],
        });
    }
    run
}

fn split_run(rng: &mut RunRng, status: &str) -> Value {
    let use_case = pick_use_case(rng);
    let pages = rng.range(2, 12);
    let mut run = json!({
        "object": SPLIT_RUN.object,
        "id": id(rng, SPLIT_RUN.id_prefix),
        "status": status,
        "output": null,
        "splitter": { "object": SPLITTER.object, "id": id(rng, SPLITTER.id_prefix), "name": "Packet splitter" },
        "file": file(rng, use_case.file_stem),
        "reviewed": false,
        "edited": false,
        "metadata": {},
        "config": {},
    });
    if status == "FAILED" {
        fail(&mut run, rng);
    } else {
        run["output"] = json!({ "splits": [
            { "type": use_case.file_stem, "startPage": 1, "endPage": pages / 2 },
            { "type": "other", "startPage": pages / 2 + 1, "endPage": pages },
        ]});
    }
    run
}

fn batch_run(rng: &mut RunRng, status: &str) -> Value {
    json!({
        "object": BATCH_RUN.object,
        "id": id(rng, BATCH_RUN.id_prefix),
        "status": status,
        "runCount": rng.range(2, 250),
        "createdAt": CREATED_AT,
    })
}

fn parse_run_status(rng: &mut RunRng, status: &str) -> Value {
    let mut run = json!({
        "object": PARSE_RUN_STATUS.object,
        "id": id(rng, PARSE_RUN_STATUS.id_prefix),
        "status": status,
        "metadata": {},
    });
    if status == "FAILED" {
        fail(&mut run, rng);
    }
    run
}

/// An edit or form detection run over one file.
fn file_run(rng: &mut RunRng, family: Family, status: &str) -> Value {
    let use_case = pick_use_case(rng);
    let mut run = json!({
        "object": family.object,
        "id": id(rng, family.id_prefix),
        "file": file(rng, use_case.file_stem),
        "status": status,
        "config": {},
    });
    if status == "FAILED" {
        fail(&mut run, rng);
    }
    run
}

fn step_run(rng: &mut RunRng) -> Value {
    let use_case = pick_use_case(rng);
    json!({
        "object": STEP_RUN.object,
        "id": id(rng, STEP_RUN.id_prefix),
        "workflowRunId": id(rng, WORKFLOW_RUN.id_prefix),
        "stepType": "EXTRACT",
        "status": "PROCESSED",
        "step": { "object": "workflow_step", "id": id(rng, "step_"), "name": "Extraction" },
        "result": { "value": (use_case.output)(rng) },
        "files": [file(rng, use_case.file_stem)],
    })
}

/// An extractor, classifier or splitter with its draft version.
fn resource(rng: &mut RunRng, family: Family, version: Family) -> Value {
    let use_case = pick_use_case(rng);
    let own_id = id(rng, family.id_prefix);
    json!({
        "object": family.object,
        "id": own_id,
        "name": use_case.processor,
        "createdAt": CREATED_AT,
        "updatedAt": UPDATED_AT,
        "draftVersion": {
            "object": version.object,
            "id": id(rng, version.id_prefix),
            "version": "draft",
            "config": {},
            "createdAt": UPDATED_AT,
        },
    })
}

/// A published version of an extractor, classifier or splitter.
fn version(rng: &mut RunRng, family: Family, parent: Family, parent_key: &str) -> Value {
    let mut v = json!({
        "object": family.object,
        "id": id(rng, family.id_prefix),
        "version": format!("{}.{}", rng.range(1, 3), rng.range(0, 9)),
        "description": "Adds the payment terms field.",
        "config": {},
        "createdAt": UPDATED_AT,
    });
    v[parent_key] = json!(id(rng, parent.id_prefix));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_holds_the_sdks_forty_webhook_event_names() {
        let names: Vec<&str> = catalogue().iter().map(|s| s.name).collect();
        assert_eq!(names.len(), 40);
        for must in [
            "extract_run.processed",
            "classify_run.failed",
            "split_run.processed",
            "parse_run.failed",
            "workflow_run.cancelled",
            "splitter.version.published",
        ] {
            assert!(names.contains(&must), "{must}");
        }
        assert!(!names.iter().any(|n| n.starts_with("processor")));
    }

    #[test]
    fn generated_payloads_carry_their_schemas_object_and_status() {
        for spec in catalogue() {
            let schema = (spec.body_schema)();
            let props = &schema["properties"]["payload"]["properties"];
            let data = (spec.generate)(&mut RunRng::new(9));
            assert_eq!(data["object"], props["object"]["const"], "{}", spec.name);
            let prefix = props["id"]["pattern"]
                .as_str()
                .unwrap()
                .trim_start_matches('^');
            assert!(
                data["id"].as_str().unwrap().starts_with(prefix),
                "{}",
                spec.name
            );
            if let Some(status) = props.get("status") {
                assert_eq!(data["status"], status["const"], "{}", spec.name);
            }
        }
    }
}
