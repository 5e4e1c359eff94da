//! Everything a run needs to know before it talks to Azure: the endpoints of the chosen cloud,
//! the process environment adxconn reads, and the one HTTP client every request shares.

use std::path::{Path, PathBuf};

use url::Url;

use std::sync::Arc;

use crate::auth::{
    AuthError, CertificateKey, Chosen, Federated, ManagedEndpoint, Method, SignIn, TokenFile,
    MAX_AUXILIARY_TOKENS,
};
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
    /// `AZURE_CLIENT_CERTIFICATE_PATH`: a PEM file with the certificate and its private key.
    pub client_certificate_path: Option<PathBuf>,
    /// `AZURE_CLIENT_CERTIFICATE_PASSWORD`: the password of a PKCS#12 certificate file.
    pub client_certificate_password: Option<String>,
    /// `AZURE_FEDERATED_TOKEN_FILE`: a federated token (AKS workload identity).
    pub federated_token_file: Option<PathBuf>,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: a GitHub Actions
    /// job with `id-token: write`.
    pub github_oidc: Option<(String, String)>,
    /// `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`: App Service's and Functions' managed identity.
    pub identity_endpoint: Option<(String, String)>,
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
            client_certificate_path: non_empty("AZURE_CLIENT_CERTIFICATE_PATH").map(PathBuf::from),
            client_certificate_password: non_empty("AZURE_CLIENT_CERTIFICATE_PASSWORD")
                .inspect(|password| crate::scrub::register(password)),
            federated_token_file: non_empty("AZURE_FEDERATED_TOKEN_FILE").map(PathBuf::from),
            github_oidc: non_empty("ACTIONS_ID_TOKEN_REQUEST_URL")
                .zip(non_empty("ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
            identity_endpoint: non_empty("IDENTITY_ENDPOINT").zip(non_empty("IDENTITY_HEADER")),
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
    pub chosen: Chosen,
    /// `--aux-tenant`: tenants the same identity also signs in to.
    pub aux_tenants: Vec<String>,
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
        check_client_id("--client-id/AZURE_CLIENT_ID", client_id)?;
    }
    if let Some(client_id) = &global.managed_identity_client_id {
        check_client_id("--managed-identity-client-id", client_id)?;
    }
    if let Some(tenant) = &global.tenant {
        // The value may come from the flag or from the variable: name both.
        check_tenant("--tenant/AZURE_TENANT_ID", tenant)?;
    }
    let sources = Sources {
        global,
        environment,
        secret: secret.as_deref(),
    };
    let chosen = match global.auth {
        Some(forced) => {
            let method = Method::from(forced);
            match sources.find(method, true)? {
                Found::Use(sign_in, why) => Chosen {
                    sign_in,
                    reason: format!("--auth {} ({why})", method.as_str()),
                },
                Found::Lacks(lacks) => {
                    return Err(AuthError::Missing {
                        tried: vec![format!("{}: {lacks}", method.as_str())],
                        advice: advice(Some(method), global),
                    }
                    .into())
                }
            }
        }
        None => {
            let mut tried = Vec::new();
            let mut chosen = None;
            for (step, method) in Method::ORDER.into_iter().enumerate() {
                match sources.find(method, false)? {
                    Found::Use(sign_in, why) => {
                        chosen = Some(Chosen {
                            sign_in,
                            reason: format!(
                                "step {} of the automatic order, {}: {why}",
                                step + 1,
                                method.as_str()
                            ),
                        });
                        break;
                    }
                    Found::Lacks(lacks) => tried.push(format!("{}: {lacks}", method.as_str())),
                }
            }
            chosen.ok_or_else(|| AuthError::Missing {
                tried,
                advice: advice(None, global),
            })?
        }
    };
    Ok(Credentials {
        chosen,
        aux_tenants,
        aux_tokens,
    })
}

/// What one sign-in source found in the settings.
enum Found {
    /// Usable, and why (what was set).
    Use(SignIn, String),
    /// Not configured: what is missing.
    Lacks(String),
}

/// The settings every source is read from.
struct Sources<'a> {
    global: &'a GlobalArgs,
    environment: &'a Environment,
    secret: Option<&'a str>,
}

