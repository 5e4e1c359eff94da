//! What adxconn prints. Data goes to stdout through `Printer` (a table for people, ARM's JSON
//! for scripts); progress and messages go to stderr through `Status`, which `--quiet` silences.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tabled::builder::Builder;
use tabled::settings::Style;

use crate::audit::Audited;
use crate::cli::OutputFormat;
use crate::error::Error;
use crate::prune::{Outcome, Pruned};
use crate::target::{ConnectionRef, DatabaseRef};
use crate::tenancy::SourceTenant;
use crate::wire::{DataConnection, Received};

mod query;
mod yaml;

pub use query::Query;

/// Progress and outcome messages on stderr. On a terminal, progress is one line redrawn in
/// place (a spinner, the state, the time so far); in a log, one plain line per change.
#[derive(Debug)]
pub struct Status {
    quiet: bool,
    /// Whether stderr is a terminal, where a line can be redrawn.
    terminal: bool,
    frame: AtomicUsize,
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Status {
    pub fn new(quiet: bool) -> Status {
        Status {
            quiet,
            terminal: io::stderr().is_terminal(),
            frame: AtomicUsize::new(0),
        }
    }

    /// A line for people: what is happening or what happened.
    pub fn info(&self, message: &str) {
        if !self.quiet {
            crate::stderr::write(&format!("{}\n", crate::scrub::terminal(message)));
        }
    }

    /// A line while waiting: redrawn in place on a terminal, a new line elsewhere.
    pub fn progress(&self, message: &str) {
        if self.terminal {
            self.redraw(message);
        } else {
            self.info(&format!("  … {message}"));
        }
    }

    fn redraw(&self, message: &str) {
        if self.quiet {
            return;
        }
        let frame = SPINNER[self.frame.fetch_add(1, Ordering::Relaxed) % SPINNER.len()];
        crate::stderr::redraw(&format!("  {frame} {}", crate::scrub::terminal(message)));
    }
}

impl Drop for Status {
    /// A progress line left open is finished, so the shell's prompt starts on a line of its own.
    fn drop(&mut self) {
        crate::stderr::finish();
    }
}

impl crate::arm::operation::ProgressReport for Status {
    fn update(&self, message: &str) {
        self.progress(message);
    }

    fn tick(&self, message: &str) {
        if self.terminal {
            self.redraw(message);
        }
    }
}

/// Results on stdout, in the chosen format.
#[derive(Debug, Clone)]
pub struct Printer {
    format: OutputFormat,
    query: Option<Query>,
}

impl Printer {
    pub fn new(format: OutputFormat, query: Option<Query>) -> Printer {
        Printer { format, query }
    }

    /// Whether results are printed as data (`-o json`, `-o yaml`, or any format with
    /// `--query`): the caller passes [`Printer::data`] the JSON value instead of a table.
    pub fn wants_data(&self) -> bool {
        matches!(self.format, OutputFormat::Json | OutputFormat::Yaml) || self.query.is_some()
    }

    /// One data connection: the ARM resource as data, a two-column table, or (`tsv`) the
    /// row `list` would print for it.
    pub fn connection(&self, view: &ConnectionView) -> Result<(), Error> {
        if self.wants_data() {
            return self.data(&view.to_json());
        }
        match self.format {
            OutputFormat::Tsv => self.table(&list_table(std::slice::from_ref(view), false)),
            _ => self.table(&details_table(view)),
        }
    }

    /// A table, aligned for people or tab-separated for `-o tsv`; nothing when it has no row.
    /// On a terminal (or with `COLUMNS` set) it is made to fit the width.
    pub fn table(&self, table: &Table) -> Result<(), Error> {
        if table.is_empty() {
            return Ok(());
        }
        match self.format {
            OutputFormat::Tsv => self.write(&table.tsv()),
            _ => match width() {
                Some(width) => self.write(&table.fitted(width).to_string()),
                None => self.write(&table.to_string()),
            },
        }
    }

    /// A result as data: `--query` applied, then written as pretty JSON, YAML, or (when a
    /// query asked for a table or tsv) its values laid out as rows.
    pub fn data(&self, value: &Value) -> Result<(), Error> {
        let queried;
        let value = match &self.query {
            Some(query) => {
                queried = query.apply(value)?;
                &queried
            }
            None => value,
        };
        match self.format {
            OutputFormat::Json => {
                let text = serde_json::to_string_pretty(value).unwrap_or_default();
                self.write_raw(&crate::scrub::json(&format!("{text}\n")))
            }
            OutputFormat::Yaml => self.write_raw(&crate::scrub::json(&yaml::to_yaml(value))),
            OutputFormat::Table | OutputFormat::Tsv => self.table(&queried_table(value)),
        }
    }

