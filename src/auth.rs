//! Credentials for ARM: every way operators and pipelines sign in, chosen by `settings` and
//! used here. A client secret, a certificate or a federated token (workload identity) signs in
//! a service principal through `azure_identity`; a managed identity through its endpoint; an
//! operator's `az login` session through `az`; or a ready-made token is used as is.
//!
//! `Credential` is a closed set behind one `match`, which keeps `azure_identity`, whose
//! signatures have moved between releases, in this module.

mod assertion;
mod auxiliary;
mod azure_cli;
pub mod claims;

pub use assertion::{CertificateKey, Federated, FEDERATED_AUDIENCE};
pub use auxiliary::{Auxiliary, TokenFile, MAX_AUXILIARY_TOKENS};
pub use azure_cli::{installed as azure_cli_installed, CliError};

use std::path::PathBuf;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{
    AsyncRawResponse, ClientOptions, ExponentialRetryOptions, HttpClient, Request, RetryOptions,
    Transport,
};
use azure_identity::{
    ClientAssertionCredential, ClientAssertionCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId,
};

use url::Url;

use crate::trace::Trace;
use crate::transport::{self, TransportError};

/// The ways to sign in, as `--auth` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Token,
    Secret,
    Certificate,
    Workload,
    ManagedIdentity,
    Cli,
}

impl Method {
    /// The order of the automatic choice, as documented in the README.
    pub const ORDER: [Method; 6] = [
        Method::Token,
        Method::Secret,
        Method::Certificate,
        Method::Workload,
        Method::ManagedIdentity,
        Method::Cli,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Token => "token",
            Method::Secret => "secret",
            Method::Certificate => "certificate",
            Method::Workload => "workload",
            Method::ManagedIdentity => "managed-identity",
            Method::Cli => "cli",
        }
    }
}

/// Where a managed identity's tokens come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedEndpoint {
    /// App Service and Functions: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`.
    AppService,
    /// A VM's (or scale set's, or AKS node's) Instance Metadata Service.
    Imds,
}

/// How to sign in, read and checked from flags, the environment and files; nothing is sent.
pub enum SignIn {
    /// A ready-made ARM token.
    AccessToken(String),
    Secret {
        tenant: String,
        client_id: String,
        secret: String,
    },
    Certificate {
        tenant: String,
        client_id: String,
        key: Arc<CertificateKey>,
    },
    Workload {
        tenant: String,
        client_id: String,
        federated: Federated,
    },
    ManagedIdentity {
        /// A user-assigned identity's client id; the system-assigned one when `None`.
        client_id: Option<String>,
        endpoint: ManagedEndpoint,
    },
    AzureCli {
        /// `--tenant`, when given: `az` then asks for a token of that tenant.
        tenant: Option<String>,
    },
}

impl SignIn {
    pub fn method(&self) -> Method {
        match self {
            SignIn::AccessToken(_) => Method::Token,
            SignIn::Secret { .. } => Method::Secret,
            SignIn::Certificate { .. } => Method::Certificate,
            SignIn::Workload { .. } => Method::Workload,
            SignIn::ManagedIdentity { .. } => Method::ManagedIdentity,
            SignIn::AzureCli { .. } => Method::Cli,
        }
    }

    /// The same identity signed in to `tenant`, for an auxiliary token; `None` for what cannot
    /// sign in to another tenant (a managed identity, a ready-made token).
    pub fn in_tenant(&self, tenant: &str) -> Option<SignIn> {
        let tenant = tenant.to_string();
        Some(match self {
            SignIn::Secret {
                client_id, secret, ..
            } => SignIn::Secret {
                tenant,
                client_id: client_id.clone(),
                secret: secret.clone(),
            },
            SignIn::Certificate { client_id, key, .. } => SignIn::Certificate {
                tenant,
                client_id: client_id.clone(),
                key: key.clone(),
            },
            SignIn::Workload {
                client_id,
                federated,
                ..
            } => SignIn::Workload {
                tenant,
                client_id: client_id.clone(),
                federated: federated.clone(),
            },
            SignIn::AzureCli { .. } => SignIn::AzureCli {
                tenant: Some(tenant),
            },
            SignIn::AccessToken(_) | SignIn::ManagedIdentity { .. } => return None,
        })
    }
}

