//! What one poll of one source tells its caller, and how that reads in a log line
//! or on the command line.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::metrics::PolledCounts;
use crate::store::IngestSummary;

/// How one poll of one source went.
#[derive(Debug, Clone, PartialEq)]
pub struct PollReport {
    pub source: String,
    pub outcome: PollOutcome,
    pub next_poll: DateTime<Utc>,
}

impl PollReport {
    /// The source is gone (410): the loop stops polling it until its entry changes.
    pub fn stops_polling(&self) -> bool {
        matches!(
            self.outcome,
            PollOutcome::Failed {
                http_status: Some(410),
                ..
            } | PollOutcome::Skipped(SkipReason::Gone)
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome {
    /// A document was fetched and stored.
    Stored(IngestSummary),
    /// 304 Not Modified: nothing parsed, nothing written but the source's state.
    NotModified,
    /// The poll failed; stored items are untouched.
    Failed {
        http_status: Option<u16>,
        error: String,
        error_streak: u32,
    },
    /// Not polled (only without [`PollMode::Force`]).
    Skipped(SkipReason),
}

impl PollOutcome {
    /// What this outcome adds to the poll counters.
    pub fn counts(&self) -> PolledCounts {
        match self {
            PollOutcome::Stored(summary) => PolledCounts::Stored {
                new: summary.new,
                updated: summary.updated,
                merged: summary.merged,
            },
            PollOutcome::NotModified => PolledCounts::NotModified,
            PollOutcome::Failed { .. } => PolledCounts::Failed,
            PollOutcome::Skipped(_) => PolledCounts::Skipped,
        }
    }
}

/// Why a source was not polled.
#[derive(Debug, Clone, PartialEq)]
pub enum SkipReason {
    /// The server answered 410 Gone and the source's config entry is unchanged.
    Gone,
    /// The server asked us to wait until then (`Retry-After`).
    RetryAfter(DateTime<Utc>),
    /// Another node sharing the database is polling it, under a lease until then.
    Leased { node: String, until: DateTime<Utc> },
    /// Its schedule fired, but it is not due until then: another node sharing the
    /// database polled it since, or (a cron source) it is backing off after errors.
    NotDue(DateTime<Utc>),
}

/// Whether a poll honours what the server asked for (`Retry-After`, 410 Gone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PollMode {
    /// Skip sources that are gone or asked us to wait.
    #[default]
    Respect,
    /// [`PollMode::Respect`], for a poll the schedule started at its due time: also
    /// skip a source another node sharing the database polled since.
    Scheduled,
    /// Poll anyway (`feedbraid poll --force`).
    Force,
}

impl fmt::Display for PollReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            PollOutcome::Stored(s) if s.new + s.updated == 0 => {
                write!(f, "{}: unchanged ({} items)", self.source, s.unchanged)
            }
            PollOutcome::Stored(s) => write!(
                f,
                "{}: {} new, {} updated, {} unchanged",
                self.source, s.new, s.updated, s.unchanged
            ),
            PollOutcome::NotModified => write!(f, "{}: unchanged (304 Not Modified)", self.source),
            PollOutcome::Failed {
                error,
                error_streak,
                ..
            } => write!(
                f,
                "{}: error: {error} (failed {error_streak} time{} in a row)",
                self.source,
                if *error_streak == 1 { "" } else { "s" }
            ),
            PollOutcome::Skipped(SkipReason::Gone) => write!(
                f,
                "{}: skipped: gone (the server answered 410 Gone; change its config entry, or use --force)",
                self.source
            ),
            PollOutcome::Skipped(SkipReason::RetryAfter(until)) => write!(
                f,
                "{}: skipped: the server asked us to wait until {} (Retry-After; --force polls anyway)",
                self.source,
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            PollOutcome::Skipped(SkipReason::Leased { node, until }) => write!(
                f,
                "{}: skipped: node {node} is polling it (its lease ends at {})",
                self.source,
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            PollOutcome::Skipped(SkipReason::NotDue(next)) => write!(
                f,
                "{}: skipped: not due until {} (another node polled it, or it backs off after errors)",
                self.source,
                next.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        }
    }
}
