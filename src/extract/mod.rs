//! Full-text extraction: the main content of an article's web page, for sources
//! whose feeds carry only a summary (`full_text`), and the removal of elements a
//! source's `remove` selectors name from item content.
//!
//! Pure and synchronous; the output is raw HTML the caller sanitizes (and makes
//! its links absolute) like any item content. Every page is bounded before it is
//! parsed ([`MAX_PAGE_BYTES`], [`MAX_PAGE_DEPTH`], [`MAX_PAGE_ELEMENTS`]), and a
//! panic in the HTML crates becomes [`NoArticle::ExtractorFailed`].

mod boilerplate;
mod guard;
mod selector;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use dom_query::{Document, NodeRef};
use dom_smoothie::{Config, Readability, ReadabilityError};

use boilerplate::{SUBSTANTIAL_PARAGRAPH, own_text_chars, paragraph_chars};
pub use guard::{MAX_PAGE_BYTES, MAX_PAGE_DEPTH};
pub use selector::{CssSelector, SelectorError};

/// Most elements a page may have for Readability to score it. Its passes over the
/// tree grow faster than the page: near this many elements they take about half a
/// second (release build), and pages of real news sites have a few thousand.
pub const MAX_PAGE_ELEMENTS: usize = 40_000;

/// Fewest characters (whitespace folded) an article extracted by Readability has.
/// Paywall stubs and video pages keep a teaser or a two-line description, which
/// Readability still returns; a news report is longer.
pub const MIN_ARTICLE_CHARS: usize = 500;

/// Fewest paragraphs of prose (each of at least 80 characters outside links) an
/// article extracted by Readability has: a page of one long blurb, or of a list,
/// is not an article even when its text is long enough.
pub const MIN_PARAGRAPHS: usize = 3;

/// Fewest characters the elements a source's selector matches hold together. The
/// source's author vouched for where the article is, so this only tells an empty
/// or teaser-sized match (a paywalled page) from a short report.
pub const MIN_SELECTED_CHARS: usize = 140;

/// Why a page yielded no article; the caller then keeps the feed's own content.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum NoArticle {
    /// Readability finds no block of prose (a video page, an image gallery).
    #[error("the page does not read as an article")]
    NotReadable,
    /// The article text is shorter than the minimum (a paywall teaser).
    #[error("the article text has only {chars} characters")]
    TooShort { chars: usize },
    /// Too few paragraphs of prose (a page of links or short items).
    #[error("the article has only {found} paragraphs of prose")]
    TooFewParagraphs { found: usize },
    /// The text is a list of linked headlines with blurbs (a section front).
    #[error("the page is a list of {headlines} linked headlines")]
    HeadlineList { headlines: usize },
    #[error("the selector matched nothing on the page")]
    SelectorMatchedNothing,
    #[error("the page nests elements more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("the page has more than {limit} elements")]
    TooManyElements { limit: usize },
    /// The HTML crates panicked on the page.
    #[error("the extractor failed on the page")]
    ExtractorFailed,
}

/// The main content of an article page as HTML (not sanitized).
///
/// With `selector`: the inner HTML of every element it matches, in document order
/// (an element inside another match is not repeated); nothing else is removed but
/// what `remove` names. Without: Readability's article content, after the page's
/// clutter is removed (navigation, headers, footers, asides, and elements whose
/// class or id says share, related, newsletter, comments, cookie, promo, ad…) and
/// the article's lead figures are moved next to its text, so that they are kept.
/// `remove` selectors apply to the page first in both cases. Links are made
/// absolute against the page's `<base>` if it declares one (which the caller,
/// resolving against `page_url`, would miss); Readability also resolves the rest
/// against `page_url`, the selector path leaves them to the caller.
///
/// Without a selector, a page is an article when Readability finds it probably
/// readable (a quick score of its long text blocks) and the content it extracts
/// has at least [`MIN_ARTICLE_CHARS`] characters, at least [`MIN_PARAGRAPHS`]
/// paragraphs of prose, and (if it has three or more linked headlines) fewer than
/// half as many linked headlines as paragraphs. Readability returns its best block on any page, so its
/// own verdict is not enough: a paywall stub yields the teaser and the
/// subscription box, a section front its teaser cards. Listicles whose every item
/// heading is a link are refused too; the feed's content is then kept, which is
/// the cheaper mistake. With a selector, the matches must hold at least
/// [`MIN_SELECTED_CHARS`] characters.
///
/// Pages longer than [`MAX_PAGE_BYTES`] are cut at a char boundary; pages nested
/// deeper than [`MAX_PAGE_DEPTH`] are refused ([`NoArticle::TooDeep`]).
pub fn main_content(
    page: &str,
    page_url: &url::Url,
    selector: Option<&CssSelector>,
    remove: &[CssSelector],
) -> Result<String, NoArticle> {
    let page = guard::cut(page);
    if crate::sanitize::nesting_depth(page) > MAX_PAGE_DEPTH {
        return Err(NoArticle::TooDeep {
            limit: MAX_PAGE_DEPTH,
        });
    }
    let extract = || {
        let doc = Document::from(page);
        remove_matches(&doc, remove);
        match selector {
            Some(selector) => selected_content(&doc, selector, page_url),
            None => readable_content(doc, page_url),
        }
    };
    catch_unwind(AssertUnwindSafe(extract)).unwrap_or_else(|_| {
        tracing::warn!(url = %page_url, "article extraction panicked");
        Err(NoArticle::ExtractorFailed)
    })
}

