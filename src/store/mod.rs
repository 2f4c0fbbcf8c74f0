//! Storage: a database behind one handle, on threads of its own.
//!
//! A [`Store`] is a cheap handle that sends jobs to the store thread, which owns the
//! writing side of a [`backend::Backend`], and to a reading thread, which owns a
//! [`backend::ReadBackend`]; no async worker ever blocks on a database driver. Each
//! polled source is written in a transaction that may group several polls
//! ([`worker`]), so a crash leaves a source either fully updated or untouched.
//! What to write is decided by the pure `ingest` module; a backend only carries it
//! out. SQLite ([`sqlite`]) is the embedded backend; nothing outside this module
//! knows which backend is behind a store.

mod apply;
mod articles;
mod backend;
mod body;
mod changes;
mod columns;
mod error;
mod feeds;
mod handle;
mod maintain;
mod postgres;
mod reads;
mod records;
mod refill;
mod sources;
mod sqlite;
mod worker;

pub use changes::FeedScope;
pub use error::{DriverError, StoreError};
pub use handle::{PING_LIMIT, Store};
pub use maintain::PRUNE_CHUNK;
pub use records::{
    ArticleApplied, Claimed, FailureRecord, FeedSync, Html, IngestSummary, ItemHtml, ItemPage,
    Neighbour, PageCursor, PollRecord, PrunePolicy, PruneSummary, SourcePollState, StoryMember,
};
pub use worker::MAX_GROUP;
