//! The support engineer's view: every data connection in a scope wider than one database
//! (subscriptions → resource group → cluster → database), read with bounded concurrency.
//!
//! ARM lists data connections per database only, so a walk is clusters, then each cluster's
//! databases, then each database's connections, every list followed through all its pages.
//! What cannot be read inside the scope (a cluster that forbids us, a database deleted while
//! walking) is recorded and the walk goes on; only the scope's own roots (a subscription or
//! resource group, a named cluster or database) failing stops it, so a typo is never a quiet
//! empty list.

use futures_util::stream::{self, StreamExt};

use crate::arm::operation::ProgressReport;
use crate::arm::{ArmClient, ArmError};
use crate::resource_id::ResourceId;
use crate::target::{ConnectionRef, DatabaseRef};
use crate::wire::{DataConnection, Kind, Received, TrackedResource};

/// Parallel reads when `--concurrency` is not given: well inside ARM's read bucket (250, refilled
/// at 25 a second per principal), and enough to hide a ~100 ms round trip.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The most parallel requests `--concurrency` may ask for.
pub const MAX_CONCURRENCY: usize = 64;

/// Where to look. A narrower part needs the wider ones (clap and `Scope::check` see to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub subscriptions: Vec<String>,
    pub resource_group: Option<String>,
    pub cluster: Option<String>,
    pub database: Option<String>,
}

impl Scope {
    /// The one database named, when the scope is exactly one.
    pub fn single_database(&self) -> Option<DatabaseRef> {
        match (
            self.subscriptions.as_slice(),
            &self.resource_group,
            &self.cluster,
            &self.database,
        ) {
            ([subscription], Some(group), Some(cluster), Some(database)) => Some(DatabaseRef {
                subscription: subscription.clone(),
                resource_group: group.clone(),
                cluster: cluster.clone(),
                database: database.clone(),
            }),
            _ => None,
        }
    }
}

/// Which connections to keep.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Any of these kinds; all when empty.
    pub kinds: Vec<Kind>,
    /// A glob on the connection's own name (`*`, `?`), case-insensitive as ARM names are.
    pub name_pattern: Option<String>,
}

impl Filters {
    pub fn keeps(&self, connection: &DataConnection) -> bool {
        let kind_ok = self.kinds.is_empty() || self.kinds.contains(&connection.kind());
        let name_ok = match &self.name_pattern {
            Some(pattern) => glob_matches(pattern, connection.short_name().unwrap_or_default()),
            None => true,
        };
        kind_ok && name_ok
    }
}

/// A data connection found by a walk, with the database it belongs to.
#[derive(Debug, Clone)]
pub struct Found {
    pub database: DatabaseRef,
    pub connection: Received<DataConnection>,
}

impl Found {
    /// The connection's own name.
    pub fn name(&self) -> &str {
        self.connection.value.short_name().unwrap_or_default()
    }

    /// The connection's address, for writes.
    pub fn target(&self) -> ConnectionRef {
        ConnectionRef {
            database: self.database.clone(),
            name: self.name().to_string(),
        }
    }

    /// The sort key: subscription, resource group, cluster, database, name (ARM names compare
    /// case-insensitively).
    fn key(&self) -> [String; 5] {
        [
            &self.database.subscription,
            &self.database.resource_group,
            &self.database.cluster,
            &self.database.database,
            self.name(),
        ]
        .map(|part| part.to_ascii_lowercase())
    }
}

/// A part of the scope that could not be read: its ARM id and why.
#[derive(Debug)]
pub struct Unreadable {
    pub id: String,
    pub error: ArmError,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Sorted by subscription, resource group, cluster, database and name.
    pub found: Vec<Found>,
    pub unreadable: Vec<Unreadable>,
    /// How many databases were read.
    pub databases: usize,
}

impl Inventory {
    /// Whether the connections span more than one database (the table then names them).
    pub fn spans_databases(&self) -> bool {
        self.found
            .windows(2)
            .any(|pair| pair[0].database != pair[1].database)
            || self.databases > 1
    }
}

