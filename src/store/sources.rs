//! The calls about sources: which exist, their validators and poll outcomes.

use std::collections::HashMap;

use super::changes::Changed;
use super::error::StoreError;
use super::handle::Store;
use chrono::{DateTime, Utc};

use super::records::{Claimed, FailureRecord, IngestSummary, PollRecord, SourcePollState};
use super::worker::{Db, Job, PendingClaim};
use crate::model::SourceState;

impl Store {
    /// Makes sure every configured source has a row. A source whose URL changed in the
    /// config starts afresh: its validators, adopted URL, redirect memory, gone flag,
    /// Retry-After and error streak are dropped, and it is due at once. (Other changes
    /// of a source's entry clear its gone flag when it is next considered for a poll:
    /// see `poll`.)
    pub async fn sync_sources(&self, sources: Vec<(String, String)>) -> Result<(), StoreError> {
        self.call(move |backend| backend.sync_sources(&sources))
            .await
    }

    /// Validators and schedule of one source (`None` if it has no row yet).
    pub async fn poll_state(&self, name: &str) -> Result<Option<SourcePollState>, StoreError> {
        let name = name.to_string();
        let mut states = self.poll_states(vec![name.clone()]).await?;
        Ok(states.remove(&name))
    }

    /// [`Store::poll_state`] of many sources in one call on the database thread (the
    /// scheduler loads them all at start); sources with no row are left out.
    pub async fn poll_states(
        &self,
        names: Vec<String>,
    ) -> Result<HashMap<String, SourcePollState>, StoreError> {
        self.call(move |backend| backend.poll_states(&names)).await
    }

    /// Claims source `name` for a poll by this node, leased for `lease` (the poll's
    /// outcome ends the lease sooner): see [`Claimed`]. With `due_by` (a poll its
    /// schedule started), a source another node polled since is not granted.
    pub async fn claim_source(
        &self,
        name: &str,
        lease: std::time::Duration,
        due_by: Option<DateTime<Utc>>,
    ) -> Result<Claimed, StoreError> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.send(Job::Claim(PendingClaim {
            name: name.to_string(),
            node: self.node().to_string(),
            now,
            until,
            due_by,
            reply,
        }))?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Gives up this node's lease on source `name` (its claimed poll was skipped).
    pub async fn release_source(&self, name: &str) -> Result<(), StoreError> {
        let (name, node) = (name.to_string(), self.node().to_string());
        self.call_db(move |db| {
            db.polls_under_way.remove(&name);
            db.backend.release_source(&name, &node)
        })
        .await
    }

    /// Stores a successful poll in one transaction: the items (if any) and the source's
    /// new state. Returns what changed.
    pub async fn record_poll(
        &self,
        name: &str,
        record: PollRecord,
    ) -> Result<IngestSummary, StoreError> {
        let source = name.to_string();
        let ingested = self
            .call_poll_outcome(name, move |db: &mut Db| {
                let Db {
                    backend,
                    feeds,
                    stories,
                    ..
                } = db;
                backend.record_poll(&source, &record, feeds, stories)
            })
            .await?;
        let summary = ingested.summary;
        if summary.new + summary.updated > 0 {
            let feeds: Vec<String> = ingested.changed_feeds.into_iter().collect();
            self.note_change(Changed::Feeds(&feeds));
        }
        Ok(summary)
    }

    /// Stores a failed poll; stored items are left untouched. Returns the new error streak.
    pub async fn record_failure(
        &self,
        name: &str,
        record: FailureRecord,
    ) -> Result<u32, StoreError> {
        let source = name.to_string();
        self.call_poll_outcome(name, move |db: &mut Db| {
            db.backend.record_failure(&source, &record)
        })
        .await
    }

    /// How many sources this node holds a lease on now: those it is polling.
    pub async fn leases_held(&self) -> Result<u64, StoreError> {
        let node = self.node().to_string();
        let now = Utc::now().timestamp();
        self.call_read(move |reads| reads.leases_held(&node, now))
            .await
    }

    /// The state of the named sources, in the order given (unknown names are skipped).
    pub async fn source_states(&self, names: Vec<String>) -> Result<Vec<SourceState>, StoreError> {
        self.call_read(move |reads| reads.source_states(&names))
            .await
    }
}
