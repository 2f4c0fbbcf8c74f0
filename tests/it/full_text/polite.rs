//! Article pages are fetched as politely as feeds: at the host's spacing, never more
//! than `per_host` at once, and a 429 on a page holds back every request to that
//! host — article pages and feed polls alike.

use std::time::Duration;

use super::{Item, courier, fetch_articles, harness, polled_courier, rss};
use crate::common::backends::each_backend;
use crate::common::script::{Reply, ScriptServer};
use feedbraid::articles;
use feedbraid::fetch::HostWait;

each_backend! {
async fn five_hundred_new_items_fetch_their_pages_at_the_hosts_pace(db: TestDb) {
    let server = ScriptServer::start().await;
    let links: Vec<String> = (0..500).map(|i| server.url(&format!("a/{i}"))).collect();
    let titles: Vec<String> = (0..500).map(|i| format!("Story {i}")).collect();
    let items: Vec<Item<'_>> = links
        .iter()
        .zip(&titles)
        .map(|(link, title)| (title.as_str(), link.as_str(), "A teaser.", None))
        .collect();
    server.feed("feed.xml", &rss(&items), "\"1\"");
    for i in 0..500 {
        // Slow enough that requests overlap unless the limit holds them apart.
        server.set(
            &format!("a/{i}"),
            Reply::Slow(Duration::from_millis(15), Vec::new()),
        );
    }
    let h = polled_courier(&db, "per_host = 2\nconcurrency = 32", &server).await;
    let polled_at = server.starts().len();
    let begin = std::time::Instant::now();
    let counts = fetch_articles(&h).await;
    assert_eq!(
        counts.no_article + counts.failed + counts.given_up,
        500,
        "{counts:?}"
    );
    assert!(
        server.max_in_flight() <= 2,
        "{} at once",
        server.max_in_flight()
    );
    let mut pages = server.starts().split_off(polled_at);
    pages.sort();
    assert_eq!(pages.len(), 500, "each page once");
    // The harness spaces requests to one host by 5 ms: the k-th page may start k × 5
    // ms after the first could, and reaches the server no earlier (a slow connection
    // only delays it, so gaps between arrivals say nothing; arrivals against the
    // start do).
    for (k, arrived) in pages.iter().enumerate() {
        let after = *arrived - begin;
        assert!(
            after >= Duration::from_millis(5) * k as u32,
            "page {k} at {after:?}"
        );
    }
}
}

each_backend! {
async fn a_429_on_a_page_holds_back_that_hosts_pages_and_feeds(db: TestDb) {
    let server = ScriptServer::start().await;
    let link = server.url("limited");
    server.feed(
        "feed.xml",
        &rss(&[("Story", &link, "A teaser.", None)]),
        "\"1\"",
    );
    server.set(
        "limited",
        Reply::Status(429, vec![("retry-after", "120".into())]),
    );
    let h = polled_courier(&db, "", &server).await;
    assert_eq!(fetch_articles(&h).await.failed, 1);
    let feed_url = url::Url::parse(&server.url("feed.xml")).unwrap();
    match h.ctx.fetcher.try_turn(&feed_url) {
        Err(HostWait::Until(at)) => {
            let wait = at - tokio::time::Instant::now();
            assert!(wait > Duration::from_secs(110), "held for {wait:?}");
        }
        Err(other) => panic!("expected a hold, got {other:?}"),
        Ok(_) => panic!("the host has a turn right after its 429"),
    }
    let feed_requests = server.requests("feed.xml");
    let polled = tokio::time::timeout(Duration::from_millis(500), h.poll()).await;
    assert!(
        polled.is_err(),
        "a feed poll of that host waits for the hold"
    );
    assert_eq!(server.requests("feed.xml"), feed_requests);
    let due = h.ctx.store.next_article_due().await.unwrap().unwrap();
    assert!(
        (due - chrono::Utc::now()).num_seconds() >= 110,
        "the page is retried after its Retry-After, not before: {due}"
    );
    assert_eq!(server.requests("limited"), 1);
}
}

