//! Text that holds references, given to feed-rs as CDATA with the references
//! resolved. quick-xml makes each `&lt;` an event of its own, and feed-rs joins the
//! events of a run of text back into one string: an escaped HTML summary, the most
//! common shape of an RSS `<description>`, holds dozens of references and cost
//! feed-rs a quarter of its time more than the same summary in a CDATA section.
//!
//! feed-rs reads a CDATA section and a run of text into the same string, so a
//! document reads exactly as before: each reference is resolved as quick-xml and
//! feed-rs resolve it (the five predefined entities and character references; any
//! other entity is kept as written). What would make the document read otherwise is
//! left to the strict reader: a run with a reference it refuses (`&#0;`, a `&` with
//! no `;`) is not touched, and a document whose markup this pass does not follow
//! as quick-xml does (an internal DTD subset, a `<` that opens nothing, an XML
//! declaration after the start), or that is not UTF-8, is left whole.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::BytesRef;

use super::charset;
use super::document::{self, BOM};

/// The document with every run of text inside its root element that holds a
/// reference rewritten as CDATA; `None` when none is, or the document is left whole.
pub(super) fn references_as_cdata(bytes: &[u8]) -> Option<Vec<u8>> {
    if !holds_references_densely(bytes) {
        return None;
    }
    rewrite(bytes)
}

/// [`references_as_cdata`] whatever the document's density of references.
fn rewrite(bytes: &[u8]) -> Option<Vec<u8>> {
    if !is_utf8_xml(bytes) {
        return None;
    }
    let ends = Ends::new();
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    let mut text = Vec::new();
    let mut depth = 0usize;
    let mut changed = false;
    let mut at = 0;
    while at < bytes.len() {
        let run_end = memchr::memchr(b'<', &bytes[at..]).map_or(bytes.len(), |found| at + found);
        let run = &bytes[at..run_end];
        if depth > 0 && resolve(run, &mut text) {
            push_cdata(&mut out, &text, &ends);
            changed = true;
        } else {
            out.extend_from_slice(run);
        }
        if run_end == bytes.len() {
            break;
        }
        let rest = &bytes[run_end..];
        let (len, nesting) = markup(rest, &ends)?;
        if let Nesting::Declaration = nesting {
            // Anywhere but first it would change the encoding the rest is read in.
            let before = bytes[..run_end]
                .strip_prefix(BOM)
                .unwrap_or(&bytes[..run_end]);
            if !before.trim_ascii().is_empty() {
                return None;
            }
        }
        out.extend_from_slice(&rest[..len]);
        depth = match nesting {
            Nesting::Opens => depth + 1,
            Nesting::Closes => depth.saturating_sub(1),
            Nesting::Neither | Nesting::Declaration => depth,
        };
        at = run_end + len;
    }
    changed.then_some(out)
}

/// Bytes of document per `&` above which the pass is not made: it copies the whole
/// document and saves feed-rs work per reference, and sparser documents cost more
/// to copy than they save (measured on the real-news snapshots, BENCHMARKS.md).
const MAX_BYTES_PER_REFERENCE: usize = 128;

/// Whether the document holds a `&` for every [`MAX_BYTES_PER_REFERENCE`] bytes;
/// a dense document is known from its start.
fn holds_references_densely(bytes: &[u8]) -> bool {
    let wanted = (bytes.len() / MAX_BYTES_PER_REFERENCE).max(1);
    memchr::memchr_iter(b'&', bytes).nth(wanted - 1).is_some()
}

/// Whether the document is XML that quick-xml reads as UTF-8: markup first (after
/// a UTF-8 byte order mark and white space), and an XML declaration that names
/// UTF-8 or no encoding. UTF-16 starts with another mark or a NUL byte.
fn is_utf8_xml(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix(BOM).unwrap_or(bytes).trim_ascii_start();
    if !start.starts_with(b"<") {
        return false;
    }
    charset::declared_encoding(bytes).is_none_or(|label| {
        encoding_rs::Encoding::for_label(label.as_bytes()) == Some(encoding_rs::UTF_8)
    })
}

