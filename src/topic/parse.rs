//! The query parser: tokens → [`Query`], with named topics (`@name`) expanded.
//!
//! Grammar (NOT binds tightest, then AND, then OR; juxtaposition is AND):
//!
//! ```text
//! or      := and ("OR" and)*
//! and     := unary (["AND"] unary)*
//! unary   := ("NOT" | "-") unary | primary
//! primary := FIELD ":" operand | operand | "@" topic
//! operand := term | "phrase" | "(" or ")"
//! ```
//!
//! A field applies to one term, phrase, parenthesized group or `@topic`; fields do not
//! nest. Topics are parsed with the field of their reference, so `title:@gulf` looks for
//! the gulf words in titles.

use std::collections::BTreeMap;

use super::TopicError;
use super::lex::{Token, TokenKind, tokenize};
use super::query::{Query, Scope};
use super::words;

/// Most leaves a query may have once topics are expanded (guards against topics
/// that reference each other many times over).
const MAX_LEAVES: usize = 10_000;

const FIELD_NAMES: &str = "title, text, category, author, source, tag, domain";

/// A `field:` restriction in force while parsing an operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Words(Scope),
    Source,
    Tag,
    Domain,
}

impl Field {
    fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "title" => Field::Words(Scope::Title),
            "text" => Field::Words(Scope::Text),
            "category" => Field::Words(Scope::Category),
            "author" => Field::Words(Scope::Author),
            "source" => Field::Source,
            "tag" => Field::Tag,
            "domain" => Field::Domain,
            _ => return None,
        })
    }
}

/// Parses `text` into a [`Query`], expanding `@name` references from `topics`.
pub fn parse_query(text: &str, topics: &BTreeMap<String, String>) -> Result<Query, TopicError> {
    let mut expanding = Vec::new();
    let mut leaves = 0;
    parse_with(
        text,
        Field::Words(Scope::Any),
        topics,
        &mut expanding,
        &mut leaves,
    )
}

/// Parses the named topic `name` of `topics` on its own, positions relative to its text.
/// Returns `None` if there is no such topic.
pub(crate) fn parse_topic(
    name: &str,
    topics: &BTreeMap<String, String>,
) -> Option<Result<Query, TopicError>> {
    let text = topics.get(name)?;
    let mut expanding = vec![name.to_owned()];
    let mut leaves = 0;
    Some(parse_with(
        text,
        Field::Words(Scope::Any),
        topics,
        &mut expanding,
        &mut leaves,
    ))
}

