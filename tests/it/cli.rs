//! The command line as users type it: exit codes (0 ok, 1 runtime failure, 2 bad
//! config or usage), `check`'s messages, `sources --format json`, `query`, `explain`,
//! and OPML import (printing, or appending while keeping the file's comments) and export.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{FeedServer, fixture, write_config};

const BIN: &str = env!("CARGO_BIN_EXE_feedbraid");

/// `feedbraid ARGS -c CONFIG`, to be run.
fn command(args: &[&str], config: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .arg("-c")
        .arg(config)
        .env_remove("FEEDBRAID_CONFIG");
    command
}

fn run(args: &[&str], config: &Path) -> Output {
    command(args, config).output().unwrap()
}

/// The writing end of a pipe whose reader is gone, as `| head` leaves it.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// A config in `dir` with the one source `harbor` on `server`, polled once.
async fn harbor_polled_once(dir: &Path, server: &FeedServer) -> std::path::PathBuf {
    server.set("harbor.xml", fixture("rss2.xml"));
    let config = write_config(
        dir,
        &format!(
            "[[source]]\nname = \"harbor\"\nurl = \"{}\"\n",
            server.url("harbor.xml")
        ),
    );
    assert_eq!(run(&["poll"], &config).status.code(), Some(0));
    config
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_the_example_and_names_file_line_and_key_otherwise() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feedbraid.toml");
    let ok = run(&["check"], &example);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).starts_with("config OK"),
        "{}",
        text(&ok.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = write_config(
        dir.path(),
        "[[source]]\nname = \"a\"\nurl = \"ftp://x.example/feed\"\n\n[[feed]]\nname = \"f\"\nsources = [\"nope\"]\nquery = 'iran AND'\n",
    );
    let out = run(&["check"], &bad);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let file = bad.display().to_string();
    assert!(err.contains(&format!("{file}:")), "{err}");
    assert!(
        err.contains("url") && err.contains("sources") && err.contains("query"),
        "{err}"
    );
    assert!(
        err.lines().filter(|l| l.starts_with("error:")).count() >= 3,
        "every problem: {err}"
    );

    let missing = run(&["check"], &dir.path().join("absent.toml"));
    assert_eq!(missing.status.code(), Some(2));
}

/// `feedbraid query … | head` and the like: when what reads the output goes away,
/// the command drops the rest of it and ends as it would have, without a panic.
#[test]
fn output_into_a_closed_pipe_is_dropped_quietly() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feedbraid.toml");
    let out = command(&["check"], &example)
        .stdout(closed_pipe())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

/// `feedbraid check … 2>&1 | head -1` on a broken config: the messages a closed
/// pipe cannot take are dropped, and the exit code still says what was wrong.
#[test]
fn messages_into_a_closed_pipe_keep_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_config(
        dir.path(),
        "[[source]]\nname = \"a\"\nurl = \"ftp://x.example/feed\"\n",
    );
    let out = command(&["check"], &bad)
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The same for log lines: a poll whose source fails logs a warning, and with
/// stderr a closed pipe it still ends as it would have (exit 0: the failure is the
/// source's, reported and retried), not in a panic of the thread that logged.
#[test]
fn log_lines_into_a_closed_pipe_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    // A loopback port just freed: nothing listens there, the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = write_config(
        dir.path(),
        &format!("[[source]]\nname = \"gone\"\nurl = \"http://127.0.0.1:{port}/feed.xml\"\n"),
    );
    let out = command(&["poll"], &config)
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("gone: error"),
        "{}",
        text(&out.stdout)
    );
}

