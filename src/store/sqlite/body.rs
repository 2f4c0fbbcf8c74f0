//! An item's HTML (summary, content) in its row: packed (`crate::packing`) as a BLOB,
//! or the text itself where packing would not pay (and in rows written before
//! packing). Both forms read back as the same string.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

pub(super) use super::super::body::Packed;
use crate::packing;

impl ToSql for Packed<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Packed::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Packed::Deflated(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

/// HTML read back from a row, in either form.
struct StoredHtml(String);

impl FromSql for StoredHtml {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(_) => value.as_str().map(|text| StoredHtml(text.to_owned())),
            ValueRef::Blob(packed) => packing::unpack(packed)
                .map(StoredHtml)
                .map_err(|e| FromSqlError::Other(Box::new(e))),
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
    use crate::model::Entry;
    use crate::packing::PackedHtml;
    use crate::store::body::packed_bodies;

    fn round_trip(entry: &Entry) -> (Option<String>, Option<String>, String) {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (summary TEXT, content TEXT)")
            .unwrap();
        let (summary, content) = packed_bodies(entry);
        conn.execute("INSERT INTO t VALUES (?1, ?2)", (&summary, &content))
            .unwrap();
        conn.query_row(
            "SELECT summary, content, typeof(summary) || ' ' || typeof(content) FROM t",
            [],
            |r| Ok((html_at(r, 0)?, html_at(r, 1)?, r.get(2)?)),
        )
        .unwrap()
    }

    #[test]
    fn html_reads_back_as_written_packed_while_parsing_or_here() {
        let long = "<p>The council met on Tuesday and the council voted.</p>".repeat(8);
        let mut entry = Entry {
            summary_html: Some("<p>Short.</p>".into()),
            content_html: Some(long.clone()),
            ..Entry::default()
        };
        let expected = (entry.summary_html.clone(), Some(long.clone()));
        let (summary, content, types) = round_trip(&entry);
        assert_eq!((summary, content), expected);
        assert_eq!(types, "text blob");
        entry.packed_html = Some(PackedHtml::of(
            entry.summary_html.as_deref(),
            entry.content_html.as_deref(),
        ));
        let (summary, content, types) = round_trip(&entry);
        assert_eq!((summary, content), expected);
        assert_eq!(types, "text blob");
        let empty = Entry::default();
        assert_eq!(round_trip(&empty), (None, None, "null null".to_string()));
    }

    #[test]
    fn a_blob_that_is_not_packed_html_is_an_error_not_garbage() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let read = conn.query_row("SELECT x'0201'", [], |r| html_at(r, 0));
        assert!(read.is_err());
    }
}
