#!/usr/bin/env bash
# The apply benchmark of the rate budget (issue 13): 300 mutes over 150 calls at 300 requests/min,
# no rate-limit headers (as today's Genesys). Partyline needs 1 token + 150 reads + 300 PATCHes +
# 150 confirming reads = 601 requests; the token request is not rate limited and the emulator's fixed
# 60 s windows let 300 go per window, so the bound of 600 API requests is 60 s (the 301st starts the
# second window). Baseline in the same run: a plain
# sequential script on Genesys's Python SDK doing the same (sdk_apply.py), against a fresh emulator.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product partyline --scratch-path .build-release >/dev/null
bin=$PWD/.build-release/release/partyline
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
python3 Benchmarks/client/generate.py "$work/w" 150 3 2

serve() {
  local log="$work/sim-$RANDOM.out"
  "$bin" sim serve --fixture "$work/w/org.yaml" --patch-delay 100ms >"$log" 2>&1 &
  for _ in $(seq 100); do grep -q listening "$log" 2>/dev/null && break; sleep 0.1; done
  url=$(head -1 "$log" | sed 's/listening on //')
}
summary() {
  python3 - "$1" "$2" "$(curl -s "$url/sim/requests")" <<'PY'
import json, sys
name, wall, counts = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
api = [r for r in counts["routes"] if " /api/" in r["route"] or r["route"].endswith("/oauth/token")]
total = sum(r["total"] for r in api)
throttled = sum(r["statuses"].get("429", 0) for r in api)
# The token request is not rate limited: the window bound counts the API requests answered.
counted = sum(r["total"] for r in api if " /api/" in r["route"]) - throttled
bound = max(0, (counted - 1) // 300) * 60
print(f"{name}: wall {wall:.1f} s, requests {total} ({throttled} answered 429; {100 * (total - 601) / 601:+.1f}% against 601),"
      f" window bound of its own requests {bound} s, wall/bound {wall / max(bound, 1):.3f}")
for r in sorted(api, key=lambda r: -r["total"]): print(f"    {r['total']:5d} {r['route']}")
PY
}

for round in 1 2; do
  serve
  t0=$(date +%s.%N)
  env GENESYSCLOUD_API_URL="$url" GENESYSCLOUD_OAUTHCLIENT_ID=partyline-demo GENESYSCLOUD_OAUTHCLIENT_SECRET=partyline-demo-secret \
    "$bin" apply --yes --rate-limit 300/min "$work/w/policies" --state "$work/state-$round" >"$work/apply.out" 2>"$work/apply.err" || true
  t1=$(date +%s.%N)
  tail -1 "$work/apply.out"
  summary "partyline (round $round)" "$(echo "$t1 - $t0" | bc)"
  kill %1 2>/dev/null || true; wait 2>/dev/null || true

  serve
  t0=$(date +%s.%N)
  python3 Benchmarks/client/sdk_apply.py "$url" 150 2
  t1=$(date +%s.%N)
  summary "python sdk (round $round)" "$(echo "$t1 - $t0" | bc)"
  kill %1 2>/dev/null || true; wait 2>/dev/null || true
done
