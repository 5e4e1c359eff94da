//! Credentials for ARM: a service principal with a client secret (through `azure_identity`), or
//! a ready-made token from `ADXCONN_ACCESS_TOKEN`.
//!
//! `Credential` is an enum, not a trait object: the set is closed, and it keeps `azure_identity`,
//! whose signatures have moved between releases, behind one `match`.

mod auxiliary;
pub mod claims;

pub use auxiliary::{Auxiliary, TokenFile, MAX_AUXILIARY_TOKENS};

use std::path::PathBuf;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{
    AsyncRawResponse, ClientOptions, ExponentialRetryOptions, HttpClient, Request, RetryOptions,
    Transport,
};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

use url::Url;

use crate::trace::Trace;
use crate::transport::{self, TransportError};

/// A setting the service principal needs, for `AuthError::Missing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Tenant,
    ClientId,
    ClientSecret,
}

/// A service principal with a client secret, as configured (checked by the caller).
pub struct ServicePrincipal {
    pub tenant: String,
    pub client_id: String,
    pub secret: String,
}

/// How to sign in, as configured.
pub enum SignIn {
    /// A ready-made ARM token.
    AccessToken(String),
    ServicePrincipal(ServicePrincipal),
    /// Nothing usable: these settings are missing.
    Missing(Vec<Setting>),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Neither a token nor a complete service principal was configured.
    #[error("no credentials: the service principal's {} {} not set", missing_list(.missing), if .missing.len() == 1 { "is" } else { "are" })]
    Missing { missing: Vec<Setting> },
    /// An auxiliary token file that cannot be used; `advice` says how to get a good one.
    #[error("`{}`: {problem}", .path.display())]
    TokenFile {
        path: PathBuf,
        problem: String,
        advice: Option<String>,
    },
    /// Signing in to another tenant needs the service principal.
    #[error("signing in to another tenant needs the service principal (a client id and secret)")]
    AuxiliaryNeedsServicePrincipal,
    /// `azure_identity` refused the settings (e.g. a non-https authority host).
    #[error("cannot use the service principal settings")]
    Setup {
        #[source]
        source: Box<azure_core::Error>,
    },
    /// The token endpoint's answer was one Entra ID never gives (a redirect, megabytes): the
    /// request was not repeated elsewhere and the answer not read further.
    #[error("the token endpoint for tenant `{tenant}` answered as Entra ID never does: {problem}")]
    Refused { tenant: String, problem: String },
    /// The token endpoint did not hand out a token.
    #[error("could not get a token for client `{client_id}` in tenant `{tenant}`{}", if *.auxiliary { " (an auxiliary tenant)" } else { "" })]
    Token {
        tenant: String,
        client_id: String,
        /// Whether this was for an auxiliary (other-tenant) token.
        auxiliary: bool,
        #[source]
        source: Box<azure_core::Error>,
    },
}

fn missing_list(missing: &[Setting]) -> String {
    missing
        .iter()
        .map(|setting| match setting {
            Setting::Tenant => "tenant",
            Setting::ClientId => "client id",
            Setting::ClientSecret => "client secret",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How adxconn proves who it is to ARM.
pub enum Credential {
    /// A token obtained elsewhere; used as is.
    AccessToken(Secret),
    /// A service principal with a client secret.
    ServicePrincipal {
        tenant: String,
        client_id: String,
        credential: Arc<ClientSecretCredential>,
    },
}

impl Credential {
    /// The credential for `sign_in`; nothing is sent here.
    pub fn configure(
        sign_in: &SignIn,
        authority: &Url,
        http: &reqwest::Client,
        trace: Trace,
    ) -> Result<Credential, AuthError> {
        match sign_in {
            SignIn::AccessToken(token) => {
                crate::scrub::register(token);
                Ok(Credential::AccessToken(Secret::new(
                    token.trim().to_string(),
                )))
            }
            SignIn::ServicePrincipal(principal) => Ok(Credential::ServicePrincipal {
                tenant: principal.tenant.clone(),
                client_id: principal.client_id.clone(),
                credential: secret_credential(
                    &principal.tenant,
                    &principal.client_id,
                    &principal.secret,
                    authority,
                    http,
                    trace,
                )?,
            }),
            SignIn::Missing(missing) => Err(AuthError::Missing {
                missing: missing.clone(),
            }),
        }
    }

    /// A bearer token for `scope`. `azure_identity` caches it and refreshes it when it nears
    /// expiry, so callers ask before every request.
    pub async fn token(&self, scope: &str) -> Result<Secret, AuthError> {
        match self {
            Credential::AccessToken(token) => Ok(token.clone()),
            Credential::ServicePrincipal {
                tenant,
                client_id,
                credential,
            } => secret_token(credential, tenant, client_id, scope, false).await,
        }
    }

    /// Who we are, for `--debug` (never the secret or the token).
    pub fn describe(&self) -> String {
        match self {
            Credential::AccessToken(_) => "the token in ADXCONN_ACCESS_TOKEN".into(),
            Credential::ServicePrincipal {
                tenant, client_id, ..
            } => format!("service principal `{client_id}` in tenant `{tenant}`"),
        }
    }
}

/// A client-secret credential for one tenant. `get_token` has no tenant parameter, so each
/// tenant (primary or auxiliary) gets its own, all sharing one HTTP client.
fn secret_credential(
    tenant: &str,
    client_id: &str,
    secret: &str,
    authority: &Url,
    http: &reqwest::Client,
    trace: Trace,
) -> Result<Arc<ClientSecretCredential>, AuthError> {
    ClientSecretCredential::new(
        tenant,
        client_id.to_string(),
        Secret::new(secret.to_string()),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(http, authority, trace),
        }),
    )
    .map_err(|source| AuthError::Setup {
        source: Box::new(source),
    })
}

/// A token from a client-secret credential, its failure naming the tenant and client.
async fn secret_token(
    credential: &ClientSecretCredential,
    tenant: &str,
    client_id: &str,
    scope: &str,
    auxiliary: bool,
) -> Result<Secret, AuthError> {
    let token = credential
        .get_token(&[scope], None)
        .await
        .map(|access| access.token)
        .map_err(|source| match refusal(&source) {
            Some(refused) => AuthError::Refused {
                tenant: tenant.to_string(),
                problem: refused.to_string(),
            },
            None => AuthError::Token {
                tenant: tenant.to_string(),
                client_id: client_id.to_string(),
                auxiliary,
                source: Box::new(source),
            },
        })?;
    crate::scrub::register(token.secret());
    Ok(token)
}

/// One transport for every credential, and retries bounded explicitly: with azure_core's
/// defaults a dead token endpoint takes over 80 s to fail.
fn client_options(http: &reqwest::Client, authority: &Url, trace: Trace) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = authority.as_str().trim_end_matches('/').to_string();
    ClientOptions {
        transport: Some(Transport::new(Arc::new(TracedTransport {
            http: http.clone(),
            trace,
        }))),
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: azure_core::time::Duration::milliseconds(250),
            max_retries: 2,
            max_total_elapsed: azure_core::time::Duration::seconds(10),
            max_delay: azure_core::time::Duration::seconds(2),
        }),
        ..ClientOptions::default()
    }
}

