//! Full text: article pages written for the project (`tests/fixtures/articles`),
//! served on loopback, fetched for teaser-only sources after their items are stored;
//! what the article changes (content, topic feeds, stories), what a page without an
//! article leaves alone, retries, and politeness towards the pages' host.

use std::sync::Arc;
use std::time::Duration;

use crate::common::backends::{TestDb, each_backend};
use crate::common::script::{Reply, ScriptServer};
use crate::common::{Harness, fixture_at};
use feedbraid::articles::{self, ArticleCounts};
use feedbraid::model::StoredItem;

/// An article page of `tests/fixtures/articles`.
pub fn page(name: &str) -> String {
    String::from_utf8(fixture_at(&format!("articles/{name}"))).unwrap()
}

/// The paragraphs of a fixture page's `<article>`, as HTML.
fn article_paragraphs(name: &str) -> String {
    let page = page(name);
    let start = page.find("<article").unwrap();
    let end = page.find("</article>").unwrap();
    let article = &page[start..end];
    article
        .match_indices("<p>")
        .map(|(at, _)| {
            let close = article[at..].find("</p>").unwrap();
            &article[at..at + close + 4]
        })
        .collect()
}

/// One RSS item: (title, link, description, content:encoded).
pub type Item<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

pub fn rss(items: &[Item<'_>]) -> Vec<u8> {
    let items: String = items
        .iter()
        .map(|(title, link, description, content)| {
            let content = content
                .map(|c| format!("<content:encoded><![CDATA[{c}]]></content:encoded>"))
                .unwrap_or_default();
            format!(
                "<item><title>{title}</title><link>{link}</link><guid>{link}</guid>\
                 <description><![CDATA[{description}]]></description>{content}</item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
         <title>Outlet</title><link>https://outlet.example/</link>{items}</channel></rss>"
    )
    .into_bytes()
}

/// A full-text source `courier` reading `feed.xml` of `server`.
pub fn courier(server: &ScriptServer) -> String {
    format!(
        "[[source]]\nname = \"courier\"\nurl = \"{}\"\nfull_text = true\n",
        server.url("feed.xml")
    )
}

pub async fn harness(db: &TestDb, fetch: &str, body: &str) -> Harness {
    let fetch = format!("timeout = \"3s\"\n{fetch}");
    Harness::start(&db.write_config_with_fetch(&fetch, body)).await
}

/// The harness of the `courier` source (with `fetch` settings), polled once.
pub async fn polled_courier(db: &TestDb, fetch: &str, server: &ScriptServer) -> Harness {
    let h = harness(db, fetch, &courier(server)).await;
    h.poll().await;
    h
}

pub async fn stored(h: &Harness, link: &str) -> StoredItem {
    h.ctx
        .store
        .find_item(link)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no item {link}"))
}

pub async fn fetch_articles(h: &Harness) -> ArticleCounts {
    articles::fetch_due(&h.ctx, || Arc::clone(&h.config))
        .await
        .unwrap()
}

mod polite;

const TEASER: &str = "Dockers stopped work at dawn. More soon.";

/// Serves `feed.xml` with one teaser whose page is the wire story; returns its link.
fn one_teaser(server: &ScriptServer) -> String {
    let link = server.url("world/strike");
    server.feed(
        "feed.xml",
        &rss(&[("Port shut", &link, TEASER, None)]),
        "\"1\"",
    );
    server.set("world/strike", Reply::Html(page("wire.html")));
    link
}

each_backend! {
async fn a_teaser_gains_the_pages_article_and_keeps_its_summary(db: TestDb) {
    let server = ScriptServer::start().await;
    let link = one_teaser(&server);
    let h = polled_courier(&db, "", &server).await;
    let before = stored(&h, &link).await;
    assert_eq!(
        before.content_html, None,
        "served at once, as the feed gave it"
    );
    let counts = fetch_articles(&h).await;
    assert_eq!(counts.stored, 1, "{counts:?}");
    let item = stored(&h, &link).await;
    let content = item.content_html.unwrap();
    for kept in [
        "walked off the job at dawn",
        "thrown away like old rope",
        "divert some vessels to the smaller port of Kessun",
    ] {
        assert!(content.contains(kept), "{kept:?} missing from {content}");
    }
    for clutter in [
        "uses cookies",
        "Crosswords",
        "Copy link",
        "Pulp prices climb",
        "Night ferry",
        "may not be republished",
        "adSlots",
    ] {
        assert!(!content.contains(clutter), "{clutter:?} kept in {content}");
    }
    assert!(item.summary_html.unwrap().contains("Dockers stopped work"));
    assert_eq!(server.requests("world/strike"), 1);
    assert_eq!(
        fetch_articles(&h).await,
        ArticleCounts::default(),
        "once per item"
    );
    h.poll().await;
    assert_eq!(
        fetch_articles(&h).await,
        ArticleCounts::default(),
        "not on every poll"
    );
    assert_eq!(server.requests("world/strike"), 1);
    let item = stored(&h, &link).await;
    assert!(
        item.content_html.unwrap().contains("old rope"),
        "the next poll keeps it"
    );
}
}

each_backend! {
async fn the_news_page_yields_its_paragraphs_and_figure_and_none_of_the_rest(db: TestDb) {
    let server = ScriptServer::start().await;
    let link = server.url("news/article");
    server.feed(
        "feed.xml",
        &rss(&[("Story", &link, "A teaser.", None)]),
        "\"1\"",
    );
    server.set("news/article", Reply::Html(page("news.html")));
    let h = polled_courier(&db, "", &server).await;
    assert_eq!(fetch_articles(&h).await.stored, 1);
    let content = stored(&h, &link).await.content_html.unwrap();
    for kept in [
        "The harbourside tram depot finally opened its gates",
        "soft clay beneath the old fish market",
        "184 million crowns",
        "heated inspection pits",
        "Route 9 between the depot and the university hill",
        "Residents of the Saltmeadow estate",
    ] {
        assert!(content.contains(kept), "{kept:?} missing from {content}");
    }
    for clutter in [
        "We use cookies",
        "Weather and Tides",
        "Subscribe for one crown",
        "Share this story",
        "Post to Friendbook",
        "Sign up for our free newsletter",
        "Ferry timetable cut again",
        "Swing bridge repairs",
        "quayside_walker",
        "I have lived opposite the old fish market",
        "Visit Saltmeadow Garden Centre",
        "All rights reserved",
    ] {
        assert!(!content.contains(clutter), "{clutter:?} kept in {content}");
    }
    assert!(content.contains("<img"), "the article's figure: {content}");
    assert!(
        content.contains(&server.url("")),
        "relative image URLs made absolute against the page: {content}"
    );
    for tag in ["<nav", "<footer", "<script", "<form", "<iframe"] {
        assert!(!content.contains(tag), "{tag} kept in {content}");
    }
}
}

each_backend! {
async fn pages_that_are_not_articles_leave_the_feeds_content(db: TestDb) {
    let server = ScriptServer::start().await;
    let (video, paywall) = (server.url("video"), server.url("paywall"));
    let feed = rss(&[
        (
            "A video",
            &video,
            "Watch the launch.",
            Some("<p>Watch the launch.</p>"),
        ),
        ("Locked", &paywall, "The minister resigned.", None),
    ]);
    server.feed("feed.xml", &feed, "\"1\"");
    server.set("video", Reply::Html(page("video.html")));
    server.set("paywall", Reply::Html(page("paywall.html")));
    let h = polled_courier(&db, "", &server).await;
    let counts = fetch_articles(&h).await;
    assert_eq!((counts.stored, counts.no_article), (0, 2), "{counts:?}");
    let item = stored(&h, &video).await;
    assert_eq!(
        item.content_html.as_deref(),
        Some("<p>Watch the launch.</p>")
    );
    assert_eq!(stored(&h, &paywall).await.content_html, None);
    let state = h
        .ctx
        .store
        .source_states(vec!["courier".into()])
        .await
        .unwrap();
    assert_eq!(state[0].article_failures, 0, "no article is not a failure");
}
}

each_backend! {
async fn full_text_feeds_topic_filters_and_joins_a_teaser_to_the_wire_story(db: TestDb) {
    let server = ScriptServer::start().await;
    let headline = "Velmora dockworkers strike over crane automation, stranding 40 ships";
    let full = article_paragraphs("wire.html");
    let wire_link = server.url("wire/velmora");
    let teaser_link = server.url("courier/velmora-port");
    server.feed(
        "wire.xml",
        &rss(&[(headline, &wire_link, "Dockworkers strike.", Some(&full))]),
        "\"1\"",
    );
    server.feed(
        "courier.xml",
        &rss(&[("Port city grinds to a halt", &teaser_link, TEASER, None)]),
        "\"1\"",
    );
    server.set("courier/velmora-port", Reply::Html(page("wire.html")));
    let body = format!(
        "[[source]]\nname = \"wire\"\nurl = \"{}\"\n\n\
         [[source]]\nname = \"courier\"\nurl = \"{}\"\nfull_text = true\n\n\
         [[feed]]\nname = \"all\"\n\n\
         [[feed]]\nname = \"automation\"\nsources = [\"courier\"]\nquery = 'crane*'\n",
        server.url("wire.xml"),
        server.url("courier.xml")
    );
    let h = harness(&db, "", &body).await;
    // The wire first: the copy seen first speaks for the story.
    h.poll_source("wire").await;
    h.poll_source("courier").await;
    let (wire, teaser) = (stored(&h, &wire_link).await, stored(&h, &teaser_link).await);
    assert_ne!(wire.story, teaser.story, "a teaser alone matches nothing");
    assert!(crate::common::titles(&h.json_feed("automation").await).is_empty());
    assert_eq!(crate::common::titles(&h.json_feed("all").await).len(), 2);

    assert_eq!(fetch_articles(&h).await.stored, 1);
    let teaser = stored(&h, &teaser_link).await;
    assert_eq!(
        teaser.story, wire.story,
        "the whole article joins the wire story"
    );
    assert_eq!(
        crate::common::titles(&h.json_feed("automation").await),
        vec!["Port city grinds to a halt"],
        "the article's words reach the topic filter"
    );
    let all = h.json_feed("all").await;
    assert_eq!(
        crate::common::titles(&all),
        vec![headline],
        "one story, collapsed"
    );
    let also = &all["items"][0]["_feedbraid"]["also"];
    assert_eq!(also.as_array().map(Vec::len), Some(1), "{all}");
}
}

each_backend! {
async fn a_failing_page_is_counted_retried_later_and_fetched_again_after_an_edit(db: TestDb) {
    let server = ScriptServer::start().await;
    let link = server.url("broken");
    server.feed("feed.xml", &rss(&[("Story", &link, TEASER, None)]), "\"1\"");
    server.set("broken", Reply::Status(500, vec![]));
    let h = polled_courier(&db, "", &server).await;
    let counts = fetch_articles(&h).await;
    assert_eq!(counts.failed, 1, "{counts:?}");
    assert_eq!(
        fetch_articles(&h).await.failed,
        0,
        "retried later, with backoff"
    );
    assert_eq!(server.requests("broken"), 1);
    let state = h
        .ctx
        .store
        .source_states(vec!["courier".into()])
        .await
        .unwrap();
    assert_eq!(state[0].article_failures, 1);
    assert_eq!(state[0].article_error.as_deref(), Some("HTTP 500"));
    assert_eq!(state[0].state(), "ok", "the feed itself is fine");
    let metrics = h.ctx.metrics.render(&[], &feedbraid::metrics::NodeState { node: "test".into(), leases: 0 });
    assert!(
        metrics.contains("feedbraid_article_fetches_total{outcome=\"failed\"} 1"),
        "{metrics}"
    );
    // The feed edits the item: its article is fetched again at once.
    server.set("broken", Reply::Html(page("wire.html")));
    let edited = rss(&[(
        "Story",
        &link,
        "Dockers stopped work at dawn. Updated.",
        None,
    )]);
    server.feed("feed.xml", &edited, "\"2\"");
    h.poll().await;
    assert_eq!(fetch_articles(&h).await.stored, 1);
    assert!(
        stored(&h, &link)
            .await
            .content_html
            .unwrap()
            .contains("old rope")
    );
}
}

each_backend! {
async fn a_page_that_is_gone_is_given_up_at_once(db: TestDb) {
    let server = ScriptServer::start().await;
    let link = server.url("gone");
    server.feed("feed.xml", &rss(&[("Story", &link, TEASER, None)]), "\"1\"");
    server.set("gone", Reply::Status(404, vec![]));
    let h = polled_courier(&db, "", &server).await;
    assert_eq!(fetch_articles(&h).await.given_up, 1);
    assert_eq!(h.ctx.store.next_article_due().await.unwrap(), None);
    assert_eq!(
        stored(&h, &link).await.summary_html.as_deref(),
        Some(TEASER)
    );
}
}

each_backend! {
async fn the_daemons_article_loop_fetches_new_items_by_itself(db: TestDb) {
    let server = ScriptServer::start().await;
    let link = one_teaser(&server);
    let source = courier(&server);
    let h = harness(&db, "", &source).await;
    let (_config, config_rx) = tokio::sync::watch::channel(Arc::clone(&h.config));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(articles::run(h.ctx.clone(), config_rx, stopped));
    h.poll().await;
    let mut content = None;
    for _ in 0..200 {
        content = stored(&h, &link).await.content_html;
        if content.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(content.unwrap().contains("old rope"));
    stop.send_replace(true);
    running.await.unwrap().unwrap();
}
}

each_backend! {
async fn an_article_page_on_a_private_address_is_refused_like_a_feed(db: TestDb) {
    let server = ScriptServer::start().await;
    server.set("inside", Reply::Html(page("wire.html")));
    let source = "[[source]]\nname = \"courier\"\nurl = \"https://courier.example/rss\"\n\
                  full_text = true\nallow_private_networks = false\n";
    let h = harness(&db, "", source).await;
    let job = feedbraid::model::ArticleJob {
        item: 1,
        claim: 0,
        source: "courier".into(),
        link: server.url("inside"),
        attempts: 0,
        title: "Inside".into(),
        summary_html: None,
        content_html: None,
        authors: Vec::new(),
        categories: Vec::new(),
    };
    let source = h.config.source("courier").unwrap();
    let answer =
        articles::fetch_article(&h.ctx.fetcher, &h.ctx.parsers, source, None, job, None).await;
    assert!(
        matches!(
            answer,
            Err(articles::ArticleError::Fetch(
                feedbraid::fetch::FetchError::Refused(_)
            ))
        ),
        "{answer:?}"
    );
    assert_eq!(server.requests("inside"), 0, "never reached");
}
}

each_backend! {
async fn an_article_fetched_for_an_older_version_of_an_edited_item_is_not_kept(db: TestDb) {
    let server = ScriptServer::start().await;
    let link = one_teaser(&server);
    let h = polled_courier(&db, "", &server).await;
    let lease = Duration::from_secs(900);
    let now = chrono::Utc::now();
    let claimed = h
        .ctx
        .store
        .claim_articles(now, 10, lease, Vec::new())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let stale = claimed[0].clone();
    // Under its lease, the fetch is not handed out again.
    let again = h
        .ctx
        .store
        .claim_articles(now, 10, lease, Vec::new())
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
    // The feed edits the item while its old version's page is being fetched.
    let edited = rss(&[("Port shut", &link, "Dockers stopped work. Updated.", None)]);
    server.feed("feed.xml", &edited, "\"2\"");
    h.poll().await;
    let article = feedbraid::model::ArticleText {
        content_html: "<p>The old version's article.</p>".into(),
        packed: None,
        text: "The old version's article.".into(),
        fingerprint: feedbraid::cluster::Fingerprint::of("Port shut", "The old version's article."),
        prepared_words: None,
    };
    let applied = h
        .ctx
        .store
        .record_article(stale.item, stale.claim, article, now)
        .await
        .unwrap();
    assert!(!applied.stored, "written by a claim the edit took away");
    assert_eq!(stored(&h, &link).await.content_html, None);
    // A failure of that claim is not counted either; the edit's fetch stays due.
    h.ctx
        .store
        .record_article_failure(stale.item, stale.claim, Some("HTTP 500".into()), None)
        .await
        .unwrap();
    let state = h
        .ctx
        .store
        .source_states(vec!["courier".into()])
        .await
        .unwrap();
    assert_eq!(state[0].article_failures, 0);
    assert_eq!(
        fetch_articles(&h).await.stored,
        1,
        "the edited version's page"
    );
    assert!(
        stored(&h, &link)
            .await
            .content_html
            .unwrap()
            .contains("old rope")
    );
}
}
