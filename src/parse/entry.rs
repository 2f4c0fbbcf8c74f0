//! One feed-rs entry → one normalized [`Entry`]: text fields cleaned, links absolute
//! and http(s) only, summary and content sanitized against the right base and capped,
//! and the content hash. The key is assigned by the caller, which sees all entries.

use feed_rs::model::{Link, LinkTarget, MediaObject, Person, Text};

use super::{KnownContent, MAX_CONTENT_BYTES};
use crate::cluster::{self, Fingerprint};
use crate::content_rules::SourceRules;
use crate::identity::{self, VisibleFields};
use crate::membership::{self, Candidate, WordsRecipe};
use crate::model::{Category, Enclosure, Entry, ItemLinks};
use crate::packing::PackedHtml;
use crate::sanitize::{clean_text, html_to_text, inert_text, sanitize_html, text_to_html};

/// Bytes left under the cap when content is cut, for the end tags sanitizing adds.
const CLOSING_TAGS_ROOM: usize = 4096;
/// Media files kept per item: podcast and news items carry one to a few; a Media RSS
/// group of every rendition of a video can carry dozens.
const MAX_ENCLOSURES: usize = 16;

/// What is the same for every entry of one document.
pub(super) struct Context<'a> {
    pub feed_url: &'a url::Url,
    /// The root element's `xml:base`, absolute.
    pub document_base: Option<&'a url::Url>,
    /// RSS of any version: descriptions are HTML whatever feed-rs calls them, and a
    /// URL-shaped guid is the item's permalink when it has no `<link>`.
    pub is_rss: bool,
    /// RSS 2.0: feed-rs copies `pubDate` into `updated` when there is no updated
    /// date; we undo that so `updated` is only ever what the document said.
    pub updated_mirrors_published: bool,
    /// Atom: an entry without authors has the feed's.
    pub inherits_feed_authors: bool,
    /// JSON Feed: links with a media type and no relation are `attachments`.
    pub is_json: bool,
    pub feed_authors: &'a [Person],
    /// Prepare each entry's words for topic filters, for this source.
    pub recipe: Option<&'a WordsRecipe>,
    /// The source's content rules, when it has any.
    pub rules: Option<&'a SourceRules>,
    /// The content the source served at its last poll ([`KnownContent`]).
    pub known: Option<&'a KnownContent>,
}

/// An entry and the text a reader sees of its body (for its key).
pub(super) struct Normalized {
    pub entry: Entry,
    pub visible_text: String,
    /// Whether the source's `keep_if`/`drop_if` let it be stored.
    pub admitted: bool,
}

