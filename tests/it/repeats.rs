//! A changed feed's entries that repeat its last poll are parsed without what only a
//! new or edited item needs (fingerprint, packed HTML, topic words); when the store
//! must write one after all, it computes them as parsing would.

use crate::common::{FeedServer, Harness, titles, write_config};

/// An item with a summary and, unless `summary_only`, content.
fn item(guid: &str, title: &str, text: &str, summary_only: bool) -> String {
    let content = if summary_only {
        String::new()
    } else {
        format!(
            "<content:encoded><![CDATA[<p>{text}</p><p>Officials said talks would resume \
             on Monday in the capital, where the talks stalled three weeks ago.</p>]]>\
             </content:encoded>"
        )
    };
    format!(
        "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
         <link>https://wire.example/{guid}</link>\
         <description>&lt;p&gt;{text} &lt;a href=\"/more\"&gt;More&lt;/a&gt;&lt;/p&gt;</description>\
         {content}</item>"
    )
}

fn rss(items: &[String]) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>Wire</title>\
         <link>https://wire.example/</link>{}</channel></rss>",
        items.concat()
    )
    .into_bytes()
}

/// Fingerprint and packed bodies of the item with `guid`.
type StoredForm = (Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

fn stored_form(db: &std::path::Path, guid: &str) -> StoredForm {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT fingerprint, CAST(summary_html AS BLOB), CAST(content_html AS BLOB) FROM items WHERE item_key = 'g:' || ?1",
        [guid],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

#[tokio::test]
async fn a_repeat_the_store_must_write_is_completed_as_parsing_would() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    let strike = item(
        "strike",
        "Harbour workers strike at three northern ports over pay",
        "Dock workers walked out at three northern ports on Tuesday, halting container traffic.",
        false,
    );
    let budget = item(
        "budget",
        "Parliament passes budget after all-night session",
        "Lawmakers approved the spending plan at dawn after eleven hours of debate.",
        true,
    );
    server.set("wire.xml", rss(&[strike.clone(), budget.clone()]));
    let body = format!(
        "[[source]]\nname = \"wire\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"ports\"\nquery = 'dockers OR harbour'\n\n\
         [[feed]]\nname = \"house\"\nquery = 'lawmakers'\n",
        server.url("wire.xml")
    );
    let h = Harness::start(&write_config(dir.path(), &body)).await;
    h.poll_source("wire").await;
    let db = dir.path().join("feedbraid.db");
    let (strike_whole, budget_whole) = (stored_form(&db, "strike"), stored_form(&db, "budget"));

    // The poller now knows both entries: parsing the next document leaves them
    // without what only a new or edited item needs.
    let served = h.ctx.last_served.of("wire").expect("the poll was stored");
    let url = url::Url::parse(&server.url("wire.xml")).unwrap();
    let document = rss(&[strike.clone(), budget.clone()]);
    let (repeat, _) =
        feedbraid::parse::parse_feed_with_rules(&document, &url, None, None, None, Some(&served))
            .unwrap();
    assert!(
        repeat
            .entries
            .iter()
            .all(|e| e.fingerprint.is_none() && e.packed_html.is_none())
    );

    // Behind the poller's back, one item leaves the database (without a tombstone)
    // and the other is stored as another version; the feed changes, still carrying
    // both as they were.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM items WHERE item_key = 'g:strike'", [])
        .unwrap();
    conn.execute(
        "UPDATE items SET content_hash = zeroblob(16) WHERE item_key = 'g:budget'",
        [],
    )
    .unwrap();
    drop(conn);
    let recall = item(
        "recall",
        "Carmaker recalls two million vehicles",
        "The recall covers brake sensors fitted since spring.",
        false,
    );
    server.set("wire.xml", rss(&[recall, strike, budget]));
    let report = h.poll_source("wire").await.to_string();
    assert!(report.contains("2 new, 1 updated"), "{report}");

    // Stored as a whole parse stores them, and sorted into the same feeds.
    assert_eq!(stored_form(&db, "strike"), strike_whole);
    assert_eq!(stored_form(&db, "budget"), budget_whole);
    let ports = titles(&h.json_feed("ports").await);
    assert_eq!(
        ports,
        ["Harbour workers strike at three northern ports over pay"]
    );
    let house = titles(&h.json_feed("house").await);
    assert_eq!(house, ["Parliament passes budget after all-night session"]);
}
