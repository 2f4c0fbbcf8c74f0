//! Headlines without wire boilerplate: leading labels (`UPDATE:`, `UPDATE 2-`,
//! `BREAKING:`, `EXCLUSIVE-` …, repeated) and a trailing outlet segment (` | Reuters`,
//! ` - report`, ` — Al Jazeera`, `(AFP)`), which is where outlets put their own name
//! and where copies of one story differ most.

use crate::topic::words::words;

/// Labels wire services and outlets put in front of a headline.
const TITLE_LABELS: &[&str] = &[
    "update",
    "updated",
    "updates",
    "breaking",
    "breaking news",
    "exclusive",
    "wrapup",
    "refile",
    "corrected",
    "correction",
    "urgent",
    "flash",
    "alert",
    "just in",
    "live",
    "watch",
    "video",
    "analysis",
    "factbox",
    "explainer",
    "insight",
    "rpt",
];

/// Separators between a label or outlet segment and the headline.
const TITLE_SEPARATORS: &[char] = &[':', '-', '–', '—', '|'];

/// A trailing ` | X` segment is an outlet name when it has at most this many words.
const MAX_PIPE_SUFFIX_WORDS: usize = 5;
/// A trailing ` - X` segment is an outlet name or "report" when this short.
const MAX_DASH_SUFFIX_WORDS: usize = 3;

/// The headline without wire labels in front or an outlet segment at the end.
pub fn strip_title(title: &str) -> &str {
    let mut rest = title.trim();
    while let Some(stripped) = strip_label(rest) {
        rest = stripped;
    }
    strip_suffix(rest)
}

/// `rest` without one leading label (`UPDATE 2-`, `BREAKING:`), if it has one.
fn strip_label(rest: &str) -> Option<&str> {
    let (head, tail) = rest.split_once(TITLE_SEPARATORS)?;
    // `Live-fire drills` is a headline; `EXCLUSIVE-Iran …` is a wire label.
    let glued_hyphen = tail.starts_with(|c: char| !c.is_whitespace())
        && !head.ends_with(char::is_whitespace)
        && rest[head.len()..].starts_with('-');
    if glued_hyphen && head.chars().any(char::is_lowercase) {
        return None;
    }
    let head_words = words(head);
    let label_len = TITLE_LABELS
        .iter()
        .map(|label| label.split(' ').collect::<Vec<_>>())
        .filter(|label| {
            label.len() <= head_words.len() && label.iter().zip(&head_words).all(|(l, w)| l == w)
        })
        .map(|label| label.len())
        .max()?;
    // After the label only a number may follow (`UPDATE 2`).
    let after = &head_words[label_len..];
    let is_number = |w: &String| w.chars().all(|c| c.is_ascii_digit());
    if after.len() > 1 || !after.iter().all(is_number) {
        return None;
    }
    let tail = tail.trim_start_matches(TITLE_SEPARATORS).trim();
    (!tail.is_empty()).then_some(tail)
}

/// `rest` without a trailing outlet segment and parenthesized agency (either order).
fn strip_suffix(rest: &str) -> &str {
    strip_parenthesis(strip_outlet(strip_parenthesis(rest)))
}

/// `rest` without a short trailing parenthesis such as `(AFP)` or `（ロイター）`.
fn strip_parenthesis(rest: &str) -> &str {
    let rest = rest.trim_end();
    let open = match (rest.rfind('('), rest.rfind('（')) {
        (Some(open), _) if rest.ends_with(')') => open,
        (_, Some(open)) if rest.ends_with('）') => open,
        _ => return rest,
    };
    // `(19日)`, `(Aug 21)`: a date or figure is part of the headline, not a credit.
    let has_figure = rest[open..].chars().any(|c| c.is_numeric());
    if !has_figure
        && words(&rest[open..]).len() <= MAX_DASH_SUFFIX_WORDS
        && !rest[..open].trim().is_empty()
    {
        return rest[..open].trim_end();
    }
    rest
}

/// `rest` without a trailing ` | Outlet` or ` - report` segment.
fn strip_outlet(rest: &str) -> &str {
    // `| August 21, 2026`: a date or figure belongs to the headline, not an outlet.
    let has_figure = |tail: &str| tail.chars().any(|c| c.is_numeric());
    let outlet_after_pipe = |(head, tail): (&str, &str)| {
        words(tail).len() <= MAX_PIPE_SUFFIX_WORDS && !head.trim().is_empty() && !has_figure(tail)
    };
    let outlet_after_dash = |(head, tail): (&str, &str)| {
        words(tail).len() <= MAX_DASH_SUFFIX_WORDS
            && words(head).len() > MAX_DASH_SUFFIX_WORDS
            && !has_figure(tail)
    };
    // Each separator's mark is looked for alone first: most headlines have none, and
    // a search for one character costs a fraction of setting up one for three.
    if let Some((head, _)) = Some(rest)
        .filter(|rest| rest.contains('|'))
        .and_then(|rest| rest.rsplit_once(" | "))
        .filter(|&split| outlet_after_pipe(split))
    {
        return head.trim_end();
    }
    for (mark, dash) in [('-', " - "), ('–', " – "), ('—', " — ")] {
        if let Some((head, _)) = Some(rest)
            .filter(|rest| rest.contains(mark))
            .and_then(|rest| rest.rsplit_once(dash))
            .filter(|&split| outlet_after_dash(split))
        {
            return head.trim_end();
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_wire_labels_and_outlet_suffixes() {
        let cases = [
            (
                "UPDATE 2-Iran, US resume talks in Oman",
                "Iran, US resume talks in Oman",
            ),
            ("BREAKING: Iran, US resume talks", "Iran, US resume talks"),
            ("EXCLUSIVE-Iran, US resume talks", "Iran, US resume talks"),
            (
                "UPDATE: BREAKING - Iran, US resume talks",
                "Iran, US resume talks",
            ),
            (
                "Iran, US resume talks in Oman - report",
                "Iran, US resume talks in Oman",
            ),
            ("Iran, US resume talks | Reuters", "Iran, US resume talks"),
            (
                "Iran, US resume talks in Oman — Al Jazeera English",
                "Iran, US resume talks in Oman",
            ),
            ("Iran, US resume talks (AFP)", "Iran, US resume talks"),
            (
                "Iran, US resume talks (AFP) | Dawn",
                "Iran, US resume talks",
            ),
        ];
        for (title, stripped) in cases {
            assert_eq!(strip_title(title), stripped, "{title}");
        }
    }

    #[test]
    fn keeps_headlines_that_only_look_like_labels() {
        assert_eq!(
            strip_title("Update on talks: Iran"),
            "Update on talks: Iran"
        );
        assert_eq!(
            strip_title("Live-fire drills near Taiwan"),
            "Live-fire drills near Taiwan"
        );
        assert_eq!(
            strip_title("Watchdog: prices rise"),
            "Watchdog: prices rise"
        );
        assert_eq!(strip_title("Oil: prices rise"), "Oil: prices rise");
        assert_eq!(strip_title("Iran - US"), "Iran - US");
    }
}
