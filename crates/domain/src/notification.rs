//! The emails certdesk writes to the outbox when an application changes (Greek first), as plain
//! text and as HTML. Every value put into the HTML is escaped: names, descriptions and reasons are
//! typed by people (a ΔΨΠ's free-text reason, a name from a registry) and may hold markup.

use crate::{Lang, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub body_text: String,
    /// The same message as an HTML document (UTF-8), every interpolated value escaped.
    pub body_html: String,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escaped text with its line breaks kept (`<br>`), for free text such as a reason.
fn escape_lines(text: &str) -> String {
    text.lines()
        .map(escape_html)
        .collect::<Vec<_>>()
        .join("<br>\n")
}

/// The email to the beneficiary after their application moved to `to`. With the portal's
/// address, the email links to it: «Έναρξη» when the process has just started (the caller's
/// `portal_url` then carries the single-use token that proves the address, see
/// [`start_link`]), else a link to the application.
pub fn status_change_email(
    given_name: &str,
    surname: &str,
    to: Status,
    description: &str,
    reason: Option<&str>,
    portal_url: Option<&str>,
) -> Email {
    let label = to.label(Lang::El);
    // The issuance's email has the real system's subject, exactly.
    let subject = if to == Status::Issued {
        "Ολοκλήρωση διαδικασίας έκδοσης ΨΠ".to_owned()
    } else {
        format!("Ψηφιακό πιστοποιητικό: {label}")
    };

    let mut body = format!(
        "Αγαπητέ/ή {given_name} {surname},\n\n\
         η κατάσταση της αίτησής σας για ψηφιακό πιστοποιητικό είναι πλέον: «{label}».\n\n{description}.\n"
    );
    if let Some(reason) = reason {
        body.push_str(&format!("Αιτιολογία: {reason}\n"));
    }
    let link_text = if to == Status::AwaitingDataCheck {
        "Έναρξη"
    } else {
        "Η αίτησή μου"
    };
    if let Some(url) = portal_url {
        if to == Status::AwaitingDataCheck {
            body.push_str(
                "\nΓια να ελέγξετε τα στοιχεία σας και να συνεχίσετε, συνδεθείτε με τους κωδικούς \
                 TaxisNet από τον σύνδεσμο «Έναρξη»:\n",
            );
        } else {
            body.push_str("\nΗ αίτησή σας και το ιστορικό της:\n");
        }
        body.push_str(&format!("{link_text}: {url}\n"));
    }
    body.push_str("\nΤο μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.\n");

    let mut html = format!(
        "<!DOCTYPE html>\n\
         <html lang=\"el\">\n\
         <head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n\
         <p>Αγαπητέ/ή {given} {surname},</p>\n\
         <p>η κατάσταση της αίτησής σας για ψηφιακό πιστοποιητικό είναι πλέον: \
         <strong>«{label}»</strong>.</p>\n\
         <p>{description}.</p>\n",
        title = escape_html(&subject),
        given = escape_html(given_name),
        surname = escape_html(surname),
        label = escape_html(label),
        description = escape_lines(description),
    );
    if let Some(reason) = reason {
        html.push_str(&format!("<p>Αιτιολογία: {}</p>\n", escape_lines(reason)));
    }
    if let Some(url) = portal_url {
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape_html(url),
            escape_html(link_text)
        ));
    }
    html.push_str(
        "<p style=\"color: #555\">Το μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.</p>\n\
         </body>\n</html>\n",
    );

    Email {
        subject,
        body_text: body,
        body_html: html,
    }
}

/// The «Έναρξη» link of a start email: the portal's `/portal/start`, carrying the token that
/// proves the address (see [`crate::email_proof`]).
pub fn start_link(portal_url: &str, token: &str) -> String {
    format!("{}/start?token={token}", portal_url.trim_end_matches('/'))
}

/// The email with a code that proves the work address (the fallback to the start link).
pub fn email_proof_code_email(
    given_name: &str,
    surname: &str,
    code: &str,
    valid_minutes: i64,
) -> Email {
    code_email(
        "Ψηφιακό πιστοποιητικό: κωδικός επιβεβαίωσης email",
        given_name,
        surname,
        "ο κωδικός επιβεβαίωσης της διεύθυνσης email σας",
        code,
        &format!(
            "Γράψτε τον στη σελίδα της αίτησής σας. Ισχύει για {valid_minutes} λεπτά και για μία \
             μόνο χρήση."
        ),
    )
}

