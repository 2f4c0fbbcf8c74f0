//! The index decides exactly as a brute-force scan of the same records does, across
//! growth and shrink rebuilds and renumbering; its memory stays compact.

use std::collections::VecDeque;

use super::window::CHUNK;
use super::*;

/// SplitMix64: a deterministic stream of test values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        super::super::hash::mix(self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One item as the reference keeps it.
struct Kept {
    item: i64,
    story: i64,
    source: i64,
    at: i64,
    fp: Fingerprint,
}

/// The rules of [`StoryIndex`] applied by scanning every kept item, oldest first.
struct Reference {
    settings: Settings,
    kept: VecDeque<Kept>,
}

impl Reference {
    fn insert(&mut self, item: i64, story: i64, source: i64, at: i64, fp: &Fingerprint) -> bool {
        if fp.is_thin() || u32::try_from(source).is_err() {
            return false;
        }
        let fp = fp.clone();
        self.kept.push_back(Kept {
            item,
            story,
            source,
            at,
            fp,
        });
        true
    }

    fn evict_older_than(&mut self, cutoff: i64) -> usize {
        let before = self.kept.len();
        while self.kept.front().is_some_and(|k| k.at < cutoff) {
            self.kept.pop_front();
        }
        before - self.kept.len()
    }

    fn find_story(&self, fp: &Fingerprint, source: i64, at: i64) -> Option<Match> {
        if fp.is_thin() {
            return None;
        }
        let eligible =
            |k: &&Kept| k.source != source && k.at.abs_diff(at) <= self.settings.window_secs;
        if let Some(k) = self
            .kept
            .iter()
            .filter(eligible)
            .find(|k| k.fp.content_hash == fp.content_hash)
        {
            return Some(Match::of(k.story, k.item, Layer::ContentHash, 1.0));
        }
        let threshold = self.settings.threshold;
        let shares_band = |k: &Kept| {
            fp.signature
                .chunks_exact(ROWS)
                .zip(k.fp.signature.chunks_exact(ROWS))
                .any(|(a, b)| a == b)
        };
        let mut best: Option<(f32, &Kept)> = None;
        for k in self.kept.iter().filter(eligible) {
            if !shares_band(k) || fp.figures_differ(&k.fp) {
                continue;
            }
            let jaccard = fp.similarity(&k.fp);
            let score = similarity_score(jaccard, fp.shingles, k.fp.shingles);
            let passes = score >= threshold && jaccard >= threshold * JACCARD_FLOOR;
            // Oldest first: a later item replaces the best only when strictly better.
            if passes && best.is_none_or(|(best_score, _)| score > best_score) {
                best = Some((score, k));
            }
        }
        best.map(|(score, k)| Match::of(k.story, k.item, Layer::NearDuplicate, score))
    }
}

/// Fingerprints shaped like a news window: stories copied by other outlets exactly
/// or with a share of their signature changed (on both sides of the threshold),
/// some bands shared by unrelated stories (boilerplate), some thin items.
struct Newsroom {
    rng: Rng,
    stories: Vec<Fingerprint>,
    boilerplate: [u8; ROWS],
}

impl Newsroom {
    /// News from `seed`, boilerplate text sharing the band `boilerplate`.
    fn new(seed: u64, boilerplate: [u8; ROWS]) -> Newsroom {
        Newsroom {
            rng: Rng(seed),
            stories: Vec::new(),
            boilerplate,
        }
    }

    fn next(&mut self) -> Fingerprint {
        let rng = &mut self.rng;
        if self.stories.is_empty() || rng.chance(35) {
            let mut signature = [0u8; SIGNATURE_LEN];
            signature.iter_mut().for_each(|v| *v = rng.next() as u8);
            if rng.chance(30) {
                signature[..ROWS].copy_from_slice(&self.boilerplate);
            }
            let fresh = Fingerprint {
                content_hash: rng.next(),
                shingles: 6 + rng.below(120) as u16,
                numbers: if rng.chance(50) {
                    1 << rng.below(64)
                } else {
                    0
                },
                signature,
                title: Default::default(),
            };
            self.stories.push(fresh.clone());
            return fresh;
        }
        let recent = self.stories.len().saturating_sub(100) as u64;
        let base = &self.stories[(recent + rng.below(self.stories.len() as u64 - recent)) as usize];
        let mut copy = base.clone();
        match rng.below(10) {
            0 | 1 => {}                               // a verbatim copy
            2 => copy.shingles = rng.below(6) as u16, // a thin one
            _ => {
                copy.content_hash = rng.next();
                let changed = 10 + rng.below(80);
                for _ in 0..changed {
                    copy.signature[rng.below(SIGNATURE_LEN as u64) as usize] = rng.next() as u8;
                }
                copy.shingles = (copy.shingles / 3).max(6) + rng.below(100) as u16;
                if rng.chance(15) {
                    copy.numbers = 1 << rng.below(64);
                }
            }
        }
        copy
    }
}