    /// Text for people; in JSON mode the caller prints JSON instead.
    pub fn text(&self, text: &str) -> Result<(), Error> {
        self.write(text)
    }

    /// Human text, scrubbed of secrets and terminal controls (server-given names and values
    /// pass through here).
    fn write(&self, text: &str) -> Result<(), Error> {
        self.write_raw(&crate::scrub::terminal(text))
    }

    /// A closed pipe (`adxconn list | head`) is not an error.
    fn write_raw(&self, text: &str) -> Result<(), Error> {
        let mut stdout = io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(Error::Output(error)),
            _ => Ok(()),
        }
    }
}

/// A data connection as adxconn shows it: the ARM resource, and whose tenant its sources are
/// in when that was looked up.
#[derive(Debug, Clone)]
pub struct ConnectionView {
    pub connection: DataConnection,
    /// The resource as ARM sent it, printed as is by `-o json`.
    pub json: Value,
    /// `None` when not looked up (then not shown).
    pub source_tenant: Option<SourceTenant>,
    /// The database it was listed in, when known.
    pub database: Option<DatabaseRef>,
}

impl ConnectionView {
    pub fn new(received: Received<DataConnection>) -> ConnectionView {
        ConnectionView {
            connection: received.value,
            json: received.json,
            source_tenant: None,
            database: None,
        }
    }

    #[must_use]
    pub fn in_database(mut self, database: DatabaseRef) -> ConnectionView {
        self.database = Some(database);
        self
    }

    #[must_use]
    pub fn with_source_tenant(mut self, tenant: SourceTenant) -> ConnectionView {
        self.source_tenant = Some(tenant);
        self
    }

    /// The resource as ARM sent it, plus `"crossTenant": true|false|null` when looked up.
    pub fn to_json(&self) -> Value {
        let mut json = self.json.clone();
        if let (Value::Object(object), Some(tenant)) = (&mut json, self.source_tenant) {
            let cross = match tenant {
                SourceTenant::Home => Value::Bool(false),
                SourceTenant::Other => Value::Bool(true),
                SourceTenant::Unknown => Value::Null,
            };
            object.insert("crossTenant".into(), cross);
        }
        json
    }

    /// `yes`, `no`, `?` when it could not be told, or nothing when not looked up.
    fn cross_tenant(&self) -> &'static str {
        match self.source_tenant {
            Some(SourceTenant::Other) => "yes",
            Some(SourceTenant::Home) => "no",
            Some(SourceTenant::Unknown) => "?",
            None => "",
        }
    }

    /// The connection's own name (ARM names it `cluster/database/connection`).
    pub fn short_name(&self) -> &str {
        self.connection.short_name().unwrap_or_default()
    }

    /// The source messages are read from, shortened to the names that identify it.
    fn source(&self) -> String {
        short_source(self.connection.message_source_id())
    }

    fn state(&self) -> String {
        self.connection
            .provisioning_state()
            .map(|state| state.to_string())
            .unwrap_or_default()
    }
}

