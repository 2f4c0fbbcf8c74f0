//! Full-text extraction benchmarks: `main_content` (Readability) on the news
//! fixture and on a generated ~200 KB page, the selector path on both, the whole
//! preparation of an item's article on the parse pool (`parse::article`: decode,
//! extract, sanitize, text, fingerprint, pack) on the news fixture,
//! `remove_elements` on a 5 KB item body, and the peak heap one call allocates
//! (printed once, before the timings, by a counting global allocator).
//!
//! `cargo bench --bench extract -- --measurement-time 5 --warm-up-time 1`

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use criterion::{Criterion, criterion_group, criterion_main};
use feedbraid::extract::{CssSelector, main_content, remove_elements};

const NEWS: &str = include_str!("../tests/fixtures/articles/news.html");

/// The system allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged; only counters change.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most heap `work` holds at once beyond what was live before it.
fn peak_heap<T>(work: impl FnOnce() -> T) -> usize {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    drop(black_box(work()));
    PEAK.load(Relaxed).saturating_sub(before)
}

/// Deterministic filler prose (xorshift over a fixed vocabulary).
struct Prose(u64);

impl Prose {
    const WORDS: &'static [&'static str] = &[
        "harbour",
        "council",
        "quay",
        "trawler",
        "crews",
        "budget",
        "depot",
        "tide",
        "ferry",
        "cannery",
        "residents",
        "said",
        "would",
        "the",
        "of",
        "and",
        "a",
        "to",
        "in",
        "on",
        "after",
        "before",
        "night",
        "shift",
        "weather",
        "boats",
        "market",
        "morning",
        "week",
        "plans",
        "engineers",
        "workers",
        "union",
        "port",
        "cranes",
        "containers",
        "mayor",
    ];

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A sentence of 12 to 27 words, with a comma now and then.
    fn sentence(&mut self) -> String {
        let count = 12 + (self.next() % 16) as usize;
        let mut out = String::from("The");
        for i in 0..count {
            let word = Self::WORDS[(self.next() % Self::WORDS.len() as u64) as usize];
            out.push(' ');
            out.push_str(word);
            if i % 9 == 8 {
                out.push(',');
            }
        }
        out.push('.');
        out
    }

    fn paragraph(&mut self, sentences: usize) -> String {
        let text: Vec<String> = (0..sentences).map(|_| self.sentence()).collect();
        format!("<p>{}</p>\n", text.join(" "))
    }
}

/// A news page of about `bytes`: site chrome, an article of about a third of it
/// with figures, a related list, a comments section and inline script state.
fn generated_page(bytes: usize) -> String {
    let mut prose = Prose(0x2545_F491_4F6C_DD1D);
    let mut page = String::from(
        "<!DOCTYPE html><html><head><title>Generated</title></head><body>\
         <div class=\"cookie-banner\"><p>We use cookies.</p></div>\
         <header role=\"banner\"><nav><ul>",
    );
    for i in 0..40 {
        page.push_str(&format!(
            "<li><a href=\"/section/{i}\">Section {i}</a></li>"
        ));
    }
    page.push_str("</ul></nav></header><main><article><h1>Generated story</h1>");
    page.push_str(
        "<div class=\"share-bar\"><a href=\"#\">Share</a></div><div class=\"story-body\">",
    );
    let mut n = 0;
    while page.len() < bytes * 2 / 5 {
        page.push_str(&prose.paragraph(3));
        n += 1;
        if n % 12 == 0 {
            page.push_str(&format!(
                "<figure><img src=\"/img/{n}.jpg\" alt=\"\"><figcaption>{}</figcaption></figure>",
                prose.sentence()
            ));
        }
    }
    page.push_str("</div></article><section class=\"related\"><ul>");
    while page.len() < bytes / 2 {
        page.push_str(&format!(
            "<li><a href=\"/story/{}\">{}</a></li>",
            prose.next() % 100_000,
            prose.sentence()
        ));
    }
    page.push_str("</ul></section><section id=\"comments\">");
    while page.len() < bytes * 7 / 10 {
        page.push_str(&format!(
            "<div class=\"comment\">{}</div>",
            prose.paragraph(2)
        ));
    }
    page.push_str(
        "</section></main><footer><p>Generated footer.</p></footer><script>var state = \"",
    );
    while page.len() < bytes {
        page.push_str("abcdefghijklmnopqrstuvwxyz0123456789");
    }
    page.push_str("\";</script></body></html>");
    page
}

