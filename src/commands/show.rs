//! `adxconn show`: one GET, and whether its source is in another tenant.

use crate::cli::ShowArgs;
use crate::error::Error;
use crate::wire::{DataConnection, Received};

use super::{missing, Context};

pub async fn run(context: &Context, args: &ShowArgs) -> Result<(), Error> {
    if !args.locate.ids.is_empty() {
        return show_many(context, args).await;
    }
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

/// `show --ids`: each connection named, in order; one that is not there is named on stderr and
/// makes the exit code 5, after the others are shown.
async fn show_many(context: &Context, args: &ShowArgs) -> Result<(), Error> {
    let targets = super::named_by_ids(&args.locate.ids)?;
    if targets.is_empty() {
        return super::nothing_named(context);
    }
    let client = context.client(None)?;
    let mut views = Vec::with_capacity(targets.len());
    let mut first_missing = None;
    for target in &targets {
        let url = client.url(&target.path())?;
        match client.get(&url).await {
            Ok(response) => {
                let connection: Received<DataConnection> =
                    response.decode("the data connection")?;
                views.push(
                    super::viewed(&client, connection, &target.database)
                        .await?
                        .in_database(target.database.clone()),
                );
            }
            Err(error) if error.status() == Some(404) => {
                context
                    .status
                    .info(&format!("not found: `{}`", target.id()));
                first_missing.get_or_insert_with(|| target.clone());
            }
            Err(error) => return Err(error.into()),
        }
    }
    if context.printer.wants_data() {
        context.printer.data(&serde_json::Value::Array(
            views
                .iter()
                .map(crate::output::ConnectionView::to_json)
                .collect(),
        ))?
    } else {
        context
            .printer
            .table(&crate::output::list_table(&views, true))?
    }
    match first_missing {
        Some(target) => Err(missing::connection_absent(&client, &target).await?.into()),
        None => Ok(()),
    }
}
