//! What response headers say about polling: validators to send back, how long the
//! answer stays fresh (`Cache-Control: max-age`, `Expires`), `Retry-After`, and the
//! `charset` of the `Content-Type`.
//! Pure functions of the headers and the current time.

use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderName};

use super::Validators;

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The validators of an answer, verbatim.
pub fn validators_of(headers: &HeaderMap) -> Validators {
    Validators {
        etag: header_text(headers, header::ETAG),
        last_modified: header_text(headers, header::LAST_MODIFIED),
    }
}

/// The `charset` parameter of the `Content-Type`, unquoted, if there is one.
pub fn charset(headers: &HeaderMap) -> Option<String> {
    let content_type = header_text(headers, header::CONTENT_TYPE)?;
    content_type.split(';').skip(1).find_map(|parameter| {
        let (key, value) = parameter.split_once('=')?;
        let value = value.trim().trim_matches('"').trim();
        (key.trim().eq_ignore_ascii_case("charset") && !value.is_empty()).then(|| value.to_string())
    })
}

/// `Retry-After` as a delay from `now`: delta-seconds or an HTTP date (a date in the
/// past is no delay).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = header_text(headers, header::RETRY_AFTER)?;
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(&text).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long the answer says it stays fresh: `Cache-Control: max-age` when given (it
/// wins over `Expires`, as in HTTP caching), else `Expires` minus `Date` (or `now`).
/// `no-cache`/`no-store` give nothing: they are no reason to poll sooner than planned.
pub fn fresh_for(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(control) = header_text(headers, header::CACHE_CONTROL) {
        let max_age = control.split(',').find_map(|directive| {
            let (key, value) = directive.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("max-age")
                .then(|| value.trim().trim_matches('"').parse::<u64>().ok())
                .flatten()
        });
        if let Some(secs) = max_age {
            return Some(Duration::from_secs(secs));
        }
    }
    let expires = httpdate::parse_http_date(&header_text(headers, header::EXPIRES)?).ok()?;
    let date = header_text(headers, header::DATE)
        .and_then(|d| httpdate::parse_http_date(&d).ok())
        .unwrap_or(now);
    Some(expires.duration_since(date).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charset_is_read_from_the_content_type() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            charset(&headers)
        };
        assert_eq!(
            with("text/xml; charset=windows-1251").as_deref(),
            Some("windows-1251")
        );
        assert_eq!(
            with("application/rss+xml;Charset=\"KOI8-R\"").as_deref(),
            Some("KOI8-R")
        );
        assert_eq!(with("application/xml"), None);
        assert_eq!(with("text/xml; charset="), None);
    }
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn at(text: &str) -> SystemTime {
        httpdate::parse_http_date(text).unwrap()
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = at("Sun, 01 Mar 2026 12:00:00 GMT");
        let secs = headers(&[(header::RETRY_AFTER, "120")]);
        assert_eq!(retry_after(&secs, now), Some(Duration::from_secs(120)));
        let date = headers(&[(header::RETRY_AFTER, "Sun, 01 Mar 2026 13:00:00 GMT")]);
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(3600)));
        let past = headers(&[(header::RETRY_AFTER, "Sun, 01 Mar 2026 11:00:00 GMT")]);
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        let junk = headers(&[(header::RETRY_AFTER, "soon")]);
        assert_eq!(retry_after(&junk, now), None);
    }

    #[test]
    fn freshness_from_max_age_or_expires() {
        let now = at("Sun, 01 Mar 2026 12:00:00 GMT");
        let max_age = headers(&[
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::EXPIRES, "Sun, 01 Mar 2026 12:01:00 GMT"),
        ]);
        assert_eq!(fresh_for(&max_age, now), Some(Duration::from_secs(3600)));
        let expires = headers(&[
            (header::DATE, "Sun, 01 Mar 2026 12:00:00 GMT"),
            (header::EXPIRES, "Sun, 01 Mar 2026 14:00:00 GMT"),
        ]);
        assert_eq!(fresh_for(&expires, now), Some(Duration::from_secs(7200)));
        let none = headers(&[(header::CACHE_CONTROL, "no-cache")]);
        assert_eq!(fresh_for(&none, now), None);
        let bad = headers(&[(header::EXPIRES, "0")]);
        assert_eq!(fresh_for(&bad, now), None);
    }

    #[test]
    fn validators_are_kept_verbatim() {
        let h = headers(&[
            (header::ETAG, "W/\"abc-1\""),
            (header::LAST_MODIFIED, "Sun, 01 Mar 2026 12:00:00 GMT"),
        ]);
        let v = validators_of(&h);
        assert_eq!(v.etag.as_deref(), Some("W/\"abc-1\""));
        assert_eq!(
            v.last_modified.as_deref(),
            Some("Sun, 01 Mar 2026 12:00:00 GMT")
        );
    }
}
