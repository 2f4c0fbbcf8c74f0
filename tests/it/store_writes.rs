//! Writes of polls that reach the store together are committed together (group
//! commit); each still succeeds or fails on its own, and what was answered as stored
//! is on disk.

use crate::common::backends::{TestDb, each_backend};
use crate::common::fixture;
use chrono::Utc;
use feedbraid::store::{FailureRecord, PollRecord};

fn poll_record(feed: feedbraid::model::ParsedFeed) -> PollRecord {
    let now = Utc::now();
    PollRecord {
        at: now,
        http_status: 200,
        etag: Some("\"v1\"".into()),
        last_modified: None,
        feed: Some(feed),
        next_poll: now,
        redirect_target: None,
        redirect_seen: 0,
        adopt_url: None,
        full_text: false,
    }
}

/// A failed poll's record: for a source never stored, its write fails.
fn failure_record() -> FailureRecord {
    FailureRecord {
        at: Utc::now(),
        http_status: Some(500),
        error: "boom".into(),
        next_poll: None,
        gone_entry: None,
        retry_after_until: None,
    }
}

each_backend! {
async fn concurrent_writes_commit_together_and_a_failing_one_fails_alone(db: TestDb) {
    let url = url::Url::parse("https://harbor.example/feed.xml").unwrap();
    let feed = feedbraid::parse::parse_feed(&fixture("rss2.xml"), &url).unwrap();
    let per_source = feed.entries.len();
    assert!(per_source > 0);

    let store = db.open();
    store
        .sync_sources(
            (0..40)
                .map(|i| {
                    (
                        format!("outlet{i}"),
                        format!("https://o{i}.example/feed.xml"),
                    )
                })
                .collect(),
        )
        .await
        .unwrap();
    let polls = (0..40).map(|i| {
        let store = store.clone();
        let record = poll_record(feed.clone());
        async move { store.record_poll(&format!("outlet{i}"), record).await }
    });
    // A failure record for a source that was never stored: its UPDATE finds no row.
    // It joins the group of the polls queued before it, which is rolled back and
    // whose other members are written again, each alone.
    let failing = store.record_failure("never-stored", failure_record());
    let (stored, failed) = tokio::join!(futures_util::future::join_all(polls), failing);
    assert!(
        failed.is_err(),
        "a failure for an unknown source is an error"
    );
    for (i, summary) in stored.into_iter().enumerate() {
        let summary = summary.unwrap_or_else(|e| panic!("outlet{i}: {e}"));
        assert_eq!(summary.new, per_source, "outlet{i}");
    }
    drop(store);

    // What was answered as stored is in the database, read by a new store.
    let reopened = db.open();
    let page = reopened.recent_items(None, None, 10_000, feedbraid::store::Html::With).await.unwrap();
    assert_eq!(page.items.len(), 40 * per_source);
    // The group the failing write was in was rolled back and its other members
    // written again: every outlet's copy of an item still joined one story.
    let stories: std::collections::HashSet<i64> = page.items.iter().map(|i| i.story).collect();
    assert_eq!(stories.len(), per_source, "one story per item of the feed");
    let states = reopened
        .source_states((0..40).map(|i| format!("outlet{i}")).collect())
        .await
        .unwrap();
    assert_eq!(states.len(), 40);
    assert!(states.iter().all(|s| s.etag.as_deref() == Some("\"v1\"")));
}
}

each_backend! {
/// One poll's entries are looked up together; what an earlier entry of the poll does
/// must still be seen by a later one. Here the first entry is a stored item whose
/// guid changed (same link and content: it is re-keyed), and the second reuses the
/// old guid for another story: it must be a new item, not an edit of the first.
async fn an_entry_reusing_a_guid_another_entry_gave_up_is_a_new_item(db: TestDb) {
    let store = db.open();
    store
        .sync_sources(vec![(
            "harbor".into(),
            "https://harbor.example/feed.xml".into(),
        )])
        .await
        .unwrap();
    let url = url::Url::parse("https://harbor.example/feed.xml").unwrap();
    let item = |guid: &str, link: &str, title: &str| {
        format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><link>{link}</link>\
             <title>{title}</title><description>{title}, in full.</description></item>"
        )
    };
    let document = |items: &[String]| {
        let rss = format!(
            "<rss version=\"2.0\"><channel><title>Harbor</title>{}</channel></rss>",
            items.concat()
        );
        feedbraid::parse::parse_feed(rss.as_bytes(), &url).unwrap()
    };
    let first = document(&[item("a-1", "https://harbor.example/port", "Port reopens")]);
    let stored = store
        .record_poll("harbor", poll_record(first))
        .await
        .unwrap();
    assert_eq!(stored.new, 1);
    let second = document(&[
        item("b-2", "https://harbor.example/port", "Port reopens"),
        item("a-1", "https://harbor.example/ferry", "Ferry strike ends"),
    ]);
    let stored = store
        .record_poll("harbor", poll_record(second))
        .await
        .unwrap();
    assert_eq!((stored.new, stored.updated, stored.unchanged), (1, 0, 1));
    let page = store.recent_items(None, None, 10, feedbraid::store::Html::With).await.unwrap();
    let mut titles: Vec<&str> = page.items.iter().map(|i| i.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["Ferry strike ends", "Port reopens"]);
}
}

