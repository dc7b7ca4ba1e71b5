//! `hookrig send`: one delivery with a profile's full rules to a real URL, printing each
//! attempt as it happens; with `--state FILE`, pending deliveries live in SQLite and a
//! restarted process resumes them at their scheduled times (with the same body, event
//! time, secrets and static secret). A profile that signs every delivery, given no
//! `--secret`, signs with one generated from the seed, printed once.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;
use tokio::sync::mpsc;

use super::{Error, ExitStatus, Result};
use crate::clock::{self, Clock, SystemClock};
use crate::events::{EngineEvent, Outcome};
use crate::profile::{self, Endpoint};
use crate::rng::RunRng;
use crate::sender::state::{Persist, StateStore, Stored};
use crate::sender::{NoHooks, SenderCtx, Transport, deliver_from};
use crate::text::{did_you_mean, fmt_duration};

/// `hookrig send`.
#[derive(Debug, Parser)]
pub struct SendArgs {
    /// The provider whose rules to follow: a built-in profile name or a profile file.
    #[arg(long, required_unless_present = "state")]
    pub profile: Option<String>,
    /// Where to send (http or https).
    #[arg(long, required_unless_present = "state")]
    pub url: Option<String>,
    /// The event type (from the profile's catalogue).
    #[arg(long, required_unless_present = "state")]
    pub event: Option<String>,
    /// Event data as a JSON or YAML file; generated from the catalogue when omitted.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Signing secret (repeat for key rotation with standard-webhooks and svix). Extend,
    /// PerfectParser and Svix always sign: without one, a secret is generated from the
    /// seed and printed.
    #[arg(long)]
    pub secret: Vec<String>,
    /// PerfectParser's static `X-Webhook-Secret`.
    #[arg(long)]
    pub static_secret: Option<String>,
    /// A custom header, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// Keep pending deliveries in this SQLite file; started again with the same file, the
    /// process resumes every pending delivery at its scheduled time.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Seed for ids and generated data (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
}

fn now_ms() -> i64 {
    SystemClock.now().as_millis() as i64
}

/// A new delivery to store or send, and the secret generated for it (if one was).
type NewDelivery = (Stored, Option<String>);

/// Validates the arguments into a new delivery to store or send.
fn new_delivery(a: &SendArgs) -> std::result::Result<Option<NewDelivery>, String> {
    let (Some(name), Some(url), Some(event)) = (&a.profile, &a.url, &a.event) else {
        if a.profile.is_some() || a.url.is_some() || a.event.is_some() {
            return Err("--profile, --url and --event go together".into());
        }
        return Ok(None);
    };
    let p = profile::lookup(name).map_err(|e| format!("--profile: {e}"))?;
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        Ok(u) => {
            return Err(format!(
                "--url: `{url}` is {}, not http or https",
                u.scheme()
            ));
        }
        Err(e) => return Err(format!("--url: `{url}` is not a URL ({e})")),
    }
    if !p.knows_event(event) {
        let names: Vec<&str> = p.catalogue.iter().map(|e| e.name.as_str()).collect();
        let hint = did_you_mean(event, &names);
        return Err(format!(
            "--event: unknown event type `{event}` for {name}{hint} (`hookrig profiles {name}` lists them)"
        ));
    }
    let mut headers = Vec::new();
    for h in &a.headers {
        let Some((k, v)) = h.split_once(':') else {
            return Err(format!("--header: `{h}` is not `Name: value`"));
        };
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    if a.static_secret.is_some() && p.uses_static_secret().is_none() {
        return Err(format!(
            "--static-secret: profile `{name}` sends no static secret header (X-Webhook-Secret is PerfectParser's)"
        ));
    }
    if a.static_secret.as_deref() == Some("") {
        return Err("--static-secret: the static secret is empty".into());
    }
    let mut endpoint = Endpoint {
        secrets: a.secret.clone(),
        static_secret: a.static_secret.clone(),
        headers: headers.clone(),
        ..Endpoint::default()
    };
    p.check_endpoint(&endpoint)
        .map_err(|e| format!("--secret or --header: {e}"))?;
    let seed = a
        .seed
        .unwrap_or_else(|| SystemClock.now().as_nanos() as u64);
    let mut rng = RunRng::new(seed);
    let generated = p.endpoint_for_run(&endpoint, &mut RunRng::derive(seed, "secret"));
    if let Some(e) = generated {
        endpoint = e;
    }
    let data = match &a.data {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--data: cannot read {}: {e}", path.display()))?;
            serde_json::from_str::<Value>(&text)
                .or_else(|_| serde_saphyr::from_str::<Value>(&text))
                .map_err(|e| format!("--data: {} is neither JSON nor YAML: {e}", path.display()))?
        }
        None => p.generate_data_at(event, SystemClock.now(), &mut rng),
    };
    let ids = p.new_ids(&mut rng);
    let now = SystemClock.now();
    p.build_request(&endpoint, event, &data, &ids, now)
        .map_err(|e| format!("--data: {e}"))?;
    let generated = endpoint
        .secret_generated
        .then(|| endpoint.secrets[0].clone());
    Ok(Some((
        Stored {
            id: 0,
            // A profile file is stored by its absolute path, so a resume from another
            // folder finds it.
            profile: if profile::load::is_path(name) {
                std::path::absolute(name).map_or_else(|_| name.clone(), |p| p.display().to_string())
            } else {
                name.clone()
            },
            url: url.clone(),
            event_type: event.clone(),
            data,
            message_id: ids.message_id,
            ids: ids.values,
            secrets: endpoint.secrets,
            static_secret: endpoint.static_secret,
            event_ms: Some(now.as_millis() as i64),
            headers,
            next_attempt: 1,
            due_ms: now_ms(),
            status: String::new(),
        },
        generated,
    )))
}

