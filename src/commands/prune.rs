//! `adxconn prune`: delete the data connections `audit` finds stale. Without `--yes` it only
//! shows the plan; with it the deletes run concurrently and each one's outcome is reported.

use serde_json::Value;

use crate::cli::PruneArgs;
use crate::error::Error;
use crate::output;
use crate::prune::{self, Outcome};

use super::audit::audit_scope;
use super::sweep::count;
use super::Context;

pub async fn run(context: &Context, args: &PruneArgs) -> Result<(), Error> {
    let client = context
        .client(Some(args.wait.timeout.0))?
        .with_request_limit(args.sweep.concurrency);
    let (swept, audited) = audit_scope(context, &client, &args.sweep).await?;
    let spans = swept.inventory.spans_databases();
    let doomed: Vec<_> = audited
        .into_iter()
        .filter(|audited| args.status.contains(&audited.status))
        .collect();
    let statuses: Vec<&str> = args.status.iter().map(|status| status.as_str()).collect();
    if !args.yes {
        if context.printer.wants_data() {
            context.printer.data(&Value::Array(
                doomed
                    .iter()
                    .map(|audited| {
                        let mut json = output::audited_json(audited);
                        json["outcome"] = "planned".into();
                        json
                    })
                    .collect(),
            ))?
        } else {
            context
                .printer
                .table(&output::audit_table(&doomed, spans))?
        }
        context.status.info(&match doomed.len() {
            0 => format!("Nothing to prune ({})", statuses.join(", ")),
            n => format!(
                "Would delete {} ({}); nothing was deleted. Run again with --yes to delete {}",
                count(n, "data connection"),
                statuses.join(", "),
                if n == 1 { "it" } else { "them" }
            ),
        });
        return swept.complete();
    }
    if doomed.is_empty() {
        context
            .status
            .info(&format!("Nothing to prune ({})", statuses.join(", ")));
        if context.printer.wants_data() {
            context.printer.data(&Value::Array(Vec::new()))?;
        }
        return swept.complete();
    }
    context.status.info(&format!(
        "Deleting {} ({}), {} at a time",
        count(doomed.len(), "data connection"),
        statuses.join(", "),
        args.sweep.concurrency.min(doomed.len())
    ));
    let report = prune::delete_all(
        &client,
        doomed,
        args.sweep.concurrency,
        args.wait.no_wait,
        &context.status,
    )
    .await;
    if context.printer.wants_data() {
        context.printer.data(&Value::Array(
            report.pruned.iter().map(output::pruned_json).collect(),
        ))?
    } else {
        context
            .printer
            .table(&output::prune_table(&report.pruned, spans))?
    }
    let total = report.pruned.len();
    let deleted = report.count(Outcome::succeeded);
    let failed = report.count(|outcome| matches!(outcome, Outcome::Failed { .. }));
    for pruned in &report.pruned {
        if let Outcome::Failed { code, message } = &pruned.outcome {
            context.status.info(&format!(
                "could not delete `{}`: {code}: {message}",
                pruned.audited.found.target().id()
            ));
        }
    }
    if report.stopped.is_some() {
        return outcome_of(&report);
    }
    context.status.info(&format!(
        "{} of {} {}",
        deleted,
        count(total, "data connection"),
        if args.wait.no_wait {
            "accepted for deletion (--no-wait)"
        } else {
            "deleted"
        }
    ));
    if failed > 0 {
        return outcome_of(&report);
    }
    swept.complete()
}

/// What a run of deletes comes to: stopped early (130 or 4), some failed (1), or all done.
pub fn outcome_of<T>(report: &prune::Report<T>) -> Result<(), Error> {
    if let Some(stop) = report.stopped {
        return Err(Error::PruneStopped {
            stop,
            deleted: report.count(Outcome::succeeded),
            running: report.count(|outcome| matches!(outcome, Outcome::Running { .. })),
            not_started: report.count(|outcome| *outcome == Outcome::NotStarted),
        });
    }
    match report.count(|outcome| matches!(outcome, Outcome::Failed { .. })) {
        0 => Ok(()),
        failed => Err(Error::PruneFailed {
            failed,
            total: report.pruned.len(),
        }),
    }
}
