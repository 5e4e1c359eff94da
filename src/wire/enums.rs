//! The string enums of the data-connection model. All are `modelAsString` in the spec, so each
//! has a catch-all variant keeping a value this version does not know, spelled exactly as
//! received. Known values are recognised case-insensitively and written in ARM's spelling.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares a string enum: known variants with their ARM spelling, plus a catch-all.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $text:literal, )+
        }
        $(#[$other_meta:meta])*
        other $other:ident;
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
            $(#[$other_meta])*
            $other(String),
        }

        impl $name {
            /// ARM's spelling of every known value, in the spec's order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// Reads a value: a known one case-insensitively, anything else kept verbatim.
            pub fn parse(text: &str) -> Self {
                $(
                    if text.eq_ignore_ascii_case($text) {
                        return Self::$variant;
                    }
                )+
                Self::$other(text.to_owned())
            }

            /// ARM's spelling of a known value; an unknown one as it was received.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::$other(text) => text,
                }
            }

            /// Whether this version knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::$other(_))
            }
        }

        impl FromStr for $name {
            type Err = Infallible;

            fn from_str(text: &str) -> Result<Self, Infallible> {
                Ok(Self::parse(text))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::parse(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(Self::parse(&text))
            }
        }
    };
}

string_enum! {
    /// The `kind` of a data connection (`DataConnectionKind`); it selects the shape of
    /// `properties`.
    pub enum Kind {
        /// Azure Event Hubs (`EventHubConnectionProperties`).
        EventHub => "EventHub",
        /// Azure IoT Hub (`IotHubConnectionProperties`).
        IotHub => "IotHub",
        /// Blob storage events delivered through Event Grid and an event hub
        /// (`EventGridConnectionProperties`).
        EventGrid => "EventGrid",
        /// Azure Cosmos DB change feed (`CosmosDbDataConnectionProperties`).
        CosmosDb => "CosmosDb",
        /// Event Hubs reached only through a managed identity (2025-02-14).
        EventHubWithManagedIdentity => "EventHubWithManagedIdentity",
        /// Event Grid reached only through a managed identity (2025-02-14).
        EventGridWithManagedIdentity => "EventGridWithManagedIdentity",
    }
    /// A kind this version does not know (a newer service's), spelled as received.
    other Unknown;
}

impl Kind {
    /// The properties a connection of this kind must carry on every write, PATCH included
    /// (the swagger's `required`, plus what the service refuses to go without).
    pub fn required_properties(&self) -> &'static [&'static str] {
        match self {
            Kind::EventHub => &["eventHubResourceId", "consumerGroup"],
            Kind::IotHub => &[
                "iotHubResourceId",
                "consumerGroup",
                "sharedAccessPolicyName",
            ],
            Kind::EventGrid => &[
                "storageAccountResourceId",
                "eventHubResourceId",
                "consumerGroup",
            ],
            Kind::CosmosDb => &[
                "cosmosDbAccountResourceId",
                "cosmosDbDatabase",
                "cosmosDbContainer",
                "managedIdentityResourceId",
                "tableName",
            ],
            Kind::EventHubWithManagedIdentity => &[
                "eventHubResourceIdForManagedIdentity",
                "consumerGroup",
                "managedIdentityResourceId",
            ],
            Kind::EventGridWithManagedIdentity => &[
                "storageAccountResourceIdForManagedIdentity",
                "eventHubResourceIdForManagedIdentity",
                "consumerGroup",
                "managedIdentityResourceId",
            ],
            Kind::Unknown(_) => &[],
        }
    }

    /// The properties `adxconn update` may change on this kind.
    pub fn changeable_properties(&self) -> &'static [&'static str] {
        const INGESTION: [&str; 4] = [
            "tableName",
            "mappingRuleName",
            "dataFormat",
            "databaseRouting",
        ];
        match self {
            Kind::EventHub | Kind::EventHubWithManagedIdentity => &[
                INGESTION[0],
                INGESTION[1],
                INGESTION[2],
                INGESTION[3],
                "consumerGroup",
                "eventSystemProperties",
                "compression",
                "managedIdentityResourceId",
                "retrievalStartDate",
            ],
            Kind::IotHub => &[
                INGESTION[0],
                INGESTION[1],
                INGESTION[2],
                INGESTION[3],
                "consumerGroup",
                "eventSystemProperties",
                "sharedAccessPolicyName",
                "retrievalStartDate",
            ],
            Kind::EventGrid | Kind::EventGridWithManagedIdentity => &[
                INGESTION[0],
                INGESTION[1],
                INGESTION[2],
                INGESTION[3],
                "consumerGroup",
                "ignoreFirstRecord",
                "blobStorageEventType",
                "managedIdentityResourceId",
            ],
            Kind::CosmosDb => &[
                "tableName",
                "mappingRuleName",
                "managedIdentityResourceId",
                "retrievalStartDate",
            ],
            Kind::Unknown(_) => &[],
        }
    }

    /// The `create`/`update` subcommand for this kind.
    pub fn command(&self) -> &'static str {
        match self {
            Kind::IotHub => "iothub",
            Kind::EventGrid | Kind::EventGridWithManagedIdentity => "eventgrid",
            Kind::CosmosDb => "cosmosdb",
            Kind::EventHub | Kind::EventHubWithManagedIdentity => "eventhub",
            Kind::Unknown(_) => "",
        }
    }
}

