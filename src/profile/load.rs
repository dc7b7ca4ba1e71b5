//! Reading profile files and checking them into [`Profile`]s.
//!
//! A profile file is parsed with serde-saphyr into [`RawProfile`] (unknown keys refused),
//! then every section is checked and compiled: names against their valid choices (with
//! the nearest one suggested), templates (unknown variables, functions, parts, random
//! draws where a value must repeat), the signature (algorithm, key reading, encoding, a
//! signed string that covers the body, a verifier that can find the id and timestamp it
//! signs), durations and statuses, schemas that compile, generated data that its own
//! schema accepts, a source for every rule the profile states, and the test vectors.
//! Every problem is a [`ProfileError`] with file, line and column.
//!
//! `base: NAME or PATH` starts from another profile: a section the file gives replaces
//! the base's section as a whole, except `sources`, `tables` and `parts`, which merge by
//! key, and the shorthand keys (`attempts`, `waits`, `timeout`, …), which change one
//! delivery rule. The built-ins are the files under `profiles/`, embedded with
//! `include_str!` and loaded (once per process) by this same code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;

use super::raw::{
    self, Node, NodeKind, OMap, RawCatalogue, RawDelivery, RawEnvelope, RawEvent, RawGen,
    RawProfile, RawSignature, RawSource, Spanned,
};
use super::rules::{Rule, Source, Sourced};
use super::template::{
    Allowed, Compiler, CtxVar, EndpointField, Expr, Gen, Part, Program, TNode, Var, node_uses_rng,
};
use super::{
    ApiVersion, BodyEncoding, DataAt, Endpoint, Envelope, EventSpec, HeaderEntry, HeaderLimits,
    HeaderRules, IdForm, Origin, Profile, SecretRule, TestVector, TypeFrom,
};
use crate::retry::{Backoff, Overload, REDIRECT_STATUSES, RetryAfter, RetryOn, RetryPolicy};
use crate::signing::{
    Algorithm, Encoding, KeyReading, Piece, Scheme, SigHeader, Signed, Tolerance,
};
use crate::text::{choice_error, parse_duration};

/// The built-in profiles, in display order, with their files.
const BUILTINS: &[(&str, &str)] = &[
    ("llamacloud", include_str!("../../profiles/llamacloud.yaml")),
    ("crawl4ai", include_str!("../../profiles/crawl4ai.yaml")),
    ("extend", include_str!("../../profiles/extend.yaml")),
    (
        "perfectparser",
        include_str!("../../profiles/perfectparser.yaml"),
    ),
    (
        "standard-webhooks",
        include_str!("../../profiles/standard-webhooks.yaml"),
    ),
    ("svix", include_str!("../../profiles/svix.yaml")),
    ("stripe", include_str!("../../profiles/stripe.yaml")),
    ("github", include_str!("../../profiles/github.yaml")),
    ("shopify", include_str!("../../profiles/shopify.yaml")),
    ("slack", include_str!("../../profiles/slack.yaml")),
];

/// The names of the built-in profiles, in display order.
pub const BUILTIN_NAMES: &[&str] = &[
    "llamacloud",
    "crawl4ai",
    "extend",
    "perfectparser",
    "standard-webhooks",
    "svix",
    "stripe",
    "github",
    "shopify",
    "slack",
];

/// The most attempts a profile may ask for.
pub const MAX_ATTEMPTS: i64 = 1000;
/// How many `base:` links a profile may follow.
const MAX_BASES: usize = 8;

/// A problem with a profile file: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", self.place())]
pub struct ProfileError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: Option<u64>,
    /// 1-based column.
    pub column: Option<u64>,
    /// What is wrong, with the valid choices.
    pub message: String,
}

impl ProfileError {
    /// `file:line:col`.
    pub fn place(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file.display()),
            (Some(l), None) => format!("{}:{l}", self.file.display()),
            _ => self.file.display().to_string(),
        }
    }
}

/// The file of a built-in profile, as shipped.
pub fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The path a built-in's errors name.
fn builtin_path(name: &str) -> PathBuf {
    PathBuf::from(format!("profiles/{name}.yaml"))
}

/// A built-in profile by name (parsed once per process).
pub fn builtin(name: &str) -> Option<Profile> {
    builtin_shared(name).map(|p| (*p).clone())
}

/// A built-in profile by name, compiled once per process and shared: every scenario of a
/// run that names it holds the same one. Threads loading a suite side by side that ask
/// for the same built-in at once compile it once: the others wait for it (each would
/// otherwise compile its own copy, and all but one be thrown away).
pub fn builtin_shared(name: &str) -> Option<Arc<Profile>> {
    type Cell = Arc<OnceLock<Arc<Profile>>>;
    static CACHE: OnceLock<Mutex<HashMap<String, Cell>>> = OnceLock::new();
    let text = builtin_text(name)?;
    let cell: Cell = {
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match cache.get(name) {
            Some(c) => Arc::clone(c),
            None => Arc::clone(cache.entry(name.to_owned()).or_default()),
        }
    };
    let p = cell.get_or_init(|| {
        let mut p = load_str(&builtin_path(name), text).unwrap_or_else(|errs| {
            let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
            panic!(
                "the built-in profile `{name}` does not load:\n{}",
                msgs.join("\n")
            )
        });
        p.origin = Origin::Builtin(name.to_owned());
        Arc::new(p)
    });
    Some(Arc::clone(p))
}

/// Every built-in profile.
pub fn builtins() -> Vec<Profile> {
    BUILTIN_NAMES.iter().filter_map(|n| builtin(n)).collect()
}

/// What makes a profile name a path, as messages say it (the rule of [`is_path`]).
pub const PATH_FORM: &str = "contains `/` or ends in .yaml, .yml or .json";

/// Whether a `profile:` or `--profile` value names a file rather than a built-in: it
/// contains `/` or ends in `.yaml`, `.yml` or `.json` ([`PATH_FORM`]).
pub fn is_path(spec: &str) -> bool {
    spec.contains('/') || [".yaml", ".yml", ".json"].iter().any(|x| spec.ends_with(x))
}

/// A built-in profile by name, or a profile file by path (relative to the working
/// folder); the error names the nearest built-in, or the file's problems with their
/// positions.
pub fn lookup(spec: &str) -> Result<Profile, String> {
    resolve(spec, Path::new(".")).map_err(|errs| {
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// A built-in by name, or a profile file by path relative to `dir`.
pub fn resolve(spec: &str, dir: &Path) -> Result<Profile, Vec<ProfileError>> {
    if is_path(spec) {
        return load_file(&join(dir, spec));
    }
    builtin(spec).ok_or_else(|| {
        vec![ProfileError {
            file: PathBuf::from(spec),
            line: None,
            column: None,
            message: format!(
                "{}; or a path to a profile file ({PATH_FORM})",
                unknown_profile(spec)
            ),
        }]
    })
}

/// `dir/path` without `.` components (so `./file.yaml` reads as `file.yaml` in messages).
pub fn join(dir: &Path, path: &str) -> PathBuf {
    dir.join(path)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// `unknown profile `x`: did you mean `y`? (built-in: …)`.
pub fn unknown_profile(name: &str) -> String {
    let hint = crate::text::did_you_mean(name, BUILTIN_NAMES);
    format!(
        "unknown profile `{name}`{hint} (built-in: {})",
        BUILTIN_NAMES.join(", ")
    )
}

/// Reads and checks a profile file. The same file is read and checked once per process
/// while its text stays the same.
pub fn load_file(path: &Path) -> Result<Profile, Vec<ProfileError>> {
    load_file_shared(path).map(|p| (*p).clone())
}

/// [`load_file`], the profile shared: every scenario of a run naming the same file (with
/// the same text) holds the same one.
pub fn load_file_shared(path: &Path) -> Result<Arc<Profile>, Vec<ProfileError>> {
    /// Each file's text when it was compiled, and the profile.
    type Compiled = HashMap<PathBuf, (String, Arc<Profile>)>;
    static CACHE: OnceLock<Mutex<Compiled>> = OnceLock::new();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ProfileError {
            file: path.to_owned(),
            line: None,
            column: None,
            message: format!("cannot read profile file: {e}"),
        }]
    })?;
    let cache = CACHE.get_or_init(Default::default);
    if let Some((t, p)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(path)
        && *t == text
    {
        return Ok(Arc::clone(p));
    }
    let p = Arc::new(load_str(path, &text)?);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_owned(), (text, Arc::clone(&p)));
    Ok(p)
}

/// Checks profile text as if read from `file`.
pub fn load_str(file: &Path, text: &str) -> Result<Profile, Vec<ProfileError>> {
    let raw = parse(file, text)?;
    let mut layers = Vec::new();
    collect(file, raw, &mut layers, 0)?;
    let mut p = compile(&layers)?;
    if layers.len() == 1 {
        p.origin = Origin::File(file.to_owned());
    }
    Ok(p)
}

/// A profile from a scenario's inline `profile: {base: …, …}` mapping; `file` is the
/// scenario (paths are relative to its folder; errors name it, without positions).
pub fn load_inline(file: &Path, value: &Value) -> Result<Profile, Vec<ProfileError>> {
    let raw: RawProfile = serde_json::from_value(value.clone()).map_err(|e| {
        let mut m = e.to_string();
        if let Some(h) = crate::text::unknown_field_hint(&m) {
            m.push_str(&h);
        } else if m.contains("unknown field") {
            m.push_str(&format!(" (valid: {})", raw::PROFILE_KEYS.join(", ")));
        }
        vec![ProfileError {
            file: file.to_owned(),
            line: None,
            column: None,
            message: format!("profile: {m}"),
        }]
    })?;
    if raw.base.is_none() {
        return Err(vec![ProfileError {
            file: file.to_owned(),
            line: None,
            column: None,
            message: "profile: a mapping needs `base` (a built-in name or a profile file) and the rules it changes".into(),
        }]);
    }
    let mut layers = Vec::new();
    collect(file, raw, &mut layers, 0)?;
    compile(&layers).map_err(|errs| {
        errs.into_iter()
            .map(|mut e| {
                if e.file == file {
                    e.message = format!("profile.{}", e.message);
                }
                e
            })
            .collect()
    })
}

/// [`load_inline`], shared: an override of a built-in (`base:` a built-in name) is
/// compiled once per process for each distinct mapping, and every scenario giving the same
/// mapping holds the same profile. Its errors are never cached (they name the file); an
/// override of a profile file is compiled each time (the file may change between runs of
/// one process).
pub fn load_inline_shared(file: &Path, value: &Value) -> Result<Arc<Profile>, Vec<ProfileError>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Profile>>>> = OnceLock::new();
    let key = match value.get("base") {
        Some(Value::String(b)) if !is_path(b) && builtin_text(b).is_some() => {
            serde_json::to_string(value).ok()
        }
        _ => None,
    };
    let Some(key) = key else {
        return load_inline(file, value).map(Arc::new);
    };
    let cache = CACHE.get_or_init(Default::default);
    if let Some(p) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(Arc::clone(p));
    }
    let p = Arc::new(load_inline(file, value)?);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, Arc::clone(&p));
    Ok(p)
}

