//! How an item's HTML (summary, content) is kept at rest. It is only ever read whole,
//! to render or to re-derive its words, so it is kept compressed: one format byte then
//! a zstd frame made with [`DICTIONARY`] (without it for text mostly in other
//! scripts than Latin), when that saves at least an eighth; otherwise (short or
//! incompressible text) as the text itself. Rows packed as raw DEFLATE (the format
//! before zstd) are still read. Pure: parsing packs (on the parse pool, off the store thread, which only
//! writes the bytes) and the store unpacks.
//!
//! Why zstd: on item-sized HTML (1–2 KB) DEFLATE's cost is mostly fixed per text —
//! resetting ~160 KB of match tables and building Huffman tables — and it was a
//! quarter of the parse pool's time on light items. zstd sizes its tables to the
//! text: level 1 packs the same texts 2.2× faster, unpacks them 3× faster, and
//! keeps them as small (measured on the article fixtures' paragraphs, 23 texts of
//! 1.4 KB on average: 35 → 16 µs to pack, 18 → 6 µs to unpack, 1.76× → 1.80×).

use std::cell::RefCell;

use flate2::{Decompress, FlushDecompress, Status};

/// The first byte of packed HTML written before zstd: raw DEFLATE follows.
const DEFLATE: u8 = 1;
/// The first byte of packed HTML: a zstd frame (with its content size) made without
/// a dictionary follows (text mostly in scripts beyond Latin, and every row packed
/// before the dictionary).
const ZSTD: u8 = 2;
/// The first byte of packed HTML: a zstd frame (with its content size) made with
/// [`DICTIONARY`] follows; the frame leaves out the dictionary's id, which this byte
/// stands for. Another encoding or dictionary would take another byte, so stored
/// rows always say how to read them.
const ZSTD_DICTIONARY: u8 = 3;

/// The zstd dictionary HTML is packed with: a few hundred bytes of HTML and common
/// English words a short text can refer back to, and entropy tables zstd takes for a
/// short text instead of building its own (building them was half the cost of
/// packing a summary). Made once, from text written for it and no feed's, by
/// `tests/it/packing.rs`; part of the storage format, so never changed in place.
pub const DICTIONARY: &[u8] = include_bytes!("dictionary.zdict");

/// Shorter texts stay text: a few bytes saved do not pay for unpacking on every read.
const PACK_FROM: usize = 160;

/// zstd's level -3, its literals still coded ([`packer`]). Packing is a
/// tenth of ingest's CPU; on item-sized texts of real news (1.1–1.3 KB of HTML on
/// average) level -3 packs them 17–24 % faster than level 1 for 3.6 % more bytes
/// (a database 2.5–3 % larger on real text, 8–9 % on the bench corpora's more
/// repetitive text). Lower levels save little more time and cost more bytes;
/// higher than 1 save under 1 % more, slower.
const LEVEL: i32 = -3;

/// The largest text a zstd frame may say it holds: packed HTML is never larger
/// than the cap on an item's HTML (`parse::MAX_CONTENT_BYTES`); this only keeps a
/// damaged row from asking for gigabytes.
const MAX_UNPACKED: u64 = 16 << 20;

/// An entry's summary and content packed, each `None` where it is kept as text (or
/// absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedHtml {
    pub summary: Option<Vec<u8>>,
    pub content: Option<Vec<u8>>,
}

impl PackedHtml {
    pub fn of(summary: Option<&str>, content: Option<&str>) -> PackedHtml {
        PackedHtml {
            summary: summary.and_then(pack),
            content: content.and_then(pack),
        }
    }
}

