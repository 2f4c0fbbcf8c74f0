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

/// Sanitizes an HTML fragment; relative `href`/`src` are resolved against `base`
/// (dropped when `base` is `None`). Sanitizing the output again returns it unchanged.
pub fn sanitize_html(html: &str, base: Option<&url::Url>) -> String {
    let input: String = html.chars().filter(|&c| is_xml_char(c)).collect();
    CURRENT_BASE.with_borrow_mut(|current| *current = base.cloned());
    let cleaned = SANITIZER.clean(&input).to_string();
    CURRENT_BASE.with_borrow_mut(|current| *current = None);
    // Decoded references can yield a raw CR (HTML parsing turns it into LF) or a
    // forbidden character: normalize both so sanitizing again changes nothing.
    clean_text(&cleaned.replace('\r', "\n"))
}

/// Plain text from an HTML fragment (tags removed, entities decoded, whitespace
/// folded). Block-level tags separate words; the content of script, style and the
/// like is dropped. Used for topic matching, so it only tokenizes (no tree).
pub fn html_to_text(html: &str) -> String {
    let sink = TextSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    fold_whitespace(&tokenizer.sink.text.borrow())
}

/// A text field made safe for XML 1.0: forbidden characters removed, whitespace trimmed.
pub fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|&c| is_xml_char(c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// Whether XML 1.0 allows `c` in a document (the `Char` production, less the
/// discouraged non-characters U+FFFE and U+FFFF which it already excludes).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Collects the character data of a token stream.
#[derive(Default)]
struct TextSink {
    text: RefCell<String>,
    /// Inside an element whose content is not text a reader sees (script, style…).
    skipping: Cell<bool>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        match token {
            CharacterTokens(chars) if !self.skipping.get() => {
                self.text.borrow_mut().push_str(&chars);
            }
            TagToken(tag) => {
                let name: &str = &tag.name;
                let dropped = DROPPED_WITH_CONTENT.contains(&name) || name == "title";
                if dropped {
                    self.skipping.set(tag.kind == StartTag && !tag.self_closing);
                }
                if !is_inline(name) {
                    self.text.borrow_mut().push(' ');
                }
                if tag.kind == StartTag && dropped && !tag.self_closing {
                    // Make the tokenizer treat their content as raw text, as a browser would.
                    return TokenSinkResult::RawData(match name {
                        "script" => RawKind::ScriptData,
                        "title" => RawKind::Rcdata,
                        _ => RawKind::Rawtext,
                    });
                }
                if tag.kind == EndTag && dropped {
                    self.skipping.set(false);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
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
