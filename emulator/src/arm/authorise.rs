//! Who is calling and whether they may: the bearer token of the
//! `Authorization` header, the subscription's tenant against the token's,
//! and the caller's role in that tenant against the method.

use crate::arm::replies::{authorization_failed, unauthorized};
use crate::arm::routes::Routed;
use crate::http::Reply;
use crate::log::RecordedRequest;
use crate::state::State;
use crate::text::{from_unix, rfc3339, unix_now};
use crate::token::{Claims, TokenError};
use crate::world::{Role, Subscription};

/// The claims of the request's verified bearer token, or ARM's 401.
pub(super) fn authenticate(state: &State, req: &RecordedRequest) -> Result<Claims, Reply> {
    let Some(header) = req.header("authorization") else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".to_owned(),
        ));
    };
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format."
                .to_owned(),
        ));
    };
    let now = unix_now();
    state.tokens.verify(token, now).map_err(|e| match e {
        TokenError::Malformed | TokenError::BadSignature => unauthorized(
            "InvalidAuthenticationToken",
            "The access token is invalid.".to_owned(),
        ),
        TokenError::Expired { exp } => unauthorized(
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                rfc3339(from_unix(exp)),
                rfc3339(from_unix(now))
            ),
        ),
        TokenError::NotYetValid { nbf } => unauthorized(
            "InvalidAuthenticationToken",
            format!(
                "The access token is not valid before '{}'.",
                rfc3339(from_unix(nbf))
            ),
        ),
        TokenError::WrongAudience { aud } => unauthorized(
            "InvalidAuthenticationTokenAudience",
            format!("The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."),
        ),
    })
}

/// The subscription the request is in, once the token's tenant owns it and
/// the caller's role there allows the method; else ARM's 404, 401 or 403.
pub(super) fn authorise(
    state: &State,
    claims: &Claims,
    request: &Routed<'_>,
) -> Result<Subscription, Reply> {
    let Routed {
        route,
        method,
        path,
        ..
    } = request;
    let Some(subscription) = state.world.subscription(route.subscription()).cloned() else {
        return Err(Reply::arm_error(
            404,
            "SubscriptionNotFound",
            format!(
                "The subscription '{}' could not be found.",
                route.subscription()
            ),
        ));
    };
    if !claims.tid.eq_ignore_ascii_case(&subscription.tenant_id) {
        let origin = &state.origin;
        return Err(unauthorized(
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer '{}'. It must match the tenant 'https://sts.windows.net/{}/' associated with this subscription. Please use the authority (URL) '{origin}/{}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.",
                claims.iss, subscription.tenant_id, subscription.tenant_id
            ),
        ));
    }
    let role = state
        .world
        .tenant(&subscription.tenant_id)
        .and_then(|t| t.app(&claims.appid))
        .map(|a| a.role);
    let may = match role {
        Some(Role::Contributor) => true,
        Some(Role::Reader) => method == "GET",
        None => false,
    };
    if !may {
        return Err(authorization_failed(claims, &route.action(method), path));
    }
    Ok(subscription)
}
