//! `maildoc serve`: the mail doctor as a web app on this computer, for the people who never
//! open a terminal. A thin door over the engine (every job is a `maildoc_engine` call) and the
//! report crate (every page is rendered by `maildoc_report::web`); what is here is HTTP: the
//! routes, the guard that keeps other web pages out, the job table that bounds the work and
//! streams each check's steps as Server-Sent Events, and the JSON API.

mod api;
mod guard;
mod history;
mod jobs;
mod lang;
mod pages;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use maildoc_engine::Env;
use maildoc_report::Lang;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The largest request body: a form or a JSON request.
const BODY_LIMIT: usize = 256 * 1024;
/// The largest body of `/explain`: a whole bounce with its quoted message.
const EXPLAIN_BODY_LIMIT: usize = 1024 * 1024;

/// How the app runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The resolver, trust anchors and clock of every job started from the pages.
    pub env: Env,
    /// The language when the request names none (`?lang=`, then Accept-Language).
    pub lang: Lang,
    /// Each job's deadline (the CLI's `--timeout`).
    pub timeout: Duration,
    /// When set, every request must carry it (`Authorization: Bearer`, or once as `?token=`,
    /// which sets a cookie): for a listen address other than loopback.
    pub token: Option<String>,
    /// Jobs that may run at once; more are refused until one ends.
    pub max_jobs: usize,
    /// Where every job's report is kept (`None`: `--no-history`).
    pub history: Option<maildoc_engine::history::History>,
}

/// The shared state of every request.
#[derive(Clone, Debug)]
struct App(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    /// The Host header values this server answers to.
    hosts: guard::Hosts,
    /// The CSRF token of this process: every form and API call carries it.
    csrf: String,
    jobs: jobs::Jobs,
}

/// The app for a server listening on `listen`.
pub fn router(config: Config, listen: SocketAddr) -> Router {
    let app = App(Arc::new(Inner {
        hosts: guard::Hosts::for_listen(listen),
        csrf: guard::random_token(),
        jobs: jobs::Jobs::new(config.max_jobs),
        config,
    }));
    let explain = Router::new()
        .route("/explain", get(pages::explain_form).post(pages::explain))
        .route("/message", get(pages::message_form).post(pages::message))
        .route("/api/explain", post(api::explain))
        .layer(DefaultBodyLimit::max(EXPLAIN_BODY_LIMIT));
    Router::new()
        .route("/", get(pages::start))
        .route("/check", get(pages::check_form).post(pages::check))
        .route("/domain", get(pages::domain_form).post(pages::domain))
        .route("/discover", get(pages::discover_form).post(pages::discover))
        .route("/status", get(pages::status_form).post(pages::status))
        .route("/triage", get(pages::triage_form).post(pages::triage))
        .route("/karte", get(pages::karte_form).post(pages::karte))
        .route("/karte/download", post(pages::karte_download))
        .route("/history", get(history::page))
        .route("/history/watch", post(history::watch))
        .route("/history/unwatch", post(history::unwatch))
        .route("/jobs/{id}/events", get(jobs::events))
        .route("/jobs/{id}/report.md", get(jobs::markdown))
        .route("/jobs/{id}/report.json", get(jobs::json))
        .route("/api/token", get(api::token))
        .route("/api/check", post(api::check))
        .route("/api/check/stream", post(api::check_stream))
        .route("/api/domain", post(api::domain))
        .route("/api/discover", post(api::discover))
        .route("/api/triage", post(api::triage))
        .route("/api/karte", post(api::karte))
        .route("/assets/app.css", get(pages::css))
        .route("/assets/app.js", get(pages::js))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(explain)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::guard,
        ))
        .with_state(app)
}

/// Serves the app on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let listen = listener.local_addr()?;
    axum::serve(listener, router(config, listen)).await
}
