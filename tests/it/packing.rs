//! The zstd dictionary items' HTML is packed with (`src/packing/dictionary.zdict`):
//! how it is made, and that the committed one is what packing uses.
//!
//! The dictionary is part of the storage format: rows packed with it can only be
//! read with the same bytes, so it is made once and committed, never rebuilt by a
//! build. `cargo test --test it packing::write_dictionary -- --ignored` makes it
//! again (for a new format byte, never in place of the committed one).
//!
//! What it is made of is written here, not taken from any feed: a few hundred bytes
//! of HTML scaffolding and common English words as its content (what a short text
//! can refer back to), and entropy tables from pseudo-text generated from the same
//! words. The tables are what saves time: zstd takes a dictionary's tables for a
//! short text's literals and sequences instead of building its own.

use feedbraid::packing::{DICTIONARY, pack, unpack};

/// Common English words of news text, and no feed's text.
const WORDS: &str = "the of and to in a is that for on with as was by at from it he she \
said be has are have this his her which an were not but they had who been its their will \
more after also would new than over one two three first last year years week day people \
into about up out other government police president minister state country city officials \
told report reports court law security military forces attack talks deal trade market \
markets prices oil bank economy growth percent million billion company companies shares \
investors election party leader leaders national international world news war peace health \
water power energy climate school students children women men family home local public \
political support plan policy crisis since before during under between against while where \
when what how could should may can must still just only most many some any all each every \
because however according spokesman statement monday tuesday wednesday thursday friday \
saturday sunday january february march april june july august september october november \
december";

/// Markup that sanitized summaries repeat, as the sanitizer writes it.
const SCAFFOLDING: &str = concat!(
    "<p></p>\n<p><a href=\"https://www.\" rel=\"noopener noreferrer\"></a>",
    "<strong></strong><em></em><br><ul><li></li></ul><blockquote></blockquote>",
    "<img src=\"https://\" alt=\"\" width=\"\" height=\"\"><h2></h2>",
);

/// The dictionary's id, which frames do not carry (the format byte says which
/// dictionary a row was packed with).
const DICTIONARY_ID: u32 = 0x6662_0001;

/// A deterministic stream of numbers (a linear congruential generator).
struct Numbers(u64);

impl Numbers {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

/// Pseudo-summaries of one to four paragraphs built from [`WORDS`]: the samples
/// the entropy tables are counted on.
fn samples() -> Vec<String> {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut numbers = Numbers(7);
    let sentence = |numbers: &mut Numbers| {
        let count = 8 + numbers.below(17);
        let mut text = String::new();
        for index in 0..count {
            let word = words[numbers.below(words.len())];
            if index > 0 {
                text.push(' ');
            }
            match numbers.below(100) {
                _ if index == 0 => {
                    text.push_str(&word[..1].to_uppercase());
                    text.push_str(&word[1..]);
                }
                0..3 => text.push_str(&(1 + numbers.below(2030)).to_string()),
                3..11 => {
                    text.push_str(&word[..1].to_uppercase());
                    text.push_str(&word[1..]);
                }
                _ => text.push_str(word),
            }
        }
        text.push(if numbers.below(5) == 0 { '?' } else { '.' });
        text
    };
    (0..3000)
        .map(|_| {
            let mut html = String::new();
            for paragraph in 0..1 + numbers.below(4) {
                if paragraph > 0 {
                    html.push('\n');
                }
                html.push_str("<p>");
                for index in 0..1 + numbers.below(3) {
                    if index > 0 {
                        html.push(' ');
                    }
                    html.push_str(&sentence(&mut numbers));
                }
                if numbers.below(10) < 3 {
                    let word = words[numbers.below(words.len())];
                    html.push_str(&format!(
                        " <a href=\"https://www.example.com/{word}/{}\" rel=\"noopener noreferrer\">{word}</a>.",
                        numbers.below(100_000)
                    ));
                }
                html.push_str("</p>");
            }
            html
        })
        .collect()
}

/// The dictionary: [`SCAFFOLDING`] and [`WORDS`] as content, entropy tables counted
/// on [`samples`] for zstd's level 1.
fn make_dictionary() -> Vec<u8> {
    let content = format!("{SCAFFOLDING} {WORDS} {SCAFFOLDING}");
    let samples = samples();
    let sizes: Vec<usize> = samples.iter().map(String::len).collect();
    let flat = samples.concat();
    let mut dictionary = vec![0u8; content.len() + 8192];
    let params = zstd::zstd_safe::zstd_sys::ZDICT_params_t {
        compressionLevel: 1,
        notificationLevel: 0,
        dictID: DICTIONARY_ID,
    };
    // SAFETY: every pointer and length describes a live buffer of that length.
    let written = unsafe {
        zstd::zstd_safe::zstd_sys::ZDICT_finalizeDictionary(
            dictionary.as_mut_ptr().cast(),
            dictionary.len(),
            content.as_ptr().cast(),
            content.len(),
            flat.as_ptr().cast(),
            sizes.as_ptr(),
            sizes.len() as u32,
            params,
        )
    };
    // SAFETY: a pure function of the returned code.
    assert_eq!(
        unsafe { zstd::zstd_safe::zstd_sys::ZDICT_isError(written) },
        0,
        "ZDICT_finalizeDictionary failed"
    );
    dictionary.truncate(written);
    dictionary
}

#[test]
#[ignore = "writes src/packing/dictionary.zdict; run by hand for a new dictionary"]
fn write_dictionary() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/packing/dictionary.zdict");
    std::fs::write(path, make_dictionary()).expect("write the dictionary");
}

#[test]
fn the_committed_dictionary_is_a_zstd_dictionary_with_its_id() {
    // Magic number, then the id, little-endian (the zstd dictionary format).
    assert_eq!(DICTIONARY[..4], 0xEC30_A437u32.to_le_bytes());
    assert_eq!(DICTIONARY[4..8], DICTIONARY_ID.to_le_bytes());
}

#[test]
fn summaries_pack_with_the_dictionary_and_read_back() {
    for html in samples().iter().take(200) {
        match pack(html) {
            Some(packed) => assert_eq!(&unpack(&packed).unwrap(), html),
            None => assert!(html.len() < 300, "{html}"),
        }
    }
}