use super::super::fingerprint::SIGNATURE_LEN;
use super::super::title::TitleTokens;

/// An empty index and its reference over a 100-minute window, and news for them
/// from `seed`.
fn window_of_news(seed: u64) -> (Settings, StoryIndex, Reference, Newsroom) {
    let settings = Settings {
        window_secs: 6_000,
        threshold: 0.45,
    };
    let reference = Reference {
        settings,
        kept: VecDeque::new(),
    };
    (
        settings,
        StoryIndex::new(settings),
        reference,
        Newsroom::new(seed, [1, 2, 3, 4]),
    )
}

#[test]
fn decides_as_a_scan_of_the_same_records_across_rebuilds() {
    let (settings, mut index, mut reference, mut news) = window_of_news(7);
    let (mut exact, mut near, mut none) = (0, 0, 0);
    let (mut grown, mut shrunk, mut retagged) = (0, 0, 0);
    let mut at = 1_760_000_000;
    for item in 1..=9_000i64 {
        // Steady arrivals, two quiet spells that empty most of the window.
        at += if item % 4_000 == 0 {
            5_500
        } else {
            news.rng.below(6) as i64
        };
        let source = match news.rng.below(100) {
            0 => i64::from(u32::MAX) + 1,
            n => 1 + (n % 12) as i64,
        };
        let fp = news.next();
        let region_before = index.region_len;

        let cutoff = at - settings.window_secs as i64;
        assert_eq!(
            index.evict_older_than(cutoff),
            reference.evict_older_than(cutoff)
        );
        let found = index.find_story(&fp, source, at);
        assert_eq!(found, reference.find_story(&fp, source, at), "item {item}");
        match found.map(|m| m.layer) {
            Some(Layer::ContentHash) => exact += 1,
            Some(_) => near += 1,
            None => none += 1,
        }
        let story = found.map_or(item, |m| m.story);
        assert_eq!(
            index.insert(item, story, source, at, &fp),
            reference.insert(item, story, source, at, &fp)
        );
        assert_eq!(index.len(), reference.kept.len());

        grown += usize::from(index.region_len > region_before);
        shrunk += usize::from(index.region_len < region_before);
        // Slot tags built again from the window's records, not by a rechain.
        retagged +=
            usize::from(index.inserted_since_tags == 0 && index.region_len == region_before);
    }
    assert!(
        exact > 300 && near > 1_000 && none > 1_000,
        "{exact} {near} {none}"
    );
    assert!(grown >= 4 && shrunk >= 2, "grown {grown}, shrunk {shrunk}");
    assert!(retagged >= 1, "tags built again {retagged} times");
}

#[test]
fn forgetting_a_rolled_back_batch_decides_as_if_it_never_came() {
    let (settings, mut index, mut reference, mut news) = window_of_news(13);
    let (mut at, mut item) = (1_760_000_000, 0i64);
    let (mut forgotten, mut regrown, mut found) = (0, 0, 0);
    for batch in 0..120 {
        let committed = batch % 3 != 2;
        let mark = index.mark();
        let region_before = index.region_len;
        for _ in 0..news.rng.below(150) {
            item += 1;
            at += news.rng.below(4) as i64;
            let source = 1 + news.rng.below(12) as i64;
            let fp = news.next();
            let cutoff = at - settings.window_secs as i64;
            index.evict_older_than(cutoff);
            let story = index.find_story(&fp, source, at).map_or(item, |m| m.story);
            let indexed = index.insert(item, story, source, at, &fp);
            if committed {
                reference.evict_older_than(cutoff);
                assert_eq!(indexed, reference.insert(item, story, source, at, &fp));
            }
        }
        if !committed {
            regrown += usize::from(index.region_len != region_before);
            forgotten += index.len() - reference.kept.len().min(index.len());
            assert!(index.forget_since(mark));
        }
        // Every decision now is the reference's, which never saw the batch.
        let cutoff = at - settings.window_secs as i64;
        index.evict_older_than(cutoff);
        reference.evict_older_than(cutoff);
        assert_eq!(index.len(), reference.kept.len(), "batch {batch}");
        for _ in 0..30 {
            let fp = news.next();
            let source = 1 + news.rng.below(12) as i64;
            let decided = index.find_story(&fp, source, at);
            assert_eq!(
                decided,
                reference.find_story(&fp, source, at),
                "batch {batch}"
            );
            found += usize::from(decided.is_some());
        }
    }
    assert!(forgotten > 1_000 && found > 500, "{forgotten} {found}");
    assert!(regrown >= 1, "a forgotten batch grew the slots");
}

