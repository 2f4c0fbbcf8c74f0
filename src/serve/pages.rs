//! `/` (the status page), `/opml` (the output feeds) and `/healthz`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use super::{ServeState, plain};
use crate::render::html::{IndexFeed, IndexPage, IndexStory, render_index};
use crate::render::opml::render_feeds_opml;

/// How many recent stories the status page lists.
const STORIES: usize = 20;

pub(super) async fn index(State(state): State<Arc<ServeState>>) -> Response {
    let config = state.config();
    let mut feeds = Vec::new();
    for feed in &config.feeds {
        // The count as last selected: listing the feeds renders none, and selects
        // only those never selected yet, not every feed that changed since.
        let items = match state.publisher.item_count(&config, feed).await {
            Ok(items) => items,
            Err(e) => return unavailable(e),
        };
        feeds.push(IndexFeed {
            name: feed.name.clone(),
            title: feed.title.clone(),
            description: feed.description.clone(),
            items,
            protected: feed.token.is_some(),
        });
    }
    let names = config.sources.iter().map(|s| s.name.clone()).collect();
    let sources = match state.store.source_states(names).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let stories = match latest_stories(&state).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let page = IndexPage {
        title: "feedbraid".into(),
        base_url: config.server.base().to_string(),
        feeds,
        sources,
        stories,
        generated: Utc::now(),
    };
    let body = render_index(&page);
    // What building it freed (a state per source, a few hundred bytes each) goes
    // back before the body is sent; `release_soon` comes a second later, for the
    // body, and meanwhile it would add to what the next requests build.
    drop(page);
    crate::allocator::release_free_memory_off_worker().await;
    state.release_soon.request();
    Html(body).into_response()
}

/// The newest stories, each told by its first copy, with how many outlets carried it.
async fn latest_stories(state: &ServeState) -> Result<Vec<IndexStory>, crate::store::StoreError> {
    // Headlines only: the items' HTML is not read.
    let page = state
        .store
        .recent_items(None, None, STORIES * 4, crate::store::Html::Without)
        .await?;
    let mut stories = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for item in page.items {
        if seen.insert(item.story) && stories.len() < STORIES {
            stories.push(item.story);
        }
    }
    let copies = state.store.story_copies(stories.clone()).await?;
    // Copies come earliest first: the first of each story speaks for it.
    let mut told: HashMap<i64, (crate::model::StoredItem, std::collections::HashSet<String>)> =
        HashMap::new();
    for copy in copies {
        let story = copy.story;
        let source = copy.source.clone();
        told.entry(story)
            .or_insert_with(|| (copy, Default::default()))
            .1
            .insert(source);
    }
    Ok(stories
        .into_iter()
        .filter_map(|story| told.remove(&story))
        .map(|(first, outlets)| IndexStory {
            outlets: outlets.len(),
            title: first.title,
            link: first.link,
            date: first.date,
        })
        .collect())
}

fn unavailable(e: crate::store::StoreError) -> Response {
    tracing::error!("status page: {e}");
    plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "the feed store is unavailable; try again later",
    )
}

pub(super) async fn opml(State(state): State<Arc<ServeState>>) -> Response {
    let config = state.config();
    // Only feeds anyone may read: a token feed is not advertised.
    let feeds: Vec<(String, String)> = config
        .feeds
        .iter()
        .filter(|f| f.token.is_none())
        .map(|f| (f.name.clone(), f.title.clone()))
        .collect();
    let base = config.server.base().to_string();
    (
        [(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")],
        render_feeds_opml("feedbraid feeds", &base, &feeds),
    )
        .into_response()
}

pub(super) async fn healthz(State(state): State<Arc<ServeState>>) -> Response {
    let store = state.store.ping_within(crate::store::PING_LIMIT).await;
    let scheduler = state
        .heartbeat
        .as_ref()
        .map_or("not running", |beat| beat.state());
    let healthy = store.is_ok() && scheduler == "ok";
    // Sources this node is polling, among nodes sharing a database (an answer that
    // does not come in time is left out rather than holding the health check).
    let leases = tokio::time::timeout(crate::store::PING_LIMIT, state.store.leases_held())
        .await
        .ok()
        .and_then(Result::ok);
    let body = serde_json::json!({
        "status": if healthy { "ok" } else { "unhealthy" },
        "node": state.store.node(),
        "database": state.store.database(),
        "store": match &store {
            Ok(()) => "ok",
            Err(crate::store::StoreError::Unresponsive { .. }) => "busy",
            Err(_) => "unreachable",
        },
        // What long maintenance the store is doing (a prune after downtime), if any.
        "store_activity": state.store.activity(),
        "leases": leases,
        "scheduler": scheduler,
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

pub(super) async fn metrics(State(state): State<Arc<ServeState>>) -> Response {
    let config = state.config();
    let names = config.sources.iter().map(|s| s.name.clone()).collect();
    let sources = match state.store.source_states(names).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let node = crate::metrics::NodeState {
        node: state.store.node().to_string(),
        leases: state.store.leases_held().await.unwrap_or(0),
    };
    let body = state.metrics.render(&sources, &node);
    // As the status page does (`index`).
    drop(sources);
    crate::allocator::release_free_memory_off_worker().await;
    state.release_soon.request();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
