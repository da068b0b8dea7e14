//! The login page of the local registry: the form, and the people one may log in as.

use certdesk_domain::notification::escape_html;

use super::Inner;

pub(super) fn page(body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"el\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Τοπικό μητρώο — σύνδεση</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}}\
         label{{display:block;margin:.5rem 0}}input{{font-size:1rem;padding:.3rem;width:100%;box-sizing:border-box}}\
         button{{font-size:1rem;padding:.4rem 1rem;margin:.5rem 0}}.error{{color:#a00}}\
         table{{border-collapse:collapse;width:100%;font-size:.9rem}}td,th{{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #ddd}}\
         </style></head><body>\n<h1>Τοπικό μητρώο (προσομοίωση)</h1>\n{body}\n</body></html>\n"
    )
}

/// What the login page's form carries over to its POST.
pub(super) struct LoginRequest<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub code_challenge: &'a str,
}

pub(super) fn login_page(inner: &Inner, request: &LoginRequest<'_>, error: Option<&str>) -> String {
    let mut body = String::new();
    body.push_str(
        "<p>Σύνδεση με τους κωδικούς του μητρώου. Αυτό είναι το τοπικό μητρώο του certdesk: \
         δέχεται οποιονδήποτε κωδικό για κάθε πρόσωπο του καταλόγου.</p>\n",
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape_html(error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"authorize\">\n\
         <input type=\"hidden\" name=\"client_id\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"redirect_uri\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"state\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"code_challenge\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"code_challenge_method\" value=\"S256\">\n\
         <label>ΑΦΜ <input name=\"afm\" inputmode=\"numeric\" autocomplete=\"username\" required></label>\n\
         <label>Κωδικός <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n\
         <button type=\"submit\">Σύνδεση</button>\n</form>\n",
        escape_html(request.client_id),
        escape_html(request.redirect_uri),
        escape_html(request.state),
        escape_html(request.code_challenge),
    ));
    body.push_str(
        "<h2>Πρόσωπα του καταλόγου</h2>\n<table><thead><tr><th>ΑΦΜ</th><th>Επώνυμο</th>\
         <th>Όνομα</th></tr></thead><tbody>\n",
    );
    for entry in &inner.people.entries {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape_html(entry.tax.afm.as_str()),
            escape_html(entry.tax.surname.as_str()),
            escape_html(entry.tax.given_name.as_str()),
        ));
    }
    body.push_str("</tbody></table>");
    page(&body)
}
