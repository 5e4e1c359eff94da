//! The data connections of a database: list (paged when the settings say
//! so), get, create or update (PUT) and update (PATCH), delete, the name
//! check and the validation action; all but the reads and the name check
//! are long-running operations. Here too is the live service's rule that
//! two connections of a cluster may not read one hub with one consumer
//! group, which fails the operation rather than the request.

use std::time::SystemTime;

use serde_json::{json, Map, Value};

use crate::arm::operations::{start_operation, Ending};
use crate::arm::paging::paged;
use crate::arm::replies::{with_retry_after, with_status_urls};
use crate::arm::resources::Database;
use crate::http::Reply;
use crate::operation::{Action, ConnectionKey, OperationError};
use crate::schema::{
    is_valid_name, merge_patch, validate, ConsumerTuple, DataConnectionBody,
    FIXED_SOURCE_PROPERTIES,
};
use crate::state::{State, StoredConnection};
use crate::text::rfc3339;
use crate::world::region_name;

const DATA_CONNECTION_TYPE: &str = "Microsoft.Kusto/clusters/databases/dataConnections";

const NOT_AN_OBJECT: &str =
    "[BadRequest] The request body must be a JSON object with 'kind' and 'properties'.";

/// How the live service words a hub and consumer group already read by
/// another connection of the cluster, as a validation finding.
const TUPLE_IN_USE: &str =
    "event hub resource id and consumer group tuple provided are already used";

/// `properties.operationKind` of a validation while it runs (the
/// recordings show only finished ones, whose properties are the result).
const VALIDATION_OPERATION_KIND: &str = "DataConnectionValidation";

/// The error a create or update ends with when its hub and consumer group
/// are taken: the live service accepts the request and fails the
/// operation. Code and wording are the live service's, misspelt code
/// included (`Eror`).
fn tuple_in_use_error() -> OperationError {
    OperationError {
        code: "EventHubValidationErorFound".to_owned(),
        message: format!("[BadRequest] Validation Errors found: {TUPLE_IN_USE}"),
    }
}

/// Whether another connection of `db`'s cluster, in any of its databases,
/// reads `tuple`. Connections whose create or update failed do not count:
/// they read nothing.
fn tuple_in_use(state: &State, db: &Database, own: &ConnectionKey, tuple: &ConsumerTuple) -> bool {
    let cluster = ConnectionKey::new(
        &db.cluster.subscription_id,
        &db.cluster.resource_group,
        &db.cluster.name,
        "",
        "",
    );
    // Keys sort by subscription, group and cluster first.
    state
        .connections
        .range(cluster.clone()..)
        .take_while(|(key, _)| {
            key.subscription == cluster.subscription
                && key.resource_group == cluster.resource_group
                && key.cluster == cluster.cluster
        })
        .filter(|(key, conn)| *key != own && conn.provisioning_state != "Failed")
        .any(|(_, conn)| conn.schema.consumer_tuple(&conn.properties).as_ref() == Some(tuple))
}

/// The failure decided for a create or update of the connection `key` that
/// will read `tuple`, when another connection already reads it. An update
/// that keeps its tuple (`previous`) is not checked again.
fn tuple_failure(
    state: &State,
    db: &Database,
    key: &ConnectionKey,
    tuple: Option<ConsumerTuple>,
    previous: Option<ConsumerTuple>,
) -> Option<OperationError> {
    let tuple = tuple.filter(|t| previous.as_ref() != Some(t))?;
    tuple_in_use(state, db, key, &tuple).then(tuple_in_use_error)
}

/// `GET` of a database's connections, paged when the settings say so.
pub(super) fn list(state: &State, db: &Database, path: &str, params: &[(String, String)]) -> Reply {
    // Keys sort by database first, so the database's connections are one range.
    let connections: Vec<&StoredConnection> = state
        .connections
        .range(db.key("")..)
        .take_while(|(key, _)| db.contains(key))
        .map(|(_, conn)| conn)
        .collect();
    paged(state, path, params, &connections, |conn| conn.resource())
}

