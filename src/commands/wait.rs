//! `adxconn wait`: resume waiting after `--no-wait`, a timeout or Ctrl-C.
//!
//! `--operation URL` polls a status URL adxconn printed; its host must be the ARM endpoint's,
//! so a pasted URL can never make adxconn send its token elsewhere. `wait TARGET` follows the
//! connection's `provisioningState` (or, with `--deleted`, its disappearance).

use futures_util::stream::{self, StreamExt};
use serde_json::json;

use crate::arm::operation::{self, NoProgress, Operation};
use crate::arm::{ArmClient, ArmError};
use crate::cli::WaitArgsCommand;
use crate::error::{Error, InputError};
use crate::output::ConnectionView;
use crate::settings::checked_endpoint;
use crate::target::{ConnectionRef, DatabaseRef};
use crate::wire::{DataConnection, Received};

use super::{missing, Context};

pub async fn run(context: &Context, args: &WaitArgsCommand) -> Result<(), Error> {
    if !args.locate.ids.is_empty() {
        return wait_for_each(context, args).await;
    }
    let timeout = args.timeout.0;
    let (operation, target) = match &args.operation {
        Some(text) => (operation_url(context, text)?, None),
        None => {
            let target = super::located(args.locate.connection())?;
            let url = crate::arm::arm_url(&context.endpoints.arm, &target.path())?;
            let operation = if args.deleted {
                Operation::until_gone(&url)
            } else {
                Operation::for_resource(&url)
            };
            (operation, Some(target))
        }
    };
    let client = context.client(Some(timeout))?;
    match (&target, args.deleted) {
        // A connection that does not exist will never settle.
        (Some(target), false) => {
            if let Err(error) = client.get(&operation.url).await {
                if error.status() == Some(404) {
                    return Err(missing::connection_absent(&client, target).await?.into());
                }
                return Err(error.into());
            }
        }
        // "Gone" must not be a typo in the database's address.
        (Some(target), true) => missing::check_database(&client, &target.database).await?,
        (None, _) => {}
    }
    operation::wait(&client, &operation, None, &context.status).await?;
    match (&target, args.deleted) {
        (Some(target), false) => {
            let connection: Received<DataConnection> = client
                .get(&operation.url)
                .await?
                .decode("the data connection")?;
            context
                .status
                .info(&format!("Data connection `{}` has settled", target.name));
            context.printer.connection(&ConnectionView::new(connection))
        }
        (Some(target), true) => {
            context
                .status
                .info(&format!("Data connection `{}` is gone", target.name));
            Ok(())
        }
        (None, _) => {
            context.status.info("The operation succeeded");
            if context.printer.wants_data() {
                context
                    .printer
                    .data(&json!({"operation": operation.url.as_str(), "status": "Succeeded"}))?;
            }
            Ok(())
        }
    }
}

/// Only status URLs on the ARM endpoint's own origin are polled with our token.
fn operation_url(context: &Context, text: &str) -> Result<Operation, Error> {
    let url = checked_endpoint(text, "--operation")?;
    let arm = &context.endpoints.arm;
    if !crate::transport::same_origin(&url, arm) {
        let differs = if url.scheme() != arm.scheme() {
            format!(
                "its scheme `{}` is not the ARM endpoint's `{}`",
                url.scheme(),
                arm.scheme()
            )
        } else if url.port_or_known_default() != arm.port_or_known_default()
            && url.host_str().map(str::to_ascii_lowercase)
                == arm.host_str().map(str::to_ascii_lowercase)
        {
            format!(
                "its port `{}` is not the ARM endpoint's `{}`",
                url.port_or_known_default().unwrap_or_default(),
                arm.port_or_known_default().unwrap_or_default()
            )
        } else {
            format!(
                "its host `{}` is not the ARM endpoint `{}`",
                url.host_str().unwrap_or_default(),
                arm.host_str().unwrap_or_default()
            )
        };
        return Err(InputError::new("--operation", differs)
            .hint("pass the URL adxconn printed, with the same --cloud / ADXCONN_ARM_ENDPOINT")
            .into());
    }
    Ok(Operation::from_url(url))
}

/// What became of one connection of `wait --ids`.
#[derive(Debug, Clone)]
enum Waited {
    /// Its `provisioningState` is `Succeeded` (or, with `--deleted`, it is gone).
    Settled(&'static str),
    /// It ended `Failed`, or could not be read: ARM's code and message.
    Failed { code: String, message: String },
    /// Not there to settle (without `--deleted`).
    Absent,
    /// A signal or the deadline came first; whatever Azure was doing goes on.
    Stopped,
}

impl Waited {
    fn as_str(&self) -> &'static str {
        match self {
            Waited::Settled(outcome) => outcome,
            Waited::Failed { .. } => "failed",
            Waited::Absent => "absent",
            Waited::Stopped => "stopped",
        }
    }
}

