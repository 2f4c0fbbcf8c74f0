//! The servers a farm run talks to, each in a child process of its own so the
//! measured process's CPU and peak RSS are its own: the feed farm (one outlet per host
//! name, with ETag/Last-Modified and 304s) and a static-bytes server (the yardstick
//! for serving a cached feed). Children print `PORT n` on stdout once listening.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::news_feeds::{self, FarmShape};

/// The farm's Last-Modified: fixed, so every feed is "unchanged since".
pub const FARM_LAST_MODIFIED: &str = "Tue, 03 Mar 2026 10:00:00 GMT";

/// The ETag of outlet `feed`'s document.
pub fn farm_etag(feed: usize, items: usize) -> String {
    format!("\"f{feed}-{items}\"")
}

/// A child process, stopped when dropped.
pub struct ChildServer {
    pub child: Child,
    pub port: u16,
}

impl ChildServer {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs this bench binary again as `args` and waits for its `PORT n` line.
pub fn spawn_self(args: &[String]) -> ChildServer {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child server");
    let stdout = child.stdout.take().expect("piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("child's port line");
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("child said {line:?}"));
    ChildServer { child, port }
}

struct Farm {
    shape: FarmShape,
    /// Documents are padded to this many bytes (with an XML comment) when shorter.
    pad_to: usize,
    /// Pre-built documents, or empty to build each on request.
    docs: Vec<Bytes>,
}

/// `serve-farm`: serves outlet N's RSS at `http://fN.farm.test:PORT/…` (by Host), and
/// at `http://127.0.0.1:PORT/fN/…` for a `feedbraid run` child, which cannot pin host
/// names to the farm.
pub async fn serve_farm(shape: FarmShape, lazy: bool, pad_to: usize) {
    let docs = if lazy {
        Vec::new()
    } else {
        (0..shape.feeds)
            .map(|f| Bytes::from(news_feeds::rss_document(shape, f)))
            .collect()
    };
    let app = Router::new().fallback(farm_doc).with_state(Arc::new(Farm {
        shape,
        pad_to,
        docs,
    }));
    listen_and_serve(app).await;
}

async fn listen_and_serve(app: Router) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("bound").port();
    println!("PORT {port}");
    axum::serve(listener, app).await.expect("serve");
}

async fn farm_doc(
    State(farm): State<Arc<Farm>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let outlet = |name: &str| {
        name.strip_prefix('f')
            .and_then(|n| n.split('.').next())
            .and_then(|n| n.parse::<usize>().ok())
    };
    let by_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.starts_with("127.0.0.1"))
        .and_then(outlet);
    let feed = by_host
        .or_else(|| {
            uri.path()
                .trim_start_matches('/')
                .split('/')
                .next()
                .and_then(outlet)
        })
        .filter(|&n| n < farm.shape.feeds);
    let Some(feed) = feed else {
        return (StatusCode::NOT_FOUND, "no such outlet").into_response();
    };
    let etag = farm_etag(feed, farm.shape.items);
    let validators = [
        (header::ETAG, etag.clone()),
        (header::LAST_MODIFIED, FARM_LAST_MODIFIED.to_string()),
    ];
    let sent = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if sent == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    let body = match farm.docs.get(feed) {
        Some(doc) => doc.clone(),
        None => Bytes::from(padded(
            news_feeds::rss_document(farm.shape, feed),
            farm.pad_to,
        )),
    };
    (
        StatusCode::OK,
        validators,
        [(header::CONTENT_TYPE, "application/rss+xml".to_string())],
        body,
    )
        .into_response()
}

/// `doc` grown to `size` bytes by a comment before its channel's end (a parser skips
/// it: the bytes cost the network and memory, not the parsing).
fn padded(mut doc: Vec<u8>, size: usize) -> Vec<u8> {
    const END: &[u8] = b"</channel></rss>\n";
    let comment = b"<!--  -->".len();
    if doc.len() + comment >= size || !doc.ends_with(END) {
        return doc;
    }
    let fill = size - doc.len() - comment;
    doc.truncate(doc.len() - END.len());
    doc.extend_from_slice(b"<!-- ");
    doc.resize(doc.len() + fill, b'x');
    doc.extend_from_slice(b" -->");
    doc.extend_from_slice(END);
    doc
}

/// What the static-bytes server answers with: one body, its gzip, their validators.
pub struct StaticBody {
    pub body: Bytes,
    pub gzip: Bytes,
    pub etag: String,
    pub last_modified: String,
    pub content_type: String,
}

/// `static-server`: the same bytes as a feed, from memory, with the same headers
/// feedbraid sends (ETag, Last-Modified, Cache-Control, Vary, gzip when accepted).
pub async fn serve_static(body: StaticBody) {
    let app = Router::new()
        .fallback(static_doc)
        .with_state(Arc::new(body));
    listen_and_serve(app).await;
}

async fn static_doc(State(doc): State<Arc<StaticBody>>, headers: HeaderMap) -> Response {
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(doc.etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, doc.etag.clone())]).into_response();
    }
    let mut response = (
        StatusCode::OK,
        [
            (header::ETAG, doc.etag.clone()),
            (header::LAST_MODIFIED, doc.last_modified.clone()),
            (header::CACHE_CONTROL, "public, max-age=60".to_string()),
            (header::VARY, "Accept-Encoding".to_string()),
            (header::CONTENT_TYPE, doc.content_type.clone()),
        ],
        if gzip {
            doc.gzip.clone()
        } else {
            doc.body.clone()
        },
    )
        .into_response();
    if gzip {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}
