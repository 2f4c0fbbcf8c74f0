//! A deterministic generator of syndicated news corpora, and the pairwise scoring of
//! a clustering against its ground truth. Used by the `cluster` tests and
//! `benches/cluster.rs`, with `vocabulary.rs` as its sibling module `vocabulary`.
//!
//! A corpus is made of *families*: stories around one topic between the same
//! countries (the confusers: "Iran and Oman ceasefire talks resume" and "… collapse"
//! are different stories). Each story is written once by the wire and copied by
//! one to `max_outlets` outlets, each copy reworded the way outlets do: a wire label
//! or outlet suffix on the title, sometimes their own headline, synonyms swapped,
//! words inserted and deleted, a dateline, a credit line, a footer, a truncated
//! summary, a link of their own or the wire's with tracking parameters, a guid of
//! their own. Items come out in first-seen order.
#![allow(dead_code)]

use std::collections::HashMap;

use feedbraid::cluster::{Fingerprint, Layer, Settings, StoryIndex};

use super::vocabulary::*;

/// The knobs of a corpus; [`CorpusConfig::default`] is the corpus the targets
/// (precision ≥ 0.99, recall ≥ 0.95) are measured on.
#[derive(Debug, Clone)]
pub struct CorpusConfig {
    pub seed: u64,
    pub families: usize,
    pub stories_per_family: usize,
    /// Copies per story are 1 (a story only one outlet ran) with `single_share`,
    /// else uniform in `2..=max_outlets`.
    pub max_outlets: usize,
    pub single_share: f64,
    /// Stories start uniformly within this span; copies follow within `copy_delay`.
    pub span_secs: i64,
    pub copy_delay_secs: i64,
    pub start_at: i64,
    /// Item ids are `first_item..`; true story ids `first_story..`.
    pub first_item: i64,
    pub first_story: u64,
    /// Share of copies that are truncated summaries (30–60 words).
    pub truncated_share: f64,
    /// Share of copies with their own headline instead of a reworded wire headline.
    pub own_title_share: f64,
    /// Share of copies that run the wire text as is (only the headline decorated).
    pub verbatim_share: f64,
}

impl Default for CorpusConfig {
    fn default() -> CorpusConfig {
        CorpusConfig {
            seed: 0x5eed_0001,
            families: 150,
            stories_per_family: 6,
            max_outlets: 8,
            single_share: 0.4,
            span_secs: 5 * 86_400,
            copy_delay_secs: 12 * 3600,
            start_at: 1_760_000_000,
            first_item: 1,
            first_story: 1,
            truncated_share: 0.2,
            own_title_share: 0.15,
            verbatim_share: 0.15,
        }
    }
}

/// One generated feed item.
#[derive(Debug, Clone)]
pub struct CorpusItem {
    pub item: i64,
    /// Ground truth: which story this item is a copy of.
    pub story: u64,
    pub source: i64,
    /// First seen, unix seconds.
    pub at: i64,
    pub title: String,
    pub text: String,
    pub link: String,
    pub guid: String,
}

/// A small deterministic PRNG (SplitMix64): the same seed gives the same corpus on
/// every platform and Rust version.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as usize) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// The facts a family of stories shares.
struct Family {
    a: &'static str,
    b: &'static str,
    c: &'static str,
    city: &'static str,
    topic: &'static str,
    backgrounds: Vec<&'static str>,
}

/// The facts of one story, and its wire text.
struct Story {
    slots: HashMap<&'static str, String>,
    title: String,
    sentences: Vec<String>,
}

/// Generates the corpus `config` describes, in first-seen order.
pub fn generate(config: &CorpusConfig) -> Vec<CorpusItem> {
    let mut rng = Rng::new(config.seed);
    let mut items = Vec::new();
    let mut story_id = config.first_story;
    for _ in 0..config.families {
        let family = family(&mut rng);
        // Stories of one family are different events (talks resume / collapse …).
        let mut events: Vec<&str> = EVENTS.to_vec();
        for _ in 0..config.stories_per_family {
            let event = if events.is_empty() {
                rng.pick(EVENTS)
            } else {
                events.swap_remove(rng.below(events.len()))
            };
            let story = story(&mut rng, &family, event);
            let base_at = config.start_at + rng.range(0, config.span_secs);
            let copies = if rng.chance(config.single_share) {
                1
            } else {
                rng.range(2, config.max_outlets.max(2) as i64) as usize
            };
            let mut outlets: Vec<usize> = (0..OUTLETS.len()).collect();
            for copy in 0..copies {
                let pick = rng.below(outlets.len());
                let outlet = outlets.swap_remove(pick);
                let delay = if copy == 0 {
                    0
                } else {
                    rng.range(60, config.copy_delay_secs)
                };
                items.push(copy_of(
                    &mut rng,
                    config,
                    &story,
                    story_id,
                    outlet,
                    base_at + delay,
                ));
            }
            story_id += 1;
        }
    }
    items.sort_by_key(|item| (item.at, item.story));
    for (n, item) in items.iter_mut().enumerate() {
        item.item = config.first_item + n as i64;
    }
    items
}

