//! The seeded part of the emulated cloud: tenants with their app
//! registrations, subscriptions, resource groups, Kusto clusters with their
//! databases, and the source resources data connections read from (Event
//! Hubs, IoT Hubs, storage accounts, Event Grid subscriptions, Cosmos DB
//! accounts).
//!
//! A [`World`] is built before the emulator starts, with its fields or the
//! `with_*` builders; a running emulator can still change it through
//! [`Emulator::with_world`](crate::Emulator::with_world) (delete a source or
//! a database mid-test, say). Data connections are the mutable part and live
//! in the emulator's state.

/// Identities and resources an [`Emulator`](crate::Emulator) starts with.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub tenants: Vec<Tenant>,
    pub subscriptions: Vec<Subscription>,
    /// Resource groups that exist without holding a cluster; a group holding
    /// one exists anyway.
    pub resource_groups: Vec<ResourceGroup>,
    pub clusters: Vec<Cluster>,
    /// The source resources a `GET` of their id answers; any other id in a
    /// known subscription answers 404 `ResourceNotFound`.
    pub sources: Vec<Source>,
}

/// A resource group, by subscription and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceGroup {
    pub subscription_id: String,
    pub name: String,
}

/// A resource a data connection reads from, by its ARM id: an Event Hub
/// (`.../Microsoft.EventHub/namespaces/{ns}/eventhubs/{eh}`), an IoT Hub
/// (`.../Microsoft.Devices/IotHubs/{hub}`), a storage account
/// (`.../Microsoft.Storage/storageAccounts/{a}`), a Cosmos DB account
/// (`.../Microsoft.DocumentDB/databaseAccounts/{a}`) or an Event Grid
/// subscription (`.../storageAccounts/{a}/providers/Microsoft.EventGrid/eventSubscriptions/{e}`
/// or `.../Microsoft.EventGrid/systemTopics/{t}/eventSubscriptions/{e}`).
///
/// Its subscription must be one of the world's for a `GET` to reach it
/// (else 404 `SubscriptionNotFound`), and the caller's token must come from
/// that subscription's tenant (else 401 `InvalidAuthenticationTokenTenant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: String,
    /// Display name of the region, e.g. `West Europe`.
    pub location: String,
    pub state: SourceState,
}

/// What a `GET` of a [`Source`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceState {
    /// 200 with `{id, name, type, location}`.
    Present,
    /// 404 `ResourceNotFound`, as for an id never seeded.
    Deleted,
    /// 403 `AuthorizationFailed` to callers signed in to `tenant` (their
    /// app has no read role on it); others are answered as if
    /// [`SourceState::Present`].
    Forbidden { tenant: String },
}

impl SourceState {
    /// [`SourceState::Forbidden`] to `tenant`.
    pub fn forbidden_to(tenant: &str) -> SourceState {
        SourceState::Forbidden {
            tenant: tenant.to_owned(),
        }
    }
}

impl Source {
    /// A source in [`demo::LOCATION`].
    pub fn new(id: &str, state: SourceState) -> Source {
        Source {
            id: id.to_owned(),
            location: demo::LOCATION.to_owned(),
            state,
        }
    }

    /// The resource type its id names, e.g. `Microsoft.EventHub/namespaces/eventhubs`.
    pub fn resource_type(&self) -> String {
        resource_type(&self.id)
    }
}

/// Ids of the source resources data connections read, for seeding.
pub mod source_id {
    /// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.EventHub/namespaces/{namespace}/eventhubs/{hub}`
    pub fn event_hub(subscription: &str, group: &str, namespace: &str, hub: &str) -> String {
        format!("/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.EventHub/namespaces/{namespace}/eventhubs/{hub}")
    }

    /// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Devices/IotHubs/{hub}`
    pub fn iot_hub(subscription: &str, group: &str, hub: &str) -> String {
        format!("/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Devices/IotHubs/{hub}")
    }

    /// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Storage/storageAccounts/{account}`
    pub fn storage_account(subscription: &str, group: &str, account: &str) -> String {
        format!("/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{account}")
    }

    /// The Event Grid subscription `name` on a storage account (an extension
    /// resource): `{storage account id}/providers/Microsoft.EventGrid/eventSubscriptions/{name}`.
    pub fn event_grid_subscription(storage_account_id: &str, name: &str) -> String {
        format!("{storage_account_id}/providers/Microsoft.EventGrid/eventSubscriptions/{name}")
    }

    /// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.DocumentDB/databaseAccounts/{account}`
    pub fn cosmos_db_account(subscription: &str, group: &str, account: &str) -> String {
        format!("/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.DocumentDB/databaseAccounts/{account}")
    }
}

