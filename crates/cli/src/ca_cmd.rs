//! `certdesk ca`: the certificate authority's set-up (`init`) and description (`show`), and the
//! key-encryption key (KEK) every command that opens the CA takes: `--kek-file FILE` (or
//! `CERTDESK_KEK_FILE`), or the key itself in `CERTDESK_KEK` (64 hex digits). The KEK is never
//! written to the database. The CA's own keys may instead live in a PKCS#11 token (an HSM):
//! `--pkcs11-module` and `--pkcs11-token` (or `CERTDESK_PKCS11_MODULE`, `CERTDESK_PKCS11_TOKEN`)
//! with the user PIN in `CERTDESK_PKCS11_PIN` (never a flag); the KEK still seals the
//! beneficiaries' keys.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use certdesk_app::ca::{from_record, to_record};
use certdesk_ca::{
    Algorithm, CaIssuer, CaSettings, KeyEncryptionKey, SealedAuthority, TokenConfig,
};
use certdesk_store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand};

use crate::DbArg;

#[derive(Args, Clone, Default)]
pub struct KekArg {
    /// File holding the key-encryption key (64 hexadecimal digits, e.g. from
    /// `openssl rand -hex 32`) that seals the CA's and the beneficiaries' private keys. The key
    /// may be given instead in CERTDESK_KEK.
    #[arg(long, env = "CERTDESK_KEK_FILE")]
    pub kek_file: Option<PathBuf>,
}

impl KekArg {
    /// The KEK from the file or `CERTDESK_KEK`, if one is given.
    pub fn load(&self) -> anyhow::Result<Option<KeyEncryptionKey>> {
        if let Some(path) = &self.kek_file {
            return Ok(Some(KeyEncryptionKey::from_file(path)?));
        }
        match std::env::var("CERTDESK_KEK") {
            Ok(hex) if !hex.trim().is_empty() => Ok(Some(
                KeyEncryptionKey::from_hex(&hex).context("CERTDESK_KEK")?,
            )),
            _ => Ok(None),
        }
    }
}

#[derive(Args, Clone, Default)]
pub struct TokenArg {
    /// The PKCS#11 module (a shared library, e.g. /usr/lib/softhsm/libsofthsm2.so) of the token
    /// that holds the CA's private keys, instead of sealing them with the key-encryption key.
    /// The user PIN is read from CERTDESK_PKCS11_PIN only.
    #[arg(long, env = "CERTDESK_PKCS11_MODULE")]
    pub pkcs11_module: Option<PathBuf>,
    /// The label of that token.
    #[arg(long, env = "CERTDESK_PKCS11_TOKEN")]
    pub pkcs11_token: Option<String>,
}

pub const PIN_VAR: &str = "CERTDESK_PKCS11_PIN";

impl TokenArg {
    /// The token, if one is given: both the module and the label, and the PIN from
    /// `CERTDESK_PKCS11_PIN`.
    pub fn load(&self) -> anyhow::Result<Option<TokenConfig>> {
        let (module, label) = match (&self.pkcs11_module, &self.pkcs11_token) {
            (None, None) => return Ok(None),
            (Some(module), Some(label)) => (module, label),
            (Some(_), None) => {
                bail!("--pkcs11-module needs --pkcs11-token (or CERTDESK_PKCS11_TOKEN)")
            }
            (None, Some(_)) => {
                bail!("--pkcs11-token needs --pkcs11-module (or CERTDESK_PKCS11_MODULE)")
            }
        };
        let pin = match std::env::var(PIN_VAR) {
            Ok(pin) if !pin.is_empty() => pin,
            _ => bail!("give the PKCS#11 token's user PIN in {PIN_VAR}"),
        };
        Ok(Some(TokenConfig::new(module, label, pin)))
    }
}

#[derive(Subcommand)]
pub enum CaCommand {
    /// Create the root CA and the issuing CA (once per installation).
    Init {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        kek: KekArg,
        /// With a token, the CA's keys (EC P-256) are generated in it and never leave it.
        #[command(flatten)]
        token: TokenArg,
        /// Where certdesk is reached from outside: the CRL, OCSP and CA-certificate addresses
        /// written in every certificate are under it. Use http:// (CRLs and OCSP answers are
        /// signed; ETSI EN 319 412-2 wants an http or ldap CRL address); the PKI disclosure
        /// statement is linked as https:// on the same host.
        #[arg(
            long,
            env = "CERTDESK_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        /// ecdsa-p256 or rsa-3072 (ecdsa-p256 only in a PKCS#11 token).
        #[arg(long, default_value = "ecdsa-p256")]
        algorithm: String,
        /// The organisation in the CA certificates (O).
        #[arg(long, default_value = "certdesk")]
        organisation: String,
        #[arg(long, default_value = "certdesk Root CA")]
        root_name: String,
        #[arg(long, default_value = "certdesk Qualified Signature CA")]
        issuing_name: String,
        #[arg(long, default_value_t = 20)]
        root_years: u32,
        #[arg(long, default_value_t = 10)]
        issuing_years: u32,
    },
    /// Print the CA's certificates: subject, validity, algorithm, SHA-256 fingerprints, addresses.
    Show {
        #[command(flatten)]
        db: DbArg,
    },
}

/// The demo's key-encryption key: the one given, else the one kept in `certdesk-demo.kek` beside
/// the SQLite file (else in the working directory), made on first use: a demo convenience, since
/// a real installation keeps its KEK apart from the database.
pub fn demo_kek(given: &KekArg, db_url: &str) -> anyhow::Result<KeyEncryptionKey> {
    match given.load()? {
        Some(kek) => Ok(kek),
        None => demo_kek_file(&demo_kek_path(db_url)),
    }
}

