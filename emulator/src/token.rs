//! JWT-shaped access tokens: minted by the emulated token endpoint, verified
//! on every ARM request.
//!
//! Tokens are HS256 JWTs signed with a random per-instance key, so a token
//! from one emulator instance (or any real token) is rejected by another.
//! Claims follow Entra ID v1 ARM tokens: `aud`, `iss`, `iat`, `nbf`, `exp`,
//! `tid`, `oid`, `appid`, `sub`.

use ring::hmac;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::text::{b64url, b64url_decode, random_bytes, stable_guid};

/// ARM's audience, as Entra issues it for `https://management.azure.com/.default`.
pub(crate) const ARM_AUDIENCE: &str = "https://management.azure.com/";

/// Audiences ARM accepts.
const ARM_AUDIENCES: [&str; 4] = [
    "https://management.azure.com/",
    "https://management.azure.com",
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
];

/// The claims of an emulator token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub tid: String,
    pub oid: String,
    pub appid: String,
    pub sub: String,
}

impl Claims {
    /// Claims for `client_id` signed in to `tenant`, valid from `now` for
    /// `lifetime_secs` (negative for a token that is already expired).
    pub(crate) fn new(
        tenant: &str,
        client_id: &str,
        audience: &str,
        now: i64,
        lifetime_secs: i64,
    ) -> Claims {
        let oid = service_principal_object_id(tenant, client_id);
        Claims {
            aud: audience.to_owned(),
            iss: format!("https://sts.windows.net/{tenant}/"),
            iat: now.min(now + lifetime_secs),
            nbf: now.min(now + lifetime_secs),
            exp: now + lifetime_secs,
            tid: tenant.to_owned(),
            sub: oid.clone(),
            oid,
            appid: client_id.to_owned(),
        }
    }
}

/// The object id of an app's service principal in a tenant: stable, and
/// different per tenant like the real thing.
pub(crate) fn service_principal_object_id(tenant: &str, client_id: &str) -> String {
    stable_guid(&format!(
        "sp:{}:{}",
        tenant.to_ascii_lowercase(),
        client_id.to_ascii_lowercase()
    ))
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Not three base64url parts, or not JSON, or missing claims.
    Malformed,
    /// Well-formed but not signed by this instance.
    BadSignature,
    /// `exp` is in the past.
    Expired { exp: i64 },
    /// `nbf` is in the future.
    NotYetValid { nbf: i64 },
    /// Issued for another resource.
    WrongAudience { aud: String },
}

/// Signs and verifies tokens with the instance's key.
pub(crate) struct TokenSigner {
    key: hmac::Key,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(..)")
    }
}

impl TokenSigner {
    pub(crate) fn random() -> TokenSigner {
        TokenSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, &random_bytes::<32>()),
        }
    }

    pub(crate) fn mint(&self, claims: &Claims) -> String {
        let header = b64url(json!({"alg": "HS256", "typ": "JWT"}).to_string().as_bytes());
        let payload = b64url(serde_json::to_string(claims).unwrap_or_default().as_bytes());
        let signing_input = format!("{header}.{payload}");
        let signature = hmac::sign(&self.key, signing_input.as_bytes());
        format!("{signing_input}.{}", b64url(signature.as_ref()))
    }

    /// Checks signature, lifetime (against `now`, Unix seconds) and audience.
    pub(crate) fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: serde_json::Value = b64url_decode(header)
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or(TokenError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(TokenError::BadSignature);
        }
        let signature = b64url_decode(signature).ok_or(TokenError::Malformed)?;
        let (signing_input, _) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        hmac::verify(&self.key, signing_input.as_bytes(), &signature)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: Claims = b64url_decode(payload)
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or(TokenError::Malformed)?;
        if claims.exp <= now {
            return Err(TokenError::Expired { exp: claims.exp });
        }
        // Entra allows a few minutes of clock skew on `nbf`; so does ARM.
        if claims.nbf > now + 300 {
            return Err(TokenError::NotYetValid { nbf: claims.nbf });
        }
        if !ARM_AUDIENCES.contains(&claims.aud.as_str()) {
            return Err(TokenError::WrongAudience { aud: claims.aud });
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000;

    #[test]
    fn round_trip() {
        let signer = TokenSigner::random();
        let claims = Claims::new("t1", "app1", ARM_AUDIENCE, NOW, 3599);
        let token = signer.mint(&claims);
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(signer.verify(&token, NOW + 10), Ok(claims.clone()));
        assert_eq!(claims.iss, "https://sts.windows.net/t1/");
        assert_eq!(claims.exp, NOW + 3599);
    }

    #[test]
    fn rejects_other_keys_and_tampering() {
        let signer = TokenSigner::random();
        let token = TokenSigner::random().mint(&Claims::new("t", "a", ARM_AUDIENCE, NOW, 60));
        assert_eq!(signer.verify(&token, NOW), Err(TokenError::BadSignature));

        let token = signer.mint(&Claims::new("t", "a", ARM_AUDIENCE, NOW, 60));
        let forged_payload = b64url(
            serde_json::to_string(&Claims::new("t", "admin", ARM_AUDIENCE, NOW, 60))
                .unwrap_or_default()
                .as_bytes(),
        );
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(signer.verify(&forged, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn rejects_garbage() {
        let signer = TokenSigner::random();
        for bad in ["", "abc", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.e30"] {
            assert!(
                matches!(
                    signer.verify(bad, NOW),
                    Err(TokenError::Malformed | TokenError::BadSignature)
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn checks_lifetime_and_audience() {
        let signer = TokenSigner::random();
        let expired = signer.mint(&Claims::new("t", "a", ARM_AUDIENCE, NOW, -1));
        assert_eq!(
            signer.verify(&expired, NOW),
            Err(TokenError::Expired { exp: NOW - 1 })
        );
        let graph = signer.mint(&Claims::new(
            "t",
            "a",
            "https://graph.microsoft.com",
            NOW,
            60,
        ));
        assert!(matches!(
            signer.verify(&graph, NOW),
            Err(TokenError::WrongAudience { .. })
        ));
    }

    #[test]
    fn object_ids_differ_per_tenant() {
        assert_ne!(
            service_principal_object_id("t1", "a"),
            service_principal_object_id("t2", "a")
        );
        assert_eq!(
            service_principal_object_id("T1", "A"),
            service_principal_object_id("t1", "a")
        );
    }
}
