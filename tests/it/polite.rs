//! Polite, resilient polling against scripted servers: conditional requests, backoff,
//! Retry-After, 410 Gone, permanent and temporary redirects, HTML pages, invalid
//! bytes, and the private-network guard per source.

use std::sync::Arc;

use crate::common::script::{Reply, ScriptServer, rss};
use crate::common::{Harness, write_config_with_fetch};
use chrono::Utc;
use feedbraid::config::Config;
use feedbraid::model::SourceState;
use feedbraid::poll::{PollMode, PollOutcome, SkipReason, poll_sources_with};

fn source(name: &str, url: &str) -> String {
    format!("[[source]]\nname = \"{name}\"\nurl = \"{url}\"\ninterval = \"1h\"\n\n")
}

async fn harness(dir: &tempfile::TempDir, body: &str) -> Harness {
    let fetch = "timeout = \"2s\"\nmin_interval = \"1m\"\nmax_interval = \"24h\"";
    Harness::start(&write_config_with_fetch(dir.path(), fetch, body)).await
}

async fn state(h: &Harness, name: &str) -> SourceState {
    h.ctx
        .store
        .source_states(vec![name.to_string()])
        .await
        .unwrap()
        .remove(0)
}

/// Seconds from now to the source's next poll.
async fn next_poll_in(h: &Harness, name: &str) -> i64 {
    (state(h, name).await.next_poll.unwrap() - Utc::now()).num_seconds()
}

async fn force(h: &Harness) -> Vec<feedbraid::poll::PollReport> {
    poll_sources_with(&h.ctx, &h.config, &h.config.sources, PollMode::Force)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_304_writes_nothing_and_refreshes_the_validators_verbatim() {
    let server = ScriptServer::start().await;
    server.feed("a.xml", &rss("alpha", 3), "\"v1\"");
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir, &source("alpha", &server.url("a.xml"))).await;
    h.poll().await;
    let generation = h.ctx.store.generation();
    server.set(
        "a.xml",
        Reply::Status(
            304,
            vec![
                ("etag", "W/\"v2\"".into()),
                ("last-modified", "Mon, 02 Mar 2026 08:00:00 GMT".into()),
            ],
        ),
    );
    let reports = h.poll().await;
    assert_eq!(
        reports[0].outcome,
        PollOutcome::NotModified,
        "{}",
        reports[0]
    );
    assert_eq!(server.if_none_match("a.xml"), vec!["\"v1\""]);
    assert_eq!(h.ctx.store.generation(), generation, "nothing written");
    let s = state(&h, "alpha").await;
    assert_eq!((s.items, s.state()), (3, "ok"));
    assert_eq!(s.etag.as_deref(), Some("W/\"v2\""));
    assert_eq!(
        s.last_modified.as_deref(),
        Some("Mon, 02 Mar 2026 08:00:00 GMT")
    );
}

#[tokio::test]
async fn errors_back_off_exponentially_and_success_resets() {
    let server = ScriptServer::start().await;
    server.set("a.xml", Reply::Status(500, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir, &source("alpha", &server.url("a.xml"))).await;
    let mut delays = Vec::new();
    for streak in 1..=3u32 {
        let reports = force(&h).await;
        assert!(
            matches!(&reports[0].outcome, PollOutcome::Failed { http_status: Some(500), error_streak, .. } if *error_streak == streak),
            "{}",
            reports[0]
        );
        delays.push(next_poll_in(&h, "alpha").await);
    }
    // interval × 2^streak with ±10% jitter: 2h, 4h, 8h.
    for (delay, hours) in delays.iter().zip([2, 4, 8]) {
        let expected = hours * 3600;
        assert!(
            (expected * 9 / 10 - 5..=expected * 11 / 10).contains(delay),
            "{delays:?}"
        );
    }
    assert_eq!(state(&h, "alpha").await.state(), "backoff");
    server.feed("a.xml", &rss("alpha", 2), "\"v1\"");
    force(&h).await;
    let s = state(&h, "alpha").await;
    assert_eq!((s.error_streak, s.state(), s.items), (0, "ok", 2));
    assert!(next_poll_in(&h, "alpha").await <= 3960);
}

#[tokio::test]
async fn a_404_backs_off_and_is_never_disabled() {
    let server = ScriptServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir, &source("alpha", &server.url("missing.xml"))).await;
    for _ in 0..12 {
        force(&h).await;
    }
    let s = state(&h, "alpha").await;
    assert_eq!(
        (s.http_status, s.error_streak, s.state()),
        (Some(404), 12, "backoff")
    );
    let delay = next_poll_in(&h, "alpha").await;
    assert!(
        (24 * 3600 * 9 / 10 - 5..=24 * 3600 * 11 / 10).contains(&delay),
        "capped: {delay}"
    );
    assert_eq!(server.requests("missing.xml"), 12);
}

