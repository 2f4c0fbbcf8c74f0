//! Selecting a feed's items from 1,000,000 stored items (target < 20 ms): the
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
use feedbraid::cluster::Fingerprint;
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

/// A small deterministic generator (splitmix64), so the data is the same every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A pseudo-word from three of forty syllables (64,000 words): text made of them
/// shares no phrases by accident, as distinct news stories do.
fn word(x: u64) -> String {
    const SYL: [&str; 40] = [
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "da", "ve", "zu", "fa", "go", "hi", "ju",
        "ke", "la", "mo", "nu", "pe", "ro", "sa", "ti", "vo", "wa", "ye", "bo", "ci", "du", "el",
        "fi", "gu", "ha", "is", "ol", "ur", "an", "en", "in", "on",
    ];
    (0..3)
        .map(|k| SYL[((x >> (k * 8)) % 40) as usize])
        .collect()
}

fn words(seed: u64, n: usize) -> String {
    (0..n as u64)
        .map(|k| word(mix(seed ^ (k << 40))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Item `i` of source `s`: 1% mention Iran, 0.01% Kazakhstan; otherwise distinct text.
fn entry(s: usize, i: usize) -> Entry {
    let n = s * PER_SOURCE + i;
    let seed = mix(n as u64);
    let place = if n % 10_000 == 7 {
        "Kazakhstan"
    } else if n % 100 == 3 {
        "Iran"
    } else {
        PLACES[n % PLACES.len()]
    };
    let title = format!("{place} {} {}", TOPICS[n % 10], words(seed, 6));
    let text = format!("{} {place} {}", words(seed ^ 1, 20), words(seed ^ 2, 20));
    let link = format!("https://s{s}.example/news/{n}");
    Entry {
        key: format!("g:{link}"),
        guid: Some(link.clone()),
        canonical_link: Some(link.clone()),
        link: Some(link),
        fingerprint: Some(Fingerprint::of(&title, &text)),
        title,
        summary_html: Some(format!("<p>{text}</p>")),
        text,
        categories: vec![if n.is_multiple_of(5) {
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

/// One source's document, fingerprinted on two threads as parsing would be.
fn document(s: usize) -> ParsedFeed {
    let half = PER_SOURCE / 2;
    let (a, b) = std::thread::scope(|scope| {
        let first = scope.spawn(|| (0..half).map(|i| entry(s, i)).collect::<Vec<_>>());
        let second: Vec<Entry> = (half..PER_SOURCE).map(|i| entry(s, i)).collect();
        (first.join().unwrap(), second)
    });
    ParsedFeed {
        entries: a.into_iter().chain(b).collect(),
        ..ParsedFeed::default()
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
                let feed = document(s);
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
                    full_text: false,
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
