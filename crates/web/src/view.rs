//! What the console and the portal share when they render: templates, times as people in Greece
//! read them, and the history table.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use certdesk_domain::{HistoryEntry, Lang};

/// Renders a template; a template error is a bug, logged and answered with 500.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Date and time as people in Greece read them.
pub fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Athens)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// One line of the history table.
pub struct HistoryRow {
    pub at: String,
    pub action: &'static str,
    pub description: String,
    pub reason: Option<String>,
    pub actor: String,
}

/// The history as the console and the portal show it: newest first, in the reader's language.
pub fn history_rows(history: &[HistoryEntry], lang: Lang) -> Vec<HistoryRow> {
    history
        .iter()
        .rev()
        .map(|h| HistoryRow {
            at: local_time(h.at),
            action: h.action.label(lang),
            description: match lang {
                Lang::El => h.description.clone(),
                Lang::En => h.action.describe(&h.actor_name, Lang::En),
            },
            reason: h.reason.clone(),
            actor: h.actor_name.clone(),
        })
        .collect()
}
