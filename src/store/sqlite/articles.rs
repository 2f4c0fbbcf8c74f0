//! The queue of article pages to fetch (`article_fetches`: one row per item of a
//! full-text source, queued when the item is stored or edited, handed out by
//! claims that put it off for a lease), and what a fetched
//! article changes: the item's content, its words in the feeds, its fingerprint and,
//! for an item still alone in its story, the story it joins. Deciding when to retry
//! is the caller's (`articles`); this module writes what it is told.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::super::apply::{ArticleItem, ArticleWriter, write_article};
use super::super::columns::{article_host, authors_from, categories_from};
use super::super::error::StoreError;
use super::super::records::{ArticleApplied, FeedRow};
use super::body::{Packed, html_at};
use crate::cluster::StoryIndex;
use crate::membership::FeedSet;
use crate::model::{ArticleJob, ArticleText};

/// Queues (again) the article page of item `row` at `link`, due now; inside the
/// caller's transaction. A queued fetch's failures are forgotten, and a claim that
/// holds it loses it: an edited item starts over. Claims only count up, so no later
/// claim can take the number of one still out.
pub(super) fn queue(
    tx: &Connection,
    row: i64,
    link: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let host = article_host(link);
    tx.prepare_cached(
        "INSERT INTO article_fetches (item_id, attempts, next_try, host, claim)
         VALUES (?1, 0, ?2, ?3, 0)
         ON CONFLICT (item_id) DO UPDATE SET attempts = 0, next_try = excluded.next_try,
            host = excluded.host, claim = article_fetches.claim + 1",
    )?
    .execute(params![row, now.timestamp(), host])?;
    Ok(())
}

/// Claims due article fetches inside the caller's transaction (see
/// `Store::claim_articles`).
pub(super) fn claim(
    conn: &Connection,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
    skip: &[String],
) -> Result<Vec<ArticleJob>, StoreError> {
    let claimed: Vec<i64> = {
        // Built per claim (a few a second at most): the hosts left out vary.
        let sql = format!(
            "SELECT item_id FROM article_fetches WHERE next_try <= ? AND host NOT IN ({})
             ORDER BY next_try, item_id LIMIT ?",
            super::reads::placeholders(skip.len())
        );
        let mut values = vec![rusqlite::types::Value::Integer(now.timestamp())];
        values.extend(skip.iter().cloned().map(rusqlite::types::Value::Text));
        values.push(rusqlite::types::Value::Integer(limit as i64));
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut lease = conn.prepare_cached(
        "UPDATE article_fetches SET next_try = ?2, claim = claim + 1 WHERE item_id = ?1
         RETURNING claim",
    )?;
    let mut drop = conn.prepare_cached("DELETE FROM article_fetches WHERE item_id = ?1")?;
    let mut job = conn.prepare_cached(
        "SELECT s.name, i.link, a.attempts, i.title, i.summary_html, i.content_html,
                i.author, i.categories
         FROM article_fetches a
         JOIN items i ON i.id = a.item_id
         JOIN sources s ON s.id = i.source_id
         WHERE a.item_id = ?1 AND i.link IS NOT NULL",
    )?;
    let mut jobs = Vec::with_capacity(claimed.len());
    for item in claimed {
        let claim: i64 = lease.query_row(params![item, until.timestamp()], |r| r.get(0))?;
        let found = job
            .query_row([item], |r| {
                let categories: String = r.get(7)?;
                Ok(ArticleJob {
                    item,
                    claim,
                    source: r.get(0)?,
                    link: r.get(1)?,
                    attempts: r.get(2)?,
                    title: r.get(3)?,
                    summary_html: html_at(r, 4)?,
                    content_html: html_at(r, 5)?,
                    authors: authors_from(r.get(6)?),
                    categories: categories_from(&categories),
                })
            })
            .optional();
        match found {
            Ok(Some(found)) => jobs.push(found),
            Ok(None) => {
                drop.execute([item])?;
            }
            Err(error) => {
                tracing::warn!(item, %error, "queued article fetch unreadable; dropped");
                drop.execute([item])?;
            }
        }
    }
    Ok(jobs)
}

/// When the next queued article fetch is due, if any is queued.
pub(super) fn next_due(conn: &Connection) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<i64> = conn.query_row("SELECT MIN(next_try) FROM article_fetches", [], |r| {
        r.get(0)
    })?;
    Ok(at.and_then(|secs| DateTime::from_timestamp(secs, 0)))
}

