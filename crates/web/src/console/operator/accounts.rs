//! `/operator/accounts`: the accounts, «Νέος λογαριασμός ΔΨΠ», and one account's page with what
//! an operator does to it. A temporary password is shown once, in the answer to the form that
//! made it, never in an address.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::AppResult;
use certdesk_store::{AccountSummary, AdministratorRecord, Organisation, SessionRecord};
use serde::Deserialize;

use super::id;
use super::texts::OperatorTexts;
use crate::console::roles::OperatorUser;
use crate::console::texts::Texts;
use crate::error::WebError;
use crate::view::render;

/// One row of the list.
struct AccountRow {
    id: i64,
    username: String,
    full_name: String,
    role: &'static str,
    disabled: bool,
}

impl AccountRow {
    fn new(a: AccountSummary, user: &OperatorUser) -> AccountRow {
        AccountRow {
            id: a.id,
            username: a.username,
            full_name: a.full_name,
            role: a.role.label(user.lang),
            disabled: a.disabled,
        }
    }
}

#[derive(Template)]
#[template(path = "operator_accounts.html")]
struct AccountsPage<'a> {
    t: &'static Texts,
    o: &'static OperatorTexts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    accounts: Vec<AccountRow>,
    organisations: Vec<Organisation>,
    error: Option<String>,
    form: NewAccountForm,
}

#[derive(Deserialize, Default)]
pub struct NewAccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    organisation: String,
}

async fn list_response(
    user: &OperatorUser,
    error: Option<String>,
    form: NewAccountForm,
) -> Response {
    let loaded = async {
        AppResult::Ok((
            user.operator.accounts().await?,
            user.operator.organisations().await?,
        ))
    };
    let (accounts, organisations) = match loaded.await {
        Ok(found) => found,
        Err(error) => return user.failure(error),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = AccountsPage {
        t: user.t(),
        o: user.o(),
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: "/operator/accounts",
        accounts: accounts
            .into_iter()
            .map(|a| AccountRow::new(a, user))
            .collect(),
        organisations,
        error,
        form,
    };
    (status, render(&page)).into_response()
}

pub async fn list(user: OperatorUser) -> Response {
    list_response(&user, None, NewAccountForm::default()).await
}

pub async fn create(user: OperatorUser, Form(form): Form<NewAccountForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    let organisations = form.organisation.parse::<i64>().into_iter().collect();
    let created = user
        .operator
        .create_administrator(&form.username, &form.full_name, organisations)
        .await;
    match created {
        Ok(created) => {
            let notice = Notice {
                text: user.o().account_created,
                password: Some(created.temporary_password),
            };
            account_response(&user, created.id, Some(notice), StatusCode::CREATED).await
        }
        Err(error) => {
            let error = WebError::from(error);
            if error.status() == StatusCode::INTERNAL_SERVER_ERROR {
                return user.failure(error);
            }
            let message = error.message(user.lang);
            list_response(&user, Some(message), form).await
        }
    }
}

/// What the account page says after an action, with a temporary password made by it.
struct Notice {
    text: &'static str,
    password: Option<String>,
}

#[derive(Template)]
#[template(path = "operator_account.html")]
struct AccountPage<'a> {
    t: &'static Texts,
    o: &'static OperatorTexts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    account: AdministratorRecord,
    role: &'static str,
    serves_organisations: bool,
    /// The account's organisations, then the others (to assign).
    assigned: Vec<Organisation>,
    others: Vec<Organisation>,
    notice: Option<Notice>,
}

async fn account_response(
    user: &OperatorUser,
    id: i64,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let loaded = async {
        AppResult::Ok((
            user.operator.account(id).await?,
            user.operator.organisations().await?,
        ))
    };
    let (account, organisations) = match loaded.await {
        Ok(found) => found,
        Err(error) => return user.failure(error),
    };
    let (assigned, others) = organisations
        .into_iter()
        .partition(|o| account.organisation_ids.contains(&o.id));
    let path = format!("/operator/accounts/{id}");
    let page = AccountPage {
        t: user.t(),
        o: user.o(),
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: &path,
        role: account.role.label(user.lang),
        serves_organisations: account.role.serves_organisations(),
        account,
        assigned,
        others,
        notice,
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn page(
    user: OperatorUser,
    Path(segment): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let Some(id) = id(&segment) else {
        return user.failure(WebError::NotFound);
    };
    let o = user.o();
    let text = match query.done.as_deref() {
        Some("assigned") => Some(o.assigned),
        Some("removed") => Some(o.removed),
        Some("disabled") => Some(o.disabled_notice),
        Some("otp") => Some(o.otp_reset_notice),
        Some("sessions") => Some(o.sessions_ended_notice),
        _ => None,
    };
    let notice = text.map(|text| Notice {
        text,
        password: None,
    });
    account_response(&user, id, notice, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    organisation: String,
}

/// Checks the form's token and the id, runs `action`, and sends the browser back to the
/// account's page saying what was `done`.
async fn act<F, Fut>(
    user: &OperatorUser,
    csrf: &str,
    segment: &str,
    done: &str,
    action: F,
) -> Response
where
    F: FnOnce(i64) -> Fut,
    Fut: std::future::Future<Output = AppResult<()>>,
{
    if let Some(refusal) = user.csrf_refusal(csrf) {
        return refusal;
    }
    let Some(id) = id(segment) else {
        return user.failure(WebError::NotFound);
    };
    match action(id).await {
        Ok(()) => Redirect::to(&format!("/operator/accounts/{id}?done={done}")).into_response(),
        Err(error) => user.failure(error),
    }
}

pub async fn assign(
    user: OperatorUser,
    Path(segment): Path<String>,
    Form(form): Form<AssignForm>,
) -> Response {
    let Ok(organisation) = form.organisation.parse::<i64>() else {
        return user.failure(WebError::NotFound);
    };
    act(&user, &form.csrf, &segment, "assigned", |id| {
        user.operator.assign(id, organisation)
    })
    .await
}

pub async fn unassign(
    user: OperatorUser,
    Path((segment, organisation)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Ok(organisation) = organisation.parse::<i64>() else {
        return user.failure(WebError::NotFound);
    };
    act(&user, &form.csrf, &segment, "removed", |id| {
        user.operator.unassign(id, organisation)
    })
    .await
}

pub async fn disable(
    user: OperatorUser,
    Path(segment): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    act(&user, &form.csrf, &segment, "disabled", |id| {
        user.operator.disable(id)
    })
    .await
}

pub async fn reset_otp(
    user: OperatorUser,
    Path(segment): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    act(&user, &form.csrf, &segment, "otp", |id| {
        user.operator.reset_second_factor(id)
    })
    .await
}

pub async fn end_sessions(
    user: OperatorUser,
    Path(segment): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let operator = &user.operator;
    act(&user, &form.csrf, &segment, "sessions", |id| async move {
        operator.end_sessions(id).await.map(drop)
    })
    .await
}

/// The new temporary password is shown in this answer only.
pub async fn reset_password(
    user: OperatorUser,
    Path(segment): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    let Some(id) = id(&segment) else {
        return user.failure(WebError::NotFound);
    };
    match user.operator.reset_password(id).await {
        Ok(password) => {
            let notice = Notice {
                text: user.o().password_reset_notice,
                password: Some(password),
            };
            account_response(&user, id, Some(notice), StatusCode::OK).await
        }
        Err(error) => user.failure(error),
    }
}
