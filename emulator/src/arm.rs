//! The ARM surface: routing, authentication and authorization of every ARM
//! request, and the handlers for subscriptions, clusters, databases, data
//! connections and operation results.
//!
//! Checks run in ARM's order: fault injection, bearer token, auxiliary
//! tokens, route, then api-version, subscription (and its tenant), role,
//! parent resources, linked (cross-tenant) scopes of writes, and finally the
//! handler.

use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use crate::faults::{fault_name, verbatim_outcome, Fault};
use crate::http::{Outcome, Reply};
use crate::linked::{auxiliary_tokens, check_linked_scopes, BodyShape};
use crate::log::{is_write, RecordedRequest};
use crate::operation::{Action, ConnectionKey, Operation, StatusUrlKind};
use crate::schema::{is_valid_name, validate, DataConnectionBody};
use crate::state::{State, StoredConnection};
use crate::text::{
    b64url, b64url_decode, compact_timestamp, new_guid, now_unix, pair_value, parse_pairs,
    percent_decode, rfc3339,
};
use crate::token::{Claims, TokenError};
use crate::world::{region_name, Cluster, Role};
use crate::API_VERSION;

/// Subscription api-versions accepted on `GET /subscriptions/{id}` besides
/// [`API_VERSION`]: that route belongs to `Microsoft.Resources`, whose real
/// versions differ from Kusto's.
const SUBSCRIPTION_API_VERSIONS: &[&str] =
    &["2016-06-01", "2020-01-01", "2021-01-01", "2022-12-01"];

const DATA_CONNECTION_TYPE: &str = "Microsoft.Kusto/clusters/databases/dataConnections";

pub(crate) fn handle(state: &mut State, req: &RecordedRequest) -> Outcome {
    let write = is_write(&req.method);
    if write {
        state.stats.writes += 1;
    }
    // Explicit rules first: a test that injects one wants exactly that
    // fault; the mix draws only for the requests the rules leave alone.
    let fault = match state.faults.take(false, &req.method, &req.path_and_query) {
        Some(fault) => Some(fault),
        None => state.mix.as_mut().and_then(|mix| mix.draw(write)),
    };
    if let Some(fault) = &fault {
        *state.stats.faults.entry(fault_name(fault)).or_default() += 1;
        if !fault.applies_request() {
            return fault_outcome(fault, req);
        }
    }
    let mut reply = route(state, req);
    decorate(&mut reply, req);
    match fault {
        Some(Fault::LostResponse) => {
            if write && (200..300).contains(&reply.status) {
                state.stats.lost_writes += 1;
            }
            Outcome::Drop
        }
        _ => Outcome::Reply(reply),
    }
}

