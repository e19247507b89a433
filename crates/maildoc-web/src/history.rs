//! The history in the browser: `/history` lists every address and domain with runs,
//! `/history?subject=…` shows one's timeline with what changed from run to run; and every
//! job's report is kept as it ends.

use crate::App;
use crate::pages::{PageQuery, query_lang};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maildoc_engine::history::{Kind, Origin, Snapshot};
use maildoc_report::{Lang, ui};
use serde::Deserialize;

/// Runs shown on a timeline.
const TIMELINE_RUNS: u32 = 30;
/// The alerts of the last week are shown on the index, at most this many.
const ALERT_DAYS_MS: i64 = 7 * 86_400_000;
const ALERTS_SHOWN: u32 = 20;

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct HistoryQuery {
    #[serde(flatten)]
    page: PageQuery,
    subject: String,
}

impl App {
    /// Keeps a job's reports in the history, when the server keeps one. A history that
    /// cannot be written is told on standard error; the job's result stands.
    pub(crate) async fn keep(&self, snapshots: &[Snapshot], origin: Origin) {
        let Some(history) = &self.0.config.history else {
            return;
        };
        let clock = self.0.config.env.clock();
        for snapshot in snapshots {
            if let Err(e) = history.keep(clock, snapshot, origin).await {
                let lang = self.0.config.lang;
                let detail = maildoc_report::history::store_error(&e, lang);
                eprintln!(
                    "{}",
                    ui::fill("history-not-saved", lang, &[("detail", &detail)])
                );
            }
        }
    }
}

/// `GET /history`: the index, or one subject's timeline.
pub(crate) async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let lang = query_lang(&app, &headers, &q.page);
    let Some(history) = &app.0.config.history else {
        return refused(ui::text("web-history-off", lang), lang);
    };
    let subject = q.subject.trim();
    if subject.is_empty() {
        let since = maildoc_engine::history::now_ms(app.0.config.env.clock()) - ALERT_DAYS_MS;
        let store = history.store();
        let found = async {
            Ok::<_, maildoc_engine::history::StoreError>((
                store.subjects().await?,
                store.alerts(since, ALERTS_SHOWN).await?,
                store.watches().await?,
            ))
        };
        return match found.await {
            Ok((subjects, alerts, watches)) => Html(maildoc_report::history::index_page(
                &subjects, &alerts, &watches, None, lang,
            ))
            .into_response(),
            Err(e) => refused(&maildoc_report::history::store_error(&e, lang), lang),
        };
    }
    let Some(subject) = normalized(subject) else {
        let words = ui::fill("web-history-not-subject", lang, &[("subject", subject)]);
        return refused(&words, lang);
    };
    let found = async {
        Ok::<_, maildoc_engine::history::StoreError>((
            history.timeline(&subject, TIMELINE_RUNS).await?,
            history.store().days(None, Some(subject.clone())).await?,
            history.store().watches().await?,
        ))
    };
    match found.await {
        Ok((timeline, days, watches)) => {
            let watch = watches.iter().find(|w| w.subject == subject);
            Html(maildoc_report::history::timeline_page(
                &subject,
                &timeline,
                &days,
                watch,
                &app.0.csrf,
                lang,
            ))
            .into_response()
        }
        Err(e) => refused(&maildoc_report::history::store_error(&e, lang), lang),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct WatchInput {
    lang: Option<String>,
    subject: String,
    every: String,
}

/// `POST /history/watch`: watch the subject (`every`: `1h`, `6h`, `1d`, ...), then back to
/// its timeline. The server's watch rounds run it.
pub(crate) async fn watch(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<WatchInput>,
) -> Response {
    change_watch(&app, &headers, &input, true).await
}

/// `POST /history/unwatch`: stop watching the subject (its runs stay).
pub(crate) async fn unwatch(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<WatchInput>,
) -> Response {
    change_watch(&app, &headers, &input, false).await
}

async fn change_watch(app: &App, headers: &HeaderMap, input: &WatchInput, on: bool) -> Response {
    let lang = crate::lang::of_form(app, headers, input.lang.as_deref());
    let Some(history) = &app.0.config.history else {
        return refused(ui::text("web-history-off", lang), lang);
    };
    let Some(subject) = normalized(input.subject.trim()) else {
        let words = ui::fill(
            "web-history-not-subject",
            lang,
            &[("subject", input.subject.trim())],
        );
        return refused(&words, lang);
    };
    let kind = if subject.contains('@') {
        Kind::Check
    } else {
        Kind::Domain
    };
    let store = history.store();
    let done = if on {
        let Some(every_s) = maildoc_engine::watch::parse_every(&input.every) else {
            return refused(
                &ui::fill("error-watch-every", lang, &[("detail", &input.every)]),
                lang,
            );
        };
        let now = maildoc_engine::history::now_ms(app.0.config.env.clock());
        store
            .add_watch(kind, subject.clone(), every_s, true, now)
            .await
            .map(|_| ())
    } else {
        store.remove_watch(kind, subject.clone()).await.map(|_| ())
    };
    match done {
        Ok(()) => {
            let to = maildoc_report::history::subject_href(&subject, lang);
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
        Err(e) => refused(&maildoc_report::history::store_error(&e, lang), lang),
    }
}

/// An address or domain as runs are kept (lower case, A-labels).
fn normalized(text: &str) -> Option<String> {
    if text.contains('@') {
        maildoc_engine::check_input(text, None)
            .ok()
            .map(|a| a.full().to_lowercase())
    } else {
        maildoc_engine::domain::DomainName::parse(text)
            .ok()
            .map(|d| d.as_str().to_lowercase())
    }
}

fn refused(words: &str, lang: Lang) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Html(maildoc_report::history::index_page(
            &[],
            &[],
            &[],
            Some(words),
            lang,
        )),
    )
        .into_response()
}
