//! Reading scenario files and folders, and validating them.
//!
//! [`load_paths`] expands folders recursively (`*.yaml`, `*.yml`), parses each file with
//! serde-saphyr into the raw types, then checks every value a user can get wrong: names
//! against the valid choices (with the nearest one suggested), durations, statuses,
//! header rules, schema files. Every problem becomes an [`InputError`] with file, line and
//! column; one bad file never stops the others from being read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::raw::{self, OneOrMany, RawExpect, RawScenario, RawStep, Spanned};
use super::{Expectation, InputError, Scenario, ScenarioEvent, SchemaRef, SignatureExpect};
use crate::events::Outcome;
use crate::faults::{Action, Dribble, Fault, FaultPlan, Route, Step};
use crate::profile::{self, Endpoint, OutputFormat, Profile};

/// A 1-based (line, column) in a file, when known.
pub type Position = (Option<u64>, Option<u64>);

/// The most attempts a profile override may ask for.
pub use crate::profile::load::MAX_ATTEMPTS;
pub use crate::text::MAX_DURATION;

/// What loading produced: the valid scenarios and every error found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Valid scenarios, in file order.
    pub scenarios: Vec<Scenario>,
    /// Every problem found.
    pub errors: Vec<InputError>,
    /// Files read.
    pub files: Vec<PathBuf>,
    /// Profile files among them that are valid (checked, test vectors included; never run).
    pub profiles: usize,
}

/// Loads every scenario under `paths` (files, or folders searched recursively).
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    let mut loaded = Loaded::default();
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files, &mut loaded.errors);
    }
    let mut names: HashMap<String, (PathBuf, Position)> = HashMap::new();
    for file in files {
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| vec![file_error(&file, format!("cannot read: {e}"))])
            .and_then(|text| parse_any(&file, &text));
        match parsed {
            Ok(Parsed::Profile) => loaded.profiles += 1,
            Ok(Parsed::Scenarios(list)) => {
                for (scenario, pos) in list {
                    if let Some((first_file, first)) = names.get(&scenario.name) {
                        let first_at = match first {
                            (Some(l), Some(c)) => format!(":{l}:{c}"),
                            (Some(l), None) => format!(":{l}"),
                            _ => String::new(),
                        };
                        loaded.errors.push(InputError {
                            file: file.clone(),
                            line: pos.0,
                            column: pos.1,
                            message: format!(
                                "name: duplicate scenario name `{}` (first used at {}{first_at}); names must be unique in a run",
                                scenario.name,
                                first_file.display(),
                            ),
                        });
                        continue;
                    }
                    names.insert(scenario.name.clone(), (file.clone(), pos));
                    loaded.scenarios.push(scenario);
                }
            }
            Err(mut errs) => loaded.errors.append(&mut errs),
        }
        loaded.files.push(file);
    }
    loaded
}

fn collect(path: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push(file_error(path, format!("cannot read: {e}")));
            return;
        }
    };
    if meta.is_file() {
        out.push(path.to_owned());
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            errors.push(file_error(path, format!("cannot read folder: {e}")));
            return;
        }
    };
    entries.sort();
    for e in entries {
        if e.is_dir() {
            collect(&e, out, errors);
        } else if matches!(e.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(e);
        }
    }
}

fn file_error(file: &Path, message: String) -> InputError {
    InputError {
        file: file.to_owned(),
        line: None,
        column: None,
        message,
    }
}

/// Parses and validates one file; each scenario comes with the line it starts on.
pub fn load_file(file: &Path) -> Result<Vec<(Scenario, Position)>, Vec<InputError>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| vec![file_error(file, format!("cannot read: {e}"))])?;
    parse_str(file, &text)
}

/// Parses and validates scenario text as if read from `file`.
pub fn parse_str(file: &Path, text: &str) -> Result<Vec<(Scenario, Position)>, Vec<InputError>> {
    match parse_any(file, text)? {
        Parsed::Scenarios(list) => Ok(list),
        Parsed::Profile => Ok(Vec::new()),
    }
}

/// What a YAML file among the scenarios turned out to be.
enum Parsed {
    Scenarios(Vec<(Scenario, Position)>),
    /// A valid profile file: checked, never run.
    Profile,
}

