//! A deterministic news corpus for benchmarks: RSS 2.0 documents shaped like real
//! outlets' feeds (title, link with tracking parameters, guid, pubDate, author,
//! categories, an HTML description and a longer `content:encoded` with links,
//! images and an inline script that sanitizing must remove), with a share of wire
//! stories carried by several outlets under the same link.
#![allow(dead_code)]

/// Words news text is made of; enough variety that topic matching has real work.
const WORDS: &[&str] = &[
    "ministers",
    "talks",
    "ceasefire",
    "exports",
    "grain",
    "harbour",
    "strike",
    "tariffs",
    "election",
    "coalition",
    "parliament",
    "inflation",
    "central",
    "bank",
    "rates",
    "oil",
    "pipeline",
    "drought",
    "harvest",
    "protest",
    "court",
    "ruling",
    "border",
    "refugees",
    "summit",
    "delegation",
    "sanctions",
    "shipping",
    "container",
    "port",
    "workers",
    "union",
    "wages",
    "hospital",
    "vaccine",
    "rainfall",
    "flooding",
    "bridge",
    "railway",
    "airline",
    "pilots",
    "fuel",
    "prices",
    "market",
    "shares",
    "investors",
    "budget",
    "deficit",
    "Tehran",
    "Beijing",
    "Karachi",
    "Lagos",
    "Ankara",
    "Türkiye",
    "São",
    "Paulo",
    "Kyiv",
    "Islamabad",
    "Nairobi",
    "Jakarta",
    "Brussels",
    "Geneva",
    "officials",
    "said",
    "on",
    "Tuesday",
    "according",
    "to",
    "a",
    "statement",
    "the",
    "of",
    "in",
    "and",
    "for",
    "with",
];

const CATEGORIES: &[&str] = &[
    "World",
    "Business",
    "Politics",
    "Economy",
    "Asia",
    "Middle East",
    "Africa",
    "Sport",
    "Science",
    "Health",
];