impl Sources<'_> {
    /// Whether `method` is configured; `forced`: chosen by `--auth` (managed identity then
    /// trusts the instance metadata service without probing it).
    fn find(&self, method: Method, forced: bool) -> Result<Found, Error> {
        let global = self.global;
        let environment = self.environment;
        // The service principal's tenant and client id, or what is missing of them.
        let principal = match (&global.tenant, &global.client_id) {
            (Some(tenant), Some(client_id)) => Ok((tenant.clone(), client_id.clone())),
            (tenant, client_id) => Err([
                (tenant.is_none(), "AZURE_TENANT_ID"),
                (client_id.is_none(), "AZURE_CLIENT_ID"),
            ]
            .into_iter()
            .filter_map(|(missing, name)| missing.then_some(name))
            .collect::<Vec<_>>()
            .join(" and ")),
        };
        let needs_principal = |what: &str, why: String| -> Found {
            match &principal {
                Ok(_) => Found::Lacks(what.to_string()),
                Err(missing) => Found::Lacks(format!(
                    "{why}, and {missing} {}",
                    if missing.contains(" and ") {
                        "are not set"
                    } else {
                        "is not set"
                    }
                )),
            }
        };
        Ok(match method {
            Method::Token => match &environment.access_token {
                Some(token) => Found::Use(
                    SignIn::AccessToken(token.clone()),
                    "ADXCONN_ACCESS_TOKEN is set".into(),
                ),
                None => Found::Lacks("ADXCONN_ACCESS_TOKEN is not set".into()),
            },
            Method::Secret => match (self.secret, &principal) {
                (Some(secret), Ok((tenant, client_id))) => Found::Use(
                    SignIn::Secret {
                        tenant: tenant.clone(),
                        client_id: client_id.clone(),
                        secret: secret.to_string(),
                    },
                    if global.client_secret_file.is_some() {
                        "--client-secret-file is given".into()
                    } else {
                        "AZURE_CLIENT_SECRET is set".into()
                    },
                ),
                (Some(_), Err(_)) => needs_principal("", "a client secret is set".into()),
                (None, _) => needs_principal(
                    "AZURE_CLIENT_SECRET (or --client-secret-file) is not set",
                    "AZURE_CLIENT_SECRET (or --client-secret-file) is not set".into(),
                ),
            },
            Method::Certificate => match (&environment.client_certificate_path, &principal) {
                (Some(path), Ok((tenant, client_id))) => {
                    let password = environment.client_certificate_password.as_deref();
                    let key = CertificateKey::read(path, password).map_err(|problem| {
                        InputError::new("AZURE_CLIENT_CERTIFICATE_PATH", problem)
                    })?;
                    Found::Use(
                        SignIn::Certificate {
                            tenant: tenant.clone(),
                            client_id: client_id.clone(),
                            key: Arc::new(key),
                        },
                        "AZURE_CLIENT_CERTIFICATE_PATH is set".into(),
                    )
                }
                (Some(_), Err(_)) => {
                    needs_principal("", "AZURE_CLIENT_CERTIFICATE_PATH is set".into())
                }
                (None, _) => needs_principal(
                    "AZURE_CLIENT_CERTIFICATE_PATH is not set",
                    "AZURE_CLIENT_CERTIFICATE_PATH is not set".into(),
                ),
            },
            Method::Workload => {
                let federated = match (&environment.federated_token_file, &environment.github_oidc)
                {
                    (Some(path), _) => Some((
                        Federated::File(path.clone()),
                        "AZURE_FEDERATED_TOKEN_FILE is set",
                    )),
                    (None, Some((url, token))) => {
                        let url = checked_endpoint(url, "ACTIONS_ID_TOKEN_REQUEST_URL")?;
                        crate::scrub::register(token);
                        Some((
                            Federated::GitHubActions {
                                url,
                                request_token: azure_core::credentials::Secret::new(
                                    token.clone(),
                                ),
                            },
                            "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are set (GitHub Actions, id-token: write)",
                        ))
                    }
                    (None, None) => None,
                };
                match (federated, &principal) {
                    (Some((federated, why)), Ok((tenant, client_id))) => Found::Use(
                        SignIn::Workload {
                            tenant: tenant.clone(),
                            client_id: client_id.clone(),
                            federated,
                        },
                        why.into(),
                    ),
                    (Some((_, why)), Err(_)) => needs_principal("", why.to_string()),
                    (None, _) => Found::Lacks(
                        "AZURE_FEDERATED_TOKEN_FILE is not set and this is not a GitHub Actions job with `id-token: write`"
                            .into(),
                    ),
                }
            }
            Method::ManagedIdentity => {
                let client_id = global
                    .managed_identity_client_id
                    .clone()
                    .or_else(|| global.client_id.clone());
                if let Some((_, header)) = &environment.identity_endpoint {
                    crate::scrub::register(header);
                    Found::Use(
                        SignIn::ManagedIdentity {
                            client_id,
                            endpoint: ManagedEndpoint::AppService,
                        },
                        "IDENTITY_ENDPOINT and IDENTITY_HEADER are set (App Service, Functions)"
                            .into(),
                    )
                } else if forced {
                    Found::Use(
                        SignIn::ManagedIdentity {
                            client_id,
                            endpoint: ManagedEndpoint::Imds,
                        },
                        "the instance metadata service".into(),
                    )
                } else if imds_answers() {
                    Found::Use(
                        SignIn::ManagedIdentity {
                            client_id,
                            endpoint: ManagedEndpoint::Imds,
                        },
                        "the instance metadata service answered at 169.254.169.254".into(),
                    )
                } else {
                    Found::Lacks(
                        "IDENTITY_ENDPOINT is not set and no instance metadata service answered at 169.254.169.254"
                            .into(),
                    )
                }
            }
            Method::Cli => {
                if crate::auth::azure_cli_installed() {
                    Found::Use(
                        SignIn::AzureCli {
                            tenant: global.tenant.clone(),
                        },
                        "`az` is on PATH (its signed-in account)".into(),
                    )
                } else {
                    Found::Lacks("`az` is not on PATH".into())
                }
            }
        })
    }
}

