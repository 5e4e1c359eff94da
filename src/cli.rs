//! The command line, declared with clap derive. Data only: checking values that clap cannot
//! (resource-id shapes, names, dates) happens in `connection` and `target`, before any request.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::Timeout;
use crate::names::{ClusterName, ConnectionName, DatabaseName, Guid, ResourceGroupName};
use crate::target::{ConnectionRef, DatabaseRef};

/// Manage Azure Data Explorer (Kusto) data connections through Azure Resource Manager.
#[derive(Debug, Parser)]
#[command(name = "adxconn", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// How to print results on stdout.
    #[arg(
        help_heading = "Global options",
        long,
        short,
        global = true,
        value_enum,
        default_value_t
    )]
    pub output: OutputFormat,

    /// JMESPath query on the JSON result, as az's `--query`, e.g. `[?crossTenant].id`. Its
    /// result is printed as `--output` says: a table or tsv gets the selected values as rows.
    #[arg(
        help_heading = "Global options",
        long,
        global = true,
        value_name = "JMESPATH"
    )]
    pub query: Option<String>,

    /// Do not print progress messages on stderr.
    #[arg(help_heading = "Global options", long, short, global = true)]
    pub quiet: bool,

    /// Trace every HTTP request and response on stderr (secrets and tokens redacted).
    #[arg(
        help_heading = "Global options",
        long,
        global = true,
        hide_short_help = true
    )]
    pub debug: bool,

    /// The Azure cloud: sets the ARM endpoint and the Entra ID authority host.
    #[arg(
        help_heading = "Global options",
        long,
        global = true,
        value_enum,
        default_value_t,
        hide_short_help = true
    )]
    pub cloud: Cloud,

    /// ARM endpoint, overriding the cloud's (private clouds, the emulator).
    #[arg(
        help_heading = "Global options",
        long,
        global = true,
        hide_short_help = true,
        env = "ADXCONN_ARM_ENDPOINT",
        value_name = "URL"
    )]
    pub arm_endpoint: Option<String>,

    /// Entra ID authority host, overriding the cloud's.
    #[arg(
        help_heading = "Global options",
        long,
        global = true,
        hide_short_help = true,
        env = "AZURE_AUTHORITY_HOST",
        value_name = "URL"
    )]
    pub authority_host: Option<String>,

    /// How to sign in; without it, the first that is configured in this order: token, secret,
    /// certificate, workload, managed-identity, cli (see `adxconn auth`).
    #[arg(
        help_heading = "Authentication",
        hide_short_help = true,
        long,
        global = true,
        value_enum,
        env = "ADXCONN_AUTH",
        value_name = "METHOD"
    )]
    pub auth: Option<AuthArg>,

    /// Client id of the user-assigned managed identity to sign in as (else AZURE_CLIENT_ID,
    /// else the system-assigned identity).
    #[arg(
        help_heading = "Authentication",
        hide_short_help = true,
        long,
        global = true,
        value_name = "CLIENT_ID"
    )]
    pub managed_identity_client_id: Option<String>,

    /// Tenant of the service principal.
    #[arg(
        help_heading = "Authentication",
        hide_short_help = true,
        long,
        global = true,
        env = "AZURE_TENANT_ID",
        value_name = "TENANT_ID"
    )]
    pub tenant: Option<String>,

    /// Application (client) id of the service principal.
    #[arg(
        help_heading = "Authentication",
        hide_short_help = true,
        long,
        global = true,
        env = "AZURE_CLIENT_ID",
        value_name = "CLIENT_ID"
    )]
    pub client_id: Option<String>,

    /// Read the client secret from this file (`-` for stdin) instead of `AZURE_CLIENT_SECRET`.
    #[arg(
        help_heading = "Authentication",
        hide_short_help = true,
        long,
        global = true,
        value_name = "PATH"
    )]
    pub client_secret_file: Option<PathBuf>,

    /// A tenant that owns a source (Event Hub, IoT Hub, storage): the same multi-tenant app
    /// signs in there too, and its token goes in `x-ms-authorization-auxiliary`. Repeatable.
    #[arg(
        help_heading = "Authentication",
        hide_short_help = true,
        long = "aux-tenant",
        global = true,
        env = "ADXCONN_AUX_TENANTS",
        value_delimiter = ',',
        value_name = "TENANT_ID"
    )]
    pub aux_tenants: Vec<String>,

    /// A ready-made ARM token for another tenant, in a file (`-` for stdin). Repeatable; at
    /// most 3 auxiliary tokens in all.
    #[arg(
        help_heading = "Authentication",
        hide_short_help = true,
        long = "aux-token-file",
        global = true,
        value_name = "PATH"
    )]
    pub aux_token_files: Vec<PathBuf>,
}

/// `--auth`: one way to sign in, forced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// A service principal with a client secret (AZURE_CLIENT_SECRET or --client-secret-file).
    Secret,
    /// A service principal with a certificate (AZURE_CLIENT_CERTIFICATE_PATH, PEM).
    Certificate,
    /// Workload identity: a federated token (AZURE_FEDERATED_TOKEN_FILE, or GitHub Actions OIDC).
    Workload,
    /// The managed identity of this VM, App Service or Functions app.
    ManagedIdentity,
    /// The Azure CLI's signed-in account (`az login`).
    Cli,
    /// A ready-made ARM token (ADXCONN_ACCESS_TOKEN).
    Token,
}

