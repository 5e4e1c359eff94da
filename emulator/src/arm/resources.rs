//! The resources a data connection lives under, read-only and seeded by the
//! [`World`](crate::World): subscriptions, clusters and databases, got and
//! listed (paged when the settings say so), looked up with ARM's 404s and
//! represented as ARM returns them.

use serde_json::{json, Value};

use crate::arm::paging::paged;
use crate::arm::routes::{ClusterPath, DatabasePath};
use crate::http::Reply;
use crate::operation::ConnectionKey;
use crate::state::State;
use crate::text::stable_guid;
use crate::world::{Cluster, Subscription};

/// A database that exists, with the seeded spellings.
pub(super) struct Database {
    pub cluster: Cluster,
    pub name: String,
}

impl Database {
    pub(super) fn key(&self, connection: &str) -> ConnectionKey {
        ConnectionKey::new(
            &self.cluster.subscription_id,
            &self.cluster.resource_group,
            &self.cluster.name,
            &self.name,
            connection,
        )
    }

    pub(super) fn contains(&self, key: &ConnectionKey) -> bool {
        let probe = self.key("");
        key.subscription == probe.subscription
            && key.resource_group == probe.resource_group
            && key.cluster == probe.cluster
            && key.database == probe.database
    }

    pub(super) fn connection_id(&self, name: &str) -> String {
        format!(
            "{}/Databases/{}/DataConnections/{name}",
            self.cluster.id(),
            self.name
        )
    }
}

/// Runs `f` on an existing database, or answers why it does not exist.
pub(super) fn with_database(
    state: &mut State,
    path: &DatabasePath,
    f: impl FnOnce(&mut State, Database) -> Reply,
) -> Reply {
    let cluster = match find_cluster(state, &path.cluster) {
        Ok(cluster) => cluster,
        Err(reply) => return reply,
    };
    let Some(name) = cluster.database(&path.database).map(str::to_owned) else {
        return Reply::arm_error(
            404,
            "ParentResourceNotFound",
            format!(
                "Can not perform requested operation on nested resource. Parent resource '{}/{}' not found.",
                path.cluster.cluster, path.database
            ),
        );
    };
    f(state, Database { cluster, name })
}

/// `GET` of a subscription the caller was authorised for.
pub(super) fn get_subscription(subscription: &Subscription) -> Reply {
    Reply::json(
        200,
        &json!({
            "id": format!("/subscriptions/{}", subscription.id),
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "subscriptionId": subscription.id,
            "tenantId": subscription.tenant_id,
            "displayName": subscription.display_name,
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
        }),
    )
}

/// `GET` of a cluster.
pub(super) fn get_cluster(state: &State, path: &ClusterPath) -> Reply {
    match find_cluster(state, path) {
        Ok(cluster) => Reply::json(200, &cluster_resource(&cluster)),
        Err(reply) => reply,
    }
}

/// `GET` of a database.
pub(super) fn get_database(state: &State, path: &DatabasePath) -> Reply {
    let cluster = match find_cluster(state, &path.cluster) {
        Ok(cluster) => cluster,
        Err(reply) => return reply,
    };
    match cluster.database(&path.database) {
        Some(database) => Reply::json(200, &database_resource(&cluster, database)),
        None => Reply::arm_error(
            404,
            "ResourceNotFound",
            format!(
                "The Resource 'Microsoft.Kusto/clusters/{}/databases/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                path.cluster.cluster, path.database, path.cluster.resource_group
            ),
        ),
    }
}

/// `GET` of the clusters of a subscription the caller was authorised for,
/// or of one of its resource groups.
pub(super) fn list_clusters(
    state: &State,
    subscription: &str,
    resource_group: Option<&str>,
    path: &str,
    params: &[(String, String)],
) -> Reply {
    if let Some(group) = resource_group {
        if let Err(reply) = check_resource_group(state, subscription, group) {
            return reply;
        }
    }
    let clusters: Vec<&Cluster> = state
        .world
        .clusters_in(subscription, resource_group)
        .collect();
    paged(state, path, params, &clusters, |c| cluster_resource(c))
}

/// `GET` of a cluster's databases.
pub(super) fn list_databases(
    state: &State,
    cluster: &ClusterPath,
    path: &str,
    params: &[(String, String)],
) -> Reply {
    let cluster = match find_cluster(state, cluster) {
        Ok(cluster) => cluster,
        Err(reply) => return reply,
    };
    paged(state, path, params, &cluster.databases, |d| {
        database_resource(&cluster, d)
    })
}

fn check_resource_group(state: &State, subscription: &str, group: &str) -> Result<(), Reply> {
    if state.world.has_resource_group(subscription, group) {
        return Ok(());
    }
    Err(Reply::arm_error(
        404,
        "ResourceGroupNotFound",
        format!("Resource group '{group}' could not be found."),
    ))
}

fn find_cluster(state: &State, path: &ClusterPath) -> Result<Cluster, Reply> {
    check_resource_group(state, &path.subscription, &path.resource_group)?;
    state
        .world
        .cluster(&path.subscription, &path.resource_group, &path.cluster)
        .cloned()
        .ok_or_else(|| {
            Reply::arm_error(
                404,
                "ResourceNotFound",
                format!(
                    "The Resource 'Microsoft.Kusto/clusters/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                    path.cluster, path.resource_group
                ),
            )
        })
}

fn cluster_resource(cluster: &Cluster) -> Value {
    let region = cluster.region();
    let id = cluster.id();
    json!({
        "id": id,
        "name": cluster.name,
        "type": "Microsoft.Kusto/Clusters",
        "location": cluster.location,
        "etag": format!("\"{}\"", stable_guid(&format!("etag:{id}"))),
        "tags": {},
        "sku": {"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic", "capacity": 1},
        "zones": [],
        "identity": {
            "type": "SystemAssigned",
            "principalId": stable_guid(&format!("principal:{}", id.to_ascii_lowercase())),
            "tenantId": stable_guid("cluster-tenant"),
        },
        "properties": {
            "state": "Running",
            "provisioningState": "Succeeded",
            "uri": format!("https://{}.{region}.kusto.windows.net", cluster.name),
            "dataIngestionUri": format!("https://ingest-{}.{region}.kusto.windows.net", cluster.name),
            "stateReason": null,
            "trustedExternalTenants": [],
            "enableDiskEncryption": false,
            "enableStreamingIngest": false,
            "enablePurge": false,
            "enableDoubleEncryption": false,
            "engineType": "V3",
            "publicNetworkAccess": "Enabled",
            "restrictOutboundNetworkAccess": "Disabled",
            "publicIPType": "IPv4",
            "enableAutoStop": true,
        },
    })
}

fn database_resource(cluster: &Cluster, database: &str) -> Value {
    json!({
        "id": format!("{}/Databases/{database}", cluster.id()),
        "name": format!("{}/{database}", cluster.name),
        "type": "Microsoft.Kusto/Clusters/Databases",
        "location": cluster.location,
        "kind": "ReadWrite",
        "properties": {
            "softDeletePeriod": "P365D",
            "hotCachePeriod": "P31D",
            "statistics": {"size": 0.0},
            "isFollowed": false,
            "provisioningState": "Succeeded",
        },
    })
}
