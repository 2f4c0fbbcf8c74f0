//! Plain text of HTML, for topic matching and clustering: [`html_to_text`] for any
//! fragment (one html5ever tokenizer pass, no tree), and [`sanitized_html_to_text`],
//! the same text from [`super::sanitize_html`]'s output in one byte scan; and
//! [`inert_text`] for fields that must hold nothing tag-like. Pure.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, EndTag, StartTag, TagToken, Token, TokenSink, TokenSinkResult,
    Tokenizer, TokenizerOpts,
};

use super::fold::fold_whitespace;
use super::{DROPPED_WITH_CONTENT, without_forbidden_chars};

/// Plain text from an HTML fragment (tags removed, entities decoded, whitespace
/// folded). Block-level tags separate words; the content of script, style and the
/// like is dropped. Used for topic matching, so it only tokenizes (no tree).
pub fn html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        // No tags, no references: only whitespace to fold and characters XML forbids
        // to drop, as the tokenizer would (most titles and names).
        // (fold_whitespace keeps the space around a word of forbidden characters
        // alone; dropping them first does not.)
        return match without_forbidden_chars(html) {
            Cow::Borrowed(text) => fold_whitespace(text),
            Cow::Owned(kept) => kept.split_whitespace().collect::<Vec<_>>().join(" "),
        };
    }
    scan_html(html).text
}

/// Rounds of [`inert_text`] before what still looks like a tag loses its `<`.
const MAX_UNESCAPE_ROUNDS: usize = 4;

/// Text for a field that is plain text by definition (a title, JSON Feed's `summary`)
/// and holds nothing tag-like: [`html_to_text`], again while the result still looks
/// like markup (`&amp;lt;script&amp;gt;` escaped once more than its source meant),
/// and past a few rounds every `<` that would open a tag dropped. A careless reader
/// that renders such a field as HTML then runs nothing. A literal `<` that opens no
/// tag (`3 < 5`) stays.
pub fn inert_text(html: &str) -> String {
    let mut text = html_to_text(html);
    for _ in 0..MAX_UNESCAPE_ROUNDS {
        if !has_tag_like(&text) {
            return text;
        }
        text = html_to_text(&text);
    }
    let mut inert = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find('<') {
        inert.push_str(&rest[..at]);
        if !opens_tag(&rest[at + 1..]) {
            inert.push('<');
        }
        rest = &rest[at + 1..];
    }
    inert.push_str(rest);
    inert
}

/// Whether `text` holds a `<` that an HTML parser would take for markup.
fn has_tag_like(text: &str) -> bool {
    text.match_indices('<')
        .any(|(at, _)| opens_tag(&text[at + 1..]))
}

/// Whether what follows a `<` makes it markup: a letter (a start tag), `/`, `!` or `?`.
fn opens_tag(after: &str) -> bool {
    after
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'))
}

/// [`html_to_text`] of HTML that [`super::sanitize_html`] produced, in one byte scan
/// instead of a tokenizer pass: ingest derives every item's text this way, so it must
/// cost little more than reading the bytes.
///
/// It relies on what sanitized HTML is: html5ever's serialization of a tree of allowed
/// elements only, so no comments, doctypes or raw-text elements (script, style and
/// the like go with their content), text that escapes only `&`, `<`, `>` and the
/// no-break space, and attribute values in double quotes. Whatever the scan does not
/// expect (another reference, a `<` that opens no tag, an element the sanitizer
/// drops) sends the whole fragment to [`html_to_text`], so the result is the same for
/// any input; a test compares the two over the hostile corpus and random fragments.
pub fn sanitized_html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return html_to_text(html);
    }
    scan_sanitized(html).unwrap_or_else(|| html_to_text(html))
}

