//! `serving`: a cached 50-item feed under load from wrk, against a static-bytes
//! server and nginx (`gzip_static`) on the same bytes.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::daemon::{free_port, open, signal, start_daemon, store_feed, write_daemon_config};
use super::news_feeds::{self, FarmShape};
use super::procfs::{mib, status_kb};
use super::servers;

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
    let etag = header_text(&response, "etag");
    let last_modified = header_text(&response, "last-modified");
    let body = response.bytes().await.expect("body");
    let first = first.elapsed().as_secs_f64() * 1000.0;
    let gzip = gzip(&body);
    println!(
        "scenario serving: /feeds/world.rss, {} bytes ({} gzip); first request (select + render the format + gzip) {first:.1} ms",
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
        etags.push(header_text(&answer, "etag"));
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

/// A response header's text, empty when absent.
fn header_text(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
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
