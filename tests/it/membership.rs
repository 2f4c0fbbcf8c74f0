//! Feed membership is decided at ingest and refilled, from the stored items, for a
//! feed whose definition changes (a reload); unchanged feeds are left alone.

use std::sync::Arc;

use crate::common::{FeedServer, Harness, fixture, write_config};
use feedbraid::config::Config;
use feedbraid::membership::FeedSet;
use feedbraid::model::PreparedWords;

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
async fn a_changed_feed_is_refilled_from_stored_items() {
    let (dir, _server, sources, h) = harbor_polled_with(
        "[[feed]]\nname = \"topic\"\ninclude = [\"Iran\"]\n\n[[feed]]\nname = \"all\"\n",
    )
    .await;
    let store = &h.ctx.store;
    assert_eq!(
        titles(
            &store
                .feed_page("topic", None, 50, feedbraid::store::Html::Without)
                .await
                .unwrap()
        ),
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
        sync.refilled,
        ["topic"],
        "only the changed feed is refilled"
    );
    assert_eq!(
        titles(
            &store
                .feed_page("topic", None, 50, feedbraid::store::Html::Without)
                .await
                .unwrap()
        ),
        [
            "China and Vietnam sign rail trade agreement",
            "Pakistan beat England in rain-hit cricket Test"
        ]
    );
    assert!(
        store
            .feed_page("all", None, 50, feedbraid::store::Html::Without)
            .await
            .unwrap()
            .items
            .is_empty(),
        "a feed that takes every item keeps no rows"
    );

    // Setting the same feeds again changes nothing.
    let again = store
        .set_feeds(Arc::new(FeedSet::from_config(&config)))
        .await
        .unwrap();
    assert!(again.refilled.is_empty() && again.removed == 0);
}

/// Every fixture document (feeds, hostile, stories), with its path.
fn fixture_documents() -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let dirs = [
        "tests/fixtures/feeds",
        "tests/fixtures/hostile",
        "tests/fixtures/stories",
    ];
    let mut documents = Vec::new();
    for dir in dirs {
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                documents.push((path, bytes));
            }
        }
    }
    documents
}

