//! Everything a run needs to know before it talks to Azure: the endpoints of the chosen cloud,
//! the process environment adxconn reads, and the one HTTP client every request shares.

use std::path::{Path, PathBuf};

use url::Url;

use crate::auth::{AuthError, ServicePrincipal, Setting, SignIn, TokenFile, MAX_AUXILIARY_TOKENS};
use crate::cli::{Cloud, GlobalArgs};
use crate::error::{Error, InputError};

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
        "http" if crate::transport::is_loopback(&url) => Ok(url),
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

/// What the run signs in with, read from flags, the environment and files, and checked;
/// nothing is sent.
pub struct Credentials {
    pub sign_in: SignIn,
    /// `--aux-tenant`: tenants the service principal also signs in to.
    pub aux_tenants: Vec<String>,
    /// The client id and secret that sign in to `aux_tenants`.
    pub aux_client: Option<(String, String)>,
    /// `--aux-token-file`: ready-made tokens for other tenants.
    pub aux_tokens: Vec<TokenFile>,
}

/// Reads and checks every credential setting. Auxiliary token files are read first, so a bad
/// `--aux-token-file` is an input error (exit 2) whatever else is set.
pub fn credentials(global: &GlobalArgs, environment: &Environment) -> Result<Credentials, Error> {
    let aux_tenants: Vec<String> = global
        .aux_tenants
        .iter()
        .map(|tenant| tenant.trim())
        .filter(|tenant| !tenant.is_empty())
        .map(str::to_string)
        .collect();
    let total = aux_tenants.len() + global.aux_token_files.len();
    if total > MAX_AUXILIARY_TOKENS {
        return Err(InputError::new(
            "--aux-tenant/--aux-token-file",
            format!(
                "{total} auxiliary tokens were given; ARM accepts at most {MAX_AUXILIARY_TOKENS}"
            ),
        )
        .hint("a connection needs one per tenant that owns a source; drop the others")
        .into());
    }
    for tenant in &aux_tenants {
        check_tenant("--aux-tenant/ADXCONN_AUX_TENANTS", tenant)?;
    }
    let secret = client_secret(global, environment, !aux_tenants.is_empty())?;
    let mut aux_tokens = Vec::new();
    for path in &global.aux_token_files {
        let text = read_one_line(path, "--aux-token-file")?;
        aux_tokens.push(TokenFile::check(path, text).map_err(|error| match error {
            AuthError::TokenFile {
                path,
                problem,
                advice,
            } => {
                let error = InputError::new(
                    "--aux-token-file",
                    format!("`{}`: {problem}", path.display()),
                );
                match advice {
                    Some(advice) => error.hint(advice),
                    None => error,
                }
                .into()
            }
            other => Error::from(other),
        })?);
    }
    if let Some(client_id) = &global.client_id {
        check_client_id(client_id)?;
    }
    if let Some(tenant) = &global.tenant {
        // The value may come from the flag or from the variable: name both.
        check_tenant("--tenant/AZURE_TENANT_ID", tenant)?;
    }
    let sign_in = match (
        &environment.access_token,
        &global.tenant,
        &global.client_id,
        &secret,
    ) {
        (Some(token), ..) => SignIn::AccessToken(token.clone()),
        (None, Some(tenant), Some(client_id), Some(secret)) => {
            SignIn::ServicePrincipal(ServicePrincipal {
                tenant: tenant.clone(),
                client_id: client_id.clone(),
                secret: secret.clone(),
            })
        }
        (None, tenant, client_id, secret) => SignIn::Missing(
            [
                (tenant.is_none(), Setting::Tenant),
                (client_id.is_none(), Setting::ClientId),
                (secret.is_none(), Setting::ClientSecret),
            ]
            .into_iter()
            .filter_map(|(missing, setting)| missing.then_some(setting))
            .collect(),
        ),
    };
    // `--aux-tenant` signs the same app in elsewhere: its client id and secret, whichever way
    // the run itself signs in.
    let aux_client = match (&global.client_id, secret) {
        (Some(client_id), Some(secret)) if !aux_tenants.is_empty() => {
            Some((client_id.clone(), secret))
        }
        _ if !aux_tenants.is_empty() => {
            return Err(InputError::new(
                "--aux-tenant",
                "it needs the service principal (AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or --client-secret-file)",
            )
            .hint("with a ready-made token, pass the other tenant's token with --aux-token-file instead")
            .into())
        }
        _ => None,
    };
    Ok(Credentials {
        sign_in,
        aux_tenants,
        aux_client,
        aux_tokens,
    })
}

/// The service principal's client secret: `--client-secret-file` or `AZURE_CLIENT_SECRET`,
/// read once for the primary and every `--aux-tenant` credential (stdin cannot be read twice),
/// and only when a service principal is used at all.
fn client_secret(
    global: &GlobalArgs,
    environment: &Environment,
    for_aux_tenants: bool,
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
    let needed = environment.access_token.is_none() || for_aux_tenants;
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
    crate::names::check_tenant(tenant).map_err(|problem| {
        InputError::new(flag, problem).hint(
            "use the directory (tenant) id GUID, or a domain such as `contoso.onmicrosoft.com`",
        )
    })
}

fn check_client_id(client_id: &str) -> Result<(), InputError> {
    crate::names::check_guid(client_id).map_err(|problem| {
        InputError::new("--client-id", problem)
            .hint("use the application (client) id of the app registration")
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
