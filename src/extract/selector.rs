//! CSS selectors from the config, compiled once when it is read.

use std::fmt;

use dom_query::Matcher;

/// A CSS selector, checked when the config is read. The compiled matcher is
/// `Send + Sync` (asserted below), so it is kept and shared, never compiled again.
#[derive(Clone)]
pub struct CssSelector {
    text: String,
    matcher: Matcher,
}

// The selector travels with the config to the parse pool's threads.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<CssSelector>();
};

/// A selector the config cannot use, told in a config author's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{selector}` is not a usable CSS selector: {reason}")]
pub struct SelectorError {
    selector: String,
    reason: String,
}

impl CssSelector {
    /// Compiles `text`. Pseudo-classes that need a browser (`:hover`, `:visited`…)
    /// parse but never match a fetched page.
    pub fn parse(text: &str) -> Result<CssSelector, SelectorError> {
        let trimmed = text.trim();
        let failed = |reason: &str| SelectorError {
            selector: trimmed.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(reason) = obvious_mistake(trimmed) {
            return Err(failed(reason));
        }
        // cssparser is not known to panic, but a config must never bring the
        // process down, so a panic is reported as an unusable selector.
        match std::panic::catch_unwind(|| {
            Matcher::new(trimmed).map_err(|e| format!("{:?}", e.kind))
        }) {
            Ok(Ok(matcher)) => Ok(CssSelector {
                text: trimmed.to_owned(),
                matcher,
            }),
            Ok(Err(kind)) => Err(failed(reason_for(&kind))),
            Err(_) => Err(failed("the selector parser failed on it")),
        }
    }

    /// The selector as written (without surrounding whitespace).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(super) fn matcher(&self) -> &Matcher {
        &self.matcher
    }
}

impl PartialEq for CssSelector {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for CssSelector {}

impl fmt::Debug for CssSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CssSelector").field(&self.text).finish()
    }
}

impl fmt::Display for CssSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The mistakes whose cause the parser's error does not name: an empty selector
/// and unbalanced brackets, parentheses or quotes.
fn obvious_mistake(text: &str) -> Option<&'static str> {
    if text.is_empty() {
        return Some("it is empty");
    }
    let mut open = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' | '\'' if open.last() == Some(&c) => {
                open.pop();
            }
            _ if matches!(open.last(), Some('"' | '\'')) => {}
            '[' | '(' | '"' | '\'' => open.push(c),
            ']' | ')' => {
                let opener = if c == ']' { '[' } else { '(' };
                if open.pop() != Some(opener) {
                    return Some(if c == ']' {
                        "a `]` closes no `[`"
                    } else {
                        "a `)` closes no `(`"
                    });
                }
            }
            _ => {}
        }
    }
    match open.last() {
        Some('[') => Some("a `[` is never closed with `]`"),
        Some('(') => Some("a `(` is never closed with `)`"),
        Some(_) => Some("a quoted value is never closed"),
        None => None,
    }
}

/// Words for the parser's error, named by its `Debug` form: the crates that
/// define the error kinds are not ours to depend on, and an unknown kind still
/// gets a general reason.
fn reason_for(kind: &str) -> &'static str {
    let variant = kind
        .trim_start_matches("Basic(")
        .trim_start_matches("Custom(")
        .trim_end_matches(')');
    match variant {
        "EndOfInput" => "it ends where more was expected",
        "EmptySelector" => {
            "a part of it selects nothing (a doubled comma, a `#` or `.` without a name, \
             a leading `>`, or an empty `:not()`)"
        }
        "DanglingCombinator" => "a combinator (`>`, `+` or `~`) has no selector after it",
        "ClassNeedsIdent" => "a `.` must be followed by a class name",
        "UnsupportedPseudoClassOrElement"
        | "PseudoElementExpectedColon"
        | "PseudoElementExpectedIdent"
        | "NoIdentForPseudo"
        | "InvalidPseudoElementAfterSlotted"
        | "NonPseudoElementAfterSlotted"
        | "InvalidPseudoElementInsideWhere" => {
            "it uses a pseudo-class or pseudo-element that is unknown or does not apply to a fetched page"
        }
        "NoQualifiedNameInAttributeSelector"
        | "UnexpectedTokenInAttributeSelector"
        | "BadValueInAttr"
        | "ExpectedBarInAttr" => {
            "an attribute test is malformed (write it like `[data-role=share]` or `[class~=\"ad\"]`)"
        }
        "ExpectedNamespace" | "ExplicitNamespaceUnexpectedToken" | "InvalidQualNameInAttr" => {
            "namespace prefixes (`svg|a`) are not supported"
        }
        _ => "it has a character or word where a CSS selector cannot have one",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        match CssSelector::parse(text) {
            Err(e) => e.to_string(),
            Ok(selector) => panic!("{selector} parsed"),
        }
    }

    #[test]
    fn good_selectors_parse_and_compare_by_text() {
        for text in [
            "div.story-body",
            "article > p",
            ".share, .social",
            "p:has(img)",
            "a:not(.x b)",
        ] {
            assert_eq!(CssSelector::parse(text).unwrap().as_str(), text);
        }
        assert_eq!(
            CssSelector::parse(" .a ").unwrap(),
            CssSelector::parse(".a").unwrap()
        );
        assert_ne!(
            CssSelector::parse(".a").unwrap(),
            CssSelector::parse(".b").unwrap()
        );
    }

    #[test]
    fn bad_selectors_say_what_is_wrong() {
        assert_eq!(
            reason("div["),
            "`div[` is not a usable CSS selector: a `[` is never closed with `]`"
        );
        assert!(reason("").ends_with("it is empty"));
        assert!(reason("div)").contains("a `)` closes no `(`"));
        assert!(reason("a[title=\"x]").contains("quoted value is never closed"));
        assert!(reason("a >").contains("combinator"));
        assert!(reason(".a,,.b").contains("doubled comma"));
        assert!(reason("p::before").contains("pseudo-class or pseudo-element"));
        assert!(reason("svg|a").contains("namespace"));
        assert!(reason(".").contains("ends where more was expected"));
        assert!(reason("[=x]").contains("attribute test"));
        assert!(reason("a!b").contains("where a CSS selector cannot"));
    }
}
