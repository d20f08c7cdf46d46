#!/usr/bin/env python3
"""fake_s3.py - a tiny scripted HTTP server for what a real S3 server cannot
be made to do: the S3 client's tests of retries, time-outs and hostile replies.

Usage: fake_s3.py MODE
Prints the port it listens on (127.0.0.1, chosen by the system) and serves:
  flaky         the first two requests get 503 SlowDown, later ones 200 with
                the body "attempt N" (N counts every request)
  hang          requests are read but never answered
  cut           GET of 20 bytes: the first reply breaks off after 10 bytes; a
                request for "Range: bytes=10-" with the right If-Match gets
                the rest
  nobatch:CODE  a store without batch delete: POST ?delete gets HTTP CODE
                (501 NotImplemented, 405 MethodNotAllowed or 400
                InvalidRequest), DELETE gets 204, GET of a key ending in
                "stats" gets "posts=N deletes=M" (requests seen so far)
  huge-list     every GET gets 200 and a ListBucketResult of 32 MiB
  huge-error    every request gets 400 InvalidArgument with a 32 MiB message
  huge-headers  every request gets 200 with 1 MiB of x-amz-meta headers
  error-in-200  every request gets 200 with an <Error> body (InternalError)
It checks no signature: it only shows how the client copes.
"""
import http.server
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "flaky"
HUGE = 32 * 1024 * 1024
NOBATCH = {
    "501": (501, "NotImplemented", "A header you provided implies functionality that is not implemented."),
    "405": (405, "MethodNotAllowed", "The specified method is not allowed against this resource."),
    "400": (400, "InvalidRequest", "Batch delete is not supported."),
}


def error_xml(code, message):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
            "<Message>%s</Message></Error>" % (code, message)).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    posts = 0
    deletes = 0

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
        if MODE.startswith("nobatch:"):
            return self.nobatch(MODE.split(":", 1)[1])
        if MODE == "huge-list":
            return self.stream(200, b"<ListBucketResult>",
                               b"<Contents><Key>" + b"k" * 4000 + b"</Key><Size>1</Size></Contents>",
                               b"</ListBucketResult>")
        if MODE == "huge-error":
            return self.stream(400, b"<Error><Code>InvalidArgument</Code><Message>",
                               b"x" * 4096, b"</Message></Error>")
        if MODE == "huge-headers":
            return self.huge_headers()
        if MODE == "error-in-200":
            return self.send(200, error_xml("InternalError", "We encountered an internal error. Please try again."))
        if MODE == "flaky" and Handler.count <= 2:
            return self.send(503, error_xml("SlowDown", "Please reduce your request rate."))
        return self.send(200, b"attempt %d" % Handler.count)

    def send(self, status, body, etag='"0123456789abcdef"'):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
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

    def nobatch(self, code):
        status, name, message = NOBATCH[code]
        if self.command == "POST" and self.path.endswith("?delete"):
            Handler.posts += 1
            return self.send(status, error_xml(name, message))
        if self.command == "DELETE":
            Handler.deletes += 1
            self.send_response(204)
            self.end_headers()
            return
        if self.command == "GET" and self.path.endswith("stats"):
            return self.send(200, b"posts=%d deletes=%d" % (Handler.posts, Handler.deletes))
        return self.send(404, error_xml("NoSuchKey", "The specified key does not exist."))

    def stream(self, status, head, filler, tail):
        """a reply of about HUGE bytes, written as it goes (no memory here)"""
        count = HUGE // len(filler)
        self.send_response(status)
        self.send_header("Content-Length", str(len(head) + count * len(filler) + len(tail)))
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            self.wfile.write(head)
            chunk = filler * (65536 // len(filler))
            per_chunk = 65536 // len(filler)
            sent = 0
            while sent + per_chunk <= count:
                self.wfile.write(chunk)
                sent += per_chunk
            self.wfile.write(filler * (count - sent))
            self.wfile.write(tail)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def huge_headers(self):
        self.send_response(200)
        try:
            for i in range(10000):
                self.send_header("x-amz-meta-h%05d" % i, "v" * 100)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = answer


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
