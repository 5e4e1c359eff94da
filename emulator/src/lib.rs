//! A local, stateful emulator of the parts of Azure that `adxconn` talks to:
//! Azure Resource Manager for `Microsoft.Kusto` data connections (api-version
//! [`API_VERSION`]), the Entra ID v2 client-credentials token endpoint
//! (client secrets, certificate and federated client assertions) and the
//! tenant's OpenID discovery document that MSAL reads first, and the token
//! sources other sign-ins start from: GitHub Actions' OIDC endpoint and App
//! Service's managed-identity endpoint.
//!
//! The emulator serves real HTTPS on `127.0.0.1` with a CA generated for each
//! instance, so the `adxconn` binary can be pointed at it unchanged:
//!
//! ```no_run
//! use adxconn_emulator::{Emulator, World};
//!
//! let emulator = Emulator::start(World::demo())?;
//! // ADXCONN_ARM_ENDPOINT and AZURE_AUTHORITY_HOST = emulator.url(),
//! // SSL_CERT_FILE = emulator.ca_file()
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Module map: [`world`] holds the seeded identities, subscriptions,
//! resource groups, clusters and the sources data connections read, and
//! [`fleet`] seeds many of them at once ([`Fleet`], [`SeedConnection`]);
//! `host` the HTTPS (or plain HTTP) listener, CA and serving thread (and the
//! added latency), `body` the response bodies (in memory or generated while
//! written), `server` the [`Emulator`] handle, `entra` the token endpoint
//! (and the discovery document) and `assertion` its checks of client assertions (certificates and
//! federated tokens), `identity` the token sources outside Entra (GitHub
//! Actions' OIDC endpoint, App Service's managed-identity endpoint),
//! `arm` the ARM surface (routes, authorisation, throttling, cross-tenant
//! checks, handlers, paging and ARM's reply shapes), `schema` the
//! data-connection body rules, `operation` the long-running operations and
//! their signed status URLs, [`faults`] the injectable failures (rules and
//! the random mix), [`throttle`] ARM's token buckets, and [`log`] the
//! request log and [`Stats`]. [`replay`] serves recorded ARM traffic instead
//! of the emulated model, over the same `host`; `sink` the [`Sink`], a
//! recording server on another origin.
//! Below them: `state` what a running emulator holds, `http` the reply type,
//! `token` the access tokens, `issuer` the federated tokens' signing key,
//! `certificate` client certificates ([`TestCertificate`]), `jwt` the JWS
//! parts they share, `tls` the per-instance CA, and `text` the text formats
//! (percent and form coding, timestamps, GUIDs). The modules import each
//! other in one direction only (`tests/import_cycles.rs`).

mod arm;
mod assertion;
mod body;
mod certificate;
mod entra;
pub mod faults;
pub mod fleet;
mod host;
mod http;
mod identity;
mod issuer;
mod jwt;
pub mod log;
mod operation;
pub mod replay;
mod schema;
mod server;
mod sink;
mod state;
mod text;
pub mod throttle;
mod tls;
mod token;
pub mod world;

pub use certificate::TestCertificate;
pub use faults::{Fault, FaultMix, FaultRule};
pub use fleet::{Fleet, SeedConnection, SourceCase};
pub use log::{RecordedRequest, Stats};
pub use server::Emulator;
pub use sink::Sink;
pub use throttle::{Bucket, Throttling};
pub use world::{
    demo, source_id, App, Cluster, FederatedCredential, ManagedIdentity, ResourceGroup, Role,
    Source, SourceState, Subscription, Tenant, World,
};

/// The only ARM api-version the emulator accepts.
pub const API_VERSION: &str = "2025-02-14";
