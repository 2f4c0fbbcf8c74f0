//! `backlog`: the daemon's polling loop after downtime. Every source is due and
//! answers a document padded to `--pad-to` bytes (1 MiB by default: its 5 new items
//! and a comment the parser skips, standing for the items a source had already sent:
//! the bytes cost the network and memory, not the story index). The loop runs until every source
//! is polled; peak RSS covers the whole backlog (target < 150 MB for 10,000 sources),
//! with the polls under way bounded by the dispatch (`--spread` also lets the loop
//! spread the overdue sources over their one-minute interval, as it does on a real
//! restart; without it they all come due at one instant after the loop has started,
//! the worst case for memory).

use std::sync::Arc;
use std::time::Instant;

use feedbraid::config::Config;
use feedbraid::poll::PollContext;

use super::cycle::primed_store;
use super::news_feeds::FarmShape;
use super::poller::{farm_args, farm_fetcher, write_farm_config};
use super::procfs::{cpu_seconds, mib, reset_peak, status_kb};
use super::servers;

pub async fn backlog(shape: FarmShape, pad_to: usize, spread: bool) {
    let mut args = farm_args(shape, true);
    args.extend(["--pad-to".to_string(), pad_to.to_string()]);
    let farm = servers::spawn_self(&args);
    let dir = tempfile::tempdir().expect("temp dir");
    let fetch = "interval = \"1m\"\nmin_interval = \"1m\"";
    let config = Arc::new(
        Config::load(&write_farm_config(
            dir.path(),
            shape.feeds,
            1,
            farm.port,
            fetch,
        ))
        .expect("valid config"),
    );
    let due = if spread {
        chrono::Utc::now() - chrono::Duration::days(1)
    } else {
        super::cycle::due_together(std::time::Duration::from_secs(3))
    };
    // Polled once when due: each source exists, holds no validators, and is due.
    let store = primed_store(&config, due, |_| (None, None)).await;
    let ctx = PollContext::new(farm_fetcher(&config, shape.feeds, &farm), store);
    let looping = super::cycle::LoopRun::start(ctx, &config);
    super::cycle::sleep_until(due).await;
    let before = status_kb(None, "VmRSS");
    reset_peak();
    let cpu = cpu_seconds(None);
    let started = Instant::now();
    let counted = looping.until_polled().await;
    let took = started.elapsed().as_secs_f64();
    println!(
        "scenario backlog: {} sources{}, each a new {:.2} MiB document of {} items, polled by the daemon's loop",
        shape.feeds,
        if spread {
            " overdue by a day (spread over their 1-minute interval)"
        } else {
            " all due at once"
        },
        pad_to as f64 / (1 << 20) as f64,
        shape.items
    );
    println!(
        "  {took:.1} s; CPU {:.1} s; polls {counted}",
        cpu_seconds(None) - cpu
    );
    println!(
        "  RSS before {:.1} MiB, peak during the backlog {:.1} MiB (target < 150 MB)",
        mib(before),
        mib(status_kb(None, "VmHWM"))
    );
}
