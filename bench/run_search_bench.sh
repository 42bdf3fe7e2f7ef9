#!/bin/sh
# Issue 15 search benchmark: 6-trial search on the demo vs the balanced preset on the same split (seed 42).
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TUNEBOARD_RUNS_DIR="$PWD/bench/out/runs"
PY=${PY:-/work/main/.venv/bin/python}
date +%T
/usr/bin/time -f "search wall %e s" $PY -m tuneboard search examples/support_tickets.csv --trials 6 --preset balanced
date +%T
/usr/bin/time -f "balanced wall %e s" $PY -m tuneboard train examples/support_tickets.csv --preset balanced --quiet
date +%T
