//! `run --jobs N` and `validate --jobs N` in sim mode: files loaded and scenarios replayed
//! on N threads give the same bytes as one thread — every report format, the HTML report,
//! the journal, a shard, the engine events in their order, and every error in its order.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use hookrig::ExitStatus;
use hookrig::runner::{Keep, RunOptions, run_sim_on};
use hookrig::scenario::load_paths_on;

use crate::utils::*;

/// The shipped scenarios folder.
fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Copies every file under `from` into `to`, keeping the folders.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A suite of many kinds of scenario: the shipped ones (every profile, faults, retries,
/// generated secrets) and 60 more of which every third fails its check.
fn mixed_suite() -> Scratch {
    let scratch = Scratch::new();
    copy_tree(&shipped(), &scratch.path().join("shipped"));
    for i in 0..60 {
        let attempts = if i % 3 == 0 { 2 } else { 1 };
        scratch.file(
            &format!("more/m{i:03}.yaml"),
            &format!(
                "name: more {i}\nprofile: llamacloud\nevents:\n  - type: parse.success\nexpect:\n  attempts: {attempts}\n"
            ),
        );
    }
    scratch
}

/// `hookrig ARGS… --jobs JOBS`, with `{out}` in an argument replaced by `out`.
fn with_jobs(args: &[&str], jobs: u32, out: &Path) -> Output {
    let mut argv: Vec<OsString> = args
        .iter()
        .map(|a| a.replace("{out}", &out.display().to_string()).into())
        .collect();
    argv.extend(["--jobs".into(), jobs.to_string().into()]);
    hookrig(argv)
}

#[test]
fn a_suite_run_on_four_threads_writes_the_same_bytes_as_on_one_in_every_format() {
    // Arrange
    let suite = mixed_suite();
    let dir = suite.path().display().to_string();
    let outputs = Scratch::new();
    let runs: [&[&str]; 7] = [
        &["run", &dir],
        &["run", &dir, "--format", "json"],
        &["run", &dir, "--format", "junit"],
        &[
            "run",
            &dir,
            "--format",
            "json",
            "--seed",
            "7",
            "--out",
            "{out}/report.json",
        ],
        &["run", &dir, "--report", "{out}/report.html"],
        &[
            "run",
            &dir,
            "--seed",
            "3",
            "--journal",
            "{out}/journal.jsonl",
        ],
        &["run", &dir, "--format", "json", "--shard", "2/3"],
    ];

    for args in runs {
        // Act
        let one_dir = outputs.path().join("one");
        let four_dir = outputs.path().join("four");
        for d in [&one_dir, &four_dir] {
            std::fs::create_dir_all(d).unwrap();
        }
        let one = with_jobs(args, 1, &one_dir);
        let four = with_jobs(args, 4, &four_dir);

        // Assert
        assert_eq!(
            one.status,
            ExitStatus::CheckFailed,
            "{args:?}: {}",
            one.both()
        );
        assert_eq!(four.status, one.status, "{args:?}");
        assert_eq!(four.stdout, one.stdout, "{args:?}: standard output");
        assert_eq!(four.stderr, one.stderr, "{args:?}: standard error");
        for name in ["report.json", "report.html", "journal.jsonl"] {
            let a = std::fs::read(one_dir.join(name)).ok();
            let b = std::fs::read(four_dir.join(name)).ok();
            assert_eq!(a.is_some(), b.is_some(), "{args:?}: {name}");
            assert!(
                a == b,
                "{args:?}: {name} differs between one and four threads"
            );
        }
        for d in [&one_dir, &four_dir] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }
}

#[test]
fn the_json_report_of_a_parallel_run_lists_every_scenario_in_file_order() {
    // Arrange
    let suite = mixed_suite();
    let mut want = Vec::new();
    let loaded = load_paths_on(&[suite.path().to_owned()], 1);
    for s in &loaded.scenarios {
        want.push(s.name.clone());
    }

    // Act
    let out = with_jobs(
        &[
            "run",
            &suite.path().display().to_string(),
            "--format",
            "json",
        ],
        3,
        suite.path(),
    );

    // Assert
    let report = out.json();
    let names: Vec<String> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 119 + 60);
    assert_eq!(names, want);
    assert_eq!(report["failed"], 20, "{}", out.stdout);
}

#[test]
fn the_engine_events_of_a_run_on_four_threads_come_in_the_order_of_one_thread() {
    // Arrange
    let suite = mixed_suite();
    let loaded = load_paths_on(&[suite.path().to_owned()], 4);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let opts = RunOptions { seed: 11 };
    let run = |jobs: usize| {
        let mut events = Vec::new();
        let mut checked = Vec::new();
        let never: Result<_, std::convert::Infallible> = run_sim_on(
            &loaded.scenarios,
            &opts,
            Keep::Requests,
            jobs,
            |e| events.push(format!("{e:?}")),
            |i, s| {
                checked.push((i, s.name.clone(), s.failures.len()));
                Ok(())
            },
        );
        let state = never.unwrap();
        let states: Vec<String> = state.scenarios.iter().map(|s| format!("{s:?}")).collect();
        (events, checked, states)
    };

    // Act
    let one = run(1);
    let four = run(4);

    // Assert
    assert_eq!(one.1.len(), loaded.scenarios.len());
    assert!(one.1.iter().enumerate().all(|(k, (i, _, _))| k == *i));
    assert!(one.0.len() > 1_000, "{} events", one.0.len());
    assert!(
        four.0 == one.0,
        "the events differ or come in another order"
    );
    assert_eq!(four.1, one.1, "scenarios handed over in another order");
    assert!(four.2 == one.2, "the run states differ");
}

