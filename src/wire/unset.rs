//! Serde helpers for ARM's ways of saying "not set": a field may be absent, `null` or `""`
//! (the live service sends all three, even within one body), and all of them read as unset.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{Map, Value};

/// `null` and `""` are how ARM spells an unset field.
pub(crate) fn is_unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// An optional field: absent (with `#[serde(default)]`), `null` and `""` all read as `None`;
/// anything else must read as `T`.
pub(crate) fn unset_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    if is_unset(&value) {
        return Ok(None);
    }
    T::deserialize(value).map(Some).map_err(D::Error::custom)
}

/// A field with a natural empty value (a list, a string): `null` and `""` read as that value.
pub(crate) fn unset_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    if is_unset(&value) {
        return Ok(T::default());
    }
    T::deserialize(value).map_err(D::Error::custom)
}

/// A number that may come as a JSON number or as a numeric string; anything else (including
/// a non-finite value) reads as `None` rather than failing the whole body.
pub(crate) fn lenient_number<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    let number = match Value::deserialize(deserializer)? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    Ok(number.filter(|number| number.is_finite()))
}

/// The members of a resource's `properties` that this version does not model: kept, except
/// that members set to `null`/`""` (at any depth, inside objects) are dropped like the
/// modelled ones, so "unset" means the same thing everywhere in `properties`.
pub(crate) fn set_members<'de, D>(deserializer: D) -> Result<Map<String, Value>, D::Error>
where
    D: Deserializer<'de>,
{
    let mut members = Map::deserialize(deserializer)?;
    strip_unset_members(&mut members);
    Ok(members)
}

/// Drops every object member that is `null` or `""`, recursively (array elements are kept, but
/// objects inside arrays are cleaned too).
pub(crate) fn strip_unset_members(members: &mut Map<String, Value>) {
    members.retain(|_, value| !is_unset(value));
    for value in members.values_mut() {
        strip_unset_within(value);
    }
}

fn strip_unset_within(value: &mut Value) {
    match value {
        Value::Object(members) => strip_unset_members(members),
        Value::Array(items) => items.iter_mut().for_each(strip_unset_within),
        _ => {}
    }
}

/// A non-empty string member of a raw JSON object.
pub(crate) fn raw_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}
