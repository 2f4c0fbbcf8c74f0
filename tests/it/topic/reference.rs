//! The reference evaluator: the plainest possible reading of a [`Query`] against a
//! [`ItemFields`], re-normalizing the item's text at every leaf with no index, no
//! masks and no shortcuts. The fast evaluator must agree with it.

use feedbraid::topic::words::{normalize_host, normalize_value, words};
use feedbraid::topic::{ItemFields, Query, Scope};

/// The texts a word match in `scope` looks at; each is searched on its own.
fn texts_in_scope(item: &ItemFields, scope: Scope) -> Vec<&str> {
    let mut texts = Vec::new();
    if matches!(scope, Scope::Any | Scope::Title) {
        texts.push(item.title.as_str());
    }
    if matches!(scope, Scope::Any | Scope::Text) {
        texts.push(item.text.as_str());
    }
    if matches!(scope, Scope::Any | Scope::Category) {
        texts.extend(item.categories.iter().map(String::as_str));
    }
    if matches!(scope, Scope::Any | Scope::Author) {
        texts.push(item.author.as_str());
    }
    texts
}

/// Whether `wanted` occurs as consecutive words of `text`; with `prefix`, the last
/// word of the window only has to start with the last wanted word.
fn contains_phrase(text: &str, wanted: &[String], prefix: bool) -> bool {
    let found = words(text);
    if wanted.is_empty() || found.len() < wanted.len() {
        return false;
    }
    let last = wanted.len() - 1;
    found.windows(wanted.len()).any(|window| {
        (0..last).all(|i| window[i] == wanted[i])
            && if prefix {
                window[last].starts_with(&wanted[last])
            } else {
                window[last] == wanted[last]
            }
    })
}

fn equals_or_starts_with(value: &str, wanted: &str, prefix: bool) -> bool {
    if prefix {
        value.starts_with(wanted)
    } else {
        value == wanted
    }
}

/// Whether the host or one of its parent domains (dropping leading labels) is
/// `domain` (or, with `prefix`, starts with it).
fn domain_matches(host: &str, domain: &str, prefix: bool) -> bool {
    let host = normalize_host(host);
    let labels: Vec<&str> = host.split('.').collect();
    (0..labels.len()).any(|first| equals_or_starts_with(&labels[first..].join("."), domain, prefix))
}

/// Whether `query` holds for `item`, evaluated the slow, obvious way.
pub fn reference_matches(query: &Query, item: &ItemFields) -> bool {
    match query {
        Query::Words {
            scope,
            words,
            prefix,
        } => texts_in_scope(item, *scope)
            .into_iter()
            .any(|text| contains_phrase(text, words, *prefix)),
        Query::Source { name, prefix } => {
            equals_or_starts_with(&normalize_value(&item.source), name, *prefix)
        }
        Query::Tag { name, prefix } => item
            .tags
            .iter()
            .any(|tag| equals_or_starts_with(&normalize_value(tag), name, *prefix)),
        Query::Domain { host, prefix } => domain_matches(&item.domain, host, *prefix),
        Query::Not(inner) => !reference_matches(inner, item),
        Query::And(parts) => parts.iter().all(|part| reference_matches(part, item)),
        Query::Or(parts) => parts.iter().any(|part| reference_matches(part, item)),
    }
}
