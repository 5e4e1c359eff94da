//! Seeding a fleet for tests and benchmarks that sweep many databases:
//! [`SeedConnection`], a data connection stored directly in any provisioning
//! state (no PUT, no operation), and [`Fleet`], a generated set of resource
//! groups, clusters, databases, connections and their sources, covering
//! every kind, source state and provisioning outcome.
//!
//! ```
//! use adxconn_emulator::{Emulator, Fleet, SourceCase};
//!
//! // 3 clusters in 2 resource groups, 12 databases, 60 connections whose
//! // sources are present, deleted, forbidden or in another tenant in turn.
//! let fleet = Fleet::new(3, 12, 60);
//! let emulator = Emulator::start(fleet.world())?;
//! emulator.seed_connections(fleet.connections());
//! emulator.set_page_size(Some(4));
//! let deleted = (0..60).filter(|&i| fleet.source_case(i) == SourceCase::Deleted).count();
//! assert_eq!(deleted, 16);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::time::SystemTime;

use serde_json::{json, Value};

use crate::schema::{validate, SOURCE_PROPERTIES};
use crate::state::StoredConnection;
use crate::text::rfc3339;
use crate::world::{demo, source_id, Cluster, Source, SourceState, World};

/// A data connection to store as is, as if created earlier: its kind and
/// properties are validated like a PUT body's, its provisioning state is
/// whatever it says (`Failed` included), and no operation runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedConnection {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    pub database: String,
    pub name: String,
    pub kind: String,
    /// The writable properties, as in a PUT body.
    pub properties: Value,
    /// What the connection's `properties.provisioningState` shows.
    pub provisioning_state: String,
}

impl SeedConnection {
    /// A `Succeeded` connection `name` of `kind` in `database` of `cluster`.
    pub fn new(
        cluster: &Cluster,
        database: &str,
        name: &str,
        kind: &str,
        properties: Value,
    ) -> SeedConnection {
        SeedConnection {
            subscription: cluster.subscription_id.clone(),
            resource_group: cluster.resource_group.clone(),
            cluster: cluster.name.clone(),
            database: database.to_owned(),
            name: name.to_owned(),
            kind: kind.to_owned(),
            properties,
            provisioning_state: "Succeeded".to_owned(),
        }
    }

    /// Sets the provisioning state, e.g. `Failed`.
    #[must_use]
    pub fn provisioning_state(mut self, state: &str) -> SeedConnection {
        self.provisioning_state = state.to_owned();
        self
    }

    /// The source resource ids its properties name (Event Hub, IoT Hub,
    /// storage account, Event Grid subscription, Cosmos DB account), in a
    /// fixed property order.
    pub fn sources(&self) -> Vec<String> {
        SOURCE_PROPERTIES
            .iter()
            .filter_map(|name| self.properties.get(name).and_then(Value::as_str))
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The connection as stored, with the world's spellings of its
    /// cluster and database when it has them (a connection may also be
    /// seeded into a cluster or database the world lacks: an orphan).
    pub(crate) fn stored(&self, world: &World) -> Result<StoredConnection, Vec<String>> {
        let body = validate(&json!({"kind": self.kind, "properties": self.properties}))?;
        let seeded = world.cluster(&self.subscription, &self.resource_group, &self.cluster);
        let (subscription, resource_group, cluster, location, database) = match seeded {
            Some(c) => (
                c.subscription_id.clone(),
                c.resource_group.clone(),
                c.name.clone(),
                c.location.clone(),
                c.database(&self.database)
                    .unwrap_or(&self.database)
                    .to_owned(),
            ),
            None => (
                self.subscription.clone(),
                self.resource_group.clone(),
                self.cluster.clone(),
                demo::LOCATION.to_owned(),
                self.database.clone(),
            ),
        };
        Ok(StoredConnection {
            subscription,
            resource_group,
            cluster,
            database,
            name: self.name.clone(),
            schema: body.schema,
            location,
            properties: body.properties,
            created: rfc3339(SystemTime::now()),
            provisioning_state: self.provisioning_state.clone(),
            active_operation: None,
            updated: false,
        })
    }
}

/// Where a [`Fleet`] connection's sources are, and what reading them gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceCase {
    /// In the fleet's subscription: 200.
    Present,
    /// In the fleet's subscription, deleted: 404 `ResourceNotFound`.
    Deleted,
    /// In the fleet's subscription, forbidden to its tenant: 403 `AuthorizationFailed`.
    Forbidden,
    /// Present in [`Fleet::other_subscription`], whose tenant is another:
    /// 401 `InvalidAuthenticationTokenTenant` with a token of the fleet's
    /// tenant, 200 with one of the other tenant.
    OtherTenant,
}

/// The kinds a [`Fleet`]'s connections take in turn.
pub const FLEET_KINDS: [&str; 4] = ["EventHub", "IotHub", "EventGrid", "CosmosDb"];

