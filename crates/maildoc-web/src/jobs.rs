//! The checks started from the pages: each a task under the engine's deadline, at most
//! `max_jobs` at once, kept for ten minutes in a table of bounded size under a random id, with
//! its events logged (a page that connects late, or again, hears them all) and streamed as
//! Server-Sent Events.

use crate::App;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_engine::{CheckOptions, Event};
use maildoc_model::Report;
use maildoc_model::domain::DomainReport;
use maildoc_model::message::RoundtripReport;
use maildoc_report::{Client, Lang};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, watch};

/// How long a finished job's result is kept.
const KEEP: Duration = Duration::from_secs(600);
/// The most jobs kept at once (running and finished).
const TABLE: usize = 256;
/// Events a slow page may fall behind by before it misses some (the log still has them).
const CHANNEL: usize = 1024;

/// One event as the page hears it: its SSE name and its JSON.
#[derive(Clone, Debug)]
pub(crate) struct WebEvent {
    name: &'static str,
    data: serde_json::Value,
}

/// How a job ended.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Report(Box<Report>),
    Domain(Box<DomainReport>),
    Roundtrip(Box<RoundtripReport>),
    /// The check could not start, in the job's language.
    Failed(String),
}

#[derive(Debug)]
pub(crate) struct Job {
    created: Instant,
    lang: Lang,
    client: Option<Client>,
    log: Mutex<Vec<WebEvent>>,
    sender: broadcast::Sender<WebEvent>,
    outcome: Mutex<Option<Outcome>>,
    done: watch::Sender<bool>,
}

impl Job {
    /// Logs `event` and sends it to every page listening, under the log's lock: a page that
    /// subscribes takes the same lock, so it misses nothing and hears nothing twice.
    fn tell(&self, event: WebEvent) {
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.push(event.clone());
        let _ = self.sender.send(event);
    }

    fn finish(&self, outcome: Outcome, id: &str) {
        let event = match self.result_html(&outcome, id) {
            Ok(html) => WebEvent {
                name: "done",
                data: json!({ "html": html }),
            },
            Err(message) => WebEvent {
                name: "failed",
                data: json!({ "message": message }),
            },
        };
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        self.tell(event);
        let _ = self.done.send(true);
    }

    /// The result of job `id` as the page shows it, or why there is none (in its language).
    pub(crate) fn result_html(&self, outcome: &Outcome, id: &str) -> Result<String, String> {
        match outcome {
            Outcome::Report(report) => Ok(maildoc_report::web::check_result(
                report,
                self.lang,
                self.client,
                id,
            )),
            Outcome::Domain(report) => {
                Ok(maildoc_report::web::domain_result(report, self.lang, id))
            }
            Outcome::Roundtrip(report) => {
                Ok(maildoc_report::web::roundtrip_result(report, self.lang, id))
            }
            Outcome::Failed(message) => Err(message.clone()),
        }
    }

    /// How the job ended, once it has.
    pub(crate) async fn outcome(&self) -> Outcome {
        let mut done = self.done.subscribe();
        let _ = done.wait_for(|d| *d).await;
        self.ended()
            .unwrap_or_else(|| Outcome::Failed(String::new()))
    }

    /// How the job ended; `None` while it runs.
    fn ended(&self) -> Option<Outcome> {
        self.outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The table of jobs and the permits to run them.
#[derive(Debug)]
pub(crate) struct Jobs {
    table: Mutex<HashMap<String, Arc<Job>>>,
    permits: Arc<Semaphore>,
}

/// No job could be started: too many run, or the table is full.
#[derive(Debug)]
pub(crate) struct Busy;

impl Jobs {
    pub(crate) fn new(max_jobs: usize) -> Jobs {
        Jobs {
            table: Mutex::new(HashMap::new()),
            permits: Arc::new(Semaphore::new(max_jobs.max(1))),
        }
    }

    /// A permit to run one job now, if one is free.
    pub(crate) fn permit(&self) -> Result<OwnedSemaphorePermit, Busy> {
        Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| Busy)
    }

    /// The report of job `id`, once it has one.
    pub(crate) fn report(&self, id: &str) -> Option<Box<Report>> {
        match self.get(id)?.ended()? {
            Outcome::Report(report) => Some(report),
            _ => None,
        }
    }

    fn get(&self, id: &str) -> Option<Arc<Job>> {
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.get(id).cloned()
    }

    /// A new job's entry under a new id; expired entries go first.
    fn insert(&self, lang: Lang, client: Option<Client>) -> Result<(String, Arc<Job>), Busy> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.retain(|_, j| j.created.elapsed() < KEEP);
        if table.len() >= TABLE {
            return Err(Busy);
        }
        let id = crate::guard::random_token()[..32].to_string();
        let job = Arc::new(Job {
            created: Instant::now(),
            lang,
            client,
            log: Mutex::new(Vec::new()),
            sender: broadcast::channel(CHANNEL).0,
            outcome: Mutex::new(None),
            done: watch::channel(false).0,
        });
        table.insert(id.clone(), Arc::clone(&job));
        Ok((id, job))
    }
}