/// A JSON value as table text: arrays joined with `, `, objects as JSON.
fn field(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(field).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The `list` table; `spans`: with CLUSTER and DATABASE columns first.
pub fn list_table(views: &[ConnectionView], spans: bool) -> Table {
    let mut rows = vec![[
        "CLUSTER",
        "DATABASE",
        "NAME",
        "KIND",
        "STATE",
        "SOURCE",
        "CROSS-TENANT",
        "CONSUMER GROUP",
        "TABLE",
        "FORMAT",
    ]
    .map(str::to_string)];
    for view in views {
        let connection = &view.connection;
        let (cluster, database) = view
            .database
            .as_ref()
            .map(|database| (database.cluster.clone(), database.database.clone()))
            .unwrap_or_default();
        rows.push([
            cluster,
            database,
            view.short_name().to_string(),
            connection.kind_name().to_string(),
            view.state(),
            view.source(),
            view.cross_tenant().to_string(),
            connection.consumer_group().unwrap_or_default().to_string(),
            connection.table_name().unwrap_or_default().to_string(),
            connection
                .data_format()
                .map(|format| format.to_string())
                .unwrap_or_default(),
        ]);
    }
    let skip = if spans { 0 } else { 2 };
    render(rows.into_iter().map(|row| row.into_iter().skip(skip)))
}

/// An audited connection for scripts: `{id, name, kind, status, source, evidence}`.
pub fn audited_json(audited: &Audited) -> Value {
    let connection = &audited.found.connection.value;
    serde_json::json!({
        "id": audited.found.target().id(),
        "name": audited.found.name(),
        "kind": connection.kind_name(),
        "status": audited.status.as_str(),
        "source": audited.source,
        "evidence": audited.evidence,
    })
}

/// A pruned connection for scripts: its audit, plus its outcome (see `outcome_json`).
pub fn pruned_json(pruned: &Pruned) -> Value {
    let mut json = audited_json(&pruned.audited);
    if let Value::Object(object) = &mut json {
        object.extend(outcome_json(&pruned.outcome));
    }
    json
}

/// A connection `delete --ids` deleted: `{id, outcome, …}` (see `outcome_json`).
pub fn deleted_json(deleted: &Pruned<ConnectionRef>) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("id".into(), deleted.audited.id().into());
    object.extend(outcome_json(&deleted.outcome));
    Value::Object(object)
}

/// `outcome`, plus `error` (`{code, message}`) when it failed and `operation` (its status URL,
/// if known) when it goes on in Azure.
fn outcome_json(outcome: &Outcome) -> serde_json::Map<String, Value> {
    let mut object = serde_json::Map::new();
    object.insert("outcome".into(), outcome.as_str().into());
    match outcome {
        Outcome::Failed { code, message } => {
            object.insert(
                "error".into(),
                serde_json::json!({"code": code, "message": message}),
            );
        }
        Outcome::Accepted { operation } | Outcome::Running { operation, .. } => {
            object.insert("operation".into(), operation.clone().into());
        }
        _ => {}
    }
    object
}

/// What the DETAIL column says of an outcome.
fn outcome_detail(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Failed { code, message } => format!("{code}: {message}"),
        Outcome::Accepted {
            operation: Some(url),
        }
        | Outcome::Running {
            operation: Some(url),
            ..
        } => url.clone(),
        Outcome::Running {
            operation: None,
            answered: false,
        } => "the DELETE was sent; Azure had not answered".into(),
        _ => String::new(),
    }
}

/// The `delete --ids` table: what became of each connection.
pub fn deleted_table(deleted: &[Pruned<ConnectionRef>]) -> Table {
    outcomes_table(deleted.iter().map(|deleted| {
        (
            &deleted.audited,
            deleted.outcome.as_str(),
            outcome_detail(&deleted.outcome),
        )
    }))
}

/// What became of each connection named by `--ids`: its outcome, and a detail (an error, a
/// status URL) where there is one.
pub fn outcomes_table<'a>(
    outcomes: impl IntoIterator<Item = (&'a ConnectionRef, &'a str, String)>,
) -> Table {
    let mut rows = vec![["CLUSTER", "DATABASE", "NAME", "OUTCOME", "DETAIL"].map(str::to_string)];
    for (target, outcome, detail) in outcomes {
        rows.push([
            target.database.cluster.clone(),
            target.database.database.clone(),
            target.name.clone(),
            outcome.to_string(),
            detail,
        ]);
    }
    render(rows)
}

/// The `audit` table (and `prune`'s plan); `spans`: with CLUSTER and DATABASE columns first.
pub fn audit_table<'a>(audited: impl IntoIterator<Item = &'a Audited>, spans: bool) -> Table {
    let mut rows = vec![[
        "CLUSTER", "DATABASE", "NAME", "KIND", "STATUS", "SOURCE", "EVIDENCE",
    ]
    .map(str::to_string)];
    for audited in audited {
        let database = &audited.found.database;
        rows.push([
            database.cluster.clone(),
            database.database.clone(),
            audited.found.name().to_string(),
            audited.found.connection.value.kind_name().to_string(),
            audited.status.to_string(),
            short_source(audited.source.as_deref()),
            audited.evidence.clone(),
        ]);
    }
    let skip = if spans { 0 } else { 2 };
    render(rows.into_iter().map(|row| row.into_iter().skip(skip)))
}

