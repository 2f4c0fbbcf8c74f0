//! `feedbraid query` and `feedbraid explain`: read-only looks into the store.

use std::collections::BTreeMap;
use std::process::ExitCode;

use crate::app;
use crate::cluster::{self, Fingerprint};
use crate::config::Config;
use crate::membership::stored_item_fields;
use crate::store::{Html, Neighbour};
use crate::topic::Filter;

/// How many stored items are read per page while scanning.
const PAGE: usize = 1000;

pub(super) async fn query(config: &Config, expr: &str, limit: usize) -> anyhow::Result<ExitCode> {
    let filter = match Filter::compile(&[], &[], Some(expr), &config.topics) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: query {expr:?}: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let store = app::open_store_read_only(config).await?;
    let mut shown = 0;
    let mut before = None;
    while shown < limit {
        let page = store.recent_items(None, before, PAGE, Html::With).await?;
        for item in &page.items {
            let text = stored_item_fields(item, config);
            if !filter.matches(&text) {
                continue;
            }
            let matched = filter.explain(&text);
            outln!(
                "{}  {:<16}  {}\n    {}\n    matched: {}",
                item.date.format("%Y-%m-%d %H:%M"),
                item.source,
                item.title,
                item.link.as_deref().unwrap_or(&item.public_id),
                if matched.is_empty() {
                    "(negations only)".to_string()
                } else {
                    matched.join(", ")
                },
            );
            shown += 1;
            if shown >= limit {
                break;
            }
        }
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    errln!("{shown} item{} matched", if shown == 1 { "" } else { "s" });
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn explain(config: &Config, needle: &str) -> anyhow::Result<ExitCode> {
    let store = app::open_store_read_only(config).await?;
    let Some(item) = store.find_item(needle).await? else {
        errln!("error: no stored item has the id or link {needle:?}");
        return Ok(ExitCode::from(2));
    };
    let copies = store.story_copies(vec![item.story]).await?;
    let members = store.story_members(item.story).await?;
    let how: BTreeMap<i64, (String, f64)> = members
        .into_iter()
        .map(|m| (m.item, (m.layer, m.score)))
        .collect();
    outln!(
        "story of {} ({} cop{})",
        item.public_id,
        copies.len(),
        if copies.len() == 1 { "y" } else { "ies" }
    );
    let settings = cluster::Settings::from_config(&config.dedup);
    let neighbours = store.neighbours(item.row, settings.window_secs).await?;
    let fingerprints: BTreeMap<i64, Fingerprint> = neighbours
        .iter()
        .filter_map(|n| {
            let bytes = n.fingerprint.as_deref()?;
            Some((n.row, Fingerprint::from_bytes(bytes).ok()?))
        })
        .collect();
    let compare = |new: &Neighbour, old: &Neighbour| {
        let (a, b) = (fingerprints.get(&new.row)?, fingerprints.get(&old.row)?);
        Some(cluster::evidence::compare(
            a,
            new.first_seen,
            b,
            old.first_seen,
            &settings,
        ))
    };
    let by_row: BTreeMap<i64, &Neighbour> = neighbours.iter().map(|n| (n.row, n)).collect();
    // Stored in this order: a copy joined one stored before it. The representative
    // (listed first) need not be the copy that started the story.
    let mut stored: Vec<&crate::model::StoredItem> = copies.iter().collect();
    stored.sort_by_key(|copy| (copy.first_seen, copy.row));
    for (i, copy) in copies.iter().enumerate() {
        let mut joined = match how.get(&copy.row) {
            Some((layer, score)) => format!("joined by {layer} (score {score:.2})"),
            None => "started the story".to_string(),
        };
        if i == 0 {
            joined.push_str("; represents it");
        }
        outln!(
            "  {} {}  {}\n      {}\n      {}  first seen {}",
            if copy.row == item.row { "*" } else { "-" },
            copy.source,
            copy.title,
            copy.link.as_deref().unwrap_or("(no link)"),
            joined,
            copy.first_seen.format("%Y-%m-%d %H:%M:%S UTC"),
        );
        // The evidence: the earlier copy of another source this one is nearest to.
        let Some(me) = by_row.get(&copy.row) else {
            continue;
        };
        let mut earlier = stored
            .iter()
            .take_while(|c| c.row != copy.row)
            .filter_map(|c| by_row.get(&c.row))
            .filter(|c| c.source != me.source);
        if how.get(&copy.row).is_some_and(|(layer, _)| layer == "link") {
            if let Some(against) = earlier.next() {
                outln!(
                    "      evidence: the same canonical link as {} \"{}\"",
                    against.source,
                    against.title
                );
            }
            continue;
        }
        let nearest = earlier
            .filter_map(|c| Some((compare(me, c)?, c)))
            .max_by(|(a, _), (b, _)| a.nearness().total_cmp(&b.nearness()));
        if let Some((evidence, against)) = nearest {
            outln!(
                "      evidence: {} against {} \"{}\"",
                evidence.reason,
                against.source,
                against.title
            );
        }
    }
    // A copy left alone: the nearest item of another story, and why it stayed apart.
    if let Some(me) = by_row.get(&item.row).filter(|_| copies.len() == 1) {
        let nearest = neighbours
            .iter()
            .filter(|n| n.story != item.story && n.source != me.source)
            .filter_map(|n| Some((compare(me, n)?, n)))
            .max_by(|(a, _), (b, _)| a.nearness().total_cmp(&b.nearness()));
        match nearest {
            Some((evidence, other)) => outln!(
                "  nearest other story: {} \"{}\" (story {}): {}",
                other.source,
                other.title,
                other.story,
                evidence.reason
            ),
            None => outln!("  no item of another source was first seen within the window"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
