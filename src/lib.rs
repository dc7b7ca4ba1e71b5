//! hookrig is a test rig for webhooks: a sender that reproduces real providers' delivery
//! rules (envelope, headers, signature, retry schedule, timeout), a mock receiver that
//! answers attempt by attempt with the faults real endpoints produce, and a scenario
//! runner that drives one against the other in virtual time and checks what happened.
//!
//! # Layout
//! - [`profile`] — providers' delivery rules as data, one file per provider, and their
//!   event catalogues with JSON Schemas.
//! - [`signing`] — pure sign/verify functions for every scheme; time passed in.
//! - [`retry`] — pure schedule and classification of attempt results.
//! - [`sender`] — one event to one endpoint through a [`sender::Transport`]
//!   (in-process router, or real HTTP: hyper for `http://`, reqwest for `https://`), and
//!   durable sends in SQLite.
//! - [`faults`] — fault plans: each step an HTTP answer or a [`faults::Fault`], per request.
//! - [`receiver`] — the axum `Router` factory with its fault plan and recorder, hyper's
//!   server on a socket wrapper that acts out the connection faults, and the standalone
//!   receiver's request log.
//! - [`scenario`] — YAML scenario files: raw types, loading with located errors (one file
//!   per job under `scenario/load/`), checks.
//! - [`events`] — engine events: what the sender, the receiver and the runner did.
//! - [`run_state`] — the one reducer of those events, [`run_state::RunState`], that every
//!   report and the TUI read.
//! - [`runner`] — sim mode (paused-time runtime per scenario, seeded ids) and live mode
//!   (real sockets, real time compressed by a time scale chosen from each scenario's
//!   timing margins, scenarios side by side).
//! - [`external`] — a sender hookrig did not write, started by a [`trigger`] command and
//!   played against the live receiver: scenarios with `sender:` and `conform-sender`.
//! - [`conform_sender`] — the profile's rules checked on someone else's sender, one check
//!   per delivery, each a value in [`conform_sender::CHECKS`].
//! - [`trigger`] — the trigger command: its `{url}` template, run with `sh`, output kept.
//! - [`storm`] — many deliveries through a receiver outage in virtual time, and the load
//!   curve the receiver sees when it comes back.
//! - [`conform`] — a provider played against a live receiver, with forged, stale,
//!   duplicate, unknown and large deliveries; what it got wrong. Each check is a value
//!   (id, title, what it needs, its function) in [`conform::CHECKS`].
//! - [`report`] — text, JSON, JUnit, HTML and journal views over a run.
//! - [`tui`] — the interactive timeline view over the same run state.
//! - [`fixtures`] — signed, schema-valid example requests with edge-value variants, as
//!   files or proptest strategies ([`fixtures::arb_event`]).
//! - [`clock`], [`rng`] — injected wall-clock time and the run's seeded randomness.
//! - [`text`] — nearest-name suggestions, durations and YAML error words, shared by every input check.
//! - [`shard`] — `--shard K/N`: which slice of a suite a scenario belongs to, by a stable
//!   hash of its file and name.
//! - [`time_axis`] — the log-like time axis the HTML report's and the TUI's timelines share.
//! - [`record`] — requests and answers as recorded, secret redaction, their JSON form.
//! - [`pyjson`] — JSON bytes as Python's `json.dumps` writes them (Crawl4AI's bodies).
//! - [`emulate`] — provider emulators: Crawl4AI's, PerfectParser's, LlamaCloud's and
//!   Extend's APIs on a local port, firing their webhooks through the sender.
//! - [`cmd`] — the command line: arguments, one file per command, what is printed and the
//!   exit code; the only part that touches the terminal, and nothing imports it.

pub mod clock;
pub mod cmd;
pub mod conform;
pub mod conform_sender;
pub mod emulate;
pub mod events;
pub mod external;
pub mod faults;
pub mod fixtures;
pub mod par;
pub mod profile;
pub mod pyjson;
pub mod receiver;
pub mod record;
pub mod report;
pub mod retry;
pub mod rng;
pub mod run_state;
pub mod runner;
pub mod scenario;
pub mod sender;
pub mod shard;
pub mod signing;
pub mod storm;
pub mod text;
pub mod time_axis;
pub mod trigger;
pub mod tui;

pub use cmd::{ExitStatus, execute, execute_process};

/// The options the `hookrig` binary's allocator (jemalloc) starts with, and the benches
/// that measure the binary (`benches/sim_replay.rs`, `benches/live.rs`) alike: each
/// thread's cache keeps up to 2,000 freed blocks of a small size (jemalloc's default:
/// 200, and 8 slabs' worth where 2 were), and is tidied after every 16 MiB allocated
/// (default: 64 KiB). A replay frees its records in bursts (a scenario's run state: every
/// attempt's request, answer and header lists at once) and the next scenario allocates as
/// many again; with the default cache most of a burst went back to the arenas
/// (`tcache_bin_flush_small`) and came out again, and the tidying walked every size
/// class every 64 KiB (docs/benchmarks.md, "Eighth round, sim: jemalloc's thread cache"). The cost:
/// a thread may keep a few MiB of freed blocks for reuse. `MALLOC_CONF`
/// (`_RJEM_MALLOC_CONF`) still overrides any of them.
pub const JEMALLOC_CONF: &std::ffi::CStr =
    c"tcache_nslots_small_max:2000,lg_tcache_nslots_mul:3,tcache_gc_incr_bytes:16777216";

/// [`JEMALLOC_CONF`] as jemalloc's `malloc_conf` symbol holds it (a C `const char *`):
/// a binary gives it to jemalloc with
/// `#[unsafe(export_name = "_rjem_malloc_conf")] static C: JemallocConf = JemallocConf::BINARY;`.
#[repr(transparent)]
pub struct JemallocConf(*const std::ffi::c_char);

impl JemallocConf {
    /// [`JEMALLOC_CONF`].
    pub const BINARY: JemallocConf = JemallocConf(JEMALLOC_CONF.as_ptr());
}

// SAFETY: the pointer is to a constant C string, never written.
unsafe impl Sync for JemallocConf {}
