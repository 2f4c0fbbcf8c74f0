//! The database thread's loop: runs the jobs that [`super::Store`] handles send, one
//! at a time, and commits the writes of polls in groups.
//!
//! Group commit: a poll's write ([`Job::Write`]) runs inside a transaction the loop
//! opens, and the writes already queued behind it join that transaction (up to
//! [`MAX_GROUP`]). Committing once for the group writes each hot index page to the
//! WAL once instead of once per poll. In a burst of writes (another write joined this
//! group, or a group that others joined committed less than [`BURST_GAP`] before it
//! started) the group also waits for more, up to the backend's
//! [`Backend::group_linger`] from its start, as long as a poll this process claimed
//! has yet to send its outcome ([`Db::polls_under_way`]); when polls arrive one by
//! one nothing waits, and each commits alone, and the last polls of a cycle commit
//! as soon as their writes have run. Claims of polls starting meanwhile are answered
//! together, not one by one as they come (each answer wakes the polls' thread): just
//! before the group's commit where claims only read ([`Backend::claims_only_read`]),
//! so their polls fetch and parse while it commits, else after it. A write's caller
//! hears back only after the group's commit: success means durable (to
//! `synchronous = NORMAL`), and a failed commit is every member's error (and the
//! story index forgets what the group indexed).
//!
//! A write that fails rolls the whole group back; then each member runs again in a
//! transaction of its own, so the failing one fails alone and the others are kept.
//! Writes take no savepoint of their own: a savepoint copies every page it touches to
//! a sub-journal first, a cost on every write of the thread every poll waits on, for
//! a rollback that almost never happens.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::mpsc;

use super::backend::{Backend, ReadBackend};
use super::error::{DriverError, StoreError};
use super::records::{Claimed, SourceClaim};
use crate::cluster::{IndexMark, StoryIndex};
use crate::membership::FeedSet;

/// What the database thread owns: the backend, and the in-memory state that
/// decisions during ingest consult (which feeds an item belongs in).
pub(crate) struct Db {
    pub(super) backend: Box<dyn Backend>,
    pub(crate) feeds: Arc<FeedSet>,
    /// Recent items' fingerprints, for joining copies into stories.
    pub(crate) stories: StoryIndex,
    /// Bumped by every `begin_feeds`, so an older refill knows to stop.
    pub(crate) feeds_epoch: u64,
    /// Sources whose claim this process was granted and whose poll has sent no
    /// outcome yet: the writes a lingering group may still get. A poll abandoned
    /// after its claim stays here, which only lets groups wait as they would anyway.
    pub(crate) polls_under_way: HashSet<String>,
}

/// A write that may be grouped with others.
pub(super) trait GroupedWrite: Send {
    /// Makes the write's changes within the transaction the loop holds open; `false`
    /// if it failed (its changes are then rolled back with the transaction). May be
    /// called again, on the database as it was before, when its group is rolled back.
    fn run(&mut self, db: &mut Db) -> bool;
    /// Tells the caller how it ended, once its transaction committed (`Ok`) or not.
    fn finish(self: Box<Self>, committed: Result<(), StoreError>);
    /// The source whose claimed poll this write records the outcome of, if any.
    fn ends_poll_of(&self) -> Option<&str> {
        None
    }
}

/// Work for the database thread.
pub(super) enum Job {
    /// Reads, and writes that manage their own transaction.
    Run(Box<dyn FnOnce(&mut Db) + Send>),
    /// A write to group with the writes queued behind it.
    Write(Box<dyn GroupedWrite>),
    /// A claim on a source, answered with the claims queued behind it in one call
    /// (the polls that come due at one instant claim their sources together); one
    /// that arrives while writes are being grouped waits for the group's commit.
    Claim(PendingClaim),
    /// Tells the other nodes sharing the database which feeds a committed write
    /// changed (`None`: every feed). One that arrives while writes are being grouped
    /// waits for the group's commit instead of ending the group: every poll that
    /// stored new or changed items sends one, so between polls queued together there
    /// is most often one.
    Announce(Option<Vec<String>>),
}

