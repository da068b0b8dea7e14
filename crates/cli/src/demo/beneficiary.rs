//! The demo's beneficiary (issue 11): one employee of the first demo organisation whose
//! certificate was issued, made ready to sign: their signing password is the demo password and
//! their one-time codes come from an authenticator app whose secret every `certdesk demo` sets
//! anew and prints (`beneficiary-username`, `beneficiary-password`, `beneficiary-totp-secret`).

use anyhow::Context;
use certdesk_ca::CaIssuer;
use certdesk_domain::Status;
use certdesk_domain::otp::{OtpChannel, SigningCredentials, TotpSecret};
use certdesk_store::{EmployeeQuery, Scope, StatusFilter, Store};
use chrono::{DateTime, Utc};
use rand::Rng;

/// What the demo prints of its beneficiary.
pub struct DemoBeneficiary {
    pub username: String,
    pub password: String,
    pub totp_secret: String,
    /// To log in to the portal through the local tax registry.
    pub afm: String,
}

/// Makes the first issued employee of `organisation_id` the demo's beneficiary.
pub async fn prepare(
    store: &dyn Store,
    issuer: &CaIssuer,
    organisation_id: i64,
    password: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<DemoBeneficiary> {
    let query = EmployeeQuery {
        status: Some(StatusFilter::Is(Status::Issued)),
        page: 1,
        per_page: 50,
        ..Default::default()
    };
    let scope = Scope::Organisations(vec![organisation_id]);
    let page = store.search_employees(&scope, &query).await?;
    let mut found = None;
    for row in page.items {
        let employee = store.employee(&scope, row.id).await?;
        let Some(application_id) = employee.as_ref().and_then(|e| e.current_application_id) else {
            continue;
        };
        // A certificate still in its validity, and a username to sign with.
        let certificate = store.certificate(&scope, application_id).await?;
        let username = store.reserved_username(application_id).await?;
        if let (Some(certificate), Some(username)) = (certificate, username)
            && certificate.not_after > now
            && certificate.revoked_at.is_none()
        {
            found = Some((row.afm.as_str().to_owned(), application_id, username));
            break;
        }
    }
    let (afm, application_id, username) =
        found.context("the demo has no issued certificate to sign with")?;
    let mut bytes = [0u8; TotpSecret::LEN];
    rand::rng().fill(&mut bytes);
    let secret = TotpSecret::from_bytes(bytes);
    let credentials = SigningCredentials {
        password_hash: password_hash.to_owned(),
        otp: OtpChannel::Totp {
            secret: certdesk_app::secrets::seal(Some(&issuer.kek), application_id, &secret),
            last_step: 0,
            drift: 0,
        },
    };
    store
        .replace_signing_credentials(application_id, &credentials, now)
        .await?;
    Ok(DemoBeneficiary {
        username,
        password: password.to_owned(),
        totp_secret: secret.to_base32(),
        afm,
    })
}
