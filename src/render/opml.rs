//! OPML 2.0: writing the output feeds (`/opml`) and the sources (`export-opml`), and
//! reading subscription lists (`import-opml`) with quick-xml. Nested folder outlines
//! become the category of the feeds inside them. Pure: text in, text out.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer, XmlVersion};

use super::{Format, display_name, feed_url, home_url};
use crate::sanitize::clean_text;

/// A feed found in an OPML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlOutline {
    /// The outline's `title`, else its `text`.
    pub title: Option<String>,
    pub xml_url: String,
    pub html_url: Option<String>,
    /// The innermost enclosing folder's title, else the outline's `category` attribute.
    pub category: Option<String>,
}

/// Why an OPML document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpmlError {
    #[error("malformed OPML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
    #[error("not an OPML document (no <opml> root element)")]
    NotOpml,
}

/// OPML of the output feeds, each subscribed at `{base_url}/feeds/{name}.rss`.
/// `feeds` holds `(name, title)` pairs.
pub fn render_feeds_opml<N: AsRef<str>, T: AsRef<str>>(
    title: &str,
    base_url: &str,
    feeds: &[(N, T)],
) -> String {
    let home = home_url(base_url);
    let outlines = feeds.iter().map(|(name, feed_title)| {
        let name = name.as_ref();
        [
            ("type", "rss".to_string()),
            (
                "text",
                attribute_text(display_name(feed_title.as_ref(), name)),
            ),
            (
                "title",
                attribute_text(display_name(feed_title.as_ref(), name)),
            ),
            ("xmlUrl", clean_text(&feed_url(base_url, name, Format::Rss))),
            ("htmlUrl", clean_text(&home)),
        ]
    });
    write_opml(title, outlines)
}

/// OPML of the configured sources, for `export-opml`. `sources` holds
/// `(name, title, url)` triples; a blank title falls back to the name.
pub fn render_sources_opml<N: AsRef<str>, T: AsRef<str>, U: AsRef<str>>(
    sources: &[(N, T, U)],
) -> String {
    let outlines = sources.iter().map(|(name, title, url)| {
        let title = attribute_text(display_name(title.as_ref(), name.as_ref()));
        [
            ("type", "rss".to_string()),
            ("text", title.clone()),
            ("title", title),
            ("xmlUrl", clean_text(url.as_ref())),
        ]
    });
    write_opml("feedbraid sources", outlines)
}

fn write_opml<const N: usize>(
    title: &str,
    outlines: impl Iterator<Item = [(&'static str, String); N]>,
) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let mut opml = BytesStart::new("opml");
    opml.push_attribute(("version", "2.0"));
    let events = [
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
        Event::Start(opml),
        Event::Start(BytesStart::new("head")),
        Event::Start(BytesStart::new("title")),
    ];
    // Writing into a Vec performs no I/O that could fail; errors are ignored below
    // for that reason only.
    for event in events {
        let _ = writer.write_event(event);
    }
    let _ = writer.write_event(Event::Text(BytesText::new(&attribute_text(title))));
    let _ = writer.write_event(Event::End(BytesEnd::new("title")));
    let _ = writer.write_event(Event::End(BytesEnd::new("head")));
    let _ = writer.write_event(Event::Start(BytesStart::new("body")));
    for attributes in outlines {
        let mut outline = BytesStart::new("outline");
        for (key, value) in &attributes {
            outline.push_attribute((*key, value.as_str()));
        }
        let _ = writer.write_event(Event::Empty(outline));
    }
    let _ = writer.write_event(Event::End(BytesEnd::new("body")));
    let _ = writer.write_event(Event::End(BytesEnd::new("opml")));
    let mut text = String::from_utf8_lossy(&writer.into_inner()).into_owned();
    text.push('\n');
    text
}

/// Reads every feed outline (one with an `xmlUrl`) of an OPML document, in document
/// order, walking nested folders. DTD entities are never expanded.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlOutline>, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut seen_root = false;
    // One entry per open <outline>: the folder title it contributes, if any.
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut found = Vec::new();
    loop {
        let event = reader.read_event().map_err(|error| OpmlError::Malformed {
            position: reader.error_position(),
            message: error.to_string(),
        })?;
        match event {
            Event::Start(element) | Event::Empty(element)
                if !seen_root && element.local_name().as_ref() != "opml" =>
            {
                return Err(OpmlError::NotOpml);
            }
            Event::Start(element) if element.local_name().as_ref() == "opml" => {
                seen_root = true;
            }
            Event::Start(element) if element.local_name().as_ref() == "outline" => {
                let outline = read_outline(&reader, &element)?;
                let folder = match outline.xml_url {
                    None => outline.title.clone(),
                    Some(_) => None,
                };
                if let Some(feed) = outline.into_feed(&folders) {
                    found.push(feed);
                }
                folders.push(folder);
            }
            Event::Empty(element) if element.local_name().as_ref() == "outline" => {
                if let Some(feed) = read_outline(&reader, &element)?.into_feed(&folders) {
                    found.push(feed);
                }
            }
            Event::End(element) if element.local_name().as_ref() == "outline" => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if seen_root {
        Ok(found)
    } else {
        Err(OpmlError::NotOpml)
    }
}

/// The attributes of one `<outline>` that matter here.
#[derive(Default)]
struct RawOutline {
    title: Option<String>,
    xml_url: Option<String>,
    html_url: Option<String>,
    category: Option<String>,
}

impl RawOutline {
    /// The feed this outline subscribes to, if it has an `xmlUrl`; `folders` are the
    /// enclosing outlines, outermost first.
    fn into_feed(self, folders: &[Option<String>]) -> Option<OpmlOutline> {
        let xml_url = self.xml_url?;
        let folder = folders.iter().rev().find_map(Clone::clone);
        Some(OpmlOutline {
            title: self.title,
            xml_url,
            html_url: self.html_url,
            category: folder.or(self.category),
        })
    }
}

fn read_outline(reader: &Reader<&[u8]>, element: &BytesStart) -> Result<RawOutline, OpmlError> {
    let mut outline = RawOutline::default();
    let mut text = None;
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|error| OpmlError::Malformed {
            position: reader.buffer_position(),
            message: error.to_string(),
        })?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|error| OpmlError::Malformed {
                position: reader.buffer_position(),
                message: error.to_string(),
            })?;
        let value = Some(attribute_text(&value)).filter(|value| !value.is_empty());
        let key = attribute.key.local_name();
        match key.as_ref().to_ascii_lowercase().as_str() {
            "title" => outline.title = value,
            "text" => text = value,
            "xmlurl" => outline.xml_url = value,
            "htmlurl" => outline.html_url = value,
            "category" => outline.category = value.as_deref().and_then(first_category),
            _ => {}
        }
    }
    outline.title = outline.title.or(text);
    Ok(outline)
}

/// The first category of an OPML `category` attribute (comma-separated, each may be
/// a `/`-path): its last path segment.
fn first_category(value: &str) -> Option<String> {
    let first = value.split(',').next()?;
    first
        .split('/')
        .map(str::trim)
        .rfind(|segment| !segment.is_empty())
        .map(str::to_string)
}

/// Text for an attribute: forbidden characters removed and whitespace runs folded to
/// one space, since XML parsers normalize line breaks in attributes anyway.
fn attribute_text(value: &str) -> String {
    clean_text(value)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
