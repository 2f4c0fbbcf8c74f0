//! Scenarios that run feedbraid's real poller against the farm: `ingest` (N feeds ×
//! M items into a new database, against the bare feed-rs + ammonia floor over the
//! same bytes), `store` (the same items written by the store alone) and `notmod` (a
//! cycle in which every source answers 304).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use feedbraid::config::Config;
use feedbraid::fetch::{Fetcher, FetcherOptions};
use feedbraid::poll::{PollContext, PollOutcome, PollReport, poll_sources};
use feedbraid::store::PollRecord;

use super::news_feeds::{self, FarmShape};
use super::procfs::{bytes_written, cpu_seconds, mib, reset_peak, status_kb, thread_cpu_seconds};
use super::servers::{self, ChildServer};

/// `ingest --onto`: the new items go into a copy of the database of 1,000 sources ×
/// 1,000 items that `idle` keeps in `cache` (what a month of polling leaves), at
/// `db`. Its sources are renamed so that the farm's are new to it.
async fn onto_stored_database(cache: &Path, db: &Path) {
    assert!(
        super::nodes::postgres_server().is_none(),
        "ingest --onto stores into a SQLite file; unset FEEDBRAID_BENCH_PG"
    );
    let stored = super::daemon::stored_database(1000, 1000, cache).await;
    std::fs::copy(&stored, db).expect("copy the stored database");
    let conn = rusqlite::Connection::open(db).expect("open the copy");
    conn.execute("UPDATE sources SET name = 'stored-' || name", [])
        .expect("rename the stored sources");
    println!("  onto a copy of {} (1,000,000 items)", stored.display());
}

