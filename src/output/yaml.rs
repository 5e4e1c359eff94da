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

/// The longest key written as `key:`, in bytes (YAML's limit is 1024 characters).
const MAX_IMPLICIT_KEY: usize = 1000;

/// `key: value` lines at `indent`; `continues_line` when the first key follows a `- `.
fn mapping(map: &Map<String, Value>, indent: usize, continues_line: bool, out: &mut String) {
    for (n, (key, value)) in map.iter().enumerate() {
        if n > 0 || !continues_line {
            pad(indent, out);
        }
        let key = string(key);
        // A plain `key:` may be at most 1024 characters long; a longer one (only a hostile
        // answer has one) is written as an explicit `? key` line.
        if key.len() > MAX_IMPLICIT_KEY {
            out.push_str("? ");
            out.push_str(&key);
            out.push('\n');
            pad(indent, out);
        } else {
            out.push_str(&key);
        }
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
        quoted(&text)
    }
}

/// `text` double-quoted. JSON's escapes leave DEL, the C1 controls and U+2028/U+2029 raw, but
/// YAML 1.1 readers take NEL, U+2028 and U+2029 for line breaks (a hostile value could start a
/// new key with one) and YAML does not allow the others unescaped: all are written as `\uXXXX`,
/// as are the byte-order mark and the invisible format characters.
fn quoted(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_default();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let escaped = matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
        ) || crate::scrub::is_invisible_format(c);
        if escaped {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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
        let long = "k".repeat(1200);
        assert_eq!(
            to_yaml(&json!([{ "a": 1, long.clone(): {"b": 2} }])),
            format!("- a: 1\n  ? {long}\n  :\n    b: 2\n")
        );
        assert_eq!(to_yaml(&json!("clicks")), "clicks\n");
        assert_eq!(to_yaml(&json!(null)), "null\n");
        assert_eq!(to_yaml(&json!([])), "[]\n");
        assert_eq!(to_yaml(&json!([[1, 2], "a"])), "-\n  - 1\n  - 2\n- a\n");
    }

    /// Every value written as YAML reads back as the same JSON, with a YAML 1.2 reader
    /// (serde_norway) and with PyYAML, the YAML 1.1 reader az and most scripts use: tricky
    /// strings, and every ARM example and recording in `tests/fixtures` (secrets and JWTs
    /// scrubbed on both sides, as printing does).
    #[test]
    fn yaml_readers_read_back_the_json_it_was_made_from() {
        let mut values: Vec<Value> = TRICKY
            .iter()
            .map(|text| json!({ *text: [*text] }))
            .collect();
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut names: Vec<_> = std::fs::read_dir(&fixtures)
            .expect("fixtures")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        names.sort();
        for path in names {
            let text = std::fs::read_to_string(&path).expect("fixture");
            values.push(scrubbed(serde_json::from_str(&text).expect("JSON fixture")));
        }
        assert!(values.len() > TRICKY.len() + 20, "{} values", values.len());
        let texts: Vec<String> = values.iter().map(to_yaml).collect();
        assert!(
            texts
                .iter()
                .all(|text| !text.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{7f}'])),
            "line breaks and controls are escaped"
        );
        for (value, text) in values.iter().zip(&texts) {
            let read: Value = serde_norway::from_str(text)
                .unwrap_or_else(|error| panic!("YAML 1.2 cannot read it ({error}):\n{text}"));
            assert_eq!(&read, value, "YAML 1.2 read back:\n{text}");
        }
        let mut python = std::process::Command::new("python3")
            .args([
                "-c",
                "import json, sys, yaml; print(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs (PyYAML is on every machine of this project's kind)");
        let mut stdin = python.stdin.take().expect("stdin");
        std::io::Write::write_all(
            &mut stdin,
            serde_json::to_string(&texts).unwrap().as_bytes(),
        )
        .expect("written");
        drop(stdin);
        let output = python.wait_with_output().expect("python3 ends");
        assert!(
            output.status.success(),
            "PyYAML could not read what was written"
        );
        let read: Vec<Value> = serde_json::from_slice(&output.stdout).expect("PyYAML's JSON");
        assert_eq!(read.len(), values.len());
        for ((value, read), text) in values.iter().zip(&read).zip(&texts) {
            assert_eq!(read, value, "PyYAML read back:\n{text}");
        }
    }

    /// Each string as printing leaves it.
    fn scrubbed(value: Value) -> Value {
        match value {
            Value::String(text) => Value::String(crate::scrub::secrets(&text).into_owned()),
            Value::Array(items) => Value::Array(items.into_iter().map(scrubbed).collect()),
            Value::Object(object) => Value::Object(
                object
                    .into_iter()
                    .map(|(key, value)| (crate::scrub::secrets(&key).into_owned(), scrubbed(value)))
                    .collect(),
            ),
            other => other,
        }
    }

    const TRICKY: [&str; 44] = [
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
        "\u{85}x\u{2028}",
        "\u{7f}",
        "2026-11-30T00:00:00Z",
        "0o17",
    ];

    #[test]
    fn strings_a_reader_would_take_for_something_else_are_quoted() {
        for text in TRICKY {
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
