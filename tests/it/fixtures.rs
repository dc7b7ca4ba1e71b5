//! `hookrig fixtures` and `hookrig::fixtures`: the committed `fixtures/` folder matches the
//! code, every fixture is valid under its event's schema and verifies at its own
//! timestamp, variants are deterministic by seed, the proptest strategy keeps the same
//! promises, and bad input writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hookrig::ExitStatus;
use hookrig::fixtures::{self, Fixture, Generator, arb_event};
use hookrig::profile::{self, Profile};
use hookrig::signing::{KeyReading, Verdict};
use proptest::prelude::*;
use serde_json::Value;

use crate::utils::{Scratch, assert_contains, hookrig};

/// The command that regenerates the committed folder (run from the repository root).
const REGENERATE: &str = "cargo run -- fixtures --all --count 3";

fn repo_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every file under `root`, by path relative to it.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// `hookrig fixtures ARGS… --out DIR`, which must succeed.
fn generate(out: &Path, args: &[&str]) {
    let mut argv: Vec<String> = vec!["fixtures".into()];
    argv.extend(args.iter().map(|s| s.to_string()));
    argv.extend(["--out".into(), out.display().to_string()]);
    let o = hookrig(argv);
    assert_eq!(o.status, ExitStatus::Success, "{}", o.both());
}

