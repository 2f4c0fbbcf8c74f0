//! Folding the write-ahead log into the database file off the store thread.
//!
//! By default SQLite folds the log (a checkpoint) on the connection that commits,
//! once the log holds 1,000 pages: the store thread copies the log's pages into the
//! file and waits for the disk twice (the log synced, then the file). Meanwhile
//! nothing is stored, and the polls waiting for their commit keep their places, so
//! fetching and parsing stop too: both cores of a busy host sit idle for the tens of
//! milliseconds the disk takes.
//!
//! Here the writer only counts the log's pages after each commit
//! ([`rusqlite::Connection::wal_hook`]) and, every [`STEP`] pages, nudges a thread
//! of its own, which folds what is committed with a second connection (`PASSIVE`:
//! it never waits for the writer, nor the writer for it).
//!
//! The log starts over from its beginning only at a write that begins when all of it
//! is folded. In a burst of writes the thread is always a little behind, so the log
//! would grow for the whole burst: from [`FOLD_ON_WRITER_FROM`] pages the writer
//! folds it itself after a commit, as SQLite would, once the thread's fold under way
//! has ended. That is short (the thread has copied and synced most of the log), and
//! the next write starts the log over.
//!
//! A checkpoint the store thread runs itself (upkeep's, and the last one, which
//! empties the log) first waits for the thread's fold to end
//! ([`Checkpoints::hold`]): a second checkpoint at once would be refused.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rusqlite::wal::CheckpointMode;
use rusqlite::{Connection, OpenFlags};

use super::super::error::StoreError;

/// Pages of log between two nudges of the folding thread (4 MiB of 16 KiB pages), a
/// quarter of [`FOLD_ON_WRITER_FROM`]: each fold syncs what it copied, so the
/// writer's own fold, and the last one when the store closes, find little left to
/// copy and sync (BENCHMARKS.md, "Folding the log").
const STEP: i32 = if cfg!(test) { 4 } else { 250 };

/// Pages of log from which the writer folds it too, after each commit: SQLite's own
/// threshold (1,000 pages), so the log grows no longer than it would without the
/// thread.
const FOLD_ON_WRITER_FROM: i32 = 4 * STEP;