impl App {
    /// Starts a check as a job; its id and entry, or [`Busy`].
    pub(crate) fn start_check(
        &self,
        opts: CheckOptions,
        lang: Lang,
        client: Option<Client>,
    ) -> Result<(String, Arc<Job>), Busy> {
        let timeout = opts.timeout;
        self.spawn_job(lang, client, timeout, move |env, tell| async move {
            match maildoc_engine::check(&env, opts, tell).await {
                Ok(report) => Outcome::Report(Box::new(report)),
                Err(e) => Outcome::Failed(maildoc_report::error::words(&e, lang)),
            }
        })
    }

    /// Starts a round trip as a job (one test message sent, then looked for); its id and
    /// entry, or [`Busy`].
    pub(crate) fn start_roundtrip(
        &self,
        opts: maildoc_engine::roundtrip::RoundtripOptions,
        lang: Lang,
    ) -> Result<(String, Arc<Job>), Busy> {
        let timeout = opts.timeout;
        self.spawn_job(lang, None, timeout, move |env, tell| async move {
            match maildoc_engine::roundtrip::roundtrip(&env, opts, tell).await {
                Ok(report) => Outcome::Roundtrip(Box::new(report)),
                Err(e) => Outcome::Failed(maildoc_report::error::words(&e, lang)),
            }
        })
    }

    /// Starts a domain check as a job; its id and entry, or [`Busy`].
    pub(crate) fn start_domain(
        &self,
        name: maildoc_engine::domain::DomainName,
        opts: maildoc_engine::domain::Options,
        lang: Lang,
    ) -> Result<(String, Arc<Job>), Busy> {
        let timeout = opts.timeout;
        self.spawn_job(lang, None, timeout, move |env, tell| async move {
            let report = maildoc_engine::domain::check(&env, &name, &opts, tell).await;
            Outcome::Domain(Box::new(report))
        })
    }

    /// Runs `work` as a job under a permit, with the app's Env and a teller that logs and
    /// streams each engine event; its id and entry, or [`Busy`].
    fn spawn_job<F, W>(
        &self,
        lang: Lang,
        client: Option<Client>,
        timeout: Duration,
        work: W,
    ) -> Result<(String, Arc<Job>), Busy>
    where
        W: FnOnce(maildoc_engine::Env, Box<dyn FnMut(Event) + Send>) -> F + Send + 'static,
        F: Future<Output = Outcome> + Send + 'static,
    {
        let permit = self.0.jobs.permit()?;
        let (id, job) = self.0.jobs.insert(lang, client)?;
        let env = self.0.config.env.clone();
        // The engine stops every probe at its deadline; this only guards a probe that could
        // not be polled in time.
        let backstop = timeout + Duration::from_secs(5);
        let (task_job, task_id) = (Arc::clone(&job), id.clone());
        let app = self.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let teller = Arc::clone(&task_job);
            let tell = Box::new(move |e: Event| {
                if let Some(event) = web_event(&e, lang) {
                    teller.tell(event);
                }
            });
            let outcome = match tokio::time::timeout(backstop, work(env, tell)).await {
                Ok(outcome) => outcome,
                Err(_) => Outcome::Failed(maildoc_report::ui::text("web-busy", lang).into()),
            };
            let snapshot = match &outcome {
                Outcome::Report(r) => Some(Snapshot::Check(r.clone())),
                Outcome::Domain(r) => Some(Snapshot::Domain(r.clone())),
                Outcome::Roundtrip(r) => Some(Snapshot::Roundtrip(r.clone())),
                Outcome::Failed(_) => None,
            };
            task_job.finish(outcome, &task_id);
            app.keep(snapshot.as_slice(), Origin::Web).await;
        });
        Ok((id, job))
    }
}

