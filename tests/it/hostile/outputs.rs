//! Checking one served output document: it parses strictly (roxmltree for RSS and
//! Atom, serde_json for JSON Feed), its HTML payloads hold no active content, every
//! URL in it is absolute http(s), and no script survives even as raw text.
//! Included by `hostile.rs` (whole documents) and `robustness.rs` (element by
//! element), each using part of it.

use super::active_content::{html_problems, is_absolute_web_url, looks_active};

/// Everything wrong with a served document of `format` (`rss`, `atom` or `json`).
pub fn problems(format: &str, body: &str) -> Vec<String> {
    let mut found = raw_problems(body);
    match format {
        "json" => match serde_json::from_str::<serde_json::Value>(body) {
            Ok(feed) => json_problems(&feed, &mut found),
            Err(e) => found.push(format!("JSON does not parse: {e}")),
        },
        _ => match roxmltree::Document::parse(body) {
            Ok(doc) => xml_problems(&doc, &mut found),
            Err(e) => found.push(format!("XML does not parse strictly: {e}")),
        },
    }
    found
}

/// Substrings no served byte may hold, whatever the context. (Script URLs written as
/// plain text, e.g. a category "javascript:alert(1)", are harmless text; URLs and
/// attributes are checked where they are.)
pub fn raw_problems(body: &str) -> Vec<String> {
    let lower = body.to_ascii_lowercase();
    ["<script", "<iframe", "<object", "<embed"]
        .iter()
        .filter(|needle| lower.contains(*needle))
        .map(|needle| format!("raw output contains {needle:?}"))
        .collect()
}

/// RSS and Atom elements whose text is an HTML payload.
fn is_html_element(node: roxmltree::Node) -> bool {
    let name = node.tag_name().name();
    match node.tag_name().namespace() {
        Some("http://www.w3.org/2005/Atom") => {
            matches!(
                name,
                "content" | "summary" | "title" | "subtitle" | "rights"
            ) && node.attribute("type") == Some("html")
        }
        Some("http://purl.org/rss/1.0/modules/content/") => name == "encoded",
        None => name == "description",
        _ => false,
    }
}

/// Elements whose text is a URL.
fn is_url_element(node: roxmltree::Node) -> bool {
    let name = node.tag_name().name();
    match node.tag_name().namespace() {
        Some("http://www.w3.org/2005/Atom") => matches!(name, "uri" | "icon" | "logo"),
        None => matches!(name, "link" | "comments" | "docs" | "url"),
        _ => false,
    }
}

fn xml_problems(doc: &roxmltree::Document, found: &mut Vec<String>) {
    for node in doc.descendants().filter(|n| n.is_element()) {
        element_problems(node, found);
    }
}

/// What is wrong with one element of an RSS or Atom document (not its descendants):
/// its HTML payload, markup in its text, its URLs and its attributes.
pub fn element_problems(node: roxmltree::Node, found: &mut Vec<String>) {
    let xhtml = "http://www.w3.org/1999/xhtml";
    let name = node.tag_name().name();
    let text: String = node.children().filter_map(|c| c.text()).collect();
    if is_html_element(node) {
        found.extend(
            html_problems(&text)
                .into_iter()
                .map(|p| format!("<{name}>: {p}")),
        );
    } else if node.tag_name().namespace() == Some(xhtml) {
        // Inline XHTML: check it as the HTML it is.
        let attrs: String = node
            .attributes()
            .map(|a| format!(" {}=\"{}\"", a.name(), a.value().replace('"', "&quot;")))
            .collect();
        let tag = format!("<{name}{attrs}>");
        found.extend(
            html_problems(&tag)
                .into_iter()
                .map(|p| format!("xhtml: {p}")),
        );
    } else if node.children().all(|c| c.is_text())
        && html_problems(&text)
            .iter()
            .any(|p| p.starts_with("element"))
    {
        // A text field a lenient reader renders as HTML must not hold markup either.
        found.push(format!("<{name}> text holds markup: {text:?}"));
    }
    if is_url_element(node) && !is_absolute_web_url(text.trim(), false) {
        found.push(format!("<{name}> is not an absolute http(s) URL: {text:?}"));
    }
    for attr in node.attributes() {
        if matches!(
            attr.name(),
            "href" | "url" | "src" | "uri" | "domain" | "scheme"
        ) && !is_absolute_web_url(attr.value(), false)
        {
            found.push(format!(
                "<{name} {}> is not an absolute http(s) URL: {:?}",
                attr.name(),
                attr.value()
            ));
        }
        let is_url = matches!(
            attr.name(),
            "href" | "url" | "src" | "uri" | "domain" | "scheme"
        );
        if is_url && looks_active(attr.value()) {
            found.push(format!(
                "<{name} {}> holds a script URL: {:?}",
                attr.name(),
                attr.value()
            ));
        }
    }
}

/// JSON Feed keys whose value is a URL, wherever they appear.
const JSON_URL_KEYS: &[&str] = &[
    "home_page_url",
    "feed_url",
    "url",
    "external_url",
    "image",
    "banner_image",
    "icon",
    "favicon",
    "avatar",
    "next_url",
];

/// What is wrong with a JSON Feed value (the feed, or one of its items) and
/// everything in it.
pub fn json_value_problems(value: &serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    json_problems(value, &mut found);
    found
}

fn json_problems(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("content_html", serde_json::Value::String(html)) => {
                        found.extend(
                            html_problems(html)
                                .into_iter()
                                .map(|p| format!("content_html: {p}")),
                        );
                    }
                    (key, serde_json::Value::String(url)) if JSON_URL_KEYS.contains(&key) => {
                        if !is_absolute_web_url(url, false) {
                            found.push(format!("{key} is not an absolute http(s) URL: {url:?}"));
                        }
                    }
                    (
                        "title" | "name" | "summary" | "content_text",
                        serde_json::Value::String(text),
                    ) if html_problems(text).iter().any(|p| p.starts_with("element")) => {
                        found.push(format!("{key} text holds markup: {text:?}"));
                    }
                    _ => json_problems(value, found),
                }
            }
        }
        serde_json::Value::Array(values) => values.iter().for_each(|v| json_problems(v, found)),
        _ => {}
    }
}
