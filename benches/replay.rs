//! Story clustering on real news: replays the real-news corpus
//! (`../shared/corpus/realnews-syndicated.tar.xz`, 50 outlets over five days) through
//! parsing and the store, as polls at the snapshots' own times, then scores the
//! stories against pairs labelled by reading both items
//! (`tests/fixtures/stories/realnews-pairs.tsv`; how they were sampled is in its
//! header).
//!
//! Also clusters synthetic copies of the corpus's real articles (`support/edited.rs`:
//! 10, 15 and 20 % of words edited, headlines reworded, some cut to a summary).
//!
//! `cargo bench --bench replay` (add `-- --misses` to list the labelled pairs it gets
//! wrong). Skips with a message when the corpus is absent.

#[path = "support/disk.rs"]
mod disk;
#[path = "support/edited.rs"]
mod edited;
#[path = "../tests/it/support/replay.rs"]
mod replay;
#[path = "../tests/it/support/shared_corpus.rs"]
mod shared_corpus;

// The daemon's allocator: the replay runs the product's parsing and store here.
feedbraid::product_allocator!();

fn main() {
    let show_misses = std::env::args().any(|a| a == "--misses");
    let labels = replay::labelled_pairs().expect("read the labelled pairs");
    let started = std::time::Instant::now();
    let Some(unpacked) = replay::unpacked_corpus() else {
        return;
    };
    let outcome = replay::replay(unpacked.path()).expect("replay the corpus");
    println!(
        "replay: {}; {:.1} s",
        outcome.summary(),
        started.elapsed().as_secs_f64()
    );
    let unreadable = outcome.unreadable_fingerprints();
    if unreadable > 0 {
        println!("  {unreadable} items stored without a readable fingerprint");
    }
    for split in [Some(replay::Split::Tune), Some(replay::Split::Held), None] {
        let score = replay::score(&outcome, &labels, split);
        println!("{score}");
    }
    print_disk_cost(&outcome);
    for outlet in [
        "reuters_official_msn",
        "bloomberg_markets",
        "jagonews",
        "cna_latest",
    ] {
        let articles = edited::articles(unpacked.path(), outlet);
        for edit_rate in [0.10, 0.15, 0.20] {
            let seed = (edit_rate * 100.0) as u64;
            let s = edited::score(&articles, seed, edit_rate, 0.0);
            println!(
                "EDITED copies of {} articles of {outlet}, {:.0} % of words edited, seed {seed}: precision {:.4}, recall {:.4} ({} true pairs, {} predicted)",
                articles.len(),
                edit_rate * 100.0,
                s.precision,
                s.recall,
                s.true_pairs,
                s.predicted_pairs
            );
        }
    }
    let articles = edited::articles(unpacked.path(), "reuters_official_msn");
    for seed in [4, 5] {
        let s = edited::score(&articles, seed, 0.15, 0.3);
        println!(
            "EDITED copies of {} articles of reuters_official_msn, 15 % of words edited, 30 % under a headline of their own, seed {seed}: precision {:.4}, recall {:.4} ({} true pairs, {} predicted)",
            articles.len(),
            s.precision,
            s.recall,
            s.true_pairs,
            s.predicted_pairs
        );
    }
    if std::env::args().any(|a| a == "--evidence") {
        for line in evidence(&outcome, &labels) {
            println!("EVIDENCE\t{line}");
        }
    }
    if std::env::args().any(|a| a == "--dump") {
        for (id, copy) in &outcome.items {
            let layer = copy.layer.as_deref().unwrap_or("-");
            println!("ITEM\t{id}\t{}\t{}\t{layer}", copy.item, copy.story);
        }
    }
    if show_misses {
        for line in replay::misses(&outcome, &labels) {
            println!("{line}");
        }
    }
}

/// The database the replay wrote against the text its items serve: real news, where
/// the farm's figures are on generated text.
fn print_disk_cost(outcome: &replay::Outcome) {
    let path = outcome.database.path().join("replay.db");
    let config = feedbraid::config::Config::from_toml(
        std::path::Path::new("replay.toml"),
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://feeds.test\"\n\
         [storage]\npath = \"replay.db\"\n\
         [[feed]]\nname = \"all\"\ntitle = \"All\"\n\
         [[source]]\nname = \"any\"\nurl = \"http://any.test/feed\"\n",
    )
    .expect("a valid config");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cost = runtime.block_on(async {
        let store = feedbraid::store::Store::open_with(&path, Default::default()).expect("store");
        disk::disk_cost(&store, &config, &path).await
    });
    println!(
        "disk on real news: {:.0} bytes of database per stored item ({} items) for {:.0} bytes of text served = {:.2}x (target <= 1.0)",
        cost.database_per_item,
        cost.items,
        cost.served_per_item,
        cost.ratio()
    );
}

/// One line per labelled pair with what the clustering layers see of it: label,
/// split, title similarity, whether title figures differ, text score, hours apart,
/// whether joined (tab-separated, for studying thresholds).
fn evidence(outcome: &replay::Outcome, labels: &[replay::LabelledPair]) -> Vec<String> {
    use feedbraid::cluster::Fingerprint;
    use feedbraid::cluster::index::similarity_score;
    let mut lines = Vec::new();
    for pair in labels {
        let (Some(a), Some(b)) = (outcome.items.get(&pair.a), outcome.items.get(&pair.b)) else {
            continue;
        };
        let fp = |c: &replay::StoredCopy| {
            c.fingerprint
                .as_deref()
                .and_then(|bytes| Fingerprint::from_bytes(bytes).ok())
        };
        let (Some(fa), Some(fb)) = (fp(a), fp(b)) else {
            continue;
        };
        let text = similarity_score(fa.similarity(&fb), fa.shingles, fb.shingles);
        lines.push(format!(
            "{:?}\t{:?}\t{:.3}\t{}\t{:.3}\t{}\t{}\t{:.1}\t{}\t{}\t{}",
            pair.label,
            pair.split,
            fa.title.similarity(&fb.title),
            fa.title.figures_differ(&fb.title),
            text,
            fa.shingles,
            fb.shingles,
            (a.first_seen - b.first_seen).abs() as f64 / 3600.0,
            a.story == b.story,
            a.title,
            b.title
        ));
    }
    lines
}
