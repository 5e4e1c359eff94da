//! The data-connection resource model of api-version 2025-02-14: which
//! properties each `kind` takes, how request bodies are validated, and how a
//! stored connection is rendered the way the live service returns it.
//!
//! Validation messages imitate Kusto's `[BadRequest] ...` wording and always
//! name the offending property, so tests can assert on them.

use serde_json::{Map, Value};

use crate::text::{is_rfc3339, stable_guid};

/// A property's value type.
#[derive(Debug, Clone, Copy)]
enum Ty {
    Str,
    StrArray,
    Bool,
    /// One of these spellings, case-sensitive.
    Enum(&'static [&'static str]),
    DateTime,
    /// An ARM resource id matching one of these patterns (`*` = any one segment).
    Id(&'static [&'static str]),
    /// Server-managed; ignored when a client sends it, as ARM does.
    ReadOnly,
}

/// What a GET shows for a property the client did not set.
#[derive(Debug, Clone, Copy)]
enum Unset {
    EmptyString,
    Null,
    EmptyArray,
    Text(&'static str),
    False,
    /// The connection's creation time.
    CreationTime,
    /// A GUID when a managed identity is set, else `null`.
    IdentityObjectId,
}

#[derive(Debug)]
struct Prop {
    name: &'static str,
    ty: Ty,
    required: bool,
    unset: Unset,
}

const fn req(name: &'static str, ty: Ty) -> Prop {
    Prop {
        name,
        ty,
        required: true,
        unset: Unset::Null,
    }
}

const fn opt(name: &'static str, ty: Ty, unset: Unset) -> Prop {
    Prop {
        name,
        ty,
        required: false,
        unset,
    }
}

/// One data-connection `kind` and its `properties` schema.
#[derive(Debug)]
pub(crate) struct KindSchema {
    pub kind: &'static str,
    /// `properties.operationKind` of the create/update operation.
    pub operation_kind: &'static str,
    /// The property naming the Event Hub (or IoT Hub) the connection reads
    /// with its `consumerGroup`; `None` for kinds without a consumer group.
    hub_property: Option<&'static str>,
    props: &'static [Prop],
}

/// Every `dataFormat` of 2025-02-14, for every kind that has one. The
/// swagger lists `AZMONSTREAM` only for Event Grid, the SDK for all three
/// and the service's docs for Event Hubs only; the enums are open strings
/// (`modelAsString`), so the emulator takes the union rather than refuse
/// what the live service may accept.
pub(crate) const DATA_FORMATS: &[&str] = &[
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
const COMPRESSIONS: &[&str] = &["None", "GZip"];
const ROUTINGS: &[&str] = &["Single", "Multi"];
const BLOB_EVENT_TYPES: &[&str] = &[
    "Microsoft.Storage.BlobCreated",
    "Microsoft.Storage.BlobRenamed",
];

const EVENT_HUB_ID: &[&str] =
    &["/subscriptions/*/resourceGroups/*/providers/Microsoft.EventHub/namespaces/*/eventhubs/*"];
const IOT_HUB_ID: &[&str] =
    &["/subscriptions/*/resourceGroups/*/providers/Microsoft.Devices/IotHubs/*"];
const STORAGE_ID: &[&str] =
    &["/subscriptions/*/resourceGroups/*/providers/Microsoft.Storage/storageAccounts/*"];
const COSMOS_ID: &[&str] =
    &["/subscriptions/*/resourceGroups/*/providers/Microsoft.DocumentDB/databaseAccounts/*"];
const EVENT_GRID_ID: &[&str] = &[
    "/subscriptions/*/resourceGroups/*/providers/Microsoft.Storage/storageAccounts/*/providers/Microsoft.EventGrid/eventSubscriptions/*",
    "/subscriptions/*/resourceGroups/*/providers/Microsoft.EventGrid/systemTopics/*/eventSubscriptions/*",
];
/// A user-assigned identity, or a cluster (its system-assigned identity).
const IDENTITY_ID: &[&str] = &[
    "/subscriptions/*/resourceGroups/*/providers/Microsoft.ManagedIdentity/userAssignedIdentities/*",
    "/subscriptions/*/resourceGroups/*/providers/Microsoft.Kusto/clusters/*",
];

/// The properties that tie a connection to its source. Kusto does not move a
/// connection to another source: an update that changes one is refused.
pub(crate) const FIXED_SOURCE_PROPERTIES: [&str; 6] = [
    "eventHubResourceId",
    "iotHubResourceId",
    "storageAccountResourceId",
    "cosmosDbAccountResourceId",
    "eventHubResourceIdForManagedIdentity",
    "storageAccountResourceIdForManagedIdentity",
];

/// Body properties that name a source resource, in every kind.
pub(crate) const SOURCE_PROPERTIES: [&str; 7] = [
    "eventHubResourceId",
    "iotHubResourceId",
    "storageAccountResourceId",
    "eventGridResourceId",
    "eventHubResourceIdForManagedIdentity",
    "storageAccountResourceIdForManagedIdentity",
    "cosmosDbAccountResourceId",
];

const TABLE: Prop = opt("tableName", Ty::Str, Unset::EmptyString);
const MAPPING: Prop = opt("mappingRuleName", Ty::Str, Unset::EmptyString);
const FORMAT: Prop = opt("dataFormat", Ty::Enum(DATA_FORMATS), Unset::EmptyString);
const SYSTEM_PROPERTIES: Prop = opt("eventSystemProperties", Ty::StrArray, Unset::EmptyArray);
const COMPRESSION: Prop = opt("compression", Ty::Enum(COMPRESSIONS), Unset::Text("None"));
const IDENTITY: Prop = opt(
    "managedIdentityResourceId",
    Ty::Id(IDENTITY_ID),
    Unset::Null,
);
const IDENTITY_REQUIRED: Prop = req("managedIdentityResourceId", Ty::Id(IDENTITY_ID));
const IDENTITY_OBJECT_ID: Prop = opt(
    "managedIdentityObjectId",
    Ty::ReadOnly,
    Unset::IdentityObjectId,
);
const ROUTING: Prop = opt("databaseRouting", Ty::Enum(ROUTINGS), Unset::Text("Single"));
const RETRIEVAL_START: Prop = opt("retrievalStartDate", Ty::DateTime, Unset::CreationTime);
const CONSUMER_GROUP: Prop = req("consumerGroup", Ty::Str);
// Event Grid connections show unset strings as null, not "" (see the recordings).
const EG_TABLE: Prop = opt("tableName", Ty::Str, Unset::Null);
const EG_MAPPING: Prop = opt("mappingRuleName", Ty::Str, Unset::Null);
const EG_FORMAT: Prop = opt("dataFormat", Ty::Enum(DATA_FORMATS), Unset::Null);
const EG_RESOURCE: Prop = opt("eventGridResourceId", Ty::Id(EVENT_GRID_ID), Unset::Null);
const IGNORE_FIRST: Prop = opt("ignoreFirstRecord", Ty::Bool, Unset::False);
const BLOB_EVENT: Prop = opt(
    "blobStorageEventType",
    Ty::Enum(BLOB_EVENT_TYPES),
    Unset::Text("Microsoft.Storage.BlobCreated"),
);

pub(crate) static KINDS: &[KindSchema] = &[
    KindSchema {
        kind: "EventHub",
        operation_kind: "DmServiceEventHubObtainerAdd",
        hub_property: Some("eventHubResourceId"),
        props: &[
            req("eventHubResourceId", Ty::Id(EVENT_HUB_ID)),
            CONSUMER_GROUP,
            TABLE,
            MAPPING,
            FORMAT,
            SYSTEM_PROPERTIES,
            COMPRESSION,
            IDENTITY,
            IDENTITY_OBJECT_ID,
            ROUTING,
            RETRIEVAL_START,
        ],
    },
    KindSchema {
        kind: "EventGrid",
        operation_kind: "DmServiceEventGridIngestionSourceAdd",
        hub_property: Some("eventHubResourceId"),
        props: &[
            req("storageAccountResourceId", Ty::Id(STORAGE_ID)),
            EG_RESOURCE,
            req("eventHubResourceId", Ty::Id(EVENT_HUB_ID)),
            CONSUMER_GROUP,
            EG_TABLE,
            EG_MAPPING,
            EG_FORMAT,
            IGNORE_FIRST,
            BLOB_EVENT,
            IDENTITY,
            IDENTITY_OBJECT_ID,
            ROUTING,
        ],
    },
    KindSchema {
        kind: "IotHub",
        operation_kind: "DmServiceEventHubObtainerAdd",
        hub_property: Some("iotHubResourceId"),
        props: &[
            req("iotHubResourceId", Ty::Id(IOT_HUB_ID)),
            CONSUMER_GROUP,
            TABLE,
            MAPPING,
            FORMAT,
            SYSTEM_PROPERTIES,
            req("sharedAccessPolicyName", Ty::Str),
            ROUTING,
            RETRIEVAL_START,
        ],
    },
    KindSchema {
        kind: "CosmosDb",
        operation_kind: "DmServiceCosmosDbDataConnectionAddOrUpdateCommand",
        hub_property: None,
        props: &[
            req("tableName", Ty::Str),
            opt("mappingRuleName", Ty::Str, Unset::Null),
            IDENTITY_REQUIRED,
            IDENTITY_OBJECT_ID,
            req("cosmosDbAccountResourceId", Ty::Id(COSMOS_ID)),
            req("cosmosDbDatabase", Ty::Str),
            req("cosmosDbContainer", Ty::Str),
            RETRIEVAL_START,
        ],
    },
    KindSchema {
        kind: "EventHubWithManagedIdentity",
        operation_kind: "DmServiceEventHubObtainerAdd",
        hub_property: Some("eventHubResourceIdForManagedIdentity"),
        props: &[
            req("eventHubResourceIdForManagedIdentity", Ty::Id(EVENT_HUB_ID)),
            CONSUMER_GROUP,
            TABLE,
            MAPPING,
            FORMAT,
            SYSTEM_PROPERTIES,
            COMPRESSION,
            IDENTITY_REQUIRED,
            IDENTITY_OBJECT_ID,
            ROUTING,
            RETRIEVAL_START,
        ],
    },
    KindSchema {
        kind: "EventGridWithManagedIdentity",
        operation_kind: "DmServiceEventGridIngestionSourceAdd",
        hub_property: Some("eventHubResourceIdForManagedIdentity"),
        props: &[
            req(
                "storageAccountResourceIdForManagedIdentity",
                Ty::Id(STORAGE_ID),
            ),
            EG_RESOURCE,
            req("eventHubResourceIdForManagedIdentity", Ty::Id(EVENT_HUB_ID)),
            CONSUMER_GROUP,
            EG_TABLE,
            EG_MAPPING,
            EG_FORMAT,
            IGNORE_FIRST,
            BLOB_EVENT,
            IDENTITY_REQUIRED,
            IDENTITY_OBJECT_ID,
            ROUTING,
        ],
    },
];

pub(crate) fn kind_schema(kind: &str) -> Option<&'static KindSchema> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// What a connection reads from an Event Hub or IoT Hub: the hub and the
/// consumer group, both lowercase. The live service lets only one
/// connection of a cluster read each pair, and Azure compares both names
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConsumerTuple {
    pub hub: String,
    pub group: String,
}

impl KindSchema {
    /// The hub and consumer group `properties` read, for the kinds that
    /// read a hub (every kind but Cosmos DB).
    pub(crate) fn consumer_tuple(&self, properties: &Map<String, Value>) -> Option<ConsumerTuple> {
        let text = |name: &str| properties.get(name).and_then(Value::as_str);
        Some(ConsumerTuple {
            hub: text(self.hub_property?)?.to_ascii_lowercase(),
            group: text("consumerGroup")?.to_ascii_lowercase(),
        })
    }
}

/// The properties a PATCH leaves: the stored ones, with each property the
/// patch names replaced, or removed when the patch sends `null`.
/// Read-only `provisioningState` is ignored, as in a PUT body.
pub(crate) fn merge_patch(
    stored: &Map<String, Value>,
    patch: &Map<String, Value>,
) -> Map<String, Value> {
    let mut merged = stored.clone();
    for (name, value) in patch {
        if name == "provisioningState" {
            continue;
        }
        if value.is_null() {
            merged.remove(name);
        } else {
            merged.insert(name.clone(), value.clone());
        }
    }
    merged
}

/// A request body that passed validation.
#[derive(Debug, Clone)]
pub(crate) struct DataConnectionBody {
    pub schema: &'static KindSchema,
    pub location: Option<String>,
    /// The writable properties the client set (read-only ones and nulls dropped).
    pub properties: Map<String, Value>,
}

/// Validates a `DataConnection` body (`{location?, kind, properties}`),
/// returning every problem found.
pub(crate) fn validate(body: &Value) -> Result<DataConnectionBody, Vec<String>> {
    let Some(body) = body.as_object() else {
        return Err(vec![
            "[BadRequest] The request body must be a JSON object with 'kind' and 'properties'."
                .to_owned(),
        ]);
    };
    let location = match body.get("location") {
        None | Some(Value::Null) => None,
        Some(Value::String(l)) => Some(l.clone()),
        Some(_) => {
            return Err(vec![
                "[BadRequest] The property 'location' must be a string.".to_owned(),
            ]);
        }
    };
    let schema = match body.get("kind") {
        None | Some(Value::Null) => {
            return Err(vec!["[BadRequest] The property 'kind' is missing.".to_owned()]);
        }
        Some(Value::String(kind)) => kind_schema(kind).ok_or_else(|| {
            vec![format!(
                "[BadRequest] The data connection kind '{kind}' (property 'kind') is not supported. Supported kinds: {}.",
                KINDS.iter().map(|k| k.kind).collect::<Vec<_>>().join(", ")
            )]
        })?,
        Some(_) => return Err(vec!["[BadRequest] The property 'kind' must be a string.".to_owned()]),
    };
    let Some(sent) = body.get("properties").and_then(Value::as_object) else {
        return Err(vec![format!(
            "[BadRequest] The property 'properties' is missing or is not an object (kind '{}').",
            schema.kind
        )]);
    };

    let mut errors = Vec::new();
    let mut properties = Map::new();
    for (name, value) in sent {
        if name == "provisioningState" {
            continue;
        }
        let Some(prop) = schema.props.iter().find(|p| p.name == name) else {
            errors.push(format!(
                "[BadRequest] The property '{name}' is not valid for a data connection of kind '{}'.",
                schema.kind
            ));
            continue;
        };
        match check_value(prop, value) {
            Ok(Some(v)) => {
                properties.insert(name.clone(), v);
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    for prop in schema.props.iter().filter(|p| p.required) {
        // A required property that was sent but invalid is already reported.
        let sent_but_invalid = sent.get(prop.name).is_some_and(|v| !v.is_null());
        if !properties.contains_key(prop.name) && !sent_but_invalid {
            errors.push(format!(
                "[BadRequest] The property '{}' is missing; it is required for a data connection of kind '{}'.",
                prop.name, schema.kind
            ));
        }
    }
    if errors.is_empty() {
        Ok(DataConnectionBody {
            schema,
            location,
            properties,
        })
    } else {
        Err(errors)
    }
}

/// The value to store (`None` = unset), or the error naming the property.
fn check_value(prop: &Prop, value: &Value) -> Result<Option<Value>, String> {
    let name = prop.name;
    if matches!(prop.ty, Ty::ReadOnly) || value.is_null() {
        return Ok(None);
    }
    // "" is how the service shows an unset optional string, so a client that
    // round-trips a GET body sends it back; treat it as unset.
    let empty = value.as_str() == Some("");
    if empty && prop.required {
        return Err(format!(
            "[BadRequest] The property '{name}' must not be empty."
        ));
    }
    let invalid =
        |expected: &str| format!("[BadRequest] The property '{name}' must be {expected}.");
    match prop.ty {
        Ty::ReadOnly => Ok(None),
        Ty::Str => match value {
            Value::String(_) => Ok(Some(value.clone())),
            _ => Err(invalid("a string")),
        },
        Ty::Bool => match value {
            Value::Bool(_) => Ok(Some(value.clone())),
            _ => Err(invalid("a boolean")),
        },
        Ty::StrArray => match value {
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(Some(value.clone())),
            _ => Err(invalid("an array of strings")),
        },
        Ty::Enum(allowed) => match value.as_str() {
            Some("") => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(value.clone())),
            Some(v) => Err(format!(
                "[BadRequest] The value '{v}' of property '{name}' is invalid. Allowed values: {}.",
                allowed.join(", ")
            )),
            None => Err(invalid("a string")),
        },
        Ty::DateTime => match value.as_str() {
            Some("") => Ok(None),
            Some(v) if is_rfc3339(v) => Ok(Some(value.clone())),
            Some(v) => Err(format!(
                "[BadRequest] The value '{v}' of property '{name}' is not a valid RFC 3339 date-time."
            )),
            None => Err(invalid("an RFC 3339 date-time string")),
        },
        Ty::Id(patterns) => match value.as_str() {
            Some("") => Ok(None),
            Some(v) if patterns.iter().any(|p| id_matches(p, v)) => Ok(Some(value.clone())),
            Some(v) => Err(format!(
                "[BadRequest] The value '{v}' of property '{name}' is not a valid resource id; expected {}.",
                patterns.join(" or ")
            )),
            None => Err(invalid("a resource id string")),
        },
    }
}

/// Matches an ARM id against a pattern, segment by segment, case-insensitively.
fn id_matches(pattern: &str, id: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = id.split('/').collect();
    p.len() == s.len()
        && p.iter().zip(&s).all(|(p, s)| {
            if *p == "*" {
                !s.is_empty()
            } else {
                p.eq_ignore_ascii_case(s)
            }
        })
}

/// The `properties` a GET returns: every schema property, unset ones shown
/// the way the service shows them, plus `provisioningState`. Once an update
/// has succeeded the service shows unset strings as `null` rather than `""`
/// (`updated`; seen after both a PUT and a PATCH in the recordings).
pub(crate) fn render_properties(
    schema: &KindSchema,
    set: &Map<String, Value>,
    created: &str,
    provisioning_state: &str,
    updated: bool,
) -> Map<String, Value> {
    let mut out = Map::new();
    for prop in schema.props {
        let value = match (set.get(prop.name), prop.unset) {
            (Some(v), _) => v.clone(),
            (None, Unset::EmptyString) if updated => Value::Null,
            (None, Unset::EmptyString) => Value::from(""),
            (None, Unset::Null) => Value::Null,
            (None, Unset::EmptyArray) => Value::Array(Vec::new()),
            (None, Unset::Text(t)) => Value::from(t),
            (None, Unset::False) => Value::Bool(false),
            (None, Unset::CreationTime) => Value::from(created),
            (None, Unset::IdentityObjectId) => identity_object_id(set),
        };
        out.insert(prop.name.to_owned(), value);
    }
    out.insert(
        "provisioningState".to_owned(),
        Value::from(provisioning_state),
    );
    out
}

/// The echo in a PUT answer: what was sent plus `provisioningState`, with the
/// few fields the service adds right away.
pub(crate) fn echo_properties(
    schema: &KindSchema,
    set: &Map<String, Value>,
    provisioning_state: &str,
) -> Map<String, Value> {
    let mut out = set.clone();
    if schema.props.iter().any(|p| p.name == "ignoreFirstRecord") {
        out.entry("ignoreFirstRecord").or_insert(Value::Bool(false));
    }
    out.insert(
        "provisioningState".to_owned(),
        Value::from(provisioning_state),
    );
    out
}

/// The object id of the identity in `managedIdentityResourceId`: stable for a
/// given identity, `null` when none is set.
fn identity_object_id(set: &Map<String, Value>) -> Value {
    set.get("managedIdentityResourceId")
        .and_then(Value::as_str)
        .map_or(Value::Null, |id| {
            Value::from(stable_guid(&format!("mi:{}", id.to_ascii_lowercase())))
        })
}

/// Data-connection names the emulator accepts: 1–40 characters of letters,
/// digits, `-`, `_` and `.`.
pub(crate) fn is_valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const HUB: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/hub";
    const MI: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi";

    fn errors(body: Value) -> Vec<String> {
        validate(&body).err().unwrap_or_default()
    }

    #[test]
    fn minimal_event_hub_is_valid_and_renders_like_the_service() {
        let body = json!({"location":"West Europe","kind":"EventHub","properties":{
            "eventHubResourceId": HUB, "consumerGroup": "$Default", "compression": "None",
            "provisioningState": "Succeeded", "managedIdentityObjectId": "x"}});
        let Ok(v) = validate(&body) else {
            panic!("{:?}", validate(&body))
        };
        assert_eq!(v.schema.kind, "EventHub");
        assert_eq!(v.location.as_deref(), Some("West Europe"));
        assert_eq!(v.properties.len(), 3);
        let rendered = render_properties(
            v.schema,
            &v.properties,
            "2024-01-01T00:00:00.0000000Z",
            "Succeeded",
            false,
        );
        assert_eq!(
            Value::Object(rendered),
            json!({"eventHubResourceId": HUB, "consumerGroup": "$Default", "tableName": "",
                "mappingRuleName": "", "dataFormat": "", "eventSystemProperties": [],
                "compression": "None", "managedIdentityResourceId": null,
                "managedIdentityObjectId": null, "databaseRouting": "Single",
                "retrievalStartDate": "2024-01-01T00:00:00.0000000Z",
                "provisioningState": "Succeeded"})
        );
    }

    #[test]
    fn required_properties_per_kind() {
        let cases = [
            ("EventHub", vec!["eventHubResourceId", "consumerGroup"]),
            (
                "IotHub",
                vec![
                    "iotHubResourceId",
                    "consumerGroup",
                    "sharedAccessPolicyName",
                ],
            ),
            (
                "EventGrid",
                vec![
                    "storageAccountResourceId",
                    "eventHubResourceId",
                    "consumerGroup",
                ],
            ),
            (
                "CosmosDb",
                vec![
                    "tableName",
                    "managedIdentityResourceId",
                    "cosmosDbAccountResourceId",
                    "cosmosDbDatabase",
                    "cosmosDbContainer",
                ],
            ),
            (
                "EventHubWithManagedIdentity",
                vec![
                    "eventHubResourceIdForManagedIdentity",
                    "consumerGroup",
                    "managedIdentityResourceId",
                ],
            ),
            (
                "EventGridWithManagedIdentity",
                vec![
                    "storageAccountResourceIdForManagedIdentity",
                    "eventHubResourceIdForManagedIdentity",
                    "consumerGroup",
                    "managedIdentityResourceId",
                ],
            ),
        ];
        for (kind, required) in cases {
            let errs = errors(json!({"kind": kind, "properties": {}}));
            assert_eq!(errs.len(), required.len(), "{kind}: {errs:?}");
            for (name, err) in required.iter().zip(&errs) {
                assert!(err.contains(&format!("'{name}' is missing")), "{err}");
            }
        }
    }

    #[test]
    fn rejects_bad_values() {
        let base = |extra: Value| {
            let mut props = json!({"eventHubResourceId": HUB, "consumerGroup": "cg"});
            if let (Some(p), Some(e)) = (props.as_object_mut(), extra.as_object()) {
                p.extend(e.clone());
            }
            json!({"kind": "EventHub", "properties": props})
        };
        for (extra, needle) in [
            (json!({"dataFormat": "json"}), "'dataFormat'"),
            (json!({"compression": "gzip"}), "'compression'"),
            (json!({"databaseRouting": "multi"}), "'databaseRouting'"),
            (
                json!({"retrievalStartDate": "yesterday"}),
                "'retrievalStartDate'",
            ),
            (
                json!({"blobStorageEventType": "Microsoft.Storage.BlobCreated"}),
                "'blobStorageEventType'",
            ),
            (
                json!({"sharedAccessPolicyName": "x"}),
                "'sharedAccessPolicyName'",
            ),
            (
                json!({"eventSystemProperties": "x-opt-enqueued-time"}),
                "'eventSystemProperties'",
            ),
            (
                json!({"managedIdentityResourceId": "/subscriptions/s/mi"}),
                "'managedIdentityResourceId'",
            ),
            (json!({"tableName": 5}), "'tableName'"),
            (json!({"consumerGroup": ""}), "'consumerGroup'"),
        ] {
            let errs = errors(base(extra.clone()));
            assert_eq!(errs.len(), 1, "{extra}: {errs:?}");
            assert!(errs[0].contains(needle), "{extra}: {errs:?}");
        }
        let ok = validate(&base(
            json!({"dataFormat": "MULTIJSON", "compression": "GZip",
            "databaseRouting": "Multi", "retrievalStartDate": "2024-01-01T00:00:00Z",
            "managedIdentityResourceId": MI, "eventSystemProperties": ["x-opt-enqueued-time"],
            "tableName": "", "mappingRuleName": null}),
        ));
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn rejects_bad_shapes_and_kinds() {
        assert!(errors(json!([]))[0].contains("JSON object"));
        assert!(errors(json!({"properties": {}}))[0].contains("'kind'"));
        assert!(errors(json!({"kind": "eventhub", "properties": {}}))[0].contains("'eventhub'"));
        assert!(errors(json!({"kind": "EventHub"}))[0].contains("'properties'"));
        assert!(
            errors(json!({"kind": "EventHub", "location": 1, "properties": {}}))[0]
                .contains("'location'")
        );
    }

    #[test]
    fn resource_ids_match_case_insensitively() {
        assert!(id_matches(
            EVENT_HUB_ID[0],
            &HUB.to_uppercase()
                .replace("/SUBSCRIPTIONS/", "/subscriptions/")
        ));
        assert!(!id_matches(EVENT_HUB_ID[0], &format!("{HUB}/")));
        assert!(!id_matches(
            EVENT_HUB_ID[0],
            "/subscriptions/s/resourceGroups//providers/Microsoft.EventHub/namespaces/ns/eventhubs/hub"
        ));
    }

    #[test]
    fn identity_object_id_is_filled_when_an_identity_is_set() {
        let mut set = Map::new();
        set.insert("managedIdentityResourceId".to_owned(), Value::from(MI));
        let Some(schema) = kind_schema("EventHub") else {
            panic!("EventHub schema")
        };
        let a = render_properties(schema, &set, "", "Succeeded", false);
        let b = render_properties(schema, &set, "", "Succeeded", false);
        assert!(a["managedIdentityObjectId"].is_string());
        assert_eq!(a["managedIdentityObjectId"], b["managedIdentityObjectId"]);
    }

    #[test]
    fn patches_replace_named_properties_and_nulls_clear() {
        let stored = json!({"eventHubResourceId": HUB, "consumerGroup": "cg", "tableName": "T"});
        let patch =
            json!({"tableName": null, "dataFormat": "JSON", "provisioningState": "Succeeded"});
        let (Some(stored), Some(patch)) = (stored.as_object(), patch.as_object()) else {
            panic!("objects")
        };
        assert_eq!(
            Value::Object(merge_patch(stored, patch)),
            json!({"eventHubResourceId": HUB, "consumerGroup": "cg", "dataFormat": "JSON"})
        );
        assert_eq!(&merge_patch(stored, &Map::new()), stored);
    }

    #[test]
    fn consumer_tuples_follow_the_kind_and_ignore_case() {
        let tuple = |kind: &str, props: Value| {
            let schema = kind_schema(kind).unwrap_or_else(|| panic!("{kind}"));
            props.as_object().and_then(|p| schema.consumer_tuple(p))
        };
        let expected = Some(ConsumerTuple {
            hub: HUB.to_ascii_lowercase(),
            group: "$default".to_owned(),
        });
        assert_eq!(
            tuple(
                "EventHub",
                json!({"eventHubResourceId": HUB.to_uppercase(), "consumerGroup": "$Default"})
            ),
            expected
        );
        assert_eq!(
            tuple(
                "EventGridWithManagedIdentity",
                json!({"eventHubResourceIdForManagedIdentity": HUB, "consumerGroup": "$DEFAULT"})
            ),
            expected
        );
        // A kind reads only its own hub property.
        assert_eq!(
            tuple(
                "EventHubWithManagedIdentity",
                json!({"eventHubResourceId": HUB, "consumerGroup": "cg"})
            ),
            None
        );
        assert_eq!(
            tuple("CosmosDb", json!({"tableName": "T", "consumerGroup": "cg"})),
            None
        );
        assert!(tuple(
            "IotHub",
            json!({"iotHubResourceId": "/x", "consumerGroup": "cg"})
        )
        .is_some());
    }

    #[test]
    fn updated_connections_show_unset_strings_as_null() {
        let Some(schema) = kind_schema("EventHub") else {
            panic!("EventHub schema")
        };
        let mut set = Map::new();
        set.insert("dataFormat".to_owned(), Value::from("CSV"));
        let fresh = render_properties(schema, &set, "", "Succeeded", false);
        let updated = render_properties(schema, &set, "", "Succeeded", true);
        assert_eq!(fresh["tableName"], "");
        assert_eq!(updated["tableName"], Value::Null);
        assert_eq!(updated["mappingRuleName"], Value::Null);
        assert_eq!(updated["dataFormat"], "CSV");
        assert_eq!(updated["eventSystemProperties"], json!([]));
        assert_eq!(updated["databaseRouting"], "Single");
    }

    #[test]
    fn names() {
        assert!(is_valid_name("event-hub_dc.1"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("has space"));
        assert!(!is_valid_name(&"a".repeat(41)));
    }
}
