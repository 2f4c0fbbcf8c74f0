"""Counts the entries Python feedparser finds in every document of a folder.

Usage: feedparser_counts.py FOLDER
Walks FOLDER (feedparser's own tests/ folder, unpacked from its sdist) and prints
one JSON object {relative_path: entry_count} over every file but Python sources,
paths with "/" separators. A document feedparser cannot read at all counts 0.
"""

import json
import os
import sys

import feedparser


def main():
    root = sys.argv[1]
    counts = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith((".py", ".pyc")):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            try:
                counts[relative] = len(feedparser.parse(path).entries)
            except Exception:  # a document feedparser itself chokes on counts 0
                counts[relative] = 0
    json.dump(counts, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
