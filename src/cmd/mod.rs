//! Command glue: each command's arguments and the function that runs it, one file per
//! command. Nothing outside `cmd/`, `cli.rs` and `app.rs` imports it.

pub mod emulate;
