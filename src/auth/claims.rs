//! The unverified claims of a JWT access token: enough to say whose token it is and whether it
//! can still work (`tid`, `appid`/`oid`, `aud`, `exp`), checked before anything is sent.
//!
//! Nothing here trusts a token: ARM verifies signatures. This only turns "ARM will reject it"
//! into an error that names the file at fault before a request goes out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// Claims adxconn reads; all optional, as tokens differ (app vs user, v1 vs v2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub tenant: Option<String>,
    pub app_id: Option<String>,
    pub object_id: Option<String>,
    pub audience: Option<String>,
    /// Seconds since the Unix epoch.
    pub expires: Option<i64>,
}

impl Claims {
    /// Decodes the payload of `header.payload.signature`; the error says what is wrong.
    pub fn decode(token: &str) -> Result<Claims, String> {
        let mut parts = token.split('.');
        let (Some(_header), Some(payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("it is not a JWT (three dot-separated parts)".into());
        };
        // Some issuers pad; base64url without padding is the standard.
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| "its payload is not base64url".to_string())?;
        let json: Value =
            serde_json::from_slice(&bytes).map_err(|_| "its payload is not JSON".to_string())?;
        if !json.is_object() {
            return Err("its payload is not a JSON object".into());
        }
        let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_string);
        let audience = match json.get("aud") {
            Some(Value::String(aud)) => Some(aud.clone()),
            // `aud` may be an array; ARM needs one of its entries to be ARM's.
            Some(Value::Array(auds)) => auds
                .iter()
                .filter_map(Value::as_str)
                .find(|aud| is_arm_audience(aud))
                .or_else(|| auds.iter().find_map(Value::as_str))
                .map(str::to_string),
            _ => None,
        };
        let expires = match json.get("exp") {
            Some(Value::Number(number)) => number
                .as_i64()
                .or_else(|| number.as_f64().map(|f| f as i64)),
            Some(Value::String(text)) => text.parse().ok(),
            _ => None,
        };
        Ok(Claims {
            tenant: text("tid"),
            app_id: text("appid").or_else(|| text("azp")),
            object_id: text("oid"),
            audience,
            expires,
        })
    }

    /// `tid=…, appid=…, oid=…, expires …` for `--debug`: identifies, never reveals the token.
    pub fn describe(&self) -> String {
        let field = |name: &str, value: &Option<String>| {
            format!("{name}={}", value.as_deref().unwrap_or("?"))
        };
        let expires = self
            .expires
            .and_then(|exp| time::OffsetDateTime::from_unix_timestamp(exp).ok())
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| "?".into());
        format!(
            "{}, {}, {}, expires {expires}",
            field("tid", &self.tenant),
            field("appid", &self.app_id),
            field("oid", &self.object_id)
        )
    }
}

/// ARM accepts tokens for its resource in each cloud, with or without a trailing slash, and the
/// legacy `management.core.windows.net` audience.
pub fn is_arm_audience(audience: &str) -> bool {
    const ARM: [&str; 6] = [
        "https://management.azure.com",
        "https://management.core.windows.net",
        "https://management.chinacloudapi.cn",
        "https://management.core.chinacloudapi.cn",
        "https://management.usgovcloudapi.net",
        "https://management.core.usgovcloudapi.net",
    ];
    let audience = audience.trim_end_matches('/');
    ARM.iter().any(|arm| arm.eq_ignore_ascii_case(audience))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_the_claims_that_matter() {
        let claims = Claims::decode(&token(
            r#"{"tid":"t1","appid":"a1","oid":"o1","aud":"https://management.azure.com/","exp":1900000000}"#,
        ))
        .unwrap();
        assert_eq!(claims.tenant.as_deref(), Some("t1"));
        assert_eq!(claims.app_id.as_deref(), Some("a1"));
        assert_eq!(claims.expires, Some(1_900_000_000));
        assert!(is_arm_audience(claims.audience.as_deref().unwrap()));
        assert!(claims
            .describe()
            .starts_with("tid=t1, appid=a1, oid=o1, expires 2030-"));
    }

    #[test]
    fn rejects_what_is_not_a_jwt() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "a.%%%.c",
            &token("[1]"),
            &token("not json"),
        ] {
            assert!(Claims::decode(bad).is_err(), "accepted {bad:?}");
        }
        assert!(!is_arm_audience("https://graph.microsoft.com"));
    }
}
