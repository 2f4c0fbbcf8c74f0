//! The real binary as a daemon: it polls at start and serves, reloads on SIGHUP (a
//! broken config is refused and the old one keeps serving), stops cleanly on SIGTERM
//! even mid-poll, and `kill -9` at any moment leaves a sound database that the next
//! poll completes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::daemon::Daemon;
use crate::common::{FeedServer, fixture, get, write_config};

const BIN: &str = env!("CARGO_BIN_EXE_feedbraid");

fn harbor_config(server: &FeedServer, extra: &str) -> String {
    format!(
        "[[source]]\nname = \"harbor\"\nurl = \"{}\"\n\n[[feed]]\nname = \"world\"\n{extra}",
        server.url("harbor.xml")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn polls_at_start_serves_and_is_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    let config = write_config(dir.path(), &harbor_config(&server, ""));
    let mut daemon = Daemon::start(&config);
    daemon.wait_for("harbor: 5 new");
    let (status, _, body) = get(&daemon.url("/feeds/world.json"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        crate::common::titles(&serde_json::from_str(&body).unwrap()).len(),
        5
    );
    let (status, _, body) = get(&daemon.url("/healthz"), &[]).await;
    assert_eq!(status, 200, "{body}");
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(10)).success());
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_swaps_in_a_good_config_and_refuses_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    server.set("wire.xml", fixture("wire-copy.xml"));
    let config = write_config(dir.path(), &harbor_config(&server, ""));
    let mut daemon = Daemon::start(&config);
    daemon.wait_for("harbor: 5 new");
    assert_eq!(get(&daemon.url("/feeds/wire-only.rss"), &[]).await.0, 404);

    // A good config adds a source and a feed, without a restart.
    let added = format!(
        "{}\n[[source]]\nname = \"wire\"\nurl = \"{}\"\n\n[[feed]]\nname = \"wire-only\"\nsources = [\"wire\"]\n",
        harbor_config(&server, ""),
        server.url("wire.xml")
    );
    write_config(dir.path(), &added);
    daemon.signal("HUP");
    daemon.wait_for("configuration reloaded");
    daemon.wait_for("wire: 2 new");
    let (status, _, body) = get(&daemon.url("/feeds/wire-only.json"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        crate::common::titles(&serde_json::from_str(&body).unwrap()).len(),
        2
    );

    // A broken config is refused with check's messages; the old one keeps serving.
    write_config(
        dir.path(),
        &format!("{added}\n[[feed]]\nname = \"bad\"\nsources = [\"nope\"]\n"),
    );
    daemon.signal("HUP");
    let refused = daemon.wait_for("reload refused");
    assert!(refused.contains("nope"), "{refused}");
    assert_eq!(get(&daemon.url("/feeds/wire-only.rss"), &[]).await.0, 200);
    assert_eq!(get(&daemon.url("/feeds/bad.rss"), &[]).await.0, 404);
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(10)).success());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_poll_exits_cleanly_and_a_restart_completes_the_poll() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    server.hold("harbor.xml");
    let config = write_config(dir.path(), &harbor_config(&server, ""));
    let mut daemon = Daemon::start(&config);
    server.wait_for_request("harbor.xml").await;
    // The process exits within the wait (a real process: no paused time here).
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(10)).success());

    server.release("harbor.xml");
    let mut again = Daemon::start(&config);
    again.wait_for("harbor: 5 new");
    again.signal("TERM");
    assert!(again.wait_exit(Duration::from_secs(10)).success());
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_any_moment_leaves_a_sound_database_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    let mut body = String::new();
    for i in 0..40 {
        let doc = crate::common::generated_rss(&format!("outlet{i}"), 200);
        server.set(&format!("f{i}.xml"), doc.into_bytes());
        body.push_str(&format!(
            "[[source]]\nname = \"s{i}\"\nurl = \"{}\"\n\n",
            server.url(&format!("f{i}.xml"))
        ));
    }
    body.push_str("[[feed]]\nname = \"all\"\nlimit = 100000\n");
    let config = write_config(dir.path(), &body);
    for round in 0..20u64 {
        let mut child = Command::new(BIN)
            .args(["poll", "-c"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a different moment each round, from before the first write to mid-ingest.
        std::thread::sleep(Duration::from_millis(15 + round * 23));
        let _ = child.kill();
        let _ = child.wait();
        let cfg = feedbraid::config::Config::load(&config).unwrap();
        let store = feedbraid::store::Store::open(&cfg.storage.path).unwrap();
        assert!(
            store.integrity_check().await.unwrap(),
            "round {round}: integrity_check failed"
        );
    }
    // A final, uninterrupted poll stores everything exactly once.
    let out = Command::new(BIN)
        .args(["poll", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success());
    let cfg = feedbraid::config::Config::load(&config).unwrap();
    let store = feedbraid::store::Store::open(&cfg.storage.path).unwrap();
    let names: Vec<String> = (0..40).map(|i| format!("s{i}")).collect();
    let states = store.source_states(names).await.unwrap();
    assert_eq!(states.iter().map(|s| s.items).sum::<u64>(), 40 * 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn tells_systemd_ready_watchdog_and_stopping() {
    use std::os::unix::net::UnixDatagram;
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    let config = write_config(dir.path(), &harbor_config(&server, ""));
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // As systemd does: WATCHDOG_PID names the daemon (the shell execs into it).
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"WATCHDOG_PID=$$ exec "$0" run -c "$1""#)
        .arg(BIN)
        .arg(&config)
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "1000000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut said = Vec::new();
    let mut buf = [0u8; 512];
    while !(said.iter().any(|m: &String| m.contains("READY=1"))
        && said.iter().any(|m| m.contains("WATCHDOG=1")))
    {
        let n = socket.recv(&mut buf).expect("a notification within 20 s");
        said.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let status = Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    loop {
        let n = socket.recv(&mut buf).expect("STOPPING=1 within 20 s");
        if String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1") {
            break;
        }
    }
    assert!(child.wait().unwrap().success());
    // Stopped cleanly, it leaves everything in the database file: its write-ahead
    // log is folded back and empty.
    let log = std::fs::metadata(dir.path().join("feedbraid.db-wal")).map_or(0, |m| m.len());
    assert_eq!(log, 0, "the write-ahead log still holds {log} bytes");
}

/// `body` without what the status page says relative to the clock (when it was
/// generated, "in 31 min", "640 d ago"), which changes between two requests that
/// straddle a minute: the rest must match.
fn without_clock_times(mut body: String) -> String {
    if let Some((head, tail)) = body.split_once("<p class=\"muted\">Generated ") {
        body = format!("{head}{}", tail.split_once("</p>").map_or("", |(_, t)| t));
    }
    let mut kept = String::with_capacity(body.len());
    let mut rest = body.as_str();
    while let Some(start) = rest.find("<span class=\"muted\">(") {
        let Some(length) = rest[start..].find(")</span>") else {
            break;
        };
        kept.push_str(&rest[..start]);
        rest = &rest[start + length + ")</span>".len()..];
    }
    kept.push_str(rest);
    kept
}

/// Every row of the tables the daemon keeps its state in, as text, read without
/// changing anything.
fn database_rows(path: &Path) -> Vec<String> {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut rows = Vec::new();
    for table in ["sources", "items", "feed_items", "feed_defs", "tombstones"] {
        let mut statement = db
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let columns = statement.column_count();
        let mut found = statement.query([]).unwrap();
        while let Some(row) = found.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn inspection_commands_on_an_edited_config_leave_a_live_daemons_database_alone() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    let config = write_config(
        dir.path(),
        &harbor_config(
            &server,
            "\n[[feed]]\nname = \"iran\"\ninclude = [\"Iran\"]\n",
        ),
    );
    let mut daemon = Daemon::start(&config);
    daemon.wait_for("harbor: 5 new");
    let served = || async {
        let mut bodies = Vec::new();
        for path in ["/feeds/iran.json", "/feeds/world.rss", "/"] {
            let (status, _, body) = get(&daemon.url(path), &[]).await;
            assert_eq!(status, 200, "{path}");
            bodies.push(without_clock_times(body));
        }
        bodies
    };
    let before = (
        database_rows(&dir.path().join("feedbraid.db")),
        served().await,
    );
    let world: serde_json::Value =
        serde_json::from_str(&get(&daemon.url("/feeds/world.json"), &[]).await.2).unwrap();
    let item_id = world["items"][0]["id"].as_str().unwrap().to_string();

    // The operator edits the config (a feed's query, a source's URL, a new source)
    // and inspects it before reloading the daemon.
    let edited = std::fs::read_to_string(&config)
        .unwrap()
        .replace("include = [\"Iran\"]", "query = 'cricket'")
        .replace("harbor.xml", "moved.xml")
        + &format!(
            "\n[[source]]\nname = \"wire\"\nurl = \"{}\"\n",
            server.url("wire.xml")
        );
    let edited_path = dir.path().join("edited.toml");
    std::fs::write(&edited_path, edited).unwrap();
    let inspections: [&[&str]; 5] = [
        &["sources"],
        &["sources", "--format", "json"],
        &["query", "Tehran OR Iran"],
        &["explain", &item_id],
        &["export-opml"],
    ];
    for args in inspections {
        let output = Command::new(BIN)
            .args(args)
            .arg("-c")
            .arg(&edited_path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let after = (
        database_rows(&dir.path().join("feedbraid.db")),
        served().await,
    );
    assert!(
        before.0.len() > 5,
        "the daemon stored its state: {:?}",
        before.0
    );
    assert_eq!(after.0, before.0, "the database is as the daemon left it");
    assert_eq!(after.1, before.1, "the daemon serves the same bytes");
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(10)).success());
}
