//! The roles of an account (CA protection profiles keep them apart): the certificate
//! administrator (ΔΨΠ) acts on applications, the operator manages organisations and accounts,
//! the auditor reads histories and the security log. An account has exactly one role, and what
//! each may do is decided here only.

/// The one role of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// ΔΨΠ: the employees and applications of their organisations.
    Administrator,
    /// Organisations and accounts; no employee, no application.
    Operator,
    /// Reads every organisation's employees, histories and the security log; changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Administrator, Role::Operator, Role::Auditor];

    /// The code stored in the database and shown by the CLI.
    pub fn code(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Organisations, accounts, their passwords, second factors and sessions.
    pub fn may_manage_accounts(self) -> bool {
        self == Role::Operator
    }

    pub fn may_read_security_log(self) -> bool {
        self == Role::Auditor
    }

    /// Start, approve, reject, cancel and revoke applications.
    pub fn may_act_on_applications(self) -> bool {
        self == Role::Administrator
    }

    /// Import the HR registry's employees into their organisations (the CLI's import is the
    /// installation's own, below roles).
    pub fn may_import_employees(self) -> bool {
        self == Role::Administrator
    }

    /// Search employees, read their cards and histories (within a scope, see below).
    pub fn may_read_employees(self) -> bool {
        matches!(self, Role::Administrator | Role::Auditor)
    }

    /// Whether the account is assigned organisations (only a ΔΨΠ is).
    pub fn serves_organisations(self) -> bool {
        self == Role::Administrator
    }

    /// Download an issued certificate (an act the security log records).
    pub fn may_download_certificates(self) -> bool {
        self == Role::Administrator
    }

    /// Whether the employees this role reads are every organisation's rather than the
    /// account's own: an auditor audits the whole installation.
    pub fn reads_every_organisation(self) -> bool {
        self == Role::Auditor
    }

    /// Greek first, as the console shows it.
    pub fn label(self, lang: crate::Lang) -> &'static str {
        match (self, lang) {
            (Role::Administrator, crate::Lang::El) => "ΔΨΠ",
            (Role::Administrator, crate::Lang::En) => "Certificate administrator",
            (Role::Operator, crate::Lang::El) => "Διαχειριστής λογαριασμών",
            (Role::Operator, crate::Lang::En) => "Operator",
            (Role::Auditor, crate::Lang::El) => "Ελεγκτής",
            (Role::Auditor, crate::Lang::En) => "Auditor",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn each_power_belongs_to_exactly_one_role() {
        let powers: [fn(Role) -> bool; 4] = [
            Role::may_manage_accounts,
            Role::may_read_security_log,
            Role::may_act_on_applications,
            Role::may_download_certificates,
        ];
        for power in powers {
            assert_eq!(Role::ALL.into_iter().filter(|r| power(*r)).count(), 1);
        }
    }

    #[test]
    fn the_operator_sees_no_employee_and_the_auditor_changes_nothing() {
        assert!(!Role::Operator.may_read_employees());
        assert!(!Role::Operator.may_act_on_applications());
        assert!(Role::Auditor.may_read_employees());
        assert!(Role::Auditor.reads_every_organisation());
        assert!(!Role::Auditor.may_act_on_applications());
        assert!(!Role::Auditor.may_manage_accounts());
        assert!(!Role::Auditor.may_download_certificates());
        assert!(!Role::Administrator.reads_every_organisation());
        assert!(!Role::Administrator.may_manage_accounts());
        assert!(!Role::Administrator.may_read_security_log());
    }
}