string_enum! {
    /// The data format of the ingested messages: the union of `EventHubDataFormat`,
    /// `IotHubDataFormat` and `EventGridDataFormat` (which of them a kind accepts is the
    /// service's business; `AZMONSTREAM` is new in 2025-02-14).
    pub enum DataFormat {
        MultiJson => "MULTIJSON",
        Json => "JSON",
        Csv => "CSV",
        Tsv => "TSV",
        Scsv => "SCSV",
        Sohsv => "SOHSV",
        Psv => "PSV",
        Txt => "TXT",
        Raw => "RAW",
        SingleJson => "SINGLEJSON",
        Avro => "AVRO",
        Tsve => "TSVE",
        Parquet => "PARQUET",
        Orc => "ORC",
        ApacheAvro => "APACHEAVRO",
        W3cLogFile => "W3CLOGFILE",
        AzMonStream => "AZMONSTREAM",
    }
    /// A format this version does not know, spelled as received.
    other Other;
}

string_enum! {
    /// The compression of Event Hub messages (`compression`; the service's default is `None`).
    pub enum Compression {
        /// Not compressed (ARM's spelling `None`; always written qualified, `Compression::None`).
        None => "None",
        /// GZip-compressed.
        GZip => "GZip",
    }
    /// A value this version does not know, spelled as received.
    other Other;
}

string_enum! {
    /// Whether messages may name their target database (`databaseRouting`; default `Single`).
    pub enum DatabaseRouting {
        /// Only the connection's database.
        Single => "Single",
        /// Messages may route to other databases.
        Multi => "Multi",
    }
    /// A value this version does not know, spelled as received.
    other Other;
}

string_enum! {
    /// The blob storage event an Event Grid connection ingests on (`blobStorageEventType`).
    pub enum BlobStorageEventType {
        BlobCreated => "Microsoft.Storage.BlobCreated",
        BlobRenamed => "Microsoft.Storage.BlobRenamed",
    }
    /// A value this version does not know, spelled as received.
    other Other;
}

string_enum! {
    /// `provisioningState` of a data connection, also the vocabulary of an operation's
    /// `status` (`Succeeded`, `Failed`, `Canceled`, `Running`). The live service also sends
    /// values outside the spec (`Accepted` after an update PUT), which land in `Other`.
    pub enum ProvisioningState {
        Running => "Running",
        Creating => "Creating",
        Deleting => "Deleting",
        Succeeded => "Succeeded",
        Failed => "Failed",
        Moving => "Moving",
        Canceled => "Canceled",
    }
    /// A state this version does not know, spelled as received (never terminal).
    other Other;
}

impl ProvisioningState {
    /// Whether the state is final under ARM's rules: `Succeeded`, `Failed` or `Canceled`
    /// (matched case-insensitively when read). Everything else, including unknown values,
    /// means "still going".
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// Whether the state is `Succeeded`.
    pub fn is_succeeded(&self) -> bool {
        matches!(self, Self::Succeeded)
    }
}