impl From<AuthArg> for crate::auth::Method {
    fn from(arg: AuthArg) -> Self {
        match arg {
            AuthArg::Secret => crate::auth::Method::Secret,
            AuthArg::Certificate => crate::auth::Method::Certificate,
            AuthArg::Workload => crate::auth::Method::Workload,
            AuthArg::ManagedIdentity => crate::auth::Method::ManagedIdentity,
            AuthArg::Cli => crate::auth::Method::Cli,
            AuthArg::Token => crate::auth::Method::Token,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns, for people.
    #[default]
    Table,
    /// The ARM resources as returned, for scripts.
    Json,
    /// The table's rows without a header, tab-separated, for `cut` and `while read`.
    Tsv,
    /// The JSON result as YAML.
    Yaml,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Cloud {
    /// Azure public cloud (management.azure.com).
    #[default]
    Public,
    /// Azure operated by 21Vianet (management.chinacloudapi.cn).
    China,
    /// Azure US Government (management.usgovcloudapi.net).
    Usgov,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a data connection (or replace one, with `--replace`) and wait until it is
    /// provisioned.
    #[command(subcommand)]
    Create(CreateCommand),
    /// Show a data connection (or several, with `--ids`).
    #[command(after_help = help::SHOW)]
    Show(ShowArgs),
    /// List the data connections of a database, a cluster, a resource group or subscriptions.
    #[command(after_help = help::LIST)]
    List(ListArgs),
    /// Delete a data connection (or several, with `--ids`) and wait until it is gone.
    #[command(after_help = help::DELETE)]
    Delete(DeleteArgs),
    /// Change some properties of a data connection in place (PATCH); the rest stays as it is.
    #[command(subcommand, after_help = help::UPDATE)]
    Update(UpdateCommand),
    /// Ask Azure whether a data connection would work, without creating it (the flags of
    /// `create`); exit 1 listing the problems when it would not.
    #[command(subcommand, after_help = help::VALIDATE)]
    Validate(CreateCommand),
    /// Check every data connection of a scope: its state, and whether its sources still exist
    /// and can be read (exit 6 when any is stale).
    #[command(after_help = help::AUDIT)]
    Audit(AuditArgs),
    /// Delete the stale data connections `audit` finds (a plan only, unless `--yes`).
    #[command(after_help = help::PRUNE)]
    Prune(PruneArgs),
    /// Wait for an operation (the URL `--no-wait`, a timeout or Ctrl-C printed), or until
    /// data connections' provisioning settles.
    #[command(after_help = help::WAIT)]
    Wait(WaitArgsCommand),
    /// Sign in and show who adxconn is signed in as, how it chose, and until when (never the
    /// token).
    #[command(after_help = help::AUTH)]
    Auth(AuthArgs),
    /// Print a shell completion script (e.g. `adxconn completions bash > ~/.local/share/bash-completion/completions/adxconn`).
    Completions(CompletionsArgs),
    /// Write the man pages (adxconn.1 and one per command) into a directory.
    Man(ManArgs),
}

#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// Ingest from an IoT Hub (its built-in Event Hub endpoint).
    #[command(after_help = help::CREATE_IOTHUB)]
    Iothub(CreateIotHubArgs),
    /// Ingest from an Event Hub.
    #[command(after_help = help::CREATE_EVENTHUB)]
    Eventhub(CreateEventHubArgs),
    /// Ingest blobs announced by Event Grid (storage account → Event Grid → Event Hub).
    #[command(after_help = help::CREATE_EVENTGRID)]
    Eventgrid(CreateEventGridArgs),
    /// Ingest a Cosmos DB container's change feed (read with a managed identity).
    #[command(after_help = help::CREATE_COSMOSDB)]
    Cosmosdb(CreateCosmosDbArgs),
}

#[derive(Debug, Subcommand)]
pub enum UpdateCommand {
    /// An IoT Hub connection.
    Iothub(UpdateArgs),
    /// An Event Hub connection (also one created with --identity-only).
    Eventhub(UpdateArgs),
    /// An Event Grid connection (also one created with --identity-only).
    Eventgrid(UpdateArgs),
    /// A Cosmos DB connection.
    Cosmosdb(UpdateArgs),
}

impl UpdateCommand {
    /// The kind the subcommand names, and its arguments.
    pub fn parts(&self) -> (&'static str, &UpdateArgs) {
        match self {
            UpdateCommand::Iothub(args) => ("iothub", args),
            UpdateCommand::Eventhub(args) => ("eventhub", args),
            UpdateCommand::Eventgrid(args) => ("eventgrid", args),
            UpdateCommand::Cosmosdb(args) => ("cosmosdb", args),
        }
    }
}

/// `update`: only the flags given change; each must be one the connection's kind takes.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Consumer group (Event Hub, IoT Hub, Event Grid).
    #[arg(help_heading = "Changes", long, value_name = "CG")]
    pub consumer_group: Option<String>,
    /// Target table.
    #[arg(help_heading = "Changes", long, value_name = "TABLE")]
    pub table: Option<String>,
    /// Ingestion mapping name.
    #[arg(help_heading = "Changes", long, value_name = "MAPPING")]
    pub mapping: Option<String>,
    /// Data format (not Cosmos DB).
    #[arg(help_heading = "Changes", long, value_name = "FORMAT")]
    pub data_format: Option<String>,
    /// System properties to add to each record, comma-separated (Event Hub, IoT Hub).
    #[arg(help_heading = "Changes", long, value_name = "A,B,...")]
    pub event_system_properties: Option<String>,
    /// Whether messages may name their target database (not Cosmos DB).
    #[arg(
        help_heading = "Changes",
        long,
        value_enum,
        ignore_case = true,
        value_name = "ROUTING"
    )]
    pub database_routing: Option<DatabaseRouting>,
    /// Ingest events retained since this time, RFC 3339 (Event Hub, IoT Hub, Cosmos DB).
    #[arg(help_heading = "Changes", long, value_name = "RFC3339")]
    pub retrieval_start_date: Option<String>,
    /// Compression of the events (Event Hub).
    #[arg(help_heading = "Changes", long, value_enum, ignore_case = true)]
    pub compression: Option<Compression>,
    /// Identity the cluster reads the source with: a user-assigned identity's id or `system`.
    #[arg(help_heading = "Changes", long, value_name = "ID|system")]
    pub managed_identity: Option<String>,
    /// Shared access policy of the IoT Hub.
    #[arg(help_heading = "Changes", long, value_name = "NAME")]
    pub shared_access_policy: Option<String>,
    /// Which blob event starts an ingestion (Event Grid).
    #[arg(help_heading = "Changes", long, value_enum, ignore_case = true)]
    pub blob_event_type: Option<BlobEventType>,
    /// Skip the first record of every blob (Event Grid).
    #[arg(help_heading = "Changes", long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ignore_first_record: Option<bool>,
    /// The source cannot change: given, it must equal the connection's (else delete and create).
    #[arg(help_heading = "Source (cannot change)", long, value_name = "ID")]
    pub eventhub_id: Option<String>,
    /// The source cannot change: given, it must equal the connection's.
    #[arg(help_heading = "Source (cannot change)", long, value_name = "ID")]
    pub iothub_id: Option<String>,
    /// The source cannot change: given, it must equal the connection's.
    #[arg(help_heading = "Source (cannot change)", long, value_name = "ID")]
    pub storage_account_id: Option<String>,
    /// The source cannot change: given, it must equal the connection's.
    #[arg(help_heading = "Source (cannot change)", long, value_name = "ID")]
    pub cosmosdb_account_id: Option<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// A database of a cluster; clap checks each part (`names`) and names every missing one.
