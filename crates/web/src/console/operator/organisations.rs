//! `/operator/organisations`: the list and «Νέος φορέας».

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_store::{Organisation, SessionRecord};
use serde::{Deserialize, Serialize};

use super::texts::OperatorTexts;
use crate::console::roles::OperatorUser;
use crate::console::texts::Texts;
use crate::error::WebError;
use crate::view::render;

#[derive(Template)]
#[template(path = "operator_organisations.html")]
struct OrganisationsPage<'a> {
    t: &'static Texts,
    o: &'static OperatorTexts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    organisations: Vec<Organisation>,
    notice: Option<&'static str>,
    error: Option<String>,
    form: OrganisationForm,
}

#[derive(Deserialize, Serialize, Default)]
pub struct OrganisationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    created: Option<String>,
}

async fn respond(
    user: &OperatorUser,
    notice: Option<&'static str>,
    error: Option<String>,
    form: OrganisationForm,
) -> Response {
    let organisations = match user.operator.organisations().await {
        Ok(organisations) => organisations,
        Err(error) => return user.failure(error),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = OrganisationsPage {
        t: user.t(),
        o: user.o(),
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: "/operator/organisations",
        organisations,
        notice,
        error,
        form,
    };
    (status, render(&page)).into_response()
}

pub async fn page(user: OperatorUser, query: axum::extract::Query<Done>) -> Response {
    let notice = query
        .created
        .as_ref()
        .map(|_| user.o().organisation_created);
    respond(&user, notice, None, OrganisationForm::default()).await
}

pub async fn create(user: OperatorUser, Form(form): Form<OrganisationForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user
        .operator
        .create_organisation(&form.code, &form.name)
        .await
    {
        Ok(_) => Redirect::to("/operator/organisations?created=1").into_response(),
        Err(error) => {
            let error = WebError::from(error);
            if error.status() == StatusCode::INTERNAL_SERVER_ERROR {
                return user.failure(error);
            }
            let message = error.message(user.lang);
            respond(&user, None, Some(message), form).await
        }
    }
}