/// A generated fleet in one subscription, deterministic from its fields.
///
/// - resource group `r` is `rg-fleet-{r}`; cluster `k` is `fleet{k}`, in
///   group `k % resource_groups`; database `j` is `db{j:02}`, in cluster
///   `j % clusters`; connection `i` is `dc{i:03}`, in database `i % databases`;
/// - connection `i` is of kind [`FLEET_KINDS`]`[i % 4]`, its sources (its
///   own, in group `rg-sources`) are in case
///   `source_cases[(i / 4) % source_cases.len()]`, so every kind meets every
///   case, and it is `Failed` when `failed_every > 0` and
///   `i % failed_every == failed_every - 1`, else `Succeeded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    pub subscription: String,
    /// The tenant of `subscription`, which [`SourceCase::Forbidden`]
    /// sources are forbidden to.
    pub tenant: String,
    /// A subscription of another tenant, for [`SourceCase::OtherTenant`].
    pub other_subscription: String,
    pub resource_groups: usize,
    pub clusters: usize,
    pub databases: usize,
    pub connections: usize,
    /// The source cases connections take in turn (all present when empty).
    pub source_cases: Vec<SourceCase>,
    /// Every `failed_every`-th connection is `Failed`; 0 for none.
    pub failed_every: usize,
}

impl Fleet {
    /// A fleet in [`demo::SUBSCRIPTION`] (other tenant:
    /// [`demo::OTHER_SUBSCRIPTION`]) with two resource groups (one for a
    /// single cluster), every source case in turn, and every 7th connection
    /// `Failed`.
    pub fn new(clusters: usize, databases: usize, connections: usize) -> Fleet {
        Fleet {
            subscription: demo::SUBSCRIPTION.to_owned(),
            tenant: demo::TENANT.to_owned(),
            other_subscription: demo::OTHER_SUBSCRIPTION.to_owned(),
            resource_groups: clusters.clamp(1, 2),
            clusters,
            databases,
            connections,
            source_cases: vec![
                SourceCase::Present,
                SourceCase::Deleted,
                SourceCase::Forbidden,
                SourceCase::OtherTenant,
            ],
            failed_every: 7,
        }
    }

    /// Every source present and every connection `Succeeded`, e.g. for a benchmark.
    #[must_use]
    pub fn healthy(mut self) -> Fleet {
        self.source_cases = vec![SourceCase::Present];
        self.failed_every = 0;
        self
    }

    /// [`World::demo`] with the fleet added.
    pub fn world(&self) -> World {
        self.add_to(World::demo())
    }

    /// `world` plus the fleet's clusters, databases and sources (its
    /// subscriptions must be in it already).
    pub fn add_to(&self, mut world: World) -> World {
        for cluster in self.cluster_list() {
            world = world.with_cluster(
                &cluster.subscription_id,
                &cluster.resource_group,
                &cluster.name,
                cluster.databases,
            );
        }
        for source in self.sources() {
            world.set_source(&source.id, source.state);
        }
        world
    }

    /// The fleet's clusters with their databases.
    pub fn cluster_list(&self) -> Vec<Cluster> {
        let groups = self.resource_groups.max(1);
        let mut clusters: Vec<Cluster> = (0..self.clusters)
            .map(|k| Cluster {
                subscription_id: self.subscription.clone(),
                resource_group: format!("rg-fleet-{}", k % groups),
                name: format!("fleet{k}"),
                location: demo::LOCATION.to_owned(),
                databases: Vec::new(),
            })
            .collect();
        let count = clusters.len();
        if count > 0 {
            for j in 0..self.databases {
                if let Some(cluster) = clusters.get_mut(j % count) {
                    cluster.databases.push(format!("db{j:02}"));
                }
            }
        }
        clusters
    }

    /// The source case of connection `i`.
    pub fn source_case(&self, i: usize) -> SourceCase {
        let round = i / FLEET_KINDS.len();
        match self.source_cases.len() {
            0 => SourceCase::Present,
            n => self.source_cases[round % n],
        }
    }

    /// The connections to seed with
    /// [`Emulator::seed_connections`](crate::Emulator::seed_connections).
    pub fn connections(&self) -> Vec<SeedConnection> {
        let clusters = self.cluster_list();
        if clusters.is_empty() || self.databases == 0 {
            return Vec::new();
        }
        (0..self.connections)
            .filter_map(|i| {
                let j = i % self.databases;
                let cluster = clusters.get(j % clusters.len())?;
                let database = format!("db{j:02}");
                let name = format!("dc{i:03}");
                let kind = FLEET_KINDS[i % FLEET_KINDS.len()];
                let seed = SeedConnection::new(
                    cluster,
                    &database,
                    &name,
                    kind,
                    self.properties(i, kind, cluster),
                );
                let failed =
                    self.failed_every > 0 && i % self.failed_every == self.failed_every - 1;
                Some(if failed {
                    seed.provisioning_state("Failed")
                } else {
                    seed
                })
            })
            .collect()
    }

