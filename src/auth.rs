//! Credentials for ARM: a service principal with a client secret (through `azure_identity`), or
//! a ready-made token from `ADXCONN_ACCESS_TOKEN`.
//!
//! `Credential` is an enum, not a trait object: the set is closed, and it keeps `azure_identity`,
//! whose signatures have moved between releases, behind one `match`.

mod auxiliary;
pub mod claims;

pub use auxiliary::{Auxiliary, MAX_AUXILIARY_TOKENS};

use std::path::Path;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{
    AsyncRawResponse, ClientOptions, ExponentialRetryOptions, HttpClient, Request, RetryOptions,
    Transport,
};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

use crate::arm::Trace;
use crate::cli::GlobalArgs;
use crate::error::{ExitStatus, InputError};
use crate::settings::{Endpoints, Environment};
use crate::transport::{self, TransportError};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Neither a token nor a complete service principal was configured.
    #[error("no credentials: {} not set", .missing.join(", "))]
    Missing { missing: Vec<&'static str> },
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
    #[error("could not get a token for client `{client_id}` in tenant `{tenant}`{}", if *.auxiliary { " (an --aux-tenant)" } else { "" })]
    Token {
        tenant: String,
        client_id: String,
        /// Whether this was for an auxiliary (other-tenant) token.
        auxiliary: bool,
        #[source]
        source: Box<azure_core::Error>,
    },
}

