//! The store's contract, run against every backend: a test written once with
//! [`each_backend!`] runs on SQLite (a file in a temporary folder) and on PostgreSQL
//! (a database of its own, created for the test and dropped after it) when
//! `FEEDBRAID_TEST_PG` names a server (`postgres://user@host:port/postgres`, a role
//! that may create databases). Without it the PostgreSQL runs skip with a printed
//! reason; under CI (`CI=true`), which starts a server, they fail instead.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use feedbraid::cluster::Settings;
use feedbraid::store::Store;

/// Where one test's database lives.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres(PgDatabase),
}

/// A database made for one test on the server `FEEDBRAID_TEST_PG` names.
pub struct PgDatabase {
    /// The server's URL, as given.
    server: String,
    name: String,
    /// The test database's URL.
    pub url: String,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        TestDb::Sqlite(tempfile::tempdir().unwrap())
    }

    /// A new empty PostgreSQL database, or `None` (after saying why) when no server
    /// is named outside CI.
    pub fn postgres() -> Option<TestDb> {
        let Some(server) = std::env::var("FEEDBRAID_TEST_PG")
            .ok()
            .filter(|s| !s.is_empty())
        else {
            assert!(
                !super::under_ci(),
                "FEEDBRAID_TEST_PG is not set; CI=true requires a PostgreSQL server (.ci/run starts one)"
            );
            eprintln!(
                "SKIPPED: FEEDBRAID_TEST_PG names no PostgreSQL server; set it (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run this test on PostgreSQL"
            );
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "feedbraid_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin(&server, &format!("CREATE DATABASE {name}"));
        let mut url = url::Url::parse(&server).expect("FEEDBRAID_TEST_PG is a URL");
        url.set_path(&name);
        Some(TestDb::Postgres(PgDatabase {
            server,
            name,
            url: url.to_string(),
        }))
    }

    /// Opens a store on this database (SQLite: `t.db` in its folder).
    pub fn open(&self) -> Store {
        self.open_with(Settings::default())
    }

    pub fn open_with(&self, clustering: Settings) -> Store {
        match self {
            TestDb::Sqlite(dir) => Store::open_with(&dir.path().join("t.db"), clustering).unwrap(),
            TestDb::Postgres(db) => Store::open_postgres(&db.url, clustering).unwrap(),
        }
    }

    /// Opens this database to look at (see `Store::open_read_only`).
    pub fn open_read_only(&self) -> Result<Store, feedbraid::store::StoreError> {
        match self {
            TestDb::Sqlite(dir) => Store::open_read_only(&dir.path().join("t.db")),
            TestDb::Postgres(db) => Store::open_postgres_read_only(&db.url),
        }
    }

    /// A folder for the test's other files (its config).
    pub fn folder(&self) -> PathBuf {
        match self {
            TestDb::Sqlite(dir) => dir.path().to_path_buf(),
            TestDb::Postgres(db) => {
                let dir = std::env::temp_dir().join(&db.name);
                std::fs::create_dir_all(&dir).unwrap();
                dir
            }
        }
    }

    /// The `[storage]` table of a config on this database.
    pub fn storage_table(&self) -> String {
        match self {
            TestDb::Sqlite(_) => "[storage]\npath = \"feedbraid.db\"\n".into(),
            TestDb::Postgres(db) => format!("[storage]\nurl = \"{}\"\n", db.url),
        }
    }

    /// [`super::write_config`] on this database.
    pub fn write_config(&self, body: &str) -> PathBuf {
        super::write_config_on(&self.folder(), &self.storage_table(), body)
    }

    /// [`super::write_config_with_fetch`] on this database.
    pub fn write_config_with_fetch(&self, fetch: &str, body: &str) -> PathBuf {
        super::write_config_with_fetch_on(&self.folder(), &self.storage_table(), fetch, body)
    }
}

impl PgDatabase {
    /// The rows `sql` returns, each column as text (`None` for NULL).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let (url, sql) = (self.url.clone(), sql.to_string());
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            client
                .simple_query(&sql)
                .unwrap()
                .into_iter()
                .filter_map(|message| match message {
                    postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_string))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect()
        })
        .join()
        .unwrap()
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        admin(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(&self.name));
    }
}

/// Runs `sql` on the server's own database, on a plain thread: the client runs a
/// runtime of its own, which must not start inside the test's.
fn admin(server: &str, sql: &str) {
    let (server, sql) = (server.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to FEEDBRAID_TEST_PG: {e}"));
        client
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
    .join()
    .unwrap();
}

/// Writes a test once and runs it on each backend: `name::sqlite` and
/// `name::postgres`, each with a fresh [`TestDb`].
macro_rules! each_backend {
    ($(#[doc = $doc:literal])* async fn $name:ident($db:ident: TestDb) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::common::backends::TestDb;

            async fn run($db: TestDb) $body

            #[tokio::test]
            async fn sqlite() {
                run(TestDb::sqlite()).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = TestDb::postgres() {
                    run(db).await
                }
            }
        }
    };
}

pub(crate) use each_backend;
