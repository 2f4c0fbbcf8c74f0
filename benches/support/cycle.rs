//! A polling cycle against the farm, as the scenarios that share setup with
//! `notmod` run it: a store in which every source was
//! already polled, the `notmod` cycle (every source answers 304), and the daemon's
//! polling loop started ahead of the instant all sources come due.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use feedbraid::config::Config;
use feedbraid::poll::{PollContext, poll_sources};
use feedbraid::store::PollRecord;

use super::news_feeds::FarmShape;
use super::poller::{farm_args, farm_fetcher, tally, write_farm_config};
use super::procfs::{cpu_seconds, mib, reset_peak, status_kb};
use super::servers;

/// The farm's config in `dir` (no extra TOML), loaded: `per_host` sources to a host.
pub fn farm_config(dir: &Path, shape: FarmShape, per_host: usize, port: u16) -> Arc<Config> {
    let path = write_farm_config(dir, shape.feeds, per_host, port, "");
    Arc::new(Config::load(&path).expect("valid config"))
}

/// A new store for `config` in which every source was polled at `at` (its validators
/// from `validators`, by source index) and is due again then.
pub async fn primed_store(
    config: &Config,
    at: chrono::DateTime<chrono::Utc>,
    validators: impl Fn(usize) -> (Option<String>, Option<String>),
) -> feedbraid::store::Store {
    let store = feedbraid::app::open_store(config).await.expect("store");
    for (i, source) in config.sources.iter().enumerate() {
        let (etag, last_modified) = validators(i);
        let record = PollRecord {
            at,
            http_status: if etag.is_some() { 200 } else { 304 },
            etag,
            last_modified,
            feed: None,
            next_poll: at,
            redirect_target: None,
            redirect_seen: 0,
            adopt_url: None,
            full_text: false,
        };
        store
            .record_poll(&source.name, record)
            .await
            .expect("prime");
    }
    store
}

/// `notmod`: every source already holds the farm's validators; one cycle where all
/// answer 304, `per_host` sources to a host name, by `feedbraid poll`'s
/// `poll_sources` or (`daemon_loop`) by the daemon's polling loop, started before the
/// sources all come due at one instant. Peak RSS is reset after setup, so it covers
/// the cycle.
pub async fn not_modified(shape: FarmShape, per_host: usize, daemon_loop: bool) {
    let farm = servers::spawn_self(&farm_args(shape, true));
    let dir = tempfile::tempdir().expect("temp dir");
    let setup = Instant::now();
    let config = farm_config(dir.path(), shape, per_host, farm.port);
    // The loop is started before the sources come due, so that all come due together.
    let due = if daemon_loop {
        due_together(std::time::Duration::from_secs(3))
    } else {
        chrono::Utc::now()
    };
    let store = primed_store(&config, due, |i| {
        (
            Some(servers::farm_etag(i / per_host.max(1), shape.items)),
            Some(servers::FARM_LAST_MODIFIED.to_string()),
        )
    })
    .await;
    let ctx = PollContext::new(farm_fetcher(&config, shape.feeds, &farm), store.clone());
    let setup = setup.elapsed().as_secs_f64();
    let looping = daemon_loop.then(|| LoopRun::start(ctx.clone(), &config));
    sleep_until(due).await;
    let before = status_kb(None, "VmRSS");
    reset_peak();
    let (cpu, farm_cpu) = (cpu_seconds(None), cpu_seconds(Some(farm.pid())));
    let started = Instant::now();
    let outcomes = if let Some(looping) = looping {
        looping.until_polled().await
    } else {
        let reports = poll_sources(&ctx, &config, &config.sources)
            .await
            .expect("store ok");
        format!("{:?}", tally(&reports))
    };
    let took = started.elapsed().as_secs_f64();
    let used = cpu_seconds(None) - cpu;
    let farm_used = cpu_seconds(Some(farm.pid())) - farm_cpu;
    let peak = status_kb(None, "VmHWM");
    let after = status_kb(None, "VmRSS");
    let open_fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    println!(
        "scenario notmod: {} sources, {per_host} to a host name, all answering 304, polled by {} (setup {setup:.1} s)",
        shape.feeds,
        if daemon_loop {
            "the daemon's loop"
        } else {
            "poll_sources (feedbraid poll)"
        }
    );
    println!(
        "  cycle: {took:.2} s (target < 2 s) = {:.0} polls/s; CPU {used:.2} s in feedbraid, {farm_used:.2} s in the farm server",
        shape.feeds as f64 / took
    );
    println!("  outcomes: {outcomes}");
    println!(
        "  RSS before the cycle {:.1} MiB, peak during it {:.1} MiB (target < 40 MB), after {:.1} MiB; {open_fds} open fds after the cycle (idle pooled connections)",
        mib(before),
        mib(peak),
        mib(after)
    );
}

