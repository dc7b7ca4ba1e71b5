//! Provider emulators: `hookrig emulate PROVIDER` serves a provider's own API on a local
//! port — jobs, runs, webhook registration, test sends — and fires the webhooks that API
//! fires, through hookrig's sender with the provider's profile, so an integration can be
//! tested end to end without the provider, an account or a public URL.
//!
//! Layout:
//! - [`engine`] — what every emulator shares: the seeded generator ids and results are
//!   drawn from, the injected clock, the time scale, the plan, and the deliveries (each a
//!   task of its own through [`crate::sender::deliver`]; one reducer turns their events
//!   into the listing and the journal).
//! - [`plan`] — the plan format (`--plan FILE`, `POST /_hookrig/plan`): which jobs fail,
//!   how long they take, which URLs, documents or pages fail, which submissions are
//!   refused.
//! - [`crawl4ai`], [`perfectparser`], [`llamacloud`], [`extend`] — one file per provider:
//!   its routes, request checks with the provider's own error bodies, job lifecycle,
//!   results and webhooks.
//! - [`fastapi`] — request bodies and 422 errors as FastAPI and pydantic write them
//!   (Crawl4AI and LlamaCloud are FastAPI servers); [`multipart`] — form uploads;
//!   [`generate`] — values that satisfy a caller's JSON Schema; [`http`] — reading
//!   requests and writing exact answers.
//!
//! This file puts them together: [`Emulator::start`] serves the provider's router with
//! the routes every emulator has under `/_hookrig/` — `health`, `deliveries` (every
//! delivery with its attempts) and `plan`.
//!
//! The emulators import domain modules only — profile, sender, receiver, events,
//! run_state, retry, rng, clock, pyjson and text — never a view; the command-line glue
//! is in `cmd/emulate.rs`.

pub mod crawl4ai;
pub mod engine;
pub mod extend;
pub mod fastapi;
pub mod generate;
pub mod http;
pub mod llamacloud;
pub mod multipart;
pub mod perfectparser;
pub mod plan;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;

use crate::clock::SharedClock;
use crate::receiver::live;
use engine::{Engine, EngineOptions};

/// The providers hookrig emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Crawl4AI's Docker server job API.
    Crawl4ai,
    /// PerfectParser's REST API.
    PerfectParser,
    /// LlamaCloud's parse, extract and classify APIs.
    LlamaCloud,
    /// Extend's workflow and processor runs and webhook endpoints.
    Extend,
}

impl Provider {
    /// The names `hookrig emulate` takes.
    pub const NAMES: &[&str] = &["crawl4ai", "perfectparser", "llamacloud", "extend"];

    /// The provider named `name`, or an error with the nearest name.
    pub fn parse(name: &str) -> Result<Provider, String> {
        match name {
            "crawl4ai" => Ok(Provider::Crawl4ai),
            "perfectparser" => Ok(Provider::PerfectParser),
            "llamacloud" => Ok(Provider::LlamaCloud),
            "extend" => Ok(Provider::Extend),
            other => Err(crate::text::choice_error(
                "provider",
                other,
                Provider::NAMES,
            )),
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Crawl4ai => "crawl4ai",
            Provider::PerfectParser => "perfectparser",
            Provider::LlamaCloud => "llamacloud",
            Provider::Extend => "extend",
        }
    }

    /// Where it listens unless told otherwise: Crawl4AI's own port (its Docker image
    /// serves 11235); the hosted APIs get fixed ports of hookrig's choosing, so CI
    /// scripts can name them.
    pub fn default_listen(self) -> &'static str {
        match self {
            Provider::Crawl4ai => "127.0.0.1:11235",
            Provider::PerfectParser => "127.0.0.1:12001",
            Provider::LlamaCloud => "127.0.0.1:12002",
            Provider::Extend => "127.0.0.1:12003",
        }
    }

    /// What its plans may say.
    pub fn vocabulary(self) -> plan::Vocabulary {
        match self {
            Provider::Crawl4ai => crawl4ai::VOCABULARY,
            Provider::PerfectParser => perfectparser::VOCABULARY,
            Provider::LlamaCloud => llamacloud::VOCABULARY,
            Provider::Extend => extend::VOCABULARY,
        }
    }
}

