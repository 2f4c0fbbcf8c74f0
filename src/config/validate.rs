//! Turns the raw config into the typed [`Config`](super::Config), collecting every problem.
//!
//! The sections with one table each (`[server]`, `[storage]`, `[fetch]`, `[dedup]`) are
//! checked here; the named entries (`[topics]`, `[[source]]`, `[[feed]]`) in `entries`.
//! Every check reports through a [`Checker`], which turns byte spans into lines, and
//! carries on with a default so later checks still run.

mod entries;
mod rules;

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::raw::{self, RawDedup, RawFetch, RawServer, RawStorage};
use super::units::{format_duration, parse_duration, parse_size};
use super::{Config, ConfigError, DedupConfig, FetchConfig, Problem, ServerConfig, StorageConfig};

const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8088);
const DEFAULT_STORAGE_PATH: &str = "feedbraid.db";
/// A poll outlasting this is far past `fetch.timeout`'s default (20 s) and retries.
const DEFAULT_LEASE: Duration = Duration::from_secs(120);
/// What a poll spends beside its fetch (parsing, storing) at most, as the lease counts.
const LEASE_MARGIN: Duration = Duration::from_secs(2);
const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 86_400);
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30 * 60);
const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(5 * 60);
const DEFAULT_MAX_INTERVAL: Duration = Duration::from_secs(24 * 3_600);
const DEFAULT_CONCURRENCY: usize = 32;
const DEFAULT_PER_HOST: usize = 2;
const DEFAULT_PER_HOST_INTERVAL: Duration = Duration::from_millis(250);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
const DEFAULT_MAX_BODY: u64 = 15 * 1024 * 1024;
const DEFAULT_DEDUP_WINDOW: Duration = Duration::from_secs(72 * 3_600);

pub(super) fn validate(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let mut checker = Checker::new(path, text);
    let mut raw_problems = Vec::new();
    let document = raw::parse(text, &mut raw_problems);
    let mut syntax_lines = Vec::new();
    for problem in raw_problems {
        // One syntax error per line: TOML's recovery can report a cascade there.
        if problem.key.is_none() {
            let line = problem
                .span
                .as_ref()
                .map(|span| checker.line_of(span.start));
            if syntax_lines.contains(&line) {
                continue;
            }
            syntax_lines.push(line);
        }
        checker.problem(problem.span, problem.key, problem.message);
    }
    let Some(document) = document else {
        return Err(checker.into_error());
    };

    let server = check_server(&mut checker, document.server.unwrap_or_default());
    let raw_storage = document.storage.unwrap_or_default();
    let lease_span = raw_storage.lease.as_ref().map(|field| field.span());
    let storage = check_storage(&mut checker, raw_storage);
    let fetch = check_fetch(&mut checker, document.fetch.unwrap_or_default());
    // A lease that ends while its poll may still be fetching lets another node poll
    // the same source at the same time (leases are taken on a shared database only).
    if storage.url.is_some() && storage.lease <= fetch.timeout + LEASE_MARGIN {
        checker.problem(
            lease_span,
            Some("storage.lease".into()),
            format!(
                "must be longer than fetch.timeout ({:?}) by more than {:?}, or a slow poll outlives its lease",
                fetch.timeout, LEASE_MARGIN
            ),
        );
    }
    let dedup = check_dedup(&mut checker, document.dedup.unwrap_or_default());
    let topics = entries::check_topics(&mut checker, document.topics);
    let sources = entries::check_sources(&mut checker, document.sources, &fetch, &topics);
    let feeds = entries::check_feeds(&mut checker, document.feeds, &sources, &topics);

    if !checker.problems.is_empty() {
        return Err(checker.into_error());
    }
    let source_index = sources
        .configs
        .iter()
        .enumerate()
        .map(|(at, source)| (source.name.clone(), at))
        .collect();
    let every_source_feeds = feeds
        .iter()
        .filter(|feed| {
            !sources.configs.is_empty()
                && super::feed_sources(&sources.configs, feed).count() == sources.configs.len()
        })
        .map(|feed| feed.name.clone())
        .collect();
    Ok(Config {
        path: path.to_path_buf(),
        server,
        storage,
        fetch,
        source_index,
        every_source_feeds,
        topic_screen: super::TopicScreen::of(&feeds),
        sources: sources.configs,
        feeds,
        topics,
        dedup,
        warnings: checker.into_warnings(),
    })
}

