//! The command line, driven in-process: `run` (text and JSON reports, exit codes, seeds,
//! `--filter`), `profiles` and `validate`, plus one smoke test of the real binary.

use hookrig::ExitStatus;
use serde_json::Value;

use crate::utils::*;

const PASSING: &str = "
    name: llamacloud delivers at the first attempt
    profile: llamacloud
    events:
      - type: parse.success
    expect:
      outcome: delivered
      attempts: 1
";

/// Two attempts: a hang (timeout) then a 200; one check that cannot hold.
const HANG_THEN_200_EXPECTING_3: &str = "
    name: perfectparser retries after a hang
    profile: perfectparser
    events:
      - type: extraction.document_completed
    receiver:
      - hang: true
      - respond: 200
    expect:
      outcome: delivered
      attempts: 3
";

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("expected an object, got {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[track_caller]
fn assert_has_keys(v: &Value, want: &[&str]) {
    let have = keys(v);
    for k in want {
        assert!(have.contains(k), "`{k}` missing from {v:#}");
    }
}

#[test]
fn run_on_a_passing_scenario_exits_0_and_prints_pass() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(PASSING));

    let out = hookrig(["run".into(), file.into_os_string()]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_contains(
        &out.stdout,
        "PASS  llamacloud delivers at the first attempt",
    );
    assert_contains(&out.stdout, "1 of 1 scenarios passed, 0 failed");
}

#[test]
fn a_failing_check_exits_1_and_names_the_check_with_expected_and_actual() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(HANG_THEN_200_EXPECTING_3));

    let out = hookrig(["run".into(), file.into_os_string()]);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    assert_contains(&out.stdout, "FAIL  perfectparser retries after a hang");
    assert_contains(&out.stdout, "attempts: expected 3, got 2");
}

#[test]
fn the_json_report_has_the_shape_of_the_design() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(HANG_THEN_200_EXPECTING_3));

    let out = hookrig([
        "run".into(),
        file.clone().into_os_string(),
        "--format".into(),
        "json".into(),
    ]);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let report = out.json();
    assert_has_keys(&report, &["passed", "failed", "scenarios"]);
    assert_eq!(report["passed"], 0);
    assert_eq!(report["failed"], 1);

    let scenario = &report["scenarios"][0];
    assert_has_keys(
        scenario,
        &["name", "file", "passed", "failures", "deliveries"],
    );
    assert_eq!(scenario["name"], "perfectparser retries after a hang");
    assert_eq!(scenario["file"], file.display().to_string());
    assert_eq!(scenario["passed"], false);

    let failure = &scenario["failures"][0];
    assert_has_keys(failure, &["check", "expected", "actual"]);
    assert_eq!(failure["check"], "attempts");
    assert_eq!(failure["expected"], "3");
    assert_eq!(failure["actual"], "2");

    let delivery = &scenario["deliveries"][0];
    assert_has_keys(delivery, &["event_type", "outcome", "attempts"]);
    assert_eq!(delivery["event_type"], "extraction.document_completed");
    assert_eq!(delivery["outcome"], "delivered");

    let hang = &delivery["attempts"][0];
    assert_has_keys(hang, &["n", "at_ms", "status", "error", "latency_ms"]);
    assert_eq!(hang["n"], 1);
    assert_eq!(hang["at_ms"], 0);
    assert_eq!(hang["status"], Value::Null);
    assert_eq!(hang["error"], "timeout");
    assert_eq!(hang["latency_ms"], 10_000);

    let answered = &delivery["attempts"][1];
    assert_eq!(answered["n"], 2);
    assert_eq!(answered["at_ms"], 10_000 + min(5));
    assert_eq!(answered["status"], 200);
    assert_eq!(answered["error"], Value::Null);
}

/// Generated data, several deliveries running side by side, retries: everything a seed
/// and the virtual clock decide.
const BUSY: &str = "
    scenarios:
      - name: standard-webhooks with generated data
        profile: standard-webhooks
        endpoint:
          secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
        events:
          - type: user.created
          - type: invoice.paid
            at: 3s
        receiver:
          - respond: 503
          - drop: true
          - respond: 200
            after: 250ms
        expect:
          - event: user.created
            signature: valid
          - event: invoice.paid
            payload: { schema: event }
      - name: crawl4ai with generated data
        profile: crawl4ai
        endpoint: { data_in_payload: true }
        events:
          - type: crawl.completed
          - type: llm_extraction.failed
        receiver:
          - respond: 502
          - hang: true
          - respond: 200
