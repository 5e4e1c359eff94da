//! The top-level error type, the exit-code contract, and how errors are shown.
//!
//! Errors are typed where they arise (`InputError`, `AuthError`, `ArmError`) and meet here. One
//! `match` turns each into an exit status and one into a hint, so the table in the README and in
//! `--help` is the whole truth.

use std::fmt::Write as _;
use std::io;
use std::process::ExitCode;

use crate::arm::ArmError;
use crate::auth::AuthError;
pub use crate::input::InputError;
use crate::interrupt::Stop;
use crate::resource_id::ResourceId;
use crate::wire::Kind;

/// The exit codes scripts can rely on. Documented in README.md and in `adxconn --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    Success = 0,
    /// Azure refused the request, or the operation finished as `Failed`/`Canceled`.
    Failure = 1,
    /// The command line was wrong; nothing was sent.
    Usage = 2,
    /// No usable credentials, a token could not be acquired, or ARM answered 401/403.
    Auth = 3,
    /// `--timeout` expired while waiting; the operation may still finish.
    Timeout = 4,
    /// `show` found no such data connection.
    NotFound = 5,
    /// `audit` found stale data connections (failed, source missing, access denied).
    Stale = 6,
    /// An endpoint could not be reached (network, DNS, TLS, proxy): not a credentials problem.
    Unreachable = 7,
    /// `create` found the connection already there, different from what was asked.
    Exists = 8,
    /// SIGINT/SIGTERM while waiting (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Arm(#[from] ArmError),
    /// A data connection, or a part of its address, does not exist.
    #[error(transparent)]
    NotFound(#[from] Missing),
    /// ARM refused access to a source in another tenant (`LinkedAuthorizationFailed`, or a
    /// rejected auxiliary token).
    #[error("{error}")]
    CrossTenant {
        error: Box<ArmError>,
        /// The kind of the connection, which decides the roles the other tenant must grant.
        kind: Kind,
        /// The sources the connection names outside the cluster's subscription.
        sources: Vec<ResourceId>,
        /// Whether auxiliary tokens were sent.
        had_auxiliary: bool,
    },
    /// ARM refused a write with a 404: its error, and the part of the address that is missing.
    #[error("{error}")]
    WrongAddress {
        error: Box<ArmError>,
        missing: Missing,
    },
    /// A walk over a scope could not read some of it; what it read was printed.
    #[error("{count} part{} of the scope could not be read; the list is incomplete", if *.count == 1 { "" } else { "s" })]
    Incomplete { count: usize },
    /// `create` found the connection already there and different; nothing was sent.
    #[error("data connection `{name}` already exists and differs from what was asked: {}", .changes.join("; "))]
    Differs {
        name: String,
        kind: String,
        changes: Vec<String>,
    },
    /// The database says the name cannot be used now (though no connection was read under it).
    #[error("the name `{name}` is not available in this database: {reason}")]
    NameTaken { name: String, reason: String },
    /// Another connection of the cluster already reads this source with this consumer group.
    #[error("`{other}` already reads `{source_id}` with consumer group `{consumer_group}`; the service refuses a second connection with the same source and consumer group")]
    SourceInUse {
        source_id: String,
        consumer_group: String,
        other: String,
    },
    /// Azure's validation found problems with a connection; they were printed.
    #[error("Azure found {count} problem{} with data connection `{name}`; nothing was created", if *.count == 1 { "" } else { "s" })]
    Invalid { name: String, count: usize },
    /// `audit` found stale connections; the report was printed.
    #[error("{count} data connection{} stale (failed, source-missing or access-denied)", if *.count == 1 { " is" } else { "s are" })]
    Stale { count: usize },
    /// `audit` could not tell the status of some connections; the report says why for each.
    #[error("{count} data connection{} could not be audited (status `unknown`)", if *.count == 1 { "" } else { "s" })]
    Unaudited { count: usize },
    /// Some of `prune`'s deletes failed; the others went on and the report was printed.
    #[error("{failed} of {total} deletes failed")]
    PruneFailed { failed: usize, total: usize },
    /// `wait --ids`: some connections ended `Failed` (or could not be read), or were not there.
    #[error("{} of {total} data connections did not settle as asked{}", failed + absent, if *.absent > 0 { format!(" ({absent} not found)") } else { String::new() })]
    Unsettled {
        failed: usize,
        absent: usize,
        total: usize,
    },
    /// `prune` stopped early (signal or deadline); the report says what was done.
    #[error("{}: {deleted} deleted, {running} still running in Azure, {not_started} not started", match .stop { Stop::Interrupted => "interrupted".to_string(), Stop::Deadline(waited) => format!("gave up after {}", crate::duration::display(*waited)) })]
    PruneStopped {
        stop: Stop,
        deleted: usize,
        running: usize,
        not_started: usize,
    },
    /// Azure accepted a write, but its status URL is one adxconn will not follow.
    #[error("Azure accepted the {method}, but adxconn will not follow its status URL")]
    Unfollowable {
        method: String,
        #[source]
        source: Box<ArmError>,
        /// The command that follows the connection instead.
        resume: String,
    },
    /// A destructive command needs confirmation and none could be had.
    #[error("{0}")]
    NotConfirmed(String),
    #[error("could not write the output")]
    Output(#[source] io::Error),
}

impl Error {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Input(_) | Error::NotConfirmed(_) => ExitStatus::Usage,
            Error::Auth(error) => auth_exit_status(error),
            Error::CrossTenant { .. } => ExitStatus::Auth,
            Error::Arm(error) => arm_exit_status(error),
            Error::NotFound(_) => ExitStatus::NotFound,
            Error::Stale { .. } => ExitStatus::Stale,
            Error::Differs { .. } | Error::SourceInUse { .. } | Error::NameTaken { .. } => {
                ExitStatus::Exists
            }
            Error::PruneStopped {
                stop: Stop::Interrupted,
                ..
            } => ExitStatus::Interrupted,
            Error::PruneStopped {
                stop: Stop::Deadline(_),
                ..
            } => ExitStatus::Timeout,
            Error::Unaudited { .. } | Error::PruneFailed { .. } | Error::Invalid { .. } => {
                ExitStatus::Failure
            }
            Error::Unsettled { failed: 0, .. } => ExitStatus::NotFound,
            Error::Unsettled { .. } => ExitStatus::Failure,
            Error::Output(_)
            | Error::Unfollowable { .. }
            | Error::WrongAddress { .. }
            | Error::Incomplete { .. } => ExitStatus::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Error::Input(error) => error.hint.clone(),
            Error::Auth(error) => auth_hint(error),
            Error::Arm(error) => arm_hint(error),
            Error::NotFound(missing) => Some(missing.hint()),
            Error::WrongAddress { missing, .. } => Some(format!(
                "check --subscription, --resource-group, --cluster and --database: {missing}"
            )),
            Error::CrossTenant {
                kind,
                sources,
                had_auxiliary,
                ..
            } => Some(cross_tenant_hint(kind, sources, *had_auxiliary)),
            Error::Unfollowable { resume, .. } => Some(format!(
                "the write goes on in Azure; follow the data connection itself: {resume}"
            )),
            Error::Incomplete { .. } => Some(
                "each part that could not be read is named above (403: ask for Reader on it; 404: it went away while listing)".into(),
            ),
            Error::Differs { kind, .. } => Some(format!(
                "to change only these, use `adxconn update {kind}` with the flags to change; to replace the connection whole, add --replace"
            )),
            Error::NameTaken { .. } => Some(
                "a connection of that name may still be being deleted: wait for it (`adxconn wait … --deleted`) or choose another name".into(),
            ),
            Error::SourceInUse { .. } => Some(
                "give this connection its own consumer group (--consumer-group), created on the Event Hub first".into(),
            ),
            Error::Invalid { .. } => Some(
                "fix what each problem names (roles on the source, names, formats) and run it again".into(),
            ),
            Error::Stale { .. } => Some(
                "`adxconn prune` with the same scope lists what it would delete; add --yes to delete them".into(),
            ),
            Error::Unaudited { .. } => Some(
                "each one's reason is in its evidence; a source in another tenant needs --aux-tenant or --aux-token-file for that tenant".into(),
            ),
            Error::PruneFailed { .. } => Some(
                "each failure is named above with Azure's code and message; running the same prune again retries them".into(),
            ),
            Error::Unsettled { .. } => Some(
                "each is named above with its outcome; `adxconn show --id …` shows one in full".into(),
            ),
            Error::PruneStopped { .. } => Some(
                "running deletions were not cancelled; run the same prune again to finish (what is gone is not deleted twice)".into(),
            ),
            Error::NotConfirmed(_) | Error::Output(_) => None,
        }
    }
}

