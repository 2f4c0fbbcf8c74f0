//! Fuzz target for the HTML sanitizer on arbitrary strings: sanitizing twice equals
//! sanitizing once (with and without a base URL), the one-pass writer of simple HTML
//! gives what the tree path gives, the output holds only characters XML 1.0 allows,
//! and plain-text extraction never panics.
#![no_main]

use feedbraid::sanitize::{html_to_text, is_xml_char, sanitize_html, sanitize_html_by_tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|html: &str| {
    let base = url::Url::parse("https://fuzz.example/world/story.html").unwrap();
    for base in [None, Some(&base)] {
        let once = sanitize_html(html, base);
        assert_eq!(
            once,
            sanitize_html_by_tree(html, base),
            "the one-pass writer differs from the tree for {html:?}"
        );
        assert!(
            once.chars().all(is_xml_char),
            "forbidden character kept: {once:?}"
        );
        let twice = sanitize_html(&once, base);
        assert_eq!(twice, once, "sanitize is not idempotent for {html:?}");
    }
    let _ = html_to_text(html);
});
