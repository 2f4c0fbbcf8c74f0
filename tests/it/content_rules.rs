//! A source's content rules: removals, rewrites and keep/drop queries applied to its
//! items before they are stored; each rule checked by the config with file, line and
//! key; and `feedbraid preview`, which shows what a source's items become.

use std::path::Path;
use std::process::Command;

use crate::common::script::{Reply, ScriptServer};
use crate::common::write_config_with_fetch;
use crate::full_text::{harness, page, rss, stored};
use feedbraid::config::{Config, ConfigError, Problem};

fn problems(text: &str) -> Vec<Problem> {
    match Config::from_toml(Path::new("/srv/feedbraid/feedbraid.toml"), text) {
        Ok(_) => panic!("expected problems, the config was accepted:\n{text}"),
        Err(ConfigError::Invalid(problems)) => problems,
        Err(other) => panic!("expected Invalid, got {other}"),
    }
}

#[track_caller]
fn assert_problem(found: &[Problem], line: usize, key: &str, needle: &str) {
    assert!(
        found.iter().any(|p| p.line == Some(line)
            && p.key.as_deref() == Some(key)
            && p.message.contains(needle)),
        "expected line {line}, key {key}, message containing {needle:?}; got:\n{}",
        found.iter().map(|p| format!("  {p}\n")).collect::<String>()
    );
}

#[test]
fn every_rule_that_fails_to_compile_names_its_line_and_key() {
    let text = r#"
[[source]]
name = "harbor"
url = "https://harbor.example/rss"
full_text = "div["
remove = [".share", "p:nth-child("]
keep_if = 'iran AND ('
drop_if = "@nosuchtopic"

[[source.rewrite]]
field = "headline"
pattern = "x"

[[source.rewrite]]
field = "title"
pattern = "(unclosed"

[[source.rewrite]]
replace = "y"

[[source]]
name = "lakeside"
url = "https://lakeside.example/rss"
full_text = 3
"#;
    let found = problems(text);
    assert_problem(
        &found,
        5,
        "source \"harbor\".full_text",
        "`div[` is not a usable CSS selector",
    );
    assert_problem(&found, 6, "source \"harbor\".remove", "p:nth-child(");
    assert_problem(&found, 7, "source \"harbor\".keep_if", "");
    assert_problem(&found, 8, "source \"harbor\".drop_if", "nosuchtopic");
    assert_problem(
        &found,
        11,
        "source \"harbor\".rewrite[1].field",
        "\"title\", \"content\" or \"link\"",
    );
    assert_problem(
        &found,
        16,
        "source \"harbor\".rewrite[2].pattern",
        "not a regular expression",
    );
    assert_problem(&found, 18, "source \"harbor\".rewrite[3].field", "missing");
    assert_problem(
        &found,
        18,
        "source \"harbor\".rewrite[3].pattern",
        "missing",
    );
    assert_problem(
        &found,
        24,
        "source \"lakeside\".full_text",
        "true, false or a CSS selector",
    );
    assert!(
        found.iter().all(|p| !p.message.contains('\n')),
        "one line per problem: {found:?}"
    );
}

#[test]
fn rules_that_compile_are_kept_in_order() {
    let text = r#"
[topics]
sport = 'category:sport OR football'

[[source]]
name = "harbor"
url = "https://harbor.example/rss"
full_text = "div.story-body"
remove = [".share"]
drop_if = "@sport"

[[source.rewrite]]
field = "title"
pattern = '\s+-\s+Wire$'

[[source.rewrite]]
field = "link"
pattern = '\?utm_[a-z]+=[^&]*$'
"#;
    let config =
        Config::from_toml(Path::new("/srv/f.toml"), text).unwrap_or_else(|e| panic!("{e}"));
    let rules = &config.sources[0].rules;
    assert!(config.sources[0].wants_full_text());
    assert_eq!(rules.rewrites.len(), 2);
    assert_eq!(
        rules.rewrites[0].replace, "",
        "an absent replace deletes the match"
    );
    assert!(rules.drop_if.is_some() && rules.keep_if.is_none());
    let summary = config.summary();
    assert!(
        summary.contains(
            "\n  source harbor: full text by selector div.story-body, 1 removal, 2 rewrites, drop_if"
        ),
        "{summary}"
    );
}