fn family(rng: &mut Rng) -> Family {
    let a = rng.pick(COUNTRIES);
    let mut b = rng.pick(COUNTRIES);
    while b == a {
        b = rng.pick(COUNTRIES);
    }
    let mut backgrounds = vec![rng.pick(BACKGROUNDS), rng.pick(BACKGROUNDS)];
    backgrounds.dedup();
    Family {
        a,
        b,
        c: rng.pick(COUNTRIES),
        city: rng.pick(CITIES),
        topic: rng.pick(TOPICS),
        backgrounds,
    }
}

fn story(rng: &mut Rng, family: &Family, event: &str) -> Story {
    let mut slots: HashMap<&'static str, String> = HashMap::new();
    slots.insert("a", family.a.into());
    slots.insert("b", family.b.into());
    slots.insert("c", family.c.into());
    // Most stories of a family happen in its city; some elsewhere.
    let city = if rng.chance(0.7) {
        family.city
    } else {
        rng.pick(CITIES)
    };
    slots.insert("city", city.into());
    slots.insert("topic", family.topic.into());
    slots.insert("event", event.into());
    slots.insert("person", person(rng));
    slots.insert("editor", person(rng));
    slots.insert("role", rng.pick(ROLES).into());
    slots.insert("day", rng.pick(WEEKDAYS).into());
    slots.insert("n", rng.range(2, 90).to_string());

    let title = capitalize(&fill(rng.pick(TITLES), &slots));
    let mut sentences = vec![capitalize(&fill(rng.pick(LEADS), &slots))];
    let target_words = rng.range(40, 150) as usize;
    let mut bodies: Vec<&str> = BODIES.to_vec();
    let mut background_used = false;
    while word_count(&sentences) < target_words && !bodies.is_empty() {
        let sentence = if !background_used && sentences.len() >= 2 && rng.chance(0.6) {
            background_used = true;
            family.backgrounds[rng.below(family.backgrounds.len())]
        } else {
            bodies.swap_remove(rng.below(bodies.len()))
        };
        sentences.push(capitalize(&fill(sentence, &slots)));
    }
    Story {
        slots,
        title,
        sentences,
    }
}

fn copy_of(
    rng: &mut Rng,
    config: &CorpusConfig,
    story: &Story,
    story_id: u64,
    outlet: usize,
    at: i64,
) -> CorpusItem {
    let outlet_name = OUTLETS[outlet];
    if rng.chance(config.verbatim_share) {
        return CorpusItem {
            item: 0,
            story: story_id,
            source: outlet as i64 + 1,
            at,
            title: decorate_title(rng, story.title.clone(), outlet_name),
            text: story.sentences.join(" "),
            link: format!(
                "https://outlet{outlet}.example.org/wire/{story_id}-{}",
                rng.below(1000)
            ),
            guid: format!("outlet{outlet}-{:x}", rng.next_u64()),
        };
    }
    let title = if rng.chance(config.own_title_share) {
        capitalize(&fill(rng.pick(TITLES), &story.slots))
    } else {
        reword(rng, &story.title, 0.3)
    };
    let title = decorate_title(rng, title, outlet_name);

    let mut sentences = story.sentences.clone();
    if sentences.len() > 3 && rng.chance(0.2) {
        let drop = rng.range(2, sentences.len() as i64 - 1) as usize;
        sentences.remove(drop);
    }
    let mut text = reword(rng, &sentences.join(" "), 0.15);
    text = edit_words(rng, &text);
    if rng.chance(0.4) {
        let city = story.slots["city"].to_uppercase();
        text = format!(
            "{city} ({}) - {text}",
            rng.pick(&["Reuters", "AFP", "AP", "Xinhua"])
        );
    }
    if rng.chance(config.truncated_share) {
        let keep = rng.range(30, 60) as usize;
        text = text.split(' ').take(keep).collect::<Vec<_>>().join(" ") + " ...";
    } else {
        if rng.chance(0.3) {
            text = format!("{text} {}", fill(rng.pick(CREDITS), &story.slots));
        }
        if rng.chance(0.2) {
            text = format!("{text} {}", rng.pick(FOOTERS));
        }
    }

    let slug: String = story
        .title
        .to_lowercase()
        .split(' ')
        .take(6)
        .collect::<Vec<_>>()
        .join("-");
    let link = if rng.chance(0.3) {
        format!(
            "https://wire.example.com/world/{slug}-{story_id}?utm_source=outlet{outlet}&utm_medium=rss"
        )
    } else {
        format!(
            "https://outlet{outlet}.example.org/news/{story_id}{}-{slug}",
            rng.below(1000)
        )
    };
    CorpusItem {
        item: 0,
        story: story_id,
        source: outlet as i64 + 1,
        at,
        title,
        text,
        link,
        guid: format!("outlet{outlet}-{:x}", rng.next_u64()),
    }
}

