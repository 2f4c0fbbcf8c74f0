//! A source's content rules, checked when the config is read and applied while
//! parsing (and to an article's full text when it arrives): elements removed from
//! the item's HTML, rewrites of its title, body or link, and topic queries that keep
//! or drop an item before it is stored. Pure: no I/O.
//!
//! Order, for every item: `remove` then the `content` rewrites on the HTML as the
//! source sent it (class names and ids are still there to select by), then the
//! sanitizer; so a rewrite can never put back what sanitizing takes out. `keep_if`
//! and `drop_if` look at the item as it will be stored, rewrites applied.

use std::borrow::Cow;
use std::sync::Arc;

use crate::extract::{self, CssSelector};
use crate::topic::{Filter, ItemFields};

/// Everything a `[[source]]` entry says about its items' content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentRules {
    /// Fetch each new item's page and keep its article as the item's content.
    pub full_text: Option<FullText>,
    /// Elements dropped from summaries, contents and full texts.
    pub remove: Vec<CssSelector>,
    /// Applied in the order written.
    pub rewrites: Vec<Rewrite>,
    /// Only items this query matches are stored.
    pub keep_if: Option<Filter>,
    /// Items this query matches are never stored.
    pub drop_if: Option<Filter>,
}

/// A source's rules, with what its `keep_if` and `drop_if` read of the source
/// itself (`source:` and `tag:` terms): what parsing needs, cheap to clone.
#[derive(Debug, Clone)]
pub struct SourceRules {
    pub source: String,
    pub tags: Vec<String>,
    pub rules: Arc<ContentRules>,
}

/// Where an article page's content is found.
#[derive(Debug, Clone, PartialEq)]
pub enum FullText {
    /// Readability's guess at the main content.
    Readability,
    /// The elements a selector matches.
    Selector(CssSelector),
}

/// Which field of an item a rewrite changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteField {
    Title,
    /// The summary and the content (and a full text), as HTML before sanitizing.
    Content,
    Link,
}

impl RewriteField {
    /// The names the config file uses.
    pub const NAMES: &'static str = "\"title\", \"content\" or \"link\"";

    pub fn parse(name: &str) -> Option<RewriteField> {
        match name {
            "title" => Some(RewriteField::Title),
            "content" => Some(RewriteField::Content),
            "link" => Some(RewriteField::Link),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RewriteField::Title => "title",
            RewriteField::Content => "content",
            RewriteField::Link => "link",
        }
    }
}

/// A regular expression as written in the config (equal when written alike).
#[derive(Debug, Clone)]
pub struct Pattern(regex::Regex);

impl Pattern {
    /// Compiles `text` (Rust `regex` syntax), with the crate's default size limits, so a
    /// pattern cannot make matching take more than linear time.
    pub fn new(text: &str) -> Result<Pattern, regex::Error> {
        regex::Regex::new(text).map(Pattern)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.as_str() == other.as_str()
    }
}

/// `[[source.rewrite]]`: every match of `pattern` in `field` replaced by `replace`
/// (`$1`, `${name}` name capture groups).
#[derive(Debug, Clone, PartialEq)]
pub struct Rewrite {
    pub field: RewriteField,
    pub pattern: Pattern,
    pub replace: String,
}

impl ContentRules {
    /// Whether the rules change nothing.
    pub fn is_empty(&self) -> bool {
        self == &ContentRules::default()
    }

    fn rewrites_of(&self, field: RewriteField) -> impl Iterator<Item = &Rewrite> {
        self.rewrites.iter().filter(move |r| r.field == field)
    }

