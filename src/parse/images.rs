//! Each XML item's picture where feed-rs does not keep it: feed-rs 3.0 drops a Media
//! RSS or iTunes media object that holds only a thumbnail (`media:thumbnail`,
//! `itunes:image`), which is how most news and podcast feeds give an item's image.
//!
//! One quick-xml pass over a document that mentions either, in item order; the
//! caller uses it only when it found as many items as feed-rs did, so a picture is
//! never given to the wrong item.

use memchr::memmem;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, XmlVersion};

const MEDIA_RSS: &str = "http://search.yahoo.com/mrss/";
const ITUNES: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";

/// The first `media:thumbnail` `url` or `itunes:image` `href` of each item (RSS
/// `item`, Atom `entry`), in document order; empty when the document names neither
/// or is not XML this pass can read to its end.
pub(super) fn item_images(bytes: &[u8]) -> Vec<Option<String>> {
    if memmem::find(bytes, b"thumbnail").is_none() && memmem::find(bytes, b"itunes").is_none() {
        return Vec::new();
    }
    let mut reader = NsReader::from_reader(bytes);
    let mut images = Vec::new();
    // The depth of the open item element, and its depth below it.
    let mut depth = 0usize;
    let mut item_depth = None;
    loop {
        let (namespace, event) = match reader.read_resolved_event() {
            Ok(resolved) => resolved,
            Err(_) => return Vec::new(),
        };
        match event {
            Event::Start(element) => {
                depth += 1;
                if item_depth.is_none() && is_item(&element) {
                    item_depth = Some(depth);
                    images.push(None);
                } else if item_depth.is_some() {
                    note_image(&mut images, &namespace, &element);
                }
            }
            Event::Empty(element) => {
                if item_depth.is_none() && is_item(&element) {
                    images.push(None);
                } else if item_depth.is_some() {
                    note_image(&mut images, &namespace, &element);
                }
            }
            Event::End(_) => {
                if item_depth == Some(depth) {
                    item_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return images,
            _ => {}
        }
    }
}

fn is_item(element: &BytesStart<'_>) -> bool {
    matches!(element.local_name().as_ref(), "item" | "entry")
}

/// Records `element` as the open item's picture when it is one and the item has none.
fn note_image(
    images: &mut [Option<String>],
    namespace: &ResolveResult<'_>,
    element: &BytesStart<'_>,
) {
    let Some(image @ None) = images.last_mut() else {
        return;
    };
    let attribute = match (namespace, element.local_name().as_ref()) {
        (ResolveResult::Bound(Namespace(ns)), "thumbnail") if *ns == MEDIA_RSS => "url",
        (ResolveResult::Bound(Namespace(ns)), "image") if *ns == ITUNES => "href",
        _ => return,
    };
    *image = element
        .try_get_attribute(attribute)
        .ok()
        .flatten()
        .and_then(|value| {
            let value = value.normalized_value(XmlVersion::Implicit1_0).ok()?;
            Some(value.trim().to_string())
        })
        .filter(|value| !value.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_and_itunes_images_are_found_per_item() {
        let doc = br#"<rss xmlns:media="http://search.yahoo.com/mrss/"
            xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
            <itunes:image href="https://e.example/show.jpg"/>
            <item><title>a</title><itunes:image href=" https://e.example/a.jpg "/></item>
            <item><title>b</title></item>
            <item><media:group><media:thumbnail url="https://e.example/c.jpg?w=1&amp;h=2"/>
              <media:thumbnail url="https://e.example/c2.jpg"/></media:group></item>
            <item><image href="https://e.example/unbound.jpg"/></item>
            </channel></rss>"#;
        assert_eq!(
            item_images(doc),
            [
                Some("https://e.example/a.jpg".to_string()),
                None,
                Some("https://e.example/c.jpg?w=1&h=2".to_string()),
                None,
            ]
        );
    }

    #[test]
    fn a_document_naming_neither_or_unreadable_gives_nothing() {
        assert!(item_images(b"<rss><channel><item/></channel></rss>").is_empty());
        assert!(item_images(b"<rss><channel><item><thumbnail url='x'></channel>").is_empty());
    }
}