/// A claim sent by `Store::claim_source`, and where its answer goes.
pub(super) struct PendingClaim {
    pub name: String,
    pub node: String,
    pub now: chrono::DateTime<chrono::Utc>,
    pub until: chrono::DateTime<chrono::Utc>,
    pub due_by: Option<chrono::DateTime<chrono::Utc>>,
    pub reply: tokio::sync::oneshot::Sender<Result<Claimed, StoreError>>,
}

/// Most claims answered in one call.
const MAX_CLAIMS: usize = 512;

/// Work for the reading thread.
pub(super) type ReadJob = Box<dyn FnOnce(&mut dyn ReadBackend) + Send>;

/// The reading thread's loop: runs reads on a connection of its own, one at a time,
/// until every handle is gone. A reader never waits for the writer (each read sees
/// the last commit), so pages are read while the database thread writes polls.
pub(super) fn run_reads(mut reads: Box<dyn ReadBackend>, queue: mpsc::Receiver<ReadJob>) {
    while let Some(job) = next_job(&queue, || reads.release_memory()) {
        if let Err(error) = reads.reconnect_if_lost() {
            tracing::warn!(%error, "the reading connection to the database is lost; the read fails");
        }
        job(reads.as_mut());
    }
}

/// How long a database thread waits with nothing to do before it frees what only
/// its last burst of work needed: the daemon between polls holds what it needs then,
/// not the page cache of its last ingest.
const IDLE_RELEASE: std::time::Duration = std::time::Duration::from_secs(1);

/// The next job from `queue`, or `None` once every handle is gone. When none comes
/// for [`IDLE_RELEASE`], `release` frees the connection's caches and the freed heap
/// pages go back to the system, once, before waiting on.
fn next_job<J>(queue: &mpsc::Receiver<J>, release: impl FnOnce()) -> Option<J> {
    match queue.recv_timeout(IDLE_RELEASE) {
        Ok(job) => Some(job),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            release();
            crate::allocator::release_free_memory();
            queue.recv().ok()
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => None,
    }
}

/// Most writes committed together: bounds how long the first of a group waits for
/// its answer, and the size of one transaction.
pub const MAX_GROUP: usize = 32;

/// A group that starts within this long of the commit of a group other writes joined
/// is part of the same burst, and may wait for more writes even before one joins it.
const BURST_GAP: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs jobs until every handle is dropped, then folds the WAL back into the file.
pub(super) fn run(mut db: Db, queue: mpsc::Receiver<Job>) {
    let mut next = None;
    let mut burst_until = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => match next_job(&queue, || db.backend.release_memory()) {
                Some(job) => job,
                None => break,
            },
        };
        reconnect_if_lost(&mut db);
        match job {
            Job::Run(job) => job(&mut db),
            Job::Write(first) => next = write_group(&mut db, first, &queue, &mut burst_until),
            Job::Claim(first) => next = claim_group(&mut db, first, &queue),
            Job::Announce(feeds) => db.backend.announce(feeds.as_deref()),
        }
    }
    db.backend.close();
}

