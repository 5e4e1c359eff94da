//! Which database or data connection a command acts on, checked before anything is sent, and
//! the ARM paths that address them.

use crate::cli::{DatabaseArgs, LocateArgs, TargetArgs};
use crate::error::InputError;
use crate::resource_id::ResourceId;
use crate::text::shorten;

/// A database of a Kusto cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseRef {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    pub database: String,
}

/// One data connection of a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRef {
    pub database: DatabaseRef,
    pub name: String,
}

impl DatabaseRef {
    /// Checks the four flags, naming every one that is missing.
    pub fn resolve(args: &DatabaseArgs) -> Result<DatabaseRef, InputError> {
        resolve_parts(args, None).map(|(database, _)| database)
    }

    /// Path segments of the cluster, from `subscriptions` on.
    pub fn cluster_path(&self) -> Vec<&str> {
        vec![
            "subscriptions",
            &self.subscription,
            "resourceGroups",
            &self.resource_group,
            "providers",
            "Microsoft.Kusto",
            "clusters",
            &self.cluster,
        ]
    }

    /// Path segments of the database.
    pub fn path(&self) -> Vec<&str> {
        let mut path = self.cluster_path();
        path.extend(["databases", self.database.as_str()]);
        path
    }

    /// Path segments of the database's data-connection collection.
    pub fn connections_path(&self) -> Vec<&str> {
        let mut path = self.path();
        path.push("dataConnections");
        path
    }

    /// The cluster's resource id, which ARM takes as "the cluster's system-assigned identity".
    pub fn cluster_id(&self) -> String {
        format!("/{}", self.cluster_path().join("/"))
    }

    /// `cluster/database`, as people say it.
    pub fn display(&self) -> String {
        format!("{}/{}", self.cluster, self.database)
    }
}

impl ConnectionRef {
    /// Checks the five flags of a connection, naming every one that is missing.
    pub fn resolve(args: &TargetArgs) -> Result<ConnectionRef, InputError> {
        let (database, name) = resolve_parts(&args.database, Some(args.name.as_deref()))?;
        Ok(ConnectionRef {
            database,
            name: name.unwrap_or_default(),
        })
    }

    /// Either `--id` or the parts, not both.
    pub fn locate(args: &LocateArgs) -> Result<ConnectionRef, InputError> {
        let Some(id) = &args.id else {
            return ConnectionRef::resolve(&args.target);
        };
        let given: Vec<&str> = [
            (
                "--resource-group",
                args.target.database.resource_group.is_some(),
            ),
            ("--cluster", args.target.database.cluster.is_some()),
            ("--database", args.target.database.database.is_some()),
            ("--name", args.target.name.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, set)| set.then_some(flag))
        .collect();
        if !given.is_empty() {
            return Err(InputError::new(
                "--id",
                format!("it cannot be combined with {}", given.join(", ")),
            )
            .hint("give either `--id` or the parts of the name, not both"));
        }
        ConnectionRef::from_id(id)
    }

    /// Reads a data connection's ARM resource id (any capitalisation, as ARM returns them).
    pub fn from_id(text: &str) -> Result<ConnectionRef, InputError> {
        let id = ResourceId::parse_typed(text, "Microsoft.Kusto/clusters/databases/dataConnections")
            .map_err(|problem| {
                InputError::new("--id", problem).hint(
                    "expected `/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters/{cluster}/databases/{database}/dataConnections/{name}`",
                )
            })?;
        let (Some(resource_group), [cluster, database, name]) = (id.resource_group(), id.names())
        else {
            return Err(InputError::new("--id", "it has no resource group"));
        };
        let connection = ConnectionRef {
            database: DatabaseRef {
                subscription: id.subscription().to_string(),
                resource_group: resource_group.to_string(),
                cluster: cluster.clone(),
                database: database.clone(),
            },
            name: name.clone(),
        };
        connection.check_parts()?;
        Ok(connection)
    }

    pub fn path(&self) -> Vec<&str> {
        let mut path = self.database.connections_path();
        path.push(&self.name);
        path
    }

    /// The connection's ARM resource id.
    pub fn id(&self) -> String {
        format!("/{}", self.path().join("/"))
    }

    /// Checks every part read from an `--id`; errors name `--id`.
    fn check_parts(&self) -> Result<(), InputError> {
        let database = &self.database;
        check_guid(&database.subscription)
            .and_then(|()| check_resource_group(&database.resource_group))
            .and_then(|()| check_cluster(&database.cluster))
            .and_then(|()| check_database(&database.database))
            .and_then(|()| check_connection_name(&self.name))
            .map_err(|problem| InputError::new("--id", problem))
    }
}