#[derive(Debug, Args)]
#[command(next_help_heading = "Data connection")]
pub struct DatabaseArgs {
    /// Subscription of the cluster (a GUID).
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID", value_name = "SUBSCRIPTION_ID")]
    pub subscription: Guid,
    /// Resource group of the cluster.
    #[arg(long, short = 'g', value_name = "RESOURCE_GROUP")]
    pub resource_group: ResourceGroupName,
    /// Name of the Kusto cluster.
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: ClusterName,
    /// Name of the database.
    #[arg(long, value_name = "DATABASE")]
    pub database: DatabaseName,
}

impl DatabaseArgs {
    pub fn database(&self) -> DatabaseRef {
        DatabaseRef {
            subscription: self.subscription.to_string(),
            resource_group: self.resource_group.to_string(),
            cluster: self.cluster.to_string(),
            database: self.database.to_string(),
        }
    }
}

/// Where a new data connection goes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Data connection")]
pub struct TargetArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Name of the data connection (letters, digits, `-` and `.`; at most 40).
    #[arg(long, short = 'n', value_name = "NAME")]
    pub name: ConnectionName,
}

impl TargetArgs {
    pub fn connection(&self) -> ConnectionRef {
        ConnectionRef {
            database: self.database.database(),
            name: self.name.to_string(),
        }
    }
}

