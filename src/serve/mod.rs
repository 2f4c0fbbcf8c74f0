//! The HTTP interface (axum): output feeds with validators and 304s, the status page,
//! OPML of the feeds, health. Handlers only read: they ask the publisher for rendered
//! bytes and the store for source state, and never render per request.

mod feeds;
mod pages;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::watch;

use crate::allocator::ReleaseSoon;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::publish::Publisher;
use crate::schedule::Heartbeat;
use crate::store::Store;

/// What every handler can reach (shared behind one `Arc`: a request's handler
/// takes a clone of it, and cloning the handles inside one by one costs more than
/// answering a cached feed does).
pub struct ServeState {
    pub config: watch::Receiver<Arc<Config>>,
    pub store: Store,
    pub publisher: Arc<Publisher>,
    /// The polling loop's heartbeat; `None` when serving without polling.
    pub heartbeat: Option<Heartbeat>,
    pub metrics: Arc<Metrics>,
    /// Asked after pages that list every source, whose bodies are large.
    pub release_soon: ReleaseSoon,
}

impl ServeState {
    fn config(&self) -> Arc<Config> {
        self.config.borrow().clone()
    }
}

/// The router for all of feedbraid's URLs.
pub fn router(state: ServeState) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/opml", get(pages::opml))
        .route("/healthz", get(pages::healthz))
        .route("/metrics", get(pages::metrics))
        .route("/feeds/{file}", get(feeds::feed))
        .fallback(|| async { plain(StatusCode::NOT_FOUND, "not found") })
        .with_state(Arc::new(state))
}

/// Serves until `shutdown` turns true, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServeState,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await
}

/// A short plain-text answer, for errors a person or a feed reader will read.
fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    let mut text = text.into();
    text.push('\n');
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}
