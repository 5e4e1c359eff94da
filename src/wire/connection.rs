//! The data-connection resource: ARM's envelope (`id`, `name`, `type`, `location`, `kind`,
//! `properties`, anything else) around the properties of one of the six kinds.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::enums::{DataFormat, Kind, ProvisioningState};
use super::properties::{
    CosmosDbProperties, EventGridProperties, EventGridWithManagedIdentityProperties,
    EventHubProperties, EventHubWithManagedIdentityProperties, IotHubProperties,
};
use super::unset::raw_str;

/// The properties that name a data connection's source resources, across all kinds.
pub const SOURCE_ID_KEYS: [&str; 7] = [
    "eventHubResourceId",
    "iotHubResourceId",
    "storageAccountResourceId",
    "eventGridResourceId",
    "eventHubResourceIdForManagedIdentity",
    "storageAccountResourceIdForManagedIdentity",
    "cosmosDbAccountResourceId",
];

/// The envelope's own members, in ARM's order (used when a connection was built in code).
const ENVELOPE_KEYS: [&str; 6] = ["id", "name", "type", "location", "kind", "properties"];

/// A data connection (`DataConnection` and its six subtypes), as read from and sent to ARM.
///
/// Reading never fails because of `properties`: an unknown `kind`, or a known one whose
/// properties do not fit its type (a member of the wrong JSON type, say), becomes
/// [`Properties::Unknown`] with the raw properties, so the connection can still be shown,
/// listed and deleted. A missing or `null` kind reads as an unknown kind spelled `""`; only a
/// `kind` that is neither a string nor `null` is refused.
#[derive(Clone, Debug)]
pub struct DataConnection {
    /// The ARM id (read-only; absent in request bodies).
    pub id: Option<String>,
    /// `{cluster}/{database}/{connection}` (read-only); see [`DataConnection::short_name`].
    pub name: Option<String>,
    /// `type`, e.g. `Microsoft.Kusto/Clusters/Databases/DataConnections` (read-only).
    pub resource_type: Option<String>,
    /// The region (the cluster's); optional in the schema, but sent by every client.
    pub location: Option<String>,
    /// `kind` and `properties` together: the kind is the variant.
    pub properties: Properties,
    /// Any other top-level member (`etag`, `tags`, `systemData`, …), kept verbatim.
    pub extra: Map<String, Value>,
    /// The order of the top-level members as read, so that writing the connection back keeps
    /// it (an unknown kind round-trips byte for byte). Empty for a connection built in code,
    /// which is written in ARM's order: `id`, `name`, `type`, `location`, `kind`,
    /// `properties`, then `extra`. Ignored by `==`.
    pub key_order: Vec<String>,
}

impl PartialEq for DataConnection {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.resource_type == other.resource_type
            && self.location == other.location
            && self.properties == other.properties
            && self.extra == other.extra
    }
}

/// The `kind` and `properties` of a data connection.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a handful of connections per command; boxing would only obscure the model"
)]
pub enum Properties {
    /// `kind: EventHub`.
    EventHub(EventHubProperties),
    /// `kind: IotHub`.
    IotHub(IotHubProperties),
    /// `kind: EventGrid`.
    EventGrid(EventGridProperties),
    /// `kind: CosmosDb`.
    CosmosDb(CosmosDbProperties),
    /// `kind: EventHubWithManagedIdentity`.
    EventHubWithManagedIdentity(EventHubWithManagedIdentityProperties),
    /// `kind: EventGridWithManagedIdentity`.
    EventGridWithManagedIdentity(EventGridWithManagedIdentityProperties),
    /// A kind this version does not know, or a known kind whose properties could not be read
    /// as its type: `kind` as received and the raw `properties` (`Value::Null` when absent or
    /// `null`, and then not written), both written back unchanged.
    Unknown {
        /// `kind`, spelled as received.
        kind: String,
        /// `properties`, as received.
        properties: Value,
    },
}

