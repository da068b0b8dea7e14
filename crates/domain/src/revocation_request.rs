//! «Αίτημα ανάκλησης» (issue 11): the holder of an issued certificate asks the ΔΨΠ of their
//! organisation to revoke it: a lost phone, a signing password forgotten (there is no recovery
//! of it: a new certificate needs a new application), a certificate no longer needed.
//!
//! The request is a command of the transition table ([`crate::Command::RequestRevocation`]): only
//! the holder gives it, only while the certificate is issued, once; it records a fact in the
//! history without a state change, and keeps the time and the reason on the application. The
//! ΔΨΠ sees it as a task on the employee card and finds it with a filter of the search while it
//! is open, that is until the certificate is revoked (the ΔΨΠ's «Ανάκληση πιστοποιητικού») or
//! expires: then the request is done.

use crate::Status;

/// The state in which a request may be made, and stays open.
pub const OPEN_WHILE: Status = Status::Issued;

/// Whether the holder may ask for revocation of an application in `status` (a second request is
/// refused apart, see [`crate::DomainError::RevocationAlreadyRequested`]).
pub fn may_request(status: Status) -> bool {
    status == OPEN_WHILE
}

/// Whether a request (`requested`: one was made) of an application in `status` still awaits the
/// ΔΨΠ.
pub fn is_open(status: Status, requested: bool) -> bool {
    requested && status == OPEN_WHILE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_issued_certificate_is_asked_for_and_the_request_ends_with_it() {
        let allowed: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|s| may_request(*s))
            .collect();
        assert_eq!(allowed, [Status::Issued]);
        assert!(is_open(Status::Issued, true));
        assert!(!is_open(Status::Issued, false));
        for done in [Status::Revoked, Status::Expired] {
            assert!(!is_open(done, true), "{done:?}");
        }
    }
}
