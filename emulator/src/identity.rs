//! The token sources that sit outside Entra, emulated so sign-in methods
//! built on them can be tested end to end:
//!
//! - GitHub Actions' OIDC token endpoint (what `ACTIONS_ID_TOKEN_REQUEST_URL`
//!   points at): `GET /github/oidc/token?api-version=2.0&audience=...` with
//!   `Authorization: bearer {demo::GITHUB_REQUEST_TOKEN}` answers
//!   `{"count": 1, "value": "<federated token>"}` for the demo workflow;
//! - App Service's managed-identity endpoint (what `IDENTITY_ENDPOINT`
//!   points at), api-version 2019-08-01: `GET /msi/token?api-version=2019-08-01&resource=...`
//!   with `X-IDENTITY-HEADER: {demo::IDENTITY_HEADER}` answers an access
//!   token of the host's system-assigned identity, or of the user-assigned
//!   one named by `client_id`, `principal_id` (alias `object_id`) or
//!   `mi_res_id`.
//!
//! Neither takes fault rules, latency or throttling: those are ARM's and
//! the token endpoint's.

use serde_json::{json, Map, Value};

use crate::entra::TOKEN_LIFETIME_SECS;
use crate::http::Reply;
use crate::log::RecordedRequest;
use crate::state::State;
use crate::text::{new_guid, pair_value, query_pairs, unix_now};
use crate::token::{service_principal_object_id, Claims};
use crate::world::{demo, App, ManagedIdentity, Tenant};

/// How long GitHub's OIDC tokens last.
const GITHUB_TOKEN_LIFETIME_SECS: i64 = 300;

/// The only api-version the managed-identity endpoint takes (the one
/// that reads `X-IDENTITY-HEADER`).
const IDENTITY_API_VERSION: &str = "2019-08-01";

/// The request's decoded query pairs.
fn query(req: &RecordedRequest) -> Vec<(String, String)> {
    req.path_and_query
        .split_once('?')
        .map(|(_, q)| query_pairs(q))
        .unwrap_or_default()
}

/// GitHub's OIDC token endpoint, for the demo workflow's job.
pub(crate) fn github_token(state: &State, req: &RecordedRequest) -> Reply {
    let github_error = |status, message: &str| Reply::json(status, &json!({"message": message}));
    if !req.method.eq_ignore_ascii_case("GET") {
        return github_error(405, "Method not allowed");
    }
    let bearer = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if bearer != Some(demo::GITHUB_REQUEST_TOKEN) {
        return github_error(401, "Bad credentials");
    }
    let pairs = query(req);
    // Without one GitHub uses the repository owner's URL, which Entra
    // rejects: a client that forgets the audience finds out at sign-in.
    let audience = pair_value(&pairs, "audience")
        .filter(|a| !a.is_empty())
        .unwrap_or(demo::GITHUB_DEFAULT_AUDIENCE);
    let (owner, repository) = ("adxconn", "adxconn/adxconn");
    let extra: Map<String, Value> = [
        ("repository", repository),
        ("repository_owner", owner),
        ("ref", "refs/heads/main"),
        ("ref_type", "branch"),
        ("event_name", "push"),
        ("runner_environment", "github-hosted"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Value::from(v)))
    .collect();
    let token = state.issuer.mint(
        demo::GITHUB_ISSUER,
        demo::GITHUB_SUBJECT,
        audience,
        unix_now(),
        GITHUB_TOKEN_LIFETIME_SECS,
        extra,
    );
    Reply::json(200, &json!({"count": 1, "value": token}))
}

/// App Service's error body.
fn identity_error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"statusCode": status, "message": message, "correlationId": new_guid()}),
    )
}

/// App Service's managed-identity endpoint.
pub(crate) fn managed_identity_token(state: &State, req: &RecordedRequest) -> Reply {
    if !req.method.eq_ignore_ascii_case("GET") {
        return identity_error(
            405,
            "The requested resource does not support this HTTP method; use GET.",
        );
    }
    let Some(secret) = req.header("x-identity-header") else {
        return identity_error(400, "The request is missing the X-IDENTITY-HEADER header.");
    };
    if secret != demo::IDENTITY_HEADER {
        return identity_error(
            401,
            "Unauthorized: the X-IDENTITY-HEADER value is not this host's.",
        );
    }
    let pairs = query(req);
    let field = |name: &str| pair_value(&pairs, name).filter(|v| !v.is_empty());
    match field("api-version") {
        Some(IDENTITY_API_VERSION) => {}
        other => {
            return identity_error(
                400,
                &format!(
                    "Unsupported api-version '{}'; this endpoint takes {IDENTITY_API_VERSION}.",
                    other.unwrap_or_default()
                ),
            );
        }
    }
    let Some(resource) = field("resource") else {
        return identity_error(400, "The required query parameter 'resource' is missing.");
    };
    let named = [
        ("client_id", field("client_id")),
        ("principal_id", field("principal_id").or(field("object_id"))),
        ("mi_res_id", field("mi_res_id")),
    ];
    let mut identities = state.world.managed_identities();
    let found = match named.iter().find_map(|(k, v)| v.map(|v| (*k, v))) {
        None => identities
            .find(|(_, app)| app.managed_identity == Some(ManagedIdentity::SystemAssigned)),
        Some((kind, wanted)) => {
            identities.find(|(tenant, app)| is_named(tenant, app, kind, wanted))
        }
    };
    let Some((tenant, app)) = found else {
        return identity_error(
            400,
            "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.",
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
            "access_token": state.tokens.mint(&claims),
            // A string of epoch seconds, as App Service sends it.
            "expires_on": (now + TOKEN_LIFETIME_SECS).to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": app.client_id,
        }),
    )
}

/// Whether `app` is the identity a request names by `kind` = `wanted`.
fn is_named(tenant: &Tenant, app: &App, kind: &str, wanted: &str) -> bool {
    match kind {
        "client_id" => app.client_id.eq_ignore_ascii_case(wanted),
        "principal_id" => {
            service_principal_object_id(&tenant.id, &app.client_id).eq_ignore_ascii_case(wanted)
        }
        _ => matches!(&app.managed_identity,
            Some(ManagedIdentity::UserAssigned { resource_id }) if resource_id.eq_ignore_ascii_case(wanted)),
    }
}
