//! The one HTTP client every request shares (ARM and the token endpoint), and the one way an
//! answer is read: no redirect is followed, and no body is read past a bound.
//!
//! adxconn holds a client secret and other tenants' tokens, so it treats every answer as
//! possibly hostile (a TLS-inspecting proxy, a private endpoint pointing elsewhere, a typo in
//! an endpoint variable). ARM and Entra ID never redirect the calls adxconn makes, and their
//! answers are a few KB: a 3xx or an answer of megabytes is refused, never followed or kept.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::StatusCode;
use url::Url;

/// Longest wait for a TCP + TLS connection: ARM and Entra ID answer in well under a second.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest wait for a whole exchange, body included. ARM answers a data-connection request in
/// a second or two (long work runs as an operation that is polled); a write whose answer does
/// not come in time is reconciled by reading the resource, never re-sent blind.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest ARM answer read: list pages and error envelopes are a few KB; a page of a
/// hundred data connections is about 200 KB.
pub const MAX_ARM_BODY: usize = 4 * 1024 * 1024;

/// The largest token-endpoint answer read (a token answer is 2–5 KB).
pub const MAX_TOKEN_BODY: usize = 256 * 1024;

/// An answer, read whole within its bound.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Why an exchange gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The server answered with a redirect. It is never followed: it would carry the request's
    /// body and credentials to wherever `Location` points.
    #[error("the server answered {status} redirecting to `{location}`; adxconn follows no redirect (ARM and Entra ID never send one)")]
    Redirected { status: u16, location: String },
    /// The answer is longer than any ARM or Entra ID answer.
    #[error("the answer is longer than {} KB; ARM's and Entra ID's answers are a few KB", .limit / 1024)]
    TooLarge { limit: usize },
    /// No answer: the connection failed, closed or timed out.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

impl TransportError {
    /// Whether the request certainly did not reach the server (so a write was not applied).
    pub fn is_connect(&self) -> bool {
        matches!(self, TransportError::Http(error) if error.is_connect())
    }
}

/// Sends a request and reads its answer, refusing redirects and bodies over `limit` bytes.
pub async fn execute(
    http: &reqwest::Client,
    request: reqwest::Request,
    limit: usize,
) -> Result<Answer, TransportError> {
    let mut response = http.execute(request).await?;
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(LOCATION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_else(|| "nowhere (no Location header)".into());
        return Err(TransportError::Redirected {
            status: status.as_u16(),
            location: crate::text::shorten(&location),
        });
    }
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(TransportError::TooLarge { limit });
    }
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(TransportError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Where the shared client takes its proxy and extra trusted certificates from.
#[derive(Debug, Default, Clone)]
pub struct ClientSettings<'a> {
    /// Extra trusted CA certificates (PEM), e.g. a corporate TLS proxy's.
    pub ca_file: Option<&'a Path>,
    /// The proxy for `https://` requests (`HTTPS_PROXY`, else `ALL_PROXY`).
    pub https_proxy: Option<&'a str>,
    /// Hosts that bypass the proxy (`NO_PROXY`).
    pub no_proxy: Option<&'a str>,
}

/// Why the shared client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read `{path}`: {source}")]
    CaFile {
        path: String,
        source: std::io::Error,
    },
    #[error("`{path}` holds no PEM certificates{}", .problem.as_ref().map(|p| format!(": {p}")).unwrap_or_default())]
    NoCertificates {
        path: String,
        problem: Option<String>,
    },
    #[error("`{}` is not a proxy URL: {problem}", crate::text::shorten(.proxy))]
    Proxy { proxy: String, problem: String },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// The shared HTTP client: one connection pool for ARM and the token endpoint.
///
/// - No redirect is followed (reqwest would re-send bodies and auxiliary tokens).
/// - Only `https://` requests are proxied, through a CONNECT tunnel, so a token never crosses
///   a proxy in clear text: `HTTP_PROXY` is ignored, and a plain-`http://` endpoint (allowed on
///   loopback only) is always reached directly.
pub fn client(settings: &ClientSettings<'_>) -> Result<reqwest::Client, SetupError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("adxconn/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(60))
        .no_proxy();
    if let Some(proxy) = settings.https_proxy.filter(|p| !p.trim().is_empty()) {
        let https = reqwest::Proxy::https(proxy.trim()).map_err(|e| SetupError::Proxy {
            proxy: proxy.to_string(),
            problem: e.to_string(),
        })?;
        builder = builder
            .proxy(https.no_proxy(settings.no_proxy.and_then(reqwest::NoProxy::from_string)));
    }
    if let Some(path) = settings.ca_file {
        let shown = path.display().to_string();
        let pem = crate::text::read_bounded(path, 4 * 1024 * 1024).map_err(|source| {
            SetupError::CaFile {
                path: shown.clone(),
                source,
            }
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            SetupError::NoCertificates {
                path: shown.clone(),
                problem: Some(e.to_string()),
            }
        })?;
        if certificates.is_empty() {
            return Err(SetupError::NoCertificates {
                path: shown,
                problem: None,
            });
        }
        builder = builder.tls_certs_merge(certificates);
    }
    builder.build().map_err(|e| SetupError::Tls(e.to_string()))
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
