//! `adxconn delete`: confirm, DELETE, wait until the connection is gone.
//!
//! A connection that is already gone is success: the user's goal, no such connection, holds.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Instant;

use reqwest::StatusCode;
use serde_json::json;

use crate::arm::operation::Operation;
use crate::arm::write::{self, Written};
use crate::cli::{DeleteArgs, OutputFormat};
use crate::error::Error;
use crate::target::ConnectionRef;

use super::lro::{self, Accepted, Followed};
use super::{missing, Context};

pub async fn run(context: &Context, args: &DeleteArgs) -> Result<(), Error> {
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

/// In JSON mode, what happened; in table mode the stderr message says it all.
fn outcome(context: &Context, id: &str, result: &str) -> Result<(), Error> {
    if context.printer.format() == OutputFormat::Json {
        context
            .printer
            .json(&json!({"id": id, "result": result, "operation": null}))?;
    }
    Ok(())
}

/// Asks on a terminal whether to delete; refuses when nobody can answer.
fn confirm(target: &ConnectionRef) -> Result<bool, Error> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::NotConfirmed(format!(
            "refusing to delete `{}` without confirmation: stdin is not a terminal; pass --yes",
            target.name
        )));
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "{}",
        crate::scrub::terminal(&format!(
            "Delete data connection `{}` from `{}`? Ingestion through it stops. [y/N] ",
            target.name,
            target.database.display()
        ))
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(Error::Output)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
