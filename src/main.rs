//! The `hookrig` binary: parse the arguments, run the command, map the result to an exit
//! code (0 pass, 1 a check failed, 2 bad input, 130 a live run interrupted). A closed
//! stdout pipe exits 0.

use std::process::ExitCode;

use clap::Parser;

/// jemalloc, not the system allocator: `hookrig receive` keeps its last 10,000 requests
/// and frees the oldest as each new one arrives, a churn glibc's malloc served with 15–20 %
/// more CPU per request (CPU time of the server over 100,000 oha requests with 1 KB
/// bodies, measured before this change).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's start-up options ([`hookrig::JEMALLOC_CONF`]): read through its weak
/// `malloc_conf` symbol, which this definition takes the place of.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: hookrig::JemallocConf = hookrig::JemallocConf::BINARY;

fn main() -> ExitCode {
    let cli = hookrig::cmd::Cli::parse();
    // Unlocked handles: the receiver prints from its worker threads while a command runs.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let status = match hookrig::execute_process(cli, &mut out, &mut err) {
        Ok(status) => status,
        Err(e) => {
            eprint!("{e}");
            e.exit_status()
        }
    };
    ExitCode::from(status as u8)
}
