//! The calls about the queue of article pages to fetch (one per item of a full-text
//! source, queued when the item is stored or edited, handed out by claims that put
//! it off for a lease), and what a fetched article changes: the item's content, its
//! words in the feeds, its fingerprint and, for an item still alone in its story,
//! the story it joins. Deciding when to retry is the caller's (`articles`); the
//! store writes what it is told.

use chrono::{DateTime, Utc};

use super::changes::Changed;
use super::error::StoreError;
use super::handle::Store;
use super::records::ArticleApplied;
use super::worker::Db;
use crate::model::{ArticleJob, ArticleText};

impl Store {
    /// Claims up to `limit` queued article fetches due at `now`, the longest due
    /// first, leaving out pages of the hosts in `skip` (they have enough waiting):
    /// each is put off until `now + lease` and marked with a new claim before it is
    /// handed out, so a fetch under way is not handed out again before the lease
    /// ends, one whose outcome is never recorded (the daemon stopped) comes due
    /// again, and only the claim that holds it records its outcome. A queued fetch
    /// whose item has no link any more, or cannot be read, is dropped (and logged).
    pub async fn claim_articles(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: std::time::Duration,
        skip: Vec<String>,
    ) -> Result<Vec<ArticleJob>, StoreError> {
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        self.call_write(move |db: &mut Db| db.backend.claim_articles(now, until, limit, &skip))
            .await
    }

    /// When the next queued article fetch is due, if any is queued.
    pub async fn next_article_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.call(|backend| backend.next_article_due()).await
    }

    /// Keeps `article` as item `item`'s content and takes it off the queue: the item
    /// is sorted into its feeds again by its new words, its fingerprint becomes the
    /// article's, and an item still alone in its story joins the story the article
    /// matches (a teaser-only copy of a wire story joins the full copy's story).
    /// Nothing is written unless the queue still holds `claim` (an item edited
    /// meanwhile was queued again, and this article is of its older version).
    pub async fn record_article(
        &self,
        item: i64,
        claim: i64,
        article: ArticleText,
        now: DateTime<Utc>,
    ) -> Result<ArticleApplied, StoreError> {
        let (applied, changed) = self
            .call_write(move |db: &mut Db| {
                let Db {
                    backend,
                    feeds,
                    stories,
                    ..
                } = db;
                backend.record_article(item, claim, &article, now, feeds, stories)
            })
            .await?;
        if applied.joined_story {
            // Collapsed feeds show the story's other copies: any feed may change.
            self.note_change(Changed::EveryFeed);
        } else if applied.stored {
            self.note_change(Changed::Feeds(&changed));
        }
        Ok(applied)
    }

    /// Records that item `item`'s article gave nothing to keep: taken off the
    /// queue; with `failure`, counted on the item's source, which keeps the error.
    /// `retry_at` keeps it queued (with one more attempt) until then instead.
    /// Nothing is written unless the queue still holds `claim`.
    pub async fn record_article_failure(
        &self,
        item: i64,
        claim: i64,
        failure: Option<String>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.call_write(move |db: &mut Db| {
            db.backend
                .record_article_failure(item, claim, failure.as_deref(), retry_at)
        })
        .await
    }
}
