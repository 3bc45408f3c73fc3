#!/usr/bin/env python3
"""Events vs polling: what `partyline watch` costs and how on time it is, on one token.

A queue receives CALLS calls over RAMP seconds (each answered by its own agent, ending after LIFE
seconds); a select policy mutes each call's customer for MUTE seconds. The same traffic runs twice
against a fresh emulator at 300 requests/min: `watch` on Notifications API events (interval 5m), then
`watch --no-events --interval 60s` (polling). Reported per mode: requests by route, requests per
call-hour, calls acted on and how long after their start, revert lateness (emulator history against
the journal's lease ends), watch's peak RSS.

With --pause, the calls are recorded and the policy pauses each call's recording for MUTE seconds
(`pauseRecording`) instead of muting its customer: the cost and timing of the second kind of lease.

Usage: watch-cost.py BIN [--calls 500] [--ramp 150] [--life 300] [--mute 30] [--modes events,polling]
       [--from-connect] [--pause]
"""
import argparse, json, os, re, signal, subprocess, sys, tempfile, threading, time, urllib.request
from datetime import datetime

ap = argparse.ArgumentParser()
ap.add_argument("bin")
ap.add_argument("--calls", type=int, default=500)
ap.add_argument("--ramp", type=float, default=150)
ap.add_argument("--life", type=float, default=300)
ap.add_argument("--mute", type=int, default=30)
ap.add_argument("--modes", default="events,polling", help="which modes to run, comma-separated")
ap.add_argument("--from-connect", action="store_true", help="the mute is `from: connect` (a greeting window)")
ap.add_argument("--pause", action="store_true", help="pause each call's recording instead of muting its customer")
args = ap.parse_args()

