//! The transition table of an issuance application (SPEC §2 and §3).
//!
//! A handler turns a request into a [`Command`], asks [`decide`] what it means for the application
//! as it stands, and stores the resulting [`Transition`] (new state, one history entry, effects)
//! in one transaction guarded by the expected state and version. Nothing here does IO.

use chrono::{DateTime, Duration, Utc};

use crate::certificate::{NewCertificate, RevocationReason};
use crate::email_proof::{EmailProof, LinkToken, ProofMethod};
use crate::history::history_time;
use crate::otp::SigningCredentials;
use crate::signing::SigningProof;
use crate::subject::VerifiedNames;
use crate::validation::{Reason, Username};
use crate::{Lang, Status};

mod action;
mod actor;
mod error;

pub use crate::certificate::RevocationCategory;
pub use action::Action;
pub use actor::{Actor, ActorKind};
pub use error::DomainError;

/// The application as the rules need to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: i64,
    /// The employee the application is for: the only beneficiary who may act on it.
    pub employee_id: i64,
    pub status: Status,
    /// Increases by one with every transition; writers guard on it.
    pub version: i64,
    /// When the application last changed state (for the expiry of stale applications).
    pub updated_at: DateTime<Utc>,
    /// Whether the beneficiary proved control of the application's email (see
    /// [`crate::email_proof`]): identification waits for it.
    pub email_proven: bool,
    /// Whether the holder asked for the certificate's revocation (see
    /// [`crate::revocation_request`]): a second request is refused.
    pub revocation_requested: bool,
}

/// What someone asks to happen to an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The beneficiary confirms the data the ΔΨΠ entered; the HR record agreed with the tax
    /// registry, whose names the certificate will carry (see [`crate::subject`]).
    ConfirmData { names: VerifiedNames },
    /// A ΔΨΠ approves the application.
    Approve,
    /// A ΔΨΠ rejects the application, with a mandatory reason.
    Reject { reason: Reason },
    /// The registries' records of the beneficiary do not match.
    FailIdentification { reason: String },
    /// The beneficiary proved control of the application's email; the state does not change.
    ProveEmail { proof: EmailProof },
    /// Identity matched (and the email proven); the beneficiary chose a username, a signing password and an OTP channel.
    CompleteIdentification {
        username: Username,
        credentials: SigningCredentials,
    },
    /// The beneficiary signed the application: signing password and one-time code were checked
    /// (see [`crate::signing`]).
    Sign { proof: SigningProof },
    /// The CA issued the certificate.
    Issue { certificate: NewCertificate },
    /// A ΔΨΠ cancels the issuance while it is pending (the seed's procedure).
    Cancel { reason: Option<Reason> },
    /// Nobody moved the application on for `max_idle`.
    Expire { max_idle: Duration },
    /// A ΔΨΠ revokes the issued certificate.
    Revoke {
        category: RevocationCategory,
        description: Option<Reason>,
    },
    /// The certificate passed its notAfter.
    ExpireCertificate { not_after: DateTime<Utc> },
    /// «Αίτημα ανάκλησης»: the holder asks their organisation's ΔΨΠ to revoke the issued
    /// certificate, with an optional reason; the state does not change (issue 11).
    RequestRevocation { reason: Option<Reason> },
}

/// A consequence of a transition, carried out by the store in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The names the registries confirmed are kept for the certificate's subject.
    RecordSubjectNames(VerifiedNames),
    ReserveUsername(Username),
    /// The signing password's hash and the OTP channel are kept for the signing step (and, once
    /// issued, for remote signing). They go with the key material: destroyed with it.
    SetSigningCredentials(SigningCredentials),
    /// The username reserved for this application becomes free again.
    ReleaseUsername,
    /// Jobs queued for this application that have not run are dropped.
    DropPendingJobs,
    /// Key material made for the pending certificate is destroyed, and with it the signing
    /// credentials (signing password hash, TOTP secret).
    DestroyKeyMaterial,
    /// The CA is asked to issue the certificate.
    QueueIssuance,
    /// The certificate and the beneficiary's sealed key are stored.
    StoreCertificate(NewCertificate),
    /// The certificate is marked revoked, with its RFC 5280 CRLReason, for the CRL and OCSP.
    RevokeCertificate {
        reason: RevocationReason,
    },
    /// A new start-email link replaces any earlier one (and any earlier proof: the address it
    /// is for must be proven again). `NotifyBeneficiary` of the same transition carries it.
    SetEmailLink(LinkToken),
    /// The email is recorded as proven, by `method`; the link and any code are used up.
    RecordEmailProof(ProofMethod),
    /// The holder's revocation request is kept with the application (the transition's time and
    /// reason), for the ΔΨΠ's card and search.
    RecordRevocationRequest,
    /// The beneficiary gets an email about the change.
    NotifyBeneficiary,
    /// The ΔΨΠ of the application's organisation (active administrators whose username is an
    /// email address) get an email asking them to act: a holder's revocation request.
    NotifyAdministrators,
}

