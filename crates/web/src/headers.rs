//! The headers every answer carries unless its handler set them itself.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::WebConfig;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// A year, and the subdomains: what HSTS preload lists ask for.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Adds the security headers to every answer of `router`.
///
/// Caching: an answer is `no-store` unless its handler chose its caching itself. The only ones
/// that do are the public, identical-for-everyone publications: the static assets (CSS, JS,
/// fonts; `console::asset`) and the PKI's (CRL and OCSP `no-cache`, the CA certificates and the
/// disclosure statement `public`; `pki::answer`). Everything else is no-store by default, so a
/// new page cannot forget it: pages after login, API answers, the TOTP secret and its QR code,
/// certificate downloads, which must not stay in a shared computer's or a proxy's cache.
///
/// Under TLS (`secure_cookies`), HSTS too: browsers then refuse plain HTTP to this host, so the
/// `Secure` cookies are never offered to a downgraded connection.
pub fn security_headers<S>(router: Router<S>, config: &WebConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let router = router
        .layer(if_not_present(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(if_not_present(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(if_not_present(header::REFERRER_POLICY, "same-origin"))
        .layer(if_not_present(header::X_FRAME_OPTIONS, "DENY"))
        .layer(if_not_present(header::CACHE_CONTROL, "no-store"));
    if config.secure_cookies {
        router.layer(if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            STRICT_TRANSPORT_SECURITY,
        ))
    } else {
        router
    }
}

fn if_not_present(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
