#!/usr/bin/env bash
# feedbraid against lemon24/reader (Python) on the same URLs: the farm corpus (light
# shape by default) written as files, served by nginx on loopback with one host
# (127.0.x.y) per feed; each aggregator reads every feed once into a new database,
# timed from process start to exit. feedbraid polls three times, each into a new
# database, and the median counts (one run of under a second moves with the host's
# noise); reader, whose run is twenty times longer, runs with one worker and with 16.
# Each of feedbraid's polls is taken beside the floor (feed-rs then ammonia, one
# thread) over the same files (scripts/polls_in_turn.py --floor), so the run also
# gives ingest as issue 20 measures it: feedbraid's poll, process start to exit,
# against the floor's rate on one thread, within each round.
# Usage: scripts/vs_reader.sh [--heavy] [--feeds N]
# Needs nginx (apt-get install -y nginx-light) and PyPI; reader goes into a venv in
# a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
shape=(--light)
feeds=500
while [ $# -gt 0 ]; do
  case "$1" in
    --heavy) shape=() ;;
    --feeds) feeds=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
source scripts/loopback_site.sh
make_work_dir
port=$(free_port)

# Builds the farm and, for it, the release binary of feedbraid.
cargo bench -q --bench farm --no-run
bin="$PWD/target/release/feedbraid"
farm=$(ls -t target/release/deps/farm-* | grep -v '\.d$' | head -1)
"$farm" write-corpus "${shape[@]}" --feeds "$feeds" --dir "$work/site" --port "$port"
serve_site "$port"

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q 'reader==3.*' sgmllib3k
cat > "$work/reader_run.py" <<'PY'
import sys
from reader import make_reader
db, urls, workers = sys.argv[1], open(sys.argv[2]).read().split(), int(sys.argv[3])
reader = make_reader(db)
for url in urls:
    reader.add_feed(url)
reader.update_feeds(workers=workers)
PY

# What pip wrote is flushed before anything is timed, not written back meanwhile.
sync

# Rows of table $2 in the SQLite database $1.
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(f'SELECT COUNT(*) FROM {sys.argv[2]}').fetchone()[0])" "$1" "$2"; }
# Runs a command (its output left out), prints its wall, user and system seconds,
# and leaves the wall seconds in $wall.
timed() {
  local times
  times=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 )
  read -r wall user system <<<"$times"
  echo "  $wall s wall, $user s user, $system s system"
}
echo "== feedbraid poll: $feeds feeds (${shape[*]:-heavy}), a new database each time, three"
echo "   rounds, each with the floor (feed-rs then ammonia, one thread) over the same files"
figures=$(scripts/polls_in_turn.py --json --floor "$farm" "$work/site" 3 "feedbraid=$bin")
read -r median cpu ratio low high < <(python3 -c '
import json, sys
f = json.loads(sys.argv[1])["feedbraid"]
print("%.3f %.3f %.2f %.2f %.2f" % tuple(f[k] for k in ("wall_median", "cpu_median", "ratio_median", "ratio_min", "ratio_max")))
' "$figures")
echo "  median $median s, $cpu s of CPU; feedbraid stored $(count "$work/site/feedbraid.db" items) items"
echo "== feedbraid's poll against the floor of its round (target >= 0.5): median ${ratio}x ($low-$high)"
best=""
for workers in 1 16; do
  echo "== reader update_feeds(workers=$workers): the same URLs, a new database"
  rm -f "$work/reader.sqlite"
  timed "$work/venv/bin/python" "$work/reader_run.py" "$work/reader.sqlite" "$work/site/urls.txt" "$workers"
  echo "  reader stored $(count "$work/reader.sqlite" entries) entries"
  best=$(python3 -c "import sys; print(min(float(v) for v in sys.argv[1:] if v))" "$wall" "$best")
done
echo "== reader's faster run against feedbraid's median: $(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.1f}x')" "$best" "$median")"
