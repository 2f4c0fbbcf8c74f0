//! Fuzz target for the HTML sanitizer on arbitrary strings: sanitizing twice equals
//! sanitizing once (with and without a base URL), the output holds only characters
//! XML 1.0 allows, and plain-text extraction never panics.
#![no_main]

use feedbraid::sanitize::{html_to_text, is_xml_char, sanitize_html};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|html: &str| {
    let base = url::Url::parse("https://fuzz.example/world/story.html").unwrap();
    for base in [None, Some(&base)] {
        let once = sanitize_html(html, base);
        assert!(
            once.chars().all(is_xml_char),
            "forbidden character kept: {once:?}"
        );
        let twice = sanitize_html(&once, base);
        assert_eq!(twice, once, "sanitize is not idempotent for {html:?}");
    }
    let _ = html_to_text(html);
});
