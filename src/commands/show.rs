//! `adxconn show`: one GET, and whether its source is in another tenant.

use crate::cli::ShowArgs;
use crate::error::Error;
use crate::wire::{DataConnection, Received};

use super::{missing, Context};

pub async fn run(context: &Context, args: &ShowArgs) -> Result<(), Error> {
    let target = super::located(args.locate.connection())?;
    let client = context.client(None)?;
    let url = client.url(&target.path())?;
    let connection: Received<DataConnection> = match client.get(&url).await {
        Ok(response) => response.decode("the data connection")?,
        Err(error) if error.status() == Some(404) => {
            return Err(missing::connection_absent(&client, &target).await?.into())
        }
        Err(error) => return Err(error.into()),
    };
    let view = super::viewed(&client, connection, &target.database).await?;
    context.printer.connection(&view)
}
