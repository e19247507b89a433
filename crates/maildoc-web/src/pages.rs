//! The pages: each job's form (GET) and its result (POST). A check posted by the page's
//! script answers with the job's id at once and the page follows its events; posted without
//! JavaScript, it answers when the check is done, with the whole result page.

use crate::App;
use crate::jobs::{Busy, Outcome};
use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_engine::roundtrip::RoundtripOptions;
use maildoc_engine::{CheckOptions, Password};
use maildoc_model::Protocol;
use maildoc_model::settings::AccountSettings;
use maildoc_report::web::{self, CheckFields, FormContext};
use maildoc_report::{Client, Lang, ui};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// What a check is given, from the form or from the API's JSON (the same names).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct CheckInput {
    pub(crate) lang: Option<String>,
    pub(crate) address: String,
    pub(crate) password: String,
    pub(crate) username: String,
    pub(crate) imap: String,
    pub(crate) pop3: String,
    pub(crate) smtp: String,
    pub(crate) client: String,
    /// A checkbox (`on`) in a form, `true` in JSON.
    #[serde(rename = "no-login", deserialize_with = "flag")]
    pub(crate) no_login: bool,
    /// The button pressed: `roundtrip` sends a test message and looks for it; else a check.
    /// (Not `action`: a form control of that name would hide the form's own `action`.)
    pub(crate) run: String,
}

/// The servers of a form as the settings take them: each protocol's text that is not blank.
fn server_texts<'a>(imap: &'a str, pop3: &'a str, smtp: &'a str) -> Vec<(Protocol, &'a str)> {
    [
        (Protocol::Imap, imap),
        (Protocol::Pop3, pop3),
        (Protocol::Smtp, smtp),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .collect()
}

fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Text(t) => !t.is_empty() && t != "false" && t != "off",
    })
}

impl CheckInput {
    fn fields(&self) -> CheckFields {
        CheckFields {
            address: self.address.clone(),
            username: self.username.clone(),
            imap: self.imap.clone(),
            pop3: self.pop3.clone(),
            smtp: self.smtp.clone(),
            client: Client::parse(&self.client),
            no_login: self.no_login,
        }
    }

    /// The check's options, as the CLI makes them from the same flags (the same deadline, SMTP
    /// authentication on, no password over an unencrypted connection); else why not, in
    /// `lang`.
    pub(crate) fn options(&self, app: &App, lang: Lang) -> Result<CheckOptions, String> {
        let address = self.address.trim();
        let username = Some(self.username.as_str()).filter(|u| !u.trim().is_empty());
        maildoc_engine::check_input(address, username)
            .map_err(|e| maildoc_report::error::words(&e, lang))?;
        let password = if self.no_login {
            None
        } else if self.password.is_empty() {
            return Err(ui::text("web-no-password", lang).to_string());
        } else {
            Some(Password::new(self.password.clone()))
        };
        let texts = server_texts(&self.imap, &self.pop3, &self.smtp);
        let settings =
            AccountSettings::from_texts(address, username.map(str::to_string), &texts, true)
                .map_err(|e| ui::fill("error-input", lang, &[("detail", &e.to_string())]))?;
        Ok(CheckOptions {
            settings,
            login: password.is_some(),
            password,
            smtp_auth: true,
            allow_plaintext_login: false,
            timeout: app.0.config.timeout,
        })
    }

    /// The round trip's options: the check's account, logged in (a test message is never
    /// sent without one), its own mailbox searched, within [`ROUNDTRIP_TIMEOUT`] or the
    /// server's deadline when that is longer.
    fn roundtrip(&self, app: &App, lang: Lang) -> Result<RoundtripOptions, String> {
        let check = self.options(app, lang)?;
        let Some(password) = check.password else {
            return Err(ui::text("web-roundtrip-needs-login", lang).to_string());
        };
        Ok(RoundtripOptions {
            settings: check.settings,
            password,
            to: None,
            allow_plaintext_login: false,
            keep: false,
            timeout: app.0.config.timeout.max(ROUNDTRIP_TIMEOUT),
            every: Duration::from_secs(2),
        })
    }
}

