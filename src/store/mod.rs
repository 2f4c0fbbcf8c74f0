//! Storage: the SQLite database, on a thread of its own.
//!
//! This is the only module that touches rusqlite. A [`Store`] is a cheap handle that
//! sends closures to one dedicated thread owning the connection, and awaits their
//! answers; no async worker ever blocks on SQLite. Each polled source is written in
//! a transaction that may group several polls ([`worker`]), so a crash leaves a
//! source either fully updated or untouched.
//! What to write is decided by the pure `ingest` module; this module only carries it out.

mod articles;
mod body;
mod changes;
mod columns;
mod error;
mod feeds;
mod handle;
mod items;
mod maintain;
mod reads;
mod schema;
mod sources;
mod stories;
mod worker;

pub use articles::ArticleApplied;
pub use changes::FeedScope;
pub use error::{DriverError, StoreError};
pub use feeds::FeedSync;
pub use handle::{PING_LIMIT, Store};
pub use items::IngestSummary;
pub use maintain::{PrunePolicy, PruneSummary};
pub use reads::{ItemPage, PageCursor, StoryMember};
pub use sources::{FailureRecord, PollRecord, SourcePollState};
pub use stories::Neighbour;
