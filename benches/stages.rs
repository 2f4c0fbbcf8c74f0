//! Criterion benches of the pure stages, each on realistic news items (see
//! `support/corpus.rs`): parse (feed-rs alone, feed-rs + ammonia as the floor, and
//! feedbraid's full parse with normalization), sanitize, identity, topic matching,
//! rendering a 50-item feed, and `publish::assemble`.
//!
//! Run: `cargo bench --bench stages`.

#[path = "support/news_feeds.rs"]
mod news_feeds;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use chrono::{TimeZone, Utc};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use feedbraid::config::Config;
use feedbraid::identity::{self, KeyCandidate, VisibleFields};
use feedbraid::model::StoredItem;
use feedbraid::render::{self, Format};
use feedbraid::topic::{Filter, ItemFields};

use news_feeds::FarmShape;

const SHAPE: FarmShape = FarmShape {
    feeds: 10,
    items: 50,
    syndicated_percent: 20,
    weight: news_feeds::ItemWeight::Heavy,
};

const LIGHT: FarmShape = FarmShape {
    weight: news_feeds::ItemWeight::Light,
    ..SHAPE
};

fn feed_url() -> url::Url {
    url::Url::parse("https://f3.farm.test/feed.xml").expect("static URL")
}

fn bench_parse(c: &mut Criterion) {
    let doc = news_feeds::rss_document(SHAPE, 3);
    let url = feed_url();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.bench_function("feed_rs_only_50_items", |b| {
        b.iter(|| feed_rs::parser::parse(black_box(&doc[..])).expect("parses"))
    });
    group.bench_function("floor_feed_rs_plus_ammonia_50_items", |b| {
        b.iter(|| floor_parse_sanitize(black_box(&doc)))
    });
    group.bench_function("feedbraid_parse_feed_50_items", |b| {
        b.iter(|| feedbraid::parse::parse_feed(black_box(&doc), &url).expect("parses"))
    });
    // The light shape of issue 20: most items a title, a link and a short summary.
    let light = news_feeds::rss_document(LIGHT, 3);
    group.throughput(Throughput::Bytes(light.len() as u64));
    group.bench_function("floor_feed_rs_plus_ammonia_50_light_items", |b| {
        b.iter(|| floor_parse_sanitize(black_box(&light)))
    });
    group.bench_function("feedbraid_parse_feed_50_light_items", |b| {
        b.iter(|| feedbraid::parse::parse_feed(black_box(&light), &url).expect("parses"))
    });
    group.finish();
}

/// What parsing does with a light item's text, stage by stage: take the text of its
/// sanitized HTML, fold it, split it into words, fingerprint it. Over thousands of distinct items, as ingest meets
/// them: over a few dozen, repeated, the processor learns every branch of the text
/// by heart and byte-at-a-time code measures several times faster than it runs.
fn bench_words(c: &mut Criterion) {
    use feedbraid::cluster::Fingerprint;
    use feedbraid::topic::words::{normalize, split_words};
    let shape = FarmShape {
        feeds: 100,
        ..LIGHT
    };
    // Each item's title, its sanitized summary and that summary's text, as parsing
    // derives them.
    let base = feed_url();
    let (titles, sanitized): (Vec<String>, Vec<String>) = (0..shape.feeds)
        .flat_map(|feed| (0..shape.items).map(move |i| news_feeds::news_item(shape, feed, i)))
        .map(|item| {
            let html = feedbraid::sanitize::sanitize_html(&item.description, Some(&base));
            (item.title, html)
        })
        .unzip();
    let texts = sanitized
        .iter()
        .map(|html| feedbraid::sanitize::sanitized_html_to_text(html));
    let items: Vec<(String, String)> = titles.into_iter().zip(texts).collect();
    let folded: Vec<String> = items.iter().map(|(_, text)| normalize(text)).collect();
    let mut group = c.benchmark_group("words");
    group.throughput(Throughput::Elements(items.len() as u64));
    group.bench_function("text_of_sanitized_light", |b| {
        b.iter(|| {
            let texts = sanitized
                .iter()
                .map(|html| feedbraid::sanitize::sanitized_html_to_text(black_box(html)).len());
            texts.sum::<usize>()
        })
    });
    group.bench_function("fold_light", |b| {
        b.iter(|| {
            let folded = items
                .iter()
                .map(|(_, text)| normalize(black_box(text)).len());
            folded.sum::<usize>()
        })
    });
    group.bench_function("split_light", |b| {
        b.iter(|| {
            let words = folded.iter().map(|text| split_words(black_box(text)).len());
            words.sum::<usize>()
        })
    });
    let words: Vec<Vec<&str>> = folded.iter().map(|text| split_words(text)).collect();
    group.bench_function("fingerprint_light", |b| {
        b.iter(|| {
            let texts = items.iter().zip(&folded).zip(&words);
            let shingles = texts.map(|(((title, _), folded), words)| {
                Fingerprint::of_words(black_box(title), black_box(folded), black_box(words))
                    .shingles
            });
            shingles.map(usize::from).sum::<usize>()
        })
    });
    group.finish();
}

