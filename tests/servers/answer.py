"""A dev server with its address and port written in its arguments, in a form portfix does not
read (`answer.py ADDR PORT`): it listens on that one address only and answers every request
with `ours PID`. The localhost tests run it on one family while another process holds the
other."""

import http.server
import os
import socket
import sys


class Server(http.server.HTTPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"ours {os.getpid()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = Server((sys.argv[1], int(sys.argv[2])), Handler)
print(f"serving {os.getpid()} on {sys.argv[1]} port {sys.argv[2]}", flush=True)
server.serve_forever()