impl Properties {
    /// The empty properties of a kind (what a body without `properties` reads as).
    pub fn empty(kind: &Kind) -> Self {
        match kind {
            Kind::EventHub => Self::EventHub(EventHubProperties::default()),
            Kind::IotHub => Self::IotHub(IotHubProperties::default()),
            Kind::EventGrid => Self::EventGrid(EventGridProperties::default()),
            Kind::CosmosDb => Self::CosmosDb(CosmosDbProperties::default()),
            Kind::EventHubWithManagedIdentity => {
                Self::EventHubWithManagedIdentity(EventHubWithManagedIdentityProperties::default())
            }
            Kind::EventGridWithManagedIdentity => {
                Self::EventGridWithManagedIdentity(EventGridWithManagedIdentityProperties::default())
            }
            Kind::Unknown(kind) => Self::Unknown {
                kind: kind.clone(),
                properties: Value::Null,
            },
        }
    }

    /// Reads `properties` for a `kind` as received: typed when the kind is known and the
    /// properties fit, [`Properties::Unknown`] otherwise. `None` (absent or `null`) is the
    /// kind's empty properties.
    pub fn read(kind: &str, properties: Option<Value>) -> Self {
        let raw = properties.filter(|value| !value.is_null());
        match Kind::parse(kind) {
            Kind::EventHub => typed(kind, raw, Self::EventHub),
            Kind::IotHub => typed(kind, raw, Self::IotHub),
            Kind::EventGrid => typed(kind, raw, Self::EventGrid),
            Kind::CosmosDb => typed(kind, raw, Self::CosmosDb),
            Kind::EventHubWithManagedIdentity => {
                typed(kind, raw, Self::EventHubWithManagedIdentity)
            }
            Kind::EventGridWithManagedIdentity => {
                typed(kind, raw, Self::EventGridWithManagedIdentity)
            }
            Kind::Unknown(_) => Self::Unknown {
                kind: kind.to_owned(),
                properties: raw.unwrap_or(Value::Null),
            },
        }
    }

