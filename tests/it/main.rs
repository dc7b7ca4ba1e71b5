//! hookrig's integration tests: one binary, one module per capability, shared helpers in
//! `utils` (scratch folders, the CLI driven in-process, scenario loading and replay).
//!
//! - `cli` — `run`, `validate`, `profiles`: exit codes, text and JSON reports, seeds,
//!   `--filter`, and one smoke test of the real binary.
//! - `bad_input` — every kind of bad scenario is exit 2 with `PATH:LINE:COL:` and a hint.
//! - `timing` — retry schedules, timeouts, 410, `Retry-After`, deliveries side by side.
//! - `wire` — the sender over real HTTP against a wiremock `MockServer`.
//! - `live` — the receiver on a real socket: connection faults, load, the journal.
//! - `live_run` — `run --live`: time scales per scenario, warnings, `--jobs`, skipped
//!   scenarios, a run stopped by a signal.
//! - `parity` — the same scenario in sim and live mode: same outcome, attempts, schedule.
//! - `receiver` — the receiver's socket as raw TCP sees it: protocol edge cases, the body
//!   limit, the faults on the wire, a timed dribble, HTTP/2, `hookrig receive` itself.
//! - `properties` — proptest: signatures, waits, outcomes under random fault plans.
//! - `pyjson` — Python `json.dumps` bytes: hookrig's writer against a real CPython.
//! - `tui` — screens snapshotted in a `TestBackend`, keys, bad journals, the binary in tmux.
//! - `external` — scenarios with `sender:`: a Python sender judged by its scenario, and
//!   every bad `sender:` refused with its place.
//! - `conform_sender` — `hookrig conform-sender` on a Python sender with planted bugs: each
//!   fails the check aimed at it; reports; bad input.
//! - `conform` — `hookrig conform` against the example receivers and flawed ones.
//! - `fuzz` — the front door under fuzz: arbitrary and mutated scenario, profile, fault
//!   and journal files, raw HTTP bytes to the receiver; never a panic, always a located
//!   error or a clean answer (`HOOKRIG_FUZZ_CASES=N` for more cases).
//! - `schemas` — generated bodies satisfy their event schemas; required fields matter.
//! - `reports` — JUnit and HTML reports: well-formed, counted, escaped, the same bytes for
//!   the same seed; output paths checked first; the HTML rendered in headless Chromium.
//! - `fixtures` — `hookrig fixtures` and `hookrig::fixtures`: the committed `fixtures/`
//!   folder matches the code, fixtures are schema-valid and verify, seeds are honoured.
//! - `profile_files` — profile files: an exported built-in replays the suite byte for
//!   byte; a user's file works wherever a profile is named; `validate` checks them.
//! - `jobs` — `run --jobs N` and `validate --jobs N` in sim mode: the same bytes as one
//!   thread in every format, the engine events in the same order, errors in file order.
//! - `shard` — `run --shard K/N`: the slices cover the suite once, stay put as files are
//!   added, are named in every report; a malformed slice is exit 2.
//! - `docs` — option tables in the docs match each command's `--help`; the README is a
//!   front page; ARCHITECTURE.md names every module.
//! - `layout` — the crate's shape: no import cycles between top-level modules, leaves
//!   that import nothing of ours, nothing importing the command line.
//! - `storm` — `hookrig storm`: exact load curves through an outage, jitter's spread,
//!   outcomes per `--fail-with`, seeds, the journal, the HTML page, bad input.
//! - `providers` — Stripe, GitHub, Shopify and Slack request by request: retry headers,
//!   repeated ids, signature header forms.
//! - `emulate` — `hookrig emulate`: each provider's API driven as its docs drive it, its
//!   webhooks checked with the provider's own signature recipe, errors byte for byte.

mod bad_input;
mod cli;
mod conform;
mod conform_sender;
mod docs;
mod emulate;
mod external;
mod fixtures;
mod fuzz;
mod jobs;
mod layout;
mod live;
mod live_run;
mod parity;
mod profile_files;
mod properties;
mod providers;
mod pyjson;
mod receiver;
mod reports;
mod schemas;
mod send;
mod shard;
mod storm;
mod timing;
mod tui;
mod utils;
mod wire;
