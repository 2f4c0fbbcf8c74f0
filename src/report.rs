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
    state: &'a str,
    http_status: Option<u16>,
    error: Option<&'a str>,
    error_streak: u32,
    last_attempt: Option<String>,
    last_success: Option<String>,
    next_poll: Option<String>,
    items: u64,
}

/// `feedbraid sources --format json`: an array of objects, times in RFC 3339 UTC.
pub fn sources_json(states: &[SourceState]) -> serde_json::Result<String> {
    let rows: Vec<SourceRow<'_>> = states
        .iter()
        .map(|s| SourceRow {
            name: &s.name,
            url: &s.url,
            state: s.state(),
            http_status: s.http_status,
            error: s.error.as_deref(),
            error_streak: s.error_streak,
            last_attempt: rfc3339(s.last_attempt),
            last_success: rfc3339(s.last_success),
            next_poll: rfc3339(s.next_poll),
            items: s.items,
        })
        .collect();
    serde_json::to_string_pretty(&rows)
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
            short(s.last_success),
            short(s.next_poll),
            s.items.to_string(),
            s.error.clone().unwrap_or_default(),
        ]);
    }
    let mut widths = [0usize; 8];
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
        assert_eq!(row["state"], "error");
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
        assert_eq!(lines[0].find("STATE"), lines[1].find("error"));
    }
}