/// The `prune --yes` table: what became of each connection.
pub fn prune_table(pruned: &[Pruned], spans: bool) -> Table {
    let mut rows =
        vec![["CLUSTER", "DATABASE", "NAME", "STATUS", "OUTCOME", "DETAIL"].map(str::to_string)];
    for pruned in pruned {
        let database = &pruned.audited.found.database;
        let detail = outcome_detail(&pruned.outcome);
        rows.push([
            database.cluster.clone(),
            database.database.clone(),
            pruned.audited.found.name().to_string(),
            pruned.audited.status.to_string(),
            pruned.outcome.as_str().to_string(),
            detail,
        ]);
    }
    let skip = if spans { 0 } else { 2 };
    render(rows.into_iter().map(|row| row.into_iter().skip(skip)))
}

/// A source id shortened to the names that identify it (`ns/hub`).
fn short_source(id: Option<&str>) -> String {
    let Some(id) = id else {
        return String::new();
    };
    match crate::resource_id::ResourceId::parse(id) {
        Ok(parsed) => parsed.names().join("/"),
        Err(_) => id.to_string(),
    }
}

/// What a `--query` selected, for `-o table` and `-o tsv`, the way az lays it out: a list of
/// objects is one row each under their keys, a list of anything else one row per item, an
/// object one row of its values (az's `tsv`) or of its keys and values (the table).
fn queried_table(value: &Value) -> Table {
    let cells = |items: &[Value]| items.iter().map(field).collect::<Vec<_>>();
    match value {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            let mut keys: Vec<&String> = Vec::new();
            for key in items
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|o| o.keys())
            {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            let header = keys
                .iter()
                .map(|key| key.to_uppercase())
                .collect::<Vec<_>>();
            let rows = items.iter().map(|item| {
                keys.iter()
                    .map(|key| item.get(key.as_str()).map(field).unwrap_or_default())
                    .collect::<Vec<_>>()
            });
            render(std::iter::once(header).chain(rows))
        }
        Value::Array(items) => Table {
            headless: true,
            ..render(items.iter().map(|item| match item {
                Value::Array(inner) => cells(inner),
                other => vec![field(other)],
            }))
        },
        Value::Object(object) => pairs_table(
            object
                .iter()
                .map(|(key, value)| [key.clone(), field(value)])
                .collect(),
        ),
        Value::Null => render(Vec::<Vec<String>>::new()),
        scalar => Table {
            headless: true,
            ..render([vec![field(scalar)]])
        },
    }
}

/// A two-column table of names and values (`adxconn auth`).
pub fn pairs_table(rows: Vec<[String; 2]>) -> Table {
    Table {
        headless: true,
        ..render(rows)
    }
}

/// The `show` table: one row per set field.
pub fn details_table(view: &ConnectionView) -> Table {
    let table = details_rows(view);
    Table {
        headless: true,
        ..table
    }
}

fn details_rows(view: &ConnectionView) -> Table {
    let connection = &view.connection;
    let text = |value: Option<&str>| value.unwrap_or_default().to_string();
    let mut rows = vec![
        ["name".to_string(), view.short_name().to_string()],
        ["kind".to_string(), connection.kind_name().to_string()],
        ["state".to_string(), view.state()],
        ["location".to_string(), text(connection.location.as_deref())],
        ["id".to_string(), text(connection.id.as_deref())],
    ];
    if view.source_tenant.is_some() {
        rows.push(["cross-tenant".to_string(), view.cross_tenant().to_string()]);
    }
    if let Ok(Value::Object(properties)) = serde_json::to_value(&connection.properties) {
        for (key, value) in properties {
            let text = field(&value);
            if key != "provisioningState" && !text.is_empty() {
                rows.push([key, text]);
            }
        }
    }
    render(rows)
}

/// Rows of cells, the first one a header unless `headless`: shown aligned for people, or as
/// tab-separated lines for `cut` and `while read` (`-o tsv`, no header).
#[derive(Debug, Clone)]
pub struct Table {
    rows: Vec<Vec<String>>,
    headless: bool,
}

