//! The HTML policy: active content removed, relative links made absolute, idempotent.

use super::*;

/// Elements that must never appear in sanitized output.
const FORBIDDEN_TAGS: [&str; 16] = [
    "script", "style", "iframe", "object", "embed", "form", "input", "meta", "link", "base", "svg",
    "math", "noscript", "frame", "applet", "template",
];

/// Checks every tag of sanitized HTML: no forbidden element, no event handler, style,
/// or `cite`, and every `href`/`src` an absolute http(s) or mailto URL. Text is not
/// inspected: the serializer escapes `<` in text, so escaped markup is inert text.
pub fn assert_inert(html: &str) {
    for tag in html
        .split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(""))
    {
        let lower = tag.to_lowercase();
        let name = lower
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap_or("");
        assert!(
            !FORBIDDEN_TAGS.contains(&name),
            "<{name}> survived in {html}"
        );
        for attribute in lower.split(' ').skip(1) {
            let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
            let value = value.trim_matches('"');
            assert!(!key.starts_with("on"), "handler {key} survived in {html}");
            assert!(
                !matches!(key, "style" | "cite" | "srcdoc" | "action" | "formaction"),
                "{key} survived in {html}"
            );
            if matches!(key, "href" | "src") {
                assert!(
                    value.starts_with("https://")
                        || value.starts_with("http://")
                        || value.starts_with("mailto:"),
                    "{key}={value} survived in {html}"
                );
            }
        }
    }
}

#[test]
fn xss_fixture_is_neutralized_in_every_field() {
    let feed = parse("xss.xml");
    assert_eq!(feed.title.as_deref(), Some("Compromised Chronicle"));
    assert_eq!(
        feed.site_link, None,
        "a javascript: channel link is dropped"
    );
    let first = &feed.entries[0];
    assert_eq!(first.title, "Minister resigns over leak");
    assert_eq!(first.authors, ["Jane Roe"]);
    assert_eq!(names(&first.categories), ["Politics"]);
    for entry in &feed.entries {
        for html in html_fields(entry) {
            assert_inert(html);
        }
    }
    let content = first.content_html.as_deref().unwrap();
    assert!(
        content.contains(
            r#"href="https://compromised-chronicle.example/politics/relative/page.html""#
        )
    );
    assert!(content.contains("<p>Safe <strong>bold</strong> text.</p>"));
    assert!(
        content.contains("quoted") && content.contains("styled"),
        "harmless text is kept"
    );
    let second = &feed.entries[1];
    assert_eq!(
        second.title,
        "Ordinary headline & a double-escaped ampersand"
    );
    assert_eq!(
        second.summary_html.as_deref(),
        Some(
            r#"<a href="https://compromised-chronicle.example/ok" rel="noopener noreferrer">fine link</a>"#
        )
    );
}