/// Which resource a path names. Segments are percent-decoded and keywords
/// compared case-insensitively, since ARM ids come back capitalised.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Subscription(String),
    Cluster(ClusterPath),
    Database(DatabasePath),
    DataConnections(DatabasePath),
    DataConnection(DatabasePath, String),
    CheckNameAvailability(DatabasePath),
    DataConnectionValidation(DatabasePath),
    OperationResult {
        subscription: String,
        location: String,
        operation_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ClusterPath {
    subscription: String,
    resource_group: String,
    cluster: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DatabasePath {
    cluster: ClusterPath,
    database: String,
}

impl Route {
    fn parse(path: &str) -> Option<Route> {
        let decoded: Vec<String> = path
            .strip_prefix('/')?
            .split('/')
            .map(|s| percent_decode(s, false))
            .collect();
        if decoded.iter().any(String::is_empty) {
            return None;
        }
        let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let kw = |seg: &str, word: &str| seg.eq_ignore_ascii_case(word);
        let owned = |s: &str| s.to_owned();
        match segs.as_slice() {
            [s, sub] if kw(s, "subscriptions") => Some(Route::Subscription(owned(sub))),
            [s, sub, p, ns, l, location, o, id]
                if kw(s, "subscriptions")
                    && kw(p, "providers")
                    && kw(ns, "Microsoft.Kusto")
                    && kw(l, "locations")
                    && kw(o, "operationResults") =>
            {
                Some(Route::OperationResult {
                    subscription: owned(sub),
                    location: owned(location),
                    operation_id: owned(id),
                })
            }
            [s, sub, g, rg, p, ns, c, cluster, rest @ ..]
                if kw(s, "subscriptions")
                    && kw(g, "resourceGroups")
                    && kw(p, "providers")
                    && kw(ns, "Microsoft.Kusto")
                    && kw(c, "clusters") =>
            {
                let cluster = ClusterPath {
                    subscription: owned(sub),
                    resource_group: owned(rg),
                    cluster: owned(cluster),
                };
                let db = |d: &str| DatabasePath {
                    cluster: cluster.clone(),
                    database: owned(d),
                };
                match rest {
                    [] => Some(Route::Cluster(cluster.clone())),
                    [d, database] if kw(d, "databases") => Some(Route::Database(db(database))),
                    [d, database, x] if kw(d, "databases") && kw(x, "dataConnections") => {
                        Some(Route::DataConnections(db(database)))
                    }
                    [d, database, x] if kw(d, "databases") && kw(x, "checkNameAvailability") => {
                        Some(Route::CheckNameAvailability(db(database)))
                    }
                    [d, database, x] if kw(d, "databases") && kw(x, "dataConnectionValidation") => {
                        Some(Route::DataConnectionValidation(db(database)))
                    }
                    [d, database, x, name] if kw(d, "databases") && kw(x, "dataConnections") => {
                        Some(Route::DataConnection(db(database), owned(name)))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn subscription(&self) -> &str {
        match self {
            Route::Subscription(s)
            | Route::OperationResult {
                subscription: s, ..
            } => s,
            Route::Cluster(c) => &c.subscription,
            Route::Database(d)
            | Route::DataConnections(d)
            | Route::DataConnection(d, _)
            | Route::CheckNameAvailability(d)
            | Route::DataConnectionValidation(d) => &d.cluster.subscription,
        }
    }

    fn allows(&self, method: &str) -> bool {
        match self {
            Route::DataConnection(..) => matches!(method, "GET" | "PUT" | "DELETE"),
            Route::CheckNameAvailability(_) | Route::DataConnectionValidation(_) => {
                method == "POST"
            }
            _ => method == "GET",
        }
    }

    /// The RBAC action a request performs, for 403 messages.
    fn action(&self, method: &str) -> &'static str {
        match (self, method) {
            (Route::Subscription(_), _) => "Microsoft.Resources/subscriptions/read",
            (Route::Cluster(_), _) => "Microsoft.Kusto/clusters/read",
            (Route::Database(_), _) => "Microsoft.Kusto/clusters/databases/read",
            (Route::OperationResult { .. }, _) => "Microsoft.Kusto/locations/operationResults/read",
            (Route::CheckNameAvailability(_), _) => {
                "Microsoft.Kusto/clusters/databases/checkNameAvailability/action"
            }
            (Route::DataConnectionValidation(_), _) => {
                "Microsoft.Kusto/clusters/databases/dataConnectionValidation/action"
            }
            (_, "PUT") => "Microsoft.Kusto/clusters/databases/dataConnections/write",
            (_, "DELETE") => "Microsoft.Kusto/clusters/databases/dataConnections/delete",
            _ => "Microsoft.Kusto/clusters/databases/dataConnections/read",
        }
    }
}

fn route(state: &mut State, req: &RecordedRequest) -> Reply {
    let claims = match authenticate(state, req) {
        Ok(claims) => claims,
        Err(reply) => return reply,
    };
    let auxiliary = match auxiliary_tokens(state, req, unix_now()) {
        Ok(auxiliary) => auxiliary,
        Err(reply) => return reply,
    };
    let (path, query) = req
        .path_and_query
        .split_once('?')
        .unwrap_or((req.path_and_query.as_str(), ""));
    let Some(route) = Route::parse(path) else {
        return Reply::arm_error(
            404,
            "NoRoute",
            format!("The emulator has no route for '{} {path}'.", req.method),
        );
    };
    let method = req.method.to_ascii_uppercase();
    if !route.allows(&method) {
        return Reply::arm_error(
            405,
            "MethodNotAllowed",
            format!("The HTTP method '{method}' is not supported for '{path}'."),
        );
    }
    let params = parse_pairs(query, false);
    if let Err(reply) = check_api_version(&route, pair_value(&params, "api-version")) {
        return reply;
    }

    let Some(subscription) = state.world.subscription(route.subscription()).cloned() else {
        return Reply::arm_error(
            404,
            "SubscriptionNotFound",
            format!(
                "The subscription '{}' could not be found.",
                route.subscription()
            ),
        );
    };
    if !claims.tid.eq_ignore_ascii_case(&subscription.tenant_id) {
        let origin = &state.origin;
        return unauthorized(
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer '{}'. It must match the tenant 'https://sts.windows.net/{}/' associated with this subscription. Please use the authority (URL) '{origin}/{}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.",
                claims.iss, subscription.tenant_id, subscription.tenant_id
            ),
        );
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
        return Reply::arm_error(
            403,
            "AuthorizationFailed",
            format!(
                "The client '{}' with object id '{}' does not have authorization to perform action '{}' over scope '{path}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
                claims.appid, claims.oid, route.action(&method)
            ),
        );
    }

    match &route {
        Route::Subscription(_) => Reply::json(
            200,
            &json!({
                "id": format!("/subscriptions/{}", subscription.id),
                "authorizationSource": "RoleBased",
                "managedByTenants": [],
                "subscriptionId": subscription.id,
                "tenantId": subscription.tenant_id,
                "displayName": subscription.display_name,
                "state": "Enabled",
                "subscriptionPolicies": {
                    "locationPlacementId": "Public_2014-09-01",
                    "quotaId": "PayAsYouGo_2014-09-01",
                    "spendingLimit": "Off",
                },
            }),
        ),
        Route::OperationResult {
            subscription,
            location,
            operation_id,
        } => operation_result(state, subscription, location, operation_id, query),
        Route::Cluster(c) => match find_cluster(state, c) {
            Ok(cluster) => Reply::json(200, &cluster_resource(&cluster)),
            Err(reply) => reply,
        },
        Route::Database(d) => match find_cluster(state, &d.cluster) {
            Ok(cluster) => match cluster.database(&d.database) {
                Some(database) => Reply::json(200, &database_resource(&cluster, database)),
                None => Reply::arm_error(
                    404,
                    "ResourceNotFound",
                    format!(
                        "The Resource 'Microsoft.Kusto/clusters/{}/databases/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                        d.cluster.cluster, d.database, d.cluster.resource_group
                    ),
                ),
            },
            Err(reply) => reply,
        },
        Route::DataConnections(d) => {
            with_database(state, d, |state, db| list(state, &db, path, &params))
        }
        Route::DataConnection(d, name) => with_database(state, d, |state, db| match method.as_str() {
            "PUT" => match check_linked_scopes(
                state,
                &claims,
                &auxiliary,
                route.action(&method),
                path,
                &req.body,
                BodyShape::Connection,
            ) {
                Ok(()) => put(state, &db, name, &req.body),
                Err(reply) => reply,
            },
            // A delete touches only the connection, never its source.
            "DELETE" => delete(state, &db, name),
            _ => get(state, &db, name),
        }),
        Route::CheckNameAvailability(d) => {
            with_database(state, d, |state, db| check_name(state, &db, &req.body))
        }
        Route::DataConnectionValidation(d) => with_database(state, d, |state, db| {
            match check_linked_scopes(
                state,
                &claims,
                &auxiliary,
                route.action(&method),
                path,
                &req.body,
                BodyShape::Validation,
            ) {
                Ok(()) => validate_connection(&db, &req.body),
                Err(reply) => reply,
            }
        }),
    }
}

fn check_api_version(route: &Route, version: Option<&str>) -> Result<(), Reply> {
    let Some(version) = version else {
        return Err(Reply::arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    if version == API_VERSION {
        return Ok(());
    }
    match route {
        Route::Subscription(_) if SUBSCRIPTION_API_VERSIONS.contains(&version) => Ok(()),
        Route::Subscription(_) => Err(Reply::arm_error(
            400,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{version}' is invalid. The supported versions are '{API_VERSION},{}'.",
                SUBSCRIPTION_API_VERSIONS.join(",")
            ),
        )),
        _ => Err(Reply::arm_error(
            400,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for api version '{version}' for type 'Microsoft.Kusto'. The api-version '{version}' is invalid. The supported versions are '{API_VERSION}'."
            ),
        )),
    }
}

pub(crate) fn unauthorized(code: &str, message: String) -> Reply {
    let challenge = format!(
        "Bearer authorization_uri=\"https://login.microsoftonline.com/\", error=\"invalid_token\", error_description=\"{}\"",
        message.replace('"', "'")
    );
    Reply::arm_error(401, code, message).with_header("www-authenticate", challenge)
}

fn authenticate(state: &State, req: &RecordedRequest) -> Result<Claims, Reply> {
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
                unix_time(exp),
                unix_time(now)
            ),
        ),
        TokenError::NotYetValid { nbf } => unauthorized(
            "InvalidAuthenticationToken",
            format!("The access token is not valid before '{}'.", unix_time(nbf)),
        ),
        TokenError::WrongAudience { aud } => unauthorized(
            "InvalidAuthenticationTokenAudience",
            format!("The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."),
        ),
    })
}

fn unix_now() -> i64 {
    i64::try_from(now_unix().as_secs()).unwrap_or(i64::MAX)
}

fn unix_time(secs: i64) -> String {
    rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

fn find_cluster(state: &State, path: &ClusterPath) -> Result<Cluster, Reply> {
    if !state
        .world
        .has_resource_group(&path.subscription, &path.resource_group)
    {
        return Err(Reply::arm_error(
            404,
            "ResourceGroupNotFound",
            format!(
                "Resource group '{}' could not be found.",
                path.resource_group
            ),
        ));
    }
    state
        .world
        .cluster(&path.subscription, &path.resource_group, &path.cluster)
        .cloned()
        .ok_or_else(|| {
            Reply::arm_error(
                404,
                "ResourceNotFound",
                format!(
                    "The Resource 'Microsoft.Kusto/clusters/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                    path.cluster, path.resource_group
                ),
            )
        })
}

/// A database that exists, with the seeded spellings.
struct Database {
    cluster: Cluster,
    name: String,
}

impl Database {
    fn key(&self, connection: &str) -> ConnectionKey {
        ConnectionKey::new(
            &self.cluster.subscription_id,
            &self.cluster.resource_group,
            &self.cluster.name,
            &self.name,
            connection,
        )
    }

    fn contains(&self, key: &ConnectionKey) -> bool {
        let probe = self.key("");
        key.subscription == probe.subscription
            && key.resource_group == probe.resource_group
            && key.cluster == probe.cluster
            && key.database == probe.database
    }

    fn connection_id(&self, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/Clusters/{}/Databases/{}/DataConnections/{name}",
            self.cluster.subscription_id, self.cluster.resource_group, self.cluster.name, self.name
        )
    }
}

/// Runs `f` on an existing database, or answers why it does not exist.
fn with_database(
    state: &mut State,
    path: &DatabasePath,
    f: impl FnOnce(&mut State, Database) -> Reply,
) -> Reply {
    let cluster = match find_cluster(state, &path.cluster) {
        Ok(cluster) => cluster,
        Err(reply) => return reply,
    };
    let Some(name) = cluster.database(&path.database).map(str::to_owned) else {
        return Reply::arm_error(
            404,
            "ParentResourceNotFound",
            format!(
                "Can not perform requested operation on nested resource. Parent resource '{}/{}' not found.",
                path.cluster.cluster, path.database
            ),
        );
    };
    f(state, Database { cluster, name })
}

fn cluster_id(cluster: &Cluster) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/Clusters/{}",
        cluster.subscription_id, cluster.resource_group, cluster.name
    )
}