fn arm_exit_status(error: &ArmError) -> ExitStatus {
    match error {
        ArmError::Api(api) if matches!(api.status.as_u16(), 401 | 403) => ExitStatus::Auth,
        ArmError::Auth(error) => auth_exit_status(error),
        ArmError::Timeout { .. } => ExitStatus::Timeout,
        ArmError::Path { .. } => ExitStatus::Usage,
        ArmError::Interrupted { .. } => ExitStatus::Interrupted,
        ArmError::Transport { .. } => ExitStatus::Unreachable,
        ArmError::Api(_)
        | ArmError::Refused { .. }
        | ArmError::Unanswered { .. }
        | ArmError::Decode { .. }
        | ArmError::OperationFailed { .. } => ExitStatus::Failure,
    }
}

/// A refused answer is not a sign-in problem: exit 1, like any answer ARM never gives.
fn auth_exit_status(error: &AuthError) -> ExitStatus {
    match error {
        AuthError::Refused { .. } => ExitStatus::Failure,
        AuthError::TokenFile { .. } | AuthError::AuxiliaryUnsupported { .. } => ExitStatus::Usage,
        AuthError::Unreachable { .. } => ExitStatus::Unreachable,
        _ => ExitStatus::Auth,
    }
}

fn arm_hint(error: &ArmError) -> Option<String> {
    match error {
            ArmError::Api(api) => {
                let support = api
                    .correlation_id
                    .as_ref()
                    .map(|id| format!(" (correlation id {id})"))
                    .unwrap_or_default();
                let advice = match (api.status.as_u16(), api.code.as_str()) {
                    (401, _) => "ARM did not accept the token: check that AZURE_TENANT_ID is the tenant that owns the subscription, \
                         and AZURE_CLIENT_ID/AZURE_CLIENT_SECRET; a token in ADXCONN_ACCESS_TOKEN may have expired".to_string(),
                    (403, _) => "the principal lacks a role for this: writes need `Contributor` on the cluster \
                         (or a role with `Microsoft.Kusto/clusters/databases/dataConnections/write`); reads need `Reader`".to_string(),
                    (404, _) => "check --subscription, --resource-group, --cluster and --database".to_string(),
                    (409, _) => "another operation is running on this connection or cluster; try again when it has finished".to_string(),
                    (429, _) => "ARM kept throttling after several retries; wait a minute and try again".to_string(),
                    (status, _) if status >= 500 => "Azure had a server-side problem after several retries; try again later".to_string(),
                    _ => return api.correlation_id.as_ref().map(|id| format!("correlation id for support: {id}")),
                };
                Some(format!("{advice}{support}"))
            }
            ArmError::Transport { .. } => Some(
                "check the network path to ARM (HTTPS_PROXY, SSL_CERT_FILE, ADXCONN_ARM_ENDPOINT)"
                    .into(),
            ),
            ArmError::OperationFailed { operation, .. } => {
                Some(format!("the operation's status is at {operation}"))
            }
            ArmError::Timeout {
                operation,
                request,
                unanswered,
                ..
            }
            | ArmError::Interrupted {
                operation,
                request,
                unanswered,
                ..
            } => Some(match (operation, request, unanswered) {
                (Some(url), _, _) => format!("to wait for it again: adxconn wait --operation '{url}'"),
                (None, Some(_), true) => "see what Azure holds with `adxconn show`, or follow it with `adxconn wait` and the same connection flags (add `--deleted` for a deletion)".into(),
                (None, Some(_), false) => "to wait for it again: `adxconn wait` with the same connection flags (add `--deleted` for a deletion)".into(),
                (None, None, _) => return None,
            }),
            ArmError::Refused { .. } => Some(
                "this answer did not come from ARM: check ADXCONN_ARM_ENDPOINT, --cloud and HTTPS_PROXY"
                    .into(),
            ),
            ArmError::Unanswered { .. } => Some(
                "the request may have been applied; check with `adxconn show` before retrying"
                    .into(),
            ),
            ArmError::Decode { .. } | ArmError::Path { .. } => None,
            ArmError::Auth(error) => auth_hint(error),
        }
}

