//! The fetcher's own limits and guards against servers started here: SSRF refusals
//! (IP literals, names, redirect hops), requests in flight per host and in all,
//! spacing per host, a gzip bomb, a tarpit.

use std::net::SocketAddr;
use std::time::Duration;

use crate::common::fetch_config;
use crate::common::script::{Reply, ScriptServer, rss};
use feedbraid::fetch::guard::Refusal;
use feedbraid::fetch::{Access, FetchError, Fetcher, FetcherOptions, Validators};

fn fetcher(fetch: &str, spacing_ms: u64, pinned: &[(&str, SocketAddr)]) -> Fetcher {
    let options = FetcherOptions {
        host_spacing: Some(Duration::from_millis(spacing_ms)),
        pinned_hosts: pinned.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
    };
    Fetcher::with_options(&fetch_config(fetch), options).unwrap()
}

fn url(text: &str) -> url::Url {
    url::Url::parse(text).unwrap()
}

async fn get(
    f: &Fetcher,
    u: &str,
    access: Access,
) -> Result<feedbraid::fetch::Fetched, FetchError> {
    f.get(&url(u), &Validators::default(), access).await
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let server = ScriptServer::start().await;
    server.feed("a.xml", &rss("a", 1), "\"1\"");
    let f = fetcher("", 0, &[]);
    let port = server.addr.port();
    for target in [
        format!("http://127.0.0.1:{port}/a.xml"),
        format!("http://localhost:{port}/a.xml"),
        format!("http://[::ffff:127.0.0.1]:{port}/a.xml"),
        format!("http://2130706433:{port}/a.xml"),
    ] {
        let error = get(&f, &target, Access::PublicOnly).await.unwrap_err();
        assert!(
            matches!(error, FetchError::Refused(Refusal::PrivateAddress { .. })),
            "{target}: {error}"
        );
    }
    assert_eq!(server.requests("a.xml"), 0);
    let fetched = get(&f, &server.url("a.xml"), Access::AllowPrivate)
        .await
        .unwrap();
    assert_eq!(fetched.status, 200);
}

#[tokio::test]
async fn a_redirect_to_loopback_is_refused_on_that_hop() {
    let server = ScriptServer::start().await;
    let port = server.addr.port();
    server.feed("secret.xml", &rss("secret", 1), "\"1\"");
    server.set(
        "to-ip",
        Reply::Redirect(302, format!("http://127.0.0.1:{port}/secret.xml")),
    );
    server.set(
        "to-name",
        Reply::Redirect(301, format!("http://localhost:{port}/secret.xml")),
    );
    server.set("to-file", Reply::Redirect(302, "file:///etc/passwd".into()));
    // "feeds.test" stands for a public host: pinned names skip the address check,
    // so the first hop reaches the test server and only the redirect is judged.
    let f = fetcher("", 0, &[("feeds.test", server.addr)]);
    for (path, expected) in [
        ("to-ip", "127.0.0.1"),
        ("to-name", "127.0.0.1"),
        ("to-file", "file"),
    ] {
        let error = get(
            &f,
            &format!("http://feeds.test:{port}/{path}"),
            Access::PublicOnly,
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains(expected), "{path}: {error}");
        assert!(matches!(error, FetchError::Refused(_)), "{path}: {error}");
        assert_eq!(server.requests(path), 1);
    }
    assert_eq!(server.requests("secret.xml"), 0);
    let allowed = get(
        &f,
        &format!("http://feeds.test:{port}/to-ip"),
        Access::AllowPrivate,
    )
    .await;
    assert_eq!(allowed.unwrap().status, 200);
}

#[tokio::test]
async fn at_most_per_host_in_flight_and_other_hosts_are_not_held_up() {
    let server = ScriptServer::start().await;
    server.set(
        "slow.xml",
        Reply::Slow(Duration::from_millis(300), rss("s", 1)),
    );
    let pinned = [("a.test", server.addr), ("b.test", server.addr)];
    let f = fetcher("per_host = 2\nconcurrency = 32", 0, &pinned);
    let port = server.addr.port();
    let a = format!("http://a.test:{port}/slow.xml");
    let jobs: Vec<_> = (0..6).map(|_| get(&f, &a, Access::AllowPrivate)).collect();
    let results = futures_util::future::join_all(jobs).await;
    assert!(results.iter().all(|r| r.is_ok()));
    assert_eq!(server.max_in_flight(), 2, "per_host bounds one host");

    // per_host = 1: one slow host does not hold another host's slot.
    let server = ScriptServer::start().await;
    server.set(
        "slow.xml",
        Reply::Slow(Duration::from_millis(300), rss("s", 1)),
    );
    let pinned = [("a.test", server.addr), ("b.test", server.addr)];
    let f = fetcher("per_host = 1\nconcurrency = 32", 0, &pinned);
    let port = server.addr.port();
    let (a, b) = (
        format!("http://a.test:{port}/slow.xml"),
        format!("http://b.test:{port}/slow.xml"),
    );
    let jobs = vec![
        get(&f, &a, Access::AllowPrivate),
        get(&f, &a, Access::AllowPrivate),
        get(&f, &b, Access::AllowPrivate),
    ];
    futures_util::future::join_all(jobs).await;
    assert_eq!(server.max_in_flight(), 2, "a.test and b.test one each");
}

