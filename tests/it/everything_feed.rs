//! A feed that takes every item (no topic filter, every source) keeps no membership
//! rows: it is served from the items themselves, exactly as a feed with rows would be
//! (newest first, story copies collapsed or kept); a reload that gives it a filter
//! fills its rows, one that takes the filter away leaves rows nobody reads, and those
//! are dropped in chunks.

use std::path::Path;
use std::sync::Arc;

use crate::common::{
    FeedServer, Harness, five_outlets, generated_rss, outlet_sources, write_config,
};
use feedbraid::config::Config;
use feedbraid::membership::FeedSet;
use feedbraid::publish::Publisher;

/// The membership rows `feed` holds in the database at `db`.
fn rows(db: &Path, feed: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM feed_items WHERE feed = ?1",
            [feed],
            |r| r.get(0),
        )
        .unwrap()
}

/// The five fixture outlets and a sixth with 40 generated items (so selecting a feed
/// reads more than one page), polled once.
async fn six_outlets_polled_with(feeds: &str) -> (tempfile::TempDir, FeedServer, String, Harness) {
    let dir = tempfile::tempdir().unwrap();
    let server = five_outlets().await;
    server.set("bulk.xml", generated_rss("bulk", 40).into_bytes());
    let sources = format!(
        "{}[[source]]\nname = \"bulk\"\nurl = \"{}\"\n\n",
        outlet_sources(&server, &[]),
        server.url("bulk.xml")
    );
    let h = Harness::start(&write_config(dir.path(), &format!("{sources}{feeds}"))).await;
    h.poll().await;
    (dir, server, sources, h)
}

/// Each feed that takes every item beside its twin, whose filter excludes a word no
/// item carries: the twin admits the same items but keeps rows.
const TWINS: &str = "\
[[feed]]\nname = \"all\"\nlimit = 1000\n\n\
[[feed]]\nname = \"all-rows\"\nlimit = 1000\nexclude = [\"zyzzyva\"]\n\n\
[[feed]]\nname = \"latest\"\nlimit = 30\n\n\
[[feed]]\nname = \"latest-rows\"\nlimit = 30\nexclude = [\"zyzzyva\"]\n\n\
[[feed]]\nname = \"copies\"\nlimit = 1000\ndedup = \"keep\"\n\n\
[[feed]]\nname = \"copies-rows\"\nlimit = 1000\ndedup = \"keep\"\nexclude = [\"zyzzyva\"]\n\n\
[[feed]]\nname = \"topic\"\ninclude = [\"Iran\"]\n";

#[tokio::test]
async fn a_feed_of_every_item_is_served_from_the_items_and_keeps_no_rows() {
    let (_dir, _server, _sources, h) = six_outlets_polled_with(TWINS).await;
    let db = &h.config.storage.path;
    let stored = h
        .ctx
        .store
        .recent_items(None, None, 10_000, feedbraid::store::Html::With)
        .await
        .unwrap();
    let stored = stored.items;
    let stories: std::collections::HashSet<i64> = stored.iter().map(|i| i.story).collect();
    assert!(stored.len() > 40, "{} items stored", stored.len());
    assert!(
        stories.len() < stored.len(),
        "the wire copy joins its story"
    );

    for (every, twin) in [
        ("all", "all-rows"),
        ("latest", "latest-rows"),
        ("copies", "copies-rows"),
    ] {
        assert_eq!(rows(db, every), 0, "{every} keeps no rows");
        assert!(rows(db, twin) > 0, "{twin} keeps rows");
        let (served, reference) = (h.json_feed(every).await, h.json_feed(twin).await);
        assert_eq!(
            served["items"], reference["items"],
            "{every} is served as {twin}"
        );
    }
    assert!(rows(db, "topic") > 0);

    // Every item, newest first; collapsed, one per story.
    let copies = h.json_feed("copies").await;
    let copies = copies["items"].as_array().unwrap();
    assert_eq!(copies.len(), stored.len());
    let dates: Vec<&str> = copies
        .iter()
        .map(|i| i["date_published"].as_str().unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );
    let all = h.json_feed("all").await;
    assert_eq!(all["items"].as_array().unwrap().len(), stories.len());
    let latest = h.json_feed("latest").await;
    assert_eq!(latest["items"].as_array().unwrap().len(), 30);
}