fn cluster_resource(cluster: &Cluster) -> Value {
    let region = cluster.region();
    let id = cluster_id(cluster);
    json!({
        "id": id,
        "name": cluster.name,
        "type": "Microsoft.Kusto/Clusters",
        "location": cluster.location,
        "etag": format!("\"{}\"", crate::text::stable_guid(&format!("etag:{id}"))),
        "tags": {},
        "sku": {"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic", "capacity": 1},
        "zones": [],
        "identity": {
            "type": "SystemAssigned",
            "principalId": crate::text::stable_guid(&format!("principal:{}", id.to_ascii_lowercase())),
            "tenantId": crate::text::stable_guid("cluster-tenant"),
        },
        "properties": {
            "state": "Running",
            "provisioningState": "Succeeded",
            "uri": format!("https://{}.{region}.kusto.windows.net", cluster.name),
            "dataIngestionUri": format!("https://ingest-{}.{region}.kusto.windows.net", cluster.name),
            "stateReason": null,
            "trustedExternalTenants": [],
            "enableDiskEncryption": false,
            "enableStreamingIngest": false,
            "enablePurge": false,
            "enableDoubleEncryption": false,
            "engineType": "V3",
            "publicNetworkAccess": "Enabled",
            "restrictOutboundNetworkAccess": "Disabled",
            "publicIPType": "IPv4",
            "enableAutoStop": true,
        },
    })
}

