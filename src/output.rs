//! What adxconn prints. Data goes to stdout through `Printer` (a table for people, ARM's JSON
//! for scripts); progress and messages go to stderr through `Status`, which `--quiet` silences.

use std::io::{self, Write};

use serde_json::Value;
use tabled::builder::Builder;
use tabled::settings::Style;

use crate::cli::OutputFormat;
use crate::error::Error;

/// Progress and outcome messages on stderr.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    quiet: bool,
}

impl Status {
    pub fn new(quiet: bool) -> Status {
        Status { quiet }
    }

    /// A line for people: what is happening or what happened.
    pub fn info(&self, message: &str) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "{}", crate::scrub::terminal(message));
        }
    }

    /// A line while waiting.
    pub fn progress(&self, message: &str) {
        self.info(&format!("  … {message}"));
    }
}

impl crate::arm::operation::ProgressReport for Status {
    fn update(&self, message: &str) {
        self.progress(message);
    }
}

/// Results on stdout, in the chosen format.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    format: OutputFormat,
}

impl Printer {
    pub fn new(format: OutputFormat) -> Printer {
        Printer { format }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// One data connection: the ARM resource as JSON, or a two-column table.
    pub fn connection(&self, resource: &Value) -> Result<(), Error> {
        match self.format {
            OutputFormat::Json => self.json(resource),
            OutputFormat::Table => self.write(&details_table(resource)),
        }
    }

    /// Several data connections: a JSON array, or one row each.
    pub fn connections(&self, resources: &[Value]) -> Result<(), Error> {
        match self.format {
            OutputFormat::Json => self.json(&Value::Array(resources.to_vec())),
            OutputFormat::Table if resources.is_empty() => Ok(()),
            OutputFormat::Table => self.write(&list_table(resources)),
        }
    }

    /// Pretty JSON, whatever the format (for values that only make sense as data).
    pub fn json(&self, value: &Value) -> Result<(), Error> {
        let mut text = crate::scrub::json(&serde_json::to_string_pretty(value).unwrap_or_default());
        text.push('\n');
        self.write_raw(&text)
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

/// A field as text: `""`, `null` and `[]` (how ARM spells "unset") become nothing.
fn field(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Bool(flag)) => flag.to_string(),
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| field(Some(item)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Object(_)) => value.map(Value::to_string).unwrap_or_default(),
        Some(Value::Null) | None => String::new(),
    }
}

/// ARM names a connection `cluster/database/connection`; people want the last part.
pub fn short_name(resource: &Value) -> String {
    let name = field(resource.get("name"));
    name.rsplit('/').next().unwrap_or_default().to_string()
}

/// The source a connection reads from, shortened to the names that identify it.
fn source(resource: &Value) -> String {
    let properties = resource.get("properties");
    let id_field = [
        "iotHubResourceId",
        "eventHubResourceId",
        "eventHubResourceIdForManagedIdentity",
        "cosmosDbAccountResourceId",
    ]
    .iter()
    .find_map(|key| {
        properties?
            .get(*key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    });
    let Some(id) = id_field else {
        return String::new();
    };
    match crate::resource_id::ResourceId::parse(id) {
        Ok(parsed) => parsed.names().join("/"),
        Err(_) => id.to_string(),
    }
}

/// `yes`, `no`, or `?` when the source's tenant could not be told.
fn cross_tenant(resource: &Value) -> String {
    match resource.get("crossTenant") {
        Some(Value::Bool(true)) => "yes".into(),
        Some(Value::Bool(false)) => "no".into(),
        Some(_) => "?".into(),
        None => String::new(),
    }
}

/// The `list` table.
pub fn list_table(resources: &[Value]) -> String {
    let mut builder = Builder::default();
    builder.push_record([
        "NAME",
        "KIND",
        "STATE",
        "SOURCE",
        "CROSS-TENANT",
        "CONSUMER GROUP",
        "TABLE",
        "FORMAT",
    ]);
    for resource in resources {
        let property = |key: &str| field(resource.get("properties").and_then(|p| p.get(key)));
        builder.push_record([
            short_name(resource),
            field(resource.get("kind")),
            property("provisioningState"),
            source(resource),
            cross_tenant(resource),
            property("consumerGroup"),
            property("tableName"),
            property("dataFormat"),
        ]);
    }
    render(builder)
}

/// The `show` table: one row per set field.
pub fn details_table(resource: &Value) -> String {
    let mut builder = Builder::default();
    let property = |key: &str| field(resource.get("properties").and_then(|p| p.get(key)));
    builder.push_record(["name".to_string(), short_name(resource)]);
    builder.push_record(["kind".to_string(), field(resource.get("kind"))]);
    builder.push_record(["state".to_string(), property("provisioningState")]);
    builder.push_record(["location".to_string(), field(resource.get("location"))]);
    builder.push_record(["id".to_string(), field(resource.get("id"))]);
    if resource.get("crossTenant").is_some() {
        builder.push_record(["cross-tenant".to_string(), cross_tenant(resource)]);
    }
    if let Some(Value::Object(properties)) = resource.get("properties") {
        for (key, value) in properties {
            let text = field(Some(value));
            if key != "provisioningState" && !text.is_empty() {
                builder.push_record([key.clone(), text]);
            }
        }
    }
    render(builder)
}

/// Plain columns, no borders, no trailing spaces: stable in snapshots and pipes.
fn render(builder: Builder) -> String {
    let mut table = builder.build();
    table.with(Style::blank());
    let mut text = String::new();
    for line in table.to_string().lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
        let table = list_table(std::slice::from_ref(&resource));
        let row = table.lines().nth(1).unwrap();
        assert!(row.starts_with(" telemetry"), "{row}");
        assert!(row.contains("ns/hub"));
        assert!(!table.lines().any(|line| line.ends_with(' ')));
        let details = details_table(&resource);
        assert!(!details.contains("tableName"));
        assert!(!details.contains("eventSystemProperties"));
        assert!(details.contains("consumerGroup"));
    }
}
