//! Feed membership is decided at ingest and recomputed, from the stored items, for a
//! feed whose definition changes (a reload); unchanged feeds are left alone.

mod common;

use std::sync::Arc;

use common::{FeedServer, Harness, fixture, write_config};
use feedbraid::config::Config;
use feedbraid::membership::FeedSet;

fn titles(page: &feedbraid::store::ItemPage) -> Vec<&str> {
    page.items.iter().map(|i| i.title.as_str()).collect()
}

/// One source, `harbor`, serving the rss2 fixture, with `feeds`; polled once. Returns
/// the config's folder, the server, the `[[source]]` text (to write another config
/// with) and the harness.
async fn harbor_polled_with(feeds: &str) -> (tempfile::TempDir, FeedServer, String, Harness) {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    let sources = format!(
        "[[source]]\nname = \"harbor\"\nurl = \"{}\"\n\n",
        server.url("harbor.xml")
    );
    let config = write_config(dir.path(), &format!("{sources}{feeds}"));
    let h = Harness::start(&config).await;
    h.poll().await;
    (dir, server, sources, h)
}

#[tokio::test]
async fn a_changed_feed_is_recomputed_from_stored_items() {
    let (dir, _server, sources, h) = harbor_polled_with(
        "[[feed]]\nname = \"topic\"\ninclude = [\"Iran\"]\n\n[[feed]]\nname = \"all\"\n",
    )
    .await;
    let store = &h.ctx.store;
    assert_eq!(
        titles(&store.feed_page("topic", None, 50).await.unwrap()),
        ["Iran and EU resume nuclear talks in Geneva"]
    );

    let after = write_config(
        dir.path(),
        &format!(
            "{sources}[[feed]]\nname = \"topic\"\nquery = 'category:trade OR cricket'\n\n[[feed]]\nname = \"all\"\n"
        ),
    );
    let config = Config::load(&after).unwrap();
    let sync = store
        .set_feeds(Arc::new(FeedSet::from_config(&config)))
        .await
        .unwrap();
    assert_eq!(
        sync.recomputed,
        ["topic"],
        "only the changed feed is recomputed"
    );
    assert_eq!(
        titles(&store.feed_page("topic", None, 50).await.unwrap()),
        [
            "China and Vietnam sign rail trade agreement",
            "Pakistan beat England in rain-hit cricket Test"
        ]
    );
    assert_eq!(
        store.feed_page("all", None, 50).await.unwrap().items.len(),
        5
    );

    // Setting the same feeds again changes nothing.
    let again = store
        .set_feeds(Arc::new(FeedSet::from_config(&config)))
        .await
        .unwrap();
    assert!(again.recomputed.is_empty() && again.removed == 0);
}

/// New rows store no plain text: it is derived from the stored (sanitized) summary and
/// content when read. For every fixture entry, that must be the text ingest matched.
#[test]
fn text_derived_from_stored_html_is_the_text_matched_at_ingest() {
    // Also: the topic words prepared while parsing are the ones the store would prepare.
    let url = url::Url::parse("https://news.example.com/feed.xml").unwrap();
    let mut checked = 0;
    for dir in [
        "tests/fixtures/feeds",
        "tests/fixtures/hostile",
        "tests/fixtures/stories",
    ] {
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            if !path.is_file() {
                continue;
            }
            let Ok(feed) = feedbraid::parse::parse_feed(&std::fs::read(&path).unwrap(), &url)
            else {
                continue;
            };
            for entry in &feed.entries {
                let derived = feedbraid::membership::stored_plain_text(
                    entry.summary_html.as_deref(),
                    entry.content_html.as_deref(),
                );
                assert_eq!(derived, entry.text, "{}: {}", path.display(), entry.title);
                checked += 1;
            }
            // Words prepared while parsing (sharing the fingerprint's) are the words
            // the store would prepare from the entry's text.
            let origin = feedbraid::membership::WordsFor {
                source: "harbor".into(),
                tags: vec!["world".into()],
            };
            let bytes = std::fs::read(&path).unwrap();
            let with_words = feedbraid::parse::parse_feed_for(&bytes, &url, Some(&origin)).unwrap();
            for entry in &with_words.entries {
                let item = feedbraid::membership::ItemText {
                    source: "harbor",
                    title: &entry.title,
                    text: &entry.text,
                    categories: &entry.categories,
                    author: entry.author.as_deref(),
                    link: entry.link.as_deref(),
                };
                let expected = feedbraid::membership::prepare_words(&item, &origin.tags);
                assert_eq!(
                    entry.topic_words.as_ref(),
                    Some(&expected),
                    "{}: {}",
                    path.display(),
                    entry.title
                );
            }
        }
    }
    assert!(checked > 50, "only {checked} entries checked");
}

/// At start and on reload the daemon takes new feed definitions at once and refills a
/// changed feed in the background, a chunk at a time; a newer definition supersedes
/// an unfinished refill, and a refill that never finished is redone at the next start.
#[tokio::test]
async fn a_changed_feed_is_refilled_in_chunks_and_a_newer_change_supersedes_it() {
    let (dir, _server, sources, h) =
        harbor_polled_with("[[feed]]\nname = \"topic\"\ninclude = [\"Iran\"]\n").await;
    let store = &h.ctx.store;
    let stored = store
        .recent_items(None, None, 1000)
        .await
        .unwrap()
        .items
        .len();
    assert!(stored > 2, "the fixture has several items");

    let after = Config::load(&write_config(
        dir.path(),
        &format!("{sources}[[feed]]\nname = \"topic\"\nquery = 'category:trade OR cricket'\n"),
    ))
    .unwrap();
    let first = store
        .begin_feeds(Arc::new(FeedSet::from_config(&after)))
        .await
        .unwrap();
    assert_eq!(first.recomputed, ["topic"]);
    assert!(
        store
            .feed_page("topic", None, 50)
            .await
            .unwrap()
            .items
            .is_empty(),
        "a changed feed is emptied until it is refilled"
    );
    // A reload before the refill ran: the older refill stops, the newer one fills.
    let second = store
        .begin_feeds(Arc::new(FeedSet::from_config(&after)))
        .await
        .unwrap();
    assert_eq!(second.recomputed, ["topic"], "unfinished, so changed again");
    assert_eq!(store.recompute_feeds_by(&first, 2).await.unwrap(), 0);
    assert_eq!(store.recompute_feeds_by(&second, 2).await.unwrap(), stored);
    assert_eq!(
        titles(&store.feed_page("topic", None, 50).await.unwrap()),
        [
            "China and Vietnam sign rail trade agreement",
            "Pakistan beat England in rain-hit cricket Test"
        ]
    );
    // Finished: the next start has nothing to redo.
    let again = store
        .begin_feeds(Arc::new(FeedSet::from_config(&after)))
        .await
        .unwrap();
    assert!(again.recomputed.is_empty());
}