/// `GET` of one connection.
pub(super) fn get(state: &State, db: &Database, name: &str) -> Reply {
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

/// `PUT` of a connection: 201 and a create operation for a new one, 200 and
/// an update operation for an existing one, both echoing the body.
pub(super) fn put(state: &mut State, db: &Database, name: &str, body: &str) -> Reply {
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
    // An update keeps the connection's name spelling, creation time and
    // how it shows unset strings.
    let existing = state.connections.get(&key).map(|c| {
        (
            (c.name.clone(), c.created.clone(), c.updated),
            c.schema.consumer_tuple(&c.properties),
        )
    });
    let (existing, previous_tuple) = existing.unzip();
    let (action, status, provisioning_state) = if existing.is_some() {
        (Action::Update, 200, "Accepted")
    } else {
        (Action::Create, 201, "Creating")
    };
    let tuple = body.schema.consumer_tuple(&body.properties);
    let decided = tuple_failure(state, db, &key, tuple, previous_tuple.flatten());
    let ending = Ending::decided_or_queued(state, decided);
    let operation = start_operation(state, db, &key, action, body.schema.operation_kind, ending);
    let now = rfc3339(SystemTime::now());
    let (display_name, created, updated) =
        existing.unwrap_or_else(|| (name.to_owned(), now, false));
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
        updated,
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

/// `PATCH` of a connection (DataConnections_Update), as the live service
/// answers it:
///
/// - the body is `{"kind", "location"?, "properties"?}` with any subset of
///   the properties: each one named replaces the stored one, `null` clears
///   an optional one, and the rest stay as they are;
/// - 404 `ResourceNotFound` when the connection does not exist; 400
///   `BadRequest` when `kind` is missing or is not the stored kind (Kusto
///   does not change a connection's kind), when the patch changes a source
///   id ([`FIXED_SOURCE_PROPERTIES`]: Kusto does not move a connection to
///   another source), or when the merged connection fails the checks of a
///   PUT body; 409 `Conflict` while another operation runs on it;
/// - otherwise 202 with the whole merged resource, `provisioningState`
///   `Accepted`, and the `Location` and `Azure-AsyncOperation` URLs of an
///   update operation (plus `Retry-After` when the settings ask for one).
///   The stored connection holds the merged properties at once; the
///   operation ends `Succeeded`, or `Failed` when the patch moves it onto
///   a hub and consumer group another connection of the cluster reads (or
///   a failure was queued), leaving the connection `Failed`. The `Location`
///   URL then answers 200 with the resource, like a PUT's.
pub(super) fn patch(state: &mut State, db: &Database, name: &str, body: &str) -> Reply {
    let bad_request = |message: &str| Reply::arm_error(400, "BadRequest", message);
    let body = match parse_json(body) {
        Ok(Value::Object(body)) => body,
        Ok(_) => return bad_request(NOT_AN_OBJECT),
        Err(reply) => return reply,
    };
    let key = db.key(name);
    let Some(conn) = state.connections.get(&key) else {
        return not_found(db, name);
    };
    let kind = match body.get("kind") {
        None | Some(Value::Null) => {
            return bad_request("[BadRequest] The property 'kind' is missing.")
        }
        Some(Value::String(kind)) => kind,
        Some(_) => return bad_request("[BadRequest] The property 'kind' must be a string."),
    };
    if let Some(op) = &conn.active_operation {
        return operation_in_progress(db, conn, op);
    }
    if kind != conn.schema.kind {
        return bad_request(&format!(
            "[BadRequest] The property 'kind' of data connection '{}' cannot be changed from '{}' to '{kind}'.",
            conn.name, conn.schema.kind
        ));
    }
    let changes = match body.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(changes)) => changes.clone(),
        Some(_) => return bad_request("[BadRequest] The property 'properties' must be an object."),
    };
    if let Err(message) = check_same_source(conn, &changes) {
        return bad_request(&message);
    }
    let location = match body.get("location") {
        None | Some(Value::Null) => Value::from(conn.location.clone()),
        Some(location) => location.clone(),
    };
    let merged = json!({
        "kind": kind,
        "location": location,
        "properties": merge_patch(&conn.properties, &changes),
    });
    let merged = match validate(&merged) {
        Ok(merged) => merged,
        Err(errors) => return bad_request(errors.first().map_or("", String::as_str)),
    };
    if let Err(message) = check_location(db, &merged) {
        return bad_request(&message);
    }
    let previous = conn.schema.consumer_tuple(&conn.properties);
    let tuple = merged.schema.consumer_tuple(&merged.properties);
    let decided = tuple_failure(state, db, &key, tuple, previous);
    let ending = Ending::decided_or_queued(state, decided);
    let operation = start_operation(
        state,
        db,
        &key,
        Action::Update,
        merged.schema.operation_kind,
        ending,
    );
    let Some(conn) = state.connections.get_mut(&key) else {
        return not_found(db, name);
    };
    conn.properties = merged.properties;
    if let Some(location) = merged.location {
        conn.location = location;
    }
    conn.provisioning_state = "Accepted".to_owned();
    conn.active_operation = Some(operation.id.clone());
    let reply = Reply::json(202, &conn.resource()).with_header(
        "x-ms-ratelimit-remaining-subscription-resource-requests",
        "199",
    );
    let reply = with_status_urls(reply, &operation.urls, &state.origin);
    with_retry_after(reply, state.settings.poll_retry_after)
}

