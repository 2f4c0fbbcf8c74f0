//! Feed membership rows in SQLite: which items each output feed holds, written when an item is
//! stored or edited, refilled for a feed whose definition changed, and read back
//! newest first for publishing. What belongs where is decided by `membership`. A feed
//! that takes every item keeps no rows (it is read from the items themselves); rows
//! left for it by an older version are dropped in the background, a chunk at a time.

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::super::columns::{authors_from, categories_from};
use super::super::error::StoreError;
use super::super::records::{FeedRow, FeedSync, Html, ItemPage, PageCursor};
use super::super::refill::{self, FeedWriter, RefillRow};
use super::body::html_at;
use super::reads::{item_columns, item_from_row, placeholders, query_items};
use crate::membership::FeedSet;
use crate::model::StoredItem;

/// Writes the membership rows of one item in `feeds`. An upsert, not `INSERT OR
/// REPLACE`: with foreign keys enforced, a replace prepares the delete of the row it
/// may displace and that delete's cascade for every row it writes.
pub(super) fn insert_rows(
    tx: &Connection,
    item: FeedRow,
    feeds: &[String],
) -> Result<(), StoreError> {
    if feeds.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO feed_items (feed, item_id, story_id, sort_date) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (feed, item_id) DO UPDATE
            SET story_id = excluded.story_id, sort_date = excluded.sort_date",
    )?;
    for feed in feeds {
        insert.execute(params![feed, item.item, item.story, item.sort_date])?;
    }
    Ok(())
}

/// Drops an item's membership rows (before re-admitting it after an edit); returns
/// the feeds it was in.
pub(super) fn forget(tx: &Connection, item_id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = tx.prepare_cached("DELETE FROM feed_items WHERE item_id = ?1 RETURNING feed")?;
    let feeds = stmt.query_map([item_id], |r| r.get(0))?;
    Ok(feeds.collect::<Result<_, _>>()?)
}

/// The feed writes of a connection, inside the transaction its caller holds.
struct Membership<'a>(&'a Connection);

