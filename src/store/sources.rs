//! Source rows: which sources exist, their validators and poll outcomes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::changes::Changed;
use super::columns::to_time;
use super::error::StoreError;
use super::handle::Store;
use super::items::{IngestSummary, Ingested, ingest_entries};
use super::worker::Db;
use crate::model::{ParsedFeed, SourceState};

/// What a poll needs to know about its source before fetching.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourcePollState {
    /// The URL to fetch (the configured one, or one adopted after permanent redirects).
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error_streak: u32,
    pub next_poll: Option<DateTime<Utc>>,
    /// The fingerprint of the config entry a 410 Gone was seen with, if the last
    /// answer was 410 (the source stays gone while its entry is unchanged).
    pub gone_entry: Option<String>,
    /// Not to be polled before this (`Retry-After` of the last answer).
    pub retry_after_until: Option<DateTime<Utc>>,
    /// The permanent redirect target seen on the last polls, and how many in a row.
    pub redirect_target: Option<String>,
    pub redirect_seen: u32,
}

/// A poll that got an answer: 200 with a parsed feed, or 304 with none.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub at: DateTime<Utc>,
    pub http_status: u16,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `None` for 304 Not Modified: validators are refreshed, items untouched.
    pub feed: Option<ParsedFeed>,
    pub next_poll: DateTime<Utc>,
    /// The permanent redirect seen now (and how many polls in a row), if any.
    pub redirect_target: Option<String>,
    pub redirect_seen: u32,
    /// A URL to poll from now on (a permanent redirect seen often enough).
    pub adopt_url: Option<String>,
    /// The source wants its items' full text: each new or edited item's article
    /// page is queued for fetching.
    pub full_text: bool,
}

/// A poll that failed.
#[derive(Debug, Clone)]
pub struct FailureRecord {
    pub at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub error: String,
    /// `None` while the source is gone (not polled).
    pub next_poll: Option<DateTime<Utc>>,
    /// Set on 410 Gone: the fingerprint of the source's config entry.
    pub gone_entry: Option<String>,
    /// Set when the server asked to wait (`Retry-After` on 429 or 503).
    pub retry_after_until: Option<DateTime<Utc>>,
}

fn poll_state_of(conn: &Connection, name: &str) -> Result<Option<SourcePollState>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(current_url, url), etag, last_modified, error_streak, next_poll,
                    gone_entry, retry_after_until, redirect_target, redirect_seen
             FROM sources WHERE name = ?1",
        )?
        .query_row([name], |r| {
            Ok(SourcePollState {
                url: r.get(0)?,
                etag: r.get(1)?,
                last_modified: r.get(2)?,
                error_streak: r.get(3)?,
                next_poll: to_time(r.get(4)?),
                gone_entry: r.get(5)?,
                retry_after_until: to_time(r.get(6)?),
                redirect_target: r.get(7)?,
                redirect_seen: r.get(8)?,
            })
        })
        .optional()?)
}

fn source_id(conn: &Connection, name: &str) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM sources WHERE name = ?1")?
        .query_row([name], |r| r.get(0))?)
}