/// The 400 message for a patch that points a connection at another source
/// (ids compare case-insensitively, as ARM's do).
fn check_same_source(conn: &StoredConnection, changes: &Map<String, Value>) -> Result<(), String> {
    for property in FIXED_SOURCE_PROPERTIES {
        let (Some(new), Some(old)) = (
            changes.get(property).and_then(Value::as_str),
            conn.properties.get(property).and_then(Value::as_str),
        ) else {
            continue;
        };
        if !new.eq_ignore_ascii_case(old) {
            return Err(format!(
                "[BadRequest] The property '{property}' of data connection '{}' cannot be changed from '{old}' to '{new}': a data connection cannot be moved to another source. Delete it and create a new one instead.",
                conn.name
            ));
        }
    }
    Ok(())
}

/// `DELETE` of a connection: 202 and a delete operation, or 204 when there
/// is nothing to delete.
pub(super) fn delete(state: &mut State, db: &Database, name: &str) -> Reply {
    let key = db.key(name);
    let Some(conn) = state.connections.get(&key) else {
        return Reply::empty(204);
    };
    if let Some(op) = &conn.active_operation {
        return operation_in_progress(db, conn, op);
    }
    let ending = Ending::decided_or_queued(state, None);
    let operation = start_operation(
        state,
        db,
        &key,
        Action::Delete,
        "DmServiceDataObtainerDrop",
        ending,
    );
    if let Some(conn) = state.connections.get_mut(&key) {
        conn.provisioning_state = "Deleting".to_owned();
        conn.active_operation = Some(operation.id.clone());
    }
    let reply = with_status_urls(Reply::empty(202), &operation.urls, &state.origin);
    with_retry_after(reply, state.settings.poll_retry_after)
}

/// `POST .../checkNameAvailability`.
pub(super) fn check_name(state: &State, db: &Database, body: &str) -> Reply {
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

/// `POST .../dataConnectionValidation`, a long-running operation as the
/// live service runs it (api-version 2025-02-14, and the recordings):
///
/// 1. The body is `{"dataConnectionName": name, "properties": {"kind",
///    "location"?, "properties": {...}}}`. A body that is not JSON, or has
///    no `properties`, is refused at once (400); nothing else is.
/// 2. The answer is 202 with an empty body and the `Location` and
///    `Azure-AsyncOperation` URLs of a new operation (and `Retry-After`
///    when the settings ask for one).
/// 3. While it runs, `Azure-AsyncOperation` answers 200 with `status`
///    `Running` or `InProgress`, `Location` 202 with both URLs again.
/// 4. Once done, `Azure-AsyncOperation` answers 200 with `status`
///    `Succeeded` and the result as `properties`; `Location` answers 200
///    with the result itself: `{"value": [{"errorMessage": "..."}, ...]}`,
///    an empty `value` meaning the connection would be accepted. Problems
///    are findings of a succeeded operation, never an HTTP error.
///
/// The findings, decided when the request arrives: every problem a PUT of
/// the connection would be refused for (schema, location), the live
/// service's `event hub resource id and consumer group tuple provided are
/// already used` when another connection of the cluster reads the same
/// hub with the same consumer group (the connection named
/// `dataConnectionName` in this database is not compared with itself),
/// then those of
/// [`Emulator::set_validation_findings`](crate::Emulator::set_validation_findings).
pub(super) fn validate_connection(state: &mut State, db: &Database, body: &str) -> Reply {
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
    let name = body
        .get("dataConnectionName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let key = db.key(name);
    let mut findings: Vec<String> = match validate(connection) {
        Ok(proposed) => {
            let tuple = proposed.schema.consumer_tuple(&proposed.properties);
            check_location(db, &proposed)
                .err()
                .into_iter()
                .chain(
                    tuple
                        .filter(|t| tuple_in_use(state, db, &key, t))
                        .map(|_| TUPLE_IN_USE.to_owned()),
                )
                .collect()
        }
        Err(errors) => errors,
    };
    findings.extend(state.settings.validation_findings.iter().cloned());
    let ending = Ending {
        failure: None,
        findings,
    };
    let operation = start_operation(
        state,
        db,
        &key,
        Action::Validate,
        VALIDATION_OPERATION_KIND,
        ending,
    );
    let reply = with_status_urls(Reply::empty(202), &operation.urls, &state.origin);
    with_retry_after(reply, state.settings.poll_retry_after)
}
