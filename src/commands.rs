//! The verbs. Each takes the checked command line and a `Context`, does its requests through
//! `ArmClient`, and prints through `Printer`/`Status`. Nothing here formats HTTP or parses flags.

mod audit;
mod auth;
mod create;
mod delete;
mod docs;
mod list;
mod lro;
mod missing;
mod preflight;
mod prune;
mod show;
mod sweep;
mod update;
mod wait;

use std::time::{Duration, Instant};

use crate::arm::{ArmClient, ArmError};
use crate::auth::{Auxiliary, Credential};
use crate::cli::{Cli, Command, CreateCommand, GlobalArgs};
use crate::connection::ConnectionSpec;
use crate::error::{Error, InputError};
use crate::interrupt::Cancel;
use crate::output::{Printer, Query, Status};
use crate::settings::{self, Endpoints, Environment};
use crate::target::ConnectionRef;
use crate::trace::Trace;

/// What every command needs, built once per run. It sends nothing: the HTTP client and the
/// credential are made only by `client()`, so `--dry-run` and input errors cost no request.
pub struct Context {
    /// When the run began: `--timeout` counts from here.
    pub started: Instant,
    pub global: GlobalArgs,
    pub environment: Environment,
    pub endpoints: Endpoints,
    pub printer: Printer,
    pub status: Status,
    pub trace: Trace,
}

impl Context {
    pub fn new(global: GlobalArgs, environment: Environment) -> Result<Context, Error> {
        let endpoints = Endpoints::resolve(&global)?;
        let query = global.query.as_deref().map(Query::parse).transpose()?;
        Ok(Context {
            started: Instant::now(),
            printer: Printer::new(global.output, query),
            status: Status::new(global.quiet),
            trace: Trace::new(global.debug),
            global,
            environment,
            endpoints,
        })
    }

    /// The ARM client with its credentials; still no request is sent. Auxiliary tokens are
    /// read first, so a bad `--aux-token-file` is an input error (exit 2) whatever else is set.
    ///
    /// From here on Ctrl-C and SIGTERM stop the run (they are caught, so confirmations are
    /// asked before), and so does `timeout`, counted from the start of the run.
    pub fn client(&self, timeout: Option<Duration>) -> Result<ArmClient, Error> {
        let http = settings::http_client(&self.environment)?;
        let credentials = settings::credentials(&self.global, &self.environment)?;
        let authority = &self.endpoints.authority;
        let auxiliary = Auxiliary::configure(
            &credentials.aux_tenants,
            credentials.aux_tokens,
            &credentials.chosen.sign_in,
            authority,
            &http,
            self.trace,
        )?;
        let credential =
            Credential::configure(&credentials.chosen.sign_in, authority, &http, self.trace)?
                .chosen_because(&credentials.chosen.reason);
        self.trace
            .note(&format!("signing in: {}", credentials.chosen.reason));
        self.trace.note(&format!(
            "ARM endpoint {}, authority {}, signed in as {}",
            self.endpoints.arm,
            self.endpoints.authority,
            credential.describe()
        ));
        for line in auxiliary.iter().flat_map(Auxiliary::describe) {
            self.trace.note(&line);
        }
        Ok(ArmClient::new(
            http,
            self.endpoints.arm.clone(),
            credential,
            auxiliary,
            self.endpoints.scope.clone(),
            self.trace,
            Cancel::new(self.started, timeout),
        ))
    }
}

/// Runs one parsed command line.
pub async fn run(cli: Cli, environment: Environment) -> Result<(), Error> {
    let context = Context::new(cli.global, environment)?;
    match cli.command {
        Command::Create(create) => {
            let (spec, write) = spec_of(&create)?;
            create::run(&context, &spec, write).await
        }
        Command::Validate(create) => {
            let (spec, _) = spec_of(&create)?;
            create::validate_only(&context, &spec).await
        }
        Command::Show(args) => show::run(&context, &args).await,
        Command::List(args) => list::run(&context, &args).await,
        Command::Delete(args) => delete::run(&context, &args).await,
        Command::Audit(args) => audit::run(&context, &args).await,
        Command::Prune(args) => prune::run(&context, &args).await,
        Command::Auth(_) => auth::run(&context).await,
        Command::Update(command) => update::run(&context, &command).await,
        Command::Completions(args) => docs::completions(&context, args.shell),
        Command::Man(args) => docs::man_pages(&context, &args.dir),
        Command::Wait(args) => wait::run(&context, &args).await,
    }
}

