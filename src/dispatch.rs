//! Which due source's poll starts next. Due sources wait in a queue per host; a poll
//! starts only when fewer than `width` polls run and its host has a turn (a free slot
//! and its spacing passed: [`Fetcher::try_turn`]). So a source waiting for its host
//! never holds a place another host could use, and the work in flight — bodies being
//! fetched, parsed and stored — is at most `width` polls whatever the backlog: after a
//! day offline, ten thousand due sources are ten thousand names in these queues.
//!
//! Used by `feedbraid poll` and by the daemon's polling loop alike; it starts nothing
//! itself: the caller asks for the next source to start, and says when a poll ends.
//!
//! A poll whose outcome is with the store, waiting for its commit ([`Committing`]),
//! gives its place to another, up to a number of places set aside for such polls: the
//! store holds a group of writes open for more while polls are under way, and were
//! its members' places counted, fetching and parsing would narrow to a few polls
//! each time a group fills, and the parsers would idle.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use crate::fetch::{Fetcher, HostTurn, HostWait, host_of};

/// When a host whose slots are all taken is asked again, if none of its slots is
/// ours to see end (another poller holds them).
const SLOT_RECHECK: Duration = Duration::from_secs(1);

/// Polls whose outcome is with the store, waiting for its commit; shared by the
/// polls, which say when theirs is ([`Committing::wait_for`]), and a [`Dispatch`],
/// which lets as many others start in their places (up to those set aside).
#[derive(Debug, Default)]
pub struct Committing {
    polls: AtomicUsize,
    handed_over: Notify,
}

impl Committing {
    /// Awaits `commit`, the store's answer to a poll's outcome, as a poll whose place
    /// may go to another meanwhile.
    pub async fn wait_for<F: Future>(&self, commit: F) -> F::Output {
        self.polls.fetch_add(1, Ordering::Relaxed);
        // Counted down however the wait ends, a poll dropped while waiting included.
        let _counted = CountedWhileCommitting(&self.polls);
        self.handed_over.notify_one();
        commit.await
    }

    fn polls(&self) -> usize {
        self.polls.load(Ordering::Relaxed)
    }
}

struct CountedWhileCommitting<'a>(&'a AtomicUsize);

impl Drop for CountedWhileCommitting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Due sources by host, and how many polls run.
pub struct Dispatch<T> {
    width: usize,
    running: usize,
    /// Polls waiting for their commit, and how many of them may give their places.
    committing: Option<(Arc<Committing>, usize)>,
    queued: usize,
    by_host: HashMap<String, VecDeque<(T, url::Url)>>,
    /// Hosts with queued sources, by when to ask for their next turn. A host may be
    /// in it more than once; an entry for a host with nothing queued is dropped.
    next_try: BinaryHeap<Reverse<(Instant, String)>>,
}

impl<T> Dispatch<T> {
    /// At most `width` polls at once (at least one).
    pub fn new(width: usize) -> Dispatch<T> {
        Dispatch {
            width: width.max(1),
            running: 0,
            committing: None,
            queued: 0,
            by_host: HashMap::new(),
            next_try: BinaryHeap::new(),
        }
    }

    /// This dispatch with up to `places` more polls running while as many wait for
    /// their commit in `committing`.
    pub fn sharing_places(mut self, committing: Arc<Committing>, places: usize) -> Dispatch<T> {
        self.committing = Some((committing, places));
        self
    }

    /// Polls that hold a place: those running, but for those waiting for their commit
    /// in the places set aside for them.
    fn holding_places(&self) -> usize {
        let given = self
            .committing
            .as_ref()
            .map_or(0, |(committing, places)| committing.polls().min(*places));
        self.running.saturating_sub(given)
    }

    /// Waits until a running poll gives its place to another (never, without
    /// [`Dispatch::sharing_places`]): then [`Dispatch::next`] may start one.
    pub async fn place_given(&self) {
        match &self.committing {
            Some((committing, _)) => committing.handed_over.notified().await,
            None => std::future::pending().await,
        }
    }