/// Resolves the database flags (and the name, when `name` is `Some`), listing every missing flag.
fn resolve_parts(
    args: &DatabaseArgs,
    name: Option<Option<&str>>,
) -> Result<(DatabaseRef, Option<String>), InputError> {
    let mut missing = Vec::new();
    let mut take = |value: &Option<String>, flag: &'static str| {
        if value.is_none() {
            missing.push(flag);
        }
        value.clone().unwrap_or_default()
    };
    let subscription = take(&args.subscription, "--subscription");
    let resource_group = take(&args.resource_group, "--resource-group");
    let cluster = take(&args.cluster, "--cluster");
    let database = take(&args.database, "--database");
    let name = name.map(|name| take(&name.map(str::to_string), "--name"));
    if !missing.is_empty() {
        let hint = if missing.contains(&"--subscription") {
            "`--subscription` may also come from `AZURE_SUBSCRIPTION_ID`"
        } else {
            "see `adxconn <command> --help`"
        };
        return Err(InputError::new(
            missing.join(", "),
            if missing.len() == 1 {
                "it is required"
            } else {
                "they are required"
            },
        )
        .hint(hint));
    }
    check_guid(&subscription).map_err(|p| {
        InputError::new("--subscription", p)
            .hint("a subscription id looks like `12345678-1234-1234-1234-123456789abc`")
    })?;
    check_resource_group(&resource_group).map_err(|p| InputError::new("--resource-group", p))?;
    check_cluster(&cluster).map_err(|p| InputError::new("--cluster", p))?;
    check_database(&database).map_err(|p| InputError::new("--database", p))?;
    if let Some(name) = &name {
        check_connection_name(name).map_err(|p| {
            InputError::new("--name", p)
                .hint("use letters, digits, `-` and `.`, at most 40 characters")
        })?;
    }
    let database = DatabaseRef {
        subscription,
        resource_group,
        cluster,
        database,
    };
    Ok((database, name))
}

/// A GUID in its usual 8-4-4-4-12 hex form.
pub fn check_guid(text: &str) -> Result<(), String> {
    let groups: Vec<&str> = text.split('-').collect();
    let shape_ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()));
    if shape_ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a GUID (expected 8-4-4-4-12 hex digits)",
            shorten(text)
        ))
    }
}

/// ARM's rule: 1–90 characters of letters, digits, `-`, `_`, `.`, `(`, `)`, not ending in `.`.
fn check_resource_group(text: &str) -> Result<(), String> {
    check_length(text, 90)?;
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')')))
    {
        return Err(format!(
            "it contains {bad:?}; use letters, digits, `-`, `_`, `.`, `(`, `)`"
        ));
    }
    if text.ends_with('.') {
        return Err("it must not end with `.`".into());
    }
    Ok(())
}

/// Kusto cluster names: 4–22 characters, a letter first, then letters, digits and `-`.
fn check_cluster(text: &str) -> Result<(), String> {
    if !(4..=22).contains(&text.chars().count()) {
        return Err(format!(
            "`{}` must be 4 to 22 characters long",
            shorten(text)
        ));
    }
    let mut chars = text.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "`{}` must start with a letter and contain only letters, digits and `-`",
            shorten(text)
        ));
    }
    Ok(())
}

/// Kusto database names: up to 260 letters, digits, spaces, `_`, `-` and `.`, not dots alone.
fn check_database(text: &str) -> Result<(), String> {
    check_length(text, 260)?;
    check_not_dots(text)?;
    if text.trim() != text {
        return Err("it has leading or trailing whitespace".into());
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.')))
    {
        return Err(format!(
            "it contains {bad:?}; use letters, digits, spaces, `_`, `-`, `.`"
        ));
    }
    Ok(())
}

/// Data connection names: letters, digits, `-` and `.`, at most 40 (Kusto's documented rule).
pub fn check_connection_name(text: &str) -> Result<(), String> {
    check_length(text, 40)?;
    check_not_dots(text)?;
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.')))
    {
        return Err(format!("`{}` contains {bad:?}", shorten(text)));
    }
    Ok(())
}

/// `.` and `..` (or more dots) name no resource: in a URL they mean "here" and "the parent".
fn check_not_dots(text: &str) -> Result<(), String> {
    if text.chars().all(|c| c == '.') {
        return Err(format!(
            "`{text}` is not a name (dots alone address another resource)"
        ));
    }
    Ok(())
}

fn check_length(text: &str, max: usize) -> Result<(), String> {
    if text.is_empty() {
        return Err("it is empty".into());
    }
    let length = text.chars().count();
    if length > max {
        return Err(format!(
            "it is {length} characters long; at most {max} are allowed"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_read_in_any_capitalisation() {
        let id = "/subscriptions/e8257c73-24c5-4791-94dc-8b7901c90dbf/resourceGroups/PWSH-SDK-2ekhd9/providers/Microsoft.Kusto/Clusters/pssdk2ekhd9/Databases/TestDb/DataConnections/event-hub-dc";
        let connection = ConnectionRef::from_id(id).unwrap();
        assert_eq!(connection.database.cluster, "pssdk2ekhd9");
        assert_eq!(connection.database.database, "TestDb");
        assert_eq!(connection.name, "event-hub-dc");
    }

    #[test]
    fn names_follow_kusto_rules() {
        assert!(check_connection_name("telemetry-eh.v2").is_ok());
        assert!(check_connection_name("").is_err());
        assert!(check_connection_name("has space").is_err());
        assert!(check_connection_name(&"a".repeat(41)).is_err());
        assert!(check_connection_name("ünïcode").is_err());
        for dots in [".", "..", "..."] {
            assert!(check_connection_name(dots).is_err());
            assert!(check_database(dots).is_err());
            assert!(check_resource_group(dots).is_err());
            assert!(check_cluster(dots).is_err());
        }
        assert!(check_database("db.v2").is_ok());
        assert!(check_cluster("adx").is_err());
        assert!(check_cluster("1adx").is_err());
        assert!(check_cluster("adx-demo").is_ok());
        assert!(check_guid("12345678-1234-1234-1234-123456789abc").is_ok());
        assert!(check_guid("12345678123412341234123456789abc").is_err());
        assert!(check_resource_group("rg.").is_err());
        assert!(check_resource_group("My_RG(1)").is_ok());
    }
}
