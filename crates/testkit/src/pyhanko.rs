//! pyHanko (PyPI `pyhanko`, `pyhanko-certvalidator`), a PDF signing and validation library that
//! nobody on the team wrote, run as an outside client of certdesk's signing APIs: a test hands
//! a Python script of its own to [`run_script`].
//!
//! The interpreter is `CERTDESK_PYHANKO_PYTHON` when it is set, else the virtualenv that
//! `scripts/test` makes (`target/pyhanko-venv/bin/python` of this workspace) when it exists,
//! else `python3` from `PATH`. A missing interpreter, or one without pyHanko, fails the test
//! loudly, saying how to install it.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Python interpreter that has pyHanko.
pub const PYTHON_VAR: &str = "CERTDESK_PYHANKO_PYTHON";

/// The interpreter [`run_script`] runs.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os(PYTHON_VAR).filter(|v| !v.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyhanko-venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Runs `script` with `args` and returns its standard output when it exits 0; otherwise `Err`
/// with the command, its exit code and everything it printed.
pub fn run_script(script: &Path, args: &[&str]) -> Result<String, String> {
    let python = python();
    let command = std::iter::once(python.display().to_string())
        .chain(std::iter::once(script.display().to_string()))
        .chain(args.iter().map(|a| (*a).to_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new(&python)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => format!(
                "{} is not there: run scripts/test, which installs pyHanko into \
                 target/pyhanko-venv, or set {PYTHON_VAR} to a Python that has pyhanko and \
                 pyhanko-certvalidator",
                python.display()
            ),
            _ => format!("cannot run {command}: {e}"),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    Err(format!(
        "$ {command}\n({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        match output.status.code() {
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_owned(),
        },
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// The script of [`validate_pdf`].
const VALIDATE_SCRIPT: &str = include_str!("pyhanko_validate.py");

/// How [`validate_pdf`] checks revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// Not fetched (soft-fail): intact and trusted only.
    Offline,
    /// Fetched from the certificate's OCSP/CRL URLs, hard-fail.
    Online,
    /// Only from the PDF's Document Security Store, required (a B-LT signature).
    Embedded,
}

/// What pyHanko says of each signature of `pdf`, validated as a relying party would against
/// `root_pem`: `{"signatures":[{"field","intact","valid","trusted","revoked","coverage",
/// "bottom_line","signer","summary","sub_filter","timestamp"}]}` (`timestamp`: null without a
/// signature timestamp). `Ok(None)` when `CERTDESK_SKIP_PKI_TOOLS=1`.
pub fn validate_pdf(
    pdf: &[u8],
    root_pem: &str,
    revocation: Revocation,
) -> Result<Option<String>, String> {
    validate_timestamped_pdf(pdf, root_pem, revocation, None)
}

/// As [`validate_pdf`], the signature timestamps trusted against `tsa_root_pem` when given:
/// each signature's `timestamp` is then `{"intact","valid","trusted","time","tsa"}`.
pub fn validate_timestamped_pdf(
    pdf: &[u8],
    root_pem: &str,
    revocation: Revocation,
    tsa_root_pem: Option<&str>,
) -> Result<Option<String>, String> {
    if crate::pki::skip_requested() {
        return Ok(None);
    }
    let dir = tempfile::Builder::new()
        .prefix("certdesk-pyhanko-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let (script, document, root, tsa_root) = (
        dir.path().join("validate.py"),
        dir.path().join("signed.pdf"),
        dir.path().join("root.pem"),
        dir.path().join("tsa-root.pem"),
    );
    for (path, contents) in [
        (&script, VALIDATE_SCRIPT.as_bytes()),
        (&document, pdf),
        (&root, root_pem.as_bytes()),
        (&tsa_root, tsa_root_pem.unwrap_or_default().as_bytes()),
    ] {
        std::fs::write(path, contents).map_err(|e| e.to_string())?;
    }
    let mode = match revocation {
        Revocation::Offline => "offline",
        Revocation::Online => "online",
        Revocation::Embedded => "ltv",
    };
    let path = |p: &Path| p.display().to_string();
    let mut args = vec![path(&document), path(&root), mode.to_owned()];
    if tsa_root_pem.is_some() {
        args.push(path(&tsa_root));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_script(&script, &args).map(Some)
}
