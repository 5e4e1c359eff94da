//! What a 404 means. ARM answers `ResourceNotFound` for a missing cluster, database and data
//! connection alike, so a 404 on a connection says "absent" only once its database is known
//! to exist. Otherwise the part that is wrong (a typo in `--database`, `--cluster`, `-g` or
//! `--subscription`) is named: a cleanup script must never report success for a typo.

use crate::arm::{ArmClient, ArmError};
use crate::error::{Error, Missing};
use crate::target::{ConnectionRef, DatabaseRef};

/// Checks that `database` exists; when it does not, the error names the missing part.
pub async fn check_database(client: &ArmClient, database: &DatabaseRef) -> Result<(), Error> {
    match client.get(&client.url(&database.path())?).await {
        Ok(_) => Ok(()),
        Err(error) if error.status() == Some(404) => Err(missing_part(client, database, &error)
            .await
            .unwrap_or_else(|| Missing::Database {
                name: database.database.clone(),
                cluster: database.cluster.clone(),
            })
            .into()),
        Err(error) => Err(error.into()),
    }
}

/// A 404 for `target`: `NotFound` for the connection if its database exists, else the error
/// that names the missing part.
pub async fn connection_absent(
    client: &ArmClient,
    target: &ConnectionRef,
) -> Result<Missing, Error> {
    check_database(client, &target.database).await?;
    Ok(Missing::Connection {
        name: target.name.clone(),
        database: target.database.display(),
    })
}

/// Turns a 404 `error` on something under `database` into the part that is missing, if it
/// says so: from ARM's code when it is specific, else by reading the cluster.
pub async fn missing_part(
    client: &ArmClient,
    database: &DatabaseRef,
    error: &ArmError,
) -> Option<Missing> {
    let ArmError::Api(api) = error else {
        return None;
    };
    if api.code.eq_ignore_ascii_case("SubscriptionNotFound") {
        return Some(Missing::Subscription {
            id: database.subscription.clone(),
        });
    }
    if api.code.eq_ignore_ascii_case("ResourceGroupNotFound") {
        return Some(Missing::ResourceGroup {
            name: database.resource_group.clone(),
            subscription: database.subscription.clone(),
        });
    }
    let cluster_url = client.url(&database.cluster_path()).ok()?;
    match client.get(&cluster_url).await {
        Err(error) if error.status() == Some(404) => match &error {
            ArmError::Api(api) if api.code.eq_ignore_ascii_case("ResourceGroupNotFound") => {
                Some(Missing::ResourceGroup {
                    name: database.resource_group.clone(),
                    subscription: database.subscription.clone(),
                })
            }
            _ => Some(Missing::Cluster {
                name: database.cluster.clone(),
                resource_group: database.resource_group.clone(),
            }),
        },
        Ok(_) => Some(Missing::Database {
            name: database.database.clone(),
            cluster: database.cluster.clone(),
        }),
        Err(_) => None,
    }
}

/// Any error of a request under `database`: a 404 becomes the missing part it means
/// (`NotFound`, exit 5).
pub async fn explain(client: &ArmClient, database: &DatabaseRef, error: Error) -> Error {
    match error {
        Error::Arm(arm) if arm.status() == Some(404) => {
            match missing_part(client, database, &arm).await {
                Some(missing) => missing.into(),
                None => Error::Arm(arm),
            }
        }
        other => other,
    }
}

/// A refused write under `database`: ARM's error stands (exit 1), and a 404 is told apart
/// into the part of the address that is missing.
pub async fn annotate(client: &ArmClient, database: &DatabaseRef, error: ArmError) -> Error {
    if error.status() != Some(404) {
        return error.into();
    }
    match missing_part(client, database, &error).await {
        Some(missing) => Error::WrongAddress {
            error: Box::new(error),
            missing,
        },
        None => error.into(),
    }
}