fn parse_any(file: &Path, text: &str) -> Result<Parsed, Vec<InputError>> {
    if text.trim().is_empty() {
        return Err(vec![file_error(
            file,
            "the file is empty; expected a scenario (name, profile, events)".into(),
        )]);
    }
    let shape: Value =
        serde_saphyr::from_str(text).map_err(|e| vec![yaml_error(file, text, &e)])?;
    // A profile file beside the scenarios that use it: checked, never run.
    if profile::load::looks_like_profile(&shape) {
        return match profile::load::load_str(file, text) {
            Ok(_) => Ok(Parsed::Profile),
            Err(errs) => Err(errs
                .into_iter()
                .map(|e| InputError {
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })
                .collect()),
        };
    }
    let raws: Vec<Spanned<RawScenario>> = match &shape {
        Value::Object(m) if m.contains_key("scenarios") => {
            serde_saphyr::from_str::<raw::RawFile>(text)
                .map_err(|e| vec![yaml_error(file, text, &e)])?
                .scenarios
        }
        Value::Object(_) => {
            vec![
                serde_saphyr::from_str::<Spanned<RawScenario>>(text)
                    .map_err(|e| vec![yaml_error(file, text, &e)])?,
            ]
        }
        other => {
            return Err(vec![InputError {
                file: file.to_owned(),
                line: Some(1),
                column: Some(1),
                message: format!(
                    "expected a mapping (a scenario, or `scenarios:` with a list), found {}",
                    kind(other)
                ),
            }]);
        }
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for raw in raws {
        let line = loc(&raw.value.name);
        let mut cx = Cx {
            live: false,
            file,
            errors: Vec::new(),
        };
        let s = cx.scenario(raw.value);
        errors.append(&mut cx.errors);
        if let Some(s) = s {
            out.push((s, line));
        }
    }
    if errors.is_empty() {
        Ok(Parsed::Scenarios(out))
    } else {
        Err(errors)
    }
}

/// A serde-saphyr error as an [`InputError`]: the YAML key it is about, what was
/// expected, what was found, and the nearest valid key for an unknown one.
fn yaml_error(file: &Path, text: &str, e: &serde_saphyr::Error) -> InputError {
    let (line, column, message) = crate::text::yaml_error(text, e);
    InputError {
        file: file.to_owned(),
        line,
        column,
        message,
    }
}

use crate::text::choice_error;

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn loc<T>(s: &Spanned<T>) -> (Option<u64>, Option<u64>) {
    let l = &s.referenced;
    if l.line() == 0 {
        (None, None)
    } else {
        (Some(l.line()), Some(l.column()))
    }
}

pub use crate::text::parse_duration;

struct Cx<'a> {
    file: &'a Path,
    errors: Vec<InputError>,
    /// Connection-level faults are allowed (a live receiver's fault file).
    live: bool,
}

