//! The other bodies ARM sends about data connections: list pages, the status of a
//! long-running operation, errors, validation results and name checks.

use std::fmt;

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::enums::ProvisioningState;
use super::unset;

/// One page of a list (`DataConnectionListResult` and the like).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(deserialize = "T: DeserializeOwned", serialize = "T: Serialize")
)]
pub struct Page<T> {
    /// The items; absent, `null` or `""` read as none.
    #[serde(default = "Vec::new", deserialize_with = "unset::unset_as_default")]
    pub value: Vec<T>,
    /// The next page's URL, to GET verbatim; `""`/`null` read as `None` (the last page).
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            value: Vec::new(),
            next_link: None,
        }
    }
}

/// The body of an `Azure-AsyncOperation` URL (Kusto's `OperationResult`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    /// `…/locations/{location}/operationresults/{id}` (the live service writes the location
    /// with a literal space and `operationresults` in lower case).
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The operation id.
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// `Succeeded`, `Failed`, `Canceled` (terminal) or anything else (running), as received;
    /// see [`OperationStatus::state`].
    #[serde(default, deserialize_with = "unset::unset_as_default")]
    pub status: String,
    /// The start time, as received.
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<String>,
    /// The end time, as received (equal to the start time while running, in practice).
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_time: Option<String>,
    /// `percentComplete` as received: a 0–1 fraction from the live service, despite the
    /// schema's 0–100; see [`OperationStatus::percent`]. A value that is not a number reads as
    /// `None`.
    #[serde(
        default,
        deserialize_with = "unset::lenient_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub percent_complete: Option<f64>,
    /// The error of a failed or canceled operation.
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub error: Option<ErrorDetail>,
    /// `properties` as received (`operationKind`/`OperationKind`, `operationState`,
    /// `provisioningState`, a validation's `value`, …); `Value::Null` when absent.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub properties: Value,
    /// Any other member, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OperationStatus {
    /// `status` read as a state (case-insensitively).
    pub fn state(&self) -> ProvisioningState {
        ProvisioningState::parse(&self.status)
    }

    /// Whether the operation has ended (see [`ProvisioningState::is_terminal`]).
    pub fn is_terminal(&self) -> bool {
        self.state().is_terminal()
    }

    /// Whether the operation has ended well.
    pub fn is_succeeded(&self) -> bool {
        self.state().is_succeeded()
    }

    /// Progress in percent, 0–100. The live service sends a 0–1 fraction (`0.5` while
    /// running, `1.0` when done) although the schema says 0–100, so a value up to 1.0 is taken
    /// as a fraction (so `1` means done, never 1 %); a larger one as a percentage. Clamped to
    /// 0–100.
    pub fn percent(&self) -> Option<f64> {
        let raw = self.percent_complete?;
        let percent = if raw <= 1.0 { raw * 100.0 } else { raw };
        Some(percent.clamp(0.0, 100.0))
    }

    /// `properties.operationKind` (the track-1 era service spells it `OperationKind`).
    pub fn operation_kind(&self) -> Option<&str> {
        self.property("operationKind")
    }

    /// `properties.operationState` (e.g. `InProgress`, `Completed`, `BadInput`).
    pub fn operation_state(&self) -> Option<&str> {
        self.property("operationState")
    }

    /// A non-empty string member of `properties`, its name matched case-insensitively.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .as_object()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.as_str())
            .filter(|text| !text.is_empty())
    }
}

/// ARM's error envelope: `{"error": {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error; empty when the body had none.
    #[serde(default, alias = "Error")]
    pub error: ErrorDetail,
}

/// ARM's `ErrorDetail` (also Kusto's `OperationResultErrorProperties`, which is its `code` and
/// `message`). Every piece may be missing; member names are also accepted capitalised (as old
/// front ends send them), and a bare string reads as the message.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// The error code (PascalCase, not localised), e.g. `ResourceNotFound`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The message (localised).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Nested errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
    /// `additionalInfo` as received (`[{"type", "info"}]` in the schema); `Value::Null` when
    /// absent.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub additional_info: Value,
    /// Any other member, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What `ErrorDetail` reads from an object.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDetailMembers {
    #[serde(default, alias = "Code", deserialize_with = "unset::unset_as_none")]
    code: Option<String>,
    #[serde(default, alias = "Message", deserialize_with = "unset::unset_as_none")]
    message: Option<String>,
    #[serde(default, alias = "Target", deserialize_with = "unset::unset_as_none")]
    target: Option<String>,
    #[serde(default, alias = "Details")]
    details: Value,
    #[serde(default, alias = "AdditionalInfo")]
    additional_info: Value,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for ErrorDetail {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(message) => Ok(Self {
                message: Some(message).filter(|text| !text.is_empty()),
                ..Self::default()
            }),
            Value::Null => Ok(Self::default()),
            value @ Value::Object(_) => {
                let members = ErrorDetailMembers::deserialize(value).map_err(D::Error::custom)?;
                let details = match members.details {
                    Value::Array(items) => items
                        .into_iter()
                        .filter(|item| !unset::is_unset(item))
                        .map(ErrorDetail::deserialize)
                        .collect::<Result<_, _>>()
                        .map_err(D::Error::custom)?,
                    value @ Value::Object(_) => {
                        vec![ErrorDetail::deserialize(value).map_err(D::Error::custom)?]
                    }
                    _ => Vec::new(),
                };
                Ok(Self {
                    code: members.code,
                    message: members.message,
                    target: members.target,
                    details,
                    additional_info: members.additional_info,
                    extra: members.extra,
                })
            }
            other => Err(D::Error::custom(format!(
                "an error is an object or a string, not {other}"
            ))),
        }
    }
}

