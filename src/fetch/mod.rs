//! Fetching feed documents over HTTP: conditional GET with the stored validators,
//! redirects followed by hand (`redirect`), the SSRF guard on every hop (`guard`), a
//! connect timeout and a total timeout, a cap on the decompressed body, and limits
//! on requests in flight (in all, per host, with spacing per host: `limits`). It
//! knows nothing of feeds: bytes in, bytes out.
//!
//! Whether private networks may be reached is decided per request (per source): the
//! fetcher holds two HTTP clients, one whose resolver drops every non-public address
//! and one without that filter, and picks one per request. IP literals never reach a
//! resolver, so every hop's URL is also checked before it is requested.

pub mod guard;
pub mod headers;
mod limits;
pub mod redirect;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header;
use tokio::sync::Semaphore;

use crate::config::FetchConfig;
use guard::{PublicOnlyResolver, Refusal};
use limits::HostLimits;
pub use limits::HostWait;
use redirect::{Chain, RedirectError};

/// The longest the TCP (and TLS) connection may take, within the total timeout.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes reserved up front for a body, whatever its Content-Length says.
const MAX_RESERVED: usize = 4 << 20;

const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1";

/// Validators from the previous answer, sent back so an unchanged feed costs a 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Whether a request may reach loopback, private and other non-public addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    PublicOnly,
    AllowPrivate,
}

impl Access {
    pub fn from_allow_private(allow: bool) -> Access {
        if allow {
            Access::AllowPrivate
        } else {
            Access::PublicOnly
        }
    }
}

