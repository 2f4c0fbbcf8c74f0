//! The parsed topic query (the AST) and its normalized, fully parenthesized text form.
//!
//! Words are stored already normalized (see [`super::words`]); named topics are
//! already expanded, so a `Query` is self-contained and evaluates without context.

use std::fmt;

/// Which text fields a word match looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A bare term: title, text, categories and author.
    Any,
    Title,
    /// Summary and content.
    Text,
    /// Any one category.
    Category,
    Author,
}

impl Scope {
    /// The `field:` prefix written before a term, empty for [`Scope::Any`].
    pub fn label(self) -> &'static str {
        match self {
            Scope::Any => "",
            Scope::Title => "title:",
            Scope::Text => "text:",
            Scope::Category => "category:",
            Scope::Author => "author:",
        }
    }
}

/// A parsed topic query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Consecutive normalized words in one field (a term is a phrase of one word).
    /// With `prefix`, the last word only has to start with the given text.
    Words {
        scope: Scope,
        words: Vec<String>,
        prefix: bool,
    },
    /// The item's source name equals `name` (or starts with it, with `prefix`).
    Source {
        name: String,
        prefix: bool,
    },
    /// One of the source's tags equals `name` (or starts with it, with `prefix`).
    Tag {
        name: String,
        prefix: bool,
    },
    /// The link's host is `host` or a subdomain of it.
    Domain {
        host: String,
        prefix: bool,
    },
    Not(Box<Query>),
    /// Every part holds (two or more parts).
    And(Vec<Query>),
    /// At least one part holds (two or more parts).
    Or(Vec<Query>),
}

impl Query {
    /// `parts` joined with AND, nested ANDs flattened; one part stays itself.
    pub(crate) fn all_of(parts: Vec<Query>) -> Query {
        Self::joined(parts, true)
    }

    /// `parts` joined with OR, nested ORs flattened; one part stays itself.
    pub(crate) fn any_of(parts: Vec<Query>) -> Query {
        Self::joined(parts, false)
    }

    fn joined(parts: Vec<Query>, conjunction: bool) -> Query {
        let mut flat = Vec::with_capacity(parts.len());
        for part in parts {
            match (part, conjunction) {
                (Query::And(inner), true) | (Query::Or(inner), false) => flat.extend(inner),
                (other, _) => flat.push(other),
            }
        }
        match flat.len() {
            1 => flat.pop().unwrap_or(Query::And(Vec::new())),
            _ if conjunction => Query::And(flat),
            _ => Query::Or(flat),
        }
    }

    /// Whether this is a leaf (a word, phrase, source, tag or domain match).
    pub fn is_leaf(&self) -> bool {
        !matches!(self, Query::Not(_) | Query::And(_) | Query::Or(_))
    }
}

/// Whether `text` can be written without quotes in a query.
fn is_bare_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(char::is_alphanumeric)
}

fn is_bare_value(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !text.starts_with('-')
}

fn write_value(f: &mut fmt::Formatter<'_>, field: &str, value: &str, prefix: bool) -> fmt::Result {
    let star = if prefix { "*" } else { "" };
    if is_bare_value(value) {
        write!(f, "{field}:{value}{star}")
    } else {
        write!(f, "{field}:\"{value}\"{star}")
    }
}

fn write_joined(f: &mut fmt::Formatter<'_>, parts: &[Query], keyword: &str) -> fmt::Result {
    f.write_str("(")?;
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            write!(f, " {keyword} ")?;
        }
        write!(f, "{part}")?;
    }
    f.write_str(")")
}

/// The normalized, fully parenthesized form: `a OR b AND c` is `(a OR (b AND c))`.
/// It parses back to the same `Query`.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::Words {
                scope,
                words,
                prefix,
            } => {
                let star = if *prefix { "*" } else { "" };
                f.write_str(scope.label())?;
                match words.as_slice() {
                    [word] if is_bare_word(word) => write!(f, "{word}{star}"),
                    _ => write!(f, "\"{}\"{star}", words.join(" ")),
                }
            }
            Query::Source { name, prefix } => write_value(f, "source", name, *prefix),
            Query::Tag { name, prefix } => write_value(f, "tag", name, *prefix),
            Query::Domain { host, prefix } => write_value(f, "domain", host, *prefix),
            Query::Not(inner) => write!(f, "(NOT {inner})"),
            Query::And(parts) => write_joined(f, parts, "AND"),
            Query::Or(parts) => write_joined(f, parts, "OR"),
        }
    }
}