/// An Entra ID tenant and the apps (service principals) that can sign in to it.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub apps: Vec<App>,
}

/// An app registration's service principal in one tenant, or a managed
/// identity's.
#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    /// The client secret; empty for none (an empty `client_secret` never
    /// signs in).
    pub secret: String,
    /// The app's role on every subscription of its tenant.
    pub role: Role,
    /// Federated identity credentials: the external tokens (workload
    /// identity) the token endpoint accepts as client assertions.
    pub federated: Vec<FederatedCredential>,
    /// Registered certificates, DER X.509: client assertions signed with
    /// their keys sign in.
    pub certificates: Vec<Vec<u8>>,
    /// Set for a managed identity of the App Service host the identity
    /// endpoint stands for. Managed identities have no app registration, so
    /// the token endpoint does not know them; only the identity endpoint
    /// issues their tokens.
    pub managed_identity: Option<ManagedIdentity>,
}

impl App {
    /// An app with a client secret and no other credential.
    pub fn new(client_id: &str, secret: &str, role: Role) -> App {
        App {
            client_id: client_id.to_owned(),
            secret: secret.to_owned(),
            role,
            federated: Vec::new(),
            certificates: Vec::new(),
            managed_identity: None,
        }
    }

    /// A managed identity: no secret, no app registration.
    pub fn managed(client_id: &str, kind: ManagedIdentity, role: Role) -> App {
        App {
            managed_identity: Some(kind),
            ..App::new(client_id, "", role)
        }
    }
}

/// A federated identity credential: a token whose `iss`, `sub` and `aud`
/// all equal these (case-sensitively, as Entra compares them) signs in as
/// the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedCredential {
    pub issuer: String,
    pub subject: String,
    pub audience: String,
}

impl FederatedCredential {
    /// A credential for tokens from `issuer` about `subject`, for
    /// [`demo::FEDERATED_AUDIENCE`].
    pub fn new(issuer: &str, subject: &str) -> FederatedCredential {
        FederatedCredential {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            audience: demo::FEDERATED_AUDIENCE.to_owned(),
        }
    }
}

/// How an [`App`] is a managed identity of the emulated App Service host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedIdentity {
    /// The host's own identity, whose token a request naming no identity gets.
    SystemAssigned,
    /// An identity assigned to the host, named by its client id, object
    /// (principal) id or resource id.
    UserAssigned {
        /// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`
        resource_id: String,
    },
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

    /// The issuer of GitHub Actions' OIDC tokens.
    pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
    /// The subject of the demo workflow's tokens: the `main` branch of `adxconn/adxconn`.
    pub const GITHUB_SUBJECT: &str = "repo:adxconn/adxconn:ref:refs/heads/main";
    /// The audience GitHub gives a token when the request names none: the
    /// repository owner's URL, which no federated credential accepts.
    pub const GITHUB_DEFAULT_AUDIENCE: &str = "https://github.com/adxconn";
    /// The bearer token the emulated GitHub OIDC endpoint accepts, what a
    /// job finds in `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (JWT-shaped, like
    /// the real one, and public on purpose).
    pub const GITHUB_REQUEST_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.YWR4Y29ubi1lbXVsYXRvci1hY3Rpb25zLXJlcXVlc3QtdG9rZW4.bm90LWZvci1wcm9kdWN0aW9u";
    /// The service-account token issuer of an AKS cluster in [`TENANT`].
    pub const AKS_ISSUER: &str =
        "https://oidc.prod-aks.azure.com/10000000-0000-4000-8000-000000000001/";
    /// The Kubernetes service account the demo workload runs as.
    pub const AKS_SUBJECT: &str = "system:serviceaccount:default:adxconn";
    /// The audience Entra expects of federated tokens.
    pub const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";

    /// The system-assigned managed identity of the emulated App Service
    /// host, a Contributor in [`TENANT`].
    pub const SYSTEM_IDENTITY_CLIENT_ID: &str = "40000000-0000-4000-8000-000000000001";
    /// A user-assigned managed identity of that host, a Contributor in [`TENANT`].
    pub const USER_IDENTITY_CLIENT_ID: &str = "40000000-0000-4000-8000-000000000002";
    /// The resource id of [`USER_IDENTITY_CLIENT_ID`]'s identity.
    pub const USER_IDENTITY_RESOURCE_ID: &str = "/subscriptions/30000000-0000-4000-8000-000000000001/resourceGroups/rg-adx/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-adxconn";
    /// The value the identity endpoint wants in `X-IDENTITY-HEADER`, what
    /// App Service puts in `IDENTITY_HEADER`.
    pub const IDENTITY_HEADER: &str = "emulator-identity-header-not-for-production";
}

