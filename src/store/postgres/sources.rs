//! Source rows in PostgreSQL: which sources exist, their validators and poll outcomes.

use std::collections::HashMap;

use postgres::Row;

use super::super::apply::{PollSource, write_poll};
use super::super::columns::to_time;
use super::super::error::{DriverError, StoreError};
use super::super::records::{
    Claimed, FailureRecord, Ingested, PollRecord, SourceClaim, SourcePollState,
};
use super::items::PollWrite;
use super::{Conn, count};
use crate::cluster::StoryIndex;
use crate::membership::FeedSet;
use crate::model::SourceState;

/// Makes sure every configured source has a row; a source whose URL changed starts
/// afresh (see `Store::sync_sources`).
///
/// Only new and changed rows are written: every node syncs at start and on reload,
/// and a row written is a row another node's poll may wait for.
pub(super) fn sync(conn: &mut Conn, sources: &[(String, String)]) -> Result<(), StoreError> {
    conn.in_transaction(|conn| {
        let stored: HashMap<String, String> = conn
            .query("SELECT name, url FROM sources", &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, StoreError>>()?;
        for (name, url) in sources {
            match stored.get(name) {
                Some(known) if known == url => {}
                Some(_) => {
                    conn.execute(
                        "UPDATE sources SET
                            url = $2, current_url = NULL, etag = NULL, last_modified = NULL,
                            redirect_target = NULL, redirect_seen = 0, gone_entry = NULL,
                            retry_after_until = NULL, error_streak = 0, next_poll = NULL
                         WHERE name = $1",
                        &[name, url],
                    )?;
                }
                None => {
                    conn.execute(
                        "INSERT INTO sources (name, url) VALUES ($1, $2)
                         ON CONFLICT (name) DO NOTHING",
                        &[name, url],
                    )?;
                }
            }
        }
        Ok(())
    })
}

pub(super) fn poll_states(
    conn: &mut Conn,
    names: &[String],
) -> Result<HashMap<String, SourcePollState>, StoreError> {
    let rows = conn.query(
        &format!("SELECT name, {POLL_STATE} FROM sources WHERE name = ANY($1)"),
        &[&names],
    )?;
    let mut states = HashMap::with_capacity(rows.len());
    for r in rows {
        states.insert(r.try_get(0)?, poll_state(&r, 1)?);
    }
    Ok(states)
}

/// The poll state columns, in the order [`poll_state`] reads them.
const POLL_STATE: &str = "COALESCE(current_url, url), etag, last_modified, error_streak, \
    next_poll, gone_entry, retry_after_until, redirect_target, redirect_seen";

fn poll_state(r: &Row, at: usize) -> Result<SourcePollState, StoreError> {
    Ok(SourcePollState {
        url: r.try_get(at)?,
        etag: r.try_get(at + 1)?,
        last_modified: r.try_get(at + 2)?,
        error_streak: unsigned(r.try_get(at + 3)?),
        next_poll: to_time(r.try_get(at + 4)?),
        gone_entry: r.try_get(at + 5)?,
        retry_after_until: to_time(r.try_get(at + 6)?),
        redirect_target: r.try_get(at + 7)?,
        redirect_seen: unsigned(r.try_get(at + 8)?),
    })
}

/// Claims sources for polls by one node, in one statement for all of them: each is
/// granted unless another node's lease is live or, for a scheduled poll, the source
/// is no longer due (another node polled it). Answers in the order of `claims`.
pub(super) fn claim(
    conn: &mut Conn,
    claims: &[SourceClaim<'_>],
) -> Result<Vec<Claimed>, StoreError> {
    let Some(node) = claims.first().map(|c| c.node) else {
        return Ok(Vec::new());
    };
    let names: Vec<&str> = claims.iter().map(|c| c.name).collect();
    let nows: Vec<i64> = claims.iter().map(|c| c.now.timestamp()).collect();
    let untils: Vec<i64> = claims.iter().map(|c| c.until.timestamp()).collect();
    let due_bys: Vec<Option<i64>> = claims
        .iter()
        .map(|c| c.due_by.map(|t| t.timestamp()))
        .collect();
    let mut granted: HashMap<String, SourcePollState> = HashMap::new();
    for row in conn.query(
        &format!(
            // A row another transaction holds (another node's claim, or a poll being
            // recorded) is skipped, not waited for: it is refused below, from its
            // lease as committed, so claims never wait on each other in a circle.
            "WITH free AS (
                SELECT id FROM sources WHERE name = ANY($2) FOR UPDATE SKIP LOCKED)
             UPDATE sources SET lease_node = $1, lease_until = c.until
             FROM UNNEST($2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::BIGINT[])
                AS c (name, now, until, due_by)
             WHERE sources.name = c.name AND sources.id IN (SELECT id FROM free)
               AND (lease_node IS NULL OR lease_until <= c.now OR lease_node = $1)
               AND (c.due_by IS NULL OR next_poll IS NULL OR next_poll <= c.due_by)
             RETURNING sources.name, {POLL_STATE}"
        ),
        &[&node, &names, &nows, &untils, &due_bys],
    )? {
        granted.insert(row.try_get(0)?, poll_state(&row, 1)?);
    }
    let refused: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !granted.contains_key(*name))
        .collect();
    let mut why = HashMap::new();
    if !refused.is_empty() {
        for row in conn.query(
            "SELECT name, lease_node, lease_until, next_poll FROM sources WHERE name = ANY($1)",
            &[&refused],
        )? {
            let found: (Option<String>, Option<i64>, Option<i64>) =
                (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
            why.insert(row.try_get::<_, String>(0)?, found);
        }
    }
    Ok(claims
        .iter()
        .map(|claim| match granted.remove(claim.name) {
            Some(state) => Claimed::Granted(state),
            None => refusal(claim, why.remove(claim.name)),
        })
        .collect())
}

/// Why `claim` was refused, from its source's lease and next poll as read after.
fn refusal(
    claim: &SourceClaim<'_>,
    found: Option<(Option<String>, Option<i64>, Option<i64>)>,
) -> Claimed {
    let Some((node, until, next_poll)) = found else {
        // No row yet: nothing to lease; its first poll writes one.
        return Claimed::Granted(SourcePollState::default());
    };
    match (node, to_time(until), to_time(next_poll)) {
        (Some(node), Some(until), _) if until > claim.now && node != claim.node => {
            Claimed::Leased { node, until }
        }
        (_, _, Some(next_poll)) if next_poll > claim.now => Claimed::NotDue { next_poll },
        // The row changed between the two reads (a lease just ended): try again soon.
        _ => Claimed::NotDue {
            next_poll: claim.now + chrono::Duration::seconds(1),
        },
    }
}

/// Gives up `node`'s lease on source `name`.
pub(super) fn release(conn: &mut Conn, name: &str, node: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sources SET lease_node = NULL, lease_until = NULL
         WHERE name = $1 AND lease_node = $2",
        &[&name, &node],
    )?;
    Ok(())
}

