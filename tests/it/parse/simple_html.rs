//! Simple HTML is written in one pass instead of through html5ever's tree and
//! ammonia; the two paths must give the same bytes for every input, so generated
//! fragments, well nested and not, are sanitized both ways and compared.

use feedbraid::sanitize::sanitize_html_by_tree;
use proptest::prelude::*;

use super::*;

/// Pieces of text: plain words, every character the serializer escapes, character
/// references (named ones with and without their `;`, and an `&` that starts none),
/// line breaks with carriage returns, and a few scripts beside English.
const TEXT: [&str; 37] = [
    "word",
    " ",
    "\n",
    "\t",
    "\r\n",
    "\r",
    "Tehran & Ankara",
    "S&P 500, AT&T",
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&apos;",
    "&nbsp;",
    "&hellip;",
    "&mdash;",
    "&rsquo;",
    "&laquo;",
    "&eacute;",
    "&copy2026",
    "&notin;",
    "&notit",
    "&ampx",
    "&amp",
    "&NotEqualTilde;",
    "&#39;",
    "&#x27;",
    "&#8217;",
    "&#x26;",
    "&#160;",
    "&",
    "a > b",
    "\u{a0}",
    "é",
    "জামালপুর",
    "\"quoted\" it's",
    "&#x1F600",
];

/// Text the one-pass writer leaves to the tree: references to characters the
/// tokenizer replaces or reports, or beyond the Basic Multilingual Plane, and a `<`
/// that opens no tag.
const DECLINED_TEXT: [&str; 15] = [
    "&#0;",
    "&#128;",
    "&#x1F600;",
    "&#65535;",
    "&#xD800;",
    "&Tab;",
    "&NewLine;",
    "a < b",
    "<3",
    "&#",
    "&#x;",
    "&#1234567;",
    "</>",
    "<!-- note -->",
    "&#10;",
];

/// Start tags of the elements written in one pass: where they may not open is the
/// generator's to find.
const START_TAGS: [&str; 33] = [
    "<p>",
    "<em>",
    "<strong>",
    "<b>",
    "<i>",
    "<u>",
    "<s>",
    "<small>",
    "<span>",
    "<code>",
    "<sub>",
    "<sup>",
    "<cite>",
    "<h2>",
    "<h6>",
    "<div>",
    "<blockquote>",
    "<figure>",
    "<figcaption>",
    "<aside>",
    "<ul>",
    "<ol>",
    "<li>",
    r#"<a href="https://example.org/a?x=1&amp;y=2">"#,
    r#"<a href="http://ex.com/path#frag">"#,
    r#"<a href="https://ex.com/é?q=ক">"#,
    r#"<a href="https://a.example/" target="_blank" class='x y' data-id=7>"#,
    r#"<a name="top">"#,
    r#"<p class="lede">"#,
    "<p\r\nclass=\"x\"\t>",
    r#"<span style="color:red" id=s1>"#,
    r#"<blockquote cite="https://q.example/">"#,
    r#"<div dir="rtl">"#,
];

/// Start tags the one-pass writer leaves to the tree, and some it takes whose
/// attributes it must read as the tokenizer does.
const DECLINED_START_TAGS: [&str; 21] = [
    r#"<a href="/relative">"#,
    r#"<a href="javascript:alert(1)">"#,
    r#"<a href="https://[bad">"#,
    r#"<a href="https://a.example:99999/">"#,
    r#"<a href="HTTPS://upper.example/">"#,
    r#"<a href='https://single.example/?q="x"'>"#,
    r#"<a href="https://a.example/" title="t &amp; u">"#,
    r#"<a href="https://a.example/"target="_blank">"#,
    r#"<a href = "https://a.example/">"#,
    r#"<a HREF="https://a.example/">"#,
    r#"<a href="https://a.example/" href="https://b.example/">"#,
    "<a>",
    "<a / >",
    "<P>",
    "<table>",
    "<td>",
    r#"<ol start="3">"#,
    "<pre>",
    "<textarea>",
    "<marquee>",
    r#"<span lang="bn">"#,
];