/// Whether parsed YAML looks like a profile file rather than a scenario: a mapping with
/// none of a scenario's keys and one of a profile's own sections.
pub fn looks_like_profile(v: &Value) -> bool {
    let Value::Object(m) = v else { return false };
    if ["profile", "scenarios", "events"]
        .iter()
        .any(|k| m.contains_key(*k))
    {
        return false;
    }
    [
        "envelope",
        "signature",
        "catalogue",
        "delivery",
        "base",
        "test_vectors",
        "ids",
        "headers",
    ]
    .iter()
    .any(|k| m.contains_key(*k))
}

fn parse(file: &Path, text: &str) -> Result<RawProfile, Vec<ProfileError>> {
    if text.trim().is_empty() {
        return Err(vec![ProfileError {
            file: file.to_owned(),
            line: None,
            column: None,
            message: "the profile file is empty".into(),
        }]);
    }
    serde_saphyr::from_str::<RawProfile>(text).map_err(|e| {
        let (line, column, mut message) = crate::text::yaml_error(text, &e);
        if message.contains("unknown field") && !message.contains("did you mean") {
            message.push_str(&format!(" (valid: {})", raw::PROFILE_KEYS.join(", ")));
        }
        vec![ProfileError {
            file: file.to_owned(),
            line,
            column,
            message,
        }]
    })
}

/// One file of a profile and the file it came from.
struct Layer {
    file: PathBuf,
    raw: RawProfile,
    /// The built-in this layer is, if it is one.
    builtin: Option<String>,
}

/// Puts `raw`'s bases (first) and `raw` into `layers`.
fn collect(
    file: &Path,
    raw: RawProfile,
    layers: &mut Vec<Layer>,
    depth: usize,
) -> Result<(), Vec<ProfileError>> {
    if let Some(base) = &raw.base {
        let at = (line(base), col(base));
        let here = |message: String| {
            vec![ProfileError {
                file: file.to_owned(),
                line: at.0,
                column: at.1,
                message,
            }]
        };
        if depth >= MAX_BASES {
            return Err(here(format!(
                "base: more than {MAX_BASES} bases in a row (is there a loop?)"
            )));
        }
        let name = base.value.as_str();
        if is_path(name) {
            let path = join(file.parent().unwrap_or(Path::new(".")), name);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                here(format!(
                    "base: cannot read profile file {}: {e}",
                    path.display()
                ))
            })?;
            let raw = parse(&path, &text)?;
            collect(&path, raw, layers, depth + 1)?;
        } else {
            let Some(text) = builtin_text(name) else {
                return Err(here(format!("base: {}", unknown_profile(name))));
            };
            let path = builtin_path(name);
            let braw = parse(&path, text)?;
            collect(&path, braw, layers, depth + 1)?;
            if let Some(last) = layers.last_mut() {
                last.builtin = Some(name.to_owned());
            }
        }
    }
    layers.push(Layer {
        file: file.to_owned(),
        raw,
        builtin: None,
    });
    Ok(())
}

fn line<T>(s: &Spanned<T>) -> Option<u64> {
    Some(s.referenced.line()).filter(|l| *l > 0)
}

fn col<T>(s: &Spanned<T>) -> Option<u64> {
    Some(s.referenced.column()).filter(|_| s.referenced.line() > 0)
}

/// Checks and compiles the layers (bases first) into one profile.
struct Cx<'l> {
    layers: &'l [Layer],
    errors: Vec<ProfileError>,
}

/// A location: (layer, line, column).
type At = (usize, Option<u64>, Option<u64>);

fn at<T>(layer: usize, s: &Spanned<T>) -> At {
    (layer, line(s), col(s))
}

fn at_node(layer: usize, n: &Node) -> At {
    (
        layer,
        Some(n.line).filter(|l| *l > 0),
        Some(n.col).filter(|_| n.line > 0),
    )
}

impl<'l> Cx<'l> {
    fn err(&mut self, at: At, message: impl Into<String>) {
        self.errors.push(ProfileError {
            file: self.layers[at.0].file.clone(),
            line: at.1,
            column: at.2,
            message: message.into(),
        });
    }

    /// The last layer that gives a section.
    fn pick<T>(&self, f: impl Fn(&'l RawProfile) -> Option<&'l T>) -> Option<(usize, &'l T)> {
        let layers: &'l [Layer] = self.layers;
        layers
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, l)| f(&l.raw).map(|v| (i, v)))
    }

    fn duration(&mut self, at: At, key: &str, s: &str) -> Option<Duration> {
        match parse_duration(s) {
            Ok(d) => Some(d),
            Err(m) => {
                self.err(at, format!("{key}: {m}"));
                None
            }
        }
    }

    fn template_errors(&mut self, layer: usize, c: &mut Compiler<'_>) {
        for e in c.errors.drain(..) {
            self.err(
                (
                    layer,
                    Some(e.line).filter(|l| *l > 0),
                    Some(e.col).filter(|_| e.line > 0),
                ),
                e.message,
            );
        }
    }
}

/// The variables every request template may read.
fn body_vars(ids: &[String]) -> Vec<(String, CtxVar)> {
    let mut v = vec![
        ("type".to_owned(), CtxVar::Type),
        ("data".to_owned(), CtxVar::Data),
        ("time".to_owned(), CtxVar::Time),
    ];
    for (i, n) in ids.iter().enumerate() {
        v.push((n.clone(), CtxVar::Id(i)));
    }
    for (name, f) in EndpointField::ALL {
        v.push((format!("endpoint.{name}"), CtxVar::Endpoint(*f)));
    }
    v
}

/// …and what a header may read besides: the attempt.
fn header_vars(ids: &[String]) -> Vec<(String, CtxVar)> {
    let mut v = body_vars(ids);
    v.extend([
        ("now".to_owned(), CtxVar::Now),
        ("timestamp".to_owned(), CtxVar::Timestamp),
        ("attempt".to_owned(), CtxVar::Attempt),
        ("last_failure".to_owned(), CtxVar::LastFailure),
        ("last_status".to_owned(), CtxVar::LastStatus),
        ("signed".to_owned(), CtxVar::Signed),
    ]);
    v
}

/// Names an id may not take.
const RESERVED: &[&str] = &[
    "type",
    "data",
    "time",
    "now",
    "timestamp",
    "attempt",
    "last_failure",
    "last_status",
    "signed",
    "endpoint",
    "body",
];

