//! Asking the service whether a data connection would work, before creating it:
//! `POST …/databases/{d}/dataConnectionValidation`, a long-running action.
//!
//! As the live service answers it (recorded): 202 with `Azure-AsyncOperation` and a `Location`
//! whose query says `operationResultResponseType=Location`. The operation is followed to its
//! end, then `Location` answers the findings, `{"value": [{"errorMessage": …}]}`. A 200 with
//! the findings at once is read as well.

use serde::Serialize;
use url::Url;

use super::operation::{self, Operation, ProgressReport};
use super::{ArmClient, ArmError};
use crate::wire::{DataConnection, DataConnectionValidationListResult};

/// The request: the name the connection would have (so an existing one is not compared with
/// itself) and the connection.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    data_connection_name: &'a str,
    properties: &'a DataConnection,
}

/// The service's findings about `connection` named `name` in the database at `database_url`
/// (`…/databases/{d}`); empty when it found nothing wrong.
pub async fn validate(
    client: &ArmClient,
    database_path: &[&str],
    name: &str,
    connection: &DataConnection,
    progress: &dyn ProgressReport,
) -> Result<Vec<String>, ArmError> {
    let mut path = database_path.to_vec();
    path.push("dataConnectionValidation");
    let url = client.url(&path)?;
    let response = client
        .post(
            &url,
            &Request {
                data_connection_name: name,
                properties: connection,
            },
        )
        .await?;
    let result: DataConnectionValidationListResult = if response.status.as_u16() == 202 {
        let results = match response.header("location") {
            Some(location) => Some(client.checked_link(location)?),
            None => None,
        };
        if let Some(operation) = Operation::from_response(client, &response)? {
            operation::wait(client, &operation, response.retry_after(), progress)
                .await
                .map_err(|error| error.started_by("POST", &url))?;
        }
        match results {
            Some(results) => findings(client, &results).await?,
            None => {
                return Err(ArmError::Decode {
                    what: "the validation's answer".into(),
                    problem: "it has no `Location` to read the findings from".into(),
                })
            }
        }
    } else {
        response.decode("the validation's findings")?
    };
    Ok(result.messages().into_iter().map(str::to_string).collect())
}

async fn findings(
    client: &ArmClient,
    url: &Url,
) -> Result<DataConnectionValidationListResult, ArmError> {
    client.poll(url).await?.decode("the validation's findings")
}