QUEUE = "bbbbbbbb-0000-4000-8000-000000000001"
def uid(kind, n): return "%08x-0000-4000-8000-%012x" % (kind, n)
def ts(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

def http(url, method="GET", body=None):
    req = urllib.request.Request(url, method=method, data=body.encode() if body else None,
                                 headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")

def run(mode):
    work = tempfile.mkdtemp(prefix=f"watch-cost-{mode}-")
    with open(f"{work}/org.yaml", "w") as f:
        f.write("clients:\n  - {id: partyline-demo, secret: partyline-demo-secret, permissions: [\"*\"]}\n")
        f.write("users:\n" + "".join(f"  - {{id: {uid(1, i)}, name: Agent {i}}}\n" for i in range(args.calls)))
        f.write(f"queues:\n  - {{id: {QUEUE}, name: Inbound}}\nconversations: []\n")
    os.makedirs(f"{work}/policies")
    with open(f"{work}/policies/p.yaml", "w") as f:
        anchor = ", from: connect" if args.from_connect else ""
        what = (f"  pauseRecording: {{for: {args.mute}s{anchor}}}\n" if args.pause
                else f"  mute: [{{purpose: customer, for: {args.mute}s{anchor}}}]\n")
        f.write("apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: greeting}\n"
                f"spec:\n  select: {{queue: Inbound}}\n{what}")
    sim = subprocess.Popen([args.bin, "sim", "serve", "--port", "0", "--fixture", f"{work}/org.yaml",
                            "--patch-delay", "100ms"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = sim.stdout.readline().strip().removeprefix("listening on ")
    env = dict(os.environ, GENESYSCLOUD_API_URL=url, GENESYSCLOUD_OAUTHCLIENT_ID="partyline-demo",
               GENESYSCLOUD_OAUTHCLIENT_SECRET="partyline-demo-secret", NO_COLOR="1")
    flags = ["--interval", "5m"] if mode == "events" else ["--no-events", "--interval", "60s"]
    err = open(f"{work}/watch.err", "w")
    watch = subprocess.Popen([args.bin, "watch", *flags, "--state", f"{work}/state", f"{work}/policies"],
                             env=env, stdout=subprocess.DEVNULL, stderr=err)
    rss = [0]
    stop = threading.Event()
    def sample():
        while not stop.is_set():
            try:
                with open(f"/proc/{watch.pid}/status") as s:
                    m = re.search(r"VmRSS:\s+(\d+)", s.read())
                    rss[0] = max(rss[0], int(m.group(1)))
            except OSError:
                pass
            time.sleep(0.5)
    threading.Thread(target=sample, daemon=True).start()
    time.sleep(3)
    started, ends = {}, []
    t0 = time.time()
    for n in range(args.calls):
        at = t0 + n * args.ramp / args.calls
        while ends and ends[0][0] <= time.time():
            http(f"{url}/sim/conversations/{ends.pop(0)[1]}/end", "POST")
        time.sleep(max(0, at - time.time()))
        cid, customer = uid(3, n), uid(4, n)
        call = {"id": cid, "queue": QUEUE, "direction": "inbound"}
        if args.pause: call["recordingState"] = "active"
        body = json.dumps({"conversations": [dict(call, participants=[
            {"id": customer, "purpose": "customer", "state": "connected", "address": "+4930%06d" % n},
            {"id": uid(5, n), "purpose": "agent", "state": "connected", "user": uid(1, n)}])]})
        http(f"{url}/sim/conversations", "POST", body)
        started[cid if args.pause else customer] = time.time()
        ends.append((time.time() + args.life, cid))
    while ends:
        time.sleep(max(0, ends[0][0] - time.time()))
        http(f"{url}/sim/conversations/{ends.pop(0)[1]}/end", "POST")
    time.sleep(5)
    elapsed = time.time() - t0
    watch.send_signal(signal.SIGTERM)
    watch.wait(timeout=30)
    stop.set()
    counts = http(f"{url}/sim/requests")
    history = http(f"{url}/sim/history")["events"]
    sim.terminate()
    records = [json.loads(l) for l in open(f"{work}/state/journal.jsonl")] if os.path.exists(f"{work}/state/journal.jsonl") else []
    # What a lease is on: the customer (a mute), or the call itself (a recording pause).
    action, on, done, undone = (("pause", "conversation", "recording paused", "recording resumed") if args.pause
                                else ("mute", "participant", "muted", "unmuted"))
    key = (lambda e: e["conversationId"]) if args.pause else (lambda e: e["participantId"])
    ok = {r["id"] for r in records if r.get("kind") == "outcome" and r.get("action") == action and r.get("status") == "ok"}
    lease = {r[on]: r["leaseEnds"] for r in records
             if r.get("kind") == "intent" and r.get("action") == action and r["id"] in ok}
    muted = {key(e): ts(e["requestedAt"]) for e in history if e["event"] == done and "requestedAt" in e}
    unmuted = {key(e): ts(e["requestedAt"]) for e in history if e["event"] == undone and "requestedAt" in e}
    ended = {}
    for e in history:
        if e["event"] in ("left", "disconnected", "ended"):
            ended[key(e)] = min(ended.get(key(e), 1e18), ts(e["time"])) if args.pause else ts(e["time"])
    delays = sorted(muted[p] - started[p] for p in muted if p in started)
    late = sorted(unmuted[p] - end for p, end in lease.items() if p in unmuted)
    unreverted = [p for p, end in lease.items() if p not in unmuted and end < min(ended.get(p, 1e18), t0 + elapsed) - 2]
    api = [r for r in counts["routes"] if " /api/" in r["route"] or r["route"].endswith("/oauth/token")]
    total = sum(r["total"] for r in api)
    call_hours = args.calls * args.life / 3600
    def pct(xs, q): return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")
    kind = "pause" if args.pause else "mute"
    print(f"== {mode}: {args.calls} calls over {args.ramp:.0f} s, each {args.life:.0f} s long, {kind} {args.mute}s; run {elapsed:.0f} s")
    print(f"   requests {total} = {total / call_hours:.1f} per call-hour ({total / args.calls:.2f} per call); "
          f"429s {sum(r['statuses'].get('429', 0) for r in api)}")
    for r in sorted(api, key=lambda r: -r["total"]):
        print(f"     {r['total']:6d}  {r['route']}")
    print(f"   calls {'paused' if args.pause else 'muted'} {len(delays)} of {args.calls}; after start p50 {pct(delays, .5):.2f} s, p99 {pct(delays, .99):.2f} s, worst {delays[-1] if delays else float('nan'):.2f} s; "
          f"within 2 s {sum(1 for d in delays if d <= 2)}; after the mute's window {sum(1 for d in delays if d > args.mute)}")
    print(f"   requests per {'paused' if args.pause else 'muted'} call {total / max(1, len(delays)):.2f}")
    print(f"   reverts {len(late)}; late p50 {pct(late, .5):.2f} s, p99 {pct(late, .99):.2f} s, worst {late[-1] if late else float('nan'):.2f} s; leases not reverted before their call ended: {len(unreverted)}")
    print(f"   watch peak RSS {rss[0] / 1024:.1f} MiB")
    sys.stdout.flush()

for mode in args.modes.split(","):
    run(mode)
