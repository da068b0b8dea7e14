//! The helpers against material that the `openssl` CLI makes: a P-256 root, an intermediate that
//! issues the end-entity certificates, a CRL and OCSP responses of that intermediate.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const CONFIG: &str = r#"
[ca]
default_ca = ca_default
[ca_default]
database = index.txt
new_certs_dir = .
serial = serial
crlnumber = crlnumber
default_md = sha256
default_days = 2
default_crl_days = 1
policy = policy_any
[policy_any]
commonName = supplied
[root_ext]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[intermediate_ext]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
[natural_person_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
certificatePolicies = 0.4.0.194112.1.0,1.3.6.1.4.1.99999.1.1
authorityInfoAccess = caIssuers;URI:http://ca.example.gr/ca.cer,OCSP;URI:http://ocsp.example.gr
crlDistributionPoints = URI:http://crl.example.gr/ca.crl
subjectAltName = email:g.papadopoulos@example.gr
[crl_ext]
authorityKeyIdentifier = keyid
"#;

const ROOT_SUBJECT: &str =
    "/C=GR/O=Example Authority/organizationIdentifier=VATGR-123456789/CN=Example Root CA";
const INTERMEDIATE_SUBJECT: &str =
    "/C=GR/O=Example Authority/organizationIdentifier=VATGR-123456789/CN=Example Issuing CA";

/// A small PKI in a temporary folder, made by the `openssl` CLI.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// The root, the intermediate, and issued by the intermediate: `leaf` (revoked), `good`,
    /// `natural_person` (close to an ETSI natural-person certificate), and `forged` (names like
    /// `leaf`'s, signed by another key that calls itself the intermediate).
    fn new() -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().expect("a temporary folder"),
        };
        std::fs::write(pki.path("ca.cnf"), CONFIG).unwrap();
        std::fs::write(pki.path("index.txt"), "").unwrap();
        std::fs::write(pki.path("crlnumber"), "01\n").unwrap();
        std::fs::write(pki.path("serial"), "01\n").unwrap();
        pki.self_signed("root", ROOT_SUBJECT);
        let intermediate = INTERMEDIATE_SUBJECT;
        pki.issue("intermediate", intermediate, "root", "intermediate_ext");
        pki.issue("leaf", "/CN=Leaf", "intermediate", "leaf_ext");
        pki.issue("good", "/CN=Good", "intermediate", "leaf_ext");
        let person = "/C=GR/GN=Georgios/SN=Papadopoulos/CN=Georgios Papadopoulos\
                      /serialNumber=TINGR-123456789";
        pki.issue(
            "natural_person",
            person,
            "intermediate",
            "natural_person_ext",
        );
        // Another key under the intermediate's name, with a self-signed certificate of its own.
        pki.self_signed("impostor", intermediate);
        pki.issue("forged", "/CN=Leaf", "impostor", "leaf_ext");
        // The intermediate's database: good is valid, leaf is revoked; then its CRL.
        let ca = "ca -config ca.cnf -cert intermediate.pem -keyfile intermediate.key";
        pki.openssl(&format!("{ca} -valid good.pem"), &[]);
        pki.openssl(
            &format!("{ca} -revoke leaf.pem -crl_reason keyCompromise"),
            &[],
        );
        pki.openssl(&format!("{ca} -gencrl -crlexts crl_ext -out crl.pem"), &[]);
        pki.openssl("crl -in crl.pem -outform DER -out crl.der", &[]);
        pki
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn pem(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{name}.pem"))).unwrap()
    }

    fn der(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(&format!("{name}.der"))).unwrap()
    }

    /// A new P-256 key `name.key`.
    fn key(&self, name: &str) {
        let out = format!("{name}.key");
        self.openssl(
            "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out",
            &[&out],
        );
    }

    /// A new key `name.key` and a self-signed CA certificate `name.pem` of it.
    fn self_signed(&self, name: &str, subject: &str) {
        self.key(name);
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        self.openssl(
            "req -x509 -new -days 2 -config ca.cnf -extensions root_ext -subj",
            &[subject, "-key", &key, "-out", &pem],
        );
    }

    /// A new key `name.key` and its certificate `name.pem` (and `name.der`), issued by `issuer`.
    fn issue(&self, name: &str, subject: &str, issuer: &str, extensions: &str) {
        self.key(name);
        let [key, csr, pem, der] = ["key", "csr", "pem", "der"].map(|ext| format!("{name}.{ext}"));
        let (issuer_pem, issuer_key) = (format!("{issuer}.pem"), format!("{issuer}.key"));
        self.openssl("req -new -subj", &[subject, "-key", &key, "-out", &csr]);
        self.openssl(
            "x509 -req -days 2 -extfile ca.cnf -extensions",
            &[
                extensions,
                "-in",
                &csr,
                "-CA",
                &issuer_pem,
                "-CAkey",
                &issuer_key,
                "-out",
                &pem,
            ],
        );
        self.openssl("x509 -outform DER -in", &[&pem, "-out", &der]);
    }

    /// Runs `openssl WORDS… ARGS…` in the folder (the words split at spaces, the args as they
    /// are), or panics with its output.
    fn openssl(&self, words: &str, args: &[&str]) -> String {
        let all: Vec<&str> = words
            .split_whitespace()
            .chain(args.iter().copied())
            .collect();
        let out = Command::new("openssl")
            .args(&all)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{} ({e})", Tool::Openssl.how_to_install()));
        assert!(
            out.status.success(),
            "openssl {}\n{}{}",
            all.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The intermediate's OCSP response to the DER request `request`.
    fn ocsp_response(&self, request: &[u8], name: &str) -> Vec<u8> {
        let (req, resp) = (format!("{name}.req"), format!("{name}.resp"));
        std::fs::write(self.path(&req), request).unwrap();
        self.openssl(
            "ocsp -index index.txt -CA intermediate.pem -rsigner intermediate.pem \
             -rkey intermediate.key -ndays 1 -reqin",
            &[&req, "-respout", &resp],
        );
        std::fs::read(self.path(&resp)).unwrap()
    }
}

/// Tests that run the tools say so and stop when they are skipped on purpose.
fn skipped() -> bool {
    if skip_requested() {
        eprintln!("{SKIP_VAR}=1: this test of the PKI tools is skipped");
    }
    skip_requested()
}

/// `Err` with the message, or a panic that shows the `Ok` text.
fn expect_err(result: Result<String, String>, what: &str) -> String {
    match result {
        Ok(text) => panic!("{what} passed, and should not have:\n{text}"),
        // A tool that is missing is not the failure the test looks for.
        Err(e) if e.contains("is not installed") => panic!("{e}"),
        Err(e) => e,
    }
}

fn expect_ok(result: Result<String, String>, what: &str) -> String {
    result.unwrap_or_else(|e| panic!("{what} failed:\n{e}"))
}

#[test]
fn openssl_verify_accepts_the_chain_and_rejects_a_leaf_of_another_key() {
    if skipped() {
        return;
    }
    let pki = Pki::new();
    let (root, intermediate) = (pki.pem("root"), pki.pem("intermediate"));
    let ok = expect_ok(
        openssl_verify(&root, &[&intermediate], &pki.pem("leaf")),
        "the chain root > intermediate > leaf",
    );
    assert!(ok.contains(": OK"), "{ok}");
    expect_ok(
        openssl_verify(&root, &[], &intermediate),
        "root > intermediate",
    );

    let forged = expect_err(
        openssl_verify(&root, &[&intermediate], &pki.pem("forged")),
        "a leaf signed by another key",
    );
    assert!(forged.contains("verification failed"), "{forged}");
    let no_intermediate = expect_err(
        openssl_verify(&root, &[], &pki.pem("leaf")),
        "a leaf without its intermediate",
    );
    assert!(
        no_intermediate.contains("unable to get local issuer certificate"),
        "{no_intermediate}"
    );
}

#[test]
fn openssl_crl_text_reads_the_crl_only_when_its_signature_verifies() {
    if skipped() {
        return;
    }
    let pki = Pki::new();
    let crl = pki.der("crl");
    let text = expect_ok(openssl_crl_text(&crl, &pki.pem("intermediate")), "the CRL");
    let serial = pki.openssl("x509 -in leaf.pem -noout -serial", &[]);
    let serial = serial.trim().trim_start_matches("serial=");
    assert!(text.contains("Revoked Certificates:"), "{text}");
    assert!(
        text.contains(serial),
        "the revoked serial {serial} is not in\n{text}"
    );
    assert!(text.contains("Key Compromise"), "{text}");

    // Same issuer name, another key: openssl prints `verify failure`, and exits 0.
    let impostor = expect_err(
        openssl_crl_text(&crl, &pki.pem("impostor")),
        "the CRL verified with another key",
    );
    assert!(impostor.contains("verify failure"), "{impostor}");
    // No certificate of the CRL's issuer at all.
    expect_err(
        openssl_crl_text(&crl, &pki.pem("root")),
        "the CRL verified with the root",
    );
}

#[test]
fn openssl_ocsp_status_reads_good_and_revoked_from_a_responder() {
    if skipped() {
        return;
    }
    let pki = Pki::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port on the loopback");
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::scope(|scope| {
        let responder = scope.spawn(|| {
            // Two requests, answered by `openssl ocsp` as a responder over HTTP/1.0.
            for n in 0..2 {
                let stream = accept_within(&listener, Duration::from_secs(20));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut request = vec![0; length];
                reader.read_exact(&mut request).unwrap();
                let response = pki.ocsp_response(&request, &format!("http{n}"));
                // In one write: openssl's HTTP client misreads a head that comes in pieces.
                let mut reply = format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n\
                     Content-Length: {}\r\n\r\n",
                    response.len()
                )
                .into_bytes();
                reply.extend_from_slice(&response);
                let mut stream = stream;
                stream.write_all(&reply).unwrap();
            }
        });
        let (root, intermediate) = (pki.pem("root"), pki.pem("intermediate"));
        let chain = format!("{root}{intermediate}");
        let good = openssl_ocsp_status(&intermediate, &pki.pem("good"), &url, &chain);
        let revoked = openssl_ocsp_status(&intermediate, &pki.pem("leaf"), &url, &chain);
        responder.join().expect("the responder");
        let good = expect_ok(good, "the status of good");
        assert!(good.contains("cert.pem: good"), "{good}");
        let revoked = expect_ok(revoked, "the status of leaf");
        assert!(revoked.contains("cert.pem: revoked"), "{revoked}");
        assert!(revoked.contains("Response verify OK"), "{revoked}");
    });
}

