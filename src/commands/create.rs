//! `adxconn create <kind>`: the one create flow for every kind.
//!
//! check input → (read the cluster's location) → PUT → wait for the operation → GET → print.

use std::time::Instant;

use serde_json::{json, Value};

use reqwest::Method;

use crate::arm::operation::Operation;
use crate::arm::write::{self, Written};
use crate::arm::{to_json, ArmClient, ArmError};
use crate::cli::WriteArgs;
use crate::connection::ConnectionSpec;
use crate::error::Error;
use crate::target::DatabaseRef;
use crate::wire::{Cluster, DataConnection, ProvisioningState, Received};

use super::lro::{self, Accepted, Followed};
use super::{missing, Context};

pub async fn run(context: &Context, spec: &ConnectionSpec, write: &WriteArgs) -> Result<(), Error> {
    let timeout = write.wait.timeout.0;
    let client = context.client(Some(timeout))?;
    if write.dry_run {
        return dry_run(context, &client, spec, write.replace);
    }
    let url = client.url(&spec.target.path())?;
    if !write.replace {
        if let Some(existing) = existing(&client, &url, spec).await? {
            return already_there(context, &client, spec, existing).await;
        }
    }
    // `--replace` is ARM's blind create-or-replace: no read before it.
    if !write.replace {
        super::preflight::name_is_free(&client, &spec.target).await?;
        super::preflight::source_is_free(context, &client, &spec.target, &spec.body(None)).await?;
    }
    let location = match &spec.location {
        Some(location) => location.clone(),
        None => cluster_location(&client, &spec.target.database).await?,
    };
    if write.validate {
        let problems = validation(context, &client, spec, &location).await?;
        if !problems.is_empty() {
            return invalid(context, spec, problems);
        }
        context
            .status
            .info("Azure found no problem with the connection; creating it");
    }
    let started = Instant::now();
    context.status.info(&format!(
        "Creating {} data connection `{}` in `{}` ({location})",
        spec.kind(),
        spec.target.name,
        spec.target.database.display()
    ));
    let body = spec.body(Some(&location));
    let written = match write::put(&client, &url, &body).await {
        Ok(written) => written,
        Err(error) if error.status() == Some(404) => {
            return Err(missing::annotate(&client, &spec.target.database, error).await)
        }
        Err(error) => return Err(cross_tenant(error, spec, &client)),
    };
    let accepted = match written {
        Written::Answered(response) => {
            let resource: Option<Received<DataConnection>> =
                response.decode("the created data connection")?;
            // No status URL: follow the resource while its provisioningState is not final.
            let settled = resource
                .as_ref()
                .and_then(|resource| resource.value.provisioning_state())
                .is_none_or(|state| state.is_terminal());
            let otherwise = (!settled).then(|| Operation::for_resource(&url));
            let accepted =
                Accepted::answered(&client, &spec.target, "PUT", &url, &response, otherwise)?;
            match resource {
                Some(resource) => accepted.with_resource(resource),
                None => accepted,
            }
        }
        Written::Applied(resource) => {
            context.status.info(
                "The answer to the PUT was lost, but Azure applied it; following the connection",
            );
            Accepted::applied(&spec.target, "PUT", &url, Operation::for_resource(&url))
                .with_resource(*resource)
        }
        Written::Gone | Written::Deleted => unreachable_gone()?,
    };
    if lro::follow(context, &client, &accepted, write.wait.no_wait).await? == Followed::NotWaited {
        return Ok(());
    }
    let resource: Received<DataConnection> = client
        .get(&url)
        .await
        .map_err(|error| error.started_by("PUT", &url))?
        .decode("the data connection")?;
    // ARM: no provisioningState means Succeeded.
    let state = resource
        .value
        .provisioning_state()
        .unwrap_or(ProvisioningState::Succeeded);
    if !state.is_succeeded() {
        return Err(ArmError::OperationFailed {
            status: state.to_string(),
            code: "ProvisioningNotSucceeded".into(),
            message: format!("the data connection is `{state}` after the operation ended"),
            operation: accepted
                .operation
                .map(|o| o.url.to_string())
                .unwrap_or_default(),
        }
        .into());
    }
    context.status.info(&format!(
        "Created data connection `{}` ({state}) in {}",
        spec.target.name,
        crate::duration::display(started.elapsed())
    ));
    let view = super::viewed(&client, resource, &spec.target.database).await?;
    context.printer.connection(&view)
}

/// `adxconn validate`: the service's findings, and exit 1 when there are any.
pub async fn validate_only(context: &Context, spec: &ConnectionSpec) -> Result<(), Error> {
    let client = context.client(None)?;
    let location = match &spec.location {
        Some(location) => location.clone(),
        None => cluster_location(&client, &spec.target.database).await?,
    };
    let problems = validation(context, &client, spec, &location).await?;
    if problems.is_empty() {
        context.status.info(&format!(
            "Azure found no problem with data connection `{}` in `{}`",
            spec.target.name,
            spec.target.database.display()
        ));
        if context.printer.wants_data() {
            context.printer.data(&json!({
                "id": spec.target.id(),
                "valid": true,
                "problems": [],
            }))?;
        }
        return Ok(());
    }
    invalid(context, spec, problems)
}

async fn validation(
    context: &Context,
    client: &ArmClient,
    spec: &ConnectionSpec,
    location: &str,
) -> Result<Vec<String>, Error> {
    context.status.info(&format!(
        "Asking Azure to validate {} data connection `{}` in `{}`",
        spec.kind(),
        spec.target.name,
        spec.target.database.display()
    ));
    let body = spec.body(Some(location));
    crate::arm::validation::validate(
        client,
        &spec.target.database.path(),
        &spec.target.name,
        &body,
        &context.status,
    )
    .await
    .map_err(|error| match error.status() {
        Some(404) => Error::from(error),
        _ => cross_tenant(error, spec, client),
    })
}

