//! TLS to PostgreSQL, as a database URL asks with libpq's `sslmode` and
//! `sslrootcert`, against a server with TLS on: `FEEDBRAID_TEST_PG` names it and
//! `FEEDBRAID_TEST_PG_CA` the PEM file of the authority that signed its certificate
//! for `127.0.0.1` (`.ci/run` sets both up with `scripts/pg_test_certs.sh`). Without
//! them the tests skip with a printed reason; under CI they fail instead.

use crate::common::backends::{PgDatabase, TestDb};
use crate::common::under_ci;
use feedbraid::cluster::Settings;
use feedbraid::store::Store;

/// A new database on the TLS server, and its authority's PEM file.
fn tls_database() -> Option<(TestDb, String)> {
    let Some(ca) = std::env::var("FEEDBRAID_TEST_PG_CA")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        assert!(
            !under_ci(),
            "FEEDBRAID_TEST_PG_CA is not set; CI=true requires a PostgreSQL server with TLS (.ci/run starts one)"
        );
        eprintln!(
            "SKIPPED: FEEDBRAID_TEST_PG_CA names no CA file of a PostgreSQL server with TLS on (see scripts/pg_test_certs.sh)"
        );
        return None;
    };
    let db = TestDb::postgres()?;
    Some((db, ca))
}

fn pg(db: &TestDb) -> &PgDatabase {
    match db {
        TestDb::Postgres(pg) => pg,
        TestDb::Sqlite(_) => unreachable!("TestDb::postgres opens PostgreSQL"),
    }
}

/// The test database's URL with `query` added.
fn url_with(db: &TestDb, query: &str) -> String {
    let mut url = url::Url::parse(&pg(db).url).unwrap();
    let joined = match url.query() {
        Some(existing) => format!("{existing}&{query}"),
        None => query.to_string(),
    };
    url.set_query(Some(&joined));
    url.to_string()
}

/// The test database's URL naming host `host`, reached at 127.0.0.1 (`hostaddr`).
fn url_naming_host(db: &TestDb, host: &str, query: &str) -> String {
    let mut url = url::Url::parse(&url_with(db, query)).unwrap();
    url.set_host(Some(host)).unwrap();
    url.query_pairs_mut().append_pair("hostaddr", "127.0.0.1");
    url.to_string()
}

/// Opens a writing store on `url` off the test's runtime, as the daemon does.
fn open(url: &str) -> Result<Store, String> {
    let url = url.to_string();
    std::thread::spawn(move || {
        Store::open_postgres(&url, Settings::default())
            .map_err(|e| format!("{:#}", anyhow::Error::new(e)))
    })
    .join()
    .unwrap()
}

/// The client certificates' names of the sessions on the test database.
fn client_names(db: &TestDb) -> Vec<String> {
    pg(db)
        .rows(
            "SELECT s.client_dn FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
             WHERE a.datname = current_database() AND s.ssl",
        )
        .into_iter()
        .map(|row| row[0].clone().unwrap_or_default())
        .collect()
}

/// Sessions on the test database that use TLS, and those that do not (the checking
/// session itself, which is plain, left out).
fn sessions(db: &TestDb) -> (usize, usize) {
    let rows = pg(db).rows(
        "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) \
         FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
         WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
    );
    let count = |i: usize| rows[0][i].as_deref().unwrap().parse().unwrap();
    (count(0), count(1))
}

