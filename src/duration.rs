//! `--timeout` values: `90s`, `10m`, `1h30m`, `500ms`, or a bare number of seconds.

use std::time::Duration;

pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".into());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return checked(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("`{text}` is not a duration"));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}` has a number that is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            other => return Err(format!("`{other}` is not a unit; use ms, s, m or h")),
        };
        let part = unit
            .checked_mul(u32::try_from(number).map_err(|_| format!("`{text}` is too large"))?)
            .ok_or_else(|| format!("`{text}` is too large"))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| format!("`{text}` is too large"))?;
        rest = &rest[unit_len..];
    }
    checked(total)
}

/// Zero makes no sense, and more than a week is certainly a typo.
fn checked(duration: Duration) -> Result<Duration, String> {
    if duration.is_zero() {
        Err("it must be longer than zero".into())
    } else if duration > Duration::from_secs(7 * 24 * 3600) {
        Err("it must be at most a week (168h)".into())
    } else {
        Ok(duration)
    }
}

/// `--timeout`: a checked duration, parsed by clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Duration);

impl std::str::FromStr for Timeout {
    type Err = String;

    fn from_str(text: &str) -> Result<Timeout, String> {
        parse(text)
            .map(Timeout)
            .map_err(|problem| format!("{problem}; write it like `90s`, `10m` or `1h30m`"))
    }
}

/// `4.2 s`, `3 min 5 s`: for messages.
pub fn display(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let whole = duration.as_secs();
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        for bad in [
            "",
            "0",
            "m",
            "5x",
            "1.5h",
            "-3s",
            "99999999999999999999s",
            "200h",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
