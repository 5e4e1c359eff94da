//! `adxconn create <kind>`: the one create flow for every kind.
//!
//! check input → (read the cluster's location) → PUT → wait for the operation → GET → print.

use std::time::Instant;

use serde_json::{json, Value};
use url::Url;

use crate::arm::operation::{self, Operation, Waiting};
use crate::arm::write::{self, Written};
use crate::arm::{arm_url, ArmClient, ArmError};
use crate::cli::{OutputFormat, WriteArgs};
use crate::connection::ConnectionSpec;
use crate::error::Error;
use crate::interrupt::Interrupt;
use crate::target::DatabaseRef;

use super::Context;

pub async fn run(context: &Context, spec: &ConnectionSpec, write: &WriteArgs) -> Result<(), Error> {
    let timeout = super::timeout(&write.wait.timeout)?;
    if write.dry_run {
        return dry_run(context, spec);
    }
    let client = context.client()?;
    let interrupt = Interrupt::listen();
    let url = client.url(&spec.target.path());
    let location = match &spec.location {
        Some(location) => location.clone(),
        None => cluster_location(&client, &spec.target.database).await?,
    };
    let started = Instant::now();
    context.status.info(&format!(
        "Creating {} data connection `{}` in `{}` ({location})",
        spec.kind.as_str(),
        spec.target.name,
        spec.target.database.display()
    ));
    let written = write::put(&client, &url, &spec.body(Some(&location)))
        .await
        .map_err(|error| cross_tenant(error, spec, &client))?;
    let (operation, first_delay, accepted) = match written {
        Written::Answered(response) => {
            let accepted = response.json("the created data connection")?;
            let operation = match Operation::from_response(&client, &response)? {
                Some(operation) => Some(operation),
                // No status URL: follow the resource while its provisioningState is not final.
                None if !is_terminal(&accepted) => Some(Operation::for_resource(&url)),
                None => None,
            };
            (operation, response.retry_after(), accepted)
        }
        Written::Applied(resource) => {
            context.status.info(
                "The answer to the PUT was lost, but Azure applied it; following the connection",
            );
            (Some(Operation::for_resource(&url)), None, resource)
        }
        Written::Gone => unreachable_gone()?,
    };
    if write.wait.no_wait {
        return accepted_without_waiting(context, operation.as_ref(), &accepted);
    }
    if let Some(operation) = &operation {
        let waiting = Waiting {
            timeout,
            status: &context.status,
            interrupt: &interrupt,
        };
        operation::wait(&client, operation, first_delay, &waiting)
            .await
            .map_err(|error| error.started_by("PUT", &url))?;
    }
    let resource = client.get(&url).await?.json("the data connection")?;
    let state = resource
        .pointer("/properties/provisioningState")
        .and_then(Value::as_str)
        .unwrap_or("Succeeded");
    if !state.eq_ignore_ascii_case("succeeded") {
        return Err(ArmError::OperationFailed {
            status: state.to_string(),
            code: "ProvisioningNotSucceeded".into(),
            message: format!("the data connection is `{state}` after the operation ended"),
            operation: operation.map(|o| o.url.to_string()).unwrap_or_default(),
        }
        .into());
    }
    context.status.info(&format!(
        "Created data connection `{}` ({state}) in {}",
        spec.target.name,
        crate::duration::display(started.elapsed())
    ));
    context.printer.connection(&resource)
}

/// ARM's "you may not touch the linked source" answers, turned into an error that names each
/// source's subscription and says what to pass.
fn cross_tenant(error: ArmError, spec: &ConnectionSpec, client: &ArmClient) -> Error {
    let linked = match &error {
        ArmError::Api(api) => {
            api.code.eq_ignore_ascii_case("LinkedAuthorizationFailed")
                || api.code.eq_ignore_ascii_case("LinkedInvalidPropertyId")
                || (api.status.as_u16() == 401
                    && api.message.to_ascii_lowercase().contains("auxiliary"))
        }
        _ => false,
    };
    if !linked {
        return error.into();
    }
    let resource = serde_json::json!({ "properties": spec.properties });
    let sources = crate::tenancy::source_ids(&resource)
        .into_iter()
        .filter(|id| {
            !id.subscription()
                .eq_ignore_ascii_case(&spec.target.database.subscription)
        })
        .map(|id| (id.to_string(), id.subscription().to_string()))
        .collect();
    Error::CrossTenant {
        error,
        sources,
        had_auxiliary: client.has_auxiliary(),
    }
}

