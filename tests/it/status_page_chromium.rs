//! The status page as a person sees it: rendered by headless Chromium (Debian's
//! chromium; CI installs it), at a phone's width. Skips with the reason when Chromium
//! is missing, except under CI.

use std::path::Path;
use std::process::Command;

use crate::common::{FeedServer, Harness, fixture, write_config};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(profile: &Path, args: &[&str]) -> Option<std::process::Output> {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium is required under CI"
        );
        eprintln!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
        return None;
    }
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=390,844",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(output)
}

/// The visible text of an HTML document (tags dropped, whitespace folded).
fn visible_text(dom: &str) -> String {
    let body = dom.split("<body").nth(1).unwrap_or(dom);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_sees_feeds_problems_first_and_stories() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    server.set("wire.xml", fixture("wire-copy.xml"));
    let body = format!(
        "[[source]]\nname = \"harbor\"\nurl = \"{}\"\n\n[[source]]\nname = \"wire\"\nurl = \"{}\"\n\n\
         [[source]]\nname = \"broken\"\nurl = \"{}\"\n\n\
         [[feed]]\nname = \"iran\"\ntitle = \"Iran\"\ninclude = [\"Iran\"]\n\n\
         [[feed]]\nname = \"private\"\ntitle = \"Desk only\"\ntoken = \"s3cret\"\n",
        server.url("harbor.xml"),
        server.url("wire.xml"),
        server.url("missing.xml"),
    );
    let config = write_config(dir.path(), &body);
    let h = Harness::start(&config).await;
    h.poll().await;

    let profile = tempfile::tempdir().unwrap();
    let Some(out) = chromium(profile.path(), &["--dump-dom", &h.url("/")]) else {
        return;
    };
    let dom = String::from_utf8_lossy(&out.stdout);
    let text = visible_text(&dom);
    assert!(
        text.contains("Iran") && text.contains("Desk only"),
        "{text}"
    );
    for ext in ["rss", "atom", "json"] {
        assert!(
            dom.contains(&format!("/feeds/iran.{ext}")),
            "subscribe link .{ext}"
        );
    }
    assert!(!dom.contains("s3cret"), "a token must never show");
    // The failing source comes before the healthy ones.
    let broken = text.find("broken").unwrap();
    let harbor = text.find("Harbor Daily News").unwrap();
    assert!(broken < harbor, "problems first: {text}");
    assert!(
        text.contains("HTTP 404") && !text.contains("HTTP 404: HTTP 404"),
        "{text}"
    );
    // The shared story shows how many outlets carried it.
    assert!(
        text.contains("Iran and EU resume nuclear talks in Geneva"),
        "{text}"
    );
    assert!(text.contains("2 outlets"), "{text}");
    assert!(!dom.to_lowercase().contains("<script"), "no JavaScript");

    let shot = dir.path().join("status.png");
    chromium(
        profile.path(),
        &[&format!("--screenshot={}", shot.display()), &h.url("/")],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5_000,
        "a real screenshot"
    );
    if let Ok(keep) = std::env::var("FEEDBRAID_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}
