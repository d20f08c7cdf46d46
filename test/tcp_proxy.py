#!/usr/bin/env python3
"""tcp_proxy.py - forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET.

    tcp_proxy.py LISTEN TARGET [--cut-on REGEX] [--cut-after-bytes N]

Tests put it between the server and the real S3 gateway and kill it to
make object storage unreachable (a real outage as PostgreSQL sees it:
connections refused), then start it again on the same port.

To cut at a point the test controls rather than after a sleep:
  --cut-on REGEX         the first time the bytes going upstream match REGEX
                         (a Python regular expression over the HTTP requests,
                         e.g. 'PUT [^ ]*base\\.tar\\.zst\\?partNumber='), that
                         chunk is not forwarded;
  --cut-after-bytes N    once N bytes in all have gone upstream.
At the cut the proxy closes every connection and stops listening (new
connections are refused), and says "cut: ..." on stderr; it keeps running
until killed, so a test stops it and starts a new one to end the outage.
"""
import argparse
import asyncio
import re
import sys

# a request line split across two reads is still matched: the end of the
# previous read is searched again with the next one
OVERLAP = 4096


class Proxy:
    def __init__(self, target, cut_on, cut_after_bytes):
        self.target = target
        self.cut_on = re.compile(cut_on.encode()) if cut_on else None
        self.cut_after_bytes = cut_after_bytes
        self.upstream_bytes = 0
        self.writers = set()
        self.server = None
        self.cut_done = False

    def cut(self, why):
        if self.cut_done:
            return
        self.cut_done = True
        print(f"cut: {why}", file=sys.stderr, flush=True)
        self.server.close()
        for w in list(self.writers):
            w.transport.abort()

    def should_cut(self, tail, data):
        """True if DATA, going upstream after TAIL, reaches the cut point."""
        if self.cut_on and self.cut_on.search(tail + data):
            self.cut(f"a request matched {self.cut_on.pattern.decode()!r}")
            return True
        if self.cut_after_bytes is not None and \
                self.upstream_bytes + len(data) > self.cut_after_bytes:
            self.cut(f"{self.cut_after_bytes} bytes went upstream")
            return True
        return False

    async def pipe(self, reader, writer, upstream):
        tail = b""
        try:
            while data := await reader.read(65536):
                if self.cut_done:
                    break
                if upstream:
                    if self.should_cut(tail, data):
                        break
                    self.upstream_bytes += len(data)
                    tail = (tail + data)[-OVERLAP:]
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def handle(self, client_reader, client_writer):
        if self.cut_done:
            client_writer.transport.abort()
            return
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            client_writer.close()
            return
        self.writers.update((client_writer, writer))
        try:
            await asyncio.gather(self.pipe(client_reader, writer, True),
                                 self.pipe(reader, client_writer, False))
        finally:
            self.writers.difference_update((client_writer, writer))

    async def run(self, listen):
        self.server = await asyncio.start_server(
            self.handle, "127.0.0.1", listen, reuse_address=True)
        print(f"proxy 127.0.0.1:{listen} -> 127.0.0.1:{self.target}", flush=True)
        async with self.server:
            try:
                await self.server.serve_forever()
            except asyncio.CancelledError:
                pass
        # after a cut: stay until killed
        await asyncio.Event().wait()


def main():
    p = argparse.ArgumentParser(description="TCP proxy for the sgbackup tests")
    p.add_argument("listen", type=int)
    p.add_argument("target", type=int)
    p.add_argument("--cut-on", metavar="REGEX")
    p.add_argument("--cut-after-bytes", metavar="N", type=int)
    a = p.parse_args()
    asyncio.run(Proxy(a.target, a.cut_on, a.cut_after_bytes).run(a.listen))


if __name__ == "__main__":
    main()
