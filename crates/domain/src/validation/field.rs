//! The fields people type into, named once: the wire name used by forms, the API and the CSV
//! header, the label shown next to the field, and what a value of the wrong form should look like.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::Lang;

/// A field of a form, an API body or a CSV row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Afm,
    IdCard,
    Email,
    Mobile,
    Username,
    Surname,
    GivenName,
    FatherName,
    BirthDate,
    Unit,
    Position,
    Reason,
    Password,
    OrganisationCode,
    OrganisationName,
    Status,
    SigningPassword,
    PasswordConfirm,
    OtpChannel,
    Otp,
    Code1,
    Code2,
    /// The code that proves the work email (issue 10).
    EmailCode,
    Category,
    Description,
    Authority,
    NewPassword,
    NewPasswordConfirm,
    /// A digest to sign with a certificate (issue 11): base64 of a SHA-256 digest.
    Hash,
    /// The CSC API's fields (issue 11), by their names there.
    CredentialId,
    NumSignatures,
    /// Signature activation data: what `credentials/authorize` gives and `signHash` spends.
    Sad,
    HashAlgorithm,
    SignAlgorithm,
    /// v2's `signatures/signDoc`: the list of documents, one document (a base64 PDF), and what
    /// each asks: the signature's format, its conformance level, how it is enveloped.
    Documents,
    Document,
    SignatureFormat,
    ConformanceLevel,
    SignedEnvelopeProperty,
    /// «Αλλαγή κωδικού ψηφιακής υπογραφής» (issue 11): the signing password now, and the new one
    /// twice.
    CurrentSigningPassword,
    NewSigningPassword,
    NewSigningPasswordConfirm,
    /// The search's filter of open revocation requests (`true` or `false`).
    RevocationRequested,
    /// The organisation an import is for, by its code (`?org=`).
    Organisation,
}

impl Field {
    pub const ALL: [Field; 44] = [
        Field::Afm,
        Field::IdCard,
        Field::Email,
        Field::Mobile,
        Field::Username,
        Field::Surname,
        Field::GivenName,
        Field::FatherName,
        Field::BirthDate,
        Field::Unit,
        Field::Position,
        Field::Reason,
        Field::Password,
        Field::OrganisationCode,
        Field::OrganisationName,
        Field::Status,
        Field::SigningPassword,
        Field::PasswordConfirm,
        Field::OtpChannel,
        Field::Otp,
        Field::Code1,
        Field::Code2,
        Field::EmailCode,
        Field::Category,
        Field::Description,
        Field::Authority,
        Field::NewPassword,
        Field::NewPasswordConfirm,
        Field::Hash,
        Field::CredentialId,
        Field::NumSignatures,
        Field::Sad,
        Field::HashAlgorithm,
        Field::SignAlgorithm,
        Field::Documents,
        Field::Document,
        Field::SignatureFormat,
        Field::ConformanceLevel,
        Field::SignedEnvelopeProperty,
        Field::CurrentSigningPassword,
        Field::NewSigningPassword,
        Field::NewSigningPasswordConfirm,
        Field::RevocationRequested,
        Field::Organisation,
    ];

