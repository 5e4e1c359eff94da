//! The `properties` of each data-connection kind: every property of the spec (read-only ones
//! too), all optional, so a body carries only what is set. `null` and `""` read as unset; a
//! property this version does not model is kept in `extra` and written back.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::enums::{
    BlobStorageEventType, Compression, DataFormat, DatabaseRouting, ProvisioningState,
};
use super::unset;

/// Declares a properties struct: each listed field becomes `pub name: Option<T>`, in
/// camelCase on the wire, sent only when set, `null`/`""` read as unset; plus `extra`.
macro_rules! properties {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident: $ty:ty, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(
                    default,
                    deserialize_with = "unset::unset_as_none",
                    skip_serializing_if = "Option::is_none"
                )]
                pub $field: Option<$ty>,
            )+
            /// Properties this version does not model (a newer service's), kept for the
            /// round trip (minus members set to `null`/`""`).
            #[serde(flatten, deserialize_with = "unset::set_members")]
            pub extra: Map<String, Value>,
        }
    };
}

properties! {
    /// `EventHubConnectionProperties`: an Event Hubs data connection.
    pub struct EventHubProperties {
        /// The event hub's ARM id (required on create).
        event_hub_resource_id: String,
        /// The event hub consumer group (required on create).
        consumer_group: String,
        /// The target table; unset when each message names it.
        table_name: String,
        /// The ingestion mapping; unset when each message names it.
        mapping_rule_name: String,
        /// The message format; unset when each message names it.
        data_format: DataFormat,
        /// Event Hubs system properties to ingest (the service sends `[]` when none).
        event_system_properties: Vec<String>,
        /// The message compression (service default `None`).
        compression: Compression,
        /// Read-only: the provisioning state.
        provisioning_state: ProvisioningState,
        /// The managed identity used to reach the event hub.
        managed_identity_resource_id: String,
        /// Read-only: the object id of that identity.
        managed_identity_object_id: String,
        /// Database routing (service default `Single`).
        database_routing: DatabaseRouting,
        /// Also ingest what was created since this date-time; kept as the server's exact
        /// text (seven fractional digits), see the `wire` module docs.
        retrieval_start_date: String,
    }
}

properties! {
    /// `IotHubConnectionProperties`: an IoT Hub data connection (no compression, no managed
    /// identity).
    pub struct IotHubProperties {
        /// The IoT hub's ARM id (required on create).
        iot_hub_resource_id: String,
        /// The IoT hub consumer group (required on create).
        consumer_group: String,
        /// The target table; unset when each message names it.
        table_name: String,
        /// The ingestion mapping; unset when each message names it.
        mapping_rule_name: String,
        /// The message format; unset when each message names it.
        data_format: DataFormat,
        /// IoT Hub system properties to ingest (the service sends `[]` when none).
        event_system_properties: Vec<String>,
        /// The IoT hub shared access policy (required on create).
        shared_access_policy_name: String,
        /// Database routing (service default `Single`).
        database_routing: DatabaseRouting,
        /// Also ingest what was created since this date-time; kept as the server's exact
        /// text (seven fractional digits), see the `wire` module docs.
        retrieval_start_date: String,
        /// Read-only: the provisioning state.
        provisioning_state: ProvisioningState,
    }
}

properties! {
    /// `EventGridConnectionProperties`: blobs announced by Event Grid through an event hub.
    pub struct EventGridProperties {
        /// The storage account's ARM id (required on create).
        storage_account_resource_id: String,
        /// The Event Grid subscription's ARM id.
        event_grid_resource_id: String,
        /// The event hub Event Grid sends to (required on create).
        event_hub_resource_id: String,
        /// The event hub consumer group (required on create).
        consumer_group: String,
        /// The target table; unset when each blob's metadata names it.
        table_name: String,
        /// The ingestion mapping; unset when each blob's metadata names it.
        mapping_rule_name: String,
        /// The blob format; unset when each blob's metadata names it.
        data_format: DataFormat,
        /// Whether to skip the first record of every file.
        ignore_first_record: bool,
        /// The blob event to ingest on.
        blob_storage_event_type: BlobStorageEventType,
        /// The managed identity used to reach the event hub and the storage account.
        managed_identity_resource_id: String,
        /// Read-only: the object id of that identity.
        managed_identity_object_id: String,
        /// Database routing (service default `Single`).
        database_routing: DatabaseRouting,
        /// Read-only: the provisioning state.
        provisioning_state: ProvisioningState,
    }
}

properties! {
    /// `CosmosDbDataConnectionProperties`: a Cosmos DB change-feed data connection.
    pub struct CosmosDbProperties {
        /// The target table, case-sensitive (required on create).
        table_name: String,
        /// The ingestion mapping.
        mapping_rule_name: String,
        /// The managed identity used to read Cosmos DB (required on create).
        managed_identity_resource_id: String,
        /// Read-only: the object id of that identity.
        managed_identity_object_id: String,
        /// The Cosmos DB account's ARM id (required on create).
        cosmos_db_account_resource_id: String,
        /// The Cosmos DB database (required on create).
        cosmos_db_database: String,
        /// The Cosmos DB container (required on create).
        cosmos_db_container: String,
        /// Also ingest what was created since this date-time; kept as the server's exact
        /// text (seven fractional digits), see the `wire` module docs.
        retrieval_start_date: String,
        /// Read-only: the provisioning state.
        provisioning_state: ProvisioningState,
    }
}

