//! Every kind of config problem, each located by line and key, and all of them
//! reported together.

use std::path::Path;

use feedbraid::config::{Config, ConfigError};

use super::{MINIMAL, assert_problem, problems, valid};

#[test]
fn a_syntax_error_is_a_problem_with_its_line() {
    let found = problems("[server]\nlisten = \"127.0.0.1:8088\nport = 1\n");
    assert_eq!(found[0].line, Some(2), "{found:?}");
    assert!(found[0].message.starts_with("TOML syntax"), "{found:?}");
    assert_problem("[[source]\nname = \"x\"\n", 1, "", "TOML syntax");
}

#[test]
fn a_cascade_of_syntax_errors_is_one_problem_per_line() {
    let found = problems("a = 1\nb = [1,\nc = 'x\n[d]]\n");
    let mut lines: Vec<Option<usize>> = found.iter().map(|p| p.line).collect();
    let count = lines.len();
    lines.dedup();
    assert_eq!(lines.len(), count, "{found:?}");
    assert!(found.iter().all(|p| p.key.is_none()));
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
        &feed("title = \" \"\n"),
        8,
        r#"feed "everything".title"#,
        "empty",
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
        "[storage]\npath = \"a.db\"\nurl = \"postgres://db.example/news\"\n",
        3,
        "storage.url",
        "not both",
    );
    assert_problem(
        "[storage]\nurl = \"mysql://db.example/news\"\n",
        2,
        "storage.url",
        "postgres://",
    );
    assert_problem(
        "[storage]\nurl = \"postgres://db.example\"\n",
        2,
        "storage.url",
        "names no database",
    );
    assert_problem(
        "[storage]\nurl = \"postgres://db.example/news\"\nlease = \"10s\"\n[fetch]\ntimeout = \"30s\"\n",
        3,
        "storage.lease",
        "longer than fetch.timeout",
    );
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
        "[fetch]\nper_host_interval = \"fast\"\n",
        2,
        "fetch.per_host_interval",
        "expected a number and a unit",
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