#[tokio::test]
async fn retry_after_holds_that_source_only_and_force_ignores_it() {
    let server = ScriptServer::start().await;
    server.set(
        "busy.xml",
        Reply::Status(429, vec![("retry-after", "7200".into())]),
    );
    server.feed("calm.xml", &rss("calm", 2), "\"c1\"");
    let dir = tempfile::tempdir().unwrap();
    let body = source("busy", &server.url("busy.xml")) + &source("calm", &server.url("calm.xml"));
    let h = harness(&dir, &body).await;
    h.poll().await;
    let busy = state(&h, "busy").await;
    assert_eq!((busy.http_status, busy.state()), (Some(429), "backoff"));
    let wait = (busy.retry_after_until.unwrap() - Utc::now()).num_seconds();
    assert!((7190..=7200).contains(&wait), "{wait}");
    assert!(next_poll_in(&h, "busy").await >= 7200 * 9 / 10 - 5);

    let reports = h.poll().await;
    assert!(
        matches!(
            reports[0].outcome,
            PollOutcome::Skipped(SkipReason::RetryAfter(_))
        ),
        "{}",
        reports[0]
    );
    assert!(
        reports[0].to_string().contains("Retry-After"),
        "{}",
        reports[0]
    );
    assert_eq!(
        server.requests("busy.xml"),
        1,
        "not asked again while told to wait"
    );
    assert_eq!(
        server.requests("calm.xml"),
        2,
        "the same host's other feed is polled"
    );
    assert_eq!(reports[1].outcome, PollOutcome::NotModified);

    force(&h).await;
    assert_eq!(
        server.requests("busy.xml"),
        2,
        "--force ignores Retry-After"
    );
}

#[tokio::test]
async fn a_503_retry_after_date_is_capped_at_max_interval() {
    let server = ScriptServer::start().await;
    let far = httpdate::fmt_http_date(
        std::time::SystemTime::now() + std::time::Duration::from_secs(30 * 24 * 3600),
    );
    server.set("a.xml", Reply::Status(503, vec![("retry-after", far)]));
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir, &source("alpha", &server.url("a.xml"))).await;
    h.poll().await;
    let s = state(&h, "alpha").await;
    let wait = (s.retry_after_until.unwrap() - Utc::now()).num_seconds();
    assert!((24 * 3600 - 10..=24 * 3600).contains(&wait), "{wait}");
}

