//! Everything a run needs to know before it talks to Azure: the endpoints of the chosen cloud,
//! the process environment adxconn reads, and the one HTTP client every request shares.

use std::net::IpAddr;
use std::path::PathBuf;

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
            // azure_identity sends the client secret to https:// authorities only.
            Some(text) => match checked_endpoint(text, "AZURE_AUTHORITY_HOST")? {
                url if url.scheme() == "https" => url,
                url => {
                    return Err(InputError::new(
                        "AZURE_AUTHORITY_HOST",
                        format!("`{url}` is plain http; the client secret is sent over https only"),
                    )
                    .hint("use https:// (a local emulator serves https too)"))
                }
            },
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
            format!("`{}` is not a URL: {e}", crate::text::shorten(text)),
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
    /// `HTTPS_PROXY` (else `ALL_PROXY`), for `https://` requests only: `HTTP_PROXY` is never
    /// used, so no token crosses a proxy outside TLS.
    pub https_proxy: Option<String>,
    /// `NO_PROXY`.
    pub no_proxy: Option<String>,
}

impl Environment {
    pub fn read() -> Environment {
        let non_empty = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Environment {
            access_token: non_empty("ADXCONN_ACCESS_TOKEN"),
            client_secret: non_empty("AZURE_CLIENT_SECRET"),
            ssl_cert_file: non_empty("SSL_CERT_FILE").map(PathBuf::from),
            https_proxy: ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
                .into_iter()
                .find_map(non_empty),
            no_proxy: ["NO_PROXY", "no_proxy"].into_iter().find_map(non_empty),
        }
    }
}

/// The shared HTTP client (see `transport::client`), set up from the environment.
pub fn http_client(environment: &Environment) -> Result<reqwest::Client, InputError> {
    let settings = crate::transport::ClientSettings {
        ca_file: environment.ssl_cert_file.as_deref(),
        https_proxy: environment.https_proxy.as_deref(),
        no_proxy: environment.no_proxy.as_deref(),
    };
    crate::transport::client(&settings).map_err(|error| {
        let source = match error {
            crate::transport::SetupError::Proxy { .. } => "HTTPS_PROXY",
            _ => "SSL_CERT_FILE",
        };
        InputError::new(source, error.to_string())
    })
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