#[tokio::test]
async fn at_most_concurrency_in_flight_in_all() {
    let server = ScriptServer::start().await;
    server.set(
        "slow.xml",
        Reply::Slow(Duration::from_millis(200), rss("s", 1)),
    );
    let hosts = ["a.test", "b.test", "c.test", "d.test"];
    let pinned: Vec<_> = hosts.iter().map(|h| (*h, server.addr)).collect();
    let f = fetcher("per_host = 2\nconcurrency = 3", 0, &pinned);
    let port = server.addr.port();
    let urls: Vec<String> = hosts
        .iter()
        .flat_map(|h| vec![format!("http://{h}:{port}/slow.xml"); 2])
        .collect();
    let jobs: Vec<_> = urls
        .iter()
        .map(|u| get(&f, u, Access::AllowPrivate))
        .collect();
    futures_util::future::join_all(jobs).await;
    assert_eq!(server.max_in_flight(), 3);
}

#[tokio::test]
async fn requests_to_one_host_are_spaced() {
    let server = ScriptServer::start().await;
    server.feed("a.xml", &rss("a", 1), "\"1\"");
    let f = fetcher("per_host = 4", 150, &[]);
    let target = server.url("a.xml");
    let jobs: Vec<_> = (0..3)
        .map(|_| get(&f, &target, Access::AllowPrivate))
        .collect();
    let begin = std::time::Instant::now();
    futures_util::future::join_all(jobs).await;
    let mut starts = server.starts();
    starts.sort();
    assert_eq!(starts.len(), 3);
    // The k-th request may start k × 150 ms after the first could: it reaches the
    // server no earlier (a slow connection only delays it, so gaps between arrivals
    // say nothing; arrivals against the start do).
    for (k, arrived) in starts.iter().enumerate() {
        let after = *arrived - begin;
        assert!(
            after >= Duration::from_millis(150) * k as u32,
            "request {k} at {after:?}"
        );
    }
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_max_body() {
    let server = ScriptServer::start().await;
    server.set("bomb.xml", Reply::GzipBomb(1 << 30));
    let f = fetcher("max_body = \"1MiB\"\ntimeout = \"5s\"", 0, &[]);
    let error = get(&f, &server.url("bomb.xml"), Access::AllowPrivate)
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: 1_048_576 }),
        "{error}"
    );
    let sent = server.body_bytes_sent();
    // 1 GiB of zeros is about 1 MiB gzipped; what left the server before we hung up
    // is a small part of it (socket buffers hold a few hundred KiB at most here).
    assert!(sent < 1 << 30, "{sent}");
    eprintln!("gzip bomb: {sent} compressed bytes left the server");

    // A bomb too big for socket buffers to swallow: most of it is never sent, as
    // reading stops at the cap and the connection is dropped.
    server.set("big-bomb.xml", Reply::GzipBomb(64 << 30));
    let before = server.body_bytes_sent();
    let error = get(&f, &server.url("big-bomb.xml"), Access::AllowPrivate)
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::TooLarge { .. }), "{error}");
    let sent = server.body_bytes_sent() - before;
    eprintln!("64 GiB gzip bomb: {sent} compressed bytes left the server");
    assert!(sent < 32 << 20, "about 64 MiB compressed, {sent} sent");
}

/// Paused time: the server's drip and the client's timeout run on one virtual clock,
/// so the cut is measured exactly, whatever the machine's load.
#[tokio::test(start_paused = true)]
async fn a_tarpit_is_cut_at_the_timeout() {
    let server = ScriptServer::start().await;
    server.set("drip.xml", Reply::Tarpit);
    let f = fetcher("timeout = \"1s\"", 0, &[]);
    let began = tokio::time::Instant::now();
    let error = get(&f, &server.url("drip.xml"), Access::AllowPrivate)
        .await
        .unwrap_err();
    let took = began.elapsed();
    assert!(matches!(error, FetchError::Timeout(_)), "{error}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_millis(1100),
        "{took:?}"
    );
    assert!(server.body_bytes_sent() <= 2);
}