/// A host's turn, taken without waiting ([`Fetcher::try_turn`]): a request to that
/// host may start now. Holds one of the host's slots until dropped.
pub struct HostTurn {
    host: String,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// The host a URL's requests are limited under.
pub fn host_of(url: &url::Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

/// A successful exchange: a document (200) or "not modified" (304).
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub status: u16,
    /// The document; `None` for 304 Not Modified.
    pub body: Option<Vec<u8>>,
    /// The validators of the answer (a 304 that omits them keeps the ones sent).
    pub validators: Validators,
    /// The URL the answer finally came from, after redirects.
    pub final_url: url::Url,
    /// Where a leading run of permanent redirects (301/308) pointed, if any.
    pub permanent_redirect: Option<url::Url>,
    /// How long the answer says it stays fresh (`Cache-Control: max-age`, `Expires`).
    pub fresh_for: Option<Duration>,
    /// The `charset` the `Content-Type` names, for parsing to weigh.
    pub charset: Option<String>,
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
        /// The URL that answered, after redirects (its host is the one that asked
        /// to wait, on a 429 or 503).
        answered_by: Option<Box<url::Url>>,
    },
    #[error("body larger than {limit} bytes (after decompression)")]
    TooLarge { limit: u64 },
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Redirect(#[from] RedirectError),
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

/// Knobs of the fetcher that are not in the config file.
#[derive(Debug, Clone, Default)]
pub struct FetcherOptions {
    /// Minimum gap between the starts of two requests to the same host, instead of
    /// `[fetch] per_host_interval` (tests on loopback use a few milliseconds).
    pub host_spacing: Option<Duration>,
    /// Host names pinned to addresses, like `curl --resolve` (the URL's port is used).
    /// Pinned names skip DNS and the resolved-address check: the operator chose them.
    pub pinned_hosts: Vec<(String, std::net::SocketAddr)>,
}

/// The HTTP clients with their limits. Clone is cheap (shared clients and limits).
#[derive(Clone)]
pub struct Fetcher {
    public_only: reqwest::Client,
    allow_private: reqwest::Client,
    timeout: Duration,
    max_body: u64,
    in_flight: Arc<Semaphore>,
    hosts: Arc<HostLimits>,
}

impl Fetcher {
    pub fn new(config: &FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::with_options(config, FetcherOptions::default())
    }

    pub fn with_options(
        config: &FetchConfig,
        options: FetcherOptions,
    ) -> Result<Fetcher, FetchError> {
        let build = |public_only: bool| {
            // Proxies from the environment are not used: the guard must see the
            // addresses we connect to.
            let mut builder = reqwest::Client::builder()
                .user_agent(config.user_agent.clone())
                .timeout(config.timeout)
                .connect_timeout(config.timeout.min(MAX_CONNECT_TIMEOUT))
                .redirect(reqwest::redirect::Policy::none())
                // A source is polled every few minutes at most: an idle connection kept
                // per host would only hold memory and a descriptor (10,000 hosts, 10,000
                // sockets), so each connection closes after its exchange.
                .pool_max_idle_per_host(0)
                .no_proxy();
            if public_only {
                builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
            }
            for (host, addr) in &options.pinned_hosts {
                builder = builder.resolve(host, *addr);
            }
            builder
                .build()
                .map_err(|e| FetchError::Other(format!("cannot build the HTTP client: {e}")))
        };
        Ok(Fetcher {
            public_only: build(true)?,
            allow_private: build(false)?,
            timeout: config.timeout,
            max_body: config.max_body,
            in_flight: Arc::new(Semaphore::new(config.concurrency.max(1))),
            hosts: Arc::new(HostLimits::new(
                config.per_host,
                options.host_spacing.unwrap_or(config.per_host_interval),
            )),
        })
    }

    /// GETs `url`, conditionally when validators are given, following redirects.
    /// Waits for a slot for the URL's host (and its turn after the last request to
    /// it), then for a slot in all, so one busy host cannot hold slots other hosts
    /// could use. The timeout covers the whole exchange, redirects and body included.
    pub async fn get(
        &self,
        url: &url::Url,
        validators: &Validators,
        access: Access,
    ) -> Result<Fetched, FetchError> {
        self.get_in_turn(url, validators, access, None).await
    }

    /// The turn of `url`'s host, if it has one now ([`HostWait`] says what to wait
    /// for otherwise). Never waits.
    pub fn try_turn(&self, url: &url::Url) -> Result<HostTurn, HostWait> {
        let host = host_of(url);
        let slot = self.hosts.try_acquire(&host)?;
        Ok(HostTurn { host, _slot: slot })
    }

    /// Keeps every request to `url`'s host — feeds and article pages alike — from
    /// starting for `wait` (the host answered 429 or 503). Requests to other hosts
    /// go on.
    pub fn hold_host(&self, url: &url::Url, wait: Duration) {
        self.hosts
            .hold(&host_of(url), tokio::time::Instant::now() + wait);
    }

    /// [`Fetcher::get`] in a turn of its host taken beforehand; a turn of another
    /// host (the source moved) is given back and the URL's host waited for.
    pub async fn get_in_turn(
        &self,
        url: &url::Url,
        validators: &Validators,
        access: Access,
        turn: Option<HostTurn>,
    ) -> Result<Fetched, FetchError> {
        guard::check_url(url, access == Access::AllowPrivate)?;
        let _host_permit = match turn {
            Some(turn) if turn.host == host_of(url) => turn,
            _ => {
                let host = host_of(url);
                let slot = self.hosts.acquire(&host).await?;
                HostTurn { host, _slot: slot }
            }
        };
        let _permit = Arc::clone(&self.in_flight)
            .acquire_owned()
            .await
            .map_err(|_| FetchError::Other("fetcher closed".into()))?;
        match tokio::time::timeout(self.timeout, self.exchange(url, validators, access)).await {
            Ok(answer) => answer,
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }

    async fn exchange(
        &self,
        start: &url::Url,
        validators: &Validators,
        access: Access,
    ) -> Result<Fetched, FetchError> {
        let client = match access {
            Access::PublicOnly => &self.public_only,
            Access::AllowPrivate => &self.allow_private,
        };
        let mut chain = Chain::new(start);
        let mut url = start.clone();
        let mut response = loop {
            guard::check_url(&url, access == Access::AllowPrivate)?;
            let mut request = client.get(url.clone()).header(header::ACCEPT, ACCEPT);
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
            let response = request.send().await.map_err(|e| self.classify(e))?;
            if !redirect::is_redirect(response.status()) {
                break response;
            }
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok());
            url = chain.follow(&url, response.status(), location)?;
        };
        let status = response.status();
        let now = SystemTime::now();
        let answered = headers::validators_of(response.headers());
        let permanent_redirect = chain.permanent_target().cloned();
        let fresh_for = headers::fresh_for(response.headers(), now);
        let charset = headers::charset(response.headers());
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched {
                status: 304,
                body: None,
                validators: Validators {
                    etag: answered.etag.or_else(|| validators.etag.clone()),
                    last_modified: answered
                        .last_modified
                        .or_else(|| validators.last_modified.clone()),
                },
                final_url: url,
                permanent_redirect,
                fresh_for,
                charset: None,
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after: headers::retry_after(response.headers(), now),
                answered_by: Some(Box::new(url)),
            });
        }
        // Sized from Content-Length when the server sent one (and the body is not
        // decompressed), so the body is not copied at every doubling as it grows. A
        // length that lies only costs a reservation, at most the cap.
        let expected = response.content_length().unwrap_or(0).min(self.max_body);
        let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).min(MAX_RESERVED));
        // Chunks arrive decompressed, so the cap counts what we would have to hold;
        // reading stops at the cap and dropping the response closes the connection.
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status: status.as_u16(),
            body: Some(body),
            validators: answered,
            final_url: url,
            permanent_redirect,
            fresh_for,
            charset,
        })
    }

    fn classify(&self, error: reqwest::Error) -> FetchError {
        if let Some(refusal) = guard::refusal_in(&error) {
            FetchError::Refused(refusal)
        } else if error.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else if error.is_connect() {
            FetchError::Connect(crate::error_chain(&error))
        } else {
            FetchError::Other(crate::error_chain(&error))
        }
    }
}
