//! Sim and live give the same verdict: each divergence once found between the two modes
//! runs the same scenario both ways and requires the same outcome, the same attempts
//! (answer or error) and the same schedule within the live tolerance, at the time scale
//! `auto` picks.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::utils::{Scratch, hookrig, yaml};

/// A shipped scenario file.
fn shipped(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(rel)
}

fn run_json(path: &Path, extra: &[&str]) -> crate::utils::Output {
    let mut args: Vec<std::ffi::OsString> = vec!["run".into(), path.into(), "--format".into()];
    args.push("json".into());
    args.extend(extra.iter().map(Into::into));
    hookrig(args)
}

/// Runs `path` in sim and live mode (extra live arguments in `live`), requires both to
/// pass and to agree; returns the live report and the wall time of the live run.
fn sim_and_live_agree(path: &Path, live: &[&str]) -> (Value, Duration) {
    let sim = run_json(path, &[]);
    assert_eq!(sim.status, hookrig::ExitStatus::Success, "{}", sim.both());
    let mut args = vec!["--live"];
    args.extend_from_slice(live);
    let started = Instant::now();
    let out = run_json(path, &args);
    let took = started.elapsed();
    assert_eq!(out.status, hookrig::ExitStatus::Success, "{}", out.both());
    let (sim, live) = (sim.json(), out.json());
    let sims = sim["scenarios"].as_array().unwrap();
    let lives = live["scenarios"].as_array().unwrap();
    assert_eq!(sims.len(), lives.len());
    for (s, l) in sims.iter().zip(lives) {
        assert_same_deliveries(s, l);
    }
    (live, took)
}

/// The same outcome, attempts and answers; each attempt's distance from the one before
/// within the live tolerance (50 ms of real time, in scenario time at the live scale).
fn assert_same_deliveries(sim: &Value, live: &Value) {
    let name = sim["name"].as_str().unwrap();
    let scale = live["time_scale"]
        .as_f64()
        .unwrap_or_else(|| panic!("{name}: no time_scale in the live report"));
    let tolerance_ms = 50.0 / scale;
    let (sd, ld) = (
        sim["deliveries"].as_array().unwrap(),
        live["deliveries"].as_array().unwrap(),
    );
    assert_eq!(sd.len(), ld.len(), "{name}");
    for (s, l) in sd.iter().zip(ld) {
        assert_eq!(s["outcome"], l["outcome"], "{name}: outcome");
        let (sa, la) = (
            s["attempts"].as_array().unwrap(),
            l["attempts"].as_array().unwrap(),
        );
        assert_eq!(sa.len(), la.len(), "{name}: attempts\n{sa:#?}\n{la:#?}");
        for (x, y) in sa.iter().zip(la) {
            assert_eq!(
                (&x["status"], &x["error"]),
                (&y["status"], &y["error"]),
                "{name}: attempt {}",
                x["n"]
            );
        }
        let at =
            |a: &[Value]| -> Vec<f64> { a.iter().map(|v| v["at_ms"].as_f64().unwrap()).collect() };
        let (st, lt) = (at(sa), at(la));
        assert_eq!(st.first(), lt.first(), "{name}: first attempt");
        for i in 1..st.len() {
            let (sg, lg) = (st[i] - st[i - 1], lt[i] - lt[i - 1]);
            assert!(
                (sg - lg).abs() <= tolerance_ms,
                "{name}: attempt {} came {lg} ms after the one before, sim says {sg} ms (± {tolerance_ms} ms)",
                i + 1
            );
        }
    }
}

#[test]
fn redirect_hops_to_other_paths_count_against_their_delivery_live_as_in_sim() {
    for file in [
        "crawl4ai/five-redirect-hops-deliver.yaml",
        "crawl4ai/redirect-hop-fails-then-retries.yaml",
        "crawl4ai/redirect-hop-own-timeout.yaml",
    ] {
        sim_and_live_agree(&shipped(file), &[]);
    }
}

