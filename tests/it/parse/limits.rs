//! Hostile documents end quickly and harmlessly; item and content caps hold.

use super::*;
use feedbraid::sanitize::MAX_HTML_DEPTH;

#[test]
fn entity_bomb_is_not_expanded() {
    let feed = parse("entity-bomb.xml");
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert!(entry.title.len() < 100, "{}", entry.title);
    assert!(entry.summary_html.as_deref().unwrap_or("").len() < 100);
    assert!(!entry.title.contains("lollol"));
}

#[test]
fn external_entities_are_not_read() {
    let feed = parse("xxe.xml");
    let entry = &feed.entries[0];
    let seen = format!("{} {:?}", entry.title, entry.summary_html);
    assert!(!seen.contains("root:"), "{seen}");
    assert!(
        seen.contains("&passwd;") || seen.contains("&amp;passwd;"),
        "left as literal text: {seen}"
    );
}

#[test]
fn deep_nesting_ends_without_harm() {
    // quick-xml refuses documents nested deeper than 65,535 elements; either outcome
    // (an error, or a feed without the nested content) is fine as long as it ends.
    match parse_feed(&fixture("deep-nesting.xml"), &source_url()) {
        Err(ParseError::Invalid(_)) => {}
        Ok(feed) => assert!(
            feed.entries
                .iter()
                .all(|e| e.summary_html.as_deref().unwrap_or("").len() < 1024)
        ),
        Err(other) => panic!("unexpected {other}"),
    }
}

#[test]
fn item_count_is_capped() {
    let mut doc = String::from(r#"<rss version="2.0"><channel><title>Many</title>"#);
    for i in 0..=MAX_ITEMS {
        doc.push_str(&format!(
            "<item><guid>{i}</guid><title>Item {i}</title></item>"
        ));
    }
    doc.push_str("</channel></rss>");
    let (feed, notes) = parse_feed_with_notes(doc.as_bytes(), &source_url()).unwrap();
    assert_eq!(feed.entries.len(), MAX_ITEMS);
    assert_eq!(notes.dropped_items, 1);
    assert_eq!(feed.entries[0].key, "g:0");
}

#[test]
fn content_size_is_capped_at_a_char_boundary() {
    // Three-byte characters, so the cap falls inside one of them.
    let huge = "<p>".to_string() + &"€".repeat(MAX_CONTENT_BYTES / 3 + 100) + "</p>";
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"Big","items":[{{"id":"1","title":"Big","summary":"short","content_html":{}}}]}}"#,
        serde_json::to_string(&huge).unwrap()
    );
    let (feed, notes) = parse_feed_with_notes(doc.as_bytes(), &source_url()).unwrap();
    assert!(notes.capped_fields >= 1);
    let entry = &feed.entries[0];
    assert_eq!(entry.summary_html.as_deref(), Some("short"));
    if let Some(content) = &entry.content_html {
        assert!(content.len() <= MAX_CONTENT_BYTES, "{}", content.len());
        assert!(content.starts_with("<p>€€") && content.ends_with("</p>"));
    }
}

#[test]
fn deeply_nested_html_becomes_its_text() {
    let depth = MAX_HTML_DEPTH * 4;
    let html = "<div>".repeat(depth) + "bottom &amp; <b>up</b>" + &"</div>".repeat(depth);
    let out = sanitize_html(&html, None);
    assert_eq!(out, "bottom &amp; up");
    assert_eq!(sanitize_html(&out, None), out);
    // Within the limit, structure is kept; SVG's self-closing tags do not count.
    let shallow = "<div>".repeat(MAX_HTML_DEPTH - 1) + "x" + &"</div>".repeat(MAX_HTML_DEPTH - 1);
    assert!(sanitize_html(&shallow, None).starts_with("<div><div>"));
    let icons =
        "<p><b>kept</b></p><svg>".to_string() + &"<path/>".repeat(MAX_HTML_DEPTH * 2) + "</svg>";
    assert_eq!(sanitize_html(&icons, None), "<p><b>kept</b></p>");
}