    /// Queues `item`, whose poll fetches `url`, behind its host's other sources.
    pub fn push(&mut self, item: T, url: url::Url) {
        let host = host_of(&url);
        let queue = self.by_host.entry(host.clone()).or_default();
        if queue.is_empty() {
            self.next_try.push(Reverse((Instant::now(), host)));
        }
        queue.push_back((item, url));
        self.queued += 1;
    }

    /// The next source to poll now, with the URL it was queued under and its host's
    /// turn, if one may start: counted as running until [`Dispatch::done`].
    pub fn next(&mut self, fetcher: &Fetcher) -> Option<(T, url::Url, HostTurn)> {
        if self.holding_places() >= self.width {
            return None;
        }
        let now = Instant::now();
        while let Some(Reverse((at, _))) = self.next_try.peek() {
            if *at > now {
                return None;
            }
            let Reverse((_, host)) = self.next_try.pop()?;
            let Some(queue) = self.by_host.get_mut(&host) else {
                continue;
            };
            let Some((_, url)) = queue.front() else {
                continue;
            };
            match fetcher.try_turn(url) {
                Ok(turn) => {
                    let (item, url) = queue.pop_front()?;
                    if queue.is_empty() {
                        self.by_host.remove(&host);
                    } else {
                        self.next_try.push(Reverse((now, host)));
                    }
                    self.queued -= 1;
                    self.running += 1;
                    return Some((item, url, turn));
                }
                Err(HostWait::Until(at)) => self.next_try.push(Reverse((at, host))),
                Err(HostWait::Slot) => self.next_try.push(Reverse((now + SLOT_RECHECK, host))),
            }
        }
        None
    }

    /// A poll started by [`Dispatch::next`] for a source of `url`'s host ended.
    pub fn done(&mut self, url: &url::Url) {
        self.running = self.running.saturating_sub(1);
        let host = host_of(url);
        if self.by_host.contains_key(&host) {
            self.next_try.push(Reverse((Instant::now(), host)));
        }
    }

    /// When to ask [`Dispatch::next`] again, when it said no: `None` while every
    /// place is taken (ask after the next [`Dispatch::done`] or
    /// [`Dispatch::place_given`]) or nothing is queued.
    pub fn wake_at(&self) -> Option<Instant> {
        if self.holding_places() >= self.width {
            return None;
        }
        self.next_try.peek().map(|Reverse((at, _))| *at)
    }

    /// Polls running.
    pub fn running(&self) -> usize {
        self.running
    }

    /// Sources waiting for their turn.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Starts `start(item, turn)` for every queued item as [`Dispatch::next`] allows,
    /// drives them side by side, and returns their outputs in the order they ended.
    /// Unordered, so a slow host (a tarpit) never keeps the next ones from starting.
    pub async fn run_all<R, F, Fut>(mut self, fetcher: &Fetcher, mut start: F) -> Vec<R>
    where
        F: FnMut(T, HostTurn) -> Fut,
        Fut: Future<Output = R>,
    {
        let mut running = FuturesUnordered::new();
        let mut ended = Vec::new();
        loop {
            while let Some((item, url, turn)) = self.next(fetcher) {
                let work = start(item, turn);
                running.push(async move { (url, work.await) });
            }
            if running.is_empty() && self.queued == 0 {
                return ended;
            }
            let wake = self.wake_at();
            tokio::select! {
                Some((url, output)) = running.next() => {
                    self.done(&url);
                    ended.push(output);
                }
                _ = sleep_until(wake), if wake.is_some() => {}
                _ = self.place_given() => {}
            }
        }
    }
}

