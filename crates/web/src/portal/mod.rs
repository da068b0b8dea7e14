//! The beneficiary's portal (SPEC §2, issue 4): the employee logs in through the tax registry
//! (OAuth2 authorization code), checks and confirms the data, is identified against the Police
//! ID-card registry while choosing a username, a signing password and a one-time-password channel,
//! and signs the application. Every page shows the status and the history, so a cancellation by a
//! ΔΨΠ is seen at once. Server-rendered, no JavaScript, one narrow column for phones.
//!
//! A beneficiary only ever reaches the application of the ΑΦΜ the tax registry vouched for: the
//! portal session holds that ΑΦΜ, and every handler finds the application from it.

mod texts;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use certdesk_domain::identity::{PersonFacts, compare, mismatch_reason};
use certdesk_domain::otp::{
    EMAIL_CODE_LIFETIME, MAX_SIGNING_FAILURES, OtpChannel, SigningCredentials, StoredSecret,
    TotpSecret, email_code_digest, email_code_from,
};
use certdesk_domain::validation::{Problem, SigningPassword, Username, ValidationError, otp_code};
use certdesk_domain::{Actor, Command, Lang, Status, throttle};
use certdesk_registry::{PoliceQuery, RegistryError, TaxIdentity, check_state, new_state};
use certdesk_store::credentials::{hash_password, new_token, token_hash, verify_password};
use certdesk_store::workflow::{WorkflowError, perform};
use certdesk_store::{
    ApplicationRecord, EmployeeQuery, EmployeeRecord, NewPortalSession, PortalSessionRecord, Scope,
    StoreError,
};
use chrono::NaiveDate;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::console::card::{HistoryRow, history_rows};
use crate::console::{console_lang, constant_time_eq, cookie, render, set_cookie};
use crate::error::ApiError;
pub use texts::{PortalTexts, portal_texts};

pub const PORTAL_SESSION_COOKIE: &str = "certdesk_portal";
const LOGIN_STATE_COOKIE: &str = "certdesk_portal_state";
/// How long a login started at the tax registry may take.
const LOGIN_STATE_MINUTES: i64 = 10;
/// The issuer an authenticator app shows next to the codes.
const TOTP_ISSUER: &str = "certdesk";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/login", get(login))
        .route("/portal/callback", get(callback))
        .route("/portal/confirm", post(confirm))
        .route("/portal/identification", post(identification))
        .route("/portal/totp", get(totp_page).post(totp_submit))
        .route("/portal/send-code", post(send_code))
        .route("/portal/sign", post(sign))
        .route("/portal/logout", post(logout))
        .route("/portal/certificate.pem", get(download_certificate))
}

// ---------------------------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "portal_landing.html")]
struct LandingPage<'a> {
    t: &'static PortalTexts,
    csrf: &'a str,
    current_path: &'a str,
    message: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "portal_message.html")]
struct MessagePage<'a> {
    t: &'static PortalTexts,
    csrf: &'a str,
    current_path: &'a str,
    message: &'a str,
}

/// What the application page shows, whatever the step.
struct ApplicationView {
    full_name: String,
    status_code: &'static str,
    status_label: &'static str,
    data: Vec<(&'static str, String)>,
    /// Which form the page offers: confirm, approval, identification, sign, issuance or done.
    step: &'static str,
    /// The OTP channel chosen at identification (for the signing form).
    channel: &'static str,
    /// Issued (or revoked, or expired): the certificate can be downloaded.
    has_certificate: bool,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct ApplicationPage<'a> {
    t: &'static PortalTexts,
    csrf: &'a str,
    current_path: &'a str,
    view: ApplicationView,
    history: Vec<HistoryRow>,
    notice: Option<&'static str>,
    errors: Vec<String>,
    form_username: &'a str,
    form_channel: &'a str,
}

#[derive(Template)]
#[template(path = "portal_totp.html")]
struct TotpPage<'a> {
    t: &'static PortalTexts,
    csrf: &'a str,
    current_path: &'a str,
    qr_svg: String,
    secret: String,
    errors: Vec<String>,
}

fn landing(lang: Lang, message: Option<&str>, status: StatusCode) -> Response {
    let page = LandingPage {
        t: portal_texts(lang),
        csrf: "",
        current_path: "/portal",
        message,
    };
    (status, render(&page)).into_response()
}

fn message_page(lang: Lang, csrf: &str, message: &str, status: StatusCode) -> Response {
    let page = MessagePage {
        t: portal_texts(lang),
        csrf,
        current_path: "/portal",
        message,
    };
    (status, render(&page)).into_response()
}

