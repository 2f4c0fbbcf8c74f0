//! The config file as written: serde structs that mirror the TOML, with spans kept
//! for error messages and unknown keys rejected. Nothing here is validated.
//!
//! To report *every* problem rather than the first, the document is first parsed into
//! toml's spanned tree, then each section and each `[[source]]` / `[[feed]]` entry is
//! deserialized on its own. When serde refuses an entry (an unknown key, a wrong type),
//! the offending key is noted, dropped, and the entry deserialized again, so one typo
//! does not hide the next. Every field is optional here; `validate` decides what is
//! required and supplies defaults.

use std::ops::Range;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// The top-level sections a config may have, for the "unknown section" message.
const SECTIONS: &str = "server, storage, fetch, dedup, topics, [[source]], [[feed]]";

/// A problem found while reading the TOML, located by byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawProblem {
    pub span: Option<Range<usize>>,
    pub key: Option<String>,
    pub message: String,
}

/// The whole document as written. Absent sections are `None`.
#[derive(Debug, Default)]
pub(super) struct RawDocument {
    pub server: Option<RawServer>,
    pub storage: Option<RawStorage>,
    pub fetch: Option<RawFetch>,
    pub dedup: Option<RawDedup>,
    pub topics: Vec<RawTopic>,
    pub sources: Vec<RawEntry<RawSource>>,
    pub feeds: Vec<RawEntry<RawFeed>>,
}

/// One `[[source]]` or `[[feed]]` entry with where it is and how to name it in messages.
#[derive(Debug)]
pub(super) struct RawEntry<T> {
    /// `source "bbc-world"` when the entry has a string name, else `source[3]` (1-based).
    pub key: String,
    /// The span of the entry's table (its `[[…]]` header for array-of-tables syntax).
    pub span: Range<usize>,
    pub fields: T,
}

/// One `name = "query"` line of `[topics]`.
#[derive(Debug)]
pub(super) struct RawTopic {
    pub name: Spanned<String>,
    pub query: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub listen: Option<Spanned<String>>,
    pub base_url: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    pub path: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub retention: Option<Spanned<String>>,
    pub lease: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    pub interval: Option<Spanned<String>>,
    pub min_interval: Option<Spanned<String>>,
    pub max_interval: Option<Spanned<String>>,
    pub concurrency: Option<Spanned<i64>>,
    pub per_host: Option<Spanned<i64>>,
    pub per_host_interval: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub max_body: Option<Spanned<SizeText>>,
    pub allow_private_networks: Option<Spanned<bool>>,
    pub user_agent: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDedup {
    pub window: Option<Spanned<String>>,
    pub threshold: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub name: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub tags: Option<Vec<Spanned<String>>>,
    pub interval: Option<Spanned<String>>,
    pub schedule: Option<Spanned<String>>,
    pub allow_private_networks: Option<Spanned<bool>>,
    pub priority: Option<Spanned<i64>>,
    pub max_items: Option<Spanned<i64>>,
    pub full_text: Option<Spanned<FullTextValue>>,
    pub remove: Option<Vec<Spanned<String>>>,
    pub rewrite: Option<Vec<Spanned<RawRewrite>>>,
    pub keep_if: Option<Spanned<String>>,
    pub drop_if: Option<Spanned<String>>,
}

/// One `[[source.rewrite]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRewrite {
    pub field: Option<Spanned<String>>,
    pub pattern: Option<Spanned<String>>,
    pub replace: Option<Spanned<String>>,
}

/// A source's `full_text` as written: `true`/`false`, or a CSS selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FullTextValue {
    Switch(bool),
    Selector(String),
}

impl<'de> Deserialize<'de> for FullTextValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FullTextVisitor;
        impl serde::de::Visitor<'_> for FullTextVisitor {
            type Value = FullTextValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("true, false or a CSS selector string")
            }
            fn visit_bool<E: serde::de::Error>(self, on: bool) -> Result<FullTextValue, E> {
                Ok(FullTextValue::Switch(on))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<FullTextValue, E> {
                Ok(FullTextValue::Selector(text.to_owned()))
            }
        }
        deserializer.deserialize_any(FullTextVisitor)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub name: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub sources: Option<Vec<Spanned<String>>>,
    pub tags: Option<Vec<Spanned<String>>>,
    pub include: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub query: Option<Spanned<String>>,
    pub limit: Option<Spanned<i64>>,
    pub dedup: Option<Spanned<String>>,
    pub token: Option<Spanned<String>>,
}

/// A size as written: `"15MiB"`, or a bare integer number of bytes (kept as its digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SizeText(pub String);