/// The sign-in chosen, and why (the order's step that matched, or `--auth`).
pub struct Chosen {
    pub sign_in: SignIn,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No way to sign in was configured: what each source lacked.
    #[error("no credentials: {}", .tried.join("; "))]
    Missing {
        /// One line per source in the automatic order (or the one `--auth` chose).
        tried: Vec<String>,
        /// The most likely fix.
        advice: String,
    },
    /// An auxiliary token file that cannot be used; `advice` says how to get a good one.
    #[error("`{}`: {problem}", .path.display())]
    TokenFile {
        path: PathBuf,
        problem: String,
        advice: Option<String>,
    },
    /// `--aux-tenant` with a sign-in that cannot get tokens for another tenant.
    #[error("--aux-tenant cannot be used when signed in with {method}: it cannot get tokens for another tenant")]
    AuxiliaryUnsupported { method: &'static str },
    /// `azure_identity` refused the settings (e.g. a non-https authority host).
    #[error("cannot use the sign-in settings")]
    Setup {
        #[source]
        source: Box<azure_core::Error>,
    },
    /// The token endpoint's answer was one Entra ID never gives (a redirect, megabytes): the
    /// request was not repeated elsewhere and the answer not read further.
    #[error("the token endpoint for tenant `{tenant}` answered as Entra ID never does: {problem}")]
    Refused { tenant: String, problem: String },
    /// The token endpoint (or managed-identity endpoint) could not be reached: the network,
    /// TLS or a proxy, not the credentials.
    #[error("could not reach {endpoint} to get a token")]
    Unreachable {
        endpoint: String,
        #[source]
        source: Box<azure_core::Error>,
    },
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
    /// The managed identity's endpoint did not hand out a token.
    #[error("could not get a token for the {} managed identity", .client_id.as_deref().map_or("system-assigned".to_string(), |id| format!("user-assigned `{id}`")))]
    ManagedIdentity {
        client_id: Option<String>,
        #[source]
        source: Box<azure_core::Error>,
    },
    /// `az` did not hand out a token.
    #[error("could not get a token from the Azure CLI{}", .tenant.as_deref().map(|t| format!(" for tenant `{t}`")).unwrap_or_default())]
    AzureCli {
        tenant: Option<String>,
        #[source]
        source: CliError,
    },
}

/// How adxconn proves who it is to ARM (or, as an auxiliary credential, to another tenant).
pub struct Credential {
    method: Method,
    /// Why this way of signing in was chosen (the order's step, or `--auth`).
    reason: String,
    identity: Identity,
}

enum Identity {
    /// A token obtained elsewhere; used as is.
    Static(Secret),
    /// A service principal (secret, certificate or federated token), through azure_identity.
    Entra {
        tenant: String,
        client_id: String,
        /// What proves it: `client secret`, the certificate, the federated token.
        proof: String,
        credential: Arc<dyn TokenCredential>,
    },
    Managed {
        client_id: Option<String>,
        endpoint: ManagedEndpoint,
        credential: Arc<ManagedIdentityCredential>,
    },
    Cli(azure_cli::AzureCli),
}

impl Credential {
    /// The credential for `sign_in`; nothing is sent here.
    pub fn configure(
        sign_in: &SignIn,
        authority: &Url,
        http: &reqwest::Client,
        trace: Trace,
    ) -> Result<Credential, AuthError> {
        let setup = |source| AuthError::Setup {
            source: Box::new(source),
        };
        let identity = match sign_in {
            SignIn::AccessToken(token) => {
                crate::scrub::register(token);
                Identity::Static(Secret::new(token.trim().to_string()))
            }
            SignIn::Secret {
                tenant,
                client_id,
                secret,
            } => Identity::Entra {
                tenant: tenant.clone(),
                client_id: client_id.clone(),
                proof: "a client secret".into(),
                credential: ClientSecretCredential::new(
                    tenant,
                    client_id.clone(),
                    Secret::new(secret.clone()),
                    Some(ClientSecretCredentialOptions {
                        client_options: client_options(http, authority, trace),
                    }),
                )
                .map_err(setup)?,
            },
            SignIn::Certificate {
                tenant,
                client_id,
                key,
            } => Identity::Entra {
                tenant: tenant.clone(),
                client_id: client_id.clone(),
                proof: format!("the certificate {}", key.describe()),
                credential: assertion_credential(
                    tenant,
                    client_id,
                    assertion::Assertion::Certificate {
                        key: key.clone(),
                        client_id: client_id.clone(),
                        token_url: token_url(authority, tenant),
                    },
                    authority,
                    http,
                    trace,
                )?,
            },
            SignIn::Workload {
                tenant,
                client_id,
                federated,
            } => Identity::Entra {
                tenant: tenant.clone(),
                client_id: client_id.clone(),
                proof: federated.describe(),
                credential: assertion_credential(
                    tenant,
                    client_id,
                    assertion::Assertion::Federated {
                        source: federated.clone(),
                        http: http.clone(),
                    },
                    authority,
                    http,
                    trace,
                )?,
            },
            SignIn::ManagedIdentity {
                client_id,
                endpoint,
            } => Identity::Managed {
                client_id: client_id.clone(),
                endpoint: *endpoint,
                credential: ManagedIdentityCredential::new(Some(
                    ManagedIdentityCredentialOptions {
                        user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                        client_options: client_options(http, authority, trace),
                    },
                ))
                .map_err(setup)?,
            },
            SignIn::AzureCli { tenant } => Identity::Cli(azure_cli::AzureCli::new(tenant.clone())),
        };
        Ok(Credential {
            method: sign_in.method(),
            reason: String::new(),
            identity,
        })
    }

