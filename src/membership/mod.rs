//! Which output feeds an item belongs in, decided once when the item is stored (and
//! again for every item when a feed's definition changes): the feed's sources and
//! tags, and its topic filter over the item's text. Serving then reads a feed's
//! items from an index instead of filtering a million items per request. A feed that
//! takes every item ([`takes_every_item`]) needs no index of its own: it is served
//! from the items themselves, so no item is sorted into it. Pure.
//!
//! An item's text goes through these forms, each with one name:
//! - [`Candidate`]: an item being sorted into feeds, borrowed from a new entry or a
//!   stored row (its plain text from [`plain_text`]);
//! - [`ItemFields`]: what a topic query reads of it, with its source's tags and its
//!   link's domain ([`Candidate::fields`]);
//! - [`ItemWords`]: those fields folded and split once, for any number of queries;
//! - [`PreparedWords`]: what parsing did about an entry's words by a
//!   [`WordsRecipe`]: prepared them, or found that no filter can admit the entry.

use std::collections::{HashMap, HashSet};

use crate::config::{Config, FeedConfig};
use crate::model::{Category, PreparedWords, StoredItem};
use crate::topic::{Filter, ItemFields, ItemWords};

mod text;
mod words;

pub use text::{plain_text, stored_plain_text, visible_text};
pub use words::{WordsRecipe, prepare_words};

/// An item being sorted into feeds, borrowed from a new entry or a stored row.
#[derive(Debug, Clone, Default)]
pub struct Candidate<'a> {
    pub source: &'a str,
    pub title: &'a str,
    /// Summary and content as plain text.
    pub text: &'a str,
    pub categories: &'a [Category],
    pub authors: &'a [String],
    pub link: Option<&'a str>,
}

/// The text of a stored item that topic filters look at.
pub fn stored_item_fields(item: &StoredItem, config: &Config) -> ItemFields {
    // Made here when empty, as an item the store read is (see `StoredItem::text`).
    let text = if item.text.is_empty() {
        text::stored_plain_text(item.summary_html.as_deref(), item.content_html.as_deref())
    } else {
        item.text.clone()
    };
    let view = Candidate {
        source: &item.source,
        title: &item.title,
        text: &text,
        categories: &item.categories,
        authors: &item.authors,
        link: item.link.as_deref(),
    };
    view.fields(
        config
            .source(&item.source)
            .map_or(&[], |s| s.tags.as_slice()),
    )
}

/// Whether `feed` takes every item of every source: it has no topic filter and reads
/// every configured source. Such a feed keeps no membership rows ([`FeedSet::feeds_for`]
/// never names it): it would hold every stored item, so publishing reads the items
/// themselves instead. The one rule both sides follow.
pub fn takes_every_item(config: &Config, feed: &FeedConfig) -> bool {
    feed.filter.condition().is_none() && config.reads_every_source(feed)
}

/// One feed's rule.
#[derive(Debug, Clone)]
struct Rule {
    name: String,
    /// The sources it reads; `None` for every source.
    sources: Option<HashSet<String>>,
    /// It takes every item ([`takes_every_item`]), so it keeps no rows.
    every_item: bool,
    filter: Filter,
    /// Changes whenever what the feed admits may change.
    signature: String,
}

/// The rules of every configured feed.
#[derive(Debug, Clone, Default)]
pub struct FeedSet {
    rules: Vec<Rule>,
    tags: HashMap<String, Vec<String>>,
    /// Which topic filters these are ([`crate::config::TopicScreen::filters`]).
    filters: u64,
}

/// The signature of a feed's definition: a hash of a stable, versioned text of the
/// sources it reads (`None`: every source) and its filter's normalized form. Stored,
/// it tells at the next start whether the feed must be refilled, so it must not
/// change with anything but the definition (not with a compiler's `Debug` output).
fn definition_signature(sources: Option<&[&String]>, filter: &Filter) -> String {
    crate::identity::definition_digest(
        "feed definition v1",
        &[
            ("sources", serde_json::json!(sources)),
            ("filter", serde_json::json!(filter.canonical_text())),
        ],
    )
}