/// The next connection, or a panic when none comes in time (the client failed before it).
fn accept_within(listener: &TcpListener, limit: Duration) -> std::net::TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + limit;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                return stream;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("the test's OCSP responder got no request: {e}"),
        }
    }
}

#[test]
fn pkilint_etsi_cert_fails_a_plain_certificate() {
    if skipped() {
        return;
    }
    let pki = Pki::new();
    let e = expect_err(
        pkilint_etsi_cert(&pki.der("leaf"), ETSI_NATURAL_PERSON),
        "a plain openssl certificate as an ETSI natural-person certificate",
    );
    assert!(e.contains("(ERROR)"), "{e}");
    assert!(e.contains("certificate_policies_extension_absent"), "{e}");
}

#[test]
fn pkilint_etsi_cert_passes_a_natural_person_certificate_and_keeps_its_warnings() {
    if skipped() {
        return;
    }
    let pki = Pki::new();
    let report = expect_ok(
        pkilint_etsi_cert(pki.pem("natural_person").as_bytes(), ETSI_NATURAL_PERSON),
        "the natural-person certificate (PEM)",
    );
    // digitalSignature with nonRepudiation is a SHOULD NOT of EN 319 412-2 (§4.3.2).
    assert!(
        report.contains("mixed_key_usage_setting (WARNING)"),
        "{report}"
    );
}

