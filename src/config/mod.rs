//! Configuration: the typed, validated form of `feedbraid.toml`.
//!
//! The file is read in two steps, as ripgrep does with its flags: `raw` deserializes
//! the TOML as written (keeping spans for error messages, rejecting unknown keys),
//! then `validate` turns it into the typed [`Config`] below, collecting *every*
//! problem with its file, line and key rather than stopping at the first one.
//! This module does no network I/O; it reads the one config file it is given.

pub mod database_tls;
mod raw;
mod summary;
mod units;
mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use summary::{CONFIG_ENV_VAR, resolve_config_path, resolve_config_path_with};
pub use units::{format_duration, parse_duration, parse_size};

/// Where the config is looked for when `-c` is not given and `$FEEDBRAID_CONFIG` is unset.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/feedbraid/feedbraid.toml";

/// A validated configuration. Every value here has been checked; code that holds a
/// `Config` never re-validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this was read from (for messages and for resolving relative paths).
    pub path: PathBuf,
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub fetch: FetchConfig,
    pub sources: Vec<SourceConfig>,
    pub feeds: Vec<FeedConfig>,
    /// Named topic queries from `[topics]`, usable as `@name` in feed queries.
    pub topics: std::collections::BTreeMap<String, String>,
    /// Story clustering settings from `[dedup]`.
    pub dedup: DedupConfig,
    /// Things that are allowed but probably not meant (a feed tag no source carries).
    /// `feedbraid check` prints them; they never make a config invalid.
    pub warnings: Vec<Problem>,
    /// Where each source is in `sources`: the polling loop looks sources up by name
    /// for every poll, and ten thousand of them must not be scanned each time.
    source_index: std::collections::HashMap<String, usize>,
    /// The feeds that read every source: serving asks for every request whether a
    /// feed takes every item, and ten thousand sources must not be counted each time.
    every_source_feeds: std::collections::HashSet<String>,
    /// The topic filters' screen: every poll's parsing screens its items with it, and
    /// its automata must not be built again for each poll.
    topic_screen: TopicScreen,
}

/// What every source's items are screened with for the topic filters of `feeds`,
/// built once per config.
#[derive(Debug, Clone)]
pub struct TopicScreen {
    /// Rules out items no filter can admit; `None` when one filter could admit an item
    /// without any given word, or no feed has a filter.
    pub screen: Option<std::sync::Arc<crate::topic::Screen>>,
    /// Which filters these are: a hash of each filtered feed's name and query.
    pub filters: u64,
}

impl TopicScreen {
    fn of(feeds: &[FeedConfig]) -> TopicScreen {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        for feed in feeds {
            if let Some(query) = feed.filter.condition() {
                (feed.name.as_str(), query.to_string()).hash(&mut hasher);
            }
        }
        let queries = feeds.iter().filter_map(|feed| feed.filter.condition());
        TopicScreen {
            screen: crate::topic::Screen::new(queries).map(std::sync::Arc::new),
            filters: hasher.finish(),
        }
    }
}

