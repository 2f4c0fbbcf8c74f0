//! Each format parses into the expected entries and fields; what is not a feed is refused.

use super::*;

#[test]
fn rss2_news_channel() {
    let feed = parse("rss2.xml");
    assert_eq!(feed.title.as_deref(), Some("Harbor Daily News – World"));
    assert_eq!(
        feed.site_link.as_deref(),
        Some("https://www.harbordaily.example/world/")
    );
    assert_eq!(feed.ttl_minutes, Some(15));
    assert_eq!(feed.entries.len(), 5);

    let talks = &feed.entries[0];
    let link = "https://www.harbordaily.example/world/2025/03/04/iran-eu-talks-geneva";
    assert_eq!(
        talks.key,
        "g:www.harbordaily.example/world/2025/03/04/iran-eu-talks-geneva"
    );
    assert_eq!(talks.guid.as_deref(), Some(link));
    assert_eq!(talks.link.as_deref(), Some(link));
    assert_eq!(talks.canonical_link.as_deref(), Some(link));
    assert_eq!(talks.title, "Iran and EU resume nuclear talks in Geneva");
    assert_eq!(talks.authors, ["Leila Ahmadi"]);
    assert_eq!(names(&talks.categories), ["World", "Middle East"]);
    assert_eq!(talks.published, Some(date("2025-03-04T09:12:00Z")));
    assert_eq!(
        talks.updated, None,
        "RSS has no updated date; none is invented"
    );
    assert_eq!(
        talks.summary_html.as_deref(),
        Some(
            "<p>Negotiators from <b>Tehran</b> and Brussels met for the first time since October.</p>"
        )
    );
    let content = talks.content_html.as_deref().unwrap();
    assert!(
        content.contains(
            r#"<img src="https://www.harbordaily.example/media/2025/03/geneva-talks.jpg""#
        )
    );
    assert!(content.contains(
        r#"<a href="https://www.harbordaily.example/world/iran" rel="noopener noreferrer">More on Iran</a>"#
    ));
    assert!(is_content_hash_hex(&talks.content_hash));

    let floods = &feed.entries[1];
    assert_eq!(floods.key, "g:harbordaily-article-88213");
    assert_eq!(
        floods.canonical_link.as_deref(),
        Some("https://www.harbordaily.example/world/2025/03/04/bay-of-bengal-floods?ref=rss")
    );
    assert_eq!(
        floods.summary_html.as_deref(),
        Some(
            "Monsoon-style rains out of season have shut three container ports &amp; stranded dozens of ships."
        )
    );
    assert_eq!(floods.content_html, None);
}

#[test]
fn rss1_with_dublin_core_dates() {
    let feed = parse("rss1.rdf");
    assert_eq!(feed.title.as_deref(), Some("Lakeside Gazette"));
    assert_eq!(
        feed.site_link.as_deref(),
        Some("https://lakeside-gazette.example/")
    );
    assert_eq!(feed.entries.len(), 3);
    let budget = &feed.entries[1];
    assert_eq!(
        budget.key,
        "l:https://lakeside-gazette.example/news/council-budget-vote"
    );
    assert_eq!(budget.guid, None);
    assert_eq!(budget.published, Some(date("2025-03-02T22:40:00Z")));
    assert_eq!(budget.authors, ["Jonas Lund"]);
    assert_eq!(
        budget.summary_html.as_deref(),
        Some("<p>The vote passed <em>17 to 12</em>.</p>")
    );
}

