//! `/metrics`: OpenMetrics text that the reference parser (Python's prometheus_client)
//! reads, with the numbers the polls and requests produced.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::common::{FeedServer, Harness, fixture, get, write_config};

/// Samples as (name, labels, value), parsed by prometheus_client; `None` (skipped)
/// when Python or the package is missing outside CI.
fn parse(text: &str) -> Option<Vec<(String, serde_json::Value, f64)>> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/parse_metrics.py"
    );
    let child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return skip(&format!("python3: {e}")),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named 'prometheus_client'") {
        return skip("pip install prometheus-client");
    }
    assert!(
        out.status.success(),
        "the parser rejected the exposition: {stderr}\n{text}"
    );
    let samples: Vec<(String, serde_json::Value, f64)> =
        serde_json::from_slice(&out.stdout).unwrap();
    Some(samples)
}

fn skip<T>(why: &str) -> Option<T> {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "required under CI: {why}"
    );
    eprintln!("skipped: {why}");
    None
}

fn value(samples: &[(String, serde_json::Value, f64)], name: &str, label: (&str, &str)) -> f64 {
    samples
        .iter()
        .find(|(n, l, _)| n == name && (label.0.is_empty() || l[label.0] == label.1))
        .map(|s| s.2)
        .unwrap_or_else(|| panic!("no {name}{{{}={:?}}}", label.0, label.1))
}

#[tokio::test]
async fn metrics_parse_and_count_polls_requests_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    server.set("wire.xml", fixture("wire-copy.xml"));
    let body = format!(
        "[[source]]\nname = \"harbor\"\nurl = \"{}\"\n\n[[source]]\nname = \"wire\"\nurl = \"{}\"\n\n\
         [[source]]\nname = \"broken\"\nurl = \"{}\"\n\n[[feed]]\nname = \"all\"\n",
        server.url("harbor.xml"),
        server.url("wire.xml"),
        server.url("missing.xml"),
    );
    let h = Harness::start(&write_config(dir.path(), &body)).await;
    h.poll().await;
    h.poll().await;
    assert_eq!(get(&h.url("/feeds/all.rss"), &[]).await.0, 200);
    assert_eq!(get(&h.url("/feeds/nope.rss"), &[]).await.0, 404);
    let (status, headers, text) = get(&h.url("/metrics"), &[]).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("openmetrics")
    );
    assert!(
        text.lines()
            .all(|l| l.is_empty() || l.starts_with('#') || l.starts_with("feedbraid_"))
    );
    let Some(samples) = parse(&text) else {
        return;
    };
    assert_eq!(
        value(&samples, "feedbraid_polls_total", ("outcome", "stored")),
        2.0
    );
    assert_eq!(
        value(
            &samples,
            "feedbraid_polls_total",
            ("outcome", "not_modified")
        ),
        2.0
    );
    assert_eq!(
        value(&samples, "feedbraid_polls_total", ("outcome", "failed")),
        2.0
    );
    assert_eq!(
        value(&samples, "feedbraid_items_ingested_total", ("", "")),
        7.0
    );
    assert_eq!(
        value(&samples, "feedbraid_copies_merged_total", ("", "")),
        1.0
    );
    assert_eq!(
        value(&samples, "feedbraid_feed_requests_total", ("feed", "all")),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            "feedbraid_feed_requests_total",
            ("feed", "(unknown)")
        ),
        1.0
    );
    assert_eq!(
        value(&samples, "feedbraid_source_items", ("source", "harbor")),
        5.0
    );
    assert_eq!(
        value(
            &samples,
            "feedbraid_source_error_streak",
            ("source", "broken")
        ),
        2.0
    );
    assert!(
        value(
            &samples,
            "feedbraid_source_last_success_timestamp_seconds",
            ("source", "wire")
        ) > 1.7e9
    );
    assert_eq!(
        value(&samples, "feedbraid_poll_duration_seconds_count", ("", "")),
        6.0
    );
}
