//! Finding active content in served HTML payloads with a real HTML tokenizer
//! (html5ever, which decodes entities in attribute values the way a browser does),
//! and checking that URLs are absolute http(s).

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, StartTag, TagToken, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Elements that must never reach a reader.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "isindex",
    "meta",
    "link",
    "base",
    "frame",
    "frameset",
    "template",
    "noscript",
    "noembed",
    "xmp",
    "plaintext",
    "marquee",
    "video",
    "audio",
];

/// Attributes holding a URL a reader may follow or load.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "srcset",
    "cite",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "xlink:href",
    "ping",
    "longdesc",
    "usemap",
    "lowsrc",
    "dynsrc",
    "codebase",
    "manifest",
    "icon",
    "profile",
];

/// Whether `url` is an absolute http(s) URL (or, where links allow it, `mailto:`).
pub fn is_absolute_web_url(url: &str, allow_mailto: bool) -> bool {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let scheme_ok = matches!(parsed.scheme(), "http" | "https")
                || (allow_mailto && parsed.scheme() == "mailto");
            let written_plainly = url.starts_with("http://")
                || url.starts_with("https://")
                || (allow_mailto && url.starts_with("mailto:"));
            scheme_ok && written_plainly
        }
        Err(_) => false,
    }
}

/// What is wrong with an HTML payload, one line per problem (empty when it is safe).
pub fn html_problems(html: &str) -> Vec<String> {
    let sink = ProblemSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.problems.take()
}

#[derive(Default)]
struct ProblemSink {
    problems: RefCell<Vec<String>>,
}

impl TokenSink for ProblemSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        let name: &str = &tag.name;
        let mut problems = self.problems.borrow_mut();
        if FORBIDDEN_ELEMENTS.contains(&name) {
            problems.push(format!("element <{name}>"));
        }
        if tag.kind != StartTag {
            return TokenSinkResult::Continue;
        }
        for attr in &tag.attrs {
            let attr_name = match &attr.name.prefix {
                Some(prefix) => format!("{prefix}:{}", attr.name.local),
                None => attr.name.local.to_string(),
            };
            let value: &str = &attr.value;
            if attr_name.to_ascii_lowercase().starts_with("on") {
                problems.push(format!("<{name}> event handler {attr_name}={value:?}"));
            }
            if attr_name.eq_ignore_ascii_case("style") {
                problems.push(format!("<{name}> style attribute {value:?}"));
            }
            if looks_active(value) {
                problems.push(format!("<{name}> {attr_name} holds a script URL {value:?}"));
            }
            if URL_ATTRIBUTES.contains(&attr_name.to_ascii_lowercase().as_str())
                && !is_absolute_web_url(value, name == "a")
            {
                problems.push(format!(
                    "<{name}> {attr_name} is not an absolute http(s) URL: {value:?}"
                ));
            }
        }
        TokenSinkResult::Continue
    }
}

/// A value that a browser could run: `javascript:`, `vbscript:` or `data:`, once
/// whitespace and control characters (which browsers skip in schemes) are removed.
pub fn looks_active(value: &str) -> bool {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect();
    ["javascript:", "vbscript:", "data:", "livescript:"]
        .iter()
        .any(|scheme| squeezed.starts_with(scheme) || squeezed.contains(&format!("\"{scheme}")))
}

#[test]
fn the_checker_itself_finds_what_it_must() {
    assert!(html_problems("<p>Safe <a href=\"https://a.example/\">x</a></p>").is_empty());
    assert!(!html_problems("<p onclick=x>").is_empty());
    assert!(!html_problems("<a href=\"&#106;avascript:alert(1)\">").is_empty());
    assert!(!html_problems("<img src=\"/relative.png\">").is_empty());
    assert!(!html_problems("<img src=\"//evil.example/x.png\">").is_empty());
    assert!(!html_problems("<SVG><p>").is_empty());
    assert!(!html_problems("<a href=\" DATA:text/html,x\">").is_empty());
}
