#!/usr/bin/env python3
"""Polls taken in turn: how builds of feedbraid compare on one corpus in one sitting.

Each round runs `BIN poll -c feedbraid.toml` once per build, in the order given, in
SITE (a folder with a feedbraid.toml whose database is `feedbraid.db` in it, and
whose sources a server is serving), each poll into a new database. A build's figure
is the median over the rounds of its wall time (process start to exit) and of its
CPU time (user and system, all threads). Taking the builds in turn spreads the
host's slow and fast moments over all of them: one build's runs taken one after
another would compare sittings, not builds.

Usage: scripts/polls_in_turn.py [--json] SITE ROUNDS [LABEL=]BIN...
Prints one line per build; with `--json`, the same figures as one JSON object.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time

USAGE = "usage: scripts/polls_in_turn.py [--json] SITE ROUNDS [LABEL=]BIN..."


def poll_once(site: str, binary: str) -> tuple[float, float]:
    """Wall and CPU seconds of one poll of SITE's sources into a new database."""
    for name in os.listdir(site):
        if name.startswith("feedbraid.db"):
            os.remove(os.path.join(site, name))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(
        [binary, "poll", "-c", "feedbraid.toml"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--json"]
    as_json = len(args) != len(sys.argv) - 1
    if len(args) < 3:
        print(USAGE, file=sys.stderr)
        return 2
    site, rounds = args[0], int(args[1])
    builds = []
    for arg in args[2:]:
        label, _, binary = arg.rpartition("=")
        builds.append((label or binary, os.path.abspath(binary)))
    if not os.path.isfile(os.path.join(site, "feedbraid.toml")):
        print(f"{site}: no feedbraid.toml", file=sys.stderr)
        return 2
    runs = {label: ([], []) for label, _ in builds}
    for _ in range(rounds):
        for label, binary in builds:
            wall, cpu = poll_once(site, binary)
            runs[label][0].append(wall)
            runs[label][1].append(cpu)
    figures = {
        label: {
            "wall_median": statistics.median(walls),
            "wall_min": min(walls),
            "cpu_median": statistics.median(cpus),
            "rounds": len(walls),
        }
        for label, (walls, cpus) in runs.items()
    }
    if as_json:
        print(json.dumps(figures))
    else:
        for label, f in figures.items():
            print(
                f"{label}: wall median {f['wall_median']:.3f} s (min {f['wall_min']:.3f}), "
                f"CPU median {f['cpu_median']:.3f} s, {f['rounds']} rounds"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
