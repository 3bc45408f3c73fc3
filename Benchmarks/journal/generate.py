#!/usr/bin/env python3
"""Writes a journal of N served records (a mute and its revert, intent and outcome each, per
conversation) in Partyline's journal format v1, dated AGE days ago, for the growth benchmark.
Usage: generate.py DIR N AGE_DAYS"""
import json, sys, time, uuid, os

d, n, age = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
os.makedirs(d, exist_ok=True)
t0 = time.time() - age * 86400
path = os.path.join(d, "journal.jsonl")
with open(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "w") as f:
    for i in range(n // 4):
        cid, pid = str(uuid.UUID(int=i + 1)), str(uuid.UUID(int=(1 << 64) + i))
        t = t0 + i * 0.01
        def rec(kind, rid, action, at, **extra):
            r = {"v": 1, "kind": kind, "id": rid, "at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(at)),
                 "t": at, "workspace": "default", "run": "rbench", "action": action, "conversation": cid,
                 "participant": pid, "policy": "noisy-line", "directive": "0123456789abcdef"}
            r.update(extra)
            return json.dumps(r, separators=(",", ":"))
        f.write(rec("intent", f"m{i}", "mute", t, actingUser=pid, reason="noise", leaseEnds=t + 30) + "\n")
        f.write(rec("outcome", f"m{i}", "mute", t + 0.2, actingUser=pid, reason="noise", leaseEnds=t + 30,
                    status="ok", httpStatus=202, latencyMs=200, correlationId=str(uuid.uuid4())) + "\n")
        f.write(rec("intent", f"u{i}", "revert", t + 30, actingUser=pid) + "\n")
        f.write(rec("outcome", f"u{i}", "revert", t + 30.2, actingUser=pid, status="ok", httpStatus=202,
                    latencyMs=200, correlationId=str(uuid.uuid4())) + "\n")
print(path)