properties! {
    /// `EventHubConnectionWithManagedIdentityProperties` (2025-02-14): Event Hubs reached only
    /// through a managed identity. Note the renamed id field.
    pub struct EventHubWithManagedIdentityProperties {
        /// The event hub's ARM id (required on create).
        event_hub_resource_id_for_managed_identity: String,
        /// The event hub consumer group (required on create).
        consumer_group: String,
        /// The target table; unset when each message names it.
        table_name: String,
        /// The ingestion mapping; unset when each message names it.
        mapping_rule_name: String,
        /// The message format; unset when each message names it.
        data_format: DataFormat,
        /// Event Hubs system properties to ingest.
        event_system_properties: Vec<String>,
        /// The message compression (service default `None`).
        compression: Compression,
        /// Read-only: the provisioning state.
        provisioning_state: ProvisioningState,
        /// The managed identity used to reach the event hub (required on create).
        managed_identity_resource_id: String,
        /// Read-only: the object id of that identity.
        managed_identity_object_id: String,
        /// Database routing (service default `Single`).
        database_routing: DatabaseRouting,
        /// Also ingest what was created since this date-time; kept as the server's exact
        /// text (seven fractional digits), see the `wire` module docs.
        retrieval_start_date: String,
    }
}

properties! {
    /// `EventGridConnectionWithManagedIdentityProperties` (2025-02-14): Event Grid reached only
    /// through a managed identity. Note the renamed id fields.
    pub struct EventGridWithManagedIdentityProperties {
        /// The storage account's ARM id (required on create).
        storage_account_resource_id_for_managed_identity: String,
        /// The event hub Event Grid sends to (required on create).
        event_hub_resource_id_for_managed_identity: String,
        /// The Event Grid subscription's ARM id.
        event_grid_resource_id: String,
        /// The event hub consumer group (required on create).
        consumer_group: String,
        /// The target table; unset when each blob's metadata names it.
        table_name: String,
        /// The ingestion mapping; unset when each blob's metadata names it.
        mapping_rule_name: String,
        /// The blob format; unset when each blob's metadata names it.
        data_format: DataFormat,
        /// Whether to skip the first record of every file.
        ignore_first_record: bool,
        /// The blob event to ingest on.
        blob_storage_event_type: BlobStorageEventType,
        /// The managed identity used to reach the event hub and the storage account (required
        /// on create).
        managed_identity_resource_id: String,
        /// Read-only: the object id of that identity.
        managed_identity_object_id: String,
        /// Database routing (service default `Single`).
        database_routing: DatabaseRouting,
        /// Read-only: the provisioning state.
        provisioning_state: ProvisioningState,
    }
}

// The identity-only kinds of 2025-02-14 are the key-based connections with their source ids
// under `…ForManagedIdentity` names; every other property is the same.

impl EventHubProperties {
    /// The same connection as kind `EventHubWithManagedIdentity`.
    pub fn for_managed_identity(self) -> EventHubWithManagedIdentityProperties {
        EventHubWithManagedIdentityProperties {
            event_hub_resource_id_for_managed_identity: self.event_hub_resource_id,
            consumer_group: self.consumer_group,
            table_name: self.table_name,
            mapping_rule_name: self.mapping_rule_name,
            data_format: self.data_format,
            event_system_properties: self.event_system_properties,
            compression: self.compression,
            provisioning_state: self.provisioning_state,
            managed_identity_resource_id: self.managed_identity_resource_id,
            managed_identity_object_id: self.managed_identity_object_id,
            database_routing: self.database_routing,
            retrieval_start_date: self.retrieval_start_date,
            extra: self.extra,
        }
    }
}

impl EventGridProperties {
    /// The same connection as kind `EventGridWithManagedIdentity`.
    pub fn for_managed_identity(self) -> EventGridWithManagedIdentityProperties {
        EventGridWithManagedIdentityProperties {
            storage_account_resource_id_for_managed_identity: self.storage_account_resource_id,
            event_hub_resource_id_for_managed_identity: self.event_hub_resource_id,
            event_grid_resource_id: self.event_grid_resource_id,
            consumer_group: self.consumer_group,
            table_name: self.table_name,
            mapping_rule_name: self.mapping_rule_name,
            data_format: self.data_format,
            ignore_first_record: self.ignore_first_record,
            blob_storage_event_type: self.blob_storage_event_type,
            managed_identity_resource_id: self.managed_identity_resource_id,
            managed_identity_object_id: self.managed_identity_object_id,
            database_routing: self.database_routing,
            provisioning_state: self.provisioning_state,
            extra: self.extra,
        }
    }
}
