//! Durations (`90s`, `15m`, `2h`, `30d`) and sizes (`512KiB`, `15MiB`) as written in the config.
//!
//! Both are a whole number followed by one unit, with no space in between and nothing
//! else: strict on purpose, so a typo (`15 mins`, `1.5h`, `15mb`) is an error rather than
//! a surprise. Sizes may also be a bare number of bytes.

use std::time::Duration;

/// Duration units: suffix and its length in milliseconds.
const DURATION_UNITS: &[(&str, u64)] = &[
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Size units: suffix and its number of bytes (binary `KiB`…, decimal `kB`…).
const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("kB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
];

/// Parses `90s`, `15m`, `2h`, `30d` (also `500ms`, `1w`). Returns a message on error.
///
/// Zero (`0s`) parses; callers that need a positive duration check that themselves.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const EXPECTED: &str = "expected a number and a unit (ms, s, m, h, d, w), like \"90s\", \"15m\", \"2h\" or \"30d\"";
    let (number, unit) = split_number(text).ok_or_else(|| format!("{text:?}: {EXPECTED}"))?;
    let millis_per_unit = DURATION_UNITS
        .iter()
        .find(|(suffix, _)| *suffix == unit)
        .map(|(_, millis)| *millis)
        .ok_or_else(|| format!("{text:?}: unknown unit {unit:?}; {EXPECTED}"))?;
    number
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{text:?}: too long"))
}

/// Parses `512KiB`, `15MiB`, `1GiB`, `100B`, `10kB`, `2MB`, or a bare number of bytes.
/// Returns a message on error.
pub fn parse_size(text: &str) -> Result<u64, String> {
    const EXPECTED: &str = "expected a number of bytes or a number and a unit (B, KiB, MiB, GiB, kB, MB, GB), like \"512KiB\" or \"15MiB\"";
    let (number, unit) = split_number(text).ok_or_else(|| format!("{text:?}: {EXPECTED}"))?;
    if unit.is_empty() {
        return Ok(number);
    }
    let bytes_per_unit = SIZE_UNITS
        .iter()
        .find(|(suffix, _)| *suffix == unit)
        .map(|(_, bytes)| *bytes)
        .ok_or_else(|| format!("{text:?}: unknown unit {unit:?}; {EXPECTED}"))?;
    number
        .checked_mul(bytes_per_unit)
        .ok_or_else(|| format!("{text:?}: too large"))
}

/// Writes a duration in the config's own notation, in the largest unit that divides
/// it exactly: `5m`, `36h`, `1500ms`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_owned();
    }
    DURATION_UNITS
        .iter()
        .rev()
        .find(|(_, unit)| millis.is_multiple_of(u128::from(*unit)))
        .map(|(suffix, unit)| format!("{}{suffix}", millis / u128::from(*unit)))
        .unwrap_or_else(|| format!("{millis}ms"))
}

/// Splits `15MiB` into `(15, "MiB")`. `None` when there is no leading whole number.
fn split_number(text: &str) -> Option<(u64, &str)> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number = text[..digits_end].parse::<u64>().ok()?;
    Some((number, &text[digits_end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn malformed_durations_are_refused() {
        for bad in [
            "", "15", "m", "1.5h", "15 m", " 15m", "15mins", "-5m", "15M", "2H",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(parse_duration("99999999999999999999d").is_err());
        assert!(parse_duration("18446744073709551615w").is_err());
    }

    #[test]
    fn durations_format_in_their_largest_exact_unit() {
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_secs(36 * 3600)), "36h");
        assert_eq!(format_duration(Duration::from_secs(14 * 86_400)), "2w");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        for text in ["90s", "15m", "2h", "30d", "1w", "500ms"] {
            assert_eq!(
                format_duration(parse_duration(text).unwrap_or_default()),
                text
            );
        }
    }

    #[test]
    fn sizes_binary_decimal_and_bare() {
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("15MiB"), Ok(15 * 1024 * 1024));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("10kB"), Ok(10_000));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
    }

    #[test]
    fn malformed_sizes_are_refused() {
        for bad in ["", "MiB", "1.5MiB", "15 MiB", "15mib", "15mb", "15KB", "-1"] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(parse_size("99999999999TiB").is_err());
    }
}