/// The checked connection a `create` (or `validate`) command line asks for.
fn spec_of(create: &CreateCommand) -> Result<(ConnectionSpec, &crate::cli::WriteArgs), Error> {
    Ok(match create {
        CreateCommand::Iothub(args) => (ConnectionSpec::iothub(args)?, &args.write),
        CreateCommand::Eventhub(args) => (ConnectionSpec::eventhub(args)?, &args.write),
        CreateCommand::Eventgrid(args) => (ConnectionSpec::eventgrid(args)?, &args.write),
        CreateCommand::Cosmosdb(args) => (ConnectionSpec::cosmosdb(args)?, &args.write),
    })
}

/// A connection as every command prints it: ARM's resource plus `crossTenant`, so `create`,
/// `show`, `update` and `list` give one JSON shape.
async fn viewed(
    client: &ArmClient,
    connection: crate::wire::Received<crate::wire::DataConnection>,
    database: &crate::target::DatabaseRef,
) -> Result<crate::output::ConnectionView, Error> {
    let tenant = crate::tenancy::Tenancy::new(client)
        .await
        .source_tenant(&connection.value, &database.subscription)
        .await?;
    Ok(crate::output::ConnectionView::new(connection).with_source_tenant(tenant))
}

/// The most ids `--ids` takes: a cleanup of a whole subscription, not an unbounded stream.
const MAX_IDS: usize = 10_000;

/// The connections `--ids` names (each line of stdin for `-`), checked before anything is sent.
fn named_by_ids(ids: &[String]) -> Result<Vec<ConnectionRef>, Error> {
    let mut texts = Vec::new();
    for id in ids {
        if id == "-" {
            let bytes = crate::text::read_bounded(std::path::Path::new("-"), 4 * 1024 * 1024)
                .map_err(|e| InputError::new("--ids", format!("cannot read stdin: {e}")))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| InputError::new("--ids", "stdin is not UTF-8 text"))?;
            texts.extend(
                text.lines()
                    .map(|line| line.trim().trim_matches('"').to_string())
                    .filter(|line| !line.is_empty()),
            );
        } else {
            texts.push(id.clone());
        }
    }
    if texts.is_empty() {
        // An empty stdin is a filter that matched nothing (`list … | delete --ids -`): nothing
        // to do. Ids given on the command line are never empty (clap wants at least one).
        if ids.iter().all(|id| id == "-") {
            return Ok(Vec::new());
        }
        return Err(InputError::new("--ids", "no id was given").into());
    }
    if texts.len() > MAX_IDS {
        return Err(InputError::new(
            "--ids",
            format!("{} ids were given; at most {MAX_IDS}", texts.len()),
        )
        .into());
    }
    texts
        .iter()
        .enumerate()
        .map(|(n, text)| {
            ConnectionRef::from_id(text).map_err(|problem| {
                InputError::new("--ids", format!("id {} (`{}`): {problem}", n + 1, crate::text::shorten(text)))
                    .hint("each id is a data connection's resource id, as `adxconn list -o json` prints it")
                    .into()
            })
        })
        .collect()
}

/// For `--ids -` with nothing on stdin: says so, prints an empty list as data, and succeeds.
fn nothing_named(context: &Context) -> Result<(), Error> {
    context
        .status
        .info("No data connection id on stdin: nothing to do");
    if context.printer.wants_data() {
        context
            .printer
            .data(&serde_json::Value::Array(Vec::new()))?;
    }
    Ok(())
}

/// The connection a command names. clap has checked that `--id` or every part is there; a
/// missing part here is a usage error all the same, never a panic.
fn located(connection: Option<ConnectionRef>) -> Result<ConnectionRef, Error> {
    connection.ok_or_else(|| {
        InputError::new(
            "--id",
            "give `--id` or every part of the data connection's name",
        )
        .into()
    })
}

/// An accepted write whose status URL adxconn will not follow (another origin, userinfo): the
/// write stands, and the user is told how to follow the connection itself instead.
fn unfollowable(method: &str, target: &ConnectionRef, deletion: bool, error: ArmError) -> Error {
    Error::Unfollowable {
        method: method.to_string(),
        source: Box::new(error),
        resume: format!(
            "adxconn wait --id '{}'{}",
            target.id(),
            if deletion { " --deleted" } else { "" }
        ),
    }
}