/// Prints the problems and fails with them.
fn invalid(context: &Context, spec: &ConnectionSpec, problems: Vec<String>) -> Result<(), Error> {
    if context.printer.wants_data() {
        context.printer.data(&json!({
            "id": spec.target.id(),
            "valid": false,
            "problems": problems,
        }))?
    } else {
        context.printer.text(
            &problems
                .iter()
                .map(|problem| format!("problem: {problem}\n"))
                .collect::<String>(),
        )?
    }
    Err(Error::Invalid {
        name: spec.target.name.clone(),
        count: problems.len(),
    })
}

/// The connection as it is, or `None` when there is none (ARM's PUT would create it).
async fn existing(
    client: &ArmClient,
    url: &url::Url,
    spec: &ConnectionSpec,
) -> Result<Option<Received<DataConnection>>, Error> {
    match client.get(url).await {
        Ok(response) => Ok(Some(response.decode("the data connection")?)),
        // The PUT that follows names a missing database, cluster or group.
        Err(error) if error.status() == Some(404) => Ok(None),
        Err(error) => Err(missing::annotate(client, &spec.target.database, error).await),
    }
}

/// An existing connection: as asked, nothing to do; otherwise say what a PUT would change.
async fn already_there(
    context: &Context,
    client: &ArmClient,
    spec: &ConnectionSpec,
    existing: Received<DataConnection>,
) -> Result<(), Error> {
    let changes = write::differences(&existing.value, &spec.body(None));
    if !changes.is_empty() {
        return Err(Error::Differs {
            name: spec.target.name.clone(),
            kind: spec.command_kind().to_string(),
            changes: changes.iter().map(ToString::to_string).collect(),
        });
    }
    context.status.info(&format!(
        "Data connection `{}` already exists in `{}` as asked; nothing was sent",
        spec.target.name,
        spec.target.database.display()
    ));
    let view = super::viewed(client, existing, &spec.target.database).await?;
    context.printer.connection(&view)
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
    let sources = crate::tenancy::source_ids(&spec.body(None))
        .into_iter()
        .filter(|id| {
            !id.subscription()
                .eq_ignore_ascii_case(&spec.target.database.subscription)
        })
        .collect();
    Error::CrossTenant {
        error: Box::new(error),
        kind: spec.kind(),
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
    let url = client.url(&database.cluster_path())?;
    let cluster: Cluster = match client.get(&url).await {
        Ok(response) => response.decode("the cluster")?,
        Err(error) if error.status() == Some(404) => {
            return Err(missing::annotate(client, database, error).await)
        }
        Err(error) => return Err(error.into()),
    };
    match cluster.location {
        Some(location) => Ok(location),
        None => Err(ArmError::Decode {
            what: "the cluster".into(),
            problem: "it has no `location`; pass --location".into(),
        }
        .into()),
    }
}

/// Prints the requests a create would send, and sends none, not even a token request. Each is
/// built by the client exactly as it would be sent, tokens replaced by `[redacted]`.
fn dry_run(
    context: &Context,
    client: &ArmClient,
    spec: &ConnectionSpec,
    replace: bool,
) -> Result<(), Error> {
    let mut plan = Vec::new();
    if !replace {
        let url = client.url(&spec.target.path())?;
        plan.push((
            "read the connection (an existing one is left alone)",
            client.planned(Method::GET, &url, None)?,
        ));
    }
    let location = match &spec.location {
        Some(location) => location.clone(),
        None => {
            let url = client.url(&spec.target.database.cluster_path())?;
            plan.push((
                "read the cluster's location",
                client.planned(Method::GET, &url, None)?,
            ));
            "<the cluster's location>".to_string()
        }
    };
    let url = client.url(&spec.target.path())?;
    let body = to_json(&spec.body(Some(&location)))?;
    plan.push((
        "create the data connection",
        client.planned(Method::PUT, &url, Some(&body))?,
    ));
    context
        .status
        .info("Dry run: these requests would be sent (then the operation would be polled):");
    if context.printer.wants_data() {
        let requests: Vec<Value> = plan
            .iter()
            .map(|(purpose, request)| {
                let headers: serde_json::Map<String, Value> = request
                    .headers
                    .iter()
                    .map(|(name, value)| (header_case(name), json!(value)))
                    .collect();
                json!({
                    "method": request.method,
                    "url": request.url,
                    "purpose": purpose,
                    "headers": headers,
                    "body": request.body,
                })
            })
            .collect();
        context.printer.data(&Value::Array(requests))
    } else {
        let mut text = String::new();
        for (purpose, request) in &plan {
            text.push_str(&format!(
                "# {purpose}\n{} {}\n",
                request.method, request.url
            ));
            for (name, value) in &request.headers {
                text.push_str(&format!("{}: {value}\n", header_case(name)));
            }
            if let Some(body) = &request.body {
                text.push('\n');
                text.push_str(&serde_json::to_string_pretty(body).unwrap_or_default());
                text.push('\n');
            }
            text.push('\n');
        }
        context.printer.text(&text)
    }
}

/// `content-type` → `Content-Type`, as HTTP/1.1 documentation writes headers; Microsoft's
/// `x-ms-…` headers keep their lowercase spelling.
fn header_case(name: &str) -> String {
    if name.starts_with("x-ms-") {
        return name.to_string();
    }
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
