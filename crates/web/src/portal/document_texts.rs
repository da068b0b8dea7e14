//! The words of «Υπογραφή εγγράφου» in the portal, Greek first.

use certdesk_domain::Lang;

pub struct DocumentTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub link: &'static str,
    pub files: &'static str,
    pub files_hint: &'static str,
    pub visible: &'static str,
    pub page: &'static str,
    pub page_hint: &'static str,
    pub signing_password: &'static str,
    pub otp: &'static str,
    pub otp_hint_email: &'static str,
    pub otp_hint_totp: &'static str,
    pub send_code: &'static str,
    pub code_sent: &'static str,
    pub submit: &'static str,
    /// Before the TSA's host, when the signatures carry a signature timestamp (B-T).
    pub timestamped: &'static str,
    /// Why nothing was signed when the TSA gave no timestamp.
    pub timestamp_failed: &'static str,
}

pub fn document_texts(lang: Lang) -> &'static DocumentTexts {
    match lang {
        Lang::El => &EL,
        Lang::En => &EN,
    }
}

static EL: DocumentTexts = DocumentTexts {
    title: "Υπογραφή εγγράφου",
    intro: "Επιλέξτε ένα ή περισσότερα έγγραφα PDF (έκδοσης 1.4 ή νεότερης, έως 10 MB το καθένα). Κάθε έγγραφο υπογράφεται με τη δική του ψηφιακή υπογραφή (PAdES) και το κατεβάζετε υπογεγραμμένο· περισσότερα του ενός έρχονται σε ένα αρχείο ZIP.",
    link: "Υπογραφή εγγράφου",
    files: "Έγγραφα PDF",
    files_hint: "Έως 10 έγγραφα με μία επιβεβαίωση.",
    visible: "Ορατή υπογραφή στο έγγραφο",
    page: "Σελίδα της ορατής υπογραφής",
    page_hint: "Η υπογραφή εμφανίζεται κάτω αριστερά στη σελίδα.",
    signing_password: "Κωδικός ψηφιακής υπογραφής",
    otp: "Κωδικός μίας χρήσης",
    otp_hint_email: "Πατήστε «Αποστολή κωδικού» και πληκτρολογήστε τα 6 ψηφία του email.",
    otp_hint_totp: "Τα 6 ψηφία που δείχνει τώρα η εφαρμογή επαλήθευσης.",
    send_code: "Αποστολή κωδικού",
    code_sent: "Στείλαμε κωδικό μίας χρήσης στο email σας.",
    submit: "Υπογραφή",
    timestamped: "Κάθε υπογραφή φέρει χρονοσήμανση (PAdES B-T) από την αρχή χρονοσήμανσης",
    timestamp_failed: "Η αρχή χρονοσήμανσης δεν έδωσε χρονοσήμανση για τις υπογραφές, γι' αυτό δεν υπογράφηκε κανένα έγγραφο. Ο κωδικός μίας χρήσης χρησιμοποιήθηκε· δοκιμάστε ξανά σε λίγο με νέο κωδικό.",
};

static EN: DocumentTexts = DocumentTexts {
    title: "Sign a document",
    intro: "Choose one or more PDF documents (version 1.4 or later, up to 10 MB each). Each document gets its own digital signature (PAdES) and you download it signed; more than one come in a ZIP archive.",
    link: "Sign a document",
    files: "PDF documents",
    files_hint: "Up to 10 documents with one confirmation.",
    visible: "Visible signature on the document",
    page: "Page of the visible signature",
    page_hint: "The signature appears at the lower left of the page.",
    signing_password: "Signing password",
    otp: "One-time password",
    otp_hint_email: "Press «Send code» and type the 6 digits of the email.",
    otp_hint_totp: "The 6 digits your authenticator app shows now.",
    send_code: "Send code",
    code_sent: "We sent a one-time password to your email.",
    submit: "Sign",
    timestamped: "Each signature carries a timestamp (PAdES B-T) from the time-stamping authority",
    timestamp_failed: "The time-stamping authority gave no timestamp for the signatures, so no document was signed. The one-time password was used; try again shortly with a new one.",
};