/// Runs `hookrig send`.
pub fn command(a: SendArgs, out: &mut dyn Write) -> Result {
    let fresh = new_delivery(&a).map_err(Error::input)?;
    let fresh = match fresh {
        Some((d, generated)) => {
            if let Some(secret) = generated {
                writeln!(
                    out,
                    "hookrig send: {} signs every delivery and no --secret was given: signing with the generated secret {secret}",
                    d.profile
                )?;
            }
            Some(d)
        }
        None => None,
    };
    let store = match &a.state {
        Some(path) => Some(Arc::new(StateStore::open(path).map_err(|e| {
            Error::input(format!("--state: cannot open {}: {e}", path.display()))
        })?)),
        None => None,
    };
    let mut todo = Vec::new();
    if let Some(store) = &store {
        if let Some(d) = fresh {
            store.insert(d)?;
        }
        todo = store.pending()?;
        writeln!(
            out,
            "hookrig send: {} pending deliver{} in {}",
            todo.len(),
            if todo.len() == 1 { "y" } else { "ies" },
            a.state
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )?;
    } else if let Some(d) = fresh {
        todo.push(Stored { id: 1, ..d });
    }
    // One thread: a sender waits on sockets and timers, and does little work per attempt.
    // On two worker threads every answer woke the other thread (futex wake-ups and
    // context switches were a fifth of the profile), and the same deliveries ran up to
    // 1.4× slower when this was measured (perf and the sender bench in benches/live.rs).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(send_all(todo, store, out))?)
}

async fn send_all(
    todo: Vec<Stored>,
    store: Option<Arc<StateStore>>,
    out: &mut dyn Write,
) -> std::io::Result<ExitStatus> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let transport = Transport::http().map_err(std::io::Error::other)?;
    let mut tasks = tokio::task::JoinSet::new();
    for s in todo {
        let p = match profile::lookup(&s.profile) {
            Ok(p) => p,
            Err(e) => {
                writeln!(out, "delivery {}: skipped: {e}", s.id)?;
                continue;
            }
        };
        let endpoint = Endpoint {
            url: Some(s.url.clone()),
            secrets: s.secrets.clone(),
            static_secret: s.static_secret.clone(),
            headers: s.headers.clone(),
            ..Endpoint::default()
        };
        writeln!(
            out,
            "delivery {}: {} to {} ({}, attempt {} of {}, due {})",
            s.id,
            s.event_type,
            s.url,
            s.profile,
            s.next_attempt,
            p.retry.attempts,
            clock::iso_z(Duration::from_millis(s.due_ms.max(0) as u64))
        )?;
        let ctx = SenderCtx::new(
            Arc::new(p),
            Arc::new(endpoint),
            transport.clone(),
            Arc::new(SystemClock),
            tx.clone(),
            s.url.clone(),
        );
        let store = store.clone();
        tasks.spawn(async move {
            // Never before it is due.
            let wait = (s.due_ms - now_ms()).max(0) as u64;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let d = s.delivery();
            match store {
                Some(store) => {
                    deliver_from(&ctx, &d, s.next_attempt, &Persist { store, now_ms }).await
                }
                None => deliver_from(&ctx, &d, s.next_attempt, &NoHooks).await,
            }
        });
    }
    drop(tx);
    let mut all_delivered = true;
    loop {
        tokio::select! {
            Some(e) = rx.recv() => print_event(out, &e)?,
            joined = tasks.join_next() => match joined {
                Some(Ok(outcome)) => all_delivered &= outcome == Outcome::Delivered,
                Some(Err(_)) => all_delivered = false,
                None => break,
            },
        }
    }
    while let Ok(e) = rx.try_recv() {
        print_event(out, &e)?;
    }
    Ok(if all_delivered {
        ExitStatus::Success
    } else {
        ExitStatus::CheckFailed
    })
}

fn print_event(out: &mut dyn Write, e: &EngineEvent) -> std::io::Result<()> {
    match e {
        EngineEvent::AttemptFinished {
            delivery,
            n,
            response,
            result,
            latency,
            ..
        } => {
            let what = match (response, result) {
                (Some(r), _) => r.status.to_string(),
                (None, crate::retry::AttemptResult::Timeout) => "timeout".into(),
                (None, _) => "connection error".into(),
            };
            writeln!(
                out,
                "  delivery {delivery} attempt {n}: {what} in {}",
                fmt_duration(*latency)
            )?;
        }
        EngineEvent::RetryScheduled {
            delivery, n, wait, ..
        } => {
            let due = SystemClock.now() + *wait;
            writeln!(
                out,
                "  delivery {delivery}: attempt {} in {}, due {}",
                n + 1,
                fmt_duration(*wait),
                clock::iso_z(due)
            )?;
        }
        EngineEvent::DeliveryFinished {
            delivery,
            outcome,
            reason,
            ..
        } => {
            let why = reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            writeln!(out, "delivery {delivery}: {}{why}", outcome.as_str())?;
        }
        _ => {}
    }
    out.flush()
}
