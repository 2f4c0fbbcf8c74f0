//! A podcast app subscribed to a merged feed plays the episodes: a podcast (RSS with
//! iTunes and Media RSS), an Atom feed with enclosures and a JSON Feed with
//! attachments are polled and merged; Python feedparser (what many podcast apps and
//! readers are built on) reads each episode's file, type and length, its image, its
//! authors, categories with their scheme and its comments page from the served RSS
//! and Atom; newsboat stores each article's file, which its podcast downloader
//! (podboat) fetches.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::{Newsboat, feedparser_available, newsboat_available, run};
use crate::common::{FeedServer, Harness, fixture, write_config};

const EPISODE: &str = "Episode 41: Dredging the main channel";
const LOCK: &str = "Lock 7 reopens after repairs";
const RADIO: &str = "Salt in the rice fields";

async fn merged() -> (tempfile::TempDir, FeedServer, Harness) {
    let server = FeedServer::start().await;
    let mut config = String::new();
    for (name, file) in [
        ("harbor-hour", "podcast.xml"),
        ("riverlog", "atom-enclosures.xml"),
        ("delta-radio", "json-attachments.json"),
    ] {
        server.set(file, fixture(file));
        config.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n\n",
            server.url(file)
        ));
    }
    config.push_str("[[feed]]\nname = \"listen\"\ntitle = \"Listen\"\n");
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::start(&write_config(dir.path(), &config)).await;
    harness.poll().await;
    (dir, server, harness)
}

async fn feedparser_sees(url: String) -> Value {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/consumers/feedparser_media.py");
    let mut python = Command::new("python3");
    python
        .arg(&script)
        .arg(&url)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    let output = run(python, None).await;
    assert!(
        output.status.success(),
        "{url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["bozo"], false, "{url}: {seen}");
    seen["entries"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedparser_reads_the_episodes_files_images_authors_tags_and_comments() {
    if !feedparser_available() {
        return;
    }
    let (_dir, server, h) = merged().await;
    let episode_file = server.url("audio/hh-041.mp3");

    let rss = feedparser_sees(h.url("/feeds/listen.rss")).await;
    // RSS readers take the one `<enclosure>`; every file is also in `media:content`.
    assert_eq!(
        rss[EPISODE]["enclosures"],
        json!([[episode_file, "audio/mpeg", "48213950"]])
    );
    assert_eq!(
        rss[EPISODE]["thumbnail"],
        json!(["https://harbor-hour.example/art/41.jpg?v=2&s=600"])
    );
    assert_eq!(
        rss[EPISODE]["authors"],
        json!(["Dana Whitfield", "Luis Ortega"])
    );
    assert_eq!(
        rss[EPISODE]["tags"],
        json!([
            ["Environment", null],
            ["Infrastructure", "https://harbor-hour.example/topics"]
        ])
    );
    assert_eq!(
        rss[EPISODE]["comments"],
        "https://harbor-hour.example/episodes/41#comments"
    );
    assert_eq!(
        rss[RADIO]["enclosures"],
        json!([[
            "https://delta-radio.example/audio/112.mp3",
            "audio/mpeg",
            "30512000"
        ]])
    );

    let atom = feedparser_sees(h.url("/feeds/listen.atom")).await;
    assert_eq!(
        atom[LOCK]["enclosures"],
        json!([
            [
                "https://riverlog.example/media/lock-7-interview.ogg",
                "audio/ogg",
                "7340032"
            ],
            [
                "https://riverlog.example/media/lock-7-notice.pdf",
                "application/pdf",
                ""
            ]
        ])
    );
    assert_eq!(
        atom[LOCK]["thumbnail"],
        json!(["https://riverlog.example/img/lock-7.jpg?w=640&h=360"])
    );
    assert_eq!(
        atom[LOCK]["authors"],
        json!(["Mira Kowalska", "Tomasz Nowak"])
    );
    assert_eq!(
        atom[LOCK]["tags"],
        json!([
            ["Locks and weirs", "https://riverlog.example/tags"],
            ["shipping", null]
        ])
    );
    assert_eq!(
        atom[EPISODE]["enclosures"],
        json!([[episode_file, "audio/mpeg", "48213950"]])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newsboat_stores_each_episodes_file_for_its_podcast_downloader() {
    if !newsboat_available() {
        return;
    }
    let (_dir, server, h) = merged().await;
    for format in ["rss", "atom"] {
        let reader = Newsboat::subscribe(h.url(&format!("/feeds/listen.{format}")));
        assert_eq!(reader.reload().await, 5, "{format}");
        let cache = rusqlite::Connection::open(reader.dir.path().join("cache.db")).unwrap();
        let file: (String, String) = cache
            .query_row(
                "SELECT enclosure_url, enclosure_type FROM rss_item WHERE title = ?1",
                [EPISODE],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            file,
            (server.url("audio/hh-041.mp3"), "audio/mpeg".to_string()),
            "{format}"
        );
    }
}