    /// Records why this credential was chosen.
    #[must_use]
    pub fn chosen_because(mut self, reason: &str) -> Credential {
        self.reason = reason.to_string();
        self
    }

    pub fn method(&self) -> Method {
        self.method
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// A bearer token for `scope`. Each source caches its token and refreshes it when it
    /// nears expiry, so callers ask before every request.
    pub async fn token(&self, scope: &str) -> Result<Secret, AuthError> {
        self.token_as(scope, false).await
    }

    /// A token, its errors saying whether it was for an auxiliary tenant.
    pub(crate) async fn token_as(&self, scope: &str, auxiliary: bool) -> Result<Secret, AuthError> {
        match &self.identity {
            Identity::Static(token) => Ok(token.clone()),
            Identity::Entra {
                tenant,
                client_id,
                credential,
                ..
            } => entra_token(credential.as_ref(), tenant, client_id, scope, auxiliary).await,
            Identity::Managed {
                client_id,
                credential,
                ..
            } => {
                let token = credential
                    .get_token(&[scope], None)
                    .await
                    .map_err(|source| match unreachable(&source) {
                        Some(endpoint) => AuthError::Unreachable {
                            endpoint,
                            source: Box::new(source),
                        },
                        None => AuthError::ManagedIdentity {
                            client_id: client_id.clone(),
                            source: Box::new(source),
                        },
                    })?
                    .token;
                crate::scrub::register(token.secret());
                Ok(token)
            }
            Identity::Cli(cli) => cli
                .token(scope)
                .await
                .map_err(|source| AuthError::AzureCli {
                    tenant: cli.tenant().map(str::to_string),
                    source,
                }),
        }
    }

    /// Who we are, for `--debug` and `adxconn auth` (never the secret or the token).
    pub fn describe(&self) -> String {
        match &self.identity {
            Identity::Static(_) => "the token in ADXCONN_ACCESS_TOKEN".into(),
            Identity::Entra {
                tenant,
                client_id,
                proof,
                ..
            } => format!("service principal `{client_id}` in tenant `{tenant}`, with {proof}"),
            Identity::Managed {
                client_id,
                endpoint,
                ..
            } => format!(
                "the {} managed identity, through {}",
                client_id
                    .as_deref()
                    .map_or("system-assigned".to_string(), |id| format!(
                        "user-assigned `{id}`"
                    )),
                match endpoint {
                    ManagedEndpoint::AppService => "IDENTITY_ENDPOINT (App Service, Functions)",
                    ManagedEndpoint::Imds => "the instance metadata service",
                }
            ),
            Identity::Cli(cli) => match cli.tenant() {
                Some(tenant) => format!("the Azure CLI's signed-in account, tenant `{tenant}`"),
                None => "the Azure CLI's signed-in account".into(),
            },
        }
    }
}

/// Entra ID's token URL for `tenant`: the audience a certificate assertion names.
fn token_url(authority: &Url, tenant: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/token",
        authority.as_str().trim_end_matches('/')
    )
}

/// A service principal proved by an assertion (certificate or federated token).
fn assertion_credential(
    tenant: &str,
    client_id: &str,
    assertion: assertion::Assertion,
    authority: &Url,
    http: &reqwest::Client,
    trace: Trace,
) -> Result<Arc<dyn TokenCredential>, AuthError> {
    let credential: Arc<dyn TokenCredential> = ClientAssertionCredential::new(
        tenant.to_string(),
        client_id.to_string(),
        assertion,
        Some(ClientAssertionCredentialOptions {
            client_options: client_options(http, authority, trace),
        }),
    )
    .map_err(|source| AuthError::Setup {
        source: Box::new(source),
    })?;
    Ok(credential)
}

/// A token from a service-principal credential, its failure naming the tenant and client.
async fn entra_token(
    credential: &dyn TokenCredential,
    tenant: &str,
    client_id: &str,
    scope: &str,
    auxiliary: bool,
) -> Result<Secret, AuthError> {
    let token = credential
        .get_token(&[scope], None)
        .await
        .map(|access| access.token)
        .map_err(|source| {
            if let Some(refused) = refusal(&source) {
                return AuthError::Refused {
                    tenant: tenant.to_string(),
                    problem: refused.to_string(),
                };
            }
            match unreachable(&source) {
                Some(endpoint) => AuthError::Unreachable {
                    endpoint,
                    source: Box::new(source),
                },
                None => AuthError::Token {
                    tenant: tenant.to_string(),
                    client_id: client_id.to_string(),
                    auxiliary,
                    source: Box::new(source),
                },
            }
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

/// The endpoint a credential could not reach (no answer: DNS, connect, TLS, a proxy), if that
/// is what its error comes down to; an answer, even a refusal, is not this.
fn unreachable(error: &azure_core::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(TransportError::Http(http)) = cause.downcast_ref::<TransportError>() {
            return Some(match http.url() {
                Some(url) => format!("`{}`", crate::trace::without_query(url)),
                None => "the token endpoint".into(),
            });
        }
        source = cause.source();
    }
    None
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
