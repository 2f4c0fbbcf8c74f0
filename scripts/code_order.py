#!/usr/bin/env python3
"""The functions of the feedbraid binary that the daemon runs, for link/code-order.txt.

Runs the daemon under callgrind, which counts every function it enters, however
rarely: (1) on a new database polling SITE's sources (each due at start) and serving
every format of its feeds, `/`, `/metrics` and `/opml`, then a reload; (2) restarted
on what (1) stored, serving only; (3) on a copy of IDLE_DB (the `farm idle`
database: 1,000 sources, 1,000,000 items), restarted once its feeds are filled,
serving the idle benchmark's requests. Prints, for each build, a line `# LABEL: N
functions`, then the build's functions that ran: those of (2) and (3) first (what a
daemon runs between polls), then those only (1) ran; each group by instructions,
most first. The linker looks each line up as a symbol name and skips those the
binary it links has not.

Usage: scripts/code_order.py SITE IDLE_DB [LABEL=]BIN...  (SITE: a folder with a
feedbraid.toml whose sources are being served, as scripts/loopback_site.sh's
realnews_site makes)
"""

import collections
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from serving_in_turn import free_port, serving_config

REQUESTS = [
    "/feeds/world.json",
    "/feeds/world.rss",
    "/feeds/world.atom",
    "/feeds/topic.json",
    "/feeds/topic.rss",
    "/feeds/topic.atom",
    "/",
    "/metrics",
    "/opml",
    "/healthz",
]
TOPIC_FEED = """
[[feed]]
name = "topic"
title = "Topic"
query = '(iran OR china OR trade) AND NOT category:sport'
"""


def get(port, path, headers=None, timeout=600):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        return error.read()


# How long a traced daemon may take to start or to poll every source: under
# callgrind it runs some fifty times slower than on the CPU.
DEADLINE_SECS = 1800


def wait_healthy(port, child):
    deadline = time.monotonic() + DEADLINE_SECS
    while child.poll() is None and time.monotonic() < deadline:
        try:
            get(port, "/healthz", timeout=5)
            return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the daemon on port {port} was not healthy (exit status {child.poll()})")


def wait_until(done, what):
    deadline = time.monotonic() + DEADLINE_SECS
    while not done():
        if time.monotonic() > deadline:
            sys.exit(f"gave up waiting for {what}")
        time.sleep(1)


def polls_done(port):
    total = 0.0
    for line in get(port, "/metrics").decode().splitlines():
        if line.startswith("feedbraid_polls_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def serve_everything(port):
    for path in REQUESTS:
        get(port, path, {"Accept-Encoding": "gzip"})
        get(port, path)
        get(port, path, {"If-None-Match": '"none"'})


def start_traced(binary, config, out, label):
    return subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--demangle=no",
            "--dump-instr=no",
            f"--callgrind-out-file={out}/{label}.%p",
            binary,
            "run",
            "-c",
            config,
        ],
        env=dict(os.environ, RUST_LOG="warn"),
        stdout=subprocess.DEVNULL,
        stderr=open(f"{out}/{label}.log", "w"),
    )


def stop(child):
    child.send_signal(signal.SIGTERM)
    child.wait()


def site_config(site, work, port):
    """SITE's config with the topic feed, its database in `work`; its source count."""
    text = serving_config(site, work, port, TOPIC_FEED)
    config = f"{work}/site.toml"
    open(config, "w").write(text)
    return config, text.count("[[source]]")


def idle_config(work, port):
    # As benches/support/daemon.rs writes it for the `idle` scenario.
    text = (
        f'[server]\nlisten = "127.0.0.1:{port}"\n\n[storage]\npath = "{work}/idle.db"\n'
        'retention = "3650d"\n\n[fetch]\ninterval = "24h"\n\n'
        '[[feed]]\nname = "world"\ntitle = "World"\ndescription = "Every outlet"\n\n'
        '[[feed]]\nname = "gulf"\ntitle = "Gulf"\ndescription = "Topic"\n'
        "query = '(tehran OR ankara) AND NOT category:sport'\n\n"
    )
    for i in range(1000):
        text += f'[[source]]\nname = "outlet{i}"\nurl = "https://f{i}.farm.test/feed.xml"\n'
    path = f"{work}/idle.toml"
    open(path, "w").write(text)
    return path