/// How long the automatic choice waits for the instance metadata service, to connect and to
/// answer: it answers in milliseconds where it exists.
const IMDS_PROBE: std::time::Duration = std::time::Duration::from_millis(300);

/// Whether the instance metadata service of a VM, scale set or AKS node answers at its
/// link-local address. A connect alone proves nothing (a transparent proxy accepts anything),
/// so this asks for the instance's metadata and wants IMDS's own answer: 200 with `compute`.
fn imds_answers() -> bool {
    use std::io::{Read, Write};
    let address = std::net::SocketAddr::from(([169, 254, 169, 254], 80));
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&address, IMDS_PROBE) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(IMDS_PROBE));
    let _ = stream.set_write_timeout(Some(IMDS_PROBE));
    let request = "GET /metadata/instance/compute?api-version=2021-02-01 HTTP/1.1\r\n\
                   Host: 169.254.169.254\r\nMetadata: true\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.take(64 * 1024).read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    answer.starts_with("HTTP/1.1 200") && answer.contains("\"vmId\"")
}

/// The most likely fix when no credential was found.
fn advice(forced: Option<Method>, global: &GlobalArgs) -> String {
    match forced {
        Some(Method::Token) => "put a ready-made ARM token in ADXCONN_ACCESS_TOKEN".into(),
        Some(Method::Secret) => "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or --client-secret-file)".into(),
        Some(Method::Certificate) => "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_CERTIFICATE_PATH (a PEM file with the certificate and its private key)".into(),
        Some(Method::Workload) => "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE, or in GitHub Actions give the job `permissions: id-token: write`".into(),
        Some(Method::ManagedIdentity) => "run where a managed identity is assigned (a VM, App Service, Functions)".into(),
        Some(Method::Cli) => "install the Azure CLI and run `az login`".into(),
        None if global.tenant.is_some() && global.client_id.is_some() => {
            "the service principal needs a proof: AZURE_CLIENT_SECRET (or --client-secret-file), AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE".into()
        }
        None => "run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or put a ready-made ARM token in ADXCONN_ACCESS_TOKEN)".into(),
    }
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

fn check_client_id(flag: &str, client_id: &str) -> Result<(), InputError> {
    crate::names::check_guid(client_id).map_err(|problem| {
        InputError::new(flag, problem)
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