/// A count kept as `INTEGER`.
fn unsigned(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// Writes a successful poll inside the caller's transaction: its items, then the
/// source's new state.
pub(super) fn record_poll(
    conn: &mut Conn,
    name: &str,
    record: &PollRecord,
    feeds: &FeedSet,
    index: &mut StoryIndex,
) -> Result<Ingested, StoreError> {
    let ingested = match &record.feed {
        Some(feed) => {
            let id: i64 = conn
                .query_one("SELECT id FROM sources WHERE name = $1", &[&name])?
                .try_get(0)?;
            conn.join_index(index)?;
            let source = PollSource {
                id,
                name,
                full_text: record.full_text,
            };
            let mut write = PollWrite::prepare(conn, (id, name), &feed.entries, record.at)?;
            write_poll(&mut write, feeds, index, source, &feed.entries, record.at)?
        }
        None => Ingested::default(),
    };
    let (title, site_link) = match &record.feed {
        Some(feed) => (feed.title.as_deref(), feed.site_link.as_deref()),
        None => (None, None),
    };
    // By name: a 304 (most polls) is this one statement.
    let updated = conn.execute(
        "UPDATE sources SET
            etag = $2, last_modified = $3, last_attempt = $4, last_success = $4,
            http_status = $5, error = NULL, error_streak = 0, next_poll = $6,
            title = COALESCE($7, title), site_link = COALESCE($8, site_link),
            gone_entry = NULL, retry_after_until = NULL,
            redirect_target = $9, redirect_seen = $10,
            current_url = COALESCE($11, current_url),
            lease_node = NULL, lease_until = NULL
         WHERE name = $1",
        &[
            &name,
            &record.etag,
            &record.last_modified,
            &record.at.timestamp(),
            &i32::from(record.http_status),
            &record.next_poll.timestamp(),
            &title,
            &site_link,
            &record.redirect_target,
            &i32::try_from(record.redirect_seen).unwrap_or(i32::MAX),
            &record.adopt_url,
        ],
    )?;
    if updated == 0 {
        return Err(StoreError::Driver(DriverError::message(format!(
            "no source {name:?} to record a poll of"
        ))));
    }
    Ok(ingested)
}

/// Writes a failed poll inside the caller's transaction; the new error streak.
pub(super) fn record_failure(
    conn: &mut Conn,
    name: &str,
    record: &FailureRecord,
) -> Result<u32, StoreError> {
    let streak: i32 = conn
        .query_one(
            "UPDATE sources SET
                last_attempt = $2, http_status = $3, error = $4,
                error_streak = error_streak + 1, next_poll = $5,
                gone_entry = $6, retry_after_until = $7,
                lease_node = NULL, lease_until = NULL
             WHERE name = $1
             RETURNING error_streak",
            &[
                &name,
                &record.at.timestamp(),
                &record.http_status.map(i32::from),
                &record.error,
                &record.next_poll.map(|t| t.timestamp()),
                &record.gone_entry,
                &record.retry_after_until.map(|t| t.timestamp()),
            ],
        )?
        .try_get(0)?;
    Ok(unsigned(streak))
}

/// The state of the named sources, in the order given (unknown names are skipped).
pub(super) fn source_states(
    conn: &mut Conn,
    names: &[String],
) -> Result<Vec<SourceState>, StoreError> {
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let row = conn.query_opt(
            "SELECT name, url, title, site_link, etag, last_modified,
                    last_attempt, last_success, http_status, error, error_streak, next_poll,
                    (SELECT COUNT(*) FROM items WHERE items.source_id = sources.id),
                    COALESCE(current_url, url), gone_entry IS NOT NULL, retry_after_until,
                    article_failures, article_error
             FROM sources WHERE name = $1",
            &[name],
        )?;
        if let Some(row) = row {
            out.push(source_state(&row)?);
        }
    }
    Ok(out)
}

fn source_state(r: &Row) -> Result<SourceState, StoreError> {
    Ok(SourceState {
        name: r.try_get(0)?,
        url: r.try_get(1)?,
        title: r.try_get(2)?,
        site_link: r.try_get(3)?,
        etag: r.try_get(4)?,
        last_modified: r.try_get(5)?,
        last_attempt: to_time(r.try_get(6)?),
        last_success: to_time(r.try_get(7)?),
        http_status: r
            .try_get::<_, Option<i32>>(8)?
            .and_then(|s| u16::try_from(s).ok()),
        error: r.try_get(9)?,
        error_streak: unsigned(r.try_get(10)?),
        next_poll: to_time(r.try_get(11)?),
        items: count(r.try_get(12)?) as u64,
        current_url: r.try_get(13)?,
        gone: r.try_get(14)?,
        retry_after_until: to_time(r.try_get(15)?),
        article_failures: count(r.try_get(16)?) as u64,
        article_error: r.try_get(17)?,
    })
}
