//! Serialized output that parsing it again would change, found and mended, so that
//! sanitizing sanitized HTML changes nothing: what a reader's parser builds from the
//! output is the tree the sanitizer checked. Pure.

/// Whether serialized HTML opens an `<a>` inside another, or a heading inside
/// another (what parsing it again would split), or a link whose `rel` is not its
/// last attribute (ammonia moves an attribute into the place of one its URL hook
/// dropped, and sanitized again `rel` goes back to the end). An attribute value that
/// looks like a tag can only make this say yes, which costs one more pass.
pub(super) fn would_change_when_sanitized_again(html: &str) -> bool {
    let (mut links, mut headings) = (0usize, 0usize);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let (closing, tag) = match rest.strip_prefix('/') {
            Some(tag) => (true, tag),
            None => (false, rest),
        };
        let bytes = tag.as_bytes();
        let name_len = match bytes {
            [b'a', ..] => 1,
            [b'h', b'1'..=b'6', ..] => 2,
            _ => continue,
        };
        if !matches!(bytes.get(name_len), Some(b' ' | b'>')) {
            continue;
        }
        let rel_last = |tag: &str| {
            tag.split('>')
                .next()
                .is_some_and(|tag| tag == "a" || tag.ends_with(" rel=\"noopener noreferrer\""))
        };
        if name_len == 1 && !closing && !rel_last(tag) {
            return true;
        }
        let depth = if name_len == 1 {
            &mut links
        } else {
            &mut headings
        };
        if closing {
            *depth = depth.saturating_sub(1);
        } else if *depth > 0 {
            return true;
        } else {
            *depth += 1;
        }
    }
    false
}

/// Serialized HTML with a line feed added after each `<pre>` whose text starts with
/// one. Parsing drops a line feed that directly follows `<pre>`, and html5ever's
/// serializer does not write one back, so without it every pass would take one
/// more off the text (and sanitizing again would change the output).
pub(super) fn with_pre_newlines_kept(html: String) -> String {
    let finder = memchr::memmem::Finder::new(b"<pre");
    let mut ends = Vec::new();
    for at in finder.find_iter(html.as_bytes()) {
        let rest = &html.as_bytes()[at + 4..];
        if !matches!(rest.first(), Some(b'>' | b' ')) {
            continue;
        }
        if let Some(end) = serialized_tag_len(rest).map(|len| at + 4 + len)
            && html.as_bytes().get(end) == Some(&b'\n')
        {
            ends.push(end);
        }
    }
    if ends.is_empty() {
        return html;
    }
    let mut kept = String::with_capacity(html.len() + ends.len());
    let mut from = 0;
    for end in ends {
        kept.push_str(&html[from..end]);
        kept.push('\n');
        from = end;
    }
    kept.push_str(&html[from..]);
    kept
}

/// Length through the `>` that ends a serialized tag, `rest` starting inside it:
/// html5ever quotes every attribute value in `"` (and escapes that one inside).
fn serialized_tag_len(rest: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        at += memchr::memchr2(b'>', b'"', &rest[at..])?;
        if rest[at] == b'>' {
            return Some(at + 1);
        }
        at += 1 + memchr::memchr(b'"', &rest[at + 1..])? + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanitize::{sanitize_html, sanitize_html_by_tree};

    #[test]
    fn what_a_second_pass_would_change_is_detected() {
        assert!(would_change_when_sanitized_again(
            r#"<a href="x">a<a href="y">b</a>c</a>"#
        ));
        assert!(would_change_when_sanitized_again("<h2>a<h3>b</h3></h2>"));
        assert!(would_change_when_sanitized_again(
            r#"<a rel="noopener noreferrer" title="t">x</a>"#
        ));
        assert!(!would_change_when_sanitized_again(
            "<h2>a</h2><h3>b</h3><hr><header>"
        ));
        assert!(!would_change_when_sanitized_again(
            r#"<a href="x" rel="noopener noreferrer">a</a><a rel="noopener noreferrer">b</a><abbr>c</abbr>"#
        ));
    }

    #[test]
    fn a_line_feed_that_starts_preformatted_text_is_kept() {
        for (html, expected) in [
            ("<pre>\n\nx</pre>", "<pre>\n\nx</pre>"),
            (
                "<p>a</p><pre>\n\n\tx\n</pre>",
                "<p>a</p><pre>\n\n\tx\n</pre>",
            ),
            ("<pre>\nx</pre>", "<pre>x</pre>"),
            (
                "<pre title=\"a>\nb\">\n\nx</pre>",
                "<pre title=\"a&gt;\nb\">\n\nx</pre>",
            ),
            ("<p>&lt;pre&gt;\nx</p>", "<p>&lt;pre&gt;\nx</p>"),
        ] {
            let once = sanitize_html(html, None);
            assert_eq!(once, expected, "{html:?}");
            assert_eq!(sanitize_html(&once, None), once, "{html:?}");
            assert_eq!(sanitize_html_by_tree(html, None), once, "{html:?}");
        }
    }

    #[test]
    fn a_line_feed_that_cleaning_brings_to_the_start_of_a_pre_is_kept() {
        for html in [
            "<pre>&#13;x</pre>",
            "<p>a</p><pre>&#13;\nx</pre>",
            "<pre>&#1;\nx</pre>",
            "<pre>&#1;&#13;x</pre>",
        ] {
            let once = sanitize_html(html, None);
            assert_eq!(sanitize_html(&once, None), once, "{html:?}");
            assert_eq!(sanitize_html_by_tree(html, None), once, "{html:?}");
        }
    }
}