/// Runs `first` and the writes queued behind it in one transaction, commits, and
/// tells each; returns the job that ended the group, if one did. `burst_until` is when
/// the burst of writes the last joined group belonged to ends ([`BURST_GAP`] after its
/// commit), and is left saying it after this group.
fn write_group(
    db: &mut Db,
    mut first: Box<dyn GroupedWrite>,
    queue: &mpsc::Receiver<Job>,
    burst_until: &mut Option<std::time::Instant>,
) -> Option<Job> {
    let started = std::time::Instant::now();
    let in_burst = burst_until.is_some_and(|until| started <= until);
    if let Err(error) = db.backend.begin() {
        first.finish(Err(error));
        return None;
    }
    let mark = db.stories.mark();
    end_poll(db, first.as_ref());
    let mut all_ran = first.run(db);
    let mut members = vec![first];
    let mut announcements = Vec::new();
    let mut claims = Vec::new();
    let mut ended_by = None;
    while all_ran && members.len() < MAX_GROUP {
        let others_coming = !db.polls_under_way.is_empty();
        let wait_until = ((in_burst || members.len() >= 2) && others_coming)
            .then(|| started + db.backend.group_linger());
        match next_member(queue, wait_until) {
            Ok(Job::Write(mut write)) => {
                end_poll(db, write.as_ref());
                all_ran = write.run(db);
                members.push(write);
            }
            // Of writes already committed: told once this group is.
            Ok(Job::Announce(feeds)) => announcements.push(feeds),
            // Polls starting meanwhile: answered together once this group is
            // committed, so a group fills instead of ending at every new poll.
            Ok(Job::Claim(claim)) => claims.push(claim),
            Ok(other) => {
                ended_by = Some(other);
                break;
            }
            Err(_) => break,
        }
    }
    let joined = members.len() >= 2;
    if !all_ran {
        roll_back(db, mark);
        for mut write in members {
            let committed = match db.backend.begin() {
                Ok(()) => {
                    let mark = db.stories.mark();
                    if write.run(db) {
                        commit(db, 1, mark).map_err(StoreError::CommitFailed)
                    } else {
                        roll_back(db, mark);
                        Ok(())
                    }
                }
                Err(error) => Err(error),
            };
            write.finish(committed);
        }
    } else {
        if db.backend.claims_only_read() && !claims.is_empty() {
            answer_claims(db, std::mem::take(&mut claims));
        }
        let committed = commit(db, members.len(), mark);
        for write in members {
            write.finish(committed.clone().map_err(StoreError::CommitFailed));
        }
    }
    if !announcements.is_empty() {
        // As before any job: a connection the group's failure lost is opened again,
        // or the announcements would be lost with it.
        reconnect_if_lost(db);
        announce_each_once(db, announcements);
    }
    *burst_until = joined.then(|| std::time::Instant::now() + BURST_GAP);
    db.backend.after_writes();
    if !claims.is_empty() {
        reconnect_if_lost(db);
        answer_claims(db, claims);
    }
    ended_by
}

/// Forgets the poll `write` records the outcome of, if any, as one under way.
fn end_poll(db: &mut Db, write: &dyn GroupedWrite) {
    if let Some(source) = write.ends_poll_of() {
        db.polls_under_way.remove(source);
    }
}

/// The next job for a group: one already queued, else, until `wait_until`, the next
/// to arrive. A group may wait only in a burst of writes: a writer alone, one that
/// waits for its answer before writing again, would otherwise wait every time.
fn next_member(
    queue: &mpsc::Receiver<Job>,
    wait_until: Option<std::time::Instant>,
) -> Result<Job, mpsc::RecvTimeoutError> {
    match queue.try_recv() {
        Ok(job) => Ok(job),
        Err(mpsc::TryRecvError::Disconnected) => Err(mpsc::RecvTimeoutError::Disconnected),
        Err(mpsc::TryRecvError::Empty) => {
            let now = std::time::Instant::now();
            match wait_until {
                Some(until) if until > now => queue.recv_timeout(until - now),
                _ => Err(mpsc::RecvTimeoutError::Timeout),
            }
        }
    }
}

/// Tells the announcements a group deferred, each distinct one once (most polls of
/// a group changed the same feeds). Not merged into one: a long list of feeds is
/// announced as a change of every feed (`postgres::changes`).
fn announce_each_once(db: &mut Db, announcements: Vec<Option<Vec<String>>>) {
    let mut told: Vec<Option<Vec<String>>> = Vec::with_capacity(announcements.len());
    for feeds in announcements {
        if !told.contains(&feeds) {
            db.backend.announce(feeds.as_deref());
            told.push(feeds);
        }
    }
}