/// An email that carries a six-digit code: "`what` είναι: `code`", then `usage` and the line
/// on codes nobody asked for. One wording for both codes, so they cannot drift apart.
fn code_email(
    subject: &str,
    given_name: &str,
    surname: &str,
    what: &str,
    code: &str,
    usage: &str,
) -> Email {
    const NOT_ASKED: &str = "Αν δεν τον ζητήσατε εσείς, αγνοήστε αυτό το μήνυμα.";
    let body_text = format!(
        "Αγαπητέ/ή {given_name} {surname},\n\n\
         {what} είναι: {code}\n\n\
         {usage} {NOT_ASKED}\n\n\
         Το μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.\n"
    );
    let body_html = format!(
        "<!DOCTYPE html>\n<html lang=\"el\">\n\
         <head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n\
         <p>Αγαπητέ/ή {given} {surname},</p>\n\
         <p>{what} είναι: <strong>{code}</strong></p>\n\
         <p>{usage} {NOT_ASKED}</p>\n\
         <p style=\"color: #555\">Το μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.</p>\n\
         </body>\n</html>\n",
        title = escape_html(subject),
        given = escape_html(given_name),
        surname = escape_html(surname),
        what = escape_html(what),
        code = escape_html(code),
        usage = escape_html(usage),
    );
    Email {
        subject: subject.to_owned(),
        body_text,
        body_html,
    }
}

/// The notice sent once, 15 days before a certificate expires (SPEC §2: no renewal; a new
/// application is needed).
pub fn expiry_notice_email(given_name: &str, surname: &str, expires_on: &str) -> Email {
    let subject = "Ψηφιακό πιστοποιητικό: λήγει σύντομα".to_owned();
    let body_text = format!(
        "Αγαπητέ/ή {given_name} {surname},\n\n\
         το ψηφιακό σας πιστοποιητικό υπογραφής λήγει στις {expires_on}. Μετά τη λήξη του δεν \
         μπορείτε να υπογράφετε με αυτό. Για νέο πιστοποιητικό απευθυνθείτε στον υπεύθυνο \
         ψηφιακών πιστοποιητικών του φορέα σας.\n\n\
         Το μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.\n"
    );
    let body_html = format!(
        "<!DOCTYPE html>\n<html lang=\"el\">\n\
         <head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n\
         <p>Αγαπητέ/ή {given} {surname},</p>\n\
         <p>το ψηφιακό σας πιστοποιητικό υπογραφής λήγει στις <strong>{expires}</strong>. Μετά τη \
         λήξη του δεν μπορείτε να υπογράφετε με αυτό. Για νέο πιστοποιητικό απευθυνθείτε στον \
         υπεύθυνο ψηφιακών πιστοποιητικών του φορέα σας.</p>\n\
         <p style=\"color: #555\">Το μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.</p>\n\
         </body>\n</html>\n",
        title = escape_html(&subject),
        given = escape_html(given_name),
        surname = escape_html(surname),
        expires = escape_html(expires_on),
    );
    Email {
        subject,
        body_text,
        body_html,
    }
}

/// The email to the ΔΨΠ of an organisation when the holder of a certificate asks for its
/// revocation («Αίτημα ανάκλησης»): a task waiting for them on the employee's card. It names the
/// holder and the application, and the reason they gave (free text, escaped in the HTML).
pub fn revocation_request_email(
    given_name: &str,
    surname: &str,
    application_id: i64,
    reason: Option<&str>,
) -> Email {
    let subject = format!("Αίτημα ανάκλησης ψηφιακού πιστοποιητικού: {given_name} {surname}");
    let reason_text = reason
        .map(|r| format!("\nΑιτιολογία του δικαιούχου:\n{r}\n"))
        .unwrap_or_default();
    let body_text = format!(
        "Ο/Η {given_name} {surname} ζήτησε την ανάκληση του ψηφιακού πιστοποιητικού του/της \
         (αίτηση {application_id}).\n{reason_text}\n\
         Το αίτημα περιμένει στην καρτέλα του υπαλλήλου στην κονσόλα ΔΨΠ, και στην αναζήτηση με \
         το φίλτρο «Μόνο με αίτημα ανάκλησης». Μέχρι την ανάκληση το πιστοποιητικό υπογράφει.\n\n\
         Το μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.\n"
    );
    let reason_html = reason
        .map(|r| {
            format!(
                "<p>Αιτιολογία του δικαιούχου:<br>\n{}</p>\n",
                escape_lines(r)
            )
        })
        .unwrap_or_default();
    let body_html = format!(
        "<!DOCTYPE html>\n<html lang=\"el\">\n\
         <head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n\
         <p>Ο/Η <strong>{given} {surname}</strong> ζήτησε την ανάκληση του ψηφιακού πιστοποιητικού \
         του/της (αίτηση {application_id}).</p>\n{reason_html}\
         <p>Το αίτημα περιμένει στην καρτέλα του υπαλλήλου στην κονσόλα ΔΨΠ, και στην αναζήτηση \
         με το φίλτρο «Μόνο με αίτημα ανάκλησης». Μέχρι την ανάκληση το πιστοποιητικό υπογράφει.</p>\n\
         <p style=\"color: #555\">Το μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.</p>\n\
         </body>\n</html>\n",
        title = escape_html(&subject),
        given = escape_html(given_name),
        surname = escape_html(surname),
    );
    Email {
        subject,
        body_text,
        body_html,
    }
}

