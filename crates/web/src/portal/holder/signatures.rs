//! «Ιστορικό υπογραφών»: the signing log of the holder's certificate, newest first, a page at a
//! time.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{HolderTexts, refused};
use crate::portal::{PortalTexts, PortalUser};
use crate::view::{local_time, render};

const PATH: &str = "/portal/signatures";

pub struct LogRow {
    pub at: String,
    pub client: &'static str,
    pub digest: String,
    pub address: String,
}

#[derive(Template)]
#[template(path = "portal_signatures.html")]
struct SignaturesPage<'a> {
    t: &'static PortalTexts,
    h: &'static HolderTexts,
    csrf: &'a str,
    current_path: &'a str,
    errors: Vec<String>,
    total: i64,
    rows: Vec<LogRow>,
    /// The link to the older entries, if there are any.
    older_url: Option<String>,
    /// Not the first page: a link back to the newest.
    paged: bool,
}

#[derive(Deserialize)]
pub struct LogQuery {
    /// The last id of the page before; anything else than a number is the first page.
    before: Option<String>,
}

pub async fn page(user: PortalUser, Query(query): Query<LogQuery>) -> Response {
    let before = query.before.and_then(|b| b.trim().parse::<i64>().ok());
    let lang = user.lang;
    let show = |errors: Vec<String>, status: StatusCode, log: Option<_>| {
        let log: Option<certdesk_app::portal::holder::SigningLog> = log;
        let page = SignaturesPage {
            t: user.texts(),
            h: super::holder_texts(lang),
            csrf: user.who.csrf_token(),
            current_path: PATH,
            errors,
            total: log.as_ref().map_or(0, |l| l.total),
            older_url: log
                .as_ref()
                .and_then(|l| l.older)
                .map(|id| format!("{PATH}?before={id}")),
            rows: log
                .map(|l| {
                    l.entries
                        .into_iter()
                        .map(|e| LogRow {
                            at: local_time(e.at),
                            client: e.client.label(lang),
                            digest: e.digest,
                            address: e.address.unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            paged: before.is_some(),
        };
        (status, render(&page)).into_response()
    };
    match user.who.signing_log(before).await {
        Ok(log) => show(Vec::new(), StatusCode::OK, Some(log)),
        Err(error) => refused(&user, error, |e, s| show(e, s, None)),
    }
}
