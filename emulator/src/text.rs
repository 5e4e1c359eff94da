//! Small text codecs the emulator needs and does not take a dependency for:
//! percent-decoding, form and query parsing, base64url, RFC 3339 time
//! formatting and parsing, .NET ticks, and GUIDs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom as _, SystemRandom};

/// Decodes `%XX` escapes (and `+` as space when `plus_is_space`, as in forms).
/// Malformed escapes are kept literally, as lenient servers do; invalid UTF-8
/// is replaced, so decoding never fails.
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                    (Some(hi), Some(lo)) => {
                        out.push(hi << 4 | lo);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses `a=1&b=2` pairs (form bodies and query strings), decoding both sides.
pub(crate) fn parse_pairs(s: &str, plus_is_space: bool) -> Vec<(String, String)> {
    s.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(k, plus_is_space),
                percent_decode(v, plus_is_space),
            )
        })
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
        let nanos = now_unix().as_nanos().to_le_bytes();
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

pub(crate) fn now_unix() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// .NET ticks (100 ns since 0001-01-01), as in the `t=` of signed status URLs.
pub(crate) fn dotnet_ticks(t: SystemTime) -> u128 {
    const UNIX_EPOCH_TICKS: u128 = 621_355_968_000_000_000;
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    UNIX_EPOCH_TICKS + since.as_nanos() / 100
}

/// `2024-12-01T02:11:44.0246855Z`: RFC 3339 with seven fractional digits, the
/// way the Kusto resource provider writes times.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (date, hms) = civil(since.as_secs());
    format!("{date}T{hms}.{:07}Z", since.subsec_nanos() / 100)
}

/// `2024-12-01 02:11:44Z`, the timestamp format of Entra ID error bodies.
pub(crate) fn entra_timestamp(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (date, hms) = civil(since.as_secs());
    format!("{date} {hms}Z")
}

/// `20241201T021144Z`, as in `x-ms-routing-request-id`.
pub(crate) fn compact_timestamp(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (date, hms) = civil(since.as_secs());
    format!("{}T{}Z", date.replace('-', ""), hms.replace(':', ""))
}

/// Splits Unix seconds into `YYYY-MM-DD` and `HH:MM:SS` (proleptic Gregorian).
fn civil(secs: u64) -> (String, String) {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
    )
}

/// Whether `s` is an RFC 3339 `date-time` (`2024-01-31T12:00:00Z`,
/// `...T12:00:00.5+02:00`).
pub(crate) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't'))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > month_days || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let all_digits = [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit());
            all_digits && (h1 - b'0') * 10 + (h2 - b'0') < 24 && (m1 - b'0') * 10 + (m2 - b'0') < 60
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a%20b+c", false), "a b+c");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%zz%4", false), "%zz%4");
        assert_eq!(percent_decode("%E2%82%AC", false), "€");
        assert_eq!(percent_decode("%ff", false), "\u{fffd}");
    }

    #[test]
    fn form_parsing() {
        let pairs = parse_pairs(
            "grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&x&client_secret=a+b%2Bc",
            true,
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
        assert_eq!(percent_decode(&percent_encode("a/b c&d"), false), "a/b c&d");
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
    }

    #[test]
    fn rfc3339_parsing() {
        for ok in [
            "2024-01-31T12:00:00Z",
            "2024-02-29T23:59:60.123+02:00",
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
