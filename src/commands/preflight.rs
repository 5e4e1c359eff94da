//! Checks before a write that cost only reads: what the live service would refuse only after
//! its operation had started.

use crate::arm::operation::NoProgress;
use crate::arm::ArmClient;
use crate::error::Error;
use crate::fleet::{self, Filters, Scope};
use crate::target::ConnectionRef;
use crate::wire::{CheckNameRequest, CheckNameResult, DataConnection};

use super::Context;

/// No other connection of the cluster reads the same Event Hub or IoT Hub with the same
/// consumer group: the service accepts such a write, then fails its operation ("event hub
/// resource id and consumer group tuple provided are already used"). A pre-flight that
/// cannot read the cluster does not stop the write; the service still has the last word.
pub async fn source_is_free(
    context: &Context,
    client: &ArmClient,
    target: &ConnectionRef,
    connection: &DataConnection,
) -> Result<(), Error> {
    let (Some(source), Some(group)) = (connection.message_source_id(), connection.consumer_group())
    else {
        return Ok(());
    };
    let database = &target.database;
    let scope = Scope {
        subscriptions: vec![database.subscription.clone()],
        resource_group: Some(database.resource_group.clone()),
        cluster: Some(database.cluster.clone()),
        database: None,
    };
    let inventory = match fleet::walk(
        client,
        &scope,
        &Filters::default(),
        fleet::DEFAULT_CONCURRENCY,
        &NoProgress,
    )
    .await
    {
        Ok(inventory) => inventory,
        Err(error) if error.is_stop() => return Err(error.into()),
        Err(error) => {
            context.status.info(&format!(
                "could not check the cluster's other connections for the same source and consumer group: {error}"
            ));
            return Ok(());
        }
    };
    let other = inventory.found.iter().find(|found| {
        let same_connection = found
            .database
            .database
            .eq_ignore_ascii_case(&database.database)
            && found.name().eq_ignore_ascii_case(&target.name);
        let theirs = &found.connection.value;
        !same_connection
            && theirs
                .message_source_id()
                .is_some_and(|id| id.eq_ignore_ascii_case(source))
            && theirs
                .consumer_group()
                .is_some_and(|theirs| theirs.eq_ignore_ascii_case(group))
    });
    match other {
        Some(other) => Err(Error::SourceInUse {
            source_id: source.to_string(),
            consumer_group: group.to_string(),
            other: other.target().id(),
        }),
        None => Ok(()),
    }
}

/// The name is free (a connection that was just read as absent may still hold it, e.g. while
/// its deletion finishes): `checkNameAvailability` of the database.
pub async fn name_is_free(client: &ArmClient, target: &ConnectionRef) -> Result<(), Error> {
    let mut path = target.database.path();
    path.push("checkNameAvailability");
    let url = client.url(&path)?;
    let answer: CheckNameResult = match client
        .post(&url, &CheckNameRequest::data_connection(&target.name))
        .await
    {
        Ok(response) => response.decode("the name check")?,
        Err(error) if error.is_stop() => return Err(error.into()),
        // The PUT that follows says what is wrong with the database or the request.
        Err(_) => return Ok(()),
    };
    if answer.name_available == Some(false) {
        return Err(Error::NameTaken {
            name: target.name.clone(),
            reason: answer.message.unwrap_or_default(),
        });
    }
    Ok(())
}
