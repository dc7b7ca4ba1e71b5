//! An external sender's trigger: the shell command that makes someone else's sender send,
//! with the receiver's URL put into it.
//!
//! A trigger is a template: `{url}` becomes the receiver's URL (also given to the command
//! as `$HOOKRIG_URL`), `{{` and `}}` are literal braces, and any other brace is the
//! shell's (`${VAR}`, `{ a; b; }`, `{a,b}`). A name in braces that is not `url` (`{uri}`)
//! or a `{url` left open is an error that says where, so a typo never reaches the shell.
//! [`run`] starts it with `sh -c` and keeps its exit status, standard output and standard
//! error (each up to [`OUTPUT_LIMIT`]) for the report.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

/// The most of each output stream a report keeps.
pub const OUTPUT_LIMIT: usize = 64 * 1024;

/// A parsed trigger command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The command as written.
    pub text: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Url,
}

/// A trigger that cannot be used: what is wrong and at which character (0-based, in
/// characters of the command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Character offset of the problem in the command.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl Template {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        if text.trim().is_empty() {
            return Err(TemplateError {
                offset: 0,
                message: "the command is empty; give the shell command that makes your sender send one delivery to {url}".into(),
            });
        }
        let chars: Vec<char> = text.chars().collect();
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '{' && chars.get(i + 1) == Some(&'{') {
                lit.push('{');
                i += 2;
                continue;
            }
            if c == '}' && chars.get(i + 1) == Some(&'}') {
                lit.push('}');
                i += 2;
                continue;
            }
            let shell = i > 0 && chars[i - 1] == '$';
            if c == '{' && !shell {
                let name: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .collect();
                let end = i + 1 + name.chars().count();
                let closed = chars.get(end) == Some(&'}');
                if !name.is_empty() && closed {
                    if name != "url" {
                        return Err(TemplateError {
                            offset: i,
                            message: format!(
                                "unknown placeholder `{{{name}}}`{}; the trigger knows `{{url}}` (the receiver's URL, also in $HOOKRIG_URL); write `{{{{` for a literal brace",
                                crate::text::did_you_mean(&name, &["url"])
                            ),
                        });
                    }
                    parts.push(Part::Text(std::mem::take(&mut lit)));
                    parts.push(Part::Url);
                    i = end + 1;
                    continue;
                }
                if name.eq_ignore_ascii_case("url")
                    || (!name.is_empty() && chars.get(end).is_none())
                {
                    return Err(TemplateError {
                        offset: i,
                        message: format!(
                            "the placeholder `{{{name}` is not closed; write `{{url}}`"
                        ),
                    });
                }
            }
            lit.push(c);
            i += 1;
        }
        parts.push(Part::Text(lit));
        parts.retain(|p| !matches!(p, Part::Text(t) if t.is_empty()));
        Ok(Template {
            text: text.to_owned(),
            parts,
        })
    }

    /// The command with `url` in place of `{url}`.
    pub fn render(&self, url: &str) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Url => out.push_str(url),
            }
        }
        out
    }
}

/// What a trigger did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The command as run (its `{url}` filled in).
    pub command: String,
    /// Its exit code; `None` when it could not start, was killed by a signal or was still
    /// running when the run ended.
    pub status: Option<i32>,
    /// Standard output (at most [`OUTPUT_LIMIT`] bytes, lossily decoded).
    pub stdout: String,
    /// Standard error (as above).
    pub stderr: String,
    /// Why it has no exit code, when it has none.
    pub error: Option<String>,
    /// How long it ran.
    pub elapsed: Duration,
}

impl Outcome {
    /// Whether it exited with status 0.
    pub fn succeeded(&self) -> bool {
        self.status == Some(0)
    }

    /// Its end in words: `exit 0`, `exit 3`, or why it has no exit code.
    pub fn describe(&self) -> String {
        match (self.status, &self.error) {
            (Some(s), _) => format!("exit {s}"),
            (None, Some(e)) => e.clone(),
            (None, None) => "no exit code".into(),
        }
    }
}

/// A running trigger.
pub struct Running {
    command: String,
    child: Option<tokio::process::Child>,
    out: Option<tokio::task::JoinHandle<String>>,
    err: Option<tokio::task::JoinHandle<String>>,
    started: tokio::time::Instant,
    failed: Option<String>,
}