/// Writes a config with one source per farm outlet, one feed over all of them and
/// one topic feed (so ingest also sorts every item by topic, as in production); it
/// admits about a tenth of the farm's items, as a topic feed would. Sources share
/// host names `per_host` at a time (source i on outlet i / per_host's host).
pub fn write_farm_config(
    dir: &Path,
    feeds: usize,
    per_host: usize,
    port: u16,
    fetch: &str,
) -> std::path::PathBuf {
    let storage = super::nodes::storage_table();
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://feeds.test\"\n\n\
         {storage}\n\
         [fetch]\nallow_private_networks = true\ntimeout = \"60s\"\n{fetch}\n\n\
         [[feed]]\nname = \"world\"\ntitle = \"World\"\ndescription = \"Every outlet\"\n\n\
         [[feed]]\nname = \"gulf\"\ntitle = \"Gulf\"\ndescription = \"Topic\"\n\
         query = 'title:tehran AND NOT category:sport'\n\n"
    );
    for i in 0..feeds {
        text.push_str(&format!(
            "[[source]]\nname = \"outlet{i}\"\nurl = \"http://{}:{port}/feed{i}.xml\"\n",
            news_feeds::feed_host(i / per_host.max(1))
        ));
    }
    let path = dir.join("feedbraid.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Writes the farm's documents to `dir` as `feedN.xml`, for a server on 127.0.0.1:`port`
/// that answers every loopback address, with `urls.txt` (one host per feed:
/// 127.0.x.y, which any client reaches without pinning names) and `feedbraid.toml`
/// polling those URLs as `farm ingest` does.
pub fn write_corpus(shape: FarmShape, dir: &Path, port: u16) {
    std::fs::create_dir_all(dir).expect("corpus dir");
    let mut urls = String::new();
    for feed in 0..shape.feeds {
        std::fs::write(
            dir.join(format!("feed{feed}.xml")),
            news_feeds::rss_document(shape, feed),
        )
        .expect("write feed");
        let host = format!("127.0.{}.{}", feed / 200, 1 + feed % 200);
        urls.push_str(&format!("http://{host}:{port}/feed{feed}.xml\n"));
    }
    std::fs::write(dir.join("urls.txt"), &urls).expect("write urls");
    let config = write_farm_config(dir, 0, 1, port, "");
    let mut text = std::fs::read_to_string(&config).expect("config");
    for (i, url) in urls.lines().enumerate() {
        text.push_str(&format!(
            "[[source]]\nname = \"outlet{i}\"\nurl = \"{url}\"\n"
        ));
    }
    std::fs::write(&config, text).expect("write config");
    println!(
        "{} feeds of {} items in {}",
        shape.feeds,
        shape.items,
        dir.display()
    );
}

/// The fetcher the daemon would build, with every outlet's host pinned to the farm.
pub fn farm_fetcher(config: &Config, feeds: usize, farm: &ChildServer) -> Fetcher {
    let options = FetcherOptions {
        pinned_hosts: (0..feeds)
            .map(|i| (news_feeds::feed_host(i), farm.addr()))
            .collect(),
        ..FetcherOptions::default()
    };
    Fetcher::with_options(&config.fetch, options).expect("fetcher")
}

#[derive(Default, Debug)]
pub struct Tally {
    stored: usize,
    not_modified: usize,
    failed: usize,
    new: usize,
    merged: usize,
    first_error: Option<String>,
}

pub fn tally(reports: &[PollReport]) -> Tally {
    let mut t = Tally::default();
    for report in reports {
        match &report.outcome {
            PollOutcome::Stored(s) => {
                t.stored += 1;
                t.new += s.new;
                t.merged += s.merged;
            }
            PollOutcome::NotModified => t.not_modified += 1,
            PollOutcome::Failed { error, .. } => {
                t.failed += 1;
                t.first_error
                    .get_or_insert_with(|| format!("{}: {error}", report.source));
            }
            PollOutcome::Skipped(_) => t.failed += 1,
        }
    }
    t
}

/// `ingest`: a cold cycle over the farm into a new database, a second cycle of 304s,
/// then the floor (feed-rs + ammonia) and feedbraid's parse alone over the same bytes.
pub async fn ingest(shape: FarmShape, with_floor: bool, onto: Option<&Path>) {
    let farm = servers::spawn_self(&farm_args(shape, false));
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(cache) = onto {
        onto_stored_database(cache, &dir.path().join("feedbraid.db")).await;
    }
    let config = Arc::new(
        Config::load(&write_farm_config(
            dir.path(),
            shape.feeds,
            1,
            farm.port,
            "",
        ))
        .expect("valid config"),
    );
    let store = feedbraid::app::open_store(&config).await.expect("store");
    let ctx = PollContext::new(farm_fetcher(&config, shape.feeds, &farm), store.clone());
    reset_peak();
    let (cpu, farm_cpu) = (cpu_seconds(None), cpu_seconds(Some(farm.pid())));
    let store_cpu = thread_cpu_seconds("feedbraid-store");
    let written = bytes_written();
    let started = Instant::now();
    let reports = poll_sources(&ctx, &config, &config.sources)
        .await
        .expect("store ok");
    let cold = started.elapsed().as_secs_f64();
    let cold_written = bytes_written() - written;
    let cold_cpu = cpu_seconds(None) - cpu;
    let cold_farm_cpu = cpu_seconds(Some(farm.pid())) - farm_cpu;
    let cold_store_cpu = thread_cpu_seconds("feedbraid-store") - store_cpu;
    let per_item_us = |seconds: f64| seconds * 1e6 / (shape.feeds * shape.items) as f64;
    println!(
        "  CPU per item: {:.1} us in feedbraid, of which {:.1} us on the store thread ({:.2} s busy of {cold:.2} s)",
        per_item_us(cold_cpu),
        per_item_us(cold_store_cpu),
        cold_store_cpu
    );
    println!(
        "  written: {:.0} MB ({:.1} KB per item: the WAL's frames and the checkpoints' pages)",
        cold_written as f64 / 1e6,
        cold_written as f64 / 1e3 / (shape.feeds * shape.items) as f64
    );
    let peak = status_kb(None, "VmHWM");
    let cold_tally = tally(&reports);
    let started = Instant::now();
    let warm_tally = tally(
        &poll_sources(&ctx, &config, &config.sources)
            .await
            .expect("store ok"),
    );
    let warm = started.elapsed().as_secs_f64();
    let db_bytes = store.size_bytes().await.unwrap_or(0);
    if config.storage.url.is_none() && onto.is_none() {
        let disk = super::disk::disk_cost(&store, &config, &dir.path().join("feedbraid.db")).await;
        println!(
            "  disk: {:.0} bytes of database per stored item ({} items) for {:.0} bytes of text served = {:.2}x (target <= 1.0)",
            disk.database_per_item,
            disk.items,
            disk.served_per_item,
            disk.ratio()
        );
    }
    let topical = store
        .feed_page(
            "gulf",
            None,
            shape.feeds * shape.items,
            feedbraid::store::Html::Without,
        )
        .await
        .map_or(0, |page| page.items.len());
    drop((ctx, store));
    drop(farm);
    // (Onto a stored database the topic feed holds stored items too.)
    if onto.is_none() {
        println!(
            "  the topic feed admitted {topical} of {} items",
            shape.feeds * shape.items
        );
    }
    if !with_floor {
        println!(
            "ingest: {cold:.2} s cold ({:.0} items/s), {warm:.3} s all-304; {cold_tally:?}",
            (shape.feeds * shape.items) as f64 / cold
        );
        return;
    }

    let docs: Vec<Vec<u8>> = (0..shape.feeds)
        .map(|f| news_feeds::rss_document(shape, f))
        .collect();
    let bytes: usize = docs.iter().map(Vec::len).sum();
    let items = (shape.feeds * shape.items) as f64;
    let floor_1 = timed(|| floor_over(&docs, 1));
    let floor_2 = timed(|| floor_over(&docs, 2));
    let parse_2 = timed(|| feedbraid_parse_over(&docs, 2));

    println!(
        "scenario ingest: {} feeds x {} items, {:.1} MB of RSS, {}% wire copies",
        shape.feeds,
        shape.items,
        bytes as f64 / 1e6,
        shape.syndicated_percent
    );
    println!(
        "  cold cycle: {cold:.2} s = {:.0} items/s ({:.1} MB/s); CPU {cold_cpu:.2} s in feedbraid ({:.2} cores), {cold_farm_cpu:.2} s in the farm server",
        items / cold,
        bytes as f64 / 1e6 / cold,
        cold_cpu / cold
    );
    println!("    outcomes: {cold_tally:?}");
    println!(
        "    peak RSS of the poller during the cycle: {:.1} MiB; database {:.1} MB",
        mib(peak),
        db_bytes as f64 / 1e6
    );
    println!("  second cycle (all 304): {warm:.3} s; outcomes: {warm_tally:?}");
    println!(
        "  floor feed-rs+ammonia, 1 thread : {floor_1:.2} s = {:.0} items/s",
        items / floor_1
    );
    println!(
        "  floor feed-rs+ammonia, 2 threads: {floor_2:.2} s = {:.0} items/s",
        items / floor_2
    );
    println!(
        "  feedbraid::parse::parse_feed, 2 threads: {parse_2:.2} s = {:.0} items/s",
        items / parse_2
    );
    println!(
        "  RATIO ingest (both cores) / floor(1 thread) = {:.2} (target >= 0.5); ingest / floor(2 threads) = {:.2}; parse-only / floor(2 threads) = {:.2}",
        floor_1 / cold,
        floor_2 / cold,
        floor_2 / parse_2
    );
}

/// `floor --dir DIR`: the floor alone (feed-rs, then ammonia, one thread) over the
/// feed documents (`*.xml`) in `dir` and its folders, three times; prints the median.
/// Beside `feedbraid poll` over the same files (`scripts/vs_reader.sh`, or the
/// real-news snapshots), ingest as the issue measures it: process start to exit,
/// against the floor's rate on one thread.
pub fn floor_of_files(dir: &Path) {
    let mut paths = Vec::new();
    feed_files(dir, &mut paths);
    paths.sort();
    let docs: Vec<Vec<u8>> = paths
        .iter()
        .map(|path| std::fs::read(path).expect("a corpus file"))
        .collect();
    let items: usize = docs
        .iter()
        .map(|doc| feed_rs::parser::parse(&doc[..]).map_or(0, |feed| feed.entries.len()))
        .sum();
    let mut runs: Vec<f64> = (0..3).map(|_| timed(|| floor_over(&docs, 1))).collect();
    runs.sort_by(f64::total_cmp);
    let median = runs[1];
    println!(
        "floor feed-rs+ammonia, 1 thread: {} documents, {items} items: {median:.3} s (median of 3) = {:.0} items/s",
        docs.len(),
        items as f64 / median
    );
}

/// The `*.xml` files under `dir`, into `paths`.
fn feed_files(dir: &Path, paths: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the corpus folder") {
        let path = entry.expect("a corpus folder entry").path();
        if path.is_dir() {
            feed_files(&path, paths);
        } else if path.extension().is_some_and(|ext| ext == "xml") {
            paths.push(path);
        }
    }
}

