//! The [`Store`] handle: starts the database's threads around a backend, and sends
//! them jobs. What each call does lives in the module of its topic (sources, feeds,
//! articles, reads, maintain); this is how any of them reaches the threads.

use std::sync::Arc;
use std::sync::mpsc;

use tokio::sync::oneshot;

use tokio::sync::watch;

use super::backend::{Backend, ReadBackend};
use super::changes::{ChangeLog, Changed, FeedScope};
use super::error::{DriverError, StoreError};
use super::worker::{self, Db, GroupedWrite, Job, ReadJob};
use crate::cluster::StoryIndex;
use crate::membership::FeedSet;

/// A write sent by [`Store::call_write`]: its last outcome, answered once committed.
struct PendingWrite<R, F> {
    write: F,
    outcome: Option<Result<R, StoreError>>,
    reply: oneshot::Sender<Result<R, StoreError>>,
    /// The source whose claimed poll it records the outcome of, if it does.
    ends_poll_of: Option<String>,
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

    fn ends_poll_of(&self) -> Option<&str> {
        self.ends_poll_of.as_deref()
    }
}

/// How long the watchdog and the health page wait for the store to answer a ping:
/// well within systemd's `WatchdogSec=60`, and far beyond one chunk of maintenance.
pub const PING_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A name no other store open at the same time has: host, process, and a count of
/// the stores this process opened before.
fn node_name() -> String {
    static OPENED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "node".into());
    let pid = std::process::id();
    match OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) {
        0 => format!("{host}-{pid}"),
        n => format!("{host}-{pid}-{n}"),
    }
}

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
    /// The database, as messages name it: a file's path, or a server without password.
    database: Arc<str>,
    /// This node's name among the nodes sharing a database (see [`Store::node`]).
    node: Arc<str>,
    /// What long maintenance is doing, for the health page (`None`: nothing long).
    activity: Arc<std::sync::Mutex<Option<String>>>,
}

impl Store {
    /// Starts the threads of a store over `writer` (the store thread's backend) and
    /// `reads` (the reading thread's), with the story index built from `writer`.
    pub(super) fn start(
        database: &str,
        writer: Box<dyn Backend>,
        reads: Box<dyn ReadBackend>,
        stories: StoryIndex,
    ) -> Result<Store, StoreError> {
        let db = Db {
            backend: writer,
            feeds: Arc::new(FeedSet::default()),
            feeds_epoch: 0,
            stories,
            polls_under_way: Default::default(),
        };
        let thread_failed = |e: std::io::Error| StoreError::Open {
            database: database.to_string(),
            source: DriverError::new(e),
        };
        // Thread names are kept to 15 bytes, all Linux shows of one (`top -H`,
        // `/proc/*/task/*/comm`), so each thread is told apart there: the writer
        // `feedbraid-store`, the reader `feedbraid-read`.
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("feedbraid-store".into())
            .spawn(move || worker::run(db, queue))
            .map_err(thread_failed)?;
        let (read_jobs, read_queue) = mpsc::channel::<ReadJob>();
        std::thread::Builder::new()
            .name("feedbraid-read".into())
            .spawn(move || worker::run_reads(reads, read_queue))
            .map_err(thread_failed)?;
        Ok(Store {
            jobs,
            reads: read_jobs,
            changes: Arc::new(ChangeLog::new()),
            database: Arc::from(database),
            node: Arc::from(node_name()),
            activity: Arc::default(),
        })
    }

    /// The database, as messages name it.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The name this store's node goes by in leases and on the health page: the host,
    /// the process and, past the first, which store of the process it is, so no two
    /// stores open at once share one.
    pub fn node(&self) -> &str {
        &self.node
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

    /// Notes a change this node's write made, and has the backend tell the other
    /// nodes sharing the database (after the write, on the store thread).
    pub(super) fn note_change(&self, changed: Changed<'_>) {
        let feeds = match &changed {
            Changed::EveryFeed => None,
            Changed::Feeds(feeds) => Some(feeds.to_vec()),
        };
        self.changes.note(changed);
        let _ = self.jobs.send(Job::Announce(feeds));
    }

    /// Runs `f` on the database thread and returns its answer.
    pub(super) async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn Backend) -> Result<R, StoreError> + Send + 'static,
    {
        self.call_db(move |db| f(db.backend.as_mut())).await
    }

    /// Runs `f`, a read, on the reading thread: it is answered while the database
    /// thread writes, from the last commit. For what serving and inspection read; a
    /// read that needs the in-memory state or must follow a write queued before it
    /// uses [`Store::call`].
    pub(super) async fn call_read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn ReadBackend) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: ReadJob = Box::new(move |reads| {
            let _ = reply.send(f(reads));
        });
        self.reads.send(job).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Sends a job to the database thread.
    pub(super) fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs.send(job).map_err(|_| StoreError::Closed)
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
        self.send_write(None, f).await
    }

    /// [`Store::call_write`] of the outcome of source `name`'s claimed poll: a group
    /// waits for no more writes once every claimed poll has sent its outcome.
    pub(super) async fn call_poll_outcome<R, F>(&self, name: &str, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnMut(&mut Db) -> Result<R, StoreError> + Send + 'static,
    {
        self.send_write(Some(name.to_string()), f).await
    }

    async fn send_write<R, F>(&self, ends_poll_of: Option<String>, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnMut(&mut Db) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Write(Box::new(PendingWrite {
            write: f,
            outcome: None,
            reply,
            ends_poll_of,
        }));
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Answers when the database answers a trivial query (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.call(|backend| backend.ping()).await
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

    /// Runs the database's own consistency check; `Ok(true)` when it passes.
    pub async fn integrity_check(&self) -> Result<bool, StoreError> {
        self.call(|backend| backend.integrity_check()).await
    }
}
