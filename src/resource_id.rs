//! ARM resource ids: parsing, provider-type checks, and the parts adxconn reads from them.
//!
//! An id is `/subscriptions/{s}[/resourceGroups/{rg}]/providers/{Namespace}/{type}/{name}[/{type}/{name}…]`,
//! possibly followed by further `/providers/…` sections for extension resources such as an Event
//! Grid subscription scoped to a storage account. ARM compares ids case-insensitively, and so do
//! we; the original spelling is kept for sending.

use std::fmt;

/// A parsed ARM resource id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    raw: String,
    subscription: String,
    resource_group: Option<String>,
    /// `Namespace/type[/type…]` of the last provider section, as written.
    resource_type: String,
    /// Names along the last provider section, outermost first.
    names: Vec<String>,
    /// How many `/providers/…` sections it has: 1, or more for an extension resource.
    sections: usize,
}

impl ResourceId {
    /// Parses an id; the error says what is wrong with it in words a user can act on.
    pub fn parse(text: &str) -> Result<ResourceId, String> {
        if text.trim() != text {
            return Err("it has leading or trailing whitespace".into());
        }
        if text.is_empty() {
            return Err("it is empty".into());
        }
        if text.len() > 2048 {
            return Err("it is longer than 2048 characters".into());
        }
        if let Some(bad) = text.chars().find(|c| {
            c.is_control()
                || c.is_whitespace()
                || crate::scrub::is_invisible_format(*c)
                || matches!(c, '?' | '#' | '%' | '\\')
        }) {
            return Err(format!("it contains the character {bad:?}"));
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err("it must start with `/subscriptions/`".into());
        };
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.iter().any(|segment| segment.is_empty()) {
            return Err("it has an empty segment (`//` or a trailing `/`)".into());
        }
        // `.` and `..` would be normalised into another path: another resource than the one named.
        if let Some(dots) = segments.iter().find(|s| s.chars().all(|c| c == '.')) {
            return Err(format!(
                "it has a `{dots}` segment; ids name each resource exactly"
            ));
        }
        let (Some(first), Some(subscription)) = (segments.first(), segments.get(1)) else {
            return Err("it must start with `/subscriptions/{subscription-id}`".into());
        };
        if !first.eq_ignore_ascii_case("subscriptions") {
            return Err("it must start with `/subscriptions/`".into());
        }
        crate::names::check_guid(subscription)
            .map_err(|problem| format!("its subscription: {problem}"))?;
        let mut index = 2;
        let mut resource_group = None;
        if segments
            .get(index)
            .is_some_and(|s| s.eq_ignore_ascii_case("resourceGroups"))
        {
            let Some(group) = segments.get(index + 1) else {
                return Err("it ends after `resourceGroups` without a name".into());
            };
            resource_group = Some((*group).to_string());
            index += 2;
        }
        // Each provider section: `providers/{Namespace}/{type}/{name}[/{type}/{name}…]`.
        let mut last = None;
        let mut sections = 0;
        while index < segments.len() {
            if !segments[index].eq_ignore_ascii_case("providers") {
                return Err(format!(
                    "expected `providers` where it has `{}`",
                    segments[index]
                ));
            }
            let start = index + 1;
            let mut end = start + 1;
            while end < segments.len() && !segments[end].eq_ignore_ascii_case("providers") {
                end += 1;
            }
            let section = &segments[start..end];
            // Namespace, then pairs of type and name.
            if section.len() < 3 || section.len().is_multiple_of(2) {
                return Err(format!(
                    "the provider section `{}` must be `Namespace/type/name[/type/name…]`",
                    section.join("/")
                ));
            }
            last = Some(section);
            sections += 1;
            index = end;
        }
        let Some(section) = last else {
            return Err("it names no resource (no `/providers/{Namespace}/{type}/{name}`)".into());
        };
        let mut resource_type = section[0].to_string();
        let mut names = Vec::new();
        for pair in section[1..].chunks(2) {
            resource_type.push('/');
            resource_type.push_str(pair[0]);
            names.push(pair[1].to_string());
        }
        Ok(ResourceId {
            raw: text.to_string(),
            subscription: (*subscription).to_string(),
            resource_group,
            resource_type,
            names,
            sections,
        })
    }

