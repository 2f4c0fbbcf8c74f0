//! Finding items by the 64-bit key of their canonical link (`identity::link_key`)
//! without an index on items. Such keys are hashes: an index of them takes each new
//! item at a random page, so with a million items stored every group commit wrote
//! one 16 KiB page per new item to the WAL (and again at the checkpoint) for a
//! 16-byte entry, a third of all the writes of ingest.
//!
//! So new keys go to `recent_link_keys`, which stays small enough that a commit
//! rewrites few pages of it; once it holds [`FOLD_AT`] keys they move to `link_keys`
//! in key order, where each page is written once for many keys. A lookup reads both.
//!
//! A new item's key is written beside it ([`insert`]); the triggers of schema step
//! 14 keep both tables in step when an item's key changes or the item is deleted.
//! No trigger on insert: it would make every item's insert a statement writing two
//! tables, which SQLite journals page by page in case it fails halfway, and that
//! journal cost more than the index it replaces.

use rusqlite::Connection;

use super::super::error::StoreError;

/// Keys kept in `recent_link_keys` before they are folded into `link_keys`: about
/// 40 pages of 16 KiB, few enough for a commit to rewrite, and enough that a fold
/// into a million keys (about 1,100 pages) writes each page for dozens of them.
pub(super) const FOLD_AT: i64 = 32_768;

/// Records that item `item` is found by `key`, in the transaction of its insert.
pub(super) fn insert(conn: &Connection, key: i64, item: i64) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO recent_link_keys (link_key, item_id) VALUES (?1, ?2)")?
        .execute([key, item])?;
    Ok(())
}

/// Folds the recent keys into `link_keys` when there are [`FOLD_AT`] of them or more,
/// in a transaction of its own; whether it did.
pub(super) fn fold_if_due(conn: &mut Connection) -> Result<bool, StoreError> {
    let recent: i64 = conn.query_row("SELECT count(*) FROM recent_link_keys", [], |r| r.get(0))?;
    if recent < FOLD_AT {
        return Ok(false);
    }
    fold(conn)?;
    Ok(true)
}

/// Moves every recent key into `link_keys`, in key order (the order the table is
/// read in), in one transaction. A key in both already (which the triggers never
/// leave) is kept once.
pub(super) fn fold(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "INSERT OR IGNORE INTO link_keys (link_key, item_id)
             SELECT link_key, item_id FROM recent_link_keys;
         DELETE FROM recent_link_keys;",
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::link_key;

    fn database() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::super::schema::open(&dir.path().join("t.db")).unwrap();
        conn.execute(
            "INSERT INTO sources (id, name, url) VALUES (1, 'a', 'https://a.example/feed')",
            [],
        )
        .unwrap();
        (dir, conn)
    }

    fn insert(conn: &Connection, id: i64, link: &str) {
        conn.execute(
            "INSERT INTO items (id, source_id, item_key, public_id, story_id, link, title,
                sort_date, first_seen, updated, content_hash, link_key)
             VALUES (?1, 1, ?2, ?2, ?1, ?3, 't', 0, 0, 0, 'h', ?4)",
            rusqlite::params![id, format!("k{id}"), link, link_key(link)],
        )
        .unwrap();
        super::insert(conn, link_key(link), id).unwrap();
    }

    /// The (key, item) pairs of `table`, in key order.
    fn pairs(conn: &Connection, table: &str) -> Vec<(i64, i64)> {
        let mut stmt = conn
            .prepare(&format!("SELECT link_key, item_id FROM {table}"))
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The items the store's lookup by link finds, as ingest asks for them.
    fn found(conn: &Connection, link: &str) -> Vec<i64> {
        use crate::ingest::Lookup;
        let mut write =
            super::super::items::PollWrite::prepare(conn, 1, "a", chrono::Utc::now()).unwrap();
        let mut rows: Vec<i64> = write
            .by_link(link)
            .unwrap()
            .into_iter()
            .map(|row| row.row)
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn new_keys_are_found_before_and_after_they_are_folded() {
        let (_dir, mut conn) = database();
        insert(&conn, 1, "https://x.example/a");
        insert(&conn, 2, "https://x.example/a");
        insert(&conn, 3, "https://x.example/b");
        assert_eq!(pairs(&conn, "recent_link_keys").len(), 3);
        assert_eq!(found(&conn, "https://x.example/a"), [1, 2]);

        assert!(!fold_if_due(&mut conn).unwrap(), "three keys are not due");
        fold(&mut conn).unwrap();
        assert!(pairs(&conn, "recent_link_keys").is_empty());
        let mut expected = vec![
            (link_key("https://x.example/a"), 1),
            (link_key("https://x.example/a"), 2),
            (link_key("https://x.example/b"), 3),
        ];
        expected.sort();
        assert_eq!(pairs(&conn, "link_keys"), expected);

        // One folded, one recent: the lookup reads both tables.
        insert(&conn, 4, "https://x.example/a");
        assert_eq!(found(&conn, "https://x.example/a"), [1, 2, 4]);
        assert_eq!(found(&conn, "https://x.example/b"), [3]);
        assert_eq!(found(&conn, "https://x.example/c"), Vec::<i64>::new());
    }

    #[test]
    fn edited_and_deleted_items_leave_neither_table_holding_their_old_key() {
        let (_dir, mut conn) = database();
        insert(&conn, 1, "https://x.example/a");
        insert(&conn, 2, "https://x.example/b");
        fold(&mut conn).unwrap();
        insert(&conn, 3, "https://x.example/c");

        // A folded key and a recent one change; another item loses its link.
        let set = |id: i64, key: Option<i64>| {
            conn.execute(
                "UPDATE items SET link_key = ?2 WHERE id = ?1",
                rusqlite::params![id, key],
            )
            .unwrap();
        };
        set(1, Some(link_key("https://x.example/d")));
        set(3, Some(link_key("https://x.example/e")));
        set(2, None);
        assert_eq!(found(&conn, "https://x.example/a"), Vec::<i64>::new());
        assert_eq!(pairs(&conn, "link_keys"), Vec::<(i64, i64)>::new());
        let mut expected = vec![
            (link_key("https://x.example/d"), 1),
            (link_key("https://x.example/e"), 3),
        ];
        expected.sort();
        assert_eq!(pairs(&conn, "recent_link_keys"), expected);

        fold(&mut conn).unwrap();
        conn.execute("DELETE FROM items WHERE id IN (1, 3)", [])
            .unwrap();
        assert!(pairs(&conn, "link_keys").is_empty());
        assert!(pairs(&conn, "recent_link_keys").is_empty());
    }

    #[test]
    fn a_fold_is_due_at_its_threshold() {
        let (_dir, mut conn) = database();
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO recent_link_keys (link_key, item_id) SELECT i * 7919, i FROM n",
            [FOLD_AT - 1],
        )
        .unwrap();
        assert!(!fold_if_due(&mut conn).unwrap());
        conn.execute(
            "INSERT INTO recent_link_keys (link_key, item_id) VALUES (1, ?1)",
            [FOLD_AT],
        )
        .unwrap();
        assert!(fold_if_due(&mut conn).unwrap());
        assert_eq!(pairs(&conn, "link_keys").len() as i64, FOLD_AT);
        assert!(pairs(&conn, "recent_link_keys").is_empty());
    }
}