/// Collects problems and warnings, locating each by line.
pub(super) struct Checker<'a> {
    path: &'a Path,
    /// Byte offset where each line starts; `line_starts[0] == 0`.
    line_starts: Vec<usize>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl<'a> Checker<'a> {
    fn new(path: &'a Path, text: &str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(offset, _)| offset + 1))
            .collect();
        Checker {
            path,
            line_starts,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The 1-based line holding byte `offset`.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    fn locate(&self, span: Option<Range<usize>>, key: Option<String>, message: String) -> Problem {
        Problem {
            path: self.path.to_path_buf(),
            line: span.map(|span| self.line_of(span.start)),
            key,
            message,
        }
    }

    pub(super) fn problem(
        &mut self,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: impl Into<String>,
    ) {
        let problem = self.locate(span, key, message.into());
        self.problems.push(problem);
    }

    /// Reports a problem with the value `field` of `key`.
    pub(super) fn bad<T>(&mut self, key: &str, field: &Spanned<T>, message: impl Into<String>) {
        self.problem(Some(field.span()), Some(key.to_owned()), message);
    }

    pub(super) fn warn(
        &mut self,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: impl Into<String>,
    ) {
        let warning = self.locate(span, key, message.into());
        self.warnings.push(warning);
    }

    /// Whether a problem was already reported for `key` (e.g. a required key of the
    /// wrong type, which should not also be reported as missing).
    pub(super) fn reported(&self, key: &str) -> bool {
        self.problems
            .iter()
            .any(|problem| problem.key.as_deref() == Some(key))
    }

    /// A duration longer than zero, or `default` when absent or invalid.
    pub(super) fn positive_duration(
        &mut self,
        key: &str,
        field: Option<&Spanned<String>>,
        default: Duration,
    ) -> Duration {
        field
            .and_then(|field| self.duration(key, field))
            .unwrap_or(default)
    }

    /// Parses a duration that must be longer than zero, reporting it when not.
    pub(super) fn duration(&mut self, key: &str, field: &Spanned<String>) -> Option<Duration> {
        match parse_duration(field.get_ref()) {
            Ok(duration) if duration.is_zero() => {
                self.bad(key, field, "must be longer than zero");
                None
            }
            Ok(duration) => Some(duration),
            Err(message) => {
                self.bad(key, field, message);
                None
            }
        }
    }

    /// A count of at least one, or `default` when absent or invalid.
    pub(super) fn at_least_one(
        &mut self,
        key: &str,
        field: Option<&Spanned<i64>>,
        default: usize,
    ) -> usize {
        let Some(field) = field else { return default };
        match usize::try_from(*field.get_ref()) {
            Ok(count) if count >= 1 => count,
            _ => {
                self.bad(
                    key,
                    field,
                    format!("must be at least 1, not {}", field.get_ref()),
                );
                default
            }
        }
    }

    fn into_error(self) -> ConfigError {
        ConfigError::Invalid(sorted_by_line(self.problems))
    }

    fn into_warnings(self) -> Vec<Problem> {
        sorted_by_line(self.warnings)
    }
}

/// Orders problems as they appear in the file; those without a line come last.
fn sorted_by_line(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|problem| problem.line.unwrap_or(usize::MAX));
    problems
}

/// An absolute http(s) URL with a host, or the message saying why not.
pub(super) fn http_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|error| format!("{text:?} is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{text:?} must be an http:// or https:// URL, not {}:",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    Ok(url)
}

fn check_server(checker: &mut Checker, raw: RawServer) -> ServerConfig {
    let listen = match &raw.listen {
        None => DEFAULT_LISTEN,
        Some(field) => field.get_ref().parse().unwrap_or_else(|_| {
            checker.bad(
                "server.listen",
                field,
                format!(
                    "{:?} is not an address:port, like \"127.0.0.1:8088\" or \"[::]:8088\"",
                    field.get_ref()
                ),
            );
            DEFAULT_LISTEN
        }),
    };
    let base_url = raw
        .base_url
        .as_ref()
        .and_then(|field| match check_base_url(field.get_ref()) {
            Ok(url) => Some(url),
            Err(message) => {
                checker.bad("server.base_url", field, message);
                None
            }
        })
        .unwrap_or_else(|| {
            url::Url::parse(&format!("http://{listen}"))
                .expect("http:// followed by a socket address is a valid URL")
        });
    ServerConfig { listen, base_url }
}

fn check_base_url(text: &str) -> Result<url::Url, String> {
    let mut url = http_url(text)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} must not have a query or a fragment"));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

fn check_storage(checker: &mut Checker, raw: RawStorage) -> StorageConfig {
    let written = match &raw.path {
        Some(field) if field.get_ref().trim().is_empty() => {
            checker.bad("storage.path", field, "must not be empty");
            DEFAULT_STORAGE_PATH
        }
        Some(field) => field.get_ref().as_str(),
        None => DEFAULT_STORAGE_PATH,
    };
    let path = resolve_against_config(checker.path, Path::new(written));
    let url = raw.url.as_ref().and_then(|field| {
        if raw.path.is_some() {
            checker.bad(
                "storage.url",
                field,
                "give either path (a SQLite file) or url (a PostgreSQL database), not both",
            );
            return None;
        }
        match check_database_url(field.get_ref(), checker.path) {
            Ok(url) => Some(url),
            Err(message) => {
                checker.bad("storage.url", field, message);
                None
            }
        }
    });
    let retention = checker.positive_duration(
        "storage.retention",
        raw.retention.as_ref(),
        DEFAULT_RETENTION,
    );
    let lease = checker.positive_duration("storage.lease", raw.lease.as_ref(), DEFAULT_LEASE);
    StorageConfig {
        path,
        url,
        retention,
        lease,
    }
}

/// A PostgreSQL URL as the server's client library takes it, its TLS options
/// checked ([`super::database_tls`]) and the files they name made absolute against
/// the config file's folder, as `storage.path` is, and found there.
fn check_database_url(text: &str, config_path: &Path) -> Result<String, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| format!("is not a URL ({e}); expected postgres://user@host/database"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!(
            "must be a postgres:// URL (a PostgreSQL database), not {}://",
            url.scheme()
        ));
    }
    if url.path().trim_start_matches('/').is_empty() {
        return Err("names no database: expected postgres://user@host/database".into());
    }
    let folder = config_path.parent().unwrap_or(Path::new(""));
    let url = super::database_tls::with_absolute_files(url.as_str(), folder)?;
    let (_, tls) = super::database_tls::split_tls_options(&url, folder)?;
    for (option, file) in super::database_tls::named_files(&tls) {
        if !file.is_file() {
            return Err(format!(
                "{option} {} is not a file (expected a PEM file)",
                file.display()
            ));
        }
    }
    Ok(url)
}