    /// The kind as the service named it. For [`Properties::Unknown`] that may still be a known
    /// kind (whose properties could not be read); [`Properties::is_typed`] tells the two apart.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Unknown { kind, .. } => Kind::parse(kind),
            typed => Kind::parse(typed.kind_name()),
        }
    }

    /// `kind` as written on the wire: ARM's spelling for a typed variant, the received
    /// spelling for [`Properties::Unknown`].
    pub fn kind_name(&self) -> &str {
        match self {
            Self::EventHub(_) => "EventHub",
            Self::IotHub(_) => "IotHub",
            Self::EventGrid(_) => "EventGrid",
            Self::CosmosDb(_) => "CosmosDb",
            Self::EventHubWithManagedIdentity(_) => "EventHubWithManagedIdentity",
            Self::EventGridWithManagedIdentity(_) => "EventGridWithManagedIdentity",
            Self::Unknown { kind, .. } => kind,
        }
    }

    /// Whether the properties were read as their kind's type (not [`Properties::Unknown`]).
    pub fn is_typed(&self) -> bool {
        !matches!(self, Self::Unknown { .. })
    }

    /// `provisioningState`; for [`Properties::Unknown`], read from the raw properties.
    pub fn provisioning_state(&self) -> Option<ProvisioningState> {
        match self {
            Self::EventHub(p) => p.provisioning_state.clone(),
            Self::IotHub(p) => p.provisioning_state.clone(),
            Self::EventGrid(p) => p.provisioning_state.clone(),
            Self::CosmosDb(p) => p.provisioning_state.clone(),
            Self::EventHubWithManagedIdentity(p) => p.provisioning_state.clone(),
            Self::EventGridWithManagedIdentity(p) => p.provisioning_state.clone(),
            Self::Unknown { properties, .. } => {
                raw_str(properties, "provisioningState").map(ProvisioningState::parse)
            }
        }
    }

    /// Every property naming a source resource (event hub, IoT hub, storage account, Event
    /// Grid subscription, Cosmos DB account), in the spec's order of the kind.
    pub fn source_ids(&self) -> Vec<&str> {
        let ids = match self {
            Self::EventHub(p) => vec![&p.event_hub_resource_id],
            Self::IotHub(p) => vec![&p.iot_hub_resource_id],
            Self::EventGrid(p) => vec![
                &p.storage_account_resource_id,
                &p.event_grid_resource_id,
                &p.event_hub_resource_id,
            ],
            Self::CosmosDb(p) => vec![&p.cosmos_db_account_resource_id],
            Self::EventHubWithManagedIdentity(p) => {
                vec![&p.event_hub_resource_id_for_managed_identity]
            }
            Self::EventGridWithManagedIdentity(p) => vec![
                &p.storage_account_resource_id_for_managed_identity,
                &p.event_hub_resource_id_for_managed_identity,
                &p.event_grid_resource_id,
            ],
            Self::Unknown { properties, .. } => {
                return SOURCE_ID_KEYS
                    .iter()
                    .filter_map(|key| raw_str(properties, key))
                    .collect();
            }
        };
        ids.into_iter().filter_map(|id| id.as_deref()).collect()
    }

    /// The resource the messages are read from: the event hub (also for Event Grid, whose
    /// notifications arrive through one), the IoT hub or the Cosmos DB account.
    pub fn message_source_id(&self) -> Option<&str> {
        match self {
            Self::EventHub(p) => p.event_hub_resource_id.as_deref(),
            Self::IotHub(p) => p.iot_hub_resource_id.as_deref(),
            Self::EventGrid(p) => p.event_hub_resource_id.as_deref(),
            Self::CosmosDb(p) => p.cosmos_db_account_resource_id.as_deref(),
            Self::EventHubWithManagedIdentity(p) => {
                p.event_hub_resource_id_for_managed_identity.as_deref()
            }
            Self::EventGridWithManagedIdentity(p) => {
                p.event_hub_resource_id_for_managed_identity.as_deref()
            }
            Self::Unknown { properties, .. } => [
                "iotHubResourceId",
                "eventHubResourceId",
                "eventHubResourceIdForManagedIdentity",
                "cosmosDbAccountResourceId",
            ]
            .iter()
            .find_map(|key| raw_str(properties, key)),
        }
    }

    /// `tableName`.
    pub fn table_name(&self) -> Option<&str> {
        match self {
            Self::EventHub(p) => p.table_name.as_deref(),
            Self::IotHub(p) => p.table_name.as_deref(),
            Self::EventGrid(p) => p.table_name.as_deref(),
            Self::CosmosDb(p) => p.table_name.as_deref(),
            Self::EventHubWithManagedIdentity(p) => p.table_name.as_deref(),
            Self::EventGridWithManagedIdentity(p) => p.table_name.as_deref(),
            Self::Unknown { properties, .. } => raw_str(properties, "tableName"),
        }
    }

    /// `mappingRuleName`.
    pub fn mapping_rule_name(&self) -> Option<&str> {
        match self {
            Self::EventHub(p) => p.mapping_rule_name.as_deref(),
            Self::IotHub(p) => p.mapping_rule_name.as_deref(),
            Self::EventGrid(p) => p.mapping_rule_name.as_deref(),
            Self::CosmosDb(p) => p.mapping_rule_name.as_deref(),
            Self::EventHubWithManagedIdentity(p) => p.mapping_rule_name.as_deref(),
            Self::EventGridWithManagedIdentity(p) => p.mapping_rule_name.as_deref(),
            Self::Unknown { properties, .. } => raw_str(properties, "mappingRuleName"),
        }
    }

    /// `consumerGroup` (none for Cosmos DB).
    pub fn consumer_group(&self) -> Option<&str> {
        match self {
            Self::EventHub(p) => p.consumer_group.as_deref(),
            Self::IotHub(p) => p.consumer_group.as_deref(),
            Self::EventGrid(p) => p.consumer_group.as_deref(),
            Self::CosmosDb(_) => None,
            Self::EventHubWithManagedIdentity(p) => p.consumer_group.as_deref(),
            Self::EventGridWithManagedIdentity(p) => p.consumer_group.as_deref(),
            Self::Unknown { properties, .. } => raw_str(properties, "consumerGroup"),
        }
    }

    /// `dataFormat` (none for Cosmos DB; for [`Properties::Unknown`] see
    /// [`Properties::raw_str`]).
    pub fn data_format(&self) -> Option<&DataFormat> {
        match self {
            Self::EventHub(p) => p.data_format.as_ref(),
            Self::IotHub(p) => p.data_format.as_ref(),
            Self::EventGrid(p) => p.data_format.as_ref(),
            Self::CosmosDb(_) | Self::Unknown { .. } => None,
            Self::EventHubWithManagedIdentity(p) => p.data_format.as_ref(),
            Self::EventGridWithManagedIdentity(p) => p.data_format.as_ref(),
        }
    }

    /// `managedIdentityResourceId` (none for IoT Hub).
    pub fn managed_identity_resource_id(&self) -> Option<&str> {
        match self {
            Self::EventHub(p) => p.managed_identity_resource_id.as_deref(),
            Self::IotHub(_) => None,
            Self::EventGrid(p) => p.managed_identity_resource_id.as_deref(),
            Self::CosmosDb(p) => p.managed_identity_resource_id.as_deref(),
            Self::EventHubWithManagedIdentity(p) => p.managed_identity_resource_id.as_deref(),
            Self::EventGridWithManagedIdentity(p) => p.managed_identity_resource_id.as_deref(),
            Self::Unknown { properties, .. } => raw_str(properties, "managedIdentityResourceId"),
        }
    }

    /// A non-empty string member of the raw properties of [`Properties::Unknown`] (`None` for a
    /// typed variant: use its fields).
    pub fn raw_str(&self, key: &str) -> Option<&str> {
        match self {
            Self::Unknown { properties, .. } => raw_str(properties, key),
            _ => None,
        }
    }
}

