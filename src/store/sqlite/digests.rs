//! An item's public id and content hash kept as the bytes their hex spells: the
//! public id (`urn:feedbraid:` and 32 hex digits, 46 bytes of text) takes 16 bytes in
//! its row and as many again in its unique index, the content hash 16 (or 32 for
//! hashes stored whole) instead of twice that. Text that spells no such bytes (ids
//! written by hand or by tests) stays text. Both forms read back as the same string,
//! and each string has one stored form (bytes and text map one to one), so a lookup
//! that writes its value as these types do finds the row.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, Value, ValueRef};

use crate::identity;

/// The bytes a public id is kept as, or `None` where it stays text.
fn public_id_bytes(id: &str) -> Option<Vec<u8>> {
    identity::public_id_digest(id).map(|digest| digest.to_vec())
}

/// The bytes a content hash is kept as, or `None` where it stays text.
fn content_hash_bytes(hash: &str) -> Option<Vec<u8>> {
    identity::unhex(hash).filter(|bytes| !bytes.is_empty())
}

/// `text` as its bytes where `bytes` gives them, else as itself.
fn bytes_or_text(text: &str, bytes: fn(&str) -> Option<Vec<u8>>) -> ToSqlOutput<'_> {
    match bytes(text) {
        Some(bytes) => ToSqlOutput::from(bytes),
        None => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
    }
}

/// A public id as it goes into the database.
pub(super) struct PublicId<'a>(pub &'a str);

impl ToSql for PublicId<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(bytes_or_text(self.0, public_id_bytes))
    }
}

/// A public id's digest ([`identity::public_id_digest`]) as it goes into the
/// database: the bytes [`PublicId`] keeps for its text.
pub(super) struct PublicIdDigest<'a>(pub &'a [u8; 16]);

impl ToSql for PublicIdDigest<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self.0)))
    }
}

/// A public id read back, in either form.
pub(super) struct StoredPublicId(pub String);

impl FromSql for StoredPublicId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Blob(bytes) => <&[u8; 16]>::try_from(bytes)
                .map(|digest| StoredPublicId(identity::public_id_from_digest(digest)))
                .map_err(|_| FromSqlError::InvalidBlobSize {
                    expected_size: 16,
                    blob_size: bytes.len(),
                }),
            _ => String::column_result(value).map(StoredPublicId),
        }
    }
}

/// A content hash (lower-case hex) as it goes into the database.
pub(super) struct ContentHash<'a>(pub &'a str);

impl ToSql for ContentHash<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(bytes_or_text(self.0, content_hash_bytes))
    }
}

/// A content hash read back, in either form.
pub(super) struct StoredContentHash(pub String);

impl FromSql for StoredContentHash {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Blob(bytes) => Ok(StoredContentHash(identity::hex(bytes))),
            _ => String::column_result(value).map(StoredContentHash),
        }
    }
}

/// The SQL functions `stored_public_id` and `stored_content_hash`: a value as the
/// types above write it, for migrating rows written as text.
pub(super) fn register(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("stored_public_id", 1, flags, |ctx| {
        Ok(stored(ctx.get(0)?, public_id_bytes))
    })?;
    conn.create_scalar_function("stored_content_hash", 1, flags, |ctx| {
        Ok(stored(ctx.get(0)?, content_hash_bytes))
    })
}

/// `value` as it is kept: text as its bytes where `bytes` gives them.
fn stored(value: Value, bytes: fn(&str) -> Option<Vec<u8>>) -> Value {
    match value {
        Value::Text(text) => bytes(&text).map_or(Value::Text(text), Value::Blob),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn round_trip<W: ToSql, R: FromSql>(conn: &Connection, value: W) -> (String, R) {
        conn.query_row("SELECT typeof(?1), ?1", [value], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    }

    #[test]
    fn ids_and_hashes_are_kept_as_bytes_and_read_back_as_written() {
        let conn = Connection::open_in_memory().unwrap();
        let id = identity::public_id("harbor", "g:1");
        let (kind, back): (String, StoredPublicId) = round_trip(&conn, PublicId(&id));
        assert_eq!((kind.as_str(), back.0.as_str()), ("blob", id.as_str()));
        let (kind, back): (String, StoredPublicId) = round_trip(&conn, PublicId("p1"));
        assert_eq!((kind.as_str(), back.0.as_str()), ("text", "p1"));

        let hash = "00ff".repeat(8);
        let (kind, back): (String, StoredContentHash) = round_trip(&conn, ContentHash(&hash));
        assert_eq!((kind.as_str(), back.0.as_str()), ("blob", hash.as_str()));
        for text in ["h", "", "00FF"] {
            let (kind, back): (String, StoredContentHash) = round_trip(&conn, ContentHash(text));
            assert_eq!((kind.as_str(), back.0.as_str()), ("text", text));
        }
    }

    #[test]
    fn the_sql_functions_store_text_as_the_types_do() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let id = identity::public_id("harbor", "g:1");
        let stored: Vec<u8> = conn
            .query_row("SELECT stored_public_id(?1)", [&id], |r| r.get(0))
            .unwrap();
        assert_eq!(
            Some(stored.as_slice()),
            identity::public_id_digest(&id).as_ref().map(|d| &d[..])
        );
        let kept: (String, String, Option<i64>) = conn
            .query_row(
                "SELECT stored_public_id('p1'), stored_content_hash('h'), stored_content_hash(NULL)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(kept, ("p1".into(), "h".into(), None));
        let hash: Vec<u8> = conn
            .query_row("SELECT stored_content_hash('0aff')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(hash, vec![0x0a, 0xff]);
    }
}