/// `title` with an outlet's decorations: a wire label, an outlet or "report" suffix.
fn decorate_title(rng: &mut Rng, title: String, outlet: &str) -> String {
    let title = if rng.chance(0.25) {
        format!("{}{title}", rng.pick(TITLE_PREFIXES))
    } else {
        title
    };
    match rng.below(6) {
        0 => format!("{title} | {outlet}"),
        1 => format!("{title} - report"),
        2 => format!("{title} - {outlet}"),
        3 => format!("{title} (AFP)"),
        _ => title,
    }
}

/// `text` with each word that has a synonym swapped with probability `share`.
fn reword(rng: &mut Rng, text: &str, share: f64) -> String {
    let words: Vec<String> = text
        .split(' ')
        .map(|word| {
            let bare = word.trim_end_matches([',', '.', ':']);
            match SYNONYMS.iter().find(|(from, _)| *from == bare) {
                Some((_, to)) if rng.chance(share) => word.replacen(bare, to, 1),
                _ => word.to_string(),
            }
        })
        .collect();
    words.join(" ")
}

/// `text` with 0–3 words deleted and 0–2 inserted, as editors do.
fn edit_words(rng: &mut Rng, text: &str) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    for _ in 0..rng.below(4) {
        if words.len() > 10 {
            words.remove(rng.below(words.len()));
        }
    }
    for _ in 0..rng.below(3) {
        let at = rng.below(words.len() + 1);
        words.insert(at, rng.pick(INSERTIONS).to_owned());
    }
    words.join(" ")
}

fn person(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES))
}

fn fill(template: &str, slots: &HashMap<&'static str, String>) -> String {
    let mut out = template.to_owned();
    for (name, value) in slots {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn word_count(sentences: &[String]) -> usize {
    sentences.iter().map(|s| s.split(' ').count()).sum()
}

/// The link without `utm_*` parameters: the store's canonical-link layer, in small.
pub fn canonical(link: &str) -> String {
    match link.split_once('?') {
        Some((base, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("utm_"))
                .collect();
            if kept.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{}", kept.join("&"))
            }
        }
        None => link.to_owned(),
    }
}

/// What clustering a corpus the way the store will (link, then index) decided.
#[derive(Debug, Clone, Default)]
pub struct Clustering {
    /// Per item (same order as the corpus), the story it was put in.
    pub stories: Vec<i64>,
    /// How many items each layer joined to an earlier story.
    pub by_layer: HashMap<Layer, usize>,
}

/// Clusters `items` in order, as the store will: same canonical link as an item of
/// another source, else [`StoryIndex::find_story`], else a story of its own.
pub fn cluster(items: &[CorpusItem], settings: Settings) -> Clustering {
    let mut index = StoryIndex::new(settings);
    let mut by_link: HashMap<String, (i64, i64)> = HashMap::new();
    let mut result = Clustering::default();
    for item in items {
        let link = canonical(&item.link);
        let fingerprint = Fingerprint::of(&item.title, &item.text);
        index.evict_older_than(item.at - settings.window_secs as i64);
        let linked = by_link
            .get(&link)
            .filter(|(_, source)| *source != item.source);
        let (story, layer) = match linked {
            Some(&(story, _)) => (story, Some(Layer::CanonicalLink)),
            None => match index.find_story(&fingerprint, item.source, item.at) {
                Some(found) => (found.story, Some(found.layer)),
                None => (item.item, None),
            },
        };
        if let Some(layer) = layer {
            *result.by_layer.entry(layer).or_default() += 1;
        }
        by_link.entry(link).or_insert((story, item.source));
        index.insert(item.item, story, item.source, item.at, &fingerprint);
        result.stories.push(story);
    }
    result
}

/// Pairwise scores of a clustering against the truth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScores {
    /// Pairs put together that truly belong together, over pairs put together.
    pub precision: f64,
    /// Pairs put together that truly belong together, over pairs that belong together.
    pub recall: f64,
    pub predicted_pairs: u64,
    pub true_pairs: u64,
    pub correct_pairs: u64,
}

/// Pairwise precision and recall of `predicted` story ids against `truth`.
pub fn pairwise(truth: &[u64], predicted: &[i64]) -> PairScores {
    fn pairs(n: u64) -> u64 {
        n * n.saturating_sub(1) / 2
    }
    let mut by_truth: HashMap<u64, u64> = HashMap::new();
    let mut by_predicted: HashMap<i64, u64> = HashMap::new();
    let mut by_both: HashMap<(u64, i64), u64> = HashMap::new();
    for (&t, &p) in truth.iter().zip(predicted) {
        *by_truth.entry(t).or_default() += 1;
        *by_predicted.entry(p).or_default() += 1;
        *by_both.entry((t, p)).or_default() += 1;
    }
    let true_pairs: u64 = by_truth.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: u64 = by_predicted.values().map(|&n| pairs(n)).sum();
    let correct_pairs: u64 = by_both.values().map(|&n| pairs(n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    PairScores {
        precision: ratio(correct_pairs, predicted_pairs),
        recall: ratio(correct_pairs, true_pairs),
        predicted_pairs,
        true_pairs,
        correct_pairs,
    }
}
