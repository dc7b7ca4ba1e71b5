//! A scenario's `expect:`: one item or a list naming its event, each made into an
//! [`Expectation`] (outcome, attempts, schedule and tolerance, headers, signature,
//! payload schema and subset).

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::diagnostics::{kind, loc};
use super::{Cx, MAX_ATTEMPTS, Position};
use crate::events::Outcome;
use crate::scenario::raw::{OneOrMany, RawExpect, Spanned};
use crate::scenario::{Expectation, ScenarioEvent, SchemaRef, SignatureExpect};
use crate::text::choice_error;

impl Cx<'_> {
    pub(super) fn expectations(
        &mut self,
        events: &[ScenarioEvent],
        at: Position,
        raw: OneOrMany<Box<RawExpect>>,
    ) -> Vec<Expectation> {
        let items = match raw {
            OneOrMany::One(one) => {
                if events.len() > 1 && one.event.is_none() {
                    self.err(
                        at,
                        format!("expect: with {} events, give a list whose items name their `event` (a type or a 0-based index)", events.len()),
                    );
                    return Vec::new();
                }
                vec![one]
            }
            OneOrMany::Many(list) => list,
        };
        // Sized to the list: a scenario is held until the whole suite is checked.
        let mut out = Vec::with_capacity(items.len());
        for e in items {
            if let Some(x) = self.expectation(events, at, *e) {
                out.push(x);
            }
        }
        out
    }

    fn expectation(
        &mut self,
        events: &[ScenarioEvent],
        at: Position,
        r: RawExpect,
    ) -> Option<Expectation> {
        let before = self.errors.len();
        let (delivery, label) = match &r.event {
            None if events.len() <= 1 => (0, None),
            None => {
                self.err(
                    at,
                    "expect[]: name the `event` this item checks (a type or a 0-based index)",
                );
                return None;
            }
            Some(ev) => self.event_ref(events, ev)?,
        };
        let mut x = Expectation {
            delivery,
            label,
            ..Expectation::default()
        };
        if let Some(o) = &r.outcome {
            x.outcome = self.choice::<Outcome>(o, "expect.outcome", "outcome");
        }
        if let Some(a) = &r.attempts {
            if !(0..=MAX_ATTEMPTS).contains(&a.value) {
                self.err(
                    loc(a),
                    format!(
                        "expect.attempts: {} is out of range (0 to {MAX_ATTEMPTS})",
                        a.value
                    ),
                );
            } else {
                x.attempts = Some(a.value as u32);
            }
        }
        if let Some(s) = &r.schedule {
            x.schedule = Some(
                s.iter()
                    .filter_map(|d| self.duration(d, "expect.schedule"))
                    .collect(),
            );
        }
        if let Some(t) = &r.tolerance {
            match t.value.trim().strip_suffix('%') {
                Some(pct) => match pct.trim().parse::<u32>() {
                    Ok(p) if p <= 100 => x.tolerance_percent = p,
                    _ => self.err(
                        loc(t),
                        format!(
                            "expect.tolerance: `{}` is not a whole percentage from 0% to 100%; give a duration (`500ms`) or a percentage of each expected offset (`20%`)",
                            t.value.trim()
                        ),
                    ),
                },
                None => {
                    x.tolerance = self.duration(t, "expect.tolerance").unwrap_or_default();
                }
            }
            x.tolerance_given = true;
        }
        if let Some(h) = r.headers {
            x.headers_present = h.present;
            x.headers_absent = h.absent;
            x.headers_equal = h.equal.map(|m| m.entries).unwrap_or_default();
        }
        if let Some(s) = &r.signature {
            x.signature = self.choice::<SignatureExpect>(s, "expect.signature", "verdict");
        }
        if let Some(p) = r.payload {
            if let Some(s) = &p.schema {
                x.schema = self.schema_ref(s);
            }
            x.subset = p.subset;
            x.identical = p.identical.unwrap_or(false);
        }
        (self.errors.len() == before).then_some(x)
    }

    fn event_ref(
        &mut self,
        events: &[ScenarioEvent],
        ev: &Spanned<Value>,
    ) -> Option<(usize, Option<String>)> {
        let at = loc(ev);
        match &ev.value {
            Value::Number(n) => match n.as_u64().filter(|i| (*i as usize) < events.len()) {
                Some(i) => Some((
                    i as usize,
                    Some(format!("#{i} {}", events[i as usize].event_type)),
                )),
                None => {
                    self.err(at, format!("expect[].event: index {n} is out of range (the scenario has {} events, 0 to {})", events.len(), events.len().saturating_sub(1)));
                    None
                }
            },
            Value::String(t) => {
                let matches: Vec<usize> = events
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| &e.event_type == t)
                    .map(|(i, _)| i)
                    .collect();
                match matches.as_slice() {
                    [i] => Some((*i, Some(t.clone()))),
                    [] => {
                        let names: Vec<&str> =
                            events.iter().map(|e| e.event_type.as_str()).collect();
                        self.err(
                            at,
                            format!(
                                "expect[].event: {}",
                                choice_error("event of this scenario", t, &names)
                            ),
                        );
                        None
                    }
                    many => {
                        self.err(at, format!("expect[].event: {} events have type `{t}` (indexes {:?}); name the one you mean by its 0-based index", many.len(), many));
                        None
                    }
                }
            }
            other => {
                self.err(
                    at,
                    format!(
                        "expect[].event: expected an event type or a 0-based index, found {}",
                        kind(other)
                    ),
                );
                None
            }
        }
    }

    fn schema_ref(&mut self, s: &Spanned<String>) -> Option<SchemaRef> {
        if s.value == "event" {
            return Some(SchemaRef::Event);
        }
        let path = self.file.parent().unwrap_or(Path::new(".")).join(&s.value);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.err(
                    loc(s),
                    format!(
                        "expect.payload.schema: `event` or a schema file; cannot read {}: {e}",
                        path.display()
                    ),
                );
                return None;
            }
        };
        let schema: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) => match serde_saphyr::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    self.err(
                        loc(s),
                        format!(
                            "expect.payload.schema: {} is neither JSON nor YAML: {e}",
                            path.display()
                        ),
                    );
                    return None;
                }
            },
        };
        if let Err(e) = jsonschema::validator_for(&schema) {
            self.err(
                loc(s),
                format!(
                    "expect.payload.schema: {} is not a valid JSON Schema: {e}",
                    path.display()
                ),
            );
            return None;
        }
        Some(SchemaRef::File {
            path,
            schema: Arc::new(schema),
        })
    }
}
