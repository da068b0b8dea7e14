//! QR codes of `otpauth://` URIs for the TOTP enrolment pages (the portal's and the console's).

/// The QR code of the `otpauth://` URI, as inline SVG.
pub fn qr_svg(uri: &str) -> String {
    let svg = match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .build(),
        Err(error) => {
            tracing::error!(%error, "the QR code could not be drawn");
            String::new()
        }
    };
    // The SVG goes inline into the HTML page: drop its XML declaration.
    match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    }
}