/// How long a round trip started from the page waits for its message at least.
const ROUNDTRIP_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PageQuery {
    pub(crate) lang: Option<String>,
}

pub(crate) fn query_lang(app: &App, headers: &HeaderMap, q: &PageQuery) -> Lang {
    let query = q.lang.as_deref().map(|l| format!("lang={l}"));
    crate::lang::of_request(app, headers, query.as_deref())
}

fn context(app: &App, lang: Lang) -> FormContext<'_> {
    FormContext {
        lang,
        csrf: &app.0.csrf,
        timeout_secs: app.0.config.timeout.as_secs(),
    }
}

fn refused(lang: Lang) -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(web::message_page(lang, "web-forbidden")),
    )
        .into_response()
}

fn busy(lang: Lang) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "10")],
        Html(web::message_page(lang, "web-busy")),
    )
        .into_response()
}

pub(crate) async fn start(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Html<String> {
    Html(web::start(query_lang(&app, &headers, &q)))
}

pub(crate) async fn check_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Html<String> {
    let lang = query_lang(&app, &headers, &q);
    Html(web::check_page(
        context(&app, lang),
        &CheckFields::default(),
        None,
        None,
    ))
}

/// `POST /check`: the page's script gets the job's id (202) and follows its events; a form
/// posted without JavaScript waits for the result page.
pub(crate) async fn check(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<CheckInput>,
) -> Response {
    let lang = crate::lang::of_form(&app, &headers, input.lang.as_deref());
    let fields = input.fields();
    let page = |error: Option<&str>, result: Option<&str>| {
        web::check_page(context(&app, lang), &fields, error, result)
    };
    let scripted = scripted(&headers);
    let started_job = if input.run == "roundtrip" {
        input
            .roundtrip(&app, lang)
            .map(|opts| app.start_roundtrip(opts, lang))
    } else {
        input
            .options(&app, lang)
            .map(|opts| app.start_check(opts, lang, fields.client))
    };
    let started_job = match started_job {
        Ok(started) => started,
        Err(message) if scripted => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "error": message })),
            )
                .into_response();
        }
        Err(message) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(page(Some(&message), None)),
            )
                .into_response();
        }
    };
    let (id, job) = match started_job {
        Ok(started) => started,
        Err(Busy) => return busy(lang),
    };
    if scripted {
        return started(&id);
    }
    match job.result_html(&job.outcome().await, &id) {
        Ok(result) => Html(page(None, Some(&result))).into_response(),
        Err(message) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(page(Some(&message), None)),
        )
            .into_response(),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct DomainInput {
    lang: Option<String>,
    pub(crate) domain: String,
    /// The address the domain sends from (`--ip`): its reverse DNS, blocklists and SPF.
    pub(crate) ip: String,
    /// The envelope sender (`--mail-from`): its alignment with the domain.
    #[serde(rename = "mail-from")]
    pub(crate) mail_from: String,
}

pub(crate) async fn domain_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Html<String> {
    let lang = query_lang(&app, &headers, &q);
    Html(web::domain_page(
        context(&app, lang),
        &web::DomainFields::default(),
        None,
        None,
    ))
}

/// `POST /domain`: the posture, when the check is done.
pub(crate) async fn domain(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<DomainInput>,
) -> Response {
    let lang = crate::lang::of_form(&app, &headers, input.lang.as_deref());
    let fields = web::DomainFields {
        domain: input.domain.clone(),
        ip: input.ip.clone(),
        mail_from: input.mail_from.clone(),
    };
    let page = |error: Option<&str>, result: Option<&str>| {
        web::domain_page(context(&app, lang), &fields, error, result)
    };
    let (name, opts) = match domain_inputs(&app, &input, lang) {
        Ok(inputs) => inputs,
        Err(m) => {
            return (StatusCode::UNPROCESSABLE_ENTITY, Html(page(Some(&m), None))).into_response();
        }
    };
    let (id, job) = match app.start_domain(name, opts, lang) {
        Ok(started) => started,
        Err(Busy) => return busy(lang),
    };
    if scripted(&headers) {
        return started(&id);
    }
    match job.result_html(&job.outcome().await, &id) {
        Ok(result) => Html(page(None, Some(&result))).into_response(),
        Err(message) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(page(Some(&message), None)),
        )
            .into_response(),
    }
}

