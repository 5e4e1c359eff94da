//! The ARM surface: every request to Azure Resource Manager goes through
//! [`handle`], which runs ARM's checks in ARM's order: fault injection,
//! bearer token, throttling, auxiliary tokens, route, then api-version,
//! subscription (and its tenant), role, parent resources, linked
//! (cross-tenant) scopes of writes, and finally the handler.
//!
//! The submodules import each other in one direction, and none imports this
//! one: `routes` (path, method and api-version), `authorise` (bearer token,
//! tenant, role), `throttling` (the token buckets' 429), `cross_tenant`
//! (auxiliary tokens, linked scopes), `resources` (subscriptions, clusters,
//! databases), `sources` (the resources connections read), `data_connections`
//! and `operations` (the handlers), `paging` (lists), `injected_faults`, and
//! `replies` (what every ARM answer shares).

mod authorise;
mod cross_tenant;
mod data_connections;
mod injected_faults;
mod operations;
mod paging;
mod replies;
mod resources;
mod routes;
mod sources;
mod throttling;

use crate::faults::Fault;
use crate::http::{Outcome, Reply};
use crate::log::{is_write, RecordedRequest};
use crate::state::State;
use crate::text::unix_now;
use crate::token::Claims;

use authorise::{authenticate, authorise};
use cross_tenant::{auxiliary_tokens, check_linked_scopes, BodyShape};
use data_connections::{check_name, delete, get, list, patch, put, validate_connection};
use injected_faults::fault_outcome;
use operations::operation_result;
use replies::decorate;
use resources::{
    get_cluster, get_database, get_subscription, list_clusters, list_databases, with_database,
};
use routes::{resolve, Route, Routed};
use sources::get_source;
use throttling::take_token;

pub(crate) fn handle(state: &mut State, req: &RecordedRequest) -> Outcome {
    let write = is_write(&req.method);
    if write {
        state.stats.writes += 1;
    }
    let fault = injected_faults::draw(state, req, write);
    if let Some(fault) = fault.as_ref().filter(|f| !f.applies_request()) {
        return fault_outcome(fault, req);
    }
    let mut reply = serve(state, req);
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

/// The checks, in ARM's order, then the handler.
fn serve(state: &mut State, req: &RecordedRequest) -> Reply {
    let claims = match authenticate(state, req) {
        Ok(claims) => claims,
        Err(reply) => return reply,
    };
    match take_token(state, &claims, req) {
        Ok(Some(remaining)) => remaining.tell(serve_caller(state, req, &claims)),
        Ok(None) => serve_caller(state, req, &claims),
        Err(reply) => reply,
    }
}

/// The checks after the caller is known and let through, then the handler.
fn serve_caller(state: &mut State, req: &RecordedRequest, claims: &Claims) -> Reply {
    let auxiliary = match auxiliary_tokens(state, req, unix_now()) {
        Ok(auxiliary) => auxiliary,
        Err(reply) => return reply,
    };
    let routed = match resolve(req) {
        Ok(routed) => routed,
        Err(reply) => return reply,
    };
    let subscription = match authorise(state, claims, &routed) {
        Ok(subscription) => subscription,
        Err(reply) => return reply,
    };
    let Routed {
        route,
        method,
        path,
        query,
        params,
    } = &routed;
    // Writes that name source resources are checked against them too,
    // once the database they go to is known to exist.
    let linked = |state: &State, shape| {
        check_linked_scopes(
            state,
            claims,
            &auxiliary,
            &route.action(method),
            path,
            &req.body,
            shape,
        )
    };

    match route {
        Route::Subscription(_) => get_subscription(&subscription),
        Route::Clusters {
            subscription,
            resource_group,
        } => list_clusters(state, subscription, resource_group.as_deref(), path, params),
        Route::Databases(c) => list_databases(state, c, path, params),
        Route::Source { id, .. } => get_source(state, claims, id),
        Route::OperationResult {
            subscription,
            location,
            operation_id,
        } => operation_result(state, subscription, location, operation_id, query),
        Route::Cluster(c) => get_cluster(state, c),
        Route::Database(d) => get_database(state, d),
        Route::DataConnections(d) => {
            with_database(state, d, |state, db| list(state, &db, path, params))
        }
        Route::DataConnection(d, name) => {
            with_database(state, d, |state, db| match method.as_str() {
                "PUT" => match linked(state, BodyShape::Connection) {
                    Ok(()) => put(state, &db, name, &req.body),
                    Err(reply) => reply,
                },
                "PATCH" => match linked(state, BodyShape::Connection) {
                    Ok(()) => patch(state, &db, name, &req.body),
                    Err(reply) => reply,
                },
                // A delete touches only the connection, never its source.
                "DELETE" => delete(state, &db, name),
                _ => get(state, &db, name),
            })
        }
        Route::CheckNameAvailability(d) => {
            with_database(state, d, |state, db| check_name(state, &db, &req.body))
        }
        Route::DataConnectionValidation(d) => with_database(state, d, |state, db| {
            match linked(state, BodyShape::Validation) {
                Ok(()) => validate_connection(state, &db, &req.body),
                Err(reply) => reply,
            }
        }),
    }
}
