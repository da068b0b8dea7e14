//! Finding employees (SPEC §4): the console page, and the query both the page and the API use.

use askama::Template;
use axum::extract::{Query, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use certdesk_domain::status::{status_code, status_label};
use certdesk_domain::text::query_tokens;
use certdesk_domain::validation::{Afm, Field, IdCard, Problem, ValidationError};
use certdesk_domain::{Lang, Status};
use certdesk_store::{EmployeeQuery, SearchPage, SessionRecord, StatusFilter};
use serde::Deserialize;

use super::texts::Texts;
use super::{ConsoleUser, render};
use crate::api::employees::SearchParams;

const CONSOLE_PER_PAGE: u32 = 20;

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Turns search parameters into a store query; a value that cannot match anything is refused
/// with an error naming the field.
pub fn employee_query(params: &SearchParams) -> Result<EmployeeQuery, ValidationError> {
    let status = match non_empty(&params.status) {
        None => None,
        Some("none") => Some(StatusFilter::NoApplication),
        Some(code) => Some(StatusFilter::Is(
            Status::parse(code).ok_or(ValidationError::new(Field::Status, Problem::Format))?,
        )),
    };
    let paging = certdesk_domain::paging::Paging::new(params.page, params.per_page);
    Ok(EmployeeQuery {
        name_tokens: non_empty(&params.q).map(query_tokens).unwrap_or_default(),
        afm: non_empty(&params.afm)
            .map(Afm::parse)
            .transpose()?
            .map(|a| a.as_str().to_owned()),
        id_card: non_empty(&params.id_card)
            .map(IdCard::parse)
            .transpose()?
            .map(|c| c.as_str().to_owned()),
        email: non_empty(&params.email).map(str::to_lowercase),
        username: non_empty(&params.username).map(str::to_lowercase),
        status,
        unit: non_empty(&params.unit).map(str::to_owned),
        revocation_requested: match non_empty(&params.revocation_requested) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(ValidationError::new(
                    Field::RevocationRequested,
                    Problem::Format,
                ));
            }
        },
        page: paging.page,
        per_page: paging.per_page,
    })
}

pub struct StatusOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct UnitOption {
    pub name: String,
    pub selected: bool,
}

pub struct Row {
    pub id: i64,
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
    pub afm: String,
    pub unit: String,
    pub status_code: &'static str,
    pub status_label: &'static str,
    /// The holder's revocation request awaits the ΔΨΠ.
    pub revocation_requested: bool,
}

#[derive(Template)]
#[template(path = "employees.html")]
struct EmployeesPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    params: &'a SearchParams,
    statuses: Vec<StatusOption>,
    units: Vec<UnitOption>,
    /// «Μόνο με αίτημα ανάκλησης» is ticked.
    revocation_requested: bool,
    error: Option<String>,
    error_field: &'a str,
    /// «1.234», or «περισσότερα από 1.000» beyond the count's cap.
    total: String,
    rows: Vec<Row>,
    page: u32,
    pages: u32,
    /// The total is exact, so the last page is known.
    pages_known: bool,
    previous_url: Option<String>,
    next_url: Option<String>,
}

impl EmployeesPage<'_> {
    fn value<'v>(&self, v: &'v Option<String>) -> &'v str {
        v.as_deref().unwrap_or("")
    }
}

fn status_options(selected: Option<&str>, lang: Lang) -> Vec<StatusOption> {
    std::iter::once(None)
        .chain(Status::ALL.into_iter().map(Some))
        .map(|s| {
            let code = status_code(s);
            StatusOption {
                code,
                label: status_label(s, lang),
                selected: selected == Some(code),
            }
        })
        .collect()
}

/// The query string of the same search at another page.
fn page_url(raw_query: &str, page: u32) -> String {
    let kept: Vec<&str> = raw_query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .collect();
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    format!("/employees?{query}page={page}")
}