/// The store alone: the farm's documents are parsed first (as the daemon parses them,
/// topic words included), then every outlet's poll is written at once into a new
/// database, so writes group as under load. Reports the store thread's CPU per item:
/// store changes compare here without parsing's noise.
pub async fn store_only(shape: FarmShape) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Arc::new(
        Config::load(&write_farm_config(dir.path(), shape.feeds, 1, 1, "")).expect("valid config"),
    );
    let store = feedbraid::app::open_store(&config).await.expect("store");
    let url = url::Url::parse("http://f0.farm.test/feed.xml").expect("static URL");
    let parsed: Vec<_> = config
        .sources
        .iter()
        .enumerate()
        .map(|(f, source)| {
            let recipe = feedbraid::membership::WordsRecipe::of(&config, source);
            let doc = news_feeds::rss_document(shape, f);
            feedbraid::parse::parse_feed_for(&doc, &url, None, recipe.as_ref()).expect("parses")
        })
        .collect();
    let store_cpu = thread_cpu_seconds("feedbraid-store");
    let started = Instant::now();
    let now = chrono::Utc::now();
    let writes = config.sources.iter().zip(parsed).map(|(source, feed)| {
        let record = PollRecord {
            at: now,
            http_status: 200,
            etag: None,
            last_modified: None,
            feed: Some(feed),
            next_poll: now,
            redirect_target: None,
            redirect_seen: 0,
            adopt_url: None,
            full_text: false,
        };
        let store = store.clone();
        async move { store.record_poll(&source.name, record).await }
    });
    let summaries = futures_util::future::join_all(writes).await;
    let wall = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds("feedbraid-store") - store_cpu;
    let new: usize = summaries
        .iter()
        .map(|s| s.as_ref().expect("stored").new)
        .sum();
    let items = (shape.feeds * shape.items) as f64;
    println!(
        "store only: {new} new items in {wall:.2} s; store thread {:.1} us/item ({cpu:.2} s)",
        cpu * 1e6 / items
    );
}

