//! The real-world robustness corpus (`../shared/corpus/feeds-robustness.tar.xz`: 382
//! documents kept as fixtures by five feed parsers' test suites, and real news feeds)
//! served as sources, polled once and republished as one feed of every item:
//! - no poll crashes or hangs;
//! - of the entries Python feedparser finds in the well-formed documents, at least
//!   99.5 % are stored;
//! - a document that stores nothing where feedparser finds entries has an error
//!   recorded on its source;
//! - the feed of every item parses strictly as RSS, Atom and JSON Feed and holds no
//!   active content.
//!
//! feedparser's counts are the fixture `tests/fixtures/robustness/feedparser-counts.tsv`
//! (made by `tests/it/support/robustness_counts.py`), so the test needs no Python. Skips
//! with a message where the corpus is absent (a fresh clone without `../shared`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{FeedServer, Harness, write_config_with_fetch};
use crate::hostile::outputs;
use crate::support::shared_corpus;
use feedbraid::model::SourceState;
use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// The robustness corpus's archive in `../shared/corpus/`.
const ARCHIVE: &str = "feeds-robustness.tar.xz";

/// The folder of the archive that holds the documents.
const FOLDER: &str = "robustness";

/// Files of that folder that are not documents.
const NOT_DOCUMENTS: &[&str] = &["MANIFEST.csv", "SOURCES.md", "README.md"];

/// feedparser's entry counts, kept as names and numbers only (no corpus text).
const COUNTS: &str = include_str!("../fixtures/robustness/feedparser-counts.tsv");

/// The target: the share of feedparser's entries in well-formed documents
/// that are stored.
const TARGET_RATIO: f64 = 0.995;

/// The longest the poll of the whole corpus may take before it counts as a hang:
/// it takes ~12 s in a debug build alone, and went past 60 s on a 2-core machine
/// running the rest of the suite and a release build beside it. Only a hang should
/// reach this; how fast parsing is is the benchmarks' business.
const POLL_DEADLINE: Duration = Duration::from_secs(240);

/// What feedparser found in one document.
#[derive(Debug, Clone, Copy)]
struct Expected {
    entries: u64,
    well_formed: bool,
}

/// The fixture's rows by document name (lines starting with `#` are its header).
fn expected_counts() -> BTreeMap<String, Expected> {
    let mut counts = BTreeMap::new();
    for (number, line) in COUNTS.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, entries, well_formed] = fields[..] else {
            panic!("counts line {}: expected 3 fields: {line:?}", number + 1);
        };
        let entries = entries
            .parse()
            .unwrap_or_else(|e| panic!("counts line {}: {entries:?}: {e}", number + 1));
        let well_formed = match well_formed {
            "yes" => true,
            "no" => false,
            other => panic!("counts line {}: well-formed {other:?}", number + 1),
        };
        counts.insert(
            name.to_owned(),
            Expected {
                entries,
                well_formed,
            },
        );
    }
    counts
}

