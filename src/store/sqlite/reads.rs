//! Reading items back from SQLite: pages newest first (of every source, of some, or
//! of one feed, through `feeds`), a story's copies and how each joined, an item by
//! its id or link; and how a row becomes a [`StoredItem`].

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::super::columns::{authors_from, categories_from, links_from, to_time};
use super::super::error::StoreError;
use super::super::records::{Html, ItemHtml, ItemPage, Neighbour, PageCursor, StoryMember};
use super::body::html_at;
use super::digests::{PublicId, StoredPublicId};
use crate::model::StoredItem;

/// The columns [`item_from_row`] reads, of `items i` joined with `sources s`.
const ITEM_COLUMNS: &str = "i.id, i.public_id, i.story_id, s.name, i.link, i.title, i.summary_html,
    i.content_html, i.author, i.categories, i.sort_date, i.updated, i.first_seen, i.links";

/// [`ITEM_COLUMNS`] with NULL for the HTML: SQLite then neither copies nor unpacks it.
const ITEM_COLUMNS_WITHOUT_HTML: &str =
    "i.id, i.public_id, i.story_id, s.name, i.link, i.title, NULL,
    NULL, i.author, i.categories, i.sort_date, i.updated, i.first_seen, i.links";

/// The columns to select for items read `html`.
pub(super) fn item_columns(html: Html) -> &'static str {
    match html {
        Html::With => ITEM_COLUMNS,
        Html::Without => ITEM_COLUMNS_WITHOUT_HTML,
    }
}

pub(super) fn item_from_row(r: &Row<'_>) -> rusqlite::Result<StoredItem> {
    let categories: String = r.get(9)?;
    let summary_html = html_at(r, 6)?;
    let content_html = html_at(r, 7)?;
    let time =
        |i| -> rusqlite::Result<DateTime<Utc>> { Ok(to_time(Some(r.get(i)?)).unwrap_or_default()) };
    Ok(StoredItem {
        row: r.get(0)?,
        public_id: r.get::<_, StoredPublicId>(1)?.0,
        story: r.get(2)?,
        source: r.get(3)?,
        link: r.get(4)?,
        title: r.get(5)?,
        summary_html,
        content_html,
        authors: authors_from(r.get(8)?),
        categories: categories_from(&categories),
        links: links_from(r.get(13)?),
        date: time(10)?,
        updated: time(11)?,
        first_seen: time(12)?,
        text: String::new(),
    })
}

/// `?, ?, ?` for `n` parameters.
pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

pub(super) fn query_items(
    conn: &Connection,
    sql: &str,
    values: Vec<rusqlite::types::Value>,
) -> Result<Vec<StoredItem>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params_from_iter(values), item_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Items of the named sources (all sources when `None`), newest first, below `before`.
pub(super) fn recent_items(
    conn: &Connection,
    sources: Option<&[String]>,
    before: Option<PageCursor>,
    n: usize,
    html: Html,
) -> Result<ItemPage, StoreError> {
    use rusqlite::types::Value;
    let (date, row) = PageCursor::bounds(before);
    let mut values = vec![Value::Integer(date), Value::Integer(row)];
    let mut sql = format!(
        "SELECT {} FROM items i JOIN sources s ON s.id = i.source_id
         WHERE (i.sort_date, i.id) < (?, ?)",
        item_columns(html)
    );
    if let Some(names) = sources {
        sql.push_str(&format!(" AND s.name IN ({})", placeholders(names.len())));
        values.extend(names.iter().cloned().map(Value::Text));
    }
    sql.push_str(" ORDER BY i.sort_date DESC, i.id DESC LIMIT ?");
    values.push(Value::Integer(n as i64));
    Ok(ItemPage::of(query_items(conn, &sql, values)?, n))
}

/// Every stored copy of the given stories, earliest first, without their HTML.
pub(super) fn story_copies(
    conn: &Connection,
    stories: &[i64],
) -> Result<Vec<StoredItem>, StoreError> {
    use rusqlite::types::Value;
    let sql = format!(
        "SELECT {ITEM_COLUMNS_WITHOUT_HTML} FROM items i JOIN sources s ON s.id = i.source_id
         WHERE i.story_id IN ({}) ORDER BY i.first_seen, i.sort_date, i.id",
        placeholders(stories.len())
    );
    query_items(
        conn,
        &sql,
        stories.iter().copied().map(Value::Integer).collect(),
    )
}

/// The HTML of the items of these rows that are still stored.
pub(super) fn items_html(conn: &Connection, rows: &[i64]) -> Result<Vec<ItemHtml>, StoreError> {
    let sql = format!(
        "SELECT id, summary_html, content_html FROM items WHERE id IN ({})",
        placeholders(rows.len())
    );
    let mut stmt = conn.prepare(&sql)?;
    let found = stmt.query_map(params_from_iter(rows), |r| {
        Ok(ItemHtml {
            row: r.get(0)?,
            summary_html: html_at(r, 1)?,
            content_html: html_at(r, 2)?,
        })
    })?;
    Ok(found.collect::<Result<_, _>>()?)
}

/// How each copy that joined `story` was joined (the first copy is not listed).
pub(super) fn story_members(conn: &Connection, story: i64) -> Result<Vec<StoryMember>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, story_layer, story_score FROM items
         WHERE story_id = ?1 AND story_layer IS NOT NULL ORDER BY first_seen, id",
    )?;
    let rows = stmt.query_map([story], |r| {
        Ok(StoryMember {
            item: r.get(0)?,
            layer: r.get(1)?,
            score: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The item with this public id or link, if stored.
pub(super) fn find_item(conn: &Connection, needle: &str) -> Result<Option<StoredItem>, StoreError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM items i JOIN sources s ON s.id = i.source_id
         WHERE i.public_id = ?2 OR i.link = ?1 OR i.canonical_link = ?1
         ORDER BY i.first_seen, i.id LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, params![needle, PublicId(needle)], item_from_row)
        .optional()?)
}

/// Every item first seen within `window` seconds of item `row`, earliest first.
pub(super) fn neighbours(
    conn: &Connection,
    row: i64,
    window: i64,
) -> Result<Vec<Neighbour>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT i.id, i.story_id, s.name, i.title, i.first_seen, i.fingerprint
         FROM items i JOIN sources s ON s.id = i.source_id,
              (SELECT first_seen AS t FROM items WHERE id = ?1) AS me
         WHERE i.first_seen BETWEEN me.t - ?2 AND me.t + ?2
         ORDER BY i.first_seen, i.id",
    )?;
    let rows = stmt.query_map(rusqlite::params![row, window], |r| {
        Ok(Neighbour {
            row: r.get(0)?,
            story: r.get(1)?,
            source: r.get(2)?,
            title: r.get(3)?,
            first_seen: r.get(4)?,
            fingerprint: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
