//! `busy-serving`: how long a reader waits for a feed while the daemon ingests. A
//! `feedbraid run` child on a new database polls the farm's outlets at start (500 × 50
//! = 25,000 new items by default) while `connections` clients request the 50-item
//! `world` feed (every source: it changes with every poll) with `Accept-Encoding: gzip`
//! in a loop, and as many the `gulf` topic feed. Reported: latency percentiles of the
//! requests made while ingest ran (until `/metrics` counts every outlet stored), then
//! of the same load with the daemon idle. The clients run in this process, not wrk:
//! wrk runs for a fixed time, and the measure is of the ingest's window exactly.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::daemon::{free_port, start_daemon};
use super::news_feeds::FarmShape;
use super::poller::farm_args;
use super::servers;

fn write_config(dir: &Path, farm_port: u16, feeds: usize, port: u16) -> std::path::PathBuf {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n\n[storage]\npath = \"{}\"\n\n\
         [fetch]\nallow_private_networks = true\ntimeout = \"60s\"\nper_host = 32\n\
         per_host_interval = \"0s\"\n\n\
         [[feed]]\nname = \"world\"\ntitle = \"World\"\ndescription = \"Every outlet\"\n\n\
         [[feed]]\nname = \"gulf\"\ntitle = \"Gulf\"\ndescription = \"Topic\"\n\
         query = 'title:tehran AND NOT category:sport'\n\n",
        dir.join("feedbraid.db").display()
    );
    // One host (the farm on 127.0.0.1) serves every outlet, by path.
    for i in 0..feeds {
        text.push_str(&format!(
            "[[source]]\nname = \"outlet{i}\"\nurl = \"http://127.0.0.1:{farm_port}/f{i}/feed.xml\"\n"
        ));
    }
    let path = dir.join("feedbraid.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// The value of the metric line starting with `name` (labels included), or 0.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Requests `url` in a loop until `stop`; each request's (start, latency).
async fn reader(url: String, stop: Arc<AtomicBool>, t0: Instant) -> Vec<(Duration, Duration)> {
    let client = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let mut seen = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        let answer = client
            .get(&url)
            .header("Accept-Encoding", "gzip")
            .send()
            .await;
        if let Ok(response) = answer {
            let ok = response.status().is_success();
            let _ = response.bytes().await;
            if ok {
                seen.push((start - t0, start.elapsed()));
            }
        }
    }
    seen
}

fn report(label: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "  {label:28} {:>6} requests  p50 {:6.2} ms  p90 {:6.2} ms  p99 {:6.2} ms  max {:7.2} ms",
        latencies.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        latencies
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    );
}

/// Runs `connections` readers of each feed until `done` resolves; their requests.
async fn load<F: std::future::Future<Output = ()>>(
    base: &str,
    connections: usize,
    t0: Instant,
    done: F,
) -> Vec<(&'static str, Vec<(Duration, Duration)>)> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for feed in ["world", "gulf"] {
        for _ in 0..connections {
            let url = format!("{base}/feeds/{feed}.rss");
            readers.push((feed, tokio::spawn(reader(url, Arc::clone(&stop), t0))));
        }
    }
    done.await;
    stop.store(true, Ordering::Relaxed);
    let mut out = Vec::new();
    for (feed, reader) in readers {
        out.push((feed, reader.await.unwrap_or_default()));
    }
    out
}

pub async fn busy_serving(shape: FarmShape, connections: usize) {
    let farm = servers::spawn_self(&farm_args(shape, false));
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = write_config(dir.path(), farm.port, shape.feeds, port);
    let t0 = Instant::now();
    let daemon = start_daemon(&config, port).await;
    let base = daemon.base.clone();
    let metrics_url = format!("{base}/metrics");
    let feeds = shape.feeds as f64;
    let ingest_end = Arc::new(std::sync::Mutex::new(None));
    let end = Arc::clone(&ingest_end);
    let during = load(&base, connections, t0, async move {
        let client = reqwest::Client::new();
        loop {
            let text = match client.get(&metrics_url).send().await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            let stored = metric(&text, "feedbraid_polls_total{outcome=\"stored\"}");
            let failed = metric(&text, "feedbraid_polls_total{outcome=\"failed\"}");
            if stored + failed >= feeds {
                if let Ok(mut end) = end.lock() {
                    *end = Some((
                        t0.elapsed(),
                        metric(&text, "feedbraid_items_ingested_total"),
                        failed,
                    ));
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let Some((ended, items, failed)) = ingest_end.lock().ok().and_then(|e| *e) else {
        panic!("the ingest never ended");
    };
    println!(
        "scenario busy-serving: {} outlets × {} items on one loopback host; {items:.0} new items ingested by {:.2} s after start ({failed:.0} polls failed); {connections} readers per feed",
        shape.feeds,
        shape.items,
        ended.as_secs_f64()
    );
    for feed in ["world", "gulf"] {
        let latencies = during
            .iter()
            .filter(|(f, _)| *f == feed)
            .flat_map(|(_, seen)| seen.iter())
            .filter(|(start, _)| *start < ended)
            .map(|(_, latency)| *latency)
            .collect();
        report(&format!("{feed}.rss gzip, during ingest"), latencies);
    }
    let idle = load(
        &base,
        connections,
        t0,
        tokio::time::sleep(Duration::from_secs(3)),
    )
    .await;
    for feed in ["world", "gulf"] {
        let latencies = idle
            .iter()
            .filter(|(f, _)| *f == feed)
            .flat_map(|(_, seen)| seen.iter().map(|(_, latency)| *latency))
            .collect();
        report(&format!("{feed}.rss gzip, idle"), latencies);
    }
    println!("  target: p99 < 20 ms during ingest");
    drop(daemon);
    drop(farm);
}
