//! `adxconn list`: the data connections of a scope (one database, a cluster, a resource group,
//! whole subscriptions), all pages, each marked when its source is in another tenant.

use serde_json::{json, Value};

use crate::cli::{ListArgs, OutputFormat};
use crate::error::Error;
use crate::fleet::{self, Inventory};
use crate::output::ConnectionView;
use crate::target::DatabaseRef;
use crate::tenancy::{SourceTenant, Tenancy};

use super::{missing, Context};

pub async fn run(context: &Context, args: &ListArgs) -> Result<(), Error> {
    let scope = args.scope.scope();
    let filters = args.filters.filters();
    let client = context.client(None)?;
    let inventory =
        match fleet::walk(&client, &scope, &filters, args.concurrency, &context.status).await {
            Ok(inventory) => inventory,
            Err(error) => {
                // The scope's own root is missing: name the part, as for one database.
                let root = DatabaseRef {
                    subscription: scope.subscriptions.first().cloned().unwrap_or_default(),
                    resource_group: scope.resource_group.clone().unwrap_or_default(),
                    cluster: scope.cluster.clone().unwrap_or_default(),
                    database: scope.database.clone().unwrap_or_default(),
                };
                return Err(missing::explain(&client, &root, error.into()).await);
            }
        };
    let mut tenancy = Tenancy::new(&client).await;
    let mut views = Vec::with_capacity(inventory.found.len());
    for found in &inventory.found {
        let tenant = tenancy
            .source_tenant(&found.connection.value, &found.database.subscription)
            .await?;
        if args.filters.cross_tenant_only && tenant != SourceTenant::Other {
            continue;
        }
        views.push(
            ConnectionView::new(found.connection.clone())
                .with_source_tenant(tenant)
                .in_database(found.database.clone()),
        );
    }
    for unreadable in &inventory.unreadable {
        context.status.info(&format!(
            "could not read `{}`: {}",
            unreadable.id, unreadable.error
        ));
    }
    context
        .status
        .info(&summary(&inventory, views.len(), &scope));
    match context.printer.format() {
        OutputFormat::Json => {
            let mut items: Vec<Value> = views.iter().map(ConnectionView::to_json).collect();
            // What could not be read is in the JSON too: an item with `error` and no `kind`.
            items.extend(inventory.unreadable.iter().map(|unreadable| {
                let (code, message) = match &unreadable.error {
                    crate::arm::ArmError::Api(api) => (api.code.clone(), api.message.clone()),
                    other => ("Unreadable".to_string(), other.to_string()),
                };
                json!({"id": unreadable.id, "error": {"code": code, "message": message}})
            }));
            context.printer.json(&Value::Array(items))?;
        }
        OutputFormat::Table => {
            context
                .printer
                .connections_table(&views, inventory.spans_databases())?;
        }
    }
    if inventory.unreadable.is_empty() {
        Ok(())
    } else {
        Err(Error::Incomplete {
            count: inventory.unreadable.len(),
        })
    }
}

fn summary(inventory: &Inventory, shown: usize, scope: &fleet::Scope) -> String {
    let connections = match shown {
        0 => "No data connections".to_string(),
        1 => "1 data connection".to_string(),
        n => format!("{n} data connections"),
    };
    match scope.single_database() {
        Some(database) => format!("{connections} in `{}`", database.display()),
        None => format!(
            "{connections} in {} database{}",
            inventory.databases,
            if inventory.databases == 1 { "" } else { "s" }
        ),
    }
}
