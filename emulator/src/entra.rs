//! The Entra ID v2 token endpoint, client-credentials grant only:
//! `POST /{tenant}/oauth2/v2.0/token` with a form body, answering an access
//! token for the scope's resource or an Entra-shaped error. Fault rules made
//! with [`FaultRule::token_endpoint`](crate::FaultRule::token_endpoint) are
//! applied here, before anything else.
//!
//! Also the tenant's OpenID discovery document,
//! `GET /{tenant}/v2.0/.well-known/openid-configuration`, which clients built
//! on MSAL read for the token endpoint's URL before their first token request.
//!
//! The client proves itself with a `client_secret` or with a
//! `client_assertion` (a certificate-signed or federated JWT, see
//! `assertion`), never both: a request with both is refused, so a client
//! that sends a stale secret along with its assertion is caught.

use std::time::SystemTime;

use serde_json::json;

use crate::assertion::{Rejection, JWT_BEARER};
use crate::faults::{fault_name, verbatim_outcome, Fault};
use crate::http::{Outcome, Reply};
use crate::log::RecordedRequest;
use crate::state::State;
use crate::text::{entra_timestamp, form_pairs, new_guid, pair_value, percent_decode, unix_now};
use crate::token::Claims;
use crate::world::{App, World};

/// Lifetime of issued tokens, as Entra's `expires_in` usually says.
pub(crate) const TOKEN_LIFETIME_SECS: i64 = 3599;

/// Applies the first token-endpoint fault rule matching `req`, if any
/// (counting it), else issues a token or an Entra error.
pub(crate) fn handle(state: &mut State, req: &RecordedRequest) -> Outcome {
    let Some(fault) = state.faults.take(true, &req.method, &req.path_and_query) else {
        return Outcome::Reply(issue(state, req));
    };
    *state.stats.faults.entry(fault_name(&fault)).or_default() += 1;
    let reply = match &fault {
        Fault::LostResponse => {
            let _ = issue(state, req);
            return Outcome::Drop;
        }
        Fault::Throttle { retry_after_secs } => error(
            429,
            "temporarily_unavailable",
            90_055,
            "AADSTS90055: TenantThrottlingError: There are too many incoming requests. Please retry later.",
        )
        .with_header("retry-after", retry_after_secs.to_string()),
        Fault::Status(status) if *status >= 500 => error(
            *status,
            "temporarily_unavailable",
            90_033,
            "AADSTS90033: A transient error has occurred. Please try again.",
        ),
        Fault::Status(status) => error(
            *status,
            "invalid_request",
            90_033,
            format!("AADSTS90033: Injected fault: HTTP {status}."),
        ),
        Fault::Conflict { code } => error(
            409,
            "invalid_request",
            90_033,
            format!("AADSTS90033: Injected fault: {code}."),
        ),
        Fault::Error {
            status,
            code,
            message,
        } => error(*status, code, 90_033, message.clone()),
        other => return verbatim_outcome(other, req).unwrap_or(Outcome::Drop),
    };
    Outcome::Reply(reply)
}

/// The tenant an Entra URL names: its first path segment (`/{tenant}/oauth2/v2.0/token`).
fn tenant_in_path(req: &RecordedRequest) -> String {
    req.path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .map(percent_decode)
        .unwrap_or_default()
}

