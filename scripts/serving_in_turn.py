#!/usr/bin/env python3
"""The daemon serving a polled corpus, builds taken in turn: first renders and memory.

SITE is a folder with a feedbraid.toml whose sources a server is serving (as
`realnews_poll.sh` and `vs_reader.sh` set one up). The first build polls them once
into SITE/serving/feedbraid.db, with one topic feed added to the config's feeds
(`iran`: `iran OR tehran`), so that a feed of membership rows is served beside the
feeds of every item. Then each run starts `BIN run` on that database once per build,
in the order given, and asks for each feed in JSON and RSS, then `/` twice: each
request's time is that of the first render of what it asks (nothing is rendered
before it is asked for), the second `/` that of building the status page again. The
resident memory is read just after (VmRSS), its peak (VmHWM), and again 2 s later.
A build's figure is the median over the runs.

Usage: scripts/serving_in_turn.py SITE RUNS [LABEL=]BIN...
"""

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

USAGE = "usage: scripts/serving_in_turn.py SITE RUNS [LABEL=]BIN..."
TOPIC = '\n[[feed]]\nname = "iran"\ntitle = "Iran"\nquery = \'iran OR tehran\'\n'
PATHS = [
    "/feeds/world.json",
    "/feeds/world.rss",
    "/feeds/iran.json",
    "/feeds/iran.rss",
    "/",
    "/",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving_config(site: str, folder: str, port: int, topic: str = TOPIC) -> str:
    """SITE's config with the feed `topic`, its database in `folder`, listening on `port`."""
    path = os.path.join(site, "feedbraid.toml")
    with open(path) as f:
        config = f.read()
    if 'path = "feedbraid.db"' not in config:
        sys.exit(f'{path}: [storage] path is not "feedbraid.db", as realnews_site writes it')
    config = config.replace('path = "feedbraid.db"', f'path = "{folder}/feedbraid.db"')
    config = re.sub(r'listen = "[^"]*"', f'listen = "127.0.0.1:{port}"', config, count=1)
    return config.replace("\n[[source]]", topic + "\n[[source]]", 1)


def status_mib(pid: int, key: str) -> float:
    with open(f"/proc/{pid}/status") as f:
        found = re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.MULTILINE)
    return int(found.group(1)) / 1024 if found else float("nan")


def serve_once(binary: str, config: str, port: int) -> list[float]:
    """Milliseconds of each of PATHS, then RSS, peak and RSS 2 s later in MiB."""
    daemon = subprocess.Popen(
        [binary, "run", "-c", config],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(2)
        figures = []
        for path in PATHS:
            started = time.monotonic()
            urllib.request.urlopen(base + path, timeout=60).read()
            figures.append((time.monotonic() - started) * 1000)
        figures += [status_mib(daemon.pid, "VmRSS"), status_mib(daemon.pid, "VmHWM")]
        time.sleep(2)
        figures.append(status_mib(daemon.pid, "VmRSS"))
        return figures
    finally:
        daemon.terminate()
        daemon.wait()


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(USAGE)
    site, runs = os.path.abspath(sys.argv[1]), int(sys.argv[2])
    builds = [b.split("=", 1) if "=" in b else [b, b] for b in sys.argv[3:]]
    folder = os.path.join(site, "serving")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    port = free_port()
    config = os.path.join(folder, "feedbraid.toml")
    with open(config, "w") as f:
        f.write(serving_config(site, folder, port))
    subprocess.run(
        [builds[0][1], "poll", "-c", config],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    seen: dict[str, list[list[float]]] = {label: [] for label, _ in builds}
    for _ in range(runs):
        for label, binary in builds:
            seen[label].append(serve_once(binary, config, port))
    names = [p if p != "/" else "status page" for p in PATHS[:-1]] + ["status page again"]
    for label, rows in seen.items():
        median = [statistics.median(column) for column in zip(*rows)]
        renders = ", ".join(f"{n} {ms:.1f}" for n, ms in zip(names, median))
        rss, peak, rest = median[len(PATHS) :]
        print(f"{label}: first renders (ms) {renders}")
        print(
            f"{label}: just after {rss:.1f} MiB, peak {peak:.1f} MiB, 2 s later {rest:.1f} MiB"
            f" (medians of {runs})"
        )


if __name__ == "__main__":
    main()
