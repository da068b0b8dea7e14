//! Checks of what a CA issues, by the tools others trust: `openssl` (chains, OCSP, CRLs) and
//! pkilint (certificates against ETSI EN 319 412, CRLs against RFC 5280, OCSP responses against
//! RFC 6960).
//!
//! Each helper returns `Ok(the tool's output)` when the tool is satisfied, and otherwise `Err`
//! with the tool's whole output, for the test to show. A tool that is not installed is an `Err`
//! that says how to install it (`scripts/test` installs them all), so the tests that need it fail
//! loudly; only `CERTDESK_SKIP_PKI_TOOLS=1` turns every helper into `Ok("skipped")`.
//!
//! `openssl` is taken from `PATH`. pkilint's linters are taken from `CERTDESK_PKILINT_BIN` when
//! it is set, else from the virtualenv `scripts/test` makes (`target/pkilint-venv/bin` of this
//! workspace) when it exists, else from `PATH`.

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `1` turns every helper of this module into `Ok("skipped")`.
pub const SKIP_VAR: &str = "CERTDESK_SKIP_PKI_TOOLS";
/// The folder of pkilint's linters (`lint_etsi_cert`, `lint_crl`, `lint_ocsp_response`).
pub const PKILINT_BIN_VAR: &str = "CERTDESK_PKILINT_BIN";
/// What the helpers return when [`SKIP_VAR`] is `1`.
pub const SKIPPED: &str = "skipped";

/// The certificate type of an ETSI EN 319 412-2 natural-person certificate that is not qualified.
pub const ETSI_NATURAL_PERSON: &str = "NCP-NATURAL-PERSON-CERTIFICATE";
/// The certificate type of an EU qualified certificate for electronic signatures of a natural
/// person whose key is in a QSCD (EN 319 412-2 and -5).
pub const ETSI_QUALIFIED_NATURAL_PERSON_QSCD: &str = "QCP-N-QSCD-EIDAS-FINAL-CERTIFICATE";

/// Whether `CERTDESK_SKIP_PKI_TOOLS=1`.
pub fn skip_requested() -> bool {
    std::env::var(SKIP_VAR).is_ok_and(|v| v.trim() == "1")
}

/// `openssl verify -x509_strict -CAfile ROOT -untrusted INTERMEDIATES LEAF`, trusting only
/// `root_pem` (not the system's store). `Ok` only when openssl prints `LEAF: OK`.
pub fn openssl_verify(
    root_pem: &str,
    intermediates_pem: &[&str],
    leaf_pem: &str,
) -> Result<String, String> {
    if skip_requested() {
        return Ok(SKIPPED.to_owned());
    }
    let dir = temp_dir()?;
    let root = write(&dir, "root.pem", root_pem.as_bytes())?;
    let leaf = write(&dir, "leaf.pem", leaf_pem.as_bytes())?;
    let mut args: Vec<&OsStr> = vec![
        "verify".as_ref(),
        "-x509_strict".as_ref(),
        "-no-CApath".as_ref(),
        "-no-CAstore".as_ref(),
        "-CAfile".as_ref(),
        root.as_os_str(),
    ];
    let untrusted;
    if !intermediates_pem.is_empty() {
        let mut all = String::new();
        for pem in intermediates_pem {
            all.push_str(pem.trim_end());
            all.push('\n');
        }
        untrusted = write(&dir, "intermediates.pem", all.as_bytes())?;
        args.push("-untrusted".as_ref());
        args.push(untrusted.as_os_str());
    }
    args.push(leaf.as_os_str());
    let out = run(&Tool::Openssl, &args)?;
    let expected = format!("{}: OK", leaf.display());
    if out.success && out.stdout.lines().any(|line| line.trim() == expected) {
        Ok(out.text())
    } else {
        Err(out.failure("openssl verify did not accept the chain"))
    }
}