    /// Parses the id of a resource of `expected_type` (`Namespace/type[/type…]`, compared
    /// case-insensitively) in a resource group, with one provider section: an id with a
    /// second `/providers/…` names a different resource than its first part suggests.
    pub fn parse_typed(text: &str, expected_type: &str) -> Result<ResourceId, String> {
        let id = ResourceId::parse_extension(text, expected_type)?;
        id.check_plain()?;
        Ok(id)
    }

    /// Like `parse_typed`, for an extension resource (such as an Event Grid subscription
    /// scoped to a storage account), which may follow another resource's provider section.
    pub fn parse_extension(text: &str, expected_type: &str) -> Result<ResourceId, String> {
        let id = ResourceId::parse(text)?;
        if !id.resource_type.eq_ignore_ascii_case(expected_type) {
            return Err(format!(
                "it names a `{}`, not a `{expected_type}`",
                id.resource_type
            ));
        }
        Ok(id)
    }

    /// An ordinary resource: in a resource group, one provider section.
    pub fn check_plain(&self) -> Result<(), String> {
        if self.resource_group.is_none() {
            return Err("it has no `/resourceGroups/{name}`".into());
        }
        if self.sections > 1 {
            return Err(
                "it has more than one `/providers/` section; give the resource's own id".into(),
            );
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn subscription(&self) -> &str {
        &self.subscription
    }

    pub fn resource_group(&self) -> Option<&str> {
        self.resource_group.as_deref()
    }

    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The names along the resource's own provider section, outermost first
    /// (`[namespace, eventhub]` for an Event Hub).
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::ResourceId;

    const SUB: &str = "12345678-1234-1234-1234-123456789098";

    #[test]
    fn parses_nested_resource() {
        let text = format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/hub");
        let id = ResourceId::parse_typed(&text, "microsoft.eventhub/NAMESPACES/eventhubs").unwrap();
        assert_eq!(id.subscription(), SUB);
        assert_eq!(id.resource_group(), Some("rg"));
        assert_eq!(
            id.resource_type(),
            "Microsoft.EventHub/namespaces/eventhubs"
        );
        assert_eq!(id.names(), ["ns", "hub"]);
        assert_eq!(id.to_string(), text);
    }

    #[test]
    fn parses_extension_resource() {
        let text = format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.EventGrid/eventSubscriptions/sub1");
        let id =
            ResourceId::parse_extension(&text, "Microsoft.EventGrid/eventSubscriptions").unwrap();
        assert_eq!(id.names(), ["sub1"]);
    }

    #[test]
    fn typed_ids_need_a_resource_group_and_one_provider_section() {
        let nested = format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Foo/bars/x/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/n");
        let connection = "Microsoft.Kusto/clusters/databases/dataConnections";
        assert!(ResourceId::parse_typed(&nested, connection).is_err());
        assert!(ResourceId::parse_extension(&nested, connection).is_ok());
        let no_group =
            format!("/subscriptions/{SUB}/providers/Microsoft.EventHub/namespaces/ns/eventhubs/h");
        assert!(
            ResourceId::parse_typed(&no_group, "Microsoft.EventHub/namespaces/eventhubs").is_err()
        );
    }

    #[test]
    fn rejects_wrong_type_and_malformed_ids() {
        let hub = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Devices/IotHubs/hub"
        );
        let error =
            ResourceId::parse_typed(&hub, "Microsoft.EventHub/namespaces/eventhubs").unwrap_err();
        assert!(error.contains("Microsoft.Devices/IotHubs"), "{error}");
        for bad in [
            "",
            " /subscriptions/x",
            "subscriptions/abc",
            "/subscriptions/not-a-guid/resourceGroups/rg/providers/A.B/c/d",
            &format!("/subscriptions/{SUB}/resourceGroups/rg"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/A.B/c"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/A.B/c/d/"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/A.B/c/d/e"),
            &format!("/subscriptions/{SUB}/resourceGroups//providers/A.B/c/d"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/things/A.B/c/d"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/A.B/c/d?x=1"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/A.B/c/../d/.."),
            &format!("/subscriptions/{SUB}/resourceGroups/./providers/A.B/c/d"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/A.B/c/d\u{202e}x"),
        ] {
            assert!(ResourceId::parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
