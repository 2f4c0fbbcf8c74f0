//! Story clustering on real news: the replay of the real-news corpus keeps the
//! floor BENCHMARKS.md reports (recall of same-report pairs, precision of merges),
//! measured against the labelled pairs. Skips with a message where the corpus is
//! absent (a fresh clone without `../shared`).

use crate::common::backends::TestDb;
use crate::support::replay;

#[test]
fn real_news_copies_join_and_different_news_stays_apart() {
    replayed_real_news_holds_its_floor(None);
}

/// The same replay stored on PostgreSQL: the same stories, whichever backend.
#[test]
fn real_news_copies_join_on_postgres_as_on_sqlite() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let TestDb::Postgres(pg) = &db else {
        unreachable!()
    };
    replayed_real_news_holds_its_floor(Some(&pg.url));
}

fn replayed_real_news_holds_its_floor(postgres: Option<&str>) {
    let Some(unpacked) = replay::unpacked_corpus() else {
        return;
    };
    let labels = replay::labelled_pairs().expect("labels");
    let outcome = match postgres {
        None => replay::replay(unpacked.path()),
        Some(url) => replay::replay_into(unpacked.path(), Some(url)),
    }
    .expect("replay");
    let all = replay::score(&outcome, &labels, None);
    let held = replay::score(&outcome, &labels, Some(replay::Split::Held));
    let misses = replay::misses(&outcome, &labels).join("\n");
    println!("{}\n{all}\n{held}", outcome.summary());
    assert_eq!(
        outcome.unreadable_fingerprints(),
        0,
        "every item is fingerprinted"
    );
    assert_eq!(all.merged_different, 0, "different news merged:\n{misses}");
    assert!(all.precision() >= 0.99, "{all}\n{misses}");
    assert!(all.recall() >= 0.95, "{all}\n{misses}");
    assert!(held.recall() >= 0.95, "{held}\n{misses}");
}
