//! The sanitized form of simple HTML, written in one pass without building a tree:
//! the shape most summaries take (paragraphs, emphasis, lists, links to web pages,
//! images, character references). Pure.
//!
//! Two properties hold for every input this module accepts:
//! - What it writes is safe by construction: only the elements in [`ELEMENTS`], `br`
//!   and `img`; of their attributes only an `href` or `src` that parses as an
//!   absolute `http(s)` URL, the `rel` every link gets, and an image's `alt`, `width`,
//!   `height` and `align`, decoded and escaped again; text escaped as the serializer
//!   escapes it. Nothing is copied from the input except text runs and those URLs.
//! - It is byte for byte what the tree path (html5ever, ammonia, the serializer)
//!   gives, so sanitizing stays idempotent and the choice of path is invisible. This
//!   rests on accepting only input whose tags html5ever's tree builder takes as they
//!   come: every end tag closes the innermost open element; no block opens inside a
//!   paragraph or heading (where the tree builder would close them first), at any
//!   depth; no link opens inside a link; a list item opens only directly inside a
//!   list. A block may open inside a link or an inline element (a "read more" box
//!   of a picture and a heading, all one link): with every formatting element
//!   closed only while innermost, the tree builder never has one to reopen or
//!   move. Elements still open at the end are closed, as the serializer closes
//!   them.
//!
//! Anything else — another element, an attribute kept in another way (a relative
//! URL, `title`), a comment, a reference to a control character — is declined
//! (`None`) and goes through the tree.
//! `tests/it/parse/simple_html.rs` compares both paths on generated fragments, and
//! the `sanitize` fuzz target on arbitrary strings.

mod attributes;
mod references;

use attributes::{Attribute, Rule};
use references::{Place, reference};

/// How an element may nest, which is what decides whether the tree builder would
/// move or close anything around it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Text-level elements (formatting or not), which may hold only text and others
    /// of their kind.
    Inline,
    Link,
    Paragraph,
    Heading,
    /// Blocks that may hold blocks (`div`, `blockquote`).
    Block,
    List,
    ListItem,
}

/// The elements accepted (all in ammonia's default allow list), with how they nest.
const ELEMENTS: [(&str, Kind); 28] = [
    ("a", Kind::Link),
    ("b", Kind::Inline),
    ("i", Kind::Inline),
    ("u", Kind::Inline),
    ("s", Kind::Inline),
    ("em", Kind::Inline),
    ("strong", Kind::Inline),
    ("small", Kind::Inline),
    ("code", Kind::Inline),
    ("span", Kind::Inline),
    ("sub", Kind::Inline),
    ("sup", Kind::Inline),
    ("cite", Kind::Inline),
    ("p", Kind::Paragraph),
    ("h1", Kind::Heading),
    ("h2", Kind::Heading),
    ("h3", Kind::Heading),
    ("h4", Kind::Heading),
    ("h5", Kind::Heading),
    ("h6", Kind::Heading),
    ("div", Kind::Block),
    ("blockquote", Kind::Block),
    // The tree builder treats these three as it treats `div` wherever this module
    // lets a block open (it closes an open paragraph first, which is declined).
    ("figure", Kind::Block),
    ("figcaption", Kind::Block),
    ("aside", Kind::Block),
    ("ul", Kind::List),
    ("ol", Kind::List),
    ("li", Kind::ListItem),
];

/// Deepest nesting accepted; deeper input goes through the tree, which has its own
/// limit ([`super::MAX_HTML_DEPTH`]).
const MAX_DEPTH: usize = 32;

/// What every link gets, as the policy's `link_rel` adds it.
const LINK_REL: &str = "noopener noreferrer";

