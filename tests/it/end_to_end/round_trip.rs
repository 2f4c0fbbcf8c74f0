//! What readers use beside an item's text comes back out: a podcast (RSS with iTunes
//! and Media RSS), an Atom feed with enclosures and a JSON Feed with attachments are
//! polled, stored and served, and each served format, parsed again, gives the same
//! media files, images, authors, categories and comments pages.

use std::collections::BTreeSet;

use feedbraid::model::{Entry, ParsedFeed};
use feedbraid::parse::parse_feed;

use crate::common::{FeedServer, Harness, fixture, get, write_config};

const SOURCES: [(&str, &str); 3] = [
    ("harbor-hour", "podcast.xml"),
    ("riverlog", "atom-enclosures.xml"),
    ("delta-radio", "json-attachments.json"),
];

/// What must survive, as sets: order within a format is not part of the promise.
#[derive(Debug, PartialEq)]
struct Kept {
    enclosures: BTreeSet<(String, Option<String>, Option<u64>)>,
    image: Option<String>,
    comments: Option<String>,
    authors: BTreeSet<String>,
    categories: BTreeSet<(String, Option<String>)>,
}

/// What a format can carry: JSON Feed has no place for a category's scheme or a
/// comments page.
#[derive(Clone, Copy, PartialEq)]
enum Carries {
    Everything,
    NoSchemesNorComments,
}

fn kept(entry: &Entry, carries: Carries) -> Kept {
    let everything = carries == Carries::Everything;
    Kept {
        enclosures: entry
            .links
            .enclosures
            .iter()
            .map(|e| (e.url.clone(), e.media_type.clone(), e.length))
            .collect(),
        image: entry.links.image.clone(),
        comments: entry.links.comments.clone().filter(|_| everything),
        authors: entry.authors.iter().cloned().collect(),
        categories: entry
            .categories
            .iter()
            .map(|c| (c.name.clone(), c.scheme.clone().filter(|_| everything)))
            .collect(),
    }
}

async fn served(h: &Harness, path: &str) -> ParsedFeed {
    let (status, _, body) = get(&h.url(path), &[]).await;
    assert_eq!(status, 200, "{path}: {body}");
    let url = url::Url::parse(&h.url(path)).unwrap();
    parse_feed(body.as_bytes(), &url).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn media_files_images_authors_categories_and_comments_round_trip_in_every_format() {
    let server = FeedServer::start().await;
    let mut config = String::new();
    let mut originals = Vec::new();
    for (name, file) in SOURCES {
        server.set(file, fixture(file));
        config.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n\n",
            server.url(file)
        ));
        let url = url::Url::parse(&server.url(file)).unwrap();
        originals.extend(parse_feed(&fixture(file), &url).unwrap().entries);
    }
    config.push_str("[[feed]]\nname = \"listen\"\ntitle = \"Listen\"\n");
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::start(&write_config(dir.path(), &config)).await;
    h.poll().await;
    assert!(
        originals.iter().any(|e| e.links.enclosures.len() > 1) && originals.len() == 5,
        "the fixtures hold what this test is about"
    );

    for (path, carries) in [
        ("/feeds/listen.rss", Carries::Everything),
        ("/feeds/listen.atom", Carries::Everything),
        ("/feeds/listen.json", Carries::NoSchemesNorComments),
    ] {
        let feed = served(&h, path).await;
        assert_eq!(feed.entries.len(), originals.len(), "{path}");
        for original in &originals {
            let copy = feed
                .entries
                .iter()
                .find(|e| e.title == original.title)
                .unwrap_or_else(|| panic!("{path}: {} is missing", original.title));
            let mut expected = kept(original, carries);
            let got = kept(copy, carries);
            if expected.authors.is_empty() && path.ends_with(".atom") {
                // Atom requires an author: the source's title stands in for none.
                expected.authors = got.authors.clone();
            }
            assert_eq!(got, expected, "{path}: {}", original.title);
        }
    }
}
