//! Synthetic copies of real articles, made by a generator the clustering was not
//! tuned on: each base article (a real item of the real-news corpus with a headline
//! and 60+ words of text) gets copies from other outlets with a share of their words
//! edited (replaced, dropped or inserted), a lightly reworded headline (a word
//! dropped or swapped, an outlet suffix), and some cut to a two-sentence summary.
//! The other base articles are the different news.

use std::collections::HashMap;

use feedbraid::cluster::{Fingerprint, Settings, StoryIndex};

/// One generated corpus's pairwise scores.
pub struct PairScores {
    pub precision: f64,
    pub recall: f64,
    pub true_pairs: u64,
    pub predicted_pairs: u64,
}

/// A real article to copy: headline and plain text.
pub struct Article {
    pub title: String,
    pub text: String,
}

/// The articles of one outlet of the unpacked corpus at `root`
/// (`syndicated/OUTLET/*.xml`) with a headline and at least 60 words of text, each
/// report once, in file order. One outlet, so that two bases are never one report
/// carried by two outlets (which the clustering rightly joins).
pub fn articles(root: &std::path::Path, outlet: &str) -> Vec<Article> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut outlets: Vec<_> = std::fs::read_dir(root.join("syndicated"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|name| name == outlet))
        .collect();
    outlets.sort();
    let url = url::Url::parse("http://feeds.invalid/edited.xml").expect("a valid url");
    for outlet in outlets {
        let mut files: Vec<_> = std::fs::read_dir(&outlet)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for file in files {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            let Ok(feed) = feedbraid::parse::parse_feed(&bytes, &url) else {
                continue;
            };
            for entry in feed.entries {
                // One base per report: the same link, headline or opening words is
                // the same article (a re-issued version, a mis-decoded copy).
                let opening: Vec<&str> = entry.text.split_whitespace().take(8).collect();
                let keys = [
                    entry.canonical_link.clone().unwrap_or_default(),
                    entry.title.clone(),
                    opening.join(" "),
                ];
                let readable =
                    !entry.title.contains('\u{fffd}') && !entry.text.contains('\u{fffd}');
                if readable
                    && opening.len() == 8
                    && entry.text.split_whitespace().count() >= 60
                    && keys.iter().all(|key| !seen.contains(key))
                {
                    seen.extend(keys);
                    out.push(Article {
                        title: entry.title,
                        text: entry.text,
                    });
                }
            }
        }
    }
    out
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Copies of `articles` with `edit_rate` of their words edited (and
/// `own_headline_share` of them under a headline of their own, made from the
/// words of their lede), clustered in arrival order with default settings, scored
/// pairwise against the truth.
pub fn score(
    articles: &[Article],
    seed: u64,
    edit_rate: f64,
    own_headline_share: f64,
) -> PairScores {
    let mut rng = Rng(seed);
    let vocabulary: Vec<&str> = articles
        .iter()
        .flat_map(|a| a.text.split_whitespace())
        .step_by(7)
        .collect();
    // (story, source, at, title, text)
    let mut items: Vec<(usize, i64, i64, String, String)> = Vec::new();
    for (story, article) in articles.iter().enumerate() {
        let at = story as i64 * 300;
        items.push((story, 1, at, article.title.clone(), article.text.clone()));
        for copy in 0..1 + rng.below(3) {
            let text = if rng.chance(0.3) {
                summary(&article.text)
            } else {
                article.text.clone()
            };
            items.push((
                story,
                2 + copy as i64,
                at + rng.below(6 * 3600) as i64,
                if rng.chance(own_headline_share) {
                    own_headline(&article.text)
                } else {
                    reword(&mut rng, &article.title, copy)
                },
                edit(&mut rng, &text, edit_rate, &vocabulary),
            ));
        }
    }
    items.sort_by_key(|item| item.2);
    let mut index = StoryIndex::new(Settings::default());
    let mut assigned: Vec<usize> = Vec::with_capacity(items.len());
    for (n, (_, source, at, title, text)) in items.iter().enumerate() {
        let fp = Fingerprint::of(title, text);
        index.evict_older_than(at - Settings::default().window_secs as i64);
        let story = index
            .find_story(&fp, *source, *at)
            .map_or(n, |found| found.story as usize);
        index.insert(n as i64, story as i64, *source, *at, &fp);
        assigned.push(story);
    }
    let truth: Vec<usize> = items.iter().map(|item| item.0).collect();
    pairwise(&truth, &assigned)
}

/// The first two sentences of `text`, as a teaser.
fn summary(text: &str) -> String {
    let mut end = 0;
    for (n, (at, _)) in text.match_indices(". ").enumerate() {
        end = at + 1;
        if n == 1 {
            break;
        }
    }
    if end == 0 {
        text.to_owned()
    } else {
        text[..end].to_owned()
    }
}

/// A headline an outlet wrote itself: the lede's words from the fourth to the
/// twelfth (past a dateline), capitalized as a headline.
fn own_headline(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().skip(3).take(9).collect();
    words.join(" ")
}

/// `title` lightly reworded: a word dropped or two swapped, sometimes an outlet
/// suffix.
fn reword(rng: &mut Rng, title: &str, copy: usize) -> String {
    let mut words: Vec<&str> = title.split_whitespace().collect();
    if words.len() > 4 {
        if rng.chance(0.5) {
            words.remove(1 + rng.below(words.len() - 1));
        } else {
            let at = rng.below(words.len() - 1);
            words.swap(at, at + 1);
        }
    }
    let mut out = words.join(" ");
    if rng.chance(0.5) {
        out.push_str(&format!(" - Outlet {copy}"));
    }
    out
}

/// `text` with each word edited with probability `rate`: replaced by a word of
/// another article, dropped, or followed by an inserted one.
fn edit(rng: &mut Rng, text: &str, rate: f64, vocabulary: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for word in text.split_whitespace() {
        if !rng.chance(rate) {
            out.push(word);
            continue;
        }
        match rng.below(3) {
            0 => out.push(vocabulary[rng.below(vocabulary.len())]),
            1 => {}
            _ => {
                out.push(word);
                out.push(vocabulary[rng.below(vocabulary.len())]);
            }
        }
    }
    out.join(" ")
}

fn pairwise(truth: &[usize], assigned: &[usize]) -> PairScores {
    let count_pairs = |groups: &HashMap<(usize, usize), u64>| -> u64 {
        groups.values().map(|n| n * n.saturating_sub(1) / 2).sum()
    };
    let mut by_truth: HashMap<(usize, usize), u64> = HashMap::new();
    let mut by_assigned: HashMap<(usize, usize), u64> = HashMap::new();
    let mut by_both: HashMap<(usize, usize), u64> = HashMap::new();
    for (&t, &a) in truth.iter().zip(assigned) {
        *by_truth.entry((t, 0)).or_default() += 1;
        *by_assigned.entry((a, 0)).or_default() += 1;
        *by_both.entry((t, a)).or_default() += 1;
    }
    let (true_pairs, predicted_pairs, correct) = (
        count_pairs(&by_truth),
        count_pairs(&by_assigned),
        count_pairs(&by_both),
    );
    PairScores {
        precision: correct as f64 / predicted_pairs.max(1) as f64,
        recall: correct as f64 / true_pairs.max(1) as f64,
        true_pairs,
        predicted_pairs,
    }
}