/// `openssl dgst -sha256 -verify` of a DER signature over `document` with the public key of
/// `certificate_pem`: `Ok` only when openssl prints `Verified OK`.
pub fn openssl_verify_signature(
    certificate_pem: &str,
    document: &[u8],
    signature_der: &[u8],
) -> Result<String, String> {
    if skip_requested() {
        return Ok(SKIPPED.to_owned());
    }
    let dir = temp_dir()?;
    let certificate = write(&dir, "signer.pem", certificate_pem.as_bytes())?;
    let out = run(
        &Tool::Openssl,
        &[
            "x509".as_ref(),
            "-in".as_ref(),
            certificate.as_os_str(),
            "-pubkey".as_ref(),
            "-noout".as_ref(),
        ],
    )?;
    if !out.success {
        return Err(out.failure("openssl x509 could not read the certificate"));
    }
    let public = write(&dir, "public.pem", out.stdout.as_bytes())?;
    let document = write(&dir, "document", document)?;
    let signature = write(&dir, "signature.der", signature_der)?;
    let out = run(
        &Tool::Openssl,
        &[
            "dgst".as_ref(),
            "-sha256".as_ref(),
            "-verify".as_ref(),
            public.as_os_str(),
            "-signature".as_ref(),
            signature.as_os_str(),
            document.as_os_str(),
        ],
    )?;
    if out.success && out.stdout.contains("Verified OK") {
        Ok(out.text())
    } else {
        Err(out.failure("openssl dgst did not verify the signature"))
    }
}

/// pkilint's ETSI EN 319 412 linter, `lint_etsi_cert lint -t TYPE`, on a certificate (DER, or
/// PEM when it starts with `-----BEGIN`). `certificate_type` is one of pkilint's types (see
/// `lint_etsi_cert lint --help`), e.g. [`ETSI_NATURAL_PERSON`]. `Ok` when no finding is an
/// ERROR or FATAL; the warnings, notices and infos are in the `Ok` text (empty when none).
pub fn pkilint_etsi_cert(der: &[u8], certificate_type: &str) -> Result<String, String> {
    if skip_requested() {
        return Ok(SKIPPED.to_owned());
    }
    if certificate_type.trim().is_empty() || certificate_type.starts_with('-') {
        return Err(format!(
            "not a pkilint certificate type: {certificate_type:?} (see lint_etsi_cert lint --help)"
        ));
    }
    lint(
        "lint_etsi_cert",
        &["lint", "-t", certificate_type],
        "certificate",
        der,
    )
}

/// pkilint's CRL linter, `lint_crl lint -t CRL -p PKIX`: a CRL of end-entity certificates (not
/// an ARL) against RFC 5280 (the CA/B Forum's TLS profile, `BR`, is not ours). DER, or PEM.
pub fn pkilint_crl(der: &[u8]) -> Result<String, String> {
    if skip_requested() {
        return Ok(SKIPPED.to_owned());
    }
    lint("lint_crl", &["lint", "-t", "CRL", "-p", "PKIX"], "CRL", der)
}

/// pkilint's RFC 6960 linter, `lint_ocsp_response lint`, on an OCSP response (DER, or PEM).
pub fn pkilint_ocsp_response(der: &[u8]) -> Result<String, String> {
    if skip_requested() {
        return Ok(SKIPPED.to_owned());
    }
    lint("lint_ocsp_response", &["lint"], "OCSP response", der)
}

