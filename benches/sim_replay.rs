//! Sim replay throughput: attempts per second on one core, signing and JSON included.
//!
//! Run with `cargo bench --bench sim_replay`. It replays, in virtual time, scenarios whose
//! deliveries fail until their profile's attempts run out (every attempt signed and its
//! body serialised, every request recorded and checked), and prints attempts per second.

use std::path::Path;
use std::time::{Duration, Instant};

use hookrig::runner::{RunOptions, run_sim};
use hookrig::scenario::load::parse_str;

/// The allocator the `hookrig` binary ships with (src/main.rs), so the figure is the
/// binary's: under glibc's malloc the same replay spends about a third of its time in
/// malloc and free (perf, docs/benchmarks.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's start-up options, as the binary's ([`hookrig::JEMALLOC_CONF`]): read through its weak
/// `malloc_conf` symbol, which this definition takes the place of.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: hookrig::JemallocConf = hookrig::JemallocConf::BINARY;

const SCENARIOS: &str = r#"
scenarios:
  - name: standard-webhooks exhausts ten signed attempts
    profile: standard-webhooks
    endpoint: { secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }
    events:
      - type: user.created
      - type: invoice.paid
      - type: user.deleted
      - type: invoice.payment_failed
    receiver:
      - respond: 503
    expect:
      - { event: user.created, outcome: exhausted, attempts: 10, signature: valid }
  - name: perfectparser exhausts six signed attempts
    profile: perfectparser
    endpoint: { secret: pp_secret, static_secret: static-1 }
    events:
      - type: extraction.document_completed
      - type: extraction.job_completed
      - type: batch.completed
      - type: batch.failed
    receiver:
      - respond: 500
    expect:
      - { event: batch.failed, outcome: exhausted, attempts: 6, signature: valid }
  - name: extend exhausts five signed attempts
    profile: extend
    endpoint: { secret: extend_secret }
    events:
      - type: workflow_run.completed
      - type: processor_run.processed
    receiver:
      - respond: 502
"#;

fn main() {
    let loaded = parse_str(Path::new("bench.yaml"), SCENARIOS).expect("bench scenarios are valid");
    let scenarios: Vec<_> = loaded.into_iter().map(|(s, _)| s).collect();
    let per_round: usize = scenarios
        .iter()
        .map(|s| s.events.len() * s.profile.retry.attempts as usize)
        .sum();
    let opts = RunOptions::default();

    // Warm up, then run rounds for about three seconds.
    for _ in 0..20 {
        run_sim(&scenarios, &opts, |_| {});
    }
    let started = Instant::now();
    let mut rounds = 0usize;
    let mut attempts = 0usize;
    while started.elapsed() < Duration::from_secs(3) {
        let state = run_sim(&scenarios, &opts, |_| {});
        assert_eq!(state.failed(), 0, "bench scenarios must pass");
        attempts += state
            .scenarios
            .iter()
            .flat_map(|s| &s.deliveries)
            .map(|d| d.attempts.len())
            .sum::<usize>();
        rounds += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(attempts, rounds * per_round);
    println!(
        "sim replay: {attempts} attempts in {secs:.2} s = {:.0} attempts/s ({rounds} rounds of {per_round} attempts, signing, JSON, recording and checks included)",
        attempts as f64 / secs
    );
}
