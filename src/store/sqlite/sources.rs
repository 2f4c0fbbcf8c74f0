//! Source rows in SQLite: which sources exist, their validators and poll outcomes.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::super::apply::{PollSource, write_poll};
use super::super::columns::to_time;
use super::super::error::StoreError;
use super::super::records::{
    Claimed, FailureRecord, Ingested, PollRecord, SourceClaim, SourcePollState,
};
use super::items::PollWrite;
use crate::cluster::StoryIndex;
use crate::membership::FeedSet;
use crate::model::SourceState;

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

/// Makes sure every configured source has a row; a source whose URL changed starts
/// afresh (see `Store::sync_sources`).
pub(super) fn sync(conn: &mut Connection, sources: &[(String, String)]) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        // Compiled once for all of them: a config of thousands of sources is synced
        // at every start and reload, before the first poll.
        let mut upsert = tx.prepare_cached(
            "INSERT INTO sources (name, url) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET
                url = excluded.url, current_url = NULL, etag = NULL, last_modified = NULL,
                redirect_target = NULL, redirect_seen = 0, gone_entry = NULL,
                retry_after_until = NULL, error_streak = 0, next_poll = NULL
             WHERE sources.url <> excluded.url",
        )?;
        for (name, url) in sources {
            upsert.execute(params![name, url])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn poll_states(
    conn: &Connection,
    names: &[String],
) -> Result<HashMap<String, SourcePollState>, StoreError> {
    let mut states = HashMap::with_capacity(names.len());
    for name in names {
        if let Some(state) = poll_state_of(conn, name)? {
            states.insert(name.clone(), state);
        }
    }
    Ok(states)
}

/// A claim on a source of a database only one node writes: no leases, only whether
/// it is still due.
pub(super) fn claim(conn: &Connection, claim: &SourceClaim<'_>) -> Result<Claimed, StoreError> {
    let state = poll_state_of(conn, claim.name)?.unwrap_or_default();
    Ok(match (state.next_poll, claim.due_by) {
        (Some(next_poll), Some(due_by)) if next_poll > due_by => Claimed::NotDue { next_poll },
        _ => Claimed::Granted(state),
    })
}

/// Writes a successful poll inside the caller's transaction: its items, then the
/// source's new state.
pub(super) fn record_poll(
    conn: &Connection,
    name: &str,
    record: &PollRecord,
    feeds: &FeedSet,
    index: &mut StoryIndex,
) -> Result<Ingested, StoreError> {
    let id = source_id(conn, name)?;
    let ingested = match &record.feed {
        Some(feed) => {
            let source = PollSource {
                id,
                name,
                full_text: record.full_text,
            };
            let mut write = PollWrite::prepare(conn, id, name, record.at)?;
            write_poll(&mut write, feeds, index, source, &feed.entries, record.at)?
        }
        None => Ingested::default(),
    };
    let (title, site_link) = match &record.feed {
        Some(feed) => (feed.title.as_deref(), feed.site_link.as_deref()),
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
}

/// Writes a failed poll inside the caller's transaction; the new error streak.
pub(super) fn record_failure(
    conn: &Connection,
    name: &str,
    record: &FailureRecord,
) -> Result<u32, StoreError> {
    Ok(conn
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
        )?)
}

/// The state of the named sources, in the order given (unknown names are skipped).
pub(super) fn source_states(
    conn: &Connection,
    names: &[String],
) -> Result<Vec<SourceState>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, url, title, site_link, etag, last_modified,
                last_attempt, last_success, http_status, error, error_streak, next_poll,
                (SELECT COUNT(*) FROM items WHERE items.source_id = sources.id),
                COALESCE(current_url, url), gone_entry IS NOT NULL, retry_after_until,
                article_failures, article_error
         FROM sources WHERE name = ?1",
    )?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
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
}