pub async fn employees_page(
    user: ConsoleUser,
    RawQuery(raw): RawQuery,
    form: Result<Query<SearchForm>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let raw = raw.unwrap_or_default();
    let params: SearchParams = form.map(|Query(f)| f).unwrap_or_default().into();
    let lang = user.lang;
    let units = user.admin.units().await.unwrap_or_default();
    let path = if raw.is_empty() {
        "/employees".to_owned()
    } else {
        format!("/employees?{raw}")
    };
    let mut page = EmployeesPage {
        t: user.texts(),
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: &path,
        params: &params,
        statuses: status_options(non_empty(&params.status), lang),
        revocation_requested: non_empty(&params.revocation_requested) == Some("true"),
        units: units
            .into_iter()
            .map(|name| UnitOption {
                selected: non_empty(&params.unit) == Some(name.as_str()),
                name,
            })
            .collect(),
        error: None,
        error_field: "",
        total: "0".to_owned(),
        rows: Vec::new(),
        page: 1,
        pages: 1,
        pages_known: true,
        previous_url: None,
        next_url: None,
    };
    let query = match employee_query(&SearchParams {
        per_page: Some(CONSOLE_PER_PAGE),
        ..params.clone()
    }) {
        Ok(query) => query,
        Err(error) => {
            page.error = Some(error.message(lang));
            page.error_field = error.field.name();
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
    };
    let SearchPage { total, items } = match user.admin.search(&query).await {
        Ok(result) => result,
        Err(error) => return user.failure(error),
    };
    let t = page.t;
    page.total = match total.exact {
        true => grouped(total.count, t.thousands),
        false => format!("{} {}", t.more_than, grouped(total.count, t.thousands)),
    };
    page.page = query.page;
    page.pages = total.count.div_ceil(u64::from(query.per_page)).max(1) as u32;
    page.pages_known = total.exact;
    // Beyond the cap the last page is not known: a full page has a next one.
    let has_next = match total.exact {
        true => query.page < page.pages,
        false => items.len() == query.per_page as usize,
    };
    page.previous_url = (query.page > 1).then(|| page_url(&raw, query.page - 1));
    page.next_url = has_next.then(|| page_url(&raw, query.page + 1));
    page.rows = items
        .into_iter()
        .map(|e| Row {
            id: e.id,
            surname: e.surname.to_string(),
            given_name: e.given_name.to_string(),
            father_name: e.father_name.to_string(),
            afm: e.afm.to_string(),
            unit: e.unit,
            status_code: status_code(e.status),
            status_label: status_label(e.status, lang),
            revocation_requested: e.revocation_requested,
        })
        .collect();
    render(&page)
}

/// The console's search form: every field a string, so that a malformed page number is page 1
/// instead of an error page.
#[derive(Deserialize, Default)]
pub struct SearchForm {
    q: Option<String>,
    afm: Option<String>,
    id_card: Option<String>,
    email: Option<String>,
    username: Option<String>,
    status: Option<String>,
    unit: Option<String>,
    /// The checkbox «Μόνο με αίτημα ανάκλησης» (sent as `true` when ticked).
    revocation_requested: Option<String>,
    page: Option<String>,
}

impl From<SearchForm> for SearchParams {
    fn from(form: SearchForm) -> SearchParams {
        SearchParams {
            q: form.q,
            afm: form.afm,
            id_card: form.id_card,
            email: form.email,
            username: form.username,
            status: form.status,
            unit: form.unit,
            revocation_requested: form.revocation_requested,
            page: form.page.and_then(|p| p.parse().ok()),
            per_page: None,
        }
    }
}

/// `n` with its thousands separated: 1234567 → «1.234.567» (Greek) or "1,234,567".
fn grouped(n: u64, separator: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod grouping_tests {
    use super::grouped;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(grouped(0, '.'), "0");
        assert_eq!(grouped(999, '.'), "999");
        assert_eq!(grouped(1000, '.'), "1.000");
        assert_eq!(grouped(1234567, ','), "1,234,567");
    }
}