/// The sanitized form of `html` when it has the simple shape this module accepts,
/// else `None`. `html` holds no character XML forbids (the caller removed them);
/// the result is not trimmed.
pub(super) fn sanitize_simple(html: &str) -> Option<String> {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut open: Vec<(&'static str, Kind)> = Vec::new();
    let mut run_start = 0;
    let mut at = 0;
    loop {
        at = next_special(bytes, at);
        let Some(&byte) = bytes.get(at) else { break };
        out.push_str(&html[run_start..at]);
        at = match byte {
            b'<' => tag(html, at, &mut open, &mut out)?,
            b'&' => at + 1 + reference(&html[at + 1..], Place::Text, &mut out)?,
            b'>' => {
                out.push_str("&gt;");
                at + 1
            }
            b'\r' => {
                // The tokenizer reads a CR LF pair, or a CR alone, as one LF.
                out.push('\n');
                at + 1 + usize::from(bytes.get(at + 1) == Some(&b'\n'))
            }
            _ if bytes.get(at + 1) == Some(&0xA0) => {
                out.push_str("&nbsp;");
                at + 2
            }
            _ => {
                // The lead byte of another character: part of the next text run.
                run_start = at;
                at += 1;
                continue;
            }
        };
        run_start = at;
    }
    out.push_str(&html[run_start..]);
    for (name, _) in open.iter().rev() {
        push_end_tag(&mut out, name);
    }
    Some(out)
}

/// Whether the writer must look at a byte of text: markup, a reference, what the
/// serializer escapes, a carriage return, or the lead byte of U+0080–U+00BF (among
/// them the no-break space, which the serializer writes as a reference).
fn is_special(byte: u8) -> bool {
    (byte == b'<') | (byte == b'>') | (byte == b'&') | (byte == b'\r') | (byte == 0xC2)
}

/// The index of the first special byte at or after `from`, else `bytes.len()`. Text
/// runs are skipped 16 bytes at a time without branches (the compiler tests each
/// chunk in a few vector instructions): every summary's text passes through here.
fn next_special(bytes: &[u8], from: usize) -> usize {
    const CHUNK: usize = 16;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + CHUNK) {
        if chunk.iter().fold(false, |any, &b| any | is_special(b)) {
            break;
        }
        at += CHUNK;
    }
    while at < bytes.len() && !is_special(bytes[at]) {
        at += 1;
    }
    at
}

