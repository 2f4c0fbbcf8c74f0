//! Checks a `[[source]]` entry's content rules: `full_text`, `remove`,
//! `[[source.rewrite]]`, `keep_if` and `drop_if`. Every selector, pattern and query
//! is compiled here, so one that fails is a config error with its file, line and key,
//! never a surprise at the first poll.

use std::collections::BTreeMap;

use toml::Spanned;

use super::Checker;
use crate::config::raw::{FullTextValue, RawSource};
use crate::content_rules::{ContentRules, FullText, Pattern, Rewrite, RewriteField};
use crate::extract::CssSelector;
use crate::topic::Filter;

/// The rules of source `entry` (its key in messages), or what is wrong with them.
pub(super) fn check_rules(
    checker: &mut Checker,
    entry: &str,
    fields: &RawSource,
    topics: &BTreeMap<String, String>,
) -> ContentRules {
    let full_text = fields
        .full_text
        .as_ref()
        .and_then(|field| match field.get_ref() {
            FullTextValue::Switch(false) => None,
            FullTextValue::Switch(true) => Some(FullText::Readability),
            FullTextValue::Selector(text) => {
                selector(checker, &format!("{entry}.full_text"), field, text)
                    .map(FullText::Selector)
            }
        });
    let remove = fields
        .remove
        .iter()
        .flatten()
        .filter_map(|field| selector(checker, &format!("{entry}.remove"), field, field.get_ref()))
        .collect();
    let rewrites = fields
        .rewrite
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(index, field)| {
            rewrite(checker, &format!("{entry}.rewrite[{}]", index + 1), field)
        })
        .collect();
    ContentRules {
        full_text,
        remove,
        rewrites,
        keep_if: query(
            checker,
            &format!("{entry}.keep_if"),
            fields.keep_if.as_ref(),
            topics,
        ),
        drop_if: query(
            checker,
            &format!("{entry}.drop_if"),
            fields.drop_if.as_ref(),
            topics,
        ),
    }
}

fn selector<T>(
    checker: &mut Checker,
    key: &str,
    field: &Spanned<T>,
    text: &str,
) -> Option<CssSelector> {
    if text.trim().is_empty() {
        checker.bad(key, field, "a CSS selector must not be empty");
        return None;
    }
    CssSelector::parse(text)
        .map_err(|error| checker.bad(key, field, error.to_string()))
        .ok()
}

fn rewrite(
    checker: &mut Checker,
    key: &str,
    field: &Spanned<crate::config::raw::RawRewrite>,
) -> Option<Rewrite> {
    let raw = field.get_ref();
    let missing = |checker: &mut Checker, name: &str| {
        let key = format!("{key}.{name}");
        if !checker.reported(&key) {
            checker.problem(
                Some(field.span()),
                Some(key),
                format!("missing: `{name}` is required in a rewrite"),
            );
        }
    };
    let target = match &raw.field {
        None => {
            missing(checker, "field");
            None
        }
        Some(name) => RewriteField::parse(name.get_ref()).or_else(|| {
            checker.bad(
                &format!("{key}.field"),
                name,
                format!(
                    "{:?} is not a field a rewrite can change: use {}",
                    name.get_ref(),
                    RewriteField::NAMES
                ),
            );
            None
        }),
    };
    let pattern = match &raw.pattern {
        None => {
            missing(checker, "pattern");
            None
        }
        Some(text) if text.get_ref().is_empty() => {
            checker.bad(
                &format!("{key}.pattern"),
                text,
                "the pattern must not be empty",
            );
            None
        }
        Some(text) => Pattern::new(text.get_ref())
            .map_err(|error| {
                checker.bad(
                    &format!("{key}.pattern"),
                    text,
                    format!("not a regular expression: {}", one_line(&error.to_string())),
                )
            })
            .ok(),
    };
    // An absent `replace` deletes what the pattern matches: the common case.
    let replace = raw
        .replace
        .as_ref()
        .map(|text| text.get_ref().clone())
        .unwrap_or_default();
    Some(Rewrite {
        field: target?,
        pattern: pattern?,
        replace,
    })
}

fn query(
    checker: &mut Checker,
    key: &str,
    field: Option<&Spanned<String>>,
    topics: &BTreeMap<String, String>,
) -> Option<Filter> {
    let field = field?;
    let text = field.get_ref();
    if text.trim().is_empty() {
        checker.bad(
            key,
            field,
            "must not be empty; leave it out to keep every item",
        );
        return None;
    }
    Filter::compile(&[], &[], Some(text), topics)
        .map_err(|error| checker.bad(key, field, error.to_string()))
        .ok()
}

/// regex's messages draw the pattern over several lines; a config message is one.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