@contextlib.contextmanager
def daemon(child):
    """`child` for the block: stopped as a daemon is (SIGTERM, so callgrind writes its
    counts) when the block ends, killed when it fails."""
    try:
        yield child
    except BaseException:
        child.kill()
        child.wait()
        raise
    stop(child)


def trace_site(binary, site, work):
    port = free_port()
    config, sources = site_config(site, work, port)
    with daemon(start_traced(binary, config, work, "polling")) as child:
        wait_healthy(port, child)
        wait_until(lambda: polls_done(port) >= sources, f"{sources} polls")
        serve_everything(port)
        child.send_signal(signal.SIGHUP)
        time.sleep(5)
        serve_everything(port)
    with daemon(start_traced(binary, config, work, "serving")) as child:
        wait_healthy(port, child)
        time.sleep(5)
        serve_everything(port)


def trace_idle(binary, idle_db, work):
    shutil.copy(idle_db, f"{work}/idle.db")
    port = free_port()
    config = idle_config(work, port)
    # The first start sorts the stored items into the config's feeds; the idle
    # daemon is the restart after it.
    first = subprocess.Popen(
        [binary, "run", "-c", config],
        env=dict(os.environ, RUST_LOG="warn"),
        stdout=subprocess.DEVNULL,
    )
    with daemon(first) as child:
        wait_healthy(port, child)
        wait_until(
            lambda: b"feedbraid_feeds_refilling 0" in get(port, "/metrics"),
            "the idle database's feeds to fill",
        )
    with daemon(start_traced(binary, config, work, "idle")) as child:
        wait_healthy(port, child)
        time.sleep(10)
        for path in ["/feeds/world.json", "/feeds/world.rss", "/feeds/gulf.json", "/", "/metrics"]:
            get(port, path)
        time.sleep(3)


def costs(paths, binary):
    """Instructions per function of `binary`, summed over callgrind outputs."""
    found = collections.Counter()
    for path in paths:
        objects, functions = {}, {}
        current_object = current_function = None
        after_call = False
        for line in open(path, errors="replace"):
            if line.startswith(("ob=", "cob=", "fn=", "cfn=")):
                match = re.match(r"(c?)(ob|fn)=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                called, kind, number, name = match.groups()
                names = objects if kind == "ob" else functions
                if name:
                    names[number] = name
                if not called:
                    if kind == "ob":
                        current_object = objects.get(number)
                    else:
                        current_function = functions.get(number)
                        after_call = False
                        if current_object == binary and current_function:
                            found[current_function] += 0
            elif line.startswith("calls="):
                after_call = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                if after_call:
                    # The cost line after `calls=` is the callee's, inclusive.
                    after_call = False
                    continue
                fields = line.split()
                if len(fields) >= 2 and current_object == binary and current_function:
                    found[current_function] += int(fields[1])
    by_name = collections.Counter()
    for name, instructions in found.items():
        # callgrind marks a function's recursive entries with 'N.
        name = re.sub(r"'\d+$", "", name)
        # Addresses and callgrind's own entries ("(below main)") name no symbol.
        if not name.startswith("0x") and " " not in name:
            by_name[name] += instructions
    return by_name


def traced_order(binary, site, idle_db):
    """The functions of `binary` its daemon ran, as the module doc orders them."""
    with tempfile.TemporaryDirectory() as work:
        trace_site(binary, site, work)
        trace_idle(binary, idle_db, work)
        outputs = os.listdir(work)

        def outputs_of(runs):
            return [f"{work}/{f}" for f in outputs if re.match(rf"({runs})\.\d+$", f)]

        between_polls = costs(outputs_of("serving|idle"), binary)
        polling = costs(outputs_of("polling"), binary)
    order = []
    seen = set()
    for group in (between_polls, polling):
        for name, _ in sorted(group.items(), key=lambda item: (-item[1], item[0])):
            if name not in seen:
                seen.add(name)
                order.append(name)
    return order


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    site, idle_db = (os.path.realpath(arg) for arg in sys.argv[1:3])
    for build in sys.argv[3:]:
        label, _, binary = build.partition("=") if "=" in build else ("", "", build)
        order = traced_order(os.path.realpath(binary), site, idle_db)
        print(f"# {label or binary}: {len(order)} functions")
        print("\n".join(order))


if __name__ == "__main__":
    main()
