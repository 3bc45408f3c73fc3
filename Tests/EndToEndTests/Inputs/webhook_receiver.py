"""A webhook receiver for tests: prints its port, appends each request as a JSON line to argv[1].
A POST to /redirect is answered 307 to /stolen on the same server (a sender must not follow it); a
POST to /flaky is answered 503 the first time each delivery id comes, 200 after (a sender retries)."""
import http.server, json, sys

out = sys.argv[1]
seen = set()

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": body}) + "\n")
        if self.path.startswith("/redirect"):
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.1:%d/stolen" % self.server.server_address[1])
        elif self.path.startswith("/flaky") and self.headers.get("X-Partyline-Delivery") not in seen:
            seen.add(self.headers.get("X-Partyline-Delivery"))
            self.send_response(503)
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
