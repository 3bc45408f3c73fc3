#!/usr/bin/env bash
# Growth: what weeks of journal cost a run. With N served records (default 200,000) in the local
# journal, each run's wall time and peak RSS against the same run on an empty journal, in one session,
# interleaved; then the same journal dated 40 days back and compacted (`state compact`); and the CPU an
# idle `watch --no-events` burns over 60 s on the full journal. Release build of the main package; the
# emulator (release) serves the demo organisation. Results: Benchmarks/journal/results.md.
#   Benchmarks/journal/run.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200000}
rounds=${2:-5}
swift build -c release --product partyline >/dev/null
bin=$PWD/.build/release/partyline
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/policies"
cp policies/noisy-line.yaml policies/limits.yaml "$work/policies/"

python3 Benchmarks/journal/generate.py "$work/recent" "$n" 1 >/dev/null
python3 Benchmarks/journal/generate.py "$work/old" "$n" 40 >/dev/null
mkdir -p "$work/empty"
: >"$work/empty/journal.jsonl"
chmod 600 "$work/empty/journal.jsonl"
mb=$(du -m "$work/recent/journal.jsonl" | cut -f1)

"$bin" sim serve --port 0 >"$work/sim.out" 2>/dev/null &
for _ in $(seq 100); do grep -q listening "$work/sim.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/sim.out")
export GENESYSCLOUD_API_URL="$url" GENESYSCLOUD_OAUTHCLIENT_ID=partyline-demo GENESYSCLOUD_OAUTHCLIENT_SECRET=partyline-demo-secret

# One `plan` (which reads the whole journal, as every apply does) on a copy of STATE: "seconds KiB".
measure() {
  rm -rf "$work/run"
  cp -r "$1" "$work/run"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" plan --state "$work/run" "$work/policies" >/dev/null 2>&1 || true
  cat "$work/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The old journal, compacted once (what `watch` does daily).
cp -r "$work/old" "$work/compacted"
compact=$( { /usr/bin/time -f "%e %M" "$bin" state compact --state "$work/compacted"; } 2>&1 | tr '\n' ' ')

: >"$work/results"
for _ in $(seq "$rounds"); do
  for s in empty recent compacted; do echo "$s $(measure "$work/$s")" >>"$work/results"; done
done
row() {
  local t m
  t=$(awk -v s="$1" '$1 == s {print $2}' "$work/results" | median)
  m=$(awk -v s="$1" '$1 == s {print $3}' "$work/results" | median)
  echo "$t $m"
}
read -r te me <<<"$(row empty)"
read -r tr mr <<<"$(row recent)"
read -r tc mc <<<"$(row compacted)"

# Idle watch on the full journal: CPU seconds over 60 s after a 15 s warm-up (no calls to act on).
rm -rf "$work/run" && cp -r "$work/recent" "$work/run"
"$bin" watch --no-events --interval 5m --state "$work/run" "$work/policies" >/dev/null 2>&1 &
wpid=$!
sleep 15
ticks() { awk '{print $14 + $15}' "/proc/$wpid/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$wpid/status"; }
c0=$(ticks); r0=$(rss)
sleep 60
c1=$(ticks); r1=$(rss)
kill -TERM $wpid; wait $wpid 2>/dev/null || true
hz=$(getconf CLK_TCK)
cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.1f", 100 * (b - a) / hz / 60}')

{
  echo "# Growth: weeks of journal ($(date -u +%Y-%m-%d), release build, $(nproc) cores)"
  echo
  echo "$n served records ($mb MB) in the local journal; \`plan\` (which reads the whole journal as"
  echo "every apply does) against the emulator's demo organisation, medians of $rounds interleaved rounds."
  echo
  echo "| journal | wall | × empty | peak RSS |"
  echo "|---|---|---|---|"
  echo "| empty | ${te} s | 1.0 | $((me / 1024)) MiB |"
  awk -v t="$tr" -v e="$te" -v m="$mr" 'BEGIN {printf "| %s served, recent (kept by compaction) | %s s | %.1f | %d MiB |\n", "'"$n"'", t, t / e, m / 1024}'
  awk -v t="$tc" -v e="$te" -v m="$mc" 'BEGIN {printf "| %s served, 40 days old, after \`state compact\` | %s s | %.1f | %d MiB |\n", "'"$n"'", t, t / e, m / 1024}'
  echo
  echo "\`state compact\` of the 40-day-old journal: $compact(seconds, peak KiB; its output line first)."
  echo
  echo "Idle \`watch --no-events\` on the recent journal: ${cpu}% of a core over 60 s after a 15 s warm-up;"
  echo "RSS $((r0 / 1024)) MiB at the start of the minute, $((r1 / 1024)) MiB at its end."
} >Benchmarks/journal/results.md
cat Benchmarks/journal/results.md
