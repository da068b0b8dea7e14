//! What issuance hands to the store (SPEC §6): the certificate made by the CA for an application,
//! with the beneficiary's private key already sealed, and the trait through which the background
//! job asks a CA for one. The CA itself lives in `certdesk-ca`.

use chrono::{DateTime, Duration, Utc};

/// How long before a certificate expires its holder is told (issue 5, point 6). There is no
/// renewal (SPEC §2): the notice says a new application is needed.
pub const EXPIRY_NOTICE: Duration = Duration::days(15);

/// A certificate just issued for an application, stored in the same transaction that moves the
/// application to `issued`: if that transaction loses a race (a cancellation came first), the
/// certificate and its key are never stored anywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCertificate {
    /// Upper-case hexadecimal.
    pub serial: String,
    pub der: Vec<u8>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// The beneficiary's private key, sealed by the key-encryption key.
    pub sealed_key: Vec<u8>,
}

impl std::fmt::Debug for NewCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCertificate")
            .field("serial", &self.serial)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// Who the certificate is for, as the application and the employee record say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSubject {
    pub application_id: i64,
    pub given_name: String,
    pub surname: String,
    pub afm: String,
    pub organisation: String,
    pub unit: String,
    pub email: String,
}

/// A CA that can issue (the background job's view of it).
pub trait CertificateIssuer: Send + Sync {
    fn issue(
        &self,
        subject: &CertificateSubject,
        now: DateTime<Utc>,
    ) -> Result<NewCertificate, String>;
}
