//! Who acts on an application: a ΔΨΠ, the beneficiary, or certdesk itself.

use serde::{Deserialize, Serialize};

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
