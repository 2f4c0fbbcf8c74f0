//! The PostgreSQL backend, for a database server several nodes share: the `postgres`
//! crate's blocking client, one connection on the store thread and one on the
//! reading thread (each client drives its own small runtime; neither runs on an
//! async worker). The SQL of each subject is beside it: `sources`, `items` (a poll's
//! rows), `articles`, `feeds`, `reads`, `maintain`. This is the only module that
//! touches the `postgres` crate.

mod articles;
mod changes;
mod connect;
mod feeds;
mod items;
mod maintain;
mod reads;
mod schema;
mod sources;
mod stories;

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use connect::connect_client;

use super::backend::{Backend, ReadBackend};
use super::error::{DriverError, StoreError};
use super::handle::Store;
use crate::cluster::{Settings, StoryIndex};

/// A parameter of a statement.
type Param<'a> = &'a (dyn ToSql + Sync);

impl Store {
    /// Connects to the PostgreSQL database at `url` (`postgres://user@host/db`),
    /// bringing its schema up to date, with these clustering settings; the story
    /// index is rebuilt from the fingerprints stored within the window. Blocks while
    /// it connects: call it off the async workers.
    pub fn open_postgres(url: &str, clustering: Settings) -> Result<Store, StoreError> {
        open(url, Some(clustering))
    }

    /// Connects to the PostgreSQL database at `url` to look at, beside daemons that
    /// may be writing it: no migration (a schema of another version is an error that
    /// says which), no story index, and every transaction read-only.
    pub fn open_postgres_read_only(url: &str) -> Result<Store, StoreError> {
        open(url, None)
    }
}

/// Opens a store on `url`: for writing with these clustering settings, else
/// read-only.
fn open(url: &str, clustering: Option<Settings>) -> Result<Store, StoreError> {
    let database = crate::config::redacted_database_url(url);
    // The client runs a runtime of its own: it is made on a plain thread, never
    // inside the caller's (a test's or the daemon's) runtime.
    let (url_owned, name) = (url.to_string(), database.clone());
    let opened = std::thread::spawn(move || -> Result<_, StoreError> {
        let read_only = clustering.is_none();
        let mut writer = Conn::connect(&url_owned, &name, read_only)?;
        let reader = Conn::connect(&url_owned, &name, read_only)?;
        let stories = match clustering {
            Some(settings) => {
                schema::migrate(&mut writer.client, &name)?;
                Conn::story_index(&mut writer, settings, chrono::Utc::now().timestamp())?
            }
            None => {
                schema::expect_current(&mut writer.client, &name)?;
                StoryIndex::new(Settings::default())
            }
        };
        // The server process of the writing connection, whose notifications are this
        // node's own.
        let own: i32 = writer
            .query_one("SELECT pg_backend_pid()", &[])?
            .try_get(0)?;
        Ok((writer, reader, stories, own))
    })
    .join()
    .map_err(|_| StoreError::Open {
        database: database.clone(),
        source: DriverError::message("connecting panicked"),
    })?;
    let (writer, reader, stories, own) = opened?;
    let store = Store::start(
        &database,
        Box::new(writer),
        Box::new(Reads(reader)),
        stories,
    )?;
    if clustering.is_some() {
        changes::listen(url.to_string(), own, &store.changes).map_err(|error| {
            StoreError::Open {
                database,
                source: DriverError::new(error),
            }
        })?;
    }
    Ok(store)
}

/// Each connection's session settings (see [`Conn::connect`]).
const SESSION: &str = "SET idle_in_transaction_session_timeout = '60s';
    SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10;
    SET tcp_keepalives_count = 3;";

/// One connection, with the statements it has prepared: each is prepared once per
/// connection, not once per use (a round trip each).
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// Where the story index stands against the database (the writing connection's).
    index: stories::IndexSync,
    /// What connecting again needs: the URL, the database's name for errors, and
    /// whether every transaction is read-only.
    url: String,
    database: String,
    read_only: bool,
    /// A call failed as calls do on a lost connection, which the client may not yet
    /// report as closed: the next job connects again instead of failing on it too.
    lost: bool,
}

impl Conn {
    fn connect(url: &str, database: &str, read_only: bool) -> Result<Conn, StoreError> {
        let open_error = |source: DriverError| StoreError::Open {
            database: database.to_string(),
            source,
        };
        let client = connect_client(url).map_err(open_error)?;
        let mut conn = Conn {
            client,
            statements: HashMap::new(),
            index: stories::IndexSync::default(),
            url: url.to_string(),
            database: database.to_string(),
            read_only,
            lost: false,
        };
        // A node that stops mid-transaction (its host lost, the process frozen) must
        // not hold the write lock every other node waits for: the server ends such a
        // session, and notices a vanished peer within a minute.
        conn.client
            .batch_execute(SESSION)
            .map_err(|e| open_error(DriverError::new(e)))?;
        if read_only {
            conn.client
                .batch_execute("SET default_transaction_read_only = on")
                .map_err(|e| open_error(DriverError::new(e)))?;
        }
        Ok(conn)
    }