/// An item body of about 5 KB with a share bar and a related box inside.
fn item_body() -> String {
    let mut prose = Prose(0x9E37_79B9_7F4A_7C15);
    let mut body = String::new();
    while body.len() < 5 * 1024 {
        body.push_str(&prose.paragraph(3));
        if body.len() > 2 * 1024 && !body.contains("share") {
            body.push_str(
                "<div class=\"share\"><a href=\"#\">Share</a> <a href=\"#\">Post</a></div>",
            );
            body.push_str("<aside class=\"related\"><a href=\"/other\">Other story</a></aside>");
        }
    }
    body
}

fn bench(c: &mut Criterion) {
    let url = url::Url::parse("https://ledger.example/local/harbourside-depot").expect("url");
    let body_selector = CssSelector::parse(".story-body").expect("selector");
    let remove = [
        CssSelector::parse(".share").expect("selector"),
        CssSelector::parse("aside.related").expect("selector"),
    ];
    let large = generated_page(200 * 1024);
    let item = item_body();
    assert!(main_content(NEWS, &url, None, &[]).is_ok());
    let article = main_content(&large, &url, None, &[]).expect("an article");
    assert!(article.contains("/img/12.jpg") && !article.contains("Generated footer"));
    assert!(!article.contains("Section 3") && !article.contains("cookies"));
    assert!(remove_elements(&item, &remove).is_some());

    let kib = |bytes: usize| bytes as f64 / 1024.0;
    println!(
        "extract peak heap: news.html ({:.0} KiB) readability {:.0} KiB, selector {:.0} KiB; \
         generated page ({:.0} KiB) readability {:.0} KiB, selector {:.0} KiB; \
         remove_elements on {:.1} KiB item {:.0} KiB",
        kib(NEWS.len()),
        kib(peak_heap(|| main_content(NEWS, &url, None, &[]))),
        kib(peak_heap(|| main_content(
            NEWS,
            &url,
            Some(&body_selector),
            &[]
        ))),
        kib(large.len()),
        kib(peak_heap(|| main_content(&large, &url, None, &[]))),
        kib(peak_heap(|| main_content(
            &large,
            &url,
            Some(&body_selector),
            &[]
        ))),
        kib(item.len()),
        kib(peak_heap(|| remove_elements(&item, &remove))),
    );

    let mut group = c.benchmark_group("extract");
    group.bench_function("readability/news.html", |b| {
        b.iter(|| main_content(black_box(NEWS), &url, None, &[]))
    });
    group.bench_function("readability/generated 200 KB", |b| {
        b.iter(|| main_content(black_box(&large), &url, None, &[]))
    });
    group.bench_function("selector/news.html", |b| {
        b.iter(|| main_content(black_box(NEWS), &url, Some(&body_selector), &[]))
    });
    group.bench_function("selector/generated 200 KB", |b| {
        b.iter(|| main_content(black_box(&large), &url, Some(&body_selector), &[]))
    });
    let rules = feedbraid::content_rules::SourceRules {
        source: "ledger".into(),
        tags: Vec::new(),
        rules: std::sync::Arc::new(feedbraid::content_rules::ContentRules {
            full_text: Some(feedbraid::content_rules::FullText::Readability),
            ..Default::default()
        }),
    };
    let job = feedbraid::model::ArticleJob {
        item: 1,
        claim: 0,
        source: "ledger".into(),
        link: url.to_string(),
        attempts: 0,
        title: "Harbourside tram depot opens two years late".into(),
        summary_html: Some("<p>The depot opened on Thursday.</p>".into()),
        content_html: None,
        authors: Vec::new(),
        categories: Vec::new(),
    };
    let prepare =
        || feedbraid::parse::article::article_text(NEWS.as_bytes(), &url, None, &job, &rules, None);
    assert!(prepare().is_ok());
    println!(
        "article_text peak heap: news.html {:.0} KiB",
        kib(peak_heap(prepare))
    );
    group.bench_function("article_text/news.html", |b| b.iter(prepare));
    group.bench_function("remove_elements/5 KB item", |b| {
        b.iter(|| remove_elements(black_box(&item), &remove))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
