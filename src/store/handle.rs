//! The [`Store`] handle: opens the database, starts its thread, and sends it jobs.
//! What each call does lives beside the tables it touches (feeds, items, reads,
//! sources, maintain); this is how any of them reaches the thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use tokio::sync::watch;

use super::changes::{ChangeLog, Changed, FeedScope};
use super::error::{DriverError, StoreError};
use super::worker::{self, Db, GroupedWrite, Job, ReadJob};
use super::{schema, stories};
use crate::cluster::{Settings, StoryIndex};
use crate::membership::FeedSet;

/// A write sent by [`Store::call_write`]: its last outcome, answered once committed.
struct PendingWrite<R, F> {
    write: F,
    outcome: Option<Result<R, StoreError>>,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<R, F> GroupedWrite for PendingWrite<R, F>
where
    R: Send,
    F: FnMut(&mut Db) -> Result<R, StoreError> + Send,
{
    fn run(&mut self, db: &mut Db) -> bool {
        let outcome = (self.write)(db);
        let ran = outcome.is_ok();
        self.outcome = Some(outcome);
        ran
    }

    fn finish(self: Box<Self>, committed: Result<(), StoreError>) {
        let answer = match (committed, self.outcome) {
            (Err(error), _) => Err(error),
            (Ok(()), Some(outcome)) => outcome,
            (Ok(()), None) => Err(StoreError::CommitFailed("the write never ran".into())),
        };
        let _ = self.reply.send(answer);
    }
}

/// The reading connection's page cache, in KiB.
const READER_CACHE_KIB: i64 = 512;

/// How long the watchdog and the health page wait for the store to answer a ping:
/// well within systemd's `WatchdogSec=60`, and far beyond one chunk of maintenance.
pub const PING_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A handle to the database thread. Clone freely; the thread ends when the last
/// handle is dropped (after finishing the jobs already sent).
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    /// Reads that serving waits on, answered beside the writes (see
    /// [`Store::call_read`]).
    reads: mpsc::Sender<ReadJob>,
    /// What changed, and in which feeds: publishers compare it to know when to
    /// render a feed again, and anyone may wait for the next change.
    pub(super) changes: Arc<ChangeLog>,
    path: Arc<PathBuf>,
    /// What long maintenance is doing, for the health page (`None`: nothing long).
    activity: Arc<std::sync::Mutex<Option<String>>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applying migrations, with
    /// the default story clustering settings.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, Settings::default())
    }

    /// Opens the database with these clustering settings (`[dedup]`), rebuilding the
    /// story index from the fingerprints stored within the window.
    pub fn open_with(path: &Path, clustering: Settings) -> Result<Store, StoreError> {
        let conn = schema::open(path)?;
        let stories = stories::rebuild(&conn, clustering, chrono::Utc::now().timestamp())?;
        // The rebuild read the window's rows, which ingest rarely touches again (it
        // writes the newest pages and the indexes): the pages it left cached are
        // handed back rather than held as an idle daemon's memory.
        conn.execute_batch("PRAGMA shrink_memory")?;
        Store::start(path, conn, stories)
    }

    /// Opens an existing database to look at, beside a daemon that may be writing
    /// it: read-only, no migration (a schema of another version is an error that
    /// says which), no story index (nothing is ingested). Every write fails.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let conn = schema::open_read_only(path)?;
        Store::start(path, conn, StoryIndex::new(Settings::default()))
    }

    fn start(path: &Path, conn: Connection, stories: StoryIndex) -> Result<Store, StoreError> {
        let db = Db {
            conn,
            feeds: Arc::new(FeedSet::default()),
            feeds_epoch: 0,
            stories,
        };
        // Opened after the writer's connection has brought the schema up to date.
        let reader = schema::open_read_only(path)?;
        // Serving reads a page of items per change to a feed, not per request (the
        // bytes are kept rendered), so a page cache beyond a feed's worth only holds
        // memory: SQLite's default (2 MB) is a tenth of an idle daemon's heap.
        reader.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
        let thread_failed = |e: std::io::Error| StoreError::Open {
            database: path.display().to_string(),
            source: DriverError::new(e),
        };
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("feedbraid-store".into())
            .spawn(move || worker::run(db, queue))
            .map_err(thread_failed)?;
        let (reads, read_queue) = mpsc::channel::<ReadJob>();
        std::thread::Builder::new()
            .name("feedbraid-store-read".into())
            .spawn(move || worker::run_reads(reader, read_queue))
            .map_err(thread_failed)?;
        Ok(Store {
            jobs,
            reads,
            changes: Arc::new(ChangeLog::new()),
            path: Arc::new(path.to_path_buf()),
            activity: Arc::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number that changes whenever stored items change.
    pub fn generation(&self) -> u64 {
        self.changes.generation()
    }

    /// A receiver that wakes whenever stored items change.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// A number that changes whenever what the feed read through `scope` shows may
    /// have changed, and only then: its rows (or, for a feed of every item, any
    /// item), or every feed at once.
    pub fn feed_version(&self, scope: &FeedScope) -> u64 {
        self.changes.version(scope)
    }

    pub(super) fn note_change(&self, changed: Changed<'_>) {
        self.changes.note(changed);
    }

    /// Runs `f` on the database thread and returns its answer.
    pub(super) async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.call_db(move |db| f(&mut db.conn)).await
    }

    /// Runs `f`, a read, on the reading thread: it is answered while the database
    /// thread writes, from the last commit. For what serving and inspection read; a
    /// read that needs the in-memory state or must follow a write queued before it
    /// uses [`Store::call`].
    pub(super) async fn call_read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: ReadJob = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.reads.send(job).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the database thread with its whole state.
    pub(super) async fn call_db<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Db) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Run(Box::new(move |db| {
            let _ = reply.send(f(db));
        }));
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f`, a write that may be committed together with others queued at the
    /// same time (see [`worker`]), and answers once it is committed. `f` runs within a
    /// transaction the database thread holds open (it must not open one of its own),
    /// and may run a second time, on the database as it was before, if another
    /// write of its group fails.
    pub(super) async fn call_write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnMut(&mut Db) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Write(Box::new(PendingWrite {
            write: f,
            outcome: None,
            reply,
        }));
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Answers when the database answers a trivial query (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.call(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    /// [`Store::ping`], given up after `limit`: the watchdog and the health page must
    /// answer whatever the store thread is busy with.
    pub async fn ping_within(&self, limit: std::time::Duration) -> Result<(), StoreError> {
        match tokio::time::timeout(limit, self.ping()).await {
            Ok(answer) => answer,
            Err(_) => Err(StoreError::Unresponsive {
                waited: limit,
                activity: self.activity(),
            }),
        }
    }

    /// What long maintenance is doing now (`pruning: …`), if any.
    pub fn activity(&self) -> Option<String> {
        self.activity
            .lock()
            .map_or(None, |activity| activity.clone())
    }

    pub(super) fn set_activity(&self, now: Option<String>) {
        if let Ok(mut activity) = self.activity.lock() {
            *activity = now;
        }
    }

    /// Runs SQLite's integrity check; `Ok(true)` when it reports "ok".
    pub async fn integrity_check(&self) -> Result<bool, StoreError> {
        self.call(|conn| {
            let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            Ok(verdict == "ok")
        })
        .await
    }
}
