//! Profile files: a built-in exported to a file replays every shipped scenario byte for
//! byte as the built-in does; a user's own file works wherever a profile is named
//! (`profile: ./file.yaml`, `{base: ./file.yaml, …}`, `--profile ./file.yaml`); and
//! `hookrig validate` checks profile files, test vectors included.

use std::path::Path;

use hookrig::ExitStatus;
use hookrig::profile::{self, BUILTIN_NAMES};

use crate::utils::{Scratch, assert_contains, hookrig, located};

/// Copies the repository's `scenarios/` folder under `to`.
fn copy_scenarios(to: &Path) {
    fn walk(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create folder");
        for e in std::fs::read_dir(from).expect("read folder") {
            let e = e.expect("entry");
            let target = to.join(e.file_name());
            if e.path().is_dir() {
                walk(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).expect("copy");
            }
        }
    }
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"), to);
}

/// Every scenario file under `dir`.
fn scenario_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read folder") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(scenario_files(&p));
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    out
}

/// `run --format json --seed 7 --journal` over `root/scenarios`, with `root` written as
/// `ROOT` so two copies of the suite compare.
fn run_suite(root: &Path) -> (String, String) {
    let journal = root.join("journal.jsonl");
    let out = hookrig([
        "run".into(),
        root.join("scenarios").into_os_string(),
        "--format".into(),
        "json".into(),
        "--seed".into(),
        "7".into(),
        "--journal".into(),
        journal.clone().into_os_string(),
    ]);
    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let root_s = root.display().to_string();
    let journal = std::fs::read_to_string(journal).expect("journal written");
    (
        out.stdout.replace(&root_s, "ROOT"),
        journal.replace(&root_s, "ROOT"),
    )
}

#[test]
fn every_shipped_scenario_replays_identically_with_its_profile_exported_to_a_file() {
    // Arrange: the suite twice; in the second, every scenario names the exported file of
    // its built-in instead of the built-in (plain names and `{base: …}` overrides alike).
    let scratch = Scratch::new();
    let (builtin_root, file_root) = (scratch.path().join("a"), scratch.path().join("b"));
    copy_scenarios(&builtin_root.join("scenarios"));
    copy_scenarios(&file_root.join("scenarios"));
    for name in BUILTIN_NAMES {
        let out = hookrig(["profiles", name, "--export"]);
        assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
        scratch.file(&format!("b/profiles/{name}.yaml"), &out.stdout);
    }
    let mut rewritten = 0;
    for file in scenario_files(&file_root.join("scenarios")) {
        let text = std::fs::read_to_string(&file).expect("read scenario");
        let mut new = String::new();
        for line in text.lines() {
            let mut l = line.to_owned();
            for name in BUILTIN_NAMES {
                let path = format!("../../profiles/{name}.yaml");
                for (from, to) in [
                    (format!("profile: {name}"), format!("profile: {path}")),
                    (format!("base: {name},"), format!("base: {path},")),
                ] {
                    if l.trim_start() == from || l.contains(&from) && from.starts_with("base") {
                        l = l.replace(&from, &to);
                        rewritten += 1;
                    }
                }
            }
            new.push_str(&l);
            new.push('\n');
        }
        std::fs::write(&file, new).expect("rewrite scenario");
    }
    assert!(
        rewritten >= 100,
        "only {rewritten} profile references rewritten"
    );

    // Act
    let (report_a, journal_a) = run_suite(&builtin_root);
    let (report_b, journal_b) = run_suite(&file_root);

    // Assert: the same report and the same journal (every request's headers and body).
    assert!(report_a.contains("\"failed\": 0") || report_a.contains("\"failed\":0"));
    assert_eq!(report_a, report_b);
    assert_eq!(journal_a, journal_b);
}

#[test]
fn profiles_export_prints_each_built_in_as_shipped() {
    for name in BUILTIN_NAMES {
        let out = hookrig(["profiles", name, "--export"]);

        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("profiles/{name}.yaml")),
        )
        .expect("the shipped file");
        assert_eq!(out.status, ExitStatus::Success);
        assert_eq!(out.stdout, shipped, "{name}");
    }
}

#[test]
fn an_unknown_name_to_export_is_exit_2_with_the_nearest() {
    let out = hookrig(["profiles", "stirpe", "--export"]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, "unknown profile `stirpe`");
}

/// A small profile of a made-up provider: a different signature, a custom schedule.
const ACME: &str = r#"name: acme
provider: Acme Pay (made up for a test)
version: none; a test profile
ids:
  id: "evt_{alnum(16)}"
