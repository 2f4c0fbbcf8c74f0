//! Replaying the real-news corpus through parsing and the store, and scoring the
//! stories it forms against labelled pairs. Shared by the replay bench and the test
//! that holds the floor on the same corpus (each declares `shared_corpus.rs` as the
//! sibling module `shared_corpus`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use feedbraid::cluster::Settings;
use feedbraid::parse::KnownContent;
use feedbraid::store::{PollRecord, Store};

use super::shared_corpus;

/// The real-news corpus's archive in `../shared/corpus/`.
const ARCHIVE: &str = "realnews-syndicated.tar.xz";

/// The labelled pairs, kept as ids and labels only (no corpus text).
const LABELS: &str = include_str!("../../fixtures/stories/realnews-pairs.tsv");

/// The corpus unpacked into a temporary folder, or `None` where it is absent (see
/// [`shared_corpus::unpacked_or_skip`]).
pub fn unpacked_corpus() -> Option<tempfile::TempDir> {
    shared_corpus::unpacked_or_skip(ARCHIVE)
}

/// How two labelled items relate, as read by a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// One piece of journalism in two outlets (or a listing of it).
    SameReport,
    /// The same event, written up separately.
    SameEvent,
    Different,
}

/// Which half of the labels a pair belongs to: thresholds were chosen looking at
/// `Tune` only; `Held` is reported beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Tune,
    Held,
}

/// One labelled pair: item ids are `outlet/guid`.
#[derive(Debug, Clone)]
pub struct LabelledPair {
    pub a: String,
    pub b: String,
    pub label: Label,
    pub split: Split,
    /// Drawn from pairs a build had merged (stratum `merged-…`): they measure
    /// precision, and would flatter recall.
    pub from_merges: bool,
}

/// The labelled pairs of the fixture file (lines starting with `#` are its header).
pub fn labelled_pairs() -> Result<Vec<LabelledPair>, String> {
    let mut pairs = Vec::new();
    for (number, line) in LABELS.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [a, b, label, split, stratum, ..] = fields[..] else {
            return Err(format!("labels line {}: too few fields", number + 1));
        };
        let label = match label {
            "same_report" => Label::SameReport,
            "same_event" => Label::SameEvent,
            "different" => Label::Different,
            other => return Err(format!("labels line {}: label {other:?}", number + 1)),
        };
        let split = match split {
            "tune" => Split::Tune,
            "held" => Split::Held,
            other => return Err(format!("labels line {}: split {other:?}", number + 1)),
        };
        pairs.push(LabelledPair {
            a: a.to_owned(),
            b: b.to_owned(),
            label,
            split,
            from_merges: stratum.starts_with("merged"),
        });
    }
    Ok(pairs)
}

/// One stored item after the replay.
#[derive(Debug, Clone)]
pub struct StoredCopy {
    pub item: i64,
    pub outlet: String,
    pub story: i64,
    pub layer: Option<String>,
    pub score: Option<f64>,
    pub title: String,
    pub first_seen: i64,
    pub fingerprint: Option<Vec<u8>>,
}

/// What the replay left in the database.
pub struct Outcome {
    pub snapshots: usize,
    /// By `outlet/guid` and `outlet/link`.
    pub items: HashMap<String, StoredCopy>,
    /// Items stored.
    pub stored: usize,
    /// The folder of the database the replay wrote (`replay.db`), removed when dropped
    /// (measured by `benches/replay.rs`; the tests read the items above).
    #[allow(dead_code)]
    pub database: tempfile::TempDir,
}

impl Outcome {
    /// Stories holding items of at least two outlets.
    fn multi_source_stories(&self) -> usize {
        let mut outlets: HashMap<i64, Vec<&str>> = HashMap::new();
        for copy in self.distinct() {
            let list = outlets.entry(copy.story).or_default();
            if !list.contains(&copy.outlet.as_str()) {
                list.push(&copy.outlet);
            }
        }
        outlets.values().filter(|list| list.len() > 1).count()
    }

