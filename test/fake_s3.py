#!/usr/bin/env python3
"""fake_s3.py - a tiny scripted HTTP server for the S3 client's retry tests.

Usage: fake_s3.py MODE
Prints the port it listens on (127.0.0.1, chosen by the system) and serves:
  flaky  the first two requests get 503 SlowDown, later ones 200 with the
         body "attempt N" (N counts every request)
  hang   requests are read but never answered
  cut    GET of 20 bytes: the first reply breaks off after 10 bytes; a
         request for "Range: bytes=10-" with the right If-Match gets the rest
It checks no signature: it only shows that retries and time-outs happen.
"""
import http.server
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "flaky"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0

    def log_message(self, *args):
        pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        Handler.count += 1
        if MODE == "hang":
            time.sleep(3600)
        if MODE == "cut":
            return self.cut()
        if MODE == "flaky" and Handler.count <= 2:
            status = 503
            body = (b"<Error><Code>SlowDown</Code>"
                    b"<Message>Please reduce your request rate.</Message></Error>")
        else:
            status = 200
            body = b"attempt %d" % Handler.count
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"0123456789abcdef"')
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def cut(self):
        body = b"0123456789abcdefghij"
        etag = '"0123456789abcdef"'
        if self.headers.get("Range") == "bytes=10-" and self.headers.get("If-Match") == etag:
            self.send_response(206)
            self.send_header("Content-Range", "bytes 10-19/20")
            self.send_header("Content-Length", "10")
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body[10:])
            return
        self.send_response(200)
        self.send_header("Content-Length", "20")
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body[:10])
        self.wfile.flush()
        self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = answer


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
