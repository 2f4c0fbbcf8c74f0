#!/usr/bin/env bash
# link/code-order.txt: the functions the daemon runs, which the linker lays out
# first (build.rs says why). Made from the binary run under callgrind
# (scripts/code_order.py): polling the real-news snapshots behind nginx and serving
# them, restarted on what it stored, and restarted on the `farm idle` database.
# Two builds of the binary are traced, each a section of the list: `release`, the
# one installed (`cargo build --release`), and `bench`, the one the farm's daemon
# scenarios start (`cargo bench` builds it with the dev-dependencies' features,
# tokio's test-util among them, so its functions are named with other hashes).
# Symbol names carry hashes that change with the toolchain and the dependencies'
# versions; --check tells how many of a section's names a binary still has, so run
# it after such a change, and this script again when the share has dropped.
# Usage: scripts/code_order.sh                 (regenerate; then cargo build --release)
#        scripts/code_order.sh --check [BIN]   (default target/release/feedbraid)
# Needs valgrind and nginx (apt-get install -y valgrind nginx-light) and
# ../shared/corpus; takes about 20 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
order=link/code-order.txt

if [ "${1:-}" = --check ]; then
  bin=${2:-target/release/feedbraid}
  symbols=$(mktemp)
  trap 'rm -f "$symbols"' EXIT
  nm "$bin" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u > "$symbols" || true
  if [ ! -s "$symbols" ]; then
    echo "$bin has no symbol table (stripped?): its layout cannot be checked" >&2
    exit 1
  fi
  python3 - "$order" "$symbols" "$bin" <<'PY'
import sys
order, symbols, binary = sys.argv[1:]
present = set(open(symbols).read().split())
sections, label = {}, None
for line in open(order).read().splitlines():
    if line.startswith("# "):
        label = line[2:].split(":")[0]
        sections[label] = []
    elif label and line.strip():
        sections[label].append(line)
best = 0.0
for label, names in sections.items():
    found = sum(name in present for name in names)
    best = max(best, found / max(len(names), 1))
    print(f"{label}: {found} of its {len(names)} functions are in {binary}")
if best < 0.9:
    sys.exit(f"{order}: no section has 90 % of its functions in {binary}: "
             "make the list again (scripts/code_order.sh)")
PY
  exit
fi

corpus=../shared/corpus/realnews-syndicated.tar.xz
if [ ! -f "$corpus" ]; then
  echo "$corpus is absent: the list is made from the real-news snapshots" >&2
  exit 1
fi
for tool in valgrind nginx; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done

source scripts/loopback_site.sh
make_work_dir
port=$(free_port)
# Both builds land at target/release/feedbraid: each is copied away once built.
cargo bench -q --bench farm --no-run
farm=$(ls -t target/release/deps/farm-* | grep -v '\.d$' | head -1)
cp target/release/feedbraid "$work/feedbraid-bench"
cargo build -q --release
cp target/release/feedbraid "$work/feedbraid-release"
realnews_site "$corpus" false "$port"
echo "== the idle benchmark's database (farm idle --cache)"
"$farm" idle --cache "$work/idle" | { grep -E "built|scenario" || true; }
echo "== each build's daemon under callgrind: polling, serving, idle"
scripts/code_order.py "$work/site" "$(ls "$work"/idle/*.db)" \
  release="$work/feedbraid-release" bench="$work/feedbraid-bench" > "$work/order"
mv "$work/order" "$order"
grep '^# ' "$order"
echo "wrote $order; cargo build --release links by it"