/// `image` is the item's picture when the document gives it where feed-rs does not
/// look (JSON Feed's `image`).
pub(super) fn normalize_entry(
    raw: &feed_rs::model::Entry,
    image: Option<&str>,
    context: &Context<'_>,
    capped_fields: &mut usize,
) -> Normalized {
    let guid = Some(clean_text(&raw.id)).filter(|id| !id.is_empty());
    // Only an absolute guid: a bare `1` or `post-42` names no page, and resolved
    // against the feed it would give unrelated items of one host the same link.
    let link = page_link(&raw.links, context.feed_url).or_else(|| {
        guid.as_deref()
            .filter(|_| context.is_rss)
            .and_then(|guid| url::Url::parse(guid).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"))
    });
    let rules = context.rules.map(|source| &*source.rules);
    let link = match rules {
        Some(rules) => link.map(|link| rules.rewrite_link(link)),
        None => link,
    };
    let canonical_link = link.as_ref().and_then(identity::canonical_link_of);
    let title = raw.title.as_ref().map(text_of).unwrap_or_default();
    let title = match rules {
        Some(rules) => rules.rewrite_title(title),
        None => title,
    };

    let base = content_base(raw, link.as_ref(), context);
    let mut body = BodySanitizer {
        base: &base,
        context,
        capped_fields,
    };
    let summary_html = raw.summary.as_ref().and_then(|summary| {
        let plain = is_plain_text(summary.content_type.as_str());
        body.sanitize(&summary.content, plain)
    });
    let content_html = raw.content.as_ref().and_then(|content| {
        let media_type = content.content_type.as_str();
        // feed-rs calls inline XHTML `application/xhtml`; base64 media is not for readers.
        let is_text =
            media_type.starts_with("text/") || media_type.starts_with("application/xhtml");
        let body_text = content.body.as_deref().filter(|_| is_text)?;
        body.sanitize(body_text, is_plain_text(media_type))
    });

    let authors = if raw.authors.is_empty() && context.inherits_feed_authors {
        context.feed_authors
    } else {
        &raw.authors
    };
    let authors = names_of(authors);
    let categories = categories_of(raw);
    let mut links = item_links(raw, context);
    if links.image.is_none() {
        let base = context.document_base.unwrap_or(context.feed_url);
        links.image = image
            .and_then(|image| absolute_http(base, image))
            .map(String::from);
    }
    let link = link.map(String::from);

    let content_hash = identity::content_hash(&VisibleFields {
        title: &title,
        link: link.as_deref(),
        summary_html: summary_html.as_deref(),
        content_html: content_html.as_deref(),
        authors: &authors,
        categories: &categories,
        links: &links,
    });
    let visible_text = membership::visible_text(summary_html.as_deref(), content_html.as_deref());
    let text = membership::plain_text(
        summary_html.as_deref(),
        content_html.is_some(),
        &visible_text,
    );
    // What only a new or edited item needs, computed here, on the parse pool, so the
    // store thread only writes it; left to the store for a repeat of the last poll.
    let repeat = context
        .known
        .is_some_and(|known| known.contains(&content_hash));
    let (fingerprint, packed_html, prepared_words) = if repeat {
        (None, None, None)
    } else {
        // Folded and split once, for the fingerprint and the topic words both.
        let folded_visible = cluster::normalize::fold(&visible_text);
        let visible_words = crate::topic::words::split_words(&folded_visible);
        let fingerprint = Fingerprint::of_words(&title, &folded_visible, &visible_words);
        let packed_html = PackedHtml::of(summary_html.as_deref(), content_html.as_deref());
        let prepared_words = context.recipe.map(|recipe| {
            let item = Candidate {
                source: &recipe.source,
                title: &title,
                text: &text,
                categories: &categories,
                authors: &authors,
                link: link.as_deref(),
            };
            recipe.prepare(&item, &visible_text, &folded_visible, &visible_words)
        });
        (Some(fingerprint), Some(packed_html), prepared_words)
    };
    let filtering = context.rules.filter(|source| source.rules.filters());
    let admitted = filtering.is_none_or(|source| {
        let item = Candidate {
            source: &source.source,
            title: &title,
            text: &text,
            categories: &categories,
            authors: &authors,
            link: link.as_deref(),
        };
        source.rules.admits(&item.fields(&source.tags))
    });
    Normalized {
        entry: Entry {
            key: String::new(),
            guid,
            link,
            canonical_link,
            title,
            summary_html,
            content_html,
            authors,
            categories,
            links,
            published: raw.published,
            updated: raw.updated.filter(|updated| {
                !(context.updated_mirrors_published && raw.published == Some(*updated))
            }),
            content_hash,
            fingerprint,
            text,
            prepared_words,
            packed_html,
        },
        visible_text,
        admitted,
    }
}

/// A title or other short text as plain text: entities decoded, tags removed,
/// whitespace folded. Markup is removed even from text declared plain (Atom
/// `type="text"`, JSON Feed): republished titles must hold nothing tag-like, and a
/// literal `<` that does not start a tag (`3 < 5`) is kept.
pub(super) fn text_of(text: &Text) -> String {
    inert_text(&text.content)
}

fn is_plain_text(media_type: &str) -> bool {
    media_type == "text/plain"
}

/// The first link to a web page (not `self`, `enclosure`, an attachment, comments…),
/// absolute.
pub(super) fn page_link(links: &[Link], feed_url: &url::Url) -> Option<url::Url> {
    links
        .iter()
        .filter(|link| matches!(link.rel.as_deref(), None | Some("alternate")))
        .filter(|link| link.target.is_none())
        .filter(|link| {
            link.media_type
                .as_deref()
                .is_none_or(|t| t.starts_with("text/html") || t.starts_with("application/xhtml"))
        })
        .find_map(|link| absolute_http(feed_url, &link.href))
}

/// `href` made absolute against `base`, if that gives an http(s) URL.
fn absolute_http(base: &url::Url, href: &str) -> Option<url::Url> {
    let url = base.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// The base that relative URLs in the summary and content resolve against: the
/// `xml:base` in effect as far as we can see it (on the content element, else on the
/// root element), else the item's link, else the feed URL. An `xml:base` on the
/// item element itself is not reported by feed-rs; it does reach the item's link.
fn content_base(
    raw: &feed_rs::model::Entry,
    link: Option<&url::Url>,
    context: &Context<'_>,
) -> url::Url {
    let content_base = raw.base.as_deref().or_else(|| {
        // For RSS `content:encoded`, feed-rs puts the xml:base in effect into `src`
        // (the feed URL itself when the document declares none).
        raw.content
            .as_ref()
            .filter(|_| context.is_rss)
            .and_then(|content| content.src.as_ref())
            .map(|src| src.href.as_str())
            .filter(|href| *href != context.feed_url.as_str())
    });
    content_base
        .and_then(|base| absolute_http(context.document_base.unwrap_or(context.feed_url), base))
        .or_else(|| context.document_base.cloned())
        .or_else(|| link.cloned())
        .unwrap_or_else(|| context.feed_url.clone())
}

/// Sanitizes summaries and contents of one entry, applying the size cap.
struct BodySanitizer<'a> {
    base: &'a url::Url,
    context: &'a Context<'a>,
    capped_fields: &'a mut usize,
}

impl BodySanitizer<'_> {
    fn sanitize(&mut self, body: &str, declared_plain: bool) -> Option<String> {
        let feed = self.context.feed_url;
        let mut body = body;
        if body.len() > MAX_CONTENT_BYTES {
            tracing::warn!(%feed, bytes = body.len(), cap = MAX_CONTENT_BYTES, "item content too long; cut");
            *self.capped_fields += 1;
            // Room for the end tags the sanitizer adds to close what the cut left open.
            body = &body[..floor_char_boundary(body, MAX_CONTENT_BYTES - CLOSING_TAGS_ROOM)];
        }
        let mut html = if declared_plain && !self.context.is_rss {
            std::borrow::Cow::Owned(text_to_html(body))
        } else {
            std::borrow::Cow::Borrowed(body)
        };
        if let Some(source) = self.context.rules
            && let std::borrow::Cow::Owned(prepared) = source.rules.prepare_html(&html)
        {
            html = std::borrow::Cow::Owned(prepared);
        }
        let clean = sanitize_html(&html, Some(self.base));
        if clean.len() > MAX_CONTENT_BYTES {
            tracing::warn!(%feed, bytes = clean.len(), cap = MAX_CONTENT_BYTES, "sanitized item content too long; dropped");
            *self.capped_fields += 1;
            return None;
        }
        Some(clean).filter(|clean| !clean.is_empty())
    }
}

