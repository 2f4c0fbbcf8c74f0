//! What the database costs per stored item, against the text the item serves: the
//! title, link, summary and content of its JSON Feed item (summary and content counted
//! apart, as a reader receives them). The database is measured after a checkpoint,
//! indexes included, and broken down by table and index (SQLite's `dbstat`).

use std::path::Path;

use feedbraid::config::{Config, DedupMode};
use feedbraid::render::{Format, render};
use feedbraid::store::Store;

/// Bytes of served text and of database, per stored item.
pub struct DiskCost {
    pub items: usize,
    pub served_per_item: f64,
    pub database_per_item: f64,
}

impl DiskCost {
    /// Database bytes per item over served text bytes per item (target ≤ 1.0).
    pub fn ratio(&self) -> f64 {
        self.database_per_item / self.served_per_item
    }
}

/// Measures `store` (at `path`) holding the items `config`'s sources sent.
pub async fn disk_cost(store: &Store, config: &Config, path: &Path) -> DiskCost {
    store.checkpoint().await.expect("checkpoint");
    let items = store
        .recent_items(None, None, usize::MAX >> 1, feedbraid::store::Html::With)
        .await
        .expect("items")
        .items;
    let count = items.len();
    // Every stored item as its own JSON Feed item: no story collapsing, no limit.
    let mut feed = config.feeds[0].clone();
    feed.dedup = DedupMode::Keep;
    feed.limit = count;
    let json = render(
        &feedbraid::publish::assemble(config, &feed, items),
        Format::Json,
    );
    let served = served_text_bytes(&json);
    let database = store.size_bytes().await.expect("size") as f64;
    print_breakdown(path, count);
    DiskCost {
        items: count,
        served_per_item: served as f64 / count.max(1) as f64,
        database_per_item: database / count.max(1) as f64,
    }
}

/// The bytes of `title`, `url`, `summary` and `content_html` over a JSON Feed's items.
fn served_text_bytes(json: &[u8]) -> usize {
    let feed: serde_json::Value = serde_json::from_slice(json).expect("JSON Feed");
    let field = |item: &serde_json::Value, key: &str| item[key].as_str().map_or(0, str::len);
    feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            ["title", "url", "summary", "content_html"]
                .iter()
                .map(|key| field(item, key))
                .sum::<usize>()
        })
        .sum()
}

/// Prints each table's and index's bytes per item, largest first.
fn print_breakdown(path: &Path, items: usize) {
    let conn = match rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    ) {
        Ok(conn) => conn,
        Err(e) => return println!("    (no breakdown: {e})"),
    };
    let rows: rusqlite::Result<Vec<(String, i64)>> = conn
        .prepare("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        });
    match rows {
        Ok(rows) => {
            let parts: Vec<String> = rows
                .iter()
                .take(12)
                .map(|(name, bytes)| format!("{name} {:.0}", *bytes as f64 / items.max(1) as f64))
                .collect();
            println!(
                "    bytes per item by table and index: {}",
                parts.join(", ")
            );
        }
        Err(e) => println!("    (no breakdown: {e})"),
    }
}
