//! The queue of article pages to fetch in PostgreSQL (`article_fetches`), and the
//! rows a fetched article changes (`store::apply` decides how).

use chrono::{DateTime, Utc};

use super::super::apply::{ArticleItem, ArticleWriter, write_article};
use super::super::body::Packed;
use super::super::columns::{article_host, authors_from, categories_from};
use super::super::error::StoreError;
use super::super::records::{ArticleApplied, FeedRow};
use super::reads::html_at;
use super::{Conn, feeds, items};
use crate::cluster::StoryIndex;
use crate::membership::FeedSet;
use crate::model::{ArticleJob, ArticleText};

/// Queues (again) the article page of item `row` at `link`, due now; inside the
/// caller's transaction. A queued fetch's failures are forgotten, and a claim that
/// holds it loses it: an edited item starts over. Claims only count up, so no later
/// claim can take the number of one still out.
pub(super) fn queue(
    conn: &mut Conn,
    row: i64,
    link: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let host = article_host(link);
    conn.execute(
        "INSERT INTO article_fetches (item_id, attempts, next_try, host, claim)
         VALUES ($1, 0, $2, $3, 0)
         ON CONFLICT (item_id) DO UPDATE SET attempts = 0, next_try = excluded.next_try,
            host = excluded.host, claim = article_fetches.claim + 1",
        &[&row, &now.timestamp(), &host],
    )?;
    Ok(())
}

