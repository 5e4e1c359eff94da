//! Writes that survive lost answers.
//!
//! When the connection drops after a PUT or DELETE was sent, the write may have been applied.
//! Sending it again blindly meets the operation the first one started (409) or starts a second
//! one. So we look first: GET the resource, and decide from what is there.
//! - PUT: the resource holds what we sent → it was applied; wait on it. Otherwise send again.
//! - DELETE: the resource is gone or `Deleting` → it was applied. Otherwise send again.

use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use super::{ArmClient, ArmError, Response};
use crate::wire::{DataConnection, ProvisioningState, Received};

/// Rounds of "send, answer lost, look" before giving up.
const MAX_ROUNDS: u32 = 5;

/// What became of a write.
#[derive(Debug)]
pub enum Written {
    /// Azure answered it.
    Answered(Response),
    /// The answer was lost, but the resource shows it was applied; here is the resource as read.
    Applied(Box<Received<DataConnection>>),
    /// (DELETE) Azure answered that there was nothing to delete.
    Gone,
    /// (DELETE) The answer was lost and the resource is gone: this request deleted it.
    Deleted,
}

pub async fn put(
    client: &ArmClient,
    url: &Url,
    body: &DataConnection,
) -> Result<Written, ArmError> {
    replace_or_update(client, url, body, false).await
}

/// A PATCH; `body` holds every property the connection will have that the PATCH names, so a
/// lost answer is reconciled exactly as a PUT's.
pub async fn patch(
    client: &ArmClient,
    url: &Url,
    body: &DataConnection,
) -> Result<Written, ArmError> {
    replace_or_update(client, url, body, true).await
}

async fn replace_or_update(
    client: &ArmClient,
    url: &Url,
    body: &DataConnection,
    patch: bool,
) -> Result<Written, ArmError> {
    let mut round = 0;
    loop {
        round += 1;
        let sent = if patch {
            client.patch(url, body).await
        } else {
            client.put(url, body).await
        };
        match sent {
            Ok(response) => return Ok(Written::Answered(response)),
            Err(error @ ArmError::Unanswered { .. }) => {
                client.trace_note(
                    "the write's answer was lost; reading the resource before sending it again",
                );
                match read(client, url).await? {
                    Some(resource) if holds(&resource.value, body) => {
                        return Ok(Written::Applied(Box::new(resource)))
                    }
                    _ if round >= MAX_ROUNDS => return Err(error),
                    _ => client.pause_before_retry(round).await?,
                }
            }
            Err(error) => return Err(error),
        }
    }
}

pub async fn delete(client: &ArmClient, url: &Url) -> Result<Written, ArmError> {
    let mut round = 0;
    loop {
        round += 1;
        match client.delete(url).await {
            Ok(response) if response.status == StatusCode::NO_CONTENT => return Ok(Written::Gone),
            Ok(response) => return Ok(Written::Answered(response)),
            Err(error) if error.status() == Some(404) => return Ok(Written::Gone),
            Err(error @ ArmError::Unanswered { .. }) => {
                client.trace_note(
                    "the DELETE's answer was lost; reading the resource before sending it again",
                );
                match read(client, url).await? {
                    None => return Ok(Written::Deleted),
                    Some(resource)
                        if resource.value.provisioning_state()
                            == Some(ProvisioningState::Deleting) =>
                    {
                        return Ok(Written::Applied(Box::new(resource)))
                    }
                    _ if round >= MAX_ROUNDS => return Err(error),
                    _ => client.pause_before_retry(round).await?,
                }
            }
            Err(error) => return Err(error),
        }
    }
}

/// GET; `None` when the resource does not exist.
async fn read(client: &ArmClient, url: &Url) -> Result<Option<Received<DataConnection>>, ArmError> {
    match client.get(url).await {
        Ok(response) => response.decode("the data connection").map(Some),
        Err(error) if error.status() == Some(404) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Whether `resource` carries everything `body` asked for: same kind, and each property sent
/// equal (strings case-insensitively, as ARM treats ids and enum values). Compared as the JSON
/// each would put on the wire, so a property added to the model needs nothing here.
pub fn holds(resource: &DataConnection, body: &DataConnection) -> bool {
    differences(resource, body).is_empty()
}

/// One property a write would change: its name, and its value held and asked (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub property: String,
    pub held: String,
    pub asked: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} → {}", self.property, self.held, self.asked)
    }
}

/// What `body` asks for that `resource` does not hold (see `holds`): the kind, or each
/// property sent that differs.
pub fn differences(resource: &DataConnection, body: &DataConnection) -> Vec<Change> {
    if resource.kind() != body.kind() {
        return vec![Change {
            property: "kind".into(),
            held: resource.kind_name().to_string(),
            asked: body.kind_name().to_string(),
        }];
    }
    let (Ok(held), Ok(Value::Object(sent))) = (
        serde_json::to_value(&resource.properties),
        serde_json::to_value(&body.properties),
    ) else {
        return Vec::new();
    };
    sent.iter()
        .filter(|(key, value)| {
            !held
                .get(key.as_str())
                .is_some_and(|held| equal(held, value))
        })
        .map(|(key, value)| Change {
            property: key.clone(),
            held: shown(held.get(key.as_str())),
            asked: shown(Some(value)),
        })
        .collect()
}

/// A value as the change list shows it: strings bare, unset as `(unset)`.
pub fn shown(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(unset)".into(),
        Some(Value::String(text)) if text.is_empty() => "(unset)".into(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Whether a property held equals one sent, as ARM compares them (strings ignoring case).
pub fn equal(held: &Value, sent: &Value) -> bool {
    match (held, sent) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equal(x, y))
        }
        _ => held == sent,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::holds;
    use crate::wire::DataConnection;

    fn holds_json(resource: &Value, body: &Value) -> bool {
        let read =
            |value: &Value| -> DataConnection { serde_json::from_value(value.clone()).unwrap() };
        holds(&read(resource), &read(body))
    }

    #[test]
    fn a_resource_holds_what_was_sent_ignoring_case_and_server_fields() {
        let body = json!({"location": "westeurope", "kind": "EventHub", "properties": {
            "eventHubResourceId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/h",
            "consumerGroup": "$Default",
            "eventSystemProperties": ["x-opt-offset"]
        }});
        let resource = json!({"kind": "EventHub", "location": "West Europe", "properties": {
            "eventHubResourceId": "/subscriptions/x/resourceGroups/RG/providers/Microsoft.EventHub/namespaces/ns/eventhubs/h",
            "consumerGroup": "$Default",
            "eventSystemProperties": ["x-opt-offset"],
            "tableName": "",
            "provisioningState": "Creating"
        }});
        assert!(holds_json(&resource, &body));
        let mut other = resource.clone();
        other["properties"]["consumerGroup"] = json!("adx");
        assert!(!holds_json(&other, &body));
        let mut kind = resource.clone();
        kind["kind"] = json!("IotHub");
        assert!(!holds_json(&kind, &body));
    }
}