/// Waits (a few seconds at most) for `want` TLS sessions: the thread that listens
/// for other nodes connects in the background once the store is open.
fn await_tls_sessions(db: &TestDb, want: usize) -> (usize, usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let seen = sessions(db);
        if seen.0 >= want || std::time::Instant::now() > deadline {
            return seen;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A file `scripts/pg_test_certs.sh` wrote beside `FEEDBRAID_TEST_PG_CA`.
fn beside(ca: &str, name: &str) -> String {
    std::path::Path::new(ca)
        .with_file_name(name)
        .display()
        .to_string()
}

#[tokio::test]
async fn verify_full_connects_every_session_with_tls_and_the_store_works() {
    let Some((db, ca)) = tls_database() else {
        return;
    };
    let store = open(&url_with(
        &db,
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .unwrap();
    store
        .sync_sources(vec![(
            "harbor".into(),
            "https://harbor.example/feed.xml".into(),
        )])
        .await
        .unwrap();
    let page = store
        .recent_items(None, None, 10, feedbraid::store::Html::With)
        .await
        .unwrap();
    assert!(page.items.is_empty());
    // The writing and reading connections, and the one that listens for other nodes.
    assert_eq!(await_tls_sessions(&db, 3), (3, 0));
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_for_another_host_and_verify_ca_takes_it() {
    let Some((db, ca)) = tls_database() else {
        return;
    };
    let roots = format!("sslrootcert={ca}");
    let error = open(&url_naming_host(
        &db,
        "db.invalid",
        &format!("sslmode=verify-full&{roots}"),
    ))
    .err()
    .expect("a certificate for 127.0.0.1 and localhost does not name db.invalid");
    assert!(error.contains("certificate"), "{error}");
    let store = open(&url_naming_host(
        &db,
        "db.invalid",
        &format!("sslmode=verify-ca&{roots}"),
    ))
    .unwrap();
    assert!(
        store
            .recent_items(None, None, 1, feedbraid::store::Html::With)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_authority_that_did_not_sign_the_certificate_is_refused_and_require_checks_nothing() {
    let Some((db, ca)) = tls_database() else {
        return;
    };
    let error = open(&url_with(&db, "sslmode=verify-full&sslrootcert=system"))
        .err()
        .expect("the test authority is not a Mozilla root");
    assert!(error.contains("certificate"), "{error}");
    for mode in ["verify-ca", "require"] {
        let other = beside(&ca, "other-ca.pem");
        let error = open(&url_with(
            &db,
            &format!("sslmode={mode}&sslrootcert={other}"),
        ))
        .err()
        .unwrap_or_else(|| panic!("sslmode={mode} took a certificate {other} did not sign"));
        assert!(error.contains("UnknownIssuer"), "{error}");
    }
    let store = open(&url_with(&db, "sslmode=require")).unwrap();
    assert!(
        store
            .recent_items(None, None, 1, feedbraid::store::Html::With)
            .await
            .is_ok()
    );
    assert_eq!(await_tls_sessions(&db, 3), (3, 0));
}

#[tokio::test]
async fn a_missing_authority_file_is_named() {
    let Some((db, _)) = tls_database() else {
        return;
    };
    let missing = std::env::temp_dir().join("feedbraid-no-such-ca.pem");
    let error = open(&url_with(
        &db,
        &format!("sslmode=verify-full&sslrootcert={}", missing.display()),
    ))
    .err()
    .expect("no such file");
    assert!(error.contains(&missing.display().to_string()), "{error}");
}

#[tokio::test]
async fn a_client_certificate_is_shown_to_a_server_that_asks() {
    let Some((db, ca)) = tls_database() else {
        return;
    };
    let (cert, key) = (beside(&ca, "client.pem"), beside(&ca, "client.key"));
    let store = open(&url_with(
        &db,
        &format!("sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={key}"),
    ))
    .unwrap();
    assert!(
        store
            .recent_items(None, None, 1, feedbraid::store::Html::With)
            .await
            .is_ok()
    );
    assert_eq!(await_tls_sessions(&db, 3), (3, 0));
    let names = client_names(&db);
    assert!(
        names.len() == 3 && names.iter().all(|name| name.contains("CN=feedbraid")),
        "{names:?}"
    );
    let error = open(&url_with(
        &db,
        &format!("sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={ca}"),
    ))
    .err()
    .expect("a certificate is not a key");
    assert!(error.contains("sslkey"), "{error}");
}
