//! Receiver steps: a scenario's `receiver:` list and a `hookrig receive` fault file,
//! both made into the [`FaultPlan`] of one [`Action`] per request.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::diagnostics::{file_error, kind, loc, yaml_error};
use super::{Cx, Position};
use crate::faults::{Action, Dribble, Fault, FaultPlan, Route, Step};
use crate::profile::Profile;
use crate::scenario::InputError;
use crate::scenario::raw::{self, RawStep, Spanned};
use crate::text::parse_duration;

impl Cx<'_> {
    pub(super) fn receiver(
        &mut self,
        p: Option<&Profile>,
        raw: Option<Spanned<Vec<Spanned<RawStep>>>>,
    ) -> Option<FaultPlan> {
        let Some(raw) = raw else {
            return Some(FaultPlan::default());
        };
        if raw.value.is_empty() {
            self.err(
                loc(&raw),
                "receiver: the list is empty; omit `receiver` for `[respond: 200]`, or give steps",
            );
            return None;
        }
        let before = self.errors.len();
        let mut steps = Vec::with_capacity(raw.value.len());
        for s in raw.value {
            let at = loc(&s);
            if let Some(step) = self.step(p, at, s.value) {
                steps.push(step);
            }
        }
        (self.errors.len() == before).then(|| FaultPlan::new(steps))
    }

    fn step(&mut self, p: Option<&Profile>, at: Position, s: RawStep) -> Option<Step> {
        let live_kinds = [
            s.reset == Some(true),
            s.malformed == Some(true),
            s.stall == Some(true),
        ];
        if !self.live && (live_kinds.iter().any(|k| *k) || s.dribble.is_some()) {
            self.err(at, "receiver step: `reset`, `malformed`, `stall` and `dribble` are connection faults of a real socket; they work in `hookrig receive` fault files, not in sim mode");
            return None;
        }
        let kinds = [
            s.respond.is_some(),
            s.hang == Some(true),
            s.drop == Some(true),
        ];
        let count = kinds.iter().chain(&live_kinds).filter(|k| **k).count();
        if count != 1 {
            let choices = if self.live {
                "`respond: STATUS`, `hang: true`, `drop: true`, `reset: true`, `malformed: true`, `stall: true`"
            } else {
                "`respond: STATUS`, `hang: true`, `drop: true`"
            };
            self.err(at, format!("receiver step: give exactly one of {choices}"));
            return None;
        }
        let dribble = match &s.dribble {
            None => None,
            Some(v) => {
                #[derive(serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                struct RawDribble {
                    chunks: u32,
                    over: String,
                }
                let parsed = serde_json::from_value::<RawDribble>(v.clone())
                    .map_err(|e| e.to_string())
                    .and_then(|d| {
                        if d.chunks == 0 || d.chunks > 100_000 {
                            return Err(format!(
                                "chunks {} is out of range (1 to 100000)",
                                d.chunks
                            ));
                        }
                        parse_duration(&d.over).map(|over| (d.chunks, over))
                    });
                match parsed {
                    Ok(d) if s.respond.is_some() => Some(d),
                    Ok(_) => {
                        self.err(at, "receiver step: `dribble` goes with `respond: STATUS` (it slows that answer's body)");
                        return None;
                    }
                    Err(e) => {
                        self.err(
                            at,
                            format!(
                                "receiver[].dribble: {e}; write `dribble: {{chunks: 10, over: 5s}}`"
                            ),
                        );
                        return None;
                    }
                }
            }
        };
        let when_event = match s.when {
            Some(w) => {
                if let Some(p) = p
                    && !self.event_type_known(p, &w.event, "receiver[].when.event")
                {
                    return None;
                }
                Some(w.event.value)
            }
            None => None,
        };
        let after = match &s.after {
            Some(a) => self.duration(a, "receiver[].after")?,
            None => Duration::ZERO,
        };
        let has_headers = s.headers.is_some();
        let headers = s.headers.map(|h| h.value).unwrap_or_default();
        for (i, (name, value)) in headers.entries.iter().enumerate() {
            let bad = if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                Some("is not a valid HTTP header name")
            } else if http::HeaderValue::from_str(value).is_err() {
                Some("has a value that is not a valid HTTP header value")
            } else {
                None
            };
            if let Some(why) = bad {
                let pos = headers
                    .positions
                    .get(i)
                    .map_or(at, |(l, c)| (Some(*l), Some(*c)));
                self.err(pos, format!("receiver[].headers: `{name}` {why}"));
                return None;
            }
        }
        let headers = headers.entries;
        let action = if let Some(status) = s.respond {
            if !(100..=599).contains(&status.value) {
                self.err(
                    loc(&status),
                    format!(
                        "receiver[].respond: {} is not an HTTP status (100 to 599)",
                        status.value
                    ),
                );
                return None;
            }
            let body = match s.body {
                None => String::new(),
                Some(Value::String(b)) => b,
                Some(v) => v.to_string(),
            };
            match dribble {
                // A dribbled answer is sent at once, without the step's headers.
                Some((chunks, over)) => Action::Respond {
                    status: status.value as u16,
                    body,
                    headers: Vec::new(),
                    after: Duration::ZERO,
                    dribble: Some(Dribble { chunks, over }),
                },
                None => Action::Respond {
                    status: status.value as u16,
                    body,
                    headers,
                    after,
                    dribble: None,
                },
            }
        } else {
            if s.after.is_some() || s.body.is_some() || has_headers {
                self.err(at, "receiver step: `after`, `body` and `headers` go with `respond`, not `hang` or `drop`");
                return None;
            }
            Action::Fault(if s.hang == Some(true) {
                Fault::Hang
            } else if s.drop == Some(true) {
                Fault::Drop
            } else if s.reset == Some(true) {
                Fault::Reset
            } else if s.malformed == Some(true) {
                Fault::Malformed
            } else {
                Fault::Stall
            })
        };
        Some(Step { when_event, action })
    }
}

