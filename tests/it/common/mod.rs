//! Test support: a feed server on 127.0.0.1:0 that serves fixture documents with
//! validators and counts what it is asked, and helpers to run feedbraid against it.

pub mod backends;
pub mod daemon;
pub mod script;

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
    /// `Content-Encoding` of the paths whose bodies are served compressed.
    encodings: HashMap<String, String>,
    /// Paths whose requests wait until released.
    held: std::collections::HashSet<String>,
    requests: HashMap<String, usize>,
    conditional: HashMap<String, usize>,
    not_modified: HashMap<String, usize>,
    /// `Content-Type` for paths that are not served with the default one.
    content_types: HashMap<String, String>,
}

/// A feed publisher for tests.
#[derive(Clone)]
pub struct FeedServer {
    pub addr: SocketAddr,
    served: Arc<Mutex<Served>>,
    events: Arc<Events>,
}

/// Wake-ups between the server and the test.
#[derive(Default)]
struct Events {
    requested: tokio::sync::Notify,
    released: tokio::sync::Notify,
}

type Shared = (Arc<Mutex<Served>>, Arc<Events>);

impl FeedServer {
    pub async fn start() -> FeedServer {
        let served = Arc::new(Mutex::new(Served::default()));
        let events = Arc::new(Events::default());
        let app = Router::new()
            .route("/{*path}", routing::get(serve_doc))
            .with_state((Arc::clone(&served), Arc::clone(&events)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FeedServer {
            addr,
            served,
            events,
        }
    }

    /// Requests for `/path` hang (after being counted) until `release`.
    pub fn hold(&self, path: &str) {
        self.served.lock().unwrap().held.insert(path.to_string());
    }

    pub fn release(&self, path: &str) {
        self.served.lock().unwrap().held.remove(path);
        self.events.released.notify_waiters();
    }

    /// Waits until `/path` has been requested at least once.
    pub async fn wait_for_request(&self, path: &str) {
        loop {
            let notified = self.events.requested.notified();
            if self.requests(path) > 0 {
                return;
            }
            notified.await;
        }
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

    /// Serves `/path` with this `Content-Type` instead of the default one.
    pub fn set_content_type(&self, path: &str, content_type: &str) {
        self.served
            .lock()
            .unwrap()
            .content_types
            .insert(path.to_string(), content_type.to_string());
    }

    /// Serves `body`, already compressed with `encoding` (e.g. `gzip`), at `/path`
    /// with that `Content-Encoding`.
    pub fn set_encoded(&self, path: &str, body: Vec<u8>, encoding: &str) {
        self.set(path, body);
        self.served
            .lock()
            .unwrap()
            .encodings
            .insert(path.to_string(), encoding.to_string());
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
    State((served, events)): State<Shared>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    {
        let mut served = served.lock().unwrap();
        *served.requests.entry(path.clone()).or_default() += 1;
    }
    events.requested.notify_waiters();
    loop {
        let released = events.released.notified();
        if !served.lock().unwrap().held.contains(&path) {
            break;
        }
        released.await;
    }
    let mut served = served.lock().unwrap();
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
    let kind = match served.content_types.get(&path) {
        Some(kind) => kind.as_str(),
        None if path.ends_with(".json") => "application/feed+json",
        None => "application/xml",
    };
    let mut response = (
        StatusCode::OK,
        [
            (header::ETAG, etag),
            (header::CONTENT_TYPE, kind.to_string()),
        ],
        body,
    )
        .into_response();
    if let Some(encoding) = served.encodings.get(&path)
        && let Ok(value) = encoding.parse()
    {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, value);
    }
    response
}

/// Writes `feedbraid.toml` into `dir` with a test-friendly preamble and `body`
/// (sources and feeds), and returns its path.
pub fn write_config(dir: &Path, body: &str) -> PathBuf {
    write_config_on(dir, "[storage]\npath = \"feedbraid.db\"\n", body)
}

/// [`write_config`] with `storage` as its `[storage]` table.
pub fn write_config_on(dir: &Path, storage: &str, body: &str) -> PathBuf {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://feeds.test\"\n\n\
         {storage}\n\
         [fetch]\nallow_private_networks = true\ntimeout = \"5s\"\n\n{body}"
    );
    let path = dir.join("feedbraid.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Like [`write_config`], with `fetch` as the body of the `[fetch]` table (e.g.
/// `"timeout = \"1s\"\nper_host = 2"`); private networks are allowed unless it says.
pub fn write_config_with_fetch(dir: &Path, fetch: &str, body: &str) -> PathBuf {
    write_config_with_fetch_on(dir, "[storage]\npath = \"feedbraid.db\"\n", fetch, body)
}

/// [`write_config_with_fetch`] with `storage` as its `[storage]` table.
pub fn write_config_with_fetch_on(dir: &Path, storage: &str, fetch: &str, body: &str) -> PathBuf {
    let allow = if fetch.contains("allow_private_networks") {
        String::new()
    } else {
        "allow_private_networks = true\n".to_string()
    };
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://feeds.test\"\n\n\
         {storage}\n\
         [fetch]\n{allow}{fetch}\n\n{body}"
    );
    let path = dir.join("feedbraid.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A validated `[fetch]` config with `fetch` as the body of the table.
pub fn fetch_config(fetch: &str) -> feedbraid::config::FetchConfig {
    let text = format!(
        "[storage]\npath = \"x.db\"\n\n[fetch]\n{fetch}\n\n\
         [[source]]\nname = \"placeholder\"\nurl = \"https://feeds.example.com/rss\"\n"
    );
    Config::from_toml(Path::new("/nonexistent/feedbraid.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}"))
        .fetch
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
use feedbraid::fetch::{Fetcher, FetcherOptions};
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
    /// The publisher the HTTP service answers from.
    pub publisher: Arc<Publisher>,
    _config: watch::Sender<Arc<Config>>,
    _stop: watch::Sender<bool>,
}

impl Harness {
    /// Starts on the config at `config_path` (its database beside it).
    pub async fn start(config_path: &Path) -> Harness {
        let config = Arc::new(Config::load(config_path).unwrap_or_else(|e| panic!("{e}")));
        let store = feedbraid::app::open_store(&config).await.unwrap();
        // Requests to one host are spaced by much less than the daemon's default, to
        // keep the suite fast (every test server is on 127.0.0.1).
        let options = FetcherOptions {
            host_spacing: Some(std::time::Duration::from_millis(5)),
            ..FetcherOptions::default()
        };
        let ctx = PollContext::new(
            Fetcher::with_options(&config.fetch, options).unwrap(),
            store.clone(),
        );
        let (config_tx, config_rx) = watch::channel(Arc::clone(&config));
        let (stop, stopped) = watch::channel(false);
        let publisher = Arc::new(Publisher::new(store.clone()));
        let state = ServeState {
            config: config_rx,
            store,
            publisher: Arc::clone(&publisher),
            heartbeat: None,
            metrics: Arc::clone(&ctx.metrics),
            release_soon: feedbraid::allocator::ReleaseSoon::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, state, stopped));
        Harness {
            config,
            ctx,
            addr,
            publisher,
            _config: config_tx,
            _stop: stop,
        }
    }

    /// Polls one source.
    pub async fn poll_source(&self, name: &str) -> PollReport {
        let source = self.config.source(name).unwrap();
        feedbraid::poll::poll_source(&self.ctx, &self.config, source)
            .await
            .unwrap()
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

/// An RSS 2.0 document of `n` distinct news items from `outlet`, for load-shaped tests.
pub fn generated_rss(outlet: &str, n: usize) -> String {
    let mut doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>{outlet} news</title><link>https://{outlet}.example/</link>\
         <description>News from {outlet}</description>\n"
    );
    for i in 0..n {
        let minute = i % 60;
        let hour = (i / 60) % 24;
        doc.push_str(&format!(
            "<item><title>{outlet} report {i} on port strikes and grain exports</title>\
             <link>https://{outlet}.example/news/{i}</link>\
             <guid isPermaLink=\"false\">{outlet}-{i}</guid>\
             <pubDate>Tue, 04 Mar 2025 {hour:02}:{minute:02}:00 GMT</pubDate>\
             <description>&lt;p&gt;Dock workers in city {i} walked out over pay, \
             delaying grain shipments, officials said.&lt;/p&gt;</description></item>\n"
        ));
    }
    doc.push_str("</channel></rss>\n");
    doc
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

/// The five fixture outlets, one per input format: (source name, served path, fixture).
/// `wire` carries a copy of one `harbor` story under its own guid.
pub const OUTLETS: [(&str, &str, &str); 5] = [
    ("harbor", "harbor.xml", "rss2.xml"),
    ("wire", "wire.xml", "wire-copy.xml"),
    ("lakeside", "lakeside.rdf", "rss1.rdf"),
    ("northstar", "northstar.atom", "atom.xml"),
    ("coastline", "coastline.json", "feed.json"),
];

/// A publisher serving the five outlets.
pub async fn five_outlets() -> FeedServer {
    let server = FeedServer::start().await;
    for (_, path, file) in OUTLETS {
        server.set(path, fixture(file));
    }
    server
}

/// `[[source]]` entries for the five outlets, with `tags` for the named ones.
pub fn outlet_sources(server: &FeedServer, tags: &[(&str, &str)]) -> String {
    let mut text = String::new();
    for (name, path, _) in OUTLETS {
        text.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n",
            server.url(path)
        ));
        if let Some((_, tag)) = tags.iter().find(|(n, _)| *n == name) {
            text.push_str(&format!("tags = [\"{tag}\"]\n"));
        }
        text.push('\n');
    }
    text
}
