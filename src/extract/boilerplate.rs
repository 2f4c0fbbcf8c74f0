//! The clutter news pages put around and inside an article, removed before
//! Readability scores the page: Readability judges blocks by their text, so a share
//! bar or a newsletter box inside the article's container comes out with the
//! article unless it is gone first.

use std::collections::HashSet;
use std::sync::LazyLock;

use dom_query::{Document, Matcher, NodeId, NodeRef};

/// Elements that are never article content, by tag or ARIA role. Headers are
/// handled apart: a `<header>` inside `<article>` or `<main>` holds the article's
/// headline, byline and standfirst, and often its lead image.
static CLUTTER_ELEMENTS: LazyLock<Option<Matcher>> = LazyLock::new(|| {
    Matcher::new(
        "nav, footer, aside, dialog, [role=navigation], [role=banner], [role=contentinfo], \
         [role=complementary], [role=dialog], [role=alertdialog], [aria-modal=true]",
    )
    .ok()
});

/// Words in a class or id that name clutter (matched as whole words of the
/// attribute: `share-bar` and `shareBar` have the word `share`, `shared` has not).
/// Bylines and datelines are metadata, not the report: kept, they would shift the
/// lede that story clustering compares against other outlets' copies.
const CLUTTER_WORDS: &[&str] = &[
    "ad",
    "ads",
    "adslot",
    "advert",
    "advertisement",
    "advertising",
    "author",
    "banner",
    "breadcrumb",
    "breadcrumbs",
    "byline",
    "comment",
    "comments",
    "consent",
    "cookie",
    "cookies",
    "dateline",
    "disqus",
    "gdpr",
    "meta",
    "metadata",
    "modal",
    "newsletter",
    "outbrain",
    "paywall",
    "popular",
    "popup",
    "promo",
    "promoted",
    "recommended",
    "related",
    "share",
    "sharebar",
    "sharing",
    "sidebar",
    "signup",
    "social",
    "sponsor",
    "sponsored",
    "subscribe",
    "subscription",
    "taboola",
    "timestamp",
    "trending",
];

/// A paragraph with at least this many characters of its own text (links not
/// counted) is a paragraph of prose, not a teaser or a caption.
pub const SUBSTANTIAL_PARAGRAPH: usize = 80;

/// Removes clutter from `doc`. An element that holds at least half of the page's
/// paragraph text is kept whatever its class says (`article-body has-related-links`
/// must not take the article with it), and so is everything around the element
/// marked as the article body (`itemprop=articleBody`); `<html>`, `<body>` and
/// `<main>` always stay.
pub fn strip(doc: &Document) {
    let root = doc.root();
    let total = paragraph_chars(&root);
    let body_marked = doc.select("[itemprop=articleBody]");
    let protected: HashSet<NodeId> = body_marked
        .nodes()
        .iter()
        .flat_map(|node| node.ancestors_it(None).chain(std::iter::once(*node)))
        .map(|node| node.id)
        .collect();
    let keep = |node: &NodeRef| {
        matches!(node.node_name().as_deref(), Some("html" | "body" | "main"))
            || protected.contains(&node.id)
            || (total > 0 && paragraph_chars(node) * 2 >= total)
    };
    let clutter: Vec<NodeRef> = root
        .descendants_it()
        .filter(|node| node.is_element() && is_clutter(node))
        .collect();
    for node in clutter {
        if attached(&node) && !keep(&node) {
            node.remove_from_parent();
        }
    }
}

fn is_clutter(node: &NodeRef) -> bool {
    if CLUTTER_ELEMENTS
        .as_ref()
        .is_some_and(|matcher| node.is_match(matcher))
    {
        return true;
    }
    if node.has_name("header")
        && !node
            .ancestors_it(None)
            .any(|a| a.has_name("article") || a.has_name("main"))
    {
        return true;
    }
    ["class", "id"].iter().any(|name| {
        node.attr(name)
            .is_some_and(|value| has_clutter_word(&value))
    })
}

/// Whether an attribute value has a clutter word, split at anything but letters
/// and digits and between a lower-case letter and a capital.
fn has_clutter_word(value: &str) -> bool {
    let mut word = String::new();
    let mut previous_lower = false;
    for c in value.chars().chain(std::iter::once(' ')) {
        let boundary = !c.is_alphanumeric() || (previous_lower && c.is_uppercase());
        if boundary && !word.is_empty() {
            if CLUTTER_WORDS.contains(&word.as_str()) {
                return true;
            }
            word.clear();
        }
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        }
        previous_lower = c.is_lowercase();
    }
    false
}

/// Whether `node` is still in the document (not inside a removed element).
fn attached(node: &NodeRef) -> bool {
    node.ancestors_it(None)
        .any(|ancestor| ancestor.is_document())
}

/// The characters (whitespace folded) of the `<p>` elements in `node`.
pub fn paragraph_chars(node: &NodeRef) -> usize {
    node.descendants_it()
        .filter(|n| n.has_name("p"))
        .map(|p| p.normalized_char_count())
        .sum()
}

/// The characters of `node`'s text outside links (whitespace folded).
pub fn own_text_chars(node: &NodeRef) -> usize {
    let links: usize = node
        .descendants_it()
        .filter(|n| n.has_name("a"))
        .map(|a| a.normalized_char_count())
        .sum();
    node.normalized_char_count().saturating_sub(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clutter_words_are_whole_words() {
        for value in [
            "share-bar",
            "shareBar",
            "ad slot",
            "Cookie_Consent",
            "js-comments",
        ] {
            assert!(has_clutter_word(value), "{value}");
        }
        for value in [
            "shared-story",
            "story-body",
            "header",
            "adventure",
            "thread",
            "loading",
        ] {
            assert!(!has_clutter_word(value), "{value}");
        }
    }

    #[test]
    fn the_container_of_most_text_stays_whatever_its_class() {
        let long = "A sentence of an article that goes on long enough to count. ".repeat(5);
        let page = format!(
            "<header>Site name</header><main><header><p>Standfirst</p></header>\
             <div class='story has-related-links'><p>{long}</p><div class='share'>Share</div></div>\
             <div class='related'><p>Other story</p></div></main>"
        );
        let doc = Document::from(page);
        strip(&doc);
        let html = doc.html();
        assert!(html.contains("has-related-links"));
        assert!(!html.contains("Share</div>"));
        assert!(!html.contains("Other story"));
        assert!(html.contains("Standfirst") && !html.contains("Site name"));
    }
}
