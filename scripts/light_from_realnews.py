#!/usr/bin/env python3
"""The light shape of issue 20 written from real news: 500 RSS feeds of 50 items,
each a title, a link, a guid, a date and a 400-1,500-byte HTML summary, one item in
five also with a 1.2-3 KB `content:encoded`, as the farm's `--light` shape is,
but with the headlines and sentences of the real-news corpus instead of the farm's
60-word vocabulary. It is the light figure's held-out check: the farm's generator
decides the words, their repeats and the headlines' overlap there; here the world
does.

Usage: scripts/light_from_realnews.py SNAPSHOTS OUT
SNAPSHOTS is the unpacked `realnews-syndicated.tar.xz` (its outlet folders of RSS
and Atom snapshots, at any depth); OUT receives `light/feedN.xml` for N in 0..500.
Only mostly-ASCII (English) headlines and sentences are taken, as the light
corpus is English. The output depends on the corpus only: the same corpus gives
the same files.
"""

import html
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

FEEDS = 500
ITEMS = 50
# A prime: `order * LEDE_STRIDE % n` visits every sentence once for n sentences
# (more than the items) that it does not divide.
LEDE_STRIDE = 7919
TAG = re.compile(r"<[^>]+>")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
ATOM = "{http://www.w3.org/2005/Atom}"


def plain(markup: str) -> str:
    """The text of an HTML fragment, whitespace folded."""
    return " ".join(html.unescape(TAG.sub(" ", markup)).split())


def english(text: str) -> bool:
    return bool(text) and sum(c.isascii() for c in text) >= 0.95 * len(text)


def read_corpus(root: str) -> tuple[list[str], list[str]]:
    """The distinct headlines and sentences of every snapshot under `root`."""
    titles, sentences = {}, {}
    for folder, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            if not name.endswith(".xml"):
                continue
            try:
                tree = ElementTree.parse(os.path.join(folder, name))
            except ElementTree.ParseError:
                continue
            items = tree.iter("item")
            entries = tree.iter(f"{ATOM}entry")
            for item in [*items, *entries]:
                title = plain(item.findtext("title") or item.findtext(f"{ATOM}title") or "")
                if english(title) and len(title) > 20:
                    titles.setdefault(title, None)
                for field in ("description", CONTENT, f"{ATOM}summary", f"{ATOM}content"):
                    for sentence in SENTENCE_END.split(plain(item.findtext(field) or "")):
                        if english(sentence) and 40 <= len(sentence) <= 400:
                            sentences.setdefault(sentence, None)
    return list(titles), list(sentences)


class Rng:
    """A small deterministic generator (xorshift64*), so the files depend on the
    corpus only."""

    def __init__(self, seed: int):
        self.state = (seed * 0x9E3779B97F4A7C15 + 1) & (2**64 - 1)

    def below(self, n: int) -> int:
        self.state ^= self.state >> 12
        self.state ^= (self.state << 25) & (2**64 - 1)
        self.state ^= self.state >> 27
        return ((self.state * 0x2545F4914F6CDD1D) & (2**64 - 1)) % n


def headline(titles: list[str], vocabulary: list[str], rng: Rng) -> str:
    """A real headline, one in ten whole (a wire story's copy); the others with each
    word, at even odds, swapped for a word drawn from all headlines' words as often
    as they use it. Headlines then share words as unrelated real ones do, and the
    corpus' few thousand headlines give 25,000 that are not copies."""
    words = titles[rng.below(len(titles))].split()
    if rng.below(10) == 0:
        return " ".join(words)
    return " ".join(
        word if rng.below(2) == 0 else vocabulary[rng.below(len(vocabulary))]
        for word in words
    )