/// The folding thread of one database, and what the writer nudges it by.
pub(super) struct Checkpoints {
    signal: Arc<Signal>,
    /// Held by the thread while it folds, and by the store thread while it runs a
    /// checkpoint of its own.
    folding: Arc<Mutex<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the thread waits for: a nudge, or its end.
#[derive(Default)]
struct Signal {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    nudged: bool,
    stopping: bool,
}

impl Signal {
    fn set(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed.notify_one();
    }
}

impl Checkpoints {
    /// Starts the folding thread of the database at `path`, and has `writer`, its
    /// writing connection, nudge it instead of folding the log itself.
    pub(super) fn start(path: &Path, writer: &mut Connection) -> Result<Checkpoints, StoreError> {
        let database = path.display().to_string();
        let open_err = |source: rusqlite::Error| StoreError::Open {
            database: database.clone(),
            source: source.into(),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        // A connection learns that the file is in WAL mode at its first read; until
        // then a checkpoint does nothing.
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open {
                database,
                source: super::super::error::DriverError::message(format!(
                    "is in journal mode {mode}, not WAL"
                )),
            });
        }
        let signal = Arc::new(Signal::default());
        let folding = Arc::new(Mutex::new(()));
        let thread = std::thread::Builder::new()
            .name("feedbraid-wal".into())
            .spawn({
                let signal = Arc::clone(&signal);
                let folding = Arc::clone(&folding);
                move || fold_when_nudged(&conn, &signal, &folding)
            })
            .map_err(|error| StoreError::Open {
                database: database.clone(),
                source: super::super::error::DriverError::new(error),
            })?;
        // Made before the hook, so that if the hook cannot be set, dropping it ends
        // the thread.
        let checkpoints = Checkpoints {
            signal,
            folding,
            thread: Some(thread),
        };
        let nudge = Arc::clone(&checkpoints.signal);
        let writer_folds = Arc::clone(&checkpoints.folding);
        let mut nudged_at = 0;
        writer
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
                if pages < nudged_at {
                    // The log started over.
                    nudged_at = 0;
                }
                if pages - nudged_at >= STEP {
                    nudged_at = pages;
                    nudge.set(|state| state.nudged = true);
                }
                if pages >= FOLD_ON_WRITER_FROM {
                    // After the thread's fold under way, if any: a second fold at once
                    // is refused, and while writes come faster than the thread folds,
                    // the log would never be all folded when a write begins.
                    let _folding = writer_folds.lock().unwrap_or_else(PoisonError::into_inner);
                    let _ = wal.checkpoint();
                }
                Ok(())
            }))
            .map_err(open_err)?;
        Ok(checkpoints)
    }

    /// Keeps the thread from folding until the guard is dropped, once its fold under
    /// way (if any) has ended.
    pub(super) fn hold(&self) -> MutexGuard<'_, ()> {
        self.folding.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.signal.set(|state| state.stopping = true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: folds the log each time it is nudged, until told to stop.
fn fold_when_nudged(conn: &Connection, signal: &Signal, folding: &Mutex<()>) {
    loop {
        {
            let mut state = signal.state.lock().unwrap_or_else(PoisonError::into_inner);
            while !state.nudged && !state.stopping {
                state = signal
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            // A nudge before the stop is still folded: the writer counted on it.
            if !state.nudged {
                return;
            }
            state.nudged = false;
        }
        let _folding = folding.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE) {
            tracing::warn!(%error, "could not fold the write-ahead log into the database; the writer folds it once it grows");
        }
        // What the fold read is not read again until the next one.
        let _ = conn.release_memory();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer in WAL mode with a table of blobs, and a row of `bytes` per commit.
    fn writer(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x BLOB);",
        )
        .unwrap();
        conn
    }

    fn commit_row(conn: &Connection, bytes: usize) {
        conn.execute("INSERT INTO t VALUES (?1)", [vec![7u8; bytes]])
            .unwrap();
    }

    /// Rows a copy of the database file alone (no log beside it) holds.
    fn rows_in_the_file_alone(path: &Path, dir: &Path) -> i64 {
        let copy = dir.join("copy.db");
        std::fs::copy(path, &copy).unwrap();
        let conn = Connection::open(&copy).unwrap();
        // Not even the table, where the log was never folded.
        conn.query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
            .unwrap_or(0)
    }

    #[test]
    fn the_thread_folds_the_log_into_the_file_while_the_writer_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let mut conn = writer(&path);
        let checkpoints = Checkpoints::start(&path, &mut conn).unwrap();
        // Three commits of three pages or so: past STEP, short of the writer's own fold.
        for _ in 0..3 {
            commit_row(&conn, 8 * 1024);
        }
        let pages = log_pages(&path);
        assert!(
            pages < FOLD_ON_WRITER_FROM as u64,
            "{pages} pages in the log"
        );
        // Joins the thread, once it has folded what it was nudged for.
        drop(checkpoints);
        assert!(rows_in_the_file_alone(&path, dir.path()) >= 1);
    }

    #[test]
    fn without_the_thread_a_short_log_stays_out_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let conn = writer(&path);
        for _ in 0..3 {
            commit_row(&conn, 8 * 1024);
        }
        assert_eq!(rows_in_the_file_alone(&path, dir.path()), 0);
    }

    #[test]
    fn past_its_threshold_the_writer_folds_the_log_and_starts_it_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let mut conn = writer(&path);
        let checkpoints = Checkpoints::start(&path, &mut conn).unwrap();
        for _ in 0..40 {
            commit_row(&conn, 8 * 1024);
        }
        // The log started over: it never held more than the threshold and a commit,
        // against 40 commits of three pages or so.
        let most = log_pages(&path);
        assert!(
            most <= FOLD_ON_WRITER_FROM as u64 + 8,
            "{most} pages at most"
        );
        {
            let _held = checkpoints.hold();
            crate::store::sqlite::maintain::checkpoint(&conn).unwrap();
        }
        drop(checkpoints);
        assert_eq!(rows_in_the_file_alone(&path, dir.path()), 40);
    }

    /// The most pages the log has held since it was created: a log that starts over
    /// writes from its beginning again, so its file keeps its largest size.
    fn log_pages(path: &Path) -> u64 {
        let wal = path.with_extension("db-wal");
        let bytes = std::fs::metadata(wal).map_or(0, |meta| meta.len());
        bytes.saturating_sub(32) / (4096 + 24)
    }
}