/// A small deterministic PRNG (xorshift), so every run builds the same bytes.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let w = WORDS[rng.below(WORDS.len())];
        if i == 0 {
            let mut c = w.chars();
            if let Some(first) = c.next() {
                s.extend(first.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

/// One item's fields, before being written as XML.
pub struct NewsItem {
    pub title: String,
    pub link: String,
    pub guid: String,
    pub pub_date: String,
    pub author: String,
    pub categories: Vec<String>,
    /// HTML, unescaped.
    pub description: String,
    /// HTML, unescaped.
    pub content: String,
}

/// The shape of a farm: `feeds` outlets, `items` per feed, the share (percent) of
/// each feed's items that are wire stories shared with other outlets, and how much
/// each item carries.
#[derive(Clone, Copy, Debug)]
pub struct FarmShape {
    pub feeds: usize,
    pub items: usize,
    pub syndicated_percent: usize,
    pub weight: ItemWeight,
}

/// How much an item carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemWeight {
    /// ≈2 KB of HTML: author, two categories, a one-paragraph description and a 3–7
    /// paragraph `content:encoded` with a figure, a tracked link and an inline script.
    Heavy,
    /// What most real feeds send: a title, a link, a guid, a date and a 400–1,500-byte
    /// HTML summary; one item in five also has a 2–4 paragraph `content:encoded`.
    Light,
}

/// Item `index` of outlet `feed`. Wire items (a share of every feed) carry a link
/// shared by every outlet that runs the same wire story (`wire.example/story/K`),
/// with outlet-specific tracking parameters the canonical link drops.
pub fn news_item(shape: FarmShape, feed: usize, index: usize) -> NewsItem {
    let mut rng = Rng::new((feed as u64) << 20 | index as u64);
    let outlet = format!("outlet{feed}");
    let wire = index * 100 / shape.items.max(1) < shape.syndicated_percent;
    // Wire story ids: each of a feed's wire slots maps onto a pool shared by ~10 outlets.
    let story = (index * 7919 + (feed / 10) * 104_729) % 100_000;
    let (link, title_seed) = if wire {
        (
            format!("https://wire.example/story/{story}?utm_source={outlet}&utm_medium=rss"),
            story as u64,
        )
    } else {
        (
            format!(
                "https://{outlet}.example/news/2026/03/{index}-{}",
                rng.next() % 100_000
            ),
            rng.next(),
        )
    };
    let mut title_rng = Rng::new(title_seed);
    let title_words = 8 + title_rng.below(6);
    let title = sentence(&mut title_rng, title_words)
        .trim_end_matches('.')
        .to_string();
    let guid = if wire {
        format!("{outlet}-wire-{story}")
    } else {
        format!("{outlet}-{index}")
    };
    let pub_date = format!(
        "{:02} Mar 2026 {:02}:{:02}:00 GMT",
        1 + (index / 1440) % 28,
        (index / 60) % 24,
        index % 60
    );
    if shape.weight == ItemWeight::Light {
        return light_item(&mut rng, index, title, link, guid, pub_date);
    }
    let paragraphs = 3 + rng.below(5);
    let mut content = String::new();
    for p in 0..paragraphs {
        content.push_str("<p>");
        let words = 18 + rng.below(20);
        content.push_str(&sentence(&mut rng, words));
        if p == 1 {
            content.push_str(&format!(
                " <a href=\"/related/{index}\" onclick=\"track()\">Read more</a> about \
                 <em>{}</em> &amp; <strong>markets</strong>.",
                WORDS[rng.below(WORDS.len())]
            ));
        }
        content.push_str("</p>\n");
        if p == 0 {
            content.push_str(&format!(
                "<figure><img src=\"/img/{index}.jpg\" alt=\"photo\" width=\"640\" \
                 height=\"360\" style=\"border:0\"><figcaption>{}</figcaption></figure>\n",
                sentence(&mut rng, 6)
            ));
        }
    }
    content.push_str("<script>window.ads && ads.push({slot: 'inline'});</script>\n");
    let words = 25 + rng.below(15);
    let description = format!("<p>{}</p>", sentence(&mut rng, words));
    NewsItem {
        title,
        guid,
        link,
        pub_date,
        author: format!("{} Desk", CATEGORIES[feed % CATEGORIES.len()]),
        categories: vec![
            CATEGORIES[rng.below(CATEGORIES.len())].to_string(),
            CATEGORIES[rng.below(CATEGORIES.len())].to_string(),
        ],
        description,
        content,
    }
}

/// A light item: a summary of one to three paragraphs (400–1,500 bytes of HTML), one
/// with a link and emphasis; one item in five also has a longer `content:encoded`.
fn light_item(
    rng: &mut Rng,
    index: usize,
    title: String,
    link: String,
    guid: String,
    pub_date: String,
) -> NewsItem {
    let target = 400 + rng.below(1_100);
    let mut description = String::new();
    let mut paragraph = 0;
    while description.len() < target.saturating_sub(120) {
        description.push_str("<p>");
        let words = 12 + rng.below(14);
        description.push_str(&sentence(rng, words));
        if paragraph == 0 {
            description.push_str(&format!(
                " <a href=\"https://example.org/topics/{index}\">More on <em>{}</em></a>.",
                WORDS[rng.below(WORDS.len())]
            ));
        } else {
            let words = 10 + rng.below(12);
            description.push(' ');
            description.push_str(&sentence(rng, words));
        }
        description.push_str("</p>");
        paragraph += 1;
    }
    let content = if rng.below(5) == 0 {
        let mut content = String::new();
        for _ in 0..2 + rng.below(3) {
            let words = 30 + rng.below(30);
            content.push_str(&format!("<p>{}</p>\n", sentence(rng, words)));
        }
        content
    } else {
        String::new()
    };
    NewsItem {
        title,
        link,
        guid,
        pub_date,
        author: String::new(),
        categories: Vec::new(),
        description,
        content,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The RSS 2.0 document of outlet `feed`.
pub fn rss_document(shape: FarmShape, feed: usize) -> Vec<u8> {
    let outlet = format!("outlet{feed}");
    let mut doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\n\
         <title>{outlet} World News</title><link>https://{outlet}.example/</link>\n\
         <description>The latest world news from {outlet}</description>\
         <language>en</language><ttl>30</ttl>\n"
    );
    for index in 0..shape.items {
        let item = news_item(shape, feed, index);
        doc.push_str("<item>\n<title>");
        doc.push_str(&escape(&item.title));
        doc.push_str("</title>\n<link>");
        doc.push_str(&escape(&item.link));
        doc.push_str("</link>\n<guid isPermaLink=\"false\">");
        doc.push_str(&item.guid);
        doc.push_str("</guid>\n<pubDate>");
        doc.push_str(&item.pub_date);
        doc.push_str("</pubDate>\n");
        if !item.author.is_empty() {
            doc.push_str("<dc:creator>");
            doc.push_str(&escape(&item.author));
            doc.push_str("</dc:creator>\n");
        }
        for category in &item.categories {
            doc.push_str("<category>");
            doc.push_str(category);
            doc.push_str("</category>\n");
        }
        doc.push_str("<description>");
        doc.push_str(&escape(&item.description));
        doc.push_str("</description>\n");
        if !item.content.is_empty() {
            doc.push_str("<content:encoded><![CDATA[");
            doc.push_str(&item.content);
            doc.push_str("]]></content:encoded>\n");
        }
        doc.push_str("</item>\n");
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

/// The URL outlet `feed` is served at: its own host name, so per-host limits apply
/// per feed as they would on the internet (the host is pinned to the farm's address).
pub fn feed_host(feed: usize) -> String {
    format!("f{feed}.farm.test")
}
