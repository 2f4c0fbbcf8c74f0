#!/usr/bin/env bash
# Ingest on held-out real news, as issue 20 measures ingest: the 758 snapshots of the
# 50 real feeds in ../shared/corpus/realnews-syndicated.tar.xz, each a source of its
# own on a loopback host of its own (127.0.x.y), served by nginx; `feedbraid poll`
# of them into a new database, process start to exit, against the floor (feed-rs then
# ammonia, one thread: `farm floor --dir`) over the same files, timed in each round
# beside the polls.
# The builds given are taken in turn (scripts/polls_in_turn.py), so two builds are
# compared within one sitting; with none, the release build of this checkout.
# With --light, the sources are instead the light shape of the issue written from
# the same corpus's headlines and sentences (scripts/light_from_realnews.py): 500
# feeds of 50 items, each feed on a loopback host of its own.
# With --serving, the builds instead serve what the first polled, in turn
# (scripts/serving_in_turn.py): first renders of the feeds and the status page, and
# the daemon's memory, over N runs.
# Usage: scripts/realnews_poll.sh [--rounds N] [--light] [--serving] [[LABEL=]BIN...]
# Needs nginx (apt-get install -y nginx-light). Skips, saying so, where the corpus is
# absent.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5
light=false
serving=false
builds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift ;;
    --light) light=true ;;
    --serving) serving=true ;;
    -*) echo "unknown argument: $1" >&2; exit 2 ;;
    *) builds+=("$1") ;;
  esac
  shift
done
corpus=../shared/corpus/realnews-syndicated.tar.xz
if [ ! -f "$corpus" ]; then
  echo "skipped: $corpus is absent (the shared corpus sits beside the repository)"
  exit 0
fi
source scripts/loopback_site.sh
make_work_dir
port=$(free_port)

# The farm gives the floor; without builds named, the release binary is measured.
cargo bench -q --bench farm --no-run
farm=$(ls -t target/release/deps/farm-* | grep -v '\.d$' | head -1)
if [ ${#builds[@]} -eq 0 ]; then
  cargo build -q --release
  builds=("feedbraid=$PWD/target/release/feedbraid")
fi

realnews_site "$corpus" "$light" "$port"
sync

if $serving; then
  echo "== feedbraid run on one poll of them, builds in turn, $rounds runs"
  scripts/serving_in_turn.py "$work/site" "$rounds" "${builds[@]}"
  exit 0
fi

echo "== feedbraid poll, builds in turn, $rounds rounds, a new database each poll, and"
echo "   the floor over the same files in each round"
figures=$(scripts/polls_in_turn.py --json --floor "$farm" "$work/site" "$rounds" "${builds[@]}")
python3 - "$figures" <<'PY'
import json, sys
for label, f in json.loads(sys.argv[1]).items():
    print(
        f"{label}: poll median {f['wall_median']:.3f} s, {f['cpu_median']:.3f} s of CPU; "
        f"against the floor of its round: median {f['ratio_median']:.2f}x "
        f"({f['ratio_min']:.2f}-{f['ratio_max']:.2f}; target >= 0.5)"
    )
PY
