//! Which connections read from a source in another tenant.
//!
//! A source is cross-tenant when its subscription is not one the signed-in principal's tenant
//! owns: `GET /subscriptions/{id}` fails for it, or reports another `tenantId`. Support engineers
//! use the mark to find connections that depend on another tenant's goodwill. Lookups are
//! cached for the run: a list of many connections costs one GET per distinct subscription.

use std::collections::HashMap;

use serde_json::Value;

use crate::arm::{ArmClient, ArmError};
use crate::resource_id::ResourceId;

/// Subscriptions are their own resource provider with their own api-versions.
const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";

/// The properties that name a connection's sources, across kinds.
const SOURCE_PROPERTIES: [&str; 7] = [
    "eventHubResourceId",
    "iotHubResourceId",
    "storageAccountResourceId",
    "eventGridResourceId",
    "eventHubResourceIdForManagedIdentity",
    "storageAccountResourceIdForManagedIdentity",
    "cosmosDbAccountResourceId",
];

/// The source ids a connection names (ignoring `""` and `null`).
pub fn source_ids(resource: &Value) -> Vec<ResourceId> {
    let Some(properties) = resource.get("properties") else {
        return Vec::new();
    };
    SOURCE_PROPERTIES
        .iter()
        .filter_map(|key| properties.get(*key)?.as_str())
        .filter_map(|id| ResourceId::parse(id).ok())
        .collect()
}

pub struct Tenancy<'a> {
    client: &'a ArmClient,
    /// The signed-in principal's tenant (`tid` of its token).
    home: Option<String>,
    /// Subscription (lowercase) → whether the home tenant owns it; `None` when unknown.
    owned: HashMap<String, Option<bool>>,
}

impl<'a> Tenancy<'a> {
    pub async fn new(client: &'a ArmClient) -> Tenancy<'a> {
        Tenancy {
            home: client.home_tenant().await,
            client,
            owned: HashMap::new(),
        }
    }

    /// Adds `"crossTenant": true|false` (or `null` when it could not be told) to a connection
    /// of a cluster in `cluster_subscription` (whose tenant is ours: we reached the cluster).
    ///
    /// Only a signal or the deadline is an error: a lookup that fails leaves the mark `null`.
    pub async fn mark(
        &mut self,
        resource: &mut Value,
        cluster_subscription: &str,
    ) -> Result<(), ArmError> {
        let mut cross = Some(false);
        for source in source_ids(resource)
            .iter()
            .filter(|id| !id.subscription().eq_ignore_ascii_case(cluster_subscription))
        {
            match self.owns(source.subscription()).await? {
                Some(true) => {}
                Some(false) => {
                    cross = Some(true);
                    break;
                }
                None => cross = None,
            }
        }
        if let Value::Object(object) = resource {
            object.insert("crossTenant".into(), cross.map_or(Value::Null, Value::Bool));
        }
        Ok(())
    }

    async fn owns(&mut self, subscription: &str) -> Result<Option<bool>, ArmError> {
        let key = subscription.to_ascii_lowercase();
        if let Some(known) = self.owned.get(&key) {
            return Ok(*known);
        }
        let url = crate::arm::arm_url_with_version(
            self.client.endpoint(),
            &["subscriptions", subscription],
            SUBSCRIPTIONS_API_VERSION,
        );
        let Ok(url) = url else {
            return Ok(None);
        };
        let owned = match self.client.get(&url).await {
            Ok(response) => {
                let tenant = response.json("the subscription").ok().and_then(|s| {
                    s.get("tenantId")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
                match (tenant, &self.home) {
                    (Some(tenant), Some(home)) => Some(tenant.eq_ignore_ascii_case(home)),
                    _ => None,
                }
            }
            // Not visible to us: another tenant's (or gone, which is no better).
            Err(error) if matches!(error.status(), Some(401 | 403 | 404)) => Some(false),
            Err(error) if error.is_stop() => return Err(error),
            Err(error) => {
                self.client.trace_note(&format!(
                    "could not tell the tenant of subscription `{subscription}`: {error}"
                ));
                None
            }
        };
        self.owned.insert(key, owned);
        Ok(owned)
    }
}
