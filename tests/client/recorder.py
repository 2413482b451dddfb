"""A recording Engine API server for unit tests of the bulkhead tool's client
(guest/user/): it listens on a temporary Unix socket, records every request
exactly as it arrives (method, path with query, headers, JSON body) and
answers from a table the test gives, with shapes taken from the Docker Engine
API reference (v1.44).  It is not an engine: each test states the answers it
wants and then checks what the client sent.  The real daemon is tested by
test_client_engine.py and the in-guest tests."""
import http.server
import json
import os
import socket
import socketserver
import struct
import subprocess
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BULKHEAD = os.path.join(ROOT, "build", "user", "bulkhead")


class Request:
    def __init__(self, method, path, headers, body, pid):
        self.method, self.path, self.headers, self.raw, self.pid = method, path, headers, body, pid
        self.json = json.loads(body) if body else None

    def __repr__(self):
        return f"{self.method} {self.path} {self.raw!r}"


def peer_pid(sock):
    """The client's pid (SO_PEERCRED): for tests that signal it."""
    cred = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", cred)[0]


def frame(stream, data):
    """One frame of Docker's multiplexed stream (no tty)."""
    return struct.pack(">BxxxI", stream, len(data)) + data


class Recorder:
    """routes: {(METHOD, path with query): answer}; an answer is
    (status, JSON-able body or bytes or None), or a function(handler, Request)
    that writes its own answer (upgrades).  Unknown requests get dockerd's 404
    "page not found"."""

    def __init__(self, tmp, routes):
        self.sock = os.path.join(str(tmp), "engine.sock")
        self.routes = routes
        self.requests = []
        self.errors = []        # exceptions in the handlers (a client gone mid-stream)
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_one(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                              body, peer_pid(self.connection))
                with rec.lock:
                    rec.requests.append(req)
                ans = rec.routes.get((self.command, self.path), (404, {"message": "page not found"}))
                if callable(ans):
                    ans(self, req)
                    self.close_connection = True
                    return
                status, out = ans
                data = out if isinstance(out, bytes) else (json.dumps(out) + "\n").encode() if out is not None else b""
                self.send_response(status)
                self.send_header("Api-Version", "1.44")
                self.send_header("Ostype", "linux")
                if data:
                    self.send_header("Content-Type", "application/json" if not isinstance(out, bytes)
                                     else "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_HEAD = handle_one

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                """A client gone mid-session (killed by a test) is no news."""
                import sys
                rec.errors.append(sys.exc_info()[1])

            def get_request(self):
                s, _ = self.socket.accept()
                return s, ("local", 0)

        self.server = Server(self.sock, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def env(self):
        return dict(os.environ, DOCKER_HOST="unix://" + self.sock)

    def run(self, *args, stdin=b"", timeout=30):
        """Runs bulkhead ARGS against this server: (rc, stdout, stderr) as text."""
        p = subprocess.run([BULKHEAD, *args], input=stdin, capture_output=True, env=self.env(), timeout=timeout)
        return p.returncode, p.stdout.decode(), p.stderr.decode()


def upgraded(h, extra_headers=True):
    """Answers an attach or exec start as dockerd: 101 and a raw stream."""
    h.wfile.write(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                  + (b"Connection: Upgrade\r\nUpgrade: tcp\r\n" if extra_headers else b"") + b"\r\n")
    h.wfile.flush()