impl FeedSet {
    pub fn from_config(config: &Config) -> FeedSet {
        let rules = config
            .feeds
            .iter()
            .map(|feed| {
                let sources = (!config.reads_every_source(feed)).then(|| {
                    config
                        .sources_of_feed(feed)
                        .into_iter()
                        .collect::<HashSet<_>>()
                });
                let mut selected: Vec<&String> = sources.iter().flatten().collect();
                selected.sort();
                let signature =
                    definition_signature(sources.is_some().then_some(&selected[..]), &feed.filter);
                Rule {
                    name: feed.name.clone(),
                    sources,
                    every_item: takes_every_item(config, feed),
                    filter: feed.filter.clone(),
                    signature,
                }
            })
            .collect();
        let tags = config
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.tags.clone()))
            .collect();
        FeedSet {
            rules,
            tags,
            filters: config.topic_screen().filters,
        }
    }

    /// Every feed's name and signature.
    pub fn signatures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rules
            .iter()
            .map(|r| (r.name.as_str(), r.signature.as_str()))
    }

    /// The feeds that take every item ([`takes_every_item`]): they keep no rows.
    pub fn every_item_feeds(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .filter(|r| r.every_item)
            .map(|r| r.name.as_str())
    }

    /// The feeds (among `only`, when given) that keep a membership row for `item`:
    /// those that admit it, except the feeds that take every item
    /// ([`FeedSet::every_item_feeds`]), which keep none. `words` are what parsing did
    /// about the item's words ([`prepare_words`], or ruled out by these feeds'
    /// filters); without them the words are prepared here when a topic filter needs
    /// them.
    pub fn feeds_for(
        &self,
        item: &Candidate<'_>,
        words: Option<&PreparedWords>,
        only: Option<&HashSet<String>>,
    ) -> Vec<String> {
        let (words, ruled_out) = match words {
            Some(PreparedWords::Prepared(words)) => (Some(words), false),
            Some(PreparedWords::RuledOut { filters }) => (None, *filters == self.filters),
            None => (None, false),
        };
        let mut prepared: Option<ItemWords> = None;
        let mut out = Vec::new();
        for rule in &self.rules {
            if rule.every_item || only.is_some_and(|o| !o.contains(&rule.name)) {
                continue;
            }
            if rule
                .sources
                .as_ref()
                .is_some_and(|s| !s.contains(item.source))
            {
                continue;
            }
            // A rule without a topic filter admits every item of its sources: no need
            // to prepare the item's words (the costliest step) for it.
            if rule.filter.condition().is_none() {
                out.push(rule.name.clone());
                continue;
            }
            if ruled_out {
                continue;
            }
            let prepared = match words {
                Some(words) => words,
                None => &*prepared.get_or_insert_with(|| self.fields(item).prepare()),
            };
            if rule.filter.matches_words(prepared) {
                out.push(rule.name.clone());
            }
        }
        out
    }

    fn fields(&self, item: &Candidate<'_>) -> ItemFields {
        item.fields(self.tags.get(item.source).map_or(&[], Vec::as_slice))
    }
}

impl<'a> Candidate<'a> {
    /// The text of a parsed entry of `source`.
    pub fn of_entry(source: &'a str, entry: &'a crate::model::Entry) -> Candidate<'a> {
        Candidate {
            source,
            title: &entry.title,
            text: &entry.text,
            categories: &entry.categories,
            authors: &entry.authors,
            link: entry.link.as_deref(),
        }
    }
}

