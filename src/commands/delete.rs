//! `adxconn delete`: confirm, DELETE, wait until the connection is gone.
//!
//! A connection that is already gone is success: the user's goal, no such connection, holds.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Instant;

use reqwest::StatusCode;
use serde_json::json;

use crate::arm::operation::Operation;
use crate::arm::write::{self, Written};
use crate::cli::DeleteArgs;
use crate::error::Error;
use crate::target::ConnectionRef;

use super::lro::{self, Accepted, Followed};
use super::{missing, Context};

pub async fn run(context: &Context, args: &DeleteArgs) -> Result<(), Error> {
    if !args.locate.ids.is_empty() {
        return delete_many(context, args).await;
    }
    let target = super::located(args.locate.connection())?;
    let timeout = args.wait.timeout.0;
    if !args.yes && !confirm(&target)? {
        // The user chose; nothing failed.
        context.status.info(&format!(
            "Not deleted: data connection `{}` stays",
            target.name
        ));
        return Ok(());
    }
    let client = context.client(Some(timeout))?;
    let url = client.url(&target.path())?;
    let id = target.id();
    let started = Instant::now();
    context.status.info(&format!(
        "Deleting data connection `{}` from `{}`",
        target.name,
        target.database.display()
    ));
    let written = match write::delete(&client, &url).await {
        Ok(written) => written,
        Err(error) if error.status() == Some(404) => {
            return Err(missing::explain(&client, &target.database, error.into()).await)
        }
        Err(error) => return Err(error.into()),
    };
    let accepted = match written {
        Written::Gone => {
            // A typo in any part of the address must not read as "nothing to delete".
            missing::check_database(&client, &target.database).await?;
            context.status.info(&format!(
                "Data connection `{}` does not exist in `{}`; nothing to delete",
                target.name,
                target.database.display()
            ));
            return outcome(context, &id, "absent");
        }
        Written::Deleted => {
            context.status.info(&format!(
                "The answer to the DELETE was lost, but data connection `{}` is gone from `{}`",
                target.name,
                target.database.display()
            ));
            return outcome(context, &id, "deleted");
        }
        Written::Applied(_) => {
            context
                .status
                .info("The answer to the DELETE was lost, but Azure is deleting it; following the connection");
            Accepted::applied(&target, "DELETE", &url, Operation::until_gone(&url))
        }
        Written::Answered(response) => {
            let otherwise =
                (response.status == StatusCode::ACCEPTED).then(|| Operation::until_gone(&url));
            Accepted::answered(&client, &target, "DELETE", &url, &response, otherwise)?
        }
    };
    if lro::follow(context, &client, &accepted, args.wait.no_wait).await? == Followed::NotWaited {
        return Ok(());
    }
    context.status.info(&format!(
        "Deleted data connection `{}` from `{}` in {}",
        target.name,
        target.database.display(),
        crate::duration::display(started.elapsed())
    ));
    outcome(context, &id, "deleted")
}

/// `delete --ids`: every connection named, a few at a time, with one outcome each (the report
/// `prune` gives).
async fn delete_many(context: &Context, args: &DeleteArgs) -> Result<(), Error> {
    let targets = super::named_by_ids(&args.locate.ids)?;
    if targets.is_empty() {
        return super::nothing_named(context);
    }
    if !args.yes && !confirm_many(targets.len())? {
        context.status.info("Not deleted: nothing was sent");
        return Ok(());
    }
    let client = context
        .client(Some(args.wait.timeout.0))?
        .with_request_limit(crate::fleet::DEFAULT_CONCURRENCY);
    context.status.info(&format!(
        "Deleting {} data connection{}",
        targets.len(),
        if targets.len() == 1 { "" } else { "s" }
    ));
    let report = crate::prune::delete_all(
        &client,
        targets,
        crate::fleet::DEFAULT_CONCURRENCY,
        args.wait.no_wait,
        &context.status,
    )
    .await;
    if context.printer.wants_data() {
        context.printer.data(&serde_json::Value::Array(
            report
                .pruned
                .iter()
                .map(crate::output::deleted_json)
                .collect(),
        ))?
    } else {
        context
            .printer
            .table(&crate::output::deleted_table(&report.pruned))?
    }
    super::prune::outcome_of(&report)
}

/// Asks once for several connections; refuses when nobody can answer.
fn confirm_many(count: usize) -> Result<bool, Error> {
    ask(&format!(
        "Delete these {count} data connections? Ingestion through them stops. [y/N] "
    ))
    .map_err(|()| {
        Error::NotConfirmed(format!(
            "refusing to delete {count} data connections without confirmation: stdin is not a terminal (the ids came from it, or it is a pipe); pass --yes"
        ))
    })
}

/// In JSON mode, what happened; in table mode the stderr message says it all.
fn outcome(context: &Context, id: &str, result: &str) -> Result<(), Error> {
    if context.printer.wants_data() {
        context
            .printer
            .data(&json!({"id": id, "result": result, "operation": null}))?;
    }
    Ok(())
}

/// Asks on a terminal whether to delete; refuses when nobody can answer.
fn confirm(target: &ConnectionRef) -> Result<bool, Error> {
    ask(&format!(
        "Delete data connection `{}` from `{}`? Ingestion through it stops. [y/N] ",
        target.name,
        target.database.display()
    ))
    .map_err(|()| {
        Error::NotConfirmed(format!(
            "refusing to delete `{}` without confirmation: stdin is not a terminal; pass --yes",
            target.name
        ))
    })
}

/// Asks `question` on the terminal: whether the answer was yes; `Err` when stdin is not one.
fn ask(question: &str) -> Result<bool, ()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(());
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{}", crate::scrub::terminal(question));
    let _ = stderr.flush();
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer).is_err() {
        return Ok(false);
    }
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
