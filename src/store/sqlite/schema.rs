//! The database schema and its migrations, applied in order by `PRAGMA user_version`.
//! Migrations are append-only: a released step is never edited, only followed.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::super::error::{DriverError, StoreError};

/// Each step takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: sources, items, tombstones.
    "
    CREATE TABLE sources (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        url           TEXT NOT NULL,
        current_url   TEXT,
        title         TEXT,
        site_link     TEXT,
        etag          TEXT,
        last_modified TEXT,
        last_attempt  INTEGER,
        last_success  INTEGER,
        http_status   INTEGER,
        error         TEXT,
        error_streak  INTEGER NOT NULL DEFAULT 0,
        next_poll     INTEGER
    );
    CREATE TABLE items (
        id             INTEGER PRIMARY KEY,
        source_id      INTEGER NOT NULL REFERENCES sources(id),
        item_key       TEXT NOT NULL,
        public_id      TEXT NOT NULL UNIQUE,
        story_id       INTEGER NOT NULL,
        story_layer    TEXT,
        story_score    REAL,
        guid           TEXT,
        link           TEXT,
        canonical_link TEXT,
        title          TEXT NOT NULL,
        summary_html   TEXT,
        content_html   TEXT,
        author         TEXT,
        categories     TEXT NOT NULL DEFAULT '[]',
        published      INTEGER,
        source_updated INTEGER,
        sort_date      INTEGER NOT NULL,
        first_seen     INTEGER NOT NULL,
        updated        INTEGER NOT NULL,
        content_hash   TEXT NOT NULL,
        UNIQUE (source_id, item_key)
    );
    CREATE INDEX items_by_date ON items (sort_date DESC, id DESC);
    CREATE INDEX items_by_source_date ON items (source_id, sort_date DESC, id DESC);
    CREATE INDEX items_by_canonical_link ON items (canonical_link) WHERE canonical_link IS NOT NULL;
    CREATE INDEX items_by_story ON items (story_id);
    CREATE TABLE tombstones (
        source_id INTEGER NOT NULL,
        item_key  TEXT NOT NULL,
        pruned    INTEGER NOT NULL,
        PRIMARY KEY (source_id, item_key)
    ) WITHOUT ROWID;
    ",
    // 2: polite polling: the config entry a 410 Gone was seen with (the source is
    // gone until its entry changes), the Retry-After a server asked for, and the
    // permanent redirect seen on the last polls (adopted after three in a row).
    "
    ALTER TABLE sources ADD COLUMN gone_entry TEXT;
    ALTER TABLE sources ADD COLUMN retry_after_until INTEGER;
    ALTER TABLE sources ADD COLUMN redirect_target TEXT;
    ALTER TABLE sources ADD COLUMN redirect_seen INTEGER NOT NULL DEFAULT 0;
    ",
    // 3: feed membership, decided at ingest, so serving a feed is an index read: each
    // feed's items by date, the definition each feed's rows were computed for, and
    // the plain text of every item to recompute them when a definition changes.
    // (New and edited rows leave `plain_text` empty since the text of sanitized HTML
    // takes one byte scan: it is derived when a row is read, and ingest writes less.)
    "
    ALTER TABLE items ADD COLUMN plain_text TEXT NOT NULL DEFAULT '';
    CREATE TABLE feed_items (
        feed      TEXT NOT NULL,
        item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        story_id  INTEGER NOT NULL,
        sort_date INTEGER NOT NULL,
        PRIMARY KEY (feed, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX feed_items_by_date ON feed_items (feed, sort_date DESC, item_id DESC);
    CREATE INDEX feed_items_by_item ON feed_items (item_id);
    CREATE INDEX feed_items_by_story ON feed_items (feed, story_id);
    CREATE TABLE feed_defs (
        feed      TEXT PRIMARY KEY,
        signature TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // 4: story clustering: each item's fingerprint, to rebuild the story index at start.
    "
    ALTER TABLE items ADD COLUMN fingerprint BLOB;
    CREATE INDEX items_by_first_seen ON items (first_seen);
    ",
    // 5: what readers use beside an item's text: its media files, image and comments
    // page, as JSON (`store::columns`), NULL for the many items with none.
    "
    ALTER TABLE items ADD COLUMN links TEXT;
    ",
    // 6: tombstones found by age, so that forgetting old ones a chunk at a time does
    // not scan them all for every chunk.
    "
    CREATE INDEX tombstones_by_pruned ON tombstones (pruned);
    ",
    // 7: an item's plain text is derived from its stored HTML when the row is read
    // (one byte scan of sanitized HTML), so the column that held older rows' copies
    // goes.
    "
    ALTER TABLE items DROP COLUMN plain_text;
    ",
    // 8: `summary_html` and `content_html` may hold a compressed BLOB (`packing`)
    // instead of text; rows written before keep their text. No table changes, but a
    // binary that knows only version 7 cannot read the new rows, so it must refuse
    // the database rather than fail on them.
    "
    SELECT 1;
    ",
    // 9: items are found by canonical link through a 64-bit key of it
    // (`identity::link_key`), not an index of the links; `DATA_STEPS` computes the
    // keys of stored rows (the SQL function `link_key`). New rows keep
    // `canonical_link` only where it differs from `link`.
    "
    ALTER TABLE items ADD COLUMN link_key INTEGER;
    DROP INDEX items_by_canonical_link;
    CREATE INDEX items_by_link_key ON items (link_key) WHERE link_key IS NOT NULL;
    ",
    // 10: full text. The article pages still to fetch, one per item (gone with the
    // item when it is pruned), and each source's count of article fetches that
    // failed, with the last error.
    "
    CREATE TABLE article_fetches (
        item_id  INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try INTEGER NOT NULL
    );
    CREATE INDEX article_fetches_by_time ON article_fetches (next_try);
    ALTER TABLE sources ADD COLUMN article_failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN article_error TEXT;
    ",
    // 11: item HTML is packed as zstd (`packing`, format byte 2) instead of raw
    // DEFLATE (1, still read). A binary that knows only version 10 cannot read the
    // new rows, so it must refuse the database rather than fail on them.
    "
    SELECT 1;
    ",
    // 12: each queued article fetch knows its page's host (claims skip hosts that
    // have enough waiting already) and which claim holds it (an outcome is written
    // only by the claim that fetched it: an item edited meanwhile was queued again).
    "
    ALTER TABLE article_fetches ADD COLUMN host TEXT NOT NULL DEFAULT '';
    ALTER TABLE article_fetches ADD COLUMN claim INTEGER NOT NULL DEFAULT 0;
    ",
    // 13: public ids and content hashes are kept as the bytes their hex spells
    // (`digests`); `DATA_STEPS` converts stored rows. A binary that knows only
    // version 12 cannot read the new rows, so it must refuse the database. The guid
    // as published is no longer kept: nothing read it, and the item's key holds it in
    // the form items are told apart by (`g:` and the guid trimmed, a URL guid without
    // its scheme and with its host lower-cased). Its column stays, NULL: dropping
    // it would rewrite the table in one statement, whose journal holds the original
    // of every page in memory, as much memory as the table.
    "
    SELECT 1;
    ",
    // 14: items are found by link key through two tables of their own instead of an
    // index on items (see `link_keys.rs`): `recent_link_keys` takes every new key
    // (the store writes it beside the item) and is folded into the table `link_keys`
    // in key order. Triggers keep both in step with edits and deletions of the items'
    // column.
    "
    CREATE TABLE link_keys (
        link_key INTEGER NOT NULL,
        item_id  INTEGER NOT NULL,
        PRIMARY KEY (link_key, item_id)
    ) WITHOUT ROWID;
    CREATE TABLE recent_link_keys (
        link_key INTEGER NOT NULL,
        item_id  INTEGER NOT NULL,
        PRIMARY KEY (link_key, item_id)
    ) WITHOUT ROWID;
    INSERT INTO link_keys (link_key, item_id)
        SELECT link_key, id FROM items WHERE link_key IS NOT NULL ORDER BY link_key, id;
    DROP INDEX items_by_link_key;
    CREATE TRIGGER items_link_key_changed AFTER UPDATE OF link_key ON items
    WHEN old.link_key IS NOT new.link_key BEGIN
        DELETE FROM link_keys WHERE link_key = old.link_key AND item_id = old.id;
        DELETE FROM recent_link_keys WHERE link_key = old.link_key AND item_id = old.id;
        INSERT INTO recent_link_keys (link_key, item_id)
            SELECT new.link_key, new.id WHERE new.link_key IS NOT NULL;
    END;
    CREATE TRIGGER items_link_key_deleted AFTER DELETE ON items
    WHEN old.link_key IS NOT NULL BEGIN
        DELETE FROM link_keys WHERE link_key = old.link_key AND item_id = old.id;
        DELETE FROM recent_link_keys WHERE link_key = old.link_key AND item_id = old.id;
    END;
    ",
];

/// Statements each connection keeps compiled: more than the store has (every
/// `prepare_cached` in it), so the per-poll and per-item ones are never compiled again.
const STATEMENT_CACHE: usize = 64;

/// How much of the write-ahead log a commit lets grow before it folds the log into
/// the file (SQLite's automatic checkpoint counts pages: this over the page size). A
/// fold runs on the writing thread and ends in two syncs, and the last, at close,
/// runs with nothing beside it. Half SQLite's default (1,000 pages of 16 KiB) keeps
/// each fold short and the log's pages in the cache; a quarter writes more onto a
/// large database, whose hot index pages are then folded more often (BENCHMARKS.md).
const WAL_FOLD_BYTES: i64 = 8 << 20;

/// Opens the database, sets the connection up and brings the schema up to date.
pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |source: rusqlite::Error| StoreError::Open {
        database: path.display().to_string(),
        source: source.into(),
    };
    let mut conn = Connection::open(path).map_err(open_err)?;
    // SQLite opens a file it cannot write (its permissions, a read-only file system)
    // as read-only, without a word, and every write would fail later (each poll, in
    // the daemon): say so now.
    if conn.is_readonly(rusqlite::MAIN_DB).map_err(open_err)? {
        return Err(StoreError::Open {
            database: path.display().to_string(),
            source: DriverError::message(
                "cannot be opened for writing (its permissions, or a read-only file system); feedbraid writes it, and the -wal and -shm files beside it",
            ),
        });
    }
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(open_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Only a new database takes the page size (an existing one keeps its own): item
    // rows of 1–2 KB leave a quarter of 4 KiB pages empty, and under 5 % of 16 KiB ones.
    conn.execute_batch(
        "PRAGMA page_size = 16384;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(open_err)?;
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .map_err(open_err)?;
    conn.pragma_update(
        None,
        "wal_autocheckpoint",
        WAL_FOLD_BYTES / page_size.max(512),
    )
    .map_err(open_err)?;
    // Plans never depend on bound values, so a cached statement is compiled once: a
    // plan that did (one using a partial index whose condition a bound value decides)
    // would be compiled again at every execution.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(open_err)?;
    // Migrations compute link keys in SQL, with the same function as ingest.
    conn.create_scalar_function(
        "link_key",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8
            | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(crate::identity::link_key(&ctx.get::<String>(0)?)),
    )
    .map_err(open_err)?;
    super::digests::register(&conn).map_err(open_err)?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

/// Opens an existing database read-only, as it is: its schema must be the one this
/// binary knows, since nothing is migrated.
pub(super) fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing {
            database: path.display().to_string(),
        });
    }
    let open_err = |source: rusqlite::Error| StoreError::Open {
        database: path.display().to_string(),
        source: source.into(),
    };
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(open_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let database = path.display().to_string();
    match found.cmp(&known) {
        std::cmp::Ordering::Greater => Err(StoreError::TooNew {
            database,
            found,
            known,
        }),
        std::cmp::Ordering::Less => Err(StoreError::TooOld {
            database,
            found,
            known,
        }),
        std::cmp::Ordering::Equal => Ok(conn),
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew {
            database: path.display().to_string(),
            found,
            known,
        });
    }
    for (version, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(step)?;
        if let Some((_, update)) = DATA_STEPS.iter().find(|(at, _)| *at == version + 1) {
            update_by_id_ranges(&tx, update)?;
        }
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Data migrations: after the schema step of the version named, an UPDATE of every
/// stored item, run by ranges of row ids (`?1` to `?2`, [`MIGRATION_CHUNK`] rows).
const DATA_STEPS: &[(usize, &str)] = &[
    // 9: every item with a canonical link gets its link key.
    (
        9,
        "UPDATE items SET link_key = link_key(canonical_link)
         WHERE id >= ?1 AND id < ?2 AND canonical_link IS NOT NULL",
    ),
    // 13: public ids and content hashes stored as text are kept as `digests` writes
    // them, and guids are let go.
    (
        13,
        "UPDATE items SET public_id = stored_public_id(public_id),
            content_hash = stored_content_hash(content_hash), guid = NULL
         WHERE id >= ?1 AND id < ?2",
    ),
];

/// Rows a statement of a data migration changes at most: one statement over a million
/// rows would keep the original of every page it changes in memory until it ends (its
/// statement journal, with `temp_store = MEMORY`), as much memory as the database.
const MIGRATION_CHUNK: i64 = 5_000;

/// Runs `update` over every stored item, a range of row ids at a time.
fn update_by_id_ranges(tx: &Connection, update: &str) -> Result<(), StoreError> {
    let last: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) FROM items", [], |r| r.get(0))?;
    let mut statement = tx.prepare(update)?;
    let mut from = 0;
    while from <= last {
        statement.execute([from, from + MIGRATION_CHUNK])?;
        from += MIGRATION_CHUNK;
    }
    Ok(())
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