/// `run` with its references resolved, into `text`; `false` when it holds none, or
/// one the strict reader would refuse (the run is then left as it is). Bytes
/// around references are copied as they are: a run that is not UTF-8 stays as
/// unreadable as it was.
fn resolve(run: &[u8], text: &mut Vec<u8>) -> bool {
    let Some(first) = memchr::memchr(b'&', run) else {
        return false;
    };
    text.clear();
    text.extend_from_slice(&run[..first]);
    let mut rest = &run[first..];
    while let Some(amp) = memchr::memchr(b'&', rest) {
        text.extend_from_slice(&rest[..amp]);
        let after = &rest[amp + 1..];
        // quick-xml ends a reference at the first `;`, and refuses one that meets
        // another `&` (or the run's end) first.
        let Some(semicolon) = memchr::memchr2(b';', b'&', after).filter(|&i| after[i] == b';')
        else {
            return false;
        };
        let Ok(name) = std::str::from_utf8(&after[..semicolon]) else {
            return false;
        };
        match resolve_predefined_entity(name) {
            Some(resolved) => text.extend_from_slice(resolved.as_bytes()),
            None => match BytesRef::new(name).resolve_char_ref() {
                Ok(Some(ch)) => text.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
                Err(_) => return false,
                Ok(None) => text.extend_from_slice(&rest[amp..amp + 1 + semicolon + 1]),
            },
        }
        rest = &after[semicolon + 1..];
    }
    text.extend_from_slice(rest);
    true
}

