//! ARM's and Kusto's naming rules, checked before anything is sent, and the typed names that
//! the command line parses into: a value of one of these types is already valid.

use std::fmt;
use std::str::FromStr;

use crate::text::shorten;

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
pub fn check_resource_group(text: &str) -> Result<(), String> {
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
pub fn check_cluster(text: &str) -> Result<(), String> {
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
pub fn check_database(text: &str) -> Result<(), String> {
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

/// A tenant is a GUID or a domain such as `contoso.onmicrosoft.com`: labels of letters, digits
/// and `-`, so that `.`, `..` or an empty label can never change the token endpoint's path.
pub fn check_tenant(tenant: &str) -> Result<(), String> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 256
        && tenant.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a tenant id or domain",
            shorten(tenant)
        ))
    }
}

/// Declares a checked name: `FromStr` runs the check (so clap reports a bad value with the
/// flag's name and exits 2), and the value derefs to the text.
macro_rules! checked_name {
    ($(#[$doc:meta])* $name:ident, $check:path, $advice:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                $check(text)
                    .map(|()| $name(text.to_string()))
                    .map_err(|problem| format!("{problem}; {}", $advice))
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

checked_name!(
    /// A GUID: subscription, tenant or client id.
    Guid,
    check_guid,
    "it looks like `12345678-1234-1234-1234-123456789abc`"
);
checked_name!(
    /// A resource group name.
    ResourceGroupName,
    check_resource_group,
    "ARM allows letters, digits, `-`, `_`, `.`, `(`, `)`, not ending in `.`"
);
checked_name!(
    /// A Kusto cluster name.
    ClusterName,
    check_cluster,
    "Kusto allows 4 to 22 letters, digits and `-`, starting with a letter"
);
checked_name!(
    /// A Kusto database name.
    DatabaseName,
    check_database,
    "Kusto allows letters, digits, spaces, `_`, `-`, `.`"
);
checked_name!(
    /// A data connection name.
    ConnectionName,
    check_connection_name,
    "use letters, digits, `-` and `.`, at most 40 characters"
);

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn typed_names_parse_through_their_checks() {
        assert!("adx-demo".parse::<ClusterName>().is_ok());
        let error = "ab".parse::<ClusterName>().unwrap_err();
        assert!(error.contains("4 to 22"), "{error}");
        assert!("..".parse::<ConnectionName>().is_err());
        assert_eq!(&*"db.v2".parse::<DatabaseName>().unwrap(), "db.v2");
    }
}