    /// How many items joined a story through each layer.
    fn joins_by_layer(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for copy in self.distinct() {
            if let Some(layer) = &copy.layer {
                *counts.entry(layer.clone()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// One line: snapshots, items, stories across outlets, days covered, and how many
    /// items joined a story through each layer.
    pub fn summary(&self) -> String {
        let seen = self.distinct().map(|copy| copy.first_seen);
        let (first, last) = seen.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        let joins: Vec<String> = self
            .joins_by_layer()
            .into_iter()
            .map(|(layer, count)| format!("{layer} {count}"))
            .collect();
        format!(
            "{} snapshots over {:.1} days, {} items stored, {} stories with copies from several outlets; joined by {}",
            self.snapshots,
            (last - first).max(0) as f64 / 86_400.0,
            self.stored,
            self.multi_source_stories(),
            joins.join(", ")
        )
    }

    /// Stored items whose fingerprint is missing or not of this version.
    pub fn unreadable_fingerprints(&self) -> usize {
        self.distinct()
            .filter(|copy| {
                copy.fingerprint
                    .as_deref()
                    .is_none_or(|bytes| feedbraid::cluster::Fingerprint::from_bytes(bytes).is_err())
            })
            .count()
    }

    /// Each stored item once (`items` holds most twice, by guid and by link).
    fn distinct(&self) -> impl Iterator<Item = &StoredCopy> {
        let mut seen = std::collections::HashSet::new();
        self.items
            .values()
            .filter(move |copy| seen.insert(copy.item))
    }

    fn same_story(&self, a: &str, b: &str) -> Option<bool> {
        Some(self.items.get(a)?.story == self.items.get(b)?.story)
    }
}

/// Polls every outlet's snapshots of the corpus unpacked at `unpacked` in time
/// order into a new database with the default clustering settings.
pub fn replay(unpacked: &Path) -> Result<Outcome, String> {
    replay_into(unpacked, None)
}

/// [`replay`] into the (empty) PostgreSQL database at `postgres` instead of a SQLite
/// file.
pub fn replay_into(unpacked: &Path, postgres: Option<&str>) -> Result<Outcome, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = unpacked.join("syndicated");
    let mut snapshots: Vec<(DateTime<Utc>, String, PathBuf)> = Vec::new();
    let mut outlets = Vec::new();
    for outlet in std::fs::read_dir(&root).map_err(|e| e.to_string())? {
        let outlet = outlet.map_err(|e| e.to_string())?;
        if !outlet.path().is_dir() {
            continue;
        }
        let name = outlet.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(outlet.path()).map_err(|e| e.to_string())? {
            let path = file.map_err(|e| e.to_string())?.path();
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let Ok(at) = NaiveDateTime::parse_from_str(stem, "%Y%m%dT%H%MZ") else {
                continue;
            };
            snapshots.push((at.and_utc(), name.clone(), path));
        }
        outlets.push(name);
    }
    snapshots.sort();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let db = dir.path().join("replay.db");
    runtime.block_on(async {
        let store = match postgres {
            Some(url) => Store::open_postgres(url, Settings::default()),
            None => Store::open_with(&db, Settings::default()),
        }
        .map_err(|e| e.to_string())?;
        let sources = outlets
            .iter()
            .map(|name| (name.clone(), feed_url(name)))
            .collect();
        store
            .sync_sources(sources)
            .await
            .map_err(|e| e.to_string())?;
        // What each outlet served at its last poll, as the daemon's poller keeps it.
        let last_served = feedbraid::poll::LastServed::default();
        for (at, outlet, path) in &snapshots {
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            let url = url::Url::parse(&feed_url(outlet)).map_err(|e| e.to_string())?;
            let known = last_served.of(outlet);
            // An outlet feedbraid cannot parse is that outlet's loss, as in the daemon.
            let Ok((feed, _notes)) = feedbraid::parse::parse_feed_with_rules(
                &bytes,
                &url,
                None,
                None,
                None,
                known.as_deref(),
            ) else {
                continue;
            };
            let served = KnownContent::of(feed.entries.iter().map(|e| e.content_hash.as_str()));
            let record = PollRecord {
                at: *at,
                http_status: 200,
                etag: None,
                last_modified: None,
                feed: Some(feed),
                next_poll: *at,
                redirect_target: None,
                redirect_seen: 0,
                adopt_url: None,
                full_text: false,
            };
            store
                .record_poll(outlet, record)
                .await
                .map_err(|e| format!("{outlet}: {e}"))?;
            last_served.remember(outlet, served);
        }
        Ok::<(), String>(())
    })?;

    let rows = match postgres {
        Some(url) => stored_on_postgres(url)?,
        None => stored_on_sqlite(&db)?,
    };
    // Labels name an item by its guid as written in the feed, or by its link where
    // the guid is a URL the parser normalized. The store keeps the guid in the item's
    // key (`g:` and the guid trimmed; a URL guid normalized, a repeated one suffixed).
    let mut items = HashMap::new();
    let mut stored = 0;
    for (key, link, copy) in rows {
        stored += 1;
        let guid = key.strip_prefix("g:").map(str::to_owned);
        for id in [link, guid].into_iter().flatten() {
            items.insert(format!("{}/{id}", copy.outlet), copy.clone());
        }
    }
    Ok(Outcome {
        snapshots: snapshots.len(),
        items,
        stored,
        database: dir,
    })
}

/// Each stored item: its key, its link, and the copy as the replay scores it.
type StoredRow = (String, Option<String>, StoredCopy);

const STORED: &str = "SELECT s.name, i.item_key, i.link, i.story_id, i.story_layer, i.story_score,
        i.title, i.id, i.first_seen, i.fingerprint
    FROM items i JOIN sources s ON s.id = i.source_id";

fn stored_on_sqlite(db: &Path) -> Result<Vec<StoredRow>, String> {
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let mut stmt = conn.prepare(STORED).map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| {
            let copy = StoredCopy {
                item: r.get(7)?,
                outlet: r.get(0)?,
                story: r.get(3)?,
                layer: r.get(4)?,
                score: r.get(5)?,
                title: r.get(6)?,
                first_seen: r.get(8)?,
                fingerprint: r.get(9)?,
            };
            Ok((r.get(1)?, r.get(2)?, copy))
        })
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
}

fn stored_on_postgres(url: &str) -> Result<Vec<StoredRow>, String> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
    let rows = client.query(STORED, &[]).map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| {
            let copy = StoredCopy {
                item: r.try_get(7)?,
                outlet: r.try_get(0)?,
                story: r.try_get(3)?,
                layer: r.try_get(4)?,
                score: r.try_get(5)?,
                title: r.try_get(6)?,
                first_seen: r.try_get(8)?,
                fingerprint: r.try_get(9)?,
            };
            Ok((r.try_get(1)?, r.try_get(2)?, copy))
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(|e| e.to_string())
}

fn feed_url(outlet: &str) -> String {
    format!("http://feeds.invalid/{outlet}.xml")
}

/// Precision and recall of the stories on one split of the labels.
pub struct Score {
    pub split: Option<Split>,
    pub same_report: usize,
    pub same_report_joined: usize,
    pub merged: usize,
    pub merged_same_story: usize,
    pub merged_different: usize,
    pub unknown: usize,
}

impl Score {
    pub fn recall(&self) -> f64 {
        self.same_report_joined as f64 / self.same_report.max(1) as f64
    }

    pub fn precision(&self) -> f64 {
        if self.merged == 0 {
            return 1.0;
        }
        self.merged_same_story as f64 / self.merged as f64
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let split = match self.split {
            Some(Split::Tune) => "tune",
            Some(Split::Held) => "held-out",
            None => "all",
        };
        write!(
            f,
            "RESULT {split:8} recall {:.3} ({}/{} same-report candidate pairs in one story)  precision {:.3} ({}/{} merged labelled pairs the same story; {} different news merged){}",
            self.recall(),
            self.same_report_joined,
            self.same_report,
            self.precision(),
            self.merged_same_story,
            self.merged,
            self.merged_different,
            if self.unknown > 0 {
                format!("  [{} labelled items not stored]", self.unknown)
            } else {
                String::new()
            }
        )
    }
}

/// Scores `outcome` on the labelled pairs of `split` (all of them for `None`).
pub fn score(outcome: &Outcome, labels: &[LabelledPair], split: Option<Split>) -> Score {
    let mut score = Score {
        split,
        same_report: 0,
        same_report_joined: 0,
        merged: 0,
        merged_same_story: 0,
        merged_different: 0,
        unknown: 0,
    };
    for pair in labels.iter().filter(|p| split.is_none_or(|s| p.split == s)) {
        let Some(joined) = outcome.same_story(&pair.a, &pair.b) else {
            score.unknown += 1;
            continue;
        };
        if pair.label == Label::SameReport && !pair.from_merges {
            score.same_report += 1;
            score.same_report_joined += usize::from(joined);
        }
        if joined {
            score.merged += 1;
            match pair.label {
                Label::Different => score.merged_different += 1,
                _ => score.merged_same_story += 1,
            }
        }
    }
    score
}

/// One line per labelled pair the stories get wrong: a same report apart, or
/// different news merged.
pub fn misses(outcome: &Outcome, labels: &[LabelledPair]) -> Vec<String> {
    let mut lines = Vec::new();
    for pair in labels {
        let (Some(a), Some(b)) = (outcome.items.get(&pair.a), outcome.items.get(&pair.b)) else {
            lines.push(format!("NOT STORED {} | {}", pair.a, pair.b));
            continue;
        };
        let joined = a.story == b.story;
        let wrong = match pair.label {
            Label::SameReport => !joined,
            Label::SameEvent => false,
            Label::Different => joined,
        };
        if wrong {
            let kind = if joined { "MERGED" } else { "APART" };
            lines.push(format!(
                "{kind} {:?}\n  {} [{:?} {:?}] {}\n  {} [{:?} {:?}] {}",
                pair.label, pair.a, a.layer, a.score, a.title, pair.b, b.layer, b.score, b.title
            ));
        }
    }
    lines
}
