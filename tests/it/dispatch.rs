//! Sources that share a host wait in their host's queue, not in a place another host
//! could use: with one slot per host, more sources of a host whose first source
//! hangs than there are places for polls still let a source of another host start at
//! once — in `poll` and in the daemon's loop alike.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{FeedServer, generated_rss, write_config_with_fetch};
use feedbraid::config::Config;
use feedbraid::fetch::{Fetcher, FetcherOptions};
use feedbraid::poll::{PollContext, PollOutcome, poll_sources};
use tokio::sync::watch;

/// How many polls run at once under `[fetch]` `fetch` (it depends on the cores).
fn width_for(dir: &tempfile::TempDir, fetch: &str) -> usize {
    let path = write_config_with_fetch(dir.path(), fetch, "");
    feedbraid::poll::poll_width(&Config::load(&path).unwrap())
}

const FETCH: &str = "concurrency = 2\nper_host = 1\nper_host_interval = \"0s\"";

/// More sources on `a.test` than there are places for polls (the first of them hangs
/// until released), listed before one on `b.test`; `a.test` takes one request at a
/// time.
async fn setup(dir: &tempfile::TempDir) -> (FeedServer, Arc<Config>, PollContext) {
    let server = FeedServer::start().await;
    let mut names: Vec<String> = (1..=width_for(dir, FETCH) + 1)
        .map(|i| format!("a{i}"))
        .collect();
    names.push("b1".into());
    for name in &names {
        server.set(&format!("{name}.xml"), generated_rss(name, 2).into_bytes());
    }
    server.hold("a1.xml");
    let port = server.addr.port();
    let sources: String = names
        .iter()
        .map(|name| {
            let host = &name[..1];
            format!(
                "[[source]]\nname = \"{name}\"\nurl = \"http://{host}.test:{port}/{name}.xml\"\n\n"
            )
        })
        .collect();
    let path = write_config_with_fetch(dir.path(), FETCH, &sources);
    let config = Arc::new(Config::load(&path).unwrap());
    let ctx = context(&config, &["a", "b"], &server).await;
    (server, config, ctx)
}

/// A poller for `config` (its store beside it) that reaches `server` under the host
/// names `NAME.test` of `names`.
async fn context(config: &Config, names: &[&str], server: &FeedServer) -> PollContext {
    let options = FetcherOptions {
        pinned_hosts: names
            .iter()
            .map(|name| (format!("{name}.test"), server.addr))
            .collect(),
        ..FetcherOptions::default()
    };
    let fetcher = Fetcher::with_options(&config.fetch, options).unwrap();
    let store = feedbraid::app::open_store(config).await.unwrap();
    PollContext::new(fetcher, store)
}

/// Hang guard only: the waits below return at once unless a source of `b.test`
/// waits behind the hanging `a.test`.
const HANG: Duration = Duration::from_secs(20);

/// Waits for `b1` to be requested while `a1` hangs (and holds `a.test`'s one slot),
/// then lets `a1` answer.
async fn b1_goes_while_a1_hangs(server: &FeedServer) {
    tokio::time::timeout(HANG, server.wait_for_request("b1.xml"))
        .await
        .expect("b1 was polled while a1 hung");
    assert_eq!(
        server.requests("a2.xml"),
        0,
        "a.test has one slot, a1 holds it"
    );
    server.release("a1.xml");
}

#[tokio::test]
async fn poll_starts_another_hosts_source_while_one_host_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config, ctx) = setup(&dir).await;
    let checks = async {
        b1_goes_while_a1_hangs(&server).await;
    };
    let (reports, ()) = tokio::join!(poll_sources(&ctx, &config, &config.sources), checks);
    let reports = reports.unwrap();
    assert_eq!(reports.len(), config.sources.len());
    for report in &reports {
        assert!(
            matches!(report.outcome, PollOutcome::Stored(s) if s.new == 2),
            "{report:?}"
        );
        let path = format!("{}.xml", report.source);
        assert_eq!(server.requests(&path), 1, "{path}");
    }
}

#[tokio::test]
async fn the_daemons_loop_starts_another_hosts_source_while_one_host_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config, ctx) = setup(&dir).await;
    let (_config_tx, config_rx) = watch::channel(Arc::clone(&config));
    let (stop, stopped) = watch::channel(false);
    let store = ctx.store.clone();
    let sources = config.sources.len();
    let mut changes = store.changes();
    let looping = tokio::spawn(feedbraid::schedule::run(
        ctx,
        config_rx,
        stopped,
        feedbraid::schedule::Heartbeat::default(),
    ));
    b1_goes_while_a1_hangs(&server).await;
    let all_stored = async {
        loop {
            let page = store
                .recent_items(None, None, 100, feedbraid::store::Html::With)
                .await
                .unwrap();
            if page.items.len() == 2 * sources {
                return;
            }
            changes.changed().await.unwrap();
        }
    };
    tokio::time::timeout(HANG, all_stored)
        .await
        .expect("every source polled once");
    stop.send(true).unwrap();
    looping.await.unwrap().unwrap();
    for source in &config.sources {
        assert_eq!(
            server.requests(&format!("{}.xml", source.name)),
            1,
            "{}",
            source.name
        );
    }
}

/// After downtime every source is due at once; the loop runs at most
/// `poll_width` polls (`concurrency` + 2 per core + 32) and keeps the rest as names in its
/// queues, whatever the backlog (here every host hangs, so nothing finishes
/// meanwhile).
#[tokio::test]
async fn the_daemons_loop_bounds_the_polls_under_way() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    let port = server.addr.port();
    let width = width_for(&dir, "concurrency = 2");
    let names: Vec<String> = (0..width + 8).map(|i| format!("h{i}")).collect();
    let mut sources = String::new();
    for name in &names {
        server.set(&format!("{name}.xml"), generated_rss(name, 1).into_bytes());
        server.hold(&format!("{name}.xml"));
        sources.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"http://{name}.test:{port}/{name}.xml\"\n\n"
        ));
    }
    let path = write_config_with_fetch(dir.path(), "concurrency = 2", &sources);
    let config = Arc::new(Config::load(&path).unwrap());
    let hosts: Vec<&str> = names.iter().map(String::as_str).collect();
    let ctx = context(&config, &hosts, &server).await;
    let metrics = Arc::clone(&ctx.metrics);
    let (_config_tx, config_rx) = watch::channel(Arc::clone(&config));
    let (stop, stopped) = watch::channel(false);
    let looping = tokio::spawn(feedbraid::schedule::run(
        ctx,
        config_rx,
        stopped,
        feedbraid::schedule::Heartbeat::default(),
    ));
    // On this one-thread runtime the loop sets its gauges in the turn that starts the
    // polls, before any of them runs: once a request arrives, they are set.
    tokio::time::timeout(HANG, server.wait_for_request("h0.xml"))
        .await
        .expect("the first source was polled");
    let text = metrics.render(
        &[],
        &feedbraid::metrics::NodeState {
            node: "test".into(),
            leases: 0,
        },
    );
    let gauge = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("feedbraid_{name} ")))
            .and_then(|v| v.parse::<i64>().ok())
    };
    assert_eq!(gauge("polls_running"), Some(width as i64), "{text}");
    assert_eq!(gauge("polls_queued"), Some(8), "{text}");
    stop.send(true).unwrap();
    for name in &names {
        server.release(&format!("{name}.xml"));
    }
    looping.await.unwrap().unwrap();
}