/// Answers `first` and the claims queued behind it in one call of the backend;
/// returns the job that ended the group, if one did.
fn claim_group(db: &mut Db, first: PendingClaim, queue: &mpsc::Receiver<Job>) -> Option<Job> {
    let mut pending = vec![first];
    let mut ended_by = None;
    while pending.len() < MAX_CLAIMS {
        match queue.try_recv() {
            Ok(Job::Claim(claim)) => pending.push(claim),
            Ok(other) => {
                ended_by = Some(other);
                break;
            }
            Err(_) => break,
        }
    }
    answer_claims(db, pending);
    ended_by
}

/// Answers `pending`, claims in the order they came, in one call of the backend.
fn answer_claims(db: &mut Db, pending: Vec<PendingClaim>) {
    let claims: Vec<SourceClaim<'_>> = pending
        .iter()
        .map(|p| SourceClaim {
            name: &p.name,
            node: &p.node,
            now: p.now,
            until: p.until,
            due_by: p.due_by,
        })
        .collect();
    let answers = db.backend.claim_sources(&claims);
    match answers {
        Ok(answers) if answers.len() == pending.len() => {
            for (claim, answer) in pending.into_iter().zip(answers) {
                if matches!(answer, Claimed::Granted(_)) {
                    db.polls_under_way.insert(claim.name);
                }
                let _ = claim.reply.send(Ok(answer));
            }
        }
        Ok(_) => {
            for claim in pending {
                let error = DriverError::message("a claim went unanswered");
                let _ = claim.reply.send(Err(StoreError::Driver(error)));
            }
        }
        Err(error) => {
            let message = error.to_string();
            for claim in pending {
                let error = DriverError::message(message.clone());
                let _ = claim.reply.send(Err(StoreError::Driver(error)));
            }
        }
    }
}

/// Commits the open transaction of `writes` writes, begun when the story index
/// stood at `mark`; on failure rolls it back and says why.
fn commit(db: &mut Db, writes: usize, mark: IndexMark) -> Result<(), String> {
    db.backend.commit().map_err(|error| {
        tracing::error!(%error, writes, "database commit failed; the polls will be fetched again");
        forget_rolled_back_stories(db, mark);
        error.to_string()
    })
}

/// Between jobs (no transaction open), connects again if the connection to the
/// database server was lost. The write open when it went was lost with it, so the
/// story index is rebuilt from what the database kept; while the server stays away,
/// each job tries again and fails with its own error.
fn reconnect_if_lost(db: &mut Db) {
    match db.backend.reconnect_if_lost() {
        Ok(false) => {}
        Ok(true) => rebuild_story_index(db),
        Err(error) => {
            tracing::warn!(%error, "the connection to the database is lost and could not be opened again");
        }
    }
}

/// Rolls back the open transaction, begun when the story index stood at `mark`,
/// and forgets the stories it indexed.
fn roll_back(db: &mut Db, mark: IndexMark) {
    db.backend.roll_back();
    forget_rolled_back_stories(db, mark);
}

/// After a rolled-back write or group, the story index still holds the items it
/// indexed since `mark`: they are forgotten, so no later copy joins a story that is
/// not there. A failing disk fails every commit, so this costs the group's items,
/// not the window's (a rebuild of a million is seconds of the store thread).
fn forget_rolled_back_stories(db: &mut Db, mark: IndexMark) {
    if !db.stories.forget_since(mark) {
        rebuild_story_index(db);
    }
}

/// Rebuilds the story index from what the database kept: after a write whose fate
/// is unknown (the connection to the server was lost), or what the index cannot
/// undo.
fn rebuild_story_index(db: &mut Db) {
    let settings = *db.stories.settings();
    match db
        .backend
        .story_index(settings, chrono::Utc::now().timestamp())
    {
        Ok(index) => db.stories = index,
        Err(error) => tracing::error!(%error, "story index not rebuilt after a failed commit"),
    }
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