fn database_resource(cluster: &Cluster, database: &str) -> Value {
    json!({
        "id": format!("{}/Databases/{database}", cluster_id(cluster)),
        "name": format!("{}/{database}", cluster.name),
        "type": "Microsoft.Kusto/Clusters/Databases",
        "location": cluster.location,
        "kind": "ReadWrite",
        "properties": {
            "softDeletePeriod": "P365D",
            "hotCachePeriod": "P31D",
            "statistics": {"size": 0.0},
            "isFollowed": false,
            "provisioningState": "Succeeded",
        },
    })
}

fn list(state: &State, db: &Database, path: &str, params: &[(String, String)]) -> Reply {
    let items: Vec<Value> = state
        .connections
        .iter()
        .filter(|(key, _)| db.contains(key))
        .map(|(_, conn)| conn.resource())
        .collect();
    let Some(page_size) = state.settings.page_size else {
        return Reply::json(200, &json!({"value": items}));
    };
    let page_size = page_size.max(1);
    let offset = match pair_value(params, "$skiptoken") {
        None => 0,
        Some(token) => match decode_skip_token(token) {
            Some(offset) => offset,
            None => {
                return Reply::arm_error(
                    400,
                    "InvalidSkipToken",
                    format!("The $skiptoken '{token}' is invalid."),
                );
            }
        },
    };
    let page: Vec<Value> = items.iter().skip(offset).take(page_size).cloned().collect();
    let mut body = json!({"value": page});
    let next = offset.saturating_add(page_size);
    if next < items.len() {
        body["nextLink"] = Value::from(format!(
            "{}{path}?api-version={API_VERSION}&$skiptoken={}",
            state.origin,
            b64url(format!("offset:{next}").as_bytes())
        ));
    }
    Reply::json(200, &body)
}

