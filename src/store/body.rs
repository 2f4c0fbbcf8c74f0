//! How an item's HTML (summary, content) is kept in its row. It is only ever read
//! whole, to render or to re-derive its words, so it is stored compressed: a BLOB of
//! one format byte then a raw DEFLATE stream, when that saves at least an eighth;
//! otherwise (short or incompressible text) the text itself. Both forms read back as
//! the same string, and rows written as text stay valid.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// The first byte of a BLOB body: raw DEFLATE follows. Another encoding would take
/// another byte, so stored rows always say how to read them.
const DEFLATE: u8 = 1;

/// Shorter texts stay text: a few bytes saved do not pay for inflating on every read.
const PACK_FROM: usize = 160;

/// DEFLATE's fastest level: on item-sized HTML it keeps most of the saving of the
/// default level at a fraction of the time, and it runs on the store thread.
const LEVEL: u32 = 1;

/// HTML as it goes into a row.
pub(super) enum Packed<'a> {
    Text(&'a str),
    Deflated(Vec<u8>),
}

/// Packs `html` for its row (`None` stays NULL).
pub(super) fn pack(html: Option<&str>) -> Option<Packed<'_>> {
    let html = html?;
    if html.len() < PACK_FROM {
        return Some(Packed::Text(html));
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
    Some(if ended && out.len() <= limit {
        Packed::Deflated(out)
    } else {
        Packed::Text(html)
    })
}

thread_local! {
    // A DEFLATE state is hundreds of kilobytes to set up; each thread that packs or
    // unpacks keeps one and resets it between items.
    static DEFLATER: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(LEVEL), false));
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// Inflates a raw DEFLATE stream whole.
fn inflate(stream: &[u8]) -> Result<String, FromSqlError> {
    let corrupt = || FromSqlError::Other("a stored body is not a whole DEFLATE stream".into());
    let mut out = Vec::with_capacity(stream.len() * 3);
    INFLATER.with_borrow_mut(|inflater| {
        inflater.reset(false);
        loop {
            let (read, written) = (inflater.total_in(), inflater.total_out());
            let rest = &stream[(read as usize).min(stream.len())..];
            let status = inflater
                .decompress_vec(rest, &mut out, FlushDecompress::None)
                .map_err(|e| FromSqlError::Other(Box::new(e)))?;
            if status == Status::StreamEnd {
                return Ok(());
            }
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(1024));
            } else if (inflater.total_in(), inflater.total_out()) == (read, written) {
                // Room left, input left or not, and no progress: the stream is cut.
                return Err(corrupt());
            }
        }
    })?;
    String::from_utf8(out).map_err(|e| FromSqlError::Other(Box::new(e)))
}

impl ToSql for Packed<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Packed::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Packed::Deflated(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

/// HTML read back from a row, in either form.
pub(super) struct StoredHtml(pub String);

impl FromSql for StoredHtml {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(bytes) => String::from_utf8(bytes.to_vec())
                .map(StoredHtml)
                .map_err(|e| FromSqlError::Other(Box::new(e))),
            ValueRef::Blob([DEFLATE, stream @ ..]) => inflate(stream).map(StoredHtml),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// Reads an optional HTML column.
pub(super) fn html_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<String>> {
    Ok(row.get::<_, Option<StoredHtml>>(index)?.map(|h| h.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(html: Option<&str>) -> (bool, Option<String>) {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (html TEXT)").unwrap();
        let packed = pack(html);
        let deflated = matches!(packed, Some(Packed::Deflated(_)));
        conn.execute("INSERT INTO t VALUES (?1)", [&packed])
            .unwrap();
        let back = conn
            .query_row("SELECT html FROM t", [], |r| html_at(r, 0))
            .unwrap();
        (deflated, back)
    }

    #[test]
    fn html_reads_back_as_written_packed_or_not() {
        let long = "<p>The council met on Tuesday and the council voted.</p>".repeat(8);
        assert_eq!(round_trip(Some(&long)), (true, Some(long.clone())));
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
        assert_eq!(round_trip(Some(&huge)), (true, Some(huge.clone())));
        let repeated = "<p>Again.</p>".repeat(20_000);
        assert_eq!(round_trip(Some(&repeated)), (true, Some(repeated.clone())));
        let short = "<p>Short.</p>";
        assert_eq!(round_trip(Some(short)), (false, Some(short.to_string())));
        assert_eq!(round_trip(None), (false, None));
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
        assert_eq!(round_trip(Some(&noise)), (false, Some(noise.clone())));
    }

    #[test]
    fn a_blob_of_an_unknown_format_is_an_error_not_garbage() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let read = conn.query_row("SELECT x'0201'", [], |r| html_at(r, 0));
        assert!(read.is_err());
        // A DEFLATE stream cut short.
        let cut = match pack(Some(&"<p>Words and more words.</p>".repeat(20))) {
            Some(Packed::Deflated(bytes)) => bytes[..bytes.len() / 2].to_vec(),
            _ => panic!("packed"),
        };
        let read = conn.query_row("SELECT ?1", [cut], |r| html_at(r, 0));
        assert!(read.is_err());
    }
}
