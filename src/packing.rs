//! How an item's HTML (summary, content) is kept at rest. It is only ever read whole,
//! to render or to re-derive its words, so it is kept compressed: one format byte then
//! a raw DEFLATE stream, when that saves at least an eighth; otherwise (short or
//! incompressible text) as the text itself. Pure: parsing packs (on the parse pool,
//! off the store thread, which only writes the bytes) and the store unpacks.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The first byte of packed HTML: raw DEFLATE follows. Another encoding would take
/// another byte, so stored rows always say how to read them.
const DEFLATE: u8 = 1;

/// Shorter texts stay text: a few bytes saved do not pay for inflating on every read.
const PACK_FROM: usize = 160;

/// DEFLATE's fastest level: on item-sized HTML it keeps most of the saving of the
/// default level at a fraction of the time.
const LEVEL: u32 = 1;

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
    // A DEFLATE state is hundreds of kilobytes to set up; each thread that packs or
    // unpacks keeps one and resets it between texts.
    static DEFLATER: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(LEVEL), false));
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// `html` packed, or `None` when it is better kept as text.
pub fn pack(html: &str) -> Option<Vec<u8>> {
    if html.len() < PACK_FROM {
        return None;
    }
    // Worth keeping only if it saves an eighth; the stream must end within that.
    let limit = html.len() - html.len() / 8;
    let mut out = Vec::with_capacity(limit);
    out.push(DEFLATE);
    let ended = DEFLATER.with_borrow_mut(|deflater| {
        deflater.reset();
        let status = deflater.compress_vec(html.as_bytes(), &mut out, FlushCompress::Finish);
        matches!(status, Ok(Status::StreamEnd))
    });
    (ended && out.len() <= limit).then_some(out)
}

/// Packed HTML that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("packed HTML of an unknown format ({0:#04x})")]
    UnknownFormat(u8),
    #[error("packed HTML is not a whole DEFLATE stream")]
    Cut,
    #[error("packed HTML is not a DEFLATE stream: {0}")]
    Corrupt(#[from] flate2::DecompressError),
    #[error("packed HTML is not UTF-8")]
    NotText(#[from] std::string::FromUtf8Error),
}

/// The HTML `packed` holds.
pub fn unpack(packed: &[u8]) -> Result<String, UnpackError> {
    let stream = match packed {
        [DEFLATE, stream @ ..] => stream,
        [other, ..] => return Err(UnpackError::UnknownFormat(*other)),
        [] => return Err(UnpackError::Cut),
    };
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
            unpack(&[2, 1]),
            Err(UnpackError::UnknownFormat(2))
        ));
        assert!(matches!(unpack(&[]), Err(UnpackError::Cut)));
        let packed = pack(&"<p>Words and more words.</p>".repeat(20)).unwrap();
        assert!(unpack(&packed[..packed.len() / 2]).is_err());
    }
}
