//! What `feedbraid check` prints for a valid config, and where the config is looked for.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Config, DEFAULT_CONFIG_PATH};

/// The environment variable naming the config file when `-c` is not given.
pub const CONFIG_ENV_VAR: &str = "FEEDBRAID_CONFIG";

/// The config file to read: `-c PATH` when given, else `$FEEDBRAID_CONFIG` when set and
/// non-empty, else [`DEFAULT_CONFIG_PATH`].
pub fn resolve_config_path(cli: Option<&Path>) -> PathBuf {
    resolve_config_path_with(cli, std::env::var_os(CONFIG_ENV_VAR))
}

/// [`resolve_config_path`] with the environment variable's value passed in.
pub fn resolve_config_path_with(cli: Option<&Path>, env_value: Option<OsString>) -> PathBuf {
    if let Some(path) = cli {
        return path.to_path_buf();
    }
    match env_value {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => PathBuf::from(DEFAULT_CONFIG_PATH),
    }
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

impl Config {
    /// The short summary `feedbraid check` prints on success: one line for the whole
    /// config, one per output feed (how many sources it reads and where it is
    /// served), one per source with content rules (which), then one per warning.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "config OK: {} ({}, {}, database {}, serving on {})",
            self.path.display(),
            plural(self.sources.len(), "source"),
            plural(self.feeds.len(), "feed"),
            self.storage.database(),
            self.server.listen,
        );
        for feed in &self.feeds {
            let reads = self.sources_of_feed(feed).len();
            let access = if feed.token.is_some() {
                ", token required"
            } else {
                ""
            };
            let _ = write!(
                text,
                "\n  feed {}: reads {} of {}, at {}{access}",
                feed.name,
                reads,
                plural(self.sources.len(), "source"),
                self.server.public_url(&format!("/feeds/{}.rss", feed.name)),
            );
        }
        for source in self.sources.iter().filter(|s| !s.rules.is_empty()) {
            let _ = write!(
                text,
                "\n  source {}: {}",
                source.name,
                rules_summary(&source.rules)
            );
        }
        for warning in &self.warnings {
            let _ = write!(text, "\nwarning: {warning}");
        }
        text
    }
}

/// A source's content rules in a few words: `full text by selector div.body, 1
/// removal, 2 rewrites, drop_if`.
fn rules_summary(rules: &crate::content_rules::ContentRules) -> String {
    use crate::content_rules::FullText;
    let mut parts = Vec::new();
    match &rules.full_text {
        Some(FullText::Readability) => parts.push("full text".to_string()),
        Some(FullText::Selector(selector)) => {
            parts.push(format!("full text by selector {}", selector.as_str()))
        }
        None => {}
    }
    if !rules.remove.is_empty() {
        parts.push(plural(rules.remove.len(), "removal"));
    }
    if !rules.rewrites.is_empty() {
        parts.push(plural(rules.rewrites.len(), "rewrite"));
    }
    if rules.keep_if.is_some() {
        parts.push("keep_if".to_string());
    }
    if rules.drop_if.is_some() {
        parts.push("drop_if".to_string());
    }
    parts.join(", ")
}