envelope:
  body: {id: "{id}", kind: "{type}", at: "{unix(time)}", object: "{data}"}
headers:
  - Content-Type: application/json
  - Acme-Attempt: "{attempt}"
  - $custom
  - $signature
signature:
  algorithm: hmac-sha512
  key: hex
  signed: "{timestamp}\n{body}"
  encoding: base64
  header: Acme-Signature
  value: "ts={timestamp};{signatures}"
  each: "s={sig}"
  rotation: {join: ";"}
  tolerance: {past: 2m}
delivery:
  attempts: 3
  waits: [30s, 2m]
  timeout: 5s
  retry_on: any_failure
catalogue:
  events:
    - name: thing.made
      description: A thing was made.
      schema:
        type: object
        required: [id, kind, at, object]
        properties: {kind: {const: thing.made}}
      generate: {value: {thing: "th_{hex(6)}"}}
test_vectors:
  - source: {assumption: computed with Python's hmac for this test}
    secret: "00112233"
    timestamp: 1700000000
    body: "{}"
    expect:
      Acme-Signature: "ts=1700000000;s=VECTOR"
sources:
  version: [{assumption: a made-up provider}]
  body: [{assumption: a made-up provider}]
  body_bytes: [{assumption: a made-up provider}]
  headers: [{assumption: a made-up provider}]
  signature: [{assumption: a made-up provider}]
  secret: [{assumption: a made-up provider}]
  attempts: [{assumption: a made-up provider}]
  waits: [{assumption: a made-up provider}]
  timeout: [{assumption: a made-up provider}]
  retry_on: [{assumption: a made-up provider}]
  events: [{assumption: a made-up provider}]
"#;

/// base64 HMAC-SHA512(hex 00112233, "1700000000\n{}").
fn acme() -> String {
    use base64::Engine as _;
    let mac = hookrig::signing::hmac(
        hookrig::signing::Algorithm::Sha512,
        &[0x00, 0x11, 0x22, 0x33],
        &[b"1700000000\n{}"],
    );
    ACME.replace(
        "VECTOR",
        &base64::engine::general_purpose::STANDARD.encode(mac),
    )
}

#[test]
fn a_scenario_names_a_profile_file_and_its_rules_apply() {
    // Arrange: the profile beside the scenario, which fails twice then answers.
    let scratch = Scratch::new();
    scratch.file("acme.yaml", &acme());
    let scenario = scratch.file(
        "scenario.yaml",
        "name: acme retries on its own schedule, signed with its own scheme
profile: ./acme.yaml
endpoint: {secret: 0a0b0c0d}
events: [{type: thing.made}]
receiver: [{respond: 503}, {respond: 503}, {respond: 200}]
expect:
  outcome: delivered
  schedule: [0s, 30s, 2m 30s]
  signature: valid
  headers:
    present: [Acme-Signature]
    equal: {Content-Type: application/json}
  payload: {schema: event, match: {kind: thing.made}}
",
    );

    // Act: the folder holds the profile file too; it is checked, not run.
    let out = hookrig([
        "run".into(),
        scratch.path().as_os_str().to_owned(),
        "--format".into(),
        "json".into(),
    ]);
    let journal_out = scratch.path().join("j.jsonl");
    let again = hookrig([
        "run".into(),
        scenario.into_os_string(),
        "--journal".into(),
        journal_out.clone().into_os_string(),
    ]);

    // Assert
    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(out.json()["passed"], 1);
    assert_eq!(again.status, ExitStatus::Success, "{}", again.both());
    let journal = std::fs::read_to_string(journal_out).expect("journal");
    assert!(journal.contains("[\"acme-attempt\",\"3\"]"), "{journal}");
}

#[test]
fn a_profile_file_can_start_from_a_built_in_and_change_one_section() {
    let scratch = Scratch::new();
    scratch.file(
        "slow-llamacloud.yaml",
        "base: llamacloud\ndelivery: {attempts: 2, waits: [1m], timeout: 5s, retry_on: any_failure}\n",
    );
    let scenario = scratch.file(
        "s.yaml",
        "name: a based profile file
profile: ./slow-llamacloud.yaml
events: [{type: parse.success}]
receiver: [{respond: 500}]
expect: {outcome: exhausted, schedule: [0s, 1m]}
",
    );

    let out = hookrig([
        "run".into(),
        scenario.into_os_string(),
        "--format".into(),
        "json".into(),
    ]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let p = profile::load::load_file(&scratch.path().join("slow-llamacloud.yaml")).unwrap();
    assert_eq!(p.name, "llamacloud (overridden)");
    assert_eq!(p.retry.attempts, 2);
    assert_eq!(
        p.catalogue.len(),
        profile::builtin("llamacloud").unwrap().catalogue.len()
    );
}

#[test]
fn fixtures_and_profiles_take_a_profile_file() {
    let scratch = Scratch::new();
    let file = scratch.file("acme.yaml", &acme());
    let out_dir = scratch.path().join("out");

    let fixtures = hookrig([
        "fixtures".into(),
        "--profile".into(),
        file.clone().into_os_string(),
        "--out".into(),
        out_dir.clone().into_os_string(),
    ]);
    let described = hookrig(["profiles".into(), file.into_os_string()]);

    assert_eq!(fixtures.status, ExitStatus::Success, "{}", fixtures.both());
    let example = hookrig::fixtures::Fixture::load_with(
        &out_dir.join("acme/thing.made.json"),
        &profile::load::load_file(&scratch.path().join("acme.yaml")).unwrap(),
    )
    .unwrap();
    assert_eq!(example.verify(), hookrig::signing::Verdict::Valid);
    assert!(
        example
            .header("Acme-Signature")
            .is_some_and(|s| s.starts_with("ts="))
    );
    assert_eq!(
        described.status,
        ExitStatus::Success,
        "{}",
        described.both()
    );
    assert_contains(&described.stdout, "Acme-Signature: ts={timestamp};s={sig}");
    assert_contains(&described.stdout, "HMAC-SHA512(hex-decoded secret");
}

#[test]
fn validate_checks_a_profile_file_and_refuses_a_failing_test_vector() {
    let scratch = Scratch::new();
    let good = scratch.file("good/acme.yaml", &acme());
    let text = acme().replace("ts=1700000000;s=", "ts=1700000000;s=AAAA");
    let bad = scratch.file("bad/acme.yaml", &text);

    let ok = hookrig(["validate".into(), good.into_os_string()]);
    let refused = hookrig(["validate".into(), bad.clone().into_os_string()]);

    assert_eq!(ok.status, ExitStatus::Success, "{}", ok.both());
    assert_eq!(refused.status, ExitStatus::BadInput, "{}", refused.both());
    assert_contains(
        &refused.stderr,
        &located(&bad, &text, "source: {assumption"),
    );
    assert_contains(
        &refused.stderr,
        "test_vectors[0] fails: Acme-Signature: expected",
    );
}

#[test]
fn validate_checks_the_shipped_profile_files() {
    let out = hookrig(
        [Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("profiles")
            .into_os_string()]
        .into_iter()
        .fold(vec![std::ffi::OsString::from("validate")], |mut a, p| {
            a.push(p);
            a
        }),
    );

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_contains(
        &out.stdout,
        &format!(
            "{n} file(s) checked, 0 scenario(s) and {n} profile file(s) valid, 0 file(s) with errors",
            n = BUILTIN_NAMES.len()
        ),
    );
}

#[test]
fn the_format_docs_worked_example_is_the_example_file_and_its_scenario_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/profile-format.md")).expect("the doc");
    let example =
        std::fs::read_to_string(root.join("examples/profiles/parcelpost.yaml")).expect("example");
    let scenario = std::fs::read_to_string(root.join("examples/profiles/parcelpost-scenario.yaml"))
        .expect("scenario");

    let out = hookrig([
        "run".into(),
        root.join("examples/profiles").into_os_string(),
        "--format".into(),
        "json".into(),
    ]);

    assert!(
        doc.contains(&format!("```yaml\n{example}```\n")),
        "the doc's copy of parcelpost.yaml differs from the file"
    );
    assert!(
        doc.contains(&format!("```yaml\n{scenario}```\n")),
        "the doc's copy of the scenario differs from the file"
    );
    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(out.json()["passed"], 1);
}

#[test]
fn the_format_doc_names_every_function_rule_and_top_level_key() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/profile-format.md"),
    )
    .expect("the doc");

    for (name, ..) in hookrig::profile::template::FUNCTIONS {
        assert!(
            doc.contains(&format!("`{name}(")),
            "function {name} is not documented"
        );
    }
    for (key, _) in hookrig::profile::Rule::ALL {
        assert!(
            doc.contains(&format!("`{key}`")),
            "rule {key} is not documented"
        );
    }
    for key in hookrig::profile::raw::PROFILE_KEYS {
        assert!(
            doc.contains(&format!("`{key}`")),
            "key {key} is not documented"
        );
    }
}
