//! The output writers against hostile-ish text: every format re-parses (strictly for
//! XML) with the same items, ids, links and dates; output is deterministic; copies of
//! a story are named. The status page and OPML are in the submodules.

mod opml;
mod status_page;

use chrono::{DateTime, TimeZone, Utc};
use feedbraid::model::{AlsoRef, ItemLinks, OutputFeed, OutputItem, SourceRef};
use feedbraid::render::{Format, render};
use feedbraid::sanitize::clean_text;

const HOSTILE_TITLE: &str =
    "Tom & Jerry <b>sign</b> ]]> deal\u{b} in الدوحة 🕊️ \"quoted\" 'single'";

pub(crate) fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, hour, 15, 30).unwrap()
}

fn source(name: &str, title: &str) -> SourceRef {
    SourceRef {
        name: name.to_string(),
        title: title.to_string(),
        url: format!("https://{name}.example.com/rss?section=world&lang=en"),
    }
}

fn sample_feed() -> OutputFeed {
    let wire_story = OutputItem {
        id: "urn:feedbraid:item:7f3a9c".to_string(),
        title: HOSTILE_TITLE.to_string(),
        link: Some("https://gulf-daily.example.com/world/ceasefire?id=42&ref=rss".to_string()),
        summary_html: Some("<p>Talks in Doha &amp; Cairo resume.\u{b}</p>".to_string()),
        content_html: Some(
            "<p>Negotiators met on Monday ]]> and agreed \u{fffe}terms.</p>\
             <p dir=\"rtl\">اتفاق وقف إطلاق النار</p>"
                .to_string(),
        ),
        authors: vec!["Staff & Wire <AFP>".to_string()],
        categories: vec!["World & Politics".into(), "الشرق الأوسط".into()],
        links: ItemLinks::default(),
        date: at(14, 9),
        updated: at(14, 11),
        source: source("gulf-daily", "Gulf Daily <World>"),
        also: vec![
            AlsoRef {
                source: "harbor-times".to_string(),
                source_title: "Harbor Times & Post".to_string(),
                url: Some("https://harbor.example.net/2025/03/14/ceasefire?utm=x&a=b".to_string()),
                id: "urn:feedbraid:item:11aa22".to_string(),
            },
            AlsoRef {
                source: "plain-wire".to_string(),
                source_title: String::new(),
                url: None,
                id: "urn:feedbraid:item:33bb44".to_string(),
            },
        ],
    };
    let summary_only = OutputItem {
        id: "urn:feedbraid:item:summary-only".to_string(),
        title: "Markets close higher".to_string(),
        link: Some("https://harbor.example.net/markets/close".to_string()),
        summary_html: Some("<p>Stocks rose <em>1.2%</em>.</p>".to_string()),
        content_html: None,
        authors: Vec::new(),
        categories: vec!["Business".into()],
        links: ItemLinks::default(),
        date: at(13, 18),
        updated: at(13, 18),
        source: source("harbor-times", "Harbor Times & Post"),
        also: Vec::new(),
    };
    let bare = OutputItem {
        id: "urn:feedbraid:item:bare".to_string(),
        title: "Headline only".to_string(),
        link: None,
        summary_html: None,
        content_html: None,
        authors: Vec::new(),
        categories: Vec::new(),
        links: ItemLinks::default(),
        date: at(12, 6),
        updated: at(12, 7),
        source: source("plain-wire", ""),
        also: Vec::new(),
    };
    OutputFeed {
        name: "middle-east".to_string(),
        title: "Middle East & <Gulf> ]]> \u{b}🌍".to_string(),
        description: "Everything about the region, الشرق الأوسط".to_string(),
        base_url: "http://news.example.org:8088".to_string(),
        updated: at(14, 11),
        items: vec![wire_story, summary_only, bare],
    }
}

fn rendered(format: Format) -> String {
    String::from_utf8(render(&sample_feed(), format)).unwrap()
}

/// Parses with feed-rs and checks the items, ids, titles, links and dates.
fn assert_feed_rs_round_trip(format: Format) -> feed_rs::model::Feed {
    let bytes = render(&sample_feed(), format);
    let parsed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
    let expected = sample_feed();
    assert_eq!(parsed.entries.len(), expected.items.len(), "{format:?}");
    for (entry, item) in parsed.entries.iter().zip(&expected.items) {
        assert_eq!(entry.id, item.id, "{format:?}");
        assert_eq!(
            entry.title.as_ref().map(|t| t.content.as_str()),
            Some(clean_text(&item.title).as_str()),
            "{format:?}"
        );
        let first_link = entry.links.first().map(|l| l.href.as_str());
        assert_eq!(first_link, item.link.as_deref(), "{format:?}");
        assert_eq!(entry.published, Some(item.date), "{format:?}");
    }
    parsed
}