";

#[test]
fn the_same_seed_gives_byte_identical_json() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(BUSY));
    let run = || {
        hookrig([
            "run".into(),
            file.clone().into_os_string(),
            "--format".into(),
            "json".into(),
            "--seed".into(),
            "42".into(),
        ])
    };

    let first = run();
    let second = run();

    assert_eq!(first.status, ExitStatus::Success, "{}", first.both());
    assert_eq!(first.stdout, second.stdout);
}

/// The report carries no ids, so a `payload.match` that cannot hold prints the generated
/// id it found instead.
const MISMATCHED_ID: &str = "
    name: shows the generated user id
    profile: standard-webhooks
    events:
      - type: user.created
    expect:
      payload:
        match: { data: { id: user_that_was_never_generated } }
";

fn generated_id_with_seed(file: &std::path::Path, seed: &str) -> String {
    let out = hookrig([
        "run".into(),
        file.as_os_str().to_owned(),
        "--format".into(),
        "json".into(),
        "--seed".into(),
        seed.into(),
    ]);
    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let failure = &out.json()["scenarios"][0]["failures"][0];
    assert_eq!(failure["check"], "payload.match");
    failure["actual"]
        .as_str()
        .expect("actual is text")
        .to_owned()
}

#[test]
fn a_different_seed_generates_different_ids() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(MISMATCHED_ID));

    let seed_1 = generated_id_with_seed(&file, "1");
    let seed_1_again = generated_id_with_seed(&file, "1");
    let seed_2 = generated_id_with_seed(&file, "2");

    assert!(seed_1.starts_with("/data/id is \"user_"), "{seed_1}");
    assert_eq!(seed_1, seed_1_again);
    assert_ne!(seed_1, seed_2);
}

#[test]
fn filter_runs_only_the_scenarios_whose_name_contains_the_text() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(
        "
        scenarios:
          - name: llamacloud retries a 503
            profile: llamacloud
            events: [{ type: parse.success }]
            receiver: [{ respond: 503 }, { respond: 200 }]
          - name: llamacloud delivers at once
            profile: llamacloud
            events: [{ type: parse.success }]
          - name: perfectparser retries a 503
            profile: perfectparser
            events: [{ type: batch.completed }]
            receiver: [{ respond: 503 }, { respond: 200 }]
        ",
    ));

    let out = hookrig([
        "run".into(),
        file.into_os_string(),
        "--format".into(),
        "json".into(),
        "--filter".into(),
        "retries".into(),
    ]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let names: Vec<String> = out.json()["scenarios"]
        .as_array()
        .expect("scenarios is a list")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(
        names,
        ["llamacloud retries a 503", "perfectparser retries a 503"]
    );
}

#[test]
fn a_filter_that_matches_nothing_is_bad_input() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(PASSING));

    let out = hookrig([
        "run".into(),
        file.into_os_string(),
        "--filter".into(),
        "no such scenario".into(),
    ]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, "no such scenario");
}

#[test]
fn out_writes_the_report_to_the_file_instead_of_standard_output() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(PASSING));
    let report = scratch.path().join("report.json");

    let out = hookrig([
        "run".into(),
        file.into_os_string(),
        "--format".into(),
        "json".into(),
        "--out".into(),
        report.clone().into_os_string(),
    ]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(out.stdout, "");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report written"))
            .expect("report is JSON");
    assert_eq!(written["passed"], 1);
}

