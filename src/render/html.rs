//! The `/` status page: server-rendered HTML5 with a little inline CSS and no
//! JavaScript, readable on a phone. It lists the output feeds with subscribe links,
//! the sources with their health (problems first) and the latest stories with how
//! many outlets carried them. Every piece of text is escaped; protected feeds never
//! show a token (the page does not know one).

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use super::{Format, escape_html, feed_url, is_web_url};
use crate::model::SourceState;
use crate::sanitize::clean_text;

/// What the status page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexPage {
    pub title: String,
    /// `server.base_url`, no trailing slash.
    pub base_url: String,
    pub feeds: Vec<IndexFeed>,
    pub sources: Vec<SourceState>,
    /// The latest stories, newest first.
    pub stories: Vec<IndexStory>,
    pub generated: DateTime<Utc>,
}

/// An output feed as listed on the status page.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexFeed {
    pub name: String,
    pub title: String,
    pub description: String,
    pub items: usize,
    /// The feed needs a token; the page says so and shows no token.
    pub protected: bool,
}

/// A recent story as listed on the status page.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexStory {
    pub title: String,
    pub link: Option<String>,
    /// How many outlets carried it (1 when it stands alone).
    pub outlets: usize,
    pub date: DateTime<Utc>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;\
padding:1rem;line-height:1.4;color:#222;background:#fdfdfd}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}\
ul{padding-left:1.2rem}li{margin:.4rem 0}\
table{border-collapse:collapse;width:100%;font-size:.9rem}\
th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #eee;vertical-align:top}\
.wrap{overflow-x:auto}.muted{color:#666;font-size:.85rem}\
.state{font-weight:bold;border-radius:.3rem;padding:0 .3rem}\
.state-ok{background:#dfd}.state-error{background:#fcc}.state-new{background:#ffd}\
.lock{background:#eee;border-radius:.3rem;padding:0 .3rem;font-size:.8rem}\
.err{color:#a00;word-break:break-word}";

/// About the bytes of a source's row on the page (one with an error message).
const SOURCE_ROW_BYTES: usize = 448;

/// Renders the status page as a complete HTML5 document.
pub fn render_index(page: &IndexPage) -> String {
    let title = text(&page.title);
    // Room for the whole page at once: grown by doubling, a page of thousands of
    // sources would hold its last two sizes at once while it is copied.
    let mut html = String::with_capacity(8192 + SOURCE_ROW_BYTES * page.sources.len());
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(html, "<title>{title}</title>");
    let _ = writeln!(html, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(html, "<h1>{title}</h1>");
    let _ = writeln!(
        html,
        "<p class=\"muted\">Generated {}</p>",
        time(page.generated, page.generated)
    );
    write_feeds(&mut html, page);
    write_sources(&mut html, page);
    write_stories(&mut html, page);
    html.push_str("</body>\n</html>\n");
    html
}

fn write_feeds(html: &mut String, page: &IndexPage) {
    html.push_str("<section id=\"feeds\">\n<h2>Feeds</h2>\n");
    if page.feeds.is_empty() {
        html.push_str("<p>No feeds are configured.</p>\n");
    } else {
        html.push_str("<ul>\n");
        for feed in &page.feeds {
            let links: Vec<String> = Format::ALL
                .iter()
                .map(|&format| {
                    format!(
                        "<a href=\"{}\">{}</a>",
                        text(&feed_url(&page.base_url, &feed.name, format)),
                        format_label(format)
                    )
                })
                .collect();
            let _ = write!(
                html,
                "<li><strong>{}</strong> <span class=\"muted\">({} {})</span>",
                text(&feed.title),
                feed.items,
                if feed.items == 1 { "item" } else { "items" }
            );
            if feed.protected {
                html.push_str(" <span class=\"lock\">token required</span>");
            }
            let _ = write!(html, "<br>{}", links.join(" · "));
            if !feed.description.trim().is_empty() {
                let _ = write!(
                    html,
                    "<br><span class=\"muted\">{}</span>",
                    text(&feed.description)
                );
            }
            html.push_str("</li>\n");
        }
        html.push_str("</ul>\n");
    }
    let _ = writeln!(
        html,
        "<p><a href=\"{}\">OPML of all feeds</a> (to subscribe to all at once)</p>\n</section>",
        text(&format!("{}/opml", page.base_url))
    );
}

fn write_sources(html: &mut String, page: &IndexPage) {
    let mut sources: Vec<&SourceState> = page.sources.iter().collect();
    sources.sort_by(|a, b| {
        state_rank(a.state())
            .cmp(&state_rank(b.state()))
            .then_with(|| a.name.cmp(&b.name))
    });
    let problems = sources.iter().filter(|s| s.state() != "ok").count();
    let _ = writeln!(
        html,
        "<section id=\"sources\">\n<h2>Sources</h2>\n<p class=\"muted\">{} sources, {} with problems or not yet polled</p>",
        sources.len(),
        problems
    );
    if sources.is_empty() {
        html.push_str("</section>\n");
        return;
    }
    html.push_str(
        "<div class=\"wrap\"><table>\n<thead><tr><th>Source</th><th>State</th>\
<th>Last success</th><th>Next poll</th><th>Items</th><th>Error</th></tr></thead>\n<tbody>\n",
    );
    for source in sources {
        let state = source.state();
        let name = source
            .title
            .as_deref()
            .filter(|title| !title.trim().is_empty())
            .unwrap_or(&source.name);
        let error = match (&source.error, source.http_status) {
            // Errors from an HTTP status already say so ("HTTP 404").
            (Some(error), Some(status)) if !error.starts_with("HTTP") => {
                format!("HTTP {status}: {}", text(error))
            }
            (Some(error), Some(_)) => text(error),
            (Some(error), None) => text(error),
            (None, _) => String::new(),
        };
        let streak = if source.error_streak > 1 {
            format!(" <span class=\"muted\">×{}</span>", source.error_streak)
        } else {
            String::new()
        };
        let name = if is_web_url(&source.url) && !has_credentials(&source.url) {
            format!("<a href=\"{}\">{}</a>", text(&source.url), text(name))
        } else {
            text(name)
        };
        let _ = writeln!(
            html,
            "<tr class=\"source-{state}\"><td>{name}</td>\
<td><span class=\"state state-{state}\">{state}</span>{streak}</td>\
<td>{}</td><td>{}</td><td>{}</td><td class=\"err\">{error}</td></tr>",
            optional_time(source.last_success, page.generated),
            optional_time(source.next_poll, page.generated),
            source.items,
        );
    }
    html.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn write_stories(html: &mut String, page: &IndexPage) {
    html.push_str("<section id=\"stories\">\n<h2>Latest stories</h2>\n");
    if page.stories.is_empty() {
        html.push_str("<p>No stories yet.</p>\n</section>\n");
        return;
    }
    html.push_str("<ul>\n");
    for story in &page.stories {
        let title = text(&story.title);
        let title = match story.link.as_deref().filter(|link| is_web_url(link)) {
            Some(link) => format!(
                "<a href=\"{}\" rel=\"noopener noreferrer\">{title}</a>",
                text(link)
            ),
            None => title,
        };
        let outlets = match story.outlets {
            0 | 1 => "1 outlet".to_string(),
            n => format!("{n} outlets"),
        };
        let _ = writeln!(
            html,
            "<li>{title} <span class=\"muted\">{outlets} · {}</span></li>",
            time(story.date, page.generated)
        );
    }
    html.push_str("</ul>\n</section>\n");
}

/// Whether a URL carries a user name or password, which the public page must not show.
fn has_credentials(url: &str) -> bool {
    url::Url::parse(url).map_or(true, |url| {
        !url.username().is_empty() || url.password().is_some()
    })
}

/// Sources with errors first, then never-polled ones, then healthy ones.
fn state_rank(state: &str) -> u8 {
    match state {
        "error" | "backoff" | "gone" => 0,
        "new" => 1,
        _ => 2,
    }
}

fn format_label(format: Format) -> &'static str {
    match format {
        Format::Rss => "RSS",
        Format::Atom => "Atom",
        Format::Json => "JSON Feed",
    }
}

/// Text or an attribute value, cleaned of characters XML forbids and escaped.
fn text(value: &str) -> String {
    escape_html(&clean_text(value))
}

fn optional_time(date: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    date.map_or_else(|| "—".to_string(), |date| time(date, now))
}

/// `<time>` with the UTC date and how long ago (or ahead) it is from `now`.
fn time(date: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>{}",
        date.to_rfc3339_opts(SecondsFormat::Secs, true),
        date.format("%Y-%m-%d %H:%M UTC"),
        relative(date, now)
            .map(|when| format!(" <span class=\"muted\">({when})</span>"))
            .unwrap_or_default()
    )
}

/// "5 min ago", "in 3 h", or `None` within a minute of `now`.
fn relative(date: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    let seconds = (now - date).num_seconds();
    let magnitude = seconds.unsigned_abs();
    let amount = match magnitude {
        0..60 => return None,
        60..3600 => format!("{} min", magnitude / 60),
        3600..86_400 => format!("{} h", magnitude / 3600),
        _ => format!("{} d", magnitude / 86_400),
    };
    Some(if seconds > 0 {
        format!("{amount} ago")
    } else {
        format!("in {amount}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc.with_ymd_and_hms(2025, 3, 14, 12, 0, 0).unwrap();
        let minutes = |m: i64| now - chrono::Duration::minutes(m);
        assert_eq!(relative(now, now), None);
        assert_eq!(relative(minutes(5), now).as_deref(), Some("5 min ago"));
        assert_eq!(relative(minutes(150), now).as_deref(), Some("2 h ago"));
        assert_eq!(relative(minutes(-30), now).as_deref(), Some("in 30 min"));
        assert_eq!(relative(minutes(3 * 1440), now).as_deref(), Some("3 d ago"));
    }

    #[test]
    fn story_links_are_web_urls_only() {
        let page = IndexPage {
            title: "t".to_string(),
            base_url: "http://localhost:8088".to_string(),
            feeds: Vec::new(),
            sources: Vec::new(),
            stories: vec![IndexStory {
                title: "Click".to_string(),
                link: Some("javascript:alert(1)".to_string()),
                outlets: 1,
                date: Utc.with_ymd_and_hms(2025, 3, 14, 12, 0, 0).unwrap(),
            }],
            generated: Utc.with_ymd_and_hms(2025, 3, 14, 12, 0, 0).unwrap(),
        };
        assert!(!render_index(&page).contains("javascript:"));
    }

    #[test]
    fn source_urls_with_credentials_are_not_shown() {
        assert!(has_credentials("https://user:secret@example.com/feed"));
        assert!(has_credentials("not a url"));
        assert!(!has_credentials("https://example.com/feed?a=1"));
    }
}
