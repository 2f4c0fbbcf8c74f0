//! `/feeds/NAME.EXT`: a rendered feed, its validators, 304s, and token checks.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{ServeState, plain};
use crate::config::FeedConfig;
use crate::publish::Rendered;
use crate::render::Format;

#[derive(Debug, Deserialize)]
pub(super) struct TokenQuery {
    token: Option<String>,
}

pub(super) async fn feed(
    State(state): State<Arc<ServeState>>,
    Path(file): Path<String>,
    Query(query): Query<TokenQuery>,
    request: Request,
) -> Response {
    // The request itself rather than a `HeaderMap`, which axum would copy.
    let headers = request.headers();
    let (feed, response) = answer(&state, &file, query.token.as_deref(), headers).await;
    // Only configured names become labels: random paths must not grow the metrics.
    state.metrics.observe_request(
        feed.as_deref().unwrap_or("(unknown)"),
        response.status().as_u16(),
    );
    response
}

/// The answer for `/feeds/FILE`, and the configured feed it was for, if any.
async fn answer(
    state: &ServeState,
    file: &str,
    token: Option<&str>,
    headers: &HeaderMap,
) -> (Option<String>, Response) {
    let not_found = |why: String| (None, plain(StatusCode::NOT_FOUND, why));
    let Some((name, ext)) = file.rsplit_once('.') else {
        return not_found(format!(
            "no feed {file:?}: use NAME.rss, NAME.atom or NAME.json"
        ));
    };
    let Some(format) = Format::from_extension(ext) else {
        return not_found(format!("unknown format {ext:?}: use .rss, .atom or .json"));
    };
    let config = state.config();
    let Some(feed) = config.feed(name) else {
        return not_found(format!("no feed named {name:?}"));
    };
    let known = Some(feed.name.clone());
    if let Err(why) = authorize(feed, token, headers) {
        let mut response = plain(StatusCode::UNAUTHORIZED, why);
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"feedbraid\""),
        );
        return (known, response);
    }
    let rendered = match state.publisher.feed(&config, feed, format).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(feed = name, "cannot build feed: {e}");
            let why = "the feed store is unavailable; try again later";
            return (known, plain(StatusCode::SERVICE_UNAVAILABLE, why));
        }
    };
    (known, respond(&rendered, headers, feed.token.is_some()))
}

/// Checks the feed's token, from `?token=` or `Authorization: Bearer`.
fn authorize(
    feed: &FeedConfig,
    given: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), &'static str> {
    let Some(expected) = &feed.token else {
        return Ok(());
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given.or(bearer) {
        None => Err("this feed needs a token: add ?token=… or send Authorization: Bearer …"),
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err("wrong token for this feed"),
    }
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused =
                parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// The rendered body (gzip-compressed when the client takes it), or 304 when the
/// client's validators still hold. Each encoding has its own strong ETag; either
/// one proves the client holds the current content.
fn respond(body: &Rendered, headers: &HeaderMap, private: bool) -> Response {
    let gzip = accepts_gzip(headers);
    let holds = |tag: &str| {
        let tag = tag.trim_start_matches("W/");
        let tag = tag.as_bytes();
        tag == b"*"
            || tag == body.headers.etag.as_bytes()
            || tag == body.headers.gzip_etag.as_bytes()
    };
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        // If-None-Match wins over If-Modified-Since when both come (RFC 9110 13.2.2).
        Some(tags) => tags.split(',').map(str::trim).any(holds),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| {
                DateTime::<Utc>::from(since).timestamp() >= body.last_modified.timestamp()
            }),
    };
    let cache = if private {
        "private, max-age=60"
    } else {
        "public, max-age=60"
    };
    // Header values made when the feed was rendered: a cached feed's answer copies
    // bytes it holds and formats nothing.
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        Response::new(Body::from(body.gzip.clone()))
    } else {
        Response::new(Body::from(body.body.clone()))
    };
    let answer = response.headers_mut();
    let etag = if gzip {
        &body.headers.gzip_etag
    } else {
        &body.headers.etag
    };
    answer.insert(header::ETAG, etag.clone());
    answer.insert(header::LAST_MODIFIED, body.headers.last_modified.clone());
    answer.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    answer.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if !not_modified {
        answer.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(body.content_type),
        );
        if gzip {
            answer.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_taken_unless_refused() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(with("*"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br, deflate"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3cres"));
        assert!(!constant_time_eq(b"s3cret", b"s3cret!"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