fn decode_skip_token(token: &str) -> Option<usize> {
    let raw = b64url_decode(token)?;
    std::str::from_utf8(&raw)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

fn get(state: &State, db: &Database, name: &str) -> Reply {
    match state.connections.get(&db.key(name)) {
        Some(conn) => Reply::json(200, &conn.resource()),
        None => not_found(db, name),
    }
}

fn not_found(db: &Database, name: &str) -> Reply {
    Reply::arm_error(
        404,
        "ResourceNotFound",
        format!(
            "The resource with identifier '{}' is not found.",
            db.connection_id(name)
        ),
    )
}

/// The 409 for a change while another operation on the connection runs.
fn operation_in_progress(db: &Database, conn: &StoredConnection, operation: &str) -> Reply {
    Reply::arm_error(
        409,
        "Conflict",
        format!(
            "[Conflict] Another operation is in progress on data connection '{}/{}/{}' (operation '{operation}'). Please retry after it completes.",
            db.cluster.name, db.name, conn.name
        ),
    )
}

fn parse_json(body: &str) -> Result<Value, Reply> {
    if body.trim().is_empty() {
        return Err(Reply::arm_error(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: the request body is empty.",
        ));
    }
    serde_json::from_str(body).map_err(|e| {
        Reply::arm_error(
            400,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })
}

/// The body's problems beyond its own schema: location must be the cluster's.
fn check_location(db: &Database, body: &DataConnectionBody) -> Result<(), String> {
    match &body.location {
        Some(location) if region_name(location) != db.cluster.region() => Err(format!(
            "[BadRequest] The property 'location' ('{location}') must be the cluster's location '{}'.",
            db.cluster.location
        )),
        _ => Ok(()),
    }
}

fn put(state: &mut State, db: &Database, name: &str, body: &str) -> Reply {
    if !is_valid_name(name) {
        return Reply::arm_error(
            400,
            "BadRequest",
            format!("[BadRequest] The data connection name '{name}' is invalid: use 1 to 40 letters, digits, '-', '_' or '.'."),
        );
    }
    let body = match parse_json(body) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let body = match validate(&body) {
        Ok(body) => body,
        Err(errors) => {
            return Reply::arm_error(
                400,
                "BadRequest",
                errors.into_iter().next().unwrap_or_default(),
            );
        }
    };
    if let Err(message) = check_location(db, &body) {
        return Reply::arm_error(400, "BadRequest", message);
    }
    let key = db.key(name);
    if let Some(conn) = state.connections.get(&key) {
        if let Some(op) = &conn.active_operation {
            return operation_in_progress(db, conn, op);
        }
        if conn.schema.kind != body.schema.kind {
            return Reply::arm_error(
                400,
                "BadRequest",
                format!(
                    "[BadRequest] The property 'kind' of data connection '{}' cannot be changed from '{}' to '{}'.",
                    conn.name, conn.schema.kind, body.schema.kind
                ),
            );
        }
    }
    // An update keeps the connection's name spelling and creation time.
    let existing = state
        .connections
        .get(&key)
        .map(|c| (c.name.clone(), c.created.clone()));
    let (action, status, provisioning_state) = if existing.is_some() {
        (Action::Update, 200, "Accepted")
    } else {
        (Action::Create, 201, "Creating")
    };
    let operation = start_operation(state, db, &key, action, body.schema.operation_kind);
    let now = rfc3339(SystemTime::now());
    let (display_name, created) = existing.unwrap_or_else(|| (name.to_owned(), now));
    let conn = StoredConnection {
        subscription: db.cluster.subscription_id.clone(),
        resource_group: db.cluster.resource_group.clone(),
        cluster: db.cluster.name.clone(),
        database: db.name.clone(),
        name: display_name,
        schema: body.schema,
        location: body.location.unwrap_or_else(|| db.cluster.location.clone()),
        properties: body.properties,
        created,
        provisioning_state: provisioning_state.to_owned(),
        active_operation: Some(operation.id.clone()),
    };
    let reply = Reply::json(status, &conn.echo())
        .with_header(
            "azure-asyncoperation",
            operation.urls.async_operation(&state.origin),
        )
        .with_header(
            "x-ms-ratelimit-remaining-subscription-resource-requests",
            "199",
        );
    if action == Action::Create {
        *state
            .stats
            .creations
            .entry(conn.id().to_ascii_lowercase())
            .or_default() += 1;
    }
    state.connections.insert(key, conn);
    with_retry_after(reply, state.settings.poll_retry_after)
}

fn delete(state: &mut State, db: &Database, name: &str) -> Reply {
    let key = db.key(name);
    let Some(conn) = state.connections.get(&key) else {
        return Reply::empty(204);
    };
    if let Some(op) = &conn.active_operation {
        return operation_in_progress(db, conn, op);
    }
    let operation = start_operation(state, db, &key, Action::Delete, "DmServiceDataObtainerDrop");
    if let Some(conn) = state.connections.get_mut(&key) {
        conn.provisioning_state = "Deleting".to_owned();
        conn.active_operation = Some(operation.id.clone());
    }
    let reply = Reply::empty(202)
        .with_header("location", operation.urls.location(&state.origin))
        .with_header(
            "azure-asyncoperation",
            operation.urls.async_operation(&state.origin),
        );
    with_retry_after(reply, state.settings.poll_retry_after)
}

/// What a handler needs of a just-started operation.
struct Started {
    id: String,
    urls: crate::operation::StatusUrls,
}

fn start_operation(
    state: &mut State,
    db: &Database,
    key: &ConnectionKey,
    action: Action,
    operation_kind: &'static str,
) -> Started {
    let id = new_guid();
    let start = SystemTime::now();
    // Clamped so the deadline arithmetic cannot overflow.
    let duration = state
        .settings
        .operation_duration
        .min(Duration::from_secs(100 * 365 * 86_400));
    let urls = state.url_signer.urls(
        &db.cluster.subscription_id,
        &db.cluster.location,
        &id,
        start,
    );
    let operation = Operation {
        id: id.clone(),
        subscription: db.cluster.subscription_id.clone(),
        location: db.cluster.location.clone(),
        action,
        target: key.clone(),
        operation_kind,
        start,
        deadline: Instant::now() + duration,
        duration,
        failure: state.settings.fail_next_operation.take(),
        settled: false,
        polls: 0,
        urls: urls.clone(),
    };
    state.operations.insert(id.clone(), operation);
    Started { id, urls }
}

fn with_retry_after(reply: Reply, secs: Option<u64>) -> Reply {
    match secs {
        Some(secs) => reply.with_header("retry-after", secs.to_string()),
        None => reply,
    }
}

fn operation_result(
    state: &mut State,
    subscription: &str,
    location: &str,
    operation_id: &str,
    query: &str,
) -> Reply {
    let now = Instant::now();
    let retry_after = state.settings.poll_retry_after;
    let origin = state.origin.clone();
    let Some(op) = state
        .operations
        .get_mut(&operation_id.to_ascii_lowercase())
        .filter(|op| {
            op.subscription.eq_ignore_ascii_case(subscription)
                && region_name(&op.location) == region_name(location)
        })
    else {
        return Reply::arm_error(
            404,
            "ResourceNotFound",
            format!("The operation '{operation_id}' was not found in location '{location}'."),
        );
    };
    let Some(kind) = op.urls.kind_of(query) else {
        return unauthorized(
            "InvalidAuthenticationToken",
            "The signature of the operation status URL is invalid. Use the Azure-AsyncOperation or Location header value exactly as returned, without decoding or re-encoding it.".to_owned(),
        );
    };
    op.polls += 1;
    let running = !op.is_done(now);
    let reply = match kind {
        StatusUrlKind::AsyncOperation => Reply::json(200, &op.status_body(now, op.polls)),
        StatusUrlKind::Location if running => Reply::empty(202)
            .with_header("location", op.urls.location(&origin))
            .with_header("azure-asyncoperation", op.urls.async_operation(&origin)),
        StatusUrlKind::Location => match (&op.failure, op.action) {
            (Some(error), _) => Reply::arm_error(400, &error.code, error.message.clone()),
            (None, Action::Delete) => Reply::empty(200),
            (None, Action::Create | Action::Update) => match state.connections.get(&op.target) {
                Some(conn) => Reply::json(200, &conn.resource()),
                None => Reply::empty(200),
            },
        },
    };
    state.polls += 1;
    if running {
        with_retry_after(reply, retry_after)
    } else {
        reply
    }
}

fn check_name(state: &State, db: &Database, body: &str) -> Reply {
    let body = match parse_json(body) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return Reply::arm_error(
            400,
            "BadRequest",
            "[BadRequest] The property 'name' is missing.",
        );
    };
    match body.get("type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case(DATA_CONNECTION_TYPE) => {}
        Some(t) => {
            return Reply::arm_error(
                400,
                "BadRequest",
                format!(
                    "[BadRequest] The property 'type' ('{t}') must be '{DATA_CONNECTION_TYPE}'."
                ),
            );
        }
        None => {
            return Reply::arm_error(
                400,
                "BadRequest",
                "[BadRequest] The property 'type' is missing.",
            )
        }
    }
    let answer = if !is_valid_name(name) {
        json!({"name": name, "nameAvailable": false, "reason": "Invalid",
            "message": format!("Name '{name}' is invalid: use 1 to 40 letters, digits, '-', '_' or '.'.")})
    } else if state.connections.contains_key(&db.key(name)) {
        json!({"name": name, "nameAvailable": false, "reason": "AlreadyExists",
            "message": format!("Name '{name}' is already taken. Please specify a different name.")})
    } else {
        json!({"name": name, "nameAvailable": true, "message": ""})
    };
    Reply::json(200, &answer)
}

fn validate_connection(db: &Database, body: &str) -> Reply {
    let body = match parse_json(body) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let Some(connection) = body.get("properties") else {
        return Reply::arm_error(
            400,
            "BadRequest",
            "[BadRequest] The property 'properties' is missing.",
        );
    };
    let errors = match validate(connection) {
        Ok(body) => check_location(db, &body).err().into_iter().collect(),
        Err(errors) => errors,
    };
    let value: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({"errorMessage": e}))
        .collect();
    Reply::json(200, &json!({"value": value}))
}