    /// Connects again when the connection was lost (the server restarted, its
    /// session was ended, the network cut): `true` then. The statements are prepared
    /// again as they are used; the story index keeps its place, and the caller
    /// rebuilds it, as the write open when the connection went was lost with it.
    fn reconnect_if_lost(&mut self) -> Result<bool, StoreError> {
        if !self.lost && !self.client.is_closed() {
            return Ok(false);
        }
        tracing::warn!(database = %self.database, "the connection to the database was lost; connecting again");
        let mut fresh = Conn::connect(&self.url, &self.database, self.read_only)?;
        fresh.index = std::mem::take(&mut self.index);
        *self = fresh;
        tracing::info!(database = %self.database, "connected to the database again");
        Ok(true)
    }

    fn prepared(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let prepared = self.client.prepare(sql);
        let statement = self.noted(prepared)?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let statement = self.prepared(sql)?;
        let answer = self.client.query(&statement, params);
        Ok(self.noted(answer)?)
    }

    fn query_opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, StoreError> {
        let statement = self.prepared(sql)?;
        let answer = self.client.query_opt(&statement, params);
        Ok(self.noted(answer)?)
    }

    fn query_one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row, StoreError> {
        let statement = self.prepared(sql)?;
        let answer = self.client.query_one(&statement, params);
        Ok(self.noted(answer)?)
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let statement = self.prepared(sql)?;
        let answer = self.client.execute(&statement, params);
        Ok(self.noted(answer)?)
    }

    /// Runs `f` in a transaction of its own (under the write lock, as every write
    /// transaction: see `stories`), committed when it succeeds.
    fn in_transaction<R>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.begin_under_write_lock()?;
        match f(self) {
            Ok(answer) => {
                self.commit()?;
                Ok(answer)
            }
            Err(error) => {
                self.roll_back();
                Err(error)
            }
        }
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        let committed = self.client.batch_execute("COMMIT");
        match self.noted(committed) {
            Ok(()) => {
                self.index_ended(true);
                Ok(())
            }
            Err(error) => {
                self.roll_back();
                Err(error.into())
            }
        }
    }

    fn roll_back(&mut self) {
        let rolled_back = self.client.batch_execute("ROLLBACK");
        let _ = self.noted(rolled_back);
        self.index_ended(false);
    }
}

/// The reading thread's connection.
struct Reads(Conn);

/// A count read back from the database.
fn count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(0)
}

impl From<postgres::Error> for StoreError {
    fn from(error: postgres::Error) -> StoreError {
        StoreError::Driver(DriverError::new(error))
    }
}

impl Backend for Conn {
    fn begin(&mut self) -> Result<(), StoreError> {
        self.begin_under_write_lock()
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        Conn::commit(self)
    }

    fn roll_back(&mut self) {
        Conn::roll_back(self)
    }

    fn close(&mut self) {}

    fn reconnect_if_lost(&mut self) -> Result<bool, StoreError> {
        Conn::reconnect_if_lost(self)
    }

    fn announce(&mut self, feeds: Option<&[String]>) {
        if let Err(error) = changes::announce(self, feeds) {
            tracing::warn!(%error, "other nodes not told of a change; they see it at their next");
        }
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        self.query_one("SELECT 1", &[])?;
        Ok(())
    }

    /// PostgreSQL checks its pages itself (checksums, WAL); the connection answering
    /// is what is left to check.
    fn integrity_check(&mut self) -> Result<bool, StoreError> {
        self.ping().map(|()| true)
    }

