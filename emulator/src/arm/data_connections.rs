//! The data connections of a database: list (paged when the settings say
//! so), get, create or update (a long-running operation), delete (another),
//! the name check and the validation action.

use std::time::SystemTime;

use serde_json::{json, Value};

use crate::arm::operations::start_operation;
use crate::arm::paging::paged;
use crate::arm::replies::{with_retry_after, with_status_urls};
use crate::arm::resources::Database;
use crate::http::Reply;
use crate::operation::Action;
use crate::schema::{is_valid_name, validate, DataConnectionBody};
use crate::state::{State, StoredConnection};
use crate::text::rfc3339;
use crate::world::region_name;

const DATA_CONNECTION_TYPE: &str = "Microsoft.Kusto/clusters/databases/dataConnections";

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
    let operation = start_operation(state, db, &key, Action::Delete, "DmServiceDataObtainerDrop");
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

/// `POST .../dataConnectionValidation`: the body's problems, as a list, with 200.
pub(super) fn validate_connection(db: &Database, body: &str) -> Reply {
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