/// The operation type ARM's rate limits count a method as.
fn rate_limit_kind(method: &str) -> &'static str {
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" => "reads",
        "DELETE" => "deletes",
        _ => "writes",
    }
}

/// Adds the headers every ARM answer carries.
fn decorate(reply: &mut Reply, req: &RecordedRequest) {
    let correlation = req
        .header("x-ms-correlation-request-id")
        .filter(|c| !c.is_empty() && c.len() <= 128)
        .map_or_else(new_guid, str::to_owned);
    let (bucket, global) = match rate_limit_kind(&req.method) {
        "reads" => ("249", "3749"),
        "deletes" => ("799", "11999"),
        _ => ("199", "2999"),
    };
    let kind = rate_limit_kind(&req.method);
    reply.set_header_if_absent(
        &format!("x-ms-ratelimit-remaining-subscription-{kind}"),
        bucket,
    );
    reply.set_header_if_absent(
        &format!("x-ms-ratelimit-remaining-subscription-global-{kind}"),
        global,
    );
    reply.set_header_if_absent("x-ms-request-id", new_guid());
    reply.set_header_if_absent(
        "x-ms-routing-request-id",
        format!(
            "EMULATOR:{}:{correlation}",
            compact_timestamp(SystemTime::now())
        ),
    );
    reply.set_header_if_absent("x-ms-correlation-request-id", correlation);
    reply.set_header_if_absent("cache-control", "no-cache");
    reply.set_header_if_absent("pragma", "no-cache");
    reply.set_header_if_absent("expires", "-1");
    reply.set_header_if_absent(
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    );
    reply.set_header_if_absent("x-content-type-options", "nosniff");
}

