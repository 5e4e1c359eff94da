//! What `list`, `audit` and `prune` share: walking the scope the command line names, keeping
//! what the filters keep, and reporting the parts that could not be read.

use serde_json::{json, Value};

use crate::arm::{ArmClient, ArmError};
use crate::cli::SweepArgs;
use crate::error::Error;
use crate::fleet::{self, Inventory, Unreadable};
use crate::target::DatabaseRef;
use crate::tenancy::{SourceTenant, Tenancy};

use super::{missing, Context};

/// A walked scope: what was found, with whose tenant each one's sources are in.
pub struct Swept {
    /// `found` is filtered by every filter, `--cross-tenant-only` included.
    pub inventory: Inventory,
    /// The tenant of each of `inventory.found`, in the same order.
    pub tenants: Vec<SourceTenant>,
}

impl Swept {
    /// Exit 1 when part of the scope could not be read (each part was named on stderr).
    pub fn complete(&self) -> Result<(), Error> {
        match self.inventory.unreadable.len() {
            0 => Ok(()),
            count => Err(Error::Incomplete { count }),
        }
    }

    /// `cluster/database` when the scope is one database, else how many databases were read.
    pub fn scope_text(&self, args: &SweepArgs) -> String {
        match args.scope.scope().single_database() {
            Some(database) => format!("`{}`", database.display()),
            None => count(self.inventory.databases, "database"),
        }
    }
}

/// Walks the scope of `args`. A missing root (a typo in a name) is the command's error, naming
/// the part; a part inside the scope that cannot be read is named on stderr and kept in
/// `inventory.unreadable`.
pub async fn walk(context: &Context, client: &ArmClient, args: &SweepArgs) -> Result<Swept, Error> {
    let scope = args.scope.scope();
    let filters = args.filters.filters();
    let mut inventory =
        match fleet::walk(client, &scope, &filters, args.concurrency, &context.status).await {
            Ok(inventory) => inventory,
            Err(error) => {
                let root = DatabaseRef {
                    subscription: scope.subscriptions.first().cloned().unwrap_or_default(),
                    resource_group: scope.resource_group.clone().unwrap_or_default(),
                    cluster: scope.cluster.clone().unwrap_or_default(),
                    database: scope.database.clone().unwrap_or_default(),
                };
                return Err(missing::explain(client, &root, error.into()).await);
            }
        };
    for unreadable in &inventory.unreadable {
        context.status.info(&format!(
            "could not read `{}`: {}",
            unreadable.id, unreadable.error
        ));
    }
    let mut tenancy = Tenancy::new(client).await;
    let mut tenants = Vec::with_capacity(inventory.found.len());
    let mut kept = Vec::with_capacity(inventory.found.len());
    for found in std::mem::take(&mut inventory.found) {
        let tenant = tenancy
            .source_tenant(&found.connection.value, &found.database.subscription)
            .await?;
        if args.filters.cross_tenant_only && tenant != SourceTenant::Other {
            continue;
        }
        tenants.push(tenant);
        kept.push(found);
    }
    inventory.found = kept;
    Ok(Swept { inventory, tenants })
}

/// A part that could not be read, as a JSON item: `{"id", "error": {"code", "message"}}` (no
/// `kind`, so scripts tell it from a connection).
pub fn unreadable_json(unreadable: &Unreadable) -> Value {
    let (code, message) = match &unreadable.error {
        ArmError::Api(api) => (api.code.clone(), api.message.clone()),
        other => ("Unreadable".to_string(), other.to_string()),
    };
    json!({"id": unreadable.id, "error": {"code": code, "message": message}})
}

/// `1 database`, `3 databases`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
