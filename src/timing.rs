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

/// What the last answer said about when to come back; the longest wins over the
/// source's own interval (never over `Bounds::max`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints {
    /// The feed's own `ttl`.
    pub ttl: Option<Duration>,
    /// `Cache-Control: max-age` or `Expires`.
    pub fresh_for: Option<Duration>,
    /// `Retry-After` of a 429 or 503.
    pub retry_after: Option<Duration>,
}

impl Hints {
    /// The longest delay any hint asks for.
    pub fn longest(&self) -> Option<Duration> {
        [self.ttl, self.fresh_for, self.retry_after]
            .into_iter()
            .flatten()
            .max()
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
/// - After success: its interval (or next cron time), at least the longest of `hints`
///   (the feed's `ttl`, `Cache-Control: max-age`/`Expires`).
/// - A `Retry-After` is honoured likewise (it comes with errors, so with backoff).
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
    hints: Hints,
    bounds: Bounds,
) -> DateTime<Utc> {
    let hint = hints.longest();
    let base = match timing {
        SourceTiming::Interval(every) => *every,
        SourceTiming::Schedule(expr) if streak == 0 && hints.retry_after.is_none() => {
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

/// When to poll a source that was due at `due` and is still unpolled at `now` (the
/// daemon was down): within `min(now - due, every)` from now, at a point fixed by its
/// name. A backlog of sources overdue by more than their interval is spread over one
/// interval instead of all coming due at once (and again together an interval
/// later); a source only a little overdue is polled soon.
pub fn catch_up(
    name: &str,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    every: Duration,
) -> DateTime<Utc> {
    let overdue = (now - due).to_std().unwrap_or_default();
    let window = overdue.min(every);
    let digest = Sha256::digest(name.as_bytes());
    let unit = f64::from(u32::from_le_bytes([
        digest[0], digest[1], digest[2], digest[3],
    ])) / f64::from(u32::MAX);
    now + chrono::Duration::from_std(window.mul_f64(unit)).unwrap_or_default()
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
    fn overdue_sources_are_spread_over_one_interval_at_most() {
        let every = Duration::from_secs(900);
        let day_ago = now() - chrono::Duration::days(1);
        let mut offsets: Vec<i64> = (0..1000)
            .map(|i| delay(catch_up(&format!("s{i}"), day_ago, now(), every)))
            .collect();
        offsets.sort_unstable();
        assert!(offsets[0] >= 0 && offsets[999] <= 900, "{offsets:?}");
        // Spread, not bunched: each tenth of the interval holds about a tenth.
        for tenth in 0..10 {
            let inside = offsets.iter().filter(|&&o| o / 90 == tenth).count();
            assert!((60..=140).contains(&inside), "tenth {tenth}: {inside}");
        }
        // Ten seconds overdue: polled within ten seconds.
        let ten_ago = now() - chrono::Duration::seconds(10);
        assert!(delay(catch_up("s1", ten_ago, now(), every)) <= 10);
        // Not due yet: untouched by catching up (no time overdue).
        assert_eq!(catch_up("s1", now(), now(), every), now());
    }

    #[test]
    fn success_waits_the_interval_with_jitter() {
        let d = delay(next_poll(
            "a",
            &HALF_HOUR,
            now(),
            0,
            Hints::default(),
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
                    Hints::default(),
                    Bounds::default(),
                ))
            })
            .collect();
        assert!(others.len() > 10, "jitter spreads sources: {others:?}");
    }

    #[test]
    fn errors_back_off_exponentially_up_to_the_cap_and_never_stop() {
        let b = Bounds::default();
        let d1 = delay(next_poll("a", &HALF_HOUR, now(), 1, Hints::default(), b));
        let d3 = delay(next_poll("a", &HALF_HOUR, now(), 3, Hints::default(), b));
        assert!((3240..=3960).contains(&d1), "{d1}");
        assert!((12960..=15840).contains(&d3), "{d3}");
        let d40 = delay(next_poll("a", &HALF_HOUR, now(), 40, Hints::default(), b));
        assert!(
            (24 * 3600 * 9 / 10..=24 * 3600 * 11 / 10).contains(&d40),
            "{d40}"
        );
    }

    #[test]
    fn a_hint_longer_than_the_interval_wins() {
        let hint = Hints {
            fresh_for: Some(Duration::from_secs(7200)),
            ..Hints::default()
        };
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
        let at = next_poll(
            "a",
            &every_ten,
            now(),
            0,
            Hints::default(),
            Bounds::default(),
        );
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 3, 1, 12, 10, 0).unwrap());
        assert!(next_cron("not cron", now()).is_none());
    }

    #[test]
    fn the_longest_of_interval_ttl_freshness_and_retry_after_wins_within_bounds() {
        let b = Bounds {
            min: Duration::from_secs(300),
            max: Duration::from_secs(6 * 3600),
        };
        let mins = |m: u64| Some(Duration::from_secs(m * 60));
        let ttl = Hints {
            ttl: mins(90),
            fresh_for: mins(60),
            ..Hints::default()
        };
        let d = delay(next_poll("a", &HALF_HOUR, now(), 0, ttl, b));
        assert!((4860..=5940).contains(&d), "ttl of 90m: {d}");
        let retry = Hints {
            retry_after: mins(120),
            ..Hints::default()
        };
        let d = delay(next_poll("a", &HALF_HOUR, now(), 1, retry, b));
        assert!(
            (6480..=7920).contains(&d),
            "Retry-After of 2h over 1h backoff: {d}"
        );
        let huge = Hints {
            retry_after: mins(7 * 24 * 60),
            ..Hints::default()
        };
        let d = delay(next_poll("a", &HALF_HOUR, now(), 1, huge, b));
        assert!(
            d <= 6 * 3600 * 11 / 10,
            "Retry-After capped at max_interval: {d}"
        );
        let short = SourceTiming::Interval(Duration::from_secs(10));
        let d = delay(next_poll("a", &short, now(), 0, Hints::default(), b));
        assert!(d >= 270, "clamped to min_interval: {d}");
    }

    #[test]
    fn success_resets_the_backoff() {
        let b = Bounds::default();
        let failing = delay(next_poll("a", &HALF_HOUR, now(), 4, Hints::default(), b));
        let recovered = delay(next_poll("a", &HALF_HOUR, now(), 0, Hints::default(), b));
        assert!(failing > 8 * 1800 * 9 / 10, "{failing}");
        assert!(recovered <= 1980, "{recovered}");
    }
}