#[test]
fn atom_with_xml_base_and_relative_links() {
    let feed = parse("atom.xml");
    assert_eq!(feed.title.as_deref(), Some("Northstar Times: Asia"));
    assert_eq!(
        feed.site_link.as_deref(),
        Some("https://northstar-times.example/asia/")
    );
    assert_eq!(feed.ttl_minutes, None);
    assert_eq!(feed.entries.len(), 3);

    let growth = &feed.entries[0];
    assert_eq!(growth.key, "g:tag:northstar-times.example,2025:asia/4411");
    assert_eq!(
        growth.link.as_deref(),
        Some("https://northstar-times.example/asia/2025/03/05/china-growth-target")
    );
    assert_eq!(
        growth.title,
        "Beijing sets 5% growth target & pledges trade stimulus"
    );
    assert_eq!(growth.authors, ["Chen Hua", "Priya Nair"]);
    assert_eq!(names(&growth.categories), ["China", "economy"]);
    assert_eq!(growth.published, Some(date("2025-03-04T06:00:00Z")));
    assert_eq!(growth.updated, Some(date("2025-03-04T09:15:00Z")));
    let content = growth.content_html.as_deref().unwrap();
    assert!(content.contains("National People’s Congress"), "{content}");
    // Resolved against the content's own xml:base, not the entry link.
    assert!(content.contains(
        r#"src="https://northstar-times.example/asia/2025/03/05/images/congress-hall.jpg""#
    ));
    assert!(content.contains(r#"href="https://northstar-times.example/asia/markets/""#));

    let monsoon = &feed.entries[1];
    assert_eq!(
        monsoon.link.as_deref(),
        Some("https://northstar-times.example/asia/2025/03/04/india-monsoon-outlook")
    );
    assert_eq!(
        monsoon.authors,
        ["Northstar Times Asia desk"],
        "feed author inherited"
    );
    assert_eq!(monsoon.published, None);
    let summary = monsoon.summary_html.as_deref().unwrap();
    assert!(
        summary.contains(r#"href="https://northstar-times.example/asia/monsoon""#),
        "{summary}"
    );

    let chips = &feed.entries[2];
    assert_eq!(
        chips.title,
        r#"Why "<" matters in Japan's new chip export rules"#
    );
    assert_eq!(
        chips.summary_html.as_deref(),
        Some("Thresholds below 14nm &lt; the previous limit, analysts said.")
    );
}

#[test]
fn json_feed_1_1() {
    let feed = parse("feed.json");
    assert_eq!(feed.title.as_deref(), Some("Coastline Post — Latest"));
    assert_eq!(
        feed.site_link.as_deref(),
        Some("https://coastlinepost.example/")
    );
    assert_eq!(feed.entries.len(), 3);

    let dredging = &feed.entries[0];
    assert_eq!(
        dredging.key,
        "g:coastlinepost.example/2025/03/04/harbor-dredging-approved"
    );
    assert_eq!(dredging.authors, ["Dana Whitfield", "Luis Ortega"]);
    assert_eq!(names(&dredging.categories), ["Local", "Environment"]);
    assert_eq!(dredging.published, Some(date("2025-03-04T13:30:00Z")));
    assert_eq!(dredging.updated, Some(date("2025-03-04T15:05:00Z")));
    assert_eq!(
        dredging.summary_html.as_deref(),
        Some("Port authority votes to deepen the main channel.")
    );
    let content = dredging.content_html.as_deref().unwrap();
    assert!(content.contains("voted 5–2"));
    assert!(content.contains(r#"href="https://coastlinepost.example/tag/harbor""#));
    assert!(content.contains(r#"src="https://coastlinepost.example/img/dredger.jpg""#));

    let insurers = &feed.entries[1];
    assert_eq!(insurers.key, "g:cp-2025-03-03-0412");
    assert_eq!(
        insurers.authors,
        ["Coastline Post"],
        "feed author inherited"
    );
    assert!(
        insurers
            .content_html
            .as_deref()
            .unwrap()
            .starts_with("Premiums for tankers")
    );
}

/// A JSON Feed 1.0 named with `http://`, `tags` as one string, a date that is a
/// number, an attachment list that is a string, an item that is not an object: the
/// feed is read, each bad field costs that field, the bad item only itself.
#[test]
fn loose_json_feed_1_0_keeps_every_item() {
    let (feed, notes) =
        parse_feed_with_notes(&fixture("feed-1.0-loose.json"), &source_url()).unwrap();
    assert!(notes.repaired_json);
    assert_eq!(feed.title.as_deref(), Some("Ridgeway Notes"));
    let titles = entry_titles(&feed);
    assert_eq!(
        titles,
        [
            "North trail reopens after the rockfall",
            "Hut bookings open for the summer",
            "Late snow on the upper pass",
        ]
    );
    assert_eq!(names(&feed.entries[0].categories), ["trails", "safety"]);
    assert!(feed.entries[0].published.is_some());
    assert!(
        feed.entries[1].published.is_none(),
        "the numeric date is dropped"
    );
    assert!(
        feed.entries[2]
            .content_html
            .as_deref()
            .unwrap()
            .contains("spikes")
    );
}

/// The titles of a parsed feed's entries, in order.
fn entry_titles(feed: &feedbraid::model::ParsedFeed) -> Vec<&str> {
    feed.entries.iter().map(|e| e.title.as_str()).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A body gzip-compressed without a Content-Encoding header (or a `.gz` file served
/// as is) is read as the document it holds; a bomb or a corrupt stream is an error.
#[test]
fn gzip_compressed_body_is_read() {
    let plain = parse_feed(&fixture("rss2.xml"), &source_url()).unwrap();
    let zipped = parse_feed(&gzip(&fixture("rss2.xml")), &source_url()).unwrap();
    assert_eq!(zipped, plain);

    let bomb = gzip(&vec![b' '; feedbraid::parse::MAX_GUNZIPPED_BYTES + 1]);
    let Err(ParseError::Invalid(message)) = parse_feed(&bomb, &source_url()) else {
        panic!("a gzip bomb is refused");
    };
    assert!(message.contains("expands past"), "{message}");
    let corrupt = [b"\x1F\x8B\x08\x00".as_slice(), b"not deflate at all"].concat();
    assert!(matches!(
        parse_feed(&corrupt, &source_url()),
        Err(ParseError::Invalid(_))
    ));
}

/// An XHTML page that wraps a whole Atom feed element is read as that feed.
#[test]
fn a_feed_wrapped_in_a_page_is_read() {
    let feed = parse_feed(&fixture("atom-in-xhtml.xml"), &source_url()).unwrap();
    assert_eq!(feed.title.as_deref(), Some("Lantern Street Notes"));
    let titles = entry_titles(&feed);
    assert_eq!(
        titles,
        [
            "Night market returns to Lantern Street",
            "Street lights replaced with warmer lamps"
        ]
    );
}

/// RSS 2.0 in windows-1251 under a default namespace on its root (as some Russian
/// portals write it): decoded by the declared encoding, every item read.
#[test]
fn rss_under_a_default_namespace_in_windows_1251_is_read() {
    let feed = parse_feed(&fixture("rss2-cp1251-namespaced.xml"), &source_url()).unwrap();
    assert_eq!(feed.title.as_deref(), Some("Новости Заречья"));
    let titles = entry_titles(&feed);
    assert_eq!(
        titles,
        [
            "Мост через реку откроют в пятницу",
            "В парке высадят двести лип"
        ]
    );
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("https://zarechye.example/news/most")
    );
}

/// No XML declaration, ISO-8859-1 bytes, an `<rss>` root with no version (a
/// Brazilian portal's shape): read as windows-1252, accents intact, both items.
#[test]
fn undeclared_latin1_rss_without_a_version_is_read() {
    let (feed, notes) =
        parse_feed_with_notes(&fixture("rss-undeclared-latin1.xml"), &source_url()).unwrap();
    assert!(notes.repaired_encoding);
    assert_eq!(feed.title.as_deref(), Some("Notícias do Vale"));
    let titles = entry_titles(&feed);
    assert_eq!(
        titles,
        [
            "Ponte sobre o rio São Bento é reaberta",
            "Feira de inverno começa no sábado"
        ]
    );
}

/// Empty Media RSS text elements (`<media:title type="html"></media:title>`,
/// `<media:description />`), which feed-rs refuses a document over, cost nothing.
#[test]
fn empty_media_text_elements_are_read_past() {
    let feed = parse_feed(&fixture("rss2-empty-media-text.xml"), &source_url()).unwrap();
    let titles = entry_titles(&feed);
    assert_eq!(
        titles,
        [
            "Ferry service resumes after the monsoon pause",
            "River port adds two cranes"
        ]
    );
    assert!(
        feed.entries[0]
            .content_html
            .as_deref()
            .unwrap()
            .contains("from Monday")
    );
}

/// Atom 0.3 (`http://purl.org/atom/ns#`, `issued`/`modified`) is read as Atom 1.0.
#[test]
fn atom_0_3_entries_are_read() {
    let feed = parse_feed(&fixture("atom03.xml"), &source_url()).unwrap();
    assert_eq!(feed.title.as_deref(), Some("Quayside Journal"));
    let titles = entry_titles(&feed);
    assert_eq!(
        titles,
        [
            "Tide tables for the spring season",
            "The old crane is listed"
        ]
    );
    let first = &feed.entries[0];
    assert_eq!(
        first.link.as_deref(),
        Some("https://quayside.example/2009/01/tides.html")
    );
    assert_eq!(
        first.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2009-01-20T14:22:38+00:00")
    );
    assert!(
        first
            .content_html
            .as_deref()
            .unwrap()
            .contains("High water")
    );
}

#[test]
fn html_page_is_not_a_feed() {
    assert!(matches!(
        parse_feed(&fixture("html-page.html"), &source_url()),
        Err(ParseError::HtmlPage)
    ));
    assert!(matches!(
        parse_feed(
            b"  <html><body>502 Bad Gateway</body></html>",
            &source_url()
        ),
        Err(ParseError::HtmlPage)
    ));
}

#[test]
fn ill_formed_documents_keep_their_whole_items() {
    // A stray `&`, an unclosed `<category>`, items outside a channel, and a document
    // cut short inside its second item: the first item is read, the cut one is not.
    let body =
        b"<rss><item><title>Ports &amp; harbors</title><link>https://news.example/a?x=1&y=2</link>\
        <description>&lt;p&gt;Flooding closes four ports</description><category>Weather</item>\
        <item><title>Cut off</title><description><![CDATA[half";
    let (feed, notes) = parse_feed_with_notes(body, &source_url()).unwrap();
    assert!(notes.repaired_markup);
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert_eq!(entry.title, "Ports & harbors");
    assert_eq!(
        entry.link.as_deref(),
        Some("https://news.example/a?x=1&y=2")
    );
    assert_eq!(names(&entry.categories), ["Weather"]);
    assert_eq!(
        entry.summary_html.as_deref(),
        Some("<p>Flooding closes four ports</p>")
    );
}

#[test]
fn rss1_items_without_a_link_take_their_rdf_about() {
    let body = br#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
        <channel rdf:about="https://news.example/"><title>News</title></channel>
        <item rdf:about="https://news.example/1"><title>One</title></item></rdf:RDF>"#;
    let feed = parse_feed(body, &source_url()).unwrap();
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("https://news.example/1")
    );
}

#[test]
fn garbage_is_invalid() {
    for body in [
        &b""[..],
        b"plain text",
        b"<rss version=\"2.0\"><channel><item>",
        b"{\"version\": 1",
    ] {
        assert!(
            matches!(parse_feed(body, &source_url()), Err(ParseError::Invalid(_))),
            "{body:?}"
        );
    }
}

#[test]
fn invalid_bytes_still_yield_items() {
    let (feed, notes) = parse_feed_with_notes(&fixture("bad-bytes.xml"), &source_url()).unwrap();
    assert!(notes.repaired_encoding);
    assert_eq!(feed.entries.len(), 2);
    assert!(
        feed.entries[0]
            .summary_html
            .as_deref()
            .unwrap()
            .contains("caf\u{FFFD}")
    );
    assert_eq!(feed.entries[1].title, "Bridge repairs finished early");

    let mut json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"caf"#.to_vec();
    json.extend_from_slice(b"\xE9\"},{\"id\":\"2\",\"title\":\"ok\"}]}");
    let (feed, notes) = parse_feed_with_notes(&json, &source_url()).unwrap();
    assert!(notes.repaired_encoding);
    assert_eq!(feed.entries[0].title, "caf\u{FFFD}");
    assert_eq!(feed.entries[1].title, "ok");
}

#[test]
fn declared_latin1_is_decoded_not_repaired() {
    let (feed, notes) = parse_feed_with_notes(&fixture("latin1.xml"), &source_url()).unwrap();
    assert!(!notes.repaired_encoding);
    assert_eq!(feed.title.as_deref(), Some("Le Réveil du Sud"));
    assert_eq!(
        feed.entries[0].title,
        "La fête du café attire 10 000 visiteurs"
    );
    assert_eq!(
        feed.entries[0].summary_html.as_deref(),
        Some("Une édition record à Montpellier.")
    );
}

/// Found by the pipeline fuzz target: feed-rs 3.0 panicked on an author whose e-mail
/// address touches a non-ASCII character, which made the whole feed unreadable.
#[test]
fn authors_with_addresses_touching_non_ascii_are_read() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hostile/rss-author-email-non-ascii.xml"
    ))
    .unwrap();
    let feed = parse_feed(&bytes, &source_url()).expect("the feed is read");
    let authors: Vec<&[String]> = feed.entries.iter().map(|e| &e.authors[..]).collect();
    assert_eq!(
        authors,
        [&["Jürgen Weiß «"][..], &["(Anna König)"], &[]],
        "names as feed-rs splits them; a name of punctuation alone is dropped"
    );
    let text = &feed.entries[2].text;
    assert!(text.contains("« wirtschaft@rheinbote.example »"), "{text}");
}
