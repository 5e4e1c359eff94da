//! `adxconn list`: the data connections of one database, all pages.

use crate::cli::ListArgs;
use crate::error::Error;
use crate::target::DatabaseRef;

use super::Context;

pub async fn run(context: &Context, args: &ListArgs) -> Result<(), Error> {
    let database = DatabaseRef::resolve(&args.database)?;
    let client = context.client()?;
    let connections = client
        .list(&client.url(&database.connections_path()))
        .await?;
    context.status.info(&match connections.len() {
        0 => format!("No data connections in `{}`", database.display()),
        1 => format!("1 data connection in `{}`", database.display()),
        n => format!("{n} data connections in `{}`", database.display()),
    });
    context.printer.connections(&connections)
}
