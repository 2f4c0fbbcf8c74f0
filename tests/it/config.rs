//! The config module seen from outside: the example config, defaults, every problem
//! kind with its line and key, path resolution, units and the `check` summary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use feedbraid::config::{
    Config, ConfigError, DEFAULT_CONFIG_PATH, DedupMode, Problem, SourceTiming, parse_duration,
    parse_size, resolve_config_path_with,
};

mod problems;

const CONFIG_PATH: &str = "/srv/feedbraid/feedbraid.toml";

const MINIMAL: &str = r#"
[[source]]
name = "bbc-world"
url = "https://feeds.bbci.co.uk/news/world/rss.xml"

[[feed]]
name = "everything"
"#;

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feedbraid.toml")
}

fn valid(text: &str) -> Config {
    match Config::from_toml(Path::new(CONFIG_PATH), text) {
        Ok(config) => config,
        Err(error) => panic!("expected a valid config, got:\n{error}"),
    }
}

fn problems(text: &str) -> Vec<Problem> {
    match Config::from_toml(Path::new(CONFIG_PATH), text) {
        Ok(_) => panic!("expected problems, the config was accepted:\n{text}"),
        Err(ConfigError::Invalid(problems)) => problems,
        Err(other) => panic!("expected Invalid, got {other}"),
    }
}

/// Asserts that `text` yields a problem at `line` for `key` (`""`: no key) whose message
/// contains `needle`.
#[track_caller]
fn assert_problem(text: &str, line: usize, key: &str, needle: &str) {
    let found = problems(text);
    assert!(
        found.iter().any(|p| p.line == Some(line)
            && p.key.as_deref().unwrap_or("") == key
            && p.message.contains(needle)),
        "expected line {line}, key {key}, message containing {needle:?}; got:\n{}",
        found.iter().map(|p| format!("  {p}\n")).collect::<String>()
    );
}

#[test]
fn the_example_config_validates() {
    let config = Config::load(&example_path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8088");
    assert_eq!(
        config.storage.path,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feedbraid.db")
    );
    assert!((6..=10).contains(&config.sources.len()));
    let names: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["iran", "china-trade", "world-no-sport", "everything"]
    );
    assert!(config.source("urdupoint-world").is_some());
    assert!(matches!(
        config.source("france24").map(|s| &s.timing),
        Some(SourceTiming::Schedule(_))
    ));
    assert_eq!(
        config.source("bbc-world").map(|s| &s.timing),
        Some(&SourceTiming::Interval(Duration::from_secs(900)))
    );
    assert_eq!(config.topics.len(), 2);
    let everything = config.feed("everything").unwrap();
    assert_eq!(
        config.sources_of_feed(everything).len(),
        config.sources.len()
    );
}