/// Claims due article fetches inside the caller's transaction (see
/// `Store::claim_articles`).
pub(super) fn claim(
    conn: &mut Conn,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
    skip: &[String],
) -> Result<Vec<ArticleJob>, StoreError> {
    let claimed = conn.query(
        "WITH due AS (
            SELECT item_id, next_try FROM article_fetches
            WHERE next_try <= $1 AND NOT (host = ANY($4))
            ORDER BY next_try, item_id LIMIT $2)
         UPDATE article_fetches a SET next_try = $3, claim = a.claim + 1
         FROM due WHERE a.item_id = due.item_id
         RETURNING a.item_id, a.claim, due.next_try",
        &[
            &now.timestamp(),
            &i64::try_from(limit).unwrap_or(i64::MAX),
            &until.timestamp(),
            &skip,
        ],
    )?;
    let mut claimed: Vec<(i64, i64, i64)> = claimed
        .iter()
        .map(|r| Ok((r.try_get(2)?, r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, StoreError>>()?;
    // Handed out the longest due first, as chosen.
    claimed.sort_unstable();
    let mut jobs = Vec::with_capacity(claimed.len());
    for (_, item, claim) in claimed {
        let found = conn
            .query_opt(
                "SELECT s.name, i.link, a.attempts, i.title, i.summary_html, i.content_html,
                        i.author, i.categories
                 FROM article_fetches a
                 JOIN items i ON i.id = a.item_id
                 JOIN sources s ON s.id = i.source_id
                 WHERE a.item_id = $1 AND i.link IS NOT NULL",
                &[&item],
            )
            .and_then(|row| {
                row.map(|r| -> Result<ArticleJob, StoreError> {
                    Ok(ArticleJob {
                        item,
                        claim,
                        source: r.try_get(0)?,
                        link: r.try_get(1)?,
                        attempts: u32::try_from(r.try_get::<_, i32>(2)?).unwrap_or(0),
                        title: r.try_get(3)?,
                        summary_html: html_at(&r, 4)?,
                        content_html: html_at(&r, 5)?,
                        authors: authors_from(r.try_get(6)?),
                        categories: categories_from(&r.try_get::<_, String>(7)?),
                    })
                })
                .transpose()
            });
        match found {
            Ok(Some(job)) => jobs.push(job),
            Ok(None) => drop_fetch(conn, item)?,
            Err(error) => {
                tracing::warn!(item, %error, "queued article fetch unreadable; dropped");
                drop_fetch(conn, item)?;
            }
        }
    }
    Ok(jobs)
}

fn drop_fetch(conn: &mut Conn, item: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM article_fetches WHERE item_id = $1", &[&item])?;
    Ok(())
}

/// When the next queued article fetch is due, if any is queued.
pub(super) fn next_due(conn: &mut Conn) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<i64> = conn
        .query_one("SELECT MIN(next_try) FROM article_fetches", &[])?
        .try_get(0)?;
    Ok(at.and_then(|secs| DateTime::from_timestamp(secs, 0)))
}

/// Keeps a fetched article inside the caller's transaction, while `claim` holds it.
pub(super) fn record(
    conn: &mut Conn,
    claimed: (i64, i64),
    article: &ArticleText,
    now: DateTime<Utc>,
    feeds: &FeedSet,
    index: &mut StoryIndex,
) -> Result<(ArticleApplied, Vec<String>), StoreError> {
    conn.join_index(index)?;
    write_article(conn, feeds, index, claimed, article, now)
}

/// Records inside the caller's transaction that an article gave nothing to keep,
/// while `claim` holds it.
pub(super) fn record_failure(
    conn: &mut Conn,
    (item, claim): (i64, i64),
    failure: Option<&str>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    if !conn.holds(item, claim)? {
        return Ok(());
    }
    match retry_at {
        Some(at) => conn.execute(
            "UPDATE article_fetches SET attempts = attempts + 1, next_try = $2
             WHERE item_id = $1",
            &[&item, &at.timestamp()],
        )?,
        None => conn.execute("DELETE FROM article_fetches WHERE item_id = $1", &[&item])?,
    };
    if let Some(error) = failure {
        conn.execute(
            "UPDATE sources SET article_failures = article_failures + 1, article_error = $2
             WHERE id = (SELECT source_id FROM items WHERE id = $1)",
            &[&item, &error],
        )?;
    }
    Ok(())
}

impl ArticleWriter for Conn {
    fn holds(&mut self, item: i64, claim: i64) -> Result<bool, StoreError> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM article_fetches WHERE item_id = $1 AND claim = $2",
                &[&item, &claim],
            )?
            .is_some())
    }

    fn take(&mut self, item: i64) -> Result<Option<ArticleItem>, StoreError> {
        drop_fetch(self, item)?;
        let row = self.query_opt(
            "SELECT i.source_id, s.name, i.story_id, i.sort_date, i.title, i.link, i.author,
                    i.categories, i.first_seen
             FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = $1",
            &[&item],
        )?;
        row.map(|r| {
            Ok(ArticleItem {
                source_id: r.try_get(0)?,
                source: r.try_get(1)?,
                story: r.try_get(2)?,
                sort_date: r.try_get(3)?,
                first_seen: r.try_get(8)?,
                title: r.try_get(4)?,
                link: r.try_get(5)?,
                authors: authors_from(r.try_get(6)?),
                categories: categories_from(&r.try_get::<_, String>(7)?),
            })
        })
        .transpose()
    }

    fn store_content(
        &mut self,
        item: i64,
        article: &ArticleText,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let content = Packed::article(article);
        let change: i64 = self
            .query_one(
                "UPDATE items SET content_html = $2, fingerprint = $3, updated = $4,
                    index_change = nextval('story_index_changes')
                 WHERE id = $1 RETURNING index_change",
                &[
                    &item,
                    &&*content.to_bytes(),
                    &&article.fingerprint.to_bytes()[..],
                    &now.timestamp(),
                ],
            )?
            .try_get(0)?;
        self.index_changed(change);
        Ok(())
    }

    fn copies(&mut self, story: i64) -> Result<i64, StoreError> {
        Ok(self
            .query_one("SELECT COUNT(*) FROM items WHERE story_id = $1", &[&story])?
            .try_get(0)?)
    }

    fn story_of(&mut self, item: i64) -> Result<Option<i64>, StoreError> {
        items::story_of(self, item)
    }

    fn join(&mut self, item: i64, story: i64, layer: &str, score: f64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE items SET story_id = $2, story_layer = $3, story_score = $4 WHERE id = $1",
            &[&item, &story, &layer, &score],
        )?;
        Ok(())
    }

    fn unlist(&mut self, item: i64) -> Result<Vec<String>, StoreError> {
        feeds::forget(self, item)
    }

    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError> {
        feeds::insert_rows(self, at, feeds)
    }
}
