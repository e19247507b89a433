//! The JSON API behind the pages (docs/api.md): one endpoint per job, request bodies named as
//! the form fields, answers the same versioned JSON as `--format json`. Every call carries
//! the CSRF token of `GET /api/token` in the `X-CSRF-Token` header (the guard checks it).

use crate::App;
use crate::jobs::{Busy, Outcome};
use crate::pages::{CheckInput, DiscoverInput, DomainInput, ExplainInput, Refusal};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use futures_util::stream;
use maildoc_report::{Client, Lang};
use serde_json::json;
use std::convert::Infallible;
use std::time::Duration;

/// A JSON document as it is written (the report crate's own serialization).
fn document(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn busy(lang: Lang) -> Response {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        maildoc_report::ui::text("web-busy", lang).to_string(),
    )
}

fn lang_of(app: &App, headers: &HeaderMap, field: Option<&str>) -> Lang {
    crate::lang::of_form(app, headers, field)
}

/// `GET /api/token`: the CSRF token a script sends with each call. Another site's page cannot
/// read it: the answer carries no CORS header.
pub(crate) async fn token(State(app): State<App>) -> Response {
    Json(json!({ "csrf": app.0.csrf })).into_response()
}

/// `POST /api/check`: the report, when the check is done.
pub(crate) async fn check(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<CheckInput>,
) -> Response {
    let lang = lang_of(&app, &headers, input.lang.as_deref());
    let opts = match input.options(&app, lang) {
        Ok(o) => o,
        Err(m) => return error(StatusCode::UNPROCESSABLE_ENTITY, m),
    };
    let Ok((_, job)) = app.start_check(opts, lang, Client::parse(&input.client)) else {
        return busy(lang);
    };
    match job.outcome().await {
        Outcome::Report(report) => document(maildoc_report::json(&report)),
        Outcome::Failed(m) => error(StatusCode::UNPROCESSABLE_ENTITY, m),
    }
}

/// `POST /api/check/stream`: the check's events as Server-Sent Events, as the page hears them,
/// after a first `job` event naming where the report will be.
pub(crate) async fn check_stream(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<CheckInput>,
) -> Response {
    let lang = lang_of(&app, &headers, input.lang.as_deref());
    let opts = match input.options(&app, lang) {
        Ok(o) => o,
        Err(m) => return error(StatusCode::UNPROCESSABLE_ENTITY, m),
    };
    let (id, job) = match app.start_check(opts, lang, Client::parse(&input.client)) {
        Ok(started) => started,
        Err(Busy) => return busy(lang),
    };
    let first = SseEvent::default()
        .event("job")
        .data(json!({ "job": id, "report": format!("/jobs/{id}/report.json") }).to_string());
    let events = stream::once(async move { Ok::<_, Infallible>(first) })
        .chain(crate::jobs::event_stream(&job));
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// `POST /api/domain`: the domain's posture.
pub(crate) async fn domain(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<DomainInput>,
) -> Response {
    let lang = lang_of(&app, &headers, None);
    match app.run_domain(&input.domain).await {
        Ok(report) => document(serde_json::to_string_pretty(&report).unwrap_or_default()),
        Err(Refusal::Busy) => busy(lang),
        Err(Refusal::Input(e)) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            maildoc_report::error::words(&e, lang),
        ),
    }
}

/// `POST /api/discover`: the settings found, with every source.
pub(crate) async fn discover(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<DiscoverInput>,
) -> Response {
    let lang = lang_of(&app, &headers, None);
    match app.run_discover(input.address.trim()).await {
        Ok(found) => document(maildoc_report::discover::json(&found)),
        Err(Refusal::Busy) => busy(lang),
        Err(Refusal::Input(e)) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            maildoc_report::error::words(&e, lang),
        ),
    }
}

/// `POST /api/explain`: what the text means.
pub(crate) async fn explain(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<ExplainInput>,
) -> Response {
    let lang = lang_of(&app, &headers, None);
    if input.text.trim().is_empty() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            maildoc_report::ui::text("error-explain-empty", lang).to_string(),
        );
    }
    let explanation = maildoc_engine::explain::explain(&input.text);
    document(maildoc_report::explain::json(&explanation, None))
}
