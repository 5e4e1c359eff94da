//! The emulator as the OpenID Connect issuer of federated tokens (workload
//! identity federation): what GitHub Actions, an AKS cluster or any other
//! identity provider would sign, signed here instead with one ES256 key made
//! at start, so tests can mint tokens for any issuer and the token endpoint
//! can verify them without fetching anyone's keys.

use std::io;

use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair as _, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::{json, Map, Value};

use crate::jwt::{encode, Jws};
use crate::text::{b64url, new_guid};

/// Why a federated token's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureError {
    /// Signed with another algorithm or key id: no key of the issuer fits.
    KeyNotFound { kid: String },
    /// The key fits but the signature does not verify.
    Invalid { kid: String },
}

/// The instance's ES256 signing key.
pub(crate) struct FederatedIssuer {
    key: EcdsaKeyPair,
    /// `kid` of the tokens' header: a digest of the public key.
    kid: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for FederatedIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederatedIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl FederatedIssuer {
    /// A fresh P-256 key.
    pub(crate) fn generate() -> io::Result<FederatedIssuer> {
        let rng = SystemRandom::new();
        fn failed(e: impl std::fmt::Display) -> io::Error {
            io::Error::other(format!(
                "generating the emulator's federated-token key: {e}"
            ))
        }
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(failed)?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(failed)?;
        let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key().as_ref());
        let kid = b64url(&digest.as_ref()[..16]);
        Ok(FederatedIssuer { key, kid, rng })
    }

    /// A token from `issuer` for `subject` and `audience`, valid from now for
    /// `lifetime_secs` (negative for one that has already expired), with
    /// `extra` claims (e.g. GitHub's `repository`) added.
    pub(crate) fn mint(
        &self,
        issuer: &str,
        subject: &str,
        audience: &str,
        now: i64,
        lifetime_secs: i64,
        extra: Map<String, Value>,
    ) -> String {
        let exp = now.saturating_add(lifetime_secs);
        let issued = now.min(exp);
        let mut claims = json!({
            "iss": issuer,
            "sub": subject,
            "aud": audience,
            "iat": issued,
            "nbf": issued,
            "exp": exp,
            "jti": new_guid(),
        });
        if let Value::Object(map) = &mut claims {
            map.extend(extra);
        }
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        encode(&header, &claims, |input| {
            // Signing fails only when the system RNG does, which start-up
            // (key generation) has already shown it does not.
            self.key
                .sign(&self.rng, input)
                .map(|s| s.as_ref().to_vec())
                .unwrap_or_default()
        })
    }

    /// Checks that this key signed `jws`.
    pub(crate) fn verify(&self, jws: &Jws) -> Result<(), SignatureError> {
        let kid = jws.header_str("kid").unwrap_or_default().to_owned();
        if jws.header_str("alg") != Some("ES256") || (!kid.is_empty() && kid != self.kid) {
            return Err(SignatureError::KeyNotFound { kid });
        }
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, self.key.public_key().as_ref())
            .verify(jws.signing_input.as_bytes(), &jws.signature)
            .map_err(|_| SignatureError::Invalid { kid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000;

    fn issuer() -> FederatedIssuer {
        FederatedIssuer::generate().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn mints_what_it_verifies() {
        let issuer = issuer();
        let token = issuer.mint("https://i", "s", "a", NOW, 300, Map::new());
        let jws = Jws::parse(&token).unwrap_or_else(|| panic!("{token}"));
        assert_eq!(issuer.verify(&jws), Ok(()));
        assert_eq!(jws.claim_str("iss"), Some("https://i"));
        assert_eq!(jws.claim_time("exp"), Some(NOW + 300));
        assert_eq!(jws.claim_time("nbf"), Some(NOW));

        let expired = Jws::parse(&issuer.mint("i", "s", "a", NOW, -60, Map::new()));
        assert_eq!(expired.and_then(|j| j.claim_time("nbf")), Some(NOW - 60));
    }

    #[test]
    fn refuses_other_keys_and_tampering() {
        let (ours, theirs) = (issuer(), issuer());
        let foreign = Jws::parse(&theirs.mint("i", "s", "a", NOW, 60, Map::new()));
        assert!(matches!(
            foreign.map(|j| ours.verify(&j)),
            Some(Err(SignatureError::KeyNotFound { .. }))
        ));

        let mut tampered = Jws::parse(&ours.mint("i", "s", "a", NOW, 60, Map::new()))
            .unwrap_or_else(|| panic!("parse"));
        tampered.signing_input.push('x');
        assert!(matches!(
            ours.verify(&tampered),
            Err(SignatureError::Invalid { .. })
        ));
    }
}
