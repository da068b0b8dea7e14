//! What a history entry records, with the label and description the history shows.

use serde::{Deserialize, Serialize};

use crate::Lang;
use crate::email_proof::ProofMethod;

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
    /// The email was proven by the start email's link (no state change).
    EmailProvenByLink,
    /// The email was proven by a code sent to it (no state change).
    EmailProvenByCode,
    /// The holder asked for the revocation of their certificate (no state change; issue 11).
    RevocationRequested,
}

impl Action {
    pub const ALL: [Action; 15] = [
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
        Action::EmailProvenByLink,
        Action::EmailProvenByCode,
        Action::RevocationRequested,
    ];

    /// The action that records a proof of the email by `method`.
    pub fn email_proven(method: ProofMethod) -> Action {
        match method {
            ProofMethod::Link => Action::EmailProvenByLink,
            ProofMethod::Code => Action::EmailProvenByCode,
        }
    }

    pub fn proves_email(self) -> bool {
        matches!(self, Action::EmailProvenByLink | Action::EmailProvenByCode)
    }

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
            Action::EmailProvenByLink => "email_proven_by_link",
            Action::EmailProvenByCode => "email_proven_by_code",
            Action::RevocationRequested => "revocation_requested",
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
            Action::EmailProvenByLink | Action::EmailProvenByCode => {
                lang.pick("Επιβεβαίωση email", "Email confirmed")
            }
            Action::RevocationRequested => lang.pick("Αίτημα ανάκλησης", "Revocation request"),
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
            Action::EmailProvenByLink => fixed(
                "Επιβεβαιώθηκε η διεύθυνση email του δικαιούχου με τον σύνδεσμο «Έναρξη» του email έναρξης",
                "The beneficiary's email address was confirmed with the «Έναρξη» link of the start email",
            ),
            Action::EmailProvenByCode => fixed(
                "Επιβεβαιώθηκε η διεύθυνση email του δικαιούχου με κωδικό επιβεβαίωσης που στάλθηκε σε αυτήν",
                "The beneficiary's email address was confirmed with a confirmation code sent to it",
            ),
            Action::RevocationRequested => fixed(
                "Ο δικαιούχος ζήτησε την ανάκληση του πιστοποιητικού του",
                "The holder asked for their certificate to be revoked",
            ),
        }
    }
}
