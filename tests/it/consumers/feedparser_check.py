"""Parses feedbraid's served feeds with Python feedparser, as a reader would.

Reads a JSON list of expectations on stdin, one per served feed:
  {"url": ..., "version": "rss20" | "atom10" | "json11",
   "items": [{"id": ..., "title": ..., "link": ...}, ...],
   "also_reported": <how many items carry the "Also reported by" block>}
Fetches each URL with feedparser, checks bozo is false and that the entries are
exactly the expected ones in order, prints one "ok" line per feed, and exits 1 with
the reasons on the first feed that differs.

Released feedparser (6.0.x) has no JSON Feed parser (only its development branch
does). When the installed one lacks it, a JSON Feed is checked with the json module
against the JSON Feed 1.1 rules a reader relies on instead, and the "ok" line says so.
"""

import importlib.util
import json
import sys
import urllib.request

import feedparser

FEEDPARSER_READS_JSON = importlib.util.find_spec("feedparser.parsers.json") is not None
JSON_FEED_1_1 = "https://jsonfeed.org/version/1.1"


def check_json_feed(expected):
    """The JSON Feed 1.1 checks feedparser would make, with the json module."""
    with urllib.request.urlopen(expected["url"]) as response:
        status = response.status
        content_type = response.headers.get("Content-Type", "")
        body = response.read()
    problems = []
    if status != 200:
        problems.append(f"HTTP status {status}")
    if not content_type.startswith("application/feed+json"):
        problems.append(f"content type {content_type!r}")
    try:
        feed = json.loads(body.decode("utf-8"))
    except ValueError as error:
        return problems + [f"not JSON: {error}"]
    if feed.get("version") != JSON_FEED_1_1:
        problems.append(f"version {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str):
        problems.append("no feed title")
    items = feed.get("items")
    if not isinstance(items, list):
        return problems + ["no items list"]
    for item in items:
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"item without a string id: {item!r}")
        if not (isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str)):
            problems.append(f"item without content_html or content_text: {item.get('id')}")
    got = [{"id": i.get("id"), "title": i.get("title"), "link": i.get("url")} for i in items]
    if got != expected["items"]:
        problems.append(entries_differ(got, expected["items"]))
    also = sum("Also reported by" in (i.get("content_html") or "") for i in items)
    if also != expected["also_reported"]:
        problems.append(f"{also} items say 'Also reported by', expected {expected['also_reported']}")
    return problems


def entries_differ(got, expected):
    return (
        "entries differ:\n  got      "
        + json.dumps(got, ensure_ascii=False)
        + "\n  expected "
        + json.dumps(expected, ensure_ascii=False)
    )


def entry_body(entry):
    parts = [c.get("value", "") for c in entry.get("content", [])]
    parts.append(entry.get("summary", ""))
    return "\n".join(parts)


def check(expected):
    url = expected["url"]
    parsed = feedparser.parse(url)
    problems = []
    if parsed.get("status") != 200:
        problems.append(f"HTTP status {parsed.get('status')}")
    if parsed.bozo:
        problems.append(f"bozo: {parsed.get('bozo_exception')!r}")
    if parsed.version != expected["version"]:
        problems.append(f"version {parsed.version!r}, expected {expected['version']!r}")
    got = [
        {"id": e.get("id"), "title": e.get("title"), "link": e.get("link")}
        for e in parsed.entries
    ]
    if got != expected["items"]:
        problems.append(entries_differ(got, expected["items"]))
    also = sum("Also reported by" in entry_body(e) for e in parsed.entries)
    if also != expected["also_reported"]:
        problems.append(f"{also} items say 'Also reported by', expected {expected['also_reported']}")
    return problems


def main():
    failed = False
    for expected in json.load(sys.stdin):
        by_json_module = expected["version"] == "json11" and not FEEDPARSER_READS_JSON
        problems = check_json_feed(expected) if by_json_module else check(expected)
        if problems:
            failed = True
            print(f"FAIL {expected['url']}: " + "; ".join(problems))
        else:
            how = f" (json module: feedparser {feedparser.__version__} has no JSON Feed parser)" if by_json_module else ""
            print(f"ok {expected['url']} {expected['version']} {len(expected['items'])} entries{how}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