/// A whole second at least `lead` from now. The store keeps poll times in whole
/// seconds, and the loop spreads sources that are overdue when it loads them
/// ([`feedbraid::timing::catch_up`]); sources primed due at this instant, with the loop
/// started before it, all come due together.
pub fn due_together(lead: std::time::Duration) -> chrono::DateTime<chrono::Utc> {
    let at = chrono::Utc::now() + chrono::Duration::from_std(lead).expect("short lead");
    chrono::DateTime::from_timestamp(at.timestamp() + 1, 0).expect("a valid time")
}

/// Sleeps until `at` (at once when it has passed).
pub async fn sleep_until(at: chrono::DateTime<chrono::Utc>) {
    let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
}

/// The daemon's polling loop, running on a config whose sources are all due.
pub struct LoopRun {
    metrics: Arc<feedbraid::metrics::Metrics>,
    sources: f64,
    stop: tokio::sync::watch::Sender<bool>,
    looping: tokio::task::JoinHandle<anyhow::Result<()>>,
    _config: tokio::sync::watch::Sender<Arc<Config>>,
}

impl LoopRun {
    /// Starts the loop (it loads the queue from the store at once).
    pub fn start(ctx: PollContext, config: &Arc<Config>) -> LoopRun {
        let metrics = Arc::clone(&ctx.metrics);
        let (config_tx, config_rx) = tokio::sync::watch::channel(Arc::clone(config));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let looping = tokio::spawn(feedbraid::schedule::run(
            ctx,
            config_rx,
            stopped,
            feedbraid::schedule::Heartbeat::default(),
        ));
        LoopRun {
            metrics,
            sources: config.sources.len() as f64,
            stop,
            looping,
            _config: config_tx,
        }
    }

    /// The polls the loop counted with `outcome` (`not_modified`, `skipped`, …).
    pub fn polled(&self, outcome: &str) -> f64 {
        let text = self.metrics.render(
            &[],
            &feedbraid::metrics::NodeState {
                node: "bench".into(),
                leases: 0,
            },
        );
        let prefix = format!("feedbraid_polls_total{{outcome=\"{outcome}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0)
    }

    /// Stops the loop and waits for it to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.looping.await;
    }

    /// Waits until the metrics count a poll of every source, stops the loop, and
    /// returns the polls counted by outcome.
    pub async fn until_polled(self) -> String {
        let polls = |text: &str| -> Vec<(String, f64)> {
            text.lines()
                .filter_map(|l| l.strip_prefix("feedbraid_polls_total{outcome=\""))
                .filter_map(|l| l.split_once("\"} "))
                .filter_map(|(outcome, n)| Some((outcome.to_string(), n.parse().ok()?)))
                .collect()
        };
        let counted = loop {
            let counted = polls(&self.metrics.render(
                &[],
                &feedbraid::metrics::NodeState {
                    node: "test".into(),
                    leases: 0,
                },
            ));
            if counted.iter().map(|(_, n)| n).sum::<f64>() >= self.sources {
                break counted;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        };
        let _ = self.stop.send(true);
        let _ = self.looping.await;
        format!("{counted:?}")
    }
}