impl Cx<'_> {
    fn err(&mut self, at: (Option<u64>, Option<u64>), message: impl Into<String>) {
        self.errors.push(InputError {
            file: self.file.to_owned(),
            line: at.0,
            column: at.1,
            message: message.into(),
        });
    }

    fn duration(&mut self, s: &Spanned<String>, key: &str) -> Option<Duration> {
        match parse_duration(&s.value) {
            Ok(d) => Some(d),
            Err(m) => {
                self.err(loc(s), format!("{key}: {m}"));
                None
            }
        }
    }

    fn scenario(&mut self, raw: RawScenario) -> Option<Scenario> {
        let before = self.errors.len();
        let name = raw.name.value.trim().to_owned();
        if name.is_empty() {
            self.err(loc(&raw.name), "name: must not be empty");
        }
        let mut profile = self.profile(&raw.profile);
        if raw.sender.is_some() {
            self.refuse_for_sender(&raw.endpoint, raw.events.as_ref());
        }
        let endpoint = match (&mut profile, raw.endpoint) {
            (Some(p), Some(e)) => self.endpoint(p, e),
            (_, None) => Some(Endpoint::default()),
            (None, Some(_)) => None,
        };
        let external = raw.sender.is_some();
        let sender = raw
            .sender
            .and_then(|s| super::sender::check(s, &mut |at, m| self.err(at, m)));
        let events = match raw.events {
            Some(ev) => profile
                .as_ref()
                .map(|p| self.events(p, endpoint.as_ref(), ev))
                .unwrap_or_default(),
            // Without events, an external sender's deliveries are told apart by arrival:
            // `expect` names them by index.
            None if external => {
                let n = sender.as_ref().and_then(|s| s.deliveries).unwrap_or(1);
                (0..n)
                    .map(|_| ScenarioEvent {
                        event_type: super::sender::ANY_TYPE.into(),
                        data: None,
                        at: Duration::ZERO,
                    })
                    .collect()
            }
            None => {
                self.err(loc(&raw.name), "missing field `events`: give the events to deliver (`events: [{type: NAME}]`), or a `sender:` whose deliveries are judged");
                Vec::new()
            }
        };
        // An external sender's scenario is live: the socket faults apply.
        self.live = external;
        let receiver_at = raw.receiver.as_ref().map_or(loc(&raw.name), loc);
        let receiver = self.receiver(profile.as_ref(), raw.receiver);
        self.live = false;
        if external
            && let (Some(p), Some(plan)) = (&profile, &receiver)
            && plan.steps().iter().any(|s| s.when_event.is_some())
            && matches!(p.envelope.type_from, profile::TypeFrom::Unknown)
        {
            self.err(receiver_at, super::sender::WHEN_REFUSED);
        }
        let scenario_at = loc(&raw.name);
        let expect = match raw.expect {
            Some(e) => self.expectations(&events, scenario_at, e),
            None => Vec::new(),
        };
        let live_skip = raw.live.and_then(|l| {
            let reason = l.value.skip.value.trim().to_owned();
            if reason.is_empty() {
                self.err(
                    loc(&l.value.skip),
                    "live.skip: give the reason the scenario cannot run live; it is printed when live runs skip it",
                );
                return None;
            }
            Some(reason)
        });
        if self.errors.len() > before {
            return None;
        }
        Some(Scenario {
            name,
            file: self.file.to_owned(),
            profile: Arc::new(profile?),
            endpoint: Arc::new(endpoint?),
            events,
            receiver: receiver?,
            expect,
            live_skip,
            sender,
        })
    }

    /// What a scenario with `sender:` cannot say: an endpoint URL, an event's data or time.
    fn refuse_for_sender(
        &mut self,
        endpoint: &Option<Spanned<raw::RawEndpoint>>,
        events: Option<&Spanned<Vec<Spanned<raw::RawEvent>>>>,
    ) {
        if let Some(e) = endpoint
            && e.value.url.is_some()
        {
            self.err(loc(e), super::sender::URL_REFUSED);
        }
        for ev in events.map(|e| e.value.as_slice()).unwrap_or_default() {
            if ev.value.data.is_some() {
                self.err(loc(ev), super::sender::DATA_REFUSED);
            }
            if let Some(a) = &ev.value.at {
                self.err(loc(a), super::sender::AT_REFUSED);
            }
        }
    }

    fn profile(&mut self, raw: &Spanned<Value>) -> Option<Profile> {
        let at = loc(raw);
        let dir = self.file.parent().unwrap_or(Path::new("."));
        let loaded = match &raw.value {
            Value::String(s) if profile::load::is_path(s) => {
                profile::load::load_file(&profile::load::join(dir, s))
            }
            Value::String(name) => match profile::builtin(name) {
                Some(p) => Ok(p),
                None => {
                    let msg = choice_error("profile", name, profile::BUILTIN_NAMES);
                    self.err(at, format!("profile: {msg}; or a path to a profile file (contains `/` or ends in .yaml/.json)"));
                    return None;
                }
            },
            Value::Object(_) => profile::load::load_inline(self.file, &raw.value),
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

    fn event_type_known(&mut self, p: &Profile, s: &Spanned<String>, key: &str) -> bool {
        if p.knows_event(&s.value) {
            return true;
        }
        let names: Vec<&str> = p.catalogue.iter().map(|e| e.name.as_str()).collect();
        let msg = choice_error(
            &format!("event type for profile {}", p.name),
            &s.value,
            &names,
        );
        self.err(loc(s), format!("{key}: {msg}"));
        false
    }

    fn endpoint(&mut self, p: &mut Profile, raw: Spanned<raw::RawEndpoint>) -> Option<Endpoint> {
        let at = loc(&raw);
        let raw = raw.value;
        let before = self.errors.len();
        // The API version picks the catalogue the event names below are checked against.
        if let Some(v) = &raw.api_version {
            match p.clone().with_api_version(&v.value) {
                Ok(selected) => *p = selected,
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
        if let Some(of) = raw.output_format {
            e.output_format = match of.value.as_str() {
                "string" => OutputFormat::String,
                "json" => OutputFormat::Json,
                other => {
                    self.err(
                        loc(&of),
                        format!(
                            "endpoint.output_format: {}",
                            choice_error("format", other, &["string", "json"])
                        ),
                    );
                    OutputFormat::String
                }
            };
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

    fn events(
        &mut self,
        p: &Profile,
        endpoint: Option<&Endpoint>,
        raw: Spanned<Vec<Spanned<raw::RawEvent>>>,
    ) -> Vec<ScenarioEvent> {
        if raw.value.is_empty() {
            self.err(
                loc(&raw),
                "events: the list is empty; give at least one event (`- type: NAME`)",
            );
        }
        let mut out = Vec::new();
        for ev in raw.value {
            let at = loc(&ev);
            let ev = ev.value;
            if !self.event_type_known(p, &ev.kind, "events[].type") {
                continue;
            }
            let offset = match &ev.at {
                Some(a) => self.duration(a, "events[].at").unwrap_or_default(),
                None => Duration::ZERO,
            };
            if let (Some(data), Some(endpoint)) = (&ev.data, endpoint) {
                let ids = profile::DeliveryIds::with_message_id("check");
                if let Err(e) =
                    p.build_request(endpoint, &ev.kind.value, data, &ids, Duration::ZERO)
                {
                    self.err(at, format!("events[].data: {e}"));
                }
            }
            out.push(ScenarioEvent {
                event_type: ev.kind.value,
                data: ev.data,
                at: offset,
            });
        }
        out
    }

    fn receiver(
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
        let mut steps = Vec::new();
        for s in raw.value {
            let at = loc(&s);
            if let Some(step) = self.step(p, at, s.value) {
                steps.push(step);
            }
        }
        (self.errors.len() == before).then(|| FaultPlan::new(steps))
    }

    fn step(
        &mut self,
        p: Option<&Profile>,
        at: (Option<u64>, Option<u64>),
        s: RawStep,
    ) -> Option<Step> {
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

    fn expectations(
        &mut self,
        events: &[ScenarioEvent],
        at: (Option<u64>, Option<u64>),
        raw: OneOrMany<RawExpect>,
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
        items
            .into_iter()
            .filter_map(|e| self.expectation(events, at, e))
            .collect()
    }

    fn expectation(
        &mut self,
        events: &[ScenarioEvent],
        at: (Option<u64>, Option<u64>),
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
            const CHOICES: &[&str] = &["delivered", "exhausted", "gave_up", "filtered"];
            x.outcome = match o.value.as_str() {
                "delivered" => Some(Outcome::Delivered),
                "exhausted" => Some(Outcome::Exhausted),
                "gave_up" => Some(Outcome::GaveUp),
                "filtered" => Some(Outcome::Filtered),
                other => {
                    self.err(
                        loc(o),
                        format!(
                            "expect.outcome: {}",
                            choice_error("outcome", other, CHOICES)
                        ),
                    );
                    None
                }
            };
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
            x.signature = match s.value.as_str() {
                "valid" => Some(SignatureExpect::Valid),
                "invalid" => Some(SignatureExpect::Invalid),
                "absent" => Some(SignatureExpect::Absent),
                other => {
                    self.err(
                        loc(s),
                        format!(
                            "expect.signature: {}",
                            choice_error("verdict", other, &["valid", "invalid", "absent"])
                        ),
                    );
                    None
                }
            };
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