/// New rows store no plain text: it is derived from the stored (sanitized) summary and
/// content when read. For every fixture entry, that must be the text ingest matched.
#[test]
fn text_derived_from_stored_html_is_the_text_matched_at_ingest() {
    // Also: the topic words prepared while parsing are the ones the store would prepare.
    let url = url::Url::parse("https://news.example.com/feed.xml").unwrap();
    let mut checked = 0;
    for (path, bytes) in fixture_documents() {
        let Ok(feed) = feedbraid::parse::parse_feed(&bytes, &url) else {
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
        let recipe = feedbraid::membership::WordsRecipe {
            source: "harbor".into(),
            tags: vec!["world".into()],
            screen: None,
            filters: 0,
        };
        let with_words =
            feedbraid::parse::parse_feed_for(&bytes, &url, None, Some(&recipe)).unwrap();
        for entry in &with_words.entries {
            let item = feedbraid::membership::Candidate::of_entry("harbor", entry);
            let expected =
                PreparedWords::Prepared(feedbraid::membership::prepare_words(&item, &recipe.tags));
            assert_eq!(
                entry.prepared_words.as_ref(),
                Some(&expected),
                "{}: {}",
                path.display(),
                entry.title
            );
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
        .recent_items(None, None, 1000, feedbraid::store::Html::With)
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
    assert_eq!(first.refilled, ["topic"]);
    assert!(
        store
            .feed_page("topic", None, 50, feedbraid::store::Html::Without)
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
    assert_eq!(second.refilled, ["topic"], "unfinished, so changed again");
    assert_eq!(store.refill_feeds_by(&first, 2).await.unwrap(), 0);
    assert_eq!(store.refill_feeds_by(&second, 2).await.unwrap(), stored);
    assert_eq!(
        titles(
            &store
                .feed_page("topic", None, 50, feedbraid::store::Html::Without)
                .await
                .unwrap()
        ),
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
    assert!(again.refilled.is_empty());
}

/// Parsing rules an entry out (no words prepared) only when no topic filter admits
/// it: for every fixture entry, the feeds it is sorted into are those the store would
/// find by preparing its words itself.
#[test]
fn entries_ruled_out_while_parsing_are_admitted_by_no_topic_filter() {
    let text = "[[source]]\nname = \"harbor\"\nurl = \"https://news.example.com/feed.xml\"\n\
                tags = [\"world\"]\n\n\
                [[feed]]\nname = \"all\"\n\n\
                [[feed]]\nname = \"gulf\"\nquery = 'title:tehran AND NOT category:sport'\n\n\
                [[feed]]\nname = \"trade\"\nquery = '(china OR beijing) AND (trade OR tariff*)'\n\n\
                [[feed]]\nname = \"climate\"\ninclude = [\"climate\", \"\\\"carbon tax\\\"\"]\n\n\
                [[feed]]\nname = \"people\"\nquery = 'author:smith OR category:politics OR econom*'\n";
    let config = Config::from_toml(std::path::Path::new("/tmp/screen.toml"), text).unwrap();
    let feeds = FeedSet::from_config(&config);
    let recipe = feedbraid::membership::WordsRecipe::of(&config, &config.sources[0]).unwrap();
    assert!(recipe.screen.is_some(), "every filter here can be screened");
    let url = url::Url::parse("https://news.example.com/feed.xml").unwrap();
    let (mut ruled_out, mut prepared, mut admitted) = (0, 0, 0);
    for (path, bytes) in fixture_documents() {
        let Ok(feed) = feedbraid::parse::parse_feed_for(&bytes, &url, None, Some(&recipe)) else {
            continue;
        };
        for entry in &feed.entries {
            let item = feedbraid::membership::Candidate::of_entry("harbor", entry);
            let sorted = feeds.feeds_for(&item, entry.prepared_words.as_ref(), None);
            let reference = feeds.feeds_for(&item, None, None);
            assert_eq!(sorted, reference, "{}: {}", path.display(), entry.title);
            match entry.prepared_words {
                Some(PreparedWords::RuledOut { .. }) => ruled_out += 1,
                Some(PreparedWords::Prepared(_)) => prepared += 1,
                None => panic!("{}: no words seen to", path.display()),
            }
            // "all" takes every item and keeps no rows: only topics are named.
            admitted += usize::from(!reference.is_empty());
        }
    }
    assert!(
        ruled_out > 50 && prepared > 5 && admitted > 5,
        "ruled out {ruled_out}, prepared {prepared}, admitted by a topic {admitted}"
    );
}

/// A screen is trusted only by the filters it was built from: after a reload changes
/// them, an entry ruled out under the old ones is matched afresh.
#[test]
fn a_screen_from_other_filters_is_not_trusted() {
    let config = |query: &str| {
        let text = format!(
            "[[source]]\nname = \"harbor\"\nurl = \"https://news.example.com/feed.xml\"\n\n\
             [[feed]]\nname = \"topic\"\nquery = '{query}'\n"
        );
        Config::from_toml(std::path::Path::new("/tmp/screen.toml"), &text).unwrap()
    };
    let (before, after) = (config("iran"), config("weather"));
    let recipe = feedbraid::membership::WordsRecipe::of(&before, &before.sources[0]).unwrap();
    let rss = b"<rss version=\"2.0\"><channel><title>T</title><item><title>Weather in Oslo</title>\
                <link>https://news.example.com/w</link></item></channel></rss>";
    let url = url::Url::parse("https://news.example.com/feed.xml").unwrap();
    let parsed = feedbraid::parse::parse_feed_for(rss, &url, None, Some(&recipe)).unwrap();
    let entry = &parsed.entries[0];
    assert!(matches!(
        entry.prepared_words,
        Some(PreparedWords::RuledOut { .. })
    ));
    let item = feedbraid::membership::Candidate {
        source: "harbor",
        title: &entry.title,
        text: &entry.text,
        ..Default::default()
    };
    let words = entry.prepared_words.as_ref();
    assert!(
        FeedSet::from_config(&before)
            .feeds_for(&item, words, None)
            .is_empty()
    );
    assert_eq!(
        FeedSet::from_config(&after).feeds_for(&item, words, None),
        ["topic"]
    );
}