fn fault_outcome(fault: &Fault, req: &RecordedRequest) -> Outcome {
    let path = req.path();
    let segment_after = |word: &str| {
        let segs: Vec<&str> = path.split('/').collect();
        segs.iter()
            .position(|s| s.eq_ignore_ascii_case(word))
            .and_then(|i| segs.get(i + 1))
            .map(|s| percent_decode(s, false))
            .unwrap_or_default()
    };
    let mut reply = match fault {
        Fault::LostResponse => return Outcome::Drop,
        Fault::DropConnection
        | Fault::Redirect { .. }
        | Fault::Hang
        | Fault::EndlessBody { .. }
        | Fault::HugeBody { .. }
        | Fault::Echo { .. }
        | Fault::Reply { .. } => {
            return verbatim_outcome(fault, req).unwrap_or(Outcome::Drop);
        }
        Fault::Throttle { retry_after_secs } => {
            let kind = rate_limit_kind(&req.method);
            Reply::arm_error(
                429,
                "SubscriptionRequestsThrottled",
                format!(
                    "Number of '{}' requests for subscription '{}' exceeded. Please try again after '{retry_after_secs}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling",
                    kind.trim_end_matches('s'),
                    segment_after("subscriptions")
                ),
            )
            .with_header("retry-after", retry_after_secs.to_string())
            .with_header(&format!("x-ms-ratelimit-remaining-subscription-{kind}"), "0")
        }
        Fault::Conflict { code } => {
            let message = if code == "ServiceIsInMaintenance" {
                format!(
                    "[Conflict] Cluster '{}' is in process of maintenance for a short period. You may retry to invoke the operation in a few minutes.",
                    segment_after("clusters")
                )
            } else {
                format!("[Conflict] The operation cannot be performed right now ({code}). Please retry later.")
            };
            Reply::arm_error(409, code, message)
        }
        Fault::Status(status) => status_fault(*status, &segment_after("subscriptions")),
    };
    decorate(&mut reply, req);
    Outcome::Reply(reply)
}

