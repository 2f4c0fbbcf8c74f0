//! Why a storage call failed: one error type for every store call.

use std::path::PathBuf;

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database {}: written by a newer feedbraid (schema version {found}, this one knows up to {known})", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database {}: written by an older feedbraid (schema version {found}, this one needs {known}); start the daemon (`feedbraid run`) once to bring it up to date", path.display())]
    TooOld {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("no database at {}: the daemon (`feedbraid run`) or `feedbraid poll` creates it", path.display())]
    Missing { path: PathBuf },
    #[error("the database did not answer within {waited:?}{}", activity.as_deref().map(|a| format!(" ({a})")).unwrap_or_default())]
    Unresponsive {
        waited: std::time::Duration,
        activity: Option<String>,
    },
    #[error("the storage thread has stopped")]
    Closed,
    /// The transaction holding this write (and the others of its group) did not commit.
    #[error("database commit failed: {0}")]
    CommitFailed(String),
}