def paragraphs(sentences: list[str], rng: Rng, budget: int, lede: str | None = None) -> list[str]:
    """Paragraphs of one to three corpus sentences drawn apart, as many as fit in
    `budget` bytes (one at least); the first opens with `lede` when given."""
    out: list[str] = []
    current: list[str] = []
    size, per_paragraph = 0, 1 + rng.below(3)
    while True:
        first = not out and not current
        if first and lede is not None:
            sentence = lede
        else:
            # Of a few sentences drawn, the first that fits: the text ends near the
            # budget, not a long sentence short of it.
            drawn = (sentences[rng.below(len(sentences))] for _ in range(8))
            fitting = (s for s in drawn if first or size + len(s) + 8 <= budget)
            sentence = next(fitting, None)
            if sentence is None:
                break
        current.append(sentence)
        size += len(sentence) + 1
        if len(current) == per_paragraph:
            out.append(" ".join(current))
            size += 7
            current, per_paragraph = [], 1 + rng.below(3)
    if current:
        out.append(" ".join(current))
    return out


def item_xml(feed: int, index: int, titles: list[str], vocabulary: list[str],
             sentences: list[str]) -> str:
    rng = Rng(feed << 20 | index)
    title = headline(titles, vocabulary, rng)
    link = f"https://outlet{feed}.example/news/2026/08/{index}-{rng.below(100_000)}"
    target = 400 + rng.below(1_100)
    summary = ""
    # Each item's first sentence its own (the corpus has more sentences than the
    # shape has items): a text's fingerprint is mostly its opening words, and real
    # items share them only when they are copies of one story.
    order = feed * ITEMS + index
    lede = sentences[order * LEDE_STRIDE % len(sentences)]
    # The budget leaves room for the link the first paragraph ends with.
    for n, text in enumerate(paragraphs(sentences, rng, target - 80, lede)):
        escaped = html.escape(text, quote=False)
        if n == 0:
            word = next(iter(escaped.split()), "news")
            escaped += f' <a href="https://example.org/topics/{index}">More on <em>{word}</em></a>.'
        summary += f"<p>{escaped}</p>"
    content = ""
    if rng.below(5) == 0:
        content = "".join(
            f"<p>{html.escape(text, quote=False)}</p>\n"
            for text in paragraphs(sentences, rng, 1_200 + rng.below(1_800))
        )
    parts = [
        "<item>",
        f"<title>{html.escape(title, quote=False)}</title>",
        f"<link>{link}</link>",
        f'<guid isPermaLink="false">outlet{feed}-{index}</guid>',
        f"<pubDate>01 Aug 2026 {index // 60:02}:{index % 60:02}:00 GMT</pubDate>",
        f"<description>{html.escape(summary, quote=False)}</description>",
    ]
    if content:
        parts.append(f"<content:encoded><![CDATA[{content}]]></content:encoded>")
    parts.append("</item>")
    return "\n".join(parts)


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: scripts/light_from_realnews.py SNAPSHOTS OUT", file=sys.stderr)
        return 2
    titles, sentences = read_corpus(sys.argv[1])
    if len(titles) < 100 or len(sentences) < FEEDS * ITEMS or len(sentences) % LEDE_STRIDE == 0:
        print(f"{sys.argv[1]}: too little English text ({len(titles)} headlines, "
              f"{len(sentences)} sentences)", file=sys.stderr)
        return 1
    vocabulary = [word for title in titles for word in title.split()]
    out = os.path.join(sys.argv[2], "light")
    os.makedirs(out, exist_ok=True)
    for feed in range(FEEDS):
        items = "\n".join(item_xml(feed, index, titles, vocabulary, sentences) for index in range(ITEMS))
        document = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel>\n<title>outlet{feed} News</title><link>https://outlet{feed}.example/</link>\n"
            f"<description>The latest news from outlet{feed}</description><language>en</language>\n"
            f"{items}\n</channel></rss>\n"
        )
        with open(os.path.join(out, f"feed{feed}.xml"), "w", encoding="utf-8") as file:
            file.write(document)
    print(f"{FEEDS} feeds of {ITEMS} items from {len(titles)} headlines and "
          f"{len(sentences)} sentences of real news")
    return 0


if __name__ == "__main__":
    sys.exit(main())
