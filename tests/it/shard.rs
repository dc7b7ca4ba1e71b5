//! `run --shard K/N`: N slices of a suite run every scenario exactly once between them,
//! each scenario's slice fixed by its file and name (adding files moves nothing else), the
//! slice recorded in every report, and a malformed slice refused with exit 2.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::Path;

use clap::Parser as _;
use hookrig::ExitStatus;
use hookrig::cmd::Cli;
use serde_json::Value;

use crate::utils::*;

/// A file of `n` quick scenarios named `{prefix} 0` … `{prefix} n-1`.
fn suite_file(scratch: &Scratch, file: &str, prefix: &str, n: usize) {
    let mut text = String::from("scenarios:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - name: {prefix} {i}\n    profile: llamacloud\n    events:\n      - type: parse.success\n    expect:\n      attempts: 1\n"
        ));
    }
    scratch.file(file, &text);
}

/// `hookrig run DIR --format json [--shard K/N]`.
fn run(dir: &Path, shard: Option<&str>) -> Output {
    let mut args: Vec<OsString> = vec!["run".into(), dir.into(), "--format".into(), "json".into()];
    if let Some(s) = shard {
        args.extend(["--shard".into(), s.into()]);
    }
    hookrig(args)
}

/// Each scenario's JSON entry, by name.
fn by_name(report: &Value) -> BTreeMap<String, Value> {
    report["scenarios"]
        .as_array()
        .expect("a scenarios list")
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

/// The scenario names each of the `n` shards of `dir` runs.
fn members(dir: &Path, n: u32) -> Vec<BTreeSet<String>> {
    (1..=n)
        .map(|k| {
            by_name(&run(dir, Some(&format!("{k}/{n}"))).json())
                .into_keys()
                .collect()
        })
        .collect()
}

#[test]
fn the_n_shards_of_a_suite_run_every_scenario_exactly_once_with_the_same_result() {
    let scratch = Scratch::new();
    suite_file(&scratch, "a.yaml", "alpha", 6);
    suite_file(&scratch, "b/b.yaml", "beta", 6);
    suite_file(&scratch, "c.yml", "gamma", 6);
    let whole = by_name(&run(scratch.path(), None).json());

    let mut seen: BTreeMap<String, Value> = BTreeMap::new();
    for k in 1..=3 {
        let out = run(scratch.path(), Some(&format!("{k}/3")));
        assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
        for (name, entry) in by_name(&out.json()) {
            assert!(
                seen.insert(name.clone(), entry).is_none(),
                "{name} ran twice"
            );
        }
    }

    assert_eq!(whole.len(), 18);
    assert_eq!(
        seen, whole,
        "the shards together are the whole run, byte for byte"
    );
}

#[test]
fn adding_a_file_moves_no_other_scenario_to_another_shard() {
    let scratch = Scratch::new();
    suite_file(&scratch, "a.yaml", "alpha", 8);
    suite_file(&scratch, "b.yaml", "beta", 8);
    let before = members(scratch.path(), 4);

    suite_file(&scratch, "aa-new.yaml", "added", 8);
    let after = members(scratch.path(), 4);

    for k in 0..4 {
        let kept: BTreeSet<String> = after[k]
            .iter()
            .filter(|n| !n.starts_with("added"))
            .cloned()
            .collect();
        assert_eq!(kept, before[k], "shard {}/4", k + 1);
    }
    assert!(
        before.iter().filter(|s| !s.is_empty()).count() > 1,
        "{before:?}"
    );
}

#[test]
fn every_report_of_a_shard_says_which_slice_it_is() {
    let scratch = Scratch::new();
    suite_file(&scratch, "a.yaml", "alpha", 6);
    let dir = scratch.path();
    let html = dir.join("report.html");

    let json = run(dir, Some("1/1"));
    let junit = hookrig([
        "run".into(),
        OsString::from(dir),
        "--format".into(),
        "junit".into(),
        "--shard".into(),
        "1/1".into(),
        "--report".into(),
        html.clone().into_os_string(),
    ]);
    let text = hookrig([
        "run".into(),
        OsString::from(dir),
        "--shard".into(),
        "1/1".into(),
    ]);
    let unsharded = run(dir, None);

    assert_eq!(
        json.json()["shard"],
        serde_json::json!({"index": 1, "count": 1})
    );
    assert_contains(&junit.stdout, "<property name=\"shard\" value=\"1/1\"/>");
    assert_contains(
        &text.stdout,
        "6 of 6 scenarios passed, 0 failed (shard 1/1)",
    );
    assert_contains(
        &std::fs::read_to_string(&html).unwrap(),
        "<b>1/1</b>shard</div>",
    );
    assert!(
        unsharded.json().get("shard").is_none(),
        "{}",
        unsharded.stdout
    );
}

#[test]
fn a_shard_that_holds_no_scenario_runs_nothing_and_passes_with_a_note() {
    let scratch = Scratch::new();
    suite_file(&scratch, "a.yaml", "alpha", 2);

    let outs: Vec<Output> = (1..=8)
        .map(|k| run(scratch.path(), Some(&format!("{k}/8"))))
        .collect();

    let empty: Vec<&Output> = outs
        .iter()
        .filter(|o| o.json()["scenarios"].as_array().is_some_and(Vec::is_empty))
        .collect();
    assert!(
        empty.len() >= 6,
        "2 scenarios leave at least 6 of 8 shards empty"
    );
    for o in &empty {
        assert_eq!(o.status, ExitStatus::Success, "{}", o.both());
        assert_contains(&o.stderr, "holds none of the 2 scenario(s); nothing to run");
    }
}

#[test]
fn a_malformed_shard_is_refused_naming_the_option_and_what_to_give() {
    for (bad, says) in [
        ("0/4", "K counts from 1 to N, so with N = 4 give 1/4 to 4/4"),
        ("5/4", "K counts from 1 to N, so with N = 4 give 1/4 to 4/4"),
        ("1/0", "N is the number of slices and must be at least 1"),
        ("half", "`half` is not a shard: give K/N"),
        ("a/b", "K and N are whole numbers"),
    ] {
        let err = Cli::try_parse_from(["hookrig", "run", "--shard", bad]).unwrap_err();

        assert_eq!(err.exit_code(), 2, "{bad}");
        let msg = err.to_string();
        assert_contains(&msg, &format!("'{bad}' for '--shard <K/N>'"));
        assert_contains(&msg, says);
    }
}

#[test]
fn the_real_binary_exits_2_on_a_malformed_shard() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .args(["run", "--shard", "3/2"])
        .output()
        .expect("run the binary");

    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_contains(&String::from_utf8_lossy(&out.stderr), "--shard <K/N>");
}
