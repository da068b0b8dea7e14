//! The transition table of an issuance application (SPEC §2 and §3).
//!
//! A handler turns a request into a [`Command`], asks [`decide`] what it means for the application
//! as it stands, and stores the resulting [`Transition`] (new state, one history entry, effects)
//! in one transaction guarded by the expected state and version. Nothing here does IO.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::certificate::NewCertificate;
use crate::history::history_time;
use crate::otp::SigningCredentials;
use crate::validation::{Reason, Username};
use crate::{Lang, Status};

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A certificate administrator (ΔΨΠ) of the employee's organisation.
    Administrator,
    /// The employee the application is for (δικαιούχος).
    Beneficiary,
    /// certdesk itself: background jobs, the CA, the registries' answers.
    System,
}

impl ActorKind {
    pub fn code(self) -> &'static str {
        match self {
            ActorKind::Administrator => "administrator",
            ActorKind::Beneficiary => "beneficiary",
            ActorKind::System => "system",
        }
    }

    pub fn parse(code: &str) -> Option<ActorKind> {
        [
            ActorKind::Administrator,
            ActorKind::Beneficiary,
            ActorKind::System,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<i64>,
    /// Full name as it appears in the history.
    pub name: String,
}

impl Actor {
    pub fn administrator(id: i64, full_name: impl Into<String>) -> Actor {
        Actor {
            kind: ActorKind::Administrator,
            id: Some(id),
            name: full_name.into(),
        }
    }

    pub fn beneficiary(employee_id: i64, full_name: impl Into<String>) -> Actor {
        Actor {
            kind: ActorKind::Beneficiary,
            id: Some(employee_id),
            name: full_name.into(),
        }
    }

    pub fn system() -> Actor {
        Actor {
            kind: ActorKind::System,
            id: None,
            name: "certdesk".to_owned(),
        }
    }
}

/// The application as the rules need to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: i64,
    pub status: Status,
    /// Increases by one with every transition; writers guard on it.
    pub version: i64,
    /// When the application last changed state (for the expiry of stale applications).
    pub updated_at: DateTime<Utc>,
}

/// Revocation categories of SPEC §2, mapped to RFC 5280 reason codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationCategory {
    /// «Μετά από αίτημα υπαλλήλου»
    EmployeeRequest,
    /// «Μετά από απόφαση του φορέα/ δικαστικής αρχής/ εποπτικής αρχής»
    AuthorityDecision,
}

impl RevocationCategory {
    /// The RFC 5280 CRLReason written in the CRL and answered by OCSP. The employee no longer
    /// needs the certificate: `cessationOfOperation` (5). The organisation, a court or a
    /// supervisory authority withdrew the right to it: `privilegeWithdrawn` (9). Neither says
    /// the key was compromised, which is what `keyCompromise` would claim.
    pub fn crl_reason(self) -> i32 {
        match self {
            RevocationCategory::EmployeeRequest => 5,
            RevocationCategory::AuthorityDecision => 9,
        }
    }
}