/// Tags with no content, and stray end tags.
const LONE_TAGS: [&str; 26] = [
    "<br>",
    "<br/>",
    "<br />",
    "</br>",
    r#"<br clear="all">"#,
    r#"<img src="https://x.example/y.png">"#,
    r#"<img style="float:left; margin:0 10px" width="150" src="https://x.example/y.png?a=1&amp;b=2" />"#,
    r#"<img align="left" hspace="2" height="180" width=305 alt="" border="0" src="https://x.example/y.jpg">"#,
    r#"<img src="https://x.example/y.png" alt="A &amp; B &quot;q&quot; &copy2026 &notit= &lt;b&gt; é&nbsp;">"#,
    r#"<img alt='it"s' src="https://x.example/y.png" />"#,
    "<img\nsrc=\"https://x.example/y.png\"\r\nalt=\"line\r\nbreak\">",
    r#"<img src="/relative.png" alt="x">"#,
    r#"<img src="https://x.example/y.png" title="t">"#,
    r#"<img src="https://x.example/y.png" src="https://z.example/">"#,
    r#"<img src="https://x.example/y.png"alt="x">"#,
    r#"<img width=1"2 src="https://x.example/y.png">"#,
    r#"<img alt="&#128; &#x1F600;" src="https://x.example/y.png">"#,
    "<script>alert(1)</script>",
    "<style>p > a { color: red }</style>",
    r#"<style type="text/css">a::after { content: "</p>&amp;" }</STYLE>"#,
    "<style/>",
    "<style>x</style >",
    "</style>",
    "</p>",
    "</li>",
    "</a>",
];

/// The end tag of a start tag, as a well-formed fragment closes it.
fn end_tag(start: &str) -> String {
    let name: String = start[1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    format!("</{name}>")
}

/// Fragments nested as written (each element closed, sometimes not), from the pieces
/// above: most are what the one-pass writer takes, some what it must decline.
fn nested() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        40 => prop::sample::select(&TEXT[..]).prop_map(str::to_string),
        1 => prop::sample::select(&DECLINED_TEXT[..]).prop_map(str::to_string),
        2 => prop::sample::select(&LONE_TAGS[..]).prop_map(str::to_string),
    ];
    let start = prop_oneof![
        30 => prop::sample::select(&START_TAGS[..]),
        1 => prop::sample::select(&DECLINED_START_TAGS[..]),
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        (
            start.clone(),
            prop::collection::vec(inner, 0..6),
            prop::bool::weighted(0.9),
        )
            .prop_map(|(start, children, closed)| {
                let mut html = start.to_string();
                html.extend(children);
                if closed {
                    html.push_str(&end_tag(start));
                }
                html
            })
    })
}

/// Any sequence of the same pieces, mostly ill-nested.
fn scrambled() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(&TEXT[..]).prop_map(str::to_string),
        prop::sample::select(&DECLINED_TEXT[..]).prop_map(str::to_string),
        prop::sample::select(&START_TAGS[..]).prop_map(str::to_string),
        prop::sample::select(&DECLINED_START_TAGS[..]).prop_map(str::to_string),
        prop::sample::select(&START_TAGS[..]).prop_map(end_tag),
        prop::sample::select(&LONE_TAGS[..]).prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn assert_same_both_ways(html: &str) -> Result<(), TestCaseError> {
    let base = url::Url::parse("https://news.example/world/story.html").unwrap();
    for base in [None, Some(&base)] {
        let by_tree = sanitize_html_by_tree(html, base);
        prop_assert_eq!(sanitize_html(html, base), by_tree, "input {:?}", html);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn nested_fragments_are_sanitized_as_the_tree_does(html in prop::collection::vec(nested(), 1..4)) {
        assert_same_both_ways(&html.concat())?;
    }

    #[test]
    fn scrambled_fragments_are_sanitized_as_the_tree_does(html in scrambled()) {
        assert_same_both_ways(&html)?;
    }
}

#[test]
fn a_summary_of_the_usual_shape_is_sanitized_as_the_tree_does() {
    let summary = concat!(
        "<p>Talks in Geneva &amp; Doha ended &mdash; for now.&nbsp;",
        r#"<a href="https://wire.example/story/7?utm_source=x&amp;utm_medium=rss">More on "#,
        "<em>Tehran</em></a>.</p>\n<ul><li>one</li><li>two<br/></li></ul>",
        "<blockquote><p>It&#39;s over, &#x201C;said&#x201D; one.</p></blockquote>",
        "<p>Unclosed at the end <strong>here",
    );
    let sanitized = sanitize_html(summary, None);
    assert_eq!(sanitized, sanitize_html_by_tree(summary, None));
    assert!(
        sanitized.contains(
            r#"<a href="https://wire.example/story/7?utm_source=x&amp;utm_medium=rss" rel="noopener noreferrer">"#
        ),
        "{sanitized}"
    );
    assert!(
        sanitized.ends_with("<strong>here</strong></p>"),
        "{sanitized}"
    );
}