impl ErrorDetail {
    /// The error in a response body: `{"error": {...}}` (ARM's envelope), or the bare
    /// `{"code", "message"}` some endpoints send. `None` when the body is empty, not JSON, or
    /// carries neither a code nor a message.
    pub fn from_body(body: &[u8]) -> Option<ErrorDetail> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let value: Value = serde_json::from_slice(body).ok()?;
        let object = value.as_object()?;
        let inner = object
            .iter()
            .find(|(key, value)| {
                key.eq_ignore_ascii_case("error") && (value.is_object() || value.is_string())
            })
            .map(|(_, value)| value);
        let detail = ErrorDetail::deserialize(inner.unwrap_or(&value)).ok()?;
        (detail.code.is_some() || detail.message.is_some()).then_some(detail)
    }
}

impl fmt::Display for ErrorDetail {
    /// `code: message`, or whichever of the two there is.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(formatter, "{code}: {message}"),
            (Some(only), None) | (None, Some(only)) => formatter.write_str(only),
            (None, None) => formatter.write_str("unknown error"),
        }
    }
}

/// One finding of `dataConnectionValidation`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataConnectionValidationResult {
    /// What is wrong.
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
    /// Any other member, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The result of `dataConnectionValidation`: `{"value": [...]}`, no findings meaning valid.
/// A bare array (as one official example shows) and `null` are accepted too; it is always
/// written as `{"value": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DataConnectionValidationListResult {
    /// The findings.
    pub value: Vec<DataConnectionValidationResult>,
}

impl DataConnectionValidationListResult {
    /// Whether the service found nothing wrong.
    pub fn is_valid(&self) -> bool {
        self.value.is_empty()
    }

    /// The findings' messages.
    pub fn messages(&self) -> Vec<&str> {
        self.value
            .iter()
            .filter_map(|finding| finding.error_message.as_deref())
            .collect()
    }
}

impl<'de> Deserialize<'de> for DataConnectionValidationListResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = match Value::deserialize(deserializer)? {
            Value::Null => return Ok(Self::default()),
            Value::Array(items) => Value::Array(items),
            Value::Object(mut members) => members.remove("value").unwrap_or(Value::Null),
            other => {
                return Err(D::Error::custom(format!(
                    "a validation result is an object or an array, not {other}"
                )))
            }
        };
        let value = match items {
            Value::Null => Vec::new(),
            items => Vec::deserialize(items).map_err(D::Error::custom)?,
        };
        Ok(Self { value })
    }
}

/// The `type` a data connection's name check names.
pub const DATA_CONNECTION_TYPE: &str = "Microsoft.Kusto/clusters/databases/dataConnections";

/// The body of a data connection's `checkNameAvailability` (`DataConnectionCheckNameRequest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckNameRequest {
    /// The name to check.
    pub name: String,
    /// Always [`DATA_CONNECTION_TYPE`] for a data connection.
    #[serde(rename = "type")]
    pub resource_type: String,
}

impl CheckNameRequest {
    /// The check of a data connection name.
    pub fn data_connection(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            resource_type: DATA_CONNECTION_TYPE.to_owned(),
        }
    }
}

/// The answer of `checkNameAvailability` (`CheckNameResult`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckNameResult {
    /// The name checked.
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Whether the name is free.
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub name_available: Option<bool>,
    /// Why not (the live service sends `""` when the name is free).
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// `Invalid` or `AlreadyExists`, as received.
    #[serde(
        default,
        deserialize_with = "unset::unset_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<String>,
    /// Any other member, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What adxconn reads of a subscription (`GET /subscriptions/{id}`, Microsoft.Resources): the
/// tenant that owns it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// The owning tenant's id; `""`/`null` read as unknown.
    #[serde(default, deserialize_with = "unset::unset_as_none")]
    pub tenant_id: Option<String>,
}

/// What adxconn reads of a Kusto cluster: its region, which its data connections share.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Cluster {
    /// The region; `""`/`null` read as unknown.
    #[serde(default, deserialize_with = "unset::unset_as_none")]
    pub location: Option<String>,
}

/// What adxconn reads of a resource in a list of clusters or databases: its id and name.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct TrackedResource {
    /// The ARM id; `""`/`null` read as unknown.
    #[serde(default, deserialize_with = "unset::unset_as_none")]
    pub id: Option<String>,
    /// The name (`cluster/database` for a database).
    #[serde(default, deserialize_with = "unset::unset_as_none")]
    pub name: Option<String>,
}
