//! What the user asked to create: per-kind flags checked and turned into the wire value of the
//! data connection that the PUT carries.
//!
//! The body follows `DataConnection` in the Microsoft.Kusto 2025-02-14 swagger: `location`,
//! `kind` and the kind's `properties`. Only what the user set is sent, plus what ARM requires
//! (the source ids and the consumer group); defaults such as `compression: None` are ARM's to
//! apply, so the request says exactly what was asked.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::cli::{
    self, CreateCosmosDbArgs, CreateEventGridArgs, CreateEventHubArgs, CreateIotHubArgs,
    IngestionArgs,
};
use crate::error::InputError;
use crate::resource_id::ResourceId;
use crate::target::ConnectionRef;
use crate::text::shorten;
use crate::wire::{
    BlobStorageEventType, Compression, CosmosDbProperties, DataConnection, DataFormat,
    DatabaseRouting, EventGridProperties, EventHubProperties, IotHubProperties, Kind, Properties,
};

/// A checked request to create one data connection.
#[derive(Debug, Clone)]
pub struct ConnectionSpec {
    pub target: ConnectionRef,
    /// `--location`; `None` means "the cluster's", read before the PUT.
    pub location: Option<String>,
    /// `kind` and the properties to send.
    pub properties: Properties,
}

/// The flags every kind shares, checked.
#[derive(Default)]
struct Ingestion {
    table_name: Option<String>,
    mapping_rule_name: Option<String>,
    data_format: Option<DataFormat>,
    event_system_properties: Option<Vec<String>>,
    database_routing: Option<DatabaseRouting>,
    retrieval_start_date: Option<String>,
    location: Option<String>,
}

impl ConnectionSpec {
    /// The PUT body; `location` is the resolved region (or `None` to leave it out).
    pub fn body(&self, location: Option<&str>) -> DataConnection {
        let mut body = DataConnection::new(self.properties.clone());
        body.location = location.map(str::to_string);
        body
    }

    pub fn kind(&self) -> Kind {
        self.properties.kind()
    }