#[test]
fn absent_keys_take_their_defaults() {
    let config = valid(MINIMAL);
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8088");
    assert_eq!(config.server.base_url.as_str(), "http://127.0.0.1:8088/");
    assert_eq!(
        config.storage.path,
        Path::new("/srv/feedbraid/feedbraid.db")
    );
    assert_eq!(config.storage.retention, Duration::from_secs(30 * 86_400));
    assert_eq!(config.storage.url, None, "SQLite unless a server is named");
    let fetch = &config.fetch;
    assert_eq!(fetch.interval, Duration::from_secs(30 * 60));
    assert_eq!(fetch.min_interval, Duration::from_secs(5 * 60));
    assert_eq!(fetch.max_interval, Duration::from_secs(24 * 3600));
    assert_eq!(fetch.concurrency, 32);
    assert_eq!(fetch.per_host, 2);
    assert_eq!(fetch.per_host_interval, Duration::from_millis(250));
    assert_eq!(fetch.timeout, Duration::from_secs(20));
    assert_eq!(fetch.max_body, 15 * 1024 * 1024);
    assert!(!fetch.allow_private_networks);
    assert_eq!(
        fetch.user_agent,
        format!(
            "feedbraid/{} (+https://github.com/feedbraid/feedbraid)",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(config.dedup.window, Duration::from_secs(72 * 3600));
    assert_eq!(config.dedup.threshold, None);

    let source = &config.sources[0];
    assert_eq!(source.title, None);
    assert!(source.tags.is_empty());
    assert_eq!(source.timing, SourceTiming::Interval(fetch.interval));
    assert!(!source.allow_private_networks);
    assert_eq!(source.priority, 0);
    assert_eq!(source.max_items, None);

    let feed = &config.feeds[0];
    assert_eq!(feed.title, "everything");
    assert_eq!(feed.description, "");
    assert_eq!(feed.limit, 50);
    assert_eq!(feed.dedup, DedupMode::Collapse);
    assert_eq!(feed.token, None);
    assert_eq!(feed.query, None);
    assert!(config.warnings.is_empty());
}

#[test]
fn written_values_replace_defaults() {
    let config = valid(
        r#"
[server]
listen = "[::]:9000"
base_url = "https://news.example.org/braid/"
[storage]
path = "/var/lib/feedbraid/items.db"
retention = "2w"
[fetch]
interval = "10m"
min_interval = "1m"
max_interval = "12h"
concurrency = 8
per_host = 1
per_host_interval = "0s"
timeout = "500ms"
max_body = 1048576
allow_private_networks = true
user_agent = "newsroom-bot/2"
[dedup]
window = "2d"
threshold = 0.75
[[source]]
name = "intranet"
url = "http://10.0.0.5/feed.xml"
schedule = "0 */10 * * * *"
allow_private_networks = false
priority = 5
max_items = 1000
[[feed]]
name = "all"
limit = 100000
dedup = "keep"
token = "s3cret"
"#,
    );
    assert_eq!(config.server.listen.to_string(), "[::]:9000");
    assert_eq!(
        config.server.base_url.as_str(),
        "https://news.example.org/braid"
    );
    assert_eq!(
        config.server.public_url("/feeds/all.rss"),
        "https://news.example.org/braid/feeds/all.rss"
    );
    assert_eq!(
        config.storage.path,
        Path::new("/var/lib/feedbraid/items.db")
    );
    assert_eq!(config.storage.retention, Duration::from_secs(14 * 86_400));
    assert_eq!(config.fetch.per_host_interval, Duration::ZERO);
    assert_eq!(config.fetch.timeout, Duration::from_millis(500));
    assert_eq!(config.fetch.max_body, 1_048_576);
    assert!(config.fetch.allow_private_networks);
    assert_eq!(config.fetch.user_agent, "newsroom-bot/2");
    assert_eq!(config.dedup.threshold, Some(0.75));
    let source = &config.sources[0];
    assert_eq!(
        source.timing,
        SourceTiming::Schedule("0 */10 * * * *".into())
    );
    assert!(!source.allow_private_networks, "the source's own flag wins");
    assert_eq!((source.priority, source.max_items), (5, Some(1000)));
    let feed = &config.feeds[0];
    assert_eq!((feed.limit, feed.dedup), (100_000, DedupMode::Keep));
    assert_eq!(feed.token.as_deref(), Some("s3cret"));
}

#[test]
fn a_source_inherits_allow_private_networks_from_fetch() {
    let config = valid(&format!(
        "[fetch]\nallow_private_networks = true\n{MINIMAL}"
    ));
    assert!(config.sources[0].allow_private_networks);
}

#[test]
fn base_url_defaults_to_listen() {
    let config = valid(&format!("[server]\nlisten = \"0.0.0.0:80\"\n{MINIMAL}"));
    assert_eq!(config.server.base_url.as_str(), "http://0.0.0.0/");
    assert_eq!(
        config.server.public_url("/feeds/everything.json"),
        "http://0.0.0.0/feeds/everything.json"
    );
}

#[test]
fn relative_storage_paths_resolve_against_the_config_folder() {
    let text = format!("[storage]\npath = \"data/items.db\"\n{MINIMAL}");
    let config = Config::from_toml(Path::new("/etc/feedbraid/feedbraid.toml"), &text).unwrap();
    assert_eq!(
        config.storage.path,
        Path::new("/etc/feedbraid/data/items.db")
    );

    let config = Config::from_toml(Path::new("feedbraid.toml"), &text).unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(config.storage.path, cwd.join("data/items.db"));

    let text = format!("[storage]\npath = \"/var/lib/feedbraid/x.db\"\n{MINIMAL}");
    let config = Config::from_toml(Path::new("/etc/feedbraid/feedbraid.toml"), &text).unwrap();
    assert_eq!(config.storage.path, Path::new("/var/lib/feedbraid/x.db"));
}

#[test]
fn an_unreadable_file_is_a_read_error() {
    let missing = Path::new("/nonexistent/feedbraid/feedbraid.toml");
    assert!(matches!(
        Config::load(missing),
        Err(ConfigError::Read { .. })
    ));
}

#[test]
fn durations_and_sizes_parse_per_the_table() {
    let durations = [
        ("500ms", Some(Duration::from_millis(500))),
        ("90s", Some(Duration::from_secs(90))),
        ("15m", Some(Duration::from_secs(900))),
        ("2h", Some(Duration::from_secs(7200))),
        ("30d", Some(Duration::from_secs(2_592_000))),
        ("1w", Some(Duration::from_secs(604_800))),
        ("1.5h", None),
        ("15", None),
        ("15 m", None),
        ("soon", None),
    ];
    for (text, expected) in durations {
        assert_eq!(parse_duration(text).ok(), expected, "{text:?}");
    }
    let sizes = [
        ("100B", Some(100)),
        ("2048", Some(2048)),
        ("512KiB", Some(524_288)),
        ("15MiB", Some(15_728_640)),
        ("1GiB", Some(1_073_741_824)),
        ("10kB", Some(10_000)),
        ("2MB", Some(2_000_000)),
        ("15mb", None),
        ("1.5MiB", None),
        ("big", None),
    ];
    for (text, expected) in sizes {
        assert_eq!(parse_size(text).ok(), expected, "{text:?}");
    }
}

#[test]
fn summary_names_the_file_counts_database_listener_and_feeds() {
    let text = format!(
        "{MINIMAL}\n[[source]]\nname = \"npr\"\nurl = \"https://feeds.npr.org/1004/rss.xml\"\ntags = [\"us\"]\n\n[[feed]]\nname = \"us\"\ntags = [\"us\"]\ntoken = \"t0ken\"\n"
    );
    let summary = valid(&text).summary();
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(
        lines,
        [
            "config OK: /srv/feedbraid/feedbraid.toml (2 sources, 2 feeds, database /srv/feedbraid/feedbraid.db, serving on 127.0.0.1:8088)",
            "  feed everything: reads 2 of 2 sources, at http://127.0.0.1:8088/feeds/everything.rss",
            "  feed us: reads 1 of 2 sources, at http://127.0.0.1:8088/feeds/us.rss, token required",
        ]
    );
    assert!(!summary.contains("t0ken"), "a token is never shown");
}

#[test]
fn summary_of_the_example_lists_each_feed() {
    let config = Config::load(&example_path()).unwrap();
    let summary = config.summary();
    assert!(summary.starts_with("config OK: "));
    assert_eq!(summary.lines().count(), 1 + config.feeds.len());
}

#[test]
fn config_path_comes_from_flag_then_env_then_default() {
    let flag = Path::new("/tmp/flag.toml");
    assert_eq!(
        resolve_config_path_with(Some(flag), Some("/tmp/env.toml".into())),
        flag
    );
    assert_eq!(
        resolve_config_path_with(None, Some("/tmp/env.toml".into())),
        Path::new("/tmp/env.toml")
    );
    assert_eq!(
        resolve_config_path_with(None, Some("".into())),
        Path::new(DEFAULT_CONFIG_PATH)
    );
    assert_eq!(
        resolve_config_path_with(None, None),
        Path::new(DEFAULT_CONFIG_PATH)
    );
}

#[test]
fn a_postgres_url_selects_the_server_and_its_password_is_never_shown() {
    let config = valid(&format!(
        "[storage]\nurl = \"postgres://feedbraid:hunter2@db.example:5432/news\"\n{MINIMAL}"
    ));
    assert_eq!(
        config.storage.url.as_deref(),
        Some("postgres://feedbraid:hunter2@db.example:5432/news")
    );
    let shown = config.storage.database();
    assert!(shown.contains("db.example:5432/news"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!config.summary().contains("hunter2"));
    let in_query = feedbraid::config::redacted_database_url(
        "postgres://feedbraid@db.example/news?password=hunter2&sslmode=disable",
    );
    assert!(!in_query.contains("hunter2"), "{in_query}");
    assert!(in_query.contains("sslmode=disable"), "{in_query}");
}

#[test]
fn a_postgres_ca_file_is_read_beside_the_config_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("feedbraid.toml");
    let text = |file: &str| {
        format!(
            "[storage]\nurl = \"postgres://feedbraid:hunter2@db.example/news?sslmode=verify-full&sslrootcert={file}\"\n{MINIMAL}"
        )
    };
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    std::fs::write(
        dir.path().join("certs/db-ca.pem"),
        "-----BEGIN CERTIFICATE-----\n",
    )
    .unwrap();
    let config = Config::from_toml(&config_path, &text("certs/db-ca.pem")).unwrap();
    let absolute = std::path::absolute(dir.path().join("certs/db-ca.pem")).unwrap();
    let url = config.storage.url.clone().unwrap();
    assert!(
        url.ends_with(&format!("sslrootcert={}", absolute.display())),
        "{url}"
    );
    let shown = config.storage.database();
    assert!(shown.contains("sslrootcert=/"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");

    let Err(ConfigError::Invalid(problems)) = Config::from_toml(&config_path, &text("nowhere.pem"))
    else {
        panic!("a missing CA file was accepted");
    };
    let message = problems[0].to_string();
    assert!(message.contains("storage.url"), "{message}");
    assert!(
        message.contains(&dir.path().join("nowhere.pem").display().to_string()),
        "{message}"
    );
}