/// Screens of the same filters are alike (automata compare by nothing else).
impl PartialEq for TopicScreen {
    fn eq(&self, other: &TopicScreen) -> bool {
        self.filters == other.filters
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Public URL for self links, without a trailing slash (except the bare root,
    /// which `url::Url` always writes as `http://host/`): use [`ServerConfig::public_url`].
    pub base_url: url::Url,
}

impl ServerConfig {
    /// `base_url` without a trailing slash, the form every self link starts with.
    pub fn base(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// The public URL of `path` (e.g. `/feeds/iran.rss`) under `base_url`.
    pub fn public_url(&self, path: &str) -> String {
        format!("{}/{}", self.base(), path.trim_start_matches('/'))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StorageConfig {
    /// Absolute path of the SQLite database (relative paths resolved against the config's folder).
    pub path: PathBuf,
    /// A PostgreSQL server's database (`postgres://user@host/db`), when one holds the
    /// items instead of the SQLite file at `path` (which is then unused).
    pub url: Option<String>,
    /// Items first seen longer ago than this are pruned (their identity is remembered).
    pub retention: Duration,
    /// How long a node's claim on a source lasts while it polls it (nodes sharing a
    /// PostgreSQL database): a node that dies mid-poll holds its sources this long.
    pub lease: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FetchConfig {
    pub interval: Duration,
    /// Lower clamp of any source's computed next-poll delay (default 5m).
    pub min_interval: Duration,
    /// Upper clamp of any source's computed next-poll delay, backoff included (default 24h).
    pub max_interval: Duration,
    pub concurrency: usize,
    pub per_host: usize,
    /// Minimum gap between the starts of two requests to one host (default 250ms;
    /// zero for none, for people polling their own servers).
    pub per_host_interval: Duration,
    pub timeout: Duration,
    pub max_body: u64,
    pub allow_private_networks: bool,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    /// Unique; letters, digits, '-' and '_'.
    pub name: String,
    pub url: url::Url,
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub timing: SourceTiming,
    /// The source's own `allow_private_networks`, else `fetch.allow_private_networks`.
    pub allow_private_networks: bool,
    /// Higher wins when choosing a story's representative copy (default 0).
    pub priority: i32,
    /// Keep at most this many items of this source (retention), when set.
    pub max_items: Option<usize>,
    /// Full text, removals, rewrites, keep/drop queries (shared with the parsing
    /// threads, hence the `Arc`).
    pub rules: std::sync::Arc<crate::content_rules::ContentRules>,
}

impl SourceConfig {
    /// The source's content rules as parsing applies them; `None` when it has none.
    pub fn content_rules(&self) -> Option<crate::content_rules::SourceRules> {
        (!self.rules.is_empty()).then(|| self.source_rules())
    }

    /// The source's content rules, none as they may be.
    pub fn source_rules(&self) -> crate::content_rules::SourceRules {
        crate::content_rules::SourceRules {
            source: self.name.clone(),
            tags: self.tags.clone(),
            rules: std::sync::Arc::clone(&self.rules),
        }
    }

    /// Whether each new item's article page is fetched for its full text.
    pub fn wants_full_text(&self) -> bool {
        self.rules.full_text.is_some()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceTiming {
    /// Poll every this long (the source's own `interval`, else `fetch.interval`).
    Interval(Duration),
    /// A cron expression, seconds first (`0 */10 * * * *`), evaluated in UTC.
    Schedule(String),
}

/// `[dedup]`: how copies of one story across sources are found.
#[derive(Debug, Clone, PartialEq)]
pub struct DedupConfig {
    /// Copies first seen further apart than this are never joined (default 72h).
    pub window: Duration,
    /// Similarity in `0.0..=1.0` above which two items are one story; `None` leaves
    /// the clustering module's own default.
    pub threshold: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DedupMode {
    /// One item per story (default).
    #[default]
    Collapse,
    /// Every copy is its own item.
    Keep,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    /// Served at `/feeds/NAME.rss`, `.atom` and `.json`.
    pub name: String,
    pub title: String,
    pub description: String,
    /// Source names selected explicitly (already checked to exist).
    pub sources: Vec<String>,
    /// Sources carrying any of these tags are selected too.
    pub tags: Vec<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// The boolean topic query, as written (already checked to parse).
    pub query: Option<String>,
    /// The compiled form of `include`, `exclude` and `query` together.
    pub filter: crate::topic::Filter,
    pub limit: usize,
    pub dedup: DedupMode,
    pub token: Option<String>,
}

/// Parses a cron expression exactly as tokio-cron-scheduler will (seconds first,
/// day-of-month and day-of-week both required to match), so `check` accepts only
/// what the scheduler runs.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
}

impl StorageConfig {
    /// The database as messages name it: the PostgreSQL URL without its password,
    /// else the SQLite file's path.
    pub fn database(&self) -> String {
        match &self.url {
            Some(url) => redacted_database_url(url),
            None => self.path.display().to_string(),
        }
    }
}

/// A database URL as messages and pages may show it: without its password, whether
/// in its user part or as a `password=` parameter.
pub fn redacted_database_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("…"));
            }
            database_tls::without_password_option(&mut parsed);
            parsed.to_string()
        }
        Err(_) => "a PostgreSQL database (its URL does not parse)".to_string(),
    }
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Config::from_toml(path, &text)
    }

    /// Validates `text` as if read from `path` (used by tests and by reload).
    pub fn from_toml(path: &Path, text: &str) -> Result<Config, ConfigError> {
        validate::validate(path, text)
    }

    /// The source with this name, if configured.
    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.source_index
            .get(name)
            .and_then(|&at| self.sources.get(at))
            .filter(|source| source.name == name)
            // `sources` is public: a caller that edited it is answered by a scan.
            .or_else(|| self.sources.iter().find(|s| s.name == name))
    }

    /// The output feed with this name, if configured.
    pub fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.name == name)
    }

    /// Names of the sources a feed reads: its `sources` and `tags` together (their
    /// union), or every source when it names neither.
    pub fn sources_of_feed(&self, feed: &FeedConfig) -> Vec<String> {
        feed_sources(&self.sources, feed)
            .map(|s| s.name.clone())
            .collect()
    }

    /// Whether `feed` reads every source of the config (and there is at least one).
    pub fn reads_every_source(&self, feed: &FeedConfig) -> bool {
        self.every_source_feeds.contains(&feed.name)
    }

    /// The screen of the topic filters of the feeds as validated.
    pub fn topic_screen(&self) -> &TopicScreen {
        &self.topic_screen
    }
}

/// The sources of `sources` that `feed` reads: those it names and those carrying
/// one of its tags; every source when it names neither.
fn feed_sources<'a>(
    sources: &'a [SourceConfig],
    feed: &'a FeedConfig,
) -> impl Iterator<Item = &'a SourceConfig> {
    let every = feed.sources.is_empty() && feed.tags.is_empty();
    sources.iter().filter(move |s| {
        every || feed.sources.contains(&s.name) || s.tags.iter().any(|t| feed.tags.contains(t))
    })
}

/// The ways a config can be unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}", Problems(.0))]
    Invalid(Vec<Problem>),
}

/// One thing wrong in a config file, located as precisely as the TOML allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The dotted key, e.g. `source[3].url` or `fetch.timeout`.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
