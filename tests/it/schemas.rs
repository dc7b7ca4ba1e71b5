//! Event catalogues: for every built-in profile and every event it sends, a request built
//! from generated data satisfies the event's JSON Schema, and the schema rejects the body
//! once any of its required fields is taken out.

use std::time::Duration;

use hookrig::clock::{Clock, FixedClock, SIM_EPOCH_UNIX};
use hookrig::profile::{self, Endpoint, OutputFormat, Profile};
use hookrig::rng::RunRng;
use serde_json::Value;

/// Seeds to generate data with: generators pick among shapes, so try several.
const SEEDS: std::ops::Range<u64> = 0..6;

/// The endpoints each profile is tried with (the settings that change the body).
fn endpoints(p: &Profile) -> Vec<Endpoint> {
    match p.name.as_str() {
        "crawl4ai" => vec![
            Endpoint::default(),
            Endpoint {
                data_in_payload: true,
                ..Endpoint::default()
            },
        ],
        "llamacloud" => vec![
            Endpoint::default(),
            Endpoint {
                output_format: OutputFormat::Json,
                ..Endpoint::default()
            },
        ],
        "perfectparser" => vec![Endpoint {
            secrets: vec!["pp_signing_secret".into()],
            static_secret: Some("static-123".into()),
            ..Endpoint::default()
        }],
        _ => vec![Endpoint::default()],
    }
}

/// A decoded body for every profile, event, endpoint setting and seed, with a label.
fn generated_bodies() -> Vec<(String, Profile, String, Value)> {
    let clock =
        FixedClock(Duration::from_secs(SIM_EPOCH_UNIX as u64) + Duration::from_millis(1_234));
    let mut out = Vec::new();
    for p in profile::builtins() {
        for spec in p.catalogue.iter() {
            for (e, endpoint) in endpoints(&p).iter().enumerate() {
                for seed in SEEDS {
                    let mut rng = RunRng::new(seed);
                    let data = p.generate_data(&spec.name, &mut rng);
                    let ids = p.new_ids(&mut rng);
                    let request = p
                        .build_request(endpoint, &spec.name, &data, &ids, clock.now())
                        .unwrap_or_else(|err| panic!("{} {}: {err}", p.name, spec.name));
                    let body = p
                        .decode_body(&request.body)
                        .unwrap_or_else(|err| panic!("{} {}: {err}", p.name, spec.name));
                    let label = format!("{} {} (endpoint {e}, seed {seed})", p.name, spec.name);
                    out.push((label, p.clone(), spec.name.clone(), body));
                }
            }
        }
    }
    out
}

fn schema_of(p: &Profile, event_type: &str) -> Value {
    p.body_schema(event_type)
        .unwrap_or_else(|| panic!("{} has no schema for {event_type}", p.name))
}

fn violations(schema: &Value, body: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    validator
        .iter_errors(body)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_built_in_event_has_a_schema_with_required_fields() {
    for p in profile::builtins() {
        assert!(!p.catalogue.is_empty(), "{} has no events", p.name);
        for spec in p.catalogue.iter() {
            let schema = schema_of(&p, &spec.name);

            let required = schema["required"].as_array();

            assert!(
                required.is_some_and(|r| !r.is_empty()),
                "{} {}: no top-level `required`",
                p.name,
                spec.name
            );
        }
    }
}

#[test]
fn every_request_built_from_generated_data_satisfies_its_event_schema() {
    let mut problems = Vec::new();

    for (label, p, event_type, body) in generated_bodies() {
        let errors = violations(&schema_of(&p, &event_type), &body);
        if !errors.is_empty() {
            problems.push(format!("{label}: {}\n  body: {body}", errors.join("; ")));
        }
    }

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn removing_any_required_field_makes_the_body_fail_its_schema() {
    let mut problems = Vec::new();

    for (label, p, event_type, body) in generated_bodies() {
        let schema = schema_of(&p, &event_type);
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for field in required {
            let mut cut = body.clone();
            let removed = cut.as_object_mut().and_then(|m| m.shift_remove(field));
            if removed.is_none() {
                problems.push(format!("{label}: required `{field}` is not in the body"));
                continue;
            }
            if violations(&schema, &cut).is_empty() {
                problems.push(format!("{label}: still valid without `{field}`"));
            }
        }
    }

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_open_catalogue_event_satisfies_the_generic_schema() {
    let p = profile::builtin("standard-webhooks").expect("built-in");
    let mut rng = RunRng::new(7);
    let data = p.generate_data("order.shipped", &mut rng);
    let ids = p.new_ids(&mut rng);
    let now = Duration::from_secs(SIM_EPOCH_UNIX as u64);

    let request = p
        .build_request(&Endpoint::default(), "order.shipped", &data, &ids, now)
        .expect("request builds");
    let body = p.decode_body(&request.body).expect("JSON body");

    assert_eq!(
        violations(&schema_of(&p, "order.shipped"), &body),
        Vec::<String>::new()
    );
}

#[test]
fn crawl4ai_timestamps_print_like_pythons_isoformat() {
    let whole_second = Duration::from_secs(SIM_EPOCH_UNIX as u64);
    let with_micros = whole_second + Duration::from_micros(1_500);

    let plain = hookrig::clock::iso_python_utc(whole_second);
    let fractional = hookrig::clock::iso_python_utc(with_micros);

    assert_eq!(plain, "2025-01-01T00:00:00+00:00");
    assert_eq!(fractional, "2025-01-01T00:00:00.001500+00:00");
}
