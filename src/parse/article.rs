//! An item's article page → the item's new content ([`ArticleText`]): the page
//! decoded, its main content extracted (`crate::extract`, with the source's selector
//! and removals), the source's content rewrites applied, sanitized against the
//! page's URL, and everything derived from the content prepared as parsing does for
//! a feed's entry (plain text, fingerprint, topic words, packed form). Pure.

use std::borrow::Cow;

use super::MAX_CONTENT_BYTES;
use crate::cluster::{self, Fingerprint};
use crate::content_rules::{FullText, SourceRules};
use crate::extract::{self, NoArticle};
use crate::membership::{self, Candidate, WordsRecipe};
use crate::model::{ArticleJob, ArticleText};
use crate::sanitize::{sanitize_html, sanitized_html_to_text};

/// How far into a page its `<meta charset>` is looked for (HTML says 1024 bytes;
/// pages in the wild put it later, behind long comments and scripts).
const CHARSET_SNIFF: usize = 4096;

/// Why a fetched page leaves the item as the feed gave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageRefused {
    #[error("no article on the page: {0}")]
    NoArticle(#[from] NoArticle),
    /// The page's article says less than the feed did (the feed carries whole
    /// articles, or the page is a teaser too).
    #[error("the page's article ({page} characters) is no longer than the feed's content ({feed})")]
    NotLonger { page: usize, feed: usize },
    #[error("the page's article is larger than {MAX_CONTENT_BYTES} bytes once sanitized")]
    TooLarge,
}

/// The article text of `job`'s item from its page (`page`, fetched from
/// `page_url`, served with `http_charset`), under the source's `rules`; with
/// `recipe`, its words prepared for topic filters too.
pub fn article_text(
    page: &[u8],
    page_url: &url::Url,
    http_charset: Option<&str>,
    job: &ArticleJob,
    rules: &SourceRules,
    recipe: Option<&WordsRecipe>,
) -> Result<ArticleText, PageRefused> {
    let page = decode_page(page, http_charset);
    let selector = match &rules.rules.full_text {
        Some(FullText::Selector(selector)) => Some(selector),
        _ => None,
    };
    let raw = extract::main_content(&page, page_url, selector, &rules.rules.remove)?;
    // Removals were applied to the page; the rewrites are left.
    let rewritten = match rules.rules.rewrite_content(&raw) {
        Cow::Owned(changed) => changed,
        Cow::Borrowed(_) => raw,
    };
    let content_html = sanitize_html(&rewritten, Some(page_url));
    if content_html.len() > MAX_CONTENT_BYTES {
        return Err(PageRefused::TooLarge);
    }
    let visible_text = sanitized_html_to_text(&content_html);
    let feed_text = job
        .content_html
        .as_deref()
        .or(job.summary_html.as_deref())
        .map(sanitized_html_to_text)
        .unwrap_or_default();
    let (page_chars, feed_chars) = (visible_text.chars().count(), feed_text.chars().count());
    if page_chars <= feed_chars {
        return Err(PageRefused::NotLonger {
            page: page_chars,
            feed: feed_chars,
        });
    }
    let folded_visible = cluster::normalize::fold(&visible_text);
    let visible_words = crate::topic::words::split_words(&folded_visible);
    let fingerprint = Fingerprint::of_words(&job.title, &folded_visible, &visible_words);
    let text = membership::plain_text(job.summary_html.as_deref(), true, &visible_text);
    let prepared_words = recipe.map(|recipe| {
        let item = Candidate {
            source: &recipe.source,
            title: &job.title,
            text: &text,
            categories: &job.categories,
            authors: &job.authors,
            link: Some(&job.link),
        };
        recipe.prepare(&item, &visible_text, &folded_visible, &visible_words)
    });
    let packed = crate::packing::pack(&content_html);
    Ok(ArticleText {
        content_html,
        packed,
        text,
        fingerprint,
        prepared_words,
    })
}

/// A page's bytes as text: by its byte order mark, else the HTTP charset, else its
/// `<meta charset>`, else UTF-8 when it is valid UTF-8, else windows-1252 (what
/// browsers assume of an undeclared legacy page).
pub fn decode_page<'a>(page: &'a [u8], http_charset: Option<&str>) -> Cow<'a, str> {
    let label = http_charset
        .map(str::to_owned)
        .or_else(|| meta_charset(page));
    let declared = label
        .and_then(|label| encoding_rs::Encoding::for_label(label.trim().as_bytes()))
        // A page cannot declare itself UTF-16 in its own ASCII-compatible bytes.
        .filter(|e| *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE);
    let encoding = match declared {
        Some(encoding) => encoding,
        None if std::str::from_utf8(page).is_ok() => encoding_rs::UTF_8,
        None => encoding_rs::WINDOWS_1252,
    };
    let (text, _, _) = encoding.decode(page);
    text
}

/// The `charset` a page's `<meta>` declares near its start.
fn meta_charset(page: &[u8]) -> Option<String> {
    let head = &page[..page.len().min(CHARSET_SNIFF)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = head[from..].find("<meta") {
        let start = from + at;
        let end = head[start..].find('>').map_or(head.len(), |e| start + e);
        let tag = &head[start..end];
        if let Some(pos) = tag.find("charset=") {
            let value = tag[pos + "charset=".len()..]
                .trim_start_matches(['"', '\''])
                .split(|c: char| c == '"' || c == '\'' || c == ';' || c.is_whitespace() || c == '/')
                .next()
                .unwrap_or_default();
            if !value.is_empty() {
                return Some(value.to_owned());
            }
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_read_in_the_encoding_they_declare() {
        let latin = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
        assert!(decode_page(latin, None).contains("café"));
        let served = b"<html><body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>";
        assert!(decode_page(served, Some("windows-1251")).contains("Привет"));
        let http_equiv = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>";
        assert!(decode_page(http_equiv, None).contains("Привет"));
        assert!(decode_page("<p>déjà</p>".as_bytes(), None).contains("déjà"));
        assert!(decode_page(b"<p>caf\xe9</p>", None).contains("café"));
    }
}