/// The floor: what any aggregator must do with these bytes (feed-rs, then ammonia
/// over every summary and content). Returns the bytes of HTML produced.
pub fn floor_parse_sanitize(doc: &[u8]) -> usize {
    let feed = feed_rs::parser::parse(doc).expect("parses");
    let mut out = 0;
    for entry in &feed.entries {
        if let Some(summary) = &entry.summary {
            out += ammonia::clean(&summary.content).len();
        }
        if let Some(body) = entry.content.as_ref().and_then(|c| c.body.as_deref()) {
            out += ammonia::clean(body).len();
        }
    }
    out
}

fn bench_sanitize(c: &mut Criterion) {
    let item = news_feeds::news_item(SHAPE, 3, 7);
    let base = url::Url::parse("https://outlet3.example/news/7").expect("static URL");
    let mut group = c.benchmark_group("sanitize");
    group.throughput(Throughput::Bytes(item.content.len() as u64));
    group.bench_function("ammonia_clean_content", |b| {
        b.iter(|| ammonia::clean(black_box(&item.content)))
    });
    group.bench_function("feedbraid_sanitize_html_content", |b| {
        b.iter(|| feedbraid::sanitize::sanitize_html(black_box(&item.content), Some(&base)))
    });
    group.bench_function("feedbraid_sanitize_html_by_tree_content", |b| {
        b.iter(|| feedbraid::sanitize::sanitize_html_by_tree(black_box(&item.content), Some(&base)))
    });
    // A light item's summary: paragraphs, a link and emphasis, which sanitizing
    // writes in one pass instead of through the tree.
    let summary = news_feeds::news_item(LIGHT, 3, 7).description;
    group.bench_function("feedbraid_sanitize_html_light_summary", |b| {
        b.iter(|| feedbraid::sanitize::sanitize_html(black_box(&summary), Some(&base)))
    });
    group.bench_function("feedbraid_sanitize_html_by_tree_light_summary", |b| {
        b.iter(|| feedbraid::sanitize::sanitize_html_by_tree(black_box(&summary), Some(&base)))
    });
    group.bench_function("feedbraid_html_to_text_content", |b| {
        b.iter(|| feedbraid::sanitize::html_to_text(black_box(&item.content)))
    });
    // What ingest does: the text of content it has just sanitized.
    let sanitized = feedbraid::sanitize::sanitize_html(&item.content, Some(&base));
    group.bench_function("feedbraid_html_to_text_of_sanitized", |b| {
        b.iter(|| feedbraid::sanitize::html_to_text(black_box(&sanitized)))
    });
    group.bench_function("feedbraid_sanitized_html_to_text", |b| {
        b.iter(|| feedbraid::sanitize::sanitized_html_to_text(black_box(&sanitized)))
    });
    group.finish();
}

