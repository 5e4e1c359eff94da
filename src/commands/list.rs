//! `adxconn list`: the data connections of a scope (one database, a cluster, a resource group,
//! whole subscriptions), all pages, each marked when its source is in another tenant.

use serde_json::Value;

use crate::cli::ListArgs;
use crate::error::Error;
use crate::output::{self, ConnectionView};

use super::sweep::{self, count};
use super::Context;

pub async fn run(context: &Context, args: &ListArgs) -> Result<(), Error> {
    let client = context
        .client(None)?
        .with_request_limit(args.sweep.concurrency);
    let swept = sweep::walk(context, &client, &args.sweep).await?;
    let inventory = &swept.inventory;
    let views: Vec<ConnectionView> = inventory
        .found
        .iter()
        .zip(&swept.tenants)
        .map(|(found, tenant)| {
            ConnectionView::new(found.connection.clone())
                .with_source_tenant(*tenant)
                .in_database(found.database.clone())
        })
        .collect();
    let shown = match views.len() {
        0 => "No data connections".to_string(),
        n => count(n, "data connection"),
    };
    context
        .status
        .info(&format!("{shown} in {}", swept.scope_text(&args.sweep)));
    if context.printer.wants_data() {
        let mut items: Vec<Value> = views.iter().map(ConnectionView::to_json).collect();
        items.extend(inventory.unreadable.iter().map(sweep::unreadable_json));
        context.printer.data(&Value::Array(items))?;
    } else {
        context
            .printer
            .table(&output::list_table(&views, inventory.spans_databases()))?
    }
    swept.complete()
}
