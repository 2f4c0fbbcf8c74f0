#!/usr/bin/env bash
# Runs feedbraid's benchmarks in release mode, one process per end-to-end scenario
# (so peak RSS is per scenario), and records machine and load with each.
# Usage: scripts/bench.sh [stages|ingest|store|notmod|notmod-shared|notmod-loop|serving|busy-serving|backlog|idle|realnews|realnews-light]...
#        (default: all)
# Needs wrk and nginx for the serving comparison, nginx for realnews (apt-get install -y
# wrk nginx-light); realnews and realnews-light read ../shared/corpus and skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(stages ingest store notmod notmod-shared notmod-loop serving busy-serving backlog idle realnews realnews-light)
# 10,000 sources hold 10,000 sockets in the poller (and as many in the farm server).
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "date: $(date -u +%FT%TZ)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "memory: $(grep MemTotal /proc/meminfo)  commit: $(git rev-parse --short HEAD)"
cargo bench --no-run --bench farm --bench stages
for s in "${scenarios[@]}"; do
  echo "== $s  (loadavg before: $(cut -d' ' -f1-3 /proc/loadavg))"
  case "$s" in
    stages) cargo bench --bench stages ;;
    notmod-shared) cargo bench -q --bench farm -- notmod --per-host 2 ;;
    notmod-loop) cargo bench -q --bench farm -- notmod --per-host 2 --loop ;;
    realnews) scripts/realnews_poll.sh ;;
    realnews-light) scripts/realnews_poll.sh --light ;;
    *) cargo bench -q --bench farm -- "$s" ;;
  esac
  echo "   (loadavg after: $(cut -d' ' -f1-3 /proc/loadavg))"
done
