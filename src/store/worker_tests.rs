//! Tests of the database thread's loop: group commit, and when a group waits for more.

use std::sync::Mutex;

use super::*;
use crate::cluster::Settings;

/// A write that changes nothing and notes how it ended.
struct Noted {
    n: usize,
    ended: Arc<Mutex<Vec<(usize, bool)>>>,
}

impl GroupedWrite for Noted {
    fn run(&mut self, _db: &mut Db) -> bool {
        true
    }
    fn finish(self: Box<Self>, committed: Result<(), StoreError>) {
        if let Ok(mut ended) = self.ended.lock() {
            ended.push((self.n, committed.is_ok()));
        }
    }
}

#[test]
fn announcements_queued_between_writes_do_not_end_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let backend = super::super::sqlite::writer_for_tests(&dir.path().join("t.db")).unwrap();
    let mut db = Db {
        backend,
        feeds: Arc::default(),
        stories: StoryIndex::new(Settings::default()),
        feeds_epoch: 0,
        polls_under_way: Default::default(),
    };
    let ended = Arc::new(Mutex::new(Vec::new()));
    let write = |n| {
        Box::new(Noted {
            n,
            ended: Arc::clone(&ended),
        })
    };
    // As under load: each stored poll's announcement is queued behind the writes
    // of the polls that were waiting meanwhile.
    let (jobs, queue) = mpsc::channel();
    jobs.send(Job::Announce(Some(vec!["world".into()])))
        .unwrap();
    jobs.send(Job::Write(write(1))).unwrap();
    jobs.send(Job::Announce(None)).unwrap();
    jobs.send(Job::Write(write(2))).unwrap();

    let ended_by = write_group(&mut db, write(0), &queue, &mut None);

    assert!(
        ended_by.is_none(),
        "nothing but the queue's end ended the group"
    );
    assert!(queue.try_recv().is_err(), "every job was taken");
    assert_eq!(*ended.lock().unwrap(), [(0, true), (1, true), (2, true)]);
}

/// A write that records a failure of each of `sources`: a row of `sources` each.
struct Touching {
    n: usize,
    sources: std::ops::Range<usize>,
    ended: Arc<Mutex<Vec<(usize, bool)>>>,
    ends_poll_of: Option<String>,
}

impl GroupedWrite for Touching {
    fn run(&mut self, db: &mut Db) -> bool {
        let record = crate::store::records::FailureRecord {
            at: chrono::Utc::now(),
            http_status: Some(500),
            error: "down".into(),
            next_poll: None,
            gone_entry: None,
            retry_after_until: None,
        };
        self.sources
            .clone()
            .all(|n| db.backend.record_failure(&format!("s{n}"), &record).is_ok())
    }
    fn finish(self: Box<Self>, committed: Result<(), StoreError>) {
        if let Ok(mut ended) = self.ended.lock() {
            ended.push((self.n, committed.is_ok()));
        }
    }
    fn ends_poll_of(&self) -> Option<&str> {
        self.ends_poll_of.as_deref()
    }
}

/// A store thread's state over a database of 200 sources whose groups, once they
/// may wait, wait ten minutes: a test that waited would not finish. A poll it
/// claimed is under way and never sends its outcome, so a group in a burst waits.
fn lingering_db(dir: &std::path::Path) -> Db {
    let mut backend = super::super::sqlite::lingering_writer_for_tests(
        &dir.join("t.db"),
        std::time::Duration::from_secs(600),
    )
    .unwrap();
    let sources: Vec<(String, String)> = (0..200)
        .map(|n| (format!("s{n}"), format!("https://s{n}.example/feed")))
        .collect();
    backend.sync_sources(&sources).unwrap();
    Db {
        backend,
        feeds: Arc::default(),
        stories: StoryIndex::new(Settings::default()),
        feeds_epoch: 0,
        polls_under_way: HashSet::from(["s199".to_string()]),
    }
}

