//! A scripted publisher for the polling tests: each path answers as told (a feed with
//! validators, a status with headers, a redirect, an HTML page, a slow answer, a
//! tarpit, a gzip bomb), and the server counts requests, requests in flight at once,
//! request start times and the body bytes it sent.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// How one path answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with this body and ETag; a matching `If-None-Match` gets 304.
    Feed { body: Vec<u8>, etag: String },
    /// This status with these headers and an empty body.
    Status(u16, Vec<(&'static str, String)>),
    /// A redirect with this status to this Location.
    Redirect(u16, String),
    /// 200 text/html.
    Html(String),
    /// Waits this long, then answers like `Feed` (for counting requests in flight).
    Slow(Duration, Vec<u8>),
    /// 200, then the body one byte a second, for ever.
    Tarpit,
    /// `Content-Encoding: gzip` of this many zero bytes, compressed as it is sent.
    GzipBomb(u64),
}

#[derive(Default)]
struct Script {
    replies: HashMap<String, Reply>,
    requests: HashMap<String, usize>,
    if_none_match: HashMap<String, Vec<String>>,
    starts: Vec<Instant>,
    in_flight: usize,
    max_in_flight: usize,
}

/// The scripted server on 127.0.0.1:0.
#[derive(Clone)]
pub struct ScriptServer {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    sent: Arc<AtomicU64>,
}

#[derive(Clone)]
struct Shared {
    script: Arc<Mutex<Script>>,
    sent: Arc<AtomicU64>,
}

impl ScriptServer {
    pub async fn start() -> ScriptServer {
        let script = Arc::new(Mutex::new(Script::default()));
        let sent = Arc::new(AtomicU64::new(0));
        let shared = Shared {
            script: Arc::clone(&script),
            sent: Arc::clone(&sent),
        };
        let app = Router::new().fallback(answer).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ScriptServer { addr, script, sent }
    }

    /// Sets how `/path` answers.
    pub fn set(&self, path: &str, reply: Reply) {
        self.script
            .lock()
            .unwrap()
            .replies
            .insert(format!("/{path}"), reply);
    }

    /// Serves `body` at `/path` with this ETag.
    pub fn feed(&self, path: &str, body: &[u8], etag: &str) {
        self.set(
            path,
            Reply::Feed {
                body: body.to_vec(),
                etag: etag.to_string(),
            },
        );
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    pub fn requests(&self, path: &str) -> usize {
        let script = self.script.lock().unwrap();
        *script.requests.get(&format!("/{path}")).unwrap_or(&0)
    }

    /// The `If-None-Match` values sent to `/path`, in order.
    pub fn if_none_match(&self, path: &str) -> Vec<String> {
        let script = self.script.lock().unwrap();
        script
            .if_none_match
            .get(&format!("/{path}"))
            .cloned()
            .unwrap_or_default()
    }

    /// The most requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.script.lock().unwrap().max_in_flight
    }

    /// When each request arrived, in order.
    pub fn starts(&self) -> Vec<Instant> {
        self.script.lock().unwrap().starts.clone()
    }

    /// Body bytes handed to the connection (compressed bytes for a gzip bomb).
    pub fn body_bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

/// A small valid RSS feed with `n` items.
pub fn rss(title: &str, n: usize) -> Vec<u8> {
    let items: String = (0..n)
        .map(|i| {
            format!(
                "<item><title>{title} story {i}</title><link>https://news.example.com/{title}/{i}</link>\
                 <guid>https://news.example.com/{title}/{i}</guid>\
                 <pubDate>Sun, 01 Mar 2026 1{i}:00:00 GMT</pubDate><description>Report {i} from the desk.</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
         <title>{title}</title><link>https://news.example.com/</link><description>News</description>{items}</channel></rss>"
    )
    .into_bytes()
}

struct InFlight(Arc<Mutex<Script>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().unwrap().in_flight -= 1;
    }
}

async fn answer(State(shared): State<Shared>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let headers = request.headers().clone();
    let reply = {
        let mut script = shared.script.lock().unwrap();
        *script.requests.entry(path.clone()).or_default() += 1;
        script.starts.push(Instant::now());
        if let Some(tag) = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
        {
            script
                .if_none_match
                .entry(path.clone())
                .or_default()
                .push(tag.to_string());
        }
        script.in_flight += 1;
        script.max_in_flight = script.max_in_flight.max(script.in_flight);
        script.replies.get(&path).cloned()
    };
    let _in_flight = InFlight(Arc::clone(&shared.script));
    let Some(reply) = reply else {
        return (StatusCode::NOT_FOUND, "no such feed").into_response();
    };
    match reply {
        Reply::Feed { body, etag } => feed(&headers, body, &etag, &shared.sent),
        Reply::Slow(wait, body) => {
            tokio::time::sleep(wait).await;
            feed(&headers, body, "\"slow\"", &shared.sent)
        }
        Reply::Status(code, extra) => {
            let mut response = StatusCode::from_u16(code).unwrap().into_response();
            for (name, value) in extra {
                response.headers_mut().insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_str(&value).unwrap(),
                );
            }
            response
        }
        Reply::Redirect(code, location) => (
            StatusCode::from_u16(code).unwrap(),
            [(header::LOCATION, location)],
        )
            .into_response(),
        Reply::Html(page) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response(),
        Reply::Tarpit => {
            let sent = Arc::clone(&shared.sent);
            let drip = futures_util::stream::unfold(0u64, move |n| {
                let sent = Arc::clone(&sent);
                async move {
                    if n > 0 {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                    Some((Ok::<_, std::io::Error>(Bytes::from_static(b"<")), n + 1))
                }
            });
            (
                [(header::CONTENT_TYPE, "application/rss+xml")],
                Body::from_stream(drip),
            )
                .into_response()
        }
        Reply::GzipBomb(size) => gzip_bomb(size, Arc::clone(&shared.sent)),
    }
}

fn feed(headers: &HeaderMap, body: Vec<u8>, etag: &str, sent: &AtomicU64) -> Response {
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag);
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.to_string())]).into_response();
    }
    sent.fetch_add(body.len() as u64, Ordering::Relaxed);
    (
        StatusCode::OK,
        [
            (header::ETAG, etag.to_string()),
            (header::CONTENT_TYPE, "application/rss+xml".to_string()),
        ],
        body,
    )
        .into_response()
}

