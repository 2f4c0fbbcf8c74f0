//! Finding items by the 64-bit key of their canonical link (`identity::link_key`)
//! without an index on items. The keys are hashes, so an index of them would take each
//! new item at a random page; SQLite writes every page a commit changed whole (16 KiB)
//! to the WAL, and again at the checkpoint, so with a million items stored that is a
//! page per new item per commit, for a 16-byte entry.
//!
//! New keys go to `recent_link_keys`, small enough that a commit rewrites few pages of
//! it; once it holds enough of them ([`fold_threshold`]) they move to `link_keys` in
//! key order, and the fold writes each page of `link_keys` once for many keys. A
//! lookup reads both tables.
//!
//! A new item's key is written beside it, by the same poll's statements
//! ([`INSERT_RECENT`]); the triggers of schema step 14 keep both tables in step when an
//! item's key changes or the item is deleted. No trigger on insert: it would make
//! every item insert a statement that writes two tables, which SQLite journals page by
//! page in case it fails halfway, a cost on every new item larger than the index's.
//! What keeps the tables in step, and must stay true: items are inserted only where
//! their key is written too (never by `INSERT OR REPLACE`, whose implicit delete fires
//! no trigger), and an item's id never changes.

use rusqlite::Connection;

use super::super::error::StoreError;

/// Records that an item (`?2`) is found by a key (`?1`), in the transaction of its
/// insert.
pub(super) const INSERT_RECENT: &str =
    "INSERT INTO recent_link_keys (link_key, item_id) VALUES (?1, ?2)";

/// The fewest recent keys folded at once: a fold is a transaction of its own, whose
/// commit writes a few pages beside the tables'; at a few thousand keys (four or five
/// pages of the recent table) that costs less than the commits it spares rewriting a
/// larger recent table.
const FOLD_AT_LEAST: i64 = 4_096;

/// How many recent keys wait before a fold into `folded` keys. Between folds each
/// commit rewrites the recent table's pages (about `recent / 900` of 16 KiB); a fold
/// rewrites nearly every page of `link_keys` (about `folded / 900`). Per new key that
/// is about `recent / commit + folded / recent` pages, least when `recent` is near
/// `sqrt(folded × commit)`: with commits of about a thousand keys, 4,096 up to 16,384
/// keys, 32,768 at a million, 101,000 at ten million.
fn fold_threshold(folded: i64) -> i64 {
    FOLD_AT_LEAST.max((folded.max(0) as f64 * 1024.0).sqrt() as i64)
}

/// When the writing connection folds the recent keys in.
#[derive(Debug, Default)]
pub(super) struct Folding {
    /// [`fold_threshold`] of the keys in `link_keys`, counted at the first commit and
    /// after each fold (counting them at every commit would read the whole table).
    threshold: Option<i64>,
}

impl Folding {
    /// Folds the recent keys into `link_keys` when there are enough of them, in a
    /// transaction of its own (after a commit); whether it did.
    pub(super) fn fold_if_due(&mut self, conn: &mut Connection) -> Result<bool, StoreError> {
        let threshold = match self.threshold {
            Some(threshold) => threshold,
            None => *self
                .threshold
                .insert(fold_threshold(count(conn, "link_keys")?)),
        };
        if count(conn, "recent_link_keys")? < threshold {
            return Ok(false);
        }
        fold(conn)?;
        self.threshold = Some(fold_threshold(count(conn, "link_keys")?));
        Ok(true)
    }
}

fn count(conn: &Connection, table: &str) -> Result<i64, StoreError> {
    Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
}

/// Moves every recent key into `link_keys`, in key order, in one transaction. A key in
/// both already (which the triggers never leave) is kept once.
fn fold(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "INSERT OR IGNORE INTO link_keys (link_key, item_id)
             SELECT link_key, item_id FROM recent_link_keys ORDER BY link_key, item_id;
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
        conn.execute(INSERT_RECENT, [link_key(link), id]).unwrap();
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

        assert!(
            !Folding::default().fold_if_due(&mut conn).unwrap(),
            "three keys are not due"
        );
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
        let set = |conn: &Connection, id: i64, key: Option<i64>| {
            conn.execute(
                "UPDATE items SET link_key = ?2 WHERE id = ?1",
                rusqlite::params![id, key],
            )
            .unwrap();
        };
        set(&conn, 1, Some(link_key("https://x.example/d")));
        set(&conn, 3, Some(link_key("https://x.example/e")));
        set(&conn, 2, None);
        assert_eq!(found(&conn, "https://x.example/a"), Vec::<i64>::new());
        assert_eq!(pairs(&conn, "link_keys"), Vec::<(i64, i64)>::new());
        let mut expected = vec![
            (link_key("https://x.example/d"), 1),
            (link_key("https://x.example/e"), 3),
        ];
        expected.sort();
        assert_eq!(pairs(&conn, "recent_link_keys"), expected);
        // An item without a key gets one; then it and another are deleted unfolded.
        set(&conn, 2, Some(link_key("https://x.example/f")));
        assert!(pairs(&conn, "recent_link_keys").contains(&(link_key("https://x.example/f"), 2)));
        conn.execute("DELETE FROM items WHERE id IN (2, 3)", [])
            .unwrap();
        assert_eq!(
            pairs(&conn, "recent_link_keys"),
            [(link_key("https://x.example/d"), 1)]
        );

        // A folded item is deleted; so is one that never had a key.
        fold(&mut conn).unwrap();
        insert(&conn, 4, "https://x.example/g");
        set(&conn, 4, None);
        conn.execute("DELETE FROM items WHERE id IN (1, 4)", [])
            .unwrap();
        assert!(pairs(&conn, "link_keys").is_empty());
        assert!(pairs(&conn, "recent_link_keys").is_empty());
    }

    #[test]
    fn a_fold_is_due_at_its_threshold_which_grows_with_the_folded_keys() {
        let (_dir, mut conn) = database();
        let mut folding = Folding::default();
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO recent_link_keys (link_key, item_id) SELECT i * 7919, i FROM n",
            [FOLD_AT_LEAST - 1],
        )
        .unwrap();
        assert!(!folding.fold_if_due(&mut conn).unwrap());
        conn.execute(INSERT_RECENT, [1, FOLD_AT_LEAST]).unwrap();
        assert!(folding.fold_if_due(&mut conn).unwrap());
        assert_eq!(pairs(&conn, "link_keys").len() as i64, FOLD_AT_LEAST);
        assert!(pairs(&conn, "recent_link_keys").is_empty());

        assert_eq!(fold_threshold(0), FOLD_AT_LEAST);
        assert_eq!(fold_threshold(1 << 14), FOLD_AT_LEAST);
        assert_eq!(fold_threshold(1 << 20), 32_768);
        assert_eq!(fold_threshold(10 << 20), 103_621);
    }

    #[test]
    fn the_writer_folds_after_a_group_once_enough_keys_wait() {
        let (dir, conn) = database();
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO recent_link_keys (link_key, item_id) SELECT i * 7919, i FROM n",
            [FOLD_AT_LEAST],
        )
        .unwrap();
        let mut writer = super::super::writer_for_tests(&dir.path().join("t.db")).unwrap();
        writer.begin().unwrap();
        writer.commit().unwrap();
        assert_eq!(
            pairs(&conn, "recent_link_keys").len() as i64,
            FOLD_AT_LEAST,
            "the commit leaves the fold to after the group"
        );
        writer.after_writes();
        assert!(pairs(&conn, "recent_link_keys").is_empty());
        assert_eq!(pairs(&conn, "link_keys").len() as i64, FOLD_AT_LEAST);
    }
}
