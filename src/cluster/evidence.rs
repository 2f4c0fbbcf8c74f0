//! Why two items are one story or stay apart, for `explain`: the same rules as
//! [`super::StoryIndex::find_story`] (sharing [`title_alike`] with it), applied to
//! one pair and told in words.

use std::fmt::Write;

use super::fingerprint::Fingerprint;
use super::index::{similarity_score, texts_alike};
use super::title::title_alike;
use super::{
    Layer, Settings, TEXT_BESIDE_TITLE, TITLE_ALONE_THRESHOLD, TITLE_CLOSE_SECS,
    TITLE_CLOSE_THRESHOLD, TITLE_THRESHOLD, TITLE_WINDOW_SECS, TITLE_WITH_TEXT_THRESHOLD,
};

/// How one item compares with an earlier item of another source.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The layer that joins them, if any.
    pub joins: Option<Layer>,
    /// Headline similarity ([`TitleTokens::similarity`]).
    pub title: f32,
    /// Text score ([`similarity_score`]), when both have text enough.
    pub text: Option<f32>,
    /// What decided it, in words.
    pub reason: String,
}

impl Comparison {
    /// The higher of the headline and text scores: how near the pair came.
    pub fn nearness(&self) -> f32 {
        self.title.max(self.text.unwrap_or(0.0))
    }
}

/// Compares a new item (`new`, first seen at `at`) with an earlier item of another
/// source (`old`, first seen at `old_at`) under `settings`.
pub fn compare(
    new: &Fingerprint,
    at: i64,
    old: &Fingerprint,
    old_at: i64,
    settings: &Settings,
) -> Comparison {
    let gap = at.abs_diff(old_at);
    let hours = gap as f64 / 3600.0;
    let title = new.title.similarity(&old.title);
    let by_text = !new.is_thin() && !old.is_thin();
    let jaccard = new.similarity(old);
    let text = by_text.then(|| similarity_score(jaccard, new.shingles, old.shingles));
    let mut comparison = Comparison {
        joins: None,
        title,
        text,
        reason: String::new(),
    };
    if gap > settings.window_secs {
        comparison.reason = format!("first seen {hours:.0} h apart, beyond the window");
        return comparison;
    }
    if by_text && new.content_hash == old.content_hash {
        comparison.joins = Some(Layer::ContentHash);
        comparison.reason = "the same normalized headline and text".into();
        return comparison;
    }
    let mut reason = String::new();
    if let Some(score) = text {
        let threshold = settings.threshold;
        if new.figures_differ(old) {
            reason.push_str("texts state different figures");
        } else if texts_alike(score, jaccard, threshold) {
            comparison.joins = Some(Layer::NearDuplicate);
            comparison.reason = format!("texts alike: {score:.2} (needs {threshold:.2})");
            return comparison;
        } else {
            let _ = write!(reason, "text {score:.2} (needs {threshold:.2})");
        }
    } else {
        reason.push_str("too little text to compare");
    }
    reason.push_str("; ");
    let both_texts = by_text && !new.title.bare && !old.title.bare;
    if !new.title.is_telling() || !old.title.is_telling() {
        reason.push_str("a headline too short to compare");
    } else if gap > TITLE_WINDOW_SECS.min(settings.window_secs) {
        let _ = write!(reason, "headlines first seen {hours:.0} h apart");
    } else if new.title.figures_differ(&old.title) {
        reason.push_str("headlines state different figures");
    } else if title_alike(
        new.title.unspaced || old.title.unspaced,
        title,
        gap,
        both_texts,
        || text.unwrap_or(0.0),
    ) {
        comparison.joins = Some(Layer::Title);
        comparison.reason = format!("headlines alike: {title:.2}, {hours:.0} h apart");
        return comparison;
    } else {
        let close_hours = TITLE_CLOSE_SECS / 3600;
        let _ = write!(reason, "headline {title:.2}, {hours:.0} h apart");
        let _ = if both_texts {
            write!(
                reason,
                " (both have text: needs {TITLE_ALONE_THRESHOLD:.2}, or \
                 {TITLE_WITH_TEXT_THRESHOLD:.2} with text {TEXT_BESIDE_TITLE:.2} within \
                 {close_hours} h)"
            )
        } else {
            write!(
                reason,
                " (needs {TITLE_CLOSE_THRESHOLD:.2} within {close_hours} h, else \
                 {TITLE_THRESHOLD:.2})"
            )
        };
    }
    comparison.reason = reason;
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_why_a_pair_stays_apart_and_what_joins_it() {
        let settings = Settings::default();
        let article = Fingerprint::of(
            "Harbour workers strike over pay at three northern ports",
            "Dock workers at three northern ports walked out on Thursday after wage talks \
             with terminal operators broke down, halting container traffic, officials said.",
        );
        let listing = Fingerprint::of(
            "Harbour workers strike over pay at three northern ports - Wire",
            "Harbour workers strike over pay at three northern ports Wire",
        );
        let joined = compare(&listing, 3600, &article, 0, &settings);
        assert_eq!(joined.joins, Some(Layer::Title), "{joined:?}");
        let late = compare(&listing, 40 * 3600, &article, 0, &settings);
        assert_eq!(late.joins, None);
        assert!(late.reason.contains("40 h apart"), "{}", late.reason);
    }
}
