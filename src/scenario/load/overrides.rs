//! A scenario's `profile:` (a built-in name, a profile file, or `{base: NAME, …}` with
//! overrides) and its `endpoint:` checked against that profile.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::Cx;
use super::diagnostics::{kind, loc};
use crate::profile::{self, Endpoint, OutputFormat, Profile};
use crate::scenario::InputError;
use crate::scenario::raw::{self, Spanned};
use crate::text::choice_error;

impl Cx<'_> {
    pub(super) fn profile(&mut self, raw: &Spanned<Value>) -> Option<Arc<Profile>> {
        let at = loc(raw);
        let dir = self.file.parent().unwrap_or(Path::new("."));
        let loaded = match &raw.value {
            Value::String(s) if profile::load::is_path(s) => {
                profile::load::load_file_shared(&profile::load::join(dir, s))
            }
            Value::String(name) => match profile::load::builtin_shared(name) {
                Some(p) => Ok(p),
                None => {
                    let msg = choice_error("profile", name, profile::BUILTIN_NAMES);
                    self.err(
                        at,
                        format!(
                            "profile: {msg}; or a path to a profile file ({})",
                            profile::load::PATH_FORM
                        ),
                    );
                    return None;
                }
            },
            Value::Object(_) => profile::load::load_inline_shared(self.file, &raw.value),
            other => {
                self.err(at, format!("profile: expected a built-in name, a path or a mapping with `base`, found {}", kind(other)));
                return None;
            }
        };
        match loaded {
            Ok(p) => Some(p),
            Err(errs) => {
                for e in errs {
                    // Errors without a position in this scenario's own inline mapping
                    // point at its `profile:` key.
                    let (line, column) = if e.file == self.file && e.line.is_none() {
                        at
                    } else {
                        (e.line, e.column)
                    };
                    self.errors.push(InputError {
                        file: e.file,
                        line,
                        column,
                        message: e.message,
                    });
                }
                None
            }
        }
    }

    pub(super) fn endpoint(
        &mut self,
        p: &mut Arc<Profile>,
        raw: Spanned<raw::RawEndpoint>,
    ) -> Option<Endpoint> {
        let at = loc(&raw);
        let raw = raw.value;
        let before = self.errors.len();
        // The API version picks the catalogue the event names below are checked against.
        if let Some(v) = &raw.api_version {
            match (**p).clone().with_api_version(&v.value) {
                Ok(selected) => *p = Arc::new(selected),
                Err(m) => self.err(loc(v), format!("endpoint.api_version: {m}")),
            }
        }
        let secret_at = raw.secret.as_ref().map_or(at, loc);
        let mut e = Endpoint {
            url: raw.url,
            secrets: raw.secret.map(|s| s.value.into_vec()).unwrap_or_default(),
            static_secret: raw.static_secret,
            data_in_payload: raw.data_in_payload.unwrap_or(false),
            ..Endpoint::default()
        };
        let headers_at = raw.headers.as_ref().map_or(at, loc);
        let header_positions = raw
            .headers
            .as_ref()
            .map(|h| h.value.clone())
            .unwrap_or_default();
        if let Some(h) = raw.headers {
            e.headers = h.value.entries;
        }
        if let Some(f) = raw.events {
            for ev in &f {
                self.event_type_known(p, ev, "endpoint.events");
            }
            e.events = Some(f.into_iter().map(|s| s.value).collect());
        }
        if let Some(of) = &raw.output_format {
            e.output_format = self
                .choice::<OutputFormat>(of, "endpoint.output_format", "format")
                .unwrap_or_default();
        }
        if let Err(err) = p.check_endpoint(&e) {
            let at = match &err {
                profile::ConfigError::Header { name, .. } => header_positions
                    .position_of(name)
                    .map_or(headers_at, |(l, c)| (Some(l), Some(c))),
                profile::ConfigError::Secret(_) | profile::ConfigError::Rotation(_) => secret_at,
                _ => at,
            };
            self.err(at, format!("endpoint: {err}"));
        }
        (self.errors.len() == before).then_some(e)
    }
}