/// The demo's CA, opened with `kek`: made on first use.
pub async fn demo_issuer(
    store: &dyn Store,
    kek: KeyEncryptionKey,
    token: Option<&TokenConfig>,
    public_url: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<CaIssuer> {
    if store.authority().await?.is_none() {
        let mut settings = CaSettings::new(public_url);
        settings.organisation = "certdesk demo".to_owned();
        settings.root_name = "certdesk Demo Root CA".to_owned();
        settings.issuing_name = "certdesk Demo Qualified Signature CA".to_owned();
        let sealed = match token {
            Some(token) => certdesk_ca::authority::create_in_token(&settings, token, &kek, now)?,
            None => certdesk_ca::authority::create(&settings, &kek, now)?,
        };
        // Another server of the same demo may have saved its CA first: that one is opened.
        match store.save_authority(&to_record(&sealed)).await {
            Ok(()) | Err(StoreError::Duplicate(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    certdesk_app::ca::open(store, Some(kek), token)
        .await?
        .context("the demo CA vanished")
}

pub const DEMO_KEK_FILE: &str = "certdesk-demo.kek";

/// Beside the database file for `sqlite://…`, else in the working directory.
fn demo_kek_path(db_url: &str) -> PathBuf {
    let file = db_url
        .strip_prefix("sqlite://")
        .or_else(|| db_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    match file.and_then(|f| Path::new(f).parent()) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(DEMO_KEK_FILE),
        _ => PathBuf::from(DEMO_KEK_FILE),
    }
}

fn demo_kek_file(path: &Path) -> anyhow::Result<KeyEncryptionKey> {
    if path.exists() {
        return Ok(KeyEncryptionKey::from_file(path)?);
    }
    let (kek, hex) = KeyEncryptionKey::generate();
    write_private(path, hex.as_bytes()).with_context(|| {
        format!(
            "cannot write the demo key-encryption key {}",
            path.display()
        )
    })?;
    eprintln!(
        "certdesk: the demo's key-encryption key is in {} (demo only: keep a real one apart)",
        path.display()
    );
    Ok(kek)
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}

pub async fn run(command: CaCommand) -> anyhow::Result<()> {
    match command {
        CaCommand::Init {
            db,
            kek,
            token,
            public_url,
            algorithm,
            organisation,
            root_name,
            issuing_name,
            root_years,
            issuing_years,
        } => {
            let store = crate::open_store(&db.db).await?;
            if store.authority().await?.is_some() {
                bail!("this installation already has a CA (see `certdesk ca show`)");
            }
            let kek = kek.load()?.context(
                "give the key-encryption key with --kek-file FILE, CERTDESK_KEK_FILE or \
                 CERTDESK_KEK (generate one with `openssl rand -hex 32`)",
            )?;
            let mut settings = CaSettings::new(&public_url);
            settings.algorithm = Algorithm::parse(&algorithm).with_context(|| {
                format!("--algorithm: ecdsa-p256 or rsa-3072, not {algorithm:?}")
            })?;
            settings.organisation = organisation;
            settings.root_name = root_name;
            settings.issuing_name = issuing_name;
            settings.root_validity = Duration::days(365 * i64::from(root_years.max(1)));
            settings.issuing_validity = Duration::days(365 * i64::from(issuing_years.max(1)));
            let sealed = match token.load()? {
                Some(token) => {
                    certdesk_ca::authority::create_in_token(&settings, &token, &kek, Utc::now())?
                }
                None => certdesk_ca::authority::create(&settings, &kek, Utc::now())?,
            };
            store.save_authority(&to_record(&sealed)).await?;
            println!("CA created");
            show(&sealed);
        }
        CaCommand::Show { db } => {
            let store = crate::open_store(&db.db).await?;
            let record = store
                .authority()
                .await?
                .context("this installation has no CA yet: run `certdesk ca init`")?;
            show(&from_record(record)?);
        }
    }
    Ok(())
}

fn show(sealed: &SealedAuthority) {
    for (title, der) in [
        ("root CA", &sealed.root_der),
        ("issuing CA", &sealed.issuing_der),
    ] {
        let description = certdesk_ca::authority::describe(der);
        println!("{title}:");
        println!("  subject: {}", description.subject);
        println!("  serial: {}", description.serial);
        println!("  valid from: {}", description.not_before);
        println!("  valid until: {}", description.not_after);
        println!("  SHA-256 fingerprint: {}", certdesk_ca::fingerprint(der));
    }
    println!("algorithm: {}", sealed.algorithm.code());
    println!("private keys: {}", sealed.key_location());
    println!("key-encryption key fingerprint: {}", sealed.kek_fingerprint);
    println!("CRL: {}/pki/crl", sealed.public_url);
    println!("OCSP: {}/pki/ocsp", sealed.public_url);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_kek_lives_beside_the_sqlite_file() {
        assert_eq!(
            demo_kek_path("sqlite:///tmp/demo/certdesk.db?mode=rwc"),
            PathBuf::from("/tmp/demo/certdesk-demo.kek")
        );
        assert_eq!(
            demo_kek_path("sqlite://certdesk.db"),
            PathBuf::from(DEMO_KEK_FILE)
        );
        assert_eq!(
            demo_kek_path("postgres://db/x"),
            PathBuf::from(DEMO_KEK_FILE)
        );
    }
}
