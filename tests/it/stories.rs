//! Story clustering end to end: a reworded wire story carried by another outlet (own
//! link, own guid, "UPDATE 1-…- report" headline) is one item in a collapsed feed,
//! naming the other outlet; stories that only share topic words stay apart.

use crate::common::backends::each_backend;
use crate::common::{FeedServer, Harness, titles};

fn story(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stories")
        .join(name);
    std::fs::read(path).unwrap()
}

/// A stored poll of `url` that served `entries` (guid, link, title, description).
fn polled(url: &str, entries: &[(&str, &str, &str, &str)]) -> feedbraid::store::PollRecord {
    let url = url::Url::parse(url).unwrap();
    feedbraid::store::PollRecord {
        at: chrono::Utc::now(),
        http_status: 200,
        etag: None,
        last_modified: None,
        feed: Some(feedbraid::parse::parse_feed(&rss(entries), &url).unwrap()),
        next_poll: chrono::Utc::now(),
        redirect_target: None,
        redirect_seen: 0,
        adopt_url: None,
        full_text: false,
    }
}

each_backend! {
async fn a_reworded_wire_copy_joins_its_story_and_lookalikes_do_not(db: TestDb) {
    let server = FeedServer::start().await;
    server.set("agency.xml", story("agency.xml"));
    server.set("outlet.xml", story("outlet.xml"));
    let body = format!(
        "[[source]]\nname = \"meridian\"\nurl = \"{}\"\n\n[[source]]\nname = \"ledger\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"world\"\n\n[[feed]]\nname = \"every-copy\"\ndedup = \"keep\"\n",
        server.url("agency.xml"),
        server.url("outlet.xml"),
    );
    let h = Harness::start(&db.write_config(&body)).await;
    // The agency first, then the outlet: the agency's copy speaks for the story.
    h.poll_source("meridian").await;
    h.poll_source("ledger").await;

    let world = h.json_feed("world").await;
    let mut got = titles(&world);
    got.sort();
    assert_eq!(
        got,
        [
            "Ceasefire collapses in Sudan's El Fasher as fighting resumes",
            "Ceasefire talks resume in Doha as mediators push for a deal",
            "Ceasefire talks: what is on the table in Doha",
        ]
    );
    let doha = world["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Ceasefire talks resume in Doha as mediators push for a deal")
        .unwrap();
    assert_eq!(doha["_feedbraid"]["source"]["name"], "meridian");
    let also = doha["_feedbraid"]["also"].as_array().unwrap();
    assert_eq!(also.len(), 1);
    assert_eq!(also[0]["source"], "ledger");
    assert!(
        doha["content_html"]
            .as_str()
            .unwrap()
            .contains("Also reported by")
    );
    let every_copy = h.json_feed("every-copy").await;
    assert_eq!(titles(&every_copy).len(), 4);
    // A feed that keeps every copy shows each one's own text.
    assert!(
        every_copy["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["content_html"].as_str().is_some_and(|html| html.contains("<p>"))),
        "{every_copy}"
    );

    // explain: the copy was joined by its headline or its text, with a score.
    let store = &h.ctx.store;
    let item = store
        .find_item(doha["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    let members = store.story_members(item.story).await.unwrap();
    assert_eq!(members.len(), 1);
    assert!(
        ["similar", "title"].contains(&members[0].layer.as_str()),
        "{members:?}"
    );
    assert!(
        members[0].score > 0.45 && members[0].score <= 1.0,
        "{members:?}"
    );
}
}

each_backend! {
async fn a_source_with_higher_priority_speaks_for_the_story(db: TestDb) {
    let server = FeedServer::start().await;
    server.set("agency.xml", story("agency.xml"));
    server.set("outlet.xml", story("outlet.xml"));
    let body = format!(
        "[[source]]\nname = \"meridian\"\nurl = \"{}\"\n\n[[source]]\nname = \"ledger\"\nurl = \"{}\"\npriority = 10\n\n\
         [[feed]]\nname = \"world\"\n",
        server.url("agency.xml"),
        server.url("outlet.xml"),
    );
    let h = Harness::start(&db.write_config(&body)).await;
    h.poll_source("meridian").await;
    h.poll_source("ledger").await;
    let world = h.json_feed("world").await;
    let doha = world["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("Doha as mediators"))
        .unwrap();
    assert_eq!(doha["_feedbraid"]["source"]["name"], "ledger");
    assert_eq!(doha["_feedbraid"]["also"][0]["source"], "meridian");
    // The copies are read without their HTML; the one that speaks is read again
    // with it, whichever copy it is.
    let html = doha["content_html"].as_str().unwrap();
    assert!(
        html.contains("two officials familiar with the talks said") && !html.contains("(Meridian)"),
        "the ledger's own text, not the first copy's: {html}"
    );
}
}

each_backend! {
/// Pages and a story's copies are read without their HTML, which only the copies that
/// speak for a story need, read apart; a row gone meanwhile is left out rather than
/// failing the read.
async fn stories_are_chosen_without_html_and_told_with_it(db: TestDb) {
    use feedbraid::store::Html;
    let store = db.open();
    let description = "Dock workers at three northern ports walked out on Thursday.";
    let link = "https://wire.example/world/strike";
    let record = |url: &str, guid: &str| polled(url, &[(guid, link, "Harbour workers strike", description)]);
    store
        .sync_sources(vec![
            ("wire".into(), "https://wire.example/rss".into()),
            ("daily".into(), "https://daily.example/rss".into()),
        ])
        .await
        .unwrap();
    store.record_poll("wire", record("https://wire.example/rss", "w-1")).await.unwrap();
    store.record_poll("daily", record("https://daily.example/rss", "d-1")).await.unwrap();

    let whole = store.recent_items(None, None, 10, Html::With).await.unwrap().items;
    assert_eq!(whole.len(), 2);
    assert!(whole.iter().all(|i| i.summary_html.as_deref() == Some(description)), "{whole:?}");
    let lean = store.recent_items(None, None, 10, Html::Without).await.unwrap().items;
    assert!(lean.iter().all(|i| i.summary_html.is_none() && i.content_html.is_none()));
    assert_eq!(lean[0].story, lean[1].story, "one story of two copies");
    let copies = store.story_copies(vec![lean[0].story]).await.unwrap();
    assert_eq!(copies.len(), 2);
    assert!(copies.iter().all(|i| i.summary_html.is_none()));

    let gone = lean.iter().map(|i| i.row).max().unwrap() + 1000;
    let read = store.items_html(vec![copies[1].row, gone]).await.unwrap();
    assert_eq!(read.len(), 1, "the row never stored is left out");
    assert_eq!(read[0].row, copies[1].row);
    assert_eq!(read[0].summary_html.as_deref(), Some(description));
    assert_eq!(read[0].content_html, None);
}
}

fn rss(items: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
         <title>Test</title><link>https://wire.example/</link><description>t</description>",
    );
    for (guid, link, title, description) in items {
        xml.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><link>{link}</link>\
             <title>{title}</title><description>{description}</description></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    xml.into_bytes()
}

each_backend! {
/// The wire re-issues a report under its link with a new guid and a rewritten
/// headline; an aggregator lists the new headline. One story; and a feed that gives
/// every item its home page as link keeps its items apart.
async fn a_wire_update_under_the_same_link_stays_in_its_story(db: TestDb) {
    let server = FeedServer::start().await;
    let link = "https://wire.example/world/harbour-strike-2026-08-20/";
    let first = (
        "w-1",
        link,
        "Harbour workers strike at three northern ports",
        "ROTTERDAM - Dock workers at three northern ports walked out on Thursday after wage \
         talks with terminal operators broke down, union officials said.",
    );
    server.set("wire.xml", rss(&[first]));
    server.set("listing.xml", rss(&[]));
    server.set(
        "homepage.xml",
        rss(&[
            (
                "h-1",
                "https://daily.example/",
                "Council approves new cycle lanes for the old town",
                "The council voted on Tuesday to add cycle lanes to four streets.",
            ),
            (
                "h-2",
                "https://daily.example/",
                "Library reopens after two years of repairs",
                "The central library opened its doors again on Wednesday.",
            ),
        ]),
    );
    let body = format!(
        "[[source]]\nname = \"wire\"\nurl = \"{}\"\n\n[[source]]\nname = \"listing\"\nurl = \"{}\"\n\n\
         [[source]]\nname = \"daily\"\nurl = \"{}\"\n\n[[feed]]\nname = \"world\"\n",
        server.url("wire.xml"),
        server.url("listing.xml"),
        server.url("homepage.xml"),
    );
    let h = Harness::start(&db.write_config(&body)).await;
    h.poll_source("wire").await;
    h.poll_source("daily").await;
    let update = (
        "w-2",
        link,
        "Dock strike at three northern ports halts container traffic",
        "ROTTERDAM - A strike by dock workers halted container traffic at three northern \
         ports for a second day on Friday; operators said they would resume talks on Monday.",
    );
    server.set("wire.xml", rss(&[update, first]));
    server.set(
        "listing.xml",
        rss(&[(
            "l-1",
            "https://news.aggregator.example/articles/CBMi42",
            "Dock strike at three northern ports halts container traffic - Wire",
            "Dock strike at three northern ports halts container traffic Wire",
        )]),
    );
    h.poll_source("wire").await;
    h.poll_source("listing").await;

    let mut got = titles(&h.json_feed("world").await);
    got.sort();
    assert_eq!(
        got,
        [
            "Council approves new cycle lanes for the old town",
            "Harbour workers strike at three northern ports",
            "Library reopens after two years of repairs",
        ],
        "the update and its listing collapse into the first version's story; the home \
         page's items stay apart"
    );
}
}

/// After an upgrade, fingerprints an older version stored are computed again at
/// start: the window's stories stay joinable and the new bytes are written back.
#[tokio::test]
async fn fingerprints_of_an_older_version_are_recomputed_at_start() {
    use feedbraid::cluster::Settings;
    use feedbraid::store::Store;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feedbraid.db");
    let poll = |entries: &[(&str, &str, &str, &str)]| polled("http://feeds.invalid/a.xml", entries);
    let headline = "Harbour workers strike at three northern ports over pay";
    {
        let store = Store::open_with(&db, Settings::default()).unwrap();
        let sources = vec![
            ("wire".to_string(), "http://feeds.invalid/a.xml".to_string()),
            (
                "listing".to_string(),
                "http://feeds.invalid/b.xml".to_string(),
            ),
        ];
        store.sync_sources(sources).await.unwrap();
        let first = (
            "w-1",
            "https://wire.example/a",
            headline,
            "Dock workers walked out.",
        );
        store.record_poll("wire", poll(&[first])).await.unwrap();
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE items SET fingerprint = zeroblob(115)", [])
        .unwrap();
    conn.execute(
        "UPDATE items SET fingerprint = CAST(x'01' || substr(fingerprint, 2) AS BLOB)",
        [],
    )
    .unwrap();
    drop(conn);

    let store = Store::open_with(&db, Settings::default()).unwrap();
    let listed = format!("{headline} - Wire");
    let listing = (
        "l-1",
        "https://aggregator.example/x",
        listed.as_str(),
        listed.as_str(),
    );
    let summary = store
        .record_poll("listing", poll(&[listing]))
        .await
        .unwrap();
    assert_eq!(summary.merged, 1, "the listing joins the stored report");
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row(
            "SELECT unicode(substr(fingerprint, 1, 1)) FROM items ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        version,
        i64::from(feedbraid::cluster::fingerprint::FINGERPRINT_VERSION),
        "written back in the current version"
    );
}

/// A fingerprint of the version before (its content hash of another scheme) is read
/// as it is: an exact copy of its item, from another outlet, still joins the story,
/// by its signature.
#[tokio::test]
async fn an_exact_copy_joins_an_item_fingerprinted_by_the_version_before() {
    use feedbraid::cluster::Settings;
    use feedbraid::store::Store;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feedbraid.db");
    let headline = "Harbour workers strike at three northern ports over pay";
    let text = "Dock workers walked out at three northern ports on Tuesday, halting container \
                traffic, after talks on a new pay deal broke down late on Monday night.";
    let sources = vec![
        ("wire".to_string(), "http://feeds.invalid/a.xml".to_string()),
        (
            "outlet".to_string(),
            "http://feeds.invalid/b.xml".to_string(),
        ),
    ];
    {
        let store = Store::open_with(&db, Settings::default()).unwrap();
        store.sync_sources(sources).await.unwrap();
        let original = ("w-1", "https://wire.example/a", headline, text);
        let record = polled("http://feeds.invalid/a.xml", &[original]);
        store.record_poll("wire", record).await.unwrap();
    }
    // As the version before wrote it: its own version byte and another content hash.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE items SET fingerprint = CAST(x'03' || zeroblob(8) || substr(fingerprint, 10) AS BLOB)",
        [],
    )
    .unwrap();
    drop(conn);

    let store = Store::open_with(&db, Settings::default()).unwrap();
    let copy = ("o-1", "https://outlet.example/b", headline, text);
    let record = polled("http://feeds.invalid/b.xml", &[copy]);
    let summary = store.record_poll("outlet", record).await.unwrap();
    assert_eq!(summary.merged, 1, "the copy joins the stored report");
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let layers: Vec<Option<String>> = conn
        .prepare("SELECT story_layer FROM items ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        layers,
        [None, Some("similar".to_string())],
        "by its signature"
    );
}
