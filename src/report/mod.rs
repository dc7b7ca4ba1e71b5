//! Reports: views over a finished [`RunState`].
//!
//! `text.rs` writes what a person reads in a terminal or a CI log; `json.rs` the machine
//! form of DESIGN.md (`--format json`); `journal.rs` every attempt as JSON Lines. Neither recomputes anything: both read the state
//! the engine events reduced to.

pub mod journal;
pub mod json;
pub mod text;

/// Output formats of `hookrig run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object.
    Json,
}
