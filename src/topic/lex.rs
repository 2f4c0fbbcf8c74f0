//! The query lexer: query text → tokens, each with its 0-based character position.
//!
//! - `(`, `)`; `"quoted phrase"` (also `“…”`), optionally followed by `*`.
//! - `AND`, `OR`, `NOT` are keywords only in upper case; `and`/`or`/`not` are words.
//! - `-` directly before a term, phrase, `(` or `@topic` is NOT.
//! - `name:` (ASCII letters then a colon) is a field; other colons belong to the term
//!   (`10:30`).
//! - `@name` refers to a named topic (letters, digits, `-`, `_`).
//! - Anything else up to whitespace, a parenthesis or a quote is a term; a trailing `*`
//!   makes it a prefix term.

use super::TopicError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    OpenParen,
    CloseParen,
    And,
    Or,
    Not,
    /// `-` before an operand: NOT.
    Minus,
    /// `name:` (the name, without the colon).
    Field(String),
    /// `@name` (the name, without the `@`).
    Topic(String),
    /// A bare term as written (without a trailing `*`).
    Term {
        text: String,
        prefix: bool,
    },
    /// A quoted phrase's inner text.
    Phrase {
        text: String,
        prefix: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// 0-based character offset of the token's first character.
    pub position: usize,
}

fn is_opening_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201E}')
}

fn is_closing_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201D}' | '\u{201C}')
}

fn ends_term(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')' || is_opening_quote(c) || is_closing_quote(c)
}

fn is_topic_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// Splits `query` into tokens.
pub(crate) fn tokenize(query: &str) -> Result<Vec<Token>, TopicError> {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let start = at;
        let kind = if c.is_whitespace() {
            at += 1;
            continue;
        } else if c == '(' {
            at += 1;
            TokenKind::OpenParen
        } else if c == ')' {
            at += 1;
            TokenKind::CloseParen
        } else if is_opening_quote(c) {
            let close = (at + 1..chars.len()).find(|&i| is_closing_quote(chars[i]));
            let Some(close) = close else {
                return Err(TopicError::new(start, "unterminated quote"));
            };
            let text: String = chars[at + 1..close].iter().collect();
            at = close + 1;
            let prefix = chars.get(at) == Some(&'*');
            if prefix {
                at += 1;
            }
            TokenKind::Phrase { text, prefix }
        } else if c == '-' {
            at += 1;
            match chars.get(at) {
                Some(&next) if !next.is_whitespace() && next != ')' && next != '-' => {
                    TokenKind::Minus
                }
                _ => {
                    return Err(TopicError::new(
                        start,
                        "expected a term, phrase or '(' right after '-'",
                    ));
                }
            }
        } else if c == '@' {
            at += 1;
            let name_end = (at..chars.len())
                .find(|&i| !is_topic_name_char(chars[i]))
                .unwrap_or(chars.len());
            if name_end == at {
                return Err(TopicError::new(start, "expected a topic name after '@'"));
            }
            let name: String = chars[at..name_end].iter().collect();
            at = name_end;
            TokenKind::Topic(name)
        } else {
            let mut text = String::new();
            let mut field = None;
            while at < chars.len() && !ends_term(chars[at]) {
                let ch = chars[at];
                at += 1;
                if ch == ':' && !text.is_empty() && text.chars().all(|t| t.is_ascii_alphabetic()) {
                    field = Some(std::mem::take(&mut text));
                    break;
                }
                text.push(ch);
            }
            match (field, text.as_str()) {
                (Some(name), _) => TokenKind::Field(name),
                (None, "AND") => TokenKind::And,
                (None, "OR") => TokenKind::Or,
                (None, "NOT") => TokenKind::Not,
                (None, _) => {
                    let stem = text.trim_end_matches('*');
                    let prefix = stem.len() < text.len();
                    TokenKind::Term {
                        text: stem.to_owned(),
                        prefix,
                    }
                }
            }
        };
        tokens.push(Token {
            kind,
            position: start,
        });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(query: &str) -> Vec<TokenKind> {
        tokenize(query)
            .unwrap()
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    #[test]
    fn recognizes_every_token() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"title:(iran* OR "oil deal") -@gulf and NOT 10:30"#),
            vec![
                Field("title".into()),
                OpenParen,
                Term {
                    text: "iran".into(),
                    prefix: true
                },
                Or,
                Phrase {
                    text: "oil deal".into(),
                    prefix: false
                },
                CloseParen,
                Minus,
                Topic("gulf".into()),
                Term {
                    text: "and".into(),
                    prefix: false
                },
                Not,
                Term {
                    text: "10:30".into(),
                    prefix: false
                },
            ]
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let tokens = tokenize("ایران OR tehran").unwrap();
        assert_eq!(tokens[1].position, 6);
        assert_eq!(tokens[2].position, 9);
    }
}
