//! The real `feedbraid run` binary on a prepared database: starting it, and the
//! `idle` scenario (RSS of a daemon with many sources and items); `serving` runs it
//! too (`support/serving.rs`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use feedbraid::model::{Entry, ParsedFeed};
use feedbraid::store::{PollRecord, Store};

use super::news_feeds::{self, FarmShape};
use super::procfs::{mib, status_kb};

/// A `feedbraid run` child, stopped with SIGTERM when dropped.
pub struct Daemon {
    pub child: Child,
    pub base: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        signal(self.child.id(), "TERM");
        let _ = self.child.wait();
    }
}

pub fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status();
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Writes the daemon's config: `sources` outlets (never due during the run) and feeds.
pub fn write_daemon_config(dir: &Path, db: &Path, sources: usize, port: u16) -> PathBuf {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n\n[storage]\npath = \"{}\"\nretention = \"3650d\"\n\n\
         [fetch]\ninterval = \"24h\"\n\n\
         [[feed]]\nname = \"world\"\ntitle = \"World\"\ndescription = \"Every outlet\"\n\n\
         [[feed]]\nname = \"gulf\"\ntitle = \"Gulf\"\ndescription = \"Topic\"\n\
         query = '(tehran OR ankara) AND NOT category:sport'\n\n",
        db.display()
    );
    for i in 0..sources {
        text.push_str(&format!(
            "[[source]]\nname = \"outlet{i}\"\nurl = \"https://{}/feed.xml\"\n",
            news_feeds::feed_host(i)
        ));
    }
    let path = dir.join("feedbraid.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

pub async fn start_daemon(config: &Path, port: u16) -> Daemon {
    start_daemon_within(config, port, Duration::from_secs(30)).await
}

/// [`start_daemon`], waiting up to `limit` for it to be healthy.
async fn start_daemon_within(config: &Path, port: u16, limit: Duration) -> Daemon {
    let child = Command::new(env!("CARGO_BIN_EXE_feedbraid"))
        .args(["run", "-c"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start feedbraid run");
    let daemon = Daemon {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if let Ok(r) = client.get(format!("{}/healthz", daemon.base)).send().await
            && r.status().is_success()
        {
            return daemon;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("feedbraid did not answer /healthz within {limit:?}");
}

/// Waits (up to 10 min) until the daemon's `/metrics` says no feed is being refilled.
async fn wait_for_refill(daemon: &Daemon) {
    let client = reqwest::Client::new();
    for _ in 0..6000 {
        let metrics = match client.get(format!("{}/metrics", daemon.base)).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if metrics.lines().any(|l| l == "feedbraid_feeds_refilling 0") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("feeds still refilling after 10 min");
}

/// Stores `feed` as a successful poll of `source`, due again only tomorrow.
pub async fn store_feed(store: &Store, source: &str, feed: ParsedFeed, at: chrono::DateTime<Utc>) {
    let record = PollRecord {
        at,
        http_status: 200,
        etag: None,
        last_modified: None,
        feed: Some(feed),
        next_poll: Utc::now() + chrono::Duration::days(1),
        redirect_target: None,
        redirect_seen: 0,
        adopt_url: None,
        full_text: false,
    };
    store.record_poll(source, record).await.expect("store");
}

pub async fn open(db: &Path, sources: usize) -> Store {
    let store = Store::open(db).expect("open store");
    let rows = (0..sources)
        .map(|i| {
            (
                format!("outlet{i}"),
                format!("https://{}/feed.xml", news_feeds::feed_host(i)),
            )
        })
        .collect();
    store.sync_sources(rows).await.expect("sources");
    store
}

/// A database of `sources` × `items` first seen over the last 30 days (sources
/// `outlet0`…), built once and kept in `cache_dir`: what a month of polling leaves.
pub async fn stored_database(sources: usize, items: usize, cache_dir: &Path) -> PathBuf {
    std::fs::create_dir_all(cache_dir).expect("cache dir");
    let cached = cache_dir.join(format!("idle-v2-{sources}x{items}.db"));
    if !cached.exists() {
        let started = Instant::now();
        let partial = cached.with_extension("partial.db");
        let _ = std::fs::remove_file(&partial);
        let store = open(&partial, sources).await;
        for s in 0..sources {
            // First seen over the last 30 days, as a month of polling would leave them:
            // only the last 72 h are in the story index's window.
            let spread = 30 * 86_400 * s as i64 / sources.max(1) as i64;
            store_feed(
                &store,
                &format!("outlet{s}"),
                synthetic_feed(s, items),
                Utc::now() - chrono::Duration::seconds(spread),
            )
            .await;
        }
        store.checkpoint().await.expect("checkpoint");
        drop(store);
        // The store thread folds the WAL in when its last handle goes; give it a moment.
        tokio::time::sleep(Duration::from_secs(2)).await;
        std::fs::rename(&partial, &cached).expect("keep the database");
        println!(
            "  built {} with {} items in {:.0} s",
            cached.display(),
            sources * items,
            started.elapsed().as_secs_f64()
        );
    }
    cached
}

/// `idle`: a database of `sources` × `items` (built once and kept in `cache_dir`),
/// then `feedbraid run` on it: RSS after start, after serving feeds.
pub async fn idle(sources: usize, items: usize, cache_dir: &Path) {
    let cached = stored_database(sources, items, cache_dir).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("feedbraid.db");
    std::fs::copy(&cached, &db).expect("copy database");
    let port = free_port();
    let config = write_daemon_config(dir.path(), &db, sources, port);
    // The first start on this database sorts its 1M items into the config's feeds
    // (a feed definition it has not seen); the idle daemon is the restart after it,
    // as in production, where that happens once per feed change.
    let first = Instant::now();
    let daemon = start_daemon_within(&config, port, Duration::from_secs(600)).await;
    let healthy = first.elapsed().as_secs_f64();
    wait_for_refill(&daemon).await;
    drop(daemon);
    println!(
        "  first start: healthy after {healthy:.2} s; the config's feeds filled (in the background) after {:.2} s",
        first.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let daemon = start_daemon(&config, port).await;
    let ready = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = daemon.child.id();
    let report = |when: &str| {
        println!(
            "  {when:44} RSS {:6.1} MiB  peak {:6.1} MiB",
            mib(status_kb(Some(pid), "VmRSS")),
            mib(status_kb(Some(pid), "VmHWM"))
        );
    };
    println!(
        "scenario idle: {sources} sources, {} stored items, database {:.0} MB; healthy after {ready:.2} s",
        sources * items,
        std::fs::metadata(&db).map_or(0, |m| m.len()) as f64 / 1e6
    );
    report("3 s after start");
    let client = reqwest::Client::new();
    for path in [
        "/feeds/world.json",
        "/feeds/world.rss",
        "/feeds/gulf.json",
        "/",
        "/metrics",
    ] {
        let t = Instant::now();
        let status = client
            .get(format!("{}{path}", daemon.base))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        println!(
            "  GET {path} -> {status} in {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        report(&format!("after GET {path}"));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    report("2 s later (target RSS < 50 MB)");
}

/// A source's `items` entries, built directly (no parsing): a fifth are wire copies
/// with links shared across sources, so stories merge as they would.
fn synthetic_feed(source: usize, items: usize) -> ParsedFeed {
    let shape = FarmShape {
        feeds: 1000,
        items: 50,
        syndicated_percent: 20,
        weight: news_feeds::ItemWeight::Heavy,
    };
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let entries = (0..items)
        .map(|i| {
            let news = news_feeds::news_item(shape, source, i % 50);
            let wire = i % 5 == 0;
            let link = if wire {
                format!(
                    "https://wire.example/story/{}",
                    (i * 31 + source / 10) % 200_000
                )
            } else {
                format!("https://outlet{source}.example/news/{i}")
            };
            let published = t0 - chrono::Duration::minutes((i * 7 + source) as i64);
            Entry {
                key: format!("g:outlet{source}-{i}"),
                guid: Some(format!("outlet{source}-{i}")),
                canonical_link: Some(link.clone()),
                link: Some(link),
                title: format!("{} {i}", news.title),
                summary_html: Some(news.description),
                content_html: None,
                authors: vec![news.author],
                categories: news.categories.iter().map(|c| c.as_str().into()).collect(),
                published: Some(published),
                updated: None,
                content_hash: format!("{source:08x}{i:08x}"),
                ..Entry::default()
            }
        })
        .collect();
    ParsedFeed {
        title: Some(format!("Outlet {source}")),
        site_link: Some(format!("https://outlet{source}.example/")),
        ttl_minutes: None,
        entries,
    }
}
