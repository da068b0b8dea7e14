//! Why the rules refuse a command, with a stable code for APIs and a sentence for people.

use super::{Action, ActorKind};
use crate::{Lang, Status};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The command does not apply to an application in this state.
    #[error("{action:?} is not possible in state {status:?}")]
    InvalidState { action: Action, status: Status },
    /// This kind of actor may not do this.
    #[error("{actor:?} may not perform {action:?}")]
    NotPermitted { action: Action, actor: ActorKind },
    /// Identification waits until the beneficiary proved control of the email.
    #[error("the email is not proven yet")]
    EmailNotProven,
    /// The application is not yet stale enough to expire.
    #[error("the application is not stale yet")]
    NotDue,
    /// The holder already asked for the revocation of this certificate, and the request is
    /// still open (see [`crate::revocation_request`]).
    #[error("a revocation request is already open")]
    RevocationAlreadyRequested,
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
            DomainError::EmailNotProven => "email_not_proven",
            DomainError::RevocationAlreadyRequested => "revocation_already_requested",
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
            DomainError::InvalidState { action: Action::RevocationRequested, status } => match lang {
                Lang::El => format!(
                    "Αίτημα ανάκλησης υποβάλλεται μόνο για εκδομένο πιστοποιητικό (κατάσταση: «{}»).",
                    status.label(Lang::El)
                ),
                Lang::En => format!(
                    "A revocation request is made only for an issued certificate (status: “{}”).",
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
            DomainError::EmailNotProven => lang.pick_owned(
                "Πριν από την ταυτοποίηση πρέπει να επιβεβαιώσετε τη διεύθυνση email εργασίας σας: ανοίξτε τον σύνδεσμο «Έναρξη» του email που λάβατε ή ζητήστε κωδικό επιβεβαίωσης.",
                "Before identification you must confirm your work email address: open the «Έναρξη» link of the email you received, or ask for a confirmation code.",
            ),
            DomainError::NotDue => lang.pick_owned(
                "Η αίτηση δεν έχει μείνει αδρανής αρκετό καιρό για να λήξει.",
                "The application has not been idle long enough to expire.",
            ),
            DomainError::RevocationAlreadyRequested => lang.pick_owned(
                "Έχετε ήδη υποβάλει αίτημα ανάκλησης για αυτό το πιστοποιητικό. Το αίτημα εκκρεμεί στον υπεύθυνο ψηφιακών πιστοποιητικών του φορέα σας· δεν χρειάζεται να το υποβάλετε ξανά.",
                "You have already asked for this certificate to be revoked. The request awaits the certificate administrator of your organisation; there is no need to make it again.",
            ),
        }
    }
}