fn see_portal(done: Option<&str>) -> Response {
    match done {
        Some(done) => Redirect::to(&format!("/portal?done={done}")).into_response(),
        None => Redirect::to("/portal").into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// The logged-in beneficiary

/// What the tax registry said about the person at login: kept in the portal session, since the
/// identification compares it with the Police record.
#[derive(Serialize, Deserialize)]
struct LoggedInPerson {
    afm: String,
    surname: String,
    given_name: String,
    father_name: String,
    birth_date: NaiveDate,
}

impl From<&TaxIdentity> for LoggedInPerson {
    fn from(p: &TaxIdentity) -> LoggedInPerson {
        LoggedInPerson {
            afm: p.afm.to_string(),
            surname: p.surname.to_string(),
            given_name: p.given_name.to_string(),
            father_name: p.father_name.to_string(),
            birth_date: p.birth_date,
        }
    }
}

impl LoggedInPerson {
    fn facts(&self) -> PersonFacts {
        PersonFacts {
            surname: self.surname.clone(),
            given_name: self.given_name.clone(),
            father_name: self.father_name.clone(),
            birth_date: self.birth_date,
        }
    }
}

/// A choice of username and signing password that waits for the TOTP app's two codes (the
/// secret sealed as in `signing_credentials`).
#[derive(Serialize, Deserialize)]
struct Enrolment {
    application_id: i64,
    username: String,
    password_hash: String,
    totp_secret: String,
}

struct Beneficiary {
    session: PortalSessionRecord,
    token_hash: String,
    lang: Lang,
    person: LoggedInPerson,
}

impl Beneficiary {
    fn texts(&self) -> &'static PortalTexts {
        portal_texts(self.lang)
    }

    fn csrf_ok(&self, submitted: &str) -> bool {
        constant_time_eq(submitted.as_bytes(), self.session.csrf_token.as_bytes())
    }

    fn unavailable(&self, error: StoreError) -> Response {
        message_page(
            self.lang,
            &self.session.csrf_token,
            &ApiError::store(error, self.lang).message,
            StatusCode::SERVICE_UNAVAILABLE,
        )
    }
}

/// The beneficiary of the request's portal session, if any.
async fn beneficiary(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Beneficiary>, Response> {
    let lang = console_lang(headers);
    let Some(token) = cookie(headers, PORTAL_SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let session = match state.store.portal_session(&hash, state.clock.now()).await {
        Ok(session) => session,
        Err(e) => {
            return Err(message_page(
                lang,
                "",
                &ApiError::store(e, lang).message,
                StatusCode::SERVICE_UNAVAILABLE,
            ));
        }
    };
    let Some(session) = session else {
        return Ok(None);
    };
    let Ok(person) = serde_json::from_str::<LoggedInPerson>(&session.identity) else {
        return Ok(None);
    };
    Ok(Some(Beneficiary {
        session,
        token_hash: hash,
        lang,
        person,
    }))
}

/// The beneficiary, or the landing page for anyone not logged in.
async fn require_beneficiary(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Beneficiary, Response> {
    match beneficiary(state, headers).await? {
        Some(b) => Ok(b),
        None => Err(Redirect::to("/portal").into_response()),
    }
}

/// The beneficiary's application and the employee record it is for.
struct Current {
    application: ApplicationRecord,
    employee: EmployeeRecord,
}

impl Current {
    fn actor(&self) -> Actor {
        Actor::beneficiary(
            self.employee.id,
            format!("{} {}", self.employee.given_name, self.employee.surname),
        )
    }
}

async fn current(state: &AppState, who: &Beneficiary) -> Result<Option<Current>, Response> {
    let store = &state.store;
    let load = async {
        let Some(id) = store.beneficiary_application_id(&who.session.afm).await? else {
            return Ok(None);
        };
        let Some(application) = store.application(&Scope::Everything, id).await? else {
            return Ok(None);
        };
        let employee = store
            .employee(&Scope::Everything, application.employee_id)
            .await?;
        Ok(employee.map(|employee| Current {
            application,
            employee,
        }))
    };
    load.await.map_err(|e: StoreError| who.unavailable(e))
}

/// The application, or a page that says there is none.
async fn require_current(state: &AppState, who: &Beneficiary) -> Result<Current, Response> {
    match current(state, who).await? {
        Some(c) => Ok(c),
        None => Err(message_page(
            who.lang,
            &who.session.csrf_token,
            who.texts().no_application,
            StatusCode::NOT_FOUND,
        )),
    }
}

/// What every portal handler starts with: the logged-in beneficiary (else the landing page),
/// the form's CSRF token when it is a form, and their application. With `step`, an application
/// in another state sends the browser back to `/portal`, which shows what it awaits now (the
/// rules themselves are the domain's, applied when the command is performed).
async fn open(
    state: &AppState,
    headers: &HeaderMap,
    csrf: Option<&str>,
    step: Option<Status>,
) -> Result<(Beneficiary, Current), Response> {
    let who = require_beneficiary(state, headers).await?;
    if let Some(submitted) = csrf
        && !who.csrf_ok(submitted)
    {
        return Err(message_page(
            who.lang,
            &who.session.csrf_token,
            who.texts().csrf_failed,
            StatusCode::FORBIDDEN,
        ));
    }
    let current = require_current(state, &who).await?;
    if step.is_some_and(|step| current.application.status != step) {
        return Err(see_portal(None));
    }
    Ok((who, current))
}

// ---------------------------------------------------------------------------------------------
// Login through the tax registry

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<DoneQuery>,
) -> Response {
    let who = match beneficiary(&state, &headers).await {
        Ok(Some(who)) => who,
        Ok(None) => return landing(console_lang(&headers), None, StatusCode::OK),
        Err(response) => return response,
    };
    let current = match require_current(&state, &who).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let t = who.texts();
    let notice = match query.done.as_deref() {
        Some("confirmed") => Some(t.confirmed_notice),
        Some("identified") => Some(t.identified_notice),
        Some("code_sent") => Some(t.code_sent_notice),
        Some("signed") => Some(t.signed_notice),
        _ => None,
    };
    application_page(
        &state,
        &who,
        &current,
        notice,
        Vec::new(),
        "",
        "",
        StatusCode::OK,
    )
    .await
}

/// The redirect URI registered with the tax registry: the configured public address, else the
/// address the request came to.
fn callback_url(state: &AppState, headers: &HeaderMap) -> String {
    let base = match &state.config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    };
    format!("{base}/portal/callback")
}

async fn login(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = console_lang(&headers);
    let t = portal_texts(lang);
    let Some(registry) = state.tax_registry.clone() else {
        return landing(
            lang,
            Some(t.login_unavailable),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    };
    // The state cookie must be set on the host the registry sends the browser back to.
    if let Some(public) = &state.config.public_url {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let public_host = public
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next());
        if host.is_some() && public_host.is_some() && host != public_host {
            let target = format!("{}/portal/login", public.trim_end_matches('/'));
            return Redirect::to(&target).into_response();
        }
    }
    // The state goes to the registry and into a cookie of this browser; its digest goes into the
    // database, so that a callback can use it once only.
    let login_state = new_state();
    let expires_at = state.clock.now() + chrono::Duration::minutes(LOGIN_STATE_MINUTES);
    if let Err(e) = state
        .store
        .create_portal_login_state(&token_hash(&login_state), expires_at)
        .await
    {
        return landing(
            lang,
            Some(&ApiError::store(e, lang).message),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    }
    let target = registry.authorize_url(&login_state, &callback_url(&state, &headers));
    (
        [(
            header::SET_COOKIE,
            set_cookie(
                LOGIN_STATE_COOKIE,
                &login_state,
                Some(LOGIN_STATE_MINUTES * 60),
                state.config.secure_cookies,
            ),
        )],
        Redirect::to(&target),
    )
        .into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let lang = console_lang(&headers);
    let t = portal_texts(lang);
    let Some(registry) = state.tax_registry.clone() else {
        return landing(
            lang,
            Some(t.login_unavailable),
            StatusCode::SERVICE_UNAVAILABLE,
        );
    };
    let clear_state = set_cookie(LOGIN_STATE_COOKIE, "", Some(0), state.config.secure_cookies);
    let refuse = |message: &str, status: StatusCode| {
        let mut response = landing(lang, Some(message), status);
        if let Ok(value) = clear_state.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    };
    if query.error.is_some() {
        return refuse(t.login_refused, StatusCode::BAD_REQUEST);
    }
    // The state must be the one this browser was given, and not used before.
    let expected = cookie(&headers, LOGIN_STATE_COOKIE).unwrap_or_default();
    if check_state(&expected, query.state.as_deref()).is_err() {
        return refuse(t.login_state_invalid, StatusCode::BAD_REQUEST);
    }
    match state
        .store
        .take_portal_login_state(&token_hash(&expected), state.clock.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => return refuse(t.login_state_invalid, StatusCode::BAD_REQUEST),
        Err(e) => {
            return refuse(
                &ApiError::store(e, lang).message,
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return refuse(t.login_refused, StatusCode::BAD_REQUEST);
    };
    let identity = match registry
        .exchange_code(&code, &callback_url(&state, &headers))
        .await
    {
        Ok(identity) => identity,
        Err(RegistryError::Unavailable(detail)) => {
            tracing::warn!(%detail, "the tax registry did not answer the login");
            return refuse(t.tax_registry_down, StatusCode::SERVICE_UNAVAILABLE);
        }
        Err(error) => {
            tracing::warn!(%error, "the tax registry refused the login");
            return refuse(t.login_refused, StatusCode::BAD_REQUEST);
        }
    };
    let person = LoggedInPerson::from(&identity);
    let token = new_token();
    let now = state.clock.now();
    let session = NewPortalSession {
        token_hash: token_hash(&token),
        afm: person.afm.clone(),
        identity: serde_json::to_string(&person).expect("a person serializes"),
        csrf_token: new_token(),
        created_at: now,
        expires_at: now + chrono::Duration::hours(state.config.session_hours),
    };
    if let Err(e) = state.store.create_portal_session(&session).await {
        return refuse(
            &ApiError::store(e, lang).message,
            StatusCode::SERVICE_UNAVAILABLE,
        );
    }
    let mut response = Redirect::to("/portal").into_response();
    for value in [
        set_cookie(
            PORTAL_SESSION_COOKIE,
            &token,
            None,
            state.config.secure_cookies,
        ),
        clear_state,
    ] {
        if let Ok(value) = value.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Ok(Some(who)) = beneficiary(&state, &headers).await
        && who.csrf_ok(&form.csrf)
    {
        let _ = state.store.delete_portal_session(&who.token_hash).await;
    }
    (
        [(
            header::SET_COOKIE,
            set_cookie(
                PORTAL_SESSION_COOKIE,
                "",
                Some(0),
                state.config.secure_cookies,
            ),
        )],
        Redirect::to("/portal"),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// The application page

#[allow(clippy::too_many_arguments)]
async fn application_page(
    state: &AppState,
    who: &Beneficiary,
    current: &Current,
    notice: Option<&'static str>,
    errors: Vec<String>,
    form_username: &str,
    form_channel: &str,
    status: StatusCode,
) -> Response {
    let lang = who.lang;
    let t = who.texts();
    let history = match state.store.history(current.application.id).await {
        Ok(h) => h,
        Err(e) => return who.unavailable(e),
    };
    let app = &current.application;
    let employee = &current.employee;
    let channel = if app.status == Status::AwaitingSignature {
        match state.store.signing_credentials(app.id).await {
            Ok(Some(c)) => c.otp.code(),
            Ok(None) => "",
            Err(e) => return who.unavailable(e),
        }
    } else {
        ""
    };
    let step = match app.status {
        Status::AwaitingDataCheck => "confirm",
        Status::AwaitingApproval => "approval",
        Status::AwaitingIdentification => "identification",
        Status::AwaitingSignature => "sign",
        Status::AwaitingIssuance => "issuance",
        _ => "done",
    };
    let mut data = vec![
        (t.surname, employee.surname.clone()),
        (t.given_name, employee.given_name.clone()),
        (t.father_name, employee.father_name.clone()),
        (t.afm, employee.afm.clone()),
        (t.email, app.email.clone()),
        (t.mobile, app.mobile.clone().unwrap_or_default()),
        (t.organisation, employee.organisation_name.clone()),
        (t.unit, employee.unit.clone()),
    ];
    if let Ok(Some(username)) = state.store.reserved_username(app.id).await {
        data.push((t.username, username));
    }
    let certificate = match state.store.certificate(app.id).await {
        Ok(certificate) => certificate,
        Err(e) => return who.unavailable(e),
    };
    if let Some(c) = &certificate {
        data.push((t.certificate_serial, c.serial.clone()));
        data.push((
            t.certificate_valid_until,
            crate::console::card::local_time(c.not_after),
        ));
        data.push((t.certificate_fingerprint, certdesk_ca::fingerprint(&c.der)));
    }
    let view = ApplicationView {
        full_name: format!("{} {}", employee.given_name, employee.surname),
        status_code: app.status.code(),
        status_label: app.status.label(lang),
        data,
        step,
        channel,
        has_certificate: certificate.is_some(),
    };
    let page = ApplicationPage {
        t,
        csrf: &who.session.csrf_token,
        current_path: "/portal",
        view,
        history: history_rows(&history, lang),
        notice,
        errors,
        form_username,
        form_channel,
    };
    (status, render(&page)).into_response()
}

/// The answer to a command the rules refused or the store could not carry out.
async fn workflow_failure(state: &AppState, who: &Beneficiary, error: WorkflowError) -> Response {
    let api = ApiError::workflow(error, who.lang);
    match current(state, who).await {
        Ok(Some(current)) => {
            application_page(
                state,
                who,
                &current,
                None,
                vec![api.message],
                "",
                "",
                api.status,
            )
            .await
        }
        Ok(None) => message_page(who.lang, &who.session.csrf_token, &api.message, api.status),
        Err(response) => response,
    }
}

// ---------------------------------------------------------------------------------------------
// Confirming the data

async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (who, current) = match open(&state, &headers, Some(&form.csrf), None).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    match perform(
        state.store.as_ref(),
        &Scope::Everything,
        current.application.id,
        &Command::ConfirmData,
        &current.actor(),
        state.clock.now(),
    )
    .await
    {
        Ok(_) => see_portal(Some("confirmed")),
        Err(error) => workflow_failure(&state, &who, error).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Identification, username, signing password, OTP channel

#[derive(Deserialize)]
struct IdentificationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    otp_channel: String,
}

/// Argon2id costs tens of milliseconds: off the async threads.
async fn hash_off_thread(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("hashing does not panic")
}

async fn verify_off_thread(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

async fn username_taken(state: &AppState, username: &Username) -> Result<bool, StoreError> {
    let query = EmployeeQuery {
        username: Some(username.as_str().to_owned()),
        page: 1,
        per_page: 1,
        ..Default::default()
    };
    Ok(state
        .store
        .search_employees(&Scope::Everything, &query)
        .await?
        .total
        > 0)
}

async fn identification(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<IdentificationForm>,
) -> Response {
    let (who, current) = match open(
        &state,
        &headers,
        Some(&form.csrf),
        Some(Status::AwaitingIdentification),
    )
    .await
    {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let t = who.texts();
    let lang = who.lang;
    let again = |errors: Vec<String>, status: StatusCode| {
        let (state, who, current) = (&state, &who, &current);
        let (username, channel) = (form.username.clone(), form.otp_channel.clone());
        async move {
            application_page(
                state, who, current, None, errors, &username, &channel, status,
            )
            .await
        }
    };

    // Every field is checked, so that the beneficiary sees every problem at once.
    let mut errors = Vec::new();
    let username = Username::parse(&form.username)
        .map_err(|e| errors.push(e.message(lang)))
        .ok();
    let password = SigningPassword::parse(&form.password, &form.password_confirm)
        .map_err(|e| errors.push(e.message(lang)))
        .ok();
    let channel = match form.otp_channel.as_str() {
        "totp" | "email" => Some(form.otp_channel.as_str()),
        "" => {
            errors.push(ValidationError::new("otp_channel", Problem::Missing).message(lang));
            None
        }
        _ => {
            errors.push(ValidationError::new("otp_channel", Problem::Format).message(lang));
            None
        }
    };
    if let Some(username) = &username {
        match username_taken(&state, username).await {
            Ok(true) => {
                errors.push(ValidationError::new(Username::FIELD, Problem::Taken).message(lang))
            }
            Ok(false) => {}
            Err(e) => return who.unavailable(e),
        }
    }
    let (Some(username), Some(password), Some(channel)) = (username, password, channel) else {
        return again(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !errors.is_empty() {
        return again(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    // The identity: the tax registry's facts of the login against the Police record.
    let Some(police) = state.police_registry.clone() else {
        return again(
            vec![t.police_registry_missing.to_owned()],
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    };
    let afm = match certdesk_domain::validation::Afm::parse(&who.session.afm) {
        Ok(afm) => afm,
        Err(e) => return again(vec![e.message(lang)], StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let record = match police.id_card(&PoliceQuery::Afm(afm)).await {
        Ok(record) => record,
        Err(error) => {
            // Nothing is written: the beneficiary tries again later.
            tracing::warn!(%error, "the Police registry did not answer");
            return again(
                vec![t.police_registry_down.to_owned()],
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await;
        }
    };
    let police_facts = record.as_ref().map(|r| {
        (
            PersonFacts {
                surname: r.surname.to_string(),
                given_name: r.given_name.to_string(),
                father_name: r.father_name.to_string(),
                birth_date: r.birth_date,
            },
            r.id_card.to_string(),
        )
    });
    let mismatches = compare(
        &who.person.facts(),
        police_facts
            .as_ref()
            .map(|(facts, card)| (facts, card.as_str())),
        current.employee.id_card.as_deref(),
    );
    if !mismatches.is_empty() {
        let command = Command::FailIdentification {
            reason: mismatch_reason(&mismatches, Lang::El),
        };
        return match perform(
            state.store.as_ref(),
            &Scope::Everything,
            current.application.id,
            &command,
            &Actor::system(),
            state.clock.now(),
        )
        .await
        {
            Ok(_) => see_portal(None),
            Err(error) => workflow_failure(&state, &who, error).await,
        };
    }

    let password_hash = hash_off_thread(password.expose().to_owned()).await;
    if channel == "email" {
        let credentials = SigningCredentials {
            password_hash,
            otp: OtpChannel::Email,
        };
        return complete_identification(
            &state,
            &who,
            &current,
            username,
            credentials,
            &form.username,
        )
        .await;
    }
    let mut secret = [0u8; TotpSecret::LEN];
    rand::rng().fill(&mut secret);
    let enrolment = Enrolment {
        application_id: current.application.id,
        username: username.as_str().to_owned(),
        password_hash,
        totp_secret: seal_secret(
            &state,
            current.application.id,
            &TotpSecret::from_bytes(secret),
        )
        .0,
    };
    let json = serde_json::to_string(&enrolment).expect("an enrolment serializes");
    if let Err(e) = state
        .store
        .set_portal_enrolment(&who.token_hash, Some(&json))
        .await
    {
        return who.unavailable(e);
    }
    Redirect::to("/portal/totp").into_response()
}

/// Stores the identification's outcome; a username taken meanwhile is a form error.
async fn complete_identification(
    state: &AppState,
    who: &Beneficiary,
    current: &Current,
    username: Username,
    credentials: SigningCredentials,
    typed_username: &str,
) -> Response {
    let command = Command::CompleteIdentification {
        username,
        credentials,
    };
    match perform(
        state.store.as_ref(),
        &Scope::Everything,
        current.application.id,
        &command,
        &current.actor(),
        state.clock.now(),
    )
    .await
    {
        Ok(_) => see_portal(Some("identified")),
        Err(WorkflowError::Store(StoreError::Duplicate("username"))) => {
            let error = ValidationError::new(Username::FIELD, Problem::Taken).message(who.lang);
            application_page(
                state,
                who,
                current,
                None,
                vec![error],
                typed_username,
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => workflow_failure(state, who, error).await,
    }
}

/// The enrolment waiting in the session for the beneficiary's current application.
/// Where a TOTP secret is sealed: bound to its application.
fn totp_context(application_id: i64) -> String {
    format!("totp:application:{application_id}")
}

/// A TOTP secret as kept at rest: sealed by the installation's key-encryption key (the CA's);
/// only an installation without a CA keeps it as base32.
fn seal_secret(state: &AppState, application_id: i64, secret: &TotpSecret) -> StoredSecret {
    match &state.ca {
        Some(ca) => StoredSecret(format!(
            "sealed:{}",
            hex::encode(
                ca.kek
                    .seal(secret.as_bytes(), &totp_context(application_id))
            )
        )),
        None => StoredSecret(secret.to_base32()),
    }
}

/// The TOTP secret behind what [`seal_secret`] kept.
fn open_secret(state: &AppState, application_id: i64, stored: &StoredSecret) -> Option<TotpSecret> {
    match stored.0.strip_prefix("sealed:") {
        Some(sealed) => {
            let ca = state.ca.as_ref()?;
            let plain = ca
                .kek
                .open(&hex::decode(sealed).ok()?, &totp_context(application_id))
                .ok()?;
            TotpSecret::from_slice(&plain)
        }
        None => TotpSecret::from_base32(&stored.0),
    }
}

fn pending_enrolment(
    state: &AppState,
    who: &Beneficiary,
    current: &Current,
) -> Option<(Enrolment, TotpSecret)> {
    let enrolment: Enrolment = serde_json::from_str(who.session.enrolment.as_deref()?).ok()?;
    if enrolment.application_id != current.application.id
        || current.application.status != Status::AwaitingIdentification
    {
        return None;
    }
    let secret = open_secret(
        state,
        current.application.id,
        &StoredSecret(enrolment.totp_secret.clone()),
    )?;
    Some((enrolment, secret))
}

fn totp_page_response(
    who: &Beneficiary,
    enrolment: &Enrolment,
    secret: &TotpSecret,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let uri = secret.otpauth_uri(TOTP_ISSUER, &enrolment.username);
    let qr_svg = match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .build(),
        Err(error) => {
            tracing::error!(%error, "the QR code could not be drawn");
            String::new()
        }
    };
    // The SVG goes inline into the HTML page: drop its XML declaration.
    let qr_svg = match qr_svg.find("<svg") {
        Some(start) => qr_svg[start..].to_owned(),
        None => qr_svg,
    };
    let page = TotpPage {
        t: who.texts(),
        csrf: &who.session.csrf_token,
        current_path: "/portal/totp",
        qr_svg,
        secret: secret.to_base32(),
        errors,
    };
    (status, render(&page)).into_response()
}

async fn totp_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (who, current) = match open(&state, &headers, None, None).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    match pending_enrolment(&state, &who, &current) {
        Some((enrolment, secret)) => {
            totp_page_response(&who, &enrolment, &secret, Vec::new(), StatusCode::OK)
        }
        None => see_portal(None),
    }
}

#[derive(Deserialize)]
struct TotpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code1: String,
    #[serde(default)]
    code2: String,
}

/// The key under which wrong codes of an application are counted (the login throttle's table).
fn attempts_key(application_id: i64) -> String {
    format!("portal-otp:{application_id}")
}

/// Whether the beneficiary may try another code now.
async fn attempts_left(state: &AppState, application_id: i64) -> Result<bool, StoreError> {
    let since = throttle::window_start(state.clock.now());
    let failures = state
        .store
        .login_failures_since(&attempts_key(application_id), since)
        .await?;
    Ok(failures < MAX_SIGNING_FAILURES)
}

async fn totp_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<TotpForm>,
) -> Response {
    let (who, current) = match open(&state, &headers, Some(&form.csrf), None).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let t = who.texts();
    let lang = who.lang;
    let Some((enrolment, secret)) = pending_enrolment(&state, &who, &current) else {
        return message_page(
            lang,
            &who.session.csrf_token,
            t.enrolment_expired,
            StatusCode::CONFLICT,
        );
    };
    let app_id = current.application.id;
    match attempts_left(&state, app_id).await {
        Ok(true) => {}
        Ok(false) => {
            return totp_page_response(
                &who,
                &enrolment,
                &secret,
                vec![t.too_many_attempts.to_owned()],
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Err(e) => return who.unavailable(e),
    }
    let mut errors = Vec::new();
    let code1 = otp_code("code1", &form.code1)
        .map_err(|e| errors.push(e.message(lang)))
        .ok();
    let code2 = otp_code("code2", &form.code2)
        .map_err(|e| errors.push(e.message(lang)))
        .ok();
    let (Some(code1), Some(code2)) = (code1, code2) else {
        return totp_page_response(
            &who,
            &enrolment,
            &secret,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let now = state.clock.now();
    let Some(last_step) = secret.verify_consecutive(&code1, &code2, now) else {
        if let Err(e) = state
            .store
            .record_login_failure(&attempts_key(app_id), now)
            .await
        {
            return who.unavailable(e);
        }
        return totp_page_response(
            &who,
            &enrolment,
            &secret,
            vec![t.totp_codes_wrong.to_owned()],
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let Ok(username) = Username::parse(&enrolment.username) else {
        return message_page(
            lang,
            &who.session.csrf_token,
            t.enrolment_expired,
            StatusCode::CONFLICT,
        );
    };
    let _ = state
        .store
        .set_portal_enrolment(&who.token_hash, None)
        .await;
    let _ = state
        .store
        .clear_login_failures(&attempts_key(app_id))
        .await;
    let credentials = SigningCredentials {
        password_hash: enrolment.password_hash,
        otp: OtpChannel::Totp {
            secret: seal_secret(&state, app_id, &secret),
            last_step,
        },
    };
    complete_identification(
        &state,
        &who,
        &current,
        username,
        credentials,
        &enrolment.username,
    )
    .await
}

/// The beneficiary's own certificate, as PEM.
async fn download_certificate(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (who, current) = match open(&state, &headers, None, None).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    match state.store.certificate(current.application.id).await {
        Ok(Some(c)) => (
            [
                (header::CONTENT_TYPE, "application/x-pem-file".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"certificate-{}.pem\"", c.serial),
                ),
            ],
            certdesk_ca::certificate_pem(&c.der),
        )
            .into_response(),
        Ok(None) => see_portal(None),
        Err(e) => who.unavailable(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Signing

async fn send_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (who, current) = match open(
        &state,
        &headers,
        Some(&form.csrf),
        Some(Status::AwaitingSignature),
    )
    .await
    {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let app = &current.application;
    match state.store.signing_credentials(app.id).await {
        Ok(Some(SigningCredentials {
            otp: OtpChannel::Email,
            ..
        })) => {}
        Ok(_) => return see_portal(None),
        Err(e) => return who.unavailable(e),
    }
    // Sending is limited as guessing is: 5 codes in 15 minutes.
    let sends = format!("portal-send:{}", app.id);
    let since = throttle::window_start(state.clock.now());
    match state.store.login_failures_since(&sends, since).await {
        Ok(sent) if sent >= MAX_SIGNING_FAILURES => {
            return application_page(
                &state,
                &who,
                &current,
                None,
                vec![who.texts().too_many_attempts.to_owned()],
                "",
                "",
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
        Ok(_) => {}
        Err(e) => return who.unavailable(e),
    }
    if let Err(e) = state
        .store
        .record_login_failure(&sends, state.clock.now())
        .await
    {
        return who.unavailable(e);
    }
    let code = email_code_from(rand::rng().random());
    let now = state.clock.now();
    let email = certdesk_domain::notification::one_time_password_email(
        &current.employee.given_name,
        &current.employee.surname,
        &code,
        EMAIL_CODE_LIFETIME.num_minutes(),
    );
    match state
        .store
        .send_email_code(
            app.id,
            &email_code_digest(app.id, &code),
            now + EMAIL_CODE_LIFETIME,
            &email,
            now,
        )
        .await
    {
        Ok(()) => see_portal(Some("code_sent")),
        Err(e) => who.unavailable(e),
    }
}

#[derive(Deserialize)]
struct SignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    otp: String,
}

async fn sign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignForm>,
) -> Response {
    let (who, current) = match open(
        &state,
        &headers,
        Some(&form.csrf),
        Some(Status::AwaitingSignature),
    )
    .await
    {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let t = who.texts();
    let lang = who.lang;
    let app_id = current.application.id;
    let again = |errors: Vec<String>, status: StatusCode| {
        let (state, who, current) = (&state, &who, &current);
        async move { application_page(state, who, current, None, errors, "", "", status).await }
    };
    match attempts_left(&state, app_id).await {
        Ok(true) => {}
        Ok(false) => {
            return again(
                vec![t.too_many_attempts.to_owned()],
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
        Err(e) => return who.unavailable(e),
    }
    let mut errors = Vec::new();
    if form.password.is_empty() {
        errors.push(ValidationError::new(SigningPassword::FIELD, Problem::Missing).message(lang));
    }
    let code = otp_code("otp", &form.otp)
        .map_err(|e| errors.push(e.message(lang)))
        .ok();
    let Some(code) = code.filter(|_| errors.is_empty()) else {
        return again(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let credentials = match state.store.signing_credentials(app_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return again(vec![t.enrolment_expired.to_owned()], StatusCode::CONFLICT).await,
        Err(e) => return who.unavailable(e),
    };
    let now = state.clock.now();
    let password_ok =
        verify_off_thread(form.password.clone(), credentials.password_hash.clone()).await;
    // The code is used up only with the right password, so a wrong password costs no code.
    let code_ok = password_ok
        && match &credentials.otp {
            OtpChannel::Totp { secret, last_step } => {
                let verified = open_secret(&state, app_id, secret)
                    .and_then(|secret| secret.verify(&code, now, Some(*last_step)));
                match verified {
                    Some(step) => match state.store.use_totp_step(app_id, step).await {
                        Ok(used) => used,
                        Err(e) => return who.unavailable(e),
                    },
                    None => false,
                }
            }
            OtpChannel::Email => match state
                .store
                .take_email_code(app_id, &email_code_digest(app_id, &code), now)
                .await
            {
                Ok(taken) => taken,
                Err(e) => return who.unavailable(e),
            },
        };
    if !password_ok || !code_ok {
        if let Err(e) = state
            .store
            .record_login_failure(&attempts_key(app_id), now)
            .await
        {
            return who.unavailable(e);
        }
        let error = if password_ok {
            ValidationError::new("otp", Problem::Incorrect)
        } else {
            ValidationError::new(SigningPassword::FIELD, Problem::Incorrect)
        };
        return again(vec![error.message(lang)], StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match perform(
        state.store.as_ref(),
        &Scope::Everything,
        app_id,
        &Command::Sign,
        &current.actor(),
        now,
    )
    .await
    {
        Ok(_) => {
            let _ = state
                .store
                .clear_login_failures(&attempts_key(app_id))
                .await;
            see_portal(Some("signed"))
        }
        Err(error) => workflow_failure(&state, &who, error).await,
    }
}
