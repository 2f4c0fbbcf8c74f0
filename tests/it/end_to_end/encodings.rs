//! The encoding a served document is read in: the HTTP `charset` comes before the
//! XML declaration, as readers resolve it, except a server's Western default on a
//! document that is valid UTF-8.

use crate::common::{FeedServer, Harness, titles, write_config};

fn rss(declaration: &[u8], title: &[u8]) -> Vec<u8> {
    [
        declaration,
        b"<rss version=\"2.0\"><channel><title>t</title><link>https://e.example/</link>\
          <description>d</description><item><guid>1</guid><title>",
        title,
        b"</title><description>",
        title,
        b"</description></item></channel></rss>",
    ]
    .concat()
}

#[tokio::test]
async fn the_http_charset_decodes_what_the_declaration_does_not_say_or_gets_wrong() {
    let server = FeedServer::start().await;
    let documents: [(&str, &str, Vec<u8>); 3] = [
        // "Новости" in windows-1251, no declaration.
        (
            "cp1251.xml",
            "application/rss+xml; charset=windows-1251",
            rss(b"", b"\xCD\xEE\xE2\xEE\xF1\xF2\xE8"),
        ),
        // "Вести" in KOI8-R, under a template's ISO-8859-1 declaration.
        (
            "koi8.xml",
            "text/xml; charset=\"KOI8-R\"",
            rss(
                b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
                b"\xF7\xC5\xD3\xD4\xC9",
            ),
        ),
        // UTF-8, declared so, under a server's default Latin-1.
        (
            "utf8.xml",
            "text/xml; charset=ISO-8859-1",
            rss(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "Café São Paulo".as_bytes(),
            ),
        ),
    ];
    let mut config = String::new();
    for (path, content_type, body) in documents {
        server.set(path, body);
        server.set_content_type(path, content_type);
        config.push_str(&format!(
            "[[source]]\nname = \"{}\"\nurl = \"{}\"\n\n",
            path.trim_end_matches(".xml"),
            server.url(path)
        ));
    }
    config.push_str("[[feed]]\nname = \"all\"\n");
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::start(&write_config(dir.path(), &config)).await;
    h.poll().await;
    let mut got = titles(&h.json_feed("all").await);
    got.sort();
    assert_eq!(got, ["Café São Paulo", "Вести", "Новости"]);
}
