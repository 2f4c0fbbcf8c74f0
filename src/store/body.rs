//! An item's HTML (summary, content) as it goes into a row: packed
//! (`crate::packing`: a format byte, then the compressed HTML) where packing pays,
//! else the text itself. SQLite keeps either form in one column (a BLOB or TEXT);
//! a database with typed columns keeps both as bytes ([`Packed::to_bytes`]), the
//! text behind a format byte of its own that packing never uses.

use std::borrow::Cow;

use crate::model::{ArticleText, Entry};
use crate::packing;

/// HTML as it goes into a row.
pub(super) enum Packed<'a> {
    Text(&'a str),
    Deflated(Cow<'a, [u8]>),
}

/// The format byte of HTML kept as bytes unpacked: packing's own formats start at 1.
const PLAIN: u8 = 0;

impl<'a> Packed<'a> {
    /// A fetched article's HTML for the item's content column.
    pub(super) fn article(article: &'a ArticleText) -> Packed<'a> {
        match &article.packed {
            Some(bytes) => Packed::Deflated(bytes.as_slice().into()),
            None => Packed::Text(&article.content_html),
        }
    }

    /// The bytes of a typed column: the packed form as it is, or the text behind
    /// [`PLAIN`].
    pub(super) fn to_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Packed::Deflated(bytes) => Cow::Borrowed(bytes),
            Packed::Text(text) => {
                let mut bytes = Vec::with_capacity(text.len() + 1);
                bytes.push(PLAIN);
                bytes.extend_from_slice(text.as_bytes());
                Cow::Owned(bytes)
            }
        }
    }
}

/// HTML read back from [`Packed::to_bytes`].
pub(super) fn html_from_bytes(bytes: &[u8]) -> Result<String, packing::UnpackError> {
    match bytes.split_first() {
        Some((&PLAIN, text)) => Ok(String::from_utf8_lossy(text).into_owned()),
        _ => packing::unpack(bytes),
    }
}

/// An entry's summary and content for its row: as packed while parsing, else packed
/// here (entries made elsewhere, such as tests).
pub(super) fn packed_bodies(entry: &Entry) -> (Option<Packed<'_>>, Option<Packed<'_>>) {
    let (summary, content) = (entry.summary_html.as_deref(), entry.content_html.as_deref());
    match &entry.packed_html {
        Some(packed) => (
            for_row(summary, packed.summary.as_deref().map(Cow::Borrowed)),
            for_row(content, packed.content.as_deref().map(Cow::Borrowed)),
        ),
        None => (
            for_row(summary, summary.and_then(packing::pack).map(Cow::Owned)),
            for_row(content, content.and_then(packing::pack).map(Cow::Owned)),
        ),
    }
}

/// `html` as it goes into its column: `packed` where there is such a form.
fn for_row<'a>(html: Option<&'a str>, packed: Option<Cow<'a, [u8]>>) -> Option<Packed<'a>> {
    let html = html?;
    Some(packed.map_or(Packed::Text(html), Packed::Deflated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_back_as_the_html_in_either_form() {
        let long = "<p>The council met on Tuesday and the council voted.</p>".repeat(8);
        let entry = Entry {
            summary_html: Some("<p>Short.</p>".into()),
            content_html: Some(long.clone()),
            ..Entry::default()
        };
        let (summary, content) = packed_bodies(&entry);
        let summary = summary.unwrap();
        assert!(matches!(summary, Packed::Text(_)), "too short to pack");
        assert_eq!(
            html_from_bytes(&summary.to_bytes()).unwrap(),
            "<p>Short.</p>"
        );
        let content = content.unwrap();
        assert!(matches!(content, Packed::Deflated(_)));
        assert_eq!(html_from_bytes(&content.to_bytes()).unwrap(), long);
        assert!(
            html_from_bytes(&[7, 1]).is_err(),
            "an unknown format is an error"
        );
    }
}
