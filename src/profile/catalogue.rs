//! Event catalogues: a profile's event types, each with the JSON Schema of its body and
//! how to make realistic data for it.
//!
//! A spec names an event type, says when the provider sends it, holds the JSON Schema of
//! the request body for that event (as decoded JSON, the fields the provider always sends
//! marked `required`), an example and/or a generator that draws realistic data in the
//! provider's own id forms from the run's seeded generator. All of it comes from the
//! profile file's `catalogue:` section.

use std::time::Duration;

use serde_json::Value;

use super::template::{Env, Gen, Program, Rt};
use crate::rng::RunRng;

/// One event type of a provider's catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    /// The event type name, e.g. `parse.success`.
    pub name: String,
    /// When the provider sends it, in one sentence.
    pub description: String,
    /// The JSON Schema (draft 2020-12) of the whole request body for this event.
    pub schema: Value,
    /// Example event data, in the shape a scenario's `data:` gives it.
    pub example: Option<Value>,
    /// How realistic data is drawn; `None`: the example as it is.
    pub generate: Option<Gen>,
}

impl EventSpec {
    /// Realistic event data for `event_type` (this spec's, or any type for the open
    /// catalogue's entry), drawn from `rng`.
    pub fn data(
        &self,
        program: &Program,
        event_type: &str,
        time: Duration,
        rng: &mut RunRng,
    ) -> Result<Value, String> {
        match &self.generate {
            Some(g) => {
                let env = Env {
                    ty: event_type,
                    time,
                    ..Env::default()
                };
                let rt = Rt {
                    prog: program,
                    env: &env,
                };
                rt.generate(g, self.example.as_ref(), rng)
            }
            None => Ok(self.example.clone().unwrap_or(Value::Null)),
        }
    }
}
