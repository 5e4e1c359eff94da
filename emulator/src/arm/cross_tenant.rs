//! Cross-tenant requests, the way ARM handles them: auxiliary tokens in
//! `x-ms-authorization-auxiliary`, and the linked-scope check on writes whose
//! body points at source resources (Event Hubs, IoT Hubs, storage accounts,
//! Event Grid subscriptions, Cosmos DB accounts) in another tenant.
//!
//! The header holds up to three comma-separated `Bearer <jwt>` entries
//! (`EncryptedBearer` is accepted as a scheme name; its token is treated the
//! same). Every entry must verify like a primary token, whatever the request,
//! because ARM authenticates the whole header before it looks at the
//! request. Only writes that reference a source in a subscription of another
//! tenant *need* one: a valid auxiliary token issued by that tenant to an app
//! that is Contributor there. Sources in subscriptions the world does not
//! know are taken as same-tenant, so tests can use made-up ids freely.

use serde_json::Value;

use crate::arm::replies::unauthorized;
use crate::arm::routes::{read_action, subscription_of};
use crate::http::Reply;
use crate::log::RecordedRequest;
use crate::schema::SOURCE_PROPERTIES;
use crate::state::State;
use crate::text::b64url_decode;
use crate::token::{Claims, TokenError};
use crate::world::Role;

const AUXILIARY_HEADER: &str = "x-ms-authorization-auxiliary";

/// ARM's limit on auxiliary tokens per request.
const MAX_AUXILIARY_TOKENS: usize = 3;

/// The verified auxiliary tokens of a request (none when the header is
/// absent or blank), or the 400/401 ARM answers for the header.
pub(super) fn auxiliary_tokens(
    state: &State,
    req: &RecordedRequest,
    now: i64,
) -> Result<Vec<Claims>, Reply> {
    let Some(header) = req.header(AUXILIARY_HEADER) else {
        return Ok(Vec::new());
    };
    // Empty entries (a trailing comma) carry nothing; clients joining lists
    // produce them and ARM does not count them.
    let entries: Vec<&str> = header
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.len() > MAX_AUXILIARY_TOKENS {
        return Err(Reply::arm_error(
            400,
            "AuxiliaryTokensLimitExceeded",
            format!(
                "The '{AUXILIARY_HEADER}' header contains {} tokens; at most {MAX_AUXILIARY_TOKENS} auxiliary tokens are allowed.",
                entries.len()
            ),
        ));
    }
    let mut verified = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let token = entry
            .split_once(' ')
            .filter(|(scheme, _)| {
                scheme.eq_ignore_ascii_case("Bearer")
                    || scheme.eq_ignore_ascii_case("EncryptedBearer")
            })
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty());
        let Some(token) = token else {
            return Err(unauthorized(
                "InvalidAuthenticationToken",
                format!(
                    "The auxiliary token #{} in the '{AUXILIARY_HEADER}' header is provided in an invalid format: expected 'Bearer <token>'.",
                    index + 1
                ),
            ));
        };
        match state.tokens.verify(token, now) {
            Ok(claims) => verified.push(claims),
            Err(error) => {
                let reason = match error {
                    TokenError::Malformed => "it is malformed",
                    TokenError::BadSignature => "its signature is invalid",
                    TokenError::Expired { .. } => "it has expired",
                    TokenError::NotYetValid { .. } => "it is not valid yet",
                    TokenError::WrongAudience { .. } => {
                        "it was obtained for the wrong audience or resource"
                    }
                };
                let message = match peek_identity(token) {
                    Some((tid, appid)) => format!(
                        "The access token in the auxiliary header '{AUXILIARY_HEADER}' from tenant '{tid}' for client '{appid}' is invalid or expired ({reason})."
                    ),
                    None => format!(
                        "The access token #{} in the auxiliary header '{AUXILIARY_HEADER}' is invalid or expired ({reason}).",
                        index + 1
                    ),
                };
                return Err(unauthorized("InvalidAuthenticationToken", message));
            }
        }
    }
    Ok(verified)
}

/// The `tid` and `appid` (or `azp`) of a JWT, without verifying it, to name
/// a bad token the way ARM does.
fn peek_identity(token: &str) -> Option<(String, String)> {
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&b64url_decode(payload)?).ok()?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    Some((text("tid")?, text("appid").or_else(|| text("azp"))?))
}

/// Where a write's source ids live in its body.
#[derive(Debug, Clone, Copy)]
pub(super) enum BodyShape {
    /// A data connection: `{kind, properties: {...}}`.
    Connection,
    /// A validation request: `{dataConnectionName, properties: {kind, properties: {...}}}`.
    Validation,
}

/// The linked-scope check of a write: 403 `LinkedAuthorizationFailed` when a
/// source in another tenant's subscription is not covered by an auxiliary
/// token of that tenant whose app is Contributor there.
pub(super) fn check_linked_scopes(
    state: &State,
    primary: &Claims,
    auxiliary: &[Claims],
    action: &str,
    scope: &str,
    body: &str,
    shape: BodyShape,
) -> Result<(), Reply> {
    // A body that is not JSON is the handler's 400 to give.
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return Ok(());
    };
    let properties = match shape {
        BodyShape::Connection => body.get("properties"),
        BodyShape::Validation => body.get("properties").and_then(|p| p.get("properties")),
    };
    let Some(properties) = properties.and_then(Value::as_object) else {
        return Ok(());
    };
    let mut denied: Vec<&str> = Vec::new();
    for name in SOURCE_PROPERTIES {
        let Some(id) = properties.get(name).and_then(Value::as_str) else {
            continue;
        };
        let Some(tenant) = subscription_of(id)
            .and_then(|s| state.world.subscription(s))
            .map(|s| s.tenant_id.as_str())
        else {
            continue;
        };
        if tenant.eq_ignore_ascii_case(&primary.tid) {
            continue;
        }
        let covered = auxiliary.iter().any(|aux| {
            aux.tid.eq_ignore_ascii_case(tenant)
                && state
                    .world
                    .tenant(tenant)
                    .and_then(|t| t.app(&aux.appid))
                    .is_some_and(|app| app.role == Role::Contributor)
        });
        if !covered && !denied.contains(&id) {
            denied.push(id);
        }
    }
    let Some(first) = denied.first() else {
        return Ok(());
    };
    // ARM names one linked action per message, with every scope it denied.
    let linked_action = read_action(first);
    let scopes: Vec<&str> = denied
        .iter()
        .copied()
        .filter(|id| read_action(id) == linked_action)
        .collect();
    Err(Reply::arm_error(
        403,
        "LinkedAuthorizationFailed",
        format!(
            "The client '{}' with object id '{}' has permission to perform action '{action}' on scope '{scope}'; however, it does not have permission to perform action '{linked_action}' on the linked scope(s) '{}' or the linked scope(s) are invalid.",
            primary.appid,
            primary.oid,
            scopes.join(",")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_read_leniently() {
        let payload = crate::text::b64url(br#"{"tid":"t","azp":"a"}"#);
        assert_eq!(
            peek_identity(&format!("x.{payload}.y")),
            Some(("t".to_owned(), "a".to_owned()))
        );
        assert_eq!(peek_identity("garbage"), None);
        assert_eq!(peek_identity("a.!!.b"), None);
    }
}
