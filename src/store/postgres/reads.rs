//! Reading items back from PostgreSQL: pages newest first (of every source, of some,
//! of one feed's rows), a story's copies and how each joined, an item by its id or
//! link, the items near one; and how a row becomes a [`StoredItem`].

use chrono::{DateTime, Utc};
use postgres::Row;

use super::super::body::html_from_bytes;
use super::super::columns::{authors_from, categories_from, links_from, to_time};
use super::super::error::{DriverError, StoreError};
use super::super::records::{Html, ItemHtml, ItemPage, Neighbour, PageCursor, StoryMember};
use super::{Conn, Param};
use crate::model::StoredItem;

/// The columns [`item_from_row`] reads, of `items i` joined with `sources s`.
const ITEM_COLUMNS: &str = "i.id, i.public_id, i.story_id, s.name, i.link, i.title, \
    i.summary_html, i.content_html, i.author, i.categories, i.sort_date, i.updated, \
    i.first_seen, i.links";

/// [`ITEM_COLUMNS`] with NULL for the HTML, which is then neither sent nor unpacked.
const ITEM_COLUMNS_WITHOUT_HTML: &str = "i.id, i.public_id, i.story_id, s.name, i.link, \
    i.title, NULL::bytea, NULL::bytea, i.author, i.categories, i.sort_date, i.updated, \
    i.first_seen, i.links";

/// The columns to select for items read `html`.
fn item_columns(html: Html) -> &'static str {
    match html {
        Html::With => ITEM_COLUMNS,
        Html::Without => ITEM_COLUMNS_WITHOUT_HTML,
    }
}

/// An optional HTML column.
pub(super) fn html_at(row: &Row, index: usize) -> Result<Option<String>, StoreError> {
    let bytes: Option<&[u8]> = row.try_get(index)?;
    bytes
        .map(|bytes| html_from_bytes(bytes).map_err(|e| StoreError::Driver(DriverError::new(e))))
        .transpose()
}

fn item_from_row(r: &Row) -> Result<StoredItem, StoreError> {
    let summary_html = html_at(r, 6)?;
    let content_html = html_at(r, 7)?;
    let time = |i| -> Result<DateTime<Utc>, StoreError> {
        Ok(to_time(Some(r.try_get(i)?)).unwrap_or_default())
    };
    Ok(StoredItem {
        row: r.try_get(0)?,
        public_id: r.try_get(1)?,
        story: r.try_get(2)?,
        source: r.try_get(3)?,
        link: r.try_get(4)?,
        title: r.try_get(5)?,
        summary_html,
        content_html,
        authors: authors_from(r.try_get(8)?),
        categories: categories_from(&r.try_get::<_, String>(9)?),
        links: links_from(r.try_get(13)?),
        date: time(10)?,
        updated: time(11)?,
        first_seen: time(12)?,
        text: String::new(),
    })
}

