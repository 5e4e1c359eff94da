//! Credentials for ARM: a service principal with a client secret (through `azure_identity`), or
//! a ready-made token from `ADXCONN_ACCESS_TOKEN`.
//!
//! `Credential` is an enum, not a trait object: the set is closed, and it keeps `azure_identity`,
//! whose signatures have moved between releases, behind one `match`.

mod auxiliary;
pub mod claims;

pub use auxiliary::{Auxiliary, MAX_AUXILIARY_TOKENS};

use std::io::Read;
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
use crate::error::InputError;
use crate::settings::{Endpoints, Environment};

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
    pub fn hint(&self) -> Option<String> {
        match self {
            AuthError::Missing { .. } => Some(
                "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or --client-secret-file), \
                 or put a ready-made ARM token in ADXCONN_ACCESS_TOKEN"
                    .into(),
            ),
            AuthError::Setup { .. } => Some("AZURE_AUTHORITY_HOST must be an https:// URL".into()),
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
    credential
        .get_token(&[scope], None)
        .await
        .map(|access| access.token)
        .map_err(|source| AuthError::Token {
            tenant: tenant.to_string(),
            client_id: client_id.to_string(),
            auxiliary,
            source: Box::new(source),
        })
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
        let result = self.http.execute_request(request).await;
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
    match &global.client_secret_file {
        Some(path) if needed => read_one_line(path, "--client-secret-file").map(Some),
        Some(_) => Ok(None),
        None => Ok(environment.client_secret.clone()),
    }
}

/// Reads a file (or stdin for `-`) that holds one value; a trailing newline is fine.
fn read_one_line(path: &Path, flag: &str) -> Result<String, InputError> {
    let mut text = String::new();
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut file| file.read_to_string(&mut text).map(|_| ()))
    };
    result.map_err(|e| InputError::new(flag, format!("cannot read `{}`: {e}", path.display())))?;
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

/// A tenant is a GUID or a domain such as `contoso.onmicrosoft.com`.
fn check_tenant(flag: &str, tenant: &str) -> Result<(), InputError> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 256
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(InputError::new(
            flag,
            format!(
                "`{}` is not a tenant id or domain",
                crate::target::shorten(tenant)
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
