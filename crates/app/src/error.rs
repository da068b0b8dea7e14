//! What a use case can answer besides success. The web layer maps each variant to a status code
//! and a message in the caller's language (`certdesk_web::error`); the CLI prints it.

use certdesk_domain::DomainError;
use certdesk_domain::validation::ValidationError;
use certdesk_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not there, or not visible to the caller (another organisation's employee): the same answer.
    #[error("not found")]
    NotFound,
    /// The caller's role may not do this (an auditor changing anything, an operator reading
    /// employees, SPEC issue 10).
    #[error("not permitted for this role")]
    Forbidden,
    /// The domain's rules refuse the command.
    #[error(transparent)]
    Rule(#[from] DomainError),
    /// What the caller sent is not valid (the field and the reason).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Several fields are not valid: every problem at once, so a form shows them all.
    #[error("{} fields are not valid", .0.len())]
    InvalidFields(Vec<ValidationError>),
    #[error("the employee already has an open application")]
    OpenApplicationExists,
    /// Too many attempts lately; try again after the throttle's window.
    #[error("too many attempts")]
    Throttled,
    /// An external registry did not answer; nothing was written.
    #[error("the {0} did not answer")]
    RegistryUnavailable(Registry),
    /// This installation has no connector to that registry.
    #[error("no {0} is configured")]
    RegistryMissing(Registry),
    /// The tax registry refused the login, or the callback carried no code.
    #[error("the login was refused")]
    LoginRefused,
    /// The login's state is forged, replayed, expired or another browser's.
    #[error("the login state is not valid")]
    LoginStateInvalid,
    /// The application is not at the step the request is for (it moved on, or not yet).
    #[error("the application is not at this step")]
    NotAtStep,
    /// The choice of username and password waiting for the TOTP app's codes is gone (or was
    /// for another application).
    #[error("the enrolment expired")]
    EnrolmentExpired,
    /// The two codes of the TOTP app are not two consecutive codes of its secret.
    #[error("the authenticator app's codes are wrong")]
    TotpCodesWrong,
    /// The HR record disagrees with the tax registry in these names: the data check cannot be
    /// confirmed until the organisation corrects its record.
    #[error("the HR record disagrees with the tax registry")]
    RecordsDisagree(Vec<certdesk_domain::identity::Mismatch>),
    /// A link or a code that proves nothing: wrong, used, expired, or another application's.
    #[error(transparent)]
    EmailProofRefused(certdesk_domain::email_proof::ProofRefused),
    /// The signing APIs' login: an unknown username or a wrong signing password (one answer).
    #[error("wrong username or signing password")]
    WrongCredentials,
    /// The certificate does not sign: not issued, revoked, expired or not yet valid.
    #[error("the certificate does not sign ({0:?})")]
    CannotSign(certdesk_domain::remote_signing::SigningRefusal),
    /// A document to sign in the portal is not a signable PDF (the file's name, and why).
    #[error("the document {name:?} cannot be signed")]
    DocumentRefused {
        name: String,
        problem: certdesk_domain::remote_signing::DocumentProblem,
    },
    /// The CSC API's signature activation data does not sign what was asked: unknown,
    /// expired, another hash, or a hash it signed already.
    #[error("the SAD does not sign this ({0:?})")]
    SadRefused(certdesk_domain::csc::SadRefusal),
    /// The time-stamping authority gave no acceptable signature timestamp (it did not answer,
    /// refused, or answered about something else): the portal's documents are not signed.
    #[error("no signature timestamp: {0}")]
    TimestampFailed(String),
    /// The CA, or another part of the installation, is missing or misconfigured.
    #[error("{0}")]
    Configuration(String),
    #[error(transparent)]
    Store(StoreError),
}

/// Which external registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    Tax,
    Police,
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Registry::Tax => "tax registry",
            Registry::Police => "Police ID-card registry",
        })
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::OpenApplicationExists => AppError::OpenApplicationExists,
            other => AppError::Store(other),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
