//! Telling the nodes that share a database what changed, so each renders its feeds
//! again within moments of a write anywhere: a write's node sends `NOTIFY` on the
//! channel `feedbraid_changes` (which feeds, or every feed), and each node listens
//! on a connection of its own, on a thread of its own, noting what others changed as
//! if its own store had written it. Whenever the listening connection starts (at open,
//! and after it was lost) every feed counts as changed: what others wrote before it
//! listened was not heard.

use std::sync::{Arc, Weak};
use std::time::Duration;

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use serde::{Deserialize, Serialize};

use super::super::changes::{ChangeLog, Changed};
use super::super::error::{DriverError, StoreError};
use super::{Conn, connect_client};

const CHANNEL: &str = "feedbraid_changes";

/// PostgreSQL's limit on a notification's payload is 8000 bytes; a change of more
/// feeds than fit is announced as a change of every feed.
const MAX_PAYLOAD: usize = 7_900;

/// A notification's payload.
#[derive(Serialize, Deserialize)]
struct Announcement {
    /// The feeds that changed; absent: every feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    feeds: Option<Vec<String>>,
}

/// Sends the notification of a change to `feeds` (`None`: every feed).
pub(super) fn announce(conn: &mut Conn, feeds: Option<&[String]>) -> Result<(), StoreError> {
    let every = || serde_json::to_string(&Announcement { feeds: None });
    let payload = serde_json::to_string(&Announcement {
        feeds: feeds.map(<[String]>::to_vec),
    })
    .ok()
    .filter(|payload| payload.len() <= MAX_PAYLOAD)
    .or_else(|| every().ok())
    .unwrap_or_default();
    conn.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])?;
    Ok(())
}

/// Starts the thread that listens for other nodes' changes and notes them in
/// `changes`; it ends once `changes` is gone (the store was dropped). Notifications
/// from `own` (the backend process of this node's writing connection) are skipped:
/// this node noted them already.
pub(super) fn listen(url: String, own: i32, changes: &Arc<ChangeLog>) -> std::io::Result<()> {
    let changes = Arc::downgrade(changes);
    std::thread::Builder::new()
        // 15 bytes at most, as Linux shows it (see `store::handle`).
        .name("feedbraid-peers".into())
        .spawn(move || listen_until_dropped(&url, own, &changes))
        .map(drop)
}

/// How long a wait for a notification lasts before the thread checks that its store
/// is still there; also the pause before connecting again after a failure.
const TICK: Duration = Duration::from_secs(1);

fn listen_until_dropped(url: &str, own: i32, changes: &Weak<ChangeLog>) {
    while changes.strong_count() > 0 {
        match connect(url) {
            Ok(mut client) => {
                // What others wrote before this connection listened (since the store
                // opened, or while the last connection was down) was not heard.
                if let Some(changes) = changes.upgrade() {
                    changes.note(Changed::EveryFeed);
                }
                let error = relay(&mut client, own, changes);
                if let Some(error) = error {
                    tracing::warn!(%error, "lost the connection that hears other nodes' changes; connecting again");
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other nodes' changes; trying again");
                std::thread::sleep(TICK);
            }
        }
    }
}

fn connect(url: &str) -> Result<Client, DriverError> {
    let mut client = connect_client(url)?;
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(DriverError::new)?;
    Ok(client)
}

/// Notes each notification until the store is gone (`None`) or the connection fails.
fn relay(client: &mut Client, own: i32, changes: &Weak<ChangeLog>) -> Option<postgres::Error> {
    loop {
        let next = client.notifications().timeout_iter(TICK).next();
        let changes = changes.upgrade()?;
        match next {
            Ok(None) => {}
            Err(error) => return Some(error),
            Ok(Some(note)) if note.process_id() == own => {}
            Ok(Some(note)) => {
                match serde_json::from_str::<Announcement>(note.payload()) {
                    Ok(Announcement { feeds: Some(feeds) }) => {
                        changes.note(Changed::Feeds(&feeds));
                    }
                    // Every feed, or a payload of another version: count everything.
                    _ => changes.note(Changed::EveryFeed),
                }
            }
        }
    }
}