/// `wait --ids`: every connection waited for at once (a bounded number at a time), each
/// reported, the way `delete --ids` reports.
async fn wait_for_each(context: &Context, args: &WaitArgsCommand) -> Result<(), Error> {
    let targets = super::named_by_ids(&args.locate.ids)?;
    if targets.is_empty() {
        return super::nothing_named(context);
    }
    let client = context.client(Some(args.timeout.0))?;
    context.status.info(&format!(
        "Waiting for {} data connections {}",
        targets.len(),
        if args.deleted {
            "to be gone"
        } else {
            "to settle"
        }
    ));
    let unreadable = if args.deleted {
        match unreadable_databases(&client, &targets).await {
            Ok(unreadable) => unreadable,
            Err(stop) => {
                let waited = vec![Waited::Stopped; targets.len()];
                return report(context, &targets, &waited, Some(stop));
            }
        }
    } else {
        Vec::new()
    };
    let mut stop = None;
    let waited: Vec<Waited> = stream::iter(&targets)
        .map(|target| {
            let unreadable = unreadable
                .iter()
                .find(|(database, _)| *database == target.database)
                .map(|(_, waited)| waited.clone());
            let client = &client;
            async move {
                match unreadable {
                    Some(waited) => Ok(waited),
                    None => settle(client, target, args.deleted).await,
                }
            }
        })
        .buffered(crate::fleet::DEFAULT_CONCURRENCY)
        .map(|result| match result {
            Ok(waited) => waited,
            Err(error) => {
                stop.get_or_insert(error);
                Waited::Stopped
            }
        })
        .collect()
        .await;
    report(context, &targets, &waited, stop)
}

/// Prints what became of each connection; the exit follows from the worst of them.
fn report(
    context: &Context,
    targets: &[ConnectionRef],
    waited: &[Waited],
    stop: Option<ArmError>,
) -> Result<(), Error> {
    if context.printer.wants_data() {
        context.printer.data(&serde_json::Value::Array(
            targets
                .iter()
                .zip(waited)
                .map(|(target, waited)| waited_json(target, waited))
                .collect(),
        ))?;
    } else {
        context.printer.table(&crate::output::outcomes_table(
            targets.iter().zip(waited).map(|(target, waited)| {
                let detail = match waited {
                    Waited::Failed { code, message } => format!("{code}: {message}"),
                    _ => String::new(),
                };
                (target, waited.as_str(), detail)
            }),
        ))?;
    }
    if let Some(error) = stop {
        return Err(error.into());
    }
    let count = |wanted: fn(&Waited) -> bool| waited.iter().filter(|w| wanted(w)).count();
    let failed = count(|w| matches!(w, Waited::Failed { .. }));
    let absent = count(|w| matches!(w, Waited::Absent));
    if failed + absent > 0 {
        return Err(Error::Unsettled {
            failed,
            absent,
            total: waited.len(),
        });
    }
    Ok(())
}

/// With `--deleted`: each distinct database of `targets` that cannot be read, with what to
/// report for its connections ("gone" must not be a typo in the database's address). Each is
/// read once, however many ids name it; `Err` is a stop (signal, deadline).
async fn unreadable_databases(
    client: &ArmClient,
    targets: &[ConnectionRef],
) -> Result<Vec<(DatabaseRef, Waited)>, ArmError> {
    let mut databases: Vec<&DatabaseRef> = Vec::new();
    for target in targets {
        if !databases.contains(&&target.database) {
            databases.push(&target.database);
        }
    }
    let checked: Vec<_> = stream::iter(databases)
        .map(|database| async move { (database, missing::check_database(client, database).await) })
        .buffered(crate::fleet::DEFAULT_CONCURRENCY)
        .collect()
        .await;
    let mut unreadable = Vec::new();
    for (database, checked) in checked {
        let waited = match checked {
            Ok(()) => continue,
            Err(Error::Arm(error)) if error.is_stop() => return Err(error),
            Err(Error::Arm(error)) => {
                let (code, message) = error.code_and_message();
                Waited::Failed { code, message }
            }
            Err(other) => Waited::Failed {
                code: "NotFound".into(),
                message: other.to_string(),
            },
        };
        unreadable.push((database.clone(), waited));
    }
    Ok(unreadable)
}

/// Waits for one connection; only a stop (signal, deadline) is an error, anything else is
/// what became of it.
async fn settle(
    client: &ArmClient,
    target: &ConnectionRef,
    deleted: bool,
) -> Result<Waited, ArmError> {
    let failed = |error: ArmError| -> Result<Waited, ArmError> {
        if error.is_stop() {
            return Err(error);
        }
        let (code, message) = error.code_and_message();
        Ok(Waited::Failed { code, message })
    };
    let url = match client.url(&target.path()) {
        Ok(url) => url,
        Err(error) => return failed(error),
    };
    if deleted {
        let gone = Operation::until_gone(&url);
        return match operation::wait(client, &gone, None, &NoProgress).await {
            Ok(()) => Ok(Waited::Settled("gone")),
            Err(error) => failed(error),
        };
    }
    match client.get(&url).await {
        Err(error) if error.status() == Some(404) => return Ok(Waited::Absent),
        Err(error) => return failed(error),
        Ok(_) => {}
    }
    let settled = Operation::for_resource(&url);
    match operation::wait(client, &settled, None, &NoProgress).await {
        Ok(()) => Ok(Waited::Settled("succeeded")),
        Err(error) => failed(error),
    }
}

fn waited_json(target: &ConnectionRef, waited: &Waited) -> serde_json::Value {
    let mut json = json!({"id": target.id(), "outcome": waited.as_str()});
    if let Waited::Failed { code, message } = waited {
        json["error"] = json!({"code": code, "message": message});
    }
    json
}