/// The email that carries a one-time password for signing (the email channel of SPEC §2).
pub fn one_time_password_email(
    given_name: &str,
    surname: &str,
    code: &str,
    valid_minutes: i64,
) -> Email {
    code_email(
        "Ψηφιακό πιστοποιητικό: κωδικός μίας χρήσης",
        given_name,
        surname,
        "ο κωδικός μίας χρήσης για την υπογραφή της αίτησής σας",
        code,
        &format!("Ισχύει για {valid_minutes} λεπτά και για μία μόνο χρήση."),
    )
}

/// The email to a new ΔΨΠ that their account exists. It carries no password: the operator hands
/// the temporary one over another way, and it must be changed at the first login.
pub fn account_created_email(full_name: &str, username: &str, console_url: Option<&str>) -> Email {
    let subject = "Δημιουργία λογαριασμού ΔΨΠ στο certdesk".to_owned();
    let link = console_url.map(|u| format!("{}/login", u.trim_end_matches('/')));
    let mut body_text = format!(
        "Αγαπητέ/ή {full_name},\n\n\
         δημιουργήθηκε λογαριασμός Διαχειριστή Ψηφιακών Πιστοποιητικών (ΔΨΠ) με όνομα χρήστη \
         {username}. Τον αρχικό κωδικό θα σας τον δώσει ο διαχειριστής λογαριασμών· θα σας \
         ζητηθεί να τον αλλάξετε στην πρώτη σύνδεση.\n"
    );
    if let Some(link) = &link {
        body_text.push_str(&format!("\nΣύνδεση: {link}\n"));
    }
    body_text.push_str("\nΤο μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.\n");
    let link_html = link
        .as_deref()
        .map(|l| format!("<p><a href=\"{0}\">{0}</a></p>\n", escape_html(l)))
        .unwrap_or_default();
    let body_html = format!(
        "<!DOCTYPE html>\n<html lang=\"el\">\n\
         <head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n\
         <p>Αγαπητέ/ή {name},</p>\n\
         <p>δημιουργήθηκε λογαριασμός Διαχειριστή Ψηφιακών Πιστοποιητικών (ΔΨΠ) με όνομα χρήστη \
         <strong>{user}</strong>. Τον αρχικό κωδικό θα σας τον δώσει ο διαχειριστής λογαριασμών· \
         θα σας ζητηθεί να τον αλλάξετε στην πρώτη σύνδεση.</p>\n{link_html}\
         <p style=\"color: #555\">Το μήνυμα αυτό στάλθηκε αυτόματα από το certdesk.</p>\n\
         </body>\n</html>\n",
        title = escape_html(&subject),
        name = escape_html(full_name),
        user = escape_html(username),
    );
    Email {
        subject,
        body_text,
        body_html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_email_names_the_account_escaped_and_links_the_console() {
        let email = account_created_email("Τομ <b>", "dpp@x.gr", Some("https://c.example/"));
        assert!(email.body_text.contains("dpp@x.gr"));
        assert!(email.body_text.contains("https://c.example/login"));
        assert!(email.body_html.contains("Τομ &lt;b&gt;"));
        assert!(!email.body_html.contains("<b>"));
    }

    #[test]
    fn the_revocation_request_email_names_the_holder_and_the_reason_escaped() {
        let email =
            revocation_request_email("Ελένη", "Καραγιάννη", 42, Some("<i>ξέχασα</i>\nτον κωδικό"));
        assert!(email.subject.contains("Ελένη Καραγιάννη"));
        assert!(email.body_text.contains("αίτηση 42"));
        assert!(
            email.body_text.contains("<i>ξέχασα</i>"),
            "plain text as typed"
        );
        assert!(email.body_html.contains("&lt;i&gt;ξέχασα&lt;/i&gt;<br>"));
        assert!(!email.body_html.contains("<i>"));
        let without = revocation_request_email("Ελένη", "Καραγιάννη", 42, None);
        assert!(!without.body_text.contains("Αιτιολογία"));
    }

    #[test]
    fn escapes_the_five_characters_of_markup() {
        assert_eq!(
            escape_html(r#"<a href="x">Τομ & 'Τζέρι'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Τομ &amp; &#39;Τζέρι&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("Ελένη"), "Ελένη");
    }

    #[test]
    fn text_and_html_say_the_same_in_greek() {
        let email = status_change_email(
            "Ελένη",
            "Παπαδοπούλου",
            Status::Rejected,
            "Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη Μαρία Κωνσταντίνου",
            Some("Μετακίνηση σε άλλο φορέα"),
            None,
        );
        let label = Status::Rejected.label(Lang::El);
        assert_eq!(email.subject, format!("Ψηφιακό πιστοποιητικό: {label}"));
        for body in [&email.body_text, &email.body_html] {
            assert!(body.contains("Ελένη Παπαδοπούλου"), "{body}");
            assert!(body.contains(&format!("«{label}»")), "{body}");
            assert!(body.contains("ακυρώθηκε από τον χρήστη Μαρία Κωνσταντίνου"));
            assert!(body.contains("Αιτιολογία: Μετακίνηση σε άλλο φορέα"));
        }
        assert!(email.body_html.starts_with("<!DOCTYPE html>"));
        assert!(email.body_html.contains("<html lang=\"el\">"));
        assert!(email.body_html.contains("<meta charset=\"utf-8\">"));
        assert!(
            !email.body_text.contains('<'),
            "the text part has no markup"
        );
    }

    #[test]
    fn no_reason_no_reason_line() {
        let email = status_change_email("Α", "Β", Status::AwaitingApproval, "Κάτι", None, None);
        assert!(!email.body_text.contains("Αιτιολογία"));
        assert!(!email.body_html.contains("Αιτιολογία"));
    }

    #[test]
    fn every_interpolated_value_is_escaped_in_the_html() {
        let email = status_change_email(
            "<script>alert('x')</script>",
            "O'Brien & <b>Sons</b>",
            Status::Rejected,
            "Περιγραφή με <img src=x onerror=alert(1)>",
            Some("Αιτία \"<i>\"\nδεύτερη γραμμή"),
            Some("https://certdesk.example.gr/portal?a=1&b=\"2\""),
        );
        let html = &email.body_html;
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("<i>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("O&#39;Brien &amp; &lt;b&gt;Sons&lt;/b&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("Αιτία &quot;&lt;i&gt;&quot;<br>\nδεύτερη γραμμή"));
        assert!(
            html.contains(
                "<a href=\"https://certdesk.example.gr/portal?a=1&amp;b=&quot;2&quot;\">"
            )
        );
        // The plain text carries the values as typed: it is never rendered as markup.
        assert!(email.body_text.contains("<script>alert('x')</script>"));
    }

    #[test]
    fn the_start_email_links_to_the_portal_with_enarxi() {
        let url = "https://certdesk.example.gr/portal";
        let email = status_change_email(
            "Ελένη",
            "Παπαδοπούλου",
            Status::AwaitingDataCheck,
            "Η διαδικασία έκδοσης ξεκίνησε από τον χρήστη Μαρία Κωνσταντίνου",
            None,
            Some(url),
        );
        assert!(
            email.body_text.contains(&format!("Έναρξη: {url}\n")),
            "{}",
            email.body_text
        );
        assert!(
            email
                .body_html
                .contains(&format!("<a href=\"{url}\">Έναρξη</a>"))
        );
        let later =
            status_change_email("Α", "Β", Status::AwaitingApproval, "Κάτι", None, Some(url));
        assert!(later.body_text.contains(&format!("Η αίτησή μου: {url}")));
        assert!(!later.body_text.contains("Έναρξη"));
        let without = status_change_email("Α", "Β", Status::AwaitingDataCheck, "Κάτι", None, None);
        assert!(!without.body_text.contains("Έναρξη") && !without.body_html.contains("<a "));
    }

    #[test]
    fn the_start_link_carries_the_token_under_the_portal() {
        assert_eq!(
            start_link("https://certdesk.example.gr/portal/", "ab12"),
            "https://certdesk.example.gr/portal/start?token=ab12"
        );
        let email = email_proof_code_email("Ελένη", "Π", "042917", 10);
        assert!(email.body_text.contains("042917") && email.body_html.contains("042917"));
    }

    #[test]
    fn the_one_time_password_email_carries_the_code() {
        let email = one_time_password_email("Ελένη", "<Παπαδοπούλου>", "042917", 10);
        assert!(email.body_text.contains("042917") && email.body_text.contains("10 λεπτά"));
        assert!(email.body_html.contains("<strong>042917</strong>"));
        assert!(email.body_html.contains("&lt;Παπαδοπούλου&gt;"));
    }

    #[test]
    fn the_issuance_email_is_titled_as_the_real_system_titles_it() {
        let email = status_change_email(
            "Α",
            "Β",
            Status::Issued,
            "Το πιστοποιητικό εκδόθηκε",
            None,
            None,
        );
        assert_eq!(email.subject, "Ολοκλήρωση διαδικασίας έκδοσης ΨΠ");
        assert!(email.body_text.contains("«Το πιστοποιητικό εκδόθηκε»"));
    }
}
