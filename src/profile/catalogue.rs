//! Event catalogues: one module per provider, each a list of [`EventSpec`]s.
//!
//! A spec names an event type, says when the provider sends it, gives the JSON Schema of
//! the request body for that event (as decoded JSON, the fields the provider always sends
//! marked `required`), and generates realistic event data in the provider's own id forms.

use serde_json::Value;

use crate::rng::RunRng;

/// One event type of a provider's catalogue.
#[derive(Clone, Copy)]
pub struct EventSpec {
    /// The event type name, e.g. `parse.success`.
    pub name: &'static str,
    /// When the provider sends it, in one sentence.
    pub description: &'static str,
    /// The JSON Schema (draft 2020-12) of the whole request body for this event.
    pub body_schema: fn() -> Value,
    /// Realistic event data, in the shape a scenario's `data:` gives it.
    pub generate: fn(&mut RunRng) -> Value,
}

impl std::fmt::Debug for EventSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

pub mod crawl4ai;
pub mod extend;
pub mod extend_2026;
pub mod llamacloud;
pub mod perfectparser;
pub mod standard_webhooks;

#[cfg(test)]
mod tests {
    use super::*;

    /// Each provider's catalogue, the key its body names the event type under, and the
    /// number of events its docs list.
    fn all() -> Vec<(&'static str, Vec<EventSpec>, Option<&'static str>, usize)> {
        vec![
            (
                "llamacloud",
                llamacloud::catalogue(),
                Some("event_type"),
                17,
            ),
            ("crawl4ai", crawl4ai::catalogue(), None, 4),
            ("extend", extend::catalogue(), Some("eventType"), 15),
            (
                "extend 2026-02-09",
                extend_2026::catalogue(),
                Some("eventType"),
                40,
            ),
            (
                "perfectparser",
                perfectparser::catalogue(),
                Some("event"),
                5,
            ),
            (
                "standard-webhooks",
                standard_webhooks::catalogue(),
                Some("type"),
                5,
            ),
        ]
    }

    #[test]
    fn every_catalogue_lists_its_documented_events_once_each() {
        for (provider, specs, _, count) in all() {
            let mut names: Vec<_> = specs.iter().map(|s| s.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), specs.len(), "{provider} repeats an event");
            assert_eq!(specs.len(), count, "{provider}");
        }
    }

    #[test]
    fn every_schema_names_its_own_event_type() {
        for (provider, specs, key, _) in all() {
            let Some(key) = key else { continue };
            for spec in specs {
                let schema = (spec.body_schema)();
                assert_eq!(schema["properties"][key]["const"], spec.name, "{provider}");
            }
        }
    }

    #[test]
    fn the_same_seed_generates_the_same_data() {
        for (provider, specs, _, _) in all() {
            for spec in specs {
                let a = (spec.generate)(&mut RunRng::new(1));
                let b = (spec.generate)(&mut RunRng::new(1));
                assert_eq!(a, b, "{provider} {}", spec.name);
            }
        }
    }
}