/// Starts `template` with `sh -c` in `cwd` (the current directory when `None`), `{url}`
/// and `$HOOKRIG_URL` being `url`, plus `env`.
pub fn start(
    template: &Template,
    url: &str,
    env: &[(String, String)],
    cwd: Option<&std::path::Path>,
) -> Running {
    let command = template.render(url);
    let mut cmd = tokio::process::Command::new("sh");
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.arg("-c")
        .arg(&command)
        .env("HOOKRIG_URL", url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group: stopping it stops what it started too (a sender it runs in
    // the background would otherwise keep the output pipes, and the run, open).
    #[cfg(unix)]
    cmd.process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = tokio::time::Instant::now();
    match cmd.spawn() {
        Ok(mut child) => {
            let out = child.stdout.take().map(|s| tokio::spawn(read_capped(s)));
            let err = child.stderr.take().map(|s| tokio::spawn(read_capped(s)));
            Running {
                command,
                child: Some(child),
                out,
                err,
                started,
                failed: None,
            }
        }
        Err(e) => Running {
            command,
            child: None,
            out: None,
            err: None,
            started,
            failed: Some(format!("could not start `sh -c`: {e}")),
        },
    }
}

async fn read_capped(mut r: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut cut = false;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                cut |= n > room;
            }
        }
    }
    let mut s = String::from_utf8_lossy(&kept).into_owned();
    if cut {
        s.push_str("\n… (cut at 64 KiB)");
    }
    s
}

impl Running {
    /// Waits for it to exit.
    pub async fn wait(&mut self) -> Option<i32> {
        let child = self.child.as_mut()?;
        child.wait().await.ok().and_then(|s| s.code())
    }

    /// Whether it has exited, and with what code (`Some(None)`: killed by a signal).
    pub fn try_exited(&mut self) -> Option<Option<i32>> {
        match self.child.as_mut() {
            None => Some(None),
            Some(c) => c.try_wait().ok().flatten().map(|s| s.code()),
        }
    }

    /// Ends it (killing it if it still runs) and gathers what it did.
    pub async fn finish(mut self) -> Outcome {
        let elapsed = self.started.elapsed();
        let (status, error) = match (self.child.as_mut(), self.failed.take()) {
            (_, Some(why)) => (None, Some(why)),
            (None, None) => (None, Some("not started".into())),
            (Some(child), None) => match child.try_wait() {
                Ok(Some(s)) => match s.code() {
                    Some(c) => (Some(c), None),
                    None => (None, Some("killed by a signal".into())),
                },
                _ => {
                    kill_group(child);
                    let _ = child.kill().await;
                    (
                        None,
                        Some("still running when the run ended; stopped".into()),
                    )
                }
            },
        };
        if let Some(child) = self.child.as_ref() {
            // Whatever it left running in its group goes with it.
            kill_group(child);
        }
        let stdout = gather(self.out.take()).await;
        let stderr = gather(self.err.take()).await;
        Outcome {
            command: self.command,
            status,
            stdout,
            stderr,
            error,
            elapsed,
        }
    }
}

/// Kills the process group of `child` (its own: see [`start`]).
fn kill_group(child: &tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = child;
}

/// What an output reader kept, waiting at most a second for the pipe to close.
async fn gather(h: Option<tokio::task::JoinHandle<String>>) -> String {
    let Some(h) = h else {
        return String::new();
    };
    match tokio::time::timeout(std::time::Duration::from_secs(1), h).await {
        Ok(Ok(s)) => s,
        _ => "(output not gathered: the pipe stayed open)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_placeholders_are_filled_and_shell_braces_left_alone() {
        let t =
            Template::parse("curl -d @x {url} && echo ${HOME} {a,b} { true; } {{url}}").unwrap();

        let cmd = t.render("http://127.0.0.1:9/webhook");

        assert_eq!(
            cmd,
            "curl -d @x http://127.0.0.1:9/webhook && echo ${HOME} {a,b} { true; } {url}"
        );
    }

    #[test]
    fn an_unknown_placeholder_is_refused_where_it_is() {
        let e = Template::parse("python send.py {uri}").unwrap_err();

        assert_eq!(e.offset, 15);
        assert!(e.message.contains("did you mean `url`"), "{}", e.message);
    }

    #[test]
    fn an_open_url_placeholder_is_refused() {
        let e = Template::parse("python send.py {url").unwrap_err();

        assert_eq!(e.offset, 15);
        assert!(e.message.contains("not closed"), "{}", e.message);
    }

    #[tokio::test]
    async fn a_trigger_still_running_is_stopped_with_what_it_started() {
        let t = Template::parse("sleep 30 & echo started; wait").unwrap();

        let r = start(&t, "http://x", &[], None);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let began = std::time::Instant::now();
        let out = r.finish().await;

        assert!(
            began.elapsed() < Duration::from_secs(1),
            "{:?}",
            began.elapsed()
        );
        assert_eq!(out.status, None);
        assert_eq!(out.stdout, "started\n");
        assert_eq!(out.describe(), "still running when the run ended; stopped");
    }

    #[tokio::test]
    async fn a_trigger_keeps_its_exit_status_and_output() {
        let t = Template::parse("echo to {url}; echo oops >&2; exit 3").unwrap();

        let mut r = start(&t, "http://x", &[], None);
        r.wait().await;
        let out = r.finish().await;

        assert_eq!(out.status, Some(3));
        assert_eq!(out.stdout, "to http://x\n");
        assert_eq!(out.stderr, "oops\n");
    }
}