/// A standalone receiver's fault file: the default plan and the routes.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// For requests no route matches.
    pub default: FaultPlan,
    /// By path and method, first match wins.
    pub routes: Vec<Route>,
}

/// Reads a fault file for `hookrig receive`: either a list of steps (for every request)
/// or a mapping with `steps:` and/or `routes: [{path, method, steps}]`. Steps are the
/// scenario `receiver:` steps plus the socket faults `reset`, `malformed`, `stall` and
/// `dribble`.
pub fn load_faults(file: &Path) -> Result<Faults, Vec<InputError>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| vec![file_error(file, format!("cannot read: {e}"))])?;
    let shape: Value =
        serde_saphyr::from_str(&text).map_err(|e| vec![yaml_error(file, &text, &e)])?;
    let mut cx = Cx {
        live: true,
        file,
        errors: Vec::new(),
    };
    let mut faults = Faults::default();
    match shape {
        Value::Array(_) => {
            let steps: Spanned<Vec<Spanned<RawStep>>> =
                serde_saphyr::from_str(&text).map_err(|e| vec![yaml_error(file, &text, &e)])?;
            faults.default = cx.receiver(None, Some(steps)).unwrap_or_default();
        }
        Value::Object(_) => {
            let raw: raw::RawFaults =
                serde_saphyr::from_str(&text).map_err(|e| vec![yaml_error(file, &text, &e)])?;
            if let Some(steps) = raw.steps {
                faults.default = cx.receiver(None, Some(steps)).unwrap_or_default();
            }
            for r in raw.routes {
                let at = loc(&r);
                let r = r.value;
                if !r.path.starts_with('/') {
                    cx.err(
                        at,
                        format!("routes[].path: `{}` must start with `/`", r.path),
                    );
                    continue;
                }
                if let Some(m) = &r.method
                    && http::Method::from_bytes(m.as_bytes()).is_err()
                {
                    cx.err(at, format!("routes[].method: `{m}` is not an HTTP method"));
                    continue;
                }
                if let Some(plan) = cx.receiver(None, Some(r.steps)) {
                    faults.routes.push(Route {
                        path: r.path,
                        method: r.method,
                        plan,
                    });
                }
            }
        }
        other => {
            cx.err(
                (Some(1), Some(1)),
                format!(
                    "expected a list of steps or a mapping with `steps`/`routes`, found {}",
                    kind(&other)
                ),
            );
        }
    }
    if cx.errors.is_empty() {
        Ok(faults)
    } else {
        Err(cx.errors)
    }
}
