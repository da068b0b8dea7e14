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
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::AppError;
use certdesk_app::admin::{Lookup, Names};
use certdesk_domain::validation::{Afm, Email, Mobile, ValidationError};
use certdesk_store::SessionRecord;
use serde::Deserialize;

use super::texts::Texts;
use super::{ConsoleActor, ConsoleUser, error_page, render};
use crate::error::WebError;

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
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: "/applications/new",
        form,
        found: None,
        field_error: None,
        dialog: None,
    }
}

pub async fn new_application_page(ConsoleActor(user): ConsoleActor) -> Response {
    let form = StartForm::default();
    render(&page(&user, &form))
}

fn field_error(error: &ValidationError, user: &ConsoleUser) -> Option<(&'static str, String)> {
    Some((error.field.name(), error.message(user.lang)))
}

pub async fn new_application_submit(
    ConsoleActor(user): ConsoleActor,
    Form(form): Form<StartForm>,
) -> Response {
    let lang = user.lang;
    if !user.csrf_ok(&form.csrf) {
        return error_page(lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    let mut view = page(&user, &form);
    let dialog = |mut view: NewApplicationPage, text: String, status: StatusCode| {
        view.dialog = Some(text);
        (status, render(&view)).into_response()
    };
    let afm = match Afm::parse(&form.afm) {
        Ok(afm) => afm,
        Err(error) => return dialog(view, error.message(lang), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let t = user.texts();
    match user.admin.look_up(&afm).await {
        Ok(Lookup::Found(names)) => view.found = Some(names),
        Ok(Lookup::NotInTaxRegistry) => {
            let text = t.afm_not_in_tax_registry.to_owned();
            return dialog(view, text, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Ok(Lookup::UnknownEmployee) => {
            return dialog(
                view,
                t.unknown_afm.to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(AppError::RegistryUnavailable(_)) => {
            let text = t.tax_registry_unavailable.to_owned();
            return dialog(view, text, StatusCode::SERVICE_UNAVAILABLE);
        }
        Err(error) => return user.failure(error),
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
    match user
        .admin
        .start_application(&afm, &email, mobile.as_ref())
        .await
    {
        Ok(application) => {
            Redirect::to(&format!("/employees/{}?started=1", application.employee_id))
                .into_response()
        }
        Err(AppError::NotFound) => dialog(
            view,
            t.unknown_afm.to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(error) => {
            let error = WebError::from(error);
            let status = match error.status() {
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::INTERNAL_SERVER_ERROR => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::CONFLICT,
            };
            dialog(view, error.message(lang), status)
        }
    }
}