impl Table {
    /// The rows that are data, not the header.
    pub fn len(&self) -> usize {
        self.rows.len() - usize::from(!self.headless && !self.rows.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One line per data row, cells separated by tabs; a tab or line break inside a cell
    /// becomes a space, so every line stays one record.
    pub fn tsv(&self) -> String {
        let skip = usize::from(!self.headless);
        self.rows
            .iter()
            .skip(skip)
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .map(|cell| crate::scrub::cell(&cell.replace(['\t', '\n', '\r'], " ")))
                    .collect();
                format!("{}\n", cells.join("\t"))
            })
            .collect()
    }
}

/// Plain columns, no borders, no trailing spaces: stable in snapshots and pipes. Each cell is
/// escaped before the columns are measured, so what a server sent cannot break the layout.
impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut builder = Builder::default();
        for row in &self.rows {
            builder.push_record(row.iter().map(|cell| crate::scrub::cell(cell)));
        }
        let mut table = builder.build();
        table.with(Style::blank());
        // `Style::blank` pads every cell with a space each side: the first one is dropped, so
        // the first column starts at the margin like `ls -l` and `gh`.
        for line in table.to_string().lines() {
            writeln!(f, "{}", line.strip_prefix(' ').unwrap_or(line).trim_end())?;
        }
        Ok(())
    }
}

/// The width tables must fit: `COLUMNS` when set (as clap honours it), else the terminal's when
/// stdout is one; `None` for a pipe or a file, which get every value whole.
fn width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.trim().parse::<usize>().ok())
    {
        return Some(columns.max(20));
    }
    if !io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(width, _)| usize::from(width.0).max(20))
}

impl Table {
    /// The table narrowed to `width` columns, never wrapped: columns with no value are left
    /// out, then long values are shortened in the middle (`/subscriptions/…/eventhubs/clicks`),
    /// widest first, and only then headers.
    pub fn fitted(&self, width: usize) -> Table {
        // Three spaces between columns (a cell's padding each side and a blank border), none at
        // either end.
        let total = |widths: &[usize]| {
            widths
                .iter()
                .map(|w| w + 3)
                .sum::<usize>()
                .saturating_sub(3)
        };
        let shown = |cell: &String| crate::scrub::cell(cell).chars().count();
        let header = usize::from(!self.headless);
        let column = |rows: &[Vec<String>], c: usize| -> usize {
            rows.iter()
                .filter_map(|row| row.get(c))
                .map(shown)
                .max()
                .unwrap_or(0)
        };
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut kept: Vec<usize> = (0..columns).collect();
        let mut widths: Vec<usize> = kept.iter().map(|&c| column(&self.rows, c)).collect();
        if total(&widths) > width && header == 1 {
            kept.retain(|&c| column(&self.rows[header..], c) > 0);
            widths = kept.iter().map(|&c| column(&self.rows, c)).collect();
        }
        let heads: Vec<usize> = kept
            .iter()
            .map(|&c| column(&self.rows[..header], c))
            .collect();
        let whole = widths.clone();
        // First values give way down to their header's width, then headers too; within each
        // round the widest column gives way first, down to the next widest, none below
        // `NARROWEST`.
        const NARROWEST: usize = 6;
        for headers_too in [false, true] {
            let floor = |c: usize| {
                if headers_too {
                    NARROWEST
                } else {
                    heads[c].max(NARROWEST)
                }
            };
            while total(&widths) > width {
                let mut candidates: Vec<(usize, usize)> = widths
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|&(c, w)| w > floor(c))
                    .collect();
                // Of equal widths, the one already shortened most gives way: ids, not states.
                candidates.sort_by_key(|&(c, w)| std::cmp::Reverse((w, whole[c])));
                let Some(&(widest, current)) = candidates.first() else {
                    break;
                };
                let runner_up = candidates.get(1).map_or(0, |&(_, w)| w);
                let wanted = current
                    .saturating_sub(total(&widths) - width)
                    .max(runner_up)
                    .max(floor(widest));
                widths[widest] = if wanted < current {
                    wanted
                } else {
                    current - 1
                };
            }
        }
        let rows = self
            .rows
            .iter()
            .map(|row| {
                kept.iter()
                    .zip(&widths)
                    .map(|(&c, &w)| shorten_middle(row.get(c).map_or("", String::as_str), w))
                    .collect()
            })
            .collect();
        Table {
            rows,
            headless: self.headless,
        }
    }
}