fn items(conn: &mut Conn, sql: &str, params: &[Param<'_>]) -> Result<Vec<StoredItem>, StoreError> {
    conn.query(sql, params)?.iter().map(item_from_row).collect()
}

/// Items of the named sources (all sources when `None`), newest first, below `before`.
pub(super) fn recent_items(
    conn: &mut Conn,
    sources: Option<&[String]>,
    before: Option<PageCursor>,
    n: usize,
    html: Html,
) -> Result<ItemPage, StoreError> {
    let (date, row) = PageCursor::bounds(before);
    let limit = i64::try_from(n).unwrap_or(i64::MAX);
    let columns = item_columns(html);
    let found = match sources {
        None => items(
            conn,
            &format!(
                "SELECT {columns} FROM items i JOIN sources s ON s.id = i.source_id
                 WHERE (i.sort_date, i.id) < ($1, $2)
                 ORDER BY i.sort_date DESC, i.id DESC LIMIT $3"
            ),
            &[&date, &row, &limit],
        )?,
        Some(names) => items(
            conn,
            &format!(
                "SELECT {columns} FROM items i JOIN sources s ON s.id = i.source_id
                 WHERE (i.sort_date, i.id) < ($1, $2) AND s.name = ANY($4)
                 ORDER BY i.sort_date DESC, i.id DESC LIMIT $3"
            ),
            &[&date, &row, &limit, &names],
        )?,
    };
    Ok(ItemPage::of(found, n))
}

/// A feed's items, newest first, below `before`.
pub(super) fn feed_page(
    conn: &mut Conn,
    feed: &str,
    before: Option<PageCursor>,
    n: usize,
    html: Html,
) -> Result<ItemPage, StoreError> {
    let (date, row) = PageCursor::bounds(before);
    let limit = i64::try_from(n).unwrap_or(i64::MAX);
    let found = items(
        conn,
        &format!(
            "SELECT {} FROM feed_items f
             JOIN items i ON i.id = f.item_id JOIN sources s ON s.id = i.source_id
             WHERE f.feed = $1 AND (f.sort_date, f.item_id) < ($2, $3)
             ORDER BY f.sort_date DESC, f.item_id DESC LIMIT $4",
            item_columns(html)
        ),
        &[&feed, &date, &row, &limit],
    )?;
    Ok(ItemPage::of(found, n))
}

/// The stored copies of `stories` (those in `feed`'s rows, when given), earliest
/// first, without their HTML.
pub(super) fn story_copies(
    conn: &mut Conn,
    feed: Option<&str>,
    stories: &[i64],
) -> Result<Vec<StoredItem>, StoreError> {
    match feed {
        None => items(
            conn,
            &format!(
                "SELECT {ITEM_COLUMNS_WITHOUT_HTML} FROM items i JOIN sources s ON s.id = i.source_id
                 WHERE i.story_id = ANY($1) ORDER BY i.first_seen, i.sort_date, i.id"
            ),
            &[&stories],
        ),
        Some(feed) => items(
            conn,
            &format!(
                "SELECT {ITEM_COLUMNS_WITHOUT_HTML} FROM feed_items f
                 JOIN items i ON i.id = f.item_id JOIN sources s ON s.id = i.source_id
                 WHERE f.feed = $1 AND f.story_id = ANY($2)
                 ORDER BY i.first_seen, i.sort_date, i.id"
            ),
            &[&feed, &stories],
        ),
    }
}

/// The HTML of the items of these rows that are still stored.
pub(super) fn items_html(conn: &mut Conn, rows: &[i64]) -> Result<Vec<ItemHtml>, StoreError> {
    let found = conn.query(
        "SELECT id, summary_html, content_html FROM items WHERE id = ANY($1)",
        &[&rows],
    )?;
    found
        .iter()
        .map(|r| {
            Ok(ItemHtml {
                row: r.try_get(0)?,
                summary_html: html_at(r, 1)?,
                content_html: html_at(r, 2)?,
            })
        })
        .collect()
}

/// How each copy that joined `story` was joined (the first copy is not listed).
pub(super) fn story_members(conn: &mut Conn, story: i64) -> Result<Vec<StoryMember>, StoreError> {
    let rows = conn.query(
        "SELECT id, story_layer, story_score FROM items
         WHERE story_id = $1 AND story_layer IS NOT NULL ORDER BY first_seen, id",
        &[&story],
    )?;
    rows.iter()
        .map(|r| {
            Ok(StoryMember {
                item: r.try_get(0)?,
                layer: r.try_get(1)?,
                score: r.try_get(2)?,
            })
        })
        .collect()
}

/// The item with this public id or link, if stored.
pub(super) fn find_item(conn: &mut Conn, needle: &str) -> Result<Option<StoredItem>, StoreError> {
    let found = items(
        conn,
        &format!(
            "SELECT {ITEM_COLUMNS} FROM items i JOIN sources s ON s.id = i.source_id
             WHERE i.public_id = $1 OR i.link = $1 OR i.canonical_link = $1
             ORDER BY i.first_seen, i.id LIMIT 1"
        ),
        &[&needle],
    )?;
    Ok(found.into_iter().next())
}

/// Every item first seen within `window` seconds of item `row`, earliest first.
pub(super) fn neighbours(
    conn: &mut Conn,
    row: i64,
    window: i64,
) -> Result<Vec<Neighbour>, StoreError> {
    // Beyond any stored time, and far from overflowing `BIGINT` when added to one.
    let window = window.min(1 << 40);
    let rows = conn.query(
        "SELECT i.id, i.story_id, s.name, i.title, i.first_seen, i.fingerprint
         FROM items i JOIN sources s ON s.id = i.source_id,
              (SELECT first_seen AS t FROM items WHERE id = $1) AS me
         WHERE i.first_seen BETWEEN me.t - $2 AND me.t + $2
         ORDER BY i.first_seen, i.id",
        &[&row, &window],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Neighbour {
                row: r.try_get(0)?,
                story: r.try_get(1)?,
                source: r.try_get(2)?,
                title: r.try_get(3)?,
                first_seen: r.try_get(4)?,
                fingerprint: r.try_get(5)?,
            })
        })
        .collect()
}