/// An existing data connection, named by its parts or by its ARM resource id (`--id`), for
/// commands that also accept the `extra` arguments instead of either.
macro_rules! locate_args {
    ($(#[$meta:meta])* $name:ident, instead = [$($instead:literal),*]) => {
        $(#[$meta])*
        #[derive(Debug, Args)]
        #[command(next_help_heading = "Data connection")]
        pub struct $name {
            /// Subscription of the cluster (a GUID).
            #[arg(
                long,
                env = "AZURE_SUBSCRIPTION_ID",
                value_name = "SUBSCRIPTION_ID",
                required_unless_present_any = ["id", "ids", $($instead),*]
            )]
            pub subscription: Option<Guid>,
            /// Resource group of the cluster.
            #[arg(
                long,
                short = 'g',
                value_name = "RESOURCE_GROUP",
                required_unless_present_any = ["id", "ids", $($instead),*],
                conflicts_with_all = ["id", "ids"]
            )]
            pub resource_group: Option<ResourceGroupName>,
            /// Name of the Kusto cluster.
            #[arg(
                long,
                value_name = "CLUSTER",
                required_unless_present_any = ["id", "ids", $($instead),*],
                conflicts_with_all = ["id", "ids"]
            )]
            pub cluster: Option<ClusterName>,
            /// Name of the database.
            #[arg(
                long,
                value_name = "DATABASE",
                required_unless_present_any = ["id", "ids", $($instead),*],
                conflicts_with_all = ["id", "ids"]
            )]
            pub database: Option<DatabaseName>,
            /// Name of the data connection.
            #[arg(
                long,
                short = 'n',
                value_name = "NAME",
                required_unless_present_any = ["id", "ids", $($instead),*],
                conflicts_with_all = ["id", "ids"]
            )]
            pub name: Option<ConnectionName>,
            /// Full ARM resource id of the data connection, instead of the parts.
            #[arg(long, value_name = "DATA_CONNECTION_ID", conflicts_with = "ids")]
            pub id: Option<ConnectionRef>,
            /// Several data connections by id; `-` reads them from stdin, one per line (e.g.
            /// the `id`s of `adxconn list -o json`).
            #[arg(long, value_name = "ID|-", num_args = 1..)]
            pub ids: Vec<String>,
        }

        impl $name {
            /// The connection named, when one is (clap has checked that the parts are all
            /// there when `--id` is not).
            pub fn connection(&self) -> Option<ConnectionRef> {
                if let Some(id) = &self.id {
                    return Some(id.clone());
                }
                Some(ConnectionRef {
                    database: DatabaseRef {
                        subscription: self.subscription.as_ref()?.to_string(),
                        resource_group: self.resource_group.as_ref()?.to_string(),
                        cluster: self.cluster.as_ref()?.to_string(),
                        database: self.database.as_ref()?.to_string(),
                    },
                    name: self.name.as_ref()?.to_string(),
                })
            }
        }
    };
}

locate_args!(
    /// A data connection by its parts or `--id`.
    LocateArgs,
    instead = []
);
locate_args!(
    /// A data connection by its parts or `--id`, unless `wait --operation` names an operation.
    WaitLocateArgs,
    instead = ["operation"]
);

#[derive(Debug, Args)]
pub struct AuthArgs {}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Where to write the pages (created if missing), e.g. `~/.local/share/man/man1`.
    #[arg(long, value_name = "DIR")]
    pub dir: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub locate: LocateArgs,
}

/// What `list`, `audit` and `prune` walk: a scope, filters on what is found, and how many
/// requests may be in flight.
#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Most requests in flight at once while walking the scope (and deleting, for `prune`).
    #[arg(long, value_name = "N", default_value_t = crate::fleet::DEFAULT_CONCURRENCY,
          value_parser = parse_concurrency, help_heading = "Scope")]
    pub concurrency: usize,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub sweep: SweepArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub sweep: SweepArgs,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub sweep: SweepArgs,
    /// Which audit statuses to delete, comma-separated: failed, source-missing, access-denied,
    /// cross-tenant, unknown.
    #[arg(
        long,
        value_name = "S,S,...",
        value_delimiter = ',',
        value_parser = parse_prune_status,
        default_value = "source-missing,access-denied,failed",
        help_heading = "Pruning"
    )]
    pub status: Vec<crate::audit::Status>,
    /// Delete them. Without it, prune prints what it would delete and deletes nothing.
    #[arg(long, short = 'y', help_heading = "Pruning")]
    pub yes: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// An audit status `prune` may delete: any but `ok`, which is never pruned.
