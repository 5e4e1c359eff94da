//! `adxconn list`: the data connections of one database, all pages, each marked when its
//! source is in another tenant.

use crate::cli::ListArgs;
use crate::error::Error;
use crate::output::ConnectionView;
use crate::tenancy::Tenancy;
use crate::wire::{DataConnection, Received};

use super::{missing, Context};

pub async fn run(context: &Context, args: &ListArgs) -> Result<(), Error> {
    let database = args.database.database();
    let client = context.client(None)?;
    let connections: Vec<Received<DataConnection>> = match client
        .list(&client.url(&database.connections_path())?)
        .await
    {
        Ok(connections) => connections,
        Err(error) => return Err(missing::explain(&client, &database, error.into()).await),
    };
    let mut tenancy = Tenancy::new(&client).await;
    let mut views = Vec::with_capacity(connections.len());
    for connection in connections {
        let tenant = tenancy
            .source_tenant(&connection.value, &database.subscription)
            .await?;
        views.push(ConnectionView::new(connection).with_source_tenant(tenant));
    }
    context.status.info(&match views.len() {
        0 => format!("No data connections in `{}`", database.display()),
        1 => format!("1 data connection in `{}`", database.display()),
        n => format!("{n} data connections in `{}`", database.display()),
    });
    context.printer.connections(&views)
}