/// Whether the page's script posted the form (it asks for JSON).
fn scripted(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The answer to a script whose job has started: where its events are.
fn started(id: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "job": id, "events": format!("/jobs/{id}/events") })),
    )
        .into_response()
}

/// The domain and the options of the domain form, as the CLI makes them of its flags; else
/// why not, in `lang`.
fn domain_inputs(
    app: &App,
    input: &DomainInput,
    lang: Lang,
) -> Result<
    (
        maildoc_engine::domain::DomainName,
        maildoc_engine::domain::Options,
    ),
    String,
> {
    let words = |e: &maildoc_engine::Error| maildoc_report::error::words(e, lang);
    let name = maildoc_engine::domain::DomainName::parse(&input.domain).map_err(|e| words(&e))?;
    let sending_ip = match input.ip.trim() {
        "" => None,
        ip => Some(
            ip.parse()
                .map_err(|_| ui::fill("web-error-ip", lang, &[("detail", ip)]))?,
        ),
    };
    let mail_from = match input.mail_from.trim() {
        "" => None,
        from => {
            maildoc_engine::check_input(from, None).map_err(|e| words(&e))?;
            Some(from.to_string())
        }
    };
    let opts = maildoc_engine::domain::Options {
        sending_ip,
        mail_from,
        timeout: app.0.config.timeout,
        ..Default::default()
    };
    Ok((name, opts))
}

/// Why a job run in the request did not run: too many run, or what was given cannot be used
/// (in the request's language).
pub(crate) enum Refusal {
    Busy,
    Words(String),
}

/// A job's input that cannot be used, as a refusal in `lang`.
fn unusable(e: &maildoc_engine::Error, lang: Lang) -> Refusal {
    Refusal::Words(maildoc_report::error::words(e, lang))
}

impl App {
    /// The domain check of the form as a job, when it is done.
    pub(crate) async fn run_domain(
        &self,
        input: &DomainInput,
        lang: Lang,
    ) -> Result<maildoc_model::domain::DomainReport, Refusal> {
        let (name, opts) = domain_inputs(self, input, lang).map_err(Refusal::Words)?;
        let (_, job) = self
            .start_domain(name, opts, lang)
            .map_err(|Busy| Refusal::Busy)?;
        match job.outcome().await {
            Outcome::Domain(report) => Ok(*report),
            Outcome::Report(_) | Outcome::Roundtrip(_) => Err(Refusal::Busy),
            Outcome::Failed(message) => Err(Refusal::Words(message)),
        }
    }

