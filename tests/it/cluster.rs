//! Story clustering tests: fingerprints are deterministic and survive storage,
//! reworded copies join and same-topic confusers do not, the window evicts, layers
//! are reported, and pairwise precision/recall on the generated syndicated corpus.

use crate::support::syndicated;

use feedbraid::cluster::{Fingerprint, Layer, Settings, StoryIndex};

const WIRE_TITLE: &str = "Iran and Oman ceasefire talks resume in Muscat";
const WIRE_TEXT: &str = "Iran and Oman ceasefire talks resumed in Muscat on Tuesday, officials \
    from both sides said, in a move that could shape the region for months. The foreign \
    minister Ali Rahimi told a news conference that the next round would take place within \
    three weeks. Officials in Oman did not immediately respond to a request for comment. \
    Analysts said the outcome in Muscat would test the resolve of both governments ahead of \
    the winter.";

/// A reworded copy of the wire story: label, suffix, dateline, synonyms, edits, credit.
const COPY_TITLE: &str =
    "UPDATE 2-Iran, Oman ceasefire negotiations resume in Muscat | Gulf Observer";
const COPY_TEXT: &str = "MUSCAT (Reuters) - Iran and Oman ceasefire negotiations resumed in \
    Muscat on Tuesday, officials from both sides stated, in a move that could shape the region \
    for months. The foreign minister Ali Rahimi told a news conference that the following round \
    would take place within three weeks. Authorities in Oman did not respond to a request for \
    comment. Analysts said the outcome in Muscat would test the resolve of both governments \
    ahead of winter. Reporting by Sara Levy; Editing by Omar Khan";

/// Same countries, same topic, same verbs: a different story.
const CONFUSER_TITLE: &str = "Iran and Oman ceasefire talks collapse in Muscat";
const CONFUSER_TEXT: &str = "Ceasefire talks between Iran and Oman collapsed on Friday, four \
    diplomats familiar with the matter told reporters in Muscat. A senior official from Oman, \
    speaking on condition of anonymity, said twelve proposals were still on the table. Oil \
    prices rose about three percent after the news, reflecting fears of supply disruption in \
    the region. Parliament in Iran is expected to debate the proposals next week, lawmakers said.";

const HOUR: i64 = 3600;
const T0: i64 = 1_760_000_000;

#[test]
fn fingerprints_are_deterministic_across_runs() {
    let fp = Fingerprint::of(WIRE_TITLE, WIRE_TEXT);
    assert_eq!(fp, Fingerprint::of(WIRE_TITLE, WIRE_TEXT));
    // Pinned: a change here changes every stored fingerprint (bump the version).
    let bytes = fp.to_bytes();
    assert_eq!(bytes[0], 4, "version");
    assert_eq!(&bytes[1..9], &EXPECTED_CONTENT_HASH, "content hash");
    assert_eq!(
        &bytes[19..27],
        &EXPECTED_SIGNATURE_PREFIX,
        "signature prefix"
    );
}

const EXPECTED_CONTENT_HASH: [u8; 8] = [125, 93, 87, 213, 168, 243, 92, 106];
const EXPECTED_SIGNATURE_PREFIX: [u8; 8] = [80, 152, 58, 105, 37, 36, 108, 162];

#[test]
fn fingerprints_survive_storage() {
    let fp = Fingerprint::of(COPY_TITLE, COPY_TEXT);
    let restored = Fingerprint::from_bytes(&fp.to_bytes()).unwrap();
    assert_eq!(restored, fp);
    assert!(Fingerprint::from_bytes(&fp.to_bytes()[..20]).is_err());
}

#[test]
fn reworded_copy_joins_and_confuser_does_not() {
    let wire = Fingerprint::of(WIRE_TITLE, WIRE_TEXT);
    let copy = Fingerprint::of(COPY_TITLE, COPY_TEXT);
    let confuser = Fingerprint::of(CONFUSER_TITLE, CONFUSER_TEXT);
    let mut index = StoryIndex::new(Settings::default());
    assert!(index.insert(10, 10, 1, T0, &wire));

    let found = index
        .find_story(&copy, 2, T0 + HOUR)
        .expect("the copy joins");
    assert_eq!((found.story, found.item), (10, 10));
    // Headline and text both agree; whichever scores higher is the evidence shown.
    assert!(
        matches!(found.layer, Layer::NearDuplicate | Layer::Title),
        "{found:?}"
    );
    assert!(found.score >= Settings::default().threshold, "{found:?}");
    assert_eq!(index.find_story(&confuser, 2, T0 + HOUR), None);
    println!(
        "copy {:.2}, confuser {:.2}",
        wire.similarity(&copy),
        wire.similarity(&confuser)
    );
}

