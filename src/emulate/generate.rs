//! Values that satisfy a JSON Schema, for extraction jobs whose caller gives the schema:
//! Crawl4AI's `/llm/job` `schema`, LlamaCloud's `data_schema`. Every property of an object
//! is filled (required or not); a property whose name is among the hints (a profile's
//! table row: a page's title, an article's author) takes the hint when its type fits, so
//! results read like the provider's examples; everything else is drawn from the job's
//! seeded generator within the schema's `enum`, `const`, `minimum`/`maximum`,
//! `minItems`/`maxItems` and string `format`.

use serde_json::{Map, Number, Value, json};

use crate::rng::RunRng;

const MAX_DEPTH: usize = 12;

/// A value for `schema`.
pub fn from_schema(schema: &Value, hints: &Map<String, Value>, rng: &mut RunRng) -> Value {
    value(schema, None, hints, rng, 0)
}

fn value(
    schema: &Value,
    name: Option<&str>,
    hints: &Map<String, Value>,
    rng: &mut RunRng,
    depth: usize,
) -> Value {
    let Some(s) = schema.as_object() else {
        return Value::Null;
    };
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(Value::Array(choices)) = s.get("enum")
        && !choices.is_empty()
    {
        return rng.pick(choices).clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(alts)) = s.get(key)
            && let Some(first) = alts
                .iter()
                .find(|a| a.get("type").and_then(Value::as_str) != Some("null"))
        {
            return value(first, name, hints, rng, depth + 1);
        }
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.contains_key("properties") => "object",
        _ if s.contains_key("items") => "array",
        _ => "string",
    };
    let hint = name.and_then(|n| hints.get(n));
    match ty {
        "object" => {
            let mut m = Map::new();
            if let Some(Value::Object(props)) = s.get("properties") {
                for (k, sub) in props {
                    m.insert(k.clone(), value(sub, Some(k), hints, rng, depth + 1));
                }
            }
            Value::Object(m)
        }
        "array" => {
            let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(1);
            let max = s
                .get("maxItems")
                .and_then(Value::as_u64)
                .unwrap_or(min.max(2))
                .max(min);
            let n = rng.range(min as i64, max.min(min + 3) as i64) as usize;
            let items = s.get("items").cloned().unwrap_or(json!({"type": "string"}));
            let singular = name.map(|n| n.trim_end_matches('s').to_owned());
            (0..n)
                .map(|_| value(&items, singular.as_deref(), hints, rng, depth + 1))
                .collect()
        }
        "integer" => {
            if let Some(h) = hint.filter(|h| h.is_i64() || h.is_u64()) {
                return h.clone();
            }
            let lo = s.get("minimum").and_then(Value::as_i64).unwrap_or(1);
            let hi = s
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(lo.saturating_add(999))
                .max(lo);
            json!(rng.range(lo, hi))
        }
        "number" => {
            if let Some(h) = hint.filter(|h| h.is_number()) {
                return h.clone();
            }
            let lo = s.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
            let hi = s
                .get("maximum")
                .and_then(Value::as_f64)
                .unwrap_or(lo + 5000.0)
                .max(lo);
            let cents = rng.range((lo * 100.0).ceil() as i64, (hi * 100.0).floor() as i64);
            Number::from_f64(cents as f64 / 100.0).map_or(Value::Null, Value::Number)
        }
        "boolean" => match hint {
            Some(Value::Bool(b)) => Value::Bool(*b),
            _ => Value::Bool(rng.chance(1, 2)),
        },
        "null" => Value::Null,
        _ => {
            if let Some(Value::String(h)) = hint {
                return Value::String(h.clone());
            }
            let text = match s.get("format").and_then(Value::as_str) {
                Some("date") => format!("2025-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28)),
                Some("date-time") => format!(
                    "2025-{:02}-{:02}T{:02}:{:02}:00Z",
                    rng.range(1, 12),
                    rng.range(1, 28),
                    rng.range(0, 23),
                    rng.range(0, 59)
                ),
                Some("email") => format!("{}@example.com", name.unwrap_or("contact")),
                Some("uri" | "url") => format!("https://example.com/{}", rng.hex(6)),
                _ => words(name, rng),
            };
            Value::String(text)
        }
    }
}

/// Text for a property without a hint: its name in words and a number
/// (`invoice_number` → `Invoice number 4821`).
fn words(name: Option<&str>, rng: &mut RunRng) -> String {
    let n = rng.range(100, 9999);
    match name {
        Some(name) if !name.is_empty() => {
            let spaced = name.replace(['_', '-'], " ");
            let mut c = spaced.chars();
            let first = c.next().map(|f| f.to_uppercase().collect::<String>());
            format!("{}{} {n}", first.unwrap_or_default(), c.as_str())
        }
        _ => format!("Value {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_property_is_filled_with_its_type_and_hints_are_taken() {
        let schema = json!({"type": "object", "properties": {
            "title": {"type": "string"},
            "total": {"type": "number", "minimum": 10, "maximum": 20},
            "count": {"type": "integer", "minimum": 1, "maximum": 3},
            "paid": {"type": "boolean"},
            "kind": {"enum": ["a", "b"]},
            "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}
        }});
        let hints = json!({"title": "Understanding Web Scraping"});
        let v = from_schema(&schema, hints.as_object().unwrap(), &mut RunRng::new(3));
        assert_eq!(v["title"], "Understanding Web Scraping");
        let total = v["total"].as_f64().unwrap();
        assert!((10.0..=20.0).contains(&total), "{total}");
        assert!((1..=3).contains(&v["count"].as_i64().unwrap()));
        assert!(v["paid"].is_boolean());
        assert!(["a", "b"].contains(&v["kind"].as_str().unwrap()));
        assert!(v["lines"][0]["sku"].is_string());
    }

    #[test]
    fn the_same_seed_gives_the_same_value() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}});
        let h = Map::new();
        assert_eq!(
            from_schema(&schema, &h, &mut RunRng::new(9)),
            from_schema(&schema, &h, &mut RunRng::new(9))
        );
    }
}
