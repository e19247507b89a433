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

/// The check of an API call started as a job: its id and entry, or the refusal to answer.
fn start(
    app: &App,
    headers: &HeaderMap,
    input: &CheckInput,
) -> Result<(String, std::sync::Arc<crate::jobs::Job>), Response> {
    let lang = lang_of(app, headers, input.lang.as_deref());
    let opts = input
        .options(app, lang)
        .map_err(|m| error(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    app.start_check(opts, lang, Client::parse(&input.client))
        .map_err(|Busy| busy(lang))
}

/// `POST /api/check`: the report, when the check is done.
pub(crate) async fn check(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<CheckInput>,
) -> Response {
    let (_, job) = match start(&app, &headers, &input) {
        Ok(started) => started,
        Err(refusal) => return refusal,
    };
    match job.outcome().await {
        Outcome::Report(report) => document(maildoc_report::json(&report)),
        Outcome::Domain(report) => {
            document(serde_json::to_string_pretty(&report).unwrap_or_default())
        }
        Outcome::Roundtrip(report) => document(maildoc_report::message::roundtrip_json(&report)),
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
    let (id, job) = match start(&app, &headers, &input) {
        Ok(started) => started,
        Err(refusal) => return refusal,
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
    match app.run_domain(&input, lang).await {
        Ok(report) => document(serde_json::to_string_pretty(&report).unwrap_or_default()),
        Err(Refusal::Busy) => busy(lang),
        Err(Refusal::Words(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, m),
    }
}

/// `POST /api/discover`: the settings found, with every source.
pub(crate) async fn discover(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<DiscoverInput>,
) -> Response {
    let lang = lang_of(&app, &headers, None);
    match app.run_discover(input.address.trim(), lang).await {
        Ok(found) => document(maildoc_report::discover::json(&found)),
        Err(Refusal::Busy) => busy(lang),
        Err(Refusal::Words(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, m),
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

/// What `POST /api/triage` takes: the symptom and the answers so far; with `run`, the
/// checks (logging in only with a password) and the summary.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct TriageRequest {
    lang: Option<String>,
    symptom: String,
    answers: Vec<(String, String)>,
    run: bool,
    password: String,
}

/// `POST /api/triage`: the next question and the causes as they stand; with `run`, the
/// checks' reports and the summary for support.
pub(crate) async fn triage(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<TriageRequest>,
) -> Response {
    let lang = lang_of(&app, &headers, input.lang.as_deref());
    let triage = match maildoc_engine::triage::Triage::new(&input.symptom) {
        Ok(t) => t,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let mut outcome = maildoc_engine::triage::Outcome::new(triage);
    for (id, value) in &input.answers {
        if let Err(e) = maildoc_engine::triage::answer(&mut outcome, id, value) {
            return error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string());
        }
    }
    if input.run {
        let password = Some(input.password.as_str()).filter(|p| !p.is_empty());
        match app.run_triage_checks(&mut outcome, password, lang).await {
            Ok(()) => {}
            Err(Refusal::Busy) => return busy(lang),
            Err(Refusal::Words(m)) => return error(StatusCode::UNPROCESSABLE_ENTITY, m),
        }
    }
    let next = outcome.triage.next_question().map(|q| {
        json!({
            "id": q.id,
            "kind": match q.kind {
                maildoc_engine::triage::Kind::Choice => "choice",
                maildoc_engine::triage::Kind::Text => "text",
            },
            "text": q.text(lang),
            "answers": q.answers.iter().map(|a| json!({
                "value": a.value,
                "text": a.text(lang),
            })).collect::<Vec<_>>(),
        })
    });
    let causes: Vec<serde_json::Value> = outcome
        .triage
        .causes()
        .into_iter()
        .map(|(c, l)| json!({ "id": c.id, "text": c.text(lang), "likelihood": l.key() }))
        .collect();
    let mut body = json!({
        "symptom": outcome.triage.symptom().id,
        "next": next,
        "causes": causes,
        "checks": {
            "account": outcome.account_check_due(),
            "sender": crate::pages::sender_domain(&outcome),
        },
    });
    if input.run {
        body["summary"] = json!({
            "text": maildoc_report::triage::summary_text(&outcome, lang, None),
            "markdown": maildoc_report::triage::summary_markdown(&outcome, lang, None),
        });
        body["report"] = serde_json::to_value(&outcome.report).unwrap_or_default();
        body["domain_report"] = serde_json::to_value(&outcome.domain_report).unwrap_or_default();
    }
    Json(body).into_response()
}

/// `POST /api/karte`: a karte made from the karte form's fields (or opened from `toml`), as
/// its file and its sheet in Markdown.
pub(crate) async fn karte(
    State(app): State<App>,
    headers: HeaderMap,
    Json(input): Json<crate::pages::KarteInput>,
) -> Response {
    let lang = lang_of(&app, &headers, input.lang.as_deref());
    match app.karte_of(&input, lang).await {
        Ok(karte) => {
            let risks = maildoc_engine::karte::risks(&karte);
            Json(json!({
                "toml": maildoc_engine::karte::to_toml(&karte),
                "markdown": maildoc_report::karte::render(
                    &karte,
                    &risks,
                    lang,
                    maildoc_report::karte::SheetFormat::Markdown,
                ),
            }))
            .into_response()
        }
        Err(Refusal::Busy) => busy(lang),
        Err(Refusal::Words(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, m),
    }
}
