//! Validation of signed PDFs by pyHanko (PyPI), the way a relying party checks them. The
//! interpreter is `CERTDESK_PYHANKO_PYTHON` when set, else the virtualenv `scripts/test` makes
//! (`target/pyhanko-venv/bin/python` of this workspace). A missing pyHanko fails loudly;
//! `CERTDESK_SKIP_PKI_TOOLS=1` skips (`Ok(None)`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The interpreter with pyHanko installed.
pub const PYTHON_VAR: &str = "CERTDESK_PYHANKO_PYTHON";

const SCRIPT: &str = include_str!("pyhanko_validate.py");

/// How revocation is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// Not fetched (soft-fail): intact and trusted only.
    Offline,
    /// Fetched from the certificate's OCSP/CRL URLs, hard-fail.
    Online,
    /// Only from the PDF's Document Security Store, required (a B-LT signature).
    Embedded,
}

fn python() -> PathBuf {
    if let Some(path) = std::env::var_os(PYTHON_VAR).filter(|v| !v.is_empty()) {
        return PathBuf::from(path);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyhanko-venv/bin/python")
}

/// The result pyHanko gives for each signature of `pdf`: `{"signatures":[{"intact","valid",
/// "trusted","revoked","coverage","bottom_line","signer","summary","sub_filter"}]}`.
pub fn validate_pdf(
    pdf: &[u8],
    root_pem: &str,
    revocation: Revocation,
) -> Result<Option<String>, String> {
    if crate::pki::skip_requested() {
        return Ok(None);
    }
    let dir = tempfile::Builder::new()
        .prefix("certdesk-pyhanko-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let (script, document, root) = (
        dir.path().join("validate.py"),
        dir.path().join("signed.pdf"),
        dir.path().join("root.pem"),
    );
    for (path, contents) in [
        (&script, SCRIPT.as_bytes()),
        (&document, pdf),
        (&root, root_pem.as_bytes()),
    ] {
        std::fs::write(path, contents).map_err(|e| e.to_string())?;
    }
    let mode = match revocation {
        Revocation::Offline => "offline",
        Revocation::Online => "online",
        Revocation::Embedded => "ltv",
    };
    let interpreter = python();
    let output = Command::new(&interpreter)
        .arg(&script)
        .arg(&document)
        .arg(&root)
        .arg(mode)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "cannot run {} ({e}): scripts/test installs pyHanko into target/pyhanko-venv, \
                 or set {PYTHON_VAR} to a Python with pyhanko installed",
                interpreter.display()
            )
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "pyHanko failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(Some(stdout))
}
