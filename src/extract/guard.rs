//! Bounds on the work one page costs, checked before the HTML parser sees it.

/// Largest page handed to the parser, in bytes. Longer pages are cut (at a char
/// boundary), not refused: the article sits near the top of a page, and what makes
/// pages this large is mostly inline script state and markup after the article,
/// which a cut loses at no cost.
pub const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// Deepest element nesting handed to the parser. html5ever's tree building costs
/// grow with the square of the depth (100,000 nested `<div>`s take minutes); real
/// pages nest a few dozen levels.
pub const MAX_PAGE_DEPTH: usize = 256;

/// `page` cut to at most [`MAX_PAGE_BYTES`], at a char boundary.
pub fn cut(page: &str) -> &str {
    if page.len() <= MAX_PAGE_BYTES {
        return page;
    }
    let mut end = MAX_PAGE_BYTES;
    while !page.is_char_boundary(end) {
        end -= 1;
    }
    tracing::debug!(
        bytes = page.len(),
        limit = MAX_PAGE_BYTES,
        "page cut before extraction"
    );
    &page[..end]
}

/// How deep the parser's tree would nest `html`, counted so as never to be less
/// (except under elements that close their own kind, which count as one level),
/// and stopping once it exceeds `limit`. A byte scan, so that a hostile page costs
/// no tree building: comments, and the raw text of `<script>`, `<style>` and their
/// kind, are skipped; void elements do not nest; `<x/>` only closes itself inside
/// SVG or MathML.
pub fn nesting_depth(html: &str, limit: usize) -> usize {
    let bytes = html.as_bytes();
    let (mut at, mut depth, mut deepest, mut foreign) = (0, 0usize, 0, 0usize);
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'<') {
        at += offset + 1;
        let rest = &bytes[at..];
        if rest.starts_with(b"!--") {
            at = find(bytes, at + 3, b"-->").map_or(bytes.len(), |end| end + 3);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = at + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            // Not a tag (`<!DOCTYPE`, `<?xml`, a lone `<`): it nests nothing.
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let Some(tag_end) = tag_end(bytes, name_start + name_len) else {
            break;
        };
        let self_closing = tag_end > 0 && bytes[tag_end - 1] == b'/';
        at = tag_end + 1;
        let is_foreign_root = matches!(name.as_str(), "svg" | "math");
        if is_void(&name) || closes_own_kind(&name) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
            if is_foreign_root {
                foreign = foreign.saturating_sub(1);
            }
            continue;
        }
        if is_raw_text(&name) {
            at = raw_text_end(html, at, &name);
            continue;
        }
        if self_closing && (foreign > 0 || is_foreign_root) {
            continue;
        }
        foreign += usize::from(is_foreign_root);
        depth += 1;
        deepest = deepest.max(depth);
        if deepest > limit {
            break;
        }
    }
    deepest
}

/// The index of the `>` that ends the tag whose attributes start at `from`
/// (quoted attribute values may hold `>`).
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Where the raw text of the element `name` opened before `from` ends: after its
/// end tag (matched without regard to case), else at the end of the input.
fn raw_text_end(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut at = from;
    while let Some(start) = find(bytes, at, b"</") {
        let name_end = start + 2 + name.len();
        if bytes
            .get(start + 2..name_end)
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(name.as_bytes()))
        {
            return name_end;
        }
        at = start + 2;
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|offset| from + offset)
}

/// Elements whose content the tokenizer reads as text, not markup.
fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "textarea" | "title" | "xmp" | "iframe" | "noembed" | "noframes"
    )
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

/// Elements a start tag of their own kind closes, so runs of them do not nest.
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
            | "rp"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_nesting_and_skips_what_does_not_nest() {
        assert_eq!(
            nesting_depth("<div><div><span>x</span></div></div>", 100),
            3
        );
        assert_eq!(nesting_depth("<p>a<p>b<p>c<br><img src=x>", 100), 0);
        let script = "<div><script>for(i=0;i<9;i++)'<div><div><div>'</SCRIPT></div>";
        assert_eq!(nesting_depth(script, 100), 1);
        assert_eq!(
            nesting_depth("<!-- <div><div> --><div title='a>b'></div>", 100),
            1
        );
        let svg = "<svg><path d='M0'/><path d='M1'/><g><path/></g></svg>";
        assert_eq!(nesting_depth(svg, 100), 2);
        assert_eq!(nesting_depth("<div/><div/><div/>", 100), 3);
        assert_eq!(nesting_depth("a < b and <3 <!DOCTYPE html>", 100), 0);
        assert_eq!(nesting_depth("<div", 100), 0);
    }

    #[test]
    fn depth_scan_stops_past_the_limit() {
        let deep = "<div>".repeat(1_000_000);
        assert_eq!(nesting_depth(&deep, 10), 11);
    }

    #[test]
    fn cut_keeps_whole_chars() {
        let page = "é".repeat(MAX_PAGE_BYTES);
        let kept = cut(&page);
        assert!(kept.len() <= MAX_PAGE_BYTES && kept.len() > MAX_PAGE_BYTES - 2);
        assert_eq!(cut("short"), "short");
    }
}