    /// Every connection's sources, in the state of its case.
    pub fn sources(&self) -> Vec<Source> {
        let mut sources = Vec::new();
        for (i, seed) in self.connections().iter().enumerate() {
            let state = match self.source_case(i) {
                SourceCase::Present | SourceCase::OtherTenant => SourceState::Present,
                SourceCase::Deleted => SourceState::Deleted,
                SourceCase::Forbidden => SourceState::forbidden_to(&self.tenant),
            };
            for id in seed.sources() {
                sources.push(Source::new(&id, state.clone()));
            }
        }
        sources
    }

    /// Connection `i`'s properties: its own sources, in its case's subscription.
    fn properties(&self, i: usize, kind: &str, cluster: &Cluster) -> Value {
        let sub = match self.source_case(i) {
            SourceCase::OtherTenant => self.other_subscription.as_str(),
            _ => self.subscription.as_str(),
        };
        let group = "rg-sources";
        let hub = |name: &str| source_id::event_hub(sub, group, "ns-fleet", name);
        match kind {
            "IotHub" => json!({
                "iotHubResourceId": source_id::iot_hub(sub, group, &format!("iot-{i:03}")),
                "consumerGroup": "$Default",
                "sharedAccessPolicyName": "iothubowner",
            }),
            "EventGrid" => {
                let storage = source_id::storage_account(sub, group, &format!("st{i:03}"));
                json!({
                    "storageAccountResourceId": storage,
                    "eventGridResourceId": source_id::event_grid_subscription(&storage, &format!("eg-{i:03}")),
                    "eventHubResourceId": hub(&format!("blobs-{i:03}")),
                    "consumerGroup": "$Default",
                })
            }
            "CosmosDb" => json!({
                "cosmosDbAccountResourceId": source_id::cosmos_db_account(sub, group, &format!("cosmos-{i:03}")),
                "cosmosDbDatabase": "db",
                "cosmosDbContainer": "container",
                "tableName": "Events",
                "managedIdentityResourceId": cluster.id(),
            }),
            _ => json!({
                "eventHubResourceId": hub(&format!("hub-{i:03}")),
                "consumerGroup": "$Default",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_covers_every_kind_case_and_outcome() {
        let fleet = Fleet::new(3, 12, 60);
        let clusters = fleet.cluster_list();
        assert_eq!(clusters.len(), 3);
        assert_eq!(clusters[0].resource_group, "rg-fleet-0");
        assert_eq!(clusters[1].resource_group, "rg-fleet-1");
        assert_eq!(clusters[2].resource_group, "rg-fleet-0");
        assert_eq!(
            clusters.iter().map(|c| c.databases.len()).sum::<usize>(),
            12
        );
        let world = fleet.world();
        let connections = fleet.connections();
        assert_eq!(connections.len(), 60);
        let mut combos = std::collections::BTreeSet::new();
        for (i, seed) in connections.iter().enumerate() {
            let stored = seed
                .stored(&world)
                .unwrap_or_else(|e| panic!("{}: {e:?}", seed.name));
            assert_eq!(stored.location, demo::LOCATION);
            combos.insert((seed.kind.clone(), format!("{:?}", fleet.source_case(i))));
            assert!(!seed.sources().is_empty());
        }
        assert_eq!(combos.len(), 16);
        let failed = connections
            .iter()
            .filter(|c| c.provisioning_state == "Failed")
            .count();
        assert_eq!(failed, 8);
        // Sources: one each for three kinds, three for Event Grid.
        assert_eq!(fleet.sources().len(), 15 * 6);
        assert_eq!(world.sources.len(), 90);

        let healthy = Fleet::new(5, 50, 500).healthy();
        assert!(healthy
            .sources()
            .iter()
            .all(|s| s.state == SourceState::Present));
        assert!(healthy
            .connections()
            .iter()
            .all(|c| c.provisioning_state == "Succeeded"));
        assert!(Fleet::new(0, 3, 3).connections().is_empty());
    }

    #[test]
    fn invalid_seeds_are_refused() {
        let world = World::demo();
        let cluster = &world.clusters[0];
        let bad = SeedConnection::new(cluster, "telemetry", "x", "EventHub", json!({}));
        assert!(bad.stored(&world).is_err());
        let orphan = SeedConnection {
            cluster: "nowhere".to_owned(),
            ..SeedConnection::new(
                cluster,
                "TELEMETRY",
                "x",
                "EventHub",
                json!({"eventHubResourceId": source_id::event_hub("s", "g", "n", "h"), "consumerGroup": "c"}),
            )
        };
        let stored = orphan.stored(&world).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(stored.cluster, "nowhere");
        assert_eq!(stored.database, "TELEMETRY");
    }
}