#[test]
fn a_mark_from_before_renumbering_forgets_nothing() {
    let mut news = Newsroom::new(17, [0; ROWS]);
    let mut index = StoryIndex::new(Settings::default());
    assert!(index.insert(1, 1, 1, 100, &news.next()));
    let mark = index.mark();
    // As if sequence numbers had been about to reach the end.
    index.base_seq = EMPTY - 2;
    index.headline_base = EMPTY - 2;
    assert!(index.insert(2, 2, 2, 100, &news.next()));
    assert_eq!(index.base_seq, 0, "renumbered");
    assert!(!index.forget_since(mark));
    assert_eq!(index.len(), 2);
    let mark = index.mark();
    assert!(index.insert(3, 3, 3, 100, &news.next()));
    assert!(index.forget_since(mark));
    assert_eq!(index.len(), 2);
}

#[test]
fn an_item_whose_numbers_do_not_fit_is_not_indexed_but_can_look_up() {
    let mut news = Newsroom::new(3, [0; ROWS]);
    let fp = news.next();
    let mut index = StoryIndex::new(Settings::default());
    assert!(!index.insert(1, 1, i64::from(u32::MAX) + 1, 100, &fp));
    assert!(!index.insert(2, 2, -1, 100, &fp));
    assert!(!index.insert(1 << 48, 4, 7, 100, &fp));
    assert!(!index.insert(4, -4, 7, 100, &fp));
    assert!(!index.insert(4, 4, 7, -100, &fp));
    assert!(!index.insert(4, 4, 7, i64::from(u32::MAX) + 1, &fp));
    assert!(index.is_empty());
    assert!(index.insert(3, 3, 7, 100, &fp));
    let found = index
        .find_story(&fp, i64::MAX, 100)
        .map(|m| (m.item, m.layer));
    assert_eq!(found, Some((3, Layer::ContentHash)));
    let (item, story) = ((1 << 48) - 1, (1 << 47) + 5);
    let mut index = StoryIndex::new(Settings::default());
    assert!(index.insert(item, story, 7, i64::from(u32::MAX), &fp));
    let found = index
        .find_story(&fp, i64::MAX, i64::from(u32::MAX))
        .map(|m| (m.item, m.story));
    assert_eq!(found, Some((item, story)));
}

#[test]
fn reserve_sizes_the_slots_and_loading_rechains_nothing() {
    let mut news = Newsroom::new(11, [0; ROWS]);
    let mut index = StoryIndex::new(Settings::default());
    index.reserve(5_000);
    let region_len = index.region_len;
    let mut item = 0;
    while index.len() < 5_000 {
        item += 1;
        index.insert(item, item, 1 + item % 9, 100, &news.next());
    }
    assert_eq!(index.region_len, region_len, "no rechain while loading");
    assert!(
        index.records.slack() < CHUNK && index.headlines.slack() < CHUNK,
        "only the last chunk has room"
    );
    // Records and headlines in their chunks, slots of a 3-byte head and a 2-byte
    // tag at load 4, the struct itself.
    let expected = index.records.memory_bytes()
        + index.headlines.memory_bytes()
        + CHAINS * 1_250 * 5
        + size_of::<StoryIndex>();
    assert_eq!(index.memory_bytes(), expected);
    // 209 + 85 + 33 × (3 + 2) / 4, and the last chunks' room.
    assert!(expected / index.len() <= 340, "{}", expected / index.len());
}

#[test]
fn grown_one_by_one_the_index_stays_near_its_records() {
    let mut news = Newsroom::new(5, [0; ROWS]);
    let mut index = StoryIndex::new(Settings::default());
    for item in 0..40_000 {
        index.insert(item, item, 1 + item % 9, 100, &news.next());
        assert!(index.records.slack() < 2 * CHUNK && index.headlines.slack() < 2 * CHUNK);
        let load = index.len().div_ceil(index.region_len);
        assert!(load <= MAX_LOAD);
    }
    // Worst case: slots at load 2; and a chunk's room at each end, and the chunk
    // list, a few bytes an item.
    let per_item = index.memory_bytes() / index.len();
    assert!(
        per_item <= 209 + 85 + CHAINS * (3 + 2) / 2 + 4,
        "{per_item}"
    );
}

/// Sequence numbers are 3 bytes in the heads: before the next would reach
/// [`EMPTY`], the index renumbers from zero, and chains built on both sides of that
/// still find every item.
#[test]
fn sequence_numbers_restart_before_they_outgrow_three_bytes() {
    let mut news = Newsroom::new(19, [0; ROWS]);
    let mut index = StoryIndex::new(Settings::default());
    index.base_seq = EMPTY - 50;
    index.headline_base = EMPTY - 50;
    let mut indexed = Vec::new();
    for item in 1..=100 {
        let fp = news.next();
        if index.insert(item, item, 1 + item % 7, 100, &fp) {
            indexed.push((item, fp));
        }
        assert!(index.base_seq as usize + index.len() <= EMPTY as usize);
    }
    assert_eq!(index.base_seq, 0, "renumbered");
    assert!(indexed.len() > 60, "{}", indexed.len());
    for (item, fp) in &indexed {
        let item = *item;
        let found = index.find_story(fp, i64::MAX, 100);
        assert!(
            matches!(found, Some(m) if m.item <= item && m.layer == Layer::ContentHash),
            "item {item}: {found:?}"
        );
    }
}

