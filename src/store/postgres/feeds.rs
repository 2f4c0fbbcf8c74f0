//! Feed membership rows in PostgreSQL: which items each output feed holds, written
//! when an item is stored or edited and refilled for a feed whose definition changed
//! (`store::refill` decides what). Reading them back is `reads`.

use std::collections::HashSet;

use super::super::columns::{authors_from, categories_from};
use super::super::error::StoreError;
use super::super::records::{FeedRow, FeedSync};
use super::super::refill::{self, FeedWriter, RefillRow};
use super::reads::html_at;
use super::{Conn, count};
use crate::membership::FeedSet;

/// Writes the membership rows of one item in `feeds`.
pub(super) fn insert_rows(
    conn: &mut Conn,
    item: FeedRow,
    feeds: &[String],
) -> Result<(), StoreError> {
    if feeds.is_empty() {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO feed_items (feed, item_id, story_id, sort_date)
         SELECT feed, $2, $3, $4 FROM UNNEST($1::text[]) AS feed
         ON CONFLICT (feed, item_id) DO UPDATE
            SET story_id = excluded.story_id, sort_date = excluded.sort_date",
        &[&feeds, &item.item, &item.story, &item.sort_date],
    )?;
    Ok(())
}

/// Drops an item's membership rows; the feeds it was in.
pub(super) fn forget(conn: &mut Conn, item: i64) -> Result<Vec<String>, StoreError> {
    let rows = conn.query(
        "DELETE FROM feed_items WHERE item_id = $1 RETURNING feed",
        &[&item],
    )?;
    rows.iter()
        .map(|r| r.try_get(0).map_err(StoreError::from))
        .collect()
}

impl FeedWriter for Conn {
    fn signatures(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self.query("SELECT feed, signature FROM feed_defs", &[])?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn set_signature(&mut self, feed: &str, signature: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO feed_defs (feed, signature) VALUES ($1, $2)
             ON CONFLICT (feed) DO UPDATE SET signature = excluded.signature",
            &[&feed, &signature],
        )?;
        Ok(())
    }

    fn holds_rows(&mut self, feed: &str) -> Result<bool, StoreError> {
        Ok(self
            .query_opt("SELECT 1 FROM feed_items WHERE feed = $1 LIMIT 1", &[&feed])?
            .is_some())
    }

    fn empty(&mut self, feed: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM feed_items WHERE feed = $1", &[&feed])?;
        self.execute("DELETE FROM feed_defs WHERE feed = $1", &[&feed])?;
        Ok(())
    }

    fn items_below(&mut self, below: i64, chunk: i64) -> Result<Vec<RefillRow>, StoreError> {
        let rows = self.query(
            "SELECT i.id, i.story_id, i.sort_date, s.name, i.title, i.summary_html,
                    i.content_html, i.categories, i.author, i.link
             FROM items i JOIN sources s ON s.id = i.source_id
             WHERE i.id < $1 ORDER BY i.id DESC LIMIT $2",
            &[&below, &chunk],
        )?;
        rows.iter()
            .map(|r| {
                Ok(RefillRow {
                    at: FeedRow {
                        item: r.try_get(0)?,
                        story: r.try_get(1)?,
                        sort_date: r.try_get(2)?,
                    },
                    source: r.try_get(3)?,
                    title: r.try_get(4)?,
                    summary_html: html_at(r, 5)?,
                    content_html: html_at(r, 6)?,
                    categories: categories_from(&r.try_get::<_, String>(7)?),
                    authors: authors_from(r.try_get(8)?),
                    link: r.try_get(9)?,
                })
            })
            .collect()
    }

    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError> {
        insert_rows(self, at, feeds)
    }
}

/// See `refill::begin_feeds`; inside the caller's transaction.
pub(super) fn begin(conn: &mut Conn, feeds: &FeedSet) -> Result<FeedSync, StoreError> {
    refill::begin_feeds(conn, feeds)
}

/// See `refill::refill_chunk`; inside the caller's transaction.
pub(super) fn refill(
    conn: &mut Conn,
    feeds: &FeedSet,
    only: &HashSet<String>,
    below: i64,
    chunk: i64,
) -> Result<Option<(i64, usize)>, StoreError> {
    refill::refill_chunk(conn, feeds, only, below, chunk)
}

/// Deletes up to `chunk` membership rows of `feeds`; how many.
pub(super) fn drop_rows(
    conn: &mut Conn,
    feeds: &[String],
    chunk: i64,
) -> Result<usize, StoreError> {
    let deleted = conn.execute(
        "DELETE FROM feed_items WHERE (feed, item_id) IN
            (SELECT feed, item_id FROM feed_items WHERE feed = ANY($1) LIMIT $2)",
        &[&feeds, &chunk.max(1)],
    )?;
    Ok(count(deleted as i64))
}
