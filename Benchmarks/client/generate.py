#!/usr/bin/env python3
"""Generates an emulator fixture and a policy set for the client benchmarks.

generate.py OUT_DIR CONVERSATIONS PARTICIPANTS MUTES_PER_CONVERSATION
Each conversation has an agent (a user) and PARTICIPANTS-1 customers; one policy per conversation mutes
MUTES_PER_CONVERSATION of its customers (by participant id) for 30 minutes.
"""
import os, sys

out, c, p, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(f"{out}/policies", exist_ok=True)

def uid(kind, n):
    return f"{kind:08x}-0000-4000-8000-{n:012x}"

with open(f"{out}/org.yaml", "w") as f:
    f.write('clients:\n  - id: partyline-demo\n    secret: partyline-demo-secret\n    permissions: ["*"]\nusers:\n')
    for i in range(c):
        f.write(f"  - {{id: {uid(1, i)}, name: Agent {i}, email: agent{i}@example.com}}\n")
    f.write("conversations:\n")
    for i in range(c):
        f.write(f"  - id: {uid(2, i)}\n    participants:\n")
        f.write(f"      - {{id: {uid(3, i * 16)}, purpose: agent, state: connected, user: {uid(1, i)}}}\n")
        for j in range(1, p):
            f.write(f"      - {{id: {uid(3, i * 16 + j)}, purpose: customer, state: connected, address: \"+49301{i:05d}{j:02d}\"}}\n")

for i in range(c):
    with open(f"{out}/policies/p{i:05d}.yaml", "w") as f:
        f.write(f"apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {{name: p{i}}}\nspec:\n")
        f.write(f"  conversation: {uid(2, i)}\n  mute:\n")
        for j in range(1, 1 + m):
            f.write(f"    - {{participant: {uid(3, i * 16 + j)}, for: 30m}}\n")
