//! ARM's paged lists: when the settings set a page size, a list answers one
//! page and a `nextLink` to the same list on the emulator's origin, with an
//! opaque `$skiptoken`; the last page has no `nextLink`.

use serde_json::{json, Value};

use crate::http::Reply;
use crate::state::State;
use crate::text::{b64url, b64url_decode, pair_value};
use crate::API_VERSION;

/// The page of `items` the request's `$skiptoken` asks for (all of them
/// when paging is off), each rendered by `render`, or 400 `InvalidSkipToken`.
pub(super) fn paged<T>(
    state: &State,
    path: &str,
    params: &[(String, String)],
    items: &[T],
    render: impl Fn(&T) -> Value,
) -> Reply {
    let Some(page_size) = state.settings.page_size else {
        let all: Vec<Value> = items.iter().map(render).collect();
        return Reply::json(200, &json!({"value": all}));
    };
    let page_size = page_size.max(1);
    let offset = match pair_value(params, "$skiptoken") {
        None => 0,
        Some(token) => match decode_skip_token(token) {
            Some(offset) => offset,
            None => {
                return Reply::arm_error(
                    400,
                    "InvalidSkipToken",
                    format!("The $skiptoken '{token}' is invalid."),
                );
            }
        },
    };
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(page_size)
        .map(render)
        .collect();
    let mut body = json!({"value": page});
    let next = offset.saturating_add(page_size);
    if next < items.len() {
        body["nextLink"] = Value::from(format!(
            "{}{path}?api-version={API_VERSION}&$skiptoken={}",
            state.origin,
            b64url(format!("offset:{next}").as_bytes())
        ));
    }
    Reply::json(200, &body)
}

fn decode_skip_token(token: &str) -> Option<usize> {
    let raw = b64url_decode(token)?;
    std::str::from_utf8(&raw)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_tokens() {
        assert_eq!(decode_skip_token(&b64url(b"offset:7")), Some(7));
        assert_eq!(decode_skip_token("!!"), None);
        assert_eq!(decode_skip_token(&b64url(b"offset:x")), None);
    }
}