    /// The `create`/`update` subcommand that makes this kind.
    pub fn command_kind(&self) -> &'static str {
        self.kind().command()
    }

    pub fn iothub(args: &CreateIotHubArgs) -> Result<ConnectionSpec, InputError> {
        let hub = resource_id("--iothub-id", &args.iothub_id, "Microsoft.Devices/IotHubs")?;
        let consumer_group = consumer_group(&args.consumer_group)?;
        let policy = simple_name("--shared-access-policy", &args.shared_access_policy, 64)?;
        let ingestion = ingestion(&args.ingestion, &Kind::IotHub)?;
        let properties = IotHubProperties {
            iot_hub_resource_id: Some(hub.to_string()),
            consumer_group: Some(consumer_group),
            shared_access_policy_name: Some(policy),
            table_name: ingestion.table_name,
            mapping_rule_name: ingestion.mapping_rule_name,
            data_format: ingestion.data_format,
            event_system_properties: ingestion.event_system_properties,
            database_routing: ingestion.database_routing,
            retrieval_start_date: ingestion.retrieval_start_date,
            ..IotHubProperties::default()
        };
        Ok(ConnectionSpec {
            target: args.target.connection(),
            location: ingestion.location,
            properties: Properties::IotHub(properties),
        })
    }

    pub fn eventhub(args: &CreateEventHubArgs) -> Result<ConnectionSpec, InputError> {
        let target = args.target.connection();
        let hub = resource_id(
            "--eventhub-id",
            &args.eventhub_id,
            "Microsoft.EventHub/namespaces/eventhubs",
        )?;
        let consumer_group = consumer_group(&args.consumer_group)?;
        let kind = if args.identity_only {
            Kind::EventHubWithManagedIdentity
        } else {
            Kind::EventHub
        };
        let ingestion = ingestion(&args.ingestion, &kind)?;
        let properties = EventHubProperties {
            event_hub_resource_id: Some(hub.to_string()),
            consumer_group: Some(consumer_group),
            table_name: ingestion.table_name,
            mapping_rule_name: ingestion.mapping_rule_name,
            data_format: ingestion.data_format,
            event_system_properties: ingestion.event_system_properties,
            database_routing: ingestion.database_routing,
            retrieval_start_date: ingestion.retrieval_start_date,
            compression: args.compression.map(Compression::from),
            managed_identity_resource_id: managed_identity(
                args.managed_identity.as_deref(),
                &target,
            )?,
            ..EventHubProperties::default()
        };
        Ok(ConnectionSpec {
            target,
            location: ingestion.location,
            properties: if args.identity_only {
                Properties::EventHubWithManagedIdentity(properties.for_managed_identity())
            } else {
                Properties::EventHub(properties)
            },
        })
    }

    pub fn eventgrid(args: &CreateEventGridArgs) -> Result<ConnectionSpec, InputError> {
        let target = args.target.connection();
        for (flag, set) in [
            (
                "--event-system-properties",
                args.ingestion.event_system_properties.is_some(),
            ),
            (
                "--retrieval-start-date",
                args.ingestion.retrieval_start_date.is_some(),
            ),
        ] {
            if set {
                return Err(
                    InputError::new(flag, "Event Grid connections do not take it")
                        .hint("it applies to `create eventhub` and `create iothub` only"),
                );
            }
        }
        let storage = resource_id(
            "--storage-account-id",
            &args.storage_account_id,
            "Microsoft.Storage/storageAccounts",
        )?;
        let hub = resource_id(
            "--eventhub-id",
            &args.eventhub_id,
            "Microsoft.EventHub/namespaces/eventhubs",
        )?;
        let consumer_group = consumer_group(&args.consumer_group)?;
        let grid = match &args.event_grid_id {
            Some(grid) => Some(
                ResourceId::parse_extension(grid, "Microsoft.EventGrid/eventSubscriptions")
                    .map_err(|problem| {
                        InputError::new("--event-grid-id", problem)
                            .hint("expected the resource id of an Event Grid subscription")
                    })?
                    .to_string(),
            ),
            None => None,
        };
        let kind = if args.identity_only {
            Kind::EventGridWithManagedIdentity
        } else {
            Kind::EventGrid
        };
        let ingestion = ingestion(&args.ingestion, &kind)?;
        let properties = EventGridProperties {
            storage_account_resource_id: Some(storage.to_string()),
            event_hub_resource_id: Some(hub.to_string()),
            consumer_group: Some(consumer_group),
            event_grid_resource_id: grid,
            table_name: ingestion.table_name,
            mapping_rule_name: ingestion.mapping_rule_name,
            data_format: ingestion.data_format,
            database_routing: ingestion.database_routing,
            ignore_first_record: args.ignore_first_record,
            blob_storage_event_type: args.blob_event_type.map(BlobStorageEventType::from),
            managed_identity_resource_id: managed_identity(
                args.managed_identity.as_deref(),
                &target,
            )?,
            ..EventGridProperties::default()
        };
        Ok(ConnectionSpec {
            target,
            location: ingestion.location,
            properties: if args.identity_only {
                Properties::EventGridWithManagedIdentity(properties.for_managed_identity())
            } else {
                Properties::EventGrid(properties)
            },
        })
    }
}

impl ConnectionSpec {
    pub fn cosmosdb(args: &CreateCosmosDbArgs) -> Result<ConnectionSpec, InputError> {
        let target = args.target.connection();
        let account = resource_id(
            "--cosmosdb-account-id",
            &args.cosmosdb_account_id,
            "Microsoft.DocumentDB/databaseAccounts",
        )?;
        let properties = CosmosDbProperties {
            cosmos_db_account_resource_id: Some(account.to_string()),
            cosmos_db_database: Some(simple_name(
                "--cosmosdb-database",
                &args.cosmosdb_database,
                255,
            )?),
            cosmos_db_container: Some(simple_name(
                "--cosmosdb-container",
                &args.cosmosdb_container,
                255,
            )?),
            managed_identity_resource_id: Some(identity_id(&args.managed_identity, &target)?),
            table_name: Some(entity_name("--table", &args.table)?.to_string()),
            mapping_rule_name: args
                .mapping
                .as_deref()
                .map(|mapping| entity_name("--mapping", mapping).map(str::to_string))
                .transpose()?,
            retrieval_start_date: args
                .retrieval_start_date
                .as_deref()
                .map(|date| rfc3339(date).map(str::to_string))
                .transpose()?,
            ..CosmosDbProperties::default()
        };
        Ok(ConnectionSpec {
            target,
            location: args.location.as_deref().map(location_name).transpose()?,
            properties: Properties::CosmosDb(properties),
        })
    }
}