/// The text of sanitized HTML, or `None` at the first thing sanitized HTML never holds.
fn scan_sanitized(html: &str) -> Option<String> {
    let bytes = html.as_bytes();
    let mut text = String::with_capacity(html.len());
    let mut at = 0;
    while at < bytes.len() {
        let next = memchr::memchr2(b'<', b'&', &bytes[at..]).map_or(bytes.len(), |n| at + n);
        text.push_str(&html[at..next]);
        at = next;
        match bytes.get(at) {
            None => break,
            Some(b'&') => {
                let (decoded, len) = [
                    ("&amp;", '&'),
                    ("&lt;", '<'),
                    ("&gt;", '>'),
                    ("&quot;", '"'),
                    ("&nbsp;", '\u{A0}'),
                ]
                .into_iter()
                .find(|(reference, _)| html[at..].starts_with(reference))
                .map(|(reference, c)| (c, reference.len()))?;
                text.push(decoded);
                at += len;
            }
            Some(_) => {
                let name_at = at + 1 + usize::from(bytes.get(at + 1) == Some(&b'/'));
                let name_len = bytes[name_at..]
                    .iter()
                    .enumerate()
                    .take_while(|&(i, b)| b.is_ascii_lowercase() || (i > 0 && b.is_ascii_digit()))
                    .count();
                let name = &html[name_at..name_at + name_len];
                let ends_name = matches!(bytes.get(name_at + name_len), Some(b' ' | b'>'));
                if name_len == 0 || !ends_name || DROPPED_WITH_CONTENT.contains(&name) {
                    return None;
                }
                if raw_text_kind(name).is_some() || matches!(name, "plaintext" | "noframes") {
                    return None;
                }
                if !is_inline(name) {
                    text.push(' ');
                }
                at = tag_end(bytes, name_at + name_len)?;
            }
        }
    }
    Some(fold_whitespace(&text))
}

/// Index just past the `>` that closes a tag whose attributes start at `from`, when
/// they are written as the serializer writes them: `name="value"` pairs, values in
/// double quotes (where a `>` does not close the tag). `None` for anything else
/// (unquoted or single-quoted values, `/>`, stray quotes or `<`): the tokenizer reads
/// those by rules this scan does not repeat.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        match *bytes.get(at)? {
            b'>' => return Some(at + 1),
            b' ' => at += 1,
            _ => {
                let name_len = bytes[at..]
                    .iter()
                    .take_while(|&&b| !matches!(b, b' ' | b'=' | b'>' | b'"' | b'\'' | b'<' | b'/'))
                    .count();
                at += name_len;
                match bytes.get(at) {
                    Some(b'=') if name_len > 0 && bytes.get(at + 1) == Some(&b'"') => {
                        let value_len = bytes[at + 2..].iter().position(|&b| b == b'"')?;
                        at += 2 + value_len + 1;
                    }
                    Some(b' ' | b'>') if name_len > 0 => {}
                    _ => return None,
                }
            }
        }
    }
}

/// What one tokenizer pass over a fragment tells.
pub(super) struct HtmlScan {
    /// The text a reader sees, whitespace folded.
    pub text: String,
    /// How deep the parser's tree would nest, counted so as never to be less.
    pub max_depth: usize,
}

