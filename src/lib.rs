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
//!   (in-process router, or real HTTP: hyper for `http://`, reqwest for `https://`),
//!   durable sends in SQLite, and `hookrig send`.
//! - [`receiver`] — the axum `Router` factory with its fault plan and recorder, the
//!   HTTP/1.1 socket server with connection faults, and `hookrig receive`.
//! - [`scenario`] — YAML scenario files: raw types, loading with located errors, checks.
//! - [`engine`] — engine events and the one reducer to [`engine::RunState`].
//! - [`runner`] — sim mode (paused-time runtime per scenario, seeded ids) and live mode
//!   (real sockets, real time compressed by a time scale chosen from each scenario's
//!   timing margins, scenarios side by side).
//! - [`conform`] — `hookrig conform`: a provider played against a live receiver, with
//!   forged, stale, duplicate, unknown and large deliveries; what it got wrong.
//! - [`report`] — text, JSON, JUnit, HTML and journal views over a run, and the progress bar.
//! - [`tui`] — `hookrig tui`: the interactive timeline view over the same run state.
//! - [`fixtures`] — signed, schema-valid example requests with edge-value variants, as
//!   files (`hookrig fixtures`) or proptest strategies ([`fixtures::arb_event`]).
//! - [`clock`], [`rng`] — injected wall-clock time and the run's seeded randomness.
//! - [`text`] — nearest-name suggestions, durations and YAML error words, shared by every input check.
//! - [`pyjson`] — JSON bytes as Python's `json.dumps` writes them (Crawl4AI's bodies).
//! - [`emulate`] — provider emulators: Crawl4AI's, PerfectParser's, LlamaCloud's and
//!   Extend's APIs on a local port, firing their webhooks through the sender.
//! - [`cli`] and [`app`] — arguments, and the commands they drive; [`cmd`] — one file per
//!   command's glue.

pub mod app;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod conform;
pub mod emulate;
pub mod engine;
pub mod fixtures;
pub mod profile;
pub mod pyjson;
pub mod receiver;
pub mod report;
pub mod retry;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod sender;
pub mod signing;
pub mod text;
pub mod tui;

pub use app::{ExitStatus, execute, execute_process};