    /// The discovery of `address`, under a job permit and the app's deadline.
    pub(crate) async fn run_discover(
        &self,
        address: &str,
        lang: Lang,
    ) -> Result<maildoc_engine::Discovery, Refusal> {
        maildoc_engine::check_input(address, None).map_err(|e| unusable(&e, lang))?;
        let _permit = self.0.jobs.permit().map_err(|Busy| Refusal::Busy)?;
        let opts = maildoc_engine::DiscoverOptions {
            timeout: self.0.config.timeout,
        };
        let found = maildoc_engine::discover(&self.0.config.env, address, &opts, |_| {})
            .await
            .map_err(|e| unusable(&e, lang))?;
        self.keep(&[Snapshot::Discover(Box::new(found.clone()))], Origin::Web)
            .await;
        Ok(found)
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct DiscoverInput {
    lang: Option<String>,
    pub(crate) address: String,
}

pub(crate) async fn discover_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Html<String> {
    let lang = query_lang(&app, &headers, &q);
    Html(web::discover_page(context(&app, lang), "", None, None))
}

/// `POST /discover`: the settings found.
pub(crate) async fn discover(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<DiscoverInput>,
) -> Response {
    let lang = crate::lang::of_form(&app, &headers, input.lang.as_deref());
    let address = input.address.trim();
    match app.run_discover(address, lang).await {
        Ok(found) => {
            let result = maildoc_report::discover::html(&found, lang);
            Html(web::discover_page(
                context(&app, lang),
                address,
                None,
                Some(&result),
            ))
            .into_response()
        }
        Err(Refusal::Busy) => busy(lang),
        Err(Refusal::Words(m)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(web::discover_page(
                context(&app, lang),
                address,
                Some(&m),
                None,
            )),
        )
            .into_response(),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExplainInput {
    lang: Option<String>,
    pub(crate) text: String,
    pub(crate) client: String,
}

pub(crate) async fn explain_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Html<String> {
    let lang = query_lang(&app, &headers, &q);
    Html(web::explain_page(context(&app, lang), "", None, None, None))
}

/// `POST /explain`: what the text means (no network: at once).
pub(crate) async fn explain(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<ExplainInput>,
) -> Response {
    let lang = crate::lang::of_form(&app, &headers, input.lang.as_deref());
    let client = Client::parse(&input.client);
    if input.text.trim().is_empty() {
        let message = ui::text("error-explain-empty", lang);
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(web::explain_page(
                context(&app, lang),
                &input.text,
                client,
                Some(message),
                None,
            )),
        )
            .into_response();
    }
    let explanation = maildoc_engine::explain::explain(&input.text);
    let result = maildoc_report::explain::html(
        maildoc_report::explain::Input {
            text: &input.text,
            explanation: &explanation,
            check: None,
        },
        lang,
        client,
    );
    Html(web::explain_page(
        context(&app, lang),
        &input.text,
        client,
        None,
        Some(&result),
    ))
    .into_response()
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct MessageInput {
    lang: Option<String>,
    pub(crate) text: String,
}

pub(crate) async fn message_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Html<String> {
    let lang = query_lang(&app, &headers, &q);
    Html(web::received_page(context(&app, lang), "", None, None))
}

/// `POST /message`: the pasted message read, its DKIM signatures verified with the keys in
/// DNS within the server's timeout.
pub(crate) async fn message(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<MessageInput>,
) -> Response {
    let lang = crate::lang::of_form(&app, &headers, input.lang.as_deref());
    if input.text.trim().is_empty() {
        let error = ui::text("error-message-empty", lang);
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(web::received_page(
                context(&app, lang),
                &input.text,
                Some(error),
                None,
            )),
        )
            .into_response();
    }
    // It asks DNS (the keys, SPF, DMARC): it counts among the jobs running at once.
    let Ok(_permit) = app.0.jobs.permit() else {
        return busy(lang);
    };
    let config = &app.0.config;
    let report =
        maildoc_engine::message::check(&config.env, input.text.as_bytes(), config.timeout).await;
    let result = maildoc_report::message::html(&report, lang);
    app.keep(&[Snapshot::Message(Box::new(report))], Origin::Web)
        .await;
    Html(web::received_page(
        context(&app, lang),
        &input.text,
        None,
        Some(&result),
    ))
    .into_response()
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct StatusInput {
    lang: Option<String>,
    pub(crate) provider: String,
}

pub(crate) async fn status_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Html<String> {
    let lang = query_lang(&app, &headers, &q);
    Html(web::status_page(context(&app, lang), "", None, None))
}

/// `POST /status`: what the provider's own feed says now (unknown when it cannot be read).
pub(crate) async fn status(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<StatusInput>,
) -> Response {
    let lang = crate::lang::of_form(&app, &headers, input.lang.as_deref());
    let provider = input.provider.trim();
    let Ok(_permit) = app.0.jobs.permit() else {
        return busy(lang);
    };
    let config = &app.0.config;
    match maildoc_engine::status::status(
        &config.env,
        provider,
        maildoc_engine::status::FeedOverride::default(),
        config.timeout,
    )
    .await
    {
        Ok(report) => {
            let result = maildoc_report::status::html(&report, lang);
            Html(web::status_page(
                context(&app, lang),
                provider,
                None,
                Some(&result),
            ))
            .into_response()
        }
        Err(e) => {
            let words = maildoc_report::error::words(&e, lang);
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(web::status_page(
                    context(&app, lang),
                    provider,
                    Some(&words),
                    None,
                )),
            )
                .into_response()
        }
    }
}

pub(crate) async fn not_found(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = query_lang(&app, &headers, &q);
    (
        StatusCode::NOT_FOUND,
        Html(web::message_page(lang, "web-not-found")),
    )
        .into_response()
}

pub(crate) async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../assets/app.css"))
}

pub(crate) async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    )
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// `GET /triage`: the symptoms, or with `?symptom=` the first question.
pub(crate) async fn triage_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<TriageQuery>,
) -> Response {
    let lang = query_lang(
        &app,
        &headers,
        &PageQuery {
            lang: q.lang.clone(),
        },
    );
    let ctx = context(&app, lang);
    match q
        .symptom
        .as_deref()
        .map(maildoc_engine::triage::Triage::new)
    {
        Some(Ok(triage)) => {
            let state = web::TriageState {
                symptom: triage.symptom().id.as_str(),
                answers: &[],
            };
            match triage.next_question() {
                Some(question) => Html(web::triage_question(ctx, state, question, &triage)),
                None => Html(web::triage_checks(ctx, state, None, None)),
            }
            .into_response()
        }
        _ => Html(web::triage_start(ctx)).into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TriageQuery {
    lang: Option<String>,
    symptom: Option<String>,
}

/// `POST /triage`: one answer more, then the next question; after the last (or "finish"),
/// the checks; with `run`, the checks and the summary. The state comes back in the form.
pub(crate) async fn triage(
    State(app): State<App>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let lang = crate::lang::of_form(&app, &headers, field("lang"));
    let ctx = context(&app, lang);
    let Ok(triage) = maildoc_engine::triage::Triage::new(field("symptom").unwrap_or("")) else {
        return Html(web::triage_start(ctx)).into_response();
    };
    let mut outcome = maildoc_engine::triage::Outcome::new(triage);
    let mut answers: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("answer.")?.to_string(), v.clone())))
        .collect();
    if let (Some(question), Some(answer)) = (field("question"), field("answer")) {
        answers.push((question.to_string(), answer.to_string()));
    }
    for (id, value) in &answers {
        if maildoc_engine::triage::answer(&mut outcome, id, value).is_err() {
            return refused(lang);
        }
    }
    let state = web::TriageState {
        symptom: outcome.triage.symptom().id.as_str(),
        answers: &answers,
    };
    if field("run").is_some() {
        let password = field("password").filter(|p| !p.is_empty());
        return match app.run_triage_checks(&mut outcome, password, lang).await {
            Ok(()) => Html(web::triage_result(ctx, &outcome, None)).into_response(),
            Err(Refusal::Busy) => busy(lang),
            Err(Refusal::Words(m)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(web::message_text_page(lang, &m)),
            )
                .into_response(),
        };
    }
    let next = if field("finish").is_some() {
        None
    } else {
        outcome.triage.next_question()
    };
    match next {
        Some(question) => Html(web::triage_question(ctx, state, question, &outcome.triage)),
        None => {
            let account = outcome.account_check_due();
            let sender = sender_domain(&outcome);
            Html(web::triage_checks(
                ctx,
                state,
                account.as_deref(),
                sender.as_deref(),
            ))
        }
    }
    .into_response()
}