fn bench_identity(c: &mut Criterion) {
    let url = feed_url();
    let parsed =
        feedbraid::parse::parse_feed(&news_feeds::rss_document(SHAPE, 3), &url).expect("parses");
    let links: Vec<String> = (0..50)
        .map(|i| news_feeds::news_item(SHAPE, 3, i).link)
        .collect();
    let mut group = c.benchmark_group("identity");
    group.throughput(Throughput::Elements(links.len() as u64));
    group.bench_function("canonical_link_x50", |b| {
        b.iter(|| {
            for link in &links {
                black_box(identity::canonical_link(black_box(link)));
            }
        })
    });
    group.bench_function("entry_key_x50", |b| {
        b.iter(|| {
            for entry in &parsed.entries {
                black_box(identity::entry_key(
                    entry.guid.as_deref(),
                    entry.canonical_link.as_deref(),
                    &entry.title,
                    "",
                ));
            }
        })
    });
    let candidates: Vec<KeyCandidate> = parsed
        .entries
        .iter()
        .map(|e| KeyCandidate {
            key: e.key.clone(),
            canonical_link: e.canonical_link.clone(),
            title: e.title.clone(),
            content: String::new(),
        })
        .collect();
    group.bench_function("disambiguate_keys_50", |b| {
        b.iter(|| identity::disambiguate_keys(black_box(&candidates)))
    });
    group.bench_function("content_hash_x50", |b| {
        b.iter(|| {
            for e in &parsed.entries {
                black_box(identity::content_hash(&VisibleFields {
                    title: &e.title,
                    link: e.link.as_deref(),
                    summary_html: e.summary_html.as_deref(),
                    content_html: e.content_html.as_deref(),
                    authors: &e.authors,
                    categories: &e.categories,
                    links: &e.links,
                }));
            }
        })
    });
    group.finish();
}

fn item_fields() -> Vec<ItemFields> {
    let url = feed_url();
    let parsed =
        feedbraid::parse::parse_feed(&news_feeds::rss_document(SHAPE, 3), &url).expect("parses");
    parsed
        .entries
        .iter()
        .map(|e| ItemFields {
            title: e.title.clone(),
            text: feedbraid::sanitize::html_to_text(
                e.content_html
                    .as_deref()
                    .or(e.summary_html.as_deref())
                    .unwrap_or(""),
            ),
            categories: e.categories.iter().map(|c| c.name.clone()).collect(),
            author: e.authors.join(", "),
            source: "outlet3".into(),
            tags: vec!["world".into(), "asia".into()],
            domain: "outlet3.example".into(),
        })
        .collect()
}

fn bench_topic(c: &mut Criterion) {
    let mut topics = BTreeMap::new();
    topics.insert("gulf".to_string(), "tehran OR iran* OR saudi*".to_string());
    let query = "(@gulf OR \"oil pipeline\" OR title:türkiye) AND NOT category:sport AND (tag:asia OR domain:example)";
    let items = item_fields();
    let mut group = c.benchmark_group("topic");
    group.bench_function("compile_query", |b| {
        b.iter(|| Filter::compile(&[], &["cricket".into()], Some(black_box(query)), &topics))
    });
    let filter = Filter::compile(
        &["ceasefire".into()],
        &["cricket".into()],
        Some(query),
        &topics,
    )
    .expect("compiles");
    group.throughput(Throughput::Elements(items.len() as u64));
    group.bench_function("prepare_x50", |b| {
        b.iter(|| {
            for item in &items {
                black_box(item.prepare());
            }
        })
    });
    // What parsing does instead for an item none of the filters can admit: search the
    // words they require in its text (folded already, for the fingerprint) and its
    // short fields (folded here).
    use feedbraid::topic::ScreenField;
    let screen = feedbraid::topic::Screen::new([&feedbraid::topic::parse_query(
        "zanzibar OR \"trade deal\" OR title:referendum",
        &topics,
    )
    .expect("parses")])
    .expect("every query has required words");
    let folded_texts: Vec<String> = items
        .iter()
        .map(|item| feedbraid::topic::words::normalize(&item.text))
        .collect();
    group.bench_function("screen_rules_out_x50", |b| {
        b.iter(|| {
            for (item, text) in items.iter().zip(&folded_texts) {
                let short = [
                    (ScreenField::Title, &item.title),
                    (ScreenField::Author, &item.author),
                ]
                .into_iter()
                .chain(item.categories.iter().map(|c| (ScreenField::Category, c)))
                .map(|(field, text)| (field, Cow::Owned(feedbraid::topic::words::normalize(text))));
                let fields =
                    std::iter::once((ScreenField::Text, Cow::Borrowed(text.as_str()))).chain(short);
                assert!(black_box(screen.rules_out(fields)));
            }
        })
    });
    let prepared: Vec<_> = items.iter().map(ItemFields::prepare).collect();
    group.bench_function("matches_prepared_x50", |b| {
        b.iter(|| prepared.iter().filter(|p| filter.matches_words(p)).count())
    });
    group.finish();
}

