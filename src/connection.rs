//! What the user asked to create: per-kind flags checked and turned into the ARM request body.
//!
//! The body follows `DataConnection` in the Microsoft.Kusto 2025-02-14 swagger: `location`,
//! `kind` and the kind's `properties`. Only what the user set is sent, plus what ARM requires
//! (the source ids and the consumer group); defaults such as `compression: None` are ARM's to
//! apply, so the request says exactly what was asked.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::cli::{
    BlobEventType, Compression, CreateEventGridArgs, CreateEventHubArgs, CreateIotHubArgs,
    DatabaseRouting, IngestionArgs,
};
use crate::error::InputError;
use crate::resource_id::ResourceId;
use crate::target::ConnectionRef;
use crate::text::shorten;

/// The data-connection kinds adxconn creates; the spelling is ARM's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    IotHub,
    EventHub,
    EventGrid,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::IotHub => "IotHub",
            Kind::EventHub => "EventHub",
            Kind::EventGrid => "EventGrid",
        }
    }

    /// Formats the kind takes. The swagger shares one enum, but the Event Hubs and IoT Hub docs
    /// rule out RAW; AZMONSTREAM (new in 2025-02-14) is sent wherever asked and left to ARM.
    fn accepts_format(self, format: &str) -> bool {
        DATA_FORMATS.contains(&format) && !(format == "RAW" && self != Kind::EventGrid)
    }
}

/// The `dataFormat` values of api-version 2025-02-14, in the spec's spelling.
pub const DATA_FORMATS: [&str; 17] = [
    "MULTIJSON",
    "JSON",
    "CSV",
    "TSV",
    "SCSV",
    "SOHSV",
    "PSV",
    "TXT",
    "RAW",
    "SINGLEJSON",
    "AVRO",
    "TSVE",
    "PARQUET",
    "ORC",
    "APACHEAVRO",
    "W3CLOGFILE",
    "AZMONSTREAM",
];

/// A checked request to create one data connection.
#[derive(Debug, Clone)]
pub struct ConnectionSpec {
    pub target: ConnectionRef,
    pub kind: Kind,
    /// `--location`; `None` means "the cluster's", read before the PUT.
    pub location: Option<String>,
    pub properties: Map<String, Value>,
}

impl ConnectionSpec {
    /// The PUT body; `location` is the resolved region (or `None` to leave it out).
    pub fn body(&self, location: Option<&str>) -> Value {
        let mut body = Map::new();
        if let Some(location) = location {
            body.insert("location".into(), json!(location));
        }
        body.insert("kind".into(), json!(self.kind.as_str()));
        body.insert("properties".into(), Value::Object(self.properties.clone()));
        Value::Object(body)
    }

    pub fn iothub(args: &CreateIotHubArgs) -> Result<ConnectionSpec, InputError> {
        let target = args.target.connection();
        let mut properties = Map::new();
        let hub = resource_id("--iothub-id", &args.iothub_id, "Microsoft.Devices/IotHubs")?;
        properties.insert("iotHubResourceId".into(), json!(hub.as_str()));
        properties.insert(
            "consumerGroup".into(),
            json!(consumer_group(&args.consumer_group)?),
        );
        properties.insert(
            "sharedAccessPolicyName".into(),
            json!(simple_name(
                "--shared-access-policy",
                &args.shared_access_policy,
                64
            )?),
        );
        let location = ingestion(&mut properties, &args.ingestion, Kind::IotHub)?;
        Ok(ConnectionSpec {
            target,
            kind: Kind::IotHub,
            location,
            properties,
        })
    }

