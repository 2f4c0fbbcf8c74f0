//! [`LastServed`]: what each source served at its last poll that the store took, by
//! content hash, for parsing the source's next document ([`KnownContent`]). Held
//! in memory only (eight bytes an entry): after a restart, each source's first
//! document is parsed whole.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::parse::KnownContent;

/// Each source's content at its last stored poll, by source name.
#[derive(Debug, Default)]
pub struct LastServed {
    by_source: Mutex<HashMap<String, Arc<KnownContent>>>,
}

impl LastServed {
    /// What `source` served at its last stored poll, if this process stored one.
    pub fn of(&self, source: &str) -> Option<Arc<KnownContent>> {
        let by_source = self
            .by_source
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        by_source.get(source).cloned()
    }

    /// Forgets every source but `sources` (the config's, after a reload), so a
    /// removed or renamed source's set is not held for the life of the process.
    pub fn keep_only<'a>(&self, sources: impl IntoIterator<Item = &'a str>) {
        let kept: std::collections::HashSet<&str> = sources.into_iter().collect();
        let mut by_source = self
            .by_source
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        by_source.retain(|source, _| kept.contains(source.as_str()));
    }

    /// Remembers `served` as what `source` served at its last stored poll.
    pub fn remember(&self, source: &str, served: KnownContent) {
        let mut by_source = self
            .by_source
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match by_source.get_mut(source) {
            Some(known) => *known = Arc::new(served),
            None => {
                by_source.insert(source.to_owned(), Arc::new(served));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_sources_last_content() {
        let last = LastServed::default();
        assert!(last.of("a").is_none());
        last.remember("a", KnownContent::of(["h1"]));
        last.remember("b", KnownContent::of(["h2"]));
        last.remember("a", KnownContent::of(["h3"]));
        let a = last.of("a").expect("remembered");
        assert!(a.contains("h3") && !a.contains("h1"));
        assert!(last.of("b").is_some_and(|b| b.contains("h2")));
        last.keep_only(["b", "c"]);
        assert!(last.of("a").is_none() && last.of("b").is_some());
    }
}