#[test]
fn exact_copy_joins_by_content_and_same_source_never_joins() {
    let wire = Fingerprint::of(WIRE_TITLE, WIRE_TEXT);
    let relabelled = Fingerprint::of(&format!("BREAKING: {WIRE_TITLE} - report"), WIRE_TEXT);
    let mut index = StoryIndex::new(Settings::default());
    index.insert(10, 10, 1, T0, &wire);
    let found = index.find_story(&relabelled, 2, T0).unwrap();
    assert_eq!(
        (found.story, found.layer, found.score),
        (10, Layer::ContentHash, 1.0)
    );
    assert_eq!(index.find_story(&relabelled, 1, T0), None, "same source");
}

#[test]
fn window_bounds_matches_and_eviction_forgets() {
    let settings = Settings {
        window_secs: 72 * HOUR as u64,
        ..Settings::default()
    };
    let wire = Fingerprint::of(WIRE_TITLE, WIRE_TEXT);
    let copy = Fingerprint::of(COPY_TITLE, COPY_TEXT);
    let mut index = StoryIndex::new(settings);
    index.insert(10, 10, 1, T0, &wire);
    assert!(index.find_story(&copy, 2, T0 + 72 * HOUR).is_some());
    assert_eq!(
        index.find_story(&copy, 2, T0 + 73 * HOUR),
        None,
        "outside the window"
    );

    assert_eq!(index.evict_older_than(T0), 0);
    assert_eq!(index.evict_older_than(T0 + 1), 1);
    assert!(index.is_empty());
    assert_eq!(index.find_story(&copy, 2, T0 + HOUR), None, "evicted");
}

#[test]
fn thin_items_are_not_clustered_by_content() {
    let bare = Fingerprint::of("Live updates", "");
    let mut index = StoryIndex::new(Settings::default());
    assert!(!index.insert(1, 1, 1, T0, &bare));
    assert_eq!(index.find_story(&bare, 2, T0), None);
}

#[test]
fn layers_have_short_names() {
    let names: Vec<String> = [
        Layer::CanonicalLink,
        Layer::ContentHash,
        Layer::NearDuplicate,
    ]
    .iter()
    .map(|layer| layer.to_string())
    .collect();
    assert_eq!(names, ["link", "content", "similar"]);
    assert_eq!(Layer::parse("similar"), Some(Layer::NearDuplicate));
    assert_eq!(Layer::parse("other"), None);
}

#[test]
fn corpus_generator_is_deterministic() {
    let config = syndicated::CorpusConfig {
        families: 5,
        ..Default::default()
    };
    let a = syndicated::generate(&config);
    let b = syndicated::generate(&config);
    assert_eq!(a.len(), b.len());
    assert!(
        a.iter()
            .zip(&b)
            .all(|(x, y)| x.title == y.title && x.text == y.text)
    );
}

#[test]
fn default_corpus_meets_precision_and_recall_targets() {
    let items = syndicated::generate(&syndicated::CorpusConfig::default());
    let clustering = syndicated::cluster(&items, Settings::default());
    let truth: Vec<u64> = items.iter().map(|item| item.story).collect();
    let scores = syndicated::pairwise(&truth, &clustering.stories);
    println!(
        "{} items: precision {:.4}, recall {:.4} ({} true pairs, {} predicted, {} correct); joined by layer {:?}",
        items.len(),
        scores.precision,
        scores.recall,
        scores.true_pairs,
        scores.predicted_pairs,
        scores.correct_pairs,
        clustering.by_layer
    );
    assert!(scores.precision >= 0.98, "{scores:?}");
    assert!(scores.recall >= 0.90, "{scores:?}");
}

/// Shapes real wire copies take (written for the project, not taken from a feed).
mod real_shapes {
    use super::*;

    const ARTICLE_TITLE: &str = "Harbour workers strike over pay at three northern ports";
    const ARTICLE_TEXT: &str = "ROTTERDAM, Aug 20 (Reuters) - Dock workers at three northern \
        ports walked out on Thursday after wage talks with terminal operators broke down, \
        halting container traffic, union officials said. The stoppage is the first full \
        strike in a decade and could last a week, the union said. Operators said they \
        would return to talks on Monday.";