    /// The wire name, e.g. "afm": what forms, the API and CSV headers call the field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Afm => "afm",
            Field::IdCard => "id_card",
            Field::Email => "email",
            Field::Mobile => "mobile",
            Field::Username => "username",
            Field::Surname => "surname",
            Field::GivenName => "given_name",
            Field::FatherName => "father_name",
            Field::BirthDate => "birth_date",
            Field::Unit => "unit",
            Field::Position => "position",
            Field::Reason => "reason",
            Field::Password => "password",
            Field::OrganisationCode => "code",
            Field::OrganisationName => "name",
            Field::Status => "status",
            Field::SigningPassword => "signing_password",
            Field::PasswordConfirm => "password_confirm",
            Field::OtpChannel => "otp_channel",
            Field::Otp => "otp",
            Field::Code1 => "code1",
            Field::Code2 => "code2",
            Field::EmailCode => "email_code",
            Field::Category => "category",
            Field::Description => "description",
            Field::Authority => "authority",
            Field::NewPassword => "new_password",
            Field::NewPasswordConfirm => "new_password_confirm",
            Field::Hash => "hash",
            Field::CredentialId => "credentialID",
            Field::NumSignatures => "numSignatures",
            Field::Sad => "SAD",
            Field::HashAlgorithm => "hashAlgo",
            Field::SignAlgorithm => "signAlgo",
            Field::Documents => "documents",
            Field::Document => "document",
            Field::SignatureFormat => "signature_format",
            Field::ConformanceLevel => "conformance_level",
            Field::SignedEnvelopeProperty => "signed_envelope_property",
            Field::CurrentSigningPassword => "current_signing_password",
            Field::NewSigningPassword => "new_signing_password",
            Field::NewSigningPasswordConfirm => "new_signing_password_confirm",
            Field::RevocationRequested => "revocation_requested",
            Field::Organisation => "org",
        }
    }

    /// The field of a wire name.
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The label of the field in forms and messages.
    pub fn label(self, lang: Lang) -> &'static str {
        let (el, en) = match self {
            Field::Afm => ("ΑΦΜ", "Tax number (AFM)"),
            Field::IdCard => ("ΑΔΤ", "ID card number (ADT)"),
            Field::Email => ("Email", "Email"),
            Field::Mobile => ("Κινητό τηλέφωνο", "Mobile phone"),
            Field::Username => ("Όνομα χρήστη", "Username"),
            Field::Surname => ("Επώνυμο", "Surname"),
            Field::GivenName => ("Όνομα", "First name"),
            Field::FatherName => ("Όνομα Πατρός", "Father's name"),
            Field::BirthDate => ("Ημερομηνία γέννησης", "Date of birth"),
            Field::Unit => ("Οργανική μονάδα", "Organisational unit"),
            Field::Position => ("Θέση", "Position"),
            Field::Reason => ("Αιτιολογία", "Reason"),
            Field::Password => ("Κωδικός", "Password"),
            Field::OrganisationCode => ("Κωδικός φορέα", "Organisation code"),
            Field::OrganisationName => ("Επωνυμία", "Organisation name"),
            Field::Status => ("Κατάσταση", "Status"),
            Field::SigningPassword => ("Κωδικός υπογραφής", "Signing password"),
            Field::PasswordConfirm => ("Επιβεβαίωση κωδικού υπογραφής", "Signing password (again)"),
            Field::OtpChannel => (
                "Τρόπος λήψης κωδικού μίας χρήσης",
                "One-time password channel",
            ),
            Field::Otp => ("Κωδικός μίας χρήσης", "One-time password"),
            Field::Code1 => ("Πρώτος κωδικός της εφαρμογής", "First code of the app"),
            Field::Code2 => ("Δεύτερος κωδικός της εφαρμογής", "Second code of the app"),
            Field::EmailCode => ("Κωδικός επιβεβαίωσης email", "Email confirmation code"),
            Field::Category => ("Κατηγορία ανάκλησης", "Revocation category"),
            Field::Description => ("Περιγραφή", "Description"),
            Field::Authority => ("Αρχή πιστοποίησης", "Certificate authority"),
            Field::NewPassword => ("Νέος κωδικός", "New password"),
            Field::NewPasswordConfirm => ("Επανάληψη νέου κωδικού", "New password (again)"),
            Field::Hash => ("Σύνοψη προς υπογραφή", "Hash to sign"),
            Field::CredentialId => ("Κωδικός πιστοποιητικού υπογραφής", "Signing credential"),
            Field::NumSignatures => ("Πλήθος υπογραφών", "Number of signatures"),
            Field::Sad => (
                "Δεδομένα ενεργοποίησης υπογραφής (SAD)",
                "Signature activation data (SAD)",
            ),
            Field::HashAlgorithm => ("Αλγόριθμος σύνοψης", "Hash algorithm"),
            Field::SignAlgorithm => ("Αλγόριθμος υπογραφής", "Signature algorithm"),
            Field::Documents => ("Έγγραφα προς υπογραφή", "Documents to sign"),
            Field::Document => ("Έγγραφο PDF", "PDF document"),
            Field::SignatureFormat => ("Μορφή υπογραφής", "Signature format"),
            Field::ConformanceLevel => ("Επίπεδο συμμόρφωσης", "Conformance level"),
            Field::SignedEnvelopeProperty => ("Είδος υπογραφής PDF", "Kind of PDF signature"),
            Field::CurrentSigningPassword => {
                ("Τρέχων κωδικός υπογραφής", "Current signing password")
            }
            Field::NewSigningPassword => ("Νέος κωδικός υπογραφής", "New signing password"),
            Field::NewSigningPasswordConfirm => (
                "Επανάληψη νέου κωδικού υπογραφής",
                "New signing password (again)",
            ),
            Field::RevocationRequested => {
                ("Μόνο με αίτημα ανάκλησης", "Only with a revocation request")
            }
            Field::Organisation => ("Φορέας", "Organisation"),
        };
        lang.pick(el, en)
    }

    /// What a value of the wrong form should look like. Exhaustive on purpose: a new field has
    /// to choose between its own sentence and the generic one.
    pub(crate) fn format_expectation(self, lang: Lang) -> &'static str {
        match self {
            Field::Afm => lang.pick(
                "πρέπει να αποτελείται από 9 ψηφία",
                "must consist of 9 digits",
            ),
            Field::IdCard => lang.pick(
                "πρέπει να αποτελείται από ένα ή δύο γράμματα και έξι ψηφία, π.χ. ΑΒ123456",
                "must be one or two letters followed by six digits, e.g. AB123456",
            ),
            Field::Email => lang.pick(
                "δεν είναι έγκυρη διεύθυνση email, π.χ. onoma@example.gr",
                "is not a valid email address, e.g. name@example.gr",
            ),
            Field::Mobile => lang.pick(
                "πρέπει να είναι αριθμός κινητού σε μορφή E.164, π.χ. +306912345678 \
                 (οι ελληνικοί αριθμοί πρέπει να είναι κινητά, +3069…)",
                "must be a mobile number in E.164 format, e.g. +306912345678 \
                 (Greek numbers must be mobiles, +3069…)",
            ),
            Field::Username => lang.pick(
                "επιτρέπονται μόνο λατινικά γράμματα, ψηφία, «.» και «-»· πρέπει να αρχίζει από \
                 γράμμα και να τελειώνει σε γράμμα ή ψηφίο",
                "only Latin letters, digits, '.' and '-' are allowed; it must start with a letter \
                 and end with a letter or digit",
            ),
            Field::Surname
            | Field::GivenName
            | Field::FatherName
            | Field::OrganisationName
            | Field::Unit
            | Field::Position => lang.pick(
                "περιέχει μη επιτρεπτούς χαρακτήρες ελέγχου",
                "contains control characters, which are not allowed",
            ),
            Field::BirthDate => lang.pick(
                "πρέπει να είναι ημερομηνία σε μορφή ΕΕΕΕ-ΜΜ-ΗΗ ή ΗΗ/ΜΜ/ΕΕΕΕ",
                "must be a date as YYYY-MM-DD or DD/MM/YYYY",
            ),
            Field::Status => lang.pick(
                "πρέπει να είναι ένας από τους κωδικούς καταστάσεων (π.χ. awaiting_approval) ή none",
                "must be one of the status codes (e.g. awaiting_approval) or none",
            ),
            Field::Otp | Field::Code1 | Field::Code2 | Field::EmailCode => lang.pick(
                "πρέπει να αποτελείται από 6 ψηφία",
                "must consist of 6 digits",
            ),
            Field::Category => lang.pick(
                "πρέπει να είναι «Μετά από αίτημα υπαλλήλου» (employee_request) ή «Μετά από απόφαση \
                 του φορέα/ δικαστικής αρχής/ εποπτικής αρχής» (authority_decision)",
                "must be employee_request or authority_decision",
            ),
            Field::OtpChannel => lang.pick(
                "επιλέξτε εφαρμογή επαλήθευσης ή email",
                "choose an authenticator app or email",
            ),
            Field::Hash => lang.pick(
                "πρέπει να είναι σύνοψη SHA-256 (32 bytes) σε base64",
                "must be a SHA-256 digest (32 bytes) in base64",
            ),
            Field::CredentialId => lang.pick(
                "πρέπει να είναι ο κωδικός που δίνει το credentials/list",
                "must be the identifier credentials/list gives",
            ),
            Field::NumSignatures => lang.pick(
                "πρέπει να είναι ακέραιος από 1 έως 100, όσες και οι συνόψεις προς υπογραφή· χωρίς \
                 συνόψεις (για το signDoc), από 1 έως 10, όσα το πολύ τα έγγραφα",
                "must be a whole number from 1 to 100, as many as the hashes to sign; without \
                 hashes (for signDoc), from 1 to 10, the most documents to sign",
            ),
            Field::Sad => lang.pick(
                "πρέπει να είναι τα δεδομένα που έδωσε το credentials/authorize",
                "must be what credentials/authorize gave",
            ),
            Field::HashAlgorithm => lang.pick(
                "πρέπει να είναι SHA-256 (2.16.840.1.101.3.4.2.1)",
                "must be SHA-256 (2.16.840.1.101.3.4.2.1)",
            ),
            Field::SignAlgorithm => lang.pick(
                "πρέπει να είναι ecdsa-with-SHA256 (1.2.840.10045.4.3.2) ή το κλειδί EC \
                 (1.2.840.10045.2.1) με SHA-256",
                "must be ecdsa-with-SHA256 (1.2.840.10045.4.3.2), or the EC key \
                 (1.2.840.10045.2.1) with SHA-256",
            ),
            Field::RevocationRequested => {
                lang.pick("πρέπει να είναι true ή false", "must be true or false")
            }
            Field::Organisation => lang.pick(
                "πρέπει να είναι ο κωδικός ενός από τους φορείς σας",
                "must be the code of one of your organisations",
            ),
            Field::Documents => lang.pick(
                "πρέπει να είναι λίστα εγγράφων [{\"document\": …}]",
                "must be a list of documents [{\"document\": …}]",
            ),
            Field::Document => lang.pick(
                "πρέπει να είναι έγγραφο PDF σε base64",
                "must be a PDF document in base64",
            ),
            Field::SignatureFormat => lang.pick(
                "υποστηρίζεται μόνο η τιμή P (PAdES)",
                "only P (PAdES) is supported",
            ),
            Field::ConformanceLevel => lang.pick(
                "υποστηρίζεται μόνο η τιμή AdES-B-B (τα AdES-B-T και AdES-B-LT όχι ακόμη)",
                "only AdES-B-B is supported (not AdES-B-T or AdES-B-LT yet)",
            ),
            Field::SignedEnvelopeProperty => lang.pick(
                "υποστηρίζεται μόνο η τιμή Approval (υπογραφή έγκρισης, όχι πιστοποίησης)",
                "only Approval is supported (an approval signature, not a certification)",
            ),
            Field::Reason
            | Field::Password
            | Field::OrganisationCode
            | Field::SigningPassword
            | Field::PasswordConfirm
            | Field::Description
            | Field::Authority
            | Field::NewPassword
            | Field::NewPasswordConfirm
            | Field::CurrentSigningPassword
            | Field::NewSigningPassword
            | Field::NewSigningPasswordConfirm => lang.pick("η μορφή δεν είναι έγκυρη", "the format is not valid"),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Serialized as its wire name, so an API error names the field as the request did.
impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let names: HashSet<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Field::ALL.len());
        for field in Field::ALL {
            assert_eq!(Field::parse(field.name()), Some(field));
            assert_eq!(field.to_string(), field.name());
        }
        assert_eq!(Field::parse("nope"), None);
        assert_eq!(Field::parse("AFM"), None, "names are exact");
    }

    #[test]
    fn the_wire_names_are_the_stable_ones() {
        assert_eq!(Field::OrganisationCode.name(), "code");
        assert_eq!(Field::OrganisationName.name(), "name");
        assert_eq!(Field::PasswordConfirm.name(), "password_confirm");
        assert_eq!(Field::Authority.name(), "authority");
    }

    #[test]
    fn every_field_has_a_label_in_each_language_and_no_two_share_one() {
        for lang in [Lang::El, Lang::En] {
            let labels: HashSet<&str> = Field::ALL.iter().map(|f| f.label(lang)).collect();
            assert_eq!(labels.len(), Field::ALL.len(), "{lang:?}");
            assert!(!labels.contains(""), "{lang:?}");
        }
        assert_eq!(Field::Afm.label(Lang::El), "ΑΦΜ");
        assert_eq!(Field::OrganisationCode.label(Lang::El), "Κωδικός φορέα");
        assert_eq!(Field::OrganisationName.label(Lang::El), "Επωνυμία");
        assert_eq!(Field::BirthDate.label(Lang::En), "Date of birth");
        assert_eq!(Field::Authority.label(Lang::El), "Αρχή πιστοποίησης");
        assert_eq!(Field::Authority.label(Lang::En), "Certificate authority");
    }

    #[test]
    fn every_field_says_what_its_form_should_be() {
        for field in Field::ALL {
            for lang in [Lang::El, Lang::En] {
                assert!(!field.format_expectation(lang).is_empty(), "{field}");
            }
        }
        assert_eq!(
            Field::Description.format_expectation(Lang::En),
            "the format is not valid"
        );
    }

    #[test]
    fn serializes_as_its_name() {
        assert_eq!(
            serde_json::to_string(&Field::GivenName).unwrap(),
            "\"given_name\""
        );
    }
}