/// Asks the OCSP responder at `responder_url` for the status of `cert_pem`:
/// `openssl ocsp -issuer ISSUER -cert CERT -url URL -resp_text -CAfile CA_FILE`. `Ok` only when
/// openssl verified the response's signature (`Response verify OK`): the text holds the parsed
/// response and the line `cert.pem: good` (or `: revoked`, `: unknown`).
///
/// Mind that openssl also trusts the `-issuer` certificate itself (it retries the verification
/// with it as trusted), so a response signed by the issuer, or by a responder certificate the
/// issuer issued, verifies whatever `ca_file_pem` holds; `ca_file_pem` matters for responders
/// that chain elsewhere.
pub fn openssl_ocsp_status(
    issuer_pem: &str,
    cert_pem: &str,
    responder_url: &str,
    ca_file_pem: &str,
) -> Result<String, String> {
    if skip_requested() {
        return Ok(SKIPPED.to_owned());
    }
    let dir = temp_dir()?;
    let issuer = write(&dir, "issuer.pem", issuer_pem.as_bytes())?;
    let cert = write(&dir, "cert.pem", cert_pem.as_bytes())?;
    let ca_file = write(&dir, "ca.pem", ca_file_pem.as_bytes())?;
    let out = run(
        &Tool::Openssl,
        &[
            "ocsp".as_ref(),
            "-issuer".as_ref(),
            issuer.as_os_str(),
            "-cert".as_ref(),
            cert.as_os_str(),
            "-url".as_ref(),
            responder_url.as_ref(),
            "-timeout".as_ref(),
            "10".as_ref(),
            "-resp_text".as_ref(),
            "-no-CApath".as_ref(),
            "-no-CAstore".as_ref(),
            "-CAfile".as_ref(),
            ca_file.as_os_str(),
        ],
    )?;
    if out.success && out.stderr.lines().any(|l| l.trim() == "Response verify OK") {
        Ok(out.text())
    } else {
        Err(out.failure("openssl ocsp got no verified response"))
    }
}

/// `openssl crl -inform DER -text -noout -CAfile CA -verify`: the CRL as text, `Ok` only when
/// its signature verifies with a certificate of `ca_pem` (openssl 3 exits 0 even when it prints
/// `verify failure`, so this looks for its `verify OK`).
pub fn openssl_crl_text(der: &[u8], ca_pem: &str) -> Result<String, String> {
    if skip_requested() {
        return Ok(SKIPPED.to_owned());
    }
    let dir = temp_dir()?;
    let crl = write(&dir, "crl.der", der)?;
    let ca = write(&dir, "ca.pem", ca_pem.as_bytes())?;
    let out = run(
        &Tool::Openssl,
        &[
            "crl".as_ref(),
            "-inform".as_ref(),
            "DER".as_ref(),
            "-in".as_ref(),
            crl.as_os_str(),
            "-text".as_ref(),
            "-noout".as_ref(),
            "-no-CApath".as_ref(),
            "-no-CAstore".as_ref(),
            "-CAfile".as_ref(),
            ca.as_os_str(),
            "-verify".as_ref(),
        ],
    )?;
    let verified = out.stderr.lines().any(|l| l.trim() == "verify OK")
        && !out.stderr.contains("verify failure");
    if out.success && verified {
        Ok(out.stdout)
    } else {
        Err(out.failure("openssl crl did not verify the CRL's signature"))
    }
}

/// Runs one of pkilint's linters on `document` and judges its report.
fn lint(linter: &str, args: &[&str], what: &str, document: &[u8]) -> Result<String, String> {
    let dir = temp_dir()?;
    let (name, format) = if document.trim_ascii_start().starts_with(b"-----BEGIN") {
        ("document.pem", "PEM")
    } else {
        ("document.der", "DER")
    };
    let path = write(&dir, name, document)?;
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.extend([OsStr::new("--document-format"), OsStr::new(format)]);
    all.push(path.as_os_str());
    let out = run(&Tool::Pkilint(linter), &all)?;
    judge_lint_report(linter, what, &out)
}

/// The severities of pkilint's findings, worst first; a finding of the first two fails.
const SEVERITIES: [&str; 6] = ["FATAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"];