/// The sender's domain triage will check, when one is due and is a domain name.
pub(crate) fn sender_domain(outcome: &maildoc_engine::triage::Outcome) -> Option<String> {
    let due = maildoc_engine::triage::sender_domain_due(outcome)?;
    maildoc_engine::domain::DomainName::parse(&due)
        .ok()
        .map(|d| d.as_str().to_string())
}

impl App {
    /// The checks a triage runs once its questions are done: the account (logging in when a
    /// password was given), then the sender's domain, each under a job permit.
    pub(crate) async fn run_triage_checks(
        &self,
        outcome: &mut maildoc_engine::triage::Outcome,
        password: Option<&str>,
        lang: Lang,
    ) -> Result<(), Refusal> {
        let env = &self.0.config.env;
        let timeout = self.0.config.timeout;
        if let Some(address) = outcome.account_check_due() {
            let _permit = self.0.jobs.permit().map_err(|Busy| Refusal::Busy)?;
            let opts = CheckOptions {
                settings: AccountSettings {
                    address,
                    username: None,
                    servers: Vec::new(),
                },
                login: password.is_some(),
                password: password.map(|p| Password::new(p.to_string())),
                smtp_auth: true,
                allow_plaintext_login: false,
                timeout,
            };
            maildoc_engine::triage::check(env, outcome, opts, |_| {})
                .await
                .map_err(|e| unusable(&e, lang))?;
        }
        if let Some(domain) = maildoc_engine::triage::sender_check_due(outcome, false) {
            let _permit = self.0.jobs.permit().map_err(|Busy| Refusal::Busy)?;
            maildoc_engine::triage::check_sender_domain(env, outcome, &domain, timeout, |_| {})
                .await;
        }
        self.keep(&Snapshot::of_triage(outcome), Origin::Triage)
            .await;
        Ok(())
    }
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub(crate) struct KarteInput {
    pub(crate) lang: Option<String>,
    address: String,
    display_name: String,
    username: String,
    imap: String,
    pop3: String,
    smtp: String,
    devices: String,
    changed_by: String,
    toml: String,
    /// The karte being edited (its file): what the form does not show is kept.
    base: String,
}

impl KarteInput {
    /// The servers as typed (for SMTP, authenticating), as settings of `address`.
    fn settings(&self, address: &str, lang: Lang) -> Result<AccountSettings, Refusal> {
        let texts = server_texts(&self.imap, &self.pop3, &self.smtp);
        AccountSettings::from_texts(address, None, &texts, true).map_err(|e| {
            Refusal::Words(ui::fill("error-input", lang, &[("detail", &e.to_string())]))
        })
    }