/// What someone asks to happen to an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The beneficiary confirms (or corrects) the data the ΔΨΠ entered.
    ConfirmData,
    /// A ΔΨΠ approves the application.
    Approve,
    /// A ΔΨΠ rejects the application, with a mandatory reason.
    Reject { reason: Reason },
    /// The registries' records of the beneficiary do not match.
    FailIdentification { reason: String },
    /// Identity matched; the beneficiary chose a username, a signing password and an OTP channel.
    CompleteIdentification {
        username: Username,
        credentials: SigningCredentials,
    },
    /// The beneficiary signed the application with a one-time password.
    Sign,
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
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Started,
    DataConfirmed,
    Approved,
    Rejected,
    IdentificationFailed,
    Identified,
    Signed,
    Issued,
    Cancelled,
    TimedOut,
    Revoked,
    CertificateExpired,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::Started,
        Action::DataConfirmed,
        Action::Approved,
        Action::Rejected,
        Action::IdentificationFailed,
        Action::Identified,
        Action::Signed,
        Action::Issued,
        Action::Cancelled,
        Action::TimedOut,
        Action::Revoked,
        Action::CertificateExpired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Started => "started",
            Action::DataConfirmed => "data_confirmed",
            Action::Approved => "approved",
            Action::Rejected => "rejected",
            Action::IdentificationFailed => "identification_failed",
            Action::Identified => "identified",
            Action::Signed => "signed",
            Action::Issued => "issued",
            Action::Cancelled => "cancelled",
            Action::TimedOut => "timed_out",
            Action::Revoked => "revoked",
            Action::CertificateExpired => "certificate_expired",
        }
    }

    pub fn parse(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == code)
    }

    /// The action column of the history table.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Action::Started => {
                lang.pick("Έναρξη διαδικασίας έκδοσης ΨΠ", "Issuance process started")
            }
            Action::DataConfirmed => lang.pick("Επιβεβαίωση στοιχείων", "Data confirmed"),
            Action::Approved => lang.pick("Έγκριση αίτησης", "Application approved"),
            Action::Rejected => lang.pick("Απόρριψη αίτησης", "Application rejected"),
            Action::IdentificationFailed => {
                lang.pick("Αποτυχία ταυτοποίησης", "Identification failed")
            }
            Action::Identified => lang.pick("Ταυτοποίηση δικαιούχου", "Beneficiary identified"),
            Action::Signed => lang.pick("Υπογραφή αίτησης", "Application signed"),
            Action::Issued => lang.pick("Έκδοση πιστοποιητικού", "Certificate issued"),
            Action::Cancelled => lang.pick("Ακύρωση διαδικασίας έκδοσης ΨΠ", "Issuance cancelled"),
            Action::TimedOut => lang.pick("Λήξη αίτησης λόγω αδράνειας", "Application expired"),
            Action::Revoked => lang.pick("Ανάκληση πιστοποιητικού", "Certificate revoked"),
            Action::CertificateExpired => lang.pick("Λήξη πιστοποιητικού", "Certificate expired"),
        }
    }

    /// The description (Περιγραφή) of a history entry. The Greek text is what the history
    /// records; the English one is rendered from the same facts.
    pub fn describe(self, actor_name: &str, lang: Lang) -> String {
        let fixed = |el: &str, en: &str| lang.pick_owned(el, en);
        match self {
            Action::Started => match lang {
                Lang::El => format!("Η διαδικασία έκδοσης ξεκίνησε από τον χρήστη {actor_name}"),
                Lang::En => format!("The issuance process was started by user {actor_name}"),
            },
            Action::DataConfirmed => fixed(
                "Ο δικαιούχος επιβεβαίωσε τα στοιχεία του",
                "The beneficiary confirmed their data",
            ),
            Action::Approved => match lang {
                Lang::El => format!("Η αίτηση εγκρίθηκε από τον χρήστη {actor_name}"),
                Lang::En => format!("The application was approved by user {actor_name}"),
            },
            Action::Rejected => match lang {
                Lang::El => format!("Η αίτηση απορρίφθηκε από τον χρήστη {actor_name}"),
                Lang::En => format!("The application was rejected by user {actor_name}"),
            },
            Action::IdentificationFailed => fixed(
                "Η ταυτοποίηση του δικαιούχου απέτυχε: τα στοιχεία του Μητρώου δεν συμφωνούν με της Αστυνομίας",
                "Identification failed: the tax registry and the Police records do not match",
            ),
            Action::Identified => fixed(
                "Ο δικαιούχος ταυτοποιήθηκε και όρισε όνομα χρήστη",
                "The beneficiary was identified and chose a username",
            ),
            Action::Signed => fixed(
                "Ο δικαιούχος υπέγραψε την αίτηση",
                "The beneficiary signed the application",
            ),
            Action::Issued => fixed("Το πιστοποιητικό εκδόθηκε", "The certificate was issued"),
            // The seed's words, exactly.
            Action::Cancelled => match lang {
                Lang::El => {
                    format!("Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη {actor_name}")
                }
                Lang::En => {
                    format!("The issuance of the certificate was cancelled by user {actor_name}")
                }
            },
            Action::TimedOut => fixed(
                "Η αίτηση απορρίφθηκε αυτόματα επειδή δεν προχώρησε για μεγάλο διάστημα",
                "The application was rejected automatically because it did not move on for too long",
            ),
            Action::Revoked => match lang {
                Lang::El => format!("Το πιστοποιητικό ανακλήθηκε από τον χρήστη {actor_name}"),
                Lang::En => format!("The certificate was revoked by user {actor_name}"),
            },
            Action::CertificateExpired => fixed(
                "Η ισχύς του πιστοποιητικού έληξε",
                "The certificate expired",
            ),
        }
    }
}

