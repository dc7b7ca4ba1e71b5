//! `hookrig storm`: deliveries through a receiver outage in virtual time — exact counts
//! and curves for profiles without jitter, the spread jitter buys, outcomes for every
//! `--fail-with`, the same bytes per seed, the journal, the HTML page, and bad input.

use serde_json::Value;

use crate::utils::{Scratch, assert_contains, hookrig};
use hookrig::ExitStatus;

/// `hookrig storm ARGS… --format json`, one JSON value per profile.
fn storm_json(args: &[&str]) -> Vec<Value> {
    let mut argv: Vec<&str> = vec!["storm"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--format", "json"]);
    let out = hookrig(argv);
    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn series(v: &Value) -> Vec<(u64, u64)> {
    v["series"]
        .as_array()
        .expect("series is a list")
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
        .collect()
}

#[test]
fn standard_webhooks_delivers_every_event_on_the_first_attempt_after_the_outage() {
    // 100 events, one every 100 ms; the 5 s retry still fails, the 5 min one lands.
    let args = [
        "--profile",
        "standard-webhooks",
        "--events",
        "100",
        "--over",
        "10s",
        "--outage",
        "1m",
    ];

    let r = &storm_json(&args)[0];

    assert_eq!(r["requests"], 300);
    assert_eq!(r["delivered"], 100);
    assert_eq!(r["exhausted"], 0);
    assert_eq!(r["gave_up"], 0);
    // Seconds 5–9 get ten first sends and ten 5 s retries each.
    assert_eq!(r["peak_rps"], 20);
    assert_eq!(r["peak_second"], 5);
    // The last event (9.9 s) lands 5 s + 5 min later.
    assert_eq!(r["drained_ms"], 314_900);
    let s = series(r);
    assert_eq!(s.len(), 25, "{s:?}");
    assert_eq!(s[0], (0, 10));
    assert_eq!(s[14], (14, 10));
    assert_eq!(s[15], (305, 10));
    assert_eq!(s[24], (314, 10));
    assert_eq!(s.iter().map(|p| p.1).sum::<u64>(), 300);
}

#[test]
fn an_outage_longer_than_the_schedule_exhausts_every_delivery() {
    let args = [
        "--profile",
        "llamacloud",
        "--events",
        "50",
        "--over",
        "5s",
        "--outage",
        "1h",
    ];

    let r = &storm_json(&args)[0];

    assert_eq!(r["requests"], 150, "three attempts each");
    assert_eq!(r["exhausted"], 50);
    assert_eq!(r["delivered"], 0);
    // The last event starts at 4.9 s and fails for the third time 1 s + 2 s later.
    assert_eq!(r["drained_ms"], 7_900);
}

#[test]
fn an_answer_the_profile_does_not_retry_gives_up_at_once() {
    let args = [
        "--profile",
        "crawl4ai",
        "--events",
        "20",
        "--over",
        "2s",
        "--outage",
        "1m",
        "--fail-with",
        "404",
    ];

    let r = &storm_json(&args)[0];

    assert_eq!(r["gave_up"], 20);
    assert_eq!(r["requests"], 20);
    assert_eq!(r["fail_with"], "404");
}

#[test]
fn a_receiver_that_never_answers_costs_each_attempt_the_profiles_timeout() {
    // LlamaCloud: 30 s timeout, then 1 s; 30 s timeout, then 2 s; the third attempt, at
    // 63 s, comes after the outage.
    let args = [
        "--profile",
        "llamacloud",
        "--events",
        "10",
        "--over",
        "10s",
        "--outage",
        "1m",
        "--fail-with",
        "timeout",
    ];

    let r = &storm_json(&args)[0];

    assert_eq!(r["requests"], 30);
    assert_eq!(r["delivered"], 10);
    assert_eq!(r["drained_ms"], 9_000 + 63_000);
}

#[test]
fn dropped_connections_are_retried_like_failed_answers() {
    let args = [
        "--profile",
        "standard-webhooks",
        "--events",
        "10",
        "--over",
        "1s",
        "--outage",
        "1m",
        "--fail-with",
        "drop",
    ];

    let r = &storm_json(&args)[0];

    assert_eq!(r["delivered"], 10);
    assert_eq!(r["requests"], 30);
}

/// The most requests in one second at or after the outage's end.
fn peak_after(r: &Value, second: u64) -> u64 {
    series(r)
        .iter()
        .filter(|p| p.0 >= second)
        .map(|p| p.1)
        .max()
        .unwrap_or(0)
}

#[test]
fn svix_jitter_spreads_the_wave_that_standard_webhooks_sends_all_at_once() {
    let args = [
        "--profile",
        "standard-webhooks",
        "--profile",
        "svix",
        "--events",
        "1000",
        "--over",
        "10s",
        "--outage",
        "1h",
    ];

    let rs = storm_json(&args);

    assert_eq!(rs.len(), 2);
    assert_eq!(rs[0]["profile"], "standard-webhooks");
    assert_eq!(rs[1]["profile"], "svix");
    // Without jitter the 2 h retries of 1,000 events come back within 10 s: 100 a second.
    assert_eq!(peak_after(&rs[0], 3600), 100);
    // ±20 % of 2 h spreads them over 48 minutes.
    let svix = peak_after(&rs[1], 3600);
    assert!(
        svix > 0 && svix <= 10,
        "svix's peak after the outage is {svix}"
    );
    assert_eq!(rs[0]["delivered"], 1000);
    assert_eq!(rs[1]["delivered"], 1000);
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_jitter() {
    let run = |seed: &str| {
        hookrig([
            "storm",
            "--profile",
            "svix",
            "--events",
            "200",
            "--over",
            "1m",
            "--outage",
            "10m",
            "--format",
            "json",
            "--seed",
            seed,
        ])
        .stdout
    };

    let (a, b, c) = (run("7"), run("7"), run("8"));

    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn text_output_gives_the_figures_and_a_load_curve_marking_the_outage() {
    let out = hookrig([
        "storm",
        "--profile",
        "standard-webhooks",
        "--events",
        "100",
        "--over",
        "10s",
        "--outage",
        "1m",
    ]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    assert_contains(
        &out.stdout,
        "requests  300 (delivered 100, exhausted 0, gave up 0)",
    );
    assert_contains(&out.stdout, "peak      20 requests/s at 5s");
    assert_contains(&out.stdout, "drained   at 5m 14s 900ms");
    assert_contains(&out.stdout, "^ outage ends at 1m");
    let curve = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("load"))
        .expect("a load line");
    assert!(curve.contains('█'), "{curve}");
}

#[test]
fn the_journal_has_a_line_per_request_and_per_delivery() {
    let scratch = Scratch::new();
    let journal = scratch.path().join("storm.jsonl");

    let out = hookrig([
        "storm",
        "--profile",
        "standard-webhooks",
        "--events",
        "100",
        "--over",
        "10s",
        "--outage",
        "1m",
        "--journal",
        journal.to_str().unwrap(),
    ]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let requests = lines.iter().filter(|l| l["kind"] == "request").count();
    let deliveries = lines.iter().filter(|l| l["kind"] == "delivery").count();
    assert_eq!((requests, deliveries), (300, 100));
    let first = &lines[0];
    assert_eq!(first["answer"], "503");
    assert_eq!(first["at_ms"], 0);
    assert_eq!(first["attempt"], 1);
}

#[test]
fn the_html_report_draws_one_line_per_profile_over_the_shaded_outage() {
    let scratch = Scratch::new();
    let page = scratch.path().join("storm.html");

    let out = hookrig([
        "storm",
        "--profile",
        "standard-webhooks",
        "--profile",
        "svix",
        "--events",
        "300",
        "--over",
        "1m",
        "--outage",
        "30m",
        "--report",
        page.to_str().unwrap(),
    ]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
    let html = std::fs::read_to_string(&page).unwrap();
    let doc = roxmltree::Document::parse(html.trim_start_matches("<!DOCTYPE html>\n"))
        .expect("the page is well-formed XML");
    let lines: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter_map(|n| n.attribute("data-profile"))
        .collect();
    assert_eq!(lines, ["standard-webhooks", "svix"]);
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("rect") && n.attribute("class") == Some("outage"))
    );
    assert!(!html.contains("<script"), "self-contained, no script");
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "nothing is fetched"
    );
}

fn refused(args: &[&str]) -> String {
    let mut argv = vec!["storm"];
    argv.extend_from_slice(args);
    let out = hookrig(argv);
    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert!(out.stdout.is_empty(), "nothing runs: {}", out.stdout);
    out.stderr
}

const GOOD: [&str; 8] = [
    "--profile",
    "standard-webhooks",
    "--events",
    "10",
    "--over",
    "1m",
    "--outage",
    "1h",
];

fn with(changes: &[(&str, &str)]) -> Vec<String> {
    let mut args: Vec<String> = GOOD.iter().map(|s| s.to_string()).collect();
    for (flag, value) in changes {
        match args.iter().position(|a| a == flag) {
            Some(i) => args[i + 1] = value.to_string(),
            None => {
                args.push(flag.to_string());
                args.push(value.to_string());
            }
        }
    }
    args
}

fn refused_with(changes: &[(&str, &str)]) -> String {
    let args = with(changes);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(&args)
}

#[test]
fn zero_events_are_refused() {
    let err = refused_with(&[("--events", "0")]);

    assert_contains(&err, "--events: 0 events make no storm");
}

#[test]
fn an_outage_over_thirty_days_is_refused() {
    let err = refused_with(&[("--outage", "31days")]);

    assert_contains(&err, "--outage: `31days` is over 30 days");
}

#[test]
fn spreading_events_over_no_time_is_refused() {
    let err = refused_with(&[("--over", "0s")]);

    assert_contains(&err, "--over: 0s leaves no time");
}

#[test]
fn a_bare_number_duration_is_refused_with_units_suggested() {
    let err = refused_with(&[("--over", "10")]);

    assert_contains(&err, "--over: `10` is a bare number; give a unit");
}

#[test]
fn an_unknown_profile_is_refused_with_the_nearest_name() {
    let err = refused_with(&[("--profile", "standard-webhook")]);

    assert_contains(&err, "--profile:");
    assert_contains(&err, "standard-webhooks");
}

#[test]
fn an_unknown_fail_with_is_refused_with_the_choices() {
    let err = refused_with(&[("--fail-with", "hang")]);

    assert_contains(&err, "--fail-with: unknown answer `hang`");
    assert_contains(&err, "`timeout` or `drop`");
}

#[test]
fn a_success_status_is_no_outage_and_is_refused() {
    let err = refused_with(&[("--fail-with", "200")]);

    assert_contains(&err, "--fail-with: 200 is not a failure");
}

#[test]
fn every_problem_is_named_at_once() {
    let err = refused_with(&[("--events", "0"), ("--over", "0s"), ("--fail-with", "x")]);

    assert_contains(
        &err,
        "hookrig storm: 3 problem(s) with the arguments; nothing was run",
    );
}

#[test]
fn a_storm_too_large_for_memory_is_refused_up_front_with_the_estimate() {
    let err = refused_with(&[("--events", "100000000"), ("--max-memory", "512")]);

    assert_contains(&err, "would hold about");
    assert_contains(
        &err,
        "MiB at its busiest (100000000 deliveries in flight at once",
    );
    assert_contains(&err, "more than the 512 MiB available");
}

#[test]
fn a_storm_that_fits_is_not_refused() {
    let mut args = vec!["storm".to_owned()];
    args.extend(with(&[("--max-memory", "512")]));

    let out = hookrig(args);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
}
