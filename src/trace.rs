//! `--debug`: every HTTP exchange on stderr, with credentials redacted.
//!
//! Redaction happens here, at the only place requests are printed: `Authorization` and
//! `x-ms-authorization-auxiliary` values are replaced, whatever their scheme.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use url::Url;

/// Bodies longer than this are cut in traces.
const MAX_BODY: usize = 8 * 1024;

const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-ms-authorization-auxiliary",
    "cookie",
    "set-cookie",
];

#[derive(Debug, Clone, Copy, Default)]
pub struct Trace {
    enabled: bool,
}

impl Trace {
    pub fn new(enabled: bool) -> Trace {
        Trace { enabled }
    }

    pub fn enabled(self) -> bool {
        self.enabled
    }

    pub fn request(self, request: &reqwest::Request, body: Option<&[u8]>) {
        if !self.enabled {
            return;
        }
        let mut text = format!("debug: > {} {}\n", request.method(), request.url());
        text.push_str(&headers(request.headers(), "> "));
        if let Some(body) = body {
            text.push_str(&format!("debug: > {}\n", printable(body)));
        }
        emit(&text);
    }

    pub fn response(
        self,
        status: StatusCode,
        headers_map: &HeaderMap,
        body: &[u8],
        elapsed: Duration,
    ) {
        if !self.enabled {
            return;
        }
        let mut text = format!("debug: < {status} ({} ms)\n", elapsed.as_millis());
        text.push_str(&headers(headers_map, "< "));
        if !body.is_empty() {
            text.push_str(&format!("debug: < {}\n", printable(body)));
        }
        emit(&text);
    }

    pub fn failure(self, error: &crate::transport::TransportError, elapsed: Duration) {
        if self.enabled {
            let mut text = format!(
                "debug: < no answer after {} ms: {error}",
                elapsed.as_millis()
            );
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            emit(&format!("{text}\n"));
        }
    }

    pub fn note(self, message: &str) {
        if self.enabled {
            emit(&format!("debug: {message}\n"));
        }
    }
}

/// Shows a header set with credentials replaced.
pub fn headers(map: &HeaderMap, prefix: &str) -> String {
    let mut text = String::new();
    for (name, value) in map {
        let shown = if SECRET_HEADERS.contains(&name.as_str()) {
            redact(value.to_str().unwrap_or(""))
        } else {
            value.to_str().unwrap_or("<binary>").to_string()
        };
        text.push_str(&format!("debug: {prefix}{name}: {shown}\n"));
    }
    text
}

/// `Bearer eyJ…` → `Bearer [redacted]`; each comma-separated entry keeps only its scheme.
pub fn redact(value: &str) -> String {
    value
        .split(',')
        .map(|entry| match entry.trim().split_once(' ') {
            Some((scheme, _)) => format!("{scheme} [redacted]"),
            None => "[redacted]".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A URL without its query, for error messages (status URLs carry ~3 KB of signature).
pub fn without_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

fn printable(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= MAX_BODY {
        text.into_owned()
    } else {
        let mut end = MAX_BODY;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes in all)", &text[..end], body.len())
    }
}

fn emit(text: &str) {
    crate::stderr::write(&crate::scrub::terminal(text));
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redaction_keeps_only_schemes() {
        assert_eq!(redact("Bearer abc.def.ghi"), "Bearer [redacted]");
        assert_eq!(
            redact("Bearer t1, EncryptedBearer t2"),
            "Bearer [redacted], EncryptedBearer [redacted]"
        );
        assert_eq!(redact("opaque"), "[redacted]");
    }
}
