use axum::Json;
use axum::extract::Path;
use certdesk_app::admin::Administrator;
use certdesk_domain::Lang;
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::{
    ApplicationView, EmployeeRowView, EmployeeView, RevocationRequestView, SearchView,
};
use crate::error::{ErrorBody, WebError};
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
    #[param(
        pattern = "^\\s*(none|awaiting_data_check|awaiting_approval|awaiting_identification|awaiting_signature|awaiting_issuance|issued|rejected|revoked|expired)?\\s*$"
    )]
    pub status: Option<String>,
    pub unit: Option<String>,
    /// `true`: only the employees whose holder made a revocation request
    /// («Αίτημα ανάκλησης») that awaits the ΔΨΠ: the certificate is still issued (a revocation
    /// ends the request). `false` or absent: no such filter. Another value is answered 422
    /// naming the parameter.
    #[param(value_type = Option<bool>)]
    pub revocation_requested: Option<String>,
    /// 1-based page number (0 is read as 1).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    pub page: Option<u32>,
    /// Results per page, 50 by default; a value outside 1 to 200 is brought into it.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    pub per_page: Option<u32>,
}

/// Finds the employees of the caller's organisations.
#[utoipa::path(
    get,
    path = "/employees",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of results, sorted by surname (by its Latin spelling when the first word of `q` is in Latin letters), with the total: exact up to 1,000, beyond that `total_exact` is false", body = SearchView),
        (status = 400, description = "A query parameter is not of its type (e.g. a page that is not a number): `invalid_query`", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's role reads no employees (an operator)", body = ErrorBody),
        (status = 422, description = "Invalid search value", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "employees"
)]
pub async fn search(
    caller: ApiCaller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchView>, WebError> {
    let query = crate::console::search::employee_query(&params)?;
    let page = caller.admin.search(&query).await?;
    Ok(Json(SearchView {
        total: page.total.count,
        total_exact: page.total.exact,
        page: query.page,
        per_page: query.per_page,
        items: page
            .items
            .iter()
            .map(|row| EmployeeRowView::new(row, caller.lang))
            .collect(),
    }))
}

/// One employee of the caller's organisations, with the current application and its history,
/// the number of signatures its certificate made and the holder's open revocation request.
#[utoipa::path(
    get,
    path = "/employees/{id}",
    params(("id" = i64, Path, description = "Employee id")),
    responses(
        (status = 200, body = EmployeeView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's role reads no employees (an operator)", body = ErrorBody),
        (status = 404, description = "No such employee in the caller's organisations", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "employees"
)]
pub async fn card(
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<EmployeeView>, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let card = caller.admin.card(id).await?;
    let application = card
        .application
        .as_ref()
        .map(|a| ApplicationView::new(a, &card.history, caller.lang));
    Ok(Json(EmployeeView {
        signature_count: card.signature_count,
        revocation_request: card
            .application
            .as_ref()
            .and_then(|a| a.open_revocation_request())
            .map(|r| RevocationRequestView {
                requested_at: r.at,
                reason: r.reason.clone(),
            }),
        ..EmployeeView::new(&card.employee, application, caller.lang)
    }))
}

/// An application of the caller's organisations as the API shows it.
pub async fn application_view(
    admin: &Administrator,
    id: i64,
    lang: Lang,
) -> Result<ApplicationView, WebError> {
    let (application, history) = admin.application(id).await?;
    Ok(ApplicationView::new(&application, &history, lang))
}