fn parse_prune_status(text: &str) -> Result<crate::audit::Status, String> {
    let names = || {
        crate::audit::Status::ALL
            .iter()
            .filter(|status| **status != crate::audit::Status::Ok)
            .map(|status| status.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match crate::audit::Status::parse(text) {
        Some(crate::audit::Status::Ok) => Err(format!(
            "prune never deletes healthy connections; use `adxconn delete` for one, or one of: {}",
            names()
        )),
        Some(status) => Ok(status),
        None => Err(format!("not an audit status; use one of: {}", names())),
    }
}

/// Where to look: every cluster of each subscription, narrowed by resource group, cluster and
/// database (a narrower part needs the wider ones).
#[derive(Debug, Args)]
#[command(next_help_heading = "Scope")]
pub struct ScopeArgs {
    /// Subscription to look in (a GUID); repeat for several.
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID", value_name = "SUBSCRIPTION_ID", required = true, action = clap::ArgAction::Append)]
    pub subscription: Vec<Guid>,
    /// Only clusters in this resource group.
    #[arg(long, short = 'g', value_name = "RESOURCE_GROUP")]
    pub resource_group: Option<ResourceGroupName>,
    /// Only this Kusto cluster's databases.
    #[arg(long, value_name = "CLUSTER", requires = "resource_group")]
    pub cluster: Option<ClusterName>,
    /// Only this database.
    #[arg(long, value_name = "DATABASE", requires = "cluster")]
    pub database: Option<DatabaseName>,
}

impl ScopeArgs {
    pub fn scope(&self) -> crate::fleet::Scope {
        let mut subscriptions: Vec<String> = Vec::new();
        for subscription in &self.subscription {
            let subscription = subscription.to_string();
            if !subscriptions
                .iter()
                .any(|seen| seen.eq_ignore_ascii_case(&subscription))
            {
                subscriptions.push(subscription);
            }
        }
        crate::fleet::Scope {
            subscriptions,
            resource_group: self.resource_group.as_ref().map(ToString::to_string),
            cluster: self.cluster.as_ref().map(ToString::to_string),
            database: self.database.as_ref().map(ToString::to_string),
        }
    }
}

/// Which data connections to keep.
#[derive(Debug, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only connections of this kind (iothub, eventhub, eventgrid, cosmosdb,
    /// eventhubwithmanagedidentity, eventgridwithmanagedidentity); repeat for several.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Vec<crate::wire::Kind>,
    /// Only connections whose name matches this glob (`*`, `?`; case-insensitive).
    #[arg(long, value_name = "GLOB")]
    pub name_pattern: Option<String>,
    /// Only connections with a source in another tenant.
    #[arg(long)]
    pub cross_tenant_only: bool,
}

impl FilterArgs {
    pub fn filters(&self) -> crate::fleet::Filters {
        crate::fleet::Filters {
            kinds: self.kind.clone(),
            name_pattern: self.name_pattern.clone(),
        }
    }
}

/// `--concurrency`: 1 to `fleet::MAX_CONCURRENCY`.
fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=crate::fleet::MAX_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(format!(
            "use a whole number from 1 to {}",
            crate::fleet::MAX_CONCURRENCY
        )),
    }
}

/// A data-connection kind, named as ARM does (any case).
fn parse_kind(text: &str) -> Result<crate::wire::Kind, String> {
    let kind = crate::wire::Kind::parse(text);
    if kind.is_known() {
        Ok(kind)
    } else {
        Err(format!(
            "not a data-connection kind; use one of: {}",
            crate::wire::Kind::NAMES
                .iter()
                .map(|name| name.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub locate: LocateArgs,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y', help_heading = "Data connection")]
    pub yes: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
}

#[derive(Debug, Args)]
pub struct WaitArgsCommand {
    #[command(flatten)]
    pub locate: WaitLocateArgs,
    /// The operation's status URL, exactly as adxconn printed it.
    #[arg(
        long,
        value_name = "URL",
        help_heading = "Waiting",
        conflicts_with_all = ["id", "ids", "resource_group", "cluster", "database", "name", "deleted"]
    )]
    pub operation: Option<String>,
    /// Wait until the data connection no longer exists.
    #[arg(long, help_heading = "Waiting")]
    pub deleted: bool,
    /// Give up after this long, counted from the start (e.g. `90s`, `10m`, `1h30m`); exit code 4.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30m",
        help_heading = "Waiting"
    )]
    pub timeout: Timeout,
}

/// How long to wait for a long-running operation.
#[derive(Debug, Args)]
#[command(next_help_heading = "Waiting")]
pub struct WaitArgs {
    /// Return after Azure accepted the request; print the operation URL.
    #[arg(long)]
    pub no_wait: bool,
    /// Give up after this long, counted from the start (e.g. `90s`, `10m`, `1h30m`); exit code 4.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub timeout: Timeout,
}

/// Flags every `create` takes after its kind's own.
#[derive(Debug, Args)]
#[command(next_help_heading = "Waiting")]
pub struct WriteArgs {
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Print the exact requests (method, URL, redacted headers, JSON body) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Ask Azure to validate the connection first (as `adxconn validate`); nothing is created
    /// when it finds a problem.
    #[arg(long)]
    pub validate: bool,
    /// Replace an existing connection of that name whole: ARM's blind create-or-replace, with
    /// no read first. Without it, create leaves an existing connection alone (exit 0 when it is
    /// already as asked, exit 8 listing the differences) and checks that no other connection of
    /// the cluster reads the same source with the same consumer group.
    #[arg(long)]
    pub replace: bool,
}

