//! Publishing: selects a feed's items from the store (its membership rows, or every
//! item for a feed that takes every item; its limit), assembles them and renders a
//! format once per change to that feed ([`Store::feed_version`]), when it is first
//! asked for: a new item renders again only the feeds it belongs in, and only the
//! formats readers ask for, so a feed read as JSON alone never holds its RSS and
//! Atom bytes. Requests are answered from the rendered bytes; nothing is rendered
//! per request, and rendering (a format, its gzip and hash) runs on a blocking
//! thread, never on an async worker.
//!
//! A publisher may serve a feed up to `max_lag` behind the store: bytes of items
//! selected less than `max_lag` ago are served even when the feed changed since. While ingest
//! changes a feed many times a second, it is then rendered about once per `max_lag`
//! instead of by nearly every request, and readers do not wait for renders; a change
//! to a feed that has been quiet for longer is served at once.

mod assemble;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::http::HeaderValue;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

pub use assemble::assemble;
use assemble::{output_feed, speak_with, speaking_rows, stories};

use crate::config::{Config, DedupMode, FeedConfig};
use crate::membership::takes_every_item;
use crate::model::{OutputFeed, StoredItem};
use crate::render::{self, Format};
use crate::store::{FeedScope, Html, Store, StoreError};

/// One format of a feed, rendered, with its validators.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: bytes::Bytes,
    /// The same body gzip-compressed, once per change, for clients that accept it.
    pub gzip: bytes::Bytes,
    pub last_modified: DateTime<Utc>,
    pub content_type: &'static str,
    /// The validators as response header values: a strong ETag (a hash of the
    /// body, so it changes only when content does) and `last_modified`.
    pub headers: ValidatorHeaders,
}

/// A rendered format's validators as HTTP header values, made once per render.
#[derive(Debug, Clone)]
pub struct ValidatorHeaders {
    /// `ETag` of the body.
    pub etag: HeaderValue,
    /// `ETag` of the gzip-compressed body: the body's, suffixed `-gz`.
    pub gzip_etag: HeaderValue,
    /// `Last-Modified`, as an HTTP date.
    pub last_modified: HeaderValue,
}

impl ValidatorHeaders {
    fn new(etag: &str, last_modified: DateTime<Utc>) -> ValidatorHeaders {
        let value = |text: String| {
            // Quoted hex and an HTTP date are always valid header values.
            HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
        };
        ValidatorHeaders {
            etag: value(etag.to_string()),
            gzip_etag: value(format!("{}-gz\"", etag.trim_end_matches('"'))),
            last_modified: value(httpdate::fmt_http_date(last_modified.into())),
        }
    }
}

/// The formats of one feed rendered so far, all of one version of its contents.
#[derive(Debug, Clone)]
struct RenderedFeed {
    version: u64,
    /// When the feed's items were selected for this version.
    selected_at: std::time::Instant,
    items: usize,
    formats: HashMap<Format, Rendered>,
}

/// Renders feeds on demand and keeps each feed's bytes until it changes.
pub struct Publisher {
    store: Store,
    cache: Mutex<HashMap<String, Arc<RenderedFeed>>>,
    /// One lock per feed, so a burst of requests renders a changed feed once while
    /// other feeds are served (or rendered) meanwhile.
    rebuilding: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    renders: std::sync::atomic::AtomicU64,
    /// How long rendered bytes are served after the feed changed (see the module doc).
    max_lag: std::time::Duration,
}

/// How far behind the store the daemon lets a feed be served.
pub const MAX_LAG: std::time::Duration = std::time::Duration::from_secs(1);

/// How many stored items are read per page while selecting a feed's items.
const PAGE: usize = 500;

impl Publisher {
    /// A publisher that always serves the store's current contents.
    pub fn new(store: Store) -> Publisher {
        Publisher::with_max_lag(store, std::time::Duration::ZERO)
    }