each_backend! {
async fn a_slow_hosts_pages_never_hold_back_another_hosts(db: TestDb) {
    let (slow, quick) = (ScriptServer::start().await, ScriptServer::start().await);
    let on = |server: &ScriptServer, host: &str, path: &str| {
        format!("http://{host}:{}/{path}", server.addr.port())
    };
    let slow_links: Vec<String> = (0..20)
        .map(|i| on(&slow, "slow.test", &format!("a/{i}")))
        .collect();
    let slow_items: Vec<Item<'_>> = slow_links
        .iter()
        .map(|link| ("Slow story", link.as_str(), "A teaser.", None))
        .collect();
    slow.feed("feed.xml", &rss(&slow_items), "\"1\"");
    for i in 0..20 {
        slow.set(
            &format!("a/{i}"),
            Reply::Slow(Duration::from_secs(2), Vec::new()),
        );
    }
    let quick_link = on(&quick, "quick.test", "story");
    quick.feed(
        "feed.xml",
        &rss(&[("Quick story", &quick_link, "A teaser.", None)]),
        "\"1\"",
    );
    quick.set("story", Reply::Html(crate::full_text::page("wire.html")));
    let sources = format!(
        "[[source]]\nname = \"slow\"\nurl = \"{}\"\nfull_text = true\n\n\
         [[source]]\nname = \"quick\"\nurl = \"{}\"\nfull_text = true\n",
        on(&slow, "slow.test", "feed.xml"),
        on(&quick, "quick.test", "feed.xml"),
    );
    let h = harness(&db, "per_host = 2", &sources).await;
    let fetcher = pinned_fetcher(&h, &[("slow.test", slow.addr), ("quick.test", quick.addr)]);
    let ctx = feedbraid::poll::PollContext::new(fetcher, h.ctx.store.clone());
    // The slow host's pages are under way when the quick host's item comes.
    let slow_source = &h.config.sources[..1];
    feedbraid::poll::poll_sources(&ctx, &h.config, slow_source)
        .await
        .unwrap();
    let fetching = articles::fetch_due(&ctx, || std::sync::Arc::clone(&h.config));
    let stored_quick = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let quick_source = &h.config.sources[1..];
        feedbraid::poll::poll_sources(&ctx, &h.config, quick_source)
            .await
            .unwrap();
        let queued = std::time::Instant::now();
        loop {
            let item = crate::full_text::stored(&h, &quick_link).await;
            if item.content_html.is_some() {
                return queued.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        took = stored_quick => assert!(
            took < Duration::from_secs(4),
            "the quick host's page waited {took:?} behind the slow host's"
        ),
        done = fetching => panic!("every page was fetched before the quick one was seen: {done:?}"),
    }
}
}

each_backend! {
async fn a_429_behind_a_redirect_holds_the_host_that_answered(db: TestDb) {
    let server = ScriptServer::start().await;
    let port = server.addr.port();
    let link = format!("http://redirector.test:{port}/r/1");
    server.set(
        "r/1",
        Reply::Redirect(302, format!("http://site.test:{port}/page")),
    );
    server.set(
        "page",
        Reply::Status(429, vec![("retry-after", "120".into())]),
    );
    let h = harness(&db, "", &courier(&server)).await;
    let fetcher = pinned_fetcher(
        &h,
        &[("redirector.test", server.addr), ("site.test", server.addr)],
    );
    let job = feedbraid::model::ArticleJob {
        item: 1,
        claim: 0,
        source: "courier".into(),
        link,
        attempts: 0,
        title: "Story".into(),
        summary_html: None,
        content_html: None,
        authors: Vec::new(),
        categories: Vec::new(),
    };
    let source = h.config.source("courier").unwrap();
    let answer = articles::fetch_article(&fetcher, &h.ctx.parsers, source, None, job, None).await;
    assert!(answer.is_err(), "{answer:?}");
    // How long each host's next request waits: a held host for its Retry-After,
    // another at most for its spacing.
    let wait = |host: &str| {
        let url = url::Url::parse(&format!("http://{host}:{port}/next")).unwrap();
        match fetcher.try_turn(&url) {
            Err(HostWait::Until(at)) => at - tokio::time::Instant::now(),
            _ => Duration::ZERO,
        }
    };
    assert!(
        wait("site.test") > Duration::from_secs(110),
        "the host that answered 429"
    );
    assert!(
        wait("redirector.test") < Duration::from_secs(1),
        "the redirector, which only pointed there, is not held"
    );
}
}

/// The harness's fetcher with `hosts` pinned to loopback addresses, spaced 5 ms a host.
fn pinned_fetcher(
    h: &crate::common::Harness,
    hosts: &[(&str, std::net::SocketAddr)],
) -> feedbraid::fetch::Fetcher {
    let options = feedbraid::fetch::FetcherOptions {
        host_spacing: Some(Duration::from_millis(5)),
        pinned_hosts: hosts
            .iter()
            .map(|(host, addr)| (host.to_string(), *addr))
            .collect(),
    };
    feedbraid::fetch::Fetcher::with_options(&h.config.fetch, options).unwrap()
}