/// Where and how ingested data lands. Shared by every kind.
#[derive(Debug, Args)]
#[command(next_help_heading = "Ingestion")]
pub struct IngestionArgs {
    /// Target table (omit to route per message).
    #[arg(long, value_name = "TABLE")]
    pub table: Option<String>,
    /// Ingestion mapping name (case-sensitive).
    #[arg(long, value_name = "MAPPING")]
    pub mapping: Option<String>,
    /// Data format, e.g. `json`, `multijson`, `csv`, `avro`, `parquet` (case-insensitive).
    #[arg(long, value_name = "FORMAT")]
    pub data_format: Option<String>,
    /// System properties to add to each record, comma-separated (e.g. `x-opt-enqueued-time`).
    #[arg(long, value_name = "A,B,...")]
    pub event_system_properties: Option<String>,
    /// Whether messages may name their target database.
    #[arg(long, value_enum, ignore_case = true, value_name = "ROUTING")]
    pub database_routing: Option<DatabaseRouting>,
    /// Ingest events retained since this time (RFC 3339, e.g. `2026-11-30T00:00:00Z`).
    #[arg(long, value_name = "RFC3339")]
    pub retrieval_start_date: Option<String>,
    /// Azure region of the connection; defaults to the cluster's (read with one GET).
    #[arg(long, value_name = "LOCATION")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatabaseRouting {
    /// Everything goes to `--database`.
    Single,
    /// Messages may name another database of the cluster.
    Multi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compression {
    None,
    Gzip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BlobEventType {
    /// `Microsoft.Storage.BlobCreated`.
    Created,
    /// `Microsoft.Storage.BlobRenamed`.
    Renamed,
}

#[derive(Debug, Args)]
pub struct CreateIotHubArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Resource id of the IoT Hub (`…/providers/Microsoft.Devices/IotHubs/{hub}`).
    #[arg(help_heading = "Source", long, value_name = "ID")]
    pub iothub_id: String,
    /// Shared access policy of the IoT Hub to read with (needs `service connect`).
    #[arg(help_heading = "Source", long, value_name = "NAME")]
    pub shared_access_policy: String,
    /// Consumer group of the IoT Hub's built-in endpoint.
    #[arg(
        help_heading = "Source",
        long,
        value_name = "CG",
        default_value = "$Default"
    )]
    pub consumer_group: String,
    #[command(flatten)]
    pub ingestion: IngestionArgs,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct CreateEventHubArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Resource id of the Event Hub (`…/Microsoft.EventHub/namespaces/{ns}/eventhubs/{hub}`).
    #[arg(help_heading = "Source", long, value_name = "ID")]
    pub eventhub_id: String,
    /// Consumer group of the Event Hub.
    #[arg(
        help_heading = "Source",
        long,
        value_name = "CG",
        default_value = "$Default"
    )]
    pub consumer_group: String,
    /// Compression of the events.
    #[arg(help_heading = "Source", long, value_enum, ignore_case = true)]
    pub compression: Option<Compression>,
    /// Identity the cluster uses to read the Event Hub: a user-assigned identity's resource id,
    /// or `system` for the cluster's system-assigned identity.
    #[arg(help_heading = "Source", long, value_name = "ID|system")]
    pub managed_identity: Option<String>,
    /// Reach the Event Hub only through `--managed-identity` (kind
    /// EventHubWithManagedIdentity): no shared-access keys are read, so you need no listKeys
    /// right (Azure Event Hubs Data Owner) on the namespace; the identity needs Azure Event Hubs
    /// Data Receiver. Managed identities are single-tenant: the Event Hub must be in the
    /// cluster's tenant (for another tenant's, leave this out and use --aux-tenant).
    #[arg(help_heading = "Source", long, requires = "managed_identity")]
    pub identity_only: bool,
    #[command(flatten)]
    pub ingestion: IngestionArgs,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct CreateEventGridArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Resource id of the storage account whose blobs are ingested.
    #[arg(help_heading = "Source", long, value_name = "ID")]
    pub storage_account_id: String,
    /// Resource id of the Event Hub that Event Grid sends the blob events to.
    #[arg(help_heading = "Source", long, value_name = "ID")]
    pub eventhub_id: String,
    /// Consumer group of that Event Hub.
    #[arg(
        help_heading = "Source",
        long,
        value_name = "CG",
        default_value = "$Default"
    )]
    pub consumer_group: String,
    /// Resource id of the Event Grid subscription (`…/providers/Microsoft.EventGrid/eventSubscriptions/{name}`).
    #[arg(help_heading = "Source", long, value_name = "ID")]
    pub event_grid_id: Option<String>,
    /// Which blob event starts an ingestion.
    #[arg(help_heading = "Source", long, value_enum, ignore_case = true)]
    pub blob_event_type: Option<BlobEventType>,
    /// Skip the first record of every blob (a header line); `--ignore-first-record=false` says
    /// so explicitly.
    #[arg(help_heading = "Source", long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ignore_first_record: Option<bool>,
    /// Identity the cluster uses to read the storage account and Event Hub: a user-assigned
    /// identity's resource id, or `system` for the cluster's system-assigned identity.
    #[arg(help_heading = "Source", long, value_name = "ID|system")]
    pub managed_identity: Option<String>,
    /// Reach the storage account and Event Hub only through `--managed-identity` (kind
    /// EventGridWithManagedIdentity): no keys are read; the identity needs Storage Blob Data
    /// Reader on the account and Azure Event Hubs Data Receiver on the hub, both in the
    /// cluster's tenant.
    #[arg(help_heading = "Source", long, requires = "managed_identity")]
    pub identity_only: bool,
    #[command(flatten)]
    pub ingestion: IngestionArgs,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct CreateCosmosDbArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Resource id of the Cosmos DB account (`…/providers/Microsoft.DocumentDB/databaseAccounts/{account}`).
    #[arg(help_heading = "Source", long, value_name = "ID")]
    pub cosmosdb_account_id: String,
    /// The Cosmos DB database.
    #[arg(help_heading = "Source", long, value_name = "DB")]
    pub cosmosdb_database: String,
    /// The Cosmos DB container whose change feed is ingested.
    #[arg(help_heading = "Source", long, value_name = "NAME")]
    pub cosmosdb_container: String,
    /// Identity the cluster reads Cosmos DB with: a user-assigned identity's resource id, or
    /// `system` (it needs Cosmos DB Built-in Data Reader on the account).
    #[arg(help_heading = "Source", long, value_name = "ID|system")]
    pub managed_identity: String,
    /// Target table (required: the change feed carries no routing).
    #[arg(help_heading = "Ingestion", long, value_name = "TABLE")]
    pub table: String,
    /// Ingestion mapping name (case-sensitive).
    #[arg(help_heading = "Ingestion", long, value_name = "MAPPING")]
    pub mapping: Option<String>,
    /// Also ingest documents changed since this time (RFC 3339).
    #[arg(help_heading = "Ingestion", long, value_name = "RFC3339")]
    pub retrieval_start_date: Option<String>,
    /// Azure region of the connection; defaults to the cluster's (read with one GET).
    #[arg(help_heading = "Ingestion", long, value_name = "LOCATION")]
    pub location: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// Examples and exit codes at the end of each command's `--help`.
