//! Making untrusted content safe to republish: HTML through ammonia with a strict
//! policy and absolute URLs, text fields cleaned of characters XML 1.0 forbids, and
//! the plain text of HTML for topic matching. Pure.
//!
//! The policy (issue 4): no script, style, iframe, object, embed, form, meta, link,
//! base, SVG or MathML; no `on*` handlers or `style` attributes; only `http`, `https`
//! and `mailto` URLs (so `javascript:`, `vbscript:` and `data:` are dropped however
//! they are spelled: the HTML parser decodes entities and the URL parser strips
//! whitespace and lower-cases the scheme before the scheme is checked);
//! `rel="noopener noreferrer"` on links; relative `href`/`src` resolved against the
//! base given by the caller, or dropped when there is none.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::sync::LazyLock;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, EndTag, StartTag, TagToken, Token, TokenSink, TokenSinkResult,
    Tokenizer, TokenizerOpts,
};

/// Elements removed together with everything inside them.
const DROPPED_WITH_CONTENT: [&str; 13] = [
    "script", "style", "iframe", "object", "embed", "applet", "svg", "math", "noscript",
    "template", "frame", "frameset", "noembed",
];

thread_local! {
    /// The base of the fragment being sanitized on this thread. ammonia's builder is
    /// shared, so the per-call base reaches its relative-URL hook through here.
    static CURRENT_BASE: RefCell<Option<url::Url>> = const { RefCell::new(None) };
}

/// The one configured sanitizer, built on first use.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.into_iter().collect())
        // `cite` holds a URL that ammonia does not scheme-check; readers never need it.
        .rm_tag_attributes("blockquote", &["cite"])
        .rm_tag_attributes("q", &["cite"])
        .rm_tag_attributes("del", &["cite"])
        .rm_tag_attributes("ins", &["cite"])
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .url_relative(ammonia::UrlRelative::Custom(Box::new(resolve_relative)));
    builder
});

/// ammonia's hook for relative URLs: resolved against the current base, else dropped.
fn resolve_relative(relative: &str) -> Option<Cow<'_, str>> {
    CURRENT_BASE.with_borrow(|base| {
        let joined = base.as_ref()?.join(relative).ok()?;
        matches!(joined.scheme(), "http" | "https").then(|| Cow::Owned(joined.into()))
    })
}

/// Deepest element nesting handed to the HTML parser. Its tree building costs grow
/// with the square of the depth (100,000 nested `<div>`s take minutes), so deeper
/// fragments are republished as their plain text instead. Real articles nest a few
/// dozen levels at most.
pub const MAX_HTML_DEPTH: usize = 128;

/// Sanitizes an HTML fragment; relative `href`/`src` are resolved against `base`
/// (dropped when `base` is `None`). Sanitizing the output again returns it unchanged.
/// A fragment nested deeper than [`MAX_HTML_DEPTH`] becomes its escaped plain text.
pub fn sanitize_html(html: &str, base: Option<&url::Url>) -> String {
    let input = without_forbidden_chars(html).into_owned();
    // Nesting cannot be deeper than the number of tags opened: only a fragment with
    // more `<` than the limit needs the depth scan (most items have a few dozen).
    let may_be_deep = input.bytes().filter(|&b| b == b'<').count() > MAX_HTML_DEPTH;
    let input = match may_be_deep.then(|| scan_html(&input)) {
        Some(scan) if scan.max_depth > MAX_HTML_DEPTH => {
            tracing::warn!(
                depth = scan.max_depth,
                limit = MAX_HTML_DEPTH,
                "HTML nested too deep; kept as text"
            );
            text_to_html(&scan.text)
        }
        _ => input,
    };
    CURRENT_BASE.with_borrow_mut(|current| *current = base.cloned());
    let cleaned = SANITIZER.clean(&input).to_string();
    CURRENT_BASE.with_borrow_mut(|current| *current = None);
    // Decoded references can yield a raw CR (HTML parsing turns it into LF) or a
    // forbidden character: normalize both so sanitizing again changes nothing.
    if cleaned.contains('\r') {
        return clean_text(&cleaned.replace('\r', "\n"));
    }
    clean_text(&cleaned)
}