#[test]
fn profiles_lists_all_five_built_in_profiles() {
    let out = hookrig(["profiles"]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    for name in [
        "llamacloud",
        "crawl4ai",
        "extend",
        "perfectparser",
        "standard-webhooks",
    ] {
        assert!(
            out.stdout.lines().any(|l| l.starts_with(name)),
            "`{name}` not listed:\n{}",
            out.stdout
        );
    }
}

#[test]
fn profiles_extend_says_its_retry_schedule_is_an_assumption() {
    let out = hookrig(["profiles", "extend"]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let summary = out
        .stdout
        .lines()
        .find(|l| l.starts_with("assumptions"))
        .unwrap_or_else(|| panic!("no assumptions line:\n{}", out.stdout));
    assert_contains(summary, "attempts, waits");
    assert_contains(
        &out.stdout,
        "source: assumption: the number of attempts is not published: 5 assumed",
    );
    assert_contains(
        &out.stdout,
        "source: assumption: \"exponential backoff\" without a schedule: waits 1 s, 2 s, 4 s, 8 s assumed",
    );
}

#[test]
fn an_unknown_profile_name_exits_2_and_suggests_the_nearest() {
    let out = hookrig(["profiles", "perfectparsr"]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, "did you mean `perfectparser`?");
}

#[test]
fn validate_reports_every_bad_file_with_its_location_and_exits_2() {
    let scratch = Scratch::new();
    let good_text = yaml(PASSING);
    let bad_profile_text = yaml(
        "
        name: a scenario with a misspelt profile
        profile: lamacloud
        events:
          - type: parse.success
        ",
    );
    let bad_duration_text = yaml(
        "
        name: a scenario with a bare number for a duration
        profile: llamacloud
        events:
          - type: parse.success
        receiver:
          - respond: 200
            after: 5
        ",
    );
    scratch.file("suite/good.yaml", &good_text);
    let bad_profile = scratch.file("suite/bad-profile.yaml", &bad_profile_text);
    let bad_duration = scratch.file("suite/nested/bad-duration.yml", &bad_duration_text);

    let out = hookrig([
        "validate".into(),
        scratch.path().join("suite").into_os_string(),
    ]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(
        &out.stderr,
        &located(&bad_profile, &bad_profile_text, "lamacloud"),
    );
    assert_contains(
        &out.stderr,
        &located(&bad_duration, &bad_duration_text, "5\n"),
    );
    assert!(!out.stderr.contains("good.yaml"), "{}", out.both());
    assert_contains(
        &out.stdout,
        "3 file(s) checked, 1 scenario(s) and 0 profile file(s) valid, 2 file(s) with errors",
    );
}

#[test]
fn validate_on_good_files_exits_0() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(PASSING));

    let out = hookrig(["validate".into(), file.into_os_string()]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_eq!(out.stderr, "");
}

#[test]
fn the_real_binary_runs_a_scenario_and_exits_with_the_status_of_its_checks() {
    let scratch = Scratch::new();
    let passing = scratch.file("passing.yaml", &yaml(PASSING));
    let failing = scratch.file("failing.yaml", &yaml(HANG_THEN_200_EXPECTING_3));
    let bin = env!("CARGO_BIN_EXE_hookrig");

    let pass = std::process::Command::new(bin)
        .arg("run")
        .arg(&passing)
        .output()
        .expect("run the binary");
    let fail = std::process::Command::new(bin)
        .arg("run")
        .arg(&failing)
        .output()
        .expect("run the binary");
    let bad = std::process::Command::new(bin)
        .args(["profiles", "nope-not-a-profile"])
        .output()
        .expect("run the binary");

    assert_eq!(pass.status.code(), Some(0), "{pass:?}");
    assert!(String::from_utf8_lossy(&pass.stdout).contains("PASS"));
    assert_eq!(fail.status.code(), Some(1), "{fail:?}");
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

#[test]
fn profiles_name_prints_a_source_under_every_rule_of_every_profile() {
    for name in hookrig::profile::BUILTIN_NAMES {
        let out = hookrig(["profiles", name]);

        assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
        let rules: Vec<&str> = out
            .stdout
            .lines()
            .skip(2)
            .take_while(|l| !l.is_empty())
            .collect();
        assert!(rules.len() > 10, "{name}: {rules:?}");
        // Every rule's lines end with one or more `source:` lines, each of a known kind.
        let mut unsourced = Vec::new();
        let mut label = "";
        let mut sourced = true;
        for l in &rules {
            if !l.starts_with(' ') {
                if !sourced {
                    unsourced.push(label.to_owned());
                }
                label = l.split_whitespace().next().unwrap_or_default();
                sourced = false;
            } else if let Some(src) = l.trim_start().strip_prefix("source: ") {
                assert!(
                    ["seed doc ", "code ", "doc https://", "assumption: "]
                        .iter()
                        .any(|k| src.starts_with(k)),
                    "{name}: {src}"
                );
                sourced = true;
            }
        }
        if !sourced {
            unsourced.push(label.to_owned());
        }
        assert!(
            unsourced.is_empty(),
            "{name}: rules without a source: {unsourced:?}"
        );
    }
}

#[test]
fn profiles_svix_cites_the_server_constants() {
    let out = hookrig(["profiles", "svix"]);

    for constant in [
        "JITTER_DELTA = 0.2",
        "OVERLOAD_PENALTY_SECS = 60",
        "limit_retry_delay",
        "retry_schedule = [5,300,1800,7200,18000,36000,36000]",
        "worker_request_timeout = 30",
        "server/svix-server/src/worker.rs",
        "server/svix-server/config.default.toml",
    ] {
        assert_contains(&out.stdout, constant);
    }
    assert_contains(&out.stdout, "15s with Svix");
}

#[test]
fn profiles_standard_webhooks_cites_the_spec_not_svix() {
    let out = hookrig(["profiles", "standard-webhooks"]);

    assert_contains(&out.stdout, "spec/standard-webhooks.md");
    assert!(!out.stdout.contains("svix-server"), "{}", out.stdout);
}

#[test]
fn profiles_crawl4ai_names_its_version_and_the_docs_simplified_data() {
    let out = hookrig(["profiles", "crawl4ai"]);

    assert_contains(&out.stdout, "Crawl4AI 0.9.0–0.9.2");
    assert_contains(&out.stdout, "`profile: {base: crawl4ai, max_redirects: 0}`");
    assert_contains(
        &out.stdout,
        "Example 2 shows data as {markdown, html, links, metadata}: a simplified shape",
    );
    assert_contains(&out.stdout, "301, 302, 303, 307, 308");
}

const PENDING: &str = "
    name: perfectparser waits in pending_retry
    profile: perfectparser
    events:
      - type: batch.completed
    receiver:
      - respond: 503
      - respond: 200
";

#[test]
fn the_journal_and_the_json_report_show_pending_retry_and_the_generated_secret() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(PENDING));
    let journal = scratch.path().join("journal.jsonl");

    let out = hookrig([
        "run".into(),
        file.clone().into_os_string(),
        "--format".into(),
        "json".into(),
        "--journal".into(),
        journal.clone().into_os_string(),
    ]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let report = out.json();
    let sc = &report["scenarios"][0];
    let secret = sc["generated_secret"].as_str().expect("a generated secret");
    assert_eq!(secret.len(), 64, "{secret}");
    let attempts = &sc["deliveries"][0]["attempts"];
    assert_eq!(attempts[0]["provider_status"], "pending_retry");
    assert!(attempts[1].get("provider_status").is_none(), "{attempts}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["provider_status"], "pending_retry");
    assert!(lines[1].get("provider_status").is_none());
    assert!(lines.iter().all(|l| l["generated_secret"] == secret));
    // The journal's signature verifies with the secret it shows.
    let req = &lines[0]["request"];
    let sig = req["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "x-perfectparser-signature")
        .map(|h| h[1].as_str().unwrap().to_owned())
        .expect("signed");
    assert_eq!(
        sig,
        hex::encode(hookrig::signing::hmac_sha256(
            secret.as_bytes(),
            &[req["body"].as_str().unwrap().as_bytes()]
        ))
    );
}

#[test]
fn a_user_given_secret_is_never_shown_in_reports_or_the_journal() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(
        "
        name: extend with its own secret
        profile: extend
        endpoint:
          secret: wss_user_given_never_printed
        events:
          - type: workflow.created
        ",
    ));
    let journal = scratch.path().join("j.jsonl");

    let text = hookrig([
        "run".into(),
        file.clone().into_os_string(),
        "--journal".into(),
        journal.clone().into_os_string(),
    ]);
    let json = hookrig([
        "run".into(),
        file.into_os_string(),
        "--format".into(),
        "json".into(),
    ]);

    for out in [
        &text.stdout,
        &json.stdout,
        &std::fs::read_to_string(&journal).unwrap(),
    ] {
        assert!(!out.contains("wss_user_given_never_printed"), "{out}");
        assert!(!out.contains("generated"), "{out}");
    }
}

#[test]
fn svix_jitter_is_the_same_for_the_same_seed_and_moves_with_another() {
    let scratch = Scratch::new();
    let file = scratch.scenario(&yaml(
        "
        name: svix jitter
        profile: svix
        events:
          - type: user.created
        receiver:
          - respond: 500
        ",
    ));
    let run = |seed: &str| {
        hookrig([
            "run".into(),
            file.clone().into_os_string(),
            "--format".into(),
            "json".into(),
            "--seed".into(),
            seed.into(),
        ])
        .stdout
    };

    let a = run("1");
    let again = run("1");
    let b = run("2");

    assert_eq!(a, again);
    assert_ne!(a, b);
}

#[test]
fn docs_profiles_md_holds_what_hookrig_profiles_prints_for_each_profile() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/profiles.md")).expect("docs/profiles.md");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");

    for p in hookrig::profile::builtins() {
        let block = format!(
            "### `{0}`\n\n<!-- doc: output: hookrig profiles {0} -->\n```text\n{1}```\n",
            p.name,
            p.describe()
        );
        assert!(
            doc.contains(&block),
            "docs/profiles.md is out of date for {}; the section should read:\n{block}",
            p.name
        );
        assert!(
            readme.contains(&format!("| [`{}`](docs/profiles.md#", p.name)),
            "README's profile table does not link {} to docs/profiles.md",
            p.name
        );
    }
}

