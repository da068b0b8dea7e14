//! The CSC API's own words (the domain's messages name the fields; these say the rest).

use certdesk_domain::Lang;

pub struct CscTexts {
    /// `info`'s description of the service.
    pub service: &'static str,
    /// `credentials/info`'s description of the credential.
    pub credential: &'static str,
    pub invalid_token: &'static str,
    pub basic_required: &'static str,
    pub otp_offline: &'static str,
    pub unknown_method: &'static str,
    pub method_not_allowed: &'static str,
}

pub fn csc_texts(lang: Lang) -> &'static CscTexts {
    match lang {
        Lang::El => &EL,
        Lang::En => &EN,
    }
}

/// «Παράμετρος p: …», the description of an error at parameter `parameter`.
pub fn at_parameter(parameter: &str, message: &str, lang: Lang) -> String {
    match lang {
        Lang::El => format!("Παράμετρος {parameter}: {message}"),
        Lang::En => format!("Parameter {parameter}: {message}"),
    }
}

/// A parameter whose value certdesk does not serve (e.g. v2's asynchronous `operationMode`).
pub fn unsupported(parameter: &str, expected: &str, lang: Lang) -> String {
    match lang {
        Lang::El => format!("Παράμετρος {parameter}: υποστηρίζεται μόνο η τιμή {expected}."),
        Lang::En => format!("Parameter {parameter}: only {expected} is supported."),
    }
}

static EL: CscTexts = CscTexts {
    service: "Απομακρυσμένη ψηφιακή υπογραφή με τα πιστοποιητικά των υπαλλήλων του δημοσίου.",
    credential: "Πιστοποιητικό ψηφιακής υπογραφής",
    invalid_token: "Το διακριτικό πρόσβασης (Authorization: Bearer …) λείπει, έληξε ή ανακλήθηκε: \
                    συνδεθείτε ξανά με το auth/login.",
    basic_required: "Στείλτε το όνομα χρήστη και τον κωδικό ψηφιακής υπογραφής με HTTP Basic \
                     (Authorization: Basic …).",
    otp_offline: "Ο κωδικός μίας χρήσης αυτού του πιστοποιητικού δίνεται από την εφαρμογή \
                  επαλήθευσης και δεν στέλνεται (OTP offline).",
    unknown_method: "Δεν υπάρχει τέτοια μέθοδος του CSC API.",
    method_not_allowed: "Η μέθοδος καλείται με POST.",
};

static EN: CscTexts = CscTexts {
    service: "Remote digital signatures with the certificates of public-sector employees.",
    credential: "Digital signature certificate",
    invalid_token: "The access token (Authorization: Bearer …) is missing, expired or revoked: \
                    log in again with auth/login.",
    basic_required: "Send the username and the signing password with HTTP Basic \
                     (Authorization: Basic …).",
    otp_offline: "This credential's one-time code comes from the authenticator app and is not \
                  sent (OTP offline).",
    unknown_method: "There is no such method of the CSC API.",
    method_not_allowed: "The method is called with POST.",
};
