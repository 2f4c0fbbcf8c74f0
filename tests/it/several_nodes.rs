//! Several `feedbraid run` nodes on one PostgreSQL database: each source is polled
//! by one node at a time and once per interval across them; a node killed with its
//! polls under way has its sources taken over within its lease; every node serves
//! the same bytes. Needs `FEEDBRAID_TEST_PG` (see `common::backends`).

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use crate::common::backends::TestDb;
use crate::common::daemon::Daemon;
use crate::common::{FeedServer, generated_rss, get};

const SOURCES: usize = 1_000;
/// Sources whose first requests hang (until released, or the fetch times out), so the
/// nodes that claimed them still hold their leases when one of those nodes is killed.
const HELD: usize = 12;
/// Long enough for the first round and the comparison of feeds under a loaded CI
/// machine, with the held polls still hanging.
const TIMEOUT: Duration = Duration::from_secs(40);
const LEASE: Duration = Duration::from_secs(45);
/// Longer than the takeover: a source polled twice before then was polled twice in
/// one interval (the interval's jitter takes off at most a tenth).
const INTERVAL: Duration = Duration::from_secs(90);

fn path(i: usize) -> String {
    format!("s{i}.xml")
}

/// Waits until `done` holds, checking every 100 ms, for at most `limit`.
async fn until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_share_the_polls_take_over_a_dead_nodes_sources_and_serve_alike() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let TestDb::Postgres(pg) = &db else {
        unreachable!()
    };
    let server = FeedServer::start().await;
    let mut sources = String::new();
    for i in 0..SOURCES {
        // A few sources carry items (each node serves them alike); the others are
        // empty, so that polling a thousand stays quick in a debug build.
        let items = if i % 50 == 0 { 2 } else { 0 };
        server.set(
            &path(i),
            generated_rss(&format!("o{i}"), items).into_bytes(),
        );
        sources.push_str(&format!(
            "[[source]]\nname = \"s{i}\"\nurl = \"{}\"\n\n",
            server.url(&path(i))
        ));
    }
    let held: Vec<String> = (0..HELD).map(path).collect();
    for p in &held {
        server.hold(p);
    }
    let config = crate::common::write_config_with_fetch_on(
        &db.folder(),
        &format!(
            "[storage]\nurl = \"{}\"\nlease = \"{}s\"\n",
            pg.url,
            LEASE.as_secs()
        ),
        &format!(
            "interval = \"{}s\"\nmin_interval = \"1s\"\ntimeout = \"{}s\"\n\
             concurrency = 24\nper_host = 64\nper_host_interval = \"0s\"",
            INTERVAL.as_secs(),
            TIMEOUT.as_secs()
        ),
        &format!("{sources}[[feed]]\nname = \"all\"\n"),
    );
    let mut nodes: Vec<Daemon> = (0..3).map(|_| Daemon::start(&config)).collect();
    let requests = |i: usize| server.requests(&path(i));

    // Every source is polled once, by one node: its first request came, and no second.
    until(Duration::from_secs(90), "every source polled", || {
        (0..SOURCES).all(|i| requests(i) >= 1)
    })
    .await;
    let twice: Vec<usize> = (0..SOURCES).filter(|&i| requests(i) > 1).collect();
    assert!(twice.is_empty(), "polled twice in one interval: {twice:?}");

    // Every node serves the same bytes once the changes have reached it.
    let alike = Instant::now() + Duration::from_secs(15);
    loop {
        let mut bodies = Vec::new();
        for node in &nodes {
            let (status, headers, body) = get(&node.url("/feeds/all.json"), &[]).await;
            assert_eq!(status, 200);
            bodies.push((headers["etag"].to_str().unwrap().to_string(), body));
        }
        if bodies.iter().all(|b| b == &bodies[0]) && bodies[0].1.contains("o950") {
            break;
        }
        let tags: Vec<&String> = bodies.iter().map(|b| &b.0).collect();
        assert!(
            Instant::now() < alike,
            "nodes serve different feeds: {tags:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // The held sources are being polled, each under one node's lease.
    let leases: BTreeMap<String, String> = pg
        .rows("SELECT name, lease_node FROM sources WHERE lease_node IS NOT NULL")
        .into_iter()
        .filter_map(|row| Some((row[0].clone()?, row[1].clone()?)))
        .collect();
    let held_names: HashSet<String> = (0..HELD).map(|i| format!("s{i}")).collect();
    assert!(
        held_names.iter().all(|name| leases.contains_key(name)),
        "every held source is leased: {leases:?}"
    );
    let victim_name = leases["s0"].clone();
    let victim = nodes
        .iter()
        .position(|node| victim_name.ends_with(&format!("-{}", node.child.id())))
        .unwrap_or_else(|| panic!("no node is {victim_name}"));
    let orphaned: Vec<usize> = (0..HELD)
        .filter(|i| leases[&format!("s{i}")] == victim_name)
        .collect();

    // Killed mid-poll: its leases stay until they end; then the others poll them.
    let killed_at = Instant::now();
    nodes[victim].signal("KILL");
    let _ = nodes[victim].wait_exit(Duration::from_secs(5));
    nodes.remove(victim);
    for p in &held {
        server.release(p);
    }
    until(
        LEASE + Duration::from_secs(10),
        "the dead node's sources polled by the others",
        || orphaned.iter().all(|&i| requests(i) >= 2),
    )
    .await;
    let taken_over = killed_at.elapsed();
    assert!(
        taken_over < LEASE + Duration::from_secs(10),
        "taken over after {taken_over:?}"
    );
    let early: Vec<usize> = (HELD..SOURCES).filter(|&i| requests(i) > 1).collect();
    assert!(
        early.is_empty(),
        "sources polled again before their interval: {early:?}"
    );

    // The next interval: the two nodes left poll every other source once more.
    until(INTERVAL + Duration::from_secs(30), "a second round", || {
        (HELD..SOURCES).all(|i| requests(i) >= 2)
    })
    .await;
    let thrice: Vec<usize> = (HELD..SOURCES).filter(|&i| requests(i) > 2).collect();
    assert!(
        thrice.is_empty(),
        "polled twice in the second interval: {thrice:?}"
    );
    for node in &nodes {
        let (status, _, body) = get(&node.url("/healthz"), &[]).await;
        assert_eq!(status, 200, "{body}");
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            health["node"]
                .as_str()
                .unwrap()
                .ends_with(&node.child.id().to_string())
        );
        assert_eq!(health["store"], "ok");
    }
}
