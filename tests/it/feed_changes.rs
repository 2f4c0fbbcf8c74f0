//! A change renders again only the feeds it touches: a new item in one topic feed
//! leaves every other feed's bytes and ETag alone and is not rendered for them; an
//! edit that takes an item out of a feed renders that feed; the status page lists
//! feeds without rendering the ones that changed; the daemon's publisher serves bytes
//! rendered within its lag after a change.

use std::time::Duration;

use crate::common::backends::{TestDb, each_backend};
use crate::common::{FeedServer, Harness, get};
use feedbraid::poll::PollOutcome;
use feedbraid::publish::Publisher;
use feedbraid::render::Format;

fn rss(items: &[(&str, &str)]) -> Vec<u8> {
    let items: String = items
        .iter()
        .map(|(guid, title)| {
            format!(
                "<item><guid>{guid}</guid><title>{title}</title>\
                 <link>https://news.example/{guid}</link>\
                 <description>{title}, reported on the day.</description>\
                 <pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate></item>"
            )
        })
        .collect();
    format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>").into_bytes()
}

const FEEDS: &str = "\
[[feed]]\nname = \"iran\"\ninclude = [\"Iran\"]\n\n\
[[feed]]\nname = \"sport\"\nsources = [\"sport\"]\n\n\
[[feed]]\nname = \"all\"\n";

/// A world source (one item about Iran) and a sport source, polled once, under the
/// feeds `iran` (a topic), `sport` (its source) and `all`.
async fn world_and_sport(db: &TestDb) -> (FeedServer, Harness) {
    let server = FeedServer::start().await;
    server.set("world.xml", rss(&[("w1", "Iran talks resume in Geneva")]));
    server.set("sport.xml", rss(&[("s1", "Cup final goes to extra time")]));
    let sources = format!(
        "[[source]]\nname = \"world\"\nurl = \"{}\"\n\n[[source]]\nname = \"sport\"\nurl = \"{}\"\n\n",
        server.url("world.xml"),
        server.url("sport.xml")
    );
    let h = Harness::start(&db.write_config(&format!("{sources}{FEEDS}"))).await;
    h.poll().await;
    (server, h)
}

async fn etag(h: &Harness, feed: &str) -> String {
    let (status, headers, body) = get(&h.url(&format!("/feeds/{feed}.json")), &[]).await;
    assert_eq!(status, 200, "{body}");
    headers["etag"].to_str().unwrap().to_string()
}

each_backend! {
async fn a_new_item_renders_again_only_the_feeds_it_belongs_in(db: TestDb) {
    let (server, h) = world_and_sport(&db).await;
    let before = [
        etag(&h, "iran").await,
        etag(&h, "sport").await,
        etag(&h, "all").await,
    ];
    let rendered = h.publisher.renders();
    assert_eq!(rendered, 3, "each feed rendered once");
    // The status page lists every feed, rendering none again.
    let (status, _, _) = get(&h.url("/"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(h.publisher.renders(), rendered);

    // A new item about Iran: in `iran` and `all`, not in `sport`.
    server.set(
        "world.xml",
        rss(&[
            ("w2", "Iran names a new negotiator"),
            ("w1", "Iran talks resume in Geneva"),
        ]),
    );
    let report = h.poll_source("world").await;
    assert!(
        matches!(report.outcome, PollOutcome::Stored(s) if s.new == 1),
        "{report:?}"
    );
    let (status, _, _) = get(&h.url("/"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        h.publisher.renders(),
        rendered,
        "the status page renders no feed that changed"
    );
    assert_eq!(etag(&h, "sport").await, before[1], "sport did not change");
    assert_eq!(
        h.publisher.renders(),
        rendered,
        "sport was not rendered again"
    );
    assert_ne!(etag(&h, "iran").await, before[0]);
    assert_ne!(etag(&h, "all").await, before[2]);
    assert_eq!(h.publisher.renders(), rendered + 2);

    // An edit that takes the first item out of `iran`: that feed changes too.
    let rendered = h.publisher.renders();
    let iran = etag(&h, "iran").await;
    server.set(
        "world.xml",
        rss(&[
            ("w2", "Iran names a new negotiator"),
            ("w1", "Talks resume in Geneva"),
        ]),
    );
    let report = h.poll_source("world").await;
    assert!(
        matches!(report.outcome, PollOutcome::Stored(s) if s.updated == 1),
        "{report:?}"
    );
    assert_ne!(etag(&h, "iran").await, iran, "the edited item left iran");
    assert_eq!(etag(&h, "sport").await, before[1]);
    assert_eq!(
        h.publisher.renders(),
        rendered + 1,
        "only iran rendered again"
    );
    let titles = crate::common::titles(&h.json_feed("iran").await);
    assert_eq!(titles, ["Iran names a new negotiator"]);
}
}

each_backend! {
/// The daemon's publisher may serve a feed a little behind the store, so ingest does
/// not make every request render: bytes rendered within `max_lag` are served after
/// a change; a feed quiet for longer is rendered again at once.
async fn a_publisher_with_a_lag_serves_recent_bytes_after_a_change(db: TestDb) {
    let (server, h) = world_and_sport(&db).await;
    let config = &h.config;
    let all = config.feed("all").unwrap();
    let lagging = Publisher::with_max_lag(h.ctx.store.clone(), Duration::from_secs(3600));
    let current = Publisher::new(h.ctx.store.clone());
    let first = lagging.feed(config, all, Format::Json).await.unwrap();
    assert_eq!(lagging.item_count(config, all).await.unwrap(), 2);
    server.set(
        "world.xml",
        rss(&[
            ("w2", "Iran names a new negotiator"),
            ("w1", "Iran talks resume in Geneva"),
        ]),
    );
    h.poll_source("world").await;
    let again = lagging.feed(config, all, Format::Json).await.unwrap();
    assert_eq!(
        (again.headers.etag.clone(), lagging.renders()),
        (first.headers.etag.clone(), 1),
        "served within its lag, not rendered"
    );
    assert_eq!(lagging.item_count(config, all).await.unwrap(), 2);
    assert_eq!(current.item_count(config, all).await.unwrap(), 3);
    // A format not rendered yet is rendered for the store's contents, and the
    // formats of the older contents are not served beside it.
    lagging.feed(config, all, Format::Rss).await.unwrap();
    assert_eq!(lagging.renders(), 2);
    assert_eq!(lagging.item_count(config, all).await.unwrap(), 3);
    let json = lagging.feed(config, all, Format::Json).await.unwrap();
    assert_ne!(json.headers.etag, first.headers.etag);
    assert_eq!(lagging.renders(), 3);

    let quiet = Publisher::with_max_lag(h.ctx.store.clone(), Duration::from_millis(1));
    quiet.feed(config, all, Format::Json).await.unwrap();
    let before = quiet.item_count(config, all).await.unwrap();
    server.set(
        "world.xml",
        rss(&[
            ("w3", "Iran and the agency agree on inspections"),
            ("w2", "Iran names a new negotiator"),
            ("w1", "Iran talks resume in Geneva"),
        ]),
    );
    h.poll_source("world").await;
    // Rendered more than its lag ago (the poll alone takes longer than 1 ms).
    quiet.feed(config, all, Format::Json).await.unwrap();
    let after = quiet.item_count(config, all).await.unwrap();
    assert_eq!((before, after), (3, 4));
}
}
