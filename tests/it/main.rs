//! The integration tests: one binary, one module per capability, shared helpers in `utils`.

mod utils;
mod explore;