fn timed(f: impl FnOnce()) -> f64 {
    let started = Instant::now();
    f();
    started.elapsed().as_secs_f64()
}

fn split_over(docs: &[Vec<u8>], threads: usize, work: impl Fn(&[u8]) + Sync) {
    std::thread::scope(|scope| {
        for t in 0..threads {
            let work = &work;
            scope.spawn(move || {
                for doc in docs.iter().skip(t).step_by(threads) {
                    work(doc);
                }
            });
        }
    });
}

/// The floor: feed-rs, then ammonia over every summary and content.
fn floor_over(docs: &[Vec<u8>], threads: usize) {
    split_over(docs, threads, |doc| {
        // A document feed-rs refuses (a real one, not the farm's) costs its attempt.
        let Ok(feed) = feed_rs::parser::parse(doc) else {
            return;
        };
        for entry in &feed.entries {
            if let Some(summary) = &entry.summary {
                std::hint::black_box(ammonia::clean(&summary.content));
            }
            if let Some(body) = entry.content.as_ref().and_then(|c| c.body.as_deref()) {
                std::hint::black_box(ammonia::clean(body));
            }
        }
    });
}

fn feedbraid_parse_over(docs: &[Vec<u8>], threads: usize) {
    let url = url::Url::parse("http://f0.farm.test/feed.xml").expect("static URL");
    split_over(docs, threads, |doc| {
        std::hint::black_box(feedbraid::parse::parse_feed(doc, &url).expect("parses"));
    });
}

/// The farm server's arguments for `shape` (`lazy`: documents made when asked).
pub fn farm_args(shape: FarmShape, lazy: bool) -> Vec<String> {
    let mut args = vec![
        "serve-farm".to_string(),
        "--feeds".into(),
        shape.feeds.to_string(),
        "--items".into(),
        shape.items.to_string(),
        "--syndicated".into(),
        shape.syndicated_percent.to_string(),
    ];
    if lazy {
        args.push("--lazy".into());
    }
    if shape.weight == news_feeds::ItemWeight::Light {
        args.push("--light".into());
    }
    args
}
