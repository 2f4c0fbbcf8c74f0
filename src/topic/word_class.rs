//! How a character takes part in UAX #29 word bounds, as far as splitting a
//! whitespace-free piece of text needs to know, so that most pieces of non-ASCII
//! text (Bengali, Arabic, Cyrillic words, CJK ideographs, and the punctuation after
//! them) are split without the general state machine of `unicode-segmentation`.
//!
//! The classes are not read from a table of word break properties: each is what
//! `unicode-segmentation` itself does with the character between a few neighbours
//! ([`probe`]), so the split can never disagree with its Unicode version. A
//! character of the Basic Multilingual Plane is probed the first time any thread
//! meets it, and its class kept with whether it alone is a word; others are
//! [`WordClass::Contextual`]. Pure.

use std::sync::atomic::{AtomicU8, Ordering};

use unicode_segmentation::UnicodeSegmentation;

/// What a character does to the word bounds around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WordClass {
    /// Joins the joiners before and after it that [`Joining::joins`], across
    /// attached characters: letters (`ALetter`, not Hebrew ones), digits
    /// (`Numeric`), connectors (`ExtendNumLet`) and `Katakana`.
    Joiner(Joining),
    /// Belongs to the segment of the character before it (`Extend`, `Format`, `ZWJ`).
    Attached,
    /// A segment of its own with the attached characters after it (`Other`: CJK
    /// ideographs, most punctuation and symbols).
    Alone,
    /// Punctuation that joins two letters, two digits or both when it stands right
    /// between them (`MidLetter`, `MidNum`, `MidNumLet`, `Single_Quote`), and is
    /// alone otherwise.
    Mid { letters: bool, digits: bool },
    /// Anything whose bounds depend on more context than these rules keep (Hebrew
    /// letters, regional indicators, pictographs after a joiner, spaces and line
    /// separators) and every character beyond the Basic Multilingual Plane.
    Contextual,
}

/// Which joiner a character is, for the punctuation between two of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Joining {
    Letter,
    Digit,
    Connector,
    /// Joins only Katakana and connectors.
    Katakana,
}

impl Joining {
    /// Whether a joiner of this kind joins one of `next`'s kind right after it.
    pub(super) fn joins(self, next: Joining) -> bool {
        use Joining::{Connector, Katakana};
        match (self, next) {
            (Connector, _) | (_, Connector) | (Katakana, Katakana) => true,
            (Katakana, _) | (_, Katakana) => false,
            _ => true,
        }
    }
}

impl WordClass {
    /// Whether this mid character, with `before` the last joiner before it (attached
    /// characters aside) and `after` the character right after it, stays in their
    /// word.
    pub(super) fn mid_joins(self, before: Joining, after: WordClass) -> bool {
        match (self, before, after) {
            (
                WordClass::Mid { letters, .. },
                Joining::Letter,
                WordClass::Joiner(Joining::Letter),
            ) => letters,
            (WordClass::Mid { digits, .. }, Joining::Digit, WordClass::Joiner(Joining::Digit)) => {
                digits
            }
            _ => false,
        }
    }
}

/// Every class, in the order [`PROBED`] numbers them.
const CLASSES: [WordClass; 10] = [
    WordClass::Joiner(Joining::Letter),
    WordClass::Joiner(Joining::Digit),
    WordClass::Joiner(Joining::Connector),
    WordClass::Joiner(Joining::Katakana),
    WordClass::Attached,
    WordClass::Alone,
    WordClass::Mid {
        letters: true,
        digits: false,
    },
    WordClass::Mid {
        letters: false,
        digits: true,
    },
    WordClass::Mid {
        letters: true,
        digits: true,
    },
    WordClass::Contextual,
];

/// What is known of the characters of the Basic Multilingual Plane, from probing
/// them the first time they are met ([`probe_into`]); `0` where not yet probed.
/// Threads that probe the same character at once store the same answer.
static PROBED: [AtomicU8; 1 << 16] = [const { AtomicU8::new(0) }; 1 << 16];

/// The bit of a [`PROBED`] entry that says the character alone makes a word.
const MAKES_A_WORD: u8 = 0x80;

/// The class of `c`. (Inlined: it is asked of every character of text in other
/// scripts, and found in [`PROBED`] nearly always.)
#[inline]
pub(super) fn class_of(c: char) -> WordClass {
    let Ok(code) = u16::try_from(u32::from(c)) else {
        return WordClass::Contextual;
    };
    CLASSES[usize::from((probed(c, code) & !MAKES_A_WORD) - 1) % CLASSES.len()]
}

/// Whether `c` is a letter or digit, which makes the segment holding it a word:
/// what `unicode_words` answers for `c` alone (its own Unicode tables, which may be
/// of another version than the standard library's). Asked of every segment of
/// non-ASCII text; for the Basic Multilingual Plane the answer is kept in
/// [`PROBED`] with the character's class.
#[inline]
pub(super) fn is_letter_or_digit(c: char) -> bool {
    let Ok(code) = u16::try_from(u32::from(c)) else {
        return makes_a_word(c);
    };
    probed(c, code) & MAKES_A_WORD != 0
}

/// The [`PROBED`] entry of `c` (numbered `code`), probed now if it is not yet.
#[inline]
fn probed(c: char, code: u16) -> u8 {
    match PROBED[usize::from(code)].load(Ordering::Relaxed) {
        0 => probe_into(c, code),
        stored => stored,
    }
}

