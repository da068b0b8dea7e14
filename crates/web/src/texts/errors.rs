//! The messages of [`WebError`](crate::error::WebError) that no single surface owns: the API's
//! errors, and the store's and the rules' answers as any page shows them.

use certdesk_domain::Lang;

pub struct ErrorTexts {
    pub unauthorized: &'static str,
    pub invalid_credentials: &'static str,
    /// The signing APIs' login (username and signing password).
    pub wrong_signing_credentials: &'static str,
    pub otp_required: &'static str,
    pub account_setup_required: &'static str,
    pub too_many_logins: &'static str,
    pub not_found: &'static str,
    pub forbidden: &'static str,
    pub method_not_allowed: &'static str,
    pub body_unreadable: &'static str,
    pub payload_too_large: &'static str,
    pub csv_too_large: &'static str,
    pub csv_media_type: &'static str,
    pub malformed_json: &'static str,
    pub not_an_object: &'static str,
    pub wrong_shape: &'static str,
    pub query_invalid: &'static str,
    pub unknown_afm: &'static str,
    pub open_application_exists: &'static str,
    pub unavailable: &'static str,
    pub conflict: &'static str,
    pub internal: &'static str,
}

pub fn errors(lang: Lang) -> &'static ErrorTexts {
    match lang {
        Lang::El => &EL,
        Lang::En => &EN,
    }
}

/// «Το πεδίο «f» λείπει ή δεν έχει τον σωστό τύπο.»
pub fn field_mistyped(field: &str, lang: Lang) -> String {
    match lang {
        Lang::El => format!("Το πεδίο «{field}» λείπει ή δεν έχει τον σωστό τύπο."),
        Lang::En => format!("The field “{field}” is missing or has the wrong type."),
    }
}

/// «Η παράμετρος «p» δεν έχει έγκυρη τιμή.»
pub fn parameter_invalid(parameter: &str, lang: Lang) -> String {
    match lang {
        Lang::El => format!("Η παράμετρος «{parameter}» δεν έχει έγκυρη τιμή."),
        Lang::En => format!("The parameter “{parameter}” has an invalid value."),
    }
}

static EL: ErrorTexts = ErrorTexts {
    unauthorized: "Απαιτείται σύνδεση: στείλτε ένα έγκυρο διακριτικό (Authorization: Bearer …).",
    invalid_credentials: "Λάθος όνομα χρήστη ή κωδικός.",
    wrong_signing_credentials: "Λάθος όνομα χρήστη ή κωδικός ψηφιακής υπογραφής.",
    otp_required: "Απαιτείται σωστός κωδικός μίας χρήσης (πεδίο «otp»): από την εφαρμογή επαλήθευσης ή ένας κωδικός ανάκτησης.",
    account_setup_required: "Ολοκληρώστε τη ρύθμιση του λογαριασμού σας στην κονσόλα (/login) πριν χρησιμοποιήσετε το API.",
    too_many_logins: "Πολλές αποτυχημένες προσπάθειες σύνδεσης. Δοκιμάστε ξανά σε 15 λεπτά.",
    not_found: "Δεν βρέθηκε.",
    forbidden: "Ο ρόλος του λογαριασμού σας δεν επιτρέπει αυτή την ενέργεια.",
    method_not_allowed: "Η μέθοδος HTTP δεν επιτρέπεται σε αυτή τη διεύθυνση.",
    body_unreadable: "Το σώμα του αιτήματος δεν μπορεί να διαβαστεί.",
    payload_too_large: "Το σώμα του αιτήματος είναι πολύ μεγάλο (έως 64 KiB).",
    csv_too_large: "Το αρχείο CSV είναι πολύ μεγάλο (έως 256 MiB ανά αίτημα): χωρίστε το σε περισσότερα.",
    csv_media_type: "Το σώμα πρέπει να είναι αρχείο CSV (Content-Type: text/csv) σε UTF-8 ή Windows-1253 (charset=windows-1253).",
    malformed_json: "Το σώμα του αιτήματος δεν είναι έγκυρο JSON.",
    not_an_object: "Το σώμα του αιτήματος πρέπει να είναι αντικείμενο JSON ({…}) με τα πεδία του αιτήματος.",
    wrong_shape: "Τα δεδομένα JSON δεν έχουν την αναμενόμενη μορφή (αναμένεται αντικείμενο με τα πεδία του αιτήματος).",
    query_invalid: "Οι παράμετροι της αναζήτησης δεν είναι έγκυρες.",
    unknown_afm: "ΑΦΜ: δεν βρέθηκε υπάλληλος των φορέων σας με αυτόν τον ΑΦΜ.",
    open_application_exists: "Ο υπάλληλος έχει ήδη ανοιχτή αίτηση έκδοσης ψηφιακού πιστοποιητικού.",
    unavailable: "Η βάση δεδομένων δεν είναι διαθέσιμη αυτή τη στιγμή. Δοκιμάστε ξανά σε λίγο.",
    conflict: "Η αίτηση άλλαξε ταυτόχρονα από άλλον χρήστη. Ανανεώστε και δοκιμάστε ξανά.",
    internal: "Παρουσιάστηκε εσωτερικό σφάλμα.",
};

static EN: ErrorTexts = ErrorTexts {
    unauthorized: "Authentication required: send a valid token (Authorization: Bearer …).",
    invalid_credentials: "Wrong username or password.",
    wrong_signing_credentials: "Wrong username or signing password.",
    otp_required: "A valid one-time code (field “otp”) is required: from your authenticator app, or a recovery code.",
    account_setup_required: "Finish setting up your account in the console (/login) before using the API.",
    too_many_logins: "Too many failed login attempts. Try again in 15 minutes.",
    not_found: "Not found.",
    forbidden: "Your account's role does not allow this.",
    method_not_allowed: "This HTTP method is not allowed at this address.",
    body_unreadable: "The request body cannot be read.",
    payload_too_large: "The request body is too large (64 KiB at most).",
    csv_too_large: "The CSV file is too large (256 MiB at most per request): split it into several.",
    csv_media_type: "The body must be a CSV file (Content-Type: text/csv) in UTF-8 or Windows-1253 (charset=windows-1253).",
    malformed_json: "The request body is not valid JSON.",
    not_an_object: "The request body must be a JSON object ({…}) with the request's fields.",
    wrong_shape: "The JSON data does not have the expected shape (an object with the request's fields).",
    query_invalid: "The search parameters are invalid.",
    unknown_afm: "Tax number (AFM): no employee of your organisations has this AFM.",
    open_application_exists: "The employee already has an open certificate application.",
    unavailable: "The database is unavailable right now. Please try again shortly.",
    conflict: "The application was changed by someone else meanwhile. Reload and try again.",
    internal: "An internal error occurred.",
};