impl Candidate<'_> {
    /// What topic queries read of the item, with `tags`, those of its source.
    pub fn fields(&self, tags: &[String]) -> ItemFields {
        ItemFields {
            title: self.title.to_string(),
            text: self.text.to_string(),
            categories: self
                .categories
                .iter()
                .map(|category| category.name.clone())
                .collect(),
            author: self.authors.join(", "),
            source: self.source.to_string(),
            tags: tags.to_vec(),
            domain: self
                .link
                .and_then(|l| url::Url::parse(l).ok())
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(feeds: &str) -> Config {
        let text = format!(
            "[[source]]\nname = \"a\"\nurl = \"https://a.example/rss\"\ntags = [\"asia\"]\n\n\
             [[source]]\nname = \"b\"\nurl = \"https://b.example/rss\"\n\n{feeds}"
        );
        Config::from_toml(Path::new("/tmp/t.toml"), &text).unwrap()
    }

    fn item<'a>(source: &'a str, title: &'a str) -> Candidate<'a> {
        Candidate {
            source,
            title,
            text: "Talks resumed in Geneva.",
            link: Some("https://news.example/x"),
            ..Candidate::default()
        }
    }

    #[test]
    fn sources_tags_and_filters_decide() {
        let set = FeedSet::from_config(&config(
            "[[feed]]\nname = \"all\"\n\n[[feed]]\nname = \"asia\"\ntags = [\"asia\"]\n\n\
             [[feed]]\nname = \"iran\"\ninclude = [\"iran\"]\n\n\
             [[feed]]\nname = \"geneva-b\"\nsources = [\"b\"]\nquery = 'text:geneva AND domain:news.example'\n",
        ));
        // "all" takes every item: it keeps no rows, so it is never named.
        assert_eq!(
            set.feeds_for(&item("a", "Iran talks"), None, None),
            ["asia", "iran"]
        );
        assert_eq!(
            set.feeds_for(&item("b", "Weather"), None, None),
            ["geneva-b"]
        );
        assert_eq!(set.every_item_feeds().collect::<Vec<_>>(), ["all"]);
        let only = HashSet::from(["iran".to_string()]);
        assert_eq!(
            set.feeds_for(&item("a", "Iran talks"), None, Some(&only)),
            ["iran"]
        );
    }

    #[test]
    fn a_feed_takes_every_item_without_a_filter_over_every_source() {
        let config = config(
            "[[feed]]\nname = \"all\"\n\n\
             [[feed]]\nname = \"named\"\nsources = [\"a\", \"b\"]\n\n\
             [[feed]]\nname = \"one\"\nsources = [\"b\"]\n\n\
             [[feed]]\nname = \"tagged\"\ntags = [\"asia\"]\n\n\
             [[feed]]\nname = \"topic\"\ninclude = [\"iran\"]\n\n\
             [[feed]]\nname = \"no-sport\"\nexclude = [\"sport\"]\n",
        );
        let every: Vec<&str> = config
            .feeds
            .iter()
            .filter(|f| takes_every_item(&config, f))
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(every, ["all", "named"]);
        let set = FeedSet::from_config(&config);
        assert_eq!(set.every_item_feeds().collect::<Vec<_>>(), every);
        for source in ["a", "b"] {
            let admitted = set.feeds_for(&item(source, "Iran talks"), None, None);
            assert!(
                !admitted.iter().any(|f| every.contains(&f.as_str())),
                "{source}: {admitted:?}"
            );
        }
        let only = HashSet::from(["all".to_string()]);
        assert!(
            set.feeds_for(&item("a", "Iran talks"), None, Some(&only))
                .is_empty()
        );
    }

    #[test]
    fn a_known_definition_has_a_pinned_signature() {
        // A changed value here refills every feed of every installation at its next
        // start: only a deliberate change of the definition's form may change it.
        let set = FeedSet::from_config(&config(
            "[[feed]]\nname = \"f\"\nsources = [\"b\", \"a\"]\nquery = 'Iran AND NOT title:sport*'\n\n\
             [[feed]]\nname = \"all\"\n",
        ));
        let signatures: Vec<(&str, &str)> = set.signatures().collect();
        assert_eq!(
            signatures,
            [
                ("f", "c722e2a4f55837ec7a00bf66ab071607"),
                ("all", "f52060befb0a84f3eff2cadce912cfee")
            ]
        );
    }

    #[test]
    fn signatures_change_with_the_definition_only() {
        let one = FeedSet::from_config(&config("[[feed]]\nname = \"f\"\ninclude = [\"iran\"]\n"));
        let same = FeedSet::from_config(&config(
            "[[feed]]\nname = \"f\"\ntitle = \"Another title\"\ninclude = [\"iran\"]\n",
        ));
        let other = FeedSet::from_config(&config("[[feed]]\nname = \"f\"\ninclude = [\"iraq\"]\n"));
        let sig = |s: &FeedSet| s.signatures().next().unwrap().1.to_string();
        assert_eq!(sig(&one), sig(&same));
        assert_ne!(sig(&one), sig(&other));
    }

    #[test]
    fn words_prepared_beforehand_admit_the_same_feeds() {
        let set = FeedSet::from_config(&config(
            "[[feed]]\nname = \"topic\"\ninclude = [\"Iran\"]\n\n\
             [[feed]]\nname = \"asia\"\nquery = 'tag:asia AND NOT talks'\n\n\
             [[feed]]\nname = \"all\"\n",
        ));
        for (source, title) in [("a", "Iran talks"), ("b", "Weather"), ("a", "Rice prices")] {
            let text = item(source, title);
            let tags: Vec<String> = if source == "a" {
                vec!["asia".into()]
            } else {
                vec![]
            };
            let words = PreparedWords::Prepared(prepare_words(&text, &tags));
            assert_eq!(
                set.feeds_for(&text, Some(&words), None),
                set.feeds_for(&text, None, None),
                "{source}: {title}"
            );
        }
    }

    #[test]
    fn every_source_shares_the_screen_its_config_built_and_the_store_names_it_alike() {
        let filtered = "[[feed]]\nname = \"iran\"\ninclude = [\"iran\"]\n";
        let screened = config(filtered);
        let recipes: Vec<WordsRecipe> = screened
            .sources
            .iter()
            .map(|source| WordsRecipe::of(&screened, source).expect("a feed filters"))
            .collect();
        let screen = screened
            .topic_screen()
            .screen
            .as_ref()
            .expect("`iran` is required");
        for recipe in &recipes {
            let shared = recipe.screen.as_ref().expect("screened");
            assert!(std::sync::Arc::ptr_eq(shared, screen), "{}", recipe.source);
            assert_eq!(recipe.filters, FeedSet::from_config(&screened).filters);
        }
        // Read again, the same filters are named the same; other filters otherwise.
        assert_eq!(recipes[0].filters, config(filtered).topic_screen().filters);
        let other = config("[[feed]]\nname = \"iran\"\ninclude = [\"tehran\"]\n");
        assert_ne!(recipes[0].filters, other.topic_screen().filters);
        let unfiltered = config("[[feed]]\nname = \"all\"\n");
        assert!(WordsRecipe::of(&unfiltered, &unfiltered.sources[0]).is_none());
    }
}
