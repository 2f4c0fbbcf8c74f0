//! Making untrusted content safe to republish: HTML through ammonia with a strict
//! policy and absolute URLs, text fields cleaned of characters XML 1.0 forbids. Pure.

/// Sanitizes an HTML fragment; relative `href`/`src` are resolved against `base`.
pub fn sanitize_html(html: &str, base: Option<&url::Url>) -> String {
    let _ = (html, base);
    todo!("ingest helper")
}

/// Plain text from an HTML fragment (tags removed, entities decoded, whitespace folded).
pub fn html_to_text(html: &str) -> String {
    let _ = html;
    todo!("ingest helper")
}

/// A text field made safe for XML 1.0: forbidden characters removed, whitespace trimmed.
pub fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|&c| is_xml_char(c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// Whether XML 1.0 allows `c` in a document (the `Char` production, less the
/// discouraged non-characters U+FFFE and U+FFFF which it already excludes).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}