fn parse_with(
    text: &str,
    field: Field,
    topics: &BTreeMap<String, String>,
    expanding: &mut Vec<String>,
    leaves: &mut usize,
) -> Result<Query, TopicError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        end: text.chars().count(),
        topics,
        expanding,
        leaves,
    };
    if parser.tokens.is_empty() {
        return Err(TopicError::new(
            0,
            "expected a term or '(' (the query is empty)",
        ));
    }
    let query = parser.parse_or(field)?;
    if let Some(token) = parser.peek() {
        let message = match token.kind {
            TokenKind::CloseParen => "unexpected ')' without a matching '('",
            _ => "expected AND, OR or the end of the query",
        };
        return Err(TopicError::new(token.position, message));
    }
    Ok(query)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    next: usize,
    /// Character length of the query, the position of errors at its end.
    end: usize,
    topics: &'a BTreeMap<String, String>,
    /// Topics being expanded, outermost first (for cycle detection).
    expanding: &'a mut Vec<String>,
    leaves: &'a mut usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn advance(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        let found = self.peek().is_some_and(|token| &token.kind == kind);
        if found {
            self.next += 1;
        }
        found
    }

    /// An error at the next token (or the end of the query): `expected … after {after}`.
    fn expected_operand(&self, after: &str) -> TopicError {
        match self.peek() {
            Some(token) => TopicError::new(
                token.position,
                format!(
                    "expected a term or '(' after {after}, found {}",
                    describe(&token.kind)
                ),
            ),
            None => TopicError::new(
                self.end,
                format!("expected a term or '(' after {after}, found the end of the query"),
            ),
        }
    }

    fn starts_operand(&self) -> bool {
        self.peek().is_some_and(|token| {
            !matches!(
                token.kind,
                TokenKind::And | TokenKind::Or | TokenKind::CloseParen
            )
        })
    }

    fn parse_or(&mut self, field: Field) -> Result<Query, TopicError> {
        let mut parts = vec![self.parse_and(field)?];
        while self.eat(&TokenKind::Or) {
            if !self.starts_operand() {
                return Err(self.expected_operand("OR"));
            }
            parts.push(self.parse_and(field)?);
        }
        Ok(Query::any_of(parts))
    }

    fn parse_and(&mut self, field: Field) -> Result<Query, TopicError> {
        let mut parts = vec![self.parse_unary(field)?];
        loop {
            if self.eat(&TokenKind::And) {
                if !self.starts_operand() {
                    return Err(self.expected_operand("AND"));
                }
            } else if !self.starts_operand() {
                break;
            }
            parts.push(self.parse_unary(field)?);
        }
        Ok(Query::all_of(parts))
    }

    fn parse_unary(&mut self, field: Field) -> Result<Query, TopicError> {
        let negation = match self.peek().map(|token| &token.kind) {
            Some(TokenKind::Not) => Some("NOT"),
            Some(TokenKind::Minus) => Some("'-'"),
            _ => None,
        };
        if let Some(keyword) = negation {
            self.next += 1;
            if !self.starts_operand() {
                return Err(self.expected_operand(keyword));
            }
            return Ok(Query::Not(Box::new(self.parse_unary(field)?)));
        }
        self.parse_primary(field)
    }

    fn parse_primary(&mut self, field: Field) -> Result<Query, TopicError> {
        let Some(token) = self.advance() else {
            return Err(TopicError::new(self.end, "expected a term or '('"));
        };
        match token.kind {
            TokenKind::Field(name) => {
                let Some(inner) = Field::from_name(&name) else {
                    return Err(TopicError::new(
                        token.position,
                        format!("unknown field '{name}' (expected one of {FIELD_NAMES})"),
                    ));
                };
                if field != Field::Words(Scope::Any) {
                    return Err(TopicError::new(
                        token.position,
                        format!("field '{name}:' cannot be used inside another field"),
                    ));
                }
                let after = format!("'{name}:'");
                match self.peek().map(|next| &next.kind) {
                    Some(
                        TokenKind::Term { .. }
                        | TokenKind::Phrase { .. }
                        | TokenKind::OpenParen
                        | TokenKind::Topic(_),
                    ) => self.parse_primary(inner),
                    _ => Err(self.expected_operand(&after)),
                }
            }
            TokenKind::OpenParen => {
                let query = self.parse_or(field)?;
                if !self.eat(&TokenKind::CloseParen) {
                    return Err(TopicError::new(token.position, "unclosed '('"));
                }
                Ok(query)
            }
            TokenKind::Term { text, prefix } | TokenKind::Phrase { text, prefix } => {
                self.leaf(field, &text, prefix, token.position)
            }
            TokenKind::Topic(name) => self.expand_topic(&name, field, token.position),
            other => Err(TopicError::new(
                token.position,
                format!("expected a term or '(', found {}", describe(&other)),
            )),
        }
    }

    fn leaf(
        &mut self,
        field: Field,
        text: &str,
        prefix: bool,
        position: usize,
    ) -> Result<Query, TopicError> {
        *self.leaves += 1;
        if *self.leaves > MAX_LEAVES {
            return Err(TopicError::new(
                position,
                format!("query too large (more than {MAX_LEAVES} terms once topics are expanded)"),
            ));
        }
        let nothing = || {
            let star = if prefix { "*" } else { "" };
            TopicError::new(
                position,
                format!("expected a term with a letter or digit, found '{text}{star}'"),
            )
        };
        let query = match field {
            Field::Words(scope) => {
                let words = words::words(text);
                if words.is_empty() {
                    return Err(nothing());
                }
                Query::Words {
                    scope,
                    words,
                    prefix,
                }
            }
            Field::Source | Field::Tag => {
                let name = words::normalize_value(text);
                if name.is_empty() {
                    return Err(nothing());
                }
                if field == Field::Source {
                    Query::Source { name, prefix }
                } else {
                    Query::Tag { name, prefix }
                }
            }
            Field::Domain => {
                let host = words::normalize_host(text);
                if host.is_empty() {
                    return Err(nothing());
                }
                Query::Domain { host, prefix }
            }
        };
        Ok(query)
    }

    fn expand_topic(
        &mut self,
        name: &str,
        field: Field,
        position: usize,
    ) -> Result<Query, TopicError> {
        if self.expanding.iter().any(|open| open == name) {
            let mut cycle: Vec<String> = self
                .expanding
                .iter()
                .skip_while(|open| *open != name)
                .map(|open| format!("@{open}"))
                .collect();
            cycle.push(format!("@{name}"));
            return Err(TopicError::new(
                position,
                format!("topic cycle: {}", cycle.join(" -> ")),
            ));
        }
        let Some(text) = self.topics.get(name) else {
            return Err(TopicError::new(
                position,
                format!("unknown topic '@{name}'"),
            ));
        };
        self.expanding.push(name.to_owned());
        let expanded = parse_with(text, field, self.topics, self.expanding, self.leaves);
        self.expanding.pop();
        expanded.map_err(|inner| {
            TopicError::new(
                position,
                format!(
                    "in topic '@{name}' at position {}: {}",
                    inner.position, inner.message
                ),
            )
        })
    }
}

/// How a token is named in error messages.
fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::OpenParen => "'('".into(),
        TokenKind::CloseParen => "')'".into(),
        TokenKind::And => "AND".into(),
        TokenKind::Or => "OR".into(),
        TokenKind::Not => "NOT".into(),
        TokenKind::Minus => "'-'".into(),
        TokenKind::Field(name) => format!("'{name}:'"),
        TokenKind::Topic(name) => format!("'@{name}'"),
        TokenKind::Term { text, .. } => format!("'{text}'"),
        TokenKind::Phrase { text, .. } => format!("\"{text}\""),
    }
}