/// The documents of the unpacked corpus: (file name, bytes), by name.
fn documents(unpacked: &Path) -> Vec<(String, Vec<u8>)> {
    let folder = unpacked.join(FOLDER);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_file())
        .map(|entry| entry.file_name().into_string().unwrap())
        .filter(|name| !NOT_DOCUMENTS.contains(&name.as_str()))
        .map(|name| {
            let bytes = std::fs::read(folder.join(&name)).unwrap();
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// A source name for a document: `[A-Za-z0-9_-]` only.
fn source_name(file: &str) -> String {
    file.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Whether a document is gzip-compressed (served with `Content-Encoding: gzip`, as a
/// web server serves a precompressed file; the HTTP client undoes it).
fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// What a strict XML reader objects to in `body`: mismatched or unclosed end tags,
/// bad comments, malformed attributes, undefined entity references, a DOCTYPE, or
/// not exactly one root element.
fn quick_xml_problem(body: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(body);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.allow_unmatched_ends = false;
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let position = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => return Some(format!("at byte {position}: {e}")),
        };
        let checked = match &event {
            Event::Start(e) | Event::Empty(e) => {
                if depth == 0 {
                    roots += 1;
                }
                e.attributes()
                    .try_for_each(|attr| {
                        attr.map_err(|e| e.to_string())?
                            .normalized_value(XmlVersion::Implicit1_0)
                            .map(drop)
                            .map_err(|e| e.to_string())
                    })
                    .err()
            }
            Event::GeneralRef(e) => match e.resolve_char_ref() {
                Ok(Some(_)) => None,
                Ok(None) if matches!(&**e, "lt" | "gt" | "amp" | "apos" | "quot") => None,
                Ok(None) => Some(format!("undefined entity &{};", &**e)),
                Err(e) => Some(e.to_string()),
            },
            Event::DocType(_) => Some("a DOCTYPE".to_owned()),
            Event::Eof => break,
            _ => None,
        };
        if let Some(problem) = checked {
            return Some(format!("at byte {position}: {problem}"));
        }
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            _ => {}
        }
    }
    match (depth, roots) {
        (0, 1) => None,
        (0, n) => Some(format!("{n} root elements")),
        (open, _) => Some(format!("{open} elements left open at the end")),
    }
}

/// Everything wrong with the served everything feed in `format`, as (document the
/// problem comes from, or the feed itself for its own fields; problem): strict XML,
/// then the checks of `hostile/outputs.rs` and no `<form` anywhere, item by item.
/// Items are told apart by the source each names (RSS `<source>`, Atom
/// `<source><title>`, JSON Feed `_feedbraid.source.name`).
fn check_output(
    format: &str,
    body: &str,
    sources: &HashMap<String, &str>,
) -> Vec<(String, String)> {
    let feed = format!("everything.{format}");
    let mut found: Vec<(String, String)> = Vec::new();
    let mut report = |source: Option<&str>, problems: Vec<String>| {
        let document = match source {
            Some(name) => sources.get(name).map_or(name, |file| *file).to_owned(),
            None => feed.clone(),
        };
        found.extend(
            problems
                .into_iter()
                .map(|problem| (document.clone(), format!("{format}: {problem}"))),
        );
    };
    let raw = |text: &str| {
        let mut problems = outputs::raw_problems(text);
        if text.to_ascii_lowercase().contains("<form") {
            problems.push("raw output contains \"<form\"".to_owned());
        }
        problems
    };
    if format == "json" {
        let mut document: serde_json::Value = match serde_json::from_str(body) {
            Ok(document) => document,
            Err(e) => {
                report(None, vec![format!("JSON does not parse: {e}")]);
                return found;
            }
        };
        let items = match document.get_mut("items").map(serde_json::Value::take) {
            Some(serde_json::Value::Array(items)) => items,
            other => {
                report(None, vec![format!("no items list: {other:?}")]);
                return found;
            }
        };
        let mut problems = outputs::json_value_problems(&document);
        problems.extend(raw(&document.to_string()));
        report(None, problems);
        for item in &items {
            let mut problems = outputs::json_value_problems(item);
            problems.extend(raw(&item.to_string()));
            report(item["_feedbraid"]["source"]["name"].as_str(), problems);
        }
        return found;
    }
    if let Some(problem) = quick_xml_problem(body) {
        report(None, vec![format!("not well-formed XML: {problem}")]);
    }
    let document = match roxmltree::Document::parse(body) {
        Ok(document) => document,
        Err(e) => {
            report(None, vec![format!("XML does not parse strictly: {e}")]);
            return found;
        }
    };
    let root = document.root_element();
    let (container, item_name) = match format {
        "rss" => match root.children().find(|n| n.has_tag_name("channel")) {
            Some(channel) => (channel, "item"),
            None => {
                report(None, vec!["no <channel>".to_owned()]);
                return found;
            }
        },
        _ => (root, "entry"),
    };
    let mut own = raw(&body[..container.first_child().map_or(0, |n| n.range().start)]);
    outputs::element_problems(root, &mut own);
    if container != root {
        outputs::element_problems(container, &mut own);
    }
    for child in container.children().filter(|n| n.is_element()) {
        let mut problems = raw(&body[child.range()]);
        for node in child.descendants().filter(|n| n.is_element()) {
            outputs::element_problems(node, &mut problems);
        }
        if !child.has_tag_name(item_name) {
            own.append(&mut problems);
            continue;
        }
        let source = child.children().find(|n| n.has_tag_name("source"));
        let source = match format {
            "rss" => source.and_then(|s| s.text()),
            _ => source
                .and_then(|s| s.children().find(|n| n.has_tag_name("title")))
                .and_then(|t| t.text()),
        };
        report(source, problems);
    }
    report(None, own);
    found
}

/// One line per document: what feedparser found, what was stored, and the source's
/// error.
fn describe(file: &str, expected: Expected, state: &SourceState) -> String {
    let error = state.error.as_deref().unwrap_or("no error recorded");
    format!(
        "{file}: feedparser {}, stored {}{} ({error})",
        expected.entries,
        state.items,
        if expected.well_formed {
            ""
        } else {
            ", not well-formed"
        }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_robustness_corpus_is_ingested_and_republished_safely() {
    let started = Instant::now();
    let Some(unpacked) = shared_corpus::unpacked_or_skip(ARCHIVE) else {
        return;
    };
    let files = documents(unpacked.path());
    let expected = expected_counts();
    let names: Vec<&String> = files.iter().map(|(name, _)| name).collect();
    let listed: Vec<&String> = expected.keys().collect();
    assert_eq!(
        names, listed,
        "the corpus and tests/fixtures/robustness/feedparser-counts.tsv list different documents: \
         regenerate the fixture with tests/it/support/robustness_counts.py"
    );

    let server = FeedServer::start().await;
    let mut body = String::new();
    let mut sources: HashMap<String, &str> = HashMap::new();
    for (file, bytes) in &files {
        if is_gzip(bytes) {
            server.set_encoded(file, bytes.clone(), "gzip");
        } else {
            server.set(file, bytes.clone());
        }
        let name = source_name(file);
        body.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n\n",
            server.url(file)
        ));
        let earlier = sources.insert(name.clone(), file);
        assert!(
            earlier.is_none(),
            "{file} and {earlier:?} share a source name"
        );
    }
    body.push_str(
        "[[feed]]\nname = \"everything\"\ntitle = \"Every item\"\n\
         dedup = \"keep\"\nlimit = 100000\n",
    );
    let dir = tempfile::tempdir().unwrap();
    // Every document is on one loopback host: allow as many requests to it in flight
    // as the fetcher runs at all.
    let config = write_config_with_fetch(
        dir.path(),
        "timeout = \"10s\"\nconcurrency = 16\nper_host = 16",
        &body,
    );
    let h = Harness::start(&config).await;
    let polling = Instant::now();
    let reports = tokio::time::timeout(POLL_DEADLINE, h.poll())
        .await
        .unwrap_or_else(|_| panic!("polling the corpus took longer than {POLL_DEADLINE:?}"));
    let poll_took = polling.elapsed();
    assert_eq!(reports.len(), files.len(), "one report per source");

    let states: HashMap<String, SourceState> = h
        .ctx
        .store
        .source_states(files.iter().map(|(file, _)| source_name(file)).collect())
        .await
        .unwrap()
        .into_iter()
        .map(|state| (state.name.clone(), state))
        .collect();

    let mut problems = Vec::new();
    let (mut found, mut stored) = (0u64, 0u64);
    let mut losses = Vec::new();
    let mut silent = Vec::new();
    let mut refused = Vec::new();
    let mut beyond = Vec::new();
    let (mut ill_formed, mut ill_formed_found, mut ill_formed_stored) = (0, 0u64, 0u64);
    for (file, _) in &files {
        let want = expected[file];
        let Some(state) = states.get(&source_name(file)) else {
            problems.push(format!("{file}: no state recorded for its source"));
            continue;
        };
        let line = describe(file, want, state);
        if let Some(error) = &state.error {
            if error.contains("panicked") {
                problems.push(format!("{file}: crashed the parser: {error}"));
            }
            refused.push(line.clone());
        }
        if want.well_formed {
            found += want.entries;
            stored += state.items.min(want.entries);
            if state.items < want.entries {
                losses.push(line.clone());
            }
        } else {
            ill_formed += 1;
            ill_formed_found += want.entries;
            ill_formed_stored += state.items;
        }
        if state.items > want.entries {
            beyond.push(line.clone());
        }
        if state.items == 0 && want.entries > 0 && state.error.is_none() {
            silent.push(line);
        }
    }
    let ratio = stored as f64 / found.max(1) as f64;

    let mut outputs = Vec::new();
    let mut bodies = Vec::new();
    for format in ["rss", "atom", "json"] {
        let url = h.url(&format!("/feeds/everything.{format}"));
        let (status, _, body) = crate::common::get(&url, &[]).await;
        if status == 200 {
            outputs.push(format!("{format} {} bytes", body.len()));
            bodies.push((format, body));
        } else {
            problems.push(format!("everything.{format}: HTTP {status}"));
        }
    }
    // Each format is checked on its own thread (the checks tokenize every HTML
    // payload: the slowest part of this test in debug builds).
    let sources = &sources;
    let checked: Vec<Vec<(String, String)>> = std::thread::scope(|scope| {
        let checks: Vec<_> = bodies
            .iter()
            .map(|(format, body)| scope.spawn(move || check_output(format, body, sources)))
            .collect();
        checks.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for (document, problem) in checked.into_iter().flatten() {
        problems.push(format!("{document}: {problem}"));
    }

    println!(
        "{} documents polled in {:.1}s ({:.1}s in all); served {}",
        files.len(),
        poll_took.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        outputs.join(", ")
    );
    println!(
        "stored {stored} of the {found} entries feedparser finds in the well-formed documents: \
         {ratio:.4} (target {TARGET_RATIO})"
    );
    println!(
        "documents with losses ({}):\n  {}",
        losses.len(),
        losses.join("\n  ")
    );
    println!(
        "{ill_formed} documents are not well-formed: feedparser finds {ill_formed_found} \
         entries in them, {ill_formed_stored} were stored"
    );
    println!(
        "documents with more items stored than feedparser finds ({}):\n  {}",
        beyond.len(),
        beyond.join("\n  ")
    );
    println!(
        "documents with an error recorded ({}):\n  {}",
        refused.len(),
        refused.join("\n  ")
    );

    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        silent.is_empty(),
        "documents that stored nothing without an error on their source:\n{}",
        silent.join("\n")
    );
    assert!(
        ratio >= TARGET_RATIO,
        "stored {stored} of {found} entries ({ratio:.4}, target {TARGET_RATIO}); losses:\n{}",
        losses.join("\n")
    );
}