fn compile(layers: &[Layer]) -> Result<Profile, Vec<ProfileError>> {
    let mut cx = Cx {
        layers,
        errors: Vec::new(),
    };
    let top = layers.len() - 1;

    // Names.
    let text_field =
        |cx: &mut Cx<'_>, key: &str, f: fn(&RawProfile) -> Option<&Spanned<String>>| match cx
            .pick(f)
        {
            Some((_, s)) if !s.value.trim().is_empty() => Some(s.value.clone()),
            Some((l, s)) => {
                cx.err(at(l, s), format!("{key}: must not be empty"));
                None
            }
            None => {
                cx.err(
                    (top, Some(1), Some(1)),
                    format!("`{key}` is missing: every profile names its {key}"),
                );
                None
            }
        };
    let overridden = layers.len() > 1 && layers[top].raw.name.is_none();
    let mut name = text_field(&mut cx, "name", |r| r.name.as_ref());
    if overridden && let Some(n) = &mut name {
        n.push_str(" (overridden)");
    }
    let provider = text_field(&mut cx, "provider", |r| r.provider.as_ref());
    let version = text_field(&mut cx, "version", |r| r.version.as_ref());

    // Tables and parts merge by name, later layers replacing earlier ones.
    let mut tables: Vec<(String, Value)> = Vec::new();
    let mut parts_raw: Vec<(usize, &Spanned<String>, &Spanned<raw::RawPart>)> = Vec::new();
    for (li, l) in layers.iter().enumerate() {
        for (k, v) in l.raw.tables.iter().flat_map(|t| t.0.iter()) {
            if !is_ident(&k.value) {
                cx.err(at(li, k), format!("tables: `{}` is not a usable name: letters, digits and `_`, not starting with a digit", k.value));
            }
            match tables.iter_mut().find(|(n, _)| *n == k.value) {
                Some(slot) => slot.1 = v.to_value(),
                None => tables.push((k.value.clone(), v.to_value())),
            }
        }
        for (k, v) in l.raw.parts.iter().flat_map(|t| t.0.iter()) {
            if !is_ident(&k.value) {
                cx.err(
                    at(li, k),
                    format!("parts: `{}` is not a usable name", k.value),
                );
            }
            match parts_raw.iter_mut().find(|(_, n, _)| n.value == k.value) {
                Some(slot) => *slot = (li, k, v),
                None => parts_raw.push((li, k, v)),
            }
        }
    }
    let table_names: Vec<String> = tables.iter().map(|(n, _)| n.clone()).collect();
    let sigs: Vec<(String, Vec<String>)> = parts_raw
        .iter()
        .map(|(_, k, p)| {
            (
                k.value.clone(),
                p.value.params.iter().map(|s| s.value.clone()).collect(),
            )
        })
        .collect();
    let mut parts: Vec<Part> = Vec::new();
    let mut part_calls: Vec<(Vec<usize>, bool, bool)> = Vec::new();
    for (li, k, p) in &parts_raw {
        let mut c = Compiler::new(&table_names, &sigs);
        let lets: Vec<(Node, Node)> = omap_nodes(p.value.lets.as_ref());
        let allowed = Allowed {
            vars: vec![("type".into(), CtxVar::Type), ("time".into(), CtxVar::Time)],
            rng: true,
            what: "a part",
            why_pure: "",
        };
        for ps in &p.value.params {
            if !is_ident(&ps.value) {
                cx.err(
                    at(*li, ps),
                    format!(
                        "parts.{}.params: `{}` is not a usable name",
                        k.value, ps.value
                    ),
                );
            }
        }
        let part = c.part(
            &k.value,
            &sigs[parts.len()].1,
            &lets,
            &p.value.value,
            &allowed,
        );
        part_calls.push((c.calls.clone(), c.dynamic_calls, c.used_rng));
        cx.template_errors(*li, &mut c);
        parts.push(part);
    }
    // Which parts draw from the generator, through the parts they call.
    for (i, p) in parts.iter_mut().enumerate() {
        p.rng = part_calls[i].2;
    }
    loop {
        let mut changed = false;
        for i in 0..parts.len() {
            if parts[i].rng {
                continue;
            }
            let (calls, dynamic, _) = &part_calls[i];
            let draws =
                calls.iter().any(|c| parts[*c].rng) || (*dynamic && parts.iter().any(|p| p.rng));
            if draws {
                parts[i].rng = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // No part may call itself, directly or not.
    for (start, (li, k, _)) in parts_raw.iter().enumerate() {
        let mut stack = vec![start];
        let mut seen = vec![false; parts.len()];
        while let Some(p) = stack.pop() {
            for &c in &part_calls[p].0 {
                if c == start {
                    cx.err(at(*li, k), format!("parts: `{}` calls itself (through the parts it calls); parts may not be recursive", k.value));
                    stack.clear();
                    break;
                }
                if !seen[c] {
                    seen[c] = true;
                    stack.push(c);
                }
            }
        }
    }
    let program = Program { tables, parts };

    // Ids.
    let mut ids: Vec<IdForm> = Vec::new();
    if let Some((li, raw_ids)) = cx.pick(|r| r.ids.as_ref()) {
        for (k, v) in &raw_ids.value.0 {
            let idat = at(li, k);
            if !is_ident(&k.value) {
                cx.err(
                    idat,
                    format!(
                        "ids: `{}` is not a usable name: letters, digits and `_`",
                        k.value
                    ),
                );
                continue;
            }
            if RESERVED.contains(&k.value.as_str())
                || program.tables.iter().any(|(n, _)| *n == k.value)
            {
                cx.err(idat, format!("ids: `{}` is already a variable or table name; choose another (reserved: {})", k.value, RESERVED.join(", ")));
                continue;
            }
            let (form_node, repeat) = match &v.kind {
                NodeKind::Map(_) => {
                    for (key, _) in match &v.kind {
                        NodeKind::Map(e) => e.iter(),
                        _ => unreachable!(),
                    } {
                        if !["form", "repeat"].contains(&key.name.as_str()) {
                            cx.err(
                                (li, Some(key.line), Some(key.col)),
                                choice_error(
                                    &format!("key of ids.{}", k.value),
                                    &key.name,
                                    &["form", "repeat"],
                                ),
                            );
                        }
                    }
                    let repeat = match v.get("repeat").map(|r| &r.kind) {
                        None | Some(NodeKind::Bool(true)) => true,
                        Some(NodeKind::Bool(false)) => false,
                        Some(_) => {
                            cx.err(at_node(li, v), format!("ids.{}.repeat: expected true (drawn once per delivery, the default) or false (afresh per attempt)", k.value));
                            true
                        }
                    };
                    match v.get("form") {
                        Some(f) => (f.clone(), repeat),
                        None => {
                            cx.err(at_node(li, v), format!("ids.{}: give `form` (how one is drawn, e.g. \"msg_{{alnum(27)}}\")", k.value));
                            continue;
                        }
                    }
                }
                _ => (v.clone(), true),
            };
            let mut c = Compiler::new(&table_names, &sigs);
            let allowed = Allowed {
                vars: Vec::new(),
                rng: true,
                what: "an id",
                why_pure: "",
            };
            let (form, frame) = c.template(&form_node, &allowed);
            cx.template_errors(li, &mut c);
            ids.push(IdForm {
                name: k.value.clone(),
                form,
                frame,
                words: sketch(&form_node),
                repeat,
            });
        }
    }
    let id_names: Vec<String> = ids.iter().map(|i| i.name.clone()).collect();

    // Envelope.
    let envelope = match cx.pick(|r| r.envelope.as_ref()) {
        Some((li, e)) => compile_envelope(&mut cx, li, e, &id_names, &table_names, &sigs, &program),
        None => {
            cx.err((top, Some(1), Some(1)), "`envelope` is missing: every profile says how the body is built (envelope.body: a template over the event)");
            None
        }
    };

    // Headers.
    let headers = match cx.pick(|r| r.headers.as_ref()) {
        Some((li, h)) => compile_headers(&mut cx, li, h, &id_names, &table_names, &sigs, &program),
        None => {
            cx.err((top, Some(1), Some(1)), "`headers` is missing: every profile lists the headers it sends (at least Content-Type)");
            Vec::new()
        }
    };
    // A body that does not name its event type may carry it in a header.
    let mut envelope = envelope;
    if let Some(e) = &mut envelope
        && e.type_from == TypeFrom::Unknown
        && let Some(name) = headers.iter().find_map(|h| match h {
            HeaderEntry::Header {
                name,
                value: TNode::Expr(Expr::Var(Var::Ctx(CtxVar::Type))),
                ..
            } => Some(name.to_string()),
            _ => None,
        })
    {
        e.type_from = TypeFrom::Header(name);
    }
    let header_rules = match cx.pick(|r| r.custom_headers.as_ref()) {
        Some((li, c)) => compile_custom(
            &mut cx,
            li,
            c,
            provider.as_deref().unwrap_or("the provider"),
        ),
        None => HeaderRules::default(),
    };

    // Signature: derived from the header list for the verifier's id and timestamp.
    let id_index = id_names.iter().position(|n| n == "id");
    let header_named = |want: CtxVar| {
        headers.iter().find_map(|h| match h {
            HeaderEntry::Header {
                name,
                value: TNode::Expr(Expr::Var(Var::Ctx(v))),
                ..
            } if *v == want => Some(name.to_string()),
            _ => None,
        })
    };
    let id_header = id_index.and_then(|i| header_named(CtxVar::Id(i)));
    let timestamp_header = header_named(CtxVar::Timestamp);
    let scheme = match cx.pick(|r| r.signature.as_ref()) {
        Some((li, s)) => compile_signature(
            &mut cx,
            li,
            s,
            id_header,
            timestamp_header,
            id_index.is_some(),
        ),
        None => {
            cx.err((top, Some(1), Some(1)), "`signature` is missing: give the scheme, or `signature: {algorithm: none}` for a provider that does not sign");
            None
        }
    };
    if let (Some(s), Some((li, hs))) = (&scheme, cx.pick(|r| r.headers.as_ref())) {
        let marked = headers.iter().any(|h| matches!(h, HeaderEntry::Signature));
        if marked && !s.signs() {
            cx.err(at(li, hs), "headers: `$signature` marks where signature headers go, but the profile does not sign (signature.algorithm: none)");
        }
    }

    // Secret.
    let secret = match cx.pick(|r| r.secret.as_ref()) {
        Some((li, s)) => match &s.value.generate {
            Some(g) => {
                if scheme.as_ref().is_some_and(|s| !s.signs()) {
                    cx.err(at(li, s), "secret.generate: the profile does not sign, so it has no secret to generate");
                }
                let mut c = Compiler::new(&table_names, &sigs);
                let (form, frame) = c.template(
                    g,
                    &Allowed {
                        vars: Vec::new(),
                        rng: true,
                        what: "a secret",
                        why_pure: "",
                    },
                );
                cx.template_errors(li, &mut c);
                SecretRule::Generated {
                    form,
                    frame,
                    words: sketch(g),
                }
            }
            None => SecretRule::Optional,
        },
        None => SecretRule::Optional,
    };

    // Delivery.
    let (retry, pending) = match cx.pick(|r| r.delivery.as_ref()) {
        Some((li, d)) => compile_delivery(&mut cx, li, d),
        None => {
            cx.err((top, Some(1), Some(1)), "`delivery` is missing: every profile says its attempts, waits, timeout and what it retries");
            (None, None)
        }
    };

    // Catalogue.
    let (catalogue, api_versions, other, event_at) = match cx.pick(|r| r.catalogue.as_ref()) {
        Some((li, c)) => compile_catalogue(&mut cx, li, c, &table_names, &sigs, &program),
        None => {
            cx.err(
                (top, Some(1), Some(1)),
                "`catalogue` is missing: every profile lists its event types (catalogue.events)",
            );
            (Vec::new(), Vec::new(), None, Vec::new())
        }
    };

    // Sources, merged by rule.
    let mut rules: Vec<(usize, Sourced)> = Vec::new();
    for (li, l) in layers.iter().enumerate() {
        let Some(s) = &l.raw.sources else { continue };
        for (k, list) in &s.value.0 {
            let Some(rule) = Rule::from_key(&k.value) else {
                let keys: Vec<&str> = Rule::ALL.iter().map(|(k, _)| *k).collect();
                cx.err(
                    at(li, k),
                    format!("sources: {}", choice_error("rule", &k.value, &keys)),
                );
                continue;
            };
            let mut sources = Vec::new();
            for src in &list.value {
                if let Some(s) = source(&mut cx, li, src) {
                    sources.push(s);
                }
            }
            if sources.is_empty() {
                cx.err(at(li, list), format!("sources.{}: give at least one source (seed, code, doc, or assumption: why)", k.value));
            }
            match rules.iter_mut().find(|(_, r)| r.rule == rule) {
                Some(slot) => *slot = (li, Sourced { rule, sources }),
                None => rules.push((li, Sourced { rule, sources })),
            }
        }
    }

    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    let (Some(envelope), Some(scheme), Some(retry)) = (envelope, scheme, retry) else {
        return Err(cx.errors);
    };

    // Every rule the profile states has a source.
    let stated = stated_rules(&cx, &retry, &header_rules, pending.is_some());
    for (rule, where_) in stated {
        if !rules.iter().any(|(_, r)| r.rule == rule) {
            cx.err(
                where_,
                format!(
                    "rule `{}` has no source: add `sources: {{{}: [{{doc: URL, says: …}}]}}` (or seed, code, or `assumption: why`)",
                    rule.key(),
                    rule.key()
                ),
            );
        }
    }

    let (catalogue, api_version) = match api_versions.first() {
        Some(v) => (v.catalogue.clone(), Some(v.name.clone())),
        None => (Arc::new(catalogue), None),
    };
    let body_repeats = Profile::envelope_repeats(&envelope, &program);
    let headers_fixed = Profile::headers_fixed(&headers, &program, &ids);
    let mut profile = Profile {
        name: name.unwrap_or_default(),
        provider: provider.unwrap_or_default(),
        version: version.unwrap_or_default(),
        program: Arc::new(program),
        ids: Arc::new(ids),
        envelope: Arc::new(envelope),
        headers: Arc::new(headers),
        header_rules,
        scheme_summary: cx
            .pick(|r| r.signature.as_ref())
            .and_then(|(_, s)| s.value.summary.clone())
            .unwrap_or_else(|| super::describe::scheme_summary(&scheme)),
        scheme,
        test_secret: None,
        secret,
        retry,
        catalogue,
        api_versions,
        api_version,
        other: other.map(Arc::new),
        pending_status: pending.map(|p| intern(&p)),
        rules: rules.into_iter().map(|(_, r)| r).collect(),
        test_vectors: Vec::new(),
        origin: Origin::Overridden,
        body_repeats,
        headers_fixed,
    };

    // Test vectors: the top-most layer's, unless a later layer replaced the signature.
    let sig_layer = cx.pick(|r| r.signature.as_ref()).map(|(l, _)| l);
    if let Some((li, vs)) = cx.pick(|r| r.test_vectors.as_ref())
        && sig_layer.is_none_or(|s| s <= li)
    {
        for (i, v) in vs.value.iter().enumerate() {
            let vat = at(li, v);
            let Some(src) = source(&mut cx, li, &v.value.source) else {
                continue;
            };
            let r = &v.value;
            let secrets = match (&r.secret, &r.secrets) {
                (Some(s), None) => vec![s.clone()],
                (None, Some(list)) if !list.is_empty() => list.clone(),
                _ => {
                    cx.err(
                        vat,
                        format!(
                            "test_vectors[{i}]: give `secret` (or `secrets`, a list, for rotation)"
                        ),
                    );
                    continue;
                }
            };
            let tv = TestVector {
                source: src,
                secrets,
                id: r.id.clone().unwrap_or_default(),
                timestamp: r.timestamp.unwrap_or_default(),
                body: r.body.clone(),
                url: r.url.clone().unwrap_or_default(),
                method: r.method.clone().unwrap_or_else(|| "POST".into()),
                expect: r
                    .expect
                    .0
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.clone()))
                    .collect(),
            };
            if tv.expect.is_empty() {
                cx.err(
                    vat,
                    format!(
                        "test_vectors[{i}].expect: name at least one signature header and its value"
                    ),
                );
            } else if let Err(m) = tv.check(&profile.scheme) {
                cx.err(vat, format!("test_vectors[{i}] fails: {m}"));
            }
            profile.test_vectors.push(tv);
        }
    }

    // The secret fixtures sign with.
    if profile.scheme.signs() {
        profile.test_secret = cx
            .pick(|r| r.secret.as_ref())
            .and_then(|(_, s)| s.value.test.clone())
            .or_else(|| {
                profile
                    .test_vectors
                    .first()
                    .and_then(|v| v.secrets.first().cloned())
            });
    }

    // Every event's data builds a body its own schema accepts.
    check_catalogue(&mut cx, &profile, &event_at);

    // The shorthand overrides, applied on top.
    apply_shorthands(&mut cx, &mut profile);

    if cx.errors.is_empty() {
        Ok(profile)
    } else {
        Err(cx.errors)
    }
}

fn is_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn omap_nodes(m: Option<&OMap<Node>>) -> Vec<(Node, Node)> {
    m.map(|m| {
        m.0.iter()
            .map(|(k, v)| {
                (
                    Node {
                        line: k.referenced.line(),
                        col: k.referenced.column(),
                        kind: NodeKind::Str(k.value.clone()),
                    },
                    v.clone(),
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

/// A pending status lives as long as the process (profiles are loaded a bounded number of
/// times; the same text is kept once).
fn intern(s: &str) -> &'static str {
    static SEEN: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(s) = seen.iter().find(|x| **x == s) {
        return s;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    seen.push(leaked);
    leaked
}

/// A template in words: the YAML as one line, braces and all.
pub fn sketch(n: &Node) -> String {
    match &n.kind {
        NodeKind::Null => "null".into(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Num(x) => x.to_string(),
        NodeKind::Str(s) => s.clone(),
        NodeKind::Seq(items) => format!(
            "[{}]",
            items.iter().map(sketch).collect::<Vec<_>>().join(", ")
        ),
        NodeKind::Map(entries) => {
            if let Some(c) = n.get("$if") {
                let then = n.get("then").map(sketch).unwrap_or_default();
                return match n.get("else") {
                    Some(e) => format!("(if {}: {then}, else {})", sketch(c), sketch(e)),
                    None => format!("(if {}: {then})", sketch(c)),
                };
            }
            if let Some(NodeKind::Seq(items)) = n.get("$merge").map(|m| &m.kind) {
                return items.iter().map(sketch).collect::<Vec<_>>().join(" + ");
            }
            if let Some(p) = n.get("$part") {
                return format!("<{}>", sketch(p));
            }
            format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.name, sketch(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

fn compile_envelope(
    cx: &mut Cx<'_>,
    li: usize,
    e: &Spanned<RawEnvelope>,
    ids: &[String],
    tables: &[String],
    sigs: &[(String, Vec<String>)],
    program: &Program,
) -> Option<Envelope> {
    let raw = &e.value;
    let allowed = Allowed {
        vars: body_vars(ids),
        rng: false,
        what: "the body",
        why_pure: "the body is built once per delivery and re-sent unchanged on every retry; draw random values in `ids:` or the catalogue's generators",
    };
    let mut c = Compiler::new(tables, sigs);
    let (body, frame) = c.template(&raw.body, &allowed);
    let used_data = c.used.contains(&CtxVar::Data);
    cx.template_errors(li, &mut c);
    if !used_data {
        cx.err(at_node(li, &raw.body), "envelope.body never includes the event's data: use `{data}` (the data whole), or its fields (`{data.id}`), or `$merge` it into the body");
    }
    if node_uses_rng(&body, &program.parts) {
        cx.err(at_node(li, &raw.body), "envelope.body calls a part that draws from the seeded generator; the body is built once and re-sent on every retry, so it must be pure (draw random values in `ids:`)");
    }
    let encoding = match &raw.encoding {
        None => BodyEncoding::Compact,
        Some(s) => match s.value.as_str() {
            "compact" => BodyEncoding::Compact,
            "pretty" => BodyEncoding::Pretty,
            "python" => BodyEncoding::PythonJsonDumps,
            other => {
                cx.err(
                    at(li, s),
                    format!(
                        "envelope.encoding: {}",
                        choice_error("encoding", other, BodyEncoding::NAMES)
                    ),
                );
                BodyEncoding::Compact
            }
        },
    };
    let as_json_string = raw.as_json_string.as_ref().map(|n| {
        let mut c = Compiler::new(tables, sigs);
        let src = match &n.kind {
            NodeKind::Str(s) => s.trim().trim_start_matches('{').trim_end_matches('}').to_owned(),
            NodeKind::Bool(b) => b.to_string(),
            _ => {
                cx.err(at_node(li, n), "envelope.as_json_string: give a condition, e.g. `endpoint.output_format != 'json'`");
                "false".into()
            }
        };
        let e = c.expression(n, &src, &allowed);
        cx.template_errors(li, &mut c);
        e
    });
    let type_from = match &raw.type_from {
        Some(n) => {
            let mut c = Compiler::new(tables, sigs);
            let (t, f) = c.template(
                n,
                &Allowed {
                    vars: vec![("body".into(), CtxVar::Body)],
                    rng: false,
                    what: "type_from",
                    why_pure: "it reads a received request",
                },
            );
            cx.template_errors(li, &mut c);
            TypeFrom::Template(t, f)
        }
        None => match find_type(&body, "") {
            Some(ptr) => TypeFrom::Body(ptr),
            None => TypeFrom::Unknown,
        },
    };
    let largest = match &raw.largest {
        None => (
            1 << 20,
            "1 MiB: hookrig's choice; the provider publishes no largest body".to_owned(),
        ),
        Some(l) => {
            let size = match &l.value.size.kind {
                NodeKind::Num(n) => n.as_u64().map(|n| n as usize),
                NodeKind::Str(s) => parse_size(s),
                _ => None,
            };
            match size {
                Some(s) if s > 0 && s <= 1 << 30 => (s, l.value.why.clone()),
                _ => {
                    cx.err(at_node(li, &l.value.size), "envelope.largest.size: give bytes (a whole number) or text with a unit, e.g. `4 MiB`, at most 1 GiB");
                    (1 << 20, String::new())
                }
            }
        }
    };
    let data_at = data_at(&body);
    Some(Envelope {
        body,
        frame,
        encoding,
        as_json_string,
        type_from,
        data_must_be_object: raw.data_must_be_object.as_ref().map(|s| s.value.clone()),
        largest,
        data_at,
        words: sketch(&raw.body),
    })
}

fn parse_size(s: &str) -> Option<usize> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("MiB") {
        (n, 1 << 20)
    } else if let Some(n) = t.strip_suffix("KiB") {
        (n, 1 << 10)
    } else if let Some(n) = t.strip_suffix('B') {
        (n, 1)
    } else {
        (t, 1)
    };
    num.trim().parse::<usize>().ok().map(|n| n * mult)
}

/// The JSON Pointer of a body value that is exactly `{type}`.
fn find_type(t: &TNode, at: &str) -> Option<String> {
    match t {
        TNode::Expr(Expr::Var(Var::Ctx(CtxVar::Type))) => Some(at.to_owned()),
        TNode::Obj(entries) => entries.iter().find_map(|(k, v)| match k {
            super::template::TKey::Lit(k) => find_type(
                v,
                &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
            ),
            _ => None,
        }),
        _ => None,
    }
}

/// Where the envelope puts the event data.
fn data_at(body: &TNode) -> DataAt {
    fn whole(e: &Expr) -> bool {
        matches!(e, Expr::Var(Var::Ctx(CtxVar::Data)))
    }
    fn fields(t: &TNode, out: &mut Vec<String>) {
        fn expr(e: &Expr, out: &mut Vec<String>) {
            match e {
                Expr::Field(inner, name) if whole(inner) && !out.contains(name) => {
                    out.push(name.clone());
                }
                Expr::Field(a, _) | Expr::Un(_, a) => expr(a, out),
                Expr::Index(a, b) | Expr::Bin(_, a, b) => {
                    expr(a, out);
                    expr(b, out);
                }
                Expr::List(items) | Expr::Call(_, items) => items.iter().for_each(|i| expr(i, out)),
                _ => {}
            }
        }
        match t {
            TNode::Expr(e) => expr(e, out),
            TNode::Str(p) => p.iter().for_each(|x| {
                if let super::template::SPart::Expr(e) = x {
                    expr(e, out)
                }
            }),
            TNode::Obj(entries) => entries.iter().for_each(|(_, v)| fields(v, out)),
            TNode::List(items) | TNode::Merge(items) => items.iter().for_each(|i| fields(i, out)),
            TNode::If { cond, then, els } => {
                expr(cond, &mut Vec::new());
                fields(then, out);
                if let Some(e) = els {
                    fields(e, out);
                }
            }
            TNode::Each { body, .. } => fields(body, out),
            TNode::Part { args, .. } => args.iter().for_each(|(_, a)| fields(a, out)),
            TNode::Lit(_) => {}
        }
    }
    fn wrapped(t: &TNode, at: &str) -> Option<String> {
        match t {
            TNode::Expr(e) if whole(e) => Some(at.to_owned()),
            TNode::Obj(entries) => entries.iter().find_map(|(k, v)| match k {
                super::template::TKey::Lit(k) => wrapped(
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                ),
                _ => None,
            }),
            _ => None,
        }
    }
    if let TNode::Merge(items) = body
        && items
            .iter()
            .any(|i| matches!(i, TNode::Expr(e) if whole(e)))
    {
        /// The literal keys an item of the merge may add (both branches of an `$if`).
        fn keys(t: &TNode, own: &mut Vec<String>) {
            match t {
                TNode::Lit(Value::Object(m)) => own.extend(m.keys().cloned()),
                TNode::Obj(entries) => own.extend(entries.iter().filter_map(|(k, _)| match k {
                    super::template::TKey::Lit(k) => Some(k.clone()),
                    _ => None,
                })),
                TNode::If { then, els, .. } => {
                    keys(then, own);
                    if let Some(e) = els {
                        keys(e, own);
                    }
                }
                _ => {}
            }
        }
        let mut own = Vec::new();
        for i in items {
            keys(i, &mut own);
        }
        return DataAt::Flat(own);
    }
    if let Some(p) = wrapped(body, "") {
        return DataAt::Wrapped(p);
    }
    let mut out = Vec::new();
    fields(body, &mut out);
    DataAt::Fields(out)
}

fn compile_headers(
    cx: &mut Cx<'_>,
    li: usize,
    h: &Spanned<Vec<Node>>,
    ids: &[String],
    tables: &[String],
    sigs: &[(String, Vec<String>)],
    program: &Program,
) -> Vec<HeaderEntry> {
    let allowed = Allowed {
        vars: header_vars(ids),
        rng: false,
        what: "a header",
        why_pure: "headers are made per attempt from the delivery's ids and times; draw random values in `ids:`",
    };
    let mut out = Vec::new();
    let mut seen_custom = false;
    let mut seen_sig = false;
    for n in &h.value {
        let nat = at_node(li, n);
        match &n.kind {
            NodeKind::Str(s) if s == "$custom" => {
                if seen_custom {
                    cx.err(nat, "headers: `$custom` appears twice");
                }
                seen_custom = true;
                out.push(HeaderEntry::Custom);
            }
            NodeKind::Str(s) if s == "$signature" => {
                if seen_sig {
                    cx.err(nat, "headers: `$signature` appears twice");
                }
                seen_sig = true;
                out.push(HeaderEntry::Signature);
            }
            NodeKind::Map(entries) => {
                let long = entries.iter().any(|(k, _)| k.name == "name");
                let (name, value, when) = if long {
                    for (k, _) in entries {
                        if !["name", "value", "when"].contains(&k.name.as_str()) {
                            cx.err(
                                (li, Some(k.line), Some(k.col)),
                                choice_error(
                                    "key of a header",
                                    &k.name,
                                    &["name", "value", "when"],
                                ),
                            );
                        }
                    }
                    let name = n.get("name").and_then(Node::as_str).map(str::to_owned);
                    let Some(value) = n.get("value") else {
                        cx.err(
                            nat,
                            "headers: a header written as {name, value, when} needs `value`",
                        );
                        continue;
                    };
                    (name, value, n.get("when"))
                } else if let [(k, v)] = entries.as_slice() {
                    (Some(k.name.clone()), v, None)
                } else {
                    cx.err(nat, "headers: each item is one `Name: value` pair, `{name: …, value: …, when: …}`, `$custom` or `$signature`");
                    continue;
                };
                let Some(name) = name else {
                    cx.err(nat, "headers: `name` must be text");
                    continue;
                };
                if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    cx.err(
                        nat,
                        format!("headers: `{name}` is not a valid HTTP header name"),
                    );
                    continue;
                }
                let mut c = Compiler::new(tables, sigs);
                let (value_t, frame) = c.template(value, &allowed);
                let when = when.map(|w| {
                    let src = match &w.kind {
                        NodeKind::Str(s) => s
                            .trim()
                            .trim_start_matches('{')
                            .trim_end_matches('}')
                            .to_owned(),
                        NodeKind::Bool(b) => b.to_string(),
                        _ => "true".into(),
                    };
                    c.expression(w, &src, &allowed)
                });
                cx.template_errors(li, &mut c);
                if node_uses_rng(&value_t, &program.parts) {
                    cx.err(nat, format!("headers: {name} calls a part that draws from the seeded generator; headers must be pure (draw random values in `ids:`)"));
                }
                out.push(HeaderEntry::Header {
                    name: name.into(),
                    value: value_t,
                    frame,
                    when,
                    words: sketch(value),
                });
            }
            other => {
                let _ = other;
                cx.err(nat, format!("headers: expected `Name: value`, `{{name, value, when}}`, `$custom` or `$signature`, found {}", n.kind_name()));
            }
        }
    }
    out
}

fn compile_custom(
    cx: &mut Cx<'_>,
    li: usize,
    c: &Spanned<raw::RawCustomHeaders>,
    _provider: &str,
) -> HeaderRules {
    let limits = c.value.limits.as_ref().map(|l| {
        let count = |cx: &mut Cx<'_>, v: &Option<Spanned<i64>>, key: &str| -> Option<usize> {
            let v = v.as_ref()?;
            if !(1..=1 << 20).contains(&v.value) {
                cx.err(
                    at(li, v),
                    format!(
                        "custom_headers.limits.{key}: {} is out of range (1 to 1048576)",
                        v.value
                    ),
                );
                return None;
            }
            Some(v.value as usize)
        };
        HeaderLimits {
            provider: l.value.by.clone(),
            name_max_chars: count(cx, &l.value.name_max_chars, "name_max_chars"),
            max_count: count(cx, &l.value.max_count, "max_count"),
            max_value_chars: count(cx, &l.value.max_value_chars, "max_value_chars"),
            no_control_chars: l.value.no_control_chars,
            denied: l
                .value
                .denied
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
            denied_prefixes: l
                .value
                .denied_prefixes
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
        }
    });
    HeaderRules {
        protected: c.value.protected.clone(),
        limits,
    }
}

/// A signed-string template: `{id}`, `{timestamp}`, `{body}`, `{url}`, `{method}` and text.
fn signed_pieces(cx: &mut Cx<'_>, a: At, key: &str, s: &str) -> Vec<Signed> {
    const VARS: &[&str] = &["id", "timestamp", "body", "url", "method"];
    let mut out = Vec::new();
    for piece in template_pieces(s) {
        match piece {
            Ok(l) => out.push(Signed::Lit(l)),
            Err(v) => out.push(match v.as_str() {
                "id" => Signed::Id,
                "timestamp" => Signed::Timestamp,
                "body" => Signed::Body,
                "url" => Signed::Url,
                "method" => Signed::Method,
                other => {
                    cx.err(
                        a,
                        format!("{key}: {}", choice_error("template variable", other, VARS)),
                    );
                    Signed::Lit(String::new())
                }
            }),
        }
    }
    out
}

/// A header-value template: `{sig}` / `{signatures}` / `{timestamp}` / `{id}` and text.
fn value_pieces(cx: &mut Cx<'_>, a: At, key: &str, s: &str, vars: &[&str]) -> Vec<Piece> {
    let mut out = Vec::new();
    for piece in template_pieces(s) {
        match piece {
            Ok(l) => out.push(Piece::Lit(l)),
            Err(v) if vars.contains(&v.as_str()) => out.push(match v.as_str() {
                "sig" => Piece::Sig,
                "signatures" => Piece::Signatures,
                "timestamp" => Piece::Timestamp,
                _ => Piece::Id,
            }),
            Err(v) => {
                cx.err(
                    a,
                    format!("{key}: {}", choice_error("template variable", &v, vars)),
                );
            }
        }
    }
    out
}

/// `Ok(text)` and `Err(variable)` pieces of a `{name}` template (`{{`, `}}` literal).
fn template_pieces(s: &str) -> Vec<Result<String, String>> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                lit.push('}');
            }
            '{' => {
                let mut name = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    name.push(d);
                }
                if !lit.is_empty() {
                    out.push(Ok(std::mem::take(&mut lit)));
                }
                out.push(Err(name.trim().to_owned()));
            }
            other => lit.push(other),
        }
    }
    if !lit.is_empty() {
        out.push(Ok(lit));
    }
    out
}

fn compile_signature(
    cx: &mut Cx<'_>,
    li: usize,
    s: &Spanned<RawSignature>,
    id_header: Option<String>,
    timestamp_header: Option<String>,
    has_id: bool,
) -> Option<Scheme> {
    let r = &s.value;
    let sat = at(li, s);
    let alg_names: Vec<&str> = Algorithm::NAMES.iter().copied().chain(["none"]).collect();
    if r.algorithm.value == "none" {
        let extra = [
            ("key", r.key.is_some()),
            ("signed", r.signed.is_some()),
            ("encoding", r.encoding.is_some()),
            ("header", r.header.is_some()),
            ("rotation", r.rotation.is_some()),
            ("tolerance", r.tolerance.is_some()),
        ];
        for (k, given) in extra {
            if given {
                cx.err(sat, format!("signature.{k}: the algorithm is `none` (the provider does not sign), so `{k}` does not apply"));
            }
        }
        return Some(Scheme::none());
    }
    let algorithm = match Algorithm::from_name(&r.algorithm.value) {
        Some(a) => a,
        None => {
            cx.err(
                at(li, &r.algorithm),
                format!(
                    "signature.algorithm: {}",
                    choice_error("algorithm", &r.algorithm.value, &alg_names)
                ),
            );
            Algorithm::Sha256
        }
    };
    let need = |cx: &mut Cx<'_>,
                v: &Option<Spanned<String>>,
                key: &str,
                hint: &str|
     -> Option<(At, String)> {
        match v {
            Some(v) => Some((at(li, v), v.value.clone())),
            None => {
                cx.err(sat, format!("signature.{key} is missing: {hint}"));
                None
            }
        }
    };
    let key_kind = need(
        cx,
        &r.key,
        "key",
        "how the key is read from a secret (utf8, base64 or hex)",
    );
    let prefix = r
        .key_prefix
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_default();
    let key = match key_kind {
        Some((_, k)) if k == "utf8" => {
            if let Some(p) = &r.key_prefix {
                cx.err(at(li, p), "signature.key_prefix: a utf8 key is the whole secret string (Stripe's `whsec_` is part of its key); key_prefix is stripped only before base64 or hex decoding");
            }
            KeyReading::Utf8
        }
        Some((_, k)) if k == "base64" => KeyReading::Base64 { prefix },
        Some((_, k)) if k == "hex" => KeyReading::Hex { prefix },
        Some((a, k)) => {
            cx.err(
                a,
                format!(
                    "signature.key: {}",
                    choice_error("key reading", &k, &["utf8", "base64", "hex"])
                ),
            );
            KeyReading::Utf8
        }
        None => KeyReading::Utf8,
    };
    let signed = match need(
        cx,
        &r.signed,
        "signed",
        "the signed string, e.g. \"{timestamp}.{body}\"",
    ) {
        Some((a, t)) => {
            let p = signed_pieces(cx, a, "signature.signed", &t);
            if !p.contains(&Signed::Body) {
                cx.err(a, format!("signature.signed: `{t}` never includes {{body}}: a signature that does not cover the body lets anyone change it (valid variables: id, timestamp, body, url, method)"));
            }
            if p.contains(&Signed::Id) && !has_id {
                cx.err(a, "signature.signed: {id} signs the message id, but the profile has no id named `id` (add `ids: {id: \"msg_{alnum(27)}\"}`)");
            } else if p.contains(&Signed::Id) && id_header.is_none() {
                cx.err(a, "signature.signed: {id} is signed but no header carries it, so no receiver could verify it: add a header `NAME: \"{id}\"`");
            }
            p
        }
        None => Vec::new(),
    };
    let encoding = match need(cx, &r.encoding, "encoding", "hex or base64") {
        Some((_, e)) if e == "hex" => Encoding::Hex,
        Some((_, e)) if e == "base64" => Encoding::Base64,
        Some((a, e)) => {
            cx.err(
                a,
                format!(
                    "signature.encoding: {}",
                    choice_error("encoding", &e, &["hex", "base64"])
                ),
            );
            Encoding::Hex
        }
        None => Encoding::Hex,
    };
    let header = need(cx, &r.header, "header", "the header the signature goes in");
    if let Some((a, h)) = &header
        && http::HeaderName::from_bytes(h.as_bytes()).is_err()
    {
        cx.err(
            *a,
            format!("signature.header: `{h}` is not a valid HTTP header name"),
        );
    }
    let value_vars = &["signatures", "timestamp", "id"];
    let mk_value = |cx: &mut Cx<'_>, v: &Option<Spanned<String>>, key: &str| -> Vec<Piece> {
        match v {
            None => vec![Piece::Signatures],
            Some(v) => {
                let p = value_pieces(cx, at(li, v), key, &v.value, value_vars);
                if p.iter().filter(|x| **x == Piece::Signatures).count() != 1 {
                    cx.err(at(li, v), format!("{key}: `{}` must hold {{signatures}} once (where each secret's `each` goes)", v.value));
                }
                p
            }
        }
    };
    let mk_each = |cx: &mut Cx<'_>, v: &Option<Spanned<String>>, key: &str| -> Vec<Piece> {
        match v {
            None => vec![Piece::Sig],
            Some(v) => {
                let p = value_pieces(cx, at(li, v), key, &v.value, &["sig"]);
                if p.iter().filter(|x| **x == Piece::Sig).count() != 1 {
                    cx.err(
                        at(li, v),
                        format!("{key}: `{}` must hold {{sig}} once", v.value),
                    );
                }
                p
            }
        }
    };
    let value = mk_value(cx, &r.value, "signature.value");
    let each = mk_each(cx, &r.each, "signature.each");
    let mut headers = vec![SigHeader {
        name: header.map(|(_, h)| h).unwrap_or_default().into(),
        algorithm,
        value: value.clone(),
        each,
    }];
    for a in &r.also {
        let alg = match &a.value.algorithm {
            None => algorithm,
            Some(n) => Algorithm::from_name(&n.value).unwrap_or_else(|| {
                cx.err(
                    at(li, n),
                    format!(
                        "signature.also[].algorithm: {}",
                        choice_error("algorithm", &n.value, Algorithm::NAMES)
                    ),
                );
                algorithm
            }),
        };
        headers.push(SigHeader {
            name: a.value.header.value.as_str().into(),
            algorithm: alg,
            value: mk_value(cx, &a.value.value, "signature.also[].value"),
            each: mk_each(cx, &a.value.each, "signature.also[].each"),
        });
    }
    let ts_in_value = value.contains(&Piece::Timestamp);
    if signed.contains(&Signed::Timestamp)
        && !ts_in_value
        && timestamp_header.is_none()
        && let Some(v) = &r.signed
    {
        {
            cx.err(at(li, v), "signature.signed: {timestamp} is signed but no header carries it, so no receiver could verify it: add a header `NAME: \"{timestamp}\"` or put {timestamp} in signature.value");
        }
    }
    let tolerance = r.tolerance.as_ref().map(|t| {
        let tat = at(li, t);
        if !signed.contains(&Signed::Timestamp) {
            cx.err(tat, "signature.tolerance: the signed string has no {timestamp}, so there is nothing for a tolerance to judge");
        }
        let d = |cx: &mut Cx<'_>, v: &Option<Spanned<String>>, key: &str| {
            v.as_ref().and_then(|v| cx.duration(at(li, v), key, &v.value))
        };
        let past = d(cx, &t.value.past, "signature.tolerance.past");
        let future = d(cx, &t.value.future, "signature.tolerance.future");
        if t.value.past.is_none() && t.value.future.is_none() {
            cx.err(tat, "signature.tolerance: give `past` and/or `future` (omit the section for no time check)");
        }
        Tolerance { past, future }
    });
    let rotation = r.rotation.as_ref().map(|j| {
        if j.value.join.is_empty() {
            cx.err(at(li, j), "signature.rotation.join: must not be empty (it separates one signature per secret)");
        }
        j.value.join.clone()
    });
    Some(Scheme {
        key,
        signed,
        encoding,
        headers,
        rotation,
        tolerance,
        id_header,
        timestamp_header: if ts_in_value { None } else { timestamp_header },
    })
}

fn compile_delivery(
    cx: &mut Cx<'_>,
    li: usize,
    d: &Spanned<RawDelivery>,
) -> (Option<RetryPolicy>, Option<String>) {
    let r = &d.value;
    let before = cx.errors.len();
    let attempts = if (1..=MAX_ATTEMPTS).contains(&r.attempts.value) {
        r.attempts.value as u32
    } else {
        cx.err(
            at(li, &r.attempts),
            format!(
                "delivery.attempts: {} is out of range (1 to {MAX_ATTEMPTS})",
                r.attempts.value
            ),
        );
        1
    };
    let backoff = match (&r.waits, &r.initial_wait, &r.max_wait) {
        (Some(w), None, None) => {
            let table: Vec<Duration> = w
                .value
                .iter()
                .filter_map(|x| cx.duration(at(li, x), "delivery.waits", &x.value))
                .collect();
            if w.value.is_empty() && attempts > 1 {
                cx.err(at(li, w), "delivery.waits: give at least one wait");
            }
            Backoff::Table(table)
        }
        (None, Some(i), Some(m)) => {
            let initial = cx
                .duration(at(li, i), "delivery.initial_wait", &i.value)
                .unwrap_or_default();
            let cap = cx
                .duration(at(li, m), "delivery.max_wait", &m.value)
                .unwrap_or_default();
            Backoff::Exponential { initial, cap }
        }
        (None, None, None) if attempts == 1 => Backoff::Table(Vec::new()),
        _ => {
            cx.err(at(li, d), "delivery: give `waits` (a list, the last repeating) or `initial_wait` and `max_wait` (doubling), not both");
            Backoff::Table(Vec::new())
        }
    };
    let timeout = cx
        .duration(at(li, &r.timeout), "delivery.timeout", &r.timeout.value)
        .unwrap_or(Duration::from_secs(30));
    if timeout.is_zero() {
        cx.err(at(li, &r.timeout), "delivery.timeout: must be more than 0s");
    }
    let retry_on = match r.retry_on.value.as_str() {
        "any_failure" => RetryOn::AnyFailure,
        "server_errors" => RetryOn::ServerErrors,
        other => {
            cx.err(
                at(li, &r.retry_on),
                format!(
                    "delivery.retry_on: {}",
                    choice_error("value", other, &["any_failure", "server_errors"])
                ),
            );
            RetryOn::AnyFailure
        }
    };
    let max_redirects = match &r.max_redirects {
        None => 0,
        Some(m) if (0..=20).contains(&m.value) => m.value as u8,
        Some(m) => {
            cx.err(
                at(li, m),
                format!(
                    "delivery.max_redirects: {} is out of range (0 to 20)",
                    m.value
                ),
            );
            0
        }
    };
    let status_list = |cx: &mut Cx<'_>,
                       v: &Spanned<Vec<i64>>,
                       key: &str,
                       range: std::ops::RangeInclusive<i64>|
     -> Vec<u16> {
        v.value
            .iter()
            .filter_map(|s| {
                if range.contains(s) {
                    Some(*s as u16)
                } else {
                    cx.err(
                        at(li, v),
                        format!(
                            "{key}: {s} is out of range ({} to {})",
                            range.start(),
                            range.end()
                        ),
                    );
                    None
                }
            })
            .collect()
    };
    let redirect_statuses = match &r.redirect_statuses {
        Some(v) => status_list(cx, v, "delivery.redirect_statuses", 300..=399),
        None if max_redirects > 0 => REDIRECT_STATUSES.to_vec(),
        None => Vec::new(),
    };
    let retry_after = match &r.retry_after {
        None => RetryAfter::Ignored,
        Some(ra) => {
            let x = &ra.value;
            match x.mode.value.as_str() {
                "ignored" => RetryAfter::Ignored,
                "lengthen" => {
                    let statuses = x
                        .statuses
                        .clone()
                        .unwrap_or_else(|| vec![429, 503])
                        .into_iter()
                        .filter(|s| (100..=599).contains(s))
                        .map(|s| s as u16)
                        .collect();
                    let cap = match &x.cap {
                        Some(c) => cx
                            .duration(at(li, c), "delivery.retry_after.cap", &c.value)
                            .unwrap_or(crate::retry::RETRY_AFTER_CAP),
                        None => crate::retry::RETRY_AFTER_CAP,
                    };
                    RetryAfter::Lengthens { statuses, cap }
                }
                "clamp" => {
                    match &x.max_factor {
                        Some(f) if (1..=100).contains(&f.value) => RetryAfter::Clamped {
                            max_factor: f.value as u32,
                        },
                        Some(f) => {
                            cx.err(at(li, f), format!("delivery.retry_after.max_factor: {} is out of range (1 to 100)", f.value));
                            RetryAfter::Ignored
                        }
                        None => {
                            cx.err(at(li, ra), "delivery.retry_after: mode `clamp` needs `max_factor` (Retry-After is clamped to [wait, max_factor × wait])");
                            RetryAfter::Ignored
                        }
                    }
                }
                other => {
                    cx.err(
                        at(li, &x.mode),
                        format!(
                            "delivery.retry_after.mode: {}",
                            choice_error("mode", other, &["ignored", "lengthen", "clamp"])
                        ),
                    );
                    RetryAfter::Ignored
                }
            }
        }
    };
    let overload = r.overload.as_ref().map(|o| Overload {
        min_wait: cx
            .duration(
                at(li, &o.value.min_wait),
                "delivery.overload.min_wait",
                &o.value.min_wait.value,
            )
            .unwrap_or_default(),
        on_timeout: o.value.on_timeout,
        statuses: o
            .value
            .statuses
            .iter()
            .filter(|s| (100..=599).contains(*s))
            .map(|s| *s as u16)
            .collect(),
    });
    let jitter_percent = match &r.jitter_percent {
        None => 0,
        Some(j) if (0..=100).contains(&j.value) => j.value as u8,
        Some(j) => {
            cx.err(
                at(li, j),
                format!(
                    "delivery.jitter_percent: {} is out of range (0 to 100)",
                    j.value
                ),
            );
            0
        }
    };
    let resend = r.resend_connection_error_within.as_ref().and_then(|w| {
        cx.duration(
            at(li, w),
            "delivery.resend_connection_error_within",
            &w.value,
        )
    });
    let disable_on = match &r.disable_on {
        Some(v) => status_list(cx, v, "delivery.disable_on", 100..=599),
        None => Vec::new(),
    };
    let stop_header = r.stop_header.as_ref().map(|s| {
        if http::HeaderName::from_bytes(s.value.name.as_bytes()).is_err() {
            cx.err(
                at(li, s),
                format!(
                    "delivery.stop_header.name: `{}` is not a valid HTTP header name",
                    s.value.name
                ),
            );
        }
        (s.value.name.clone(), s.value.value.clone())
    });
    let pending = r.pending_status.as_ref().map(|p| p.value.clone());
    if cx.errors.len() > before {
        return (None, None);
    }
    (
        Some(RetryPolicy {
            attempts,
            backoff,
            timeout,
            retry_on,
            max_redirects,
            redirect_statuses,
            retry_after,
            overload,
            jitter_percent,
            resend_quick_connection_error: resend,
            disable_on,
            stop_header,
        }),
        pending,
    )
}

/// A 1-based line and column, when known.
type Pos = (Option<u64>, Option<u64>);

/// Where each event is defined, for the checks that run once the profile is built.
type EventAt = Vec<(String, At)>;

#[allow(clippy::type_complexity)]
fn compile_catalogue(
    cx: &mut Cx<'_>,
    li: usize,
    c: &Spanned<RawCatalogue>,
    tables: &[String],
    sigs: &[(String, Vec<String>)],
    program: &Program,
) -> (Vec<EventSpec>, Vec<ApiVersion>, Option<EventSpec>, EventAt) {
    let r = &c.value;
    let mut event_at = Vec::new();
    let events_of = |cx: &mut Cx<'_>,
                     list: &Spanned<Vec<Spanned<RawEvent>>>,
                     event_at: &mut EventAt|
     -> Vec<EventSpec> {
        let mut out: Vec<EventSpec> = Vec::new();
        if list.value.is_empty() {
            cx.err(
                at(li, list),
                "catalogue.events: the list is empty; give at least one event type",
            );
        }
        for e in &list.value {
            let name = e.value.name.value.clone();
            if out.iter().any(|x| x.name == name) {
                cx.err(
                    at(li, &e.value.name),
                    format!("catalogue: the event type `{name}` appears twice"),
                );
                continue;
            }
            if let Some(spec) = event_spec(
                cx,
                li,
                &name,
                &e.value.description,
                &e.value.schema,
                e.value.example.as_ref(),
                e.value.generate.as_ref(),
                tables,
                sigs,
                program,
            ) {
                event_at.push((name, at(li, &e.value.name)));
                out.push(spec);
            }
        }
        out
    };
    let (events, versions) = match (&r.events, &r.api_versions) {
        (Some(list), None) => (events_of(cx, list, &mut event_at), Vec::new()),
        (None, Some(vs)) => {
            let mut versions = Vec::new();
            for v in &vs.value {
                let evs = events_of(cx, &v.value.events, &mut event_at);
                versions.push(ApiVersion {
                    name: v.value.name.value.clone(),
                    catalogue: Arc::new(evs),
                });
            }
            if versions.is_empty() {
                cx.err(at(li, vs), "catalogue.api_versions: the list is empty");
            }
            (Vec::new(), versions)
        }
        _ => {
            cx.err(at(li, c), "catalogue: give `events` (a list), or `api_versions` (each with its name and events, the default first), not both");
            (Vec::new(), Vec::new())
        }
    };
    let other = r.other.as_ref().and_then(|o| {
        let desc = o
            .value
            .description
            .clone()
            .unwrap_or_else(|| "Any other event type (generic schema).".into());
        let spec = event_spec(
            cx,
            li,
            "",
            &desc,
            &o.value.schema,
            None,
            Some(&o.value.generate),
            tables,
            sigs,
            program,
        );
        if spec.is_some() {
            event_at.push((String::new(), at(li, o)));
        }
        spec
    });
    (events, versions, other, event_at)
}

#[allow(clippy::too_many_arguments)]
fn event_spec(
    cx: &mut Cx<'_>,
    li: usize,
    name: &str,
    description: &str,
    schema: &Node,
    example: Option<&Node>,
    generate: Option<&Spanned<RawGen>>,
    tables: &[String],
    sigs: &[(String, Vec<String>)],
    program: &Program,
) -> Option<EventSpec> {
    let before = cx.errors.len();
    let label = if name.is_empty() {
        "catalogue.other".to_owned()
    } else {
        format!("catalogue `{name}`")
    };
    let mut c = Compiler::new(tables, sigs);
    let (t, frame) = c.template(
        schema,
        &Allowed::pure("a schema", "a schema is fixed for its event type"),
    );
    cx.template_errors(li, &mut c);
    let schema_value = if cx.errors.len() == before {
        let env = super::template::Env {
            ty: name,
            ..Default::default()
        };
        let rt = super::template::Rt {
            prog: program,
            env: &env,
        };
        match rt.eval(&t, frame, None) {
            Ok(v) => v.into_value(),
            Err(e) => {
                cx.err(
                    at_node(li, schema),
                    format!("{label}: the schema template fails: {e}"),
                );
                Value::Null
            }
        }
    } else {
        Value::Null
    };
    if cx.errors.len() == before
        && let Err(e) = jsonschema::validator_for(&schema_value)
    {
        cx.err(
            at_node(li, schema),
            format!("{label}: the schema does not compile: {e}"),
        );
    }
    let example = example.map(Node::to_value);
    let generate: Option<Gen> = generate.map(|g| {
        let mut c = Compiler::new(tables, sigs);
        let lets = omap_nodes(g.value.lets.as_ref());
        let set = omap_nodes(g.value.set.as_ref());
        if g.value.value.is_none() && set.is_empty() {
            cx.err(at(li, g), format!("{label}: generate needs `value` (a template), or `set` (JSON Pointers into the example)"));
        }
        if g.value.value.is_some() && !set.is_empty() {
            cx.err(at(li, g), format!("{label}: generate takes `value` or `set`, not both"));
        }
        for (k, _) in &set {
            let ptr = k.as_str().unwrap_or_default();
            match &example {
                Some(ex) if ex.pointer(ptr).is_some() => {}
                Some(_) => cx.err(at_node(li, k), format!("{label}: generate.set: `{ptr}` is not in the example (a JSON Pointer such as /data/object/id)")),
                None => cx.err(at_node(li, k), format!("{label}: generate.set needs an `example` to set values in")),
            }
        }
        let generator = c.generator(&lets, g.value.value.as_ref(), &set, &Allowed::generator());
        cx.template_errors(li, &mut c);
        generator
    });
    if example.is_none() && generate.is_none() {
        cx.err(
            at_node(li, schema),
            format!("{label}: give `example` (event data) or `generate` (how to draw it)"),
        );
    }
    (cx.errors.len() == before).then(|| EventSpec {
        name: name.to_owned(),
        description: description.to_owned(),
        schema: schema_value,
        example,
        generate,
    })
}

fn source(cx: &mut Cx<'_>, li: usize, s: &Spanned<RawSource>) -> Option<Source> {
    let r = &s.value;
    let kinds = [
        r.seed.is_some(),
        r.code.is_some(),
        r.doc.is_some(),
        r.assumption.is_some(),
    ];
    let bad = |cx: &mut Cx<'_>, m: &str| {
        cx.err(at(li, s), format!("source: {m} (forms: {{seed: FILE, says: …}}, {{code: REPO, file: PATH, at: WHAT}}, {{doc: URL, says: …}}, {{assumption: why}})"));
        None
    };
    if kinds.iter().filter(|k| **k).count() != 1 {
        return bad(cx, "give exactly one of seed, code, doc or assumption");
    }
    if let Some(file) = &r.seed {
        return match (&r.says, &r.file, &r.at) {
            (Some(says), None, None) => Some(Source::Seed {
                file: file.clone(),
                says: says.clone(),
            }),
            _ => bad(cx, "a seed source has `seed` and `says`"),
        };
    }
    if let Some(repo) = &r.code {
        return match (&r.file, &r.at, &r.says) {
            (Some(file), Some(a), None) => Some(Source::Code {
                repo: repo.clone(),
                file: file.clone(),
                at: a.clone(),
            }),
            _ => bad(cx, "a code source has `code`, `file` and `at`"),
        };
    }
    if let Some(url) = &r.doc {
        return match (&r.says, &r.file, &r.at) {
            (Some(says), None, None) => Some(Source::Doc {
                url: url.clone(),
                says: says.clone(),
            }),
            _ => bad(cx, "a doc source has `doc` and `says`"),
        };
    }
    match (&r.assumption, &r.says, &r.file, &r.at) {
        (Some(why), None, None, None) if !why.trim().is_empty() => {
            Some(Source::Assumption(why.clone()))
        }
        _ => bad(cx, "an assumption has `assumption: why` alone"),
    }
}

