//! The seeded, immutable part of the emulated cloud: tenants with their app
//! registrations, subscriptions, and Kusto clusters with their databases.
//!
//! Data connections are the mutable part and live in the emulator's state.

/// Identities and resources an [`Emulator`](crate::Emulator) starts with.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub tenants: Vec<Tenant>,
    pub subscriptions: Vec<Subscription>,
    pub clusters: Vec<Cluster>,
}

/// An Entra ID tenant and the apps (service principals) that can sign in to it.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub apps: Vec<App>,
}

/// An app registration's service principal in one tenant.
#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    pub secret: String,
    /// The app's role on every subscription of its tenant.
    pub role: Role,
}

/// An Azure RBAC role, reduced to what data-connection calls can tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// May read and write.
    Contributor,
    /// May read; every PUT, DELETE and POST answers 403 `AuthorizationFailed`.
    Reader,
}

/// A subscription and the tenant it trusts.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub tenant_id: String,
    pub display_name: String,
}

/// A Kusto cluster and the databases it holds.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    /// Display name of the region, e.g. `West Europe`.
    pub location: String,
    pub databases: Vec<String>,
}

/// The values [`World::demo`] seeds. The secrets are public on purpose.
pub mod demo {
    /// The tenant that owns [`SUBSCRIPTION`].
    pub const TENANT: &str = "10000000-0000-4000-8000-000000000001";
    /// A Contributor app in [`TENANT`] and, as a multi-tenant app, in [`OTHER_TENANT`].
    pub const CLIENT_ID: &str = "20000000-0000-4000-8000-000000000001";
    pub const CLIENT_SECRET: &str = "emulator-secret-not-for-production";
    /// A Reader app in [`TENANT`].
    pub const READER_CLIENT_ID: &str = "20000000-0000-4000-8000-000000000002";
    pub const READER_CLIENT_SECRET: &str = "emulator-reader-secret-not-for-production";
    pub const SUBSCRIPTION: &str = "30000000-0000-4000-8000-000000000001";
    pub const RESOURCE_GROUP: &str = "rg-adx";
    pub const CLUSTER: &str = "adxdemo";
    pub const DATABASE: &str = "telemetry";
    /// The second database of [`CLUSTER`].
    pub const STAGING_DATABASE: &str = "staging";
    pub const LOCATION: &str = "West Europe";
    /// A second tenant, for cross-tenant sources.
    pub const OTHER_TENANT: &str = "10000000-0000-4000-8000-000000000002";
    /// A subscription in [`OTHER_TENANT`].
    pub const OTHER_SUBSCRIPTION: &str = "30000000-0000-4000-8000-000000000002";
}

impl World {
    /// A tenant with a Contributor and a Reader app, one subscription holding
    /// cluster [`demo::CLUSTER`] (databases [`demo::DATABASE`] and `staging`),
    /// and a second tenant + subscription where the Contributor app also exists.
    pub fn demo() -> World {
        let app = |client_id: &str, secret: &str, role| App {
            client_id: client_id.to_owned(),
            secret: secret.to_owned(),
            role,
        };
        World {
            tenants: vec![
                Tenant {
                    id: demo::TENANT.to_owned(),
                    apps: vec![
                        app(demo::CLIENT_ID, demo::CLIENT_SECRET, Role::Contributor),
                        app(
                            demo::READER_CLIENT_ID,
                            demo::READER_CLIENT_SECRET,
                            Role::Reader,
                        ),
                    ],
                },
                Tenant {
                    id: demo::OTHER_TENANT.to_owned(),
                    apps: vec![app(demo::CLIENT_ID, demo::CLIENT_SECRET, Role::Contributor)],
                },
            ],
            subscriptions: vec![
                Subscription {
                    id: demo::SUBSCRIPTION.to_owned(),
                    tenant_id: demo::TENANT.to_owned(),
                    display_name: "adxconn demo".to_owned(),
                },
                Subscription {
                    id: demo::OTHER_SUBSCRIPTION.to_owned(),
                    tenant_id: demo::OTHER_TENANT.to_owned(),
                    display_name: "adxconn demo (other tenant)".to_owned(),
                },
            ],
            clusters: vec![Cluster {
                subscription_id: demo::SUBSCRIPTION.to_owned(),
                resource_group: demo::RESOURCE_GROUP.to_owned(),
                name: demo::CLUSTER.to_owned(),
                location: demo::LOCATION.to_owned(),
                databases: vec![demo::DATABASE.to_owned(), demo::STAGING_DATABASE.to_owned()],
            }],
        }
    }

    pub(crate) fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn subscription(&self, id: &str) -> Option<&Subscription> {
        self.subscriptions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn cluster(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Option<&Cluster> {
        self.clusters.iter().find(|c| {
            c.subscription_id.eq_ignore_ascii_case(subscription)
                && c.resource_group.eq_ignore_ascii_case(resource_group)
                && c.name.eq_ignore_ascii_case(name)
        })
    }

    /// A resource group exists when some cluster lives in it.
    pub(crate) fn has_resource_group(&self, subscription: &str, resource_group: &str) -> bool {
        self.clusters.iter().any(|c| {
            c.subscription_id.eq_ignore_ascii_case(subscription)
                && c.resource_group.eq_ignore_ascii_case(resource_group)
        })
    }
}

impl Tenant {
    pub(crate) fn app(&self, client_id: &str) -> Option<&App> {
        self.apps
            .iter()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }
}

impl Cluster {
    /// The database's name as seeded, found case-insensitively.
    pub(crate) fn database(&self, name: &str) -> Option<&str> {
        self.databases
            .iter()
            .find(|d| d.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }

    /// The region's programmatic name: `West Europe` → `westeurope`.
    pub(crate) fn region(&self) -> String {
        region_name(&self.location)
    }
}

/// `West Europe` → `westeurope`, the form ARM accepts for any location.
pub(crate) fn region_name(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}
