//! The states of an issuance application (SPEC §2), with their exact labels.

use serde::{Deserialize, Serialize};

use crate::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    AwaitingDataCheck,
    AwaitingApproval,
    AwaitingIdentification,
    AwaitingSignature,
    AwaitingIssuance,
    Issued,
    Rejected,
    Revoked,
    Expired,
}

/// The code and labels shown for an employee who has never had an application.
pub const NO_APPLICATION_CODE: &str = "none";
pub const NO_APPLICATION_EL: &str = "Δεν έχει υποβληθεί αίτηση";
pub const NO_APPLICATION_EN: &str = "No application submitted";

impl Status {
    pub const ALL: [Status; 9] = [
        Status::AwaitingDataCheck,
        Status::AwaitingApproval,
        Status::AwaitingIdentification,
        Status::AwaitingSignature,
        Status::AwaitingIssuance,
        Status::Issued,
        Status::Rejected,
        Status::Revoked,
        Status::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::AwaitingDataCheck => "awaiting_data_check",
            Status::AwaitingApproval => "awaiting_approval",
            Status::AwaitingIdentification => "awaiting_identification",
            Status::AwaitingSignature => "awaiting_signature",
            Status::AwaitingIssuance => "awaiting_issuance",
            Status::Issued => "issued",
            Status::Rejected => "rejected",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::AwaitingDataCheck => lang.pick(
                "Αναμένεται ο έλεγχος των στοιχείων του χρήστη",
                "Awaiting the user's check of their data",
            ),
            Status::AwaitingApproval => lang.pick(
                "Αναμένεται η έγκριση της αίτησης έκδοσης του πιστοποιητικού",
                "Awaiting approval of the issuance application",
            ),
            Status::AwaitingIdentification => lang.pick(
                "Αναμένεται η ταυτοποίηση του δικαιούχου",
                "Awaiting identification of the beneficiary",
            ),
            Status::AwaitingSignature => lang.pick(
                "Αναμένεται η υπογραφή της αίτησης",
                "Awaiting signing of the application",
            ),
            Status::AwaitingIssuance => lang.pick(
                "Αναμένεται η έκδοση του πιστοποιητικού",
                "Awaiting issuance of the certificate",
            ),
            Status::Issued => lang.pick("Το πιστοποιητικό εκδόθηκε", "Certificate issued"),
            Status::Rejected => lang.pick(
                "Απορρίφθηκε η αίτηση έκδοσης του πιστοποιητικού",
                "Issuance application rejected",
            ),
            Status::Revoked => lang.pick("Το πιστοποιητικό ανακλήθηκε", "Certificate revoked"),
            Status::Expired => lang.pick("Το πιστοποιητικό έληξε", "Certificate expired"),
        }
    }

    /// Pending: the certificate is not issued yet and the process can still move on.
    /// Exactly the pending states can be cancelled by a ΔΨΠ (SPEC §3).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::AwaitingDataCheck
                | Status::AwaitingApproval
                | Status::AwaitingIdentification
                | Status::AwaitingSignature
                | Status::AwaitingIssuance
        )
    }

    pub fn is_cancellable(self) -> bool {
        self.is_pending()
    }

    /// No transition leaves a terminal state.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Rejected | Status::Revoked | Status::Expired)
    }

    /// An application in an open state blocks a new one for the same employee.
    pub fn is_open(self) -> bool {
        self.is_pending() || self == Status::Issued
    }
}

/// The label of an employee's status, given the status of their current application if any.
pub fn status_label(status: Option<Status>, lang: Lang) -> &'static str {
    match status {
        Some(s) => s.label(lang),
        None => lang.pick(NO_APPLICATION_EL, NO_APPLICATION_EN),
    }
}

pub fn status_code(status: Option<Status>) -> &'static str {
    status.map_or(NO_APPLICATION_CODE, Status::code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
        assert_eq!(Status::parse("none"), None);
    }

    #[test]
    fn exactly_five_states_are_cancellable() {
        let cancellable: Vec<_> = Status::ALL
            .into_iter()
            .filter(|s| s.is_cancellable())
            .collect();
        assert_eq!(
            cancellable,
            vec![
                Status::AwaitingDataCheck,
                Status::AwaitingApproval,
                Status::AwaitingIdentification,
                Status::AwaitingSignature,
                Status::AwaitingIssuance
            ]
        );
    }

    #[test]
    fn the_seed_labels_are_exact() {
        assert_eq!(
            Status::AwaitingDataCheck.label(Lang::El),
            "Αναμένεται ο έλεγχος των στοιχείων του χρήστη"
        );
        assert_eq!(
            Status::Rejected.label(Lang::El),
            "Απορρίφθηκε η αίτηση έκδοσης του πιστοποιητικού"
        );
        assert_eq!(status_label(None, Lang::El), "Δεν έχει υποβληθεί αίτηση");
    }
}