/// Walks `scope` with at most `concurrency` requests at a time, keeping what `filters` keeps.
pub async fn walk(
    client: &ArmClient,
    scope: &Scope,
    filters: &Filters,
    concurrency: usize,
    progress: &dyn ProgressReport,
) -> Result<Inventory, ArmError> {
    let concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
    let mut inventory = Inventory::default();
    let databases = databases(client, scope, concurrency, &mut inventory.unreadable).await?;
    inventory.databases = databases.len();
    progress.update(&format!(
        "reading the data connections of {} database{}",
        databases.len(),
        plural(databases.len())
    ));
    // A named database is a root: its absence is the command's error, not a note.
    let named_database = scope.database.is_some();
    let mut lists = stream::iter(databases)
        .map(|database| async move {
            let url = client.url(&database.connections_path());
            let listed = match url {
                Ok(url) => client.list::<Received<DataConnection>>(&url).await,
                Err(error) => Err(error),
            };
            (database, listed)
        })
        .buffer_unordered(concurrency);
    let mut read = 0;
    while let Some((database, listed)) = lists.next().await {
        read += 1;
        match listed {
            Ok(connections) => inventory.found.extend(
                connections
                    .into_iter()
                    .filter(|connection| filters.keeps(&connection.value))
                    .map(|connection| Found {
                        database: database.clone(),
                        connection,
                    }),
            ),
            Err(error) if error.is_stop() || named_database => return Err(error),
            Err(error) => inventory.unreadable.push(Unreadable {
                id: format!("/{}", database.path().join("/")),
                error,
            }),
        }
        if read % 10 == 0 {
            progress.update(&format!(
                "{read} of {} databases read, {} data connections so far",
                inventory.databases,
                inventory.found.len()
            ));
        }
    }
    inventory.found.sort_by_key(Found::key);
    inventory
        .unreadable
        .sort_by_key(|unreadable| unreadable.id.to_ascii_lowercase());
    Ok(inventory)
}

/// Every database in the scope. Listing a root fails the walk; listing the databases of a
/// cluster found inside the scope is recorded in `unreadable` instead.
async fn databases(
    client: &ArmClient,
    scope: &Scope,
    concurrency: usize,
    unreadable: &mut Vec<Unreadable>,
) -> Result<Vec<DatabaseRef>, ArmError> {
    let mut clusters = Vec::new();
    for subscription in &scope.subscriptions {
        match (&scope.resource_group, &scope.cluster, &scope.database) {
            (Some(group), Some(cluster), Some(database)) => {
                return Ok(vec![DatabaseRef {
                    subscription: subscription.clone(),
                    resource_group: group.clone(),
                    cluster: cluster.clone(),
                    database: database.clone(),
                }])
            }
            (Some(group), Some(cluster), None) => clusters.push((
                DatabaseRef {
                    subscription: subscription.clone(),
                    resource_group: group.clone(),
                    cluster: cluster.clone(),
                    database: String::new(),
                },
                true,
            )),
            (group, _, _) => {
                let mut path = vec!["subscriptions", subscription.as_str()];
                if let Some(group) = group {
                    path.extend(["resourceGroups", group.as_str()]);
                }
                path.extend(["providers", "Microsoft.Kusto", "clusters"]);
                let listed: Vec<TrackedResource> = client.list(&client.url(&path)?).await?;
                clusters.extend(
                    listed
                        .iter()
                        .filter_map(|cluster| cluster_of(cluster.id.as_deref()?))
                        .map(|cluster| (cluster, false)),
                );
            }
        }
    }
    let mut lists = stream::iter(clusters)
        .map(|(cluster, named)| async move {
            let listed = match client.url(&database_collection(&cluster)) {
                Ok(url) => client.list::<TrackedResource>(&url).await,
                Err(error) => Err(error),
            };
            (cluster, named, listed)
        })
        .buffer_unordered(concurrency);
    let mut databases = Vec::new();
    while let Some((cluster, named, listed)) = lists.next().await {
        match listed {
            Ok(listed) => databases.extend(listed.iter().filter_map(|database| {
                let id = ResourceId::parse(database.id.as_deref()?).ok()?;
                let name = id.names().last()?.clone();
                Some(DatabaseRef {
                    database: name,
                    ..cluster.clone()
                })
            })),
            Err(error) if error.is_stop() || named => return Err(error),
            Err(error) => unreadable.push(Unreadable {
                id: format!("/{}", cluster.cluster_path().join("/")),
                error,
            }),
        }
    }
    Ok(databases)
}

/// `…/clusters/{c}/databases`.
fn database_collection(cluster: &DatabaseRef) -> Vec<&str> {
    let mut path = cluster.cluster_path();
    path.push("databases");
    path
}

/// A cluster found in a list, as the address of its (not yet known) databases.
fn cluster_of(id: &str) -> Option<DatabaseRef> {
    let id = ResourceId::parse_typed(id, "Microsoft.Kusto/clusters").ok()?;
    Some(DatabaseRef {
        subscription: id.subscription().to_string(),
        resource_group: id.resource_group()?.to_string(),
        cluster: id.names().last()?.clone(),
        database: String::new(),
    })
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// `*` (any run) and `?` (any one character), case-insensitive; everything else literal.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    // Iterative matching with one backtrack point: linear in practice, never exponential.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == '?' || *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_names_case_insensitively() {
        assert!(glob_matches("*", ""));
        assert!(glob_matches("stale-*", "Stale-EH-1"));
        assert!(glob_matches("*-eh-?", "stale-eh-1"));
        assert!(!glob_matches("*-eh-?", "stale-eh-12"));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("a*b*c", "axxbyy"));
        assert!(glob_matches("exact", "EXACT"));
        assert!(!glob_matches("exact", "exactly"));
        assert!(glob_matches(&"*a".repeat(20), &"a".repeat(40)));
    }
}
