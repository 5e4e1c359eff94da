//! Auxiliary tokens: access to a connection's source in another tenant.
//!
//! ARM checks a write that references a resource in another tenant against the tokens in
//! `x-ms-authorization-auxiliary` (`Bearer t1, Bearer t2`, at most 3). They come from the same
//! identity signed in to each `--aux-tenant` (a multi-tenant app with its secret, certificate or
//! federated token, or the Azure CLI's account), or ready-made from `--aux-token-file`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use azure_core::credentials::Secret;

use url::Url;

use super::claims::{self, Claims};
use super::{AuthError, Credential, SignIn};
use crate::trace::Trace;

/// ARM's limit on `x-ms-authorization-auxiliary` entries.
pub const MAX_AUXILIARY_TOKENS: usize = 3;

/// Tokens for the tenants that own a connection's source (Event Hub, IoT Hub, storage), sent
/// in `x-ms-authorization-auxiliary` so ARM can check access to that linked resource.
pub struct Auxiliary {
    sources: Vec<AuxiliarySource>,
}

enum AuxiliarySource {
    /// The run's own identity, signed in to another tenant.
    Tenant {
        tenant: String,
        credential: Arc<Credential>,
    },
    /// A token obtained elsewhere (another account in the other tenant).
    File(TokenFile),
}

impl AuxiliarySource {
    async fn token(&self, scope: &str) -> Result<Secret, AuthError> {
        match self {
            AuxiliarySource::File(file) => Ok(file.token.clone()),
            AuxiliarySource::Tenant { credential, .. } => credential.token_as(scope, true).await,
        }
    }
}

/// A ready-made ARM token for another tenant, read from a file and checked.
pub struct TokenFile {
    path: PathBuf,
    token: Secret,
    claims: Claims,
}

impl Auxiliary {
    /// The auxiliary sources: the run's identity (`primary`) signed in to each of `tenants`,
    /// and the ready-made `tokens`; `None` when there are none. Every check happens here,
    /// before any request (the caller has checked the count against `MAX_AUXILIARY_TOKENS`).
    pub fn configure(
        tenants: &[String],
        tokens: Vec<TokenFile>,
        primary: &SignIn,
        authority: &Url,
        http: &reqwest::Client,
        trace: Trace,
    ) -> Result<Option<Auxiliary>, AuthError> {
        if tenants.is_empty() && tokens.is_empty() {
            return Ok(None);
        }
        let mut sources: Vec<AuxiliarySource> =
            tokens.into_iter().map(AuxiliarySource::File).collect();
        for tenant in tenants {
            let Some(sign_in) = primary.in_tenant(tenant) else {
                return Err(AuthError::AuxiliaryUnsupported {
                    method: primary.method().as_str(),
                });
            };
            sources.push(AuxiliarySource::Tenant {
                tenant: tenant.clone(),
                credential: Arc::new(Credential::configure(&sign_in, authority, http, trace)?),
            });
        }
        Ok(Some(Auxiliary { sources }))
    }

    /// `Bearer t1, Bearer t2`: the header value, fetching tenant tokens (cached) as needed.
    pub async fn header(&self, scope: &str) -> Result<Secret, AuthError> {
        let mut entries = Vec::with_capacity(self.sources.len());
        for source in &self.sources {
            entries.push(format!("Bearer {}", source.token(scope).await?.secret()));
        }
        Ok(Secret::new(entries.join(", ")))
    }

    /// How many auxiliary credentials there are.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether there are none (never, once configured).
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The `index`th credential's token (cached by the credential), `None` past the last: what
    /// signs a read of a source in that credential's tenant.
    pub async fn token(&self, index: usize, scope: &str) -> Result<Option<Secret>, AuthError> {
        match self.sources.get(index) {
            Some(source) => source.token(scope).await.map(Some),
            None => Ok(None),
        }
    }

    /// Who the `index`th credential signs in as, for evidence and messages: its tenant, or the
    /// file its token came from (with that token's tenant).
    pub fn label(&self, index: usize) -> Option<String> {
        Some(match self.sources.get(index)? {
            AuxiliarySource::Tenant { tenant, .. } => format!("auxiliary tenant `{tenant}`"),
            AuxiliarySource::File(file) => match &file.claims.tenant {
                Some(tenant) => {
                    format!("the token in `{}` (tenant `{tenant}`)", file.path.display())
                }
                None => format!("the token in `{}`", file.path.display()),
            },
        })
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
                AuxiliarySource::Tenant { credential, .. } => {
                    format!("auxiliary: {}", credential.describe())
                }
                AuxiliarySource::File(file) => {
                    format!(
                        "auxiliary: token from `{}` ({})",
                        file.path.display(),
                        file.claims.describe()
                    )
                }
            })
            .collect()
    }
}

impl TokenFile {
    /// Checks the token read from `path`: a JWT, for ARM, not expired (with a minute of slack,
    /// since it must survive the request and its polls).
    pub fn check(path: &Path, text: String) -> Result<TokenFile, AuthError> {
        crate::scrub::register(&text);
        let refused = |problem: String, advice: &str| AuthError::TokenFile {
            path: path.to_path_buf(),
            problem,
            advice: Some(advice.to_string()),
        };
        let claims = Claims::decode(&text).map_err(|problem| {
            refused(
                problem.to_string(),
                "the file must hold an access token, e.g. from `az account get-access-token --tenant T --query accessToken -o tsv`",
            )
        })?;
        match &claims.audience {
            Some(audience) if claims::is_arm_audience(audience) => {}
            other => {
                return Err(refused(
                    format!(
                        "it holds a token for `{}`, not for Azure Resource Manager",
                        other.as_deref().unwrap_or("no audience")
                    ),
                    "get a token for ARM: `az account get-access-token --resource https://management.azure.com/`",
                ));
            }
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match claims.expires {
            Some(expires) if expires > now + 60 => {}
            Some(_) => {
                return Err(refused(
                    format!("it holds a token that has expired ({})", claims.describe()),
                    "get a fresh token; ARM tokens last about an hour",
                ));
            }
            None => {
                return Err(AuthError::TokenFile {
                    path: path.to_path_buf(),
                    problem: "it holds a token without an expiry (`exp`)".into(),
                    advice: None,
                });
            }
        }
        Ok(TokenFile {
            path: path.to_path_buf(),
            token: Secret::new(text),
            claims,
        })
    }
}