/// The outcome of a command accepted by the rules: what to store, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub application_id: i64,
    /// `None` only when the application is being started. Equal to `to` for a proof of the
    /// email and a revocation request, which record a fact without a state change.
    pub from: Option<Status>,
    /// The version the stored application must still have for this transition to apply.
    pub expected_version: i64,
    pub to: Status,
    pub action: Action,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The recorded description, in Greek.
    pub description: String,
    pub reason: Option<String>,
    pub effects: Vec<Effect>,
}

/// Starting the process: a ΔΨΠ opens a new application for an employee.
pub fn start(
    application_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Transition, DomainError> {
    if actor.kind != ActorKind::Administrator {
        return Err(DomainError::NotPermitted {
            action: Action::Started,
            actor: actor.kind,
        });
    }
    Ok(Transition {
        application_id,
        from: None,
        expected_version: 0,
        to: Status::AwaitingDataCheck,
        action: Action::Started,
        at: history_time(now),
        actor: actor.clone(),
        description: Action::Started.describe(&actor.name, Lang::El),
        reason: None,
        effects: vec![Effect::NotifyBeneficiary],
    })
}

/// Whether identification may complete: the certificate carries the email, so whoever chose the
/// authenticator app must have shown that the address reaches them all the same (issue 10). The
/// portal asks before it starts an enrolment; [`decide`] asks again.
pub fn may_identify(application: &Application) -> Result<(), DomainError> {
    if application.email_proven {
        Ok(())
    } else {
        Err(DomainError::EmailNotProven)
    }
}

/// Decides what `command`, given by `actor` at `now`, does to `application`.
pub fn decide(
    application: &Application,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Transition, DomainError> {
    use Effect::*;
    use Status::*;

    let status = application.status;
    let (action, who, allowed_from, to, reason, effects): (
        Action,
        ActorKind,
        bool,
        Status,
        Option<String>,
        Vec<Effect>,
    ) = match command {
        Command::ConfirmData { names } => (
            Action::DataConfirmed,
            ActorKind::Beneficiary,
            status == AwaitingDataCheck,
            AwaitingApproval,
            None,
            vec![RecordSubjectNames(names.clone()), NotifyBeneficiary],
        ),
        Command::Approve => (
            Action::Approved,
            ActorKind::Administrator,
            status == AwaitingApproval,
            AwaitingIdentification,
            None,
            vec![NotifyBeneficiary],
        ),
        Command::Reject { reason } => (
            Action::Rejected,
            ActorKind::Administrator,
            status == AwaitingApproval,
            Rejected,
            Some(reason.as_str().to_owned()),
            vec![
                ReleaseUsername,
                DropPendingJobs,
                DestroyKeyMaterial,
                NotifyBeneficiary,
            ],
        ),
        Command::FailIdentification { reason } => (
            Action::IdentificationFailed,
            ActorKind::System,
            status == AwaitingIdentification,
            Rejected,
            Some(reason.clone()),
            vec![
                ReleaseUsername,
                DropPendingJobs,
                DestroyKeyMaterial,
                NotifyBeneficiary,
            ],
        ),
        Command::ProveEmail { proof } => (
            Action::email_proven(proof.method()),
            ActorKind::Beneficiary,
            matches!(
                status,
                AwaitingDataCheck | AwaitingApproval | AwaitingIdentification
            ) && !application.email_proven,
            status,
            None,
            vec![RecordEmailProof(proof.method())],
        ),
        Command::CompleteIdentification {
            username,
            credentials,
        } => (
            Action::Identified,
            ActorKind::Beneficiary,
            status == AwaitingIdentification,
            AwaitingSignature,
            None,
            vec![
                ReserveUsername(username.clone()),
                SetSigningCredentials(credentials.clone()),
                NotifyBeneficiary,
            ],
        ),
        Command::Sign { .. } => (
            Action::Signed,
            ActorKind::Beneficiary,
            status == AwaitingSignature,
            AwaitingIssuance,
            None,
            vec![QueueIssuance, NotifyBeneficiary],
        ),
        Command::Issue { certificate } => (
            Action::Issued,
            ActorKind::System,
            status == AwaitingIssuance,
            Issued,
            None,
            vec![
                StoreCertificate(certificate.clone()),
                DropPendingJobs,
                NotifyBeneficiary,
            ],
        ),
        Command::Cancel { reason } => (
            Action::Cancelled,
            ActorKind::Administrator,
            status.is_cancellable(),
            Rejected,
            reason.as_ref().map(|r| r.as_str().to_owned()),
            vec![
                ReleaseUsername,
                DropPendingJobs,
                DestroyKeyMaterial,
                NotifyBeneficiary,
            ],
        ),
        Command::Expire { max_idle } => {
            if status.is_pending() && now - application.updated_at < *max_idle {
                return Err(DomainError::NotDue);
            }
            (
                Action::TimedOut,
                ActorKind::System,
                status.is_pending(),
                Rejected,
                None,
                vec![
                    ReleaseUsername,
                    DropPendingJobs,
                    DestroyKeyMaterial,
                    NotifyBeneficiary,
                ],
            )
        }
        Command::Revoke {
            category,
            description,
        } => (
            Action::Revoked,
            ActorKind::Administrator,
            status == Issued,
            Revoked,
            description.as_ref().map(|d| d.as_str().to_owned()),
            vec![
                RevokeCertificate {
                    reason: category.crl_reason(),
                },
                DestroyKeyMaterial,
                NotifyBeneficiary,
            ],
        ),
        Command::ExpireCertificate { not_after } => {
            if status == Issued && now < *not_after {
                return Err(DomainError::NotDue);
            }
            (
                Action::CertificateExpired,
                ActorKind::System,
                status == Issued,
                Expired,
                None,
                vec![DestroyKeyMaterial, NotifyBeneficiary],
            )
        }
        Command::RequestRevocation { reason } => (
            Action::RevocationRequested,
            ActorKind::Beneficiary,
            crate::revocation_request::may_request(status),
            status,
            reason.as_ref().map(|r| r.as_str().to_owned()),
            vec![RecordRevocationRequest, NotifyAdministrators],
        ),
    };

    let not_permitted = DomainError::NotPermitted {
        action,
        actor: actor.kind,
    };
    if actor.kind != who {
        return Err(not_permitted);
    }
    // A beneficiary acts only on their own application; the kind alone would let any logged-in
    // beneficiary move anyone's.
    if who == ActorKind::Beneficiary && actor.id != Some(application.employee_id) {
        return Err(not_permitted);
    }
    // A proof signs the application it was made for, no other.
    if let Command::Sign { proof } = command
        && proof.application_id() != application.id
    {
        return Err(not_permitted);
    }
    if let Command::ProveEmail { proof } = command
        && proof.application_id() != application.id
    {
        return Err(not_permitted);
    }
    if !allowed_from {
        return Err(DomainError::InvalidState { action, status });
    }
    if matches!(command, Command::RequestRevocation { .. }) && application.revocation_requested {
        return Err(DomainError::RevocationAlreadyRequested);
    }
    if matches!(command, Command::CompleteIdentification { .. }) {
        may_identify(application)?;
    }
    debug_assert!(!status.is_terminal());
    Ok(Transition {
        application_id: application.id,
        from: Some(status),
        expected_version: application.version,
        to,
        action,
        at: history_time(now),
        actor: actor.clone(),
        description: action.describe(&actor.name, Lang::El),
        reason,
        effects,
    })
}

impl Transition {
    /// The start transition with the link its email carries (see [`crate::email_proof`]).
    pub fn with_email_link(mut self, link: LinkToken) -> Transition {
        self.effects.insert(0, Effect::SetEmailLink(link));
        self
    }

    /// The start-email link this transition sets, if any.
    pub fn email_link(&self) -> Option<&LinkToken> {
        self.effects.iter().find_map(|e| match e {
            Effect::SetEmailLink(link) => Some(link),
            _ => None,
        })
    }

    /// The one history entry this transition appends, linked to the application's last entry
    /// (`previous` = its hash and seq; `None` for the first entry).
    pub fn history_entry(&self, previous: Option<(&str, i64)>) -> crate::HistoryEntry {
        crate::HistoryEntry::seal(
            self.application_id,
            previous,
            self.at,
            self.action,
            self.description.clone(),
            self.reason.clone(),
            self.actor.kind,
            self.actor.id,
            self.actor.name.clone(),
        )
    }

    /// The application after this transition.
    pub fn applied_to(&self, application: &Application) -> Application {
        Application {
            id: application.id,
            employee_id: application.employee_id,
            status: self.to,
            version: self.expected_version + 1,
            updated_at: self.at,
            email_proven: match self.email_link() {
                Some(_) => false,
                None => application.email_proven || self.action.proves_email(),
            },
            revocation_requested: application.revocation_requested
                || self.action == Action::RevocationRequested,
        }
    }
}
