//! Shared helpers: a scratch folder per test, the CLI driven in-process, and small readers
//! for reports and error messages.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Parser as _;
use hookrig::ExitStatus;
use hookrig::cmd::Cli;
use serde_json::Value;

/// A fresh folder under the system temp dir, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    root: PathBuf,
}

impl Scratch {
    /// A new, empty, unique folder.
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "hookrig-it-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("create scratch folder");
        Self { root }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Writes `text` to `name` inside the folder (creating sub-folders) and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create sub-folder");
        }
        std::fs::write(&path, text).expect("write scratch file");
        path
    }

    /// Writes one scenario file, `scenario.yaml`.
    pub fn scenario(&self, text: &str) -> PathBuf {
        self.file("scenario.yaml", text)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// What one in-process run of the CLI produced.
#[derive(Debug)]
pub struct Output {
    /// The exit status.
    pub status: ExitStatus,
    /// Everything written to standard output.
    pub stdout: String,
    /// Everything written to standard error.
    pub stderr: String,
}

impl Output {
    /// Standard output parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Both streams, for assertion messages.
    pub fn both(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }
}

/// Runs `hookrig ARGS…` in-process, capturing both streams.
pub fn hookrig<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let argv: Vec<OsString> = std::iter::once(OsString::from("hookrig"))
        .chain(args.into_iter().map(Into::into))
        .collect();
    let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("bad arguments {argv:?}: {e}"));
    let mut out = Vec::new();
    let mut err = Vec::new();
    // As `main` does: a command that stopped is printed once, on standard error.
    let status = match hookrig::execute(cli, &mut out, &mut err) {
        Ok(status) => status,
        Err(e) => {
            err.extend_from_slice(e.to_string().as_bytes());
            e.exit_status()
        }
    };
    Output {
        status,
        stdout: String::from_utf8(out).expect("stdout is UTF-8"),
        stderr: String::from_utf8(err).expect("stderr is UTF-8"),
    }
}

/// Writes `text` as a scenario file in a fresh folder and runs it with `--format json`.
pub fn run_json(text: &str) -> Output {
    let scratch = Scratch::new();
    let file = scratch.scenario(text);
    hookrig([
        "run".into(),
        file.into_os_string(),
        "--format".into(),
        "json".into(),
    ])
}

/// The `at_ms` of every attempt of delivery `d` of the first scenario of a JSON report.
pub fn at_ms(report: &Value, d: usize) -> Vec<u64> {
    attempts(report, d)
        .iter()
        .map(|a| a["at_ms"].as_u64().expect("at_ms is a number"))
        .collect()
}

/// The attempts of delivery `d` of the first scenario of a JSON report.
pub fn attempts(report: &Value, d: usize) -> Vec<Value> {
    report["scenarios"][0]["deliveries"][d]["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("no attempts for delivery {d} in {report:#}"))
        .clone()
}

/// The 1-based line and column where `needle` first occurs in `text`.
pub fn position_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in the text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// `PATH:LINE:COL:` for `needle`'s first occurrence in the file at `path` holding `text`.
pub fn located(path: &Path, text: &str, needle: &str) -> String {
    let (line, column) = position_of(text, needle);
    format!("{}:{line}:{column}:", path.display())
}

/// Minutes as milliseconds.
pub fn min(m: u64) -> u64 {
    m * 60_000
}

/// Text written indented inside a test, with the first line break and the common
/// indentation taken off, so line 1 column 1 is the first character of the scenario.
pub fn yaml(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(line.get(indent..).unwrap_or("").trim_end());
        out.push('\n');
    }
    out
}

/// Asserts that `haystack` contains `needle`, showing both when it does not.
#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find\n  {needle}\nin\n{haystack}"
    );
}

/// The hookrig binary started with `args` (a command that serves, such as `receive` or
/// `emulate` on `--listen 127.0.0.1:0`), its first line of standard output, the address
/// that line names, and the rest of the output.
pub fn spawn_serving(
    args: &[&str],
) -> (
    std::process::Child,
    String,
    String,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    (child, first, addr, out)
}

/// Sends `signal` (`INT` for Ctrl-C, `TERM`) to a process from [`spawn_serving`] through
/// the shell's own `kill`, then reads the rest of its standard output and waits for it to
/// exit: whether `kill` succeeded, that output, and the exit status.
pub fn stop_serving(
    mut child: std::process::Child,
    mut out: std::io::BufReader<std::process::ChildStdout>,
    signal: &str,
) -> (bool, String, std::process::ExitStatus) {
    use std::io::Read as _;
    let killed = std::process::Command::new("sh")
        .args(["-c", &format!("kill -{signal} {}", child.id())])
        .status()
        .unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let exit = child.wait().unwrap();
    (killed.success(), rest, exit)
}
