//! The request log: every request the emulator received, token, identity and
//! ARM alike, in the order it handled them, for tests to assert on; and
//! [`Stats`], the counters a soak test checks its accounting against (they
//! survive [`Emulator::clear_requests`](crate::Emulator::clear_requests)).

use std::collections::BTreeMap;

/// One request as the emulator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// The request target exactly as sent, e.g. `/subscriptions/...?api-version=2025-02-14`.
    pub path_and_query: String,
    /// Header names are lowercase; repeated headers appear once per value.
    pub headers: Vec<(String, String)>,
    /// The body, with invalid UTF-8 replaced.
    pub body: String,
    /// The status answered, or `None` when the connection was closed (or
    /// held open) without an answer (fault injection).
    pub status: Option<u16>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query string.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }

    /// Whether this went to the Entra ID token endpoint rather than ARM.
    pub fn is_token_request(&self) -> bool {
        is_token_path(self.path())
    }

    /// Whether this went to ARM: not to the token endpoint, the OpenID
    /// discovery document, the GitHub OIDC stand-in or the managed-identity
    /// endpoint.
    pub fn is_arm_request(&self) -> bool {
        endpoint(self.path()) == Endpoint::Arm
    }
}

/// Which emulated service a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// Entra ID's token endpoint.
    Token,
    /// Entra ID's OpenID discovery document for a tenant.
    Discovery,
    /// GitHub Actions' OIDC token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`).
    GithubOidc,
    /// App Service's managed-identity endpoint (`IDENTITY_ENDPOINT`).
    ManagedIdentity,
    /// Everything else.
    Arm,
}

/// Path of the GitHub Actions OIDC stand-in.
pub(crate) const GITHUB_OIDC_PATH: &str = "/github/oidc/token";
/// Path of the managed-identity endpoint.
pub(crate) const IDENTITY_PATH: &str = "/msi/token";

/// The service `path` is for; paths compare case-insensitively.
pub(crate) fn endpoint(path: &str) -> Endpoint {
    if is_token_path(path) {
        Endpoint::Token
    } else if is_discovery_path(path) {
        Endpoint::Discovery
    } else if path.eq_ignore_ascii_case(GITHUB_OIDC_PATH) {
        Endpoint::GithubOidc
    } else if path.eq_ignore_ascii_case(IDENTITY_PATH) {
        Endpoint::ManagedIdentity
    } else {
        Endpoint::Arm
    }
}

/// `/{tenant}/oauth2/v2.0/token`, compared case-insensitively.
pub(crate) fn is_token_path(path: &str) -> bool {
    is_tenant_path(path, &["oauth2", "v2.0", "token"])
}

/// `/{tenant}/v2.0/.well-known/openid-configuration`, compared case-insensitively.
pub(crate) fn is_discovery_path(path: &str) -> bool {
    is_tenant_path(path, &["v2.0", ".well-known", "openid-configuration"])
}

/// `/{tenant}/` followed by exactly `rest`, compared case-insensitively.
fn is_tenant_path(path: &str, rest: &[&str]) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.split_first() {
        Some((tenant, tail)) => {
            !tenant.is_empty()
                && tail.len() == rest.len()
                && tail
                    .iter()
                    .zip(rest)
                    .all(|(got, want)| got.eq_ignore_ascii_case(want))
        }
        None => false,
    }
}

/// What the emulator has seen and done since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests to ARM, faulted or not.
    pub arm_requests: usize,
    /// Requests to ARM by method (uppercase), faulted or not: `methods["DELETE"]`.
    pub methods: BTreeMap<String, usize>,
    /// ARM requests refused with 429 by throttling (not injected throttles,
    /// which count under `faults["throttle"]`).
    pub throttled: usize,
    /// Requests to the token endpoint.
    pub token_requests: usize,
    /// Requests to the GitHub Actions OIDC stand-in
    /// ([`Emulator::github_oidc_request_url`](crate::Emulator::github_oidc_request_url)).
    pub oidc_requests: usize,
    /// Requests to the managed-identity endpoint
    /// ([`Emulator::identity_endpoint`](crate::Emulator::identity_endpoint)).
    pub identity_requests: usize,
    /// Faults applied, explicit rules (token-endpoint ones included) and
    /// random mix alike, by name: `throttle`, `server_error` (any 5xx),
    /// `status_{code}` (other statuses), `drop_connection`, `lost_response`,
    /// `conflict`, `redirect`, `hang`, `endless_body`, `huge_body`, `echo`,
    /// `reply`.
    pub faults: BTreeMap<String, usize>,
    /// ARM requests with a write method (PUT, PATCH, POST, DELETE), faulted or not.
    pub writes: usize,
    /// Writes that took effect (answered 2xx) but whose answer was lost.
    pub lost_writes: usize,
    /// Data connection id (lowercase) → how many times a PUT newly created it
    /// (the 201 path), lost answers included. Seeded connections do not count.
    pub creations: BTreeMap<String, usize>,
}

/// Whether ARM counts `method` as a write.
pub(crate) fn is_write(method: &str) -> bool {
    ["PUT", "PATCH", "POST", "DELETE"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}
