use super::*;

const NEWS: &str = include_str!("../../tests/fixtures/articles/news.html");
const WIRE: &str = include_str!("../../tests/fixtures/articles/wire.html");
const VIDEO: &str = include_str!("../../tests/fixtures/articles/video.html");
const PAYWALL: &str = include_str!("../../tests/fixtures/articles/paywall.html");
const INDEX: &str = include_str!("../../tests/fixtures/articles/index.html");
const SELECTOR: &str = include_str!("../../tests/fixtures/articles/selector.html");

fn url() -> url::Url {
    url::Url::parse("https://ledger.example/local/transport/harbourside-depot").unwrap()
}

fn css(text: &str) -> CssSelector {
    CssSelector::parse(text).unwrap()
}

fn readable(page: &str) -> Result<String, NoArticle> {
    main_content(page, &url(), None, &[])
}

fn assert_has_all(html: &str, wanted: &[&str]) {
    for text in wanted {
        assert!(html.contains(text), "missing {text:?} in:\n{html}");
    }
}

fn assert_has_none(html: &str, unwanted: &[&str]) {
    for text in unwanted {
        assert!(!html.contains(text), "kept {text:?} in:\n{html}");
    }
}

const NEWS_PARAGRAPHS: &[&str] = &[
    "finally opened its gates on Thursday",
    "swallowed nearly four hundred extra piles",
    "The final bill came to 184 million crowns",
    "washing line that cleans a full tram",
    "Services on the new Route 9",
    "keep a log of night-time noise",
];

#[test]
fn a_news_page_yields_its_paragraphs_and_lead_figure_and_no_clutter() {
    let html = readable(NEWS).unwrap();
    assert_has_all(&html, NEWS_PARAGRAPHS);
    assert_has_all(
        &html,
        &[
            "<img src=\"https://ledger.example/images/2024/03/harbourside-depot.jpg\"",
            "arched roof spans eleven tracks",
        ],
    );
    let figure = html.find("harbourside-depot.jpg").unwrap();
    assert!(figure < html.find(NEWS_PARAGRAPHS[0]).unwrap(), "{html}");
    assert_has_none(
        &html,
        &[
            "We use cookies",
            "Weather and Tides",
            "Subscribe for one crown",
            "Transport</a>",
            "Share this story",
            "Post to Friendbook",
            "Morning Ledger",
            "Sign up for our free newsletter",
            "Ferry timetable cut again",
            "Trams</a>",
            "More from Local",
            "Swing bridge repairs",
            "Comments (3)",
            "cannot believe they managed",
            "quayside_walker",
            "Most read",
            "Garden Centre",
            "All rights reserved",
            "Contact the newsroom",
            "dataLayer",
        ],
    );
}

#[test]
fn a_wire_story_yields_all_its_paragraphs() {
    let html = readable(WIRE).unwrap();
    assert_has_all(
        &html,
        &[
            "About 6,500 dockworkers at the port of Velmora",
            "900 million crown contract for automated ship-to-shore cranes",
            "thrown away like old rope",
            "offered retraining to supervise the cranes",
            "refrigerated containers began to pile up",
            "4.1 million twenty-foot equivalent units",
            "divert some vessels to the smaller port of Kessun",
        ],
    );
    assert_has_none(
        &html,
        &[
            "Advertisement",
            "uses cookies",
            "Crosswords",
            "Copy link",
            "Read next",
            "Pulp prices",
            "Popular now",
            "may not be republished",
        ],
    );
}

#[test]
fn pages_that_are_not_articles_are_refused() {
    assert_eq!(readable(VIDEO), Err(NoArticle::NotReadable));
    assert!(
        matches!(readable(PAYWALL), Err(NoArticle::TooShort { chars }) if chars < 300),
        "{:?}",
        readable(PAYWALL)
    );
    assert_eq!(
        readable(INDEX),
        Err(NoArticle::HeadlineList { headlines: 8 })
    );
    assert_eq!(readable(""), Err(NoArticle::NotReadable));
    assert_eq!(
        readable("\u{0}\u{fffd}<<>>&&;</p></div>"),
        Err(NoArticle::NotReadable)
    );
}