#[tokio::test]
async fn a_410_is_gone_until_the_config_entry_changes() {
    let server = ScriptServer::start().await;
    server.set("old.xml", Reply::Status(410, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir, &source("alpha", &server.url("old.xml"))).await;
    h.poll().await;
    let s = state(&h, "alpha").await;
    assert_eq!(
        (s.state(), s.next_poll, s.http_status),
        ("gone", None, Some(410))
    );
    let reports = h.poll().await;
    assert_eq!(reports[0].outcome, PollOutcome::Skipped(SkipReason::Gone));
    assert!(reports[0].to_string().contains("gone"), "{}", reports[0]);
    assert_eq!(server.requests("old.xml"), 1);
    force(&h).await;
    assert_eq!(server.requests("old.xml"), 2, "--force polls a gone source");

    // Any change of the entry (here a tag) brings it back.
    let text = std::fs::read_to_string(&h.config.path).unwrap();
    let changed = text.replace("interval = \"1h\"", "interval = \"1h\"\ntags = [\"moved\"]");
    let config = Arc::new(Config::from_toml(&h.config.path, &changed).unwrap());
    server.feed("old.xml", &rss("alpha", 1), "\"back\"");
    let reports = poll_sources_with(&h.ctx, &config, &config.sources, PollMode::Respect)
        .await
        .unwrap();
    assert!(
        matches!(reports[0].outcome, PollOutcome::Stored(_)),
        "{}",
        reports[0]
    );
    assert_eq!(state(&h, "alpha").await.state(), "ok");
}

#[tokio::test]
async fn a_301_is_adopted_after_three_polls_and_a_302_never() {
    let server = ScriptServer::start().await;
    server.set("old.xml", Reply::Redirect(301, server.url("new.xml")));
    server.feed("new.xml", &rss("moved", 2), "\"n1\"");
    server.set("temp.xml", Reply::Redirect(302, "/elsewhere.xml".into()));
    server.feed("elsewhere.xml", &rss("temp", 2), "\"t1\"");
    let dir = tempfile::tempdir().unwrap();
    let body = source("moved", &server.url("old.xml")) + &source("temp", &server.url("temp.xml"));
    let h = harness(&dir, &body).await;
    for poll in 1..=5 {
        h.poll().await;
        let moved = state(&h, "moved").await;
        let expected = if poll < 3 { "old.xml" } else { "new.xml" };
        assert!(
            moved.current_url.ends_with(expected),
            "poll {poll}: {}",
            moved.current_url
        );
        assert!(moved.url.ends_with("old.xml"), "the configured URL stays");
    }
    assert_eq!(server.requests("old.xml"), 3);
    assert_eq!(server.requests("new.xml"), 5);
    assert_eq!(server.requests("temp.xml"), 5, "302 never adopted");
    assert!(state(&h, "temp").await.current_url.ends_with("temp.xml"));
}

#[tokio::test]
async fn a_redirect_loop_and_too_many_hops_are_errors() {
    let server = ScriptServer::start().await;
    server.set("a.xml", Reply::Redirect(302, "/b.xml".into()));
    server.set("b.xml", Reply::Redirect(301, "/a.xml".into()));
    for i in 0..12 {
        server.set(
            &format!("hop{i}"),
            Reply::Redirect(307, format!("/hop{}", i + 1)),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let body = source("looping", &server.url("a.xml")) + &source("long", &server.url("hop0"));
    let h = harness(&dir, &body).await;
    let reports = h.poll().await;
    assert!(
        reports[0].to_string().contains("redirect loop"),
        "{}",
        reports[0]
    );
    assert!(
        reports[1].to_string().contains("more than 10 redirects"),
        "{}",
        reports[1]
    );
    assert_eq!(server.requests("a.xml"), 1);
    assert_eq!(server.requests("hop10"), 1);
    assert_eq!(server.requests("hop11"), 0);
}

#[tokio::test]
async fn an_html_page_is_an_error_and_leaves_stored_items() {
    let server = ScriptServer::start().await;
    server.feed("a.xml", &rss("alpha", 4), "\"v1\"");
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir, &source("alpha", &server.url("a.xml"))).await;
    h.poll().await;
    server.set(
        "a.xml",
        Reply::Html("<!DOCTYPE html><html><head><title>Are you a robot?</title></head><body><form>captcha</form></body></html>".into()),
    );
    let reports = h.poll().await;
    assert!(
        reports[0].to_string().contains("HTML page"),
        "{}",
        reports[0]
    );
    let s = state(&h, "alpha").await;
    assert_eq!((s.items, s.state()), (4, "error"));
}

#[tokio::test]
async fn an_invalid_byte_still_yields_the_items() {
    let server = ScriptServer::start().await;
    let mut doc = rss("alpha", 3);
    let at = doc.windows(7).position(|w| w == b"story 1").unwrap();
    doc.insert(at, 0xff);
    server.feed("a.xml", &doc, "\"v1\"");
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir, &source("alpha", &server.url("a.xml"))).await;
    let reports = h.poll().await;
    assert!(
        matches!(reports[0].outcome, PollOutcome::Stored(s) if s.new == 3),
        "{}",
        reports[0]
    );
}

#[tokio::test]
async fn private_networks_are_refused_per_source() {
    let server = ScriptServer::start().await;
    server.feed("a.xml", &rss("alpha", 1), "\"v1\"");
    let dir = tempfile::tempdir().unwrap();
    let body = source("trusted", &server.url("a.xml"))
        + &source("guarded", &server.url("a.xml"))
        + "allow_private_networks = false\n";
    let h = harness(&dir, &body).await;
    let reports = h.poll().await;
    assert!(
        matches!(reports[0].outcome, PollOutcome::Stored(_)),
        "{}",
        reports[0]
    );
    assert!(reports[1].to_string().contains("refused"), "{}", reports[1]);
    assert_eq!(
        server.requests("a.xml"),
        1,
        "only the trusted source reached it"
    );
}
