//! Scenarios that run the real `feedbraid run` binary on a prepared database:
//! `serving` (a cached 50-item feed under load, against a static-bytes server and
//! nginx on the same bytes) and `idle` (RSS of a daemon with many sources and items).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use feedbraid::model::{Entry, ParsedFeed};
use feedbraid::store::{PollRecord, Store};

use super::news_feeds::{self, FarmShape};
use super::procfs::{mib, status_kb};
use super::servers;

/// A `feedbraid run` child, stopped with SIGTERM when dropped.
pub struct Daemon {
    pub child: Child,
    pub base: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        signal(self.child.id(), "TERM");
        let _ = self.child.wait();
    }
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status();
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Writes the daemon's config: `sources` outlets (never due during the run) and feeds.
fn write_daemon_config(dir: &Path, db: &Path, sources: usize, port: u16) -> PathBuf {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n\n[storage]\npath = \"{}\"\nretention = \"3650d\"\n\n\
         [fetch]\ninterval = \"24h\"\n\n\
         [[feed]]\nname = \"world\"\ntitle = \"World\"\ndescription = \"Every outlet\"\n\n\
         [[feed]]\nname = \"gulf\"\ntitle = \"Gulf\"\ndescription = \"Topic\"\n\
         query = '(tehran OR ankara) AND NOT category:sport'\n\n",
        db.display()
    );
    for i in 0..sources {
        text.push_str(&format!(
            "[[source]]\nname = \"outlet{i}\"\nurl = \"https://{}/feed.xml\"\n",
            news_feeds::feed_host(i)
        ));
    }
    let path = dir.join("feedbraid.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

pub async fn start_daemon(config: &Path, port: u16) -> Daemon {
    start_daemon_within(config, port, Duration::from_secs(30)).await
}

/// [`start_daemon`], waiting up to `limit` for it to be healthy.
async fn start_daemon_within(config: &Path, port: u16, limit: Duration) -> Daemon {
    let child = Command::new(env!("CARGO_BIN_EXE_feedbraid"))
        .args(["run", "-c"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start feedbraid run");
    let daemon = Daemon {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if let Ok(r) = client.get(format!("{}/healthz", daemon.base)).send().await
            && r.status().is_success()
        {
            return daemon;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("feedbraid did not answer /healthz within {limit:?}");
}

/// Waits (up to 10 min) until the daemon's `/metrics` says no feed is being refilled.
async fn wait_for_refill(daemon: &Daemon) {
    let client = reqwest::Client::new();
    for _ in 0..6000 {
        let metrics = match client.get(format!("{}/metrics", daemon.base)).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if metrics.lines().any(|l| l == "feedbraid_feeds_refilling 0") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("feeds still refilling after 10 min");
}

/// Stores `feed` as a successful poll of `source`, due again only tomorrow.
async fn store_feed(store: &Store, source: &str, feed: ParsedFeed, at: chrono::DateTime<Utc>) {
    let record = PollRecord {
        at,
        http_status: 200,
        etag: None,
        last_modified: None,
        feed: Some(feed),
        next_poll: Utc::now() + chrono::Duration::days(1),
        redirect_target: None,
        redirect_seen: 0,
        adopt_url: None,
        full_text: false,
    };
    store.record_poll(source, record).await.expect("store");
}

async fn open(db: &Path, sources: usize) -> Store {
    let store = Store::open(db).expect("open store");
    let rows = (0..sources)
        .map(|i| {
            (
                format!("outlet{i}"),
                format!("https://{}/feed.xml", news_feeds::feed_host(i)),
            )
        })
        .collect();
    store.sync_sources(rows).await.expect("sources");
    store
}

/// `serving`: feedbraid's cached 50-item feed vs the same bytes from a static-bytes
/// server and from nginx, with wrk (1 thread, `connections`, `seconds` each), in
/// `rounds` that take the servers in turn; each server's figure is its median. This
/// host's speed drifts by tens of percent from one run to the next, so one run each
/// compares moments more than servers.
pub async fn serving(seconds: u64, connections: usize, rounds: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("feedbraid.db");
    let shape = FarmShape {
        feeds: 10,
        items: 50,
        syndicated_percent: 20,
        weight: news_feeds::ItemWeight::Heavy,
    };
    let store = open(&db, shape.feeds).await;
    for f in 0..shape.feeds {
        let url = url::Url::parse(&format!("https://{}/feed.xml", news_feeds::feed_host(f)))
            .expect("URL");
        let feed = feedbraid::parse::parse_feed(&news_feeds::rss_document(shape, f), &url)
            .expect("parses");
        store_feed(&store, &format!("outlet{f}"), feed, Utc::now()).await;
    }
    drop(store);
    let port = free_port();
    let config = write_daemon_config(dir.path(), &db, shape.feeds, port);
    let daemon = start_daemon(&config, port).await;
    let url = format!("{}/feeds/world.rss", daemon.base);
    let first = Instant::now();
    let response = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client")
        .get(&url)
        .send()
        .await
        .expect("GET");
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let last_modified = response
        .headers()
        .get("last-modified")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response.bytes().await.expect("body");
    let first = first.elapsed().as_secs_f64() * 1000.0;
    let gzip = gzip(&body);
    println!(
        "scenario serving: /feeds/world.rss, {} bytes ({} gzip); first request (select + render 3 formats + gzip) {first:.1} ms",
        body.len(),
        gzip.len()
    );

    let file = dir.path().join("www/world.rss");
    std::fs::create_dir_all(file.parent().expect("has parent")).expect("www");
    std::fs::write(&file, &body).expect("write body");
    std::fs::write(file.with_extension("rss.gz"), &gzip).expect("write gzip");
    let static_server = servers::spawn_self(&[
        "static-server".to_string(),
        "--file".into(),
        file.display().to_string(),
        "--etag".into(),
        etag.clone(),
        "--last-modified".into(),
        last_modified,
    ]);
    let nginx = Nginx::start(dir.path());
    let mut targets = vec![
        ("feedbraid", url.clone()),
        (
            "static-bytes (axum)",
            format!("http://127.0.0.1:{}/world.rss", static_server.port),
        ),
    ];
    if let Some(nginx) = &nginx {
        targets.push((
            "nginx",
            format!("http://127.0.0.1:{}/world.rss", nginx.port),
        ));
    }
    let plain = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let mut etags = Vec::new();
    for (_, target) in &targets {
        // Each server's own ETag (nginx makes its own from mtime and size).
        let answer = plain.get(target).send().await.expect("GET");
        etags.push(
            answer
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        );
    }
    let mut results = Vec::new();
    for (label, header) in [
        ("identity", None),
        ("gzip", Some("Accept-Encoding: gzip")),
        ("304", None),
    ] {
        let mut runs = vec![Vec::new(); targets.len()];
        for _ in 0..rounds.max(1) {
            for (((_, target), etag), runs) in targets.iter().zip(&etags).zip(&mut runs) {
                let header = match label {
                    "304" => Some(format!("If-None-Match: {etag}")),
                    _ => header.map(str::to_string),
                };
                runs.push(wrk(target, header.as_deref(), seconds, connections));
            }
        }
        for ((name, _), mut runs) in targets.iter().zip(runs) {
            runs.sort_by(f64::total_cmp);
            let median = runs[runs.len() / 2];
            let each: Vec<String> = runs.iter().map(|r| format!("{r:.0}")).collect();
            println!(
                "  {label:8} {name:20} {median:>10.0} req/s median of [{}]   (load {})",
                each.join(", "),
                super::procfs::loadavg()
            );
            results.push((label, *name, median));
        }
    }
    for label in ["identity", "gzip", "304"] {
        let of = |n: &str| {
            results
                .iter()
                .find(|r| r.0 == label && r.1 == n)
                .map(|r| r.2)
        };
        let ours = of("feedbraid").unwrap_or(0.0);
        let yard = of("nginx")
            .or(of("static-bytes (axum)"))
            .unwrap_or(f64::NAN);
        println!(
            "  RATIO {label}: feedbraid / nginx (else static) = {:.2} (target >= 0.8); feedbraid / static-bytes axum = {:.2}",
            ours / yard,
            ours / of("static-bytes (axum)").unwrap_or(f64::NAN)
        );
    }
    println!(
        "  feedbraid RSS after load: {:.1} MiB (peak {:.1} MiB)",
        mib(status_kb(Some(daemon.child.id()), "VmRSS")),
        mib(status_kb(Some(daemon.child.id()), "VmHWM"))
    );
    drop(nginx);
}

fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).expect("in memory");
    e.finish().expect("in memory")
}

/// Requests per second from `wrk -t1`, or 0 when wrk is missing.
fn wrk(url: &str, header: Option<&str>, seconds: u64, connections: usize) -> f64 {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s")]);
    if let Some(h) = header {
        cmd.args(["-H", h]);
    }
    let out = match cmd.arg(url).output() {
        Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
        Err(e) => {
            eprintln!("wrk not available ({e}); apt-get install wrk");
            return 0.0;
        }
    };
    if out.contains("Non-2xx") && header.is_none_or(|h| !h.starts_with("If-None-Match")) {
        eprintln!("wrk saw non-2xx answers from {url}:\n{out}");
    }
    out.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// nginx serving `dir/www` on a loopback port (gzip_static for `.gz` twins), if installed.
struct Nginx {
    master: Child,
    port: u16,
}

impl Nginx {
    fn start(dir: &Path) -> Option<Nginx> {
        let port = free_port();
        let conf = dir.join("nginx.conf");
        let d = dir.display();
        std::fs::write(
            &conf,
            format!(
                "worker_processes auto;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log;\n\
                 events {{ worker_connections 4096; }}\n\
                 http {{\n access_log off;\n client_body_temp_path {d}/t1; proxy_temp_path {d}/t2;\n \
                 fastcgi_temp_path {d}/t3; uwsgi_temp_path {d}/t4; scgi_temp_path {d}/t5;\n \
                 types {{ application/rss+xml rss; }}\n \
                 server {{ listen 127.0.0.1:{port}; root {d}/www; gzip_static on; gzip_vary on;\n  \
                 location / {{ add_header Cache-Control \"public, max-age=60\"; }} }}\n}}\n"
            ),
        )
        .ok()?;
        let master = Command::new("nginx")
            .args(["-c"])
            .arg(&conf)
            .args(["-p"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Nginx { master, port });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("nginx did not start (see {d}/nginx-error.log)");
        None
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        signal(self.master.id(), "QUIT");
        let _ = self.master.wait();
    }
}

/// `idle`: a database of `sources` × `items` (built once and kept in `cache_dir`),
/// then `feedbraid run` on it: RSS after start, after serving feeds.
pub async fn idle(sources: usize, items: usize, cache_dir: &Path) {
    std::fs::create_dir_all(cache_dir).expect("cache dir");
    let cached = cache_dir.join(format!("idle-v2-{sources}x{items}.db"));
    if !cached.exists() {
        let started = Instant::now();
        let partial = cached.with_extension("partial.db");
        let _ = std::fs::remove_file(&partial);
        let store = open(&partial, sources).await;
        for s in 0..sources {
            // First seen over the last 30 days, as a month of polling would leave them:
            // only the last 72 h are in the story index's window.
            let spread = 30 * 86_400 * s as i64 / sources.max(1) as i64;
            store_feed(
                &store,
                &format!("outlet{s}"),
                synthetic_feed(s, items),
                Utc::now() - chrono::Duration::seconds(spread),
            )
            .await;
        }
        store.checkpoint().await.expect("checkpoint");
        drop(store);
        // The store thread folds the WAL in when its last handle goes; give it a moment.
        tokio::time::sleep(Duration::from_secs(2)).await;
        std::fs::rename(&partial, &cached).expect("keep the database");
        println!(
            "  built {} with {} items in {:.0} s",
            cached.display(),
            sources * items,
            started.elapsed().as_secs_f64()
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("feedbraid.db");
    std::fs::copy(&cached, &db).expect("copy database");
    let port = free_port();
    let config = write_daemon_config(dir.path(), &db, sources, port);
    // The first start on this database sorts its 1M items into the config's feeds
    // (a feed definition it has not seen); the idle daemon is the restart after it,
    // as in production, where that happens once per feed change.
    let first = Instant::now();
    let daemon = start_daemon_within(&config, port, Duration::from_secs(600)).await;
    let healthy = first.elapsed().as_secs_f64();
    wait_for_refill(&daemon).await;
    drop(daemon);
    println!(
        "  first start: healthy after {healthy:.2} s; the config's feeds filled (in the background) after {:.2} s",
        first.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let daemon = start_daemon(&config, port).await;
    let ready = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = daemon.child.id();
    let report = |when: &str| {
        println!(
            "  {when:44} RSS {:6.1} MiB  peak {:6.1} MiB",
            mib(status_kb(Some(pid), "VmRSS")),
            mib(status_kb(Some(pid), "VmHWM"))
        );
    };
    println!(
        "scenario idle: {sources} sources, {} stored items, database {:.0} MB; healthy after {ready:.2} s",
        sources * items,
        std::fs::metadata(&db).map_or(0, |m| m.len()) as f64 / 1e6
    );
    report("3 s after start");
    let client = reqwest::Client::new();
    for path in [
        "/feeds/world.json",
        "/feeds/world.rss",
        "/feeds/gulf.json",
        "/",
        "/metrics",
    ] {
        let t = Instant::now();
        let status = client
            .get(format!("{}{path}", daemon.base))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        println!(
            "  GET {path} -> {status} in {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
        report(&format!("after GET {path}"));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    report("2 s later (target RSS < 50 MB)");
}

/// A source's `items` entries, built directly (no parsing): a fifth are wire copies
/// with links shared across sources, so stories merge as they would.
fn synthetic_feed(source: usize, items: usize) -> ParsedFeed {
    let shape = FarmShape {
        feeds: 1000,
        items: 50,
        syndicated_percent: 20,
        weight: news_feeds::ItemWeight::Heavy,
    };
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let entries = (0..items)
        .map(|i| {
            let news = news_feeds::news_item(shape, source, i % 50);
            let wire = i % 5 == 0;
            let link = if wire {
                format!(
                    "https://wire.example/story/{}",
                    (i * 31 + source / 10) % 200_000
                )
            } else {
                format!("https://outlet{source}.example/news/{i}")
            };
            let published = t0 - chrono::Duration::minutes((i * 7 + source) as i64);
            Entry {
                key: format!("g:outlet{source}-{i}"),
                guid: Some(format!("outlet{source}-{i}")),
                canonical_link: Some(link.clone()),
                link: Some(link),
                title: format!("{} {i}", news.title),
                summary_html: Some(news.description),
                content_html: None,
                authors: vec![news.author],
                categories: news.categories.iter().map(|c| c.as_str().into()).collect(),
                published: Some(published),
                updated: None,
                content_hash: format!("{source:08x}{i:08x}"),
                ..Entry::default()
            }
        })
        .collect();
    ParsedFeed {
        title: Some(format!("Outlet {source}")),
        site_link: Some(format!("https://outlet{source}.example/")),
        ttl_minutes: None,
        entries,
    }
}
