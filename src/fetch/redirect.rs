//! Redirects, followed by hand so every hop passes the SSRF guard: at most
//! [`MAX_HOPS`], a URL seen twice is a loop, and the target of a leading run of
//! permanent redirects (301/308) is reported so the poller can adopt it once it has
//! been seen [`ADOPT_AFTER`] polls in a row. 302, 303 and 307 are never adopted, and a
//! temporary hop ends the permanent run (what follows it may change at any time).

use reqwest::StatusCode;
use url::Url;

/// Redirects followed in one fetch, at most.
pub const MAX_HOPS: usize = 10;

/// Polls in a row that must see the same permanent redirect before it is adopted.
pub const ADOPT_AFTER: u32 = 3;

/// Why following a redirect failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("more than {MAX_HOPS} redirects")]
    TooMany,
    #[error("redirect loop back to {0}")]
    Loop(String),
    #[error("redirect without a usable Location: {0}")]
    BadLocation(String),
}

/// Whether `status` is a redirect we follow.
pub fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The hops of one fetch so far.
#[derive(Debug)]
pub struct Chain {
    visited: Vec<Url>,
    all_permanent: bool,
    permanent_target: Option<Url>,
}

fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

impl Chain {
    pub fn new(start: &Url) -> Chain {
        Chain {
            visited: vec![without_fragment(start)],
            all_permanent: true,
            permanent_target: None,
        }
    }

    /// Records the redirect answered by `from` and returns where to go next.
    pub fn follow(
        &mut self,
        from: &Url,
        status: StatusCode,
        location: Option<&str>,
    ) -> Result<Url, RedirectError> {
        let location = location.ok_or_else(|| RedirectError::BadLocation("none".into()))?;
        let next = from
            .join(location)
            .map_err(|e| RedirectError::BadLocation(format!("{location}: {e}")))?;
        let next = without_fragment(&next);
        if self.visited.len() > MAX_HOPS {
            return Err(RedirectError::TooMany);
        }
        if self.visited.contains(&next) {
            return Err(RedirectError::Loop(next.to_string()));
        }
        self.visited.push(next.clone());
        let permanent = matches!(status.as_u16(), 301 | 308);
        self.all_permanent &= permanent;
        if self.all_permanent {
            self.permanent_target = Some(next.clone());
        }
        Ok(next)
    }

    /// The target of the leading permanent redirects, if the fetch began with one.
    pub fn permanent_target(&self) -> Option<&Url> {
        self.permanent_target.as_ref()
    }
}

/// What the poller remembers about a permanent redirect between polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectMemory {
    /// The permanent target seen on the last polls.
    pub target: Option<String>,
    /// How many polls in a row have seen it.
    pub seen: u32,
}

/// The memory after a poll that saw `target` (or no permanent redirect), and the URL
/// to adopt now, if this poll makes [`ADOPT_AFTER`] in a row.
pub fn observe(memory: &RedirectMemory, target: Option<&Url>) -> (RedirectMemory, Option<Url>) {
    let Some(target) = target else {
        return (RedirectMemory::default(), None);
    };
    let seen = if memory.target.as_deref() == Some(target.as_str()) {
        memory.seen + 1
    } else {
        1
    };
    if seen >= ADOPT_AFTER {
        (RedirectMemory::default(), Some(target.clone()))
    } else {
        (
            RedirectMemory {
                target: Some(target.to_string()),
                seen,
            },
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Url {
        Url::parse(u).unwrap()
    }

    #[test]
    fn permanent_run_is_reported_and_a_temporary_hop_ends_it() {
        let start = url("https://a.example/feed");
        let mut chain = Chain::new(&start);
        let b = chain
            .follow(&start, StatusCode::MOVED_PERMANENTLY, Some("/new"))
            .unwrap();
        assert_eq!(b.as_str(), "https://a.example/new");
        let c = chain
            .follow(&b, StatusCode::FOUND, Some("https://cdn.example/x"))
            .unwrap();
        chain
            .follow(&c, StatusCode::PERMANENT_REDIRECT, Some("/y"))
            .unwrap();
        assert_eq!(chain.permanent_target(), Some(&b));

        let mut temporary = Chain::new(&start);
        temporary
            .follow(&start, StatusCode::TEMPORARY_REDIRECT, Some("/t"))
            .unwrap();
        assert_eq!(temporary.permanent_target(), None);
    }

    #[test]
    fn loops_and_long_chains_are_errors() {
        let start = url("https://a.example/feed");
        let mut chain = Chain::new(&start);
        let b = chain.follow(&start, StatusCode::FOUND, Some("/b")).unwrap();
        assert_eq!(
            chain.follow(&b, StatusCode::FOUND, Some("/feed#top")),
            Err(RedirectError::Loop("https://a.example/feed".into()))
        );
        let mut long = Chain::new(&start);
        let mut at = start.clone();
        for i in 0..MAX_HOPS {
            at = long
                .follow(&at, StatusCode::FOUND, Some(&format!("/{i}")))
                .unwrap();
        }
        assert_eq!(
            long.follow(&at, StatusCode::FOUND, Some("/last")),
            Err(RedirectError::TooMany)
        );
        assert!(matches!(
            Chain::new(&start).follow(&start, StatusCode::FOUND, None),
            Err(RedirectError::BadLocation(_))
        ));
    }

    #[test]
    fn adopted_after_three_polls_in_a_row() {
        let target = url("https://new.example/feed");
        let other = url("https://other.example/feed");
        let (m1, a1) = observe(&RedirectMemory::default(), Some(&target));
        let (m2, a2) = observe(&m1, Some(&target));
        assert_eq!((a1, a2, m2.seen), (None, None, 2));
        let (reset, _) = observe(&m2, Some(&other));
        assert_eq!(reset.seen, 1);
        let (gone, _) = observe(&m2, None);
        assert_eq!(gone, RedirectMemory::default());
        let (m3, a3) = observe(&m2, Some(&target));
        assert_eq!((m3, a3), (RedirectMemory::default(), Some(target)));
    }
}