/// Output that cannot be written (a full disk) fails the command, so a script that
/// saves it (`export-opml > feeds.opml`) learns the file is incomplete.
#[test]
fn output_that_cannot_be_written_fails_the_command() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feedbraid.toml");
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full here");
        return;
    };
    let out = command(&["export-opml"], &example)
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cannot write the output"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn usage_errors_exit_2_and_version_and_help_answer() {
    let out = Command::new(BIN).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let version = Command::new(BIN).arg("--version").output().unwrap();
    assert!(text(&version.stdout).starts_with("feedbraid "));
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(text(&help.stdout).contains("Examples:"));
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_sources_query_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    server.set("harbor.xml", fixture("rss2.xml"));
    server.set("wire.xml", fixture("wire-copy.xml"));
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"harbor\"\nurl = \"{}\"\n\n[[source]]\nname = \"wire\"\nurl = \"{}\"\n\n[[feed]]\nname = \"all\"\n",
            server.url("harbor.xml"),
            server.url("wire.xml")
        ),
    );
    let unknown = run(&["poll", "--source", "nope"], &config);
    assert_eq!(unknown.status.code(), Some(2));

    let polled = run(&["poll"], &config);
    assert_eq!(polled.status.code(), Some(0));
    let lines = text(&polled.stdout);
    assert!(
        lines.contains("harbor: 5 new") && lines.contains("wire: 2 new"),
        "{lines}"
    );
    // What the poll stored is in the database file itself once the command exits,
    // not only in its write-ahead log: a copy of the file alone (a naive backup)
    // holds every item.
    let copy = dir.path().join("copy.db");
    std::fs::copy(dir.path().join("feedbraid.db"), &copy).unwrap();
    let copied: i64 = rusqlite::Connection::open(&copy)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM items", [], |row| row.get(0))
        .unwrap();
    assert_eq!(copied, 7);

    let sources = run(&["sources", "--format", "json"], &config);
    let rows: serde_json::Value = serde_json::from_slice(&sources.stdout).unwrap();
    for key in [
        "name",
        "url",
        "state",
        "http_status",
        "error",
        "error_streak",
        "next_poll",
        "items",
    ] {
        assert!(rows[0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(rows[0]["state"], "ok");
    assert!(rows[0]["next_poll"].as_str().unwrap().ends_with('Z'));

    let query = run(&["query", "title:tehran OR category:trade"], &config);
    assert_eq!(query.status.code(), Some(0));
    let found = text(&query.stdout);
    assert!(
        found.contains("Tehran air quality") && found.contains("China and Vietnam"),
        "{found}"
    );
    assert!(!found.contains("cricket"), "{found}");
    let bad_query = run(&["query", "iran AND (iraq"], &config);
    assert_eq!(bad_query.status.code(), Some(2));
    assert!(
        text(&bad_query.stderr).contains("position"),
        "{}",
        text(&bad_query.stderr)
    );

    let explained = run(
        &[
            "explain",
            "https://www.harbordaily.example/world/2025/03/04/iran-eu-talks-geneva",
        ],
        &config,
    );
    assert_eq!(
        explained.status.code(),
        Some(0),
        "{}",
        text(&explained.stderr)
    );
    let story = text(&explained.stdout);
    assert!(
        story.contains("2 copies") && story.contains("joined by link"),
        "{story}"
    );
    // Each joined copy shows the evidence against the copy before it.
    assert!(
        // Both sources are polled at once: either may have started the story.
        story.contains("evidence: the same canonical link as harbor")
            || story.contains("evidence: the same canonical link as wire"),
        "{story}"
    );
    // A copy left alone names the nearest other story and why it stayed apart.
    let alone = run(
        &[
            "explain",
            "https://meridianwire.example/markets/2025/03/04/copper-chile-strike",
        ],
        &config,
    );
    let alone = text(&alone.stdout);
    assert!(
        alone.contains("1 copy") && alone.contains("nearest other story: harbor"),
        "{alone}"
    );
    assert!(alone.contains("needs"), "{alone}");
    let nothing = run(&["explain", "urn:feedbraid:0000"], &config);
    assert_eq!(nothing.status.code(), Some(2));
}

#[test]
fn opml_import_prints_or_appends_and_export_lists_sources() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "# my sources\n[[source]]\nname = \"bbc-world\"\nurl = \"https://feeds.bbci.co.uk/news/world/rss.xml\"\n\n[[feed]]\nname = \"all\"\n",
    );
    let opml = dir.path().join("reader.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><head><title>Reader</title></head><body>
<outline text="News"><outline text="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
<outline text="Al Jazeera &amp; more" xmlUrl="https://www.aljazeera.com/xml/rss/all.xml"/></outline>
<outline text="Not a feed" xmlUrl="javascript:alert(1)"/></body></opml>"#,
    )
    .unwrap();
    let printed = Command::new(BIN)
        .args(["import-opml"])
        .arg(&opml)
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(printed.status.code(), Some(0), "{}", text(&printed.stderr));
    let entries = text(&printed.stdout);
    assert!(entries.contains("name = \"al-jazeera-more\""), "{entries}");
    assert!(
        !entries.contains("feeds.bbci.co.uk"),
        "already configured: {entries}"
    );
    assert!(!entries.contains("javascript"), "{entries}");

    let written = Command::new(BIN)
        .args(["import-opml", "--write"])
        .arg(&opml)
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(written.status.code(), Some(0));
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(
        after.contains("# my sources") && after.contains("al-jazeera-more"),
        "{after}"
    );
    assert_eq!(
        run(&["check"], &config).status.code(),
        Some(0),
        "the file stays valid"
    );

    let exported = run(&["export-opml"], &config);
    let outlines = feedbraid::render::opml::parse_opml(&text(&exported.stdout)).unwrap();
    assert_eq!(outlines.len(), 2);
}

