//! `hookrig emulate PROVIDER`: a provider's API on a local port, firing its real webhooks
//! (see [`crate::emulate`] and docs/emulate.md). This file turns the arguments into an
//! [`emulate::Config`], checks them (exit 2 with the reason), serves until Ctrl-C or
//! SIGTERM, and prints a line per delivery step unless `--quiet`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;

use super::{Error, ExitStatus, Result};
use crate::clock::SystemClock;
use crate::emulate::{self, Config, Emulator, Options, Provider, crawl4ai, extend, perfectparser};
use crate::receiver::live;

/// `hookrig emulate`.
#[derive(Debug, Parser)]
pub struct EmulateArgs {
    /// The provider: crawl4ai, perfectparser, llamacloud or extend.
    pub provider: String,
    /// Address to listen on (default: crawl4ai 127.0.0.1:11235, perfectparser :12001,
    /// llamacloud :12002, extend :12003; port 0 picks a free one).
    #[arg(long)]
    pub listen: Option<String>,
    /// Multiply every processing time, webhook wait and webhook timeout by this factor
    /// (more than 0, at most 100; 0.01 turns PerfectParser's 5-minute retry into 3 s).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Seed for ids and generated results: the same requests give the same bytes.
    #[arg(long, default_value_t = crate::rng::DEFAULT_SEED)]
    pub seed: u64,
    /// Write every webhook attempt as JSON Lines, as `hookrig run --journal` does.
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// A plan (YAML or JSON): which jobs fail, how long they take, which URLs, documents
    /// or pages fail (docs/emulate.md).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// No line per webhook attempt on standard output.
    #[arg(long)]
    pub quiet: bool,
    /// crawl4ai: Crawl4AI's config.yml; its `webhooks:` section (enabled, default_url,
    /// data_in_payload, headers, retry), `limits.max_body_bytes` and
    /// `redis.task_ttl_seconds` are read.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// crawl4ai: require `Authorization: Bearer TOKEN` on every call (0.9's auth gate).
    #[arg(long)]
    pub token: Option<String>,
    /// crawl4ai: refuse loopback and private webhook and LLM URLs with 400, as the real
    /// server does (by default they are accepted, so a local receiver works).
    #[arg(long)]
    pub strict_egress: bool,
    /// perfectparser: a dashboard webhook that gets batch.completed, batch.failed and
    /// batch.partial (repeatable).
    #[arg(long = "dashboard-webhook", value_name = "URL")]
    pub dashboard_webhook: Vec<String>,
    /// perfectparser: the signing secret of each --dashboard-webhook, in the same order
    /// (generated and printed when left out).
    #[arg(long = "dashboard-secret", value_name = "SECRET")]
    pub dashboard_secret: Vec<String>,
    /// extend: a webhook endpoint, as configured in Extend's dashboard (repeatable).
    #[arg(long, value_name = "URL")]
    pub endpoint: Vec<String>,
    /// extend: the signing secret of each --endpoint, in the same order (generated and
    /// printed when left out).
    #[arg(long, value_name = "SECRET")]
    pub secret: Vec<String>,
    /// extend: the events of each --endpoint, comma-separated, in the same order
    /// (default: every workflow_run.* and processor_run.* event).
    #[arg(long, value_name = "EVENT,…")]
    pub events: Vec<String>,
}