/// Turning the feed into a filtered one fills its rows; turning it back leaves rows
/// nobody reads, which are dropped a chunk at a time (a newer definition supersedes an
/// unfinished drop).
#[tokio::test]
async fn a_reload_to_and_from_every_item_fills_and_drops_rows() {
    let every = "[[feed]]\nname = \"all\"\nlimit = 1000\n\n[[feed]]\nname = \"topic\"\ninclude = [\"Iran\"]\n";
    let (dir, _server, sources, h) = six_outlets_polled_with(every).await;
    let store = &h.ctx.store;
    let db = h.config.storage.path.clone();
    let publisher = Publisher::new(store.clone());
    let config_of = |feeds: &str| {
        Config::load(&write_config(dir.path(), &format!("{sources}{feeds}"))).unwrap()
    };
    let titles_of = async |config: &Config| -> Vec<String> {
        let feed = config.feeds.iter().find(|f| f.name == "all").unwrap();
        let output = publisher.build(config, feed).await.unwrap();
        output.items.iter().map(|i| i.title.clone()).collect()
    };
    let everything = config_of(every);
    let before = titles_of(&everything).await;
    assert!(before.len() > 40);
    assert_eq!(rows(&db, "all"), 0);

    // A filter: the feed is refilled from the stored items.
    let filtered = config_of(
        "[[feed]]\nname = \"all\"\nlimit = 1000\ninclude = [\"Iran\"]\n\n\
         [[feed]]\nname = \"topic\"\ninclude = [\"Iran\"]\n",
    );
    let sync = store
        .set_feeds(Arc::new(FeedSet::from_config(&filtered)))
        .await
        .unwrap();
    assert_eq!(sync.refilled, ["all"]);
    assert!(sync.leftover.is_empty());
    assert_eq!(rows(&db, "all"), rows(&db, "topic"));
    assert!(rows(&db, "all") > 0);
    let iran = titles_of(&filtered).await;
    assert!(!iran.is_empty() && iran.len() < before.len());
    assert!(iran.iter().all(|t| t.contains("Iran")), "{iran:?}");

    // Back to every item: nothing to recompute, its rows are left over.
    let back = store
        .set_feeds(Arc::new(FeedSet::from_config(&everything)))
        .await
        .unwrap();
    assert!(back.refilled.is_empty());
    assert_eq!(back.leftover, ["all"]);
    assert_eq!(
        titles_of(&everything).await,
        before,
        "served from the items"
    );
    let left = usize::try_from(rows(&db, "all")).unwrap();

    // A newer begin supersedes the drop; the newer one finds the same rows.
    let again = store
        .begin_feeds(Arc::new(FeedSet::from_config(&everything)))
        .await
        .unwrap();
    assert!(
        again.refilled.is_empty(),
        "its signature was written at once"
    );
    assert_eq!(again.leftover, ["all"]);
    assert_eq!(store.drop_leftover_rows_by(&back, 2).await.unwrap(), 0);
    assert_eq!(store.drop_leftover_rows_by(&again, 2).await.unwrap(), left);
    assert_eq!(rows(&db, "all"), 0);
    assert!(rows(&db, "topic") > 0, "other feeds keep their rows");
    let done = store
        .begin_feeds(Arc::new(FeedSet::from_config(&everything)))
        .await
        .unwrap();
    assert!(done.refilled.is_empty() && done.leftover.is_empty());
    assert_eq!(titles_of(&everything).await, before);
}

/// A database written before: the feed of every item holds a row per item. Start
/// finds them (without deleting them: that would delay it) for the drop to take.
#[tokio::test]
async fn rows_an_older_version_kept_are_found_at_start_and_dropped() {
    let every = "[[feed]]\nname = \"all\"\n";
    let (_dir, _server, _sources, h) = six_outlets_polled_with(every).await;
    let db = h.config.storage.path.clone();
    let written = rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "INSERT INTO feed_items (feed, item_id, story_id, sort_date)
             SELECT 'all', id, story_id, sort_date FROM items",
            [],
        )
        .unwrap();
    assert!(written > 40);
    let sync = h
        .ctx
        .store
        .begin_feeds(Arc::new(FeedSet::from_config(&h.config)))
        .await
        .unwrap();
    assert!(sync.refilled.is_empty());
    assert_eq!(sync.leftover, ["all"]);
    assert_eq!(rows(&db, "all"), i64::try_from(written).unwrap());
    assert_eq!(
        h.ctx.store.drop_leftover_rows_by(&sync, 7).await.unwrap(),
        written
    );
    assert_eq!(rows(&db, "all"), 0);
}