/// The rules a profile states, and where each is stated.
fn stated_rules(
    cx: &Cx<'_>,
    retry: &RetryPolicy,
    rules: &HeaderRules,
    pending: bool,
) -> Vec<(Rule, At)> {
    let top = cx.layers.len() - 1;
    let sec = |f: &dyn Fn(&RawProfile) -> Option<Pos>| -> At {
        cx.layers
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, l)| f(&l.raw).map(|(a, b)| (i, a, b)))
            .unwrap_or((top, Some(1), Some(1)))
    };
    let loc = |s: &dyn Fn(&RawProfile) -> Option<Pos>| sec(s);
    let delivery = |f: fn(&RawDelivery) -> Option<Pos>| {
        loc(&move |r: &RawProfile| {
            r.delivery
                .as_ref()
                .map(|d| f(&d.value).unwrap_or((line(d), col(d))))
        })
    };
    let mut out = vec![
        (
            Rule::Version,
            loc(&|r| r.version.as_ref().map(|v| (line(v), col(v)))),
        ),
        (
            Rule::Body,
            loc(&|r| r.envelope.as_ref().map(|v| (line(v), col(v)))),
        ),
        (
            Rule::BodyBytes,
            loc(&|r| r.envelope.as_ref().map(|v| (line(v), col(v)))),
        ),
        (
            Rule::Headers,
            loc(&|r| r.headers.as_ref().map(|v| (line(v), col(v)))),
        ),
        (
            Rule::Signature,
            loc(&|r| r.signature.as_ref().map(|v| (line(v), col(v)))),
        ),
        (
            Rule::Secret,
            loc(&|r| {
                r.secret
                    .as_ref()
                    .or(None)
                    .map(|v| (line(v), col(v)))
                    .or_else(|| r.signature.as_ref().map(|v| (line(v), col(v))))
            }),
        ),
        (
            Rule::Attempts,
            delivery(|d| Some((line(&d.attempts), col(&d.attempts)))),
        ),
        (
            Rule::Timeout,
            delivery(|d| Some((line(&d.timeout), col(&d.timeout)))),
        ),
        (
            Rule::RetryOn,
            delivery(|d| Some((line(&d.retry_on), col(&d.retry_on)))),
        ),
        (
            Rule::Events,
            loc(&|r| r.catalogue.as_ref().map(|v| (line(v), col(v)))),
        ),
    ];
    if retry.attempts > 1 {
        out.push((
            Rule::Waits,
            delivery(|d| {
                d.waits
                    .as_ref()
                    .map(|w| (line(w), col(w)))
                    .or_else(|| d.initial_wait.as_ref().map(|w| (line(w), col(w))))
            }),
        ));
    }
    if !rules.protected.is_empty() || rules.limits.is_some() {
        out.push((
            Rule::CustomHeaders,
            loc(&|r| r.custom_headers.as_ref().map(|v| (line(v), col(v)))),
        ));
    }
    if retry.jitter_percent > 0 {
        out.push((
            Rule::Jitter,
            delivery(|d| d.jitter_percent.as_ref().map(|v| (line(v), col(v)))),
        ));
    }
    if retry.overload.is_some() {
        out.push((
            Rule::Overload,
            delivery(|d| d.overload.as_ref().map(|v| (line(v), col(v)))),
        ));
    }
    if retry.retry_after.honoured() {
        out.push((
            Rule::RetryAfter,
            delivery(|d| d.retry_after.as_ref().map(|v| (line(v), col(v)))),
        ));
    }
    if retry.max_redirects > 0 {
        out.push((
            Rule::Redirects,
            delivery(|d| d.max_redirects.as_ref().map(|v| (line(v), col(v)))),
        ));
    }
    if retry.resend_quick_connection_error.is_some() {
        out.push((
            Rule::Resend,
            delivery(|d| {
                d.resend_connection_error_within
                    .as_ref()
                    .map(|v| (line(v), col(v)))
            }),
        ));
    }
    if !retry.disable_on.is_empty() {
        out.push((
            Rule::Disable,
            delivery(|d| d.disable_on.as_ref().map(|v| (line(v), col(v)))),
        ));
    }
    if retry.stop_header.is_some() {
        out.push((
            Rule::Stop,
            delivery(|d| d.stop_header.as_ref().map(|v| (line(v), col(v)))),
        ));
    }
    if pending {
        out.push((
            Rule::Status,
            delivery(|d| d.pending_status.as_ref().map(|v| (line(v), col(v)))),
        ));
    }
    out
}

