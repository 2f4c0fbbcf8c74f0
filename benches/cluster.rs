//! Story clustering benchmarks: ingest with 1,000,000 items in the dedup
//! window, the index's memory, and the time to rebuild it from 1,000,000 stored
//! fingerprints; also prints pairwise precision/recall on generated corpora.
//!
//! `CARGO_TARGET_DIR=… cargo bench --bench cluster -- --measurement-time 5 --warm-up-time 1`
//! (filling the window takes a while: 1M items are generated and fingerprinted once).

#[path = "../tests/it/support/syndicated.rs"]
mod syndicated;
#[path = "../tests/it/support/vocabulary.rs"]
mod vocabulary;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use feedbraid::cluster::{Fingerprint, Settings, StoryIndex};

const WINDOW_ITEMS: usize = 1_000_000;
/// Items arrive four a second: 1M items span 69 hours, inside the 72h window.
const ITEMS_PER_SECOND: i64 = 4;
const T0: i64 = 1_760_000_000;

/// One stored item: what the store would read back to rebuild the index.
struct Stored {
    item: i64,
    story: i64,
    source: i64,
    at: i64,
    fingerprint: [u8; feedbraid::cluster::fingerprint::FINGERPRINT_BYTES],
}

/// `count` items from generated corpora (fresh seeds from `first_seed`), numbered
/// from `first_item`, stamped in arrival order.
fn stored_items(count: usize, first_item: i64, first_seed: u64) -> Vec<Stored> {
    let mut out = Vec::with_capacity(count);
    let mut seed = first_seed;
    while out.len() < count {
        let config = syndicated::CorpusConfig {
            seed,
            first_story: seed * 10_000,
            ..Default::default()
        };
        for item in syndicated::generate(&config) {
            if out.len() == count {
                break;
            }
            let n = first_item + out.len() as i64;
            out.push(Stored {
                item: n,
                story: item.story as i64,
                source: item.source,
                at: T0 + n / ITEMS_PER_SECOND,
                fingerprint: Fingerprint::of(&item.title, &item.text).to_bytes(),
            });
        }
        seed += 1;
    }
    out
}

/// The index rebuilt from stored fingerprints, as the store does at start: loaded,
/// then evicted as of the newest item (headlines beyond the title layer's reach).
fn rebuild(stored: &[Stored]) -> StoryIndex {
    let mut index = StoryIndex::new(Settings::default());
    for s in stored {
        if let Ok(fp) = Fingerprint::from_bytes(&s.fingerprint) {
            index.insert(s.item, s.story, s.source, s.at, &fp);
        }
    }
    let newest = stored.last().map_or(T0, |s| s.at);
    index.evict_older_than(index.settings().window_start(newest));
    index
}

fn print_quality() {
    let hard = syndicated::CorpusConfig {
        verbatim_share: 0.0,
        truncated_share: 0.35,
        own_title_share: 0.3,
        ..Default::default()
    };
    for (name, config) in [
        ("default", syndicated::CorpusConfig::default()),
        ("hard", hard),
    ] {
        let items = syndicated::generate(&config);
        let clustering = syndicated::cluster(&items, Settings::default());
        let truth: Vec<u64> = items.iter().map(|i| i.story).collect();
        let s = syndicated::pairwise(&truth, &clustering.stories);
        println!(
            "quality {name}: {} items, precision {:.4}, recall {:.4} ({} true pairs, {} predicted); by layer {:?}",
            items.len(),
            s.precision,
            s.recall,
            s.true_pairs,
            s.predicted_pairs,
            clustering.by_layer
        );
    }
}

fn benches(c: &mut Criterion) {
    print_quality();

    let started = Instant::now();
    let stored = stored_items(WINDOW_ITEMS, 1, 1);
    println!(
        "generated and fingerprinted {WINDOW_ITEMS} items in {:.1?}",
        started.elapsed()
    );

    let mut best = Duration::MAX;
    let mut index = StoryIndex::new(Settings::default());
    for _ in 0..3 {
        let started = Instant::now();
        index = rebuild(&stored);
        best = best.min(started.elapsed());
    }
    println!(
        "rebuild from {WINDOW_ITEMS} stored fingerprints: {best:.2?} (best of 3); {} indexed",
        index.len()
    );
    print_memory("index memory with", &index);
    drop(stored);

    let arrivals = stored_items(50_000, WINDOW_ITEMS as i64 + 1, 100_000);
    let arrivals: Vec<(Stored, Fingerprint)> = arrivals
        .into_iter()
        .filter_map(|s| {
            Fingerprint::from_bytes(&s.fingerprint)
                .ok()
                .map(|fp| (s, fp))
        })
        .collect();
    let mut probe = 0usize;
    c.bench_function("find_story alone, 1M in window", |b| {
        b.iter(|| {
            let (arrival, fp) = &arrivals[probe % arrivals.len()];
            probe += 1;
            let at = T0 + (WINDOW_ITEMS as i64) / ITEMS_PER_SECOND;
            black_box(index.find_story(black_box(fp), arrival.source, at))
        })
    });

    let window = index.settings().window_secs as i64;
    let mut next = 0usize;
    let mut next_item = WINDOW_ITEMS as i64 + 1;
    c.bench_function("ingest: evict + find_story + insert, 1M in window", |b| {
        b.iter(|| {
            let (arrival, fp) = &arrivals[next % arrivals.len()];
            let at = T0 + next_item / ITEMS_PER_SECOND;
            index.evict_older_than(at - window);
            let found = index.find_story(black_box(fp), arrival.source, at);
            let story = found.map_or(next_item, |m| m.story);
            index.insert(next_item, story, arrival.source, at, fp);
            next += 1;
            next_item += 1;
        })
    });
    print_memory("index after ingest:", &index);

    let sample = syndicated::generate(&syndicated::CorpusConfig::default());
    let mut n = 0usize;
    c.bench_function("Fingerprint::of (title + 40-150 word text)", |b| {
        b.iter(|| {
            let item = &sample[n % sample.len()];
            n += 1;
            black_box(Fingerprint::of(&item.title, &item.text))
        })
    });
}

criterion_group! {
    name = cluster;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(cluster);

/// Prints the index's memory, in all and per indexed item.
fn print_memory(label: &str, index: &StoryIndex) {
    let memory = index.memory_bytes();
    println!(
        "{label} {} items, {:.1} MiB ({} bytes per item)",
        index.len(),
        memory as f64 / (1024.0 * 1024.0),
        memory / index.len().max(1)
    );
}
