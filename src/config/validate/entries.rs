//! Checks the named entries of a config: `[topics]`, `[[source]]` and `[[feed]]`,
//! including the references between them (a feed's sources, tags and query).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use super::Checker;
use crate::config::raw::{RawEntry, RawFeed, RawSource, RawTopic};
use crate::config::{
    DedupMode, FeedConfig, FetchConfig, SourceConfig, SourceTiming, format_duration,
};
use crate::topic::Filter;

const DEFAULT_FEED_LIMIT: usize = 50;

/// The checked sources, plus what feeds need to check their references.
pub(super) struct CheckedSources {
    pub configs: Vec<SourceConfig>,
    /// Every name a `[[source]]` claims, valid or not, so that one bad source does not
    /// also make each feed naming it "unknown".
    names: HashSet<String>,
    /// Every tag some source carries.
    tags: HashSet<String>,
}

/// Whether `name` is a usable source, feed or topic name: `[A-Za-z0-9_-]+`.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks a `name` key: present, well-formed and not used before in this section.
/// Returns the name when it is usable.
fn check_name(
    checker: &mut Checker,
    entry_key: &str,
    entry_span: &Range<usize>,
    name: Option<&Spanned<String>>,
    seen: &mut HashMap<String, usize>,
) -> Option<String> {
    let key = format!("{entry_key}.name");
    let Some(field) = name else {
        if !checker.reported(&key) {
            checker.problem(
                Some(entry_span.clone()),
                Some(key),
                "missing: `name` is required",
            );
        }
        return None;
    };
    let name = field.get_ref();
    if !is_valid_name(name) {
        checker.bad(
            &key,
            field,
            format!("{name:?} is not a valid name: use only letters, digits, '-' and '_'"),
        );
        return None;
    }
    let line = checker.line_of(field.span().start);
    if let Some(first_line) = seen.insert(name.clone(), line) {
        seen.insert(name.clone(), first_line);
        checker.bad(
            &key,
            field,
            format!("duplicate name {name:?} (first used on line {first_line})"),
        );
        return None;
    }
    Some(name.clone())
}

/// Checks a list of words or names: each non-empty. Returns them as plain strings.
fn check_words(
    checker: &mut Checker,
    key: &str,
    words: Option<&Vec<Spanned<String>>>,
) -> Vec<String> {
    let mut checked = Vec::new();
    for word in words.into_iter().flatten() {
        if word.get_ref().trim().is_empty() {
            checker.bad(key, word, "must not contain an empty entry");
        } else {
            checked.push(word.get_ref().clone());
        }
    }
    checked
}

pub(super) fn check_topics(checker: &mut Checker, raw: Vec<RawTopic>) -> BTreeMap<String, String> {
    let topics: BTreeMap<String, String> = raw
        .iter()
        .map(|topic| (topic.name.get_ref().clone(), topic.query.get_ref().clone()))
        .collect();
    for topic in &raw {
        let name = topic.name.get_ref();
        let key = format!("topics.{name}");
        if !is_valid_name(name) {
            checker.bad(
                &key,
                &topic.name,
                format!(
                    "{name:?} is not a valid topic name: use only letters, digits, '-' and '_'"
                ),
            );
        }
        if topic.query.get_ref().trim().is_empty() {
            checker.bad(&key, &topic.query, "the query must not be empty");
        } else if let Err(error) = Filter::compile(&[], &[], Some(topic.query.get_ref()), &topics) {
            checker.bad(&key, &topic.query, error.to_string());
        }
    }
    topics
}

