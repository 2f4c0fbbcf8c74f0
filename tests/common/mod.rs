//! Test support: a feed server on 127.0.0.1:0 that serves fixture documents with
//! validators and counts what it is asked, and helpers to run feedbraid against it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;

/// Reads a fixture from `tests/fixtures/feeds`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

#[derive(Default)]
struct Served {
    docs: HashMap<String, (Vec<u8>, String)>,
    requests: HashMap<String, usize>,
    conditional: HashMap<String, usize>,
    not_modified: HashMap<String, usize>,
}

/// A feed publisher for tests.
#[derive(Clone)]
pub struct FeedServer {
    pub addr: SocketAddr,
    served: Arc<Mutex<Served>>,
}

impl FeedServer {
    pub async fn start() -> FeedServer {
        let served = Arc::new(Mutex::new(Served::default()));
        let app = Router::new()
            .route("/{*path}", routing::get(serve_doc))
            .with_state(Arc::clone(&served));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FeedServer { addr, served }
    }

    /// Serves `body` at `/path` with an ETag derived from its bytes.
    pub fn set(&self, path: &str, body: Vec<u8>) {
        let etag = format!("\"{:x}-{}\"", fxhash(&body), body.len());
        self.served
            .lock()
            .unwrap()
            .docs
            .insert(path.to_string(), (body, etag));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    pub fn requests(&self, path: &str) -> usize {
        *self.served.lock().unwrap().requests.get(path).unwrap_or(&0)
    }

    /// Requests that carried `If-None-Match`.
    pub fn conditional_requests(&self, path: &str) -> usize {
        *self
            .served
            .lock()
            .unwrap()
            .conditional
            .get(path)
            .unwrap_or(&0)
    }

    /// Requests answered 304.
    pub fn not_modified(&self, path: &str) -> usize {
        *self
            .served
            .lock()
            .unwrap()
            .not_modified
            .get(path)
            .unwrap_or(&0)
    }
}

fn fxhash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

async fn serve_doc(
    State(served): State<Arc<Mutex<Served>>>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let mut served = served.lock().unwrap();
    *served.requests.entry(path.clone()).or_default() += 1;
    let sent_tag = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if sent_tag.is_some() {
        *served.conditional.entry(path.clone()).or_default() += 1;
    }
    let Some((body, etag)) = served.docs.get(&path).cloned() else {
        return (StatusCode::NOT_FOUND, "no such feed").into_response();
    };
    if sent_tag.as_deref() == Some(etag.as_str()) {
        *served.not_modified.entry(path).or_default() += 1;
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let kind = if path.ends_with(".json") {
        "application/feed+json"
    } else {
        "application/xml"
    };
    (
        StatusCode::OK,
        [
            (header::ETAG, etag),
            (header::CONTENT_TYPE, kind.to_string()),
        ],
        body,
    )
        .into_response()
}

/// Writes `feedbraid.toml` into `dir` with a test-friendly preamble and `body`
/// (sources and feeds), and returns its path.
pub fn write_config(dir: &Path, body: &str) -> PathBuf {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://feeds.test\"\n\n\
         [storage]\npath = \"feedbraid.db\"\n\n\
         [fetch]\nallow_private_networks = true\ntimeout = \"5s\"\n\n{body}"
    );
    let path = dir.join("feedbraid.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A GET returning status, headers and body.
pub async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

use feedbraid::config::Config;
use feedbraid::fetch::Fetcher;
use feedbraid::poll::{PollContext, PollReport, poll_sources};
use feedbraid::publish::Publisher;
use feedbraid::serve::{ServeState, serve};
use tokio::sync::watch;

/// feedbraid's store, poller and HTTP service in-process, without the polling loop,
/// so a test decides exactly when polls happen.
pub struct Harness {
    pub config: Arc<Config>,
    pub ctx: PollContext,
    pub addr: SocketAddr,
    _config: watch::Sender<Arc<Config>>,
    _stop: watch::Sender<bool>,
}

impl Harness {
    /// Starts on the config at `config_path` (its database beside it).
    pub async fn start(config_path: &Path) -> Harness {
        let config = Arc::new(Config::load(config_path).unwrap_or_else(|e| panic!("{e}")));
        let store = feedbraid::app::open_store(&config).await.unwrap();
        let ctx = PollContext {
            fetcher: Fetcher::new(&config.fetch).unwrap(),
            store: store.clone(),
        };
        let (config_tx, config_rx) = watch::channel(Arc::clone(&config));
        let (stop, stopped) = watch::channel(false);
        let state = ServeState {
            config: config_rx,
            store: store.clone(),
            publisher: Arc::new(Publisher::new(store)),
            heartbeat: None,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, state, stopped));
        Harness {
            config,
            ctx,
            addr,
            _config: config_tx,
            _stop: stop,
        }
    }

    /// Polls every source once.
    pub async fn poll(&self) -> Vec<PollReport> {
        poll_sources(&self.ctx, &self.config, &self.config.sources)
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The JSON Feed of `name`, parsed.
    pub async fn json_feed(&self, name: &str) -> serde_json::Value {
        let (status, _, body) = get(&self.url(&format!("/feeds/{name}.json")), &[]).await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

/// The titles of a JSON Feed's items, in order.
pub fn titles(feed: &serde_json::Value) -> Vec<String> {
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

/// Whether tests run under CI (`CI=true`), where external consumers must be present.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether an external tool the test needs is usable: `probe` must run and exit 0.
/// Outside CI a missing tool makes the caller skip (the reason is printed and `false`
/// returned); under CI it fails the test, because CI installs every consumer.
pub fn tool_available(what: &str, probe: &mut std::process::Command, install: &str) -> bool {
    let outcome = probe.output();
    let problem = match &outcome {
        Ok(output) if output.status.success() => return true,
        Ok(output) => format!(
            "{what} is not usable ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(e) => format!("{what} is not installed ({e})"),
    };
    assert!(
        !under_ci(),
        "{problem}; CI=true requires it (install: {install})"
    );
    eprintln!("SKIPPED: {problem}; install it with `{install}` to run this test");
    false
}

/// Reads a fixture from any folder under `tests/fixtures` (`"hostile/x.xml"`).
pub fn fixture_at(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}
