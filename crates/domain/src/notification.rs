//! The emails certdesk writes to the outbox when an application changes (Greek first).

use crate::{Lang, Status};

pub struct Email {
    pub subject: String,
    pub body_text: String,
}

/// The email to the beneficiary after their application moved to `to`.
pub fn status_change_email(
    given_name: &str,
    surname: &str,
    to: Status,
    description: &str,
    reason: Option<&str>,
) -> Email {
    let label = to.label(Lang::El);
    let mut body = format!(
        "Αγαπητέ/ή {given_name} {surname},\n\n\
         η κατάσταση της αίτησής σας για ψηφιακό πιστοποιητικό είναι πλέον: «{label}».\n\n{description}.\n"
    );
    if let Some(reason) = reason {
        body.push_str(&format!("Αιτιολογία: {reason}\n"));
    }
    body.push_str("\nΤο μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.\n");
    Email {
        subject: format!("Ψηφιακό πιστοποιητικό: {label}"),
        body_text: body,
    }
}
