//! `feedbraid preview`: what a source's items become after its content rules and
//! full text, fetched now and stored nowhere — so rules can be written and tried
//! quickly. Lists the feed's items (kept, or turned away by `keep_if`/`drop_if`)
//! and shows one item whole: its title, link and content as it would be stored.

use std::process::ExitCode;

use anyhow::Context;

use crate::articles;
use crate::config::{Config, SourceConfig};
use crate::content_rules::ContentRules;
use crate::fetch::{Access, Fetcher, Validators};
use crate::model::{ArticleJob, Entry, ParsedFeed};
use crate::parse;
use crate::parse_pool::ParsePool;
use crate::sanitize::sanitized_html_to_text;

/// Characters of an item's text shown in the list.
const TEASER_CHARS: usize = 100;

pub(super) async fn preview(
    config: &Config,
    name: &str,
    item: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let Some(source) = config.source(name) else {
        errln!(
            "error: no source named {name:?} in {}",
            config.path.display()
        );
        return Ok(ExitCode::from(2));
    };
    let fetcher = Fetcher::new(&config.fetch)?;
    let parsers = ParsePool::new(1).context("cannot start a parsing thread")?;
    let (all, kept) = fetch_feed(&fetcher, &parsers, source).await?;
    let is_kept = |entry: &Entry| kept.entries.iter().any(|k| k.key == entry.key);
    let shown = match item {
        Some(n) => {
            let Some(entry) = n.checked_sub(1).and_then(|i| all.entries.get(i)) else {
                errln!(
                    "error: source {name:?} has {} items now; --item counts from 1",
                    all.entries.len()
                );
                return Ok(ExitCode::from(2));
            };
            entry
        }
        None => {
            outln!("{} items in {}:", all.entries.len(), source.url);
            for (n, entry) in all.entries.iter().enumerate() {
                let verdict = if is_kept(entry) {
                    "kept"
                } else {
                    "dropped by keep_if/drop_if"
                };
                let text = sanitized_html_to_text(body_of(entry));
                let teaser: String = text.chars().take(TEASER_CHARS).collect();
                outln!("{:>4}. [{verdict}] {}\n      {teaser}", n + 1, entry.title);
            }
            let Some(first) = all.entries.first() else {
                return Ok(ExitCode::SUCCESS);
            };
            outln!("\nItem 1 as it would be stored (--item N for another):");
            first
        }
    };
    show(&fetcher, &parsers, source, shown, is_kept(shown)).await;
    Ok(ExitCode::SUCCESS)
}

/// The source's feed parsed twice: with every rule but `keep_if`/`drop_if` (every
/// item, as it would be stored), and with all of them (the items kept).
async fn fetch_feed(
    fetcher: &Fetcher,
    parsers: &ParsePool,
    source: &SourceConfig,
) -> anyhow::Result<(ParsedFeed, ParsedFeed)> {
    let access = Access::from_allow_private(source.allow_private_networks);
    let fetched = fetcher
        .get(&source.url, &Validators::default(), access)
        .await
        .with_context(|| format!("cannot fetch {}", source.url))?;
    let body = fetched.body.context("the server sent no document")?;
    let mut every_item = source.source_rules();
    every_item.rules = std::sync::Arc::new(ContentRules {
        keep_if: None,
        drop_if: None,
        ..(*source.rules).clone()
    });
    let rules = source.source_rules();
    let url = fetched.final_url;
    let charset = fetched.charset;
    let parsed = parsers
        .run(move || {
            let parse = |rules| {
                parse::parse_feed_with_rules(
                    &body,
                    &url,
                    charset.as_deref(),
                    None,
                    Some(rules),
                    None,
                )
                .map(|(feed, _notes)| feed)
            };
            Ok::<_, parse::ParseError>((parse(&every_item)?, parse(&rules)?))
        })
        .await?;
    parsed.with_context(|| format!("cannot read the feed of source {:?}", source.name))
}

/// Prints one item as it would be stored, its article fetched when the source
/// wants full text.
async fn show(
    fetcher: &Fetcher,
    parsers: &ParsePool,
    source: &SourceConfig,
    entry: &Entry,
    kept: bool,
) {
    outln!("title:   {}", entry.title);
    outln!("link:    {}", entry.link.as_deref().unwrap_or("(none)"));
    if !kept {
        outln!("stored:  no — keep_if/drop_if turn it away");
    }
    if let Some(summary) = &entry.summary_html {
        outln!("summary: {summary}");
    }
    let article = match (&entry.link, source.wants_full_text()) {
        (Some(link), true) => {
            let job = ArticleJob {
                item: 0,
                claim: 0,
                source: source.name.clone(),
                link: link.clone(),
                attempts: 0,
                title: entry.title.clone(),
                summary_html: entry.summary_html.clone(),
                content_html: entry.content_html.clone(),
                authors: entry.authors.clone(),
                categories: entry.categories.clone(),
            };
            Some(articles::fetch_article(fetcher, parsers, source, None, job, None).await)
        }
        _ => None,
    };
    let content = match article {
        Some(Ok(article)) => {
            outln!("content: the article from its page");
            article.content_html
        }
        Some(Err(error)) => {
            outln!("content: the feed's own ({error})");
            entry.content_html.clone().unwrap_or_default()
        }
        None => {
            outln!("content: the feed's own");
            entry.content_html.clone().unwrap_or_default()
        }
    };
    let chars = sanitized_html_to_text(&content).chars().count();
    outln!("--- content ({chars} characters of text) ---\n{content}");
}

/// The HTML an entry's text comes from.
fn body_of(entry: &Entry) -> &str {
    entry
        .content_html
        .as_deref()
        .or(entry.summary_html.as_deref())
        .unwrap_or("")
}
