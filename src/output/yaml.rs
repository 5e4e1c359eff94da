//! `-o yaml`: JSON values written as block-style YAML, the way az's `-o yaml` (PyYAML's
//! `safe_dump`) lays them out.
//!
//! A string is written plain only when every YAML reader takes it back as the same string: a
//! short set of ASCII characters, not starting like a number, date, indicator or a word that
//! YAML 1.1 reads as a boolean or null (`yes`, `off`, `~`). Anything else is double-quoted with
//! JSON's escapes, which YAML's double-quoted style shares. Secrets are scrubbed from each
//! string before that choice, so a `[redacted]` is quoted like any other text.

use serde_json::{Map, Value};

/// The YAML document for `value`, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(map, 0, false, &mut out),
        Value::Array(items) if !items.is_empty() => sequence(items, 0, &mut out),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

/// `key: value` lines at `indent`; `continues_line` when the first key follows a `- `.
fn mapping(map: &Map<String, Value>, indent: usize, continues_line: bool, out: &mut String) {
    for (n, (key, value)) in map.iter().enumerate() {
        if n > 0 || !continues_line {
            pad(indent, out);
        }
        out.push_str(&string(key));
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                mapping(inner, indent + 2, false, out);
            }
            // A list under a key starts at the key's own column, as PyYAML writes it.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                sequence(items, indent, out);
            }
            scalar => rest_of_line(scalar, out),
        }
    }
}

/// `- item` lines at `indent`.
fn sequence(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        pad(indent, out);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                mapping(map, indent + 2, true, out);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(inner, indent + 2, out);
            }
            scalar => rest_of_line(scalar, out),
        }
    }
}

/// ` value` and the line's end, after a key's `:` or an item's `-`.
fn rest_of_line(scalar: &Value, out: &mut String) {
    out.push(' ');
    out.push_str(&inline(scalar));
    out.push('\n');
}

fn pad(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar, or an empty collection, on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

fn string(text: &str) -> String {
    let text = crate::scrub::secrets(text);
    if is_plain(&text) {
        text.into_owned()
    } else {
        serde_json::to_string(&*text).unwrap_or_default()
    }
}

/// Whether `text` reads back as itself when written without quotes, by YAML 1.1 and 1.2
/// readers alike.
fn is_plain(text: &str) -> bool {
    const WORDS: [&str; 11] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "<<",
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    let safe = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | '$' | '@' | '+' | ' ')
    };
    (first.is_ascii_alphabetic() || matches!(first, '/' | '_' | '$'))
        && text.chars().all(safe)
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !WORDS.iter().any(|word| text.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_connection_reads_like_az_yaml() {
        let value = json!([{
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/clicks",
            "kind": "EventHub",
            "location": "West Europe",
            "properties": {
                "consumerGroup": "$Default",
                "eventSystemProperties": ["x-opt-offset", "x-opt-enqueued-time"],
                "retrievalStartDate": "2026-11-30T00:00:00Z",
                "managedIdentityResourceId": null,
                "databaseRouting": "Single",
                "tags": {},
                "headers": [],
            },
            "crossTenant": false,
        }]);
        assert_eq!(
            to_yaml(&value),
            r#"- id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d/dataConnections/clicks
  kind: EventHub
  location: West Europe
  properties:
    consumerGroup: $Default
    eventSystemProperties:
    - x-opt-offset
    - x-opt-enqueued-time
    retrievalStartDate: "2026-11-30T00:00:00Z"
    managedIdentityResourceId: null
    databaseRouting: Single
    tags: {}
    headers: []
  crossTenant: false
"#
        );
    }

    #[test]
    fn scalars_and_nested_lists_stand_alone() {
        assert_eq!(to_yaml(&json!("clicks")), "clicks\n");
        assert_eq!(to_yaml(&json!(null)), "null\n");
        assert_eq!(to_yaml(&json!([])), "[]\n");
        assert_eq!(to_yaml(&json!([[1, 2], "a"])), "-\n  - 1\n  - 2\n- a\n");
    }

    #[test]
    fn strings_a_reader_would_take_for_something_else_are_quoted() {
        for text in [
            "",
            "yes",
            "No",
            "ON",
            "null",
            "~",
            "y",
            "1",
            "1e3",
            "0x1f",
            "2026-11-30",
            "12:30",
            ".inf",
            "-a",
            "- a",
            "a: b",
            "a #b",
            "#a",
            "[a]",
            "{a}",
            "*a",
            "&a",
            "!a",
            "|",
            ">",
            "%a",
            "@a",
            "`a",
            "'a'",
            "\"a\"",
            " a",
            "a ",
            "a  b",
            "a\nb",
            "a\tb",
            "é",
            "a,b",
            "?a",
            "<<",
            "[redacted]",
        ] {
            let written = string(text);
            assert!(
                written.starts_with('"'),
                "{text:?} was written plain: {written}"
            );
            let read: String = serde_json::from_str(&written).expect("JSON-quoted");
            assert_eq!(read, text);
        }
        for text in [
            "clicks",
            "$Default",
            "West Europe",
            "/subscriptions/x/y",
            "a-b.c_d",
            "Succeeded",
        ] {
            assert_eq!(string(text), text);
        }
    }
}