#[test]
fn retry_after_is_a_wait_and_is_scaled_like_every_other_wait() {
    // Retry-After: 20 on a 503, at time scale 0.01: 200 ms of real time, not 20 s.
    let dir = Scratch::new();
    let path = dir.scenario(&yaml(
        "
        name: Standard Webhooks waits Retry-After 20 s after a 503
        profile: standard-webhooks
        events:
          - type: user.created
        receiver:
          - respond: 503
            headers: { Retry-After: \"20\" }
          - respond: 200
        expect:
          outcome: delivered
          attempts: 2
          schedule: [0s, 20s]
        ",
    ));

    let (_, took) = sim_and_live_agree(&path, &["--time-scale", "0.01"]);

    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn svix_s_jitter_retry_after_clamp_and_overload_floor_are_scaled_live_as_in_sim() {
    // Retry-After 30 s on a 500 clamped to twice the 1 s wait, a 429 raised to the 60 s
    // overload floor, both jittered ±20 % from the seed: live draws the same waits as sim
    // and sleeps them at the scale, once (scaled twice they would be far shorter).
    let dir = Scratch::new();
    let path = dir.scenario(&yaml(
        "
        name: Svix waits a clamped Retry-After, then its overload floor, jittered
        profile: { base: svix, waits: [1s, 2s, 3s] }
        events:
          - type: user.created
        receiver:
          - respond: 500
            headers: { Retry-After: \"30\" }
          - respond: 429
          - respond: 200
        expect:
          outcome: delivered
          attempts: 3
        ",
    ));

    let (live, took) = sim_and_live_agree(&path, &[]);

    // Within the jitter's bounds (plus the live tolerance, 50 ms of real time).
    let scale = live["scenarios"][0]["time_scale"].as_f64().unwrap();
    let slack = (50.0 / scale) as u64;
    let at = crate::utils::at_ms(&live, 0);
    assert!((1_600..=2_400 + slack).contains(&at[1]), "{at:?}");
    assert!(
        (48_000..=72_000 + slack).contains(&(at[2] - at[1])),
        "{at:?}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn the_shipped_retry_after_scenario_passes_live_in_a_second_or_so() {
    let (live, took) =
        sim_and_live_agree(&shipped("standard-webhooks/retry-after-on-429.yaml"), &[]);

    // The 30 s timeout against an immediate answer sets the scale: 50 ms / 30 s.
    let scale = live["scenarios"][0]["time_scale"].as_f64().unwrap();
    assert!((scale - 0.00167).abs() < 1e-9, "{scale}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn an_answer_one_second_before_the_timeout_keeps_fifty_milliseconds_of_real_margin() {
    let path = shipped("perfectparser/slow-answer-past-timeout.yaml");

    let (live, _) = sim_and_live_agree(&path, &[]);

    let s = &live["scenarios"][0];
    assert_eq!(s["time_scale"].as_f64(), Some(0.05));
    assert_eq!(s["time_scale_auto"], Value::Bool(true));
    assert_eq!(s["narrowest_margin"]["real_ms"].as_u64(), Some(50));
    assert!(
        s["narrowest_margin"]["between"]
            .as_str()
            .unwrap()
            .contains("after 9s and the 10s timeout"),
        "{s:#}"
    );
}

#[test]
fn each_delivery_s_first_attempt_is_at_its_own_offset_whatever_the_set_up_took() {
    let path = shipped("extend/two-events-own-step-counters.yaml");

    let (live, _) = sim_and_live_agree(&path, &[]);

    let first = |d: usize| live["scenarios"][0]["deliveries"][d]["attempts"][0]["at_ms"].as_u64();
    assert_eq!((first(0), first(1)), (Some(0), Some(2000)));
}

#[test]
fn a_small_time_scale_does_not_push_the_first_attempt_off_zero() {
    // At 0.001 a millisecond of real set-up would read as a second.
    let path = shipped("perfectparser/retries-then-delivers.yaml");

    let out = run_json(&path, &["--live", "--time-scale", "0.001"]);

    let report = out.json();
    assert_eq!(crate::utils::at_ms(&report, 0)[0], 0, "{}", out.both());
}

/// The TUI's signature verdict for each attempt of the journal's first delivery.
fn first_delivery_signatures(journal: &Path) -> Vec<Option<String>> {
    let model = hookrig::tui::journal::load(journal).unwrap();
    model.scenarios[0].deliveries[0]
        .attempts
        .iter()
        .map(|a| a.signature.clone())
        .collect()
}

#[test]
fn a_live_journal_carries_real_wall_times_and_its_signatures_verify_in_the_tui() {
    let dir = Scratch::new();
    let path = dir.scenario(&yaml(
        "
        name: Standard Webhooks signs a retry 5 s later
        profile: standard-webhooks
        endpoint: { secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }
        events:
          - type: user.created
        receiver:
          - respond: 500
          - respond: 200
        expect:
          outcome: delivered
          attempts: 2
          schedule: [0s, 5s]
          signature: valid
        ",
    ));
    let journal = dir.path().join("run.jsonl");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
    };
    let before = now();

    sim_and_live_agree(&path, &["--journal", journal.to_str().unwrap()]);

    let after = now();
    let text = std::fs::read_to_string(&journal).unwrap();
    let walls: Vec<u128> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "attempt")
        .map(|v| u128::from(v["wall_ms"].as_u64().unwrap()))
        .collect();
    assert_eq!(walls.len(), 2);
    for w in &walls {
        assert!(
            (before.as_millis()..=after.as_millis()).contains(w),
            "wall_ms {w} is not between {before:?} and {after:?}"
        );
    }
    let verdicts = first_delivery_signatures(&journal);
    assert_eq!(verdicts, [Some("valid".into()), Some("valid".into())]);
}

#[test]
fn a_live_journal_signed_with_a_generated_secret_verifies_in_the_tui() {
    // Extend always signs: with no secret given the run generates one, writes it in the
    // journal, and the journal's real wall times verify with it.
    let dir = Scratch::new();
    let journal = dir.path().join("run.jsonl");
    let path = shipped("extend/signs-with-a-generated-secret.yaml");

    sim_and_live_agree(&path, &["--journal", journal.to_str().unwrap()]);

    let verdicts = first_delivery_signatures(&journal);
    assert_eq!(verdicts, [Some("valid".into()), Some("valid".into())]);
}
