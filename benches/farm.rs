//! End-to-end benchmarks on a local feed farm (see BENCHMARKS.md). One scenario per
//! process, so peak RSS is per scenario; `scripts/bench.sh` runs them all.
//!
//! ```text
//! cargo bench --bench farm -- ingest  [--feeds 500] [--items 50] [--syndicated 20] [--light] [--onto CACHE_DIR]
//! cargo bench --bench farm -- notmod  [--feeds 10000] [--items 20] [--per-host 2] [--loop | --nodes N]
//! cargo bench --bench farm -- serving [--seconds 5] [--connections 16] [--rounds 3]
//! cargo bench --bench farm -- backlog [--feeds 10000] [--items 5] [--pad-to 1048576] [--spread]
//! cargo bench --bench farm -- busy-serving [--feeds 500] [--items 50] [--connections 4]
//! cargo bench --bench farm -- idle    [--feeds 1000] [--items 1000] [--cache DIR]
//! cargo bench --bench farm -- write-corpus --dir DIR --port P [--light] [--feeds 500] [--items 50]
//! cargo bench --bench farm -- floor --dir DIR
//! ```
//!
//! Without a scenario (plain `cargo bench`) it prints this usage and exits. With
//! `FEEDBRAID_BENCH_PG=postgres://…` the farm stores into a fresh PostgreSQL database
//! on that server instead of a SQLite file (`support/nodes.rs`).

#[path = "support/backlog.rs"]
mod backlog;
#[path = "support/busy_serving.rs"]
mod busy_serving;
#[path = "support/cycle.rs"]
mod cycle;
#[path = "support/daemon.rs"]
mod daemon;
#[path = "support/disk.rs"]
mod disk;
#[path = "support/news_feeds.rs"]
mod news_feeds;
#[path = "support/nodes.rs"]
mod nodes;
#[path = "support/poller.rs"]
mod poller;
#[path = "support/procfs.rs"]
mod procfs;
#[path = "support/servers.rs"]
mod servers;
#[path = "support/serving.rs"]
mod serving;

use std::collections::HashMap;
use std::path::PathBuf;

use news_feeds::FarmShape;

// The daemon's allocator: the scenarios run the product's code in this process.
feedbraid::product_allocator!();

const USAGE: &str = "usage: farm ingest|store|notmod|serving|busy-serving|backlog|idle|write-corpus|floor [--feeds N] [--items M] [--syndicated PCT] \
                     [--no-floor] [--light] [--per-host K] [--loop] [--nodes N] [--seconds S] [--connections C] [--rounds R] [--cache DIR] [--onto DIR] [--dir DIR] [--port P]";

fn main() {
    // As the daemon does: peak memory is measured under the same allocator settings.
    feedbraid::allocator::limit_arenas();
    let mut scenario = None;
    let mut options: HashMap<String, String> = HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.strip_prefix("--") {
            // What `cargo bench` passes to every bench binary.
            Some("bench") => {}
            Some(flag @ ("lazy" | "no-floor" | "loop" | "spread" | "light")) => {
                options.insert(flag.to_string(), "1".into());
            }
            Some(key) => {
                let value = args.next().unwrap_or_default();
                options.insert(key.to_string(), value);
            }
            None => scenario = Some(arg),
        }
    }
    let number = |key: &str, default: usize| -> usize {
        options
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let shape = |feeds: usize, items: usize| FarmShape {
        feeds: number("feeds", feeds),
        items: number("items", items),
        syndicated_percent: number("syndicated", 20),
        weight: if options.contains_key("light") {
            news_feeds::ItemWeight::Light
        } else {
            news_feeds::ItemWeight::Heavy
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let Some(scenario) = scenario else {
        println!("{USAGE}");
        return;
    };
    if !matches!(
        scenario.as_str(),
        "serve-farm" | "static-server" | "write-corpus"
    ) {
        println!("machine: {}", procfs::machine());
    }
    match scenario.as_str() {
        "ingest" => runtime.block_on(poller::ingest(
            shape(500, 50),
            !options.contains_key("no-floor"),
            options.get("onto").map(PathBuf::from).as_deref(),
        )),
        "store" => runtime.block_on(poller::store_only(shape(500, 50))),
        "notmod" if options.contains_key("nodes") => {
            runtime.block_on(nodes::not_modified_on_nodes(
                shape(10_000, 20),
                number("per-host", 1),
                number("nodes", 1),
            ))
        }
        "notmod" => runtime.block_on(cycle::not_modified(
            shape(10_000, 20),
            number("per-host", 1),
            options.contains_key("loop"),
        )),
        "serving" => runtime.block_on(serving::serving(
            number("seconds", 5) as u64,
            number("connections", 16),
            number("rounds", 3),
        )),
        "backlog" => runtime.block_on(backlog::backlog(
            shape(10_000, 5),
            number("pad-to", 1 << 20),
            options.contains_key("spread"),
        )),
        "busy-serving" => runtime.block_on(busy_serving::busy_serving(
            shape(500, 50),
            number("connections", 4),
        )),
        "idle" => {
            let cache = options
                .get("cache")
                .map(PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("feedbraid-bench-cache"));
            runtime.block_on(daemon::idle(
                number("feeds", 1000),
                number("items", 1000),
                &cache,
            ))
        }
        // The corpus as files, for another server and another aggregator (`scripts/vs_reader.sh`).
        "write-corpus" => poller::write_corpus(
            shape(500, 50),
            &PathBuf::from(options.get("dir").cloned().unwrap_or_default()),
            number("port", 8080) as u16,
        ),
        "floor" => poller::floor_of_files(&PathBuf::from(
            options.get("dir").cloned().unwrap_or_default(),
        )),
        // Children of the scenarios above.
        "serve-farm" => runtime.block_on(servers::serve_farm(
            shape(500, 50),
            options.contains_key("lazy"),
            number("pad-to", 0),
        )),
        "static-server" => {
            let file = PathBuf::from(options.get("file").cloned().unwrap_or_default());
            let body = std::fs::read(&file).expect("static file");
            let gzip = std::fs::read(file.with_extension("rss.gz")).expect("gzip twin");
            runtime.block_on(servers::serve_static(servers::StaticBody {
                body: body.into(),
                gzip: gzip.into(),
                etag: options.get("etag").cloned().unwrap_or_default(),
                last_modified: options.get("last-modified").cloned().unwrap_or_default(),
                content_type: "application/rss+xml; charset=utf-8".into(),
            }))
        }
        other => {
            eprintln!("unknown scenario {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    }
}