/// `html` (a fragment: item content) without the elements any of `selectors`
/// matches; `None` when nothing matched, so callers skip reserializing. `None` too
/// for a fragment over the page bounds, or one the HTML crates panic on: the
/// caller's sanitizer then meets it with its own guards.
pub fn remove_elements(html: &str, selectors: &[CssSelector]) -> Option<String> {
    if selectors.is_empty()
        || !html.contains('<')
        || html.len() > MAX_PAGE_BYTES
        || crate::sanitize::nesting_depth(html) > MAX_PAGE_DEPTH
    {
        return None;
    }
    let remove = || {
        let doc = Document::fragment(html);
        let removed = remove_matches(&doc, selectors);
        (removed > 0).then(|| doc.html_root().inner_html().to_string())
    };
    catch_unwind(AssertUnwindSafe(remove)).unwrap_or_else(|_| {
        tracing::warn!("removing elements from item content panicked");
        None
    })
}

/// Removes what `selectors` match from `doc`; returns how many elements matched.
fn remove_matches(doc: &Document, selectors: &[CssSelector]) -> usize {
    selectors
        .iter()
        .map(|selector| {
            let matches = doc.select_matcher(selector.matcher());
            let count = matches.length();
            matches.remove();
            count
        })
        .sum()
}

fn selected_content(
    doc: &Document,
    selector: &CssSelector,
    page_url: &url::Url,
) -> Result<String, NoArticle> {
    let matches = doc.select_matcher(selector.matcher());
    let matched: HashSet<_> = matches.nodes().iter().map(|node| node.id).collect();
    let outermost: Vec<&NodeRef> = matches
        .nodes()
        .iter()
        .filter(|node| !node.ancestors_it(None).any(|a| matched.contains(&a.id)))
        .collect();
    if outermost.is_empty() {
        return Err(NoArticle::SelectorMatchedNothing);
    }
    let chars: usize = outermost.iter().map(|n| n.normalized_char_count()).sum();
    if chars < MIN_SELECTED_CHARS {
        return Err(NoArticle::TooShort { chars });
    }
    if let Some(base) = declared_base(doc, page_url) {
        for node in &outermost {
            resolve_links(node, &base);
        }
    }
    Ok(outermost
        .iter()
        .map(|node| String::from(node.inner_html()))
        .collect())
}

/// The page's `<base href>` resolved against its URL, when it differs from it.
/// The caller resolves what remains relative against the page's URL, which is
/// wrong on such a page; Readability applies the base itself.
fn declared_base(doc: &Document, page_url: &url::Url) -> Option<url::Url> {
    let href = doc.base_uri()?;
    let base = page_url.join(href.trim()).ok()?;
    (base != *page_url).then_some(base)
}

/// Makes the `href` and `src` attributes inside `node` absolute against `base`.
fn resolve_links(node: &NodeRef, base: &url::Url) {
    // Collected first: the tree is borrowed while an iterator walks it.
    let elements: Vec<NodeRef> = node.descendants_it().filter(NodeRef::is_element).collect();
    for element in elements {
        for name in ["href", "src"] {
            let Some(value) = element.attr(name) else {
                continue;
            };
            if let Ok(absolute) = base.join(value.trim()) {
                element.set_attr(name, absolute.as_str());
            }
        }
    }
}

