//! Compact JWS (`header.payload.signature`) for the tokens the emulator
//! checks but did not necessarily sign: client assertions and federated
//! tokens. Parsing is lenient about padding, since some clients pad their
//! base64url; what the parts say is left to the callers.

use serde_json::{Map, Value};

use crate::text::{b64url, b64url_decode};

/// A JWS split into its parts, signature not yet checked.
#[derive(Debug, Clone)]
pub(crate) struct Jws {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `header.payload` exactly as sent: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jws {
    /// The parts of `token`, or `None` unless it is three base64url parts
    /// whose first two are JSON objects.
    pub(crate) fn parse(token: &str) -> Option<Jws> {
        let mut parts = token.trim().split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let object = |part: &str| match serde_json::from_slice(&decode(part)?) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
        Some(Jws {
            header: object(header)?,
            claims: object(payload)?,
            signing_input: format!("{header}.{payload}"),
            signature: decode(signature)?,
        })
    }

    /// A header field that is a string.
    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A claim that is a string.
    pub(crate) fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A claim that is a number of seconds (fractions dropped, as JWT
    /// libraries do).
    pub(crate) fn claim_time(&self, name: &str) -> Option<i64> {
        let value = self.claims.get(name)?;
        #[expect(
            clippy::cast_possible_truncation,
            reason = "NumericDate may carry fractions; whole seconds are meant"
        )]
        value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
    }

    /// The audiences: `aud` is a string or a list of them.
    pub(crate) fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// `header.payload.signature` for these parts, `sign` producing the
/// signature of `header.payload`.
pub(crate) fn encode(
    header: &Value,
    claims: &Value,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> String {
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(&signature))
}

/// base64url with or without padding; the standard alphabet too, which some
/// clients use for `x5t`.
pub(crate) fn decode(part: &str) -> Option<Vec<u8>> {
    let unpadded: String = part
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    b64url_decode(&unpadded)
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    #[test]
    fn round_trip_and_leniency() {
        let token = encode(
            &json!({"alg": "none"}),
            &json!({"aud": ["a", "b"], "exp": 10.7, "iss": "x"}),
            |_| vec![0xfb, 0xff],
        );
        let jws = Jws::parse(&token).unwrap_or_else(|| panic!("{token}"));
        assert_eq!(jws.header_str("alg"), Some("none"));
        assert_eq!(jws.claim_str("iss"), Some("x"));
        assert_eq!(jws.claim_time("exp"), Some(10));
        assert_eq!(jws.audiences(), ["a", "b"]);
        assert_eq!(jws.signature, [0xfb, 0xff]);
        assert_eq!(
            jws.signing_input,
            token.rsplit_once('.').unwrap_or_default().0
        );
        assert_eq!(decode("-_8="), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("+/8"), Some(vec![0xfb, 0xff]));
    }

    #[test]
    fn rejects_what_is_not_a_jws() {
        for bad in ["", "a.b", "a.b.c.d", "e30.W10.", "W10.e30.", "e30.e30.!!"] {
            assert!(Jws::parse(bad).is_none(), "{bad}");
        }
        assert!(Jws::parse("e30.e30.").is_some());
    }
}
