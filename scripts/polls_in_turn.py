#!/usr/bin/env python3
"""Polls taken in turn: how builds of feedbraid compare on one corpus in one sitting.

Each round runs `BIN poll -c feedbraid.toml` once per build, in the order given, in
SITE (a folder with a feedbraid.toml whose database is `feedbraid.db` in it, and
whose sources a server is serving), each poll into a new database. A build's figure
is the median over the rounds of its wall time (process start to exit) and of its
CPU time (user and system, all threads). Taking the builds in turn spreads the
host's slow and fast moments over all of them: one build's runs taken one after
another would compare sittings, not builds.

With `--floor FARM` (the farm bench's binary), each round also times the floor over
SITE's feed files (`FARM floor --dir SITE`, its median of three), and each build's
ratio to it is taken within the round: the host's speed moves by a tenth or more
between sittings, and a floor timed apart from the polls moves the ratio with it.

Usage: scripts/polls_in_turn.py [--json] [--floor FARM] SITE ROUNDS [LABEL=]BIN...
Prints one line per build; with `--json`, the same figures as one JSON object.
"""

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

USAGE = "usage: scripts/polls_in_turn.py [--json] [--floor FARM] SITE ROUNDS [LABEL=]BIN..."


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


def floor_once(site: str, farm: str) -> float:
    """Seconds the floor takes over SITE's feed files (the farm's median of three)."""
    out = subprocess.run(
        [farm, "floor", "--dir", site], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        found = re.search(r": ([0-9.]+) s \(median", line)
        if line.startswith("floor") and found:
            return float(found.group(1))
    raise RuntimeError(f"{farm} printed no floor line")


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--json"]
    as_json = len(args) != len(sys.argv) - 1
    farm = None
    if len(args) >= 2 and args[0] == "--floor":
        farm = os.path.abspath(args[1])
        args = args[2:]
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
    runs = {label: ([], [], []) for label, _ in builds}
    for _ in range(rounds):
        polls = {label: poll_once(site, binary) for label, binary in builds}
        floor = floor_once(site, farm) if farm else None
        for label, (wall, cpu) in polls.items():
            runs[label][0].append(wall)
            runs[label][1].append(cpu)
            if floor is not None:
                runs[label][2].append(floor / wall)
    figures = {
        label: {
            "wall_median": statistics.median(walls),
            "wall_min": min(walls),
            "cpu_median": statistics.median(cpus),
            "rounds": len(walls),
        }
        | (
            {
                "ratio_median": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
            }
            if ratios
            else {}
        )
        for label, (walls, cpus, ratios) in runs.items()
    }
    if as_json:
        print(json.dumps(figures))
    else:
        for label, f in figures.items():
            ratio = (
                f"; against the floor of its round: median {f['ratio_median']:.2f}x "
                f"({f['ratio_min']:.2f}-{f['ratio_max']:.2f})"
                if "ratio_median" in f
                else ""
            )
            print(
                f"{label}: wall median {f['wall_median']:.3f} s (min {f['wall_min']:.3f}), "
                f"CPU median {f['cpu_median']:.3f} s, {f['rounds']} rounds{ratio}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