/// Headlines are kept for [`HEADLINE_SECS`] and records for the whole window: a
/// headline alike within the title window still finds its copy, and the index holds
/// the headlines of the last hours only.
#[test]
fn headlines_are_kept_for_the_title_window_and_a_margin() {
    let settings = Settings::default();
    let window = settings.window_secs as i64;
    let mut index = StoryIndex::new(settings);
    let report = "Quake of magnitude seven strikes off the coast of northern Chile";
    let start = 1_760_000_000;
    index.insert(1, 1, 1, start, &Fingerprint::of(report, ""));
    // The report's headline over a text of its own: alike by headline only.
    let copy = Fingerprint::of(
        report,
        "Rescue teams reached the coastal towns on Tuesday as aftershocks went on \
         through the night, and the navy sent two ships with water and tents.",
    );
    // One unrelated item from another outlet every ten minutes for four days.
    let mut at = start;
    let mut item = 1;
    let mut found_at = Vec::new();
    while at < start + 4 * 86_400 {
        at += 600;
        item += 1;
        index.evict_older_than(at - window);
        let filler = format!("Council {item} approves budget for district {item} schools");
        assert!(index.insert(item, item, 2, at, &Fingerprint::of(&filler, "")));
        let copy = index.find_story(&copy, 3, at);
        if copy.is_some_and(|m| m.item == 1 && m.layer == Layer::Title) {
            found_at.push(at - start);
        }
        let kept = index.headlines.len() as i64;
        // Every ten minutes of the window, both ends included.
        assert_eq!(index.len() as i64, (at - start).min(window) / 600 + 1);
        assert!(kept <= HEADLINE_SECS as i64 / 600 + 1, "{kept} headlines");
        assert_eq!(
            index.headline_base as usize,
            index.base_seq as usize + index.len() - kept as usize
        );
    }
    // Found while the title window lasts, and never after.
    assert_eq!(found_at.first(), Some(&600));
    assert_eq!(found_at.last(), Some(&(TITLE_WINDOW_SECS as i64)));
    assert_eq!(found_at.len(), TITLE_WINDOW_SECS as usize / 600);
    // Every headline of the last HEADLINE_SECS, and only those.
    assert_eq!(index.headlines.len() as u64, HEADLINE_SECS / 600 + 1);
}

/// Every key chained passes its slot's tag as items come and go and tags are built
/// again; a key chained nowhere is mostly ruled out, or a tag would save no step.
#[test]
fn slot_tags_pass_every_chained_key_and_rule_most_others_out() {
    let (settings, mut index, _, mut news) = window_of_news(23);
    let words = "iran talks oil court vote storm trade china";
    let mut rng = Rng(7);
    let every_chained_key_passes = |index: &StoryIndex| {
        for record in (0..index.len()).filter_map(|n| index.records.get(n)) {
            for chain in record_chains() {
                assert!(tag_passes(index, chain, record.chain_key(chain)));
            }
        }
        for headline in (0..index.headlines.len()).filter_map(|n| index.headlines.get(n)) {
            for chain in TITLE_CHAINS {
                assert!(tag_passes(index, chain, headline.chain_key(chain)));
            }
        }
    };
    for item in 0..6_000 {
        let mut fp = news.next();
        let headline: Vec<&str> = words.split(' ').filter(|_| rng.chance(60)).collect();
        fp.title = TitleTokens::of(&format!("{} {item}", headline.join(" ")));
        // One item every 2 s: the 100-minute window holds 3,000, so later ones evict.
        let at = 100 + 2 * item;
        index.evict_older_than(settings.window_start(at));
        index.insert(item, item, 1 + item % 9, at, &fp);
        if item % 1_000 == 999 {
            every_chained_key_passes(&index);
        }
    }
    let passed = (0..10_000)
        .filter(|n| tag_passes(&index, n % CHAINS, rng.next()))
        .count();
    assert!(passed < 5_000, "{passed} of 10,000 unchained keys pass");
}

/// Whether `key`'s slot in `chain` may hold it, by its tag.
fn tag_passes(index: &StoryIndex, chain: usize, key: u64) -> bool {
    let slot = slot(index.region_len, chain, key);
    index.slots.may_hold(slot, key)
}
