//! The core story end to end: fixture feeds served on 127.0.0.1:0 are polled, stored
//! and republished; the tests read the served outputs.

mod encodings;
mod round_trip;

use crate::common::{FeedServer, Harness, fixture, get, titles, write_config};
use feedbraid::poll::PollOutcome;

const IRAN_TALKS: &str = "Iran and EU resume nuclear talks in Geneva";
const FLOODS: &str = "Flooding closes ports along the Bay of Bengal";
const FLOODS_EDITED: &str = "Flooding closes four ports along the Bay of Bengal";

async fn publisher() -> FeedServer {
    crate::common::five_outlets().await
}

fn sources(server: &FeedServer) -> String {
    let feeds = r#"
[[feed]]
name = "iran"
title = "Iran"
include = ["Iran", "Tehran"]

[[feed]]
name = "no-sport"
sources = ["harbor"]
exclude = ["cricket"]

[[feed]]
name = "harbor-wire"
sources = ["harbor"]
tags = ["wire"]

[[feed]]
name = "harbor-wire-keep"
sources = ["harbor", "wire"]
dedup = "keep"

[[feed]]
name = "private"
token = "s3cret"
"#;
    let tags = [("harbor", "world"), ("wire", "wire"), ("northstar", "asia")];
    format!("{}{feeds}", crate::common::outlet_sources(server, &tags))
}

