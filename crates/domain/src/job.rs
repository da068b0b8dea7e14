//! The kinds of background job (SPEC §6): work queued by a transition and run later, outside the
//! request that caused it. Their codes are stored in the job queue, so they never change.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Ask the CA for the certificate of a signed application.
    IssueCertificate,
    /// Reject an application nobody moved on for too long.
    ExpireApplication,
    /// Mark a certificate expired once it passes its notAfter.
    ExpireCertificate,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [
        JobKind::IssueCertificate,
        JobKind::ExpireApplication,
        JobKind::ExpireCertificate,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            JobKind::IssueCertificate => "issue_certificate",
            JobKind::ExpireApplication => "expire_application",
            JobKind::ExpireCertificate => "expire_certificate",
        }
    }

    pub fn parse(code: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_the_stored_ones_unique_and_parse_back() {
        let codes: Vec<&str> = JobKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            [
                "issue_certificate",
                "expire_application",
                "expire_certificate"
            ]
        );
        assert_eq!(codes.iter().collect::<HashSet<_>>().len(), codes.len());
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(JobKind::parse("issue"), None);
        assert_eq!(JobKind::parse(""), None);
    }

    #[test]
    fn serializes_as_its_code() {
        for kind in JobKind::ALL {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.code())
            );
        }
    }
}