mod help {
    macro_rules! text {
        ($($line:expr),* $(,)?) => { concat!($($line, "\n"),*) };
    }

    pub const CREATE_IOTHUB: &str = text!(
        "Examples:",
        "  adxconn create iothub -g rg --cluster adx --database db -n devices \\",
        "      --iothub-id /subscriptions/…/providers/Microsoft.Devices/IotHubs/hub --shared-access-policy registryRead",
        "  adxconn create iothub … --table Telemetry --data-format json --validate",
        "",
        "Exit codes: 0 created (or already as asked), 1 Azure refused or the operation failed,",
        "2 invalid input, 3 sign-in or permission, 4 timed out, 5 not found, 7 unreachable,",
        "8 exists and differs / source and consumer group in use, 130 interrupted",
    );
    pub const CREATE_EVENTHUB: &str = text!(
        "Examples:",
        "  adxconn create eventhub -g rg --cluster adx --database db -n clicks \\",
        "      --eventhub-id /subscriptions/…/providers/Microsoft.EventHub/namespaces/ns/eventhubs/clicks",
        "  adxconn create eventhub … --managed-identity system --identity-only",
        "  adxconn create eventhub … --aux-tenant <source tenant>     (a source in another tenant)",
        "",
        "Exit codes: 0 created (or already as asked), 1 Azure refused or the operation failed,",
        "2 invalid input, 3 sign-in or permission, 4 timed out, 5 not found, 7 unreachable,",
        "8 exists and differs / source and consumer group in use, 130 interrupted",
    );
    pub const CREATE_EVENTGRID: &str = text!(
        "Examples:",
        "  adxconn create eventgrid -g rg --cluster adx --database db -n blobs \\",
        "      --storage-account-id /subscriptions/…/storageAccounts/st --eventhub-id /subscriptions/…/eventhubs/blobs",
        "  adxconn create eventgrid … --blob-event-type created --ignore-first-record",
        "",
        "Exit codes: 0 created (or already as asked), 1 Azure refused or the operation failed,",
        "2 invalid input, 3 sign-in or permission, 4 timed out, 5 not found, 7 unreachable,",
        "8 exists and differs / source and consumer group in use, 130 interrupted",
    );
    pub const CREATE_COSMOSDB: &str = text!(
        "Examples:",
        "  adxconn create cosmosdb -g rg --cluster adx --database db -n orders \\",
        "      --cosmosdb-account-id /subscriptions/…/databaseAccounts/acct --cosmosdb-database shop \\",
        "      --cosmosdb-container orders --managed-identity system --table Orders",
        "",
        "Exit codes: 0 created (or already as asked), 1 Azure refused or the operation failed,",
        "2 invalid input, 3 sign-in or permission, 4 timed out, 5 not found, 7 unreachable,",
        "8 exists and differs, 130 interrupted",
    );
    pub const SHOW: &str = text!(
        "Examples:",
        "  adxconn show -g rg --cluster adx --database db -n clicks",
        "  adxconn show --id /subscriptions/…/dataConnections/clicks -o json",
        "",
        "Exit codes: 0 shown, 2 invalid input, 3 sign-in or permission, 5 not found, 7 unreachable",
    );
    pub const LIST: &str = text!(
        "Examples:",
        "  adxconn list -g rg --cluster adx --database db",
        "  adxconn list -g rg --kind eventhub -o json          (every cluster of the group)",
        "  adxconn list --cross-tenant-only                     (the whole subscription)",
        "",
        "Exit codes: 0 listed, 1 part of the scope could not be read (named), 2 invalid input,",
        "3 sign-in or permission, 5 not found, 7 unreachable",
    );
    pub const DELETE: &str = text!(
        "Examples:",
        "  adxconn delete -g rg --cluster adx --database db -n clicks --yes",
        "  adxconn delete --id /subscriptions/…/dataConnections/clicks --yes --no-wait",
        "",
        "Exit codes: 0 deleted, already absent, or declined at the prompt; 1 Azure refused or the",
        "operation failed; 2 invalid input (or no --yes off a terminal); 3 sign-in or permission;",
        "4 timed out; 5 database, cluster or group not found; 7 unreachable; 130 interrupted",
    );
    pub const UPDATE: &str = text!(
        "Examples:",
        "  adxconn update eventhub -g rg --cluster adx --database db -n clicks --consumer-group adx2",
        "  adxconn update cosmosdb … -n orders --table Orders2 --mapping OrdersMapping",
        "",
        "Exit codes: 0 updated, 1 Azure refused or the operation failed, 2 invalid input (nothing to",
        "change, another kind, a source change), 3 sign-in or permission, 4 timed out, 5 not found,",
        "7 unreachable, 8 source and consumer group in use, 130 interrupted",
    );
    pub const VALIDATE: &str = text!(
        "Examples:",
        "  adxconn validate eventhub -g rg --cluster adx --database db -n clicks --eventhub-id …",
        "  adxconn validate iothub … -o json",
        "",
        "Exit codes: 0 no problem found, 1 problems found (listed), 2 invalid input,",
        "3 sign-in or permission, 5 not found, 7 unreachable",
    );
    pub const AUDIT: &str = text!(
        "Examples:",
        "  adxconn audit                                         (every cluster of AZURE_SUBSCRIPTION_ID)",
        "  adxconn audit -g rg --aux-tenant <partner tenant> -o json",
        "",
        "Exit codes: 0 every connection ok or cross-tenant, 6 some are stale (failed, source-missing,",
        "access-denied), 1 some unknown or part of the scope unreadable, 2 invalid input,",
        "3 sign-in or permission, 5 not found, 7 unreachable",
    );
    pub const PRUNE: &str = text!(
        "Examples:",
        "  adxconn prune -g rg                                   (the plan; nothing deleted)",
        "  adxconn prune -g rg --yes -o json",
        "  adxconn prune --status cross-tenant --cross-tenant-only --yes",
        "",
        "Exit codes: 0 planned or all deleted, 1 some deletes failed (each named), 2 invalid input,",
        "3 sign-in or permission, 4 timed out, 5 not found, 7 unreachable, 130 interrupted",
    );
    pub const WAIT: &str = text!(
        "Examples:",
        "  adxconn wait --operation 'https://management.azure.com/…/operationResults/…'",
        "  adxconn wait -g rg --cluster adx --database db -n clicks --deleted",
        "  adxconn list -g rg --cluster adx -o tsv --query '[].id' | adxconn wait --ids -",
        "",
        "With --ids each connection is waited for at once and reported: succeeded (gone with",
        "--deleted), failed (with Azure's code and message), absent, or stopped.",
        "",
        "Exit codes: 0 done, 1 the operation failed, 2 invalid input, 3 sign-in or permission,",
        "4 timed out, 5 not found, 7 unreachable, 130 interrupted",
    );
    pub const AUTH: &str = text!(
        "Examples:",
        "  adxconn auth",
        "  adxconn auth --auth cli --aux-tenant <other tenant> -o json",
        "",
        "Environment: ADXCONN_ACCESS_TOKEN, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,",
        "AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_FEDERATED_TOKEN_FILE,",
        "ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN, IDENTITY_ENDPOINT/IDENTITY_HEADER, ADXCONN_AUTH",
        "",
        "Exit codes: 0 signed in, 2 invalid input, 3 no credential or sign-in refused, 7 unreachable",
    );
}

