//! Bounds on the work one page costs, checked before the HTML parser sees it: its
//! size here, its nesting by the sanitizer's tokenizer pass
//! ([`crate::sanitize::nesting_depth`]), which builds no tree.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_whole_chars() {
        let page = "é".repeat(MAX_PAGE_BYTES);
        let kept = cut(&page);
        assert!(kept.len() <= MAX_PAGE_BYTES && kept.len() > MAX_PAGE_BYTES - 2);
        assert_eq!(cut("short"), "short");
    }
}