impl<'de> Deserialize<'de> for SizeText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SizeVisitor;
        impl serde::de::Visitor<'_> for SizeVisitor {
            type Value = SizeText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a size like \"15MiB\" or a number of bytes")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SizeText, E> {
                Ok(SizeText(text.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<SizeText, E> {
                Ok(SizeText(number.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<SizeText, E> {
                Ok(SizeText(number.to_string()))
            }
        }
        deserializer.deserialize_any(SizeVisitor)
    }
}

/// Parses `text` into its raw form. Problems found on the way are appended to
/// `problems`; a TOML syntax error yields no document at all (what follows a syntax
/// error cannot be trusted).
pub(super) fn parse(text: &str, problems: &mut Vec<RawProblem>) -> Option<RawDocument> {
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        problems.extend(syntax_errors.into_iter().map(|error| RawProblem {
            span: error.span(),
            key: None,
            message: format!("TOML syntax: {}", error.message()),
        }));
        return None;
    }
    let mut document = RawDocument::default();
    for (key, value) in root.into_inner() {
        let name = key.get_ref().as_ref();
        match name {
            "server" => document.server = deserialize_table(name, value, problems),
            "storage" => document.storage = deserialize_table(name, value, problems),
            "fetch" => document.fetch = deserialize_table(name, value, problems),
            "dedup" => document.dedup = deserialize_table(name, value, problems),
            "topics" => document.topics = read_topics(value, problems),
            "source" => document.sources = deserialize_entries(name, value, problems),
            "feed" => document.feeds = deserialize_entries(name, value, problems),
            other => problems.push(RawProblem {
                span: Some(key.span()),
                key: Some(other.to_owned()),
                message: unknown_section_message(other),
            }),
        }
    }
    Some(document)
}

fn unknown_section_message(name: &str) -> String {
    let hint = match name {
        "sources" => " (did you mean [[source]]?)",
        "feeds" => " (did you mean [[feed]]?)",
        "topic" => " (did you mean [topics]?)",
        _ => "",
    };
    format!("unknown section or key `{name}`{hint}; expected one of {SECTIONS}")
}

/// Reads an array of tables (`[[source]]`), each entry on its own.
fn deserialize_entries<T: DeserializeOwned>(
    section: &str,
    value: Spanned<DeValue<'_>>,
    problems: &mut Vec<RawProblem>,
) -> Vec<RawEntry<T>> {
    let span = value.span();
    let DeValue::Array(array) = value.into_inner() else {
        problems.push(RawProblem {
            span: Some(span),
            key: Some(section.to_owned()),
            message: format!("expected an array of tables: write each entry as [[{section}]]"),
        });
        return Vec::new();
    };
    let mut entries = Vec::new();
    for (index, element) in array.into_iter().enumerate() {
        let key = entry_key(section, index, element.get_ref());
        let span = element.span();
        if let Some(fields) = deserialize_table(&key, element, problems) {
            entries.push(RawEntry { key, span, fields });
        }
    }
    entries
}

/// `source "bbc-world"` when the entry has a string `name`, else `source[3]`.
fn entry_key(section: &str, index: usize, entry: &DeValue<'_>) -> String {
    let name = match entry {
        DeValue::Table(table) => table.get("name").map(|name| name.get_ref()),
        _ => None,
    };
    match name {
        Some(DeValue::String(name)) => format!("{section} {name:?}"),
        _ => format!("{section}[{}]", index + 1),
    }
}

/// Deserializes one table, dropping and reporting each key serde refuses until the
/// rest deserializes. `prefix` names the table in problem keys.
fn deserialize_table<T: DeserializeOwned>(
    prefix: &str,
    value: Spanned<DeValue<'_>>,
    problems: &mut Vec<RawProblem>,
) -> Option<T> {
    let span = value.span();
    let DeValue::Table(mut table) = value.into_inner() else {
        problems.push(RawProblem {
            span: Some(span),
            key: Some(prefix.to_owned()),
            message: "wrong type: expected a table".to_owned(),
        });
        return None;
    };
    loop {
        let attempt = Spanned::new(span.clone(), DeValue::Table(table.clone()));
        let error = match T::deserialize(ValueDeserializer::from(attempt)) {
            Ok(parsed) => return Some(parsed),
            Err(error) => error,
        };
        let culprit = error.span().and_then(|error_span| {
            table
                .iter()
                .find(|(key, value)| {
                    contains(&key.span(), &error_span) || contains(&value.span(), &error_span)
                })
                .map(|(key, _)| key.clone())
        });
        let Some(culprit) = culprit else {
            problems.push(RawProblem {
                span: Some(error.span().unwrap_or(span)),
                key: Some(prefix.to_owned()),
                message: error.message().to_owned(),
            });
            return None;
        };
        problems.push(RawProblem {
            span: Some(culprit.span()),
            key: Some(format!("{prefix}.{}", culprit.get_ref())),
            message: serde_message(error.message()),
        });
        table.remove(&culprit);
    }
}

/// Rewords serde's messages in the config's own terms.
fn serde_message(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let rest = rest.replacen(", expected", "; expected", 1);
        return format!("unknown key {rest}");
    }
    let message = message
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array");
    match message.strip_prefix("invalid type: ") {
        Some(rest) => format!("wrong type: {rest}"),
        None => message,
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// `[topics]`: every value must be a query string.
fn read_topics(value: Spanned<DeValue<'_>>, problems: &mut Vec<RawProblem>) -> Vec<RawTopic> {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        problems.push(RawProblem {
            span: Some(span),
            key: Some("topics".to_owned()),
            message: "wrong type: expected a table of `name = \"query\"` lines".to_owned(),
        });
        return Vec::new();
    };
    let mut topics = Vec::new();
    for (name, query) in table {
        let name = Spanned::new(name.span(), name.get_ref().to_string());
        match query.get_ref() {
            DeValue::String(text) => topics.push(RawTopic {
                query: Spanned::new(query.span(), text.to_string()),
                name,
            }),
            _ => problems.push(RawProblem {
                span: Some(query.span()),
                key: Some(format!("topics.{}", name.get_ref())),
                message: "wrong type: expected a query string".to_owned(),
            }),
        }
    }
    topics
}