/// The end of `adxconn --help`: examples and the exit codes (the README has the same table).
pub const AFTER_HELP: &str = "\
Examples:
  adxconn create eventhub -g rg --cluster adx --database db -n clicks \\
      --eventhub-id /subscriptions/…/providers/Microsoft.EventHub/namespaces/ns/eventhubs/clicks
  adxconn list -g rg --cluster adx --database db -o json
  adxconn delete -g rg --cluster adx --database db -n clicks --yes
  adxconn audit --aux-tenant <other-tenant-id> -o json   (every cluster of the subscription)
  adxconn prune -g rg --yes                              (delete what audit finds stale)

Sign-in: the first configured of ADXCONN_ACCESS_TOKEN, a client secret, a certificate, workload
identity (a federated token file, or GitHub Actions OIDC), a managed identity and `az login`;
`--auth` forces one, `adxconn auth` shows which was used.

Exit codes:
  0    success (also: `delete` of a connection that does not exist in a database that does)
  1    Azure refused the request, or the operation failed
  2    invalid input; nothing was sent
  3    authentication or authorization failed (token, 401, 403)
  4    timed out waiting (the operation may still finish)
  5    not found: the data connection (`show`, `wait`), or its database, cluster, resource
       group or subscription (every command)
  6    `audit` found stale data connections (failed, source-missing, access-denied)
  7    an endpoint could not be reached (network, DNS, TLS, proxy); nothing was refused
  8    `create`: the connection exists and differs from what was asked, or another connection
       of the cluster reads the same source with the same consumer group (nothing was sent)
  130  interrupted (operations already started go on; resume with `adxconn wait`)";

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