/// Runs `write_group` from `first` on another thread, `queued` already waiting
/// behind it, while `later` sends more; whether the group ended `within` that
/// time of `later` returning. The queue's sender is dropped then, which ends any
/// wait.
fn group_of(
    db: &mut Db,
    first: Box<dyn GroupedWrite>,
    queued: Vec<Job>,
    burst_until: &mut Option<std::time::Instant>,
    later: impl FnOnce(&mpsc::Sender<Job>) + Send,
    within: std::time::Duration,
) -> bool {
    let (jobs, queue) = mpsc::channel();
    for job in queued {
        jobs.send(job).unwrap();
    }
    let (done, ended) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            write_group(db, first, &queue, burst_until);
            let _ = done.send(());
        });
        later(&jobs);
        let in_time = ended.recv_timeout(within).is_ok();
        drop(jobs);
        in_time
    })
}

const A_MINUTE: std::time::Duration = std::time::Duration::from_secs(60);
/// Long enough for a group that does not wait to have ended.
const A_SECOND: std::time::Duration = std::time::Duration::from_secs(1);

fn touching(
    ended: &Arc<Mutex<Vec<(usize, bool)>>>,
    n: usize,
    sources: std::ops::Range<usize>,
) -> Box<Touching> {
    Box::new(Touching {
        n,
        sources,
        ended: Arc::clone(ended),
        ends_poll_of: None,
    })
}

/// Sends `write` to a group's queue a moment after the group has started.
fn after_a_moment(write: Box<Touching>) -> impl FnOnce(&mpsc::Sender<Job>) + Send {
    move |jobs| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        jobs.send(Job::Write(write)).unwrap();
    }
}

#[test]
fn a_lone_write_outside_a_burst_commits_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = lingering_db(dir.path());
    let ended = Arc::new(Mutex::new(Vec::new()));
    let mut burst_until = None;
    let first = touching(&ended, 0, 0..150);
    assert!(group_of(
        &mut db,
        first,
        vec![],
        &mut burst_until,
        |_| (),
        A_MINUTE
    ));
    assert_eq!(*ended.lock().unwrap(), [(0, true)]);
    assert!(burst_until.is_none(), "a group alone starts no burst");
}

#[test]
fn a_burst_group_waits_for_the_writes_that_come() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = lingering_db(dir.path());
    let ended = Arc::new(Mutex::new(Vec::new()));
    let mut burst_until = None;
    // Two writes queued together: a burst. The third comes while the group waits,
    // which lasts while its writers are there.
    let first = touching(&ended, 0, 0..150);
    let queued = vec![Job::Write(touching(&ended, 1, 150..160))];
    let later = after_a_moment(touching(&ended, 2, 160..170));
    assert!(!group_of(
        &mut db,
        first,
        queued,
        &mut burst_until,
        later,
        A_SECOND
    ));
    assert_eq!(*ended.lock().unwrap(), [(0, true), (1, true), (2, true)]);
    assert!(burst_until.is_some(), "a joined group starts a burst");

    // The next group of the burst waits even alone.
    ended.lock().unwrap().clear();
    let first = touching(&ended, 3, 0..150);
    let later = after_a_moment(touching(&ended, 4, 0..1));
    assert!(!group_of(
        &mut db,
        first,
        vec![],
        &mut burst_until,
        later,
        A_SECOND
    ));
    assert_eq!(*ended.lock().unwrap(), [(3, true), (4, true)]);
}

#[test]
fn writes_of_few_rows_never_wait() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = lingering_db(dir.path());
    let ended = Arc::new(Mutex::new(Vec::new()));
    let mut burst_until = Some(std::time::Instant::now() + A_MINUTE);
    let first = touching(&ended, 0, 0..1);
    let queued = vec![Job::Write(touching(&ended, 1, 1..2))];
    assert!(group_of(
        &mut db,
        first,
        queued,
        &mut burst_until,
        |_| (),
        A_MINUTE
    ));
    assert_eq!(*ended.lock().unwrap(), [(0, true), (1, true)]);
}

#[test]
fn a_burst_group_waits_no_longer_once_every_claimed_poll_has_sent_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = lingering_db(dir.path());
    db.polls_under_way = HashSet::from(["s0".to_string(), "s1".to_string()]);
    let ended = Arc::new(Mutex::new(Vec::new()));
    let outcome_of = |n: usize| {
        let mut write = touching(&ended, n, n..n + 1);
        write.ends_poll_of = Some(format!("s{n}"));
        write.sources = 150..160;
        write
    };
    // A burst (two writes queued together): the outcomes of the last two polls
    // under way, so nothing else is coming.
    let queued = vec![Job::Write(outcome_of(1))];
    assert!(group_of(
        &mut db,
        outcome_of(0),
        queued,
        &mut None,
        |_| (),
        A_SECOND
    ));
    assert_eq!(*ended.lock().unwrap(), [(0, true), (1, true)]);
    assert!(db.polls_under_way.is_empty());
}