/// Reads the tag at `at` (a `<`), checks where it may open or close, writes it, and
/// returns the index after it; `None` when it is anything this module declines.
fn tag(
    html: &str,
    at: usize,
    open: &mut Vec<(&'static str, Kind)>,
    out: &mut String,
) -> Option<usize> {
    let rest = &html[at + 1..];
    if let Some(rest) = rest.strip_prefix('/') {
        let name_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let (name, _) = *open.last()?;
        if &rest[..name_len] != name || rest.as_bytes().get(name_len) != Some(&b'>') {
            return None;
        }
        open.pop();
        push_end_tag(out, name);
        return Some(at + 1 + 1 + name_len + 1);
    }
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        .count();
    let name = &rest[..name_len];
    let (attributes, len) = attributes::read(&rest[name_len..])?;
    let end = at + 1 + name_len + len;
    if name == "style" {
        return past_style(html, end);
    }
    if matches!(name, "br" | "img") {
        // Void elements: the tree builder closes them at once, wherever they are.
        push_start_tag(out, name, &attributes)?;
        return Some(end);
    }
    let &(name, kind) = ELEMENTS.iter().find(|(known, _)| *known == name)?;
    let may_open = match kind {
        Kind::Inline => true,
        Kind::Link => open.iter().all(|&(_, kind)| kind != Kind::Link),
        Kind::ListItem => matches!(open.last(), Some((_, Kind::List))),
        Kind::Paragraph | Kind::Heading | Kind::Block | Kind::List => open
            .iter()
            .all(|&(_, kind)| !matches!(kind, Kind::Paragraph | Kind::Heading)),
    };
    if !may_open || open.len() == MAX_DEPTH {
        return None;
    }
    push_start_tag(out, name, &attributes)?;
    open.push((name, kind));
    Some(end)
}

/// The index after the `style` element whose start tag ends at `from`: it is
/// dropped with all it holds, as the tree path drops it (`DROPPED_WITH_CONTENT`),
/// wherever it stands. The tokenizer reads what follows a `style` start tag as raw
/// text up to its end tag (in any case), markup and references included; an end
/// tag with anything before its `>` (`</style x>`), or none at all, is declined.
fn past_style(html: &str, from: usize) -> Option<usize> {
    const END: &[u8] = b"</style";
    let bytes = html.as_bytes();
    let close = from
        + bytes[from..]
            .windows(END.len())
            .position(|window| window.eq_ignore_ascii_case(END))?;
    let after = close + END.len();
    (bytes.get(after) == Some(&b'>')).then_some(after + 1)
}

/// Writes a start tag with the attributes the policy keeps, in their order, and the
/// `rel` every link gets after them.
fn push_start_tag(out: &mut String, name: &str, attributes: &[Attribute<'_>]) -> Option<()> {
    out.push('<');
    out.push_str(name);
    for attribute in attributes {
        match attributes::rule(name, attribute.name) {
            Rule::Dropped => {}
            Rule::Text => attributes::push_text(out, attribute.name, attribute.value)?,
            Rule::Url => attributes::push_url(out, attribute.name, attribute.value)?,
            Rule::Declined => return None,
        }
    }
    if name == "a" {
        out.push_str(" rel=\"");
        out.push_str(LINK_REL);
        out.push('"');
    }
    out.push('>');
    Some(())
}

fn push_end_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::sanitize_simple;

    #[test]
    fn the_usual_shapes_are_written_in_one_pass() {
        for (html, sanitized) in [
            ("plain text, no markup", "plain text, no markup"),
            (
                "S&P 500, AT&T; &notit &copy2026",
                "S&amp;P 500, AT&amp;T; \u{AC}it \u{A9}2026",
            ),
            ("one\r\ntwo\rthree", "one\ntwo\nthree"),
            (
                "<p>One &amp; two &#8217;s &gt; three&nbsp;</p>",
                "<p>One &amp; two \u{2019}s &gt; three&nbsp;</p>",
            ),
            (
                r#"<p>See <a href="https://x.example/?a=1&amp;b=2">this <em>one</em></a>.<br/></p>"#,
                r#"<p>See <a href="https://x.example/?a=1&amp;b=2" rel="noopener noreferrer">this <em>one</em></a>.<br></p>"#,
            ),
            (
                "<ul><li>one</li> <li>two</li></ul><p>open",
                "<ul><li>one</li> <li>two</li></ul><p>open</p>",
            ),
            (
                "<h2>Head</h2><div><p>x</p></div>",
                "<h2>Head</h2><div><p>x</p></div>",
            ),
            (
                r#"<figure class="photo"><img src="https://x.example/i.jpg"><figcaption>Dhaka</figcaption></figure><aside><p>Also</p></aside>"#,
                r#"<figure><img src="https://x.example/i.jpg"><figcaption>Dhaka</figcaption></figure><aside><p>Also</p></aside>"#,
            ),
            (
                r#"<a href="https://x.example/n"><div><img src="https://x.example/i.jpg"></div><div><h4>More</h4></div></a><em><p>x</p></em>"#,
                r#"<a href="https://x.example/n" rel="noopener noreferrer"><div><img src="https://x.example/i.jpg"></div><div><h4>More</h4></div></a><em><p>x</p></em>"#,
            ),
            (
                "<style type=\"text/css\">p > a { color: red } <p>&amp;</STYLE><p>Text</p>",
                "<p>Text</p>",
            ),
        ] {
            assert_eq!(sanitize_simple(html).as_deref(), Some(sanitized), "{html}");
        }
    }

    #[test]
    fn what_the_tree_would_change_is_declined() {
        for html in [
            "<p>one<p>two",
            "<p><ul><li>x</li></ul></p>",
            "<li>outside a list</li>",
            "<ul><li>closed by the list</ul>",
            r#"<a href="https://x.example/"><a href="https://y.example/">x</a></a>"#,
            "<em>misnested <strong>here</em></strong>",
            "</p>",
            "<P>upper case</P>",
            r#"<a href="/relative">x</a>"#,
            r#"<a href="javascript:alert(1)">x</a>"#,
            r#"<a href="https://x.example/" title="t">x</a>"#,
            r#"<img src="/relative.png">"#,
            r#"<img src="https://x.example/i.png" src="https://y.example/">"#,
            r#"<img src = "https://x.example/i.png">"#,
            "<!-- comment -->",
            "<p>a paragraph <figure>closed by a figure</figure></p>",
            "<style>p { color: red }</style >",
            "<style>never closed",
            "a < b",
            "&#128;",
            "&Tab;",
        ] {
            assert_eq!(sanitize_simple(html), None, "{html}");
        }
    }
}
