//! When a source is polled next, decided without I/O: its interval or cron schedule,
//! exponential backoff after errors, clamping, and jitter so sources sharing an
//! interval spread out instead of firing together.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::config::SourceTiming;

/// The bounds every computed delay is clamped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: Duration,
    pub max: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            min: Duration::from_secs(60),
            max: Duration::from_secs(24 * 3600),
        }
    }
}

/// The next time a cron expression fires after `after` (in UTC).
pub fn next_cron(expr: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    crate::config::parse_cron(expr)
        .ok()?
        .find_next_occurrence(&after, false)
        .ok()
}

/// When to poll a source next, given how its last poll went.
///
/// - After success: its interval (or next cron time), at least `hint` (a feed `ttl`,
///   `Cache-Control: max-age` or `Retry-After`, when given).
/// - After `streak` consecutive errors: interval × 2^streak, capped at `bounds.max`.
///   The source is never given up on; it is tried again at that cap for ever.
///
/// Interval-based delays get ±10% jitter derived from the source name and the time, so
/// it is reproducible in tests yet differs between sources.
pub fn next_poll(
    name: &str,
    timing: &SourceTiming,
    now: DateTime<Utc>,
    streak: u32,
    hint: Option<Duration>,
    bounds: Bounds,
) -> DateTime<Utc> {
    let base = match timing {
        SourceTiming::Interval(every) => *every,
        SourceTiming::Schedule(expr) if streak == 0 && hint.is_none() => {
            if let Some(at) = next_cron(expr, now) {
                return at;
            }
            bounds.max
        }
        // A cron source that failed backs off from the smallest delay.
        SourceTiming::Schedule(_) => bounds.min,
    };
    let backoff = base.saturating_mul(2u32.saturating_pow(streak.min(30)));
    let delay = backoff
        .max(hint.unwrap_or(Duration::ZERO))
        .clamp(bounds.min, bounds.max.max(bounds.min));
    now + chrono::Duration::from_std(jitter(name, now, delay)).unwrap_or(chrono::Duration::MAX)
}

/// `delay` moved by up to ±10%, deterministically from the name and time.
fn jitter(name: &str, now: DateTime<Utc>, delay: Duration) -> Duration {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(now.timestamp().to_le_bytes())
        .finalize();
    let unit = f64::from(u16::from_le_bytes([digest[0], digest[1]])) / f64::from(u16::MAX);
    delay.mul_f64(0.9 + 0.2 * unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn delay(at: DateTime<Utc>) -> i64 {
        (at - now()).num_seconds()
    }

    const HALF_HOUR: SourceTiming = SourceTiming::Interval(Duration::from_secs(1800));

    #[test]
    fn success_waits_the_interval_with_jitter() {
        let d = delay(next_poll(
            "a",
            &HALF_HOUR,
            now(),
            0,
            None,
            Bounds::default(),
        ));
        assert!((1620..=1980).contains(&d), "{d}");
        let others: std::collections::HashSet<i64> = (0..20)
            .map(|i| {
                delay(next_poll(
                    &format!("s{i}"),
                    &HALF_HOUR,
                    now(),
                    0,
                    None,
                    Bounds::default(),
                ))
            })
            .collect();
        assert!(others.len() > 10, "jitter spreads sources: {others:?}");
    }

    #[test]
    fn errors_back_off_exponentially_up_to_the_cap_and_never_stop() {
        let b = Bounds::default();
        let d1 = delay(next_poll("a", &HALF_HOUR, now(), 1, None, b));
        let d3 = delay(next_poll("a", &HALF_HOUR, now(), 3, None, b));
        assert!((3240..=3960).contains(&d1), "{d1}");
        assert!((12960..=15840).contains(&d3), "{d3}");
        let d40 = delay(next_poll("a", &HALF_HOUR, now(), 40, None, b));
        assert!(
            (24 * 3600 * 9 / 10..=24 * 3600 * 11 / 10).contains(&d40),
            "{d40}"
        );
    }

    #[test]
    fn a_hint_longer_than_the_interval_wins() {
        let hint = Some(Duration::from_secs(7200));
        let d = delay(next_poll(
            "a",
            &HALF_HOUR,
            now(),
            0,
            hint,
            Bounds::default(),
        ));
        assert!(d >= 6480, "{d}");
    }

    #[test]
    fn cron_sources_fire_at_their_next_time() {
        let every_ten = SourceTiming::Schedule("0 */10 * * * *".into());
        let at = next_poll("a", &every_ten, now(), 0, None, Bounds::default());
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 3, 1, 12, 10, 0).unwrap());
        assert!(next_cron("not cron", now()).is_none());
    }
}