/// pkilint prints (by default: every finding down to INFO) its findings as
/// ```text
/// NaturalPersonKeyUsageValidator @ certificate.tbsCertificate.extensions.1.extnValue.keyUsage
///     etsi.en_319_412_2.nat-4.3.2-1.mixed_key_usage_setting (WARNING)
///     some.code (ERROR): a message
/// ```
/// and exits with the number of findings it printed (at most 255). It also exits 1, printing on
/// its standard error, when it cannot read the document, so the count of the findings read here
/// must match the exit code, or the report is not understood.
fn judge_lint_report(linter: &str, what: &str, out: &ToolOutput) -> Result<String, String> {
    let severities: Vec<&str> = out.stdout.lines().filter_map(finding_severity).collect();
    let Some(code) = out.code else {
        return Err(out.failure(&format!("{linter} was killed")));
    };
    if code != severities.len().min(255) as i32 {
        return Err(out.failure(&format!(
            "{linter} exited with {code} but printed {} findings: it could not lint the {what} \
             (or its report is not understood)",
            severities.len()
        )));
    }
    let failing = severities
        .iter()
        .filter(|s| **s == "FATAL" || **s == "ERROR")
        .count();
    if failing > 0 {
        return Err(out.failure(&format!(
            "{linter}: the {what} has {failing} finding(s) of severity ERROR or FATAL"
        )));
    }
    Ok(out.text())
}

/// The severity of a line of pkilint's text report that is a finding:
/// four spaces, a code without spaces, ` (SEVERITY)`, then nothing or `: message`.
fn finding_severity(line: &str) -> Option<&'static str> {
    let rest = line.strip_prefix("    ")?;
    let (code, rest) = rest.split_once(" (")?;
    if code.is_empty() || code.contains(char::is_whitespace) {
        return None;
    }
    let (severity, tail) = rest.split_once(')')?;
    if !(tail.is_empty() || tail.starts_with(": ")) {
        return None;
    }
    SEVERITIES.into_iter().find(|s| *s == severity)
}

enum Tool<'a> {
    Openssl,
    Pkilint(&'a str),
}

impl Tool<'_> {
    fn program(&self) -> PathBuf {
        match self {
            Tool::Openssl => PathBuf::from("openssl"),
            Tool::Pkilint(linter) => match pkilint_bin() {
                Some(dir) => dir.join(linter),
                None => PathBuf::from(linter),
            },
        }
    }

    fn how_to_install(&self) -> String {
        match self {
            Tool::Openssl => "openssl is not installed (not on PATH): install Debian's openssl \
                              (apt-get install openssl), or run scripts/test, which does"
                .to_owned(),
            Tool::Pkilint(linter) => format!(
                "pkilint's {linter} is not installed (looked in {}): run scripts/test, which \
                 installs the pinned pkilint into target/pkilint-venv, or `pip install pkilint` \
                 and set {PKILINT_BIN_VAR} to the folder of its linters",
                match pkilint_bin() {
                    Some(dir) => dir.display().to_string(),
                    None => "PATH".to_owned(),
                }
            ),
        }
    }
}

/// `CERTDESK_PKILINT_BIN`, else `target/pkilint-venv/bin` of this workspace when it exists.
fn pkilint_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(PKILINT_BIN_VAR).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pkilint-venv/bin");
    venv.join("lint_etsi_cert").exists().then_some(venv)
}

struct ToolOutput {
    command: String,
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl ToolOutput {
    /// Standard output, then standard error when there is any.
    fn text(&self) -> String {
        let mut text = self.stdout.clone();
        if !self.stderr.trim().is_empty() {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&self.stderr);
        }
        text
    }

    fn failure(&self, why: &str) -> String {
        let status = match self.code {
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_owned(),
        };
        format!(
            "{why}\n$ {}\n({status})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.stdout, self.stderr
        )
    }
}

/// Runs the tool to its end, with no standard input (openssl reads stdin when a file is missing).
fn run(tool: &Tool, args: &[&OsStr]) -> Result<ToolOutput, String> {
    run_at(&tool.program(), tool, args)
}

fn run_at(program: &Path, tool: &Tool, args: &[&OsStr]) -> Result<ToolOutput, String> {
    let command = std::iter::once(program.as_os_str())
        .chain(args.iter().copied())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => format!(
                "{}\n({SKIP_VAR}=1 skips these checks)",
                tool.how_to_install()
            ),
            _ => format!("cannot run {command}: {e}"),
        })?;
    Ok(ToolOutput {
        command,
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

fn temp_dir() -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("certdesk-pki-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary folder: {e}"))
}

fn write(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> Result<PathBuf, String> {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests;
