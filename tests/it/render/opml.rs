//! OPML: the feeds and sources lists round-trip through `parse_opml`, which walks
//! nested folders and refuses what is not OPML.

use feedbraid::render::opml::{
    OpmlError, OpmlOutline, parse_opml, render_feeds_opml, render_sources_opml,
};

use super::strict_xml;

#[test]
fn sources_opml_round_trips() {
    let sources = [
        (
            "gulf-daily",
            "Gulf Daily <World> & \"more\"",
            "https://gulf.example.com/rss?a=1&b=2",
        ),
        (
            "arabic",
            "الشرق الأوسط 🕊️\u{b}",
            "https://arabic.example.com/feed",
        ),
        ("untitled", "", "https://untitled.example.com/atom.xml"),
    ];
    let text = render_sources_opml(&sources);
    strict_xml(&text);
    let outlines = parse_opml(&text).unwrap();
    let expected: Vec<OpmlOutline> = vec![
        OpmlOutline {
            title: Some("Gulf Daily <World> & \"more\"".to_string()),
            xml_url: "https://gulf.example.com/rss?a=1&b=2".to_string(),
            html_url: None,
            category: None,
        },
        OpmlOutline {
            title: Some("الشرق الأوسط 🕊️".to_string()),
            xml_url: "https://arabic.example.com/feed".to_string(),
            html_url: None,
            category: None,
        },
        OpmlOutline {
            title: Some("untitled".to_string()),
            xml_url: "https://untitled.example.com/atom.xml".to_string(),
            html_url: None,
            category: None,
        },
    ];
    assert_eq!(outlines, expected);
}

#[test]
fn feeds_opml_points_at_rss_urls() {
    let feeds = vec![
        ("middle-east".to_string(), "Middle East & Gulf".to_string()),
        ("sport".to_string(), "Sport".to_string()),
    ];
    let text = render_feeds_opml("feedbraid <feeds>", "http://news.example.org:8088", &feeds);
    let document = strict_xml(&text);
    let title = document
        .descendants()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text());
    assert_eq!(title, Some("feedbraid <feeds>"));
    let outlines = parse_opml(&text).unwrap();
    let urls: Vec<_> = outlines.iter().map(|o| o.xml_url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://news.example.org:8088/feeds/middle-east.rss",
            "http://news.example.org:8088/feeds/sport.rss"
        ]
    );
    assert_eq!(outlines[0].title.as_deref(), Some("Middle East & Gulf"));
    assert_eq!(
        outlines[0].html_url.as_deref(),
        Some("http://news.example.org:8088/")
    );
}

#[test]
fn parse_opml_walks_nested_folders_into_categories() {
    let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Reader export</title></head>
  <body>
    <outline text="News">
      <outline text="World &amp; Politics" title="World &amp; Politics">
        <outline type="rss" text="Gulf Daily" xmlUrl="https://gulf.example.com/rss?a=1&amp;b=2" htmlUrl="https://gulf.example.com/"/>
      </outline>
      <outline type="rss" title="Harbor Times" text="ignored" xmlURL="https://harbor.example.net/feed"></outline>
    </outline>
    <outline type="rss" text="Loose" xmlUrl="https://loose.example.org/feed" category="/Tech/Gadgets,Other"/>
    <outline text="Empty folder"/>
  </body>
</opml>"#;
    let outlines = parse_opml(text).unwrap();
    assert_eq!(
        outlines,
        vec![
            OpmlOutline {
                title: Some("Gulf Daily".to_string()),
                xml_url: "https://gulf.example.com/rss?a=1&b=2".to_string(),
                html_url: Some("https://gulf.example.com/".to_string()),
                category: Some("World & Politics".to_string()),
            },
            OpmlOutline {
                title: Some("Harbor Times".to_string()),
                xml_url: "https://harbor.example.net/feed".to_string(),
                html_url: None,
                category: Some("News".to_string()),
            },
            OpmlOutline {
                title: Some("Loose".to_string()),
                xml_url: "https://loose.example.org/feed".to_string(),
                html_url: None,
                category: Some("Gadgets".to_string()),
            },
        ]
    );
}

#[test]
fn parse_opml_rejects_what_is_not_opml() {
    assert_eq!(
        parse_opml("<rss version=\"2.0\"><channel/></rss>"),
        Err(OpmlError::NotOpml)
    );
    assert_eq!(parse_opml(""), Err(OpmlError::NotOpml));
    assert!(matches!(
        parse_opml("<opml><body><outline xmlUrl=\"x\"</body></opml>"),
        Err(OpmlError::Malformed { .. })
    ));
    // Entities declared in a DTD are never expanded.
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/feed"/></body></opml>"#;
    assert!(matches!(parse_opml(bomb), Err(OpmlError::Malformed { .. })));
}