/// Builds one body per event from its own data and checks it against the event's schema.
fn check_catalogue(cx: &mut Cx<'_>, p: &Profile, event_at: &EventAt) {
    let endpoint = Endpoint {
        data_in_payload: true,
        ..Endpoint::default()
    };
    let mut specs: Vec<&EventSpec> = p.catalogue.iter().collect();
    for v in p.api_versions.iter().skip(1) {
        specs.extend(v.catalogue.iter());
    }
    let other_name = "hookrig.example";
    if let Some(o) = &p.other {
        specs.push(o);
    }
    for spec in specs {
        let ty = if spec.name.is_empty() {
            other_name
        } else {
            spec.name.as_str()
        };
        let where_ = event_at
            .iter()
            .find(|(n, _)| *n == spec.name)
            .map(|(_, a)| *a)
            .unwrap_or((cx.layers.len() - 1, None, None));
        let label = if spec.name.is_empty() {
            "catalogue.other".to_owned()
        } else {
            format!("catalogue `{}`", spec.name)
        };
        let mut rng = crate::rng::RunRng::new(0);
        let data = match spec.data(
            &p.program,
            ty,
            Duration::from_secs(crate::clock::SIM_EPOCH_UNIX as u64),
            &mut rng,
        ) {
            Ok(d) => d,
            Err(e) => {
                cx.err(where_, format!("{label}: generating its data fails: {e}"));
                continue;
            }
        };
        let ids = p.new_ids(&mut rng);
        let req = match p.build_request(
            &endpoint,
            ty,
            &data,
            &ids,
            Duration::from_secs(crate::clock::SIM_EPOCH_UNIX as u64),
        ) {
            Ok(r) => r,
            Err(e) => {
                cx.err(
                    where_,
                    format!("{label}: its data does not make a request: {e}"),
                );
                continue;
            }
        };
        let body = match p.decode_body(&req.body) {
            Ok(b) => b,
            Err(e) => {
                cx.err(where_, format!("{label}: {e}"));
                continue;
            }
        };
        let Ok(validator) = jsonschema::validator_for(&spec.schema) else {
            continue;
        };
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .take(3)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        if !errors.is_empty() {
            cx.err(
                where_,
                format!(
                    "{label}: the body built from its data breaks its own schema: {}",
                    errors.join("; ")
                ),
            );
        }
    }
}

