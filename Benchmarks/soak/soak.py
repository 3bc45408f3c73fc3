#!/usr/bin/env python3
"""Soak: `partyline watch`'s memory while calls come and go for a long time (DESIGN §5: watch's memory is
bounded by the calls that are live, not by those it has seen).

Calls arrive at a steady rate on one queue (each answered by its own agent, ending after LIFE seconds);
a select policy mutes each call's customer for MUTE seconds. `watch` follows the call events (interval
5m) against the emulator at 300 requests/min, for DURATION seconds. Its RSS is sampled every SAMPLE
seconds; reported: the RSS series, the first and last ten minutes' medians, the growth per hour of a
least-squares line over the part after the warm-up, and how many calls were muted and reverted.

Usage: soak.py BIN [--duration 1800] [--every 3] [--life 120] [--mute 20] [--sample 30] [--warmup 300]
"""
import argparse, json, os, re, signal, statistics, subprocess, sys, tempfile, time, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("bin")
ap.add_argument("--duration", type=float, default=1800)
ap.add_argument("--every", type=float, default=3, help="seconds between call arrivals")
ap.add_argument("--life", type=float, default=120)
ap.add_argument("--mute", type=int, default=20)
ap.add_argument("--sample", type=float, default=30)
ap.add_argument("--warmup", type=float, default=300)
args = ap.parse_args()

QUEUE = "bbbbbbbb-0000-4000-8000-000000000001"
AGENTS = 200  # agents are reused: call n is answered by agent n % AGENTS
def uid(kind, n): return "%08x-0000-4000-8000-%012x" % (kind, n)

def http(url, method="GET", body=None):
    req = urllib.request.Request(url, method=method, data=body.encode() if body else None,
                                 headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")

work = tempfile.mkdtemp(prefix="soak-")
with open(f"{work}/org.yaml", "w") as f:
    f.write("clients:\n  - {id: partyline-demo, secret: partyline-demo-secret, permissions: [\"*\"]}\n")
    f.write("users:\n" + "".join(f"  - {{id: {uid(1, i)}, name: Agent {i}}}\n" for i in range(AGENTS)))
    f.write(f"queues:\n  - {{id: {QUEUE}, name: Inbound}}\nconversations: []\n")
os.makedirs(f"{work}/policies")
with open(f"{work}/policies/p.yaml", "w") as f:
    f.write("apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: greeting}\n"
            f"spec:\n  select: {{queue: Inbound}}\n  mute: [{{purpose: customer, for: {args.mute}s}}]\n")
sim = subprocess.Popen([args.bin, "sim", "serve", "--port", "0", "--fixture", f"{work}/org.yaml",
                        "--patch-delay", "100ms"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
url = sim.stdout.readline().strip().removeprefix("listening on ")
env = dict(os.environ, GENESYSCLOUD_API_URL=url, GENESYSCLOUD_OAUTHCLIENT_ID="partyline-demo",
           GENESYSCLOUD_OAUTHCLIENT_SECRET="partyline-demo-secret", NO_COLOR="1")
err = open(f"{work}/watch.err", "w")
watch = subprocess.Popen([args.bin, "watch", "--interval", "5m", "--state", f"{work}/state", f"{work}/policies"],
                         env=env, stdout=subprocess.DEVNULL, stderr=err)

def rss():
    with open(f"/proc/{watch.pid}/status") as s:
        return int(re.search(r"VmRSS:\s+(\d+)", s.read()).group(1))

time.sleep(3)
t0 = time.time()
samples, ends, n, live_max = [], [], 0, 0
next_call, next_sample = t0, t0
while time.time() - t0 < args.duration:
    now = time.time()
    while ends and ends[0][0] <= now:
        http(f"{url}/sim/conversations/{ends.pop(0)[1]}/end", "POST")
    if now >= next_call:
        cid, customer = uid(3, n), uid(4, n)
        body = json.dumps({"conversations": [{"id": cid, "queue": QUEUE, "direction": "inbound", "participants": [
            {"id": customer, "purpose": "customer", "state": "connected", "address": "+4930%06d" % n},
            {"id": uid(5, n), "purpose": "agent", "state": "connected", "user": uid(1, n % AGENTS)}]}]})
        http(f"{url}/sim/conversations", "POST", body)
        ends.append((now + args.life, cid))
        n += 1
        next_call += args.every
    live_max = max(live_max, len(ends))
    if now >= next_sample:
        samples.append((now - t0, rss()))
        next_sample += args.sample
    time.sleep(0.05)
for _, cid in ends:
    http(f"{url}/sim/conversations/{cid}/end", "POST")
watch.send_signal(signal.SIGTERM)
watch.wait(timeout=30)
history = http(f"{url}/sim/history")["events"]
sim.terminate()
muted = sum(1 for e in history if e["event"] == "muted")
unmuted = sum(1 for e in history if e["event"] == "unmuted")

def median_in(lo, hi):
    xs = [r for t, r in samples if lo <= t < hi]
    return statistics.median(xs) / 1024 if xs else float("nan")
after = [(t, r) for t, r in samples if t >= args.warmup]
slope = 0.0
if len(after) >= 2:
    mt = statistics.mean(t for t, _ in after); mr = statistics.mean(r for _, r in after)
    slope = sum((t - mt) * (r - mr) for t, r in after) / sum((t - mt) ** 2 for t, _ in after)
print(f"soak: {args.duration / 60:.0f} min, a call every {args.every:g} s living {args.life:g} s "
      f"(at most {live_max} live at once), mute {args.mute}s; {n} calls, {muted} mutes, {unmuted} unmutes")
print(f"RSS MiB, one sample every {args.sample:g} s: " + " ".join(f"{r / 1024:.0f}" for _, r in samples))
print(f"median RSS first 10 min {median_in(0, 600):.1f} MiB, last 10 min "
      f"{median_in(args.duration - 600, args.duration + 1):.1f} MiB; growth after the {args.warmup:g} s warm-up "
      f"{slope * 3600 / 1024:+.1f} MiB/hour (least squares)")
