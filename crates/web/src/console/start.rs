//! «Νέο Ψηφιακό Πιστοποιητικό»: a ΔΨΠ starts the issuance process for an employee (SPEC §2). The
//! magnifier («Αναζήτηση») looks the ΑΦΜ up and fills «Όνομα», «Επώνυμο», «Όνομα Πατρός»; a wrong
//! or unknown ΑΦΜ gets an error dialog («ΟΚ»). It works without JavaScript: the magnifier is a
//! submit button of the same form.
//!
//! The names come from the tax registry when one is configured (`certdesk serve --registry-url`),
//! else from certdesk's own employee records (the HR registry's feed). Either way the application
//! is started for an employee of the ΔΨΠ's organisations.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::validation::{Afm, Email, Mobile, ValidationError};
use certdesk_store::workflow::{WorkflowError, start_application};
use certdesk_store::{EmployeeRecord, SessionRecord};
use serde::Deserialize;

use super::texts::Texts;
use super::{ConsoleUser, error_page, render};
use crate::AppState;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "new_application.html")]
struct NewApplicationPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    form: &'a StartForm,
    /// The names the magnifier found for the ΑΦΜ.
    found: Option<Names>,
    /// A field error shown next to the field.
    field_error: Option<(&'static str, String)>,
    /// An error shown as a dialog with «ΟΚ» (unknown or invalid ΑΦΜ, open application).
    dialog: Option<String>,
}

/// «Επώνυμο», «Όνομα», «Όνομα Πατρός» as the magnifier shows them.
pub struct Names {
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
}

impl From<&EmployeeRecord> for Names {
    fn from(e: &EmployeeRecord) -> Names {
        Names {
            surname: e.surname.clone(),
            given_name: e.given_name.clone(),
            father_name: e.father_name.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    afm: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    mobile: String,
    /// Present when the magnifier was pressed rather than «Έναρξη».
    lookup: Option<String>,
}

impl NewApplicationPage<'_> {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.field_error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

fn page<'a>(user: &'a ConsoleUser, form: &'a StartForm) -> NewApplicationPage<'a> {
    NewApplicationPage {
        t: user.texts(),
        user: Some(&user.session),
        csrf: &user.session.csrf_token,
        current_path: "/applications/new",
        form,
        found: None,
        field_error: None,
        dialog: None,
    }
}

pub async fn new_application_page(user: ConsoleUser) -> Response {
    let form = StartForm::default();
    render(&page(&user, &form))
}

fn field_error(error: &ValidationError, user: &ConsoleUser) -> Option<(&'static str, String)> {
    Some((error.field, error.message(user.lang)))
}

pub async fn new_application_submit(
    State(state): State<AppState>,
    user: ConsoleUser,
    Form(form): Form<StartForm>,
) -> Response {
    let lang = user.lang;
    if !user.csrf_ok(&form.csrf) {
        return error_page(lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    let mut view = page(&user, &form);
    let afm = match Afm::parse(&form.afm) {
        Ok(afm) => afm,
        Err(error) => {
            view.dialog = Some(error.message(lang));
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response();
        }
    };
    let employee = match state
        .store
        .employee_by_afm(&user.scope(), afm.as_str())
        .await
    {
        Ok(employee) => employee,
        Err(error) => {
            return error_page(
                lang,
                &ApiError::store(error, lang).message,
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
    };
    if let Some(registry) = &state.tax_registry {
        match registry.lookup(&afm).await {
            Ok(Some(person)) => {
                view.found = Some(Names {
                    surname: person.surname.as_str().to_owned(),
                    given_name: person.given_name.as_str().to_owned(),
                    father_name: person.father_name.as_str().to_owned(),
                });
            }
            Ok(None) => {
                view.dialog = Some(user.texts().afm_not_in_tax_registry.to_owned());
                return (StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response();
            }
            Err(error) => {
                tracing::warn!(%error, "tax registry lookup failed");
                view.dialog = Some(user.texts().tax_registry_unavailable.to_owned());
                return (StatusCode::SERVICE_UNAVAILABLE, render(&view)).into_response();
            }
        }
    }
    let Some(employee) = employee else {
        view.dialog = Some(user.texts().unknown_afm.to_owned());
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response();
    };
    if view.found.is_none() {
        view.found = Some(Names::from(&employee));
    }
    if form.lookup.is_some() {
        return render(&view);
    }
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(error) => {
            view.field_error = field_error(&error, &user);
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response();
        }
    };
    let mobile = match form.mobile.trim() {
        "" => None,
        value => match Mobile::parse(value) {
            Ok(mobile) => Some(mobile),
            Err(error) => {
                view.field_error = field_error(&error, &user);
                return (StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response();
            }
        },
    };
    let outcome = start_application(
        state.store.as_ref(),
        &user.scope(),
        &afm,
        &email,
        mobile.as_ref(),
        &user.actor(),
        state.clock.now(),
    )
    .await;
    match outcome {
        Ok(application) => {
            Redirect::to(&format!("/employees/{}?started=1", application.employee_id))
                .into_response()
        }
        Err(WorkflowError::NotFound) => {
            view.dialog = Some(user.texts().unknown_afm.to_owned());
            (StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response()
        }
        Err(error) => {
            let status = if matches!(error, WorkflowError::Store(_)) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::CONFLICT
            };
            view.dialog = Some(ApiError::workflow(error, lang).message);
            (status, render(&view)).into_response()
        }
    }
}
