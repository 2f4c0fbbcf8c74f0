//! `feedbraid import-opml` and `export-opml`: sources to and from OPML.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::render::opml::{OpmlOutline, parse_opml, render_sources_opml};

pub(super) fn export(config: &Config) -> anyhow::Result<ExitCode> {
    let sources: Vec<(String, String, String)> = config
        .sources
        .iter()
        .map(|s| {
            let title = s.title.clone().unwrap_or_else(|| s.name.clone());
            (s.name.clone(), title, s.url.to_string())
        })
        .collect();
    out!("{}", render_sources_opml(&sources));
    Ok(ExitCode::SUCCESS)
}

/// Prints (or appends to the config) one `[[source]]` per feed of the OPML file. Feeds
/// whose URL the config already has are skipped; names are made unique.
pub(super) fn import(config_path: &Path, file: &Path, write: bool) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let outlines = match parse_opml(&text) {
        Ok(o) => o,
        Err(e) => {
            errln!("error: {}: {e}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    // The existing config, when there is one, tells which names and URLs are taken.
    let existing = Config::load(config_path).ok();
    let mut names: HashSet<String> = HashSet::new();
    let mut urls: HashSet<String> = HashSet::new();
    if let Some(config) = &existing {
        names.extend(config.sources.iter().map(|s| s.name.clone()));
        urls.extend(config.sources.iter().map(|s| s.url.to_string()));
    }
    let mut out = String::new();
    let mut added = 0;
    for outline in &outlines {
        let Ok(url) = url::Url::parse(&outline.xml_url) else {
            errln!("skipped: {:?} is not an absolute URL", outline.xml_url);
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || !urls.insert(url.to_string()) {
            continue;
        }
        let name = unique_name(&mut names, outline);
        let _ = write!(
            out,
            "\n[[source]]\nname = {}\nurl = {}\n",
            toml_string(&name),
            toml_string(url.as_str())
        );
        if let Some(title) = outline.title.as_deref().filter(|t| !t.trim().is_empty()) {
            let _ = writeln!(out, "title = {}", toml_string(title.trim()));
        }
        if let Some(category) = &outline.category {
            let tag = slug(category);
            if !tag.is_empty() {
                let _ = writeln!(out, "tags = [{}]", toml_string(&tag));
            }
        }
        added += 1;
    }
    if write {
        let mut config = std::fs::OpenOptions::new()
            .append(true)
            .open(config_path)
            .with_context(|| format!("cannot open {} to append", config_path.display()))?;
        config
            .write_all(out.as_bytes())
            .with_context(|| format!("cannot write {}", config_path.display()))?;
        errln!(
            "appended {added} source{} to {}",
            if added == 1 { "" } else { "s" },
            config_path.display()
        );
    } else {
        out!("{out}");
        errln!("{added} new source{}", if added == 1 { "" } else { "s" });
    }
    Ok(ExitCode::SUCCESS)
}

/// A valid source name from the outline's title (or its URL's host), not yet taken.
fn unique_name(taken: &mut HashSet<String>, outline: &OpmlOutline) -> String {
    let from_url = || {
        url::Url::parse(&outline.xml_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    };
    let mut base = slug(outline.title.as_deref().unwrap_or_default());
    if base.is_empty() {
        base = slug(&from_url());
    }
    if base.is_empty() {
        base = "source".into();
    }
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// Lower-case ASCII letters and digits, other runs turned into one '-'.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(48)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_slugs_and_unique() {
        let mut taken = HashSet::from(["bbc-world".to_string()]);
        let outline = OpmlOutline {
            title: Some("BBC World!".into()),
            xml_url: "https://feeds.bbci.co.uk/news/world/rss.xml".into(),
            html_url: None,
            category: None,
        };
        assert_eq!(unique_name(&mut taken, &outline), "bbc-world-2");
        assert_eq!(unique_name(&mut taken, &outline), "bbc-world-3");
        assert_eq!(slug("Le Monde — International"), "le-monde-international");
        let line = format!("t = {}", toml_string("a \"b\" 'c'"));
        let parsed: toml::Table = toml::from_str(&line).unwrap();
        assert_eq!(parsed["t"].as_str(), Some("a \"b\" 'c'"));
    }
}