    /// A publisher that serves a feed up to `max_lag` behind the store.
    pub fn with_max_lag(store: Store, max_lag: std::time::Duration) -> Publisher {
        Publisher {
            max_lag,
            store,
            cache: Mutex::new(HashMap::new()),
            rebuilding: Mutex::new(HashMap::new()),
            renders: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Forgets every rendered feed (after a config reload).
    pub fn invalidate(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    /// The feed's rendered formats, if they may be served at `version`: selected
    /// for it, or recently enough (`None`: any version).
    fn cached(&self, name: &str, version: Option<u64>) -> Option<Arc<RenderedFeed>> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(name)
            .filter(|r| {
                version.is_none_or(|v| r.version == v || r.selected_at.elapsed() < self.max_lag)
            })
            .cloned()
    }

    /// How many items the feed shows: as when it was last selected, for pages that
    /// list feeds without rendering them again; a feed never selected is selected
    /// (and not rendered).
    pub async fn item_count(
        &self,
        config: &Config,
        feed: &FeedConfig,
    ) -> Result<usize, StoreError> {
        if let Some(known) = self.cached(&feed.name, None) {
            return Ok(known.items);
        }
        let scope = scope_of(config, feed);
        let version = self.store.feed_version(&scope);
        let items = self.select(feed, &scope).await?;
        let count = stories(config, feed, items).len();
        self.keep(&feed.name, version, count, None);
        Ok(count)
    }

    /// How many times a format of a feed has been rendered.
    pub fn renders(&self) -> u64 {
        self.renders.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn turn(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.rebuilding.lock() {
            Ok(mut turns) => Arc::clone(turns.entry(name.to_string()).or_default()),
            // Without the map, this render only loses its guard against renders of
            // the same feed at the same moment.
            Err(_) => Arc::default(),
        }
    }

    /// `format` of the feed, rendered for the store's current contents.
    pub async fn feed(
        &self,
        config: &Config,
        feed: &FeedConfig,
        format: Format,
    ) -> Result<Rendered, StoreError> {
        let scope = scope_of(config, feed);
        let version = self.store.feed_version(&scope);
        let hit = |publisher: &Publisher| {
            publisher
                .cached(&feed.name, Some(version))
                .and_then(|known| known.formats.get(&format).cloned())
        };
        if let Some(hit) = hit(self) {
            return Ok(hit);
        }
        let turn = self.turn(&feed.name);
        let _turn = turn.lock().await;
        if let Some(hit) = hit(self) {
            return Ok(hit);
        }
        let output = self.output(config, feed, &scope).await?;
        let count = output.items.len();
        let rendered = match tokio::task::spawn_blocking(move || {
            let rendered = render_format(output, format);
            // The items read and the buffers grown while rendering are freed now,
            // once per change to the feed; hand their pages back.
            crate::allocator::release_free_memory();
            rendered
        })
        .await
        {
            Ok(done) => done,
            Err(failed) => match failed.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                // Cancelled: only when the runtime shuts down, with the store.
                Err(_) => return Err(StoreError::Closed),
            },
        };
        self.renders
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.keep(&feed.name, version, count, Some((format, rendered.clone())));
        Ok(rendered)
    }

    /// Keeps what was selected (and rendered) for `version` of the feed: beside the
    /// formats already rendered for that version, or in place of an older version's.
    fn keep(&self, name: &str, version: u64, items: usize, rendered: Option<(Format, Rendered)>) {
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        let mut entry = match cache.get(name) {
            Some(known) if known.version == version => RenderedFeed::clone(known),
            _ => RenderedFeed {
                version,
                selected_at: std::time::Instant::now(),
                items,
                formats: HashMap::new(),
            },
        };
        if let Some((format, rendered)) = rendered {
            entry.formats.insert(format, rendered);
        }
        cache.insert(name.to_string(), Arc::new(entry));
    }

    /// Builds the output feed from the store.
    pub async fn build(
        &self,
        config: &Config,
        feed: &FeedConfig,
    ) -> Result<OutputFeed, StoreError> {
        self.output(config, feed, &scope_of(config, feed)).await
    }

    /// The output feed. Stories that collapse their copies are chosen from items
    /// read without their HTML, then the HTML of the copies that speak for them is
    /// read alone: a story's other copies are only named, and a feed of 50 stories
    /// may hold hundreds of copies.
    async fn output(
        &self,
        config: &Config,
        feed: &FeedConfig,
        scope: &FeedScope,
    ) -> Result<OutputFeed, StoreError> {
        let mut chosen = stories(config, feed, self.select(feed, scope).await?);
        if feed.dedup == DedupMode::Collapse {
            let html = self.store.items_html(speaking_rows(&chosen)).await?;
            speak_with(&mut chosen, html);
        }
        Ok(output_feed(config, feed, chosen))
    }

    /// The stored items that belong in `feed` (its membership rows, decided at
    /// ingest, or every stored item when it takes every item: it keeps no rows):
    /// newest first until `limit` stories (or items, with `keep`) are found, plus
    /// every copy of those stories that belongs in the feed. With `keep`, the items
    /// shown, with their HTML; else without it.
    async fn select(
        &self,
        feed: &FeedConfig,
        scope: &FeedScope,
    ) -> Result<Vec<StoredItem>, StoreError> {
        let mut found: Vec<StoredItem> = Vec::new();
        let mut stories: Vec<i64> = Vec::new();
        let mut seen: HashSet<i64> = HashSet::new();
        let mut before = None;
        // A feed that keeps every copy shows the HTML of every item it pages through;
        // one that collapses copies reads it for the stories' chosen copies alone.
        let html = match feed.dedup {
            DedupMode::Keep => Html::With,
            DedupMode::Collapse => Html::Without,
        };
        while stories.len() < feed.limit {
            let want = (feed.limit - stories.len()).clamp(16, PAGE);
            let page = self.store.scoped_page(scope, before, want, html).await?;
            for item in page.items {
                if stories.len() >= feed.limit {
                    break;
                }
                let key = match feed.dedup {
                    DedupMode::Collapse => item.story,
                    DedupMode::Keep => item.row,
                };
                if seen.insert(key) {
                    stories.push(key);
                }
                found.push(item);
            }
            match page.next {
                Some(next) => before = Some(next),
                None => break,
            }
        }
        if feed.dedup == DedupMode::Keep {
            return Ok(found);
        }
        self.store.scoped_story_copies(scope, stories).await
    }
}

/// Where `feed`'s items are read from: every stored item, or its membership rows.
fn scope_of(config: &Config, feed: &FeedConfig) -> FeedScope {
    if takes_every_item(config, feed) {
        FeedScope::EveryItem
    } else {
        FeedScope::Rows(feed.name.clone())
    }
}

/// `format` of the output feed, with its gzip and validators. The feed is dropped
/// once written, before the gzip's compressor is made: they are not held at once.
fn render_format(output: OutputFeed, format: Format) -> Rendered {
    let body = render::render(&output, format);
    let updated = output.updated;
    drop(output);
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", crate::identity::hex(&digest[..16]));
    // Kept until the feed changes: exactly their length, not the capacity the
    // buffers grew to.
    Rendered {
        gzip: bytes::Bytes::from(gzip(&body).into_boxed_slice()),
        body: bytes::Bytes::from(body.into_boxed_slice()),
        headers: ValidatorHeaders::new(&etag, updated),
        last_modified: updated,
        content_type: format.content_type(),
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}
