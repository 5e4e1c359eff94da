//! Auxiliary tokens: access to a connection's source in another tenant.
//!
//! ARM checks a write that references a resource in another tenant against the tokens in
//! `x-ms-authorization-auxiliary` (`Bearer t1, Bearer t2`, at most 3). They come from the same
//! multi-tenant app signed in to each `--aux-tenant`, or ready-made from `--aux-token-file`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use azure_core::credentials::Secret;
use azure_identity::ClientSecretCredential;

use super::claims::{self, Claims};
use super::{
    check_client_id, check_tenant, read_one_line, secret_credential, secret_token, AuthError,
};
use crate::arm::Trace;
use crate::cli::GlobalArgs;
use crate::error::InputError;
use crate::settings::Endpoints;

/// ARM's limit on `x-ms-authorization-auxiliary` entries.
pub const MAX_AUXILIARY_TOKENS: usize = 3;

/// Tokens for the tenants that own a connection's source (Event Hub, IoT Hub, storage), sent
/// in `x-ms-authorization-auxiliary` so ARM can check access to that linked resource.
pub struct Auxiliary {
    sources: Vec<AuxiliarySource>,
}

enum AuxiliarySource {
    /// The same multi-tenant app, signed in to another tenant.
    Tenant {
        tenant: String,
        client_id: String,
        credential: Arc<ClientSecretCredential>,
    },
    /// A token obtained elsewhere (another account in the other tenant).
    File {
        path: PathBuf,
        token: Secret,
        claims: Claims,
    },
}

impl Auxiliary {
    /// Reads `--aux-tenant` / `--aux-token-file`; `None` when neither was given. Every check
    /// happens here, before any request: the count, each file's claims, expiry and audience.
    pub fn configure(
        global: &GlobalArgs,
        secret: Option<&str>,
        endpoints: &Endpoints,
        http: &reqwest::Client,
        trace: Trace,
    ) -> Result<Option<Auxiliary>, crate::error::Error> {
        let tenants: Vec<&String> = global
            .aux_tenants
            .iter()
            .filter(|t| !t.trim().is_empty())
            .collect();
        let total = tenants.len() + global.aux_token_files.len();
        if total == 0 {
            return Ok(None);
        }
        if total > MAX_AUXILIARY_TOKENS {
            return Err(InputError::new(
                "--aux-tenant/--aux-token-file",
                format!("{total} auxiliary tokens were given; ARM accepts at most {MAX_AUXILIARY_TOKENS}"),
            )
            .hint("a connection needs one per tenant that owns a source; drop the others")
            .into());
        }
        let mut sources = Vec::new();
        for path in &global.aux_token_files {
            sources.push(read_token_file(path)?);
        }
        if !tenants.is_empty() {
            let (Some(client_id), Some(secret)) = (&global.client_id, secret) else {
                return Err(InputError::new(
                    "--aux-tenant",
                    "it needs the service principal (AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or --client-secret-file)",
                )
                .hint("with a ready-made token, pass the other tenant's token with --aux-token-file instead")
                .into());
            };
            check_client_id(client_id)?;
            for tenant in tenants {
                let tenant = tenant.trim();
                check_tenant("--aux-tenant", tenant)?;
                sources.push(AuxiliarySource::Tenant {
                    tenant: tenant.to_string(),
                    client_id: client_id.clone(),
                    credential: secret_credential(
                        tenant, client_id, secret, endpoints, http, trace,
                    )?,
                });
            }
        }
        Ok(Some(Auxiliary { sources }))
    }

    /// `Bearer t1, Bearer t2`: the header value, fetching tenant tokens (cached) as needed.
    pub async fn header(&self, scope: &str) -> Result<Secret, AuthError> {
        let mut entries = Vec::with_capacity(self.sources.len());
        for source in &self.sources {
            let token = match source {
                AuxiliarySource::File { token, .. } => token.clone(),
                AuxiliarySource::Tenant {
                    tenant,
                    client_id,
                    credential,
                } => secret_token(credential, tenant, client_id, scope, true).await?,
            };
            entries.push(format!("Bearer {}", token.secret()));
        }
        Ok(Secret::new(entries.join(", ")))
    }

    /// The header as `--dry-run` shows it: one `Bearer [redacted]` entry per token.
    pub fn redacted_header(&self) -> String {
        vec!["Bearer [redacted]"; self.sources.len()].join(", ")
    }

    /// One line per auxiliary token for `--debug`: whose it is, never the token.
    pub fn describe(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|source| match source {
                AuxiliarySource::Tenant {
                    tenant, client_id, ..
                } => format!("auxiliary: service principal `{client_id}` in tenant `{tenant}`"),
                AuxiliarySource::File { path, claims, .. } => {
                    format!(
                        "auxiliary: token from `{}` ({})",
                        path.display(),
                        claims.describe()
                    )
                }
            })
            .collect()
    }
}

/// A ready-made token: one line, a JWT, for ARM, not expired (with a minute of slack, since it
/// must survive the request and its polls).
fn read_token_file(path: &Path) -> Result<AuxiliarySource, InputError> {
    let flag = "--aux-token-file";
    let text = read_one_line(path, flag)?;
    crate::scrub::register(&text);
    let claims = Claims::decode(&text).map_err(|problem| {
        InputError::new(flag, format!("`{}`: {problem}", path.display()))
            .hint("the file must hold an access token, e.g. from `az account get-access-token --tenant T --query accessToken -o tsv`")
    })?;
    match &claims.audience {
        Some(audience) if claims::is_arm_audience(audience) => {}
        other => {
            return Err(InputError::new(
                flag,
                format!(
                    "`{}` holds a token for `{}`, not for Azure Resource Manager",
                    path.display(),
                    other.as_deref().unwrap_or("no audience")
                ),
            )
            .hint("get a token for ARM: `az account get-access-token --resource https://management.azure.com/`"));
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match claims.expires {
        Some(expires) if expires > now + 60 => {}
        Some(_) => {
            return Err(InputError::new(
                flag,
                format!(
                    "`{}` holds a token that has expired ({})",
                    path.display(),
                    claims.describe()
                ),
            )
            .hint("get a fresh token; ARM tokens last about an hour"));
        }
        None => {
            return Err(InputError::new(
                flag,
                format!(
                    "`{}` holds a token without an expiry (`exp`)",
                    path.display()
                ),
            ));
        }
    }
    Ok(AuxiliarySource::File {
        path: path.to_path_buf(),
        token: Secret::new(text),
        claims,
    })
}