pub(super) fn check_sources(
    checker: &mut Checker,
    raw: Vec<RawEntry<RawSource>>,
    fetch: &FetchConfig,
    topics: &BTreeMap<String, String>,
) -> CheckedSources {
    let mut seen = HashMap::new();
    let mut checked = CheckedSources {
        configs: Vec::new(),
        names: HashSet::new(),
        tags: HashSet::new(),
    };
    for RawEntry {
        key: entry,
        span,
        fields,
    } in raw
    {
        if let Some(name) = &fields.name {
            checked.names.insert(name.get_ref().clone());
        }
        let name = check_name(checker, &entry, &span, fields.name.as_ref(), &mut seen);
        let url = match &fields.url {
            None => {
                let key = format!("{entry}.url");
                if !checker.reported(&key) {
                    checker.problem(Some(span.clone()), Some(key), "missing: `url` is required");
                }
                None
            }
            Some(field) => super::http_url(field.get_ref())
                .map_err(|message| checker.bad(&format!("{entry}.url"), field, message))
                .ok(),
        };
        let title = fields.title.as_ref().and_then(|field| {
            if field.get_ref().trim().is_empty() {
                checker.bad(
                    &format!("{entry}.title"),
                    field,
                    "must not be empty; leave it out to use the feed's own title",
                );
                None
            } else {
                Some(field.get_ref().clone())
            }
        });
        let tags = check_words(checker, &format!("{entry}.tags"), fields.tags.as_ref());
        checked.tags.extend(tags.iter().cloned());
        let timing = check_timing(checker, &entry, &fields, fetch);
        let priority = fields.priority.as_ref().map_or(0, |field| {
            i32::try_from(*field.get_ref()).unwrap_or_else(|_| {
                checker.bad(&format!("{entry}.priority"), field, "is out of range");
                0
            })
        });
        let max_items =
            fields
                .max_items
                .as_ref()
                .and_then(|field| match usize::try_from(*field.get_ref()) {
                    Ok(count) if count >= 1 => Some(count),
                    _ => {
                        checker.bad(
                            &format!("{entry}.max_items"),
                            field,
                            format!("must be at least 1, not {}", field.get_ref()),
                        );
                        None
                    }
                });
        let allow_private_networks = fields
            .allow_private_networks
            .as_ref()
            .map_or(fetch.allow_private_networks, |flag| *flag.get_ref());
        let rules = super::rules::check_rules(checker, &entry, &fields, topics);
        if let (Some(name), Some(url), Some(timing)) = (name, url, timing) {
            checked.configs.push(SourceConfig {
                name,
                url,
                title,
                tags,
                timing,
                allow_private_networks,
                priority,
                max_items,
                rules: std::sync::Arc::new(rules),
            });
        }
    }
    checked
}

/// A source's `interval` or `schedule` (exclusive), else `fetch.interval`.
fn check_timing(
    checker: &mut Checker,
    entry: &str,
    fields: &RawSource,
    fetch: &FetchConfig,
) -> Option<SourceTiming> {
    match (&fields.interval, &fields.schedule) {
        (Some(_), Some(schedule)) => {
            checker.bad(
                &format!("{entry}.schedule"),
                schedule,
                "`interval` and `schedule` are exclusive: keep one",
            );
            None
        }
        (None, Some(schedule)) => match crate::config::parse_cron(schedule.get_ref()) {
            Ok(_) => Some(SourceTiming::Schedule(schedule.get_ref().trim().to_owned())),
            Err(error) => {
                checker.bad(
                        &format!("{entry}.schedule"),
                        schedule,
                        format!(
                            "{:?} is not a cron expression with seconds first, like \"0 */10 * * * *\": {error}",
                            schedule.get_ref()
                        ),
                    );
                None
            }
        },
        (Some(interval), None) => {
            let key = format!("{entry}.interval");
            let duration = checker.duration(&key, interval)?;
            if duration < fetch.min_interval {
                checker.warn(
                    Some(interval.span()),
                    Some(key),
                    format!(
                        "shorter than fetch.min_interval ({}); polls will be spaced by that",
                        format_duration(fetch.min_interval)
                    ),
                );
            }
            Some(SourceTiming::Interval(duration))
        }
        (None, None) => Some(SourceTiming::Interval(fetch.interval)),
    }
}

