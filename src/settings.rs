//! Everything a run needs to know before it talks to Azure: the endpoints of the chosen cloud,
//! the process environment adxconn reads, and the one HTTP client every request shares.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::cli::{Cloud, GlobalArgs};
use crate::error::InputError;

/// Where ARM and Entra ID live, and the token scope for ARM.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub arm: Url,
    pub authority: Url,
    /// `{arm resource}/.default`: the scope is the cloud's, even when the endpoint is overridden
    /// (a private endpoint or the emulator still accepts tokens for the cloud's ARM audience).
    pub scope: String,
}

impl Endpoints {
    pub fn resolve(global: &GlobalArgs) -> Result<Endpoints, InputError> {
        let (arm, authority) = match global.cloud {
            Cloud::Public => (
                "https://management.azure.com",
                "https://login.microsoftonline.com",
            ),
            Cloud::China => (
                "https://management.chinacloudapi.cn",
                "https://login.chinacloudapi.cn",
            ),
            Cloud::Usgov => (
                "https://management.usgovcloudapi.net",
                "https://login.microsoftonline.us",
            ),
        };
        let scope = format!("{arm}/.default");
        let arm = match &global.arm_endpoint {
            Some(text) => checked_endpoint(text, "ADXCONN_ARM_ENDPOINT")?,
            None => Url::parse(arm).map_err(|e| InputError::new("--cloud", e.to_string()))?,
        };
        let authority = match &global.authority_host {
            Some(text) => checked_endpoint(text, "AZURE_AUTHORITY_HOST")?,
            None => Url::parse(authority).map_err(|e| InputError::new("--cloud", e.to_string()))?,
        };
        Ok(Endpoints {
            arm,
            authority,
            scope,
        })
    }
}

/// An endpoint must be `https://`, or `http://` on a loopback address (a local fake): a plain
/// `http://` endpoint elsewhere would send bearer tokens in the clear.
pub fn checked_endpoint(text: &str, source: &str) -> Result<Url, InputError> {
    let url = Url::parse(text.trim()).map_err(|e| {
        InputError::new(
            source,
            format!("`{}` is not a URL: {e}", crate::target::shorten(text)),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InputError::new(source, "it must not carry credentials"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(InputError::new(
            source,
            format!("`{url}` is plain http; tokens would travel unencrypted"),
        )
        .hint("use https://, or http:// only for a server on this machine (127.0.0.1, ::1, localhost)")),
        other => Err(InputError::new(
            source,
            format!("scheme `{other}` is not supported; use https://"),
        )),
    }
}

/// Same scheme, host (case-insensitively) and port: where a bearer token may be sent.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The environment variables adxconn reads outside clap: secrets are never clap arguments, so
/// that no flag can take a secret's value and `--help` never shows one.
#[derive(Default)]
pub struct Environment {
    /// `ADXCONN_ACCESS_TOKEN`: a ready-made ARM token (e.g. from `az account get-access-token`).
    pub access_token: Option<String>,
    /// `AZURE_CLIENT_SECRET`.
    pub client_secret: Option<String>,
    /// `SSL_CERT_FILE`: extra trusted CA certificates (PEM), e.g. a corporate TLS proxy's.
    pub ssl_cert_file: Option<PathBuf>,
}

impl Environment {
    pub fn read() -> Environment {
        let non_empty = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Environment {
            access_token: non_empty("ADXCONN_ACCESS_TOKEN"),
            client_secret: non_empty("AZURE_CLIENT_SECRET"),
            ssl_cert_file: non_empty("SSL_CERT_FILE").map(PathBuf::from),
        }
    }
}

/// The shared HTTP client: one connection pool for ARM and the token endpoint.
///
/// Proxies come from `HTTPS_PROXY`/`NO_PROXY` (reqwest reads them). Certificates in
/// `SSL_CERT_FILE` are trusted in addition to the platform's roots.
pub fn http_client(environment: &Environment) -> Result<reqwest::Client, InputError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("adxconn/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        // ARM gives a resource provider 60 s to answer before it answers 504 itself.
        .timeout(Duration::from_secs(90))
        .pool_idle_timeout(Duration::from_secs(60));
    if let Some(path) = &environment.ssl_cert_file {
        let pem = std::fs::read(path).map_err(|e| {
            InputError::new(
                "SSL_CERT_FILE",
                format!("cannot read `{}`: {e}", path.display()),
            )
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            InputError::new(
                "SSL_CERT_FILE",
                format!("`{}` holds no PEM certificates: {e}", path.display()),
            )
        })?;
        if certificates.is_empty() {
            return Err(InputError::new(
                "SSL_CERT_FILE",
                format!("`{}` holds no PEM certificates", path.display()),
            ));
        }
        builder = builder.tls_certs_merge(certificates);
    }
    builder
        .build()
        .map_err(|e| InputError::new("SSL_CERT_FILE", format!("cannot set up TLS: {e}")))
}

#[cfg(test)]
mod tests {
    use super::checked_endpoint;

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(checked_endpoint("https://management.azure.com", "X").is_ok());
        assert!(checked_endpoint("http://127.0.0.1:8080", "X").is_ok());
        assert!(checked_endpoint("http://[::1]:8080", "X").is_ok());
        assert!(checked_endpoint("http://localhost:8080", "X").is_ok());
        assert!(checked_endpoint("http://management.azure.com", "X").is_err());
        assert!(checked_endpoint("http://10.0.0.1", "X").is_err());
        assert!(checked_endpoint("ftp://127.0.0.1", "X").is_err());
        assert!(checked_endpoint("not a url", "X").is_err());
    }
}
