//! Why a storage call failed: one error type for every store call, whichever
//! database is behind it. Callers branch on its variants, never on a driver's error.

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `database` names it as messages do: a file's path, or a server's address
    /// without its password.
    #[error("database {database}: {source}")]
    Open {
        database: String,
        #[source]
        source: DriverError,
    },
    #[error("database: {0}")]
    Driver(#[from] DriverError),
    #[error(
        "database {database}: written by a newer feedbraid (schema version {found}, this one knows up to {known})"
    )]
    TooNew {
        database: String,
        found: i64,
        known: i64,
    },
    #[error(
        "database {database}: written by an older feedbraid (schema version {found}, this one needs {known}); start the daemon (`feedbraid run`) once to bring it up to date"
    )]
    TooOld {
        database: String,
        found: i64,
        known: i64,
    },
    #[error(
        "no database at {database}: the daemon (`feedbraid run`) or `feedbraid poll` creates it"
    )]
    Missing { database: String },
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

/// What a database driver (or the system under it) reported: its message and source
/// chain, without its type, which is the backend's own business.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DriverError(Box<dyn std::error::Error + Send + Sync>);

impl DriverError {
    pub(crate) fn new(error: impl std::error::Error + Send + Sync + 'static) -> DriverError {
        DriverError(Box::new(error))
    }

    /// An error the backend detected itself, beside what its driver reports.
    pub(crate) fn message(text: impl Into<String>) -> DriverError {
        DriverError(text.into().into())
    }
}
