//! The look-ups of a client: a person of the tax registry by ΑΦΜ, a Police record by ΑΦΜ or ΑΔΤ.

use axum::Json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use certdesk_domain::validation::IdCard;
use serde::Deserialize;

use super::errors::{invalid_client, not_found, oauth_error};
use super::{Shared, client_authenticated};
use crate::model::{PersonWire, PoliceWire};

pub(super) async fn tax_person(
    State(inner): State<Shared>,
    headers: HeaderMap,
    UrlPath(afm): UrlPath<String>,
) -> Response {
    if !client_authenticated(&inner, &headers, None) {
        return invalid_client();
    }
    match inner.people.by_afm(&afm) {
        Some(entry) => Json(PersonWire::from(&entry.tax)).into_response(),
        None => not_found(),
    }
}

#[derive(Deserialize)]
pub(super) struct PoliceQueryWire {
    afm: Option<String>,
    id_card: Option<String>,
}

pub(super) async fn police_record(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<PoliceQueryWire>,
) -> Response {
    if !client_authenticated(&inner, &headers, None) {
        return invalid_client();
    }
    let people = &inner.people;
    let entry = match (q.afm, q.id_card) {
        (Some(afm), None) => people.by_afm(&afm),
        (None, Some(id_card)) => IdCard::parse(&id_card)
            .ok()
            .and_then(|id| people.by_id_card.get(id.as_str()))
            .map(|&i| &people.entries[i]),
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "give either afm or id_card",
            );
        }
    };
    match entry.and_then(|e| e.police.as_ref()) {
        Some(record) => Json(PoliceWire::from(record)).into_response(),
        None => not_found(),
    }
}
