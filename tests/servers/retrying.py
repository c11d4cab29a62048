"""A server that, like gunicorn, stays up and retries when its port is in use, printing
gunicorn's own wording (tests/fixtures/bindfail/gunicorn.txt). Port from $PORT, else from its
first argument (a form portfix does not read). Serves "ok PORT" once it has the port."""

import errno
import http.server
import os
import socket
import sys
import time

port = int(os.environ.get("PORT") or sys.argv[1])
print(f"starting {os.getpid()} on {port}", flush=True)


def log(level, msg):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime())
    print(f"[{stamp}] [{os.getpid()}] [{level}] {msg}", file=sys.stderr, flush=True)


while True:
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
        break
    except OSError as e:
        sock.close()
        if e.errno != errno.EADDRINUSE:
            raise
        log("ERROR", f"Connection in use: ('127.0.0.1', {port})")
        log("ERROR", f"connection to ('127.0.0.1', {port}) failed: [Errno 98] Address already in use")
        log("ERROR", "Retrying in 1 second.")
        time.sleep(1)

sock.listen()


class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"ok {port}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.HTTPServer(("127.0.0.1", port), Ok, bind_and_activate=False)
server.socket.close()
server.socket = sock
server.serve_forever()
