#!/usr/bin/env bash
# Growth: what weeks of journal cost a run. With N served records (default 200,000) in the local
# journal, `plan` and `apply` wall time and peak RSS against the same commands on an empty journal, in
# one session, interleaved; the first run on the journal (which writes its index); the same journal
# dated 40 days back and compacted (`state compact`); and the CPU an idle `watch --no-events` burns
# over 60 s on the full journal. Release build of the main package; the emulator (release) serves the
# demo organisation. Results are appended to Benchmarks/journal/results.md.
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

# One emulator per journal: each case's applies see only their own changes.
declare -A urls
for s in empty recent compacted; do
  "$bin" sim serve --port 0 >"$work/sim-$s.out" 2>/dev/null &
  for _ in $(seq 100); do grep -q listening "$work/sim-$s.out" && break; sleep 0.1; done
  urls[$s]=$(sed -n 's/^listening on //p' "$work/sim-$s.out")
done
export GENESYSCLOUD_OAUTHCLIENT_ID=partyline-demo GENESYSCLOUD_OAUTHCLIENT_SECRET=partyline-demo-secret

# One command (plan or apply) on state S against S's emulator: "seconds KiB" (wall time from bash's
# microsecond clock; /usr/bin/time's is in hundredths).
measure() {
  local yes=() t0 t1
  [ "$1" = apply ] && yes=(--yes)
  t0=$EPOCHREALTIME
  GENESYSCLOUD_API_URL=${urls[$2]} /usr/bin/time -f "%M" -o "$work/time" \
    "$bin" "$1" "${yes[@]}" --state "$work/$2" "$work/policies" >/dev/null 2>&1 || true
  t1=$EPOCHREALTIME
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}') $(tail -n 1 "$work/time")"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The old journal, compacted once (what `watch` does daily).
mv "$work/old" "$work/compacted"
compact=$( { /usr/bin/time -f "%e %M" "$bin" state compact --state "$work/compacted"; } 2>&1 | tr '\n' ' ')

# The first run on each journal reads it whole and writes its index (journal.index); then each apply
# converges once (its mutes), so the measured applies are the scheduled apply's usual run.
: >"$work/first"
for s in empty recent compacted; do echo "$s $(measure plan "$s")" >>"$work/first"; measure apply "$s" >/dev/null; done

: >"$work/results"
for _ in $(seq "$rounds"); do
  for s in empty recent compacted; do
    for c in plan apply; do echo "$s-$c $(measure "$c" "$s")" >>"$work/results"; done
  done
done
row() {
  local t m
  t=$(awk -v s="$1" '$1 == s {print $2}' "$2" | median)
  m=$(awk -v s="$1" '$1 == s {print $3}' "$2" | median)
  echo "$t $m"
}
table() {
  local te me t m
  read -r te me <<<"$(row "empty-$1" "$work/results")"
  for s in empty recent compacted; do
    read -r t m <<<"$(row "$s-$1" "$work/results")"
    awk -v c="$1" -v s="$s" -v t="$t" -v e="$te" -v m="$m" -v n="$n" 'BEGIN {
      label = s == "empty" ? "empty" : s == "recent" ? n " served, recent (kept by compaction)" : n " served, 40 days old, after `state compact`"
      printf "| `%s` | %s | %s s | %.2f | %d MiB |\n", c, label, t, t / e, m / 1024 }'
  done
}
read -r tf mf <<<"$(row recent "$work/first")"

# Idle watch on the full journal: CPU seconds over 60 s after a 15 s warm-up (no calls to act on).
GENESYSCLOUD_API_URL=${urls[recent]} "$bin" watch --no-events --interval 5m --state "$work/recent" "$work/policies" >/dev/null 2>&1 &
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
  echo "$n served records ($mb MB) in the local journal; \`plan\` and \`apply\` against the emulator's demo"
  echo "organisation (one emulator per journal), medians of $rounds interleaved rounds, after a first run on"
  echo "each journal (which reads it whole and writes its index) and a first apply (which converges)."
  echo
  echo "| command | journal | wall | × empty | peak RSS |"
  echo "|---|---|---|---|---|"
  table plan
  table apply
  echo
  echo "First run on the recent journal (no index yet: the whole file read, the index written): ${tf} s, $((mf / 1024)) MiB."
  echo
  echo "\`state compact\` of the 40-day-old journal: $compact(seconds, peak KiB; its output line first)."
  echo
  echo "Idle \`watch --no-events\` on the recent journal: ${cpu}% of a core over 60 s after a 15 s warm-up;"
  echo "RSS $((r0 / 1024)) MiB at the start of the minute, $((r1 / 1024)) MiB at its end."
} >>Benchmarks/journal/results.md
tail -n 25 Benchmarks/journal/results.md