/// The page's form of an engine event: the planned rows, each step with its name in the
/// page's language, each server's end.
fn web_event(e: &Event, lang: Lang) -> Option<WebEvent> {
    let (name, data) = match e {
        Event::Discovering { domain } => ("discovering", json!({ "domain": domain })),
        // Discovery is a page of its own, shown when it is done.
        Event::DiscoverySource { .. } | Event::DiscoveryGuess { .. } => return None,
        // Another port tried for a server that failed: more rows, as the plan's are.
        Event::Planned { servers } | Event::Alternatives { servers, .. } => (
            "planned",
            json!({
                "servers": servers.iter().map(|s| json!({
                    "id": s.id,
                    "protocol": s.endpoint.protocol.as_str(),
                    "host": s.endpoint.host,
                    "endpoint": s.endpoint.describe(),
                })).collect::<Vec<_>>(),
                "running": maildoc_report::web::status_word("running", lang),
            }),
        ),
        Event::Step { server, step } => (
            "step",
            json!({
                "server": server,
                "id": step.id,
                "label": maildoc_report::web::step_label(step, lang),
                "at_ms": step.at_ms,
                "elapsed_ms": step.elapsed_ms,
            }),
        ),
        Event::ServerDone { evidence, status } => {
            let key = maildoc_report::web::status_key(*status);
            (
                "server-done",
                json!({
                    "server": evidence.id,
                    "status": key,
                    "word": maildoc_report::web::status_word(key, lang),
                }),
            )
        }
        Event::DomainPart {
            part, elapsed_ms, ..
        } => (
            "domain-part",
            json!({
                "part": part,
                "label": maildoc_report::web::part_label(*part, lang),
                "elapsed_ms": elapsed_ms,
            }),
        ),
    };
    Some(WebEvent { name, data })
}

/// `GET /jobs/{id}/events`: what the job has told so far, then what it tells, as SSE; the
/// stream ends with the job.
pub(crate) async fn events(State(app): State<App>, Path(id): Path<String>) -> Response {
    let Some(job) = app.0.jobs.get(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    Sse::new(event_stream(&job))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// The job's events from the first, live until its last.
pub(crate) fn event_stream(job: &Job) -> impl Stream<Item = Result<SseEvent, Infallible>> + use<> {
    let (backlog, receiver) = {
        let log = job.log.lock().unwrap_or_else(PoisonError::into_inner);
        (log.clone(), job.sender.subscribe())
    };
    let ended = backlog
        .iter()
        .any(|e| e.name == "done" || e.name == "failed");
    let live = stream::unfold((receiver, ended), |(mut receiver, ended)| async move {
        if ended {
            return None;
        }
        loop {
            match receiver.recv().await {
                Ok(e) => {
                    let last = e.name == "done" || e.name == "failed";
                    return Some((e, (receiver, last)));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    stream::iter(backlog).chain(live).enumerate().map(|(n, e)| {
        Ok(SseEvent::default()
            .id(n.to_string())
            .event(e.name)
            .data(e.data.to_string()))
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

/// `GET /jobs/{id}/report.md`: the report for support, in Markdown.
pub(crate) async fn markdown(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = q
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(app.0.config.lang);
    download(&app, &id, |outcome, client| {
        let text = match outcome {
            Outcome::Report(report) => maildoc_report::markdown::render(report, lang, client),
            Outcome::Domain(report) => maildoc_report::domain::markdown(report, lang),
            Outcome::Roundtrip(report) => maildoc_report::message::roundtrip_markdown(report, lang),
            Outcome::Failed(_) => return None,
        };
        Some(("text/markdown; charset=utf-8", "maildoc-report.md", text))
    })
}

/// `GET /jobs/{id}/report.json`: the versioned report, as `--format json` writes it.
pub(crate) async fn json(State(app): State<App>, Path(id): Path<String>) -> Response {
    download(&app, &id, |outcome, _| {
        let text = match outcome {
            Outcome::Report(report) => maildoc_report::json(report),
            Outcome::Domain(report) => serde_json::to_string_pretty(report).unwrap_or_default(),
            Outcome::Roundtrip(report) => maildoc_report::message::roundtrip_json(report),
            Outcome::Failed(_) => return None,
        };
        Some(("application/json", "maildoc-report.json", text))
    })
}

fn download(
    app: &App,
    id: &str,
    render: impl FnOnce(&Outcome, Option<Client>) -> Option<(&'static str, &'static str, String)>,
) -> Response {
    let Some((job, outcome)) = app.0.jobs.get(id).and_then(|j| j.ended().map(|o| (j, o))) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some((kind, file, body)) = render(&outcome, job.client) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}
