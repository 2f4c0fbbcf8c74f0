//! Rendering output feeds, pure: assembling stored items into an [`OutputFeed`]
//! (ordering, limit, collapsing copies of a story) and writing it as RSS 2.0, Atom 1.0
//! or JSON Feed 1.1, plus the HTML index page and OPML. No I/O.

use crate::model::OutputFeed;

/// An output format, chosen by the extension in `/feeds/NAME.EXT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "rss" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// Renders a feed in the given format.
pub fn render(feed: &OutputFeed, format: Format) -> Vec<u8> {
    let _ = (feed, format);
    todo!("render helper")
}