#[test]
fn inspecting_before_the_first_run_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[[source]]\nname = \"harbor\"\nurl = \"https://harbor.example/rss\"\n\n[[feed]]\nname = \"all\"\n",
    );
    let sources = run(&["sources", "--format", "json"], &config);
    assert_eq!(sources.status.code(), Some(0), "{}", text(&sources.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&sources.stdout).unwrap();
    assert_eq!(rows[0]["name"], "harbor");
    assert_eq!(rows[0]["state"], "new");
    let query = run(&["query", "Iran"], &config);
    assert_ne!(query.status.code(), Some(0));
    assert!(
        text(&query.stderr).contains("no database at"),
        "{}",
        text(&query.stderr)
    );
    assert!(
        !dir.path().join("feedbraid.db").exists(),
        "looking created nothing"
    );
}

/// A database file this user may not write: SQLite would open it read-only without a
/// word and fail each write later; `poll` refuses at once, naming the file. Run as
/// root, the second poll runs as `nobody`, whom the file's mode does stop.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_this_user_may_not_write_is_named_at_once() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid only reads the calling process's effective user id.
    let root = unsafe { libc::geteuid() } == 0;
    // As root the second poll runs as nobody, who must reach the folder: /tmp.
    let dir = if root {
        tempfile::tempdir_in("/tmp").unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let server = FeedServer::start().await;
    let config = harbor_polled_once(dir.path(), &server).await;
    let database = dir.path().join("feedbraid.db");
    let set_mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    set_mode(dir.path(), 0o755);
    set_mode(&config, 0o644);
    set_mode(&database, 0o444);
    let mut poll = command(&["poll"], &config);
    if root {
        poll.uid(65534).gid(65534);
    }
    let out = match poll.output() {
        Ok(out) => out,
        // The binary's directories may be closed to nobody (a checkout under /root).
        Err(error) => {
            eprintln!("skipped: cannot run feedbraid as another user here: {error}");
            return;
        }
    };
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&database.display().to_string())
            && err.contains("cannot be opened for writing"),
        "{err}"
    );
    set_mode(&database, 0o644);
}

/// Another program reading the database (an inspection command, a backup) keeps
/// `poll`'s final checkpoint from folding the whole log in: the poll still succeeds,
/// says so, and nothing is lost.
#[tokio::test(flavor = "multi_thread")]
async fn poll_beside_a_reader_keeps_what_it_stored_and_says_the_log_stays() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start().await;
    let config = harbor_polled_once(dir.path(), &server).await;
    let database = dir.path().join("feedbraid.db");
    let reader = rusqlite::Connection::open(&database).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let before: i64 = reader
        .query_row("SELECT COUNT(*) FROM items", [], |row| row.get(0))
        .unwrap();
    server.set("harbor.xml", fixture("wire-copy.xml"));
    let polled = run(&["poll"], &config);
    assert_eq!(polled.status.code(), Some(0), "{}", text(&polled.stderr));
    assert!(
        text(&polled.stderr).contains("another program has the database open"),
        "{}",
        text(&polled.stderr)
    );
    reader.execute_batch("COMMIT").unwrap();
    let after: i64 = reader
        .query_row("SELECT COUNT(*) FROM items", [], |row| row.get(0))
        .unwrap();
    assert!(after > before, "{before} then {after}");
}