pub(super) fn scan_html(html: &str) -> HtmlScan {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_text_unescapes_while_it_looks_like_markup_and_keeps_a_lone_less_than() {
        assert_eq!(
            inert_text("returns &lt;script&gt;alert(1)&lt;/script&gt; now"),
            "returns now"
        );
        assert_eq!(inert_text("3 &lt; 5 &amp; AT&amp;T"), "3 < 5 & AT&T");
        assert_eq!(inert_text("<b>bold</b> text"), "bold text");
        let deep = "&amp;amp;amp;amp;amp;lt;b&amp;amp;amp;amp;amp;gt;x";
        assert!(!has_tag_like(&inert_text(deep)), "{}", inert_text(deep));
    }
    use crate::sanitize::sanitize_html;

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

    /// Hostile and ordinary fragments: what sanitizing then scanning gives must be what
    /// sanitizing then tokenizing gives.
    const FRAGMENTS: &[&str] = &[
        "<p>Iran &amp; the US</p><p>resumed&nbsp;talks in <a href=\"/x?a=1&amp;b=2\">Oman</a>.</p>",
        "<div title=\"a > b\">x<br>y</div><ul><li>one<li>two</ul>",
        "<div title='q\">'><div title='q\">'>single-quoted",
        "3 < 5 and 7 > 2 &lt;tag&gt; &quot;quoted&quot; &copy; &#169; &#x263A; &unknown;",
        "<script>alert(1)</script><style>p{}</style><noscript>no</noscript>seen",
        "<svg><title>t</title><text>in svg</text></svg><math><mi>x</mi></math>after",
        "<table><td>foster</td>parented<tr><td>cell</table>",
        "<xmp><b>raw</b></xmp><plaintext>rest <i>of</i> it",
        "<textarea>typed <b>here</b></textarea><title>page</title>",
        "<!-- comment --><!doctype html><?pi?>text",
        "<p>unclosed <b>bold <i>italic</p> after",
        "un<em>believ</em>able<wbr>next<span>word</span>",
        "<img alt=\"a &quot;b&quot;\" src=\"x.png\"><figure><figcaption>cap</figcaption></figure>",
        "<pre>\n  keep\n  lines</pre>\r\n<p>crlf\rcr</p>",
        "<a href=\"javascript:alert(1)\" onclick=\"x()\">click</a><iframe src=x>in</iframe>",
        "<custom-element>custom</custom-element><font color=red>font</font>",
        "no markup at all, just   spaces\tand\ttabs",
        "<p>\u{a0}nbsp\u{a0}</p><p>emoji 🎉 and العربية</p>",
        "<ruby>漢<rt>kan</rt></ruby><details><summary>s</summary>d</details>",
    ];

    #[test]
    fn scan_of_sanitized_html_equals_tokenizer_text() {
        let base = url::Url::parse("https://news.example.com/a/b.html").unwrap();
        for fragment in FRAGMENTS {
            let clean = sanitize_html(fragment, Some(&base));
            assert_eq!(
                sanitized_html_to_text(&clean),
                html_to_text(&clean),
                "{fragment:?} sanitized to {clean:?}"
            );
        }
    }

    #[test]
    fn unexpected_input_falls_back_to_the_tokenizer() {
        for raw in FRAGMENTS {
            assert_eq!(sanitized_html_to_text(raw), html_to_text(raw), "{raw:?}");
        }
        assert_eq!(scan_sanitized("a &copy; b"), None);
        assert_eq!(scan_sanitized("a < b"), None);
        assert_eq!(scan_sanitized("<p title=\"open>x"), None);
    }

    proptest::proptest! {
        /// Text without markup (or characters XML forbids) skips the tokenizer: it
        /// must come out the same.
        #[test]
        fn text_without_markup_is_what_the_tokenizer_gives(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                " ", "  ", "\t", "\n", "\r", "\r\n", "\u{a0}", "\u{3000}", "\u{85}", "a", "word",
                "é", "漢字", "3 > 2", "\"q\"", "x;y",
            ]), 0..30)
        ) {
            let text: String = pieces.concat();
            proptest::prop_assert_eq!(html_to_text(&text), scan_html(&text).text);
        }
    }

    proptest::proptest! {
        #[test]
        fn scan_equals_tokenizer_on_random_fragments(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "<p>", "</p>", "<b>", "</b>", "<a href=\"/r?x=1&y=2\">", "</a>", "<br>",
                "<div title='q\">'>", "</div>", "<li>", "<table>", "<td>", "</table>",
                "<script>", "</script>", "<svg>", "</svg>", "<!--", "-->", "<em>", "</em>",
                "&amp;", "&lt;", "&gt;", "&nbsp;", "&quot;", "&eacute;", "&#38;", "&", "<",
                ">", "\"", " ", "\n", "\r", "\t", "\u{a0}", "word", "Iran", "talks", "é",
                "<img src=x alt=\"a>b\">", "<xmp>", "</xmp>", "<noscript>", "<textarea>",
                "<pre>", "</pre>", "<wbr>", "<span>", "</span>", "<h1>", "</h1>",
            ]), 0..40)
        ) {
            let fragment: String = pieces.concat();
            let base = url::Url::parse("https://news.example.com/a/b.html").unwrap();
            let clean = sanitize_html(&fragment, Some(&base));
            proptest::prop_assert_eq!(sanitized_html_to_text(&clean), html_to_text(&clean));
            proptest::prop_assert_eq!(sanitized_html_to_text(&fragment), html_to_text(&fragment));
        }
    }
}
