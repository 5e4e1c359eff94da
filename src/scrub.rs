//! What adxconn prints is scrubbed here, on every path: every secret and token the process
//! holds, anything shaped like a JWT, and characters that would steer a terminal.
//!
//! Servers can echo what they were sent (a token endpoint reflecting its form, a proxy's error
//! page quoting request headers), so scrubbing cannot rely on knowing where secrets might
//! appear: each secret is registered when it is read or received, and every line printed is
//! searched for it, raw and in the encodings a server would echo it in.

use std::borrow::Cow;
use std::sync::Mutex;

const REDACTED: &str = "[redacted]";

/// Secrets in every form they may be echoed in, longest first.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a secret or token so that no printed line can carry it. Short values are skipped:
/// they could not be told from ordinary words (secrets and tokens are tens of characters).
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < 8 {
        return;
    }
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let mut secrets = SECRETS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for variant in [secret.to_string(), form, json] {
        if !secrets.contains(&variant) {
            secrets.push(variant);
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Replaces every registered secret and every JWT-shaped run with `[redacted]`.
pub fn secrets(text: &str) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(text);
    {
        let secrets = SECRETS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for secret in secrets.iter() {
            if text.contains(secret.as_str()) {
                text = Cow::Owned(text.replace(secret.as_str(), REDACTED));
            }
        }
    }
    if text.contains("eyJ") {
        text = Cow::Owned(without_jwts(&text));
    }
    text
}

/// Text for a terminal: secrets scrubbed, and control and direction-changing characters shown
/// escaped (`\u{1b}`), so a name or message from a server cannot clear the screen, retitle the
/// window or reorder what is shown. Newlines and tabs are kept.
pub fn terminal(text: &str) -> String {
    let text = secrets(text);
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if (c != '\n' && c != '\t' && c.is_control()) || is_invisible_format(c) {
            shown.push_str(&c.escape_unicode().to_string());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// One cell of a table: as [`terminal`], and newlines and tabs escaped too, so that a value
/// from a server is one line and escaping happens before the columns are laid out.
pub fn cell(text: &str) -> String {
    terminal(text)
        .replace('\n', "\\u{a}")
        .replace('\t', "\\u{9}")
}

/// JSON text for stdout: secrets scrubbed, and the C1 controls and direction-changing
/// characters that `serde_json` leaves raw written as `\uXXXX` escapes (the same string to a
/// JSON reader; harmless to a terminal). They can only occur inside JSON strings.
pub fn json(text: &str) -> String {
    let text = secrets(text);
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if (c.is_control() && c != '\n') || is_invisible_format(c) {
            shown.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            shown.push(c);
        }
    }
    shown
}

/// Unicode format characters that change how text around them is shown (bidirectional
/// overrides and isolates, zero-width characters), though they print nothing themselves.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}')
}

/// `eyJ…` runs of base64url and dots (JWTs and their parts) become `[redacted]`.
fn without_jwts(text: &str) -> String {
    const MIN_LEN: usize = 16;
    let is_jwt_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| !is_jwt_char(c))
            .unwrap_or(candidate.len());
        if end >= MIN_LEN {
            out.push_str(REDACTED);
        } else {
            out.push_str(&candidate[..end.max(3)]);
        }
        rest = &candidate[end.max(3)..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_scrubbed_in_every_encoding() {
        register("s3cr+t/with=chars&more");
        let form = "client_id=x&client_secret=s3cr%2Bt%2Fwith%3Dchars%26more&grant_type=c";
        assert_eq!(
            secrets(form),
            "client_id=x&client_secret=[redacted]&grant_type=c"
        );
        assert_eq!(
            secrets("echo: s3cr+t/with=chars&more!"),
            "echo: [redacted]!"
        );
        register("short");
        assert_eq!(secrets("short"), "short");
    }

    #[test]
    fn jwt_shapes_are_scrubbed() {
        let text =
            "authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln, ok";
        assert_eq!(secrets(text), "authorization: Bearer [redacted], ok");
        assert_eq!(secrets("heyJoe"), "heyJoe");
        assert_eq!(secrets("eyJ"), "eyJ");
    }

    #[test]
    fn terminal_text_has_no_live_control_characters() {
        let shown = terminal("name\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}txt.exe\nnext\tcol");
        assert!(!shown.contains('\u{1b}'));
        assert!(!shown.contains('\u{202e}'));
        assert!(shown.contains("\\u{1b}"));
        assert!(shown.contains("\nnext\tcol"));
        let json = json("{\"a\":\"\u{9b}x\u{202e}\"}");
        assert_eq!(json, "{\"a\":\"\\u009bx\\u202e\"}");
    }
}