/// The typed properties of a known kind, or [`Properties::Unknown`] if they do not fit.
fn typed<T: DeserializeOwned + Default>(
    kind: &str,
    raw: Option<Value>,
    wrap: fn(T) -> Properties,
) -> Properties {
    let Some(raw) = raw else {
        return wrap(T::default());
    };
    match T::deserialize(&raw) {
        Ok(properties) => wrap(properties),
        Err(_) => Properties::Unknown {
            kind: kind.to_owned(),
            properties: raw,
        },
    }
}

impl DataConnection {
    /// A connection to send: only `properties` (and so `kind`) set; add `location`.
    pub fn new(properties: Properties) -> Self {
        Self {
            id: None,
            name: None,
            resource_type: None,
            location: None,
            properties,
            extra: Map::new(),
            key_order: Vec::new(),
        }
    }

    /// The kind (see [`Properties::kind`]).
    pub fn kind(&self) -> Kind {
        self.properties.kind()
    }

    /// `kind` as written on the wire (see [`Properties::kind_name`]).
    pub fn kind_name(&self) -> &str {
        self.properties.kind_name()
    }

    /// Whether the properties were read as their kind's type.
    pub fn is_typed(&self) -> bool {
        self.properties.is_typed()
    }

    /// `properties.provisioningState` (from the raw properties for an unknown kind). Owned,
    /// because for an unknown kind it is read out of the raw JSON.
    pub fn provisioning_state(&self) -> Option<ProvisioningState> {
        self.properties.provisioning_state()
    }

