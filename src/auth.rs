//! Credentials for ARM: a service principal with a client secret (through `azure_identity`), or
//! a ready-made token from `ADXCONN_ACCESS_TOKEN`.
//!
//! `Credential` is an enum, not a trait object: the set is closed, and it keeps `azure_identity`,
//! whose signatures have moved between releases, behind one `match`.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

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
    #[error("could not get a token for client `{client_id}` in tenant `{tenant}`")]
    Token {
        tenant: String,
        client_id: String,
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
                tenant, client_id, source,
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
    pub fn configure(
        global: &GlobalArgs,
        environment: &Environment,
        endpoints: &Endpoints,
        http: &reqwest::Client,
    ) -> Result<Credential, crate::error::Error> {
        if let Some(token) = &environment.access_token {
            return Ok(Credential::AccessToken(Secret::new(
                token.trim().to_string(),
            )));
        }
        let secret = match &global.client_secret_file {
            Some(path) => Some(read_secret_file(path)?),
            None => environment.client_secret.clone(),
        };
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
        check_tenant(tenant)?;
        check_client_id(client_id)?;
        let credential = ClientSecretCredential::new(
            tenant,
            client_id.clone(),
            Secret::new(secret),
            Some(ClientSecretCredentialOptions {
                client_options: client_options(http, endpoints),
            }),
        )
        .map_err(|source| AuthError::Setup {
            source: Box::new(source),
        })?;
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
            } => credential
                .get_token(&[scope], None)
                .await
                .map(|access| access.token)
                .map_err(|source| AuthError::Token {
                    tenant: tenant.clone(),
                    client_id: client_id.clone(),
                    source: Box::new(source),
                }),
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

/// One transport for every credential, and retries bounded explicitly: with azure_core's
/// defaults a dead token endpoint takes over 80 s to fail.
fn client_options(http: &reqwest::Client, endpoints: &Endpoints) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = endpoints
        .authority
        .as_str()
        .trim_end_matches('/')
        .to_string();
    ClientOptions {
        transport: Some(Transport::new(Arc::new(http.clone()))),
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

fn read_secret_file(path: &Path) -> Result<String, InputError> {
    let flag = "--client-secret-file";
    let mut text = String::new();
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut file| file.read_to_string(&mut text).map(|_| ()))
    };
    result.map_err(|e| InputError::new(flag, format!("cannot read `{}`: {e}", path.display())))?;
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(InputError::new(
            flag,
            format!("`{}` is empty", path.display()),
        ));
    }
    if secret.contains(['\r', '\n']) {
        return Err(
            InputError::new(flag, format!("`{}` has more than one line", path.display()))
                .hint("the file must hold only the secret"),
        );
    }
    Ok(secret.to_string())
}

/// A tenant is a GUID or a domain such as `contoso.onmicrosoft.com`.
fn check_tenant(tenant: &str) -> Result<(), InputError> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 256
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(InputError::new(
            "--tenant",
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
