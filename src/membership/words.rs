//! How an item's words are prepared for topic filters: while parsing, by a source's
//! [`WordsRecipe`] (which may screen the item out first), or by the store from a
//! [`Candidate`]; both prepare the same words.

use std::sync::Arc;

use super::Candidate;
use super::text::TextLayout;
use crate::config::Config;
use crate::model::PreparedWords;
use crate::topic::words::{normalize, split_words};
use crate::topic::{ItemWords, Screen, ScreenField};

/// How parsing prepares a source's items' words for the topic filters of a config,
/// so that the store does not have to: whose items they are, and a screen that rules
/// items out before their words are prepared.
#[derive(Debug, Clone)]
pub struct WordsRecipe {
    pub source: String,
    /// The source's tags (topic queries can ask for them).
    pub tags: Vec<String>,
    /// Rules out items no filter can admit, when every filter allows screening (the
    /// config's, shared by every source).
    pub screen: Option<Arc<Screen>>,
    /// Which filters `screen` was built from: the store trusts a
    /// [`PreparedWords::RuledOut`] only from the filters it sorts by.
    pub filters: u64,
}

impl WordsRecipe {
    /// How to prepare `source`'s items' words for the topic filters of `config`;
    /// `None` when no feed has one.
    pub fn of(config: &Config, source: &crate::config::SourceConfig) -> Option<WordsRecipe> {
        if !config
            .feeds
            .iter()
            .any(|feed| feed.filter.condition().is_some())
        {
            return None;
        }
        let topic_screen = config.topic_screen();
        Some(WordsRecipe {
            source: source.name.clone(),
            tags: source.tags.clone(),
            screen: topic_screen.screen.clone(),
            filters: topic_screen.filters,
        })
    }

    /// The words of `item`, whose text is built from `visible_text` (folded:
    /// `folded_visible`, split: `visible_words`), or that no filter admits it.
    pub fn prepare(
        &self,
        item: &Candidate<'_>,
        visible_text: &str,
        folded_visible: &str,
        visible_words: &[&str],
    ) -> PreparedWords {
        match &self.screen {
            Some(screen) if rules_out(screen, item, visible_text, folded_visible) => {
                PreparedWords::RuledOut {
                    filters: self.filters,
                }
            }
            _ => PreparedWords::Prepared(prepare_words_sharing(
                item,
                &self.tags,
                visible_text,
                visible_words,
            )),
        }
    }
}

/// Whether no topic filter of `screen` can admit `item`: none of their required words
/// occurs in the fields of its title, text, categories or author the screen searches.
/// `folded_visible` is `visible_text` folded, which the item's text is or ends with.
/// The text is searched first (it is folded already, and where words occur most); the
/// short fields are folded only if it holds none, and a field the screen does not
/// search is not folded at all.
fn rules_out(
    screen: &Screen,
    item: &Candidate<'_>,
    visible_text: &str,
    folded_visible: &str,
) -> bool {
    use std::borrow::Cow;
    // The text is usually the visible text, folded already, or a summary put before
    // it: only the summary is folded then. The screen looks for single words, which
    // never span the space between the two.
    let mut text: [Option<Cow<'_, str>>; 2] = [None, None];
    if screen.searches(ScreenField::Text) {
        text = match TextLayout::of(item.text, visible_text) {
            TextLayout::Visible => [Some(Cow::Borrowed(folded_visible)), None],
            TextLayout::SummaryThenVisible(summary) => [
                Some(Cow::Owned(normalize(summary))),
                Some(Cow::Borrowed(folded_visible)),
            ],
            TextLayout::Other => [Some(Cow::Owned(normalize(item.text))), None],
        };
    }
    let text = text
        .into_iter()
        .flatten()
        .map(|text| (ScreenField::Text, text));
    let short = std::iter::once((ScreenField::Title, item.title))
        .chain(
            item.authors
                .iter()
                .map(|author| (ScreenField::Author, author.as_str())),
        )
        .chain(
            item.categories
                .iter()
                .map(|category| (ScreenField::Category, category.name.as_str())),
        )
        .filter(|(field, _)| screen.searches(*field))
        .map(|(field, text)| (field, Cow::Owned(normalize(text))));
    screen.rules_out(text.chain(short))
}

/// An item's words prepared for topic filters, as [`FeedSet::feeds_for`] would prepare
/// them (with `tags`, those of the item's source): the reference that parsing's
/// [`prepare_words_sharing`] is checked against.
pub fn prepare_words(item: &Candidate<'_>, tags: &[String]) -> ItemWords {
    item.fields(tags).prepare()
}

/// [`prepare_words`] for an item whose text is [`super::plain_text`] of `visible_text`,
/// whose folded words (`visible_words`) the caller has already: only a summary put
/// before it is folded and split here. The words are the same, since folding and
/// splitting never cross the space that joins the two.
fn prepare_words_sharing(
    item: &Candidate<'_>,
    tags: &[String],
    visible_text: &str,
    visible_words: &[&str],
) -> ItemWords {
    let mut fields = Candidate { text: "", ..*item }.fields(tags);
    match TextLayout::of(item.text, visible_text) {
        TextLayout::Visible => ItemWords::with_text_words(&fields, visible_words),
        TextLayout::SummaryThenVisible(summary) => {
            let folded = normalize(summary);
            let mut words = split_words(&folded);
            words.extend_from_slice(visible_words);
            ItemWords::with_text_words(&fields, &words)
        }
        TextLayout::Other => {
            fields.text = item.text.to_string();
            fields.prepare()
        }
    }
}