#[test]
fn pkilint_crl_and_ocsp_response_pass_what_openssl_makes() {
    if skipped() {
        return;
    }
    let pki = Pki::new();
    expect_ok(pkilint_crl(&pki.der("crl")), "the CRL");
    pki.openssl(
        "ocsp -issuer intermediate.pem -cert leaf.pem -reqout leaf.req",
        &[],
    );
    let response = pki.ocsp_response(&std::fs::read(pki.path("leaf.req")).unwrap(), "lint");
    expect_ok(pkilint_ocsp_response(&response), "the OCSP response");
    // A CRL is not an OCSP response.
    let e = expect_err(
        pkilint_ocsp_response(&pki.der("crl")),
        "a CRL as an OCSP response",
    );
    assert!(e.contains("could not lint the OCSP response"), "{e}");
}

#[test]
fn pkilint_reports_are_judged_by_their_worst_finding() {
    let report = |code: i32, stdout: &str| ToolOutput {
        command: "lint_x lint file".to_owned(),
        success: code == 0,
        code: Some(code),
        stdout: stdout.to_owned(),
        stderr: String::new(),
    };
    let warnings = "KeyUsageValidator @ certificate.tbsCertificate.extensions.1\n    \
                    etsi.mixed_key_usage_setting (WARNING)\n    pkix.ski_method_1 (INFO)\n\n";
    let ok = judge_lint_report("lint_x", "certificate", &report(2, warnings));
    assert_eq!(ok.as_deref(), Ok(warnings));
    assert_eq!(
        judge_lint_report("lint_x", "certificate", &report(0, "")).as_deref(),
        Ok("")
    );
    let errors = "V @ certificate\n    etsi.nat.required_attribute_missing (ERROR): Required \
                  attributes missing: 2.5.4.6 (C)\n    pkix.x (NOTICE)\n";
    let e = judge_lint_report("lint_x", "certificate", &report(2, errors)).unwrap_err();
    assert!(e.contains("1 finding(s) of severity ERROR or FATAL"), "{e}");
    assert!(e.contains("Required attributes missing"), "{e}");
    // Exit 1 with nothing printed: pkilint could not read the document.
    let e = judge_lint_report("lint_x", "CRL", &report(1, "")).unwrap_err();
    assert!(e.contains("could not lint the CRL"), "{e}");
    assert_eq!(finding_severity("    a.b (FATAL)"), Some("FATAL"));
    assert_eq!(finding_severity("V @ x (ERROR)"), None);
    assert_eq!(finding_severity("    a b (ERROR)"), None);
    assert_eq!(finding_severity("    a.b (ERROR) trailing"), None);
}

#[test]
fn a_missing_tool_is_an_error_that_says_how_to_install_it() {
    let missing = Path::new("/nonexistent/certdesk/lint_etsi_cert");
    let e = run_at(missing, &Tool::Pkilint("lint_etsi_cert"), &[])
        .err()
        .expect("a missing linter is an error");
    assert!(
        e.contains("scripts/test") && e.contains(PKILINT_BIN_VAR),
        "{e}"
    );
    assert!(e.contains(SKIP_VAR), "{e}");
    let e = run_at(Path::new("/nonexistent/openssl"), &Tool::Openssl, &[])
        .err()
        .expect("a missing openssl is an error");
    assert!(e.contains("apt-get install openssl"), "{e}");
}
