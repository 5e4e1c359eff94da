//! Client assertions: proving the app's identity to Entra ID without a client secret.
//!
//! - A **certificate**: adxconn signs a short-lived JWT (RS256) with the certificate's private
//!   key, on `ring`, the crypto already in the tree. azure_identity's own certificate credential
//!   needs OpenSSL and reads only PKCS#12; this reads the PEM that `az ad sp create-for-rbac
//!   --create-cert` writes, and links nothing new.
//! - A **federated token** (workload identity): a token another issuer gave this workload,
//!   which Entra ID trusts through the app's federated credential. On AKS it is a file the
//!   kubelet rotates, so it is read again for every token request; in GitHub Actions it is the
//!   job's OIDC token, requested from the runner.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use azure_core::credentials::Secret;
use azure_core::error::ErrorKind;
use azure_core::http::ClientMethodOptions;
use azure_identity::ClientAssertion;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::{PemObject, SectionKind};
use url::Url;

/// The audience Entra ID expects on federated tokens.
pub const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";

/// How long a signed certificate assertion is valid: it is used at once.
const ASSERTION_LIFETIME_SECS: u64 = 600;

/// The most a certificate or federated-token file may hold.
const MAX_FILE: u64 = 64 * 1024;

/// A certificate's private key and the thumbprints Entra ID finds the certificate by.
pub struct CertificateKey {
    path: PathBuf,
    key: RsaKeyPair,
    /// base64url SHA-1 of the certificate (`x5t`, what Entra ID has always matched).
    sha1: String,
    /// base64url SHA-256 of the certificate (`x5t#S256`).
    sha256: String,
}

impl std::fmt::Debug for CertificateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateKey")
            .field("path", &self.path)
            .field("x5t", &self.sha1)
            .finish_non_exhaustive()
    }
}

impl CertificateKey {
    /// Reads the certificate and its RSA private key (PKCS#8 or PKCS#1) from a PEM file, or
    /// from a PKCS#12 (.pfx) file opened with `password`; the error says what is missing or
    /// unreadable, and how to fix it.
    pub fn read(path: &std::path::Path, password: Option<&str>) -> Result<CertificateKey, String> {
        let mut bytes = crate::text::read_bounded(path, MAX_FILE)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            bytes = pkcs12::to_pem(path, password)?;
        }
        let mut certificate = None;
        let mut key = None;
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(&bytes) {
            let (kind, der) = section.map_err(|e| format!("`{}`: {e}", path.display()))?;
            match kind {
                SectionKind::Certificate if certificate.is_none() => certificate = Some(der),
                SectionKind::PrivateKey => {
                    key = Some(RsaKeyPair::from_pkcs8(&der).map_err(|e| e.to_string()))
                }
                SectionKind::RsaPrivateKey => {
                    key = Some(RsaKeyPair::from_der(&der).map_err(|e| e.to_string()))
                }
                SectionKind::EcPrivateKey => {
                    return Err(format!(
                        "`{}` holds an EC key; Entra ID signs in apps with RSA certificates",
                        path.display()
                    ))
                }
                _ => {}
            }
        }
        let certificate = certificate.ok_or_else(|| {
            format!(
                "`{}` holds no CERTIFICATE section; put the certificate and its private key in one PEM file",
                path.display()
            )
        })?;
        let key = key
            .ok_or_else(|| {
                format!(
                    "`{}` holds no PRIVATE KEY section; put the certificate and its private key in one PEM file \
                     (an encrypted key must be decrypted first: `openssl pkey -in key.pem -out plain.pem`)",
                    path.display()
                )
            })?
            .map_err(|problem| {
                format!(
                    "`{}`: its private key is not a usable RSA key ({problem})",
                    path.display()
                )
            })?;
        let digest =
            |algorithm| URL_SAFE_NO_PAD.encode(ring::digest::digest(algorithm, &certificate));
        Ok(CertificateKey {
            path: path.to_path_buf(),
            key,
            sha1: digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
            sha256: digest(&ring::digest::SHA256),
        })
    }

    /// `path (x5t …)`, for `--debug` and `adxconn auth`.
    pub fn describe(&self) -> String {
        format!("`{}` (x5t {})", self.path.display(), self.sha1)
    }

    /// A signed assertion for `client_id` at `token_url`, valid for a few minutes.
    fn sign(&self, client_id: &str, token_url: &str) -> Result<String, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let header = serde_json::json!({
            "alg": "RS256",
            "typ": "JWT",
            "x5t": self.sha1,
            "x5t#S256": self.sha256,
        });
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": unique_id(),
            "iat": now,
            "nbf": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "the private key could not sign".to_string())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// PKCS#12 files, opened by `openssl pkcs12`: reading them in-process would take some 80
/// crates (a pre-release CMS stack, RC2, 3DES, AES-CBC) or link OpenSSL; the `openssl` tool is
/// on nearly every machine that has a .pfx, and runs here bounded in time and output, with the
/// password passed through its environment, never its arguments.
mod pkcs12 {
    use std::io::Read;
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    const TIMEOUT: Duration = Duration::from_secs(10);

    /// The PEM of the certificate and key in the PKCS#12 file at `path`.
    pub fn to_pem(path: &Path, password: Option<&str>) -> Result<Vec<u8>, String> {
        let mut last = String::new();
        // OpenSSL 3 opens the RC2/3DES files older Windows exports write only with `-legacy`.
        for legacy in [false, true] {
            match run(path, password, legacy) {
                Ok(pem) => return Ok(pem),
                Err(problem) => last = problem,
            }
        }
        Err(format!(
            "`{}` is neither PEM nor a PKCS#12 (.pfx) file `openssl pkcs12` can open with AZURE_CLIENT_CERTIFICATE_PASSWORD: {last}",
            path.display()
        ))
    }

