use axum::Json;
use axum::extract::{Path, State};
use certdesk_domain::Lang;
use certdesk_store::{EmployeeRecord, Scope};
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::{ApplicationView, EmployeeRowView, EmployeeView, SearchView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiCaller, ApiQuery};

/// The search of SPEC §4, as query parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Surname and/or first name: prefix, insensitive to case, accents and final sigma; Greek or Latin.
    pub q: Option<String>,
    pub afm: Option<String>,
    pub id_card: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    /// A status code of SPEC §2, or `none`.
    pub status: Option<String>,
    pub unit: Option<String>,
    /// 1-based page number.
    pub page: Option<u32>,
    /// Results per page (1 to 200; 50 by default).
    pub per_page: Option<u32>,
}

/// Finds the employees of the caller's organisations.
#[utoipa::path(
    get,
    path = "/api/v1/employees",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of results, sorted by surname, with the total", body = SearchView),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Invalid search value", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "employees"
)]
pub async fn search(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchView>, ApiError> {
    let lang = caller.lang;
    let query = crate::console::search::employee_query(&params)
        .map_err(|e| ApiError::validation(&e, lang))?;
    let page = state
        .store
        .search_employees(&caller.scope(), &query)
        .await
        .map_err(|e| ApiError::store(e, lang))?;
    Ok(Json(SearchView {
        total: page.total,
        page: query.page,
        per_page: query.per_page,
        items: page
            .items
            .iter()
            .map(|row| EmployeeRowView::new(row, lang))
            .collect(),
    }))
}

/// One employee of the caller's organisations, with the current application and its history.
#[utoipa::path(
    get,
    path = "/api/v1/employees/{id}",
    params(("id" = i64, Path, description = "Employee id")),
    responses(
        (status = 200, body = EmployeeView),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such employee in the caller's organisations", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "employees"
)]
pub async fn card(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<EmployeeView>, ApiError> {
    let lang = caller.lang;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found(lang))?;
    let employee = state
        .store
        .employee(&caller.scope(), id)
        .await
        .map_err(|e| ApiError::store(e, lang))?
        .ok_or_else(|| ApiError::not_found(lang))?;
    let application = current_application(&state, &caller.scope(), &employee, lang).await?;
    Ok(Json(EmployeeView::new(&employee, application, lang)))
}

pub async fn current_application(
    state: &AppState,
    scope: &Scope,
    employee: &EmployeeRecord,
    lang: Lang,
) -> Result<Option<ApplicationView>, ApiError> {
    let Some(id) = employee.current_application_id else {
        return Ok(None);
    };
    application_view(state, scope, id, lang).await.map(Some)
}

pub async fn application_view(
    state: &AppState,
    scope: &Scope,
    id: i64,
    lang: Lang,
) -> Result<ApplicationView, ApiError> {
    let app = state
        .store
        .application(scope, id)
        .await
        .map_err(|e| ApiError::store(e, lang))?
        .ok_or_else(|| ApiError::not_found(lang))?;
    let history = state
        .store
        .history(id)
        .await
        .map_err(|e| ApiError::store(e, lang))?;
    Ok(ApplicationView::new(&app, &history, lang))
}
