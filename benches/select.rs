//! Selecting a feed's items from 1,000,000 stored items (issue 6: < 20 ms): the
//! publisher's `build` (membership index read, story copies, assembly) for a feed of
//! everything, a 1% topic, a 0.01% topic and a tag feed with `dedup = "keep"`.
//!
//! `cargo bench --bench select -- --measurement-time 5 --warm-up-time 1`
//! The 1M-item database is built once (a few minutes) and kept in the target folder.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use feedbraid::config::Config;
use feedbraid::membership::FeedSet;
use feedbraid::model::{Entry, ParsedFeed};
use feedbraid::publish::Publisher;
use feedbraid::store::{PollRecord, Store};

const SOURCES: usize = 1000;
const PER_SOURCE: usize = 1000;

const PLACES: [&str; 10] = [
    "Geneva", "Lagos", "Jakarta", "Lima", "Oslo", "Dhaka", "Accra", "Quito", "Riga", "Hanoi",
];
const TOPICS: [&str; 10] = [
    "port strike",
    "grain exports",
    "rail deal",
    "budget vote",
    "flood warning",
    "bond sale",
    "power cuts",
    "wage talks",
    "ferry routes",
    "chip plant",
];

fn config(dir: &Path) -> Config {
    let mut text = format!(
        "[storage]\npath = \"{}\"\n\n",
        dir.join("select-1m.db").display()
    );
    for s in 0..SOURCES {
        let tags = if s % 10 == 0 { "[\"asia\"]" } else { "[]" };
        text.push_str(&format!(
            "[[source]]\nname = \"s{s}\"\nurl = \"https://s{s}.example/rss\"\ntags = {tags}\n\n"
        ));
    }
    text.push_str(
        "[[feed]]\nname = \"latest\"\n\n\
         [[feed]]\nname = \"iran\"\ninclude = [\"iran\"]\n\n\
         [[feed]]\nname = \"rare\"\nquery = 'title:kazakhstan AND NOT category:sport'\n\n\
         [[feed]]\nname = \"asia\"\ntags = [\"asia\"]\ndedup = \"keep\"\n",
    );
    Config::from_toml(&dir.join("feedbraid.toml"), &text).unwrap()
}

/// Item `i` of source `s`: 1% mention Iran, 0.01% Kazakhstan.
fn entry(s: usize, i: usize) -> Entry {
    let n = s * PER_SOURCE + i;
    let place = if n % 10_000 == 7 {
        "Kazakhstan"
    } else if n % 100 == 3 {
        "Iran"
    } else {
        PLACES[n % PLACES.len()]
    };
    let title = format!(
        "{place}: {} enters day {} as officials meet, report {n}",
        TOPICS[(n / 10) % 10],
        n % 97
    );
    let text = format!(
        "Officials in {place} said on day {} that the {} would continue; item {n} of source {s}.",
        n % 89,
        TOPICS[(n / 7) % 10]
    );
    let link = format!("https://s{s}.example/news/{n}");
    Entry {
        key: format!("g:{link}"),
        guid: Some(link.clone()),
        canonical_link: Some(link.clone()),
        link: Some(link),
        title,
        summary_html: Some(format!("<p>{text}</p>")),
        text,
        categories: vec![if n % 5 == 0 {
            "Sport".into()
        } else {
            "World".into()
        }],
        published: Some(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(n as i64),
        ),
        content_hash: format!("{n:x}"),
        ..Entry::default()
    }
}

/// The store holding 1M items, filled on first use.
fn store(rt: &tokio::runtime::Runtime, config: &Config) -> Store {
    let path = config.storage.path.clone();
    let fresh = !path.exists();
    let store = Store::open(&path).unwrap();
    rt.block_on(async {
        let rows = config
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.url.to_string()))
            .collect();
        store.sync_sources(rows).await.unwrap();
        store
            .set_feeds(Arc::new(FeedSet::from_config(config)))
            .await
            .unwrap();
        if fresh {
            let started = Instant::now();
            for s in 0..SOURCES {
                let feed = ParsedFeed {
                    entries: (0..PER_SOURCE).map(|i| entry(s, i)).collect(),
                    ..ParsedFeed::default()
                };
                let at = Utc::now();
                let record = PollRecord {
                    at,
                    http_status: 200,
                    etag: None,
                    last_modified: None,
                    feed: Some(feed),
                    next_poll: at,
                    redirect_target: None,
                    redirect_seen: 0,
                    adopt_url: None,
                };
                store.record_poll(&format!("s{s}"), record).await.unwrap();
            }
            eprintln!(
                "filled {} items in {:.1} s",
                SOURCES * PER_SOURCE,
                started.elapsed().as_secs_f64()
            );
        }
    });
    store
}

fn bench(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let config = config(&dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = store(&rt, &config);
    let publisher = Publisher::new(store);
    let mut group = c.benchmark_group("select from 1M items");
    for name in ["latest", "iran", "rare", "asia"] {
        let feed = config.feed(name).unwrap();
        let items = rt
            .block_on(publisher.build(&config, feed))
            .unwrap()
            .items
            .len();
        eprintln!("feed {name}: {items} items");
        group.bench_function(name, |b| {
            b.iter(|| black_box(rt.block_on(publisher.build(&config, feed)).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