/// Whether `unicode_words` finds a word in `c` alone (a character alone is one
/// segment, a word when it is a letter or digit).
fn makes_a_word(c: char) -> bool {
    c.encode_utf8(&mut [0; 4]).unicode_words().next().is_some()
}

/// [`probe`] `c` (numbered `code`) and whether it makes a word, kept in [`PROBED`]:
/// its place in [`CLASSES`] plus one, and [`MAKES_A_WORD`].
#[cold]
#[inline(never)]
fn probe_into(c: char, code: u16) -> u8 {
    let class = probe(c);
    let place = CLASSES
        .iter()
        .position(|&known| known == class)
        .unwrap_or(CLASSES.len() - 1);
    let stored = (place as u8 + 1) | if makes_a_word(c) { MAKES_A_WORD } else { 0 };
    PROBED[usize::from(code)].store(stored, Ordering::Relaxed);
    stored
}

/// How many UAX #29 segments `unicode-segmentation` cuts `text` into.
fn segments(text: &str) -> usize {
    text.split_word_bounds().count()
}

/// The class of `c`, found by splitting it between neighbours of known classes:
/// `a` a letter, `1` a digit, `中` an ideograph (alone), U+0301 a combining mark
/// (attached), U+200D the zero-width joiner (after which a pictograph is not cut).
fn probe(c: char) -> WordClass {
    let count = |before: &str, after: &str| segments(&format!("{before}{c}{after}"));
    // Every class but the spaces and line separators keeps a mark after it.
    let keeps_a_mark = count("", "\u{301}") == 1;
    let after_joiner_apart = count("中\u{200D}", "") == 2;
    if count("a", "") == 1 && count("", "a") == 1 {
        // A Hebrew letter also joins an apostrophe after it.
        let plain_joiner = count("1", "1") == 1 && count("", "'") == 2;
        if !(plain_joiner && keeps_a_mark && after_joiner_apart) {
            return WordClass::Contextual;
        }
        // Only a letter is joined to a letter across a colon, only a digit to a
        // digit across a comma.
        return WordClass::Joiner(match (count("a:", "") == 1, count("1,", "") == 1) {
            (true, false) => Joining::Letter,
            (false, true) => Joining::Digit,
            (false, false) => Joining::Connector,
            (true, true) => return WordClass::Contextual,
        });
    }
    if count("a", "") == 1 && count("", "a") == 2 {
        // Joins what is before it, and nothing after it alone: attached.
        let attaches_anywhere =
            count("中", "") == 1 && count("a", "a") == 1 && count("1", "1") == 1;
        return if attaches_anywhere {
            WordClass::Attached
        } else {
            WordClass::Contextual
        };
    }
    let apart_from_letters = count("a", "") == 2 && count("", "a") == 2;
    if !(apart_from_letters && keeps_a_mark && after_joiner_apart) {
        return WordClass::Contextual;
    }
    // Two of it together: apart for the alone and the mid, joined for Katakana,
    // regional indicators and spaces; of those only Katakana joins a connector.
    if count("", &c.to_string()) != 2 {
        let katakana = count("_", "") == 1 && count("", "_") == 1;
        return if katakana && count("a", "a") == 3 && count("1", "1") == 3 {
            WordClass::Joiner(Joining::Katakana)
        } else {
            WordClass::Contextual
        };
    }
    match (count("a", "a"), count("1", "1")) {
        (3, 3) => WordClass::Alone,
        (letters @ (1 | 3), digits @ (1 | 3)) => WordClass::Mid {
            letters: letters == 1,
            digits: digits == 1,
        },
        _ => WordClass::Contextual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_digits_as_probed_answer_as_unicode_words() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            assert_eq!(is_letter_or_digit(c), makes_a_word(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn classes_of_the_characters_news_text_is_made_of() {
        for c in ['a', 'Z', 'é', 'ব', 'ক', 'ع', 'Ж', 'Ω'] {
            assert_eq!(class_of(c), WordClass::Joiner(Joining::Letter), "{c:?}");
        }
        for c in ['7', '٣', '১'] {
            assert_eq!(class_of(c), WordClass::Joiner(Joining::Digit), "{c:?}");
        }
        assert_eq!(class_of('_'), WordClass::Joiner(Joining::Connector));
        for c in [
            '\u{301}', '\u{9be}', '\u{9cd}', '\u{200c}', '\u{200d}', '\u{64e}',
        ] {
            assert_eq!(class_of(c), WordClass::Attached, "U+{:04X}", c as u32);
        }
        for c in [
            '中', '国', 'ひ', '।', '-', '(', '"', '!', '—', '«', '\u{a0}',
        ] {
            assert_eq!(class_of(c), WordClass::Alone, "{c:?}");
        }
        for (c, letters, digits) in [
            ('.', true, true),
            ('\'', true, true),
            ('’', true, true),
            (':', true, false),
            ('·', true, false),
            (',', false, true),
            (';', false, true),
        ] {
            assert_eq!(class_of(c), WordClass::Mid { letters, digits }, "{c:?}");
        }
        assert_eq!(class_of('カ'), WordClass::Joiner(Joining::Katakana));
        assert_eq!(class_of('ー'), WordClass::Joiner(Joining::Katakana));
        for c in [
            'א',
            '\u{3000}',
            '\u{2028}',
            '\u{85}',
            '🎉',
            '\u{1F1E6}',
            'Ⓜ',
        ] {
            assert_eq!(class_of(c), WordClass::Contextual, "U+{:04X}", c as u32);
        }
    }
}
