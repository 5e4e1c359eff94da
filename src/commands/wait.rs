//! `adxconn wait`: resume waiting after `--no-wait`, a timeout or Ctrl-C.
//!
//! `--operation URL` polls a status URL adxconn printed; its host must be the ARM endpoint's,
//! so a pasted URL can never make adxconn send its token elsewhere. `wait TARGET` follows the
//! connection's `provisioningState` (or, with `--deleted`, its disappearance).

use serde_json::json;

use crate::arm::operation::{self, Operation};
use crate::cli::WaitArgsCommand;
use crate::error::{Error, InputError};
use crate::output::ConnectionView;
use crate::settings::checked_endpoint;
use crate::wire::{DataConnection, Received};

use super::{missing, Context};

pub async fn run(context: &Context, args: &WaitArgsCommand) -> Result<(), Error> {
    if !args.locate.ids.is_empty() {
        return Err(crate::error::InputError::new(
            "--ids",
            "wait follows one connection or operation",
        )
        .hint("give --id (or the parts), or --operation; `delete --ids` waits for each deletion itself")
        .into());
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
                    .json(&json!({"operation": operation.url.as_str(), "status": "Succeeded"}))?;
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