    fn indexed(title: &str, text: &str) -> StoryIndex {
        let mut index = StoryIndex::new(Settings::default());
        assert!(index.insert(10, 10, 1, T0, &Fingerprint::of(title, text)));
        index
    }

    #[test]
    fn a_headline_only_listing_with_an_outlet_suffix_joins_the_article() {
        let index = indexed(ARTICLE_TITLE, ARTICLE_TEXT);
        let listing_title = format!("{ARTICLE_TITLE} - Reuters");
        let listing = Fingerprint::of(&listing_title, &format!("{ARTICLE_TITLE}    Reuters"));
        assert!(listing.title.bare);
        let found = index.find_story(&listing, 2, T0 + HOUR).expect("joins");
        assert_eq!((found.story, found.layer), (10, Layer::Title));
    }

    #[test]
    fn a_teaser_with_boilerplate_and_another_dateline_joins_by_its_headline() {
        let index = indexed(ARTICLE_TITLE, ARTICLE_TEXT);
        let teaser = Fingerprint::of(
            ARTICLE_TITLE,
            "Advertisement Bookmark Share WhatsApp Telegram Facebook Set Outlet as your \
             preferred source. ROTTERDAM: Dock workers at three northern ports walked out \
             on Thursday ...",
        );
        let found = index.find_story(&teaser, 2, T0 + 2 * HOUR).expect("joins");
        assert_eq!(found.story, 10);
    }

    #[test]
    fn a_reworded_listing_joins_within_hours_but_not_two_days_later() {
        let index = indexed(ARTICLE_TITLE, ARTICLE_TEXT);
        let reworded = Fingerprint::of(
            "Dock workers strike over pay at three northern ports - Bloomberg.com",
            "",
        );
        assert!(index.find_story(&reworded, 2, T0 + 3 * HOUR).is_some());
        assert_eq!(index.find_story(&reworded, 2, T0 + 40 * HOUR), None);
    }

    #[test]
    fn recurring_headlines_of_other_days_stay_apart() {
        let index = indexed("Pictures of the Day | August 18, 2026", "");
        let later = Fingerprint::of("Pictures of the Day | August 19, 2026 - Reuters", "");
        assert_eq!(index.find_story(&later, 2, T0 + 20 * HOUR), None);
        let index = indexed("欧州市場サマリー（18日）", "");
        let later = Fingerprint::of("欧州市場サマリー（19日） - ロイター", "");
        assert_eq!(index.find_story(&later, 2, T0 + 20 * HOUR), None);
    }

    #[test]
    fn unspaced_headlines_join_their_listing() {
        let index = indexed("港湾労働者が賃上げ求めストライキ 北部3港で荷役停止", "");
        let listing = Fingerprint::of(
            "港湾労働者が賃上げ求めストライキ　北部3港で荷役停止（ロイター） - Yahoo!ニュース",
            "",
        );
        let found = index.find_story(&listing, 2, T0 + HOUR).expect("joins");
        assert_eq!((found.story, found.score), (10, 1.0));
        let other = Fingerprint::of("港湾会社が新ターミナル建設へ 南部で投資計画", "");
        assert_eq!(index.find_story(&other, 2, T0 + HOUR), None);
    }

    #[test]
    fn one_aggregator_listing_a_report_twice_keeps_one_story() {
        let mut index = StoryIndex::new(Settings::default());
        let first = Fingerprint::of(&format!("{ARTICLE_TITLE} - Reuters"), ARTICLE_TITLE);
        assert!(index.insert(10, 10, 1, T0, &first));
        let again = Fingerprint::of(&format!("{ARTICLE_TITLE} - reuters.com"), ARTICLE_TITLE);
        assert_eq!(
            index.find_story(&again, 1, T0 + HOUR).map(|m| m.story),
            Some(10)
        );
        // An item with text of its own is never joined to its own source's items.
        let article = Fingerprint::of(ARTICLE_TITLE, ARTICLE_TEXT);
        assert!(index.insert(11, 11, 2, T0, &article));
        assert_eq!(
            index.find_story(&article, 2, T0 + HOUR).map(|m| m.item),
            Some(10)
        );
    }
}