each_backend! {
/// Inspection opens the database beside a daemon: it reads what was written, never
/// creates a database or its tables, and refuses writes.
async fn a_read_only_store_reads_what_was_written_and_writes_nothing(db: TestDb) {
    assert!(matches!(
        db.open_read_only(),
        Err(feedbraid::store::StoreError::Missing { .. })
    ));
    let store = db.open();
    store
        .sync_sources(vec![("harbor".into(), "https://harbor.example/feed.xml".into())])
        .await
        .unwrap();
    let url = url::Url::parse("https://harbor.example/feed.xml").unwrap();
    let feed = feedbraid::parse::parse_feed(&fixture("rss2.xml"), &url).unwrap();
    let stored = store.record_poll("harbor", poll_record(feed)).await.unwrap();
    assert!(stored.new > 0);

    let looking = db.open_read_only().unwrap();
    let page = looking.recent_items(None, None, 100, feedbraid::store::Html::With).await.unwrap();
    assert_eq!(page.items.len(), stored.new);
    assert!(
        looking
            .sync_sources(vec![("ferry".into(), "https://ferry.example/feed.xml".into())])
            .await
            .is_err(),
        "read-only"
    );
}
}

/// A connection to PostgreSQL that is lost (the server restarted, the session was
/// ended) is opened again: the write and the read that meet the loss fail, as a poll
/// whose write fails is tried again at its next interval, and the next succeed
/// without a restart of the daemon.
#[tokio::test]
async fn a_lost_postgresql_connection_is_opened_again() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let TestDb::Postgres(pg) = &db else {
        unreachable!("TestDb::postgres opens PostgreSQL")
    };
    let store = db.open();
    store
        .sync_sources(vec![
            ("harbor".into(), "https://harbor.example/feed.xml".into()),
            ("ferry".into(), "https://ferry.example/feed.xml".into()),
        ])
        .await
        .unwrap();
    let url = url::Url::parse("https://harbor.example/feed.xml").unwrap();
    let feed = feedbraid::parse::parse_feed(&fixture("rss2.xml"), &url).unwrap();
    let before = store
        .record_poll("harbor", poll_record(feed.clone()))
        .await
        .unwrap();
    assert!(before.new > 0);

    // Every session on the database but this one ends, as at a server restart.
    pg.rows(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    let mut failed_writes = 0;
    let after = loop {
        match store.record_poll("ferry", poll_record(feed.clone())).await {
            Ok(stored) => break stored,
            Err(error) => {
                failed_writes += 1;
                assert!(failed_writes < 2, "written after a reconnection: {error}");
            }
        }
    };
    assert!(after.new > 0);
    let mut failed_reads = 0;
    let page = loop {
        match store
            .recent_items(None, None, 100, feedbraid::store::Html::With)
            .await
        {
            Ok(page) => break page,
            Err(error) => {
                failed_reads += 1;
                assert!(failed_reads < 2, "read after a reconnection: {error}");
            }
        }
    };
    assert_eq!(page.items.len(), before.new + after.new);
    let stored: Vec<Vec<Option<String>>> = pg.rows("SELECT count(*) FROM items");
    assert_eq!(
        stored[0][0].as_deref(),
        Some((before.new + after.new).to_string().as_str())
    );
}

/// On PostgreSQL a node's story index takes in the other nodes' new items at its next
/// write transaction. When that transaction is rolled back (a group with a failing
/// write in it), the index forgets them with the rest of the group's, so the next
/// transaction must take them in again: this node's copies still join the stories
/// the other node stored.
#[tokio::test]
async fn a_rolled_back_group_takes_in_another_nodes_items_again() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    // Each outlet's copies under links and guids of its own: only the story index
    // (by their text) can join them to the agency's, not a lookup by link.
    let copies_of = |outlet: &str| {
        let items: String = (0..3)
            .map(|n| {
                format!(
                    "<item><guid>{outlet}-{n}</guid><link>https://{outlet}.example/{n}</link>\
                     <title>Harbour report {n}: the council votes on the north quay</title>\
                     <description>The harbour council voted on plan {n} for the north quay \
                     after a long night of talks with the trawler crews, the ferry company \
                     and the residents of the old cannery streets, who asked for a budget \
                     that keeps the depot open through the winter tides.</description></item>"
                )
            })
            .collect();
        let rss =
            format!("<rss version=\"2.0\"><channel><title>{outlet}</title>{items}</channel></rss>");
        let url = url::Url::parse(&format!("https://{outlet}.example/feed.xml")).unwrap();
        feedbraid::parse::parse_feed(rss.as_bytes(), &url).unwrap()
    };
    let per_source = 3;
    let sources: Vec<(String, String)> = std::iter::once("agency".to_string())
        .chain((0..20).map(|i| format!("outlet{i}")))
        .map(|name| (name.clone(), format!("https://{name}.example/feed.xml")))
        .collect();
    let agency = db.open();
    agency.sync_sources(sources.clone()).await.unwrap();
    // Opened before the agency's items are stored: its index learns of them only
    // from its own next write transaction.
    let outlets = db.open();
    outlets.sync_sources(sources).await.unwrap();
    agency
        .record_poll("agency", poll_record(copies_of("agency")))
        .await
        .unwrap();

    // Queued together: the polls join the agency's items into the index, then the
    // failing write rolls the group back and each poll is written again alone.
    let polls = (0..20).map(|i| {
        let outlets = outlets.clone();
        let record = poll_record(copies_of(&format!("outlet{i}")));
        async move { outlets.record_poll(&format!("outlet{i}"), record).await }
    });
    let failing = outlets.record_failure("never-stored", failure_record());
    let (stored, failed) = tokio::join!(futures_util::future::join_all(polls), failing);
    assert!(failed.is_err());
    for summary in stored {
        assert_eq!(summary.unwrap().new, per_source);
    }

    let page = outlets
        .recent_items(None, None, 10_000, feedbraid::store::Html::With)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 21 * per_source);
    let stories: std::collections::HashSet<i64> = page.items.iter().map(|i| i.story).collect();
    assert_eq!(
        stories.len(),
        per_source,
        "every copy joined the agency's story"
    );
}