/// The largest index ≤ `max` that is a char boundary of `text`.
fn floor_char_boundary(text: &str, max: usize) -> usize {
    (0..=max.min(text.len()))
        .rev()
        .find(|&index| text.is_char_boundary(index))
        .unwrap_or(0)
}

/// Author names in order, without empties or repeats.
fn names_of(people: &[Person]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for person in people {
        let Some(name) = person.name.as_deref().map(html_to_text) else {
            continue;
        };
        // What feed-rs leaves of `«jw@example.de»` once the address is taken out.
        if name.chars().any(char::is_alphanumeric) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Categories by label (else term) with their scheme, without empties or repeats.
fn categories_of(raw: &feed_rs::model::Entry) -> Vec<Category> {
    let mut categories: Vec<Category> = Vec::new();
    for category in &raw.categories {
        let name = html_to_text(category.label.as_deref().unwrap_or(&category.term));
        if name.is_empty() || categories.iter().any(|known| known.name == name) {
            continue;
        }
        // Only an http(s) URL: a scheme is republished as an attribute readers may
        // follow, and a bare word (`Syndic8`) names nothing a reader can use.
        let scheme = category
            .scheme
            .as_deref()
            .and_then(|scheme| url::Url::parse(scheme.trim()).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .map(String::from);
        categories.push(Category { name, scheme });
    }
    categories
}

/// The item's media files, image and comments page, each URL absolute and http(s).
fn item_links(raw: &feed_rs::model::Entry, context: &Context<'_>) -> ItemLinks {
    let base = context.document_base.unwrap_or(context.feed_url);
    let mut links = ItemLinks::default();
    let mut add = |url: Option<url::Url>, media_type: Option<&str>, length: Option<u64>| {
        let Some(url) = url.map(String::from) else {
            return;
        };
        if links.enclosures.len() < MAX_ENCLOSURES
            && !links.enclosures.iter().any(|known| known.url == url)
        {
            links.enclosures.push(Enclosure {
                url,
                media_type: media_type.map(clean_text).filter(|t| !t.trim().is_empty()),
                length: length.filter(|&length| length > 0),
            });
        }
    };
    for link in &raw.links {
        let rel = link.rel.as_deref();
        let is_attachment =
            context.is_json && rel.is_none() && link.target.is_none() && link.media_type.is_some();
        if rel == Some("enclosure") || is_attachment {
            add(
                absolute_http(base, &link.href),
                link.media_type.as_deref(),
                link.length,
            );
        }
    }
    for object in &raw.media {
        for content in &object.content {
            let media_type = content.content_type.as_ref().map(|t| t.to_string());
            add(
                content
                    .url
                    .as_ref()
                    .and_then(|url| absolute_http(base, url.as_str())),
                media_type.as_deref(),
                content.size,
            );
        }
    }
    links.image = raw.media.iter().find_map(|object| thumbnail(object, base));
    links.comments = raw
        .links
        .iter()
        .filter(|link| {
            link.target == Some(LinkTarget::Comments)
                || (link.rel.as_deref() == Some("replies")
                    && link
                        .media_type
                        .as_deref()
                        .is_none_or(|t| t.starts_with("text/html")))
        })
        .find_map(|link| absolute_http(base, &link.href))
        .map(String::from);
    links
}

/// The first thumbnail of a media object (`media:thumbnail`, `itunes:image`).
fn thumbnail(object: &MediaObject, base: &url::Url) -> Option<String> {
    object
        .thumbnails
        .iter()
        .find_map(|thumbnail| absolute_http(base, &thumbnail.image.uri))
        .map(String::from)
}