fn config(sources: usize) -> Config {
    let mut text = String::from(
        "[server]\nlisten = \"127.0.0.1:8088\"\n[storage]\npath = \"x.db\"\n\n\
         [[feed]]\nname = \"world\"\ntitle = \"World\"\ndescription = \"Everything\"\n",
    );
    for i in 0..sources {
        text.push_str(&format!(
            "\n[[source]]\nname = \"outlet{i}\"\nurl = \"https://{}/feed.xml\"\ntitle = \"Outlet {i}\"\n",
            news_feeds::feed_host(i)
        ));
    }
    Config::from_toml(Path::new("/nonexistent/feedbraid.toml"), &text).expect("valid config")
}

/// 50 stories, a fifth of them carried by three sources: 70 stored copies.
fn stored_items() -> Vec<StoredItem> {
    let url = feed_url();
    let parsed =
        feedbraid::parse::parse_feed(&news_feeds::rss_document(SHAPE, 3), &url).expect("parses");
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let mut items = Vec::new();
    let mut row = 0;
    for (i, e) in parsed.entries.iter().enumerate() {
        let copies = if i % 5 == 0 { 3 } else { 1 };
        let story = row + 1;
        for copy in 0..copies {
            row += 1;
            let seen = t0 + chrono::Duration::minutes(i as i64 * 10 + copy);
            items.push(StoredItem {
                row,
                public_id: identity::public_id(&format!("outlet{copy}"), &e.key),
                story,
                source: format!("outlet{copy}"),
                link: e.link.clone(),
                title: e.title.clone(),
                summary_html: e.summary_html.clone(),
                content_html: e.content_html.clone(),
                authors: e.authors.clone(),
                categories: e.categories.clone(),
                links: e.links.clone(),
                text: e.text.clone(),
                date: seen,
                updated: seen,
                first_seen: seen,
            });
        }
    }
    items
}

fn bench_render_and_assemble(c: &mut Criterion) {
    let config = config(10);
    let feed = config.feed("world").expect("configured").clone();
    let items = stored_items();
    let output = feedbraid::publish::assemble(&config, &feed, items.clone());
    let mut group = c.benchmark_group("publish");
    group.bench_function("assemble_50_stories_70_copies", |b| {
        b.iter_batched(
            || items.clone(),
            |items| feedbraid::publish::assemble(&config, &feed, items),
            BatchSize::SmallInput,
        )
    });
    let big = self::config(1000);
    let big_feed = big.feed("world").expect("configured").clone();
    group.bench_function("assemble_50_stories_with_1000_sources", |b| {
        b.iter_batched(
            || items.clone(),
            |items| feedbraid::publish::assemble(&big, &big_feed, items),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("haystack_x70_with_1000_sources", |b| {
        b.iter(|| {
            for item in &items {
                black_box(feedbraid::membership::stored_item_fields(item, &big));
            }
        })
    });
    group.finish();
    let mut group = c.benchmark_group("render_50_items");
    for format in Format::ALL {
        let bytes = render::render(&output, format).len();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format.extension(), |b| {
            b.iter(|| render::render(black_box(&output), format))
        });
    }
    let rss = render::render(&output, Format::Rss);
    group.bench_function("gzip_default_level_rss", |b| {
        b.iter(|| {
            use std::io::Write as _;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(black_box(&rss)).expect("in memory");
            e.finish().expect("in memory")
        })
    });
    group.finish();
}

criterion_group! {
    name = stages;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench_parse, bench_words, bench_sanitize, bench_identity, bench_topic, bench_render_and_assemble
}
criterion_main!(stages);
