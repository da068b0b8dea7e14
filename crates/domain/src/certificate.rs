//! What issuance hands to the store (SPEC §6): the certificate made by the CA for an application,
//! with the beneficiary's private key already sealed, and the trait through which the background
//! job asks a CA for one; and how a revocation is categorised (SPEC §2) and written in the CRL.
//! The CA itself lives in `certdesk-ca`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::{Field, Problem, ValidationError};

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
    /// The work email, only once the beneficiary proved it reaches them (issue 10): an address
    /// nobody proved is not written into a qualified certificate.
    pub email: Option<String>,
}

/// A CA that can issue (the background job's view of it).
pub trait CertificateIssuer: Send + Sync {
    fn issue(
        &self,
        subject: &CertificateSubject,
        now: DateTime<Utc>,
    ) -> Result<NewCertificate, String>;
}

/// The RFC 5280 §5.3.1 CRLReason codes, as written in the CRL and answered by OCSP. 7 is unused
/// by the RFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    RemoveFromCrl,
    PrivilegeWithdrawn,
    AaCompromise,
}

impl RevocationReason {
    pub const ALL: [RevocationReason; 10] = [
        RevocationReason::Unspecified,
        RevocationReason::KeyCompromise,
        RevocationReason::CaCompromise,
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::CertificateHold,
        RevocationReason::RemoveFromCrl,
        RevocationReason::PrivilegeWithdrawn,
        RevocationReason::AaCompromise,
    ];

    /// The code of the CRL entry extension (and of the stored column).
    pub fn code(self) -> i32 {
        match self {
            RevocationReason::Unspecified => 0,
            RevocationReason::KeyCompromise => 1,
            RevocationReason::CaCompromise => 2,
            RevocationReason::AffiliationChanged => 3,
            RevocationReason::Superseded => 4,
            RevocationReason::CessationOfOperation => 5,
            RevocationReason::CertificateHold => 6,
            RevocationReason::RemoveFromCrl => 8,
            RevocationReason::PrivilegeWithdrawn => 9,
            RevocationReason::AaCompromise => 10,
        }
    }

    pub fn from_code(code: i32) -> Option<RevocationReason> {
        RevocationReason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Revocation categories of SPEC §2, the two a ΔΨΠ chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationCategory {
    /// «Μετά από αίτημα υπαλλήλου»
    EmployeeRequest,
    /// «Μετά από απόφαση του φορέα/ δικαστικής αρχής/ εποπτικής αρχής»
    AuthorityDecision,
}

impl RevocationCategory {
    pub const ALL: [RevocationCategory; 2] = [
        RevocationCategory::EmployeeRequest,
        RevocationCategory::AuthorityDecision,
    ];

    /// The code in forms, the API and the history.
    pub fn code(self) -> &'static str {
        match self {
            RevocationCategory::EmployeeRequest => "employee_request",
            RevocationCategory::AuthorityDecision => "authority_decision",
        }
    }

    /// The category chosen in a form or API body (surrounding spaces ignored).
    pub fn parse(input: Option<&str>) -> Result<RevocationCategory, ValidationError> {
        let code = input.map(str::trim).unwrap_or("");
        if code.is_empty() {
            return Err(ValidationError::new(Field::Category, Problem::Missing));
        }
        RevocationCategory::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| ValidationError::new(Field::Category, Problem::Format))
    }

    /// The CRLReason written in the CRL and answered by OCSP. The employee no longer needs the
    /// certificate: `cessationOfOperation`. The organisation, a court or a supervisory authority
    /// withdrew the right to it: `privilegeWithdrawn`. Neither says the key was compromised,
    /// which is what `keyCompromise` would claim.
    pub fn crl_reason(self) -> RevocationReason {
        match self {
            RevocationCategory::EmployeeRequest => RevocationReason::CessationOfOperation,
            RevocationCategory::AuthorityDecision => RevocationReason::PrivilegeWithdrawn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    #[test]
    fn reasons_have_the_rfc_5280_codes() {
        let codes: Vec<i32> = RevocationReason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]);
        for reason in RevocationReason::ALL {
            assert_eq!(RevocationReason::from_code(reason.code()), Some(reason));
        }
        for unknown in [-1, 7, 11, i32::MAX] {
            assert_eq!(RevocationReason::from_code(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn categories_map_to_crl_reasons_that_do_not_claim_a_compromise() {
        assert_eq!(
            RevocationCategory::EmployeeRequest.crl_reason().code(),
            5,
            "cessationOfOperation"
        );
        assert_eq!(
            RevocationCategory::AuthorityDecision.crl_reason().code(),
            9,
            "privilegeWithdrawn"
        );
    }

    #[test]
    fn a_category_is_parsed_from_its_code() {
        for category in RevocationCategory::ALL {
            assert_eq!(
                RevocationCategory::parse(Some(category.code())),
                Ok(category)
            );
        }
        assert_eq!(
            RevocationCategory::parse(Some(" authority_decision ")),
            Ok(RevocationCategory::AuthorityDecision)
        );
        let missing = ValidationError::new(Field::Category, Problem::Missing);
        assert_eq!(RevocationCategory::parse(None), Err(missing.clone()));
        assert_eq!(RevocationCategory::parse(Some("  ")), Err(missing));
        for bad in ["EmployeeRequest", "employee", "5", "key_compromise"] {
            let err = RevocationCategory::parse(Some(bad)).unwrap_err();
            assert_eq!(err, ValidationError::new(Field::Category, Problem::Format));
            assert!(err.message(Lang::En).contains("employee_request"));
        }
    }

    #[test]
    fn the_code_is_the_serialized_form() {
        for category in RevocationCategory::ALL {
            assert_eq!(
                serde_json::to_string(&category).unwrap(),
                format!("\"{}\"", category.code())
            );
        }
    }
}
