//! The CDATA pass against feed-rs itself: documents built of the pieces where the
//! pass could go wrong read as the same feed once rewritten.

/// How feed-rs reads `bytes`, as text to compare (any refusal alike).
fn read(bytes: &[u8]) -> Option<String> {
    let url = url::Url::parse("https://feeds.example/feed").unwrap();
    super::super::read_with_dates(bytes, &url)
        .ok()
        .map(|feed| format!("{feed:?}"))
}

proptest::proptest! {
    /// Documents built of the pieces where the pass could go wrong read as the
    /// same feed once rewritten, and one feed-rs refuses is refused rewritten.
    #[test]
    fn rewritten_documents_read_alike(
        title in proptest::collection::vec(proptest::sample::select(PIECES.to_vec()), 0..12),
        summary in proptest::collection::vec(proptest::sample::select(PIECES.to_vec()), 0..40),
    ) {
        let document = format!(
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T</title>\
             <item><title>{}</title><link>https://e.example/1</link>\
             <description>{}</description></item></channel></rss>",
            title.concat(),
            summary.concat(),
        );
        if let Some(rewritten) = super::rewrite(document.as_bytes()) {
            proptest::prop_assert_eq!(read(document.as_bytes()), read(&rewritten), "{}", document);
        }
    }
}

const PIECES: &[&str] = &[
    "word",
    " ",
    "\n",
    "\r\n",
    "é",
    "漢字",
    "&lt;p&gt;",
    "&lt;/p&gt;",
    "&amp;",
    "&amp;amp;",
    "&quot;",
    "&apos;",
    "&#65;",
    "&#x41;",
    "&#x1F600;",
    "&#0;",
    "&#X41;",
    "&#+1;",
    "&nbsp;",
    "&copy;",
    "& ;",
    "AT&T",
    "&",
    ";",
    "]]",
    ">",
    "]]&gt;",
    "<![CDATA[<b>&amp;]]>",
    "<![CDATA[]]>",
    "<!-- & -->",
    "<?pi x?>",
    "<b>",
    "</b>",
    "<i a=\"&amp;>\">x</i>",
    "<i a='\"'/>",
    "<br/>",
];
