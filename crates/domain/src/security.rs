//! The security log (kept apart from the applications' histories): who logged in or failed to,
//! who changed an account or a second factor, who downloaded or revoked a certificate. An event
//! names people by username and applications by id; it never holds a password, a token or a
//! code, since none of its constructors takes one.

use std::net::IpAddr;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityEventKind {
    LoginSucceeded,
    LoginFailed,
    /// A second factor enrolled, replaced or removed by its owner.
    SecondFactorChanged,
    OrganisationCreated,
    AccountCreated,
    AccountAssigned,
    AccountUnassigned,
    AccountDisabled,
    PasswordReset,
    /// The owner changed their own password.
    PasswordChanged,
    SecondFactorReset,
    SessionsEnded,
    CertificateDownloaded,
    CertificateRevoked,
    /// The holder of a certificate changed its signing password in the portal (issue 11).
    SigningPasswordChanged,
    /// The holder resynchronised their authenticator app («Συγχρονισμός OTP»).
    OtpResynchronised,
    /// The holder asked for their certificate's revocation («Αίτημα ανάκλησης»).
    RevocationRequested,
}

impl SecurityEventKind {
    pub const ALL: [SecurityEventKind; 17] = [
        SecurityEventKind::LoginSucceeded,
        SecurityEventKind::LoginFailed,
        SecurityEventKind::SecondFactorChanged,
        SecurityEventKind::OrganisationCreated,
        SecurityEventKind::AccountCreated,
        SecurityEventKind::AccountAssigned,
        SecurityEventKind::AccountUnassigned,
        SecurityEventKind::AccountDisabled,
        SecurityEventKind::PasswordReset,
        SecurityEventKind::PasswordChanged,
        SecurityEventKind::SecondFactorReset,
        SecurityEventKind::SessionsEnded,
        SecurityEventKind::CertificateDownloaded,
        SecurityEventKind::CertificateRevoked,
        SecurityEventKind::SigningPasswordChanged,
        SecurityEventKind::OtpResynchronised,
        SecurityEventKind::RevocationRequested,
    ];

    /// The stable code stored and exported.
    pub fn code(self) -> &'static str {
        match self {
            SecurityEventKind::LoginSucceeded => "login_succeeded",
            SecurityEventKind::LoginFailed => "login_failed",
            SecurityEventKind::SecondFactorChanged => "second_factor_changed",
            SecurityEventKind::OrganisationCreated => "organisation_created",
            SecurityEventKind::AccountCreated => "account_created",
            SecurityEventKind::AccountAssigned => "account_assigned",
            SecurityEventKind::AccountUnassigned => "account_unassigned",
            SecurityEventKind::AccountDisabled => "account_disabled",
            SecurityEventKind::PasswordReset => "password_reset",
            SecurityEventKind::PasswordChanged => "password_changed",
            SecurityEventKind::SecondFactorReset => "second_factor_reset",
            SecurityEventKind::SessionsEnded => "sessions_ended",
            SecurityEventKind::CertificateDownloaded => "certificate_downloaded",
            SecurityEventKind::CertificateRevoked => "certificate_revoked",
            SecurityEventKind::SigningPasswordChanged => "signing_password_changed",
            SecurityEventKind::OtpResynchronised => "otp_resynchronised",
            SecurityEventKind::RevocationRequested => "revocation_requested",
        }
    }

    pub fn parse(code: &str) -> Option<SecurityEventKind> {
        SecurityEventKind::ALL
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// Why a login attempt failed, as the log tells it (the person trying is told less).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginResult {
    Succeeded,
    /// Unknown username, wrong password or a disabled account: one answer to the client.
    WrongCredentials,
    Throttled,
    /// The password was right, the second factor missing or wrong.
    SecondFactorFailed,
    /// The password was right, but the account must first finish its setup in the console
    /// (an API login).
    SetupRequired,
}

/// One event, before the store gives it its time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    pub kind: SecurityEventKind,
    /// The username of whoever acted (the one typed, for a login), if anyone did.
    pub actor: Option<String>,
    /// What was acted on: an account's username, an organisation's code, `application:<id>`.
    pub subject: Option<String>,
    pub address: Option<IpAddr>,
    /// A word or two from a fixed vocabulary (a failure's cause, a format, a category).
    pub detail: Option<String>,
}

impl SecurityEvent {
    fn new(kind: SecurityEventKind, actor: Option<&str>) -> SecurityEvent {
        SecurityEvent {
            kind,
            actor: actor.map(str::to_owned),
            subject: None,
            address: None,
            detail: None,
        }
    }

    /// A login attempt with `username` (as typed, so that guesses at names show) from `from`.
    pub fn login(username: &str, from: Option<IpAddr>, result: LoginResult) -> SecurityEvent {
        let (kind, detail) = match result {
            LoginResult::Succeeded => (SecurityEventKind::LoginSucceeded, None),
            LoginResult::WrongCredentials => {
                (SecurityEventKind::LoginFailed, Some("wrong_credentials"))
            }
            LoginResult::Throttled => (SecurityEventKind::LoginFailed, Some("throttled")),
            LoginResult::SecondFactorFailed => {
                (SecurityEventKind::LoginFailed, Some("second_factor"))
            }
            LoginResult::SetupRequired => (SecurityEventKind::LoginFailed, Some("setup_required")),
        };
        SecurityEvent {
            address: from,
            detail: detail.map(str::to_owned),
            ..SecurityEvent::new(kind, Some(username))
        }
    }