/// Resolves `path` against the folder of the config file; absolute paths are kept.
fn resolve_against_config(config_path: &Path, path: &Path) -> PathBuf {
    let folder = config_path.parent().unwrap_or(Path::new(""));
    let joined = folder.join(path);
    std::path::absolute(&joined).unwrap_or(joined)
}

fn check_fetch(checker: &mut Checker, raw: RawFetch) -> FetchConfig {
    let interval =
        checker.positive_duration("fetch.interval", raw.interval.as_ref(), DEFAULT_INTERVAL);
    let min_interval = checker.positive_duration(
        "fetch.min_interval",
        raw.min_interval.as_ref(),
        DEFAULT_MIN_INTERVAL,
    );
    let max_interval = checker.positive_duration(
        "fetch.max_interval",
        raw.max_interval.as_ref(),
        DEFAULT_MAX_INTERVAL,
    );
    if min_interval > max_interval {
        let (key, span) = match (&raw.min_interval, &raw.max_interval) {
            (Some(min), _) => ("fetch.min_interval", Some(min.span())),
            (None, Some(max)) => ("fetch.max_interval", Some(max.span())),
            (None, None) => ("fetch.min_interval", None),
        };
        checker.problem(
            span,
            Some(key.to_owned()),
            format!(
                "min_interval ({}) is longer than max_interval ({})",
                format_duration(min_interval),
                format_duration(max_interval)
            ),
        );
    }
    let concurrency = checker.at_least_one(
        "fetch.concurrency",
        raw.concurrency.as_ref(),
        DEFAULT_CONCURRENCY,
    );
    let per_host = checker.at_least_one("fetch.per_host", raw.per_host.as_ref(), DEFAULT_PER_HOST);
    let per_host_interval = match &raw.per_host_interval {
        None => DEFAULT_PER_HOST_INTERVAL,
        Some(field) => match parse_duration(field.get_ref()) {
            Ok(interval) => interval,
            Err(message) => {
                checker.bad("fetch.per_host_interval", field, message);
                DEFAULT_PER_HOST_INTERVAL
            }
        },
    };
    let timeout = checker.positive_duration("fetch.timeout", raw.timeout.as_ref(), DEFAULT_TIMEOUT);
    let max_body = match &raw.max_body {
        None => DEFAULT_MAX_BODY,
        Some(field) => match parse_size(&field.get_ref().0) {
            Ok(0) => {
                checker.bad("fetch.max_body", field, "must be larger than zero");
                DEFAULT_MAX_BODY
            }
            Ok(size) => size,
            Err(message) => {
                checker.bad("fetch.max_body", field, message);
                DEFAULT_MAX_BODY
            }
        },
    };
    let user_agent = match &raw.user_agent {
        None => default_user_agent(),
        Some(field) => {
            let text = field.get_ref();
            if text.trim().is_empty() || text.chars().any(char::is_control) {
                checker.bad(
                    "fetch.user_agent",
                    field,
                    "must be non-empty text on one line (it is sent as an HTTP header)",
                );
            }
            text.clone()
        }
    };
    FetchConfig {
        interval,
        min_interval,
        max_interval,
        concurrency,
        per_host,
        per_host_interval,
        timeout,
        max_body,
        allow_private_networks: raw
            .allow_private_networks
            .is_some_and(|flag| *flag.get_ref()),
        user_agent,
    }
}

/// `feedbraid/VERSION (+https://github.com/feedbraid/feedbraid)`.
fn default_user_agent() -> String {
    format!(
        "feedbraid/{} (+https://github.com/feedbraid/feedbraid)",
        env!("CARGO_PKG_VERSION")
    )
}

fn check_dedup(checker: &mut Checker, raw: RawDedup) -> DedupConfig {
    let window =
        checker.positive_duration("dedup.window", raw.window.as_ref(), DEFAULT_DEDUP_WINDOW);
    let threshold = raw.threshold.as_ref().and_then(|field| {
        let value = *field.get_ref();
        if (0.0..=1.0).contains(&value) {
            Some(value)
        } else {
            checker.bad(
                "dedup.threshold",
                field,
                format!("must be between 0.0 and 1.0, not {value}"),
            );
            None
        }
    });
    DedupConfig { window, threshold }
}