fn auth_hint(error: &AuthError) -> Option<String> {
    match error {
            AuthError::Missing { advice, .. } => Some(format!(
                "{advice}; `adxconn auth` shows which way adxconn signs in, and the README's Authentication section lists them all"
            )),
            AuthError::Setup { .. } => Some("AZURE_AUTHORITY_HOST must be an https:// URL".into()),
            AuthError::TokenFile { advice, .. } => advice.clone(),
            AuthError::AuxiliaryUnsupported { .. } => Some(
                "get a token in that tenant another way (e.g. `az account get-access-token --tenant T`) and pass it with --aux-token-file"
                    .into(),
            ),
            AuthError::Unreachable { .. } => Some(
                "check the network path (DNS, firewall, HTTPS_PROXY, SSL_CERT_FILE for a TLS-inspecting proxy); the credentials were not tried"
                    .into(),
            ),
            AuthError::ManagedIdentity { .. } => Some(
                "check that a managed identity is assigned to this resource (and --managed-identity-client-id for a user-assigned one)"
                    .into(),
            ),
            AuthError::AzureCli { source, .. } => Some(match source {
                crate::auth::CliError::NotInstalled => "install the Azure CLI, or choose another way with --auth".into(),
                _ => "run `az login` (with `--tenant` for another tenant), or choose another way with --auth".into(),
            }),
            AuthError::Refused { .. } => Some(
                "this answer did not come from Entra ID: check AZURE_AUTHORITY_HOST, --cloud and HTTPS_PROXY"
                    .into(),
            ),
            AuthError::Token {
                tenant,
                client_id,
                auxiliary: true,
                ..
            } => Some(format!(
                "the app `{client_id}` must exist in tenant `{tenant}` too (a multi-tenant app registration, consented there); \
                 otherwise get a token there another way and pass it with --aux-token-file"
            )),
            AuthError::Token {
                tenant,
                client_id,
                source,
                ..
            } => {
                let message = source.to_string();
                Some(if message.contains("AADSTS7000215") {
                    "the client secret is wrong or has expired: check AZURE_CLIENT_SECRET / --client-secret-file".into()
                } else if message.contains("AADSTS700016") {
                    format!("application `{client_id}` is not known in tenant `{tenant}`: check AZURE_CLIENT_ID and AZURE_TENANT_ID")
                } else if message.contains("AADSTS90002") || message.contains("AADSTS900023") {
                    format!("tenant `{tenant}` was not found: check AZURE_TENANT_ID / --tenant")
                } else {
                    "check the network path to the authority host (HTTPS_PROXY, SSL_CERT_FILE) and the tenant and client ids".into()
                })
            }
        }
}