impl AuthError {
    /// A refused answer is not a sign-in problem: exit 1, like any answer ARM never gives.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            AuthError::Refused { .. } => ExitStatus::Failure,
            _ => ExitStatus::Auth,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            AuthError::Missing { .. } => Some(
                "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or --client-secret-file), \
                 or put a ready-made ARM token in ADXCONN_ACCESS_TOKEN"
                    .into(),
            ),
            AuthError::Setup { .. } => Some("AZURE_AUTHORITY_HOST must be an https:// URL".into()),
            AuthError::Refused { .. } => Some(
                "this answer did not come from Entra ID: check AZURE_AUTHORITY_HOST, --cloud and HTTPS_PROXY"
                    .into(),
            ),
            AuthError::Token {
                tenant,
                client_id,
                auxiliary: true,
                ..
            } => Some(format!(
                "the app `{client_id}` must exist in tenant `{tenant}` too (a multi-tenant app registration, consented there); \
                 otherwise get a token there another way and pass it with --aux-token-file"
            )),
            AuthError::Token {
                tenant,
                client_id,
                source,
                ..
            } => {
                let message = source.to_string();
                Some(if message.contains("AADSTS7000215") {
                    "the client secret is wrong or has expired: check AZURE_CLIENT_SECRET / --client-secret-file".into()
                } else if message.contains("AADSTS700016") {
                    format!("application `{client_id}` is not known in tenant `{tenant}`: check AZURE_CLIENT_ID and AZURE_TENANT_ID")
                } else if message.contains("AADSTS90002") || message.contains("AADSTS900023") {
                    format!("tenant `{tenant}` was not found: check AZURE_TENANT_ID / --tenant")
                } else {
                    "check the network path to the authority host (HTTPS_PROXY, SSL_CERT_FILE) and the tenant and client ids".into()
                })
            }
        }
    }
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
    /// Picks the credential: `ADXCONN_ACCESS_TOKEN` if set, else the service principal.
    ///
    /// Reading `--client-secret-file` can fail as input (exit 2); anything missing is an
    /// authentication problem (exit 3). Nothing is sent here.
    /// `secret` is the service principal's client secret, from `client_secret`.
    pub fn configure(
        global: &GlobalArgs,
        environment: &Environment,
        secret: Option<&str>,
        endpoints: &Endpoints,
        http: &reqwest::Client,
        trace: Trace,
    ) -> Result<Credential, crate::error::Error> {
        if let Some(token) = &environment.access_token {
            crate::scrub::register(token);
            return Ok(Credential::AccessToken(Secret::new(
                token.trim().to_string(),
            )));
        }
        let mut missing = Vec::new();
        if global.tenant.is_none() {
            missing.push("AZURE_TENANT_ID (--tenant)");
        }
        if global.client_id.is_none() {
            missing.push("AZURE_CLIENT_ID (--client-id)");
        }
        if secret.is_none() {
            missing.push("AZURE_CLIENT_SECRET (--client-secret-file)");
        }
        let (Some(tenant), Some(client_id), Some(secret)) =
            (&global.tenant, &global.client_id, secret)
        else {
            return Err(AuthError::Missing { missing }.into());
        };
        check_tenant("--tenant", tenant)?;
        check_client_id(client_id)?;
        let credential = secret_credential(tenant, client_id, secret, endpoints, http, trace)?;
        Ok(Credential::ServicePrincipal {
            tenant: tenant.clone(),
            client_id: client_id.clone(),
            credential,
        })
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
    endpoints: &Endpoints,
    http: &reqwest::Client,
    trace: Trace,
) -> Result<Arc<ClientSecretCredential>, AuthError> {
    ClientSecretCredential::new(
        tenant,
        client_id.to_string(),
        Secret::new(secret.to_string()),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(http, endpoints, trace),
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
fn client_options(http: &reqwest::Client, endpoints: &Endpoints, trace: Trace) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = endpoints
        .authority
        .as_str()
        .trim_end_matches('/')
        .to_string();
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

/// The service principal's client secret: `--client-secret-file` or `AZURE_CLIENT_SECRET`,
/// read once for the primary and every `--aux-tenant` credential (stdin cannot be read twice),
/// and only when a service principal is used at all.
pub fn client_secret(
    global: &GlobalArgs,
    environment: &Environment,
) -> Result<Option<String>, InputError> {
    let from_stdin = global
        .client_secret_file
        .iter()
        .chain(&global.aux_token_files)
        .filter(|path| path.as_os_str() == "-")
        .count();
    if from_stdin > 1 {
        return Err(InputError::new(
            "--client-secret-file/--aux-token-file",
            "more than one of them reads stdin (`-`)",
        )
        .hint("stdin can be read once: put the others in files"));
    }
    let needed = environment.access_token.is_none()
        || global
            .aux_tenants
            .iter()
            .any(|tenant| !tenant.trim().is_empty());
    let secret = match &global.client_secret_file {
        Some(path) if needed => Some(read_one_line(path, "--client-secret-file")?),
        Some(_) => None,
        None => environment.client_secret.clone(),
    };
    if let Some(secret) = &secret {
        crate::scrub::register(secret);
    }
    Ok(secret)
}

/// Reads a file (or stdin for `-`) that holds one value; a trailing newline is fine.
/// At most `MAX_SECRET_FILE` bytes are read: a secret or token is a few KB, and `/dev/zero`
/// must not grow the process until it is killed.
fn read_one_line(path: &Path, flag: &str) -> Result<String, InputError> {
    let bytes = crate::text::read_bounded(path, MAX_SECRET_FILE).map_err(|e| {
        InputError::new(flag, format!("cannot read `{}`: {e}", path.display()))
            .hint("the file must hold only the secret or token (a few KB at most), on one line")
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| InputError::new(flag, format!("`{}` is not UTF-8 text", path.display())))?;
    let value = text.trim_end_matches(['\r', '\n']);
    if value.trim().is_empty() {
        return Err(InputError::new(
            flag,
            format!("`{}` is empty", path.display()),
        ));
    }
    if value.contains(['\r', '\n']) {
        return Err(
            InputError::new(flag, format!("`{}` has more than one line", path.display()))
                .hint("the file must hold only the value"),
        );
    }
    Ok(value.trim().to_string())
}

/// The most a secret or token file may hold.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// A tenant is a GUID or a domain such as `contoso.onmicrosoft.com`: labels of letters, digits
/// and `-`, so that `.`, `..` or an empty label can never change the token endpoint's path.
fn check_tenant(flag: &str, tenant: &str) -> Result<(), InputError> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 256
        && tenant.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(InputError::new(
            flag,
            format!(
                "`{}` is not a tenant id or domain",
                crate::text::shorten(tenant)
            ),
        )
        .hint("use the directory (tenant) id GUID, or a domain such as `contoso.onmicrosoft.com`"))
    }
}

fn check_client_id(client_id: &str) -> Result<(), InputError> {
    crate::target::check_guid(client_id).map_err(|problem| {
        InputError::new("--client-id", problem)
            .hint("use the application (client) id of the app registration")
    })
}
