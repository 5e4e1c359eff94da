//! Which connections read from a source in another tenant.
//!
//! A source is cross-tenant when its subscription is not one the signed-in principal's tenant
//! owns: `GET /subscriptions/{id}` fails for it, or reports another `tenantId`. Support engineers
//! use the mark to find connections that depend on another tenant's goodwill. Lookups are
//! cached for the run: a list of many connections costs one GET per distinct subscription.

use std::collections::HashMap;

use crate::arm::{ArmClient, ArmError};
use crate::resource_id::ResourceId;
use crate::wire::{DataConnection, Subscription};

/// Subscriptions are their own resource provider with their own api-versions.
const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";

/// Whose tenant a connection's sources are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceTenant {
    /// Every source is in the signed-in principal's tenant.
    Home,
    /// At least one source is in another tenant.
    Other,
    /// It could not be told (a subscription lookup failed).
    Unknown,
}

/// The source ids a connection names, parsed (a value that is not a resource id is skipped).
pub fn source_ids(connection: &DataConnection) -> Vec<ResourceId> {
    connection
        .source_ids()
        .into_iter()
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

    /// Whose tenant the sources of a connection of a cluster in `cluster_subscription` are in
    /// (the cluster's tenant is ours: we reached it).
    ///
    /// Only a signal or the deadline is an error: a lookup that fails makes it `Unknown`.
    pub async fn source_tenant(
        &mut self,
        connection: &DataConnection,
        cluster_subscription: &str,
    ) -> Result<SourceTenant, ArmError> {
        let mut tenant = SourceTenant::Home;
        for source in source_ids(connection)
            .iter()
            .filter(|id| !id.subscription().eq_ignore_ascii_case(cluster_subscription))
        {
            match self.owns(source.subscription()).await? {
                Some(true) => {}
                Some(false) => return Ok(SourceTenant::Other),
                None => tenant = SourceTenant::Unknown,
            }
        }
        Ok(tenant)
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
                let tenant = response
                    .decode::<Subscription>("the subscription")
                    .ok()
                    .and_then(|subscription| subscription.tenant_id);
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