#[test]
fn the_selector_path_yields_exactly_the_selected_body() {
    let open = "<div class=\"story-body\">";
    let start = SELECTOR.find(open).unwrap() + open.len();
    let end = start + SELECTOR[start..].find("\n</div>").unwrap() + 1;
    let body = &SELECTOR[start..end];
    let selector = css("div.story-body");
    assert_eq!(
        main_content(SELECTOR, &url(), Some(&selector), &[]).as_deref(),
        Ok(body)
    );
    // Readability, left to itself, takes the trust's long paragraphs instead.
    assert!(!readable(SELECTOR).is_ok_and(|html| html.contains("net lofts on Cooper")));

    let without_figure = main_content(SELECTOR, &url(), Some(&selector), &[css("figure")]).unwrap();
    assert!(without_figure.starts_with("<p>The three net lofts"));
    assert!(!without_figure.contains("<figure>"));

    assert_eq!(
        main_content(SELECTOR, &url(), Some(&css(".article-text")), &[]),
        Err(NoArticle::SelectorMatchedNothing)
    );
    let paywalled = main_content(PAYWALL, &url(), Some(&css(".story-body")), &[]);
    assert!(matches!(paywalled, Ok(ref html) if html.contains("cannery announced")));
    let tiny = "<div class=a><p>Too short.</p></div>";
    assert_eq!(
        main_content(tiny, &url(), Some(&css(".a")), &[]),
        Err(NoArticle::TooShort { chars: 10 })
    );
}

#[test]
fn nested_matches_are_taken_once() {
    let text = "A paragraph long enough to pass the minimum for selected content. ".repeat(3);
    let page = format!("<div class=x><div class=x><p>{text}</p></div></div>");
    let html = main_content(&page, &url(), Some(&css(".x")), &[]).unwrap();
    assert_eq!(html.matches("A paragraph long").count(), 3);
}

#[test]
fn remove_selectors_apply_before_readability() {
    let html = main_content(
        NEWS,
        &url(),
        None,
        &[css("figure"), css(".story-body p:last-child")],
    )
    .unwrap();
    assert!(!html.contains("harbourside-depot.jpg"));
    assert!(!html.contains("keep a log of night-time noise"));
    assert_has_all(&html, &NEWS_PARAGRAPHS[..5]);
}

#[test]
fn remove_elements_drops_matches_and_keeps_the_rest() {
    let item = "<p>First <b>point</b>.</p><div class=\"share\"><a href=\"/s\">Share</a></div><p>Second.</p>tail";
    assert_eq!(
        remove_elements(item, &[css(".share")]).as_deref(),
        Some("<p>First <b>point</b>.</p><p>Second.</p>tail")
    );
    assert_eq!(remove_elements(item, &[css(".social"), css("aside")]), None);
    assert_eq!(remove_elements(item, &[]), None);
    assert_eq!(remove_elements("plain text", &[css("p")]), None);
    assert_eq!(
        remove_elements("<table><td>x</td></table>", &[css("td")]).as_deref(),
        Some("<table><tbody><tr></tr></tbody></table>")
    );
}

#[test]
fn a_page_over_the_size_cap_is_cut_not_refused() {
    let blob = format!(
        "<script>var state = \"{}\";</script>",
        "x".repeat(3 * 1024 * 1024)
    );
    let page = NEWS.replace("<script src=\"/static/app.js\"></script>", &blob);
    assert!(page.len() > 3 * 1024 * 1024);
    let html = readable(&page).unwrap();
    assert_has_all(&html, NEWS_PARAGRAPHS);
}

#[test]
fn deep_or_hostile_pages_do_not_panic() {
    let deep = format!("{}<p>deep</p>", "<div>".repeat(100_000));
    assert_eq!(
        readable(&deep),
        Err(NoArticle::TooDeep {
            limit: MAX_PAGE_DEPTH
        })
    );
    assert_eq!(remove_elements(&deep, &[css("p")]), None);
    let just_under = NEWS.replace("<main id=\"content\">", &"<div>".repeat(200));
    assert_has_all(&readable(&just_under).unwrap(), NEWS_PARAGRAPHS);
    let unclosed = "<b><i><a href=x>".repeat(30_000);
    assert!(readable(&unclosed).is_err());
    let selector = css("p");
    let many = "<p>x".repeat(5_000);
    assert!(main_content(&many, &url(), Some(&selector), &[]).is_ok());
    assert!(readable(&many).is_err());
}

#[test]
fn links_follow_the_pages_declared_base() {
    let text = "A paragraph long enough to pass the minimum for selected content. ".repeat(3);
    let page = format!(
        "<head><base href=\"https://cdn.example/story/\"></head>\
         <div class=x><p>{text}<img src=\"pic.jpg\"><a href=\"/about\">about</a></p></div>"
    );
    let html = main_content(&page, &url(), Some(&css(".x")), &[]).unwrap();
    assert_has_all(
        &html,
        &[
            "src=\"https://cdn.example/story/pic.jpg\"",
            "href=\"https://cdn.example/about\"",
        ],
    );
    let plain = main_content(
        &page.replace("<base", "<meta"),
        &url(),
        Some(&css(".x")),
        &[],
    );
    assert_has_all(&plain.unwrap(), &["src=\"pic.jpg\"", "href=\"/about\""]);
}
