#!/usr/bin/env bash
# Generates the benchmark data set if it is missing, builds in release mode and runs the benchmark;
# the figures go to stdout and to Benchmarks/results.md. Extra arguments go to policy-bench
# (for example: ./run.sh --rounds 3).
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release --product policy-bench
bin=$(swift build -c release --show-bin-path)/policy-bench
[ -f data/policies/.complete ] || "$bin" generate --data data/policies
"$bin" run --data data/policies --results results.md --command "Benchmarks/run.sh $*" "$@"