    /// `actor` changed their own second factor; `change` says how (e.g. `enrolled`).
    pub fn second_factor_changed(
        actor: &str,
        from: Option<IpAddr>,
        change: &'static str,
    ) -> SecurityEvent {
        SecurityEvent {
            address: from,
            subject: Some(actor.to_owned()),
            detail: Some(change.to_owned()),
            ..SecurityEvent::new(SecurityEventKind::SecondFactorChanged, Some(actor))
        }
    }

    /// An operator's (or the command line's, `actor` `None`) change to an account or an
    /// organisation, `subject` being its username or code.
    pub fn account_change(
        kind: SecurityEventKind,
        actor: Option<&str>,
        subject: &str,
        detail: Option<&str>,
    ) -> SecurityEvent {
        SecurityEvent {
            subject: Some(subject.to_owned()),
            detail: detail.map(str::to_owned),
            ..SecurityEvent::new(kind, actor)
        }
    }

    /// A certificate of application `application_id` downloaded through `via` (`console`,
    /// `api`, `portal`).
    pub fn certificate_downloaded(
        actor: Option<&str>,
        application_id: i64,
        via: &'static str,
    ) -> SecurityEvent {
        SecurityEvent {
            subject: Some(application_subject(application_id)),
            detail: Some(via.to_owned()),
            ..SecurityEvent::new(SecurityEventKind::CertificateDownloaded, actor)
        }
    }

    /// A certificate revoked, with the code of its category.
    pub fn certificate_revoked(
        actor: &str,
        application_id: i64,
        category: &'static str,
    ) -> SecurityEvent {
        SecurityEvent {
            subject: Some(application_subject(application_id)),
            detail: Some(category.to_owned()),
            ..SecurityEvent::new(SecurityEventKind::CertificateRevoked, Some(actor))
        }
    }

    /// What the holder of application `application_id`'s certificate did for themselves in the
    /// portal (`kind`: a signing password changed, the authenticator app resynchronised, a
    /// revocation asked for); `holder` is their username.
    pub fn holder_self_service(
        kind: SecurityEventKind,
        holder: Option<&str>,
        application_id: i64,
    ) -> SecurityEvent {
        SecurityEvent {
            subject: Some(application_subject(application_id)),
            detail: Some("portal".to_owned()),
            ..SecurityEvent::new(kind, holder)
        }
    }

    /// Where the request came from, when it matters to the reader of the log.
    pub fn from(mut self, address: Option<IpAddr>) -> SecurityEvent {
        self.address = address;
        self
    }
}

fn application_subject(id: i64) -> String {
    format!("application:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for kind in SecurityEventKind::ALL {
            assert_eq!(SecurityEventKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(SecurityEventKind::parse("nothing"), None);
    }

    #[test]
    fn a_failed_login_names_the_username_tried_the_address_and_the_cause() {
        let from: IpAddr = "192.0.2.7".parse().unwrap();
        let event = SecurityEvent::login("dpp@x.gr", Some(from), LoginResult::WrongCredentials);
        assert_eq!(event.kind, SecurityEventKind::LoginFailed);
        assert_eq!(event.actor.as_deref(), Some("dpp@x.gr"));
        assert_eq!(event.address, Some(from));
        assert_eq!(event.detail.as_deref(), Some("wrong_credentials"));
        let ok = SecurityEvent::login("dpp@x.gr", None, LoginResult::Succeeded);
        assert_eq!(ok.kind, SecurityEventKind::LoginSucceeded);
        assert_eq!(ok.detail, None);
        let throttled = SecurityEvent::login("dpp@x.gr", None, LoginResult::Throttled);
        assert_eq!(throttled.detail.as_deref(), Some("throttled"));
    }

    #[test]
    fn certificate_events_name_the_application() {
        let event = SecurityEvent::certificate_downloaded(Some("dpp@x.gr"), 42, "api");
        assert_eq!(event.subject.as_deref(), Some("application:42"));
        assert_eq!(event.detail.as_deref(), Some("api"));
        let event = SecurityEvent::holder_self_service(
            SecurityEventKind::SigningPasswordChanged,
            Some("e.karagianni"),
            42,
        );
        assert_eq!(event.actor.as_deref(), Some("e.karagianni"));
        assert_eq!(event.subject.as_deref(), Some("application:42"));
        assert_eq!(event.detail.as_deref(), Some("portal"));
        let event = SecurityEvent::certificate_revoked("dpp@x.gr", 42, "employee_request");
        assert_eq!(event.kind, SecurityEventKind::CertificateRevoked);
        assert_eq!(event.subject.as_deref(), Some("application:42"));
    }
}
