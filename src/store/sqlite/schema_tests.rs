//! Tests of the schema's migrations.

use super::*;

#[test]
fn migrates_a_new_database_and_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(open(&path).unwrap());
    let conn = open(&path).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, MIGRATIONS.len() as i64);
}

/// The first column of every row `sql` selects.
fn column<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str) -> Vec<T> {
    conn.prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A database at `path` migrated to schema `version`, as an older binary left it.
fn database_at(path: &Path, version: usize) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    for (done, step) in MIGRATIONS.iter().enumerate().take(version) {
        let tx = conn.transaction().unwrap();
        tx.execute_batch(step).unwrap();
        tx.pragma_update(None, "user_version", done as i64 + 1)
            .unwrap();
        tx.commit().unwrap();
    }
    conn
}

#[test]
fn link_keys_are_filled_in_for_items_stored_before_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    {
        let conn = database_at(&path, 8);
        conn.execute_batch(
            "INSERT INTO sources (id, name, url) VALUES (1, 'a', 'https://a.example/feed');
             INSERT INTO items (id, source_id, item_key, public_id, story_id, link,
                canonical_link, title, sort_date, first_seen, updated, content_hash)
             VALUES
                (1, 1, 'k1', 'p1', 1, 'https://x.example/1?utm_source=a',
                 'https://x.example/1', 't', 0, 0, 0, 'h'),
                (2, 1, 'k2', 'p2', 2, NULL, NULL, 't', 0, 0, 0, 'h'),
                (12345, 1, 'k3', 'p3', 3, 'https://x.example/3', 'https://x.example/3',
                 't', 0, 0, 0, 'h');",
        )
        .unwrap();
    }
    let conn = open(&path).unwrap();
    let keys: Vec<Option<i64>> = column(&conn, "SELECT link_key FROM items ORDER BY id");
    let key = crate::identity::link_key;
    // Row 12345 is chunks away from the others: every range is filled.
    assert_eq!(
        keys,
        vec![
            Some(key("https://x.example/1")),
            None,
            Some(key("https://x.example/3"))
        ]
    );
    // And the items are found by them: every key is in `link_keys`, none recent.
    let pairs: Vec<(i64, i64)> = conn
        .prepare("SELECT link_key, item_id FROM link_keys")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut expected = vec![
        (key("https://x.example/1"), 1),
        (key("https://x.example/3"), 12345),
    ];
    expected.sort();
    assert_eq!(pairs, expected);
    let recent: i64 = conn
        .query_row("SELECT count(*) FROM recent_link_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(recent, 0);
    let schema: Vec<String> = column(
        &conn,
        "SELECT name FROM sqlite_schema WHERE type IN ('index', 'trigger') ORDER BY name",
    );
    assert!(
        !schema.iter().any(|name| name == "items_by_link_key"),
        "{schema:?}"
    );
    for trigger in ["items_link_key_changed", "items_link_key_deleted"] {
        assert!(
            schema.iter().any(|name| name == trigger),
            "{trigger}: {schema:?}"
        );
    }
}

#[test]
fn ids_and_hashes_stored_as_text_are_kept_as_bytes_and_guids_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let id = crate::identity::public_id("a", "g:1");
    let hash = "0f".repeat(16);
    {
        let conn = database_at(&path, 12);
        conn.execute(
            "INSERT INTO sources (id, name, url) VALUES (1, 'a', 'https://a.example/feed')",
            [],
        )
        .unwrap();
        let mut insert = conn
            .prepare(
                "INSERT INTO items (id, source_id, item_key, public_id, story_id, title,
                    sort_date, first_seen, updated, content_hash, guid)
                 VALUES (?1, 1, ?1, ?2, ?1, 't', 0, 0, 0, ?3, 'g')",
            )
            .unwrap();
        insert.execute(rusqlite::params![1, id, hash]).unwrap();
        insert.execute(rusqlite::params![12345, "p2", "h"]).unwrap();
    }
    let conn = open(&path).unwrap();
    let rows: Vec<(String, Vec<u8>, String)> = conn
        .prepare(
            "SELECT typeof(public_id) || ' ' || typeof(content_hash) || ' ' || typeof(guid),
                CAST(public_id AS BLOB), hex(content_hash)
             FROM items ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let digest = crate::identity::public_id_digest(&id).unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "blob blob null".into(),
                digest.to_vec(),
                hash.to_uppercase()
            ),
            ("text text null".into(), b"p2".to_vec(), "68".into()),
        ]
    );
}

#[test]
fn a_new_database_takes_large_pages_and_an_existing_one_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let page_size = |conn: &Connection| -> i64 {
        conn.query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap()
    };
    let new = dir.path().join("new.db");
    assert_eq!(page_size(&open(&new).unwrap()), 16384);
    let old = dir.path().join("old.db");
    {
        let conn = Connection::open(&old).unwrap();
        conn.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;")
            .unwrap();
    }
    let conn = open(&old).unwrap();
    assert_eq!(page_size(&conn), 4096);
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, MIGRATIONS.len() as i64, "and is migrated as before");
}

#[test]
fn the_log_is_folded_at_the_same_size_whatever_the_page_size() {
    let dir = tempfile::tempdir().unwrap();
    let folds_at = |conn: &Connection| -> i64 {
        let pages: i64 = conn
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap();
        let size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        pages * size
    };
    let new = open(&dir.path().join("new.db")).unwrap();
    assert_eq!(folds_at(&new), WAL_FOLD_BYTES);
    let old = dir.path().join("old.db");
    Connection::open(&old)
        .unwrap()
        .execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;")
        .unwrap();
    assert_eq!(folds_at(&open(&old).unwrap()), WAL_FOLD_BYTES);
}

#[test]
fn read_only_opening_changes_nothing_and_names_a_schema_it_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    assert!(matches!(
        open_read_only(&path),
        Err(StoreError::Missing { .. })
    ));
    assert!(!path.exists(), "looking does not create the database");
    drop(open(&path).unwrap());
    let conn = open_read_only(&path).unwrap();
    assert!(conn.execute("DELETE FROM items", []).is_err(), "read-only");
    drop(conn);
    let conn = open(&path).unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    drop(conn);
    assert!(matches!(
        open_read_only(&path),
        Err(StoreError::TooOld { found: 2, .. })
    ));
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2, "an older schema is not migrated by looking");
}

#[test]
fn refuses_a_database_from_the_future() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let conn = open(&path).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    assert!(matches!(open(&path), Err(StoreError::TooNew { .. })));
}