/// The token endpoint proper.
fn issue(state: &State, req: &RecordedRequest) -> Reply {
    let tenant_id = tenant_in_path(req);
    if !req.method.eq_ignore_ascii_case("POST") {
        return error(
            400,
            "invalid_request",
            900_561,
            format!(
                "AADSTS900561: The endpoint only accepts POST requests. Received a {} request.",
                req.method
            ),
        );
    }
    let Some(tenant) = state.world.tenant(&tenant_id) else {
        return error(
            400,
            "invalid_request",
            90_002,
            format!("AADSTS90002: Tenant '{tenant_id}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
        );
    };
    let form = form_pairs(&req.body);
    let field = |name: &str| pair_value(&form, name).filter(|v| !v.is_empty());
    let missing = |name: &str| {
        error(
            400,
            "invalid_request",
            900_144,
            format!(
                "AADSTS900144: The request body must contain the following parameter: '{name}'."
            ),
        )
    };
    let Some(grant_type) = field("grant_type") else {
        return missing("grant_type");
    };
    if grant_type != "client_credentials" {
        return error(
            400,
            "unsupported_grant_type",
            70_003,
            format!("AADSTS70003: The app requested an unsupported grant type '{grant_type}'. This emulator supports only 'client_credentials'."),
        );
    }
    let Some(client_id) = field("client_id") else {
        return missing("client_id");
    };
    // Managed identities have service principals but no app registration.
    let app = tenant
        .app(client_id)
        .filter(|a| a.managed_identity.is_none());
    let Some(app) = app else {
        return error(
            400,
            "unauthorized_client",
            700_016,
            format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", tenant.id),
        );
    };
    let secret = field("client_secret");
    let assertion = field("client_assertion");
    let assertion_type = field("client_assertion_type");
    match (secret, assertion.or(assertion_type)) {
        (Some(_), Some(_)) => {
            return error(
                400,
                "invalid_request",
                9_002_313,
                "AADSTS9002313: Invalid request. Request is malformed or invalid. - The reason: only one client credential may be presented, 'client_secret' or 'client_assertion', not both.",
            );
        }
        (None, None) => {
            return error(
                401,
                "invalid_client",
                7_000_218,
                "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        }
        (Some(secret), None) => {
            if secret != app.secret {
                return error(
                    401,
                    "invalid_client",
                    7_000_215,
                    format!("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.", app.client_id),
                );
            }
        }
        (None, Some(_)) => {
            let Some(assertion_type) = assertion_type else {
                return missing("client_assertion_type");
            };
            if assertion_type != JWT_BEARER {
                return error(
                    400,
                    "invalid_request",
                    9_002_313,
                    format!("AADSTS9002313: Invalid request. Request is malformed or invalid. - The reason: 'client_assertion_type' must be '{JWT_BEARER}', not '{assertion_type}'."),
                );
            }
            let Some(assertion) = assertion else {
                return missing("client_assertion");
            };
            if let Err(rejected) = check_assertion(state, req, app, assertion) {
                let Rejection {
                    status,
                    error: code,
                    number,
                    description,
                } = rejected;
                return error(status, code, number, description);
            }
        }
    }
    let Some(scope) = field("scope") else {
        return missing("scope");
    };
    // Client credentials take exactly `{resource}/.default`; the token's
    // audience is that resource, so a token for another API fails at ARM.
    let first = scope.split(' ').find(|s| !s.is_empty()).unwrap_or_default();
    let Some(resource) = first.strip_suffix(".default") else {
        return error(
            400,
            "invalid_scope",
            1_002_012,
            format!("AADSTS1002012: The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        );
    };
    let now = unix_now();
    let claims = Claims::new(
        &tenant.id,
        &app.client_id,
        resource,
        now,
        TOKEN_LIFETIME_SECS,
    );
    Reply::json(
        200,
        &json!({
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
            "ext_expires_in": TOKEN_LIFETIME_SECS,
            "access_token": state.tokens.mint(&claims),
        }),
    )
    .with_header("cache-control", "no-store, no-cache")
    .with_header("pragma", "no-cache")
    .with_header("x-ms-request-id", new_guid())
}

/// The tenant's OpenID discovery document, with the URLs on `origin` where
/// Entra has them on its own host: the fields MSAL reads. Only the token
/// endpoint is served; MSAL requires an authorization endpoint all the same.
/// An unknown tenant gets Entra's 400 `invalid_tenant` (AADSTS90002).
pub(crate) fn openid_configuration(world: &World, origin: &str, req: &RecordedRequest) -> Reply {
    if !req.method.eq_ignore_ascii_case("GET") {
        return Reply::empty(405).with_header("allow", "GET");
    }
    let tenant_id = tenant_in_path(req);
    let Some(tenant) = world.tenant(&tenant_id) else {
        return error(
            400,
            "invalid_tenant",
            90_002,
            format!("AADSTS90002: Tenant '{tenant_id}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
        );
    };
    let base = format!("{origin}/{}", tenant.id);
    Reply::json(
        200,
        &json!({
            "token_endpoint": format!("{base}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
            "issuer": format!("{base}/v2.0"),
        }),
    )
    .with_header("cache-control", "max-age=86400, private")
    .with_header("x-ms-request-id", new_guid())
}

/// Checks a client assertion; its `aud` must be this endpoint's URL, on
/// the origin the client addressed (its `Host`) or the emulator's own.
fn check_assertion(
    state: &State,
    req: &RecordedRequest,
    app: &App,
    assertion: &str,
) -> Result<(), Rejection> {
    let path = req.path();
    let mut token_urls = vec![format!("{}{path}", state.origin)];
    if let Some(host) = req.header("host") {
        token_urls.push(format!("https://{host}{path}"));
    }
    crate::assertion::check(&state.issuer, app, assertion, &token_urls, unix_now())
}

/// Entra's error body; the ids are also appended to the description, as Entra does.
fn error(status: u16, code: &str, number: u32, description: impl Into<String>) -> Reply {
    let trace_id = new_guid();
    let correlation_id = new_guid();
    let timestamp = entra_timestamp(SystemTime::now());
    Reply::json(
        status,
        &json!({
            "error": code,
            "error_description": format!(
                "{} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
                description.into()
            ),
            "error_codes": [number],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={number}"),
        }),
    )
    .with_header("cache-control", "no-store, no-cache")
    .with_header("x-ms-request-id", trace_id)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::log::{endpoint, Endpoint};
    use crate::world::demo;

    const ORIGIN: &str = "https://127.0.0.1:8443";

    fn get(path: &str) -> RecordedRequest {
        RecordedRequest {
            method: "GET".to_owned(),
            path_and_query: path.to_owned(),
            headers: Vec::new(),
            body: String::new(),
            status: None,
        }
    }

    fn body(reply: &Reply) -> Value {
        serde_json::from_slice(&reply.body).expect("a JSON body")
    }

    #[test]
    fn discovery_paths_are_routed_to_entra_not_arm() {
        let path = format!("/{}/v2.0/.well-known/openid-configuration", demo::TENANT);
        assert_eq!(endpoint(&path), Endpoint::Discovery);
        assert_eq!(
            endpoint("/organizations/V2.0/.Well-Known/OpenID-Configuration"),
            Endpoint::Discovery
        );
        assert!(!get(&path).is_arm_request());
        assert!(!get(&path).is_token_request());
        // v1's document (no `v2.0`) and the bare suffix are not served.
        assert_eq!(
            endpoint(&format!(
                "/{}/.well-known/openid-configuration",
                demo::TENANT
            )),
            Endpoint::Arm
        );
        assert_eq!(
            endpoint("//v2.0/.well-known/openid-configuration"),
            Endpoint::Arm
        );
    }

    #[test]
    fn discovery_names_the_tenants_token_endpoint_on_the_emulator() {
        let path = format!(
            "/{}/v2.0/.well-known/openid-configuration",
            demo::TENANT.to_uppercase()
        );
        let reply = openid_configuration(&World::demo(), ORIGIN, &get(&path));
        assert_eq!(reply.status, 200);
        let doc = body(&reply);
        // The tenant's own spelling, whatever the request's.
        let base = format!("{ORIGIN}/{}", demo::TENANT);
        assert_eq!(doc["token_endpoint"], format!("{base}/oauth2/v2.0/token"));
        assert!(crate::log::is_token_path(
            doc["token_endpoint"]
                .as_str()
                .and_then(|url| url.strip_prefix(ORIGIN))
                .unwrap_or_default()
        ));
        assert_eq!(
            doc["authorization_endpoint"],
            format!("{base}/oauth2/v2.0/authorize")
        );
        assert_eq!(doc["issuer"], format!("{base}/v2.0"));
    }

    #[test]
    fn discovery_of_an_unknown_tenant_is_entras_invalid_tenant() {
        let path = "/00000000-0000-4000-8000-00000000dead/v2.0/.well-known/openid-configuration";
        let reply = openid_configuration(&World::demo(), ORIGIN, &get(path));
        assert_eq!(reply.status, 400);
        let doc = body(&reply);
        assert_eq!(doc["error"], "invalid_tenant");
        assert_eq!(doc["error_codes"], json!([90_002]));
        assert!(doc["error_description"].as_str().is_some_and(|d| d
            .starts_with("AADSTS90002: Tenant '00000000-0000-4000-8000-00000000dead' not found.")));
    }

    #[test]
    fn discovery_answers_get_only() {
        let path = format!("/{}/v2.0/.well-known/openid-configuration", demo::TENANT);
        let post = RecordedRequest {
            method: "POST".to_owned(),
            ..get(&path)
        };
        let reply = openid_configuration(&World::demo(), ORIGIN, &post);
        assert_eq!(reply.status, 405);
        assert!(reply
            .headers
            .iter()
            .any(|(name, value)| name == "allow" && value == "GET"));
    }
}