impl World {
    /// A tenant with a Contributor and a Reader app and two Contributor
    /// managed identities (system- and user-assigned), one subscription
    /// holding cluster [`demo::CLUSTER`] (databases [`demo::DATABASE`] and
    /// `staging`), and a second tenant + subscription where the Contributor
    /// app also exists. The Contributor app trusts, in both tenants, tokens
    /// of the demo GitHub workflow and of the demo AKS service account.
    pub fn demo() -> World {
        // A multi-tenant app is one registration: the same credentials
        // sign in to every tenant it is in.
        let contributor = || App {
            federated: vec![
                FederatedCredential::new(demo::GITHUB_ISSUER, demo::GITHUB_SUBJECT),
                FederatedCredential::new(demo::AKS_ISSUER, demo::AKS_SUBJECT),
            ],
            ..App::new(demo::CLIENT_ID, demo::CLIENT_SECRET, Role::Contributor)
        };
        World {
            tenants: vec![
                Tenant {
                    id: demo::TENANT.to_owned(),
                    apps: vec![
                        contributor(),
                        App::new(
                            demo::READER_CLIENT_ID,
                            demo::READER_CLIENT_SECRET,
                            Role::Reader,
                        ),
                        App::managed(
                            demo::SYSTEM_IDENTITY_CLIENT_ID,
                            ManagedIdentity::SystemAssigned,
                            Role::Contributor,
                        ),
                        App::managed(
                            demo::USER_IDENTITY_CLIENT_ID,
                            ManagedIdentity::UserAssigned {
                                resource_id: demo::USER_IDENTITY_RESOURCE_ID.to_owned(),
                            },
                            Role::Contributor,
                        ),
                    ],
                },
                Tenant {
                    id: demo::OTHER_TENANT.to_owned(),
                    apps: vec![contributor()],
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
            resource_groups: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Adds a subscription trusting `tenant_id` (which should be one of the
    /// world's tenants for tokens to reach it).
    #[must_use]
    pub fn with_subscription(mut self, id: &str, tenant_id: &str) -> World {
        self.subscriptions.push(Subscription {
            id: id.to_owned(),
            tenant_id: tenant_id.to_owned(),
            display_name: format!("subscription {id}"),
        });
        self
    }

    /// Adds an empty resource group.
    #[must_use]
    pub fn with_resource_group(mut self, subscription: &str, name: &str) -> World {
        self.resource_groups.push(ResourceGroup {
            subscription_id: subscription.to_owned(),
            name: name.to_owned(),
        });
        self
    }

    /// Adds a cluster in [`demo::LOCATION`] holding `databases` (its
    /// resource group exists from then on), or, when the world has that
    /// cluster already, adds the databases it lacks to it.
    #[must_use]
    pub fn with_cluster<D: Into<String>>(
        mut self,
        subscription: &str,
        resource_group: &str,
        name: &str,
        databases: impl IntoIterator<Item = D>,
    ) -> World {
        let databases = databases.into_iter().map(Into::into);
        if let Some(existing) = self.cluster_mut(subscription, resource_group, name) {
            for database in databases {
                if existing.database(&database).is_none() {
                    existing.databases.push(database);
                }
            }
            return self;
        }
        self.clusters.push(Cluster {
            subscription_id: subscription.to_owned(),
            resource_group: resource_group.to_owned(),
            name: name.to_owned(),
            location: demo::LOCATION.to_owned(),
            databases: databases.collect(),
        });
        self
    }

    /// Adds the source `id` in this state, replacing any with that id.
    #[must_use]
    pub fn with_source(mut self, id: &str, state: SourceState) -> World {
        self.set_source(id, state);
        self
    }

    /// Registers a certificate (DER X.509) on app `client_id` of `tenant`,
    /// e.g. a [`TestCertificate`](crate::TestCertificate)'s `cert_der`.
    ///
    /// # Panics
    ///
    /// If the world has no such app: a test-setup mistake.
    #[must_use]
    pub fn with_app_certificate(
        mut self,
        tenant: &str,
        client_id: &str,
        cert_der: Vec<u8>,
    ) -> World {
        if !self.add_app_certificate(tenant, client_id, cert_der) {
            panic!("with_app_certificate: no app '{client_id}' in tenant '{tenant}'");
        }
        self
    }

    /// Registers a certificate on app `client_id` of `tenant`; whether that
    /// app exists. On a running emulator:
    /// `emulator.with_world(|w| w.add_app_certificate(tenant, client_id, der))`.
    pub fn add_app_certificate(
        &mut self,
        tenant: &str,
        client_id: &str,
        cert_der: Vec<u8>,
    ) -> bool {
        self.app_mut(tenant, client_id)
            .map(|app| app.certificates.push(cert_der))
            .is_some()
    }

    /// App `client_id` of `tenant` (both compared case-insensitively), to
    /// change its credentials or role.
    pub fn app_mut(&mut self, tenant: &str, client_id: &str) -> Option<&mut App> {
        self.tenants
            .iter_mut()
            .find(|t| t.id.eq_ignore_ascii_case(tenant))?
            .apps
            .iter_mut()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }

    /// Sets the state of source `id` (adding it in [`demo::LOCATION`] if new).
    pub fn set_source(&mut self, id: &str, state: SourceState) {
        match self
            .sources
            .iter_mut()
            .find(|s| s.id.eq_ignore_ascii_case(id))
        {
            Some(source) => source.state = state,
            None => self.sources.push(Source::new(id, state)),
        }
    }

    /// Removes database `database` from its cluster; whether it was there.
    pub fn remove_database(
        &mut self,
        subscription: &str,
        resource_group: &str,
        cluster: &str,
        database: &str,
    ) -> bool {
        let Some(cluster) = self.cluster_mut(subscription, resource_group, cluster) else {
            return false;
        };
        let before = cluster.databases.len();
        cluster
            .databases
            .retain(|d| !d.eq_ignore_ascii_case(database));
        cluster.databases.len() != before
    }

    fn cluster_mut(
        &mut self,
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Option<&mut Cluster> {
        self.clusters
            .iter_mut()
            .find(|c| c.is(subscription, resource_group, name))
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
        self.clusters
            .iter()
            .find(|c| c.is(subscription, resource_group, name))
    }

    /// The clusters of a subscription, or of one of its resource groups, in
    /// seeding order.
    pub(crate) fn clusters_in<'w>(
        &'w self,
        subscription: &'w str,
        resource_group: Option<&'w str>,
    ) -> impl Iterator<Item = &'w Cluster> + 'w {
        self.clusters.iter().filter(move |c| {
            c.subscription_id.eq_ignore_ascii_case(subscription)
                && resource_group.is_none_or(|g| c.resource_group.eq_ignore_ascii_case(g))
        })
    }

    /// A resource group exists when it was seeded or some cluster lives in it.
    pub(crate) fn has_resource_group(&self, subscription: &str, resource_group: &str) -> bool {
        self.clusters_in(subscription, Some(resource_group))
            .next()
            .is_some()
            || self.resource_groups.iter().any(|g| {
                g.subscription_id.eq_ignore_ascii_case(subscription)
                    && g.name.eq_ignore_ascii_case(resource_group)
            })
    }

    pub(crate) fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id.eq_ignore_ascii_case(id))
    }
}

impl Tenant {
    pub(crate) fn app(&self, client_id: &str) -> Option<&App> {
        self.apps
            .iter()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }
}

impl World {
    /// Every managed identity with its tenant, in seeding order.
    pub(crate) fn managed_identities(&self) -> impl Iterator<Item = (&Tenant, &App)> + '_ {
        self.tenants.iter().flat_map(|t| {
            t.apps
                .iter()
                .filter(|a| a.managed_identity.is_some())
                .map(move |a| (t, a))
        })
    }
}

impl Cluster {
    fn is(&self, subscription: &str, resource_group: &str, name: &str) -> bool {
        self.subscription_id.eq_ignore_ascii_case(subscription)
            && self.resource_group.eq_ignore_ascii_case(resource_group)
            && self.name.eq_ignore_ascii_case(name)
    }

    /// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Kusto/Clusters/{name}`,
    /// capitalised as the service answers it.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/Clusters/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }

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

/// The resource type an ARM id names: the namespace after the last
/// `providers` segment and every type segment after it, e.g.
/// `Microsoft.EventHub/namespaces/eventhubs`, or
/// `Microsoft.EventGrid/eventSubscriptions` for an extension resource;
/// `Microsoft.Resources/subscriptions/resourceGroups` without `providers`.
pub(crate) fn resource_type(id: &str) -> String {
    let segments: Vec<&str> = id.trim_matches('/').split('/').collect();
    let Some(providers) = segments
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
    else {
        return "Microsoft.Resources/subscriptions/resourceGroups".to_owned();
    };
    let mut parts: Vec<&str> = Vec::new();
    if let Some(namespace) = segments.get(providers + 1) {
        parts.push(namespace);
    }
    parts.extend(segments.iter().skip(providers + 2).step_by(2));
    parts.join("/")
}