#[test]
fn xss_in_atom_and_json_fields_is_neutralized() {
    for name in ["xss-atom.xml", "xss.json"] {
        let feed = parse(name);
        assert_eq!(
            feed.site_link, None,
            "{name}: a javascript: home link is dropped"
        );
        let title = feed.title.as_deref().unwrap();
        assert!(
            !title.contains('<') && !title.contains("alert"),
            "{name}: {title}"
        );
        for entry in &feed.entries {
            for html in html_fields(entry) {
                assert_inert(html);
            }
            let texts = [&entry.title]
                .into_iter()
                .chain(&entry.authors)
                .chain(entry.categories.iter().map(|c| &c.name));
            for text in texts {
                assert!(!text.to_lowercase().contains("<script"), "{name}: {text}");
            }
            if let Some(link) = &entry.link {
                assert!(link.starts_with("https://"), "{name}: {link}");
            }
        }
    }
    let atom = parse("xss-atom.xml");
    assert_eq!(atom.entries[0].title, "Port strike ends");
    assert_eq!(atom.entries[0].link, None, "JavaScript: entry link dropped");
    assert_eq!(atom.entries[0].authors, ["Ravi Menon"]);
    assert_eq!(names(&atom.entries[0].categories), ["Labour"]);
    let content = atom.entries[0].content_html.as_deref().unwrap();
    assert!(content.contains("Unions accepted the offer."));
    assert!(
        content.contains(r#"src="https://tainted-tribune.example/images/dock.jpg""#),
        "{content}"
    );
    // Titles lose markup even when declared plain; plain summaries show it, escaped.
    assert_eq!(atom.entries[1].title, "Plain-text title with markup");
    assert_eq!(
        atom.entries[1].summary_html.as_deref(),
        Some("&lt;img src=x onerror=alert('plain summary')&gt; stays literal")
    );

    let json = parse("xss.json");
    let first = &json.entries[0];
    assert_eq!(first.title, "Ceasefire holds");
    assert_eq!(
        first.link.as_deref(),
        Some("https://poisoned-post.example/world/ceasefire")
    );
    assert_eq!(first.authors, ["Omar Haddad"]);
    assert_eq!(names(&first.categories), ["World"]);
    let content = first.content_html.as_deref().unwrap();
    assert!(
        content.contains(
            r#"<a href="https://poisoned-post.example/world" rel="noopener noreferrer">World</a>"#
        ),
        "{content}"
    );
}

#[test]
fn sanitize_table() {
    let base = url("https://news.example.com/world/story.html");
    let cases: [(&str, &str); 18] = [
        ("<script>alert(1)</script><p>x</p>", "<p>x</p>"),
        (
            "<img src=x onerror=alert(1)>",
            r#"<img src="https://news.example.com/world/x">"#,
        ),
        (
            r#"<a href="JAVASCRIPT:alert(1)">a</a>"#,
            r#"<a rel="noopener noreferrer">a</a>"#,
        ),
        (
            r#"<a href="&#106;avascript:alert(1)">a</a>"#,
            r#"<a rel="noopener noreferrer">a</a>"#,
        ),
        (
            r#"<a href="java&#9;script:alert(1)">a</a>"#,
            r#"<a rel="noopener noreferrer">a</a>"#,
        ),
        (
            r#"<a href=" vbscript:x">a</a>"#,
            r#"<a rel="noopener noreferrer">a</a>"#,
        ),
        (r#"<img src="data:image/png;base64,AAAA">"#, "<img>"),
        (
            r#"<iframe src="https://evil.example/"></iframe>after"#,
            "after",
        ),
        ("<svg><circle onload=x /></svg>after", "after"),
        ("<math><mi>x</mi></math>after", "after"),
        (
            r#"<object data="https://e.example/x"></object><embed src="https://e.example/y">"#,
            "",
        ),
        (
            r#"<form action="https://e.example/"><b>in form</b></form>"#,
            "<b>in form</b>",
        ),
        (
            r#"<meta http-equiv=refresh content="0"><link rel=stylesheet href=x><base href="https://e.example/">"#,
            "",
        ),
        (r#"<p style="color:red" class="x" id="y">p</p>"#, "<p>p</p>"),
        (
            r#"<a href="/about" target="_blank">a</a>"#,
            r#"<a href="https://news.example.com/about" rel="noopener noreferrer">a</a>"#,
        ),
        (
            r#"<a href="mailto:desk@news.example.com">m</a>"#,
            r#"<a href="mailto:desk@news.example.com" rel="noopener noreferrer">m</a>"#,
        ),
        ("a\u{0B}b\u{FFFE}c", "abc"),
        ("<p>unclosed <b>bold", "<p>unclosed <b>bold</b></p>"),
    ];
    for (input, expected) in cases {
        let out = sanitize_html(input, Some(&base));
        assert_eq!(out, expected, "input: {input}");
        assert_inert(&out);
    }
    assert_eq!(
        sanitize_html(r#"<a href="/about">a</a><img src="x.png">"#, None),
        r#"<a rel="noopener noreferrer">a</a><img>"#,
        "without a base, relative URLs are dropped"
    );
}

#[test]
fn sanitizing_twice_equals_sanitizing_once() {
    let base = url("https://news.example.com/world/");
    let mut samples: Vec<String> = vec![
        "<p>unclosed <b>bold <i>both".into(),
        "<table><tr><td>cell<p>para</td></tr></table>".into(),
        "<a href=a>x<a href=b>y</a></a>".into(),
        "<ul><li>one<li>two</ul><p>a<div>b</div>".into(),
        "5 < 6 & 7 > 3 &amp; &lt;b&gt; &nbsp; ".into(),
        r#"<img src="rel.png" alt='"quoted"'><br/><hr>"#.into(),
    ];
    for name in FEED_FIXTURES {
        for entry in parse(name).entries {
            samples.extend(entry.summary_html);
            samples.extend(entry.content_html);
        }
    }
    for sample in samples {
        let once = sanitize_html(&sample, Some(&base));
        assert_eq!(sanitize_html(&once, Some(&base)), once, "sample: {sample}");
        assert_eq!(sanitize_html(&once, None), once, "sample: {sample}");
    }
}

#[test]
fn html_to_text_table() {
    let cases = [
        ("<p>Iran</p><p>talks</p>", "Iran talks"),
        ("Tom &amp; Jerry &nbsp;&lt;3", "Tom & Jerry <3"),
        ("<b>Teh</b>ran", "Tehran"),
        (
            "<script>var x = '<p>';</script>visible<style>p{}</style>",
            "visible",
        ),
        ("line\n\n  break\tand   tabs", "line break and tabs"),
        ("3 < 5", "3 < 5"),
        ("<!-- comment -->text", "text"),
        ("", ""),
    ];
    for (html, text) in cases {
        assert_eq!(html_to_text(html), text, "{html}");
    }
}

#[test]
fn text_fields_hold_only_xml_characters() {
    let doc = "<rss version=\"2.0\"><channel><title>Bad\u{0B}chars\u{1}</title><item><title>tab\u{0C}feed</title>\
               <guid>x</guid><category>c\u{7}at</category><description>d\u{0B}esc</description></item></channel></rss>";
    let feed = parse_feed(doc.as_bytes(), &source_url()).unwrap();
    let entry = &feed.entries[0];
    let all: Vec<&str> = [
        feed.title.as_deref().unwrap(),
        &entry.title,
        &entry.categories[0].name,
    ]
    .into_iter()
    .chain(html_fields(entry))
    .collect();
    for text in all {
        assert!(text.chars().all(is_xml_char), "{text:?}");
    }
}

#[test]
fn spaces_around_a_url_are_not_part_of_it() {
    let base = url::Url::parse("https://e.example/news/").unwrap();
    let html = sanitize_html(
        "<a href=\" http://x.example/y \">y</a> <img src=\"\n photo.jpg\">",
        Some(&base),
    );
    assert_eq!(
        html,
        "<a href=\"http://x.example/y\" rel=\"noopener noreferrer\">y</a> \
         <img src=\"https://e.example/news/photo.jpg\">"
    );
    assert_inert(&html);
}