/// A PUT never reports `Gone`; kept as an error rather than a panic all the same.
fn unreachable_gone<T>() -> Result<T, Error> {
    Err(ArmError::Decode {
        what: "the PUT's outcome".into(),
        problem: "the resource vanished while it was being created".into(),
    }
    .into())
}

/// The cluster's region, which a data connection shares unless `--location` says otherwise.
async fn cluster_location(client: &ArmClient, database: &DatabaseRef) -> Result<String, Error> {
    let cluster = client
        .get(&client.url(&database.cluster_path()))
        .await?
        .json("the cluster")?;
    match cluster.get("location").and_then(Value::as_str) {
        Some(location) if !location.is_empty() => Ok(location.to_string()),
        _ => Err(ArmError::Decode {
            what: "the cluster".into(),
            problem: "it has no `location`; pass --location".into(),
        }
        .into()),
    }
}

fn is_terminal(resource: &Value) -> bool {
    resource
        .pointer("/properties/provisioningState")
        .and_then(Value::as_str)
        .is_none_or(|state| {
            ["succeeded", "failed", "canceled"]
                .iter()
                .any(|terminal| state.eq_ignore_ascii_case(terminal))
        })
}

fn accepted_without_waiting(
    context: &Context,
    operation: Option<&Operation>,
    accepted: &Value,
) -> Result<(), Error> {
    let url = operation.map(|operation| operation.url.to_string());
    context
        .status
        .info("Accepted; not waiting (--no-wait). The operation goes on in Azure.");
    match context.printer.format() {
        OutputFormat::Json => context.printer.json(&json!({
            "operation": url,
            "resource": accepted,
        })),
        OutputFormat::Table => match url {
            Some(url) => context.printer.text(&format!("{url}\n")),
            None => Ok(()),
        },
    }
}

/// A request as `--dry-run` shows it.
struct Planned {
    method: &'static str,
    url: Url,
    purpose: &'static str,
    body: Option<Value>,
}

/// Prints the requests a create would send, and sends none: not even a token request.
fn dry_run(context: &Context, spec: &ConnectionSpec) -> Result<(), Error> {
    let endpoint = &context.endpoints.arm;
    let mut plan = Vec::new();
    let location = match &spec.location {
        Some(location) => location.clone(),
        None => {
            plan.push(Planned {
                method: "GET",
                url: arm_url(endpoint, &spec.target.database.cluster_path()),
                purpose: "read the cluster's location",
                body: None,
            });
            "<the cluster's location>".to_string()
        }
    };
    plan.push(Planned {
        method: "PUT",
        url: arm_url(endpoint, &spec.target.path()),
        purpose: "create the data connection",
        body: Some(spec.body(Some(&location))),
    });
    context
        .status
        .info("Dry run: these requests would be sent (then the operation would be polled):");
    match context.printer.format() {
        OutputFormat::Json => {
            let requests: Vec<Value> = plan
                .iter()
                .map(|request| {
                    let mut headers =
                        json!({"Authorization": "Bearer [redacted]", "Accept": "application/json"});
                    if request.body.is_some() {
                        headers["Content-Type"] = json!("application/json");
                    }
                    json!({
                        "method": request.method,
                        "url": request.url.as_str(),
                        "purpose": request.purpose,
                        "headers": headers,
                        "body": request.body,
                    })
                })
                .collect();
            context.printer.json(&Value::Array(requests))
        }
        OutputFormat::Table => {
            let mut text = String::new();
            for request in &plan {
                text.push_str(&format!(
                    "# {}\n{} {}\nAuthorization: Bearer [redacted]\nAccept: application/json\n",
                    request.purpose, request.method, request.url
                ));
                if let Some(body) = &request.body {
                    text.push_str("Content-Type: application/json\n\n");
                    text.push_str(&serde_json::to_string_pretty(body).unwrap_or_default());
                    text.push('\n');
                }
                text.push('\n');
            }
            context.printer.text(&text)
        }
    }
}