    /// The devices, one a line.
    fn devices(&self, lang: Lang) -> Result<Vec<maildoc_engine::karte::Device>, Refusal> {
        self.devices
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                maildoc_engine::karte::parse_device(line).map_err(|text| {
                    Refusal::Words(ui::fill("error-input", lang, &[("detail", &text)]))
                })
            })
            .collect()
    }

    fn fields(&self) -> web::KarteFields {
        web::KarteFields {
            address: self.address.clone(),
            display_name: self.display_name.clone(),
            username: self.username.clone(),
            imap: self.imap.clone(),
            pop3: self.pop3.clone(),
            smtp: self.smtp.clone(),
            devices: self.devices.clone(),
            changed_by: self.changed_by.clone(),
            base: self.base.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct KarteQuery {
    lang: Option<String>,
    /// A finished check whose settings fill the form ("save as karte").
    from: Option<String>,
}

pub(crate) async fn karte_form(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<KarteQuery>,
) -> Html<String> {
    let lang = query_lang(&app, &headers, &PageQuery { lang: q.lang });
    let fields = q
        .from
        .and_then(|id| app.0.jobs.report(&id))
        .map(|report| fields_of_check(&report))
        .unwrap_or_default();
    Html(web::karte_page(context(&app, lang), &fields, None, None))
}

/// The karte form filled from a check: its address, its user name when it is not the
/// address, and the first server of each protocol that was checked in full.
fn fields_of_check(report: &maildoc_model::Report) -> web::KarteFields {
    let server = |protocol: Protocol| {
        report
            .servers
            .iter()
            .find(|s| s.endpoint.protocol == protocol && s.depth == maildoc_model::ProbeDepth::Full)
            .map(|s| {
                let e = &s.endpoint;
                format!("{}:{}/{}", e.host, e.port, e.security.as_str())
            })
            .unwrap_or_default()
    };
    let target = &report.target;
    web::KarteFields {
        address: target.address.clone(),
        username: if target.username == target.address {
            String::new()
        } else {
            target.username.clone()
        },
        imap: server(Protocol::Imap),
        pop3: server(Protocol::Pop3),
        smtp: server(Protocol::Smtp),
        ..web::KarteFields::default()
    }
}

/// `POST /karte`: the sheet of a new karte (its servers as typed, else discovered) or of one
/// pasted as TOML, with the file to download.
pub(crate) async fn karte(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<KarteInput>,
) -> Response {
    let lang = crate::lang::of_form(&app, &headers, input.lang.as_deref());
    let fields = input.fields();
    let ctx = context(&app, lang);
    match app.karte_of(&input, lang).await {
        Ok(karte) => {
            let risks = maildoc_engine::karte::risks(&karte);
            let sheet = maildoc_report::karte::html_section(&karte, &risks, lang);
            let toml = maildoc_engine::karte::to_toml(&karte);
            // The form now edits this karte: its fields, and the whole file kept beside them.
            let fields = web::KarteFields {
                base: toml.clone(),
                ..karte_fields(&karte)
            };
            Html(web::karte_page(ctx, &fields, None, Some((&sheet, &toml)))).into_response()
        }
        Err(Refusal::Busy) => busy(lang),
        Err(Refusal::Words(message)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(web::karte_page(ctx, &fields, Some(&message), None)),
        )
            .into_response(),
    }
}

impl App {
    /// The karte of the form: opened from its `toml` when given, else made from its fields.
    pub(crate) async fn karte_of(
        &self,
        input: &KarteInput,
        lang: Lang,
    ) -> Result<maildoc_engine::karte::Karte, Refusal> {
        if input.toml.trim().is_empty() {
            self.make_karte(input, lang).await
        } else {
            maildoc_engine::karte::parse(&input.toml, std::path::Path::new("karte.toml"))
                .map_err(|e| Refusal::Words(maildoc_report::karte::load_error_words(&e, lang)))
        }
    }

    /// A new karte from the form: the servers as typed, else as discovery finds them; the
    /// devices one a line.
    async fn make_karte(
        &self,
        input: &KarteInput,
        lang: Lang,
    ) -> Result<maildoc_engine::karte::Karte, Refusal> {
        use maildoc_engine::karte::{KarteDraft, KarteGiven};
        if !input.base.trim().is_empty() {
            return edit_karte(input, lang);
        }
        let address = input.address.trim();
        let username = Some(input.username.trim()).filter(|u| !u.is_empty());
        maildoc_engine::check_input(address, username).map_err(|e| unusable(&e, lang))?;
        let settings = input.settings(address, lang)?;
        let devices = input.devices(lang)?;
        let draft = if settings.servers.is_empty() {
            KarteDraft::from_discovery(&self.run_discover(address, lang).await?, username)
        } else {
            KarteDraft::from_servers(&settings.servers, username)
        };
        let given = KarteGiven {
            display_name: Some(input.display_name.trim().to_string()).filter(|n| !n.is_empty()),
            changed_by: Some(input.changed_by.trim().to_string()).filter(|n| !n.is_empty()),
            devices,
            ..KarteGiven::default()
        };
        let mut karte = draft.into_karte(address, given);
        karte.account.last_changed = Some(maildoc_engine::karte::now_rfc3339());
        Ok(karte)
    }
}

/// The karte form's fields of `karte`: its servers and devices as text.
fn karte_fields(karte: &maildoc_engine::karte::Karte) -> web::KarteFields {
    let text = |host: &str, port: Option<u16>, security: Option<maildoc_model::Security>| {
        let mut t = host.to_string();
        if let Some(p) = port {
            t.push_str(&format!(":{p}"));
        }
        if let Some(s) = security {
            t.push_str(&format!("/{}", s.as_str()));
        }
        t
    };
    let incoming = |protocol: Protocol| {
        karte
            .incoming
            .iter()
            .find(|s| s.protocol == protocol)
            .map(|s| text(&s.host, s.port, s.security))
            .unwrap_or_default()
    };
    web::KarteFields {
        address: karte.account.address.clone(),
        display_name: karte.account.display_name.clone().unwrap_or_default(),
        username: maildoc_engine::karte::username_of(karte).unwrap_or_default(),
        imap: incoming(Protocol::Imap),
        pop3: incoming(Protocol::Pop3),
        smtp: karte
            .outgoing
            .as_ref()
            .map(|o| text(&o.host, o.port, o.security))
            .unwrap_or_default(),
        devices: karte
            .devices
            .iter()
            .map(|d| {
                let mut line = format!(
                    "{}:{}:{}",
                    d.name,
                    d.app.as_deref().unwrap_or(""),
                    d.protocol.as_str()
                );
                match d.deletes_from_server {
                    Some(true) => line.push_str(":delete"),
                    Some(false) => line.push_str(":keep"),
                    None => {}
                }
                line
            })
            .collect::<Vec<_>>()
            .join("\n"),
        changed_by: karte.account.changed_by.clone().unwrap_or_default(),
        base: String::new(),
    }
}

/// The karte of `input.base` with the form's changes: the servers and the devices are
/// replaced only where their text was changed (what the text cannot say, such as how long
/// a POP3 server keeps the mail, stays as it was).
fn edit_karte(input: &KarteInput, lang: Lang) -> Result<maildoc_engine::karte::Karte, Refusal> {
    let mut karte =
        maildoc_engine::karte::parse(&input.base, std::path::Path::new("karte.toml"))
            .map_err(|e| Refusal::Words(maildoc_report::karte::load_error_words(&e, lang)))?;
    let before = karte_fields(&karte);
    let address = input.address.trim();
    let username = Some(input.username.trim()).filter(|u| !u.is_empty());
    maildoc_engine::check_input(address, username).map_err(|e| unusable(&e, lang))?;
    karte.account.address = address.to_string();
    let servers = [&input.imap, &input.pop3, &input.smtp, &input.username];
    let was = [&before.imap, &before.pop3, &before.smtp, &before.username];
    if servers != was {
        let settings = input.settings(address, lang)?;
        let draft = maildoc_engine::karte::KarteDraft::from_servers(&settings.servers, username);
        karte.incoming = draft.incoming;
        karte.outgoing = draft.outgoing;
    }
    if input.devices.trim() != before.devices.trim() {
        karte.devices = input.devices(lang)?;
    }
    let given = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    karte.account.display_name = given(&input.display_name);
    karte.account.changed_by = given(&input.changed_by);
    karte.account.last_changed = Some(maildoc_engine::karte::now_rfc3339());
    Ok(karte)
}

/// `POST /karte/download`: the karte file of the sheet shown, as an attachment.
pub(crate) async fn karte_download(
    State(app): State<App>,
    headers: HeaderMap,
    Form(input): Form<KarteInput>,
) -> Response {
    let lang = crate::lang::of_form(&app, &headers, input.lang.as_deref());
    match maildoc_engine::karte::parse(&input.toml, std::path::Path::new("karte.toml")) {
        Ok(karte) => (
            [
                (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"karte.toml\"",
                ),
            ],
            maildoc_engine::karte::to_toml(&karte),
        )
            .into_response(),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(web::message_text_page(
                lang,
                &maildoc_report::karte::load_error_words(&e, lang),
            )),
        )
            .into_response(),
    }
}
