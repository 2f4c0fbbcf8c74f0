//! The database thread's loop: runs the jobs that [`super::Store`] handles send, one
//! at a time, and commits the writes of polls in groups.
//!
//! Group commit: a poll's write ([`Job::Write`]) runs inside a savepoint of a
//! transaction the loop opens, and the writes already queued behind it join that
//! transaction (up to [`MAX_GROUP`]). Committing once for the group writes each hot
//! index page to the WAL once instead of once per poll; when polls arrive one by one
//! nothing waits, and each commits alone. A write's caller hears back only after the
//! group's commit: success means durable (to `synchronous = NORMAL`), and a failed
//! commit is every member's error (and the story index is rebuilt from what the
//! database kept). A write that fails rolls back its own savepoint and leaves the
//! rest of its group alone.

use std::sync::mpsc;

use super::{Db, StoreError};

/// Told, after the group's commit, whether it was committed.
pub(super) type Done = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// Work for the database thread.
pub(super) enum Job {
    /// Reads, and writes that manage their own transaction.
    Run(Box<dyn FnOnce(&mut Db) + Send>),
    /// A write to group: runs within the loop's transaction (in a savepoint of its
    /// own) and returns what to do once the group is committed.
    Write(Box<dyn FnOnce(&mut Db) -> Done + Send>),
}

/// Most writes committed together: bounds how long the first of a group waits for
/// its answer, and the size of one transaction.
pub(super) const MAX_GROUP: usize = 32;

/// Runs jobs until every handle is dropped, then folds the WAL back into the file.
pub(super) fn run(mut db: Db, queue: mpsc::Receiver<Job>) {
    let mut next = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => match queue.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
        };
        match job {
            Job::Run(job) => job(&mut db),
            Job::Write(first) => next = write_group(&mut db, first, &queue),
        }
    }
    // Leave the database tidy for the next start: fold the WAL back in.
    let _ = db
        .conn
        .execute_batch("PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);");
}

/// Runs `first` and the writes queued behind it in one transaction, commits, and
/// tells each; returns the job that ended the group, if one did.
fn write_group(
    db: &mut Db,
    first: Box<dyn FnOnce(&mut Db) -> Done + Send>,
    queue: &mpsc::Receiver<Job>,
) -> Option<Job> {
    // Without the outer transaction each write's savepoint is its own transaction.
    let grouped = db.conn.execute_batch("BEGIN IMMEDIATE").is_ok();
    let mut done = vec![first(db)];
    let mut ended_by = None;
    while grouped && done.len() < MAX_GROUP {
        match queue.try_recv() {
            Ok(Job::Write(write)) => done.push(write(db)),
            Ok(other) => {
                ended_by = Some(other);
                break;
            }
            Err(_) => break,
        }
    }
    let committed = if grouped {
        db.conn.execute_batch("COMMIT").map_err(|error| {
            tracing::error!(%error, writes = done.len(), "database commit failed; the group's polls will be fetched again");
            let _ = db.conn.execute_batch("ROLLBACK");
            forget_rolled_back_stories(db);
            error.to_string()
        })
    } else {
        Ok(())
    };
    for tell in done {
        tell(committed.clone().map_err(StoreError::CommitFailed));
    }
    ended_by
}

/// After a rolled-back write or group, the story index still holds the items it
/// indexed: it is rebuilt from what the database kept (within the open transaction,
/// if any), so no later copy joins a story that is not there.
pub(super) fn forget_rolled_back_stories(db: &mut Db) {
    let settings = *db.stories.settings();
    match super::stories::rebuild(&db.conn, settings, chrono::Utc::now().timestamp()) {
        Ok(index) => db.stories = index,
        Err(error) => tracing::error!(%error, "story index not rebuilt after a failed commit"),
    }
}
