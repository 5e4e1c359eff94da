//! Which database or data connection a command acts on, checked before anything is sent, and
//! the ARM paths that address them.

use crate::names::{
    check_cluster, check_connection_name, check_database, check_guid, check_resource_group,
};
use crate::resource_id::ResourceId;

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
    /// Reads a data connection's ARM resource id (any capitalisation, as ARM returns them).
    pub fn from_id(text: &str) -> Result<ConnectionRef, String> {
        let id = ResourceId::parse_typed(text, "Microsoft.Kusto/clusters/databases/dataConnections")
            .map_err(|problem| {
                format!("{problem}; expected `/subscriptions/{{id}}/resourceGroups/{{rg}}/providers/Microsoft.Kusto/clusters/{{cluster}}/databases/{{database}}/dataConnections/{{name}}`")
            })?;
        let (Some(resource_group), [cluster, database, name]) = (id.resource_group(), id.names())
        else {
            return Err("it has no resource group".into());
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

    /// Checks every part read from an `--id`.
    fn check_parts(&self) -> Result<(), String> {
        let database = &self.database;
        check_guid(&database.subscription)
            .and_then(|()| check_resource_group(&database.resource_group))
            .and_then(|()| check_cluster(&database.cluster))
            .and_then(|()| check_database(&database.database))
            .and_then(|()| check_connection_name(&self.name))
    }
}

/// `--id`: a data connection's resource id, checked whole.
impl std::str::FromStr for ConnectionRef {
    type Err = String;

    fn from_str(text: &str) -> Result<ConnectionRef, String> {
        ConnectionRef::from_id(text)
    }
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
}