/// A claim of source `name` for five minutes from `now`, and where its answer goes.
fn claim_of(
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    due_by: Option<chrono::DateTime<chrono::Utc>>,
) -> (
    PendingClaim,
    tokio::sync::oneshot::Receiver<Result<Claimed, StoreError>>,
) {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let claim = PendingClaim {
        name: name.into(),
        node: "here".into(),
        now,
        until: now + chrono::Duration::minutes(5),
        due_by,
        reply,
    };
    (claim, answer)
}

#[test]
fn a_granted_claim_is_a_poll_under_way_and_a_refused_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = lingering_db(dir.path());
    db.polls_under_way.clear();
    let now = chrono::Utc::now();
    let claim = |db: &mut Db, name: &str, due_by: Option<chrono::DateTime<chrono::Utc>>| {
        let (claim, mut answer) = claim_of(name, now, due_by);
        let (_, queue) = mpsc::channel();
        claim_group(db, claim, &queue);
        answer.try_recv().unwrap().unwrap()
    };
    assert!(matches!(claim(&mut db, "s3", None), Claimed::Granted(_)));
    assert!(matches!(claim(&mut db, "s4", None), Claimed::Granted(_)));
    let polls_under_way = std::mem::take(&mut db.polls_under_way);
    assert_eq!(
        polls_under_way,
        HashSet::from(["s3".to_string(), "s4".to_string()])
    );
    let failed = crate::store::records::FailureRecord {
        at: now,
        http_status: Some(500),
        error: "down".into(),
        next_poll: Some(now + chrono::Duration::hours(1)),
        gone_entry: None,
        retry_after_until: None,
    };
    db.backend.record_failure("s5", &failed).unwrap();
    assert!(
        matches!(claim(&mut db, "s5", Some(now)), Claimed::NotDue { .. }),
        "due in an hour"
    );
    assert!(db.polls_under_way.is_empty());
}

/// A write that changes nothing and, once its group has committed, notes whether
/// `answer` had come by then.
struct SeesAnswer {
    answer: tokio::sync::oneshot::Receiver<Result<Claimed, StoreError>>,
    seen: Arc<Mutex<Option<Result<Claimed, StoreError>>>>,
}

impl GroupedWrite for SeesAnswer {
    fn run(&mut self, _db: &mut Db) -> bool {
        true
    }
    fn finish(mut self: Box<Self>, _committed: Result<(), StoreError>) {
        if let (Ok(answer), Ok(mut seen)) = (self.answer.try_recv(), self.seen.lock()) {
            *seen = Some(answer);
        }
    }
}

#[test]
fn a_claim_queued_between_writes_is_answered_before_the_group_commits() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = lingering_db(dir.path());
    db.polls_under_way.clear();
    let ended = Arc::new(Mutex::new(Vec::new()));
    let (claim, answer) = claim_of("s7", chrono::Utc::now(), None);
    let seen = Arc::new(Mutex::new(None));
    let (jobs, queue) = mpsc::channel();
    jobs.send(Job::Write(touching(&ended, 1, 150..160)))
        .unwrap();
    jobs.send(Job::Claim(claim)).unwrap();
    jobs.send(Job::Write(touching(&ended, 2, 160..170)))
        .unwrap();
    let sees = SeesAnswer {
        answer,
        seen: Arc::clone(&seen),
    };
    jobs.send(Job::Write(Box::new(sees))).unwrap();
    drop(jobs);

    let ended_by = write_group(&mut db, touching(&ended, 0, 0..150), &queue, &mut None);

    assert!(ended_by.is_none(), "the claim did not end the group");
    assert_eq!(*ended.lock().unwrap(), [(0, true), (1, true), (2, true)]);
    // SQLite's claims only read: the answer was there when the group's writers
    // heard back from its commit.
    assert!(matches!(
        *seen.lock().unwrap(),
        Some(Ok(Claimed::Granted(_)))
    ));
    assert!(db.polls_under_way.contains("s7"));
}