thread_local! {
    // Each thread that packs or unpacks keeps its contexts and reuses them between
    // texts (a zstd context is tens of kilobytes to set up, a DEFLATE state hundreds).
    static PACKER: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(packer(DICTIONARY).ok());
    static PACKER_WITHOUT_DICTIONARY: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(packer(&[]).ok());
    static UNPACKER: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        RefCell::new(zstd::bulk::Decompressor::with_dictionary(DICTIONARY).ok());
    static UNPACKER_WITHOUT_DICTIONARY: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        RefCell::new(zstd::bulk::Decompressor::new().ok());
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// Whether at most a sixth of `html`'s bytes belong to characters beyond U+007F.
/// The dictionary's tables fit English and HTML; for a short text in another script
/// zstd would still take them (it does not build tables of its own for a short
/// text when a dictionary has some), which packs Bengali or Arabic worse than
/// tables of the text's own.
fn is_mostly_latin(html: &str) -> bool {
    let beyond_ascii = html.bytes().filter(|b| !b.is_ascii()).count();
    beyond_ascii * 6 <= html.len()
}

/// A compressor at [`LEVEL`] with `dictionary` (none when empty), whose frames leave
/// out the dictionary's id, and whose literals are Huffman-coded. zstd leaves them
/// raw at the negative levels, which buy speed by skipping positions in the search
/// for matches: for text, whose literals are most of a short frame, raw literals
/// would pack 1.2× instead of 1.6×, while coding them costs little.
fn packer(dictionary: &'static [u8]) -> std::io::Result<zstd::bulk::Compressor<'static>> {
    use zstd::stream::raw::CParameter;
    let mut packer = zstd::bulk::Compressor::with_dictionary(LEVEL, dictionary)?;
    packer.set_parameter(CParameter::DictIdFlag(false))?;
    packer.set_parameter(CParameter::LiteralCompressionMode(
        zstd::zstd_safe::ParamSwitch::Enable,
    ))?;
    Ok(packer)
}

/// `html` packed, or `None` when it is better kept as text.
pub fn pack(html: &str) -> Option<Vec<u8>> {
    if html.len() < PACK_FROM {
        return None;
    }
    // Worth keeping only if it saves an eighth: the frame must fit in that, and
    // zstd refuses a destination too small rather than cut the frame.
    let limit = html.len() - html.len() / 8;
    let mut out = vec![0; limit];
    let packer = if is_mostly_latin(html) {
        out[0] = ZSTD_DICTIONARY;
        &PACKER
    } else {
        out[0] = ZSTD;
        &PACKER_WITHOUT_DICTIONARY
    };
    let written = packer.with_borrow_mut(|packer| {
        let packer = packer.as_mut()?;
        packer
            .compress_to_buffer(html.as_bytes(), &mut out[1..])
            .ok()
    })?;
    out.truncate(1 + written);
    Some(out)
}

/// Packed HTML that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("packed HTML of an unknown format ({0:#04x})")]
    UnknownFormat(u8),
    #[error("packed HTML is cut short")]
    Cut,
    #[error("packed HTML is not a DEFLATE stream: {0}")]
    Corrupt(#[from] flate2::DecompressError),
    #[error("packed HTML is not a zstd frame of a known size: {0}")]
    BadFrame(String),
    #[error("packed HTML is not UTF-8")]
    NotText(#[from] std::string::FromUtf8Error),
}

/// The HTML `packed` holds.
pub fn unpack(packed: &[u8]) -> Result<String, UnpackError> {
    match packed {
        [ZSTD_DICTIONARY, frame @ ..] => unpack_zstd(frame, &UNPACKER),
        [ZSTD, frame @ ..] => unpack_zstd(frame, &UNPACKER_WITHOUT_DICTIONARY),
        [DEFLATE, stream @ ..] => inflate(stream),
        [other, ..] => Err(UnpackError::UnknownFormat(*other)),
        [] => Err(UnpackError::Cut),
    }
}

/// A zstd frame's text, read by `unpacker` (a thread's, with the frame's dictionary).
fn unpack_zstd(
    frame: &[u8],
    unpacker: &'static std::thread::LocalKey<RefCell<Option<zstd::bulk::Decompressor<'static>>>>,
) -> Result<String, UnpackError> {
    let bad = |why: &str| UnpackError::BadFrame(why.to_owned());
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= MAX_UNPACKED => size as usize,
        Ok(Some(_)) => return Err(bad("it says it holds more than packed HTML can")),
        Ok(None) => return Err(bad("it does not say its size")),
        Err(_) => return Err(UnpackError::Cut),
    };
    let mut out = Vec::with_capacity(size);
    let written = unpacker.with_borrow_mut(|unpacker| {
        let unpacker = unpacker
            .as_mut()
            .ok_or_else(|| bad("no zstd context could be made"))?;
        unpacker
            .decompress_to_buffer(frame, &mut out)
            .map_err(|e| bad(&e.to_string()))
    })?;
    if written != size {
        return Err(bad("it holds less than it says"));
    }
    Ok(String::from_utf8(out)?)
}

/// Raw DEFLATE, as rows packed before zstd hold it.
fn inflate(stream: &[u8]) -> Result<String, UnpackError> {
    let mut out = Vec::with_capacity(stream.len() * 3);
    INFLATER.with_borrow_mut(|inflater| {
        inflater.reset(false);
        loop {
            let (read, written) = (inflater.total_in(), inflater.total_out());
            let rest = &stream[(read as usize).min(stream.len())..];
            let status = inflater.decompress_vec(rest, &mut out, FlushDecompress::None)?;
            if status == Status::StreamEnd {
                return Ok(());
            }
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(1024));
            } else if (inflater.total_in(), inflater.total_out()) == (read, written) {
                // Room left, and no progress: the stream is cut.
                return Err(UnpackError::Cut);
            }
        }
    })?;
    Ok(String::from_utf8(out)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Raw DEFLATE with the format byte, as rows written before zstd hold it.
    fn deflated(html: &str) -> Vec<u8> {
        let mut deflater = flate2::Compress::new(flate2::Compression::new(1), false);
        let mut out = Vec::with_capacity(html.len() + 64);
        out.push(DEFLATE);
        deflater
            .compress_vec(html.as_bytes(), &mut out, flate2::FlushCompress::Finish)
            .unwrap();
        out
    }

    #[test]
    fn rows_packed_without_the_dictionary_still_read() {
        let long = "<p>The council met on Tuesday and the council voted.</p>".repeat(50);
        let mut packed = vec![ZSTD];
        packed.extend(zstd::bulk::compress(long.as_bytes(), LEVEL).unwrap());
        assert_eq!(unpack(&packed).unwrap(), long);
        // And a frame made with the dictionary is not read as one made without.
        let with_dictionary = pack(&long).unwrap();
        assert_eq!(with_dictionary[0], ZSTD_DICTIONARY);
        let mut relabelled = with_dictionary.clone();
        relabelled[0] = ZSTD;
        assert_ne!(unpack(&relabelled).ok(), Some(long));
    }

    #[test]
    fn text_in_other_scripts_is_packed_without_the_dictionary() {
        let english = "<p>The council met on Tuesday and voted on the budget.</p>".repeat(6);
        let bengali = "<p>বাংলাদেশের সংসদে আজ বাজেট পাস হয়েছে।</p>".repeat(6);
        assert_eq!(pack(&english).unwrap()[0], ZSTD_DICTIONARY);
        assert_eq!(pack(&bengali).unwrap()[0], ZSTD);
        assert_eq!(round_trip(&bengali), (true, bengali.clone()));
    }

    #[test]
    fn prose_without_repeats_is_packed_by_its_letters() {
        // Few phrases come back in a short summary, so what packs it is the coding
        // of its letters, which zstd leaves out at a negative level unless asked.
        let prose = "<p>Farmers in the northern valley began harvesting a week early after \
            an unusually warm spring, according to the regional cooperative. Yields of \
            barley look strong, while orchards lost part of their blossom to a late \
            frost in April. Officials expect prices at local markets to fall slightly \
            before the autumn fairs, when buyers from the coast usually arrive.</p>\
            <p>The cooperative plans to open two new storage sheds near the river and \
            to hire seasonal workers from neighbouring towns.</p>";
        let packed = pack(prose).expect("prose packs");
        assert!(
            packed.len() * 4 <= prose.len() * 3,
            "{} of {} bytes",
            packed.len(),
            prose.len()
        );
        assert_eq!(unpack(&packed).unwrap(), prose);
    }

    #[test]
    fn rows_packed_as_deflate_still_read() {
        let long = "<p>The council met on Tuesday and the council voted.</p>".repeat(50);
        assert_eq!(unpack(&deflated(&long)).unwrap(), long);
        let cut = deflated(&long);
        assert!(unpack(&cut[..cut.len() / 2]).is_err());
    }

    fn round_trip(html: &str) -> (bool, String) {
        match pack(html) {
            Some(packed) => (true, unpack(&packed).unwrap()),
            None => (false, html.to_string()),
        }
    }

    #[test]
    fn html_reads_back_as_written_packed_or_not() {
        let long = "<p>The council met on Tuesday and the council voted.</p>".repeat(8);
        assert_eq!(round_trip(&long), (true, long.clone()));
        // Far beyond one DEFLATE window, and many times the first guess of its size.
        let mut seed = 11u64;
        let huge: String = (0..200_000)
            .map(|i| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                if i % 7 == 0 {
                    ' '
                } else {
                    char::from(b'a' + (seed >> 60) as u8)
                }
            })
            .collect();
        assert_eq!(round_trip(&huge), (true, huge.clone()));
        let repeated = "<p>Again.</p>".repeat(20_000);
        assert_eq!(round_trip(&repeated), (true, repeated.clone()));
        assert_eq!(pack("<p>Short.</p>"), None);
        // Text that does not shrink by an eighth (letters in no order) stays text.
        let mut seed = 7u64;
        let noise: String = (0..PACK_FROM)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
                        [(seed >> 58) as usize],
                )
            })
            .collect();
        assert_eq!(pack(&noise), None);
    }

    #[test]
    fn packed_html_of_an_unknown_format_or_cut_short_is_an_error_not_garbage() {
        assert!(matches!(
            unpack(&[9, 1]),
            Err(UnpackError::UnknownFormat(9))
        ));
        assert!(unpack(&[ZSTD, 1, 2]).is_err());
        assert!(unpack(&[ZSTD_DICTIONARY, 1, 2]).is_err());
        assert!(matches!(unpack(&[]), Err(UnpackError::Cut)));
        let packed = pack(&"<p>Words and more words.</p>".repeat(20)).unwrap();
        assert!(unpack(&packed[..packed.len() / 2]).is_err());
    }
}
