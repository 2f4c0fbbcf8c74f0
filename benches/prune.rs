//! Pruning after a long outage: a database of 1,000,000 items (≈600 bytes of HTML
//! each, every other one also in a filtered feed), half of them past retention, is
//! pruned by the store while another task pings the store every 20 ms, as the
//! watchdog and `/healthz` do. Reports how long the prune took and how long a ping
//! waited at most: the target is that no store call waits more than ~100 ms behind
//! maintenance.
//!
//! `cargo bench --bench prune` (add `-- --items N` for another size).

use std::time::{Duration, Instant};

use feedbraid::store::{PrunePolicy, Store};

const HTML: &str = "<p>Officials said on Tuesday that the talks would resume next week in \
    Geneva, after a pause of several months during which both sides had exchanged \
    proposals through intermediaries. The delegations are expected to discuss the \
    sequencing of sanctions relief and the verification measures that would accompany \
    it.</p><p>Analysts cautioned that the gap between the positions remained wide and \
    that a first round would mostly set the agenda for later meetings.</p>";

/// The span of first-seen times: twice the retention.
const SPAN_SECS: i64 = 60 * 86_400;

fn main() {
    let items: usize = std::env::args()
        .skip_while(|a| a != "--items")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("prune.db");
    let now = chrono::Utc::now();
    let started = Instant::now();
    fill(&path, items, now.timestamp());
    println!(
        "prune: {items} items written in {:.1} s ({:.0} MiB)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / (1 << 20) as f64
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = Store::open(&path).expect("open");
        let policy = PrunePolicy {
            now,
            retention: Duration::from_secs(30 * 86_400),
            tombstone_ttl: Duration::from_secs(365 * 86_400),
            max_items: Vec::new(),
        };
        let pinger = tokio::spawn({
            let store = store.clone();
            async move {
                let mut waits = Vec::new();
                let mut tick = tokio::time::interval(Duration::from_millis(20));
                loop {
                    tick.tick().await;
                    let asked = Instant::now();
                    if store.ping().await.is_err() {
                        break;
                    }
                    waits.push(asked.elapsed());
                    if store.activity().is_none() && waits.len() > 5 {
                        break;
                    }
                }
                waits
            }
        });
        let started = Instant::now();
        let summary = store.prune(policy).await.expect("prune");
        let took = started.elapsed();
        let in_order = pinger.await.expect("pinger");
        let slowest = in_order
            .iter()
            .enumerate()
            .max_by_key(|(_, wait)| **wait)
            .map_or(0, |(at, _)| at);
        println!(
            "prune: the longest wait was ping {} of {} (the first ones meet a cold cache)",
            slowest + 1,
            in_order.len()
        );
        let mut waits = in_order;
        waits.sort();
        let quantile = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize];
        println!(
            "prune: {} items removed in {:.1} s ({:.0} items/s); {} pings meanwhile, \
             waited p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target: max ≲ 100 ms)",
            summary.items,
            took.as_secs_f64(),
            summary.items as f64 / took.as_secs_f64(),
            waits.len(),
            quantile(0.5).as_secs_f64() * 1e3,
            quantile(0.99).as_secs_f64() * 1e3,
            waits.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
    });
}

/// Writes `items` items of one source, first seen evenly over the 60 days up to `now`
/// (so the older half are past 30 days' retention), every other one in the feed
/// "topic", straight through SQL: the store's own schema, without parsing.
fn fill(path: &std::path::Path, items: usize, now: i64) {
    drop(Store::open(path).expect("create the schema"));
    let mut db = rusqlite::Connection::open(path).expect("open");
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")
        .expect("pragmas");
    let tx = db.transaction().expect("transaction");
    tx.execute(
        "INSERT INTO sources (id, name, url) VALUES (1, 'wire', 'https://wire.example/rss')",
        [],
    )
    .expect("source");
    {
        let mut item = tx
            .prepare(
                "INSERT INTO items (id, source_id, item_key, public_id, story_id, link, title,
                    summary_html, sort_date, first_seen, updated, content_hash)
                 VALUES (?1, 1, ?2, ?3, ?1, ?4, ?5, ?6, ?7, ?7, ?7, ?8)",
            )
            .expect("prepare");
        let mut member = tx
            .prepare("INSERT INTO feed_items (feed, item_id, story_id, sort_date) VALUES ('topic', ?1, ?1, ?2)")
            .expect("prepare");
        for n in 0..items as i64 {
            let seen = now - (items as i64 - n) * SPAN_SECS / items as i64;
            item.execute(rusqlite::params![
                n + 1,
                format!("g:wire-{n}"),
                // Ids and hashes as the store keeps them: the bytes their hex spells.
                (n as u128).to_be_bytes().to_vec(),
                format!("https://wire.example/news/{n}"),
                format!("Talks to resume in Geneva, officials say ({n})"),
                HTML,
                seen,
                (n as u128).to_be_bytes().to_vec(),
            ])
            .expect("item");
            if n % 2 == 0 {
                member
                    .execute(rusqlite::params![n + 1, seen])
                    .expect("member");
            }
        }
    }
    tx.commit().expect("commit");
}
