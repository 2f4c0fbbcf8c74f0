//! Fetching feed documents over HTTP: conditional GET with the stored validators, a
//! total timeout, a cap on the decompressed body, and limits on requests in flight
//! (in all, and per host). It knows nothing of feeds: bytes in, bytes out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::FetchConfig;

/// Validators from the previous answer, sent back so an unchanged feed costs a 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful exchange.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// 304: nothing changed since the validators were issued.
    NotModified { validators: Validators },
    /// 200: a document.
    Document {
        status: u16,
        body: Vec<u8>,
        validators: Validators,
        /// The URL the document finally came from, after redirects.
        final_url: url::Url,
    },
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("HTTP {status}")]
    Status {
        status: u16,
        /// From a `Retry-After` header, if one came.
        retry_after: Option<Duration>,
    },
    #[error("body larger than {limit} bytes (after decompression)")]
    TooLarge { limit: u64 },
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// The HTTP status behind the error, if the server answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The HTTP client with its limits. Clone is cheap (shared client and semaphores).
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body: u64,
    in_flight: Arc<Semaphore>,
    per_host: usize,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Fetcher {
    pub fn new(config: &FetchConfig) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(10))
            .build()
            .map_err(|e| FetchError::Other(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            timeout: config.timeout,
            max_body: config.max_body,
            in_flight: Arc::new(Semaphore::new(config.concurrency.max(1))),
            per_host: config.per_host.max(1),
            hosts: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// GETs `url`, conditionally when validators are given. Waits for a free slot for
    /// the URL's host first, then for a slot in all, so one busy host cannot hold slots
    /// other hosts could use.
    pub async fn get(
        &self,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let _host_permit = self.host_permit(url).await?;
        let _permit = Arc::clone(&self.in_flight)
            .acquire_owned()
            .await
            .map_err(|_| FetchError::Other("fetcher closed".into()))?;
        match tokio::time::timeout(self.timeout, self.exchange(url, validators)).await {
            Ok(answer) => answer,
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }

    async fn host_permit(&self, url: &url::Url) -> Result<OwnedSemaphorePermit, FetchError> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let semaphore = {
            let mut hosts = self
                .hosts
                .lock()
                .map_err(|_| FetchError::Other("host table poisoned".into()))?;
            Arc::clone(
                hosts
                    .entry(host)
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
            )
        };
        semaphore
            .acquire_owned()
            .await
            .map_err(|_| FetchError::Other("fetcher closed".into()))
    }

    async fn exchange(
        &self,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let mut request = self.client.get(url.clone()).header(
            header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
        );
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(date) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, date);
        }
        let mut response = request.send().await.map_err(|e| self.classify(e))?;
        let status = response.status();
        let answered = validators_of(response.headers());
        if status == StatusCode::NOT_MODIFIED {
            // A 304 may omit validators; keep the ones we sent.
            return Ok(Fetched::NotModified {
                validators: Validators {
                    etag: answered.etag.or_else(|| validators.etag.clone()),
                    last_modified: answered
                        .last_modified
                        .or_else(|| validators.last_modified.clone()),
                },
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after: retry_after(response.headers()),
            });
        }
        let final_url = response.url().clone();
        let mut body = Vec::new();
        // Chunks arrive decompressed, so the cap counts what we would have to hold.
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Document {
            status: status.as_u16(),
            body,
            validators: answered,
            final_url,
        })
    }

    fn classify(&self, error: reqwest::Error) -> FetchError {
        if error.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else if error.is_connect() {
            FetchError::Connect(error_chain(&error))
        } else {
            FetchError::Other(error_chain(&error))
        }
    }
}

/// The error and its causes, as one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn validators_of(headers: &HeaderMap) -> Validators {
    Validators {
        etag: header_text(headers, header::ETAG),
        last_modified: header_text(headers, header::LAST_MODIFIED),
    }
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = header_text(headers, header::RETRY_AFTER)?;
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}