    /// Autovacuum keeps the tables; nothing to do between prunes.
    fn checkpoint(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn size_bytes(&mut self) -> Result<u64, StoreError> {
        let size: i64 = self
            .query_one("SELECT pg_database_size(current_database())", &[])?
            .try_get(0)?;
        Ok(u64::try_from(size).unwrap_or(0))
    }

    fn story_index(&mut self, settings: Settings, now: i64) -> Result<StoryIndex, StoreError> {
        Conn::story_index(self, settings, now)
    }

    fn sync_sources(&mut self, sources: &[(String, String)]) -> Result<(), StoreError> {
        sources::sync(self, sources)
    }

    fn poll_states(
        &mut self,
        names: &[String],
    ) -> Result<HashMap<String, super::SourcePollState>, StoreError> {
        sources::poll_states(self, names)
    }

    fn claim_sources(
        &mut self,
        claims: &[super::records::SourceClaim<'_>],
    ) -> Result<Vec<super::Claimed>, StoreError> {
        sources::claim(self, claims)
    }

    fn release_source(&mut self, name: &str, node: &str) -> Result<(), StoreError> {
        sources::release(self, name, node)
    }

    fn record_poll(
        &mut self,
        name: &str,
        record: &super::PollRecord,
        feeds: &crate::membership::FeedSet,
        index: &mut StoryIndex,
    ) -> Result<super::records::Ingested, StoreError> {
        sources::record_poll(self, name, record, feeds, index)
    }

    fn record_failure(
        &mut self,
        name: &str,
        record: &super::FailureRecord,
    ) -> Result<u32, StoreError> {
        sources::record_failure(self, name, record)
    }

    fn claim_articles(
        &mut self,
        now: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
        limit: usize,
        skip: &[String],
    ) -> Result<Vec<crate::model::ArticleJob>, StoreError> {
        articles::claim(self, now, until, limit, skip)
    }

    fn next_article_due(&mut self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        articles::next_due(self)
    }

    fn record_article(
        &mut self,
        item: i64,
        claim: i64,
        article: &crate::model::ArticleText,
        now: chrono::DateTime<chrono::Utc>,
        feeds: &crate::membership::FeedSet,
        index: &mut StoryIndex,
    ) -> Result<(super::ArticleApplied, Vec<String>), StoreError> {
        articles::record(self, (item, claim), article, now, feeds, index)
    }

    fn record_article_failure(
        &mut self,
        item: i64,
        claim: i64,
        failure: Option<&str>,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), StoreError> {
        articles::record_failure(self, (item, claim), failure, retry_at)
    }

    fn begin_feeds(
        &mut self,
        feeds: &crate::membership::FeedSet,
    ) -> Result<super::FeedSync, StoreError> {
        self.in_transaction(|conn| feeds::begin(conn, feeds))
    }

    fn refill_feeds(
        &mut self,
        feeds: &crate::membership::FeedSet,
        only: &std::collections::HashSet<String>,
        below: i64,
        chunk: i64,
    ) -> Result<Option<(i64, usize)>, StoreError> {
        self.in_transaction(|conn| feeds::refill(conn, feeds, only, below, chunk))
    }

    fn drop_feed_rows(&mut self, feeds: &[String], chunk: i64) -> Result<usize, StoreError> {
        feeds::drop_rows(self, feeds, chunk)
    }

    fn prune_older(&mut self, before: i64, now: i64, limit: i64) -> Result<usize, StoreError> {
        maintain::prune_older(self, before, now, limit)
    }

    fn prune_beyond(
        &mut self,
        source: &str,
        keep: i64,
        now: i64,
        limit: i64,
    ) -> Result<usize, StoreError> {
        maintain::prune_beyond(self, source, keep, now, limit)
    }

    fn forget_tombstones(&mut self, before: i64, limit: i64) -> Result<usize, StoreError> {
        maintain::forget_tombstones(self, before, limit)
    }
}

impl ReadBackend for Reads {
    fn reconnect_if_lost(&mut self) -> Result<bool, StoreError> {
        self.0.reconnect_if_lost()
    }

    fn recent_items(
        &mut self,
        sources: Option<&[String]>,
        before: Option<super::PageCursor>,
        n: usize,
        html: super::Html,
    ) -> Result<super::ItemPage, StoreError> {
        reads::recent_items(&mut self.0, sources, before, n, html)
    }

    fn feed_page(
        &mut self,
        feed: &str,
        before: Option<super::PageCursor>,
        n: usize,
        html: super::Html,
    ) -> Result<super::ItemPage, StoreError> {
        reads::feed_page(&mut self.0, feed, before, n, html)
    }

    fn story_copies(
        &mut self,
        feed: Option<&str>,
        stories: &[i64],
    ) -> Result<Vec<crate::model::StoredItem>, StoreError> {
        reads::story_copies(&mut self.0, feed, stories)
    }

    fn items_html(&mut self, rows: &[i64]) -> Result<Vec<super::ItemHtml>, StoreError> {
        reads::items_html(&mut self.0, rows)
    }

    fn story_members(&mut self, story: i64) -> Result<Vec<super::StoryMember>, StoreError> {
        reads::story_members(&mut self.0, story)
    }

    fn find_item(
        &mut self,
        id_or_link: &str,
    ) -> Result<Option<crate::model::StoredItem>, StoreError> {
        reads::find_item(&mut self.0, id_or_link)
    }

    fn neighbours(&mut self, row: i64, window: i64) -> Result<Vec<super::Neighbour>, StoreError> {
        reads::neighbours(&mut self.0, row, window)
    }

    fn source_states(
        &mut self,
        names: &[String],
    ) -> Result<Vec<crate::model::SourceState>, StoreError> {
        sources::source_states(&mut self.0, names)
    }

    fn leases_held(&mut self, node: &str, now: i64) -> Result<u64, StoreError> {
        let held: i64 = self
            .0
            .query_one(
                "SELECT COUNT(*) FROM sources WHERE lease_node = $1 AND lease_until > $2",
                &[&node, &now],
            )?
            .try_get(0)?;
        Ok(u64::try_from(held).unwrap_or(0))
    }
}
