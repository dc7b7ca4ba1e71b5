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
pub mod llamacloud;
pub mod perfectparser;
pub mod standard_webhooks;
