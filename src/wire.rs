//! The wire types of api-version 2025-02-14: the JSON that Azure Resource Manager and
//! `Microsoft.Kusto` exchange about data connections, typed. Pure data: this module knows
//! nothing of the rest of adxconn.
//!
//! What it models, after the spec (`DataConnection` and its subtypes, `OperationResult`,
//! `ErrorResponse`, `DataConnectionValidationListResult`, `CheckNameResult`) and after what the
//! live service actually sends:
//!
//! - **Unset is absent, `null` or `""`.** The service fills unset strings with `""` in one
//!   kind and `null` in another (even `dataFormat: ""`); all read as `None`, and only what is
//!   set is written. A property this version does not model is kept (`extra`) and written
//!   back, so a newer service's additions survive a read-modify-write.
//! - **Six kinds, and the unknown.** [`Properties`] has a variant per kind; a kind this
//!   version does not know, or a known kind whose properties do not fit its type, is kept as
//!   [`Properties::Unknown`] and written back unchanged (same members, order and values), so
//!   such a connection can still be listed, shown and deleted. `kind` is matched
//!   case-insensitively and written in ARM's spelling.
//! - **Enums are open.** Every string enum (`modelAsString` in the spec) keeps an unknown value
//!   verbatim in a catch-all variant, reads known ones case-insensitively and writes ARM's
//!   spelling; e.g. `provisioningState: "Accepted"`, which the service sends and the spec does
//!   not list.
//! - **Date-times stay strings** (`retrievalStartDate`, `startTime`, `endTime`). The service
//!   writes seven fractional digits (`2022-07-29T12:00:00.6554616Z`); parsing and formatting
//!   again would change the text of a value adxconn sends back in a PUT, and nothing here
//!   computes with them. [`parse_time`] reads one when needed.
//! - **`percentComplete` is a fraction** in practice (0–1); [`OperationStatus::percent`]
//!   normalises it.

mod connection;
mod enums;
mod properties;
mod responses;
mod unset;

pub use connection::{DataConnection, DataConnectionValidation, Properties, SOURCE_ID_KEYS};
pub use enums::{
    BlobStorageEventType, Compression, DataFormat, DatabaseRouting, Kind, ProvisioningState,
};
pub use properties::{
    CosmosDbProperties, EventGridProperties, EventGridWithManagedIdentityProperties,
    EventHubProperties, EventHubWithManagedIdentityProperties, IotHubProperties,
};
pub use responses::{
    CheckNameRequest, CheckNameResult, Cluster, DataConnectionValidationListResult,
    DataConnectionValidationResult, ErrorDetail, ErrorResponse, OperationStatus, Page,
    Subscription, TrackedResource, DATA_CONNECTION_TYPE,
};

/// A page of data connections (`DataConnectionListResult`).
pub type DataConnectionList = Page<DataConnection>;

/// A body as received: the typed value adxconn reads, and the JSON it was read from, which is
/// what `-o json` prints (ARM's answer as sent, its `""`-for-unset quirks included).
#[derive(Clone, Debug, PartialEq)]
pub struct Received<T> {
    pub value: T,
    pub json: serde_json::Value,
}

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for Received<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        let value = T::deserialize(&json).map_err(serde::de::Error::custom)?;
        Ok(Received { value, json })
    }
}