/// `hookrig fixtures ARGS…`, which must fail with exit 2; returns stderr.
fn refused(args: &[&str]) -> String {
    let mut argv = vec!["fixtures".to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let o = hookrig(argv);
    assert_eq!(o.status, ExitStatus::BadInput, "{}", o.both());
    assert_contains(&o.stderr, "no fixtures were written");
    o.stderr
}

/// Every request file (example and variants) a profile folder's index lists, with the
/// schema file it belongs to.
fn listed(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let mut out = Vec::new();
    for e in index["events"].as_array().unwrap() {
        let schema = dir.join(e["schema"].as_str().unwrap());
        out.push((dir.join(e["request"].as_str().unwrap()), schema.clone()));
        for v in e["variants"].as_array().unwrap() {
            out.push((dir.join(v["file"].as_str().unwrap()), schema.clone()));
        }
    }
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("the schema compiles")
}

/// Compiled schema files, by path.
#[derive(Default)]
struct Schemas(std::collections::HashMap<PathBuf, jsonschema::Validator>);

impl Schemas {
    fn get(&mut self, path: &Path) -> &jsonschema::Validator {
        self.0
            .entry(path.to_owned())
            .or_insert_with(|| compile(&read_json(path)))
    }
}

fn violations(validator: &jsonschema::Validator, body: &Value) -> Vec<String> {
    validator
        .iter_errors(body)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Checks one fixture: its raw body decodes to `body_json`, which the schema accepts, and
/// its signature verifies at its own time with its own secret (Crawl4AI: none to check).
fn check_fixture(f: &Fixture, schema: &jsonschema::Validator, label: &str) {
    let p = profile::builtin(&f.profile).unwrap();
    assert_eq!(
        p.decode_body(f.body.as_bytes()).as_ref(),
        Ok(&f.body_json),
        "{label}: body_json is not the body"
    );
    let bad = violations(schema, &f.body_json);
    assert!(bad.is_empty(), "{label} breaks its schema: {bad:?}");
    let expected = if !p.scheme.signs() {
        Verdict::Absent
    } else {
        Verdict::Valid
    };
    assert_eq!(f.verify(), expected, "{label}");
    let secrets: Vec<String> = f.secret.iter().cloned().collect();
    assert_eq!(
        p.scheme
            .verify(&secrets, &f.header_list(), f.body.as_bytes(), f.signed_at()),
        expected,
        "{label}: the scheme verifies at the fixture's timestamp"
    );
}

#[test]
fn the_committed_fixtures_match_what_the_code_generates() {
    let scratch = Scratch::new();
    generate(scratch.path(), &["--all", "--count", "3"]);
    let fresh = tree(scratch.path());
    let committed: BTreeMap<String, Vec<u8>> = tree(&repo_fixtures())
        .into_iter()
        .filter(|(k, _)| {
            profile::BUILTIN_NAMES
                .iter()
                .any(|p| k.starts_with(&format!("{p}/")))
        })
        .collect();
    let mut drift = Vec::new();
    for (name, bytes) in &fresh {
        match committed.get(name) {
            None => drift.push(format!("missing: fixtures/{name}")),
            Some(b) if b != bytes => drift.push(format!("differs: fixtures/{name}")),
            Some(_) => {}
        }
    }
    for name in committed.keys().filter(|k| !fresh.contains_key(*k)) {
        drift.push(format!("not generated any more: fixtures/{name}"));
    }
    assert!(
        drift.is_empty(),
        "fixtures/ is out of date with the code ({} file(s)):\n  {}\nregenerate it from the repository root with:\n  {REGENERATE}",
        drift.len(),
        drift
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

#[test]
fn every_committed_fixture_is_valid_under_its_schema_and_verifies_at_its_timestamp() {
    let mut checked = 0;
    let mut schemas = Schemas::default();
    for name in profile::BUILTIN_NAMES {
        let dir = repo_fixtures().join(name);
        let files = listed(&dir);
        let p = profile::builtin(name).unwrap();
        assert_eq!(
            files.len(),
            p.catalogue.len() * 4,
            "{name}: an example and 3 variants per event"
        );
        for (file, schema) in files {
            let f = Fixture::load(&file).unwrap();
            assert_eq!(f.timestamp, fixtures::DEFAULT_TIMESTAMP);
            assert_eq!(f.secret.as_deref(), fixtures::default_secret(&p));
            check_fixture(&f, schemas.get(&schema), &file.display().to_string());
            assert_eq!(
                p.body_schema(&f.event_type).as_ref(),
                Some(&read_json(&schema)),
                "{}: the schema file is the catalogue's",
                schema.display()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, (17 + 4 + 15 + 5 + 5 + 5 + 5 + 4 + 4 + 2) * 4);
}

#[test]
fn a_fixture_is_rejected_when_tampered_with_or_judged_long_after_its_timestamp() {
    for p in profile::builtins().into_iter().filter(|p| p.scheme.signs()) {
        let event = p.catalogue[0].name.as_str();
        let f = Generator::new(&p).example(event, 1).unwrap();
        let secrets = vec![f.secret.clone().unwrap()];
        let mut tampered = f.body.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] ^= 1;
        assert!(
            matches!(
                p.scheme
                    .verify(&secrets, &f.header_list(), &tampered, f.signed_at()),
                Verdict::Invalid(_)
            ),
            "{}: a changed body must not verify",
            p.name
        );
        let wrong = match &p.scheme.key {
            KeyReading::Base64 { prefix } => format!("{prefix}aG9va3JpZy13cm9uZy1zZWNyZXQ="),
            _ => "wrong".to_string(),
        };
        assert!(matches!(
            p.scheme
                .verify(&[wrong], &f.header_list(), f.body.as_bytes(), f.signed_at()),
            Verdict::Invalid(_)
        ));
        if let Some(past) = p.scheme.tolerance.and_then(|t| t.past) {
            let late = f.signed_at() + past + Duration::from_secs(1);
            assert!(
                matches!(
                    p.scheme
                        .verify(&secrets, &f.header_list(), f.body.as_bytes(), late),
                    Verdict::Invalid(_)
                ),
                "{}: judged 301 s late",
                p.name
            );
        }
    }
}

#[test]
fn the_same_seed_writes_the_same_files_and_other_seeds_differ() {
    let (a, b, c) = (Scratch::new(), Scratch::new(), Scratch::new());
    for s in [&a, &b] {
        generate(s.path(), &["--all", "--count", "5", "--seed", "7"]);
    }
    generate(c.path(), &["--all", "--count", "5", "--seed", "8"]);
    let (ta, tb, tc) = (tree(a.path()), tree(b.path()), tree(c.path()));
    assert_eq!(ta, tb, "the same seed must give byte-identical files");
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        tc.keys().collect::<Vec<_>>(),
        "the layout does not depend on the seed"
    );
    for (name, bytes) in &ta {
        if name.ends_with(".schema.json") {
            assert_eq!(
                bytes, &tc[name],
                "{name}: schemas do not depend on the seed"
            );
        } else {
            assert_ne!(bytes, &tc[name], "{name}: seeds 7 and 8 gave the same file");
        }
    }
}

#[test]
fn variants_are_deterministic_and_differ_between_seeds_in_the_library_too() {
    for p in profile::builtins() {
        let g = Generator::new(&p);
        for spec in p.catalogue.iter() {
            for n in 1..=4 {
                let a = g.variant(&spec.name, 11, n).unwrap();
                assert_eq!(
                    a,
                    g.variant(&spec.name, 11, n).unwrap(),
                    "{} {}",
                    p.name,
                    &spec.name
                );
                assert_ne!(a.body, g.variant(&spec.name, 12, n).unwrap().body);
                assert_eq!(a.variant, Some(n));
            }
        }
    }
}

/// The words each kind of edge value is described with.
const EDGE_KINDS: &[&str] = &[
    "non-ASCII text",
    "empty string",
    "empty array",
    "long array",
    "big number",
    "negative number",
    "another allowed value",
    "optional field absent",
    "extra field",
];

#[test]
fn many_variants_are_all_valid_and_cover_every_kind_of_edge_value() {
    let scratch = Scratch::new();
    generate(scratch.path(), &["--all", "--count", "40", "--seed", "3"]);
    let mut seen = BTreeSet::new();
    let mut schemas = Schemas::default();
    let mut variants = 0;
    for name in profile::BUILTIN_NAMES {
        for (file, schema) in listed(&scratch.path().join(name)) {
            let f = Fixture::load(&file).unwrap();
            check_fixture(&f, schemas.get(&schema), &file.display().to_string());
            if f.variant.is_some() {
                variants += 1;
                assert!(
                    !f.edge_cases.is_empty(),
                    "{}: a variant without edge values",
                    file.display()
                );
            }
            for e in &f.edge_cases {
                assert!(e.starts_with('/'), "{e}: not a JSON Pointer into the body");
                let kind = EDGE_KINDS.iter().find(|k| e.contains(*k));
                seen.insert(*kind.unwrap_or_else(|| panic!("unknown edge case {e}")));
            }
        }
    }
    assert_eq!(variants, (51 + 15) * 40);
    assert_eq!(seen.len(), EDGE_KINDS.len(), "kinds seen: {seen:?}");
}

#[test]
fn each_edge_case_points_at_its_edge_value_in_the_body() {
    let mut checked = 0;
    for p in profile::builtins() {
        let g = Generator::new(&p);
        for spec in p.catalogue.iter() {
            for n in 1..=12 {
                let f = g.variant(&spec.name, 5, n).unwrap();
                for e in &f.edge_cases {
                    let (pointer, what) = e.split_once(": ").unwrap();
                    let at = f.body_json.pointer(pointer);
                    let label = format!("{} {}: {e}", p.name, &spec.name);
                    if what == "optional field absent" {
                        assert_eq!(at, None, "{label}");
                        let parent = &pointer[..pointer.rfind('/').unwrap()];
                        assert!(f.body_json.pointer(parent).is_some(), "{label}");
                    } else if let Some(v) = what
                        .strip_prefix("big number ")
                        .or_else(|| what.strip_prefix("negative number "))
                        .or_else(|| what.strip_prefix("another allowed value "))
                    {
                        let v: Value = serde_json::from_str(v).unwrap();
                        assert_eq!(at, Some(&v), "{label}");
                    } else if what == "empty string" {
                        assert_eq!(at, Some(&Value::from("")), "{label}");
                    } else if what == "empty array" {
                        assert_eq!(at, Some(&Value::Array(Vec::new())), "{label}");
                    } else if what.starts_with("long array") {
                        assert_eq!(
                            at.and_then(Value::as_array).map(Vec::len),
                            Some(50),
                            "{label}"
                        );
                    } else if what.starts_with("non-ASCII text") {
                        assert!(
                            at.and_then(Value::as_str).is_some_and(|t| !t.is_ascii()),
                            "{label}"
                        );
                    } else {
                        assert!(what.starts_with("extra field"), "{label}");
                        assert!(at.is_some(), "{label}");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 51 * 12, "{checked}");
}

#[test]
fn http_files_carry_the_same_signed_request() {
    let (json, http) = (Scratch::new(), Scratch::new());
    generate(
        json.path(),
        &["--profile", "standard-webhooks", "--count", "2"],
    );
    generate(
        http.path(),
        &[
            "--profile",
            "standard-webhooks",
            "--count",
            "2",
            "--format",
            "http",
        ],
    );
    let dir = http.path().join("standard-webhooks");
    let index = read_json(&dir.join("index.json"));
    assert_eq!(index["format"], "http");
    for (file, _) in listed(&dir) {
        assert_eq!(file.extension().unwrap(), "http");
        let text = std::fs::read_to_string(&file).unwrap();
        let (head, body) = text.split_once("\n\n").unwrap();
        let mut lines = head.lines().skip_while(|l| l.starts_with('#'));
        assert_eq!(lines.next(), Some("POST {{url}}"));
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (k, v) = l.split_once(": ").unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let twin = json.path().join("standard-webhooks").join(
            file.file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".http", ".json"),
        );
        let f = Fixture::load(&twin).unwrap();
        assert_eq!(
            body,
            f.body,
            "{}: the body, to the byte, no line break after",
            file.display()
        );
        assert_eq!(headers, f.headers);
        assert_contains(
            head,
            "# signed at 2025-01-01T00:00:00.000Z (unix 1735689600)",
        );
    }
}

#[test]
fn a_secret_and_a_timestamp_can_be_chosen() {
    let scratch = Scratch::new();
    let secret = "whsec_aG9va3JpZy1jdXN0b20tc2VjcmV0LWZvci10ZXN0cw==";
    generate(
        scratch.path(),
        &[
            "--profile",
            "standard-webhooks",
            "--event",
            "invoice.paid",
            "--secret",
            secret,
            "--timestamp",
            "1700000000",
        ],
    );
    let dir = scratch.path().join("standard-webhooks");
    let f = Fixture::load(&dir.join("invoice.paid.json")).unwrap();
    assert_eq!(
        (f.secret.as_deref(), f.timestamp),
        (Some(secret), 1_700_000_000)
    );
    assert_eq!(f.header("webhook-timestamp"), Some("1700000000"));
    assert_eq!(f.verify(), Verdict::Valid);
    let index = read_json(&dir.join("index.json"));
    assert_eq!(index["default_secret"], false);
    assert_eq!(
        index["generated_by"],
        format!(
            "hookrig fixtures --profile standard-webhooks --event invoice.paid --secret '{secret}' --timestamp 1700000000"
        )
    );
    assert_eq!(
        tree(&dir).len(),
        3,
        "index, request and schema of one event"
    );
}

#[test]
fn a_chosen_timestamp_moves_the_events_own_time_fields_with_the_signature() {
    // 2027-01-15T08:00:00Z: the event happened when it was signed, so the data's own
    // times (Extend's createdAt/updatedAt, Crawl4AI's LLM task id) follow it as well.
    let scratch = Scratch::new();
    for profile in ["extend", "crawl4ai"] {
        generate(
            scratch.path(),
            &["--profile", profile, "--timestamp", "1800000000"],
        );
    }

    let extend = Fixture::load(&scratch.path().join("extend/workflow_run.completed.json")).unwrap();
    let crawl = Fixture::load(
        &scratch
            .path()
            .join("crawl4ai/llm_extraction.completed.json"),
    )
    .unwrap();

    let run = &extend.body_json["payload"];
    assert_eq!(run["updatedAt"], "2027-01-15T08:00:00.000Z", "{run}");
    assert_eq!(run["createdAt"], "2027-01-15T07:58:12.417Z", "{run}");
    assert_eq!(extend.verify(), Verdict::Valid);
    let task: i64 = crawl.body_json["task_id"]
        .as_str()
        .and_then(|t| t.strip_prefix("llm_"))
        .and_then(|t| t.split('_').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{}", crawl.body_json));
    assert!(
        (1_800_000_000 - 3600..=1_800_000_000).contains(&task),
        "the LLM task was created in the hour before the event, not at {task}"
    );
    for dir in ["extend", "crawl4ai"] {
        for (rel, bytes) in tree(&scratch.path().join(dir)) {
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                !text.contains("2025-01-01T") && !text.contains("2024-12-31T23"),
                "{dir}/{rel} still carries a time of the default event time (dates inside the documents, such as a statement's period, stay)"
            );
        }
    }
}

/// Whether a body or header value says when something happened: RFC 3339 text anywhere,
/// or, under a key named like a time (`created`, `*_at`, `updatedAt`, `ts`, …), Unix
/// seconds or milliseconds as a number or as digits (Slack's `"1735689600.000016"`).
fn looks_like_a_time(key: &str, value: &Value) -> bool {
    fn rfc3339(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() >= 19
            && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
                .iter()
                .all(|&i| b[i].is_ascii_digit())
            && (b[4], b[7], b[10], b[13], b[16]) == (b'-', b'-', b'T', b':', b':')
    }
    fn unix(n: f64) -> bool {
        (1e9..1e10).contains(&n) || (1e12..1e13).contains(&n)
    }
    let lower = key.to_ascii_lowercase();
    let named = ["_at", "_ts", "_time", "_date", "_start", "_end", "_anchor"]
        .iter()
        .any(|end| lower.ends_with(end))
        || ["At", "Time", "Date"].iter().any(|end| key.ends_with(end))
        || matches!(
            lower.as_str(),
            "created" | "updated" | "timestamp" | "time" | "date" | "ts" | "start" | "end"
        );
    match value {
        Value::String(s) => {
            rfc3339(s)
                || (named
                    && s.bytes().all(|c| c.is_ascii_digit() || c == b'.')
                    && s.parse::<f64>().is_ok_and(unix))
        }
        Value::Number(n) => named && n.as_f64().is_some_and(unix),
        _ => false,
    }
}

/// `s` with every run of exactly ten digits (Unix seconds, 2001 to 2286) written `<t>`.
fn mask_unix_seconds(s: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in s.chars().chain(['\0']) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        out.push_str(if digits.len() == 10 { "<t>" } else { &digits });
        digits.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// Every leaf of `v` by JSON Pointer, with the key it sits under.
fn leaves(v: &Value) -> BTreeMap<String, (String, Value)> {
    fn walk(v: &Value, at: String, key: &str, out: &mut BTreeMap<String, (String, Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    walk(x, format!("{at}/{k}"), k, out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{at}/{i}"), key, out);
                }
            }
            leaf => {
                out.insert(at, (key.to_owned(), leaf.clone()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(v, String::new(), "", &mut out);
    out
}

#[test]
fn every_time_in_every_built_in_profiles_example_data_moves_with_the_timestamp() {
    // The same seed at two timestamps, 2025-01-01 and 2030-03-17: the ids and data are the
    // same draws, so only the times and the signatures over them may differ — and every
    // value that says when something happened must, or a receiver's test replaying
    // `--timestamp "$(date +%s)"` would see a body time the event never had.
    let (later, seed) = (1_900_000_000, 24301);
    let mut fixed = Vec::new();
    let mut moved = 0;
    for p in profile::builtins() {
        let at_default = Generator::new(&p);
        let at_later = Generator::new(&p).at(later).unwrap();
        let signature = p.scheme.signature_header().map(str::to_ascii_lowercase);
        for spec in p.catalogue.iter() {
            let label = format!("{} {}", p.name, spec.name);

            let a = at_default.example(&spec.name, seed).unwrap();
            let b = at_later.example(&spec.name, seed).unwrap();

            let (la, lb) = (leaves(&a.body_json), leaves(&b.body_json));
            assert_eq!(
                la.keys().collect::<Vec<_>>(),
                lb.keys().collect::<Vec<_>>(),
                "{label}: the body's shape changed with the timestamp"
            );
            for (ptr, (key, va)) in &la {
                let vb = &lb[ptr].1;
                if looks_like_a_time(key, va) {
                    if va == vb {
                        fixed.push(format!("{label}: body {ptr} = {va}"));
                    } else {
                        moved += 1;
                    }
                } else {
                    // A time may sit inside an id (Crawl4AI's `llm_1735688362_37712`).
                    let masked = |v: &Value| match v {
                        Value::String(t) => Value::String(mask_unix_seconds(t)),
                        other => other.clone(),
                    };
                    assert_eq!(
                        masked(va),
                        masked(vb),
                        "{label}: body {ptr} is no time, yet it changed with the timestamp"
                    );
                }
            }
            let names = |f: &Fixture| f.headers.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
            assert_eq!(names(&a), names(&b), "{label}: the header set changed");
            for ((name, va), (_, vb)) in a.headers.iter().zip(&b.headers) {
                let lower = name.to_ascii_lowercase();
                let signs = Some(&lower) == signature.as_ref()
                    || lower.contains("signature")
                    || lower.contains("hmac");
                let time = looks_like_a_time("timestamp", &Value::String(va.clone()));
                if time && va == vb {
                    fixed.push(format!("{label}: header {name}: {va}"));
                } else if !time && !signs {
                    assert_eq!(
                        va, vb,
                        "{label}: header {name} is neither a time nor a signature, yet it changed"
                    );
                }
            }
            let signed = if p.scheme.signs() {
                Verdict::Valid
            } else {
                Verdict::Absent
            };
            assert_eq!(b.verify(), signed, "{label} at {later}");
        }
    }
    assert!(
        fixed.is_empty(),
        "times that stay put when --timestamp moves (write them with `time` in the profile's catalogue, as docs/profile-format.md says):\n{}",
        fixed.join("\n")
    );
    assert!(
        moved > 50,
        "only {moved} body times were found to move: the check lost its reach"
    );
}

#[test]
fn an_open_catalogue_takes_any_event_name_with_the_generic_schema() {
    let scratch = Scratch::new();
    let o = hookrig([
        "fixtures",
        "--profile",
        "standard-webhooks",
        "--event",
        "user.creatd",
        "--count",
        "2",
        "--out",
        &scratch.path().display().to_string(),
    ]);
    assert_eq!(o.status, ExitStatus::Success, "{}", o.both());
    assert_contains(&o.stderr, "did you mean `user.created`?");
    let f = Fixture::load(
        &scratch
            .path()
            .join("standard-webhooks/user.creatd.variant-1.json"),
    )
    .unwrap();
    assert_eq!(f.body_json["type"], "user.creatd");
    assert_eq!(f.verify(), Verdict::Valid);
}

#[test]
fn regenerating_replaces_the_folder_so_stale_files_go() {
    let scratch = Scratch::new();
    generate(
        scratch.path(),
        &["--profile", "perfectparser", "--count", "3"],
    );
    generate(
        scratch.path(),
        &["--profile", "perfectparser", "--count", "1"],
    );
    let names: Vec<String> = tree(scratch.path()).into_keys().collect();
    assert!(
        names.iter().all(|n| !n.contains(".variant-2.")),
        "{names:?}"
    );
    assert_eq!(names.len(), 5 * 3 + 1);
    let leftovers: Vec<_> = std::fs::read_dir(scratch.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers,
        ["perfectparser"],
        "no staging folders left behind"
    );
}

/// Names of everything under `dir`, to show that a refused command wrote nothing.
fn listing(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = tree(dir).into_keys().collect();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        out.push(format!("{}/", e.file_name().to_string_lossy()));
    }
    out.sort();
    out
}

#[test]
fn bad_input_is_exit_2_with_a_hint_and_writes_nothing() {
    let scratch = Scratch::new();
    let out = scratch.path().join("out");
    let o = out.display().to_string();
    let e = refused(&["--profile", "llamacloude", "--out", &o]);
    assert_contains(
        &e,
        "unknown profile `llamacloude`: did you mean `llamacloud`?",
    );
    let e = refused(&[
        "--profile",
        "llamacloud",
        "--event",
        "parse.sucess",
        "--out",
        &o,
    ]);
    assert_contains(
        &e,
        "profile `llamacloud` has no event type `parse.sucess`: did you mean `parse.success`?",
    );
    for n in ["0", "1001", "99999999"] {
        let e = refused(&["--profile", "extend", "--count", n, "--out", &o]);
        assert_contains(
            &e,
            &format!("--count must be between 1 and 1000 variants per event, got {n}"),
        );
    }
    let e = refused(&["--profile", "crawl4ai", "--secret", "s3cret", "--out", &o]);
    assert_contains(&e, "crawl4ai does not sign its webhooks");
    let e = refused(&[
        "--profile",
        "standard-webhooks",
        "--secret",
        "not base64!",
        "--out",
        &o,
    ]);
    assert_contains(&e, "secret: a whsec_ secret must be base64");
    let e = refused(&[
        "--profile",
        "standard-webhooks",
        "--event",
        "../escape",
        "--out",
        &o,
    ]);
    assert_contains(&e, "cannot name a fixture file");
    let e = refused(&["--profile", "extend", "--timestamp=-5", "--out", &o]);
    assert_contains(&e, "timestamp -5 is out of range");
    assert!(!out.exists(), "a refused command created {}", out.display());
}

#[test]
fn an_unwritable_output_folder_is_exit_2_and_leaves_nothing_behind() {
    let scratch = Scratch::new();
    let file = scratch.file("a-file", "not a folder\n");
    let before = listing(scratch.path());
    let e = refused(&["--all", "--out", &file.join("sub").display().to_string()]);
    assert_contains(
        &e,
        &format!("cannot write fixtures to {}", file.join("sub").display()),
    );
    let e = refused(&["--profile", "extend", "--out", &file.display().to_string()]);
    assert_contains(&e, "cannot write fixtures to");
    assert_eq!(listing(scratch.path()), before);
}

#[test]
fn a_folder_hookrig_did_not_write_is_never_replaced() {
    let scratch = Scratch::new();
    scratch.file("extend/handler.py", "print('mine')\n");
    let before = listing(scratch.path());
    let e = refused(&["--all", "--out", &scratch.path().display().to_string()]);
    assert_contains(&e, "was not written by `hookrig fixtures`");
    assert_eq!(listing(scratch.path()), before);
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("extend/handler.py")).unwrap(),
        "print('mine')\n"
    );
}

#[test]
fn the_flags_that_make_no_sense_together_are_refused_by_the_parser() {
    use clap::Parser as _;
    for argv in [
        vec!["hookrig", "fixtures"],
        vec!["hookrig", "fixtures", "--all", "--profile", "extend"],
        vec!["hookrig", "fixtures", "--all", "--event", "user.created"],
        vec!["hookrig", "fixtures", "--all", "--secret", "x"],
        vec![
            "hookrig",
            "fixtures",
            "--profile",
            "extend",
            "--format",
            "yaml",
        ],
    ] {
        assert!(
            hookrig::cmd::Cli::try_parse_from(&argv).is_err(),
            "{argv:?}"
        );
    }
}

fn strategy_checks(p: &Profile, event: &str) {
    let validator = compile(&p.body_schema(event).unwrap());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&arb_event(p, event), |f| {
            check_fixture(
                &f,
                &validator,
                &format!("{} {event} seed {}", p.name, f.seed),
            );
            prop_assert_eq!(f.event_type.as_str(), event);
            Ok(())
        })
        .unwrap();
}

#[test]
fn arb_event_gives_valid_signed_requests_for_every_event() {
    for p in profile::builtins() {
        for spec in p.catalogue.iter() {
            strategy_checks(&p, &spec.name);
        }
    }
}

#[test]
#[should_panic(expected = "did you mean `parse.success`?")]
fn arb_event_names_the_nearest_event_when_the_name_is_wrong() {
    let _ = arb_event(&profile::builtin("llamacloud").unwrap(), "parse.succes");
}