/// `text` at most `limit` characters, its middle replaced by `…`.
fn shorten_middle(text: &str, limit: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= limit || limit < 3 {
        return text.to_string();
    }
    let keep = limit - 1;
    let head = keep / 2;
    let tail = keep - head;
    let mut shortened: String = chars[..head].iter().collect();
    shortened.push('…');
    shortened.extend(&chars[chars.len() - tail..]);
    shortened
}

fn render<Row: IntoIterator<Item = String>>(rows: impl IntoIterator<Item = Row>) -> Table {
    Table {
        rows: rows
            .into_iter()
            .map(|row| row.into_iter().collect())
            .collect(),
        headless: false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_fit_the_width_by_shortening_long_cells_in_the_middle() {
        let id = format!("/subscriptions/{}/dataConnections/clicks", "x".repeat(150));
        let table = pairs_table(vec![
            ["id".to_string(), id.clone()],
            ["name".to_string(), "clicks".to_string()],
        ]);
        for width in [80, 200] {
            let text = table.fitted(width).to_string();
            assert!(
                text.lines().all(|line| line.chars().count() <= width),
                "{width}: {text}"
            );
            assert!(
                text.contains("/subscriptions/") && text.contains("clicks"),
                "{text}"
            );
        }
        assert!(table.fitted(80).to_string().contains('…'));
        let wide = table.fitted(400).to_string();
        assert!(wide.contains(&id), "whole when it fits");
        assert_eq!(shorten_middle("abcdefghij", 5), "ab…ij");

        // Many columns of about the same width give way in turn.
        let header: Vec<String> = (0..8)
            .map(|c| format!("COLUMN-{c}-{}", "X".repeat(c)))
            .collect();
        let row: Vec<String> = (0..8).map(|c| format!("value-{c}")).collect();
        let text = render([header, row]).fitted(80).to_string();
        let widest = text.lines().map(|line| line.chars().count()).max();
        assert_eq!(widest, Some(80), "{text}");
        assert!(!text.starts_with(' '), "no margin: {text}");
    }

    #[test]
    fn tsv_has_no_header_and_one_line_per_row_whatever_the_cells_hold() {
        let table = render(vec![
            vec!["NAME".to_string(), "KIND".to_string()],
            vec!["a\tb".to_string(), "Event\nHub".to_string()],
            vec!["c".to_string(), String::new()],
        ]);
        assert_eq!(table.len(), 2);
        assert_eq!(table.tsv(), "a b\tEvent Hub\nc\t\n");
        let pairs = pairs_table(vec![["k".to_string(), "v".to_string()]]);
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs.tsv(), "k\tv\n");
    }

    #[test]
    fn unset_fields_are_blank_and_names_short() {
        let resource = json!({
            "name": "adx/db/telemetry",
            "kind": "EventHub",
            "properties": {
                "eventHubResourceId": "/subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/hub",
                "consumerGroup": "$Default",
                "tableName": "",
                "dataFormat": null,
                "eventSystemProperties": [],
                "provisioningState": "Succeeded"
            }
        });
        let view = ConnectionView::new(serde_json::from_value(resource).unwrap());
        assert_eq!(
            view.to_json()["properties"]["tableName"],
            "",
            "printed as received"
        );
        let table = list_table(std::slice::from_ref(&view), false).to_string();
        let row = table.lines().nth(1).unwrap();
        assert!(row.starts_with("telemetry "), "{row}");
        assert!(row.contains("ns/hub"));
        assert!(!table.lines().any(|line| line.ends_with(' ')));
        let details = details_table(&view).to_string();
        assert!(!details.contains("tableName"));
        assert!(!details.contains("eventSystemProperties"));
        assert!(details.contains("consumerGroup"));
    }

    #[test]
    fn hostile_values_are_escaped_before_the_columns_are_laid_out() {
        let view = ConnectionView::new(
            serde_json::from_value(json!({
                "name": "adx/db/a\u{1b}[2Jb\nc",
                "kind": "EventHub",
                "properties": {"consumerGroup": "x\ty", "provisioningState": "Succeeded"}
            }))
            .unwrap(),
        );
        let table = list_table(std::slice::from_ref(&view), false).to_string();
        assert_eq!(table.lines().count(), 2, "{table}");
        assert!(!table.contains('\u{1b}'));
        let header = table.lines().next().unwrap();
        let row = table.lines().nth(1).unwrap();
        // Columns line up: KIND starts where the kind does.
        assert_eq!(header.find("KIND"), row.find("EventHub"), "{table}");
    }
}