impl Store {
    /// Makes sure every configured source has a row. A source whose URL changed in the
    /// config starts afresh: its validators, adopted URL, redirect memory, gone flag,
    /// Retry-After and error streak are dropped, and it is due at once. (Other changes
    /// of a source's entry clear its gone flag when it is next considered for a poll:
    /// see `poll`.)
    pub async fn sync_sources(&self, sources: Vec<(String, String)>) -> Result<(), StoreError> {
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for (name, url) in &sources {
                tx.execute(
                    "INSERT INTO sources (name, url) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET
                        url = excluded.url, current_url = NULL, etag = NULL, last_modified = NULL,
                        redirect_target = NULL, redirect_seen = 0, gone_entry = NULL,
                        retry_after_until = NULL, error_streak = 0, next_poll = NULL
                     WHERE sources.url <> excluded.url",
                    params![name, url],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Validators and schedule of one source (`None` if it has no row yet).
    pub async fn poll_state(&self, name: &str) -> Result<Option<SourcePollState>, StoreError> {
        let name = name.to_string();
        self.call(move |conn| poll_state_of(conn, &name)).await
    }

    /// [`Store::poll_state`] of many sources in one call on the database thread (the
    /// scheduler loads them all at start); sources with no row are left out.
    pub async fn poll_states(
        &self,
        names: Vec<String>,
    ) -> Result<HashMap<String, SourcePollState>, StoreError> {
        self.call(move |conn| {
            let mut states = HashMap::with_capacity(names.len());
            for name in names {
                if let Some(state) = poll_state_of(conn, &name)? {
                    states.insert(name, state);
                }
            }
            Ok(states)
        })
        .await
    }

    /// Stores a successful poll in one transaction: the items (if any) and the source's
    /// new state. Returns what changed.
    pub async fn record_poll(
        &self,
        name: &str,
        record: PollRecord,
    ) -> Result<IngestSummary, StoreError> {
        let name = name.to_string();
        let ingested = self
            .call_write(move |db| {
                let Db {
                    conn,
                    feeds,
                    stories,
                    ..
                } = db;
                let id = source_id(conn, &name)?;
                let ingested = match &record.feed {
                    Some(feed) => {
                        let source = super::items::SourceRef {
                            id,
                            name: &name,
                            full_text: record.full_text,
                        };
                        ingest_entries(conn, feeds, stories, source, &feed.entries, record.at)?
                    }
                    None => Ingested::default(),
                };
                let (title, site_link) = match &record.feed {
                    Some(feed) => (feed.title.clone(), feed.site_link.clone()),
                    None => (None, None),
                };
                conn.prepare_cached(
                    "UPDATE sources SET
                        etag = ?2, last_modified = ?3, last_attempt = ?4, last_success = ?4,
                        http_status = ?5, error = NULL, error_streak = 0, next_poll = ?6,
                        title = COALESCE(?7, title), site_link = COALESCE(?8, site_link),
                        gone_entry = NULL, retry_after_until = NULL,
                        redirect_target = ?9, redirect_seen = ?10,
                        current_url = COALESCE(?11, current_url)
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    record.etag,
                    record.last_modified,
                    record.at.timestamp(),
                    record.http_status,
                    record.next_poll.timestamp(),
                    title,
                    site_link,
                    record.redirect_target,
                    record.redirect_seen,
                    record.adopt_url
                ])?;
                Ok(ingested)
            })
            .await?;
        let summary = ingested.summary;
        if summary.new + summary.updated > 0 {
            let feeds: Vec<String> = ingested.changed_feeds.into_iter().collect();
            self.note_change(Changed::Feeds(&feeds));
        }
        Ok(summary)
    }

    /// Stores a failed poll; stored items are left untouched. Returns the new error streak.
    pub async fn record_failure(
        &self,
        name: &str,
        record: FailureRecord,
    ) -> Result<u32, StoreError> {
        let name = name.to_string();
        self.call_write(move |db| {
            let streak = db
                .conn
                .prepare_cached(
                    "UPDATE sources SET
                        last_attempt = ?2, http_status = ?3, error = ?4,
                        error_streak = error_streak + 1, next_poll = ?5,
                        gone_entry = ?6, retry_after_until = ?7
                     WHERE name = ?1
                     RETURNING error_streak",
                )?
                .query_row(
                    params![
                        name,
                        record.at.timestamp(),
                        record.http_status,
                        record.error,
                        record.next_poll.map(|t| t.timestamp()),
                        record.gone_entry,
                        record.retry_after_until.map(|t| t.timestamp())
                    ],
                    |r| r.get(0),
                )?;
            Ok(streak)
        })
        .await
    }

    /// The state of the named sources, in the order given (unknown names are skipped).
    pub async fn source_states(&self, names: Vec<String>) -> Result<Vec<SourceState>, StoreError> {
        self.call_read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT name, url, title, site_link, etag, last_modified,
                        last_attempt, last_success, http_status, error, error_streak, next_poll,
                        (SELECT COUNT(*) FROM items WHERE items.source_id = sources.id),
                        COALESCE(current_url, url), gone_entry IS NOT NULL, retry_after_until,
                        article_failures, article_error
                 FROM sources WHERE name = ?1",
            )?;
            let mut out = Vec::with_capacity(names.len());
            for name in &names {
                let state = stmt
                    .query_row([name], |r| {
                        Ok(SourceState {
                            name: r.get(0)?,
                            url: r.get(1)?,
                            title: r.get(2)?,
                            site_link: r.get(3)?,
                            etag: r.get(4)?,
                            last_modified: r.get(5)?,
                            last_attempt: to_time(r.get(6)?),
                            last_success: to_time(r.get(7)?),
                            http_status: r.get(8)?,
                            error: r.get(9)?,
                            error_streak: r.get(10)?,
                            next_poll: to_time(r.get(11)?),
                            items: r.get::<_, i64>(12)?.max(0) as u64,
                            current_url: r.get(13)?,
                            gone: r.get(14)?,
                            retry_after_until: to_time(r.get(15)?),
                            article_failures: r.get::<_, i64>(16)?.max(0) as u64,
                            article_error: r.get(17)?,
                        })
                    })
                    .optional()?;
                out.extend(state);
            }
            Ok(out)
        })
        .await
    }
}