pub(crate) fn strict_xml(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|error| panic!("{error}:\n{text}"))
}

/// Texts of the children named `name` in the parent's own namespace.
fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Vec<String> {
    node.children()
        .filter(|child| {
            child.tag_name().name() == name
                && child.tag_name().namespace() == node.tag_name().namespace()
        })
        .map(|child| child.text().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn rss_is_strict_xml_and_round_trips() {
    let text = rendered(Format::Rss);
    assert!(!text.contains('\u{b}') && !text.contains('\u{fffe}'));
    let document = strict_xml(&text);
    let channel = document
        .descendants()
        .find(|node| node.has_tag_name("channel"))
        .unwrap();
    assert_eq!(
        child_text(channel, "title"),
        ["Middle East & <Gulf> ]]> 🌍"]
    );
    assert_eq!(
        child_text(channel, "link"),
        ["http://news.example.org:8088/"]
    );
    let self_link = channel
        .children()
        .find(|node| node.has_tag_name(("http://www.w3.org/2005/Atom", "link")))
        .unwrap();
    assert_eq!(
        self_link.attribute("href"),
        Some("http://news.example.org:8088/feeds/middle-east.rss")
    );
    assert_eq!(self_link.attribute("rel"), Some("self"));

    let item = channel
        .children()
        .find(|node| node.has_tag_name("item"))
        .unwrap();
    let guid = item.children().find(|n| n.has_tag_name("guid")).unwrap();
    assert_eq!(guid.attribute("isPermaLink"), Some("false"));
    assert_eq!(guid.text(), Some("urn:feedbraid:item:7f3a9c"));
    assert_eq!(
        child_text(item, "pubDate"),
        ["Fri, 14 Mar 2025 09:15:30 +0000"]
    );
    let source = item.children().find(|n| n.has_tag_name("source")).unwrap();
    assert_eq!(
        source.attribute("url"),
        Some("https://gulf-daily.example.com/rss?section=world&lang=en")
    );
    assert_eq!(source.text(), Some("Gulf Daily <World>"));
    assert_eq!(
        child_text(item, "category"),
        ["World & Politics", "الشرق الأوسط"]
    );
    let creator = item
        .children()
        .find(|n| n.has_tag_name(("http://purl.org/dc/elements/1.1/", "creator")));
    assert_eq!(creator.and_then(|n| n.text()), Some("Staff & Wire <AFP>"));
    // `]]>` inside content survives the CDATA sections intact.
    let encoded = item
        .children()
        .find(|n| n.has_tag_name(("http://purl.org/rss/1.0/modules/content/", "encoded")))
        .unwrap();
    let encoded: String = encoded
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    assert!(encoded.starts_with("<p>Negotiators met on Monday ]]> and agreed terms.</p>"));
    assert!(encoded.contains("Also reported by"));

    let parsed = assert_feed_rs_round_trip(Format::Rss);
    let content = parsed.entries[0].content.as_ref().unwrap();
    assert!(
        content
            .body
            .as_deref()
            .unwrap()
            .contains("Also reported by")
    );
}

#[test]
fn atom_is_strict_xml_and_round_trips() {
    let text = rendered(Format::Atom);
    assert!(!text.contains('\u{b}'));
    let document = strict_xml(&text);
    let root = document.root_element();
    assert_eq!(
        child_text(root, "id"),
        ["http://news.example.org:8088/feeds/middle-east.atom"]
    );
    let entries: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("entry"))
        .collect();
    assert_eq!(entries.len(), 3);
    for entry in &entries {
        let author = entry.children().find(|n| n.has_tag_name("author"));
        assert!(author.is_some(), "Atom requires an author per entry");
        let source = entry.children().find(|n| n.has_tag_name("source")).unwrap();
        assert!(!child_text(source, "title").is_empty());
    }
    // The item without an author takes its source's title, or its name without one.
    let author_of = |entry: &roxmltree::Node| {
        let author = entry.children().find(|n| n.has_tag_name("author")).unwrap();
        child_text(author, "name")
    };
    assert_eq!(author_of(&entries[0]), ["Staff & Wire <AFP>"]);
    assert_eq!(author_of(&entries[1]), ["Harbor Times & Post"]);
    assert_eq!(author_of(&entries[2]), ["plain-wire"]);
    let related: Vec<_> = entries[0]
        .children()
        .filter(|n| n.has_tag_name("link") && n.attribute("rel") == Some("related"))
        .filter_map(|n| n.attribute("href"))
        .collect();
    assert_eq!(
        related,
        ["https://harbor.example.net/2025/03/14/ceasefire?utm=x&a=b"]
    );
    assert_eq!(
        child_text(entries[0], "updated"),
        ["2025-03-14T11:15:30+00:00"]
    );

    let parsed = assert_feed_rs_round_trip(Format::Atom);
    assert_eq!(parsed.entries[0].updated, Some(at(14, 11)));
    let body = parsed.entries[0]
        .content
        .as_ref()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert!(body.contains("]]> and agreed terms."));
    assert!(body.contains("Also reported by"));
    let summary = parsed.entries[1].summary.as_ref().unwrap();
    assert!(summary.content.contains("Stocks rose"));
}

#[test]
fn json_feed_has_required_fields_and_feedbraid_extension() {
    let text = rendered(Format::Json);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(value["title"], "Middle East & <Gulf> ]]> 🌍");
    assert_eq!(value["home_page_url"], "http://news.example.org:8088/");
    assert_eq!(
        value["feed_url"],
        "http://news.example.org:8088/feeds/middle-east.json"
    );
    let items = value["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        assert!(item["id"].is_string());
        assert!(item["content_html"].is_string() || item["content_text"].is_string());
        assert!(
            item["_feedbraid"]["also"].is_array(),
            "also is always present"
        );
        assert!(item["_feedbraid"]["source"]["name"].is_string());
    }
    let first = &items[0];
    assert_eq!(first["date_published"], "2025-03-14T09:15:30Z");
    assert_eq!(first["date_modified"], "2025-03-14T11:15:30Z");
    assert_eq!(first["authors"][0]["name"], "Staff & Wire <AFP>");
    assert_eq!(first["tags"][1], "الشرق الأوسط");
    assert_eq!(first["_feedbraid"]["source"]["title"], "Gulf Daily <World>");
    assert_eq!(
        first["_feedbraid"]["also"],
        serde_json::json!([
            {"source": "harbor-times",
             "url": "https://harbor.example.net/2025/03/14/ceasefire?utm=x&a=b",
             "id": "urn:feedbraid:item:11aa22"},
            {"source": "plain-wire", "id": "urn:feedbraid:item:33bb44"}
        ])
    );
    assert!(
        first["content_html"]
            .as_str()
            .unwrap()
            .contains("Also reported by")
    );
    // With no content, the summary HTML is the body.
    assert_eq!(
        items[1]["content_html"],
        "<p>Stocks rose <em>1.2%</em>.</p>"
    );
    assert!(items[2].get("url").is_none());
    assert_feed_rs_round_trip(Format::Json);
}

#[test]
fn also_reported_by_names_and_links_each_copy() {
    for format in Format::ALL {
        let text = rendered(format);
        // Once for the item with copies, never for the others.
        assert_eq!(text.matches("Also reported by").count(), 1, "{format:?}");
    }
    let parsed = feed_rs::parser::parse(render(&sample_feed(), Format::Json).as_slice()).unwrap();
    let body = parsed.entries[0]
        .content
        .as_ref()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert!(body.contains(
        "<a href=\"https://harbor.example.net/2025/03/14/ceasefire?utm=x&amp;a=b\" \
         rel=\"noopener noreferrer\">Harbor Times &amp; Post</a>"
    ));
    // A copy without a link is named (by its source name when untitled), not linked.
    assert!(body.contains(", plain-wire</p>"));
}

#[test]
fn output_is_deterministic() {
    for format in Format::ALL {
        let first = render(&sample_feed(), format);
        let second = render(&sample_feed().clone(), format);
        assert_eq!(first, second, "{format:?}");
    }
}

#[test]
fn empty_feed_renders_in_every_format() {
    let mut feed = sample_feed();
    feed.items.clear();
    feed.updated = DateTime::UNIX_EPOCH;
    for format in Format::ALL {
        let bytes = render(&feed, format);
        let parsed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
        assert!(parsed.entries.is_empty(), "{format:?}");
        if format != Format::Json {
            strict_xml(std::str::from_utf8(&bytes).unwrap());
        }
    }
}
