//! Long-running operations as ARM handles them: starting one for a write or
//! a validation, and answering its status URLs (`Azure-AsyncOperation` with
//! the status body, `Location` with 202 until done, then the outcome: the
//! resource, nothing for a delete, the findings for a validation).

use std::time::{Duration, Instant, SystemTime};

use crate::arm::replies::{unauthorized, with_retry_after, with_status_urls};
use crate::arm::resources::Database;
use crate::http::Reply;
use crate::operation::{
    Action, ConnectionKey, Operation, OperationError, StatusUrlKind, StatusUrls,
};
use crate::state::State;
use crate::text::new_guid;
use crate::world::region_name;

/// What a handler needs of a just-started operation.
pub(super) struct Started {
    pub id: String,
    pub urls: StatusUrls,
}

/// How a just-started operation ends.
pub(super) struct Ending {
    /// The error it fails with, or `None` to succeed.
    pub failure: Option<OperationError>,
    /// A validation's findings (empty for other actions).
    pub findings: Vec<String>,
}

impl Ending {
    /// The failure the handler decided, else the one queued by
    /// [`Emulator::fail_next_operation`](crate::Emulator::fail_next_operation),
    /// which stays queued when the handler decided one.
    pub(super) fn decided_or_queued(state: &mut State, decided: Option<OperationError>) -> Ending {
        Ending {
            failure: decided.or_else(|| state.settings.fail_next_operation.take()),
            findings: Vec::new(),
        }
    }
}

/// Starts an operation on the connection `key` of `db`, decided now: how
/// long it runs comes from the settings, how it ends from `ending`.
pub(super) fn start_operation(
    state: &mut State,
    db: &Database,
    key: &ConnectionKey,
    action: Action,
    operation_kind: &'static str,
    ending: Ending,
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
        failure: ending.failure,
        settled: false,
        polls: 0,
        urls: urls.clone(),
        findings: ending.findings,
    };
    state.operations.insert(id.clone(), operation);
    Started { id, urls }
}

/// `GET` of an operation status URL, which must be one the emulator
/// issued, byte for byte.
pub(super) fn operation_result(
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
        StatusUrlKind::Location if running => {
            with_status_urls(Reply::empty(202), &op.urls, &origin)
        }
        StatusUrlKind::Location => match (&op.failure, op.action) {
            (Some(error), _) => Reply::arm_error(400, &error.code, error.message.clone()),
            (None, Action::Delete) => Reply::empty(200),
            (None, Action::Validate) => Reply::json(200, &op.validation_result()),
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