/// `text` as CDATA sections: a `]]>` in it ends one section and starts the next.
fn push_cdata(out: &mut Vec<u8>, text: &[u8], ends: &Ends) {
    let mut rest = text;
    out.extend_from_slice(b"<![CDATA[");
    while let Some(end) = ends.cdata.find(rest) {
        out.extend_from_slice(&rest[..end + 2]);
        out.extend_from_slice(b"]]><![CDATA[");
        rest = &rest[end + 2..];
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(b"]]>");
}

/// The ends of the markup that runs to a closing string, searched for with finders
/// built once per document.
struct Ends {
    comment: memchr::memmem::Finder<'static>,
    cdata: memchr::memmem::Finder<'static>,
    instruction: memchr::memmem::Finder<'static>,
}

impl Ends {
    fn new() -> Ends {
        Ends {
            comment: memchr::memmem::Finder::new(b"-->"),
            cdata: memchr::memmem::Finder::new(b"]]>"),
            instruction: memchr::memmem::Finder::new(b"?>"),
        }
    }
}

enum Nesting {
    Opens,
    Closes,
    Neither,
    /// An XML declaration: it names the encoding of what follows it.
    Declaration,
}

/// The markup `rest` starts with (at a `<`): its length and how it nests; `None`
/// when this pass does not follow it as quick-xml does.
fn markup(rest: &[u8], ends: &Ends) -> Option<(usize, Nesting)> {
    let through = |open: usize, end: &memchr::memmem::Finder<'_>| {
        let found = end.find(rest.get(open..)?)?;
        Some(open + found + end.needle().len())
    };
    match *rest.get(1)? {
        b'/' => {
            let close = memchr::memchr(b'>', rest)?;
            Some((close + 1, Nesting::Closes))
        }
        b'?' => {
            let len = through(2, &ends.instruction)?;
            let declaration =
                rest.starts_with(b"<?xml") && rest.get(5).is_some_and(u8::is_ascii_whitespace);
            let nesting = if declaration {
                Nesting::Declaration
            } else {
                Nesting::Neither
            };
            Some((len, nesting))
        }
        b'!' if rest.starts_with(b"<!--") => {
            // `<!-->` and `<!--->` are where readers disagree.
            if rest[4..].starts_with(b">") || rest[4..].starts_with(b"->") {
                return None;
            }
            Some((through(4, &ends.comment)?, Nesting::Neither))
        }
        b'!' if rest.starts_with(b"<![CDATA[") => {
            Some((through(9, &ends.cdata)?, Nesting::Neither))
        }
        b'!' => {
            // A declaration without an internal subset, where no `>` can be quoted.
            let close = memchr::memchr(b'>', rest)?;
            memchr::memchr(b'[', &rest[..close])
                .is_none()
                .then_some(())?;
            Some((close + 1, Nesting::Neither))
        }
        first
            if first.is_ascii_alphabetic()
                || first == b'_'
                || first == b':'
                || !first.is_ascii() =>
        {
            let len = document::start_tag_len(rest)?;
            let nesting = if rest[len - 2] == b'/' {
                Nesting::Neither
            } else {
                Nesting::Opens
            };
            Some((len, nesting))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(document: &str) -> Option<String> {
        references_as_cdata(document.as_bytes()).map(|bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn escaped_html_becomes_cdata_with_references_resolved() {
        let document = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss a='x &amp; >'><channel><item>\
            <description>&lt;p&gt;A &amp;amp; B&#x2014;&#233; &nbsp;&lt;/p&gt;</description>\
            <link>https://e.example/?a=1&amp;b=2</link><guid>g</guid></item></channel></rss>";
        assert_eq!(
            rewritten(document).as_deref(),
            Some(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss a='x &amp; >'><channel><item>\
                <description><![CDATA[<p>A &amp; B\u{2014}\u{e9} &nbsp;</p>]]></description>\
                <link><![CDATA[https://e.example/?a=1&b=2]]></link><guid>g</guid></item></channel></rss>"
            )
        );
    }

    #[test]
    fn a_cdata_end_in_the_text_splits_the_section() {
        assert_eq!(
            rewritten("<rss><t>a]]&gt;b</t></rss>").as_deref(),
            Some("<rss><t><![CDATA[a]]]]><![CDATA[>b]]></t></rss>")
        );
    }

    #[test]
    fn markup_and_text_outside_the_root_are_copied() {
        let document = "<!DOCTYPE rss PUBLIC \"-//x//EN\" \"http://x/y.dtd\"><!-- &amp; --><rss>\
            <?pi &amp;?><![CDATA[&amp;]]><e k=\"v>\" j='\"'/>&amp;</rss>";
        assert_eq!(
            rewritten(document),
            Some(document.replace("/>&amp;<", "/><![CDATA[&]]><"))
        );
    }

    #[test]
    fn runs_the_strict_reader_refuses_are_left_as_they_are() {
        for document in [
            "<rss><t>AT&T</t></rss>",
            "<rss><t>a &amp b &amp; c</t></rss>",
            "<rss><t>&#0;</t></rss>",
            "<rss><t>&#xD800;</t></rss>",
            "<rss><t>&#+65;</t></rss>",
            "<rss><t>&#X41;</t></rss>",
        ] {
            assert_eq!(rewritten(document), None, "{document}");
        }
        assert_eq!(
            rewritten("<rss><t>AT&T</t><u>&lt;</u></rss>").as_deref(),
            Some("<rss><t>AT&T</t><u><![CDATA[<]]></u></rss>")
        );
    }

    #[test]
    fn documents_read_otherwise_are_left_whole() {
        for document in [
            // Not UTF-8.
            "<?xml version='1.0' encoding='ISO-8859-1'?><rss><t>&lt;</t></rss>",
            // Not XML.
            "{\"items\": [{\"title\": \"a &amp; b\"}]}",
            // Markup this pass does not follow as quick-xml does.
            "<!DOCTYPE rss [<!ENTITY a '&lt;'>]><rss><t>&lt;</t></rss>",
            "<rss><t>&lt;</t><?xml version='1.0' encoding='ISO-8859-1'?></rss>",
            "<rss><t>&lt;</t> 3 < 4</rss>",
            "<rss><!--><t>&lt;</t>--></rss>",
            // Cut short.
            "<rss><t>&lt;</t><u a='",
        ] {
            assert_eq!(rewritten(document), None, "{document}");
        }
        let sparse = format!("<rss><t>&lt;</t><u>{}</u></rss>", "a".repeat(400));
        assert_eq!(rewritten(&sparse), None);
        assert!(
            rewritten("\u{feff}<?xml version='1.0' encoding='UTF-8'?><rss><t>&lt;</t></rss>")
                .is_some()
        );
        assert!(rewritten("  <rss><t>&lt;</t></rss>").is_some());
    }
}

#[cfg(test)]
#[path = "cdata_equivalence.rs"]
mod equivalence;

#[cfg(test)]
#[path = "../../tests/it/support/shared_corpus.rs"]
mod shared_corpus;

/// On the real-world corpora (`../shared/corpus`), where present: every document the
/// pass rewrites, however sparse its references, reads as the same feed as the
/// document itself.
#[cfg(test)]
mod corpus {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use super::shared_corpus;

    /// Each archive, and how many documents of each of its folders are read: every
    /// one of the robustness corpus's, and one snapshot per outlet of the news
    /// feeds' (each outlet's snapshots have one shape).
    const ARCHIVES: &[(&str, usize)] = &[
        ("feeds-robustness.tar.xz", usize::MAX),
        ("realnews-syndicated.tar.xz", 1),
    ];

    #[test]
    fn rewritten_documents_read_as_the_same_feed() {
        let url = url::Url::parse("https://feeds.example/feed").unwrap();
        for &(name, per_folder) in ARCHIVES {
            let Some(unpacked) = shared_corpus::unpacked_or_skip(name) else {
                continue;
            };
            let (mut read, mut rewritten) = (0, 0);
            for path in documents(unpacked.path(), per_folder) {
                let bytes = std::fs::read(&path).unwrap();
                read += 1;
                let Some(resolved) = super::rewrite(&bytes) else {
                    continue;
                };
                rewritten += 1;
                let feed = |bytes: &[u8]| {
                    super::super::read_with_dates(bytes, &url).map(|feed| format!("{feed:?}"))
                };
                match (feed(&bytes), feed(&resolved)) {
                    (Ok(own), Ok(after)) => assert!(own == after, "{}", path.display()),
                    (Err(_), Err(_)) => {}
                    (own, after) => panic!("{}: {own:.200?} / {after:.200?}", path.display()),
                }
            }
            eprintln!("{name}: {rewritten} of {read} documents rewritten");
            assert!(
                rewritten * 2 > read,
                "{name}: {rewritten} of {read} rewritten"
            );
        }
    }

    /// The files under `root`, `per_folder` of each folder in name order, but the
    /// corpus's own notes.
    fn documents(root: &Path, per_folder: usize) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = Vec::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                files.extend(documents(&path, per_folder));
            } else if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("csv" | "md")
            ) && files.len() < per_folder
            {
                files.push(path);
            }
        }
        files
    }

    /// BENCHMARKS.md's figures for the density threshold: `read_feed` against
    /// feed-rs alone over every real-news snapshot (fastest of five reads each),
    /// by the documents' `&` per KB. Run with `cargo test --release --lib
    /// parse::cdata::corpus::time_by_density -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a test: release build, --nocapture"]
    fn time_by_density() {
        const BOUNDS: [f64; 6] = [0.0, 4.0, 8.0, 12.0, 20.0, f64::MAX];
        let name = "realnews-syndicated.tar.xz";
        let Some(unpacked) = shared_corpus::unpacked_or_skip(name) else {
            return;
        };
        let url = url::Url::parse("https://feeds.example/feed").unwrap();
        let fastest = |read: &dyn Fn() -> bool| {
            (0..5)
                .map(|_| {
                    let started = std::time::Instant::now();
                    read();
                    started.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        // Per band: documents, time alone, time with the pass.
        let mut bands = [(0usize, Duration::ZERO, Duration::ZERO); 5];
        for path in documents(unpacked.path(), usize::MAX) {
            let bytes = std::fs::read(&path).unwrap();
            let per_kb = memchr::memchr_iter(b'&', &bytes).count() as f64 * 1024.0
                / bytes.len().max(1) as f64;
            let band = BOUNDS.windows(2).position(|b| per_kb < b[1]).unwrap_or(4);
            bands[band].0 += 1;
            bands[band].1 += fastest(&|| crate::parse::read_with_dates(&bytes, &url).is_ok());
            bands[band].2 += fastest(&|| crate::parse::read_feed(&bytes, &url).is_ok());
        }
        for (band, (documents, alone, with_pass)) in bands.iter().enumerate() {
            let change = with_pass.as_secs_f64() / alone.as_secs_f64().max(1e-9) - 1.0;
            println!(
                "& per KB {:>4}-{:<4} {documents:>4} documents: feed-rs alone {alone:?}, read_feed {with_pass:?} ({:+.1} %)",
                BOUNDS[band],
                if band == 4 {
                    "".to_string()
                } else {
                    BOUNDS[band + 1].to_string()
                },
                change * 100.0
            );
        }
    }
}
