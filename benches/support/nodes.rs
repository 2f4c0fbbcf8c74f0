//! The farm on PostgreSQL, and several nodes on one database. With
//! `FEEDBRAID_BENCH_PG` naming a server (a role that may create databases), every farm
//! config stores into a fresh database `feedbraid_bench` there instead of a SQLite
//! file; `notmod --nodes N` runs N nodes (each a store, a fetcher and the daemon's
//! polling loop, in this process) on that database and reports the cycle and the CPU
//! per poll of all of them together.

use std::time::Instant;

use feedbraid::poll::PollContext;

use super::cycle::{LoopRun, due_together, farm_config, primed_store, sleep_until};
use super::news_feeds::FarmShape;
use super::poller::{farm_args, farm_fetcher};
use super::procfs::cpu_seconds;
use super::servers;

/// The `[storage]` table of a farm config: a fresh PostgreSQL database when
/// `FEEDBRAID_BENCH_PG` names a server, else the SQLite file beside the config.
pub fn storage_table() -> String {
    match postgres_server() {
        Some(server) => format!("[storage]\nurl = \"{}\"\n", fresh_database(&server)),
        None => "[storage]\npath = \"feedbraid.db\"\n".into(),
    }
}

/// The PostgreSQL server the farm stores into (`FEEDBRAID_BENCH_PG`), if one is set.
pub fn postgres_server() -> Option<String> {
    std::env::var("FEEDBRAID_BENCH_PG")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Drops and creates `feedbraid_bench` on `server`; its URL.
fn fresh_database(server: &str) -> String {
    let admin = server.to_string();
    // The client runs a runtime of its own: not on the bench's.
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("connect");
        // One statement each: a batch runs as one transaction, which these refuse.
        for sql in [
            "DROP DATABASE IF EXISTS feedbraid_bench WITH (FORCE)",
            "CREATE DATABASE feedbraid_bench",
        ] {
            client.batch_execute(sql).expect("fresh database");
        }
    })
    .join()
    .expect("database made");
    let mut url = url::Url::parse(server).expect("FEEDBRAID_BENCH_PG is a URL");
    url.set_path("feedbraid_bench");
    url.to_string()
}

/// `notmod --nodes N`: every source holds the farm's validators; N nodes' loops start
/// before the sources all come due at one instant, and the cycle ends when the nodes
/// together have polled every source once (each answering 304). Every node tries every
/// source; one claim wins, the others skip it.
pub async fn not_modified_on_nodes(shape: FarmShape, per_host: usize, nodes: usize) {
    assert!(
        postgres_server().is_some() || nodes == 1,
        "several nodes share a PostgreSQL database: set FEEDBRAID_BENCH_PG"
    );
    let farm = servers::spawn_self(&farm_args(shape, true));
    let dir = tempfile::tempdir().expect("temp dir");
    let config = farm_config(dir.path(), shape, per_host, farm.port);
    let due = due_together(std::time::Duration::from_secs(5));
    let first = primed_store(&config, due, |i| {
        (
            Some(servers::farm_etag(i / per_host.max(1), shape.items)),
            Some(servers::FARM_LAST_MODIFIED.to_string()),
        )
    })
    .await;
    let mut stores = vec![first];
    for _ in 1..nodes {
        stores.push(feedbraid::app::open_store(&config).await.expect("store"));
    }
    let loops: Vec<LoopRun> = stores
        .iter()
        .map(|store| {
            let ctx = PollContext::new(farm_fetcher(&config, shape.feeds, &farm), store.clone());
            LoopRun::start(ctx, &config)
        })
        .collect();
    sleep_until(due).await;
    let (cpu, farm_cpu) = (cpu_seconds(None), cpu_seconds(Some(farm.pid())));
    let started = Instant::now();
    let polled = loop {
        let polled: f64 = loops.iter().map(|l| l.polled("not_modified")).sum();
        if polled >= shape.feeds as f64 {
            break polled;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    let took = started.elapsed().as_secs_f64();
    let used = cpu_seconds(None) - cpu;
    let farm_used = cpu_seconds(Some(farm.pid())) - farm_cpu;
    let shares: Vec<String> = loops
        .iter()
        .map(|l| format!("{:.0}", l.polled("not_modified")))
        .collect();
    for l in loops {
        l.stop().await;
    }
    println!(
        "scenario notmod on {nodes} node(s), {}: {} sources, {per_host} to a host name, all answering 304",
        if postgres_server().is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        shape.feeds
    );
    println!(
        "  cycle: {took:.2} s = {:.0} polls/s; polls by node {shares:?}",
        polled / took
    );
    println!(
        "  CPU {used:.2} s in the nodes = {:.0} us per poll (the database server's not counted); {farm_used:.2} s in the farm server",
        used * 1e6 / polled
    );
}