#[tokio::test]
async fn rules_shape_items_before_they_are_stored() {
    let server = ScriptServer::start().await;
    let (kept, tagged, sport) = (
        server.url("world/talks?utm_source=rss"),
        server.url("world/summit"),
        server.url("sport/final"),
    );
    let content = "<p>GENEVA (Wire) - Talks resumed.</p>\
                   <div class=\"share\"><a href=\"https://social.example/\">Share this</a></div>\
                   <p>Delegates met for six hours.</p>";
    let feed = rss(&[
        (
            "Talks resume in Geneva - Wire",
            &kept,
            "Talks resumed.",
            Some(content),
        ),
        ("Summit ends", &tagged, "Leaders left.", None),
        (
            "Cup final tonight - Wire",
            &sport,
            "Kick-off at eight.",
            None,
        ),
    ]);
    server.feed("feed.xml", &feed, "\"1\"");
    let db = crate::common::backends::TestDb::sqlite();
    let source = format!(
        r#"[[source]]
name = "wire"
url = "{}"
remove = [".share"]
keep_if = 'talks OR summit OR cup'
drop_if = 'title:cup'

[[source.rewrite]]
field = "title"
pattern = '\s+-\s+Wire$'

[[source.rewrite]]
field = "content"
pattern = '<p>[A-Z]+ \(Wire\) - '
replace = "<p>"

[[source.rewrite]]
field = "link"
pattern = '\?utm_source=rss$'

[[feed]]
name = "all"
"#,
        server.url("feed.xml")
    );
    let h = harness(&db, "", &source).await;
    let reports = h.poll().await;
    assert_eq!(
        reports[0].to_string(),
        "wire: 2 new, 0 updated, 0 unchanged"
    );
    let talks = stored(&h, &server.url("world/talks")).await;
    assert_eq!(talks.title, "Talks resume in Geneva");
    let body = talks.content_html.unwrap();
    assert!(body.starts_with("<p>Talks resumed.</p>"), "{body}");
    assert!(!body.contains("Share this"), "{body}");
    assert!(body.contains("six hours"), "{body}");
    assert!(
        h.ctx.store.find_item(&sport).await.unwrap().is_none(),
        "drop_if"
    );
    let mut titles = crate::common::titles(&h.json_feed("all").await);
    titles.sort();
    assert_eq!(titles, vec!["Summit ends", "Talks resume in Geneva"]);
    // Turned away again at the next poll, and nothing else changes.
    server.feed("feed.xml", &feed, "\"2\"");
    assert_eq!(h.poll().await[0].to_string(), "wire: unchanged (2 items)");
}

#[tokio::test]
async fn preview_shows_an_item_after_full_text_and_rules_and_stores_nothing() {
    let server = ScriptServer::start().await;
    let (story, sport) = (server.url("world/strike"), server.url("sport/cup"));
    let feed = rss(&[
        ("Port shut - Wire", &story, "Dockers stopped work.", None),
        ("Cup final", &sport, "Kick-off.", None),
    ]);
    server.feed("feed.xml", &feed, "\"1\"");
    server.set("world/strike", Reply::Html(page("wire.html")));
    let dir = tempfile::tempdir().unwrap();
    let source = format!(
        r#"[[source]]
name = "courier"
url = "{}"
full_text = true
drop_if = 'title:cup'

[[source.rewrite]]
field = "title"
pattern = '\s+-\s+Wire$'
"#,
        server.url("feed.xml")
    );
    let config = write_config_with_fetch(dir.path(), "timeout = \"3s\"", &source);
    // Off the test's one async thread, which serves the pages meanwhile.
    let run = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_feedbraid"));
        command.args(args).arg("-c").arg(&config);
        async move {
            let out = tokio::task::spawn_blocking(move || command.output().unwrap())
                .await
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            (
                out.status.code(),
                text,
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let (code, listing, stderr) = run(&["preview", "--source", "courier"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(listing.contains("[kept] Port shut\n"), "{listing}");
    assert!(
        listing.contains("[dropped by keep_if/drop_if] Cup final"),
        "{listing}"
    );
    assert!(
        listing.contains("content: the article from its page"),
        "{listing}"
    );
    assert!(listing.contains("thrown away like old rope"), "{listing}");
    let (code, second, _) = run(&["preview", "--source", "courier", "--item", "2"]).await;
    assert_eq!(code, Some(0));
    assert!(second.contains("title:   Cup final"), "{second}");
    assert!(second.contains("stored:  no"), "{second}");
    let (code, _, stderr) = run(&["preview", "--source", "nobody"]).await;
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no source named \"nobody\""), "{stderr}");
    let (code, _, stderr) = run(&["preview", "--source", "courier", "--item", "9"]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        !dir.path().join("feedbraid.db").exists(),
        "preview stores nothing"
    );
}