    /// `html` (a summary, content or full text, not yet sanitized) with the removed
    /// elements gone and the `content` rewrites applied.
    pub fn prepare_html<'a>(&self, html: &'a str) -> Cow<'a, str> {
        match extract::remove_elements(html, &self.remove) {
            Some(kept) => Cow::Owned(self.rewrite_content(&kept).into_owned()),
            None => self.rewrite_content(html),
        }
    }

    /// `html` with the `content` rewrites applied (and nothing removed).
    pub fn rewrite_content<'a>(&self, html: &'a str) -> Cow<'a, str> {
        let mut html = Cow::Borrowed(html);
        for rewrite in self.rewrites_of(RewriteField::Content) {
            if let Cow::Owned(changed) = rewrite.apply(&html) {
                html = Cow::Owned(changed);
            }
        }
        html
    }

    /// The title with the `title` rewrites applied, trimmed.
    pub fn rewrite_title(&self, title: String) -> String {
        let mut title = title;
        for rewrite in self.rewrites_of(RewriteField::Title) {
            if let Cow::Owned(changed) = rewrite.apply(&title) {
                title = changed.trim().to_owned();
            }
        }
        title
    }

    /// The link with the `link` rewrites applied. A result that is not an absolute
    /// http(s) URL is refused (and logged): the item keeps the link it came with,
    /// since every link an item carries must be one a reader can open.
    pub fn rewrite_link(&self, link: url::Url) -> url::Url {
        let mut text = Cow::Borrowed(link.as_str());
        for rewrite in self.rewrites_of(RewriteField::Link) {
            if let Cow::Owned(changed) = rewrite.apply(&text) {
                text = Cow::Owned(changed);
            }
        }
        if let Cow::Borrowed(_) = text {
            return link;
        }
        match url::Url::parse(text.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => {
                tracing::warn!(link = %link, rewritten = %text, "a link rewrite gave no http(s) URL; the link is kept as it was");
                link
            }
        }
    }

    /// Whether an item with these fields is stored: `keep_if` matches it (when set)
    /// and `drop_if` does not.
    pub fn admits(&self, item: &ItemFields) -> bool {
        if self.keep_if.is_none() && self.drop_if.is_none() {
            return true;
        }
        let words = item.prepare();
        self.keep_if
            .as_ref()
            .is_none_or(|q| q.matches_words(&words))
            && !self
                .drop_if
                .as_ref()
                .is_some_and(|q| q.matches_words(&words))
    }

    /// Whether the rules look at an item's words (so they must be prepared).
    pub fn filters(&self) -> bool {
        self.keep_if.is_some() || self.drop_if.is_some()
    }
}

impl Rewrite {
    fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.pattern.0.replace_all(text, self.replace.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn rewrite(field: RewriteField, pattern: &str, replace: &str) -> Rewrite {
        Rewrite {
            field,
            pattern: Pattern::new(pattern).unwrap(),
            replace: replace.into(),
        }
    }

    #[test]
    fn title_rewrites_strip_an_agency_suffix_in_order() {
        let rules = ContentRules {
            rewrites: vec![
                rewrite(RewriteField::Title, r"\s+-\s+Reuters$", ""),
                rewrite(RewriteField::Title, r"^UPDATE \d+-", ""),
            ],
            ..ContentRules::default()
        };
        assert_eq!(
            rules.rewrite_title("UPDATE 2-Port strike ends - Reuters".into()),
            "Port strike ends"
        );
        assert_eq!(rules.rewrite_title("Untouched".into()), "Untouched");
    }

    #[test]
    fn content_rewrites_and_removals_apply_to_html_before_sanitizing() {
        let rules = ContentRules {
            remove: vec![CssSelector::parse(".share").unwrap()],
            rewrites: vec![rewrite(
                RewriteField::Content,
                r"<p>[A-Z]+ \(Wire\) - ",
                "<p>",
            )],
            ..ContentRules::default()
        };
        let html =
            r#"<p>LISBON (Wire) - Dockers walked out.</p><div class="share">Share this</div>"#;
        let prepared = rules.prepare_html(html);
        assert!(
            prepared.contains("<p>Dockers walked out.</p>"),
            "{prepared}"
        );
        assert!(!prepared.contains("Share this"), "{prepared}");
        assert!(matches!(
            ContentRules::default().prepare_html(html),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_link_rewrite_that_breaks_the_url_keeps_the_link() {
        let link = url::Url::parse("https://news.example/a?utm_source=rss&id=4").unwrap();
        let tidy = ContentRules {
            rewrites: vec![rewrite(RewriteField::Link, r"utm_source=[^&]*&?", "")],
            ..ContentRules::default()
        };
        assert_eq!(
            tidy.rewrite_link(link.clone()).as_str(),
            "https://news.example/a?id=4"
        );
        let broken = ContentRules {
            rewrites: vec![rewrite(RewriteField::Link, r"^https://", "javascript:")],
            ..ContentRules::default()
        };
        assert_eq!(broken.rewrite_link(link.clone()), link);
    }

    #[test]
    fn keep_if_and_drop_if_decide_together() {
        let topics = BTreeMap::new();
        let query = |q: &str| Some(Filter::compile(&[], &[], Some(q), &topics).unwrap());
        let rules = ContentRules {
            keep_if: query("iran OR iraq"),
            drop_if: query("category:sport"),
            ..ContentRules::default()
        };
        let item = |title: &str, category: &str| ItemFields {
            title: title.into(),
            categories: vec![category.into()],
            ..ItemFields::default()
        };
        assert!(rules.admits(&item("Iran talks resume", "world")));
        assert!(!rules.admits(&item("Iran beat Japan", "sport")));
        assert!(!rules.admits(&item("Markets rally", "business")));
        assert!(ContentRules::default().admits(&item("Anything", "sport")));
    }
}
