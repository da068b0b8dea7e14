//! `POST /api/v1/employees/import`: the HR system's CSV export, as `certdesk import` reads it.
//! The body is spooled to a temporary file as it arrives (memory does not grow with it, and the
//! store's one transaction does not wait on a slow upload), then imported in two passes.

use axum::Json;
use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use certdesk_app::AppError;
use certdesk_app::import::{Encoding, ImportOptions, ImportRefusal};
use certdesk_domain::Lang;
use certdesk_domain::validation::ValidationError;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ErrorBody, WebError};
use crate::extract::{ApiActor, ApiQuery};

/// The largest body taken (about 1.5 million rows of a typical export).
pub const CSV_LIMIT: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The code of the organisation, one of the caller's; may be left out by a ΔΨΠ of one.
    pub org: Option<String>,
    /// `true`: a row whose ΑΦΜ the organisation has already updates that employee. `false` or
    /// absent: such a row is an error, and nothing is imported.
    #[param(value_type = Option<bool>)]
    pub update: Option<String>,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportView {
    /// The rows of the file.
    pub rows: u64,
    /// Employees added.
    pub inserted: u64,
    /// Employees whose record the file updated.
    pub updated: u64,
}

/// One bad line of the file.
#[derive(Serialize, ToSchema)]
pub struct CsvLineError {
    pub line: u64,
    /// The column at fault, by its header name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct CsvErrorDetail {
    /// `invalid_csv`; `invalid_field` for a query parameter (`org`), with `field` and no lines.
    pub code: String,
    pub message: String,
    /// The query parameter at fault, for `invalid_field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The first errors (1,000 at most), in the order of the file.
    pub lines: Vec<CsvLineError>,
    /// How many errors in all.
    pub error_count: u64,
}

/// Why nothing of the file was imported.
#[derive(Serialize, ToSchema)]
pub struct CsvErrorBody {
    pub error: CsvErrorDetail,
}

fn csv_refused(refusal: &ImportRefusal, lang: Lang) -> Response {
    let message = match lang {
        Lang::El => format!(
            "Το αρχείο έχει {} λάθη: δεν εισήχθη τίποτα.",
            refusal.error_count
        ),
        Lang::En => format!(
            "The file has {} error(s): nothing was imported.",
            refusal.error_count
        ),
    };
    let body = CsvErrorBody {
        error: CsvErrorDetail {
            code: "invalid_csv".to_owned(),
            message,
            field: None,
            lines: refusal
                .errors
                .iter()
                .map(|e| CsvLineError {
                    line: e.line,
                    field: e.field().map(|f| f.name().to_owned()),
                    message: e.message(lang),
                })
                .collect(),
            error_count: refusal.error_count,
        },
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// A query parameter refused, in the shape of this operation's other 422 answers (the error
/// format's `code`, `message` and `field`, with no lines).
fn parameter_refused(error: ValidationError, lang: Lang) -> Response {
    let field = error.field.name().to_owned();
    let message = WebError::App(AppError::Invalid(error)).message(lang);
    let body = CsvErrorBody {
        error: CsvErrorDetail {
            code: "invalid_field".to_owned(),
            message,
            field: Some(field),
            lines: Vec::new(),
            error_count: 0,
        },
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// The encoding a `text/csv` Content-Type names (UTF-8 without a charset).
fn encoding_of(headers: &HeaderMap) -> Result<Encoding, WebError> {
    let value = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or(WebError::UnsupportedMediaType)?;
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "text/csv" && media != "application/csv" {
        return Err(WebError::UnsupportedMediaType);
    }
    for parameter in parts {
        if let Some((name, value)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
        {
            return Encoding::parse(value.trim().trim_matches('"'))
                .ok_or(WebError::UnsupportedMediaType);
        }
    }
    Ok(Encoding::Utf8)
}

fn update_of(params: &ImportParams) -> Result<bool, WebError> {
    match params.update.as_deref().map(str::trim) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(WebError::InvalidQuery {
            field: Some("update".to_owned()),
        }),
    }
}

/// Writes the body to a temporary file, refusing it past [`CSV_LIMIT`]: at once when its
/// announced length (`Content-Length`) is past it, else once that much has come.
async fn spool(body: Body, announced: Option<u64>) -> Result<tempfile::NamedTempFile, WebError> {
    if announced.is_some_and(|length| length > CSV_LIMIT) {
        return Err(WebError::CsvTooLarge);
    }
    let internal = |e: std::io::Error| {
        WebError::App(AppError::Configuration(format!(
            "cannot spool the import: {e}"
        )))
    };
    let spooled = tempfile::NamedTempFile::new().map_err(internal)?;
    let mut file = tokio::fs::File::from_std(spooled.reopen().map_err(internal)?);
    let mut body = body;
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| WebError::BodyUnreadable)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        written += data.len() as u64;
        if written > CSV_LIMIT {
            return Err(WebError::CsvTooLarge);
        }
        file.write_all(&data).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    Ok(spooled)
}

/// Imports employees from the HR registry's CSV export into one of the caller's organisations.
#[utoipa::path(
    post,
    path = "/employees/import",
    params(ImportParams),
    request_body(
        content = String,
        content_type = "text/csv",
        description = "A header `afm,surname,given_name,father_name,id_card,birth_date,email,mobile,unit,position`, then one employee per row; UTF-8 (a byte-order mark is allowed), or Windows-1253 with `charset=windows-1253`. At most 256 MiB."
    ),
    responses(
        (status = 200, description = "Every row imported, in one transaction", body = ImportView),
        (status = 400, description = "`invalid_query`: `update` is neither true nor false; `bad_request`: the body could not be read", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's role imports no employees", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: more than 256 MiB", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `text/csv`, or a charset other than UTF-8 and Windows-1253", body = ErrorBody),
        (status = 422, description = "`invalid_csv`: bad rows, each with its line, field and reason, and nothing imported (`lines`, `error_count`); or `invalid_field` with field `org` (and no lines): not one of the caller's organisations, or left out by a ΔΨΠ of several", body = CsvErrorBody),
    ),
    security(("bearer" = [])),
    tag = "employees"
)]
pub async fn import(
    ApiActor(caller): ApiActor,
    ApiQuery(params): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    let options = ImportOptions {
        update: update_of(&params)?,
        encoding: encoding_of(&headers)?,
    };
    let announced = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let spooled = spool(body, announced).await?;
    let outcome = match caller
        .admin
        .import_employees(params.org.as_deref(), spooled.path(), options)
        .await
    {
        Ok(outcome) => outcome,
        Err(AppError::Invalid(error)) => return Ok(parameter_refused(error, caller.lang)),
        Err(other) => return Err(other.into()),
    };
    Ok(match outcome {
        Ok(summary) => Json(ImportView {
            rows: summary.rows,
            inserted: summary.inserted,
            updated: summary.updated,
        })
        .into_response(),
        Err(refusal) => csv_refused(&refusal, caller.lang),
    })
}
