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

/// Rounds of "send, answer lost, look" before giving up.
const MAX_ROUNDS: u32 = 5;

/// What became of a write.
#[derive(Debug)]
pub enum Written {
    /// Azure answered it.
    Answered(Response),
    /// The answer was lost, but the resource shows it was applied; here is the resource as read.
    Applied(Value),
    /// (DELETE) Azure answered that there was nothing to delete.
    Gone,
    /// (DELETE) The answer was lost and the resource is gone: this request deleted it.
    Deleted,
}

pub async fn put(client: &ArmClient, url: &Url, body: &Value) -> Result<Written, ArmError> {
    let mut round = 0;
    loop {
        round += 1;
        match client.put(url, body).await {
            Ok(response) => return Ok(Written::Answered(response)),
            Err(error @ ArmError::Unanswered { .. }) => {
                client.trace_note(
                    "the PUT's answer was lost; reading the resource before sending it again",
                );
                match read(client, url).await? {
                    Some(resource) if holds(&resource, body) => {
                        return Ok(Written::Applied(resource))
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
                    Some(resource) if state_is(&resource, "Deleting") => {
                        return Ok(Written::Applied(resource))
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
async fn read(client: &ArmClient, url: &Url) -> Result<Option<Value>, ArmError> {
    match client.get(url).await {
        Ok(response) => response.json("the resource").map(Some),
        Err(error) if error.status() == Some(404) => Ok(None),
        Err(error) => Err(error),
    }
}

fn state_is(resource: &Value, state: &str) -> bool {
    resource
        .pointer("/properties/provisioningState")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(state))
}

/// Whether `resource` carries everything `body` asked for: same kind, and each sent property
/// equal (strings case-insensitively, as ARM treats ids and enum values).
pub fn holds(resource: &Value, body: &Value) -> bool {
    let same_kind = match (resource.get("kind"), body.get("kind")) {
        (Some(Value::String(a)), Some(Value::String(b))) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
    let Some(Value::Object(sent)) = body.get("properties") else {
        return same_kind;
    };
    same_kind
        && sent.iter().all(|(key, value)| {
            resource
                .get("properties")
                .and_then(|p| p.get(key))
                .is_some_and(|held| equal(held, value))
        })
}

fn equal(held: &Value, sent: &Value) -> bool {
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
    use serde_json::json;

    use super::holds;

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
        assert!(holds(&resource, &body));
        let mut other = resource.clone();
        other["properties"]["consumerGroup"] = json!("adx");
        assert!(!holds(&other, &body));
        let mut kind = resource.clone();
        kind["kind"] = json!("IotHub");
        assert!(!holds(&kind, &body));
    }
}