/// Reads an ARM date-time (RFC 3339, e.g. `2024-11-27T11:08:24.1414823Z`); `None` if it is
/// not one.
pub fn parse_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// Reads an HTTP `Date` header (IMF-fixdate, e.g. `Sun, 06 Dec 2026 22:00:04 GMT`); `None` if
/// it is not one.
pub fn parse_http_date(text: &str) -> Option<time::OffsetDateTime> {
    let format = time::format_description::parse_borrowed::<2>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .ok()?;
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn read(body: &str) -> DataConnection {
        serde_json::from_str(body).unwrap()
    }

    fn write(connection: &DataConnection) -> String {
        serde_json::to_string(connection).unwrap()
    }

    #[test]
    fn unknown_kind_round_trips_byte_for_byte() {
        let body = r#"{"properties":{"zeta":1,"alpha":{"b":null,"a":""},"eventHubResourceId":"/x/eh","provisioningState":"Accepted","list":[3,1,2],"tableName":""},"etag":"\"0x1\"","kind":"FutureHub","name":"c/d/dc","systemData":{"createdBy":"me"},"type":"Microsoft.Kusto/Clusters/Databases/DataConnections","location":"westus","id":"/subscriptions/s/dc"}"#;
        let connection = read(body);
        assert_eq!(write(&connection), body);
        assert!(!connection.is_typed());
        assert_eq!(connection.kind(), Kind::Unknown("FutureHub".to_owned()));
        assert_eq!(connection.kind_name(), "FutureHub");
        let Properties::Unknown { kind, properties } = &connection.properties else {
            panic!("not Unknown: {connection:?}");
        };
        assert_eq!(kind, "FutureHub");
        assert_eq!(properties["alpha"], json!({"b": null, "a": ""}));
        assert_eq!(
            connection.provisioning_state(),
            Some(ProvisioningState::Other("Accepted".to_owned()))
        );
        assert_eq!(connection.source_ids(), ["/x/eh"]);
        assert_eq!(connection.table_name(), None);
        assert_eq!(connection.short_name(), Some("dc"));
        assert_eq!(connection.location.as_deref(), Some("westus"));

        // An envelope member set to `""`/`null` is ARM's "unset": the one thing not written back.
        let unset_location =
            r#"{"kind":"FutureHub","location":"","properties":{"b":null,"a":""},"name":"x"}"#;
        assert_eq!(
            write(&read(unset_location)),
            r#"{"kind":"FutureHub","properties":{"b":null,"a":""},"name":"x"}"#
        );

        let no_properties = r#"{"name":"x","kind":"FutureHub"}"#;
        assert_eq!(write(&read(no_properties)), no_properties);
    }

    #[test]
    fn unset_fields_read_as_none_and_are_not_written() {
        let connection = read(
            r#"{"kind":"EventHub","location":"East US","properties":{
                "eventHubResourceId":"/eh","consumerGroup":"$Default",
                "tableName":"","mappingRuleName":null,"dataFormat":"",
                "compression":"None","managedIdentityResourceId":null,
                "managedIdentityObjectId":"","eventSystemProperties":[],
                "databaseRouting":"Single","retrievalStartDate":"2024-12-01T02:11:48.8675738Z",
                "provisioningState":"Succeeded"}}"#,
        );
        let Properties::EventHub(properties) = &connection.properties else {
            panic!("not EventHub: {connection:?}");
        };
        assert_eq!(properties.table_name, None);
        assert_eq!(properties.mapping_rule_name, None);
        assert_eq!(properties.data_format, None);
        assert_eq!(properties.managed_identity_resource_id, None);
        assert_eq!(properties.managed_identity_object_id, None);
        assert_eq!(properties.event_system_properties, Some(Vec::new()));
        assert_eq!(properties.compression, Some(Compression::None));
        assert_eq!(properties.database_routing, Some(DatabaseRouting::Single));
        assert_eq!(
            properties.retrieval_start_date.as_deref(),
            Some("2024-12-01T02:11:48.8675738Z")
        );
        assert!(properties.extra.is_empty());
        assert_eq!(
            connection.provisioning_state(),
            Some(ProvisioningState::Succeeded)
        );
        assert_eq!(connection.consumer_group(), Some("$Default"));
        assert_eq!(connection.source_ids(), ["/eh"]);
        let written: Value = serde_json::to_value(&connection).unwrap();
        assert_eq!(
            written,
            json!({"location":"East US","kind":"EventHub","properties":{
                "eventHubResourceId":"/eh","consumerGroup":"$Default","eventSystemProperties":[],
                "compression":"None","provisioningState":"Succeeded","databaseRouting":"Single",
                "retrievalStartDate":"2024-12-01T02:11:48.8675738Z"}})
        );
        assert!(parse_time("2024-12-01T02:11:48.8675738Z").is_some());

        // The same in the envelope and in the other bodies.
        let page: Page<DataConnection> =
            serde_json::from_str(r#"{"value":null,"nextLink":""}"#).unwrap();
        assert_eq!(page, Page::default());
        let page: Page<DataConnection> = serde_json::from_str("{}").unwrap();
        assert!(page.value.is_empty() && page.next_link.is_none());
        let check: CheckNameResult =
            serde_json::from_str(r#"{"name":"n","nameAvailable":true,"message":""}"#).unwrap();
        assert_eq!(check.message, None);
        assert_eq!(check.name_available, Some(true));
    }

    #[test]
    fn unknown_members_survive() {
        let body = json!({
            "id": "/subscriptions/s/Databases/db/DataConnections/dc",
            "name": "c/db/dc",
            "type": "Microsoft.Kusto/Clusters/Databases/DataConnections",
            "etag": "\"\"",
            "tags": {},
            "systemData": {"createdAt": "2025-01-01T00:00:00Z"},
            "location": "westus",
            "kind": "IotHub",
            "properties": {
                "iotHubResourceId": "/hub",
                "consumerGroup": "$Default",
                "sharedAccessPolicyName": "registryRead",
                "futureSetting": {"depth": 2, "unset": null, "items": [{"a": "", "b": 1}]},
                "futureFlag": true,
                "futureGone": null
            }
        });
        let connection: DataConnection = serde_json::from_value(body.clone()).unwrap();
        let Properties::IotHub(properties) = &connection.properties else {
            panic!("not IotHub: {connection:?}");
        };
        assert_eq!(properties.extra["futureFlag"], json!(true));
        assert_eq!(connection.extra["etag"], json!("\"\""));
        let mut expected = body;
        let properties = expected["properties"].as_object_mut().unwrap();
        properties.remove("futureGone");
        properties["futureSetting"] = json!({"depth": 2, "items": [{"b": 1}]});
        assert_eq!(serde_json::to_value(&connection).unwrap(), expected);
    }

    #[test]
    fn a_known_kind_that_does_not_fit_is_kept_raw() {
        let body = r#"{"kind":"EventGrid","properties":{"ignoreFirstRecord":"yes","tableName":"T","eventHubResourceId":"/eh","provisioningState":"Failed","mappingRuleName":null},"id":"/x/y"}"#;
        let connection = read(body);
        assert!(!connection.is_typed());
        assert_eq!(connection.kind(), Kind::EventGrid);
        assert_eq!(
            connection.provisioning_state(),
            Some(ProvisioningState::Failed)
        );
        assert_eq!(connection.table_name(), Some("T"));
        assert_eq!(connection.mapping_rule_name(), None);
        assert_eq!(connection.source_ids(), ["/eh"]);
        assert_eq!(connection.short_name(), Some("y"));
        assert_eq!(write(&connection), body);

        let not_an_object = r#"{"kind":"CosmosDb","properties":"?"}"#;
        assert_eq!(write(&read(not_an_object)), not_an_object);
    }

    #[test]
    fn kind_is_matched_case_insensitively_and_written_canonically() {
        let connection = read(r#"{"kind":"eventhubwithmanagedidentity","properties":null}"#);
        assert_eq!(
            connection.properties,
            Properties::EventHubWithManagedIdentity(Default::default())
        );
        assert_eq!(
            write(&connection),
            r#"{"kind":"EventHubWithManagedIdentity","properties":{}}"#
        );
        let connection = read(r#"{"kind":"COSMOSDB"}"#);
        assert_eq!(connection.properties, Properties::empty(&Kind::CosmosDb));
        // No kind: an unknown kind spelled "", kept readable (one odd item must not fail a
        // list) and not written back.
        let kindless = read(r#"{"kind":null,"properties":{"a":1}}"#);
        assert_eq!(kindless.kind_name(), "");
        assert!(!kindless.is_typed());
        assert_eq!(write(&kindless), r#"{"properties":{"a":1}}"#);
        assert!(serde_json::from_str::<DataConnection>(r#"{"kind":7}"#).is_err());
        for name in Kind::NAMES {
            assert_eq!(Properties::read(name, None).kind_name(), *name);
            assert!(Properties::read(&name.to_uppercase(), None).is_typed());
        }
    }

    #[test]
    fn source_ids_cover_every_kind() {
        let cases = [
            ("EventHub", json!({"eventHubResourceId": "/a"}), vec!["/a"]),
            ("IotHub", json!({"iotHubResourceId": "/a"}), vec!["/a"]),
            (
                "EventGrid",
                json!({"storageAccountResourceId": "/s", "eventGridResourceId": "/g", "eventHubResourceId": "/e"}),
                vec!["/s", "/g", "/e"],
            ),
            (
                "CosmosDb",
                json!({"cosmosDbAccountResourceId": "/c"}),
                vec!["/c"],
            ),
            (
                "EventHubWithManagedIdentity",
                json!({"eventHubResourceIdForManagedIdentity": "/e"}),
                vec!["/e"],
            ),
            (
                "EventGridWithManagedIdentity",
                json!({"storageAccountResourceIdForManagedIdentity": "/s", "eventHubResourceIdForManagedIdentity": "/e", "eventGridResourceId": null}),
                vec!["/s", "/e"],
            ),
        ];
        for (kind, properties, expected) in cases {
            let connection = read(&json!({"kind": kind, "properties": properties}).to_string());
            assert!(connection.is_typed(), "{kind}");
            assert_eq!(connection.source_ids(), expected, "{kind}");
        }
    }

    #[test]
    fn is_terminal_table() {
        let table = [
            ("Succeeded", true, true),
            ("succeeded", true, true),
            ("SUCCEEDED", true, true),
            ("Failed", true, false),
            ("failed", true, false),
            ("Canceled", true, false),
            ("CANCELED", true, false),
            ("Running", false, false),
            ("Creating", false, false),
            ("Deleting", false, false),
            ("Moving", false, false),
            ("Accepted", false, false),
            ("Cancelled", false, false),
            ("", false, false),
        ];
        for (text, terminal, succeeded) in table {
            let state = ProvisioningState::parse(text);
            assert_eq!(state.is_terminal(), terminal, "{text}");
            assert_eq!(state.is_succeeded(), succeeded, "{text}");
            let status = OperationStatus {
                status: text.to_owned(),
                ..OperationStatus::default()
            };
            assert_eq!(status.is_terminal(), terminal, "{text}");
            assert_eq!(status.is_succeeded(), succeeded, "{text}");
        }
        assert_eq!(ProvisioningState::parse("canceled").as_str(), "Canceled");
        assert_eq!(ProvisioningState::parse("Accepted").as_str(), "Accepted");
    }

    #[test]
    fn data_format_is_read_case_insensitively_and_written_canonically() {
        let read_format = |text: &str| serde_json::from_value::<DataFormat>(json!(text)).unwrap();
        for (text, format, written) in [
            ("multijson", DataFormat::MultiJson, "MULTIJSON"),
            ("MultiJson", DataFormat::MultiJson, "MULTIJSON"),
            ("CSV", DataFormat::Csv, "CSV"),
            ("w3cLogFile", DataFormat::W3cLogFile, "W3CLOGFILE"),
            ("AzMonStream", DataFormat::AzMonStream, "AZMONSTREAM"),
            ("apacheAvro", DataFormat::ApacheAvro, "APACHEAVRO"),
            (
                "Delta-Lake",
                DataFormat::Other("Delta-Lake".to_owned()),
                "Delta-Lake",
            ),
            ("", DataFormat::Other(String::new()), ""),
        ] {
            assert_eq!(read_format(text), format, "{text}");
            assert_eq!(
                serde_json::to_value(&format).unwrap(),
                json!(written),
                "{text}"
            );
            assert_eq!(format.to_string(), written);
            assert_eq!(text.parse::<DataFormat>(), Ok(format));
        }
        assert_eq!(DataFormat::NAMES.len(), 17);
        for name in DataFormat::NAMES {
            assert!(DataFormat::parse(name).is_known(), "{name}");
            assert_eq!(DataFormat::parse(&name.to_lowercase()).as_str(), *name);
        }
        // The other open enums behave the same.
        assert_eq!(Compression::parse("gzip"), Compression::GZip);
        assert_eq!(DatabaseRouting::parse("MULTI").as_str(), "Multi");
        assert_eq!(
            BlobStorageEventType::parse("microsoft.storage.blobrenamed").as_str(),
            "Microsoft.Storage.BlobRenamed"
        );
        assert_eq!(
            Compression::parse("Zstd"),
            Compression::Other("Zstd".to_owned())
        );
    }

    #[test]
    fn operation_status_percent_is_normalised() {
        let status = |percent: Value| {
            serde_json::from_value::<OperationStatus>(
                json!({"status": "Running", "percentComplete": percent}),
            )
            .unwrap()
            .percent()
        };
        assert_eq!(status(json!(1.0)), Some(100.0));
        assert_eq!(status(json!(1)), Some(100.0));
        assert_eq!(status(json!(0.5)), Some(50.0));
        assert_eq!(status(json!(0)), Some(0.0));
        assert_eq!(status(json!(42)), Some(42.0));
        assert_eq!(status(json!(250)), Some(100.0));
        assert_eq!(status(json!("0.25")), Some(25.0));
        assert_eq!(status(json!(null)), None);
        assert_eq!(status(json!({"odd": 1})), None);

        let failed: OperationStatus = serde_json::from_value(json!({
            "status": "Failed",
            "error": {"code": "CannotAlterFollowerDatabase", "message": "[BadRequest] no"},
            "properties": {"OperationKind": "FollowerDatabaseCreate", "operationState": "BadInput"},
            "RootActivityId": "r"
        }))
        .unwrap();
        assert!(failed.is_terminal() && !failed.is_succeeded());
        assert_eq!(
            failed.error.as_ref().and_then(|e| e.code.as_deref()),
            Some("CannotAlterFollowerDatabase")
        );
        assert_eq!(failed.operation_kind(), Some("FollowerDatabaseCreate"));
        assert_eq!(failed.operation_state(), Some("BadInput"));
        assert_eq!(failed.extra["RootActivityId"], json!("r"));
    }

    #[test]
    fn errors_are_read_from_every_shape() {
        let wrapped = br#"{"error":{"code":"ResourceNotFound","message":"gone","details":[{"code":"Inner"}],"additionalInfo":[{"type":"PolicyViolation","info":{}}]}}"#;
        let detail = ErrorDetail::from_body(wrapped).unwrap();
        assert_eq!(detail.code.as_deref(), Some("ResourceNotFound"));
        assert_eq!(detail.details[0].code.as_deref(), Some("Inner"));
        assert_eq!(detail.additional_info[0]["type"], json!("PolicyViolation"));
        assert_eq!(detail.to_string(), "ResourceNotFound: gone");
        let response: ErrorResponse = serde_json::from_slice(wrapped).unwrap();
        assert_eq!(response.error, detail);

        let bare = ErrorDetail::from_body(br#"{"code":"BadRequest","message":"no"}"#).unwrap();
        assert_eq!(bare.message.as_deref(), Some("no"));
        let capitalised =
            ErrorDetail::from_body(b"\xEF\xBB\xBF{\"Code\":\"Conflict\",\"Message\":\"busy\"}")
                .unwrap();
        assert_eq!(capitalised.to_string(), "Conflict: busy");
        let text = ErrorDetail::from_body(br#"{"error":"plain words"}"#).unwrap();
        assert_eq!(text.message.as_deref(), Some("plain words"));
        let partial = ErrorDetail::from_body(br#"{"error":{"code":"X","details":null}}"#).unwrap();
        assert_eq!(
            (partial.code.as_deref(), partial.message),
            (Some("X"), None)
        );
        for nothing in [
            &b""[..],
            b"<html>",
            b"[]",
            b"{}",
            br#"{"error":{}}"#,
            br#"{"value":[]}"#,
        ] {
            assert_eq!(ErrorDetail::from_body(nothing), None, "{nothing:?}");
        }
    }

    #[test]
    fn validation_results_come_in_two_shapes() {
        let listed: DataConnectionValidationListResult =
            serde_json::from_str(r#"{"value":[{"errorMessage":"Database does not exist"}]}"#)
                .unwrap();
        let bare: DataConnectionValidationListResult =
            serde_json::from_str(r#"[{"errorMessage":"Database does not exist"}]"#).unwrap();
        assert_eq!(listed, bare);
        assert_eq!(listed.messages(), ["Database does not exist"]);
        assert!(!listed.is_valid());
        let empty: DataConnectionValidationListResult =
            serde_json::from_str(r#"{"value":[]}"#).unwrap();
        assert!(empty.is_valid());
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"value":[{"errorMessage":"Database does not exist"}]}"#
        );
        assert_eq!(
            serde_json::to_value(CheckNameRequest::data_connection("dc1")).unwrap(),
            json!({"name": "dc1", "type": "Microsoft.Kusto/clusters/databases/dataConnections"})
        );
    }

    #[test]
    fn a_connection_built_in_code_is_written_in_arm_order() {
        let mut connection = DataConnection::new(Properties::CosmosDb(CosmosDbProperties {
            table_name: Some("T".to_owned()),
            cosmos_db_account_resource_id: Some("/acct".to_owned()),
            ..Default::default()
        }));
        connection.location = Some("westus".to_owned());
        connection.extra.insert("tags".to_owned(), json!({}));
        assert_eq!(
            write(&connection),
            r#"{"location":"westus","kind":"CosmosDb","properties":{"tableName":"T","cosmosDbAccountResourceId":"/acct"},"tags":{}}"#
        );
        assert_eq!(connection.short_name(), None);
        assert_eq!(read(&write(&connection)), connection);
    }
}
