# A server that announces the port it binds, then, when that port is taken, fails with Python's
# portless "OSError: [Errno 98] Address already in use". Its port comes from $PORT, else from
# $APP_LISTEN (a variable portfix does not read).
import os
from http.server import HTTPServer, SimpleHTTPRequestHandler

port = int(os.environ.get("PORT") or os.environ["APP_LISTEN"])
print(f"Starting server on port {port}", flush=True)
HTTPServer(("127.0.0.1", port), SimpleHTTPRequestHandler).serve_forever()