    pub fn eventhub(args: &CreateEventHubArgs) -> Result<ConnectionSpec, InputError> {
        let target = args.target.connection();
        let mut properties = Map::new();
        let hub = resource_id(
            "--eventhub-id",
            &args.eventhub_id,
            "Microsoft.EventHub/namespaces/eventhubs",
        )?;
        properties.insert("eventHubResourceId".into(), json!(hub.as_str()));
        properties.insert(
            "consumerGroup".into(),
            json!(consumer_group(&args.consumer_group)?),
        );
        let location = ingestion(&mut properties, &args.ingestion, Kind::EventHub)?;
        if let Some(compression) = args.compression {
            let value = match compression {
                Compression::None => "None",
                Compression::Gzip => "GZip",
            };
            properties.insert("compression".into(), json!(value));
        }
        managed_identity(&mut properties, args.managed_identity.as_deref(), &target)?;
        Ok(ConnectionSpec {
            target,
            kind: Kind::EventHub,
            location,
            properties,
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
        let mut properties = Map::new();
        let storage = resource_id(
            "--storage-account-id",
            &args.storage_account_id,
            "Microsoft.Storage/storageAccounts",
        )?;
        properties.insert("storageAccountResourceId".into(), json!(storage.as_str()));
        let hub = resource_id(
            "--eventhub-id",
            &args.eventhub_id,
            "Microsoft.EventHub/namespaces/eventhubs",
        )?;
        properties.insert("eventHubResourceId".into(), json!(hub.as_str()));
        properties.insert(
            "consumerGroup".into(),
            json!(consumer_group(&args.consumer_group)?),
        );
        if let Some(grid) = &args.event_grid_id {
            let grid = ResourceId::parse_extension(grid, "Microsoft.EventGrid/eventSubscriptions")
                .map_err(|problem| {
                    InputError::new("--event-grid-id", problem)
                        .hint("expected the resource id of an Event Grid subscription")
                })?;
            properties.insert("eventGridResourceId".into(), json!(grid.as_str()));
        }
        let location = ingestion(&mut properties, &args.ingestion, Kind::EventGrid)?;
        if let Some(ignore) = args.ignore_first_record {
            properties.insert("ignoreFirstRecord".into(), json!(ignore));
        }
        if let Some(event_type) = args.blob_event_type {
            let value = match event_type {
                BlobEventType::Created => "Microsoft.Storage.BlobCreated",
                BlobEventType::Renamed => "Microsoft.Storage.BlobRenamed",
            };
            properties.insert("blobStorageEventType".into(), json!(value));
        }
        managed_identity(&mut properties, args.managed_identity.as_deref(), &target)?;
        Ok(ConnectionSpec {
            target,
            kind: Kind::EventGrid,
            location,
            properties,
        })
    }
}

/// The flags every kind shares; returns `--location`.
fn ingestion(
    properties: &mut Map<String, Value>,
    args: &IngestionArgs,
    kind: Kind,
) -> Result<Option<String>, InputError> {
    if let Some(table) = &args.table {
        properties.insert("tableName".into(), json!(entity_name("--table", table)?));
    }
    if let Some(mapping) = &args.mapping {
        properties.insert(
            "mappingRuleName".into(),
            json!(entity_name("--mapping", mapping)?),
        );
    }
    if let Some(format) = &args.data_format {
        properties.insert("dataFormat".into(), json!(data_format(format, kind)?));
    }
    if let Some(list) = &args.event_system_properties {
        properties.insert(
            "eventSystemProperties".into(),
            json!(event_system_properties(list)?),
        );
    }
    if let Some(routing) = args.database_routing {
        let value = match routing {
            DatabaseRouting::Single => "Single",
            DatabaseRouting::Multi => "Multi",
        };
        properties.insert("databaseRouting".into(), json!(value));
    }
    if let Some(date) = &args.retrieval_start_date {
        properties.insert("retrievalStartDate".into(), json!(rfc3339(date)?));
    }
    args.location.as_deref().map(location_name).transpose()
}

fn resource_id(flag: &str, text: &str, expected_type: &str) -> Result<ResourceId, InputError> {
    ResourceId::parse_typed(text, expected_type).map_err(|problem| {
        InputError::new(flag, problem).hint(format!(
            "expected the resource id of a `{expected_type}`, e.g. from `az resource show --query id`"
        ))
    })
}

/// `--managed-identity`: sets `managedIdentityResourceId` when given.
fn managed_identity(
    properties: &mut Map<String, Value>,
    identity: Option<&str>,
    target: &ConnectionRef,
) -> Result<(), InputError> {
    if let Some(identity) = identity {
        properties.insert(
            "managedIdentityResourceId".into(),
            json!(identity_id(identity, target)?),
        );
    }
    Ok(())
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
fn consumer_group(text: &str) -> Result<&str, InputError> {
    if text == "$Default" {
        return Ok(text);
    }
    simple_name("--consumer-group", text, 50)
}

/// Names of Azure sub-resources (policies, consumer groups): letters, digits, `.`, `_`, `-`.
fn simple_name<'a>(flag: &str, text: &'a str, max: usize) -> Result<&'a str, InputError> {
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
    Ok(text)
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

fn data_format(text: &str, kind: Kind) -> Result<&'static str, InputError> {
    let upper = text.to_ascii_uppercase();
    let canonical = DATA_FORMATS.iter().find(|format| **format == upper);
    match canonical {
        Some(format) if kind.accepts_format(format) => Ok(format),
        Some(format) => Err(InputError::new(
            "--data-format",
            format!("{} connections do not take `{format}`", kind.as_str()),
        )
        .hint("RAW is for Event Grid (blob) connections only")),
        None => Err(InputError::new(
            "--data-format",
            format!("`{}` is not a data format", shorten(text)),
        )
        .hint(format!(
            "use one of: {}",
            DATA_FORMATS
                .iter()
                .filter(|format| kind.accepts_format(format))
                .map(|format| format.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A comma-separated list. Values are not checked against a list: the service's allowed set has
/// changed before (azure-rest-api-specs#21553), and ARM is the authority.
fn event_system_properties(text: &str) -> Result<Vec<&str>, InputError> {
    let values: Vec<&str> = text.split(',').map(str::trim).collect();
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
        }
        .unwrap();
        spec.body(spec.location.as_deref())
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
            data_format("multiJson", Kind::EventHub).unwrap(),
            "MULTIJSON"
        );
        assert_eq!(data_format("raw", Kind::EventGrid).unwrap(), "RAW");
        assert!(data_format("raw", Kind::IotHub).is_err());
        assert!(data_format("raw", Kind::EventHub).is_err());
        assert!(data_format("xml", Kind::EventHub).is_err());
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