pub(super) fn check_feeds(
    checker: &mut Checker,
    raw: Vec<RawEntry<RawFeed>>,
    sources: &CheckedSources,
    topics: &BTreeMap<String, String>,
) -> Vec<FeedConfig> {
    let mut seen = HashMap::new();
    let mut feeds = Vec::new();
    for RawEntry {
        key: entry,
        span,
        fields,
    } in raw
    {
        let name = check_name(checker, &entry, &span, fields.name.as_ref(), &mut seen);
        let source_names = check_words(
            checker,
            &format!("{entry}.sources"),
            fields.sources.as_ref(),
        );
        for field in fields.sources.iter().flatten() {
            let source = field.get_ref();
            if !source.trim().is_empty() && !sources.names.contains(source) {
                checker.bad(
                    &format!("{entry}.sources"),
                    field,
                    format!("unknown source {source:?}: no [[source]] has this name"),
                );
            }
        }
        let tags = check_words(checker, &format!("{entry}.tags"), fields.tags.as_ref());
        for field in fields.tags.iter().flatten() {
            let tag = field.get_ref();
            if !tag.trim().is_empty() && !sources.tags.contains(tag) {
                checker.warn(
                    Some(field.span()),
                    Some(format!("{entry}.tags")),
                    format!("no source carries the tag {tag:?}"),
                );
            }
        }
        let include = check_words(
            checker,
            &format!("{entry}.include"),
            fields.include.as_ref(),
        );
        let exclude = check_words(
            checker,
            &format!("{entry}.exclude"),
            fields.exclude.as_ref(),
        );
        let query = fields.query.as_ref().and_then(|field| {
            if field.get_ref().trim().is_empty() {
                checker.bad(
                    &format!("{entry}.query"),
                    field,
                    "must not be empty; leave it out to match everything",
                );
                None
            } else {
                Some(field.get_ref().clone())
            }
        });
        let filter = match Filter::compile(&include, &exclude, query.as_deref(), topics) {
            Ok(filter) => Some(filter),
            Err(error) => {
                let (key, field_span) = match &fields.query {
                    Some(field) => (format!("{entry}.query"), field.span()),
                    None => (entry.clone(), span.clone()),
                };
                checker.problem(Some(field_span), Some(key), error.to_string());
                None
            }
        };
        let limit = checker.at_least_one(
            &format!("{entry}.limit"),
            fields.limit.as_ref(),
            DEFAULT_FEED_LIMIT,
        );
        let dedup = match fields.dedup.as_ref() {
            None => DedupMode::default(),
            Some(field) => match field.get_ref().as_str() {
                "collapse" => DedupMode::Collapse,
                "keep" => DedupMode::Keep,
                other => {
                    checker.bad(
                        &format!("{entry}.dedup"),
                        field,
                        format!("{other:?} is not \"collapse\" or \"keep\""),
                    );
                    DedupMode::default()
                }
            },
        };
        let token = fields.token.as_ref().map(|field| {
            let token = field.get_ref();
            if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                checker.bad(
                    &format!("{entry}.token"),
                    field,
                    "must be non-empty and contain no spaces",
                );
            }
            token.clone()
        });
        if let Some(field) = fields
            .title
            .as_ref()
            .filter(|title| title.get_ref().trim().is_empty())
        {
            checker.bad(
                &format!("{entry}.title"),
                field,
                "must not be empty; leave it out to use the name",
            );
        }
        let (Some(name), Some(filter)) = (name, filter) else {
            continue;
        };
        feeds.push(FeedConfig {
            title: fields
                .title
                .map_or_else(|| name.clone(), Spanned::into_inner),
            description: fields
                .description
                .map(Spanned::into_inner)
                .unwrap_or_default(),
            name,
            sources: source_names,
            tags,
            include,
            exclude,
            query,
            filter,
            limit,
            dedup,
            token,
        });
    }
    if sources.names.is_empty() {
        checker.warn(
            None,
            None,
            "no [[source]] is configured: nothing will be polled",
        );
    }
    if feeds.is_empty() && checker.problems.is_empty() {
        checker.warn(
            None,
            None,
            "no [[feed]] is configured: nothing will be served",
        );
    }
    feeds
}