/// Keeps a fetched article inside the caller's transaction, while `claim` holds it
/// (see `Store::record_article`).
pub(super) fn record(
    conn: &Connection,
    (item, claim): (i64, i64),
    article: &ArticleText,
    now: DateTime<Utc>,
    feeds: &FeedSet,
    index: &mut StoryIndex,
) -> Result<(ArticleApplied, Vec<String>), StoreError> {
    write_article(
        &mut Articles(conn),
        feeds,
        index,
        (item, claim),
        article,
        now,
    )
}

/// Records inside the caller's transaction that an article gave nothing to keep,
/// while `claim` holds it (see `Store::record_article_failure`).
pub(super) fn record_failure(
    conn: &Connection,
    (item, claim): (i64, i64),
    failure: Option<&str>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    if !Articles(conn).holds(item, claim)? {
        return Ok(());
    }
    match retry_at {
        Some(at) => conn
            .prepare_cached(
                "UPDATE article_fetches SET attempts = attempts + 1, next_try = ?2
                 WHERE item_id = ?1",
            )?
            .execute(params![item, at.timestamp()])?,
        None => conn
            .prepare_cached("DELETE FROM article_fetches WHERE item_id = ?1")?
            .execute([item])?,
    };
    if let Some(error) = failure {
        conn.prepare_cached(
            "UPDATE sources SET article_failures = article_failures + 1, article_error = ?2
             WHERE id = (SELECT source_id FROM items WHERE id = ?1)",
        )?
        .execute(params![item, error])?;
    }
    Ok(())
}

/// The article writes of the connection, inside the caller's transaction.
struct Articles<'a>(&'a Connection);

impl ArticleWriter for Articles<'_> {
    fn holds(&mut self, item: i64, claim: i64) -> Result<bool, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM article_fetches WHERE item_id = ?1 AND claim = ?2")?
            .exists(params![item, claim])?)
    }

    fn take(&mut self, item: i64) -> Result<Option<ArticleItem>, StoreError> {
        let conn = self.0;
        conn.prepare_cached("DELETE FROM article_fetches WHERE item_id = ?1")?
            .execute([item])?;
        Ok(conn
            .prepare_cached(
                "SELECT i.source_id, s.name, i.story_id, i.sort_date, i.title, i.link, i.author,
                        i.categories, i.first_seen
                 FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = ?1",
            )?
            .query_row([item], |r| {
                let categories: String = r.get(7)?;
                Ok(ArticleItem {
                    source_id: r.get(0)?,
                    source: r.get(1)?,
                    story: r.get(2)?,
                    sort_date: r.get(3)?,
                    first_seen: r.get(8)?,
                    title: r.get(4)?,
                    link: r.get(5)?,
                    authors: authors_from(r.get(6)?),
                    categories: categories_from(&categories),
                })
            })
            .optional()?)
    }

    fn store_content(
        &mut self,
        item: i64,
        article: &ArticleText,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let content = Packed::article(article);
        self.0
            .prepare_cached(
                "UPDATE items SET content_html = ?2, fingerprint = ?3, updated = ?4 WHERE id = ?1",
            )?
            .execute(params![
                item,
                content,
                &article.fingerprint.to_bytes()[..],
                now.timestamp()
            ])?;
        Ok(())
    }

    fn copies(&mut self, story: i64) -> Result<i64, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT COUNT(*) FROM items WHERE story_id = ?1")?
            .query_row([story], |r| r.get(0))?)
    }

    fn story_of(&mut self, item: i64) -> Result<Option<i64>, StoreError> {
        super::stories::story_of(self.0, item)
    }

    fn join(&mut self, item: i64, story: i64, layer: &str, score: f64) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE items SET story_id = ?2, story_layer = ?3, story_score = ?4 WHERE id = ?1",
            )?
            .execute(params![item, story, layer, score])?;
        Ok(())
    }

    fn unlist(&mut self, item: i64) -> Result<Vec<String>, StoreError> {
        super::feeds::forget(self.0, item)
    }

    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError> {
        super::feeds::insert_rows(self.0, at, feeds)
    }
}
