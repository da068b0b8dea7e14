//! «Υπογραφή εγγράφου»: the form (PDFs, an optional visible signature, the signing password and
//! a one-time code), «Αποστολή κωδικού» for the email channel, and the signed PDF as the answer
//! (several in one ZIP archive). The signing is the app's (`Beneficiary::sign_documents`).

use std::io::Write;

use askama::Template;
use axum::Form;
use axum::extract::Multipart;
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::AppError;
use certdesk_app::portal::documents::{Document, Placement, SignedDocument};
use certdesk_app::portal::signing::CodeSent;
use certdesk_domain::remote_signing::{DocumentProblem, MAX_BATCH_BYTES, visible_page};
use serde::Deserialize;

use super::document_texts::{DocumentTexts, document_texts};
use super::{CsrfForm, PortalTexts, PortalUser, message_page, portal_message};
use crate::error::WebError;
use crate::extract::ClientAddress;
use crate::view::render;

#[derive(Template)]
#[template(path = "portal_documents.html")]
struct DocumentsPage<'a> {
    t: &'static PortalTexts,
    d: &'static DocumentTexts,
    csrf: &'a str,
    current_path: &'a str,
    channel: &'a str,
    /// The TSA's host when the signatures carry a timestamp (B-T).
    timestamp_authority: Option<String>,
    errors: Vec<String>,
    notice: Option<&'static str>,
    visible: bool,
    page: String,
}

/// What the form said besides the files, to show it again.
#[derive(Default)]
struct Typed {
    visible: bool,
    page: String,
}

async fn documents_page(
    user: &PortalUser,
    errors: Vec<String>,
    notice: Option<&'static str>,
    typed: Typed,
    status: StatusCode,
) -> Response {
    let channel = match user.who.document_signing_channel().await {
        Ok(Some(channel)) => channel,
        Ok(None) => return Redirect::to("/portal").into_response(),
        Err(error) => return message_page(user.lang, user.who.csrf_token(), &error.into()),
    };
    let page = DocumentsPage {
        t: user.texts(),
        d: document_texts(user.lang),
        csrf: user.who.csrf_token(),
        current_path: "/portal/documents",
        channel,
        timestamp_authority: user.who.document_timestamp_authority(),
        errors,
        notice,
        visible: typed.visible,
        page: if typed.page.is_empty() {
            "1".to_owned()
        } else {
            typed.page
        },
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /portal/documents`: the form, for a holder whose certificate signs.
pub async fn page(user: PortalUser, Query(done): Query<Done>) -> Response {
    let notice = (done.done == "code_sent").then(|| document_texts(user.lang).code_sent);
    documents_page(&user, Vec::new(), notice, Typed::default(), StatusCode::OK).await
}

/// `POST /portal/documents/send-code`.
pub async fn send_code(user: PortalUser, Form(form): Form<CsrfForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user.who.send_document_code().await {
        Ok(CodeSent::Sent) => Redirect::to("/portal/documents?done=code_sent").into_response(),
        Ok(CodeSent::NotEmailChannel) => Redirect::to("/portal/documents").into_response(),
        Err(error) => refusal(&user, error, Typed::default()).await,
    }
}

/// The form as posted.
#[derive(Default)]
struct Posted {
    csrf: String,
    password: String,
    otp: String,
    typed: Typed,
    documents: Vec<Document>,
}

async fn read_form(mut multipart: Multipart) -> Result<Posted, ()> {
    let mut posted = Posted::default();
    while let Some(field) = multipart.next_field().await.map_err(|_| ())? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| ())?;
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        match name.as_str() {
            "csrf" => posted.csrf = text(),
            "password" => posted.password = String::from_utf8_lossy(&bytes).into_owned(),
            "otp" => posted.otp = text(),
            "visible" => posted.typed.visible = text() == "on",
            "page" => posted.typed.page = text(),
            // A file input left empty still sends a part, with no name and no bytes.
            "documents"
                if !bytes.is_empty() || file_name.as_deref().is_some_and(|n| !n.is_empty()) =>
            {
                posted.documents.push(Document {
                    name: file_name.unwrap_or_default(),
                    bytes: bytes.to_vec(),
                })
            }
            _ => {}
        }
    }
    Ok(posted)
}

/// `POST /portal/documents`: signs and answers the signed PDF (several: a ZIP archive).
pub async fn sign(
    user: PortalUser,
    ClientAddress(address): ClientAddress,
    multipart: Multipart,
) -> Response {
    let Ok(posted) = read_form(multipart).await else {
        let too_large = DocumentProblem::BatchTooLarge {
            max_bytes: MAX_BATCH_BYTES,
        };
        return documents_page(
            &user,
            vec![too_large.message("", user.lang)],
            None,
            Typed::default(),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    };
    if let Some(refusal) = user.csrf_refusal(&posted.csrf) {
        return refusal;
    }
    let placement = if posted.typed.visible {
        match visible_page(&posted.typed.page) {
            Ok(page) => Some(Placement { page }),
            Err(problem) => {
                return documents_page(
                    &user,
                    vec![problem.message("", user.lang)],
                    None,
                    posted.typed,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        }
    } else {
        None
    };
    let signed = user
        .who
        .sign_documents(
            &posted.password,
            &posted.otp,
            posted.documents,
            placement,
            address,
        )
        .await;
    match signed {
        Ok(documents) => download(documents),
        Err(error) => refusal(&user, error, posted.typed).await,
    }
}

async fn refusal(user: &PortalUser, error: AppError, typed: Typed) -> Response {
    let error = match error {
        AppError::NotAtStep | AppError::NotFound => {
            return Redirect::to("/portal").into_response();
        }
        AppError::InvalidFields(errors) => {
            let messages = errors.iter().map(|e| e.message(user.lang)).collect();
            return documents_page(
                user,
                messages,
                None,
                typed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        other => WebError::from(other),
    };
    // A TSA that failed: nothing was signed, and the form says so (to try again with a code).
    let timestamp_failed = matches!(error, WebError::App(AppError::TimestampFailed(_)));
    if error.status().is_server_error() && !timestamp_failed {
        return message_page(user.lang, user.who.csrf_token(), &error);
    }
    let messages = vec![portal_message(&error, user.lang)];
    documents_page(user, messages, None, typed, error.status()).await
}

/// `attachment; filename="…"` with an ASCII fallback and the UTF-8 name (RFC 6266).
fn attachment(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

fn download(mut documents: Vec<SignedDocument>) -> Response {
    if documents.len() == 1 {
        let document = documents.remove(0);
        return (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, attachment(&document.name)),
            ],
            document.bytes,
        )
            .into_response();
    }
    match archive(&documents) {
        Ok(zip) => (
            [
                (header::CONTENT_TYPE, "application/zip".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    attachment("signed-documents.zip"),
                ),
            ],
            zip,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "could not write the archive of signed documents");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The signed documents in one ZIP archive, stored as they are; a name used twice gets a number.
fn archive(documents: &[SignedDocument]) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut used = std::collections::HashSet::new();
    for document in documents {
        let mut name = document.name.clone();
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{n}-{}", document.name);
            n += 1;
        }
        writer.start_file(name, options)?;
        writer.write_all(&document.bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}
