//! The calls that read items back: pages of items newest first (of every source, of
//! some, or of one feed, through `feeds`), a story's copies and how each joined, an
//! item by its id or link, an item's neighbours in time. Answered on the reading
//! thread, from the last commit.

use super::error::StoreError;
use super::handle::Store;
use super::records::{Html, ItemHtml, ItemPage, Neighbour, PageCursor, StoryMember};
use crate::model::StoredItem;

impl Store {
    /// Items of the named sources (all sources when `None`), newest first, starting
    /// below `before` (where a previous page ended).
    pub async fn recent_items(
        &self,
        sources: Option<Vec<String>>,
        before: Option<PageCursor>,
        n: usize,
        html: Html,
    ) -> Result<ItemPage, StoreError> {
        self.call_read(move |reads| reads.recent_items(sources.as_deref(), before, n, html))
            .await
    }

    /// Every stored copy of the given stories, earliest first, without their HTML.
    pub async fn story_copies(&self, stories: Vec<i64>) -> Result<Vec<StoredItem>, StoreError> {
        if stories.is_empty() {
            return Ok(Vec::new());
        }
        self.call_read(move |reads| reads.story_copies(None, &stories))
            .await
    }

    /// The HTML of the items of these rows, in no order. A row no longer stored
    /// (pruned or deleted since it was read) is left out.
    pub async fn items_html(&self, rows: Vec<i64>) -> Result<Vec<ItemHtml>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        self.call_read(move |reads| reads.items_html(&rows)).await
    }

    /// How each copy that joined `story` was joined (the first copy is not listed).
    pub async fn story_members(&self, story: i64) -> Result<Vec<StoryMember>, StoreError> {
        self.call_read(move |reads| reads.story_members(story))
            .await
    }

    /// The item with this public id or link, if stored.
    pub async fn find_item(&self, id_or_link: &str) -> Result<Option<StoredItem>, StoreError> {
        let needle = id_or_link.to_string();
        self.call_read(move |reads| reads.find_item(&needle)).await
    }

    /// Every item (of any source, `row` itself included) first seen within
    /// `window_secs` of the item `row`, earliest first: what it may have been
    /// compared with when it arrived.
    pub async fn neighbours(
        &self,
        row: i64,
        window_secs: u64,
    ) -> Result<Vec<Neighbour>, StoreError> {
        let window = i64::try_from(window_secs).unwrap_or(i64::MAX);
        self.call_read(move |reads| reads.neighbours(row, window))
            .await
    }
}