/// Plain text from an HTML fragment (tags removed, entities decoded, whitespace
/// folded). Block-level tags separate words; the content of script, style and the
/// like is dropped. Used for topic matching, so it only tokenizes (no tree).
pub fn html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        // No tags, no references: only whitespace to fold and characters XML forbids
        // to drop, as the tokenizer would (most titles and names).
        let kept = without_forbidden_chars(html);
        return kept.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    scan_html(html).text
}

/// Plain text as HTML that shows it literally (`&`, `<`, `>` escaped).
pub fn text_to_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What one tokenizer pass over a fragment tells.
struct HtmlScan {
    /// The text a reader sees, whitespace folded.
    text: String,
    /// How deep the parser's tree would nest, counted so as never to be less.
    max_depth: usize,
}

fn scan_html(html: &str) -> HtmlScan {
    let tokenizer = Tokenizer::new(ScanSink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let sink = &tokenizer.sink;
    HtmlScan {
        text: fold_whitespace(&sink.text.borrow()),
        max_depth: sink.max_depth.get(),
    }
}

/// A text field made safe for XML 1.0: forbidden characters removed, whitespace trimmed.
pub fn clean_text(text: &str) -> String {
    without_forbidden_chars(text).trim().to_string()
}

/// `text` without the characters XML 1.0 forbids; borrowed when it has none (the
/// usual case, checked without building a copy char by char).
fn without_forbidden_chars(text: &str) -> Cow<'_, str> {
    // In UTF-8 the only characters `is_xml_char` refuses are C0 controls (one byte
    // each) and U+FFFE / U+FFFF: scanning bytes is much faster than decoding chars.
    let has_control = text
        .bytes()
        .any(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'));
    if !has_control && !text.contains('\u{FFFE}') && !text.contains('\u{FFFF}') {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

/// Whether XML 1.0 allows `c` in a document (the `Char` production, less the
/// discouraged non-characters U+FFFE and U+FFFF which it already excludes).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Collects the character data of a token stream and measures its nesting.
#[derive(Default)]
struct ScanSink {
    text: RefCell<String>,
    /// Inside an element whose content is raw text a reader does not see (script…).
    skipping: Cell<bool>,
    /// Open elements whose content is dropped by the sanitizer (svg, noscript…).
    hidden: Cell<usize>,
    depth: Cell<usize>,
    max_depth: Cell<usize>,
    /// Inside SVG or MathML, where `<x/>` really closes itself.
    foreign: Cell<usize>,
}

impl TokenSink for ScanSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        match token {
            CharacterTokens(chars) if !self.skipping.get() && self.hidden.get() == 0 => {
                self.text.borrow_mut().push_str(&chars);
            }
            TagToken(tag) => {
                let name: &str = &tag.name;
                if !is_inline(name) {
                    self.text.borrow_mut().push(' ');
                }
                self.count_depth(name, tag.kind, tag.self_closing);
                if DROPPED_WITH_CONTENT.contains(&name) && raw_text_kind(name).is_none() {
                    let hidden = self.hidden.get();
                    match tag.kind {
                        StartTag if !tag.self_closing && !is_void(name) => {
                            self.hidden.set(hidden + 1)
                        }
                        EndTag => self.hidden.set(hidden.saturating_sub(1)),
                        _ => {}
                    }
                }
                let raw = raw_text_kind(name);
                if tag.kind == EndTag && raw.is_some() {
                    self.skipping.set(false);
                }
                if tag.kind == StartTag
                    && !tag.self_closing
                    && let Some(kind) = raw
                {
                    // The tokenizer alone does not know these hold raw text; the parser does.
                    self.skipping.set(name != "textarea" && name != "xmp");
                    return TokenSinkResult::RawData(kind);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl ScanSink {
    /// Tracks nesting as the HTML parser would build it, erring on the deep side:
    /// void elements and elements that close their own kind do not nest, and `<x/>`
    /// only closes itself inside SVG or MathML.
    fn count_depth(&self, name: &str, kind: html5ever::tokenizer::TagKind, self_closing: bool) {
        let is_foreign_root = matches!(name, "svg" | "math");
        if is_void(name) || closes_own_kind(name) {
            return;
        }
        if kind == EndTag {
            self.depth.set(self.depth.get().saturating_sub(1));
            if is_foreign_root {
                self.foreign.set(self.foreign.get().saturating_sub(1));
            }
            return;
        }
        if self_closing && (self.foreign.get() > 0 || is_foreign_root) {
            return;
        }
        if is_foreign_root {
            self.foreign.set(self.foreign.get() + 1);
        }
        self.depth.set(self.depth.get() + 1);
        self.max_depth
            .set(self.max_depth.get().max(self.depth.get()));
    }
}

/// The tokenizer state the HTML parser switches to after these start tags.
fn raw_text_kind(name: &str) -> Option<RawKind> {
    match name {
        "script" => Some(RawKind::ScriptData),
        "style" | "iframe" | "xmp" | "noembed" | "noframes" => Some(RawKind::Rawtext),
        "title" | "textarea" => Some(RawKind::Rcdata),
        _ => None,
    }
}

/// Elements that never have content.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose start closes an open one of their kind (or that cannot nest).
fn closes_own_kind(name: &str) -> bool {
    matches!(
        name,
        "p" | "li"
            | "dt"
            | "dd"
            | "option"
            | "optgroup"
            | "tr"
            | "td"
            | "th"
            | "tbody"
            | "thead"
            | "tfoot"
            | "colgroup"
            | "caption"
            | "rb"
            | "rt"
            | "rtc"
            | "rp"
            | "html"
            | "head"
            | "body"
    )
}

/// Elements that do not break a word when they start or end.
fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "acronym"
            | "b"
            | "bdi"
            | "bdo"
            | "cite"
            | "code"
            | "data"
            | "del"
            | "dfn"
            | "em"
            | "font"
            | "i"
            | "ins"
            | "kbd"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strike"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "tt"
            | "u"
            | "var"
            | "wbr"
    )
}

/// Runs of whitespace (including no-break spaces) become one space; ends trimmed;
/// characters XML 1.0 forbids removed.
fn fold_whitespace(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.extend(word.chars().filter(|&c| is_xml_char(c)));
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://news.example.com/world/story.html").unwrap()
    }

    #[test]
    fn forbidden_characters_are_dropped_and_clean_text_borrowed() {
        assert!(matches!(
            without_forbidden_chars("a\tb\nç—€"),
            Cow::Borrowed(_)
        ));
        for text in ["a\u{0}b", "x\u{FFFE}y", "x\u{FFFF}y", "\u{1F}é\u{B}"] {
            let expected: String = text.chars().filter(|&c| is_xml_char(c)).collect();
            assert_eq!(without_forbidden_chars(text), expected, "{text:?}");
        }
    }

    #[test]
    fn relative_links_resolve_against_base() {
        let out = sanitize_html(
            r#"<a href="../about">x</a><img src="/i.png">"#,
            Some(&base()),
        );
        assert!(
            out.contains(r#"href="https://news.example.com/about""#),
            "{out}"
        );
        assert!(
            out.contains(r#"src="https://news.example.com/i.png""#),
            "{out}"
        );
        assert!(out.contains(r#"rel="noopener noreferrer""#), "{out}");
    }

    #[test]
    fn relative_links_dropped_without_base() {
        let out = sanitize_html(r#"<a href="/about">x</a>"#, None);
        assert!(!out.contains("href"), "{out}");
    }

    #[test]
    fn script_content_is_not_text() {
        let text = html_to_text(
            "<p>Iran</p><script>var cricket = 1;</script><p>talks&nbsp;&amp; trade</p>",
        );
        assert_eq!(text, "Iran talks & trade");
    }

    #[test]
    fn inline_tags_do_not_split_words() {
        assert_eq!(
            html_to_text("un<em>believ</em>able<br>next"),
            "unbelievable next"
        );
    }
}