fn status_fault(status: u16, subscription: &str) -> Reply {
    let (code, message) = match status {
        500 => (
            "InternalServerError".to_owned(),
            format!(
                "Encountered internal server error. Diagnostic information: timestamp '{}', subscription id '{subscription}', tracking id '{}', request correlation id '{}'.",
                compact_timestamp(SystemTime::now()),
                new_guid(),
                new_guid()
            ),
        ),
        502 => (
            "BadGateway".to_owned(),
            "The gateway received an invalid response from the resource provider 'Microsoft.Kusto'.".to_owned(),
        ),
        503 => (
            "ServiceUnavailable".to_owned(),
            "The resource provider 'Microsoft.Kusto' is temporarily unavailable. Please retry the request.".to_owned(),
        ),
        504 => (
            "GatewayTimeout".to_owned(),
            "The gateway did not receive a response from 'Microsoft.Kusto' within the specified time period.".to_owned(),
        ),
        _ => {
            let reason = hyper::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            (
                reason.replace([' ', '-'], ""),
                format!("Injected fault: HTTP {status} {reason}."),
            )
        }
    };
    Reply::arm_error(status, &code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d";

    fn db() -> DatabasePath {
        DatabasePath {
            cluster: ClusterPath {
                subscription: "s".to_owned(),
                resource_group: "rg".to_owned(),
                cluster: "c".to_owned(),
            },
            database: "d".to_owned(),
        }
    }

    #[test]
    fn routes() {
        assert_eq!(
            Route::parse("/subscriptions/s"),
            Some(Route::Subscription("s".to_owned()))
        );
        assert_eq!(
            Route::parse(&format!("{B}/dataConnections")),
            Some(Route::DataConnections(db()))
        );
        assert_eq!(
            Route::parse("/SUBSCRIPTIONS/s/resourcegroups/rg/providers/microsoft.kusto/Clusters/c/Databases/d/DataConnections/n"),
            Some(Route::DataConnection(db(), "n".to_owned()))
        );
        assert_eq!(
            Route::parse(&format!("{B}/checkNameAvailability")),
            Some(Route::CheckNameAvailability(db()))
        );
        assert_eq!(
            Route::parse("/subscriptions/s/providers/Microsoft.Kusto/locations/West%20Europe/operationResults/id"),
            Some(Route::OperationResult {
                subscription: "s".to_owned(),
                location: "West Europe".to_owned(),
                operation_id: "id".to_owned(),
            })
        );
        for bad in [
            "",
            "/",
            "/subscriptions",
            "/subscriptions/",
            &format!("{B}/dataConnections/"),
            &format!("{B}/x/y"),
        ] {
            assert_eq!(Route::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn skip_tokens() {
        assert_eq!(decode_skip_token(&b64url(b"offset:7")), Some(7));
        assert_eq!(decode_skip_token("!!"), None);
        assert_eq!(decode_skip_token(&b64url(b"offset:x")), None);
    }
}
