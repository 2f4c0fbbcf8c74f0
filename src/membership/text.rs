//! An item's plain text for topic matching, from its sanitized summary and content
//! (the same at ingest and when derived from a stored row), and how that text is
//! made of the visible text parsing has folded already. Pure.

use crate::sanitize::sanitized_html_to_text;

/// The plain text an item's topics are matched against, from its sanitized summary
/// and content: the content's text, preceded by the summary's when the content does
/// not hold it (the summary is usually the content's first lines). `visible_text` is
/// the text already extracted from the content, or from the summary where there is
/// no content. The same at ingest and when derived again from a stored row.
pub fn plain_text(summary_html: Option<&str>, has_content: bool, visible_text: &str) -> String {
    if !has_content {
        // The visible text is the summary's then; it is not extracted twice.
        return visible_text.to_string();
    }
    let summary_text = summary_html.map(sanitized_html_to_text).unwrap_or_default();
    if contains_text(visible_text, &summary_text) {
        visible_text.to_string()
    } else {
        let mut text = summary_text;
        text.reserve(1 + visible_text.len());
        text.push(' ');
        text.push_str(visible_text);
        text
    }
}

/// Whether `text` holds `part`. A summary is a few hundred bytes: preparing a search
/// for all of it cost more than searching (about 10k instructions an item), so this
/// looks for its first bytes and compares the rest where they occur. Text where
/// those bytes keep recurring without the rest following (hostile, or a page of one
/// repeated phrase) goes to the full search after a few tries, so the time stays
/// linear.
fn contains_text(text: &str, part: &str) -> bool {
    const PREFIX: usize = 16;
    const TRIES: usize = 16;
    let (text, part) = (text.as_bytes(), part.as_bytes());
    if text.starts_with(part) {
        return true;
    }
    if part.len() <= PREFIX {
        return memchr::memmem::find(text, part).is_some();
    }
    for (tried, at) in memchr::memmem::find_iter(text, &part[..PREFIX]).enumerate() {
        if text[at..].starts_with(part) {
            return true;
        }
        if tried == TRIES {
            return memchr::memmem::find(&text[at..], part).is_some();
        }
    }
    false
}

/// The text a reader sees of an item's body: its content's, else its summary's.
/// Fingerprints and an item's plain text are made from it, at ingest and from a
/// stored row alike.
pub fn visible_text(summary_html: Option<&str>, content_html: Option<&str>) -> String {
    sanitized_html_to_text(content_html.or(summary_html).unwrap_or(""))
}

/// [`plain_text`] of a stored item (its content's text extracted here).
pub fn stored_plain_text(summary_html: Option<&str>, content_html: Option<&str>) -> String {
    let visible = visible_text(summary_html, content_html);
    plain_text(summary_html, content_html.is_some(), &visible)
}

/// How an item's text is made of its visible text (see [`plain_text`]), so that work
/// done on the visible text already (folding, splitting) is not done again.
pub(super) enum TextLayout<'a> {
    /// The text is the visible text.
    Visible,
    /// The text is this summary, a space, then the visible text.
    SummaryThenVisible(&'a str),
    /// Neither (the text was not built from this visible text).
    Other,
}

impl<'a> TextLayout<'a> {
    pub(super) fn of(text: &'a str, visible_text: &str) -> TextLayout<'a> {
        if text == visible_text {
            return TextLayout::Visible;
        }
        match text.strip_suffix(visible_text) {
            Some(summary) if summary.ends_with(' ') => TextLayout::SummaryThenVisible(summary),
            _ => TextLayout::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_text_goes_to_the_full_search_in_repeated_text() {
        let text = format!("{}c", "ab".repeat(500));
        assert!(contains_text(&text, &format!("{}c", "ab".repeat(20))));
        assert!(!contains_text(&text, &format!("{}d", "ab".repeat(20))));
        assert!(!contains_text(&text, &format!("c{}", "ab".repeat(20))));
    }

    proptest::proptest! {
        /// Texts of a few letters repeat the part's first bytes often, past the
        /// tries before the full search.
        #[test]
        fn contains_text_is_str_contains(
            text in "[ab ]{0,400}",
            part in "[ab ]{0,40}",
            from in 0usize..400,
            len in 0usize..60,
        ) {
            proptest::prop_assert_eq!(contains_text(&text, &part), text.contains(part.as_str()));
            let from = from.min(text.len());
            let inner = &text[from..(from + len).min(text.len())];
            proptest::prop_assert!(contains_text(&text, inner));
        }
    }
}
