//! Example events for the `standard-webhooks` profile. The envelope (`type`, an ISO-8601
//! `timestamp`, `data`) is the one the Standard Webhooks specification recommends; the
//! specification defines no event types, so the five listed here (`user.*` and
//! `invoice.*`, with Stripe-like `in_…`/`cus_…` ids) are this project's own examples,
//! and their data shapes are assumptions. The profile accepts any type the user names:
//! such events use [`generic_body_schema`] and [`generic_data`].

use super::EventSpec;
use crate::rng::RunRng;
use serde_json::{Value, json};

/// The example catalogue.
pub fn catalogue() -> Vec<EventSpec> {
    vec![
        EventSpec {
            name: "user.created",
            description: "A user account was created.",
            body_schema: || event_schema("user.created", user_schema(true)),
            generate: user,
        },
        EventSpec {
            name: "user.updated",
            description: "A user's profile (name or email) changed.",
            body_schema: || event_schema("user.updated", user_schema(true)),
            generate: user,
        },
        EventSpec {
            name: "user.deleted",
            description: "A user account was deleted.",
            body_schema: || event_schema("user.deleted", user_schema(false)),
            generate: deleted_user,
        },
        EventSpec {
            name: "invoice.paid",
            description: "An invoice was paid in full.",
            body_schema: || event_schema("invoice.paid", invoice_schema(&["amount_paid"])),
            generate: paid_invoice,
        },
        EventSpec {
            name: "invoice.payment_failed",
            description: "An attempt to collect payment for an invoice failed.",
            body_schema: || {
                event_schema("invoice.payment_failed", invoice_schema(&["attempt_count"]))
            },
            generate: failed_invoice,
        },
    ]
}

/// The body schema for an event type outside the catalogue: any type, any data object.
pub fn generic_body_schema() -> Value {
    body_schema(
        "any event",
        &json!({ "type": "string", "minLength": 1 }),
        json!({ "type": "object", "additionalProperties": true }),
    )
}

/// Data for an event type outside the catalogue: an object with an id.
pub fn generic_data(rng: &mut RunRng) -> Value {
    json!({ "id": format!("obj_{}", rng.alnum(24)) })
}

/// The whole body: `{type, timestamp, data}`, titled after `what`.
fn body_schema(what: &str, type_schema: &Value, data: Value) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("Standard Webhooks {what} body"),
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": type_schema,
            "timestamp": {
                "description": "When the event occurred, ISO-8601.",
                "type": "string",
                "format": "date-time",
            },
            "data": data,
        },
        "additionalProperties": true,
    })
}

/// The body of one catalogued `event_type`, its `data` described by `data`.
fn event_schema(event_type: &str, data: Value) -> Value {
    let type_schema = json!({ "type": "string", "const": event_type });
    body_schema(event_type, &type_schema, data)
}

fn prefixed(prefix: &str) -> Value {
    json!({ "type": "string", "pattern": format!("^{prefix}_[A-Za-z0-9]+$") })
}

/// A user; a deleted one carries only its id.
fn user_schema(with_profile: bool) -> Value {
    let required = if with_profile {
        vec!["id", "email", "name"]
    } else {
        vec!["id"]
    };
    json!({
        "type": "object",
        "required": required,
        "properties": {
            "id": prefixed("user"),
            "email": { "type": "string", "format": "email" },
            "name": { "type": "string" },
            "deleted": { "type": "boolean" },
        },
        "additionalProperties": true,
    })
}

/// An invoice, requiring the common fields plus `extra`.
fn invoice_schema(extra: &[&str]) -> Value {
    let mut required = vec!["id", "amount_due", "currency", "customer", "status"];
    required.extend_from_slice(extra);
    json!({
        "type": "object",
        "required": required,
        "properties": {
            "id": prefixed("in"),
            "amount_due": amount("What is owed."),
            "amount_paid": amount("What has been paid."),
            "attempt_count": { "type": "integer", "minimum": 1 },
            "currency": { "type": "string", "pattern": "^[a-z]{3}$" },
            "customer": prefixed("cus"),
            "status": { "type": "string" },
        },
        "additionalProperties": true,
    })
}

/// An amount in the currency's smallest unit (cents for `usd`).
fn amount(what: &str) -> Value {
    json!({ "description": what, "type": "integer", "minimum": 0 })
}

const FIRST_NAMES: &[&str] = &["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret"];
const LAST_NAMES: &[&str] = &[
    "Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton",
];

fn user(rng: &mut RunRng) -> Value {
    let id = format!("user_{}", rng.alnum(24));
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    json!({
        "id": id,
        "email": format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase()),
        "name": format!("{first} {last}"),
    })
}

fn deleted_user(rng: &mut RunRng) -> Value {
    json!({ "id": format!("user_{}", rng.alnum(24)), "deleted": true })
}

/// An invoice in `status`, with its amount due.
fn invoice(rng: &mut RunRng, status: &str) -> Value {
    json!({
        "id": format!("in_{}", rng.alnum(24)),
        "amount_due": rng.range(500, 250_000),
        "currency": "usd",
        "customer": format!("cus_{}", rng.alnum(14)),
        "status": status,
    })
}

fn paid_invoice(rng: &mut RunRng) -> Value {
    let mut invoice = invoice(rng, "paid");
    invoice["amount_paid"] = invoice["amount_due"].clone();
    invoice
}

fn failed_invoice(rng: &mut RunRng) -> Value {
    let mut invoice = invoice(rng, "open");
    invoice["amount_paid"] = json!(0);
    invoice["attempt_count"] = json!(rng.range(1, 4));
    invoice
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generic_schema_accepts_any_type_name() {
        let schema = generic_body_schema();
        assert!(schema["properties"]["type"].get("const").is_none());
        assert_eq!(schema["required"], json!(["type", "timestamp", "data"]));
    }
}
