//! Retention: pruned items leave tombstones and never come back as new, `max_items`
//! bounds a source, and over a long simulated run the database stops growing.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use feedbraid::model::ParsedFeed;
use feedbraid::store::{PollRecord, PrunePolicy, Store};

use crate::common::backends::{TestDb, each_backend};

const DAY: i64 = 24 * 3600;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 6, 0, 0).unwrap()
}

/// A document with items `first..first + n` of one outlet.
fn doc(first: usize, n: usize) -> ParsedFeed {
    let mut text = crate::common::generated_rss("harbor", first + n);
    // Keep only the window of items [first, first + n): cut the earlier ones out.
    let start = text.find("<item>").unwrap();
    let mut kept = String::new();
    for (i, item) in text[start..].split("</item>").enumerate() {
        if i >= first && i < first + n {
            kept.push_str(item);
            kept.push_str("</item>");
        }
    }
    text.replace_range(start.., &format!("{kept}</channel></rss>"));
    let url = url::Url::parse("https://harbor.example/rss.xml").unwrap();
    feedbraid::parse::parse_feed(text.as_bytes(), &url).unwrap()
}

async fn store(db: &TestDb) -> Store {
    let store = db.open();
    store
        .sync_sources(vec![(
            "harbor".into(),
            "https://harbor.example/rss.xml".into(),
        )])
        .await
        .unwrap();
    store
}

async fn ingest(
    store: &Store,
    at: DateTime<Utc>,
    feed: ParsedFeed,
) -> feedbraid::store::IngestSummary {
    let record = PollRecord {
        at,
        http_status: 200,
        etag: None,
        last_modified: None,
        feed: Some(feed),
        next_poll: at + chrono::Duration::hours(1),
        redirect_target: None,
        redirect_seen: 0,
        adopt_url: None,
        full_text: false,
    };
    store.record_poll("harbor", record).await.unwrap()
}

fn policy(now: DateTime<Utc>, max_items: Option<usize>) -> PrunePolicy {
    PrunePolicy {
        now,
        retention: Duration::from_secs(7 * DAY as u64),
        tombstone_ttl: Duration::from_secs(28 * DAY as u64),
        max_items: max_items
            .map(|n| vec![("harbor".to_string(), n)])
            .unwrap_or_default(),
    }
}

each_backend! {
async fn pruned_items_never_come_back_as_new(db: TestDb) {
    let store = store(&db).await;
    assert_eq!(ingest(&store, t0(), doc(0, 20)).await.new, 20);
    let later = t0() + chrono::Duration::days(8);
    let pruned = store.prune(policy(later, None)).await.unwrap();
    assert_eq!(pruned.items, 20);
    // The source still carries them: they are remembered, not new.
    let again = ingest(&store, later, doc(0, 20)).await;
    assert_eq!((again.new, again.tombstoned), (0, 20));
    assert_eq!(
        store.source_states(vec!["harbor".into()]).await.unwrap()[0].items,
        0
    );
}
}

each_backend! {
async fn max_items_keeps_the_newest(db: TestDb) {
    let store = store(&db).await;
    ingest(&store, t0(), doc(0, 50)).await;
    let pruned = store.prune(policy(t0(), Some(30))).await.unwrap();
    assert_eq!(pruned.items, 20);
    let page = store.recent_items(None, None, 100, feedbraid::store::Html::With).await.unwrap();
    assert_eq!(page.items.len(), 30);
    assert!(
        page.items
            .iter()
            .all(|i| i.date >= page.items.last().unwrap().date)
    );
    assert_eq!(ingest(&store, t0(), doc(0, 50)).await.new, 0);
}
}

/// SQLite's file only: a server's database size follows its own vacuuming.
#[tokio::test]
async fn a_long_run_levels_off_in_size() {
    let db = TestDb::sqlite();
    let store = store(&db).await;
    let mut sizes = Vec::new();
    // 80 simulated days, 40 new items a day, a week of retention, four weeks of tombstones.
    for day in 0..80usize {
        let now = t0() + chrono::Duration::days(day as i64);
        ingest(&store, now, doc(day * 40, 60)).await;
        store.prune(policy(now, None)).await.unwrap();
        store.checkpoint().await.unwrap();
        sizes.push(store.size_bytes().await.unwrap());
    }
    // Tombstones stop growing after four weeks; from then on the file is flat.
    let settled = sizes[45];
    let last = *sizes.last().unwrap();
    assert!(
        last <= settled + settled / 20,
        "size kept growing: {sizes:?}"
    );
    assert!(
        sizes[5] < settled,
        "the test should see growth first: {sizes:?}"
    );
}

each_backend! {
async fn a_long_prune_runs_in_chunks_that_let_other_store_calls_through(db: TestDb) {
    // Forty full chunks and a partial one: long enough that, however the test's task
    // and the prune's are scheduled, the ping below arrives before the last chunk.
    const ITEMS: usize = 405;
    let store = store(&db).await;
    ingest(&store, t0(), doc(0, ITEMS)).await;
    let later = t0() + chrono::Duration::days(8);
    let pruning = tokio::spawn({
        let store = store.clone();
        async move { store.prune_in_chunks(policy(later, Some(5)), 10).await }
    });
    // Once the prune has sent its first chunk, a ping waits behind one chunk, not all.
    while store.activity().is_none() && !pruning.is_finished() {
        tokio::task::yield_now().await;
    }
    store.ping().await.unwrap();
    let activity = store.activity().expect("the prune says what it is doing");
    let so_far: usize = activity
        .strip_prefix("pruning: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{activity}"));
    assert!(so_far < ITEMS, "the ping was answered mid-prune: {activity}");

    let summary = pruning.await.unwrap().unwrap();
    assert_eq!(summary.items, ITEMS, "every chunk, and the last partial one");
    assert_eq!(store.activity(), None, "nothing long going on any more");
    let again = ingest(&store, later, doc(0, ITEMS)).await;
    assert_eq!(
        (again.new, again.tombstoned),
        (0, ITEMS),
        "each chunk left its tombstones"
    );
}
}