/// The shared HTTP client, with token requests in `--debug` traces: method, URL, status and
/// timing only. The form carries the client secret and the answer the token, so neither body
/// is ever shown.
#[derive(Debug)]
struct TracedTransport {
    http: reqwest::Client,
    trace: Trace,
}

#[async_trait::async_trait]
impl HttpClient for TracedTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        self.trace.note(&format!(
            "> {} {} (token request; form redacted)",
            request.method(),
            request.url()
        ));
        let started = std::time::Instant::now();
        let result = self.exchange(request).await;
        let elapsed = started.elapsed().as_millis();
        match &result {
            Ok(response) => self.trace.note(&format!(
                "< {} ({elapsed} ms; token redacted)",
                u16::from(response.status())
            )),
            Err(error) => self
                .trace
                .note(&format!("< no answer after {elapsed} ms: {error}")),
        }
        result
    }
}

impl TracedTransport {
    /// Sends a token request over the shared client and reads its answer within
    /// `MAX_TOKEN_BODY`, following no redirect: a 3xx would carry the form (and the client
    /// secret in it) to wherever it points.
    async fn exchange(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        use azure_core::error::ErrorKind;
        use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
        let mut outgoing = self.http.request(
            request
                .method()
                .as_str()
                .parse()
                .unwrap_or(reqwest::Method::POST),
            request.url().clone(),
        );
        for (name, value) in request.headers().iter() {
            outgoing = outgoing.header(name.as_str(), value.as_str());
        }
        if let azure_core::http::Body::Bytes(bytes) = request.body() {
            outgoing = outgoing.body(bytes.to_vec());
        }
        let outgoing = outgoing
            .build()
            .map_err(|e| azure_core::Error::with_error(ErrorKind::Other, e, "a token request"))?;
        let answer = transport::execute(&self.http, outgoing, transport::MAX_TOKEN_BODY)
            .await
            .map_err(|error| {
                // Refusals are final: azure_core retries only `Io` and `Connection` errors.
                let kind = match &error {
                    TransportError::Http(e) if e.is_connect() => ErrorKind::Connection,
                    TransportError::Http(_) => ErrorKind::Io,
                    _ => ErrorKind::Other,
                };
                let message = error.to_string();
                azure_core::Error::with_error(kind, error, message)
            })?;
        let headers: std::collections::HashMap<HeaderName, HeaderValue> = answer
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from(name.as_str().to_owned()),
                    HeaderValue::from(value.to_str().ok()?.to_owned()),
                ))
            })
            .collect();
        Ok(AsyncRawResponse::from_bytes(
            answer.status.as_u16().into(),
            Headers::from(headers),
            answer.body,
        ))
    }
}

/// The transport refusal (a redirect, an oversized answer) behind a credential's error, if any.
fn refusal(error: &azure_core::Error) -> Option<&TransportError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(
            refused @ (TransportError::Redirected { .. } | TransportError::TooLarge { .. }),
        ) = cause.downcast_ref::<TransportError>()
        {
            return Some(refused);
        }
        source = cause.source();
    }
    None
}
