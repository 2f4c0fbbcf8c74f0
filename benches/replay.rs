//! Story clustering on real news: replays the real-news corpus
//! (`../shared/corpus/realnews-syndicated.tar.xz`, 50 outlets over five days) through
//! parsing and the store, as polls at the snapshots' own times, then scores the
//! stories against pairs labelled by reading both items
//! (`tests/fixtures/stories/realnews-pairs.tsv`; how they were sampled is in its
//! header).
//!
//! `cargo bench --bench replay` (add `-- --misses` to list the labelled pairs it gets
//! wrong). Skips with a message when the corpus is absent.

#[path = "support/replay.rs"]
mod replay;

fn main() {
    let show_misses = std::env::args().any(|a| a == "--misses");
    let Some(corpus) = replay::corpus_archive() else {
        println!(
            "replay: skipped, no real-news corpus at {} (set FEEDBRAID_CORPUS to the folder holding it)",
            replay::CORPUS_HINT
        );
        return;
    };
    let labels = replay::labelled_pairs().expect("read the labelled pairs");
    let started = std::time::Instant::now();
    let outcome = replay::replay(&corpus).expect("replay the corpus");
    println!(
        "replay: {} snapshots, {} items stored, {} stories with copies from several sources, {:.1} s",
        outcome.snapshots,
        outcome.stored,
        outcome.multi_source_stories(),
        started.elapsed().as_secs_f64()
    );
    for (layer, count) in outcome.joins_by_layer() {
        println!("  joined by {layer}: {count}");
    }
    for split in [Some(replay::Split::Tune), Some(replay::Split::Held), None] {
        let score = replay::score(&outcome, &labels, split);
        println!("{score}");
    }
    if std::env::args().any(|a| a == "--evidence") {
        for line in replay::evidence(&outcome, &labels) {
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