impl FeedWriter for Membership<'_> {
    fn signatures(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.0.prepare("SELECT feed, signature FROM feed_defs")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_signature(&mut self, feed: &str, signature: &str) -> Result<(), StoreError> {
        self.0
            .prepare_cached("INSERT OR REPLACE INTO feed_defs (feed, signature) VALUES (?1, ?2)")?
            .execute(params![feed, signature])?;
        Ok(())
    }

    fn holds_rows(&mut self, feed: &str) -> Result<bool, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM feed_items WHERE feed = ?1 LIMIT 1")?
            .exists([feed])?)
    }

    fn empty(&mut self, feed: &str) -> Result<(), StoreError> {
        self.0
            .execute("DELETE FROM feed_items WHERE feed = ?1", [feed])?;
        self.0
            .execute("DELETE FROM feed_defs WHERE feed = ?1", [feed])?;
        Ok(())
    }

    fn items_below(&mut self, below: i64, chunk: i64) -> Result<Vec<RefillRow>, StoreError> {
        let mut stmt = self.0.prepare_cached(
            "SELECT i.id, i.story_id, i.sort_date, s.name, i.title, i.summary_html,
                    i.content_html, i.categories, i.author, i.link
             FROM items i JOIN sources s ON s.id = i.source_id
             WHERE i.id < ?1 ORDER BY i.id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![below, chunk], |r| {
            Ok(RefillRow {
                at: FeedRow {
                    item: r.get(0)?,
                    story: r.get(1)?,
                    sort_date: r.get(2)?,
                },
                source: r.get(3)?,
                title: r.get(4)?,
                summary_html: html_at(r, 5)?,
                content_html: html_at(r, 6)?,
                categories: categories_from(&r.get::<_, String>(7)?),
                authors: authors_from(r.get(8)?),
                link: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError> {
        insert_rows(self.0, at, feeds)
    }
}

/// See `refill::begin_feeds`; in a transaction of its own.
pub(super) fn begin(conn: &mut Connection, feeds: &FeedSet) -> Result<FeedSync, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let sync = refill::begin_feeds(&mut Membership(&tx), feeds)?;
    tx.commit()?;
    Ok(sync)
}

/// Deletes up to `chunk` membership rows of `feeds`; how many.
pub(super) fn drop_rows(
    conn: &mut Connection,
    feeds: &[String],
    chunk: i64,
) -> Result<usize, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut deleted = 0usize;
    for feed in feeds {
        let limit = chunk.max(1) - deleted as i64;
        if limit <= 0 {
            break;
        }
        deleted += tx
            .prepare_cached(
                "DELETE FROM feed_items WHERE feed = ?1 AND item_id IN
                 (SELECT item_id FROM feed_items WHERE feed = ?1 LIMIT ?2)",
            )?
            .execute(params![feed, limit])?;
    }
    tx.commit()?;
    Ok(deleted)
}

/// See `refill::refill_chunk`; in a transaction of its own.
pub(super) fn refill(
    conn: &mut Connection,
    feeds: &FeedSet,
    only: &HashSet<String>,
    below: i64,
    chunk: i64,
) -> Result<Option<(i64, usize)>, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let next = refill::refill_chunk(&mut Membership(&tx), feeds, only, below, chunk)?;
    tx.commit()?;
    Ok(next)
}

/// A feed's items, newest first, starting below `before`.
pub(super) fn page(
    conn: &Connection,
    feed: &str,
    before: Option<PageCursor>,
    n: usize,
    html: Html,
) -> Result<ItemPage, StoreError> {
    let (date, row) = PageCursor::bounds(before);
    let sql = format!(
        "SELECT {} FROM feed_items f
         JOIN items i ON i.id = f.item_id JOIN sources s ON s.id = i.source_id
         WHERE f.feed = ?1 AND (f.sort_date, f.item_id) < (?2, ?3)
         ORDER BY f.sort_date DESC, f.item_id DESC LIMIT ?4",
        item_columns(html)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![feed, date, row, n as i64], item_from_row)?;
    let items: Vec<StoredItem> = rows.collect::<Result<_, _>>()?;
    Ok(ItemPage::of(items, n))
}

/// The copies of `stories` that belong in `feed`, earliest first, without their HTML.
pub(super) fn story_copies(
    conn: &Connection,
    feed: &str,
    stories: &[i64],
) -> Result<Vec<StoredItem>, StoreError> {
    use rusqlite::types::Value;
    let sql = format!(
        "SELECT {} FROM feed_items f
         JOIN items i ON i.id = f.item_id JOIN sources s ON s.id = i.source_id
         WHERE f.feed = ? AND f.story_id IN ({})
         ORDER BY i.first_seen, i.sort_date, i.id",
        item_columns(Html::Without),
        placeholders(stories.len())
    );
    let mut values = vec![Value::Text(feed.to_string())];
    values.extend(stories.iter().copied().map(Value::Integer));
    query_items(conn, &sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_an_item_again_in_a_feed_keeps_one_row_with_its_latest_story_and_date() {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::super::schema::open(&dir.path().join("t.db")).unwrap();
        conn.execute_batch(
            "INSERT INTO sources (id, name, url) VALUES (1, 'a', 'https://a.example/feed');
             INSERT INTO items (id, source_id, item_key, public_id, story_id, title,
                 sort_date, first_seen, updated, content_hash)
             VALUES (7, 1, 'k', 'p', 7, 't', 0, 0, 0, 'h');",
        )
        .unwrap();
        let feeds = ["gulf".to_string(), "world".to_string()];
        let row = |story, sort_date| FeedRow {
            item: 7,
            story,
            sort_date,
        };
        insert_rows(&conn, row(7, 100), &feeds).unwrap();
        insert_rows(&conn, row(3, 200), &feeds[..1]).unwrap();
        let rows: Vec<(String, i64, i64)> = conn
            .prepare("SELECT feed, story_id, sort_date FROM feed_items ORDER BY feed")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [("gulf".into(), 3, 200), ("world".into(), 7, 100)],
            "the second listing updated its feed's row and left the other"
        );
        conn.execute("DELETE FROM items WHERE id = 7", []).unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM feed_items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0, "an item's rows go with it");
    }
}
