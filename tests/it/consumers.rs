//! Real consumers of feedbraid's outputs: Python feedparser parses every
//! served format without complaint and sees exactly the items we published, and as a
//! podcast app reads a merged feed's episodes (`media` module); newsboat subscribes
//! to the served RSS and Atom feeds, counts the articles, and counts the same after a
//! re-poll, and stores each episode's file for its podcast downloader. A missing consumer skips the test with a reason,
//! except under CI (`CI=true`), where it fails.

mod media;

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{FeedServer, Harness, fixture, tool_available, write_config};
use feedbraid::poll::PollOutcome;

const IRAN_TALKS: &str = "Iran and EU resume nuclear talks in Geneva";
const FLOODS_EDITED: &str = "Flooding closes four ports along the Bay of Bengal";

/// Five sources in every input format, including a wire copy of one harbor story, so
/// the merged feed holds one item with an "Also reported by" block.
async fn started() -> (tempfile::TempDir, FeedServer, Harness) {
    let server = crate::common::five_outlets().await;
    let body = format!(
        "{}[[feed]]\nname = \"world\"\ntitle = \"World\"\ndescription = \"Every source, one item per story\"\n",
        crate::common::outlet_sources(&server, &[])
    );
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &body);
    let harness = Harness::start(&config).await;
    let reports = harness.poll().await;
    for report in &reports {
        assert!(
            matches!(report.outcome, PollOutcome::Stored(s) if s.new > 0),
            "{report}"
        );
    }
    (dir, server, harness)
}

/// Runs a blocking process off the async workers, so the in-process servers it talks
/// to keep answering.
pub(crate) async fn run(mut command: Command, stdin: Option<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            std::io::Write::write_all(&mut input, text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

pub(crate) fn feedparser_available() -> bool {
    tool_available(
        "python3 with feedparser",
        Command::new("python3").args(["-c", "import feedparser"]),
        "pip install 'feedparser>=6,<7'",
    )
}

pub(crate) fn newsboat_available() -> bool {
    tool_available(
        "newsboat",
        Command::new("newsboat").arg("--version"),
        "apt-get install -y newsboat",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedparser_reads_every_format_without_bozo_and_sees_our_items() {
    if !feedparser_available() {
        return;
    }
    let (_dir, _server, h) = started().await;
    let world = h.json_feed("world").await;
    let items = world["items"].as_array().unwrap();
    assert_eq!(items.len(), 15, "16 source items, one story carried twice");
    let expected_items: Vec<serde_json::Value> = items
        .iter()
        .map(|i| serde_json::json!({"id": i["id"], "title": i["title"], "link": i["url"]}))
        .collect();
    let talks = items.iter().find(|i| i["title"] == IRAN_TALKS).unwrap();
    assert_eq!(talks["_feedbraid"]["also"][0]["source"], "wire");

    let expectations: Vec<serde_json::Value> =
        [("rss", "rss20"), ("atom", "atom10"), ("json", "json11")]
            .into_iter()
            .map(|(ext, version)| {
                serde_json::json!({
                    "url": h.url(&format!("/feeds/world.{ext}")),
                    "version": version,
                    "items": expected_items,
                    "also_reported": 1,
                })
            })
            .collect();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/consumers/feedparser_check.py");
    let mut python = Command::new("python3");
    python
        .arg(&script)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    let output = run(python, Some(serde_json::to_string(&expectations).unwrap())).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "feedparser check failed:\n{stdout}\n{stderr}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        3,
        "one ok per format:\n{stdout}"
    );
}

/// A newsboat profile subscribed to one feed: its urls file, cache and config in a
/// temporary folder (also its `HOME`, so nothing outside is touched). One profile per
/// format, because newsboat knows an article by its guid across all its feeds, and
/// our RSS and Atom outputs rightly give an item the same id.
pub(crate) struct Newsboat {
    dir: tempfile::TempDir,
    feed_url: String,
}

impl Newsboat {
    pub(crate) fn subscribe(feed_url: String) -> Newsboat {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("urls"), format!("{feed_url}\n")).unwrap();
        std::fs::write(dir.path().join("config"), "").unwrap();
        Newsboat { dir, feed_url }
    }

    /// `newsboat -u urls -c cache.db -C config -x reload print-unread`: reloads the
    /// feed without a terminal, then prints "N unread articles".
    pub(crate) async fn reload(&self) -> usize {
        let mut command = Command::new("newsboat");
        command
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .args([
                "-u",
                "urls",
                "-c",
                "cache.db",
                "-C",
                "config",
                "-x",
                "reload",
                "print-unread",
            ]);
        let output = run(command, None).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "newsboat failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .trim()
            .strip_suffix(" unread articles")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected newsboat output: {stdout:?}"))
    }

    /// The titles of the articles in newsboat's cache for the subscribed feed.
    fn articles(&self) -> Vec<String> {
        let cache = rusqlite::Connection::open(self.dir.path().join("cache.db")).unwrap();
        let mut statement = cache
            .prepare("SELECT title FROM rss_item WHERE feedurl = ?1 ORDER BY title")
            .unwrap();
        statement
            .query_map([&self.feed_url], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newsboat_counts_our_articles_and_a_repoll_adds_none() {
    if !newsboat_available() {
        return;
    }
    let (_dir, server, h) = started().await;
    let expected = h.json_feed("world").await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(expected, 15);

    let readers = [
        Newsboat::subscribe(h.url("/feeds/world.rss")),
        Newsboat::subscribe(h.url("/feeds/world.atom")),
    ];
    for reader in &readers {
        assert_eq!(reader.reload().await, expected, "{}", reader.feed_url);
        let titles = reader.articles();
        assert_eq!(titles.len(), expected, "{titles:#?}");
        assert!(titles.iter().any(|t| t == IRAN_TALKS), "{titles:#?}");
    }

    // The publisher edits one story; feedbraid re-reads everything and updates it in
    // place under the same id, so a reader sees the edit but no new article.
    server.set("harbor.xml", fixture("rss2-edited.xml"));
    let reports = h.poll().await;
    let harbor = reports.iter().find(|r| r.source == "harbor").unwrap();
    assert!(
        matches!(harbor.outcome, PollOutcome::Stored(s) if s.new == 0 && s.updated == 1),
        "{harbor}"
    );
    for reader in &readers {
        assert_eq!(
            reader.reload().await,
            expected,
            "{}: no article added",
            reader.feed_url
        );
        let titles = reader.articles();
        assert_eq!(titles.len(), expected, "{titles:#?}");
        assert!(titles.iter().any(|t| t == FLOODS_EDITED), "{titles:#?}");
    }
}
