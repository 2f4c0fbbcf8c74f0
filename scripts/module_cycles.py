#!/usr/bin/env python3
"""Checks that feedbraid's module dependencies point one way (ARCHITECTURE.md).

Reads `crate::` and `super::` paths in src/ (test modules and comments left out) and
builds two kinds of graph: the crate's top-level modules, and the submodules of each
directory module. Prints each graph's cycles (strongly connected groups) and exits 1
when there is one. Run from the repository root: python3 scripts/module_cycles.py
"""

import collections
import glob
import os
import re
import sys


def source_of(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def module_path(path):
    parts = path[len("src/") : -len(".rs")].split("/")
    return parts[:-1] if parts[-1] == "mod" else parts


def referenced_paths(text, me):
    refs = set()
    for m in re.finditer(r"crate::((?:\w+::)*\w+)", text):
        refs.add(tuple(m.group(1).split("::")))
    for m in re.finditer(r"crate::((?:\w+::)*)\{([^}]*)\}", text):
        prefix = tuple(p for p in m.group(1).split("::") if p)
        for name in re.findall(r"(?:^|,)\s*(\w+)", m.group(2)):
            refs.add(prefix + (name,))
    # `super::super::x` climbs once per `super`; a path starting with `super` must not
    # be matched again from its second `super`.
    for m in re.finditer(r"(?<!::)((?:super::)+)((?:\w+::)*\w+|\{[^}]*\})", text):
        base = tuple(me[: len(me) - m.group(1).count("super::")])
        tail = m.group(2)
        if tail.startswith("{"):
            for name in re.findall(r"(?:^|,)\s*(\w+)", tail[1:-1]):
                refs.add(base + (name,))
        else:
            refs.add(base + tuple(tail.split("::")))
    return refs


def is_module(parts):
    base = "src/" + "/".join(parts)
    return os.path.exists(base + ".rs") or os.path.exists(base + "/mod.rs")


def cycles(graph):
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def main():
    top = collections.defaultdict(set)
    inner = collections.defaultdict(lambda: collections.defaultdict(set))
    for path in glob.glob("src/**/*.rs", recursive=True):
        me = module_path(path)
        if me[0] in ("lib", "main"):
            continue
        for ref in referenced_paths(source_of(path), me):
            if ref[0] != me[0]:
                top[me[0]].add(ref[0])
            elif len(me) >= 2 and len(ref) >= 2 and is_module(ref[:2]) and ref[1] != me[1]:
                inner[me[0]]["::".join(me[:2])].add("::".join(ref[:2]))
    problems = [("crate", group) for group in cycles(top)]
    for parent, graph in sorted(inner.items()):
        problems += [(parent, group) for group in cycles(graph)]
    for scope, group in problems:
        print(f"cycle among {scope}'s modules: {' -> '.join(group)}")
    if problems:
        sys.exit(1)
    print(f"no cycles: {len(top)} top-level modules, {len(inner)} with submodules")


if __name__ == "__main__":
    main()