    fn run(path: &Path, password: Option<&str>, legacy: bool) -> Result<Vec<u8>, String> {
        let mut command = Command::new("openssl");
        command
            .arg("pkcs12")
            .arg("-in")
            .arg(path)
            .args(["-nodes", "-passin", "env:ADXCONN_PKCS12_PASSWORD"])
            .env("ADXCONN_PKCS12_PASSWORD", password.unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if legacy {
            command.arg("-legacy");
        }
        let mut child = command.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "`openssl` is not on PATH to open it; convert it to PEM elsewhere with `openssl pkcs12 -in cert.pfx -out cert.pem -nodes`".to_string()
            }
            _ => e.to_string(),
        })?;
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break status;
            }
            if started.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`openssl pkcs12` took over {} s",
                    TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut pem = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = stdout.take(super::MAX_FILE).read_to_end(&mut pem);
        }
        if status.success() {
            return Ok(pem);
        }
        let mut said = String::new();
        if let Some(stderr) = child.stderr.take() {
            let _ = stderr.take(4096).read_to_string(&mut said);
        }
        Err(crate::text::shorten(
            said.lines().next().unwrap_or("it failed").trim(),
        ))
    }
}

/// A random id for `jti`, so no two assertions are alike.
fn unique_id() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the id is still unique enough with the time in `iat`.
    let _ = ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Where a federated token comes from.
#[derive(Debug, Clone)]
pub enum Federated {
    /// A file (AKS: `AZURE_FEDERATED_TOKEN_FILE`), read again for every token request.
    File(PathBuf),
    /// The GitHub Actions runner: `ACTIONS_ID_TOKEN_REQUEST_URL` and
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, set for jobs with `id-token: write`.
    GitHubActions { url: Url, request_token: Secret },
}

impl Federated {
    pub fn describe(&self) -> String {
        match self {
            Federated::File(path) => format!("the federated token in `{}`", path.display()),
            Federated::GitHubActions { .. } => "the GitHub Actions job's OIDC token".into(),
        }
    }
}

/// The assertion a credential presents for each token request.
#[derive(Debug, Clone)]
pub enum Assertion {
    Certificate {
        key: Arc<CertificateKey>,
        client_id: String,
        token_url: String,
    },
    Federated {
        source: Federated,
        http: reqwest::Client,
    },
}

#[async_trait::async_trait]
impl ClientAssertion for Assertion {
    async fn secret(&self, _: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        let assertion = match self {
            Assertion::Certificate {
                key,
                client_id,
                token_url,
            } => key.sign(client_id, token_url),
            Assertion::Federated {
                source: Federated::File(path),
                ..
            } => read_token_file(path),
            Assertion::Federated {
                source: Federated::GitHubActions { url, request_token },
                http,
            } => github_token(http, url, request_token).await,
        }
        .map_err(|message| azure_core::Error::with_message(ErrorKind::Credential, message))?;
        crate::scrub::register(&assertion);
        Ok(assertion)
    }
}

fn read_token_file(path: &std::path::Path) -> Result<String, String> {
    let bytes = crate::text::read_bounded(path, MAX_FILE).map_err(|e| {
        format!(
            "cannot read the federated token file `{}`: {e}",
            path.display()
        )
    })?;
    let token = String::from_utf8(bytes)
        .map_err(|_| format!("the federated token file `{}` is not text", path.display()))?;
    let token = token.trim();
    if token.is_empty() {
        return Err(format!(
            "the federated token file `{}` is empty",
            path.display()
        ));
    }
    Ok(token.to_string())
}

/// Asks the GitHub Actions runner for the job's OIDC token, for Entra ID's audience.
async fn github_token(
    http: &reqwest::Client,
    url: &Url,
    request_token: &Secret,
) -> Result<String, String> {
    let mut url = url.clone();
    url.query_pairs_mut()
        .append_pair("audience", FEDERATED_AUDIENCE);
    let request = http
        .get(url.clone())
        .header(
            reqwest::header::AUTHORIZATION,
            format!("bearer {}", request_token.secret()),
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .build()
        .map_err(|e| e.to_string())?;
    let shown = crate::trace::without_query(&url);
    let answer = crate::transport::execute(http, request, crate::transport::MAX_TOKEN_BODY)
        .await
        .map_err(|e| format!("could not reach the GitHub Actions token endpoint `{shown}`: {e}"))?;
    if !answer.status.is_success() {
        return Err(format!(
            "the GitHub Actions token endpoint `{shown}` answered {}: {} (does the job have `permissions: id-token: write`?)",
            answer.status.as_u16(),
            crate::text::shorten(&String::from_utf8_lossy(&answer.body))
        ));
    }
    let body: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|_| format!("the GitHub Actions token endpoint `{shown}` did not answer JSON"))?;
    body.get("value")
        .and_then(serde_json::Value::as_str)
        .filter(|value| !value.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("the GitHub Actions token endpoint `{shown}` answered no `value`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pfx_or_a_pem_without_a_key_is_named_with_the_fix() {
        let dir = std::env::temp_dir().join(format!("adxconn-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pfx = dir.join("cert.pfx");
        std::fs::write(&pfx, [0x30, 0x82, 0x0a, 0x00, 0x02, 0x01, 0x03]).unwrap();
        let error = CertificateKey::read(&pfx, None).unwrap_err();
        assert!(error.contains("PKCS#12"), "{error}");
        let pem = dir.join("cert.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = CertificateKey::read(&pem, None).unwrap_err();
        assert!(error.contains("PRIVATE KEY"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
