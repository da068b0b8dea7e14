//! The auditor's security log: the latest events, and the whole log (or from `?since=`, an RFC
//! 3339 time) as a JSON-lines download.

use askama::Template;
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use certdesk_store::SessionRecord;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error_page;
use super::operator::texts::{OperatorTexts, operator_texts};
use super::roles::AuditorUser;
use super::texts::{Texts, texts};
use crate::error::WebError;
use crate::view::{local_time, render};

struct EventRow {
    at: String,
    kind: &'static str,
    actor: String,
    subject: String,
    address: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "security_log.html")]
struct SecurityLogPage<'a> {
    t: &'static Texts,
    o: &'static OperatorTexts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    events: Vec<EventRow>,
}

fn failure(user: &AuditorUser, error: impl Into<WebError>) -> Response {
    let error = error.into();
    error_page(user.lang, &error.message(user.lang), error.status())
}

pub async fn page(user: AuditorUser) -> Response {
    let events = match user.auditor.latest().await {
        Ok(events) => events,
        Err(error) => return failure(&user, error),
    };
    let account = user.auditor.account();
    let page = SecurityLogPage {
        t: texts(user.lang),
        o: operator_texts(user.lang),
        user: Some(account.session()),
        csrf: account.csrf_token(),
        current_path: "/audit/security-log",
        events: events
            .into_iter()
            .map(|e| EventRow {
                at: local_time(e.at),
                kind: e.kind.code(),
                actor: e.actor.unwrap_or_default(),
                subject: e.subject.unwrap_or_default(),
                address: e.address.unwrap_or_default(),
                detail: e.detail.unwrap_or_default(),
            })
            .collect(),
    };
    render(&page)
}

#[derive(Deserialize)]
pub struct Since {
    #[serde(default)]
    since: Option<String>,
}

pub async fn download(user: AuditorUser, Query(query): Query<Since>) -> Response {
    let since = match query.since.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                let error = WebError::InvalidQuery {
                    field: Some("since".to_owned()),
                };
                return error_page(
                    user.lang,
                    &error.message(user.lang),
                    StatusCode::BAD_REQUEST,
                );
            }
        },
    };
    match user.auditor.export(since).await {
        Ok(lines) => (
            [
                (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"security-log.jsonl\"",
                ),
            ],
            lines,
        )
            .into_response(),
        Err(error) => failure(&user, error),
    }
}