/// A provider's own settings.
#[derive(Debug, Clone)]
pub enum Options {
    /// Crawl4AI.
    Crawl4ai(crawl4ai::Options),
    /// PerfectParser.
    PerfectParser(perfectparser::Options),
    /// LlamaCloud.
    LlamaCloud,
    /// Extend.
    Extend(extend::Options),
}

impl Options {
    /// The provider these settings are for.
    pub fn provider(&self) -> Provider {
        match self {
            Options::Crawl4ai(_) => Provider::Crawl4ai,
            Options::PerfectParser(_) => Provider::PerfectParser,
            Options::LlamaCloud => Provider::LlamaCloud,
            Options::Extend(_) => Provider::Extend,
        }
    }
}

/// Everything an emulator is started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The provider and its settings.
    pub options: Options,
    /// Seed of every id and generated value.
    pub seed: u64,
    /// Real time = provider time × this (processing times, webhook waits and timeouts).
    pub time_scale: f64,
    /// Wall-clock time.
    pub clock: SharedClock,
    /// The plan to start with.
    pub plan: plan::Plan,
    /// Write every delivery attempt here as JSON Lines.
    pub journal: Option<PathBuf>,
}

/// A running emulator.
#[derive(Debug)]
pub struct Emulator {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its engine (deliveries, plan).
    pub engine: Arc<Engine>,
    /// Lines to print once at start: secrets the emulator generated for endpoints given
    /// on the command line, and where it knowingly differs from the provider.
    pub notes: Vec<String>,
    server: live::Running,
}

impl Emulator {
    /// Starts serving on `listener`; `notices` gets a line per delivery step. Must be
    /// called inside a tokio runtime.
    pub async fn start(
        cfg: Config,
        listener: TcpListener,
        notices: Option<UnboundedSender<String>>,
    ) -> std::io::Result<Emulator> {
        let provider = cfg.options.provider();
        let engine = Engine::new(
            EngineOptions {
                provider: provider.name(),
                seed: cfg.seed,
                time_scale: cfg.time_scale,
                clock: cfg.clock,
                vocabulary: provider.vocabulary(),
                plan: cfg.plan,
            },
            cfg.journal.as_deref(),
            notices,
        )?;
        let mut notes = Vec::new();
        let api = match cfg.options {
            Options::Crawl4ai(o) => crawl4ai::router(Arc::clone(&engine), o, &mut notes),
            Options::PerfectParser(o) => perfectparser::router(Arc::clone(&engine), o, &mut notes),
            Options::LlamaCloud => llamacloud::router(Arc::clone(&engine)),
            Options::Extend(o) => extend::router(Arc::clone(&engine), o, &mut notes),
        }
        .map_err(std::io::Error::other)?;
        let app = hookrig_routes(Arc::clone(&engine)).merge(api);
        let server = live::spawn(listener, app)?;
        Ok(Emulator {
            addr: server.addr,
            engine,
            notes,
            server,
        })
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving (deliveries still waiting to retry are dropped with the runtime).
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// The routes every emulator has.
fn hookrig_routes(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/_hookrig/health", get(health))
        .route("/_hookrig/deliveries", get(deliveries))
        .route("/_hookrig/plan", axum::routing::post(set_plan))
        .with_state(engine)
}

async fn health(State(engine): State<Arc<Engine>>) -> Response {
    http::json(200, &json!({"provider": engine.provider, "status": "ok"}))
}

async fn deliveries(
    State(engine): State<Arc<Engine>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    http::json(200, &engine.deliveries(q.get("job").map(String::as_str)))
}

async fn set_plan(State(engine): State<Arc<Engine>>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match engine.set_plan(&text, "POST /_hookrig/plan") {
        Ok(n) => http::json(200, &json!({ "rules": n })),
        Err(errors) => http::json(
            400,
            &json!({"errors": errors.iter().map(ToString::to_string).collect::<Vec<_>>()}),
        ),
    }
}