/// What does not exist: the data connection, or the part of its address that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum Missing {
    #[error("data connection `{name}` was not found in database `{database}`")]
    Connection { name: String, database: String },
    #[error("database `{name}` was not found in cluster `{cluster}`")]
    Database { name: String, cluster: String },
    #[error("cluster `{name}` was not found in resource group `{resource_group}`")]
    Cluster {
        name: String,
        resource_group: String,
    },
    #[error("resource group `{name}` was not found in subscription `{subscription}`")]
    ResourceGroup { name: String, subscription: String },
    #[error("subscription `{id}` was not found (or the signed-in principal cannot see it)")]
    Subscription { id: String },
}

impl Missing {
    fn hint(&self) -> String {
        match self {
            Missing::Connection { .. } => {
                "list the connections of the database with `adxconn list …`".into()
            }
            Missing::Database { .. } => "check --database (names are case-insensitive; `az kusto database list` lists them)".into(),
            Missing::Cluster { .. } => "check --cluster and --resource-group".into(),
            Missing::ResourceGroup { .. } => {
                "check --resource-group and --subscription (AZURE_SUBSCRIPTION_ID)".into()
            }
            Missing::Subscription { .. } => "check --subscription (AZURE_SUBSCRIPTION_ID) and that the principal has a role in it".into(),
        }
    }
}