#[test]
fn the_json_report_holds_each_scenario_before_the_next_one_runs_and_the_counts_last() {
    // The second scenario's sender is a shell command that copies the report written so
    // far into its own output, which the report then carries.
    let scratch = Scratch::new();
    let report = scratch.path().join("report.json");
    let file = scratch.file(
        "two.yaml",
        &format!(
            "scenarios:\n\
             \x20 - name: first\n\
             \x20   profile: standard-webhooks\n\
             \x20   events: [{{type: user.created}}]\n\
             \x20   expect: {{outcome: delivered}}\n\
             \x20 - name: second reads the report so far\n\
             \x20   profile: standard-webhooks\n\
             \x20   sender: {{trigger: \"cat '{}'\", timeout: 1s}}\n",
            report.display()
        ),
    );

    let out = hookrig([
        "run".into(),
        file.into_os_string(),
        "--format".into(),
        "json".into(),
        "--out".into(),
        report.clone().into_os_string(),
    ]);

    assert_eq!(out.status, ExitStatus::CheckFailed, "{}", out.both());
    let text = std::fs::read_to_string(&report).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys(&doc), ["scenarios", "passed", "failed"]);
    assert_eq!(
        (doc["passed"].as_u64(), doc["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let seen = doc["scenarios"][1]["trigger"]["stdout"].as_str().unwrap();
    assert!(
        seen.starts_with("{\n  \"scenarios\": [\n    {\n      \"name\": \"first\","),
        "{seen}"
    );
    assert!(
        !seen.contains("second reads") && !seen.contains("\"failed\": "),
        "{seen}"
    );
}

/// The binary hands jemalloc its options (`hookrig::JEMALLOC_CONF`): jemalloc's own
/// statistics, printed at exit, show them in force.
#[cfg(not(target_env = "msvc"))]
#[test]
fn the_binarys_allocator_starts_with_the_options_hookrig_gives_it() {
    // Act
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .arg("--version")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .expect("run the binary");

    // Assert
    assert!(out.status.success(), "{out:?}");
    let stats = String::from_utf8_lossy(&out.stderr);
    let given = hookrig::JEMALLOC_CONF.to_str().expect("ASCII options");
    for option in given.split(',') {
        let (name, value) = option.split_once(':').expect("name:value");
        assert!(
            stats.contains(&format!("opt.{name}: {value}\n")),
            "jemalloc reports `{name}` other than {value}:\n{stats}"
        );
    }
}