/// Sleeps until `at` (at once without one: callers guard the `select!` arm with
/// `at.is_some()`): how a driver of a [`Dispatch`] waits for [`Dispatch::wake_at`].
pub(crate) async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetcher(fetch: &str) -> Fetcher {
        let text = format!(
            "[fetch]\n{fetch}\n\n[[source]]\nname = \"a\"\nurl = \"https://a.example/rss\"\n"
        );
        let config = crate::config::Config::from_toml(std::path::Path::new("t.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}"));
        Fetcher::new(&config.fetch).unwrap()
    }

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_host_waiting_for_its_spacing_lets_other_hosts_go_first() {
        let fetcher = fetcher("per_host = 2\nper_host_interval = \"1s\"");
        let mut dispatch = Dispatch::new(8);
        for item in ["a1", "a2", "a3"] {
            dispatch.push(item, url(&format!("https://a.example/{item}")));
        }
        dispatch.push("b1", url("https://b.example/b1"));
        let (mut started, mut turns) = (Vec::new(), Vec::new());
        while let Some((item, _, turn)) = dispatch.next(&fetcher) {
            started.push(item);
            turns.push(turn);
        }
        assert_eq!(started, ["a1", "b1"], "a2 waits for a.example's spacing");
        let wake = dispatch.wake_at().unwrap();
        assert_eq!(wake - Instant::now(), Duration::from_secs(1));
        assert_eq!((dispatch.running(), dispatch.queued()), (2, 2));
        tokio::time::advance(Duration::from_secs(1)).await;
        let (item, _, _turn) = dispatch.next(&fetcher).unwrap();
        assert_eq!(item, "a2");
        // a.example's two slots are taken now (a1's and a2's turns are held).
        assert!(dispatch.next(&fetcher).is_none());
    }

    #[tokio::test]
    async fn at_most_width_polls_run() {
        let fetcher = fetcher("per_host_interval = \"0s\"");
        let mut dispatch = Dispatch::new(2);
        for i in 0..5 {
            dispatch.push(i, url(&format!("https://h{i}.example/")));
        }
        let first: Vec<_> = std::iter::from_fn(|| dispatch.next(&fetcher)).collect();
        assert_eq!(first.len(), 2);
        assert_eq!(dispatch.wake_at(), None, "full: wait for a poll to end");
        dispatch.done(&first[0].1);
        assert!(dispatch.next(&fetcher).is_some());
        assert_eq!((dispatch.running(), dispatch.queued()), (2, 2));
    }

    #[tokio::test]
    async fn a_poll_waiting_for_its_commit_gives_its_place_up_to_those_set_aside() {
        let fetcher = fetcher("per_host_interval = \"0s\"");
        let committing = Arc::new(Committing::default());
        let mut dispatch = Dispatch::new(1).sharing_places(Arc::clone(&committing), 1);
        for i in 0..4 {
            dispatch.push(i, url(&format!("https://h{i}.example/")));
        }
        let first = dispatch.next(&fetcher).unwrap();
        assert!(dispatch.next(&fetcher).is_none(), "one place");

        // A poll's outcome goes to the store, whose answer is to come.
        let waiting_for_commit = || {
            let (answer, answered) = tokio::sync::oneshot::channel::<()>();
            let committing = Arc::clone(&committing);
            let waiting = tokio::spawn(async move { committing.wait_for(answered).await });
            (answer, waiting)
        };
        let (answer, waiting) = waiting_for_commit();
        dispatch.place_given().await;
        let second = dispatch.next(&fetcher).unwrap();
        assert_eq!(second.0, 1, "started in the first one's place");
        assert!(dispatch.next(&fetcher).is_none(), "one place set aside");

        // The second's outcome waits too, but the place set aside is taken.
        let (second_answer, second_waiting) = waiting_for_commit();
        dispatch.place_given().await;
        assert!(dispatch.next(&fetcher).is_none());
        assert_eq!(dispatch.wake_at(), None);

        // Committed: the first poll ends, the second still waits, in the place set aside.
        answer.send(()).unwrap();
        waiting.await.unwrap().unwrap();
        dispatch.done(&first.1);
        assert_eq!(dispatch.next(&fetcher).map(|(item, ..)| item), Some(2));
        assert_eq!(dispatch.running(), 2);
        second_answer.send(()).unwrap();
        second_waiting.await.unwrap().unwrap();
        assert!(
            dispatch.next(&fetcher).is_none(),
            "committed, the second holds its place again until it ends"
        );
    }
}
