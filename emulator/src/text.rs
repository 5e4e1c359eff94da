//! The text formats the emulator speaks: percent-coding of path segments,
//! query strings and form bodies, base64url, the timestamp layouts of ARM
//! and Entra ID, RFC 3339 validation, .NET ticks, and GUIDs. The codecs are
//! the `percent-encoding`, `form_urlencoded`, `base64` and `time` crates';
//! this module fixes the choices the emulator makes with them.

use std::time::SystemTime;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use ring::rand::{SecureRandom as _, SystemRandom};
use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::{datetime, format_description};
use time::{OffsetDateTime, UtcOffset};

/// What [`percent_encode`] leaves alone: RFC 3986 unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Decodes `%XX` escapes. Malformed escapes are kept literally, as lenient
/// servers do; invalid UTF-8 is replaced, so decoding never fails.
pub(crate) fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The `a=1&b=2` pairs of a query string, decoded. A `+` stays a plus, as
/// RFC 3986 reads a query; only form bodies take it for a space.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

/// The pairs of an `application/x-www-form-urlencoded` body, decoded.
pub(crate) fn form_pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// The first value of `name` in decoded pairs.
pub(crate) fn pair_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The system RNG only fails when the OS has no entropy source at all, in
    // which case TLS could not work either; fall back to the clock rather
    // than panic.
    if SystemRandom::new().fill(&mut buf).is_err() {
        let nanos = OffsetDateTime::now_utc()
            .unix_timestamp_nanos()
            .to_le_bytes();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = nanos[i % nanos.len()] ^ (i as u8);
        }
    }
    buf
}

/// A random (version 4) GUID, lowercase.
pub(crate) fn new_guid() -> String {
    format_guid(random_bytes::<16>())
}

/// A GUID derived from `seed`, so the same input always yields the same id
/// (e.g. a service principal's object id, a managed identity's object id).
pub(crate) fn stable_guid(seed: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    format_guid(bytes)
}

fn format_guid(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Seconds since the Unix epoch, the unit of JWT times.
pub(crate) fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The instant `secs` after the Unix epoch (the epoch itself when out of
/// range).
pub(crate) fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// .NET ticks (100 ns since 0001-01-01), as in the `t=` of signed status URLs.
pub(crate) fn dotnet_ticks(t: SystemTime) -> i128 {
    const DOTNET_EPOCH: OffsetDateTime = datetime!(0001-01-01 0:00 UTC);
    (OffsetDateTime::from(t) - DOTNET_EPOCH).whole_nanoseconds() / 100
}

/// RFC 3339 with seven fractional digits, the way the Kusto resource
/// provider writes times.
const KUSTO_TIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z");

/// The timestamp layout of Entra ID error bodies.
const ENTRA_TIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");

/// The timestamp layout of `x-ms-routing-request-id`.
const COMPACT_TIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

fn format_utc(t: OffsetDateTime, layout: &[BorrowedFormatItem<'_>]) -> String {
    // An OffsetDateTime has every component these layouts name, and a
    // String cannot fail to grow, so formatting cannot fail.
    t.to_offset(UtcOffset::UTC)
        .format(layout)
        .unwrap_or_default()
}

/// `2024-12-01T02:11:44.0246855Z`.
pub(crate) fn rfc3339(t: impl Into<OffsetDateTime>) -> String {
    format_utc(t.into(), KUSTO_TIME)
}

/// `2024-12-01 02:11:44Z`.
pub(crate) fn entra_timestamp(t: impl Into<OffsetDateTime>) -> String {
    format_utc(t.into(), ENTRA_TIME)
}

/// `20241201T021144Z`.
pub(crate) fn compact_timestamp(t: impl Into<OffsetDateTime>) -> String {
    format_utc(t.into(), COMPACT_TIME)
}

/// Whether `s` is an RFC 3339 `date-time` (`2024-01-31T12:00:00Z`,
/// `...T12:00:00.5+02:00`). The date and time must be joined by `T` (or
/// `t`), as the grammar says; the parser alone also takes the space the
/// RFC's note allows.
pub(crate) fn is_rfc3339(s: &str) -> bool {
    matches!(s.as_bytes().get(10), Some(b'T' | b't')) && OffsetDateTime::parse(s, &Rfc3339).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c"), "a b+c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn query_parsing_keeps_plus_signs() {
        let pairs = query_pairs("api-version=1&&s=a+b%2Bc%20d&flag");
        assert_eq!(
            pairs,
            [
                ("api-version".to_owned(), "1".to_owned()),
                ("s".to_owned(), "a+b+c d".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn form_parsing() {
        let pairs = form_pairs(
            "grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&x&client_secret=a+b%2Bc",
        );
        assert_eq!(pair_value(&pairs, "grant_type"), Some("client_credentials"));
        assert_eq!(
            pair_value(&pairs, "scope"),
            Some("https://management.azure.com/.default")
        );
        assert_eq!(pair_value(&pairs, "x"), Some(""));
        assert_eq!(pair_value(&pairs, "client_secret"), Some("a b+c"));
        assert_eq!(pair_value(&pairs, "missing"), None);
    }

    #[test]
    fn encoding_round_trip() {
        assert_eq!(percent_encode("West Europe"), "West%20Europe");
        assert_eq!(percent_encode("a/b~c&é"), "a%2Fb~c%26%C3%A9");
        assert_eq!(percent_decode(&percent_encode("a/b c&d")), "a/b c&d");
    }

    #[test]
    fn times() {
        let t = UNIX_EPOCH + Duration::new(1_733_019_104, 24_685_500);
        assert_eq!(rfc3339(t), "2024-12-01T02:11:44.0246855Z");
        assert_eq!(entra_timestamp(t), "2024-12-01 02:11:44Z");
        assert_eq!(compact_timestamp(t), "20241201T021144Z");
        assert_eq!(dotnet_ticks(t), 638_686_159_040_246_855);
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.0000000Z"
        );
        assert_eq!(
            rfc3339(from_unix(1_733_019_104)),
            "2024-12-01T02:11:44.0000000Z"
        );
        assert_eq!(rfc3339(from_unix(i64::MAX)), "1970-01-01T00:00:00.0000000Z");
    }

    #[test]
    fn rfc3339_parsing() {
        for ok in [
            "2024-01-31T12:00:00Z",
            "2024-02-29T23:59:59.123+02:00",
            "2024-12-31T23:59:60Z",
            "2024-12-01T02:11:48.8675738Z",
            "2024-01-01t00:00:00z",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "2024-01-31",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0200",
            "2024-01-01 00:00:00Z",
            "2024-02-29T23:59:60+02:00",
            "yesterday",
            "2024-01-01T00:00:00Zjunk",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn guids() {
        let g = new_guid();
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert_eq!(stable_guid("x"), stable_guid("x"));
        assert_ne!(stable_guid("x"), stable_guid("y"));
    }
}
