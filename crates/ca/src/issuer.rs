//! The CA as the background issuance job sees it ([`CertificateIssuer`]).

use certdesk_domain::certificate::{CertificateIssuer, CertificateSubject, NewCertificate};
use chrono::{DateTime, Duration, Utc};

use crate::{Authority, CertificateRequest, KeyEncryptionKey};

/// An open CA with the key-encryption key that seals the beneficiaries' keys.
pub struct CaIssuer {
    pub authority: Authority,
    pub kek: KeyEncryptionKey,
    /// How long certificates are valid (SPEC §2: three years by default).
    pub validity: Duration,
}

/// Three years, as SPEC §2 says.
pub const DEFAULT_VALIDITY: Duration = Duration::days(3 * 365);

impl CertificateIssuer for CaIssuer {
    fn issue(
        &self,
        subject: &CertificateSubject,
        now: DateTime<Utc>,
    ) -> Result<NewCertificate, String> {
        let request = CertificateRequest {
            application_id: subject.application_id,
            given_name: subject.given_name.clone(),
            surname: subject.surname.clone(),
            afm: subject.afm.clone(),
            organisation: subject.organisation.clone(),
            unit: subject.unit.clone(),
            email: subject.email.clone(),
            validity: self.validity,
        };
        let issued = self
            .authority
            .issue(&request, &self.kek, now)
            .map_err(|e| e.to_string())?;
        Ok(NewCertificate {
            serial: issued.serial,
            der: issued.der,
            not_before: issued.not_before,
            not_after: issued.not_after,
            sealed_key: issued.sealed_key,
        })
    }
}
