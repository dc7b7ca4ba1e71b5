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

use serde::Deserialize;
use serde_json::Value;

use super::raw::{self, OneOrMany, RawExpect, RawScenario, RawStep, Spanned};
use super::{Expectation, InputError, Scenario, ScenarioEvent, SchemaRef, SignatureExpect};
use crate::engine::Outcome;
use crate::profile::{self, Endpoint, OutputFormat, Profile};
use crate::receiver::faults::{Action, FaultPlan, Step};
use crate::retry::{Backoff, REDIRECT_STATUSES, RetryAfter, RetryOn};

/// A 1-based (line, column) in a file, when known.
pub type Position = (Option<u64>, Option<u64>);

/// The longest duration a scenario may name.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);
/// The most attempts a profile override may ask for.
pub const MAX_ATTEMPTS: i64 = 1000;

/// What loading produced: the valid scenarios and every error found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Valid scenarios, in file order.
    pub scenarios: Vec<Scenario>,
    /// Every problem found.
    pub errors: Vec<InputError>,
    /// Files read.
    pub files: Vec<PathBuf>,
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
        match load_file(&file) {
            Ok(list) => {
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
    if text.trim().is_empty() {
        return Err(vec![file_error(
            file,
            "the file is empty; expected a scenario (name, profile, events)".into(),
        )]);
    }
    let shape: Value =
        serde_saphyr::from_str(text).map_err(|e| vec![yaml_error(file, text, &e)])?;
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
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A serde-saphyr error as an [`InputError`]: the YAML key it is about, what was
/// expected, what was found, and the nearest valid key for an unknown one.
fn yaml_error(file: &Path, text: &str, e: &serde_saphyr::Error) -> InputError {
    let (line, column) = match e.location() {
        Some(l) if l.line() > 0 => (Some(l.line()), Some(l.column())),
        _ => (None, None),
    };
    let mut message = e.without_snippet().to_string();
    // serde-saphyr appends the location in words; we print it as file:line:col instead.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    let plain = [
        ("invalid i64", "expected a whole number"),
        ("invalid u64", "expected a whole number"),
        ("invalid boolean", "expected true or false"),
        ("expected string scalar", "expected text"),
        (
            "expected mapping start",
            "expected a mapping (key: value lines)",
        ),
        ("expected sequence start", "expected a list"),
    ];
    for (from, to) in plain {
        if message == from {
            message = to.to_owned();
        }
    }
    let source_line = line.and_then(|l| text.lines().nth(l as usize - 1));
    if let (Some(src), Some(col)) = (source_line, column) {
        let col = (col as usize).saturating_sub(1).min(src.len());
        let (before, after) = src.split_at(src.floor_char_boundary(col));
        if let Some((key, _)) = before.rsplit_once(':') {
            let key = key.trim().trim_start_matches("- ").trim();
            if !key.is_empty() && !message.contains("unknown field") {
                message = format!("{key}: {message}");
            }
        }
        let found = after.trim();
        if !found.is_empty()
            && message.starts_with(|c: char| c.is_alphanumeric())
            && message.contains("expected")
            && !message.contains("unknown field")
        {
            let found: String = found.chars().take(40).collect();
            message.push_str(&format!(", found `{found}`"));
        }
    }
    if let Some(hint) = unknown_field_hint(&message) {
        message.push_str(&hint);
    }
    InputError {
        file: file.to_owned(),
        line,
        column,
        message,
    }
}

/// For serde's "unknown field `x`, expected one of a, b" (with or without backticks
/// around the choices): a "did you mean" hint.
fn unknown_field_hint(msg: &str) -> Option<String> {
    let rest = msg.split("unknown field `").nth(1)?;
    let (field, rest) = rest.split_once('`')?;
    let list = rest.split_once("expected ").map_or(rest, |(_, l)| l);
    let list = list.strip_prefix("one of ").unwrap_or(list);
    let choices: Vec<&str> = list
        .split([',', ' '])
        .map(|c| c.trim_matches(|ch: char| ch == '`' || ch.is_whitespace()))
        .filter(|c| !c.is_empty() && *c != "or")
        .collect();
    let best = nearest(field, &choices)?;
    Some(format!(" (did you mean `{best}`?)"))
}

/// The choice closest to `word`, if one is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, choices: &[&'a str]) -> Option<&'a str> {
    let word_l = word.to_ascii_lowercase();
    choices
        .iter()
        .map(|c| (strsim::levenshtein(&word_l, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn choice_error(what: &str, given: &str, choices: &[&str]) -> String {
    let mut s = format!("unknown {what} `{given}`");
    if let Some(n) = nearest(given, choices) {
        s.push_str(&format!(": did you mean `{n}`?"));
    }
    if choices.len() <= 24 {
        s.push_str(&format!(" (valid: {})", choices.join(", ")));
    }
    s
}

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

/// Parses a humantime duration, refusing bare numbers and anything over 30 days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.parse::<f64>().is_ok() {
        return Err(format!(
            "`{t}` is a bare number; give a unit, e.g. `{t}s`, `{t}ms` or `{t}m`"
        ));
    }
    if t.starts_with('-') {
        return Err(format!("`{t}` is negative; durations are zero or more"));
    }
    let d = humantime::parse_duration(t)
        .map_err(|e| format!("`{t}` is not a duration ({e}); e.g. `500ms`, `5m`, `2h 35m 5s`"))?;
    if d > MAX_DURATION {
        return Err(format!(
            "`{t}` is over 30 days, the longest duration a scenario may use"
        ));
    }
    Ok(d)
}

/// Profile overrides (`profile: {base: NAME, …}` or a profile file).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    base: String,
    #[serde(default)]
    attempts: Option<i64>,
    #[serde(default)]
    waits: Option<Vec<String>>,
    #[serde(default)]
    initial_wait: Option<String>,
    #[serde(default)]
    max_wait: Option<String>,
    #[serde(default)]
    timeout: Option<String>,
    #[serde(default)]
    retry_on: Option<String>,
    #[serde(default)]
    max_redirects: Option<i64>,
    #[serde(default)]
    honour_retry_after: Option<bool>,
    #[serde(default)]
    disable_on_410: Option<bool>,
    #[serde(default)]
    jitter_percent: Option<i64>,
}

const PROFILE_KEYS: &[&str] = &[
    "base",
    "attempts",
    "waits",
    "initial_wait",
    "max_wait",
    "timeout",
    "retry_on",
    "max_redirects",
    "honour_retry_after",
    "disable_on_410",
    "jitter_percent",
];

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
        let endpoint = match (&mut profile, raw.endpoint) {
            (Some(p), Some(e)) => self.endpoint(p, e),
            (_, None) => Some(Endpoint::default()),
            (None, Some(_)) => None,
        };
        let events = profile
            .as_ref()
            .map(|p| self.events(p, endpoint.as_ref(), raw.events))
            .unwrap_or_default();
        let receiver = self.receiver(profile.as_ref(), raw.receiver);
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
        })
    }

    fn profile(&mut self, raw: &Spanned<Value>) -> Option<Profile> {
        let at = loc(raw);
        match &raw.value {
            Value::String(s)
                if s.contains('/') || [".yaml", ".yml", ".json"].iter().any(|x| s.ends_with(x)) =>
            {
                let path = self.file.parent().unwrap_or(Path::new(".")).join(s);
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) => {
                        self.err(
                            at,
                            format!("profile: cannot read profile file {}: {e}", path.display()),
                        );
                        return None;
                    }
                };
                match serde_saphyr::from_str::<RawProfile>(&text) {
                    Ok(p) => self.overrides(at, p),
                    Err(e) => {
                        self.errors.push(yaml_error(&path, &text, &e));
                        None
                    }
                }
            }
            Value::String(name) => match profile::builtin(name) {
                Some(p) => Some(p),
                None => {
                    let msg = choice_error("profile", name, profile::BUILTIN_NAMES);
                    self.err(at, format!("profile: {msg}; or a path to a profile file (contains `/` or ends in .yaml/.json)"));
                    None
                }
            },
            Value::Object(_) => match serde_json::from_value::<RawProfile>(raw.value.clone()) {
                Ok(p) => self.overrides(at, p),
                Err(e) => {
                    let mut m = e.to_string();
                    if let Some(h) = unknown_field_hint(&m) {
                        m.push_str(&h);
                    } else if m.contains("unknown field") {
                        m.push_str(&format!(" (valid: {})", PROFILE_KEYS.join(", ")));
                    }
                    self.err(at, format!("profile: {m}"));
                    None
                }
            },
            other => {
                self.err(at, format!("profile: expected a built-in name, a path or a mapping with `base`, found {}", kind(other)));
                None
            }
        }
    }

    fn overrides(&mut self, at: (Option<u64>, Option<u64>), o: RawProfile) -> Option<Profile> {
        let Some(mut p) = profile::builtin(&o.base) else {
            let msg = choice_error("base profile", &o.base, profile::BUILTIN_NAMES);
            self.err(at, format!("profile: {msg}"));
            return None;
        };
        let before = self.errors.len();
        let dur = |cx: &mut Self, key: &str, v: &str| match parse_duration(v) {
            Ok(d) => Some(d),
            Err(m) => {
                cx.err(at, format!("profile.{key}: {m}"));
                None
            }
        };
        if let Some(a) = o.attempts {
            if !(1..=MAX_ATTEMPTS).contains(&a) {
                self.err(
                    at,
                    format!("profile.attempts: {a} is out of range (1 to {MAX_ATTEMPTS})"),
                );
            } else {
                p.retry.attempts = a as u32;
            }
        }
        if let Some(ws) = &o.waits {
            let table: Vec<Duration> = ws.iter().filter_map(|w| dur(self, "waits", w)).collect();
            if table.is_empty() {
                self.err(at, "profile.waits: give at least one wait");
            }
            p.retry.backoff = Backoff::Table(table);
        }
        if o.initial_wait.is_some() || o.max_wait.is_some() {
            let (mut initial, mut cap) = match p.retry.backoff {
                Backoff::Exponential { initial, cap } => (initial, cap),
                Backoff::Table(ref t) => {
                    (t.first().copied().unwrap_or_default(), p.retry.max_wait())
                }
            };
            if let Some(i) = &o.initial_wait {
                initial = dur(self, "initial_wait", i).unwrap_or(initial);
            }
            if let Some(c) = &o.max_wait {
                cap = dur(self, "max_wait", c).unwrap_or(cap);
            }
            p.retry.backoff = Backoff::Exponential { initial, cap };
        }
        if let Some(t) = &o.timeout
            && let Some(d) = dur(self, "timeout", t)
        {
            if d.is_zero() {
                self.err(at, "profile.timeout: must be more than 0s");
            }
            p.retry.timeout = d;
        }
        if let Some(r) = &o.retry_on {
            p.retry.retry_on = match r.as_str() {
                "any_failure" => RetryOn::AnyFailure,
                "server_errors" => RetryOn::ServerErrors,
                other => {
                    self.err(
                        at,
                        format!(
                            "profile.retry_on: {}",
                            choice_error("value", other, &["any_failure", "server_errors"])
                        ),
                    );
                    return None;
                }
            };
        }
        if let Some(m) = o.max_redirects {
            if !(0..=20).contains(&m) {
                self.err(
                    at,
                    format!("profile.max_redirects: {m} is out of range (0 to 20)"),
                );
            } else {
                p.retry.max_redirects = m as u8;
                if m > 0 && p.retry.redirect_statuses.is_empty() {
                    p.retry.redirect_statuses = REDIRECT_STATUSES;
                }
            }
        }
        if let Some(b) = o.honour_retry_after {
            match (b, p.retry.retry_after.honoured()) {
                (false, _) => p.retry.retry_after = RetryAfter::Ignored,
                (true, false) => p.retry.retry_after = RetryAfter::standard(),
                (true, true) => {}
            }
        }
        if let Some(j) = o.jitter_percent {
            if !(0..=100).contains(&j) {
                self.err(
                    at,
                    format!("profile.jitter_percent: {j} is out of range (0 to 100)"),
                );
            } else {
                p.retry.jitter_percent = j as u8;
            }
        }
        if let Some(b) = o.disable_on_410 {
            p.retry.disable_on_410 = b;
        }
        p.name = format!("{} (overridden)", p.name);
        (self.errors.len() == before).then_some(p)
    }

    fn event_type_known(&mut self, p: &Profile, s: &Spanned<String>, key: &str) -> bool {
        if p.knows_event(&s.value) {
            return true;
        }
        let names: Vec<&str> = p.catalogue.iter().map(|e| e.name).collect();
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
                let ids = profile::DeliveryIds {
                    message_id: "check".into(),
                    event_time: None,
                };
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
                Some((chunks, over)) => Action::Dribble {
                    status: status.value as u16,
                    body,
                    chunks,
                    over,
                },
                None => Action::Respond {
                    status: status.value as u16,
                    body,
                    headers,
                    after,
                },
            }
        } else {
            if s.after.is_some() || s.body.is_some() || has_headers {
                self.err(at, "receiver step: `after`, `body` and `headers` go with `respond`, not `hang` or `drop`");
                return None;
            }
            if s.hang == Some(true) {
                Action::Hang
            } else if s.drop == Some(true) {
                Action::Drop
            } else if s.reset == Some(true) {
                Action::Reset
            } else if s.malformed == Some(true) {
                Action::Malformed
            } else {
                Action::Stall
            }
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
    pub routes: Vec<crate::receiver::Route>,
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
                    faults.routes.push(crate::receiver::Route {
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