/// The checked configuration and where to listen.
fn configure(a: &EmulateArgs) -> std::result::Result<(Config, String), Vec<String>> {
    let provider = Provider::parse(&a.provider).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if !(a.time_scale > 0.0 && a.time_scale <= 100.0) {
        errors.push(format!(
            "--time-scale: {} is not a factor from more than 0 to 100",
            a.time_scale
        ));
    }
    let only = |flag: &str, given: bool, for_: Provider, errors: &mut Vec<String>| {
        if given && provider != for_ {
            errors.push(format!(
                "{flag} is for `hookrig emulate {}`, not {}",
                for_.name(),
                provider.name()
            ));
        }
    };
    only(
        "--config",
        a.config.is_some(),
        Provider::Crawl4ai,
        &mut errors,
    );
    only(
        "--token",
        a.token.is_some(),
        Provider::Crawl4ai,
        &mut errors,
    );
    only(
        "--strict-egress",
        a.strict_egress,
        Provider::Crawl4ai,
        &mut errors,
    );
    only(
        "--dashboard-webhook",
        !a.dashboard_webhook.is_empty() || !a.dashboard_secret.is_empty(),
        Provider::PerfectParser,
        &mut errors,
    );
    only(
        "--endpoint",
        !a.endpoint.is_empty() || !a.secret.is_empty() || !a.events.is_empty(),
        Provider::Extend,
        &mut errors,
    );
    let url_ok = |flag: &str, u: &str, errors: &mut Vec<String>| match reqwest::Url::parse(u) {
        Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => true,
        _ => {
            errors.push(format!("{flag}: `{u}` is not an http or https URL"));
            false
        }
    };
    let paired = |flag: &str, n: usize, of: &str, m: usize, errors: &mut Vec<String>| {
        if n != 0 && n != m {
            errors.push(format!(
                "{flag} is given {n} time(s) for {m} {of}(s): give it once per {of}, in the same order, or not at all"
            ));
        }
    };
    let options = match provider {
        Provider::Crawl4ai => {
            let mut o = crawl4ai::Options {
                token: a.token.clone(),
                strict_egress: a.strict_egress,
                ..crawl4ai::Options::default()
            };
            if a.token.as_deref() == Some("") {
                errors.push("--token: the token is empty".into());
            }
            if let Some(path) = &a.config
                && let Err(es) = crawl4ai::read_config(path, &mut o)
            {
                errors.extend(es.iter().map(ToString::to_string));
            }
            Options::Crawl4ai(o)
        }
        Provider::PerfectParser => {
            paired(
                "--dashboard-secret",
                a.dashboard_secret.len(),
                "--dashboard-webhook",
                a.dashboard_webhook.len(),
                &mut errors,
            );
            let mut o = perfectparser::Options::default();
            for (i, u) in a.dashboard_webhook.iter().enumerate() {
                url_ok("--dashboard-webhook", u, &mut errors);
                o.dashboard.push(perfectparser::DashboardHook {
                    url: u.clone(),
                    secret: a.dashboard_secret.get(i).cloned(),
                });
            }
            Options::PerfectParser(o)
        }
        Provider::LlamaCloud => Options::LlamaCloud,
        Provider::Extend => {
            paired(
                "--secret",
                a.secret.len(),
                "--endpoint",
                a.endpoint.len(),
                &mut errors,
            );
            paired(
                "--events",
                a.events.len(),
                "--endpoint",
                a.endpoint.len(),
                &mut errors,
            );
            let known = extend::known_events();
            let names: Vec<&str> = known.iter().map(String::as_str).collect();
            let mut o = extend::Options::default();
            for (i, u) in a.endpoint.iter().enumerate() {
                url_ok("--endpoint", u, &mut errors);
                let events = a.events.get(i).map(|list| {
                    let evs: Vec<String> = list
                        .split(',')
                        .map(|e| e.trim().to_owned())
                        .filter(|e| !e.is_empty())
                        .collect();
                    for e in &evs {
                        if !known.contains(e) {
                            errors.push(format!(
                                "--events: {}",
                                crate::text::choice_error("Extend event", e, &names)
                            ));
                        }
                    }
                    evs
                });
                if let Some(s) = a.secret.get(i)
                    && s.is_empty()
                {
                    errors.push("--secret: the secret is empty".into());
                }
                o.endpoints.push(extend::CliEndpoint {
                    url: u.clone(),
                    secret: a.secret.get(i).cloned(),
                    events,
                });
            }
            Options::Extend(o)
        }
    };
    let plan = match &a.plan {
        Some(path) => match emulate::plan::load(path, &provider.vocabulary()) {
            Ok(p) => p,
            Err(es) => {
                errors.extend(es.iter().map(ToString::to_string));
                Default::default()
            }
        },
        None => Default::default(),
    };
    if let Some(path) = &a.journal
        && let Err(e) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
    {
        errors.push(format!("--journal: cannot write {}: {e}", path.display()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let listen = a
        .listen
        .clone()
        .unwrap_or_else(|| provider.default_listen().to_owned());
    Ok((
        Config {
            options,
            seed: a.seed,
            time_scale: a.time_scale,
            clock: Arc::new(SystemClock),
            plan,
            journal: a.journal.clone(),
        },
        listen,
    ))
}

/// Runs `hookrig emulate` until Ctrl-C or SIGTERM.
pub fn command(a: EmulateArgs, out: &mut dyn Write) -> Result {
    let (cfg, listen) = configure(&a).map_err(|errors| {
        Error::BadInput(errors.iter().map(|e| format!("error: {e}")).collect())
    })?;
    let name = cfg.options.provider().name();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = live::bind(&listen).await.map_err(Error::input)?;
        let stop = live::stop_signals();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let emu = Emulator::start(cfg, listener, (!a.quiet).then_some(tx)).await?;
        writeln!(
            out,
            "hookrig emulate {name}: listening on {} (Ctrl-C to stop)",
            emu.url()
        )?;
        for n in &emu.notes {
            writeln!(out, "hookrig emulate {name}: {n}")?;
        }
        out.flush()?;
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                Some(line) = rx.recv() => {
                    writeln!(out, "{line}")?;
                    out.flush()?;
                }
            }
        }
        let (n, counts) = emu.engine.tally();
        let counts: Vec<String> = counts.iter().map(|(w, c)| format!("{c} {w}")).collect();
        emu.stop().await;
        writeln!(
            out,
            "hookrig emulate {name}: stopped; {n} webhook deliver{}{}",
            if n == 1 { "y" } else { "ies" },
            if counts.is_empty() {
                String::new()
            } else {
                format!(" ({})", counts.join(", "))
            }
        )?;
        Ok(ExitStatus::Success)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> EmulateArgs {
        let mut all = vec!["emulate"];
        all.extend_from_slice(v);
        EmulateArgs::parse_from(all)
    }

    #[test]
    fn a_flag_of_another_provider_is_refused_with_its_owner() {
        let e =
            configure(&args(&["llamacloud", "--endpoint", "http://127.0.0.1:1/x"])).unwrap_err();
        assert!(
            e[0].contains("--endpoint is for `hookrig emulate extend`"),
            "{e:?}"
        );
    }

    #[test]
    fn secrets_must_pair_with_their_endpoints() {
        let e = configure(&args(&[
            "extend",
            "--endpoint",
            "http://127.0.0.1:1/a",
            "--endpoint",
            "http://127.0.0.1:1/b",
            "--secret",
            "s1",
        ]))
        .unwrap_err();
        assert!(e[0].contains("once per --endpoint"), "{e:?}");
    }

    #[test]
    fn an_endpoint_that_is_not_a_url_and_an_unknown_event_are_named() {
        let e = configure(&args(&[
            "extend",
            "--endpoint",
            "ftp://example.com/hooks",
            "--events",
            "workflow_run.complete",
        ]))
        .unwrap_err();
        assert!(
            e.iter()
                .any(|m| m == "--endpoint: `ftp://example.com/hooks` is not an http or https URL"),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.contains("did you mean `workflow_run.completed`")),
            "{e:?}"
        );
    }

    #[test]
    fn an_unknown_provider_and_a_bad_time_scale_are_named() {
        let e = configure(&args(&["crawl4a"])).unwrap_err();
        assert!(e[0].contains("did you mean `crawl4ai`"), "{e:?}");
        let e = configure(&args(&["crawl4ai", "--time-scale", "0"])).unwrap_err();
        assert!(e[0].contains("--time-scale"), "{e:?}");
    }
}