/// 150 valid quick scenario files `f000.yaml` … `f149.yaml` in a fresh folder.
fn many_files() -> Scratch {
    let scratch = Scratch::new();
    for i in 0..150 {
        scratch.file(
            &format!("f{i:03}.yaml"),
            &format!(
                "name: file {i}\nprofile: llamacloud\nevents:\n  - type: parse.success\nexpect:\n  attempts: 1\n"
            ),
        );
    }
    scratch
}

#[test]
fn errors_in_files_far_apart_are_reported_in_file_order_as_on_one_thread() {
    // Arrange: two duplicate names of an early file, an unknown key and a YAML error.
    let scratch = many_files();
    let dup = "name: file 10\nprofile: llamacloud\nevents:\n  - type: parse.success\n";
    scratch.file("f060.yaml", dup);
    scratch.file("f130.yaml", dup);
    scratch.file(
        "f097.yaml",
        "name: file 97\nprofile: llamacloud\nevents:\n  - type: parse.success\nexpectt:\n  attempts: 1\n",
    );
    scratch.file(
        "f120.yaml",
        "name: file 120\nprofile: llamacloud\nevents:\n  - type: [parse.success\n",
    );
    let dir = scratch.path().display().to_string();

    for args in [&["validate", dir.as_str()][..], &["run", dir.as_str()][..]] {
        // Act
        let one = with_jobs(args, 1, scratch.path());
        let four = with_jobs(args, 4, scratch.path());

        // Assert
        assert_eq!(one.status, ExitStatus::BadInput, "{args:?}: {}", one.both());
        assert_eq!(four.status, one.status, "{args:?}");
        assert_eq!(four.stdout, one.stdout, "{args:?}");
        assert_eq!(four.stderr, one.stderr, "{args:?}");
        let at = |f: &str| {
            one.stderr
                .find(f)
                .unwrap_or_else(|| panic!("{f} not named:\n{}", one.stderr))
        };
        assert!(at("f060.yaml") < at("f097.yaml"));
        assert!(at("f097.yaml") < at("f120.yaml"));
        assert!(at("f120.yaml") < at("f130.yaml"));
        assert_contains(&one.stderr, "duplicate scenario name `file 10`");
        assert_contains(&one.stderr, "f010.yaml:1");
    }
}

#[test]
fn a_run_with_jobs_zero_is_refused() {
    // Arrange
    let argv = ["hookrig", "run", "scenarios", "--jobs", "0"];

    // Act
    let parsed = <hookrig::cmd::Cli as clap::Parser>::try_parse_from(argv);

    // Assert
    let err = parsed.expect_err("--jobs 0 parses");
    assert_contains(&err.to_string(), "--jobs");
}

#[test]
fn a_scenario_with_its_own_sender_among_many_runs_in_its_turn_on_several_threads() {
    // Arrange: 40 sim scenarios with a Python sender's scenario among them (file 20).
    let scratch = many_files();
    for i in 40..150 {
        std::fs::remove_file(scratch.path().join(format!("f{i:03}.yaml"))).unwrap();
    }
    scratch.file(
        "f020.yaml",
        &format!(
            "name: an external sender\n\
             profile: {{base: standard-webhooks, attempts: 3, waits: [1s, 2s], timeout: 2s}}\n\
             endpoint:\n  secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n\
             sender:\n  trigger: \"python3 {} {{url}}\"\n  timeout: 20s\n\
             receiver:\n  - respond: 200\n\
             expect:\n  outcome: delivered\n  attempts: 1\n",
            crate::external::sender_py()
        ),
    );
    let args = [
        "run",
        &scratch.path().display().to_string(),
        "--format",
        "json",
    ];

    // Act
    let one = with_jobs(&args, 1, scratch.path());
    let four = with_jobs(&args, 4, scratch.path());

    // Assert: the same entries in the same order; the external one (real time, so its
    // times differ from run to run) passed in its place.
    for out in [&one, &four] {
        assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    }
    let entries = |out: &Output| -> Vec<serde_json::Value> {
        out.json()["scenarios"].as_array().unwrap().clone()
    };
    let (a, b) = (entries(&one), entries(&four));
    assert_eq!(a.len(), 40);
    assert_eq!(b.len(), 40);
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        if k == 20 {
            assert_eq!(y["name"], "an external sender");
            assert_eq!(y["trigger"]["status"], 0, "{y}");
            assert_eq!(y["deliveries"][0]["outcome"], "delivered", "{y}");
        } else {
            assert_eq!(x, y, "entry {k}");
        }
    }
}
