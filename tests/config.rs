//! The config module seen from outside: the example config, defaults, every problem
//! kind with its line and key, path resolution, units and the `check` summary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use feedbraid::config::{
    Config, ConfigError, DEFAULT_CONFIG_PATH, DedupMode, Problem, SourceTiming, parse_duration,
    parse_size, resolve_config_path_with,
};

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
    let fetch = &config.fetch;
    assert_eq!(fetch.interval, Duration::from_secs(30 * 60));
    assert_eq!(fetch.min_interval, Duration::from_secs(5 * 60));
    assert_eq!(fetch.max_interval, Duration::from_secs(24 * 3600));
    assert_eq!(fetch.concurrency, 32);
    assert_eq!(fetch.per_host, 2);
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
fn a_syntax_error_is_a_problem_with_its_line() {
    let found = problems("[server]\nlisten = \"127.0.0.1:8088\nport = 1\n");
    assert_eq!(found[0].line, Some(2), "{found:?}");
    assert!(found[0].message.starts_with("TOML syntax"), "{found:?}");
    assert_problem("[[source]\nname = \"x\"\n", 1, "", "TOML syntax");
}

#[test]
fn unknown_keys_are_problems_everywhere() {
    assert_problem(
        "[server]\nport = 8088\n",
        2,
        "server.port",
        "unknown key `port`",
    );
    assert_problem(
        "[fetch]\n\nretries = 3\n",
        3,
        "fetch.retries",
        "unknown key",
    );
    assert_problem("[sources]\n", 1, "sources", "did you mean [[source]]");
    assert_problem("verbose = true\n", 1, "verbose", "unknown");
    let text = format!(
        "{MINIMAL}\n[[source]]\nname = \"npr\"\nurl = \"https://feeds.npr.org/1004/rss.xml\"\nlink = \"x\"\n"
    );
    assert_problem(&text, 12, r#"source "npr".link"#, "unknown key `link`");
    let text = format!("{MINIMAL}color = \"red\"\n");
    assert_problem(&text, 8, r#"feed "everything".color"#, "unknown key");
    assert_problem(
        "[dedup]\nwindows = \"1h\"\n",
        2,
        "dedup.windows",
        "unknown key",
    );
}

#[test]
fn wrong_types_are_problems() {
    assert_problem(
        "[fetch]\nconcurrency = \"many\"\n",
        2,
        "fetch.concurrency",
        "wrong type",
    );
    assert_problem(
        "[fetch]\nallow_private_networks = \"yes\"\n",
        2,
        "fetch.allow_private_networks",
        "wrong type",
    );
    assert_problem("[fetch]\ntimeout = 20\n", 2, "fetch.timeout", "wrong type");
    assert_problem("server = 5\n", 1, "server", "expected a table");
    assert_problem("[source]\nname = \"x\"\n", 1, "source", "[[source]]");
    let text = "[[source]]\nname = \"a\"\nurl = \"https://a.example/rss\"\ntags = [\"world\", 3]\n";
    assert_problem(text, 4, r#"source "a".tags"#, "wrong type");
    // A required key of the wrong type is reported once, not also as missing.
    let found = problems("[[source]]\nname = 7\nurl = \"https://a.example/rss\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key.as_deref(), Some("source[1].name"));
}

#[test]
fn source_problems_are_located() {
    let source = |body: &str| format!("[[source]]\n{body}");
    assert_problem(
        &source("url = \"https://a.example/rss\"\n"),
        1,
        "source[1].name",
        "required",
    );
    assert_problem(
        &source("name = \"a\"\n"),
        1,
        r#"source "a".url"#,
        "required",
    );
    assert_problem(
        &source("name = \"bbc world\"\nurl = \"https://a.example/\"\n"),
        2,
        r#"source "bbc world".name"#,
        "not a valid name",
    );
    assert_problem(
        &source("name = \"\"\nurl = \"https://a.example/\"\n"),
        2,
        r#"source "".name"#,
        "not a valid name",
    );
    assert_problem(
        &source("name = \"a\"\nurl = \"ftp://a.example/rss\"\n"),
        3,
        r#"source "a".url"#,
        "http",
    );
    assert_problem(
        &source("name = \"a\"\nurl = \"/news/rss.xml\"\n"),
        3,
        r#"source "a".url"#,
        "not a URL",
    );
    assert_problem(
        &source("name = \"a\"\nurl = \"https://a.example/\"\ninterval = \"0m\"\n"),
        4,
        r#"source "a".interval"#,
        "longer than zero",
    );
    assert_problem(
        &source("name = \"a\"\nurl = \"https://a.example/\"\ninterval = \"15mins\"\n"),
        4,
        r#"source "a".interval"#,
        "unknown unit",
    );
    assert_problem(
        &source(
            "name = \"a\"\nurl = \"https://a.example/\"\ninterval = \"15m\"\nschedule = \"0 */10 * * * *\"\n",
        ),
        5,
        r#"source "a".schedule"#,
        "exclusive",
    );
    // Five fields (no seconds) is not accepted: seconds come first.
    assert_problem(
        &source("name = \"a\"\nurl = \"https://a.example/\"\nschedule = \"*/10 * * * *\"\n"),
        4,
        r#"source "a".schedule"#,
        "seconds first",
    );
    assert_problem(
        &source("name = \"a\"\nurl = \"https://a.example/\"\nschedule = \"0 */10 * * * * * *\"\n"),
        4,
        r#"source "a".schedule"#,
        "cron",
    );
    assert_problem(
        &source("name = \"a\"\nurl = \"https://a.example/\"\nschedule = \"0 61 * * * *\"\n"),
        4,
        r#"source "a".schedule"#,
        "cron",
    );
    assert_problem(
        &source("name = \"a\"\nurl = \"https://a.example/\"\nmax_items = 0\n"),
        4,
        r#"source "a".max_items"#,
        "at least 1",
    );
    assert_problem(
        &source("name = \"a\"\nurl = \"https://a.example/\"\npriority = 9999999999\n"),
        4,
        r#"source "a".priority"#,
        "out of range",
    );
}

#[test]
fn duplicate_names_are_problems() {
    let text = "[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\n\n[[source]]\nname = \"a\"\nurl = \"https://b.example/\"\n\n[[feed]]\nname = \"f\"\n[[feed]]\nname = \"f\"\n";
    assert_problem(
        text,
        6,
        r#"source "a".name"#,
        "duplicate name \"a\" (first used on line 2)",
    );
    assert_problem(
        text,
        12,
        r#"feed "f".name"#,
        "duplicate name \"f\" (first used on line 10)",
    );
}

#[test]
fn feed_problems_are_located() {
    let feed = |body: &str| format!("{MINIMAL}{body}");
    // MINIMAL is 7 lines; the feed's own keys start on line 8.
    assert_problem(
        &feed("sources = [\"bbc-world\",\n  \"reuters\"]\n"),
        9,
        r#"feed "everything".sources"#,
        "unknown source \"reuters\"",
    );
    assert_problem(
        &feed("limit = 0\n"),
        8,
        r#"feed "everything".limit"#,
        "at least 1",
    );
    assert_problem(
        &feed("dedup = \"merge\"\n"),
        8,
        r#"feed "everything".dedup"#,
        "\"collapse\" or \"keep\"",
    );
    assert_problem(
        &feed("include = [\"Iran\", \"\"]\n"),
        8,
        r#"feed "everything".include"#,
        "empty",
    );
    assert_problem(
        &feed("token = \"two words\"\n"),
        8,
        r#"feed "everything".token"#,
        "no spaces",
    );
    assert_problem(
        "[[feed]]\nname = \"world news\"\n",
        2,
        r#"feed "world news".name"#,
        "not a valid name",
    );
    assert_problem("[[feed]]\ntitle = \"x\"\n", 1, "feed[1].name", "required");
}

#[test]
fn a_feed_tag_no_source_carries_is_a_warning() {
    let config = valid(&format!("{MINIMAL}tags = [\"sport\"]\n"));
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    let warning = &config.warnings[0];
    assert_eq!(warning.line, Some(8));
    assert_eq!(warning.key.as_deref(), Some(r#"feed "everything".tags"#));
    assert!(warning.message.contains("\"sport\""));
}

#[test]
fn server_problems_are_located() {
    assert_problem(
        "[server]\nlisten = \"localhost\"\n",
        2,
        "server.listen",
        "address:port",
    );
    assert_problem(
        "[server]\nlisten = \"127.0.0.1\"\n",
        2,
        "server.listen",
        "address:port",
    );
    assert_problem(
        "[server]\nbase_url = \"ftp://x.example\"\n",
        2,
        "server.base_url",
        "http",
    );
    assert_problem(
        "[server]\nbase_url = \"news.example.org\"\n",
        2,
        "server.base_url",
        "not a URL",
    );
}

#[test]
fn storage_and_fetch_problems_are_located() {
    assert_problem("[storage]\npath = \"\"\n", 2, "storage.path", "empty");
    assert_problem(
        "[storage]\nretention = \"forever\"\n",
        2,
        "storage.retention",
        "expected a number",
    );
    assert_problem(
        "[fetch]\ninterval = \"0s\"\n",
        2,
        "fetch.interval",
        "longer than zero",
    );
    assert_problem(
        "[fetch]\ntimeout = \"0ms\"\n",
        2,
        "fetch.timeout",
        "longer than zero",
    );
    assert_problem(
        "[fetch]\nconcurrency = 0\n",
        2,
        "fetch.concurrency",
        "at least 1",
    );
    assert_problem(
        "[fetch]\nper_host = -2\n",
        2,
        "fetch.per_host",
        "at least 1",
    );
    assert_problem(
        "[fetch]\nmax_body = \"15 MB\"\n",
        2,
        "fetch.max_body",
        "15 MB",
    );
    assert_problem(
        "[fetch]\nmax_body = 0\n",
        2,
        "fetch.max_body",
        "larger than zero",
    );
    assert_problem(
        "[fetch]\nmin_interval = \"2h\"\nmax_interval = \"1h\"\n",
        2,
        "fetch.min_interval",
        "longer than max_interval",
    );
    assert_problem(
        "[fetch]\nmax_interval = \"1m\"\n",
        2,
        "fetch.max_interval",
        "longer than max_interval",
    );
    assert_problem(
        "[fetch]\nuser_agent = \"\"\n",
        2,
        "fetch.user_agent",
        "non-empty",
    );
    assert_problem(
        "[dedup]\nthreshold = 1.5\n",
        2,
        "dedup.threshold",
        "between 0.0 and 1.0",
    );
}

#[test]
fn topic_names_follow_the_name_rule() {
    assert_problem(
        "[topics]\n\"gulf states\" = \"iran OR iraq\"\n",
        2,
        "topics.gulf states",
        "not a valid topic name",
    );
    assert_problem("[topics]\ngulf = 3\n", 2, "topics.gulf", "wrong type");
    let config = valid(&format!("[topics]\ngulf = \"iran OR iraq\"\n{MINIMAL}"));
    assert_eq!(
        config.topics.get("gulf").map(String::as_str),
        Some("iran OR iraq")
    );
}

#[test]
fn every_problem_is_reported_together_in_file_order() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/many-problems.toml");
    let found = match Config::load(&path) {
        Err(ConfigError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    };
    let located: Vec<(Option<usize>, Option<&str>)> =
        found.iter().map(|p| (p.line, p.key.as_deref())).collect();
    assert_eq!(
        located,
        [
            (Some(3), Some("server.listen")),
            (Some(6), Some("fetch.timeout")),
            (Some(7), Some("fetch.concurrency")),
            (Some(8), Some("fetch.retries")),
            (Some(11), Some(r#"source "bbc world".name"#)),
            (Some(12), Some(r#"source "bbc world".url"#)),
            (Some(18), Some(r#"source "npr-world".schedule"#)),
            (Some(21), Some(r#"source "npr-world".name"#)),
            (Some(26), Some(r#"feed "iran".sources"#)),
            (Some(27), Some(r#"feed "iran".dedup"#)),
        ],
        "{found:#?}"
    );
    // Each problem prints as file:line: key: message, one per line.
    let printed = ConfigError::Invalid(found).to_string();
    assert_eq!(printed.lines().count(), 10);
    assert!(
        printed
            .lines()
            .all(|line| line.starts_with(&format!("{}:", path.display())))
    );
    assert!(
        printed.contains(
            "many-problems.toml:26: feed \"iran\".sources: unknown source \"reuters-world\""
        ),
        "{printed}"
    );
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
