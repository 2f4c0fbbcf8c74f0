"""Prints what Python feedparser, as a podcast app or reader uses it, sees of each
entry's media in a served feed: the URL is the only argument; the output is one JSON
object {title: {...}} on stdout. Fields: enclosures ([href, type, length] as
feedparser reports them), thumbnail (Media RSS), authors, tags ([term, scheme]),
comments, and bozo (a parse problem)."""
import json
import sys

import feedparser

parsed = feedparser.parse(sys.argv[1])
out = {"bozo": bool(parsed.bozo), "entries": {}}
for entry in parsed.entries:
    out["entries"][entry.get("title", "")] = {
        "enclosures": sorted(
            [e.get("href"), e.get("type"), str(e.get("length", ""))]
            for e in entry.get("enclosures", [])
        ),
        "thumbnail": [t.get("url") for t in entry.get("media_thumbnail", [])],
        "authors": [a.get("name") for a in entry.get("authors", [])],
        "tags": sorted([t.get("term"), t.get("scheme")] for t in entry.get("tags", [])),
        "comments": entry.get("comments"),
    }
print(json.dumps(out))
