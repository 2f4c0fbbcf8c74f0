//! Text reports for the command line: the sources table and its JSON form. Pure.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::model::SourceState;

fn rfc3339(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[derive(Serialize)]
struct SourceRow<'a> {
    name: &'a str,
    url: &'a str,
    current_url: &'a str,
    state: &'a str,
    http_status: Option<u16>,
    error: Option<&'a str>,
    error_streak: u32,
    last_attempt: Option<String>,
    last_success: Option<String>,
    next_poll: Option<String>,
    retry_after_until: Option<String>,
    items: u64,
    article_failures: u64,
    article_error: Option<&'a str>,
}

/// `feedbraid sources --format json`: an array of objects, times in RFC 3339 UTC
/// (`null` when unknown; `next_poll` is `null` for a gone source). `state` is one of
/// `new`, `ok`, `error`, `backoff`, `gone` (see `SourceState::state`).
/// `article_failures` counts the source's article pages (full text) that failed to
/// fetch, and `article_error` says why the last one did.
pub fn sources_json(states: &[SourceState]) -> serde_json::Result<String> {
    let rows: Vec<SourceRow<'_>> = states
        .iter()
        .map(|s| SourceRow {
            name: &s.name,
            url: &s.url,
            current_url: if s.current_url.is_empty() {
                &s.url
            } else {
                &s.current_url
            },
            state: s.state(),
            http_status: s.http_status,
            error: s.error.as_deref(),
            error_streak: s.error_streak,
            last_attempt: rfc3339(s.last_attempt),
            last_success: rfc3339(s.last_success),
            next_poll: rfc3339(s.next_poll),
            retry_after_until: rfc3339(s.retry_after_until),
            items: s.items,
            article_failures: s.article_failures,
            article_error: s.article_error.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&rows)
}

/// The error column: the error, and the URL polled when it is not the configured one.
fn error_and_url(s: &SourceState) -> String {
    let mut text = s.error.clone().unwrap_or_default();
    if !s.current_url.is_empty() && s.current_url != s.url {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&format!("polling {} (permanent redirect)", s.current_url));
    }
    text
}

/// `feedbraid sources`: one aligned row per source.
pub fn sources_table(states: &[SourceState]) -> String {
    let short = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let mut rows = vec![[
        "NAME".to_string(),
        "STATE".into(),
        "HTTP".into(),
        "STREAK".into(),
        "LAST ATTEMPT".into(),
        "LAST SUCCESS".into(),
        "NEXT POLL".into(),
        "ITEMS".into(),
        "ERROR".into(),
    ]];
    for s in states {
        rows.push([
            s.name.clone(),
            s.state().into(),
            s.http_status.map_or("-".into(), |c| c.to_string()),
            s.error_streak.to_string(),
            short(s.last_attempt),
            short(s.last_success),
            short(s.next_poll),
            s.items.to_string(),
            error_and_url(s),
        ]);
    }
    let mut widths = [0usize; 9];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SourceState {
        SourceState {
            name: "bbc-world".into(),
            url: "https://feeds.example/world.rss".into(),
            last_attempt: DateTime::from_timestamp(1_780_000_000, 0),
            http_status: Some(503),
            error: Some("HTTP 503".into()),
            error_streak: 2,
            next_poll: DateTime::from_timestamp(1_780_003_600, 0),
            items: 12,
            ..SourceState::default()
        }
    }

    #[test]
    fn json_has_the_documented_fields() {
        let text = sources_json(&[state()]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let row = &v[0];
        assert_eq!(row["name"], "bbc-world");
        assert_eq!(row["state"], "backoff");
        assert_eq!(row["http_status"], 503);
        assert_eq!(row["error_streak"], 2);
        assert_eq!(row["items"], 12);
        assert_eq!(row["next_poll"], "2026-05-28T21:26:40Z");
        assert!(row.get("url").is_some() && row.get("error").is_some());
    }

    #[test]
    fn table_aligns_columns() {
        let text = sources_table(&[state()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].find("STATE"), lines[1].find("backoff"));
    }

    #[test]
    fn states_are_new_ok_error_backoff_gone() {
        let base = state();
        let with = |f: &dyn Fn(&mut SourceState)| {
            let mut s = base.clone();
            f(&mut s);
            s.state()
        };
        assert_eq!(with(&|s| s.last_attempt = None), "new");
        assert_eq!(with(&|s| s.error_streak = 0), "ok");
        assert_eq!(with(&|s| s.error_streak = 1), "error");
        assert_eq!(with(&|s| s.error_streak = 2), "backoff");
        assert_eq!(
            with(&|s| {
                s.error_streak = 1;
                s.retry_after_until = DateTime::from_timestamp(1_780_000_600, 0);
            }),
            "backoff"
        );
        assert_eq!(with(&|s| s.gone = true), "gone");
    }

    #[test]
    fn an_adopted_url_is_shown() {
        let mut s = state();
        s.current_url = "https://feeds.example/moved.rss".into();
        let text = sources_table(std::slice::from_ref(&s));
        assert!(
            text.contains("polling https://feeds.example/moved.rss"),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&sources_json(&[s]).unwrap()).unwrap();
        assert_eq!(v[0]["current_url"], "https://feeds.example/moved.rss");
        assert_eq!(v[0]["url"], "https://feeds.example/world.rss");
    }
}