fn readable_content(doc: Document, page_url: &url::Url) -> Result<String, NoArticle> {
    boilerplate::strip(&doc);
    hoist_lead_figures(&doc);
    let config = Config {
        max_elements_to_parse: MAX_PAGE_ELEMENTS,
        // Only the content is used; the title and dates come from the feed.
        disable_json_ld: true,
        ..Config::default()
    };
    // Readability resolves links itself (and rejects a URL without `://`).
    let url = matches!(page_url.scheme(), "http" | "https").then_some(page_url.as_str());
    let mut readability =
        Readability::with_document(doc, url, Some(config)).map_err(|_| NoArticle::NotReadable)?;
    if !readability.is_probably_readable() {
        return Err(NoArticle::NotReadable);
    }
    match readability.parse() {
        Ok(_) => {}
        Err(ReadabilityError::TooManyElements(..)) => {
            return Err(NoArticle::TooManyElements {
                limit: MAX_PAGE_ELEMENTS,
            });
        }
        Err(_) => return Err(NoArticle::NotReadable),
    }
    // `parse` leaves the article alone in the document, in this element.
    let article = readability.doc.select_single("#readability-page-1");
    let Some(root) = article.nodes().first() else {
        return Err(NoArticle::NotReadable);
    };
    judge(root)?;
    Ok(root.inner_html().to_string())
}

/// Whether the content Readability extracted is an article (see [`main_content`]).
fn judge(content: &NodeRef) -> Result<(), NoArticle> {
    let chars = content.normalized_char_count();
    if chars < MIN_ARTICLE_CHARS {
        return Err(NoArticle::TooShort { chars });
    }
    let paragraphs = content
        .descendants_it()
        .filter(|n| n.has_name("p") && own_text_chars(n) >= SUBSTANTIAL_PARAGRAPH)
        .count();
    if paragraphs < MIN_PARAGRAPHS {
        return Err(NoArticle::TooFewParagraphs { found: paragraphs });
    }
    let headlines = content
        .descendants_it()
        .filter(|n| {
            matches!(
                n.node_name().as_deref(),
                Some("h1" | "h2" | "h3" | "h4" | "h5" | "h6")
            ) && n.normalized_char_count() < 2 * linked_chars(n)
        })
        .count();
    if headlines >= 3 && headlines * 2 >= paragraphs {
        return Err(NoArticle::HeadlineList { headlines });
    }
    Ok(())
}

/// The characters of the link text in `node`.
fn linked_chars(node: &NodeRef) -> usize {
    node.descendants_it()
        .filter(|n| n.has_name("a") && n.has_attr("href"))
        .map(|a| a.normalized_char_count())
        .sum()
}

/// Moves the figures of the page's article that come before its first paragraph
/// of prose to just before that paragraph. Readability scores text, so a lead
/// image beside the body's container (as most news pages place it) is left out of
/// the article; next to the text it is kept. The article is the `<article>` (or
/// schema.org Article) element with the most paragraph text, if it holds at least
/// half the page's: elsewhere, a figure before the text is as likely a promotion.
fn hoist_lead_figures(doc: &Document) {
    let total = paragraph_chars(&doc.root());
    let candidates = doc.select("article, [itemtype*=Article]");
    let Some((article, chars)) = candidates
        .nodes()
        .iter()
        .map(|node| (node, paragraph_chars(node)))
        .max_by_key(|(_, chars)| *chars)
    else {
        return;
    };
    if chars == 0 || chars * 2 < total {
        return;
    }
    let mut figures: Vec<NodeRef> = Vec::new();
    let mut figure_ids = HashSet::new();
    let mut first_paragraph = None;
    for node in article.descendants_it() {
        if node.ancestors_it(None).any(|a| figure_ids.contains(&a.id)) {
            continue;
        }
        if node.has_name("figure") {
            if node
                .descendants_it()
                .any(|n| n.has_name("img") || n.has_name("picture"))
            {
                figure_ids.insert(node.id);
                figures.push(node);
            }
        } else if node.has_name("p") && own_text_chars(&node) >= SUBSTANTIAL_PARAGRAPH {
            first_paragraph = Some(node);
            break;
        }
    }
    let Some(paragraph) = first_paragraph else {
        return;
    };
    for figure in &figures {
        // Never move a figure into itself: the tree does not check moves.
        if !paragraph.ancestors_it(None).any(|a| a.id == figure.id) {
            paragraph.insert_before(figure);
        }
    }
}