    /// The connection's own name: the last `/`-part of `name` (`cluster/db/connection`), or
    /// of `id` when there is no `name`.
    pub fn short_name(&self) -> Option<&str> {
        [self.name.as_deref(), self.id.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(|text| text.trim_end_matches('/').rsplit('/').next())
            .find(|last| !last.is_empty())
    }

    /// Every property naming a source resource (see [`Properties::source_ids`]).
    pub fn source_ids(&self) -> Vec<&str> {
        self.properties.source_ids()
    }

    /// See [`Properties::message_source_id`].
    pub fn message_source_id(&self) -> Option<&str> {
        self.properties.message_source_id()
    }

    /// `properties.tableName`.
    pub fn table_name(&self) -> Option<&str> {
        self.properties.table_name()
    }

    /// `properties.mappingRuleName`.
    pub fn mapping_rule_name(&self) -> Option<&str> {
        self.properties.mapping_rule_name()
    }

    /// `properties.consumerGroup`.
    pub fn consumer_group(&self) -> Option<&str> {
        self.properties.consumer_group()
    }

    /// `properties.dataFormat`.
    pub fn data_format(&self) -> Option<&DataFormat> {
        self.properties.data_format()
    }

    /// `properties.managedIdentityResourceId`.
    pub fn managed_identity_resource_id(&self) -> Option<&str> {
        self.properties.managed_identity_resource_id()
    }

    /// Reads a connection from a JSON object's members (what `Deserialize` does).
    fn from_members(members: Map<String, Value>) -> Result<Self, String> {
        let mut connection = Self::new(Properties::Unknown {
            kind: String::new(),
            properties: Value::Null,
        });
        let mut kind = None;
        let mut properties = None;
        for (key, value) in members {
            connection.key_order.push(key.clone());
            let slot = match key.as_str() {
                "id" => &mut connection.id,
                "name" => &mut connection.name,
                "type" => &mut connection.resource_type,
                "location" => &mut connection.location,
                "kind" => {
                    match value {
                        Value::String(text) => kind = Some(text),
                        Value::Null => {}
                        other => return Err(format!("`kind` is not a string: {other}")),
                    }
                    continue;
                }
                "properties" => {
                    properties = Some(value);
                    continue;
                }
                _ => {
                    connection.extra.insert(key, value);
                    continue;
                }
            };
            match value {
                Value::String(text) if !text.is_empty() => *slot = Some(text),
                Value::String(_) | Value::Null => {}
                // Not ours to judge: keep it as it came.
                other => {
                    connection.extra.insert(key, other);
                }
            }
        }
        // No kind at all is shown as an unknown kind rather than failing a whole list.
        connection.properties = Properties::read(kind.as_deref().unwrap_or_default(), properties);
        Ok(connection)
    }

    fn write_member<M: SerializeMap>(
        &self,
        key: &str,
        map: &mut M,
        written: &mut Vec<String>,
    ) -> Result<(), M::Error> {
        if written.iter().any(|done| done == key) {
            return Ok(());
        }
        let field = match key {
            "id" => self.id.as_ref(),
            "name" => self.name.as_ref(),
            "type" => self.resource_type.as_ref(),
            "location" => self.location.as_ref(),
            _ => None,
        };
        match (key, field) {
            (_, Some(text)) => map.serialize_entry(key, text)?,
            // An unset kind (absent, `null` or `""`) is not written, like every unset member.
            ("kind", _) if self.properties.kind_name().is_empty() => return Ok(()),
            ("kind", _) => map.serialize_entry(key, self.properties.kind_name())?,
            ("properties", _) => match &self.properties {
                Properties::Unknown { properties, .. } if properties.is_null() => {}
                properties => map.serialize_entry(key, properties)?,
            },
            _ => match self.extra.get(key) {
                Some(value) => map.serialize_entry(key, value)?,
                None => return Ok(()),
            },
        }
        written.push(key.to_owned());
        Ok(())
    }
}

/// `properties` alone, as written in the body (the kind is the envelope's).
impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Properties::EventHub(p) => p.serialize(serializer),
            Properties::IotHub(p) => p.serialize(serializer),
            Properties::EventGrid(p) => p.serialize(serializer),
            Properties::CosmosDb(p) => p.serialize(serializer),
            Properties::EventHubWithManagedIdentity(p) => p.serialize(serializer),
            Properties::EventGridWithManagedIdentity(p) => p.serialize(serializer),
            Properties::Unknown { properties, .. } => properties.serialize(serializer),
        }
    }
}

impl Serialize for DataConnection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut written = Vec::new();
        let keys = self
            .key_order
            .iter()
            .map(String::as_str)
            .chain(ENVELOPE_KEYS)
            .chain(self.extra.keys().map(String::as_str));
        for key in keys {
            self.write_member(key, &mut map, &mut written)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for DataConnection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = Map::deserialize(deserializer)?;
        Self::from_members(members).map_err(D::Error::custom)
    }
}

/// The body of `dataConnectionValidation`: a whole data connection (with its own `kind` and
/// `properties`) under `properties`, and the name it would have.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataConnectionValidation {
    /// The data connection's name.
    #[serde(
        default,
        deserialize_with = "super::unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_connection_name: Option<String>,
    /// The data connection to validate (no `location` needed).
    pub properties: DataConnection,
    /// Any other member, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
