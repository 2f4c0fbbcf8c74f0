//! The `/` status page: escapes everything, lists problems first, shows no token.

use feedbraid::model::SourceState;
use feedbraid::render::html::{IndexFeed, IndexPage, IndexStory, render_index};

use super::{at, strict_xml};

fn source_state(name: &str, title: &str, attempt: bool, streak: u32) -> SourceState {
    SourceState {
        name: name.to_string(),
        url: format!("https://{name}.example.com/feed?a=1&b=2"),
        title: Some(title.to_string()),
        last_attempt: attempt.then(|| at(14, 10)),
        last_success: (attempt && streak == 0).then(|| at(14, 10)),
        http_status: (streak > 0).then_some(503),
        error: (streak > 0).then(|| "upstream said <oops> & gave up".to_string()),
        error_streak: streak,
        next_poll: Some(at(14, 12)),
        items: 17,
        ..SourceState::default()
    }
}

fn sample_page() -> IndexPage {
    IndexPage {
        title: "feedbraid <status> & co".to_string(),
        base_url: "http://news.example.org:8088".to_string(),
        feeds: vec![
            IndexFeed {
                name: "middle-east".to_string(),
                title: "Middle East <script>alert(1)</script>".to_string(),
                description: "Region & more".to_string(),
                items: 42,
                protected: false,
            },
            IndexFeed {
                name: "internal".to_string(),
                title: "Internal".to_string(),
                description: String::new(),
                items: 1,
                protected: true,
            },
        ],
        sources: vec![
            source_state("alpha-ok", "Alpha Healthy", true, 0),
            source_state("beta-new", "Beta Fresh", false, 0),
            source_state(
                "gamma-broken",
                "Gamma \"Broken\" <img src=x onerror=alert(1)>",
                true,
                3,
            ),
        ],
        stories: vec![
            IndexStory {
                title: "Ceasefire <agreed> & signed".to_string(),
                link: Some("https://gulf-daily.example.com/a?b=1&c=\"2\"".to_string()),
                outlets: 4,
                date: at(14, 9),
            },
            IndexStory {
                title: "Headline only".to_string(),
                link: None,
                outlets: 1,
                date: at(12, 6),
            },
        ],
        generated: at(14, 11),
    }
}

#[test]
fn index_page_escapes_everything_and_lists_problems_first() {
    let html = render_index(&sample_page());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("name=\"viewport\""));
    assert!(!html.contains("<script"), "no script, escaped or ours");
    assert!(!html.contains("<img"));
    assert!(!html.contains("<oops>"));
    assert!(html.contains("Middle East &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("<title>feedbraid &lt;status&gt; &amp; co</title>"));
    assert!(html.contains("Ceasefire &lt;agreed&gt; &amp; signed"));
    assert!(html.contains("href=\"https://gulf-daily.example.com/a?b=1&amp;c=&quot;2&quot;\""));
    for format in ["rss", "atom", "json"] {
        let link = format!("href=\"http://news.example.org:8088/feeds/middle-east.{format}\"");
        assert!(html.contains(&link), "{link}");
    }
    assert!(html.contains("(42 items)"));
    assert!(html.contains("4 outlets"));
    assert!(html.contains("/opml\""));
    assert!(html.contains("token required"));
    assert!(!html.contains("token="));

    let broken = html.find("Gamma").unwrap();
    let fresh = html.find("Beta Fresh").unwrap();
    let healthy = html.find("Alpha Healthy").unwrap();
    assert!(
        broken < fresh && fresh < healthy,
        "error, then new, then ok"
    );
    assert!(html.contains("HTTP 503: upstream said &lt;oops&gt; &amp; gave up"));
    assert!(html.contains("2 min ago") || html.contains("1 h ago"));
}

#[test]
fn index_page_parses_as_well_formed_markup() {
    // Not a requirement of HTML5, but our page is simple enough to be XML too, which
    // proves every tag is closed and every attribute escaped.
    let html = render_index(&sample_page());
    let body = html.trim_start_matches("<!DOCTYPE html>\n");
    let xml = body
        .replace("<br>", "<br/>")
        .replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>");
    let xml = xml.replace(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>",
    );
    strict_xml(&xml);
}
