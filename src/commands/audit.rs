//! `adxconn audit`: every data connection of a scope, each with one status and its evidence.
//! Exit 6 when any is stale, so a pipeline can alert on it.

use serde_json::Value;

use crate::audit::{self, Audited, Status};
use crate::cli::AuditArgs;
use crate::error::Error;
use crate::output;

use super::sweep::{self, count, Swept};
use super::Context;

pub async fn run(context: &Context, args: &AuditArgs) -> Result<(), Error> {
    let client = context
        .client(None)?
        .with_request_limit(args.sweep.concurrency);
    let (swept, audited) = audit_scope(context, &client, &args.sweep).await?;
    if context.printer.wants_data() {
        let mut items: Vec<Value> = audited.iter().map(output::audited_json).collect();
        items.extend(
            swept
                .inventory
                .unreadable
                .iter()
                .map(sweep::unreadable_json),
        );
        context.printer.data(&Value::Array(items))?;
    } else {
        context.printer.table(&output::audit_table(
            &audited,
            swept.inventory.spans_databases(),
        ))?
    }
    let with = |status: Status| audited.iter().filter(|a| a.status == status).count();
    let stale: usize = Status::STALE.into_iter().map(with).sum();
    if stale > 0 {
        return Err(Error::Stale { count: stale });
    }
    match with(Status::Unknown) {
        0 => swept.complete(),
        unknown => Err(Error::Unaudited { count: unknown }),
    }
}

/// Walks the scope and audits what it found, saying on stderr how many have each status.
pub async fn audit_scope(
    context: &Context,
    client: &crate::arm::ArmClient,
    args: &crate::cli::SweepArgs,
) -> Result<(Swept, Vec<Audited>), Error> {
    let swept = sweep::walk(context, client, args).await?;
    let audited = audit::audit(
        client,
        swept.inventory.found.clone(),
        args.concurrency,
        &context.status,
    )
    .await?;
    let tally: Vec<String> = Status::ALL
        .into_iter()
        .filter_map(|status| {
            let n = audited.iter().filter(|a| a.status == status).count();
            (n > 0).then(|| format!("{n} {status}"))
        })
        .collect();
    context.status.info(&format!(
        "Audited {} in {}{}",
        count(audited.len(), "data connection"),
        swept.scope_text(args),
        if tally.is_empty() {
            String::new()
        } else {
            format!(": {}", tally.join(", "))
        }
    ));
    Ok((swept, audited))
}