/// The scenario shorthand keys (`attempts`, `waits`, `timeout`, …), from every layer, the
/// later winning, applied to the compiled delivery rules.
fn apply_shorthands(cx: &mut Cx<'_>, p: &mut Profile) {
    macro_rules! pick {
        ($f:ident) => {
            cx.pick(|r| r.$f.as_ref()).map(|(l, v)| (l, v))
        };
    }
    let attempts = pick!(attempts).map(|(l, v)| (at(l, v), v.value));
    let waits = pick!(waits).map(|(l, v)| {
        (
            l,
            v.value
                .iter()
                .map(|w| (at(l, w), w.value.clone()))
                .collect::<Vec<_>>(),
            at(l, v),
        )
    });
    let initial = pick!(initial_wait).map(|(l, v)| (at(l, v), v.value.clone()));
    let max = pick!(max_wait).map(|(l, v)| (at(l, v), v.value.clone()));
    let timeout = pick!(timeout).map(|(l, v)| (at(l, v), v.value.clone()));
    let retry_on = pick!(retry_on).map(|(l, v)| (at(l, v), v.value.clone()));
    let redirects = pick!(max_redirects).map(|(l, v)| (at(l, v), v.value));
    let honour = pick!(honour_retry_after).map(|(_, v)| v.value);
    let gone = pick!(disable_on_410).map(|(_, v)| v.value);
    let jitter = pick!(jitter_percent).map(|(l, v)| (at(l, v), v.value));
    let r = &mut p.retry;
    if let Some((a, n)) = attempts {
        if (1..=MAX_ATTEMPTS).contains(&n) {
            r.attempts = n as u32;
        } else {
            cx.err(
                a,
                format!("attempts: {n} is out of range (1 to {MAX_ATTEMPTS})"),
            );
        }
    }
    if let Some((ws, wat)) = waits.map(|(_, ws, a)| (ws, a)) {
        let table: Vec<Duration> = ws
            .iter()
            .filter_map(|(a, w)| cx.duration(*a, "waits", w))
            .collect();
        if ws.is_empty() {
            cx.err(wat, "waits: give at least one wait");
        }
        r.backoff = Backoff::Table(table);
    }
    if initial.is_some() || max.is_some() {
        let (mut i0, mut cap) = match &r.backoff {
            Backoff::Exponential { initial, cap } => (*initial, *cap),
            Backoff::Table(t) => (t.first().copied().unwrap_or_default(), r.max_wait()),
        };
        if let Some((a, i)) = &initial {
            i0 = cx.duration(*a, "initial_wait", i).unwrap_or(i0);
        }
        if let Some((a, m)) = &max {
            cap = cx.duration(*a, "max_wait", m).unwrap_or(cap);
        }
        r.backoff = Backoff::Exponential { initial: i0, cap };
    }
    if let Some((a, t)) = timeout
        && let Some(d) = cx.duration(a, "timeout", &t)
    {
        if d.is_zero() {
            cx.err(a, "timeout: must be more than 0s");
        }
        r.timeout = d;
    }
    if let Some((a, v)) = retry_on {
        match v.as_str() {
            "any_failure" => r.retry_on = RetryOn::AnyFailure,
            "server_errors" => r.retry_on = RetryOn::ServerErrors,
            other => cx.err(
                a,
                format!(
                    "retry_on: {}",
                    choice_error("value", other, &["any_failure", "server_errors"])
                ),
            ),
        }
    }
    if let Some((a, m)) = redirects {
        if (0..=20).contains(&m) {
            r.max_redirects = m as u8;
            if m > 0 && r.redirect_statuses.is_empty() {
                r.redirect_statuses = REDIRECT_STATUSES.to_vec();
            }
        } else {
            cx.err(a, format!("max_redirects: {m} is out of range (0 to 20)"));
        }
    }
    if let Some(b) = honour {
        match (b, r.retry_after.honoured()) {
            (false, _) => r.retry_after = RetryAfter::Ignored,
            (true, false) => r.retry_after = RetryAfter::standard(),
            (true, true) => {}
        }
    }
    if let Some((a, j)) = jitter {
        if (0..=100).contains(&j) {
            r.jitter_percent = j as u8;
        } else {
            cx.err(a, format!("jitter_percent: {j} is out of range (0 to 100)"));
        }
    }
    if let Some(b) = gone {
        r.disable_on.retain(|s| *s != 410);
        if b {
            r.disable_on.push(410);
        }
    }
}
