#!/usr/bin/env python3
"""Event fan-out of the emulator's Notifications API: how many events a second one socket receives
when 1,000 subscribed topics each get an event.

It serves an organisation of N users, each an agent on a call of their own, subscribes one channel to
the N users' call topics (v2.users.{id}.conversations.calls), connects to the channel's WebSocket and
then, for each round, changes all N calls at once (POST /sim/conversations: a participant joins every
call), timing from the request to the N-th event received. Standard library only (a minimal
WebSocket client over loopback). Usage: fanout.py PARTYLINE_BINARY [--topics 1000] [--rounds 5]
"""
import argparse, base64, http.client, json, os, socket, struct, subprocess, sys, tempfile, time, uuid


def request(port, method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None


class WebSocket:
    def __init__(self, url):
        host_port, path = url[len("ws://"):].split("/", 1)
        host, port = host_port.split(":")
        self.s = socket.create_connection((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(
            (f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit(f"no upgrade: {head[:200]!r}")

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def message(self):
        """The next text message (frames are not fragmented by the emulator)."""
        self._need(2)
        b1, b2 = self.buf[0], self.buf[1]
        n, off = b2 & 0x7F, 2
        if n == 126:
            self._need(4); n = struct.unpack(">H", self.buf[2:4])[0]; off = 4
        elif n == 127:
            self._need(10); n = struct.unpack(">Q", self.buf[2:10])[0]; off = 10
        self._need(off + n)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return b1 & 0x0F, payload


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--topics", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    work = tempfile.mkdtemp()
    users = [str(uuid.UUID(int=0x10000000_0000_4000_8000_000000000000 + i)) for i in range(a.topics)]
    calls = [str(uuid.UUID(int=0x20000000_0000_4000_8000_000000000000 + i)) for i in range(a.topics)]
    fixture = {"clients": [{"id": "bench", "secret": "bench-secret", "permissions": ["*"]}],
               "users": [{"id": u, "name": f"Agent {i}"} for i, u in enumerate(users)],
               "conversations": [
                   {"id": c, "participants": [
                       {"id": str(uuid.UUID(int=0x30000000_0000_4000_8000_000000000000 + i)), "purpose": "agent",
                        "state": "connected", "user": users[i]}]}
                   for i, c in enumerate(calls)]}
    path = os.path.join(work, "org.yaml")
    with open(path, "w") as f:
        json.dump(fixture, f)  # JSON is YAML
    sim = subprocess.Popen([a.binary, "sim", "serve", "--fixture", path, "--rate-limit", "off", "--heartbeat", "1h"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(sim.stdout.readline().strip().rsplit(":", 1)[1])
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.request("POST", "/oauth/token", "grant_type=client_credentials",
                  {"Authorization": "Basic " + base64.b64encode(b"bench:bench-secret").decode(),
                   "Content-Type": "application/x-www-form-urlencoded"})
        token = json.loads(c.getresponse().read())["access_token"]
        ch = request(port, "POST", "/api/v2/notifications/channels", token=token)
        topics = [{"id": f"v2.users.{u}.conversations.calls"} for u in users]
        request(port, "POST", f"/api/v2/notifications/channels/{ch['id']}/subscriptions", topics, token)
        ws = WebSocket(ch["connectUri"])
        rates, sizes = [], []
        for r in range(a.rounds):
            joiners = {"conversations": [
                {"id": cid, "participants": [{"id": str(uuid.uuid4()), "purpose": "customer", "state": "connected",
                                               "address": "+4930%06d" % i}]}
                for i, cid in enumerate(calls)]}
            started = time.monotonic()
            request(port, "POST", "/sim/conversations", joiners)
            got, total = 0, 0
            while got < a.topics:
                op, payload = ws.message()
                if op == 1 and b'"conversations.calls"' not in payload[:0] and b"eventBody" in payload \
                        and b"channel.metadata" not in payload[:40]:
                    got += 1
                    total += len(payload)
            took = time.monotonic() - started
            rates.append(a.topics / took)
            sizes.append(total / a.topics)
            print(f"round {r + 1}: {a.topics} events in {took * 1000:.0f} ms = {a.topics / took:,.0f} events/s"
                  f" (mean event {total / a.topics:,.0f} bytes)")
        rates.sort()
        print(f"median {rates[len(rates) // 2]:,.0f} events/s over {a.rounds} rounds, {a.topics} topics on one socket")
    finally:
        sim.terminate()
        sim.wait()


if __name__ == "__main__":
    main()