/// A checked `update`: the properties to change, as their wire names and values, and the
/// source ids given (which must not change).
#[derive(Debug, Clone)]
pub struct ConnectionPatch {
    pub target: ConnectionRef,
    /// `(property, value, flag)` for each change asked.
    pub changes: Vec<(&'static str, serde_json::Value, &'static str)>,
    /// `(flag, id)` of each source id given.
    pub sources: Vec<(&'static str, String)>,
}

impl ConnectionPatch {
    pub fn from_args(args: &cli::UpdateArgs) -> Result<ConnectionPatch, InputError> {
        use serde_json::Value;
        let target = args.target.connection();
        let text = |value: &str| Value::String(value.to_string());
        let mut changes: Vec<(&'static str, Value, &'static str)> = Vec::new();
        if let Some(group) = &args.consumer_group {
            changes.push((
                "consumerGroup",
                text(&consumer_group(group)?),
                "--consumer-group",
            ));
        }
        if let Some(table) = &args.table {
            changes.push(("tableName", text(entity_name("--table", table)?), "--table"));
        }
        if let Some(mapping) = &args.mapping {
            changes.push((
                "mappingRuleName",
                text(entity_name("--mapping", mapping)?),
                "--mapping",
            ));
        }
        if let Some(format) = &args.data_format {
            // Which formats a kind takes is checked against the connection's kind later.
            let format = data_format(format, &Kind::EventHub)
                .or_else(|_| data_format(format, &Kind::EventGrid))?;
            changes.push(("dataFormat", text(format.as_str()), "--data-format"));
        }
        if let Some(properties) = &args.event_system_properties {
            changes.push((
                "eventSystemProperties",
                Value::from(event_system_properties(properties)?),
                "--event-system-properties",
            ));
        }
        if let Some(routing) = args.database_routing {
            changes.push((
                "databaseRouting",
                text(DatabaseRouting::from(routing).as_str()),
                "--database-routing",
            ));
        }
        if let Some(date) = &args.retrieval_start_date {
            changes.push((
                "retrievalStartDate",
                text(rfc3339(date)?),
                "--retrieval-start-date",
            ));
        }
        if let Some(compression) = args.compression {
            changes.push((
                "compression",
                text(Compression::from(compression).as_str()),
                "--compression",
            ));
        }
        if let Some(identity) = &args.managed_identity {
            changes.push((
                "managedIdentityResourceId",
                text(&identity_id(identity, &target)?),
                "--managed-identity",
            ));
        }
        if let Some(policy) = &args.shared_access_policy {
            changes.push((
                "sharedAccessPolicyName",
                text(&simple_name("--shared-access-policy", policy, 64)?),
                "--shared-access-policy",
            ));
        }
        if let Some(event) = args.blob_event_type {
            changes.push((
                "blobStorageEventType",
                text(BlobStorageEventType::from(event).as_str()),
                "--blob-event-type",
            ));
        }
        if let Some(skip) = args.ignore_first_record {
            changes.push((
                "ignoreFirstRecord",
                Value::Bool(skip),
                "--ignore-first-record",
            ));
        }
        let sources = [
            ("--eventhub-id", &args.eventhub_id),
            ("--iothub-id", &args.iothub_id),
            ("--storage-account-id", &args.storage_account_id),
            ("--cosmosdb-account-id", &args.cosmosdb_account_id),
        ]
        .into_iter()
        .filter_map(|(flag, id)| Some((flag, id.clone()?)))
        .collect::<Vec<_>>();
        if changes.is_empty() {
            return Err(InputError::new(
                "update",
                "no change was asked: give the flags of the properties to change",
            )
            .hint("e.g. `--consumer-group adx` or `--table Events`; `adxconn update <kind> --help` lists them"));
        }
        Ok(ConnectionPatch {
            target,
            changes,
            sources,
        })
    }
}

impl From<cli::Compression> for Compression {
    fn from(compression: cli::Compression) -> Self {
        match compression {
            cli::Compression::None => Compression::None,
            cli::Compression::Gzip => Compression::GZip,
        }
    }
}

impl From<cli::BlobEventType> for BlobStorageEventType {
    fn from(event_type: cli::BlobEventType) -> Self {
        match event_type {
            cli::BlobEventType::Created => BlobStorageEventType::BlobCreated,
            cli::BlobEventType::Renamed => BlobStorageEventType::BlobRenamed,
        }
    }
}

impl From<cli::DatabaseRouting> for DatabaseRouting {
    fn from(routing: cli::DatabaseRouting) -> Self {
        match routing {
            cli::DatabaseRouting::Single => DatabaseRouting::Single,
            cli::DatabaseRouting::Multi => DatabaseRouting::Multi,
        }
    }
}

/// The flags every kind shares, checked for `kind`.
fn ingestion(args: &IngestionArgs, kind: &Kind) -> Result<Ingestion, InputError> {
    let owned = |text: &str| text.to_string();
    Ok(Ingestion {
        table_name: args
            .table
            .as_deref()
            .map(|table| entity_name("--table", table).map(owned))
            .transpose()?,
        mapping_rule_name: args
            .mapping
            .as_deref()
            .map(|mapping| entity_name("--mapping", mapping).map(owned))
            .transpose()?,
        data_format: args
            .data_format
            .as_deref()
            .map(|format| data_format(format, kind))
            .transpose()?,
        event_system_properties: args
            .event_system_properties
            .as_deref()
            .map(event_system_properties)
            .transpose()?,
        database_routing: args.database_routing.map(DatabaseRouting::from),
        retrieval_start_date: args
            .retrieval_start_date
            .as_deref()
            .map(|date| rfc3339(date).map(owned))
            .transpose()?,
        location: args.location.as_deref().map(location_name).transpose()?,
    })
}

fn resource_id(flag: &str, text: &str, expected_type: &str) -> Result<ResourceId, InputError> {
    ResourceId::parse_typed(text, expected_type).map_err(|problem| {
        InputError::new(flag, problem).hint(format!(
            "expected the resource id of a `{expected_type}`, e.g. from `az resource show --query id`"
        ))
    })
}

/// `--managed-identity`: `managedIdentityResourceId` when given.
fn managed_identity(
    identity: Option<&str>,
    target: &ConnectionRef,
) -> Result<Option<String>, InputError> {
    identity
        .map(|identity| identity_id(identity, target))
        .transpose()
}

/// `system` is the cluster's own identity, named by the cluster's resource id; otherwise a
/// user-assigned identity.
fn identity_id(text: &str, target: &ConnectionRef) -> Result<String, InputError> {
    if text.eq_ignore_ascii_case("system") {
        return Ok(target.database.cluster_id());
    }
    let id = ResourceId::parse(text)
        .and_then(|id| id.check_plain().map(|()| id))
        .map_err(|p| {
            InputError::new("--managed-identity", p)
                .hint("pass `system` or a user-assigned identity's resource id")
        })?;
    let user_assigned = id
        .resource_type()
        .eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities");
    let cluster = id
        .resource_type()
        .eq_ignore_ascii_case("Microsoft.Kusto/clusters");
    if !(user_assigned || cluster) {
        return Err(InputError::new(
            "--managed-identity",
            format!("it names a `{}`, not an identity", id.resource_type()),
        )
        .hint(
            "pass `system` or a `Microsoft.ManagedIdentity/userAssignedIdentities` resource id",
        ));
    }
    Ok(id.to_string())
}

/// Event Hubs consumer groups: `$Default`, or 1–50 letters, digits, `.`, `_`, `-`.
fn consumer_group(text: &str) -> Result<String, InputError> {
    if text == "$Default" {
        return Ok(text.to_string());
    }
    simple_name("--consumer-group", text, 50)
}

/// Names of Azure sub-resources (policies, consumer groups): letters, digits, `.`, `_`, `-`.
fn simple_name(flag: &str, text: &str, max: usize) -> Result<String, InputError> {
    let length = text.chars().count();
    if length == 0 || length > max {
        return Err(InputError::new(
            flag,
            format!("it must be 1 to {max} characters long"),
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(InputError::new(
            flag,
            format!(
                "`{}` contains {bad:?}; use letters, digits, `.`, `_`, `-`",
                shorten(text)
            ),
        ));
    }
    Ok(text.to_string())
}

/// Kusto table and mapping names: letters, digits, `_`, `-`, `.` and inner spaces, up to 1024.
fn entity_name<'a>(flag: &str, text: &'a str) -> Result<&'a str, InputError> {
    let length = text.chars().count();
    if length == 0 || length > 1024 {
        return Err(InputError::new(
            flag,
            "it must be 1 to 1024 characters long",
        ));
    }
    if text.trim() != text {
        return Err(InputError::new(
            flag,
            "it has leading or trailing whitespace",
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
    {
        return Err(InputError::new(
            flag,
            format!(
                "`{}` contains {bad:?}; use letters, digits, `_`, `-`, `.`, spaces",
                shorten(text)
            ),
        ));
    }
    Ok(text)
}

/// Formats a kind takes. The swagger shares one enum, but the Event Hubs and IoT Hub docs rule
/// out RAW; AZMONSTREAM (new in 2025-02-14) is sent wherever asked and left to ARM.
fn accepts_format(kind: &Kind, format: &DataFormat) -> bool {
    format.is_known() && !(*format == DataFormat::Raw && *kind != Kind::EventGrid)
}

fn data_format(text: &str, kind: &Kind) -> Result<DataFormat, InputError> {
    let format = DataFormat::parse(text);
    if accepts_format(kind, &format) {
        return Ok(format);
    }
    if format.is_known() {
        return Err(InputError::new(
            "--data-format",
            format!("{kind} connections do not take `{format}`"),
        )
        .hint("RAW is for Event Grid (blob) connections only"));
    }
    Err(InputError::new(
        "--data-format",
        format!("`{}` is not a data format", shorten(text)),
    )
    .hint(format!(
        "use one of: {}",
        DataFormat::NAMES
            .iter()
            .filter(|name| accepts_format(kind, &DataFormat::parse(name)))
            .map(|name| name.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// A comma-separated list. Values are not checked against a list: the service's allowed set has
/// changed before (azure-rest-api-specs#21553), and ARM is the authority.
fn event_system_properties(text: &str) -> Result<Vec<String>, InputError> {
    let values: Vec<String> = text.split(',').map(|v| v.trim().to_string()).collect();
    if let Some(bad) = values.iter().find(|value| {
        value.is_empty()
            || value.len() > 128
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
    }) {
        return Err(InputError::new(
            "--event-system-properties",
            if bad.is_empty() {
                "it has an empty entry".to_string()
            } else {
                format!("`{}` is not a property name", shorten(bad))
            },
        )
        .hint("give names separated by commas, e.g. `x-opt-enqueued-time,x-opt-offset`"));
    }
    Ok(values)
}

fn rfc3339(text: &str) -> Result<&str, InputError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        InputError::new(
            "--retrieval-start-date",
            format!("`{}` is not an RFC 3339 date-time", shorten(text)),
        )
        .hint("write it like `2026-11-30T00:00:00Z` or `2026-11-30T09:00:00+01:00`")
    })?;
    Ok(text)
}

/// Azure region names: `westeurope` or `West Europe`.
fn location_name(text: &str) -> Result<String, InputError> {
    let length = text.chars().count();
    let ok = (1..=64).contains(&length)
        && text.trim() == text
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ');
    if ok {
        Ok(text.to_string())
    } else {
        Err(InputError::new(
            "--location",
            format!("`{}` is not an Azure region name", shorten(text)),
        )
        .hint(
            "use a region such as `westeurope` or `West Europe`, or omit it to use the cluster's",
        ))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::{json, Map, Value};

    use super::*;
    use crate::cli::{Cli, Command, CreateCommand};

    /// The body `adxconn create …` would PUT, with `--location` given.
    fn body_of(args: &[&str]) -> Value {
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Create(create) = cli.command else {
            panic!("not a create")
        };
        let spec = match &create {
            CreateCommand::Iothub(args) => ConnectionSpec::iothub(args),
            CreateCommand::Eventhub(args) => ConnectionSpec::eventhub(args),
            CreateCommand::Eventgrid(args) => ConnectionSpec::eventgrid(args),
            CreateCommand::Cosmosdb(args) => ConnectionSpec::cosmosdb(args),
        }
        .unwrap();
        serde_json::to_value(spec.body(spec.location.as_deref())).unwrap()
    }

    /// `parameters.parameters` of an official example (the PUT body).
    fn example_body(json: &str) -> Value {
        let example: Value = serde_json::from_str(json).unwrap();
        example["parameters"]["parameters"].clone()
    }

    /// The PUT body of a recorded request whose key contains `test`.
    fn recorded_body(json: &str, test: &str) -> Value {
        let recording: Map<String, Value> = serde_json::from_str(json).unwrap();
        let (_, entry) = recording
            .iter()
            .find(|(key, entry)| key.contains(test) && entry["Request"]["Method"] == "PUT")
            .unwrap();
        serde_json::from_str(entry["Request"]["Content"].as_str().unwrap()).unwrap()
    }

    const TARGET: [&str; 10] = [
        "--subscription",
        "12345678-1234-1234-1234-123456789098",
        "-g",
        "kustorptest",
        "--cluster",
        "kustoCluster",
        "--database",
        "KustoDatabase8",
        "-n",
        "dataConnectionTest",
    ];

    fn command(kind: &str, flags: &[&str]) -> Vec<String> {
        ["adxconn", "create", kind]
            .iter()
            .chain(TARGET.iter())
            .chain(flags.iter())
            .map(|s| s.to_string())
            .collect()
    }

    fn body_of_command(kind: &str, flags: &[&str]) -> Value {
        let args = command(kind, flags);
        body_of(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// `flag value` for each string property of `properties` named in `flags`.
    fn flags_from<'a>(properties: &'a Value, flags: &[(&'a str, &'a str)]) -> Vec<&'a str> {
        flags
            .iter()
            .flat_map(|(flag, key)| [*flag, properties[*key].as_str().unwrap()])
            .collect()
    }

    #[test]
    fn cosmosdb_body_equals_the_official_example() {
        let expected = example_body(include_str!(
            "../tests/fixtures/KustoDataConnectionsCosmosDbCreateOrUpdate.json"
        ));
        let mut flags = flags_from(
            &expected["properties"],
            &[
                ("--cosmosdb-account-id", "cosmosDbAccountResourceId"),
                ("--cosmosdb-database", "cosmosDbDatabase"),
                ("--cosmosdb-container", "cosmosDbContainer"),
                ("--managed-identity", "managedIdentityResourceId"),
                ("--table", "tableName"),
                ("--mapping", "mappingRuleName"),
                ("--retrieval-start-date", "retrievalStartDate"),
            ],
        );
        flags.extend(["--location", "westus"]);
        assert_eq!(body_of_command("cosmosdb", &flags), expected);
    }

    #[test]
    fn identity_only_event_hub_body_equals_the_official_example() {
        let expected = example_body(include_str!(
            "../tests/fixtures/KustoDataConnectionsEventHubWithManagedIdentityCreateOrUpdate.json"
        ));
        let mut flags = flags_from(
            &expected["properties"],
            &[
                ("--eventhub-id", "eventHubResourceIdForManagedIdentity"),
                ("--managed-identity", "managedIdentityResourceId"),
                ("--consumer-group", "consumerGroup"),
            ],
        );
        flags.extend(["--identity-only", "--location", "westus"]);
        assert_eq!(body_of_command("eventhub", &flags), expected);
    }

    #[test]
    fn identity_only_event_grid_body_equals_the_official_example() {
        let expected = example_body(include_str!(
            "../tests/fixtures/KustoDataConnectionsEventGridWithManagedIdentityCreateOrUpdate.json"
        ));
        let mut flags = flags_from(
            &expected["properties"],
            &[
                (
                    "--storage-account-id",
                    "storageAccountResourceIdForManagedIdentity",
                ),
                ("--eventhub-id", "eventHubResourceIdForManagedIdentity"),
                ("--event-grid-id", "eventGridResourceId"),
                ("--consumer-group", "consumerGroup"),
                ("--table", "tableName"),
                ("--mapping", "mappingRuleName"),
                ("--data-format", "dataFormat"),
                ("--managed-identity", "managedIdentityResourceId"),
            ],
        );
        flags.extend([
            "--ignore-first-record=false",
            "--blob-event-type",
            "created",
            "--database-routing",
            "single",
            "--identity-only",
            "--location",
            "westus",
        ]);
        assert_eq!(body_of_command("eventgrid", &flags), expected);
    }

    #[test]
    fn eventhub_body_equals_the_official_example() {
        let expected = example_body(include_str!(
            "../tests/fixtures/KustoDataConnectionsCreateOrUpdate.json"
        ));
        let properties = &expected["properties"];
        let body = body_of_command(
            "eventhub",
            &[
                "--location",
                expected["location"].as_str().unwrap(),
                "--eventhub-id",
                properties["eventHubResourceId"].as_str().unwrap(),
                "--managed-identity",
                properties["managedIdentityResourceId"].as_str().unwrap(),
                "--consumer-group",
                properties["consumerGroup"].as_str().unwrap(),
            ],
        );
        assert_eq!(body, expected);
    }

    #[test]
    fn eventgrid_body_equals_the_official_example() {
        let expected = example_body(include_str!(
            "../tests/fixtures/KustoDataConnectionsEventGridCreateOrUpdate.json"
        ));
        let p = |key: &str| expected["properties"][key].as_str().unwrap().to_string();
        let body = body_of_command(
            "eventgrid",
            &[
                "--location",
                "westus",
                "--storage-account-id",
                &p("storageAccountResourceId"),
                "--eventhub-id",
                &p("eventHubResourceId"),
                "--consumer-group",
                &p("consumerGroup"),
                "--event-grid-id",
                &p("eventGridResourceId"),
                "--blob-event-type",
                "created",
                "--ignore-first-record=false",
                "--managed-identity",
                &p("managedIdentityResourceId"),
                "--table",
                &p("tableName"),
                "--mapping",
                &p("mappingRuleName"),
                "--data-format",
                "multijson",
                "--database-routing",
                "single",
            ],
        );
        assert_eq!(body, expected);
    }

    #[test]
    fn iothub_body_equals_the_recorded_request() {
        let expected = recorded_body(
            include_str!("../tests/fixtures/New-AzKustoDataConnection.Recording.json"),
            "CreateExpandedIotHub",
        );
        let p = |key: &str| expected["properties"][key].as_str().unwrap().to_string();
        let body = body_of_command(
            "iothub",
            &[
                "--location",
                "East US",
                "--iothub-id",
                &p("iotHubResourceId"),
                "--shared-access-policy",
                &p("sharedAccessPolicyName"),
            ],
        );
        assert_eq!(body, expected);
    }

    #[test]
    fn eventhub_body_equals_the_recorded_request() {
        let expected = recorded_body(
            include_str!("../tests/fixtures/Remove-AzKustoDataConnection.Recording.json"),
            "Delete",
        );
        let body = body_of_command(
            "eventhub",
            &[
                "--location",
                "East US",
                "--eventhub-id",
                expected["properties"]["eventHubResourceId"]
                    .as_str()
                    .unwrap(),
                "--compression",
                "none",
            ],
        );
        assert_eq!(body, expected);
    }

    #[test]
    fn every_ingestion_property_is_reachable() {
        let body = body_of_command(
            "iothub",
            &[
                "--iothub-id",
                "/subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/rg/providers/Microsoft.Devices/IotHubs/hub",
                "--shared-access-policy",
                "registryRead",
                "--consumer-group",
                "adx",
                "--table",
                "Telemetry",
                "--mapping",
                "TelemetryMapping",
                "--data-format",
                "json",
                "--event-system-properties",
                "iothub-connection-device-id,iothub-enqueuedtime",
                "--database-routing",
                "multi",
                "--retrieval-start-date",
                "2026-11-30T00:00:00Z",
            ],
        );
        assert_eq!(
            body,
            json!({
                "kind": "IotHub",
                "properties": {
                    "iotHubResourceId": "/subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/rg/providers/Microsoft.Devices/IotHubs/hub",
                    "consumerGroup": "adx",
                    "sharedAccessPolicyName": "registryRead",
                    "tableName": "Telemetry",
                    "mappingRuleName": "TelemetryMapping",
                    "dataFormat": "JSON",
                    "eventSystemProperties": ["iothub-connection-device-id", "iothub-enqueuedtime"],
                    "databaseRouting": "Multi",
                    "retrievalStartDate": "2026-11-30T00:00:00Z"
                }
            })
        );
    }

    #[test]
    fn data_formats_are_case_insensitive_and_per_kind() {
        assert_eq!(
            data_format("multiJson", &Kind::EventHub).unwrap(),
            DataFormat::MultiJson
        );
        assert_eq!(
            data_format("raw", &Kind::EventGrid).unwrap(),
            DataFormat::Raw
        );
        assert!(data_format("raw", &Kind::IotHub).is_err());
        assert!(data_format("raw", &Kind::EventHub).is_err());
        assert!(data_format("xml", &Kind::EventHub).is_err());
    }

    #[test]
    fn event_system_properties_split_on_commas() {
        assert_eq!(
            event_system_properties("iothub-enqueuedtime, message-id").unwrap(),
            ["iothub-enqueuedtime", "message-id"]
        );
        assert!(event_system_properties("a,,b").is_err());
        assert!(event_system_properties("").is_err());
    }

    #[test]
    fn dates_must_be_rfc3339() {
        assert!(rfc3339("2026-11-30T00:00:00Z").is_ok());
        assert!(rfc3339("2026-11-30").is_err());
        assert!(rfc3339("yesterday").is_err());
    }
}