/// `size` zero bytes (a multiple of a mebibyte), gzip-compressed. One mebibyte of
/// zeros is deflated once (ending in a sync flush, so it is byte-aligned and
/// self-contained) and repeated: the bomb costs the server nothing to send.
fn gzip_bomb(size: u64, sent: Arc<AtomicU64>) -> Response {
    const BLOCK: usize = 1 << 20;
    let zeros = vec![0u8; BLOCK];
    let mut deflate = flate2::Compress::new(flate2::Compression::best(), false);
    let mut block = Vec::with_capacity(BLOCK);
    deflate
        .compress_vec(&zeros, &mut block, flate2::FlushCompress::Sync)
        .unwrap();
    assert_eq!(deflate.total_in(), BLOCK as u64);
    let mut crc = flate2::Crc::new();
    let mut block_crc = flate2::Crc::new();
    block_crc.update(&zeros);
    let blocks = size / BLOCK as u64;
    let header: &[u8] = &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = vec![Bytes::copy_from_slice(header)];
    let block = Bytes::from(block);
    let stream = futures_util::stream::iter((0..=blocks).map(move |i| {
        let chunk = if i < blocks {
            crc.combine(&block_crc);
            block.clone()
        } else {
            // An empty final block, then CRC-32 and size of the whole.
            let mut tail = vec![0x03, 0x00];
            tail.extend_from_slice(&crc.sum().to_le_bytes());
            tail.extend_from_slice(&(size as u32).to_le_bytes());
            Bytes::from(tail)
        };
        let chunk = if i == 0 {
            let mut first = chunks.remove(0).to_vec();
            first.extend_from_slice(&chunk);
            Bytes::from(first)
        } else {
            chunk
        };
        sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Ok::<_, std::io::Error>(chunk)
    }));
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