async fn started() -> (tempfile::TempDir, FeedServer, Harness) {
    let dir = tempfile::tempdir().unwrap();
    let server = publisher().await;
    let config = write_config(dir.path(), &sources(&server));
    let harness = Harness::start(&config).await;
    (dir, server, harness)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn every_format_is_polled_and_topic_feeds_hold_exactly_their_items() {
    let (_dir, _server, h) = started().await;
    let reports = h.poll().await;
    for r in &reports {
        assert!(
            matches!(r.outcome, PollOutcome::Stored(s) if s.new > 0),
            "{r}"
        );
    }
    let iran = h.json_feed("iran").await;
    assert_eq!(
        sorted(titles(&iran)),
        sorted(vec![
            IRAN_TALKS.to_string(),
            "Tehran air quality reaches hazardous levels".into(),
            "Shipping insurers raise Gulf premiums over Iran tensions".into(),
        ])
    );
    let no_sport = h.json_feed("no-sport").await;
    assert_eq!(
        titles(&no_sport),
        vec![
            IRAN_TALKS,
            FLOODS,
            "China and Vietnam sign rail trade agreement",
            "Tehran air quality reaches hazardous levels",
        ],
        "newest first, cricket excluded"
    );
    // Every source's items arrive, whatever its format: 16 items, one story shared.
    let (status, _, body) = get(&h.url("/feeds/private.json?token=s3cret"), &[]).await;
    assert_eq!(status, 200);
    let all: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(titles(&all).len(), 15, "{:#?}", titles(&all));
}

#[tokio::test]
async fn copies_with_the_same_link_collapse_and_name_the_other_source() {
    let (_dir, _server, h) = started().await;
    h.poll().await;
    let collapsed = h.json_feed("harbor-wire").await;
    let items = collapsed["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "5 harbor + 2 wire, one story shared");
    let talks = items.iter().find(|i| i["title"] == IRAN_TALKS).unwrap();
    assert_eq!(talks["_feedbraid"]["source"]["name"], "harbor");
    let also = talks["_feedbraid"]["also"].as_array().unwrap();
    assert_eq!(also.len(), 1);
    assert_eq!(also[0]["source"], "wire");
    assert!(also[0]["url"].as_str().unwrap().contains("utm_source=x"));

    let kept = h.json_feed("harbor-wire-keep").await;
    assert_eq!(kept["items"].as_array().unwrap().len(), 7);
    let ids: std::collections::HashSet<&str> = kept["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 7, "ids never collide");
}

#[tokio::test]
async fn a_second_poll_is_conditional_and_stores_nothing() {
    let (_dir, server, h) = started().await;
    h.poll().await;
    let before = h.json_feed("harbor-wire-keep").await;
    let reports = h.poll().await;
    for r in &reports {
        assert_eq!(r.outcome, PollOutcome::NotModified, "{r}");
    }
    assert_eq!(server.conditional_requests("harbor.xml"), 1);
    assert_eq!(server.not_modified("harbor.xml"), 1);
    assert_eq!(h.json_feed("harbor-wire-keep").await, before);
}

#[tokio::test]
async fn an_unconditional_repoll_of_the_same_document_adds_nothing() {
    let (_dir, server, h) = started().await;
    h.poll().await;
    let before = h.json_feed("harbor-wire-keep").await;
    // Same bytes under a new ETag: the server answers 200 and we must dedupe by key.
    let mut bytes = fixture("rss2.xml");
    bytes.extend_from_slice(b"\n");
    server.set("harbor.xml", bytes);
    let reports = h.poll().await;
    let harbor = reports.iter().find(|r| r.source == "harbor").unwrap();
    match harbor.outcome {
        PollOutcome::Stored(s) => assert_eq!((s.new, s.updated, s.unchanged), (0, 0, 5)),
        ref other => panic!("{other:?}"),
    }
    assert_eq!(h.json_feed("harbor-wire-keep").await, before);
}

#[tokio::test]
async fn an_edited_item_is_updated_in_place_with_the_same_id() {
    let (_dir, server, h) = started().await;
    h.poll().await;
    let before = h.json_feed("no-sport").await;
    let old = before["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == FLOODS)
        .unwrap()
        .clone();
    server.set("harbor.xml", fixture("rss2-edited.xml"));
    let reports = h.poll().await;
    let harbor = reports.iter().find(|r| r.source == "harbor").unwrap();
    assert!(
        matches!(harbor.outcome, PollOutcome::Stored(s) if s.updated == 1 && s.new == 0),
        "{harbor}"
    );
    let after = h.json_feed("no-sport").await;
    let items = after["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    let new = items.iter().find(|i| i["id"] == old["id"]).unwrap();
    assert_eq!(new["title"], FLOODS_EDITED);
    assert_eq!(
        new["date_published"], old["date_published"],
        "an edit does not move the item"
    );
    assert_ne!(new["date_modified"], serde_json::Value::Null);
}

#[tokio::test]
async fn served_feeds_answer_validators_with_304() {
    let (_dir, _server, h) = started().await;
    h.poll().await;
    for ext in ["rss", "atom", "json"] {
        let url = h.url(&format!("/feeds/iran.{ext}"));
        let (status, headers, _) = get(&url, &[]).await;
        assert_eq!(status, 200);
        let etag = headers["etag"].to_str().unwrap().to_string();
        let modified = headers["last-modified"].to_str().unwrap().to_string();
        let (status, _, body) = get(&url, &[("If-None-Match", &etag)]).await;
        assert_eq!((status, body.as_str()), (304, ""));
        let (status, _, _) = get(&url, &[("If-Modified-Since", &modified)]).await;
        assert_eq!(status, 304);
        let (status, _, _) = get(&url, &[("If-None-Match", "\"other\"")]).await;
        assert_eq!(status, 200);
        // Unchanged content keeps its ETag.
        let (_, again, _) = get(&url, &[]).await;
        assert_eq!(again["etag"].to_str().unwrap(), etag);
    }
}

#[tokio::test]
async fn unknown_names_get_404_and_token_feeds_401_with_a_reason() {
    let (_dir, _server, h) = started().await;
    let (status, _, body) = get(&h.url("/feeds/nope.rss"), &[]).await;
    assert_eq!(status, 404);
    assert!(body.contains("no feed named \"nope\""), "{body}");
    let (status, _, body) = get(&h.url("/feeds/iran.xml"), &[]).await;
    assert_eq!(status, 404);
    assert!(body.contains("unknown format"), "{body}");
    let (status, _, body) = get(&h.url("/feeds/private.rss"), &[]).await;
    assert_eq!(status, 401);
    assert!(body.contains("token"), "{body}");
    let (status, _, _) = get(&h.url("/feeds/private.rss?token=wrong"), &[]).await;
    assert_eq!(status, 401);
    let (status, _, _) = get(&h.url("/feeds/private.rss?token=s3cret"), &[]).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(
        &h.url("/feeds/private.json"),
        &[("Authorization", "Bearer s3cret")],
    )
    .await;
    assert_eq!(status, 200);
    let (_, _, opml) = get(&h.url("/opml"), &[]).await;
    assert!(
        opml.contains("/feeds/iran.rss") && !opml.contains("private"),
        "{opml}"
    );
}

#[tokio::test]
async fn ids_are_the_same_after_a_restart_on_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let server = publisher().await;
    let config = write_config(dir.path(), &sources(&server));
    let first = Harness::start(&config).await;
    first.poll().await;
    let before = first.json_feed("harbor-wire-keep").await;
    drop(first);
    // A fresh document (new ETag) forces a full re-read after the restart.
    let mut bytes = fixture("rss2.xml");
    bytes.extend_from_slice(b" ");
    server.set("harbor.xml", bytes);
    let second = Harness::start(&config).await;
    second.poll().await;
    let after = second.json_feed("harbor-wire-keep").await;
    let ids = |f: &serde_json::Value| -> Vec<String> {
        f["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&after), ids(&before));
}

#[tokio::test]
async fn the_status_page_opml_and_health_answer() {
    let (_dir, _server, h) = started().await;
    h.poll().await;
    let (status, headers, page) = get(&h.url("/"), &[]).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.contains("/feeds/iran.rss") && page.contains("harbor"),
        "{page}"
    );
    // Without the polling loop, health says so.
    let (status, _, body) = get(&h.url("/healthz"), &[]).await;
    assert_eq!(status, 503);
    assert!(body.contains("\"store\":\"ok\""), "{body}");
}

#[tokio::test]
async fn readers_that_take_gzip_get_it_compressed_once() {
    use std::io::Read as _;
    let (_dir, _server, h) = started().await;
    h.poll().await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let url = h.url("/feeds/iran.rss");
    let plain = raw.get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_tag = plain.headers()["etag"].to_str().unwrap().to_string();
    let plain = plain.bytes().await.unwrap();
    let zipped = raw
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["vary"], "Accept-Encoding");
    let zipped_tag = zipped.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(
        zipped_tag, plain_tag,
        "each encoding has its own strong ETag"
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped.bytes().await.unwrap()[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.to_vec());
    // Either tag proves the reader holds the current content.
    for tag in [&plain_tag, &zipped_tag] {
        let again = raw
            .get(&url)
            .header("Accept-Encoding", "gzip")
            .header("If-None-Match", tag.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
}
