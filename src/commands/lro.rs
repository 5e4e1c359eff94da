//! The one flow every write verb follows once Azure has taken its request: accepted, then
//! either the `--no-wait` answer (one JSON shape for every verb) or a wait until the
//! operation ends.

use std::time::Duration;

use serde_json::json;
use url::Url;

use crate::arm::operation::{self, Operation};
use crate::arm::{ArmClient, Response};
use crate::error::Error;
use crate::target::ConnectionRef;
use crate::wire::{DataConnection, Received};

use super::Context;

/// A write Azure accepted, and what to follow to see it end.
pub struct Accepted<'a> {
    pub target: &'a ConnectionRef,
    /// `PUT` or `DELETE`, named when a wait stops early.
    pub method: &'static str,
    pub url: &'a Url,
    /// What to poll; `None` when the write is already complete.
    pub operation: Option<Operation>,
    /// `Retry-After` of the write's answer.
    pub first_delay: Option<Duration>,
    /// The resource as Azure answered the write (a create's `Creating` connection).
    pub resource: Option<Received<DataConnection>>,
}

impl<'a> Accepted<'a> {
    /// An answered write: its status URL, else `otherwise` (following the resource itself when
    /// the answer says the work goes on). A status URL adxconn will not follow is an error that
    /// says the write stands and how to follow the connection instead.
    pub fn answered(
        client: &ArmClient,
        target: &'a ConnectionRef,
        method: &'static str,
        url: &'a Url,
        response: &Response,
        otherwise: Option<Operation>,
    ) -> Result<Accepted<'a>, Error> {
        let operation = Operation::from_response(client, response)
            .map_err(|error| super::unfollowable(method, target, method == "DELETE", error))?
            .or(otherwise);
        Ok(Accepted {
            target,
            method,
            url,
            operation,
            first_delay: response.retry_after(),
            resource: None,
        })
    }

    /// A write whose answer was lost but which Azure applied: follow `operation`.
    pub fn applied(
        target: &'a ConnectionRef,
        method: &'static str,
        url: &'a Url,
        operation: Operation,
    ) -> Accepted<'a> {
        Accepted {
            target,
            method,
            url,
            operation: Some(operation),
            first_delay: None,
            resource: None,
        }
    }

    #[must_use]
    pub fn with_resource(mut self, resource: Received<DataConnection>) -> Accepted<'a> {
        self.resource = Some(resource);
        self
    }
}

/// How a followed write ended for this run.
#[derive(Debug, PartialEq, Eq)]
pub enum Followed {
    /// `--no-wait`: the accepted write was reported; it goes on in Azure.
    NotWaited,
    /// The operation ended successfully.
    Ended,
}

/// `--no-wait` reports the accepted write; otherwise waits until its operation ends.
pub async fn follow(
    context: &Context,
    client: &ArmClient,
    accepted: &Accepted<'_>,
    no_wait: bool,
) -> Result<Followed, Error> {
    if no_wait {
        report_accepted(context, accepted)?;
        return Ok(Followed::NotWaited);
    }
    if let Some(operation) = &accepted.operation {
        operation::wait(client, operation, accepted.first_delay, &context.status)
            .await
            .map_err(|error| error.started_by(accepted.method, accepted.url))?;
    }
    Ok(Followed::Ended)
}

/// The `--no-wait` answer of every write verb: the status URL on stdout for people, and for
/// scripts `{"id", "result": "accepted", "operation", "resource"}`.
fn report_accepted(context: &Context, accepted: &Accepted<'_>) -> Result<(), Error> {
    let url = accepted
        .operation
        .as_ref()
        .map(|operation| operation.url.to_string());
    context
        .status
        .info("Accepted; not waiting (--no-wait). The operation goes on in Azure.");
    if context.printer.wants_data() {
        context.printer.data(&json!({
            "id": accepted.target.id(),
            "result": "accepted",
            "operation": url,
            "resource": accepted.resource.as_ref().map(|resource| &resource.json),
        }))
    } else {
        match url {
            Some(url) => context.printer.text(&format!("{url}\n")),
            None => Ok(()),
        }
    }
}
