//! What readers use beside an item's text, as parsed: media files (enclosures), the
//! image, the comments page, every author and category schemes, in RSS (with iTunes
//! and Media RSS), Atom and JSON Feed. Every URL absolute and http(s).

use super::*;
use feedbraid::model::{Enclosure, ItemLinks};

fn parsed(name: &str, url: &str) -> ParsedFeed {
    let bytes = std::fs::read(format!("{FEEDS}/{name}")).unwrap();
    parse_feed(&bytes, &url::Url::parse(url).unwrap()).expect("the fixture is read")
}

fn enclosure(url: &str, media_type: &str, length: Option<u64>) -> Enclosure {
    Enclosure {
        url: url.to_string(),
        media_type: Some(media_type.to_string()),
        length,
    }
}

fn category(name: &str, scheme: Option<&str>) -> Category {
    Category {
        name: name.to_string(),
        scheme: scheme.map(str::to_string),
    }
}

#[test]
fn a_podcast_keeps_its_episodes_files_images_authors_and_comments() {
    let feed = parsed("podcast.xml", "https://harbor-hour.example/feed.xml");
    let [episode_41, episode_40, video] = &feed.entries[..] else {
        panic!("three items: {:?}", feed.entries);
    };
    assert_eq!(
        episode_41.links,
        ItemLinks {
            // A relative URL resolves against the feed's.
            enclosures: vec![enclosure(
                "https://harbor-hour.example/audio/hh-041.mp3",
                "audio/mpeg",
                Some(48_213_950)
            )],
            // The item's own `itunes:image`, not the show's.
            image: Some("https://harbor-hour.example/art/41.jpg?v=2&s=600".into()),
            comments: Some("https://harbor-hour.example/episodes/41#comments".into()),
        }
    );
    assert_eq!(episode_41.authors, ["Dana Whitfield", "Luis Ortega"]);
    assert_eq!(
        episode_41.categories,
        [
            category("Infrastructure", Some("https://harbor-hour.example/topics")),
            category("Environment", None)
        ]
    );
    // A zero length is no length; a `javascript:` file is dropped.
    assert_eq!(
        episode_40.links,
        ItemLinks {
            enclosures: vec![enclosure(
                "https://cdn.harbor-hour.example/audio/hh-040.m4a",
                "audio/x-m4a",
                None
            )],
            ..ItemLinks::default()
        }
    );
    // Media RSS: the video is a media file, its thumbnail the item's image.
    assert_eq!(
        video.links,
        ItemLinks {
            enclosures: vec![enclosure(
                "https://cdn.harbor-hour.example/video/surge.mp4",
                "video/mp4",
                Some(10_485_760)
            )],
            image: Some("https://cdn.harbor-hour.example/video/surge.jpg".into()),
            comments: None,
        }
    );
}

#[test]
fn atom_enclosure_and_replies_links_resolve_against_xml_base() {
    let feed = parsed("atom-enclosures.xml", "https://riverlog.example/feed.atom");
    let entry = &feed.entries[0];
    assert_eq!(
        entry.link.as_deref(),
        Some("https://riverlog.example/news/lock-7"),
        "the page link is not an enclosure or the comments"
    );
    assert_eq!(
        entry.links,
        ItemLinks {
            enclosures: vec![
                enclosure(
                    "https://riverlog.example/media/lock-7-interview.ogg",
                    "audio/ogg",
                    Some(7_340_032)
                ),
                enclosure(
                    "https://riverlog.example/media/lock-7-notice.pdf",
                    "application/pdf",
                    None
                ),
            ],
            image: Some("https://riverlog.example/img/lock-7.jpg?w=640&h=360".into()),
            // The HTML page of the replies, not their feed.
            comments: Some("https://riverlog.example/news/lock-7#comments".into()),
        }
    );
    assert_eq!(entry.authors, ["Mira Kowalska", "Tomasz Nowak"]);
    assert_eq!(
        entry.categories,
        [
            category("Locks and weirs", Some("https://riverlog.example/tags")),
            category("shipping", None)
        ]
    );
}

#[test]
fn json_feed_attachments_and_image_are_kept_and_only_http_ones() {
    let feed = parsed(
        "json-attachments.json",
        "https://delta-radio.example/feed.json",
    );
    let item = &feed.entries[0];
    assert_eq!(
        item.links,
        ItemLinks {
            enclosures: vec![enclosure(
                "https://delta-radio.example/audio/112.mp3",
                "audio/mpeg",
                Some(30_512_000)
            )],
            image: Some("https://delta-radio.example/img/112.jpg".into()),
            comments: None,
        }
    );
    assert_eq!(
        item.link.as_deref(),
        Some("https://delta-radio.example/shows/112")
    );
    assert_eq!(item.authors, ["Nusrat Jahan", "Arif Hossain"]);
    assert_eq!(names(&item.categories), ["climate", "farming"]);
}

#[test]
fn a_new_media_file_is_an_edit() {
    let before = parsed("podcast.xml", "https://harbor-hour.example/feed.xml");
    let text = std::fs::read_to_string(format!("{FEEDS}/podcast.xml")).unwrap();
    let edited = text.replace("hh-041.mp3", "hh-041-fixed.mp3");
    let after = parse_feed(
        edited.as_bytes(),
        &url::Url::parse("https://harbor-hour.example/feed.xml").unwrap(),
    )
    .unwrap();
    assert_eq!(before.entries[0].key, after.entries[0].key);
    assert_ne!(
        before.entries[0].content_hash,
        after.entries[0].content_hash
    );
    assert_eq!(
        before.entries[1].content_hash,
        after.entries[1].content_hash
    );
}
#[test]
fn items_with_only_a_description_a_title_or_a_file_are_kept_and_a_file_keys_its_item() {
    let doc = r#"<rss version="2.0"><channel><title>Shorts</title>
        <item><description>Only a description, as RSS 2.0 allows.</description></item>
        <item><title>Only a title</title></item>
        <item><enclosure url="https://e.example/a.mp3" type="audio/mpeg" length="5"/></item>
        <item><enclosure url="https://e.example/b.mp3" type="audio/mpeg" length="5"/></item>
        </channel></rss>"#;
    let feed = parse_feed(
        doc.as_bytes(),
        &url::Url::parse("https://e.example/f").unwrap(),
    )
    .unwrap();
    assert_eq!(feed.entries.len(), 4);
    assert_eq!(
        feed.entries[0].summary_html.as_deref(),
        Some("Only a description, as RSS 2.0 allows.")
    );
    assert_eq!(feed.entries[1].title, "Only a title");
    // Keyed by their files: stable whatever comes before them in later polls.
    assert_eq!(feed.entries[2].key, "l:https://e.example/a.mp3");
    assert_eq!(feed.entries[3].key, "l:https://e.example/b.mp3");
}