/// What to pass and which roles to grant when a source lives in another tenant.
fn cross_tenant_hint(kind: &Kind, sources: &[ResourceId], had_auxiliary: bool) -> String {
    let mut hint = String::new();
    for source in sources {
        let _ = writeln!(
            hint,
            "the source `{source}` is in subscription `{}`, which the signed-in tenant cannot reach alone",
            source.subscription()
        );
    }
    let role = match kind {
        Kind::IotHub => "`Contributor` on the IoT Hub",
        Kind::EventGrid | Kind::EventGridWithManagedIdentity => {
            "`Azure Event Hubs Data Owner` on the Event Hubs namespace and `Storage Blob Data Reader` (or Contributor) on the storage account"
        }
        Kind::CosmosDb => "`Cosmos DB Built-in Data Reader` on the Cosmos DB account",
        _ => "`Azure Event Hubs Data Owner` on the Event Hubs namespace (not just the event hub)",
    };
    let _ = write!(
        hint,
        "{}pass `--aux-tenant <tenant of that subscription>` (the same multi-tenant app signs in there) \
         or `--aux-token-file FILE` (a token from an account in that tenant); \
         that tenant must grant the principal {role}, and this one `Contributor` on the cluster",
        if had_auxiliary {
            "the auxiliary tokens sent did not give access: check they are for that tenant and unexpired; "
        } else {
            ""
        }
    );
    hint
}

/// Prints `error: …`, each `caused by: …` and a `hint: …` to `stderr`; returns the exit status.
///
/// Errors are shown with `Display` and their `source()` chain, never `Debug`: azure_core's
/// `Debug` carries a backtrace, and the chain is where a TLS or connection failure's real cause
/// lives.
pub fn report(error: &Error, stderr: &mut impl io::Write) -> ExitStatus {
    let mut text = format!("error: {error}\n");
    let mut last = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let line = cause.to_string();
        // azure_core and reqwest often repeat the inner message in the outer one.
        if !last.contains(&line) {
            let _ = writeln!(text, "  caused by: {line}");
        }
        last = line;
        source = cause.source();
    }
    if let Some(hint) = error.hint() {
        let _ = write!(text, "\nhint: {hint}\n");
    }
    // Server text (messages, echoed requests) is in here: scrub it like every printed line.
    // Nothing sensible is left to do if stderr itself is gone.
    let _ = stderr.write_all(crate::scrub::terminal(&text).as_bytes());
    error.exit_status()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cross_tenant_hint_names_the_roles_of_the_kind() {
        let hub = ResourceId::parse(
            "/subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/rg/providers/Microsoft.Devices/IotHubs/hub",
        )
        .unwrap();
        let iothub = cross_tenant_hint(&Kind::IotHub, std::slice::from_ref(&hub), false);
        assert!(iothub.contains("`Contributor` on the IoT Hub"), "{iothub}");
        assert!(iothub.contains("subscription `12345678-1234-1234-1234-123456789098`"));
        assert!(!iothub.contains("did not give access"));
        let grid = cross_tenant_hint(&Kind::EventGrid, &[hub], true);
        assert!(grid.contains("Storage Blob Data Reader"), "{grid}");
        assert!(grid.contains("did not give access"));
        let eventhub = cross_tenant_hint(&Kind::EventHub, &[], false);
        assert!(
            eventhub.contains("Azure Event Hubs Data Owner"),
            "{eventhub}"
        );
    }
}