impl Lang {
    fn pick_owned(self, el: &str, en: &str) -> String {
        match self {
            Lang::El => el.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// A consequence of a transition, carried out by the store in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
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
    /// The certificate is marked revoked, with an RFC 5280 CRLReason code, for the CRL and OCSP.
    RevokeCertificate {
        crl_reason: i32,
    },
    /// The beneficiary gets an email about the change.
    NotifyBeneficiary,
}

/// The outcome of a command accepted by the rules: what to store, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub application_id: i64,
    /// `None` only when the application is being started.
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The command does not apply to an application in this state.
    #[error("{action:?} is not possible in state {status:?}")]
    InvalidState { action: Action, status: Status },
    /// This kind of actor may not do this.
    #[error("{actor:?} may not perform {action:?}")]
    NotPermitted { action: Action, actor: ActorKind },
    /// The application is not yet stale enough to expire.
    #[error("the application is not stale yet")]
    NotDue,
}

impl DomainError {
    /// A stable code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::InvalidState {
                action: Action::Cancelled,
                ..
            } => "not_cancellable",
            DomainError::InvalidState {
                action: Action::Revoked,
                ..
            } => "not_revocable",
            DomainError::InvalidState { .. } => "invalid_state",
            DomainError::NotPermitted { .. } => "forbidden",
            DomainError::NotDue => "not_due",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            DomainError::InvalidState { action: Action::Cancelled, status: Status::Issued } => lang
                .pick_owned(
                    "Η διαδικασία έκδοσης δεν μπορεί να ακυρωθεί: το πιστοποιητικό έχει ήδη εκδοθεί. Για να πάψει να ισχύει, χρησιμοποιήστε την «Ανάκληση πιστοποιητικού».",
                    "The issuance cannot be cancelled: the certificate has already been issued. To end its validity, revoke it («Ανάκληση πιστοποιητικού»).",
                ),
            DomainError::InvalidState { action: Action::Cancelled, status } => match lang {
                Lang::El => format!(
                    "Η διαδικασία έκδοσης δεν μπορεί να ακυρωθεί, γιατί η αίτηση δεν εκκρεμεί (κατάσταση: «{}»).",
                    status.label(Lang::El)
                ),
                Lang::En => format!(
                    "The issuance cannot be cancelled because the application is not pending (status: “{}”).",
                    status.label(Lang::En)
                ),
            },
            DomainError::InvalidState { action, status } => match lang {
                Lang::El => format!(
                    "Η ενέργεια «{}» δεν επιτρέπεται στην κατάσταση «{}».",
                    action.label(Lang::El),
                    status.label(Lang::El)
                ),
                Lang::En => format!(
                    "The action “{}” is not possible in the status “{}”.",
                    action.label(Lang::En),
                    status.label(Lang::En)
                ),
            },
            DomainError::NotPermitted { action, .. } => match lang {
                Lang::El => format!("Δεν έχετε δικαίωμα για την ενέργεια «{}».", action.label(Lang::El)),
                Lang::En => format!("You may not perform “{}”.", action.label(Lang::En)),
            },
            DomainError::NotDue => lang.pick_owned(
                "Η αίτηση δεν έχει μείνει αδρανής αρκετό καιρό για να λήξει.",
                "The application has not been idle long enough to expire.",
            ),
        }
    }
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
        Command::ConfirmData => (
            Action::DataConfirmed,
            ActorKind::Beneficiary,
            status == AwaitingDataCheck,
            AwaitingApproval,
            None,
            vec![NotifyBeneficiary],
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
        Command::Sign => (
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
                    crl_reason: category.crl_reason(),
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
    };

    if actor.kind != who {
        return Err(DomainError::NotPermitted {
            action,
            actor: actor.kind,
        });
    }
    if !allowed_from {
        return Err(DomainError::InvalidState { action, status });
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
            status: self.to,
            version: self.expected_version + 1,
            updated_at: self.at,
        }
    }
}
