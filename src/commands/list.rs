//! `adxconn list`: the data connections of one database, all pages, each marked when its
//! source is in another tenant.

use crate::cli::ListArgs;
use crate::error::Error;
use crate::tenancy::Tenancy;

use super::{missing, Context};

pub async fn run(context: &Context, args: &ListArgs) -> Result<(), Error> {
    let database = args.database.database();
    let client = context.client(None)?;
    let mut connections = match client
        .list(&client.url(&database.connections_path())?)
        .await
    {
        Ok(connections) => connections,
        Err(error) => return Err(missing::explain(&client, &database, error.into()).await),
    };
    let mut tenancy = Tenancy::new(&client).await;
    for connection in &mut connections {
        tenancy.mark(connection, &database.subscription).await?;
    }
    context.status.info(&match connections.len() {
        0 => format!("No data connections in `{}`", database.display()),
        1 => format!("1 data connection in `{}`", database.display()),
        n => format!("{n} data connections in `{}`", database.display()),
    });
    context.printer.connections(&connections)
}
