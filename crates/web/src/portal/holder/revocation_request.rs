//! «Αίτημα ανάκλησης»: the holder asks the ΔΨΠ to revoke the certificate, with an optional
//! reason; once asked, the page shows the open request.

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::portal::holder::Holding;
use serde::Deserialize;

use super::{HolderTexts, refused};
use crate::portal::{PortalTexts, PortalUser, see_portal};
use crate::view::{local_time, render};

const PATH: &str = "/portal/revocation-request";

#[derive(Template)]
#[template(path = "portal_revocation_request.html")]
struct RevocationRequestPage<'a> {
    t: &'static PortalTexts,
    h: &'static HolderTexts,
    csrf: &'a str,
    current_path: &'a str,
    errors: Vec<String>,
    done: bool,
    /// The form, while the rules would take a request.
    may_request: bool,
    /// When the open request was made, and why.
    open: Option<(String, Option<String>)>,
    reason: &'a str,
}

fn show(
    user: &PortalUser,
    holding: Option<&Holding>,
    done: bool,
    errors: Vec<String>,
    reason: &str,
    status: StatusCode,
) -> Response {
    let open = holding
        .and_then(|h| h.open_revocation_request.as_ref())
        .map(|r| (local_time(r.at), r.reason.clone()));
    let page = RevocationRequestPage {
        t: user.texts(),
        h: super::holder_texts(user.lang),
        csrf: user.who.csrf_token(),
        current_path: PATH,
        errors,
        done: done && open.is_some(),
        may_request: holding.is_some_and(|h| h.may_request_revocation),
        open,
        reason,
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn page(user: PortalUser, Query(query): Query<DoneQuery>) -> Response {
    match user.who.holding().await {
        Ok(holding)
            if holding.may_request_revocation || holding.open_revocation_request.is_some() =>
        {
            show(
                &user,
                Some(&holding),
                query.done.is_some(),
                Vec::new(),
                "",
                StatusCode::OK,
            )
        }
        Ok(_) => see_portal(None),
        Err(error) => refused(&user, error, |e, s| show(&user, None, false, e, "", s)),
    }
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn submit(user: PortalUser, Form(form): Form<RequestForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    let error = match user.who.request_revocation(&form.reason).await {
        Ok(()) => return Redirect::to(&format!("{PATH}?done=requested")).into_response(),
        Err(error) => error,
    };
    // Shown with the request as it stands now (an open one says when it was made).
    let holding = user.who.holding().await.ok();
    refused(&user, error, |e, s| {
        show(&user, holding.as_ref(), false, e, &form.reason, s)
    })
}
