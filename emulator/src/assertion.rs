//! Client assertions at the token endpoint (`client_assertion_type` =
//! [`JWT_BEARER`]), checked the way Entra checks them:
//!
//! - a certificate assertion (its header names the certificate: `x5t`,
//!   `x5t#S256` or `x5c`) must be RS256-signed with one of the app's
//!   registered certificates, say `iss` = `sub` = the client id and `aud` =
//!   the token endpoint's URL, and be within its validity (`nbf`, `exp`);
//! - any other is a federated token (workload identity), which must be
//!   signed by the emulator's issuer key ([`FederatedIssuer`]), be
//!   unexpired, and have an `iss`, `sub` and `aud` that one of the app's
//!   federated credentials names.
//!
//! Times are checked with a minute of clock skew either way.

use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

use crate::certificate::{hex_upper, rsa_public_key, sha1, sha256};
use crate::issuer::{FederatedIssuer, SignatureError};
use crate::jwt::{decode, Jws};
use crate::text::{from_unix, rfc3339};
use crate::world::App;

/// The only `client_assertion_type` Entra knows.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew allowed on `nbf` and `exp`, in seconds.
const SKEW_SECS: i64 = 60;

const CERTIFICATE_DOCS: &str =
    "Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .";

/// Why an assertion was refused: the parts of an Entra error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub status: u16,
    pub error: &'static str,
    pub number: u32,
    /// Starts with `AADSTS{number}: `.
    pub description: String,
}

fn invalid_client(number: u32, message: impl std::fmt::Display) -> Rejection {
    Rejection {
        status: 401,
        error: "invalid_client",
        number,
        description: format!("AADSTS{number}: {message}"),
    }
}

fn malformed(reason: &str) -> Rejection {
    Rejection {
        status: 400,
        error: "invalid_request",
        number: 50_027,
        description: format!("AADSTS50027: JWT token is invalid or malformed. [Reason - {reason}]"),
    }
}

/// Checks `assertion` as `app`'s credential. `token_urls` are the
/// spellings of this token endpoint's URL a certificate assertion's `aud`
/// may have (compared case-insensitively); `now` is Unix seconds.
pub(crate) fn check(
    issuer: &FederatedIssuer,
    app: &App,
    assertion: &str,
    token_urls: &[String],
    now: i64,
) -> Result<(), Rejection> {
    let jws = Jws::parse(assertion).ok_or_else(|| {
        malformed("The client assertion is not three base64url parts of which the first two are JSON objects.")
    })?;
    let names_certificate = ["x5t", "x5t#S256", "x5c"]
        .iter()
        .any(|name| jws.header.contains_key(*name));
    if names_certificate {
        certificate(app, &jws, token_urls, now)
    } else {
        federated(issuer, app, &jws, now)
    }
}

fn certificate(app: &App, jws: &Jws, token_urls: &[String], now: i64) -> Result<(), Rejection> {
    let sha1_thumbprint = jws.header_str("x5t").and_then(decode);
    let sha256_thumbprint = jws.header_str("x5t#S256").and_then(decode);
    let shown = sha1_thumbprint
        .as_deref()
        .or(sha256_thumbprint.as_deref())
        .map(hex_upper)
        .unwrap_or_default();
    let key_problem = |reason: &str| {
        invalid_client(
            700_027,
            format!(
                "Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of key used by client: '{shown}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{}'.]",
                app.client_id
            ),
        )
    };
    let registered = app.certificates.iter().find(|der| {
        sha256_thumbprint.as_deref() == Some(sha256(der).as_slice())
            || sha1_thumbprint.as_deref() == Some(sha1(der).as_slice())
    });
    let Some(der) = registered else {
        return Err(key_problem("The key was not found."));
    };
    let alg = jws.header_str("alg").unwrap_or_default();
    if alg != "RS256" {
        return Err(key_problem(&format!(
            "Key was found, but the algorithm '{alg}' cannot be used with it; sign with RS256."
        )));
    }
    let verified = rsa_public_key(der).is_some_and(|key| {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(jws.signing_input.as_bytes(), &jws.signature)
            .is_ok()
    });
    if !verified {
        return Err(key_problem(
            "Key was found, but use of the key to verify the signature failed.",
        ));
    }
    for claim in ["iss", "sub"] {
        let value = jws.claim_str(claim).unwrap_or_default();
        if !value.eq_ignore_ascii_case(&app.client_id) {
            return Err(invalid_client(
                700_021,
                format!(
                    "Client assertion application identifier doesn't match 'client_id' parameter. [Reason - The '{claim}' claim is '{value}', not the client id '{}'.] {CERTIFICATE_DOCS}",
                    app.client_id
                ),
            ));
        }
    }
    let audiences = jws.audiences();
    let expected = token_urls.first().map(String::as_str).unwrap_or_default();
    let matches = audiences
        .iter()
        .any(|aud| token_urls.iter().any(|url| url.eq_ignore_ascii_case(aud)));
    if !matches {
        return Err(invalid_client(
            700_023,
            format!(
                "Client assertion audience claim does not match Realm issuer. [Reason - The 'aud' claim is '{}', not the token endpoint '{expected}'.] {CERTIFICATE_DOCS}",
                audiences.join(",")
            ),
        ));
    }
    check_times(jws, now)
}

fn federated(issuer: &FederatedIssuer, app: &App, jws: &Jws, now: i64) -> Result<(), Rejection> {
    if let Err(e) = issuer.verify(jws) {
        let (reason, kid) = match e {
            SignatureError::KeyNotFound { kid } => ("The key was not found.", kid),
            SignatureError::Invalid { kid } => (
                "Key was found, but use of the key to verify the signature failed.",
                kid,
            ),
        };
        return Err(invalid_client(
            700_027,
            format!("Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of key used by client: '{kid}']"),
        ));
    }
    check_times(jws, now)?;
    let iss = jws.claim_str("iss").unwrap_or_default();
    let sub = jws.claim_str("sub").unwrap_or_default();
    let audiences = jws.audiences();
    let mut records = app.federated.iter().filter(|f| f.issuer == iss).peekable();
    if records.peek().is_none() {
        return Err(invalid_client(
            700_211,
            format!("No matching federated identity record found for presented assertion issuer '{iss}'. Please note that the matching is done using a case-sensitive comparison. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation"),
        ));
    }
    let matched = records
        .into_iter()
        .any(|f| f.subject == sub && audiences.contains(&f.audience.as_str()));
    if !matched {
        return Err(invalid_client(
            70_021,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{}'. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation",
                audiences.join(",")
            ),
        ));
    }
    Ok(())
}

/// `exp` (required) not passed and `nbf` (if any) reached, give or take
/// [`SKEW_SECS`].
fn check_times(jws: &Jws, now: i64) -> Result<(), Rejection> {
    let Some(exp) = jws.claim_time("exp") else {
        return Err(malformed("The client assertion has no 'exp' claim."));
    };
    let nbf = jws.claim_time("nbf");
    if exp + SKEW_SECS <= now || nbf.is_some_and(|nbf| nbf - SKEW_SECS > now) {
        let valid_from = nbf.map_or_else(|| "(no nbf)".to_owned(), |n| rfc3339(from_unix(n)));
        return Err(invalid_client(
            700_024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion valid from {valid_from}, expiry time of assertion {}. {CERTIFICATE_DOCS}",
                rfc3339(from_unix(now)),
                rfc3339(from_unix(exp))
            ),
        ));
    }
    Ok(())
}
