//! The polling loop and cron jobs: a restart keeps each source's schedule and
//! validators; a one-second cron job keeps firing while the runtime is loaded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::script::{ScriptServer, rss};
use crate::common::{Harness, write_config_with_fetch};
use feedbraid::config::Config;
use feedbraid::fetch::Fetcher;
use feedbraid::poll::{PollContext, PollMode, PollOutcome, poll_source_with};
use feedbraid::schedule::{self, Heartbeat};
use feedbraid::store::Store;
use tokio::sync::{mpsc, watch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_schedule_and_the_validators() {
    let server = ScriptServer::start().await;
    server.feed("early.xml", &rss("early", 2), "\"e1\"");
    server.feed("late.xml", &rss("late", 3), "\"l1\"");
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "[[source]]\nname = \"early\"\nurl = \"{}\"\ninterval = \"1h\"\n\n\
         [[source]]\nname = \"late\"\nurl = \"{}\"\ninterval = \"1h\"\n",
        server.url("early.xml"),
        server.url("late.xml")
    );
    let path = write_config_with_fetch(dir.path(), "timeout = \"2s\"", &body);
    let first_next_poll = {
        let h = Harness::start(&path).await;
        let early = h.config.source("early").unwrap();
        poll_source_with(&h.ctx, &h.config, early, PollMode::Respect)
            .await
            .unwrap()
            .next_poll
    };
    assert_eq!(server.requests("early.xml"), 1);

    // "Restart": a new store handle on the same database, and the daemon's loop.
    let config = Arc::new(Config::load(&path).unwrap());
    let store = Store::open(&config.storage.path).unwrap();
    let state = store.poll_state("early").await.unwrap().unwrap();
    assert_eq!(state.etag.as_deref(), Some("\"e1\""));
    assert_eq!(
        state.next_poll.map(|t| t.timestamp()),
        Some(first_next_poll.timestamp())
    );
    let ctx = PollContext::new(Fetcher::new(&config.fetch).unwrap(), store.clone());
    let mut changes = store.changes();
    let (_config_tx, config_rx) = watch::channel(Arc::clone(&config));
    let (stop_tx, stop_rx) = watch::channel(false);
    let looping = tokio::spawn(schedule::run(
        ctx.clone(),
        config_rx,
        stop_rx,
        Heartbeat::default(),
    ));
    // The never-polled source is due at once; wait for its items to land.
    tokio::time::timeout(Duration::from_secs(5), changes.changed())
        .await
        .expect("the loop polls the source that is due")
        .unwrap();
    let _ = stop_tx.send(true);
    looping.await.unwrap().unwrap();
    assert_eq!(server.requests("late.xml"), 1);
    assert_eq!(
        server.requests("early.xml"),
        1,
        "not re-polled: its next poll is an hour away"
    );

    // And its validators survived: the next poll is conditional.
    let early = config.source("early").unwrap();
    let report = poll_source_with(&ctx, &config, early, PollMode::Force)
        .await
        .unwrap();
    assert_eq!(report.outcome, PollOutcome::NotModified, "{report}");
    assert_eq!(server.if_none_match("early.xml"), vec!["\"e1\""]);
}

/// Counts the firings of an every-second cron job (which only enqueues) over
/// `window`, while many tasks keep the runtime's workers busy.
async fn firings_under_load(window: Duration) -> usize {
    let (due_tx, mut due_rx) = mpsc::unbounded_channel();
    let mut scheduler =
        schedule::cron::start_enqueuing(vec![("* * * * * *".to_string(), ())], due_tx)
            .await
            .unwrap()
            .unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..64 {
        let stop = Arc::clone(&stop);
        load.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Busy for a millisecond between yields: a saturated runtime.
                let busy = Instant::now();
                while busy.elapsed() < Duration::from_millis(1) {
                    std::hint::spin_loop();
                }
                tokio::task::yield_now().await;
            }
        }));
    }
    let began = Instant::now();
    let mut fired = 0;
    while let Some(left) = window.checked_sub(began.elapsed()) {
        match tokio::time::timeout(left, due_rx.recv()).await {
            Ok(Some(())) => fired += 1,
            _ => break,
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    scheduler.shutdown().await.unwrap();
    fired
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_second_cron_job_keeps_firing_under_load() {
    let fired = firings_under_load(Duration::from_millis(4500)).await;
    assert!((3..=5).contains(&fired), "fired {fired} times in 4.5 s");
}

/// The full minute; run with `cargo test schedule:: -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes a minute"]
async fn a_one_second_cron_job_keeps_firing_after_a_minute_of_load() {
    let fired = firings_under_load(Duration::from_secs(65)).await;
    assert!(fired >= 62, "fired {fired} times in 65 s");
}
