//! `adxconn update <kind>`: change some properties in place. Read the connection, PATCH its
//! kind, its required properties as they are and the changed ones, wait, print.
//!
//! The kind and the source cannot change in place (the service keeps them); that is refused
//! with the way to do it: delete and create.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Map, Value};

use crate::arm::operation::Operation;
use crate::arm::write::{self, Written};
use crate::cli::UpdateCommand;
use crate::connection::ConnectionPatch;
use crate::error::{Error, InputError};
use crate::wire::{DataConnection, ProvisioningState, Received};

use super::lro::{self, Accepted, Followed};
use super::{missing, Context};

pub async fn run(context: &Context, command: &UpdateCommand) -> Result<(), Error> {
    let (kind_command, args) = command.parts();
    let patch = ConnectionPatch::from_args(args)?;
    let client = context.client(Some(args.wait.timeout.0))?;
    let target = &patch.target;
    let url = client.url(&target.path())?;
    let existing: Received<DataConnection> = match client.get(&url).await {
        Ok(response) => response.decode("the data connection")?,
        Err(error) if error.status() == Some(404) => {
            return Err(missing::explain(
                &client,
                &target.database,
                crate::error::Missing::Connection {
                    name: target.name.clone(),
                    database: target.database.display(),
                }
                .into(),
            )
            .await)
        }
        Err(error) => return Err(error.into()),
    };
    let kind = existing.value.kind();
    if kind.command() != kind_command {
        return Err(InputError::new(
            "update",
            format!(
                "`{}` is a {} connection, not {kind_command}",
                target.name,
                existing.value.kind_name()
            ),
        )
        .hint(if kind.command().is_empty() {
            "adxconn does not know this kind; the kind cannot change in place (delete and create)"
                .to_string()
        } else {
            format!(
                "use `adxconn update {}`; the kind cannot change in place (delete and create)",
                kind.command()
            )
        })
        .into());
    }
    let held = existing
        .json
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (flag, id) in &patch.sources {
        let same = crate::wire::SOURCE_ID_KEYS
            .iter()
            .filter_map(|key| held.get(*key).and_then(Value::as_str))
            .any(|held| held.eq_ignore_ascii_case(id));
        if !same {
            return Err(InputError::new(
                *flag,
                "the source of a data connection cannot change in place",
            )
            .hint("delete the connection and create it again with the new source")
            .into());
        }
    }
    let mut properties = Map::new();
    for key in kind.required_properties() {
        if let Some(value) = held.get(*key) {
            properties.insert((*key).to_string(), value.clone());
        }
    }
    let mut changed = Vec::new();
    for (key, value, flag) in &patch.changes {
        if !kind.changeable_properties().contains(key) {
            return Err(InputError::new(
                *flag,
                format!("{} connections do not take it", existing.value.kind_name()),
            )
            .into());
        }
        let unchanged = held.get(*key).is_some_and(|held| write::equal(held, value));
        if !unchanged {
            changed.push(
                write::Change {
                    property: (*key).to_string(),
                    held: write::shown(held.get(*key)),
                    asked: write::shown(Some(value)),
                }
                .to_string(),
            );
        }
        properties.insert((*key).to_string(), value.clone());
    }
    if changed.is_empty() {
        return Err(InputError::new(
            "update",
            format!(
                "`{}` already has every value given; nothing to change",
                target.name
            ),
        )
        .into());
    }
    let body: DataConnection = serde_json::from_value(serde_json::json!({
        "kind": existing.value.kind_name(),
        "properties": properties,
    }))
    .map_err(|e| InputError::new("update", e.to_string()))?;
    if patch
        .changes
        .iter()
        .any(|(key, ..)| *key == "consumerGroup")
    {
        super::preflight::source_is_free(context, &client, target, &body).await?;
    }
    let started = Instant::now();
    context.status.info(&format!(
        "Updating data connection `{}` in `{}`: {}",
        target.name,
        target.database.display(),
        changed.join("; ")
    ));
    let accepted = match write::patch(&client, &url, &body).await? {
        Written::Answered(response) => {
            let resource: Option<Received<DataConnection>> = response
                .decode("the updated data connection")
                .ok()
                .flatten();
            let settled = resource
                .as_ref()
                .and_then(|resource| resource.value.provisioning_state())
                .is_none_or(|state| state.is_terminal());
            let otherwise = (!settled || response.status == StatusCode::ACCEPTED)
                .then(|| Operation::for_resource(&url));
            Accepted::answered(&client, target, "PATCH", &url, &response, otherwise)?
        }
        Written::Applied(resource) => {
            Accepted::applied(target, "PATCH", &url, Operation::for_resource(&url))
                .with_resource(*resource)
        }
        Written::Gone | Written::Deleted => {
            return Err(crate::arm::ArmError::Decode {
                what: "the PATCH's outcome".into(),
                problem: "the connection vanished while it was being updated".into(),
            }
            .into())
        }
    };
    if lro::follow(context, &client, &accepted, args.wait.no_wait).await? == Followed::NotWaited {
        return Ok(());
    }
    let resource: Received<DataConnection> = client
        .get(&url)
        .await
        .map_err(|error| error.started_by("PATCH", &url))?
        .decode("the data connection")?;
    let state = resource
        .value
        .provisioning_state()
        .unwrap_or(ProvisioningState::Succeeded);
    context.status.info(&format!(
        "Updated data connection `{}` ({state}) in {}",
        target.name,
        crate::duration::display(started.elapsed())
    ));
    let view = super::viewed(&client, resource, &target.database).await?;
    context.printer.connection(&view)
}
