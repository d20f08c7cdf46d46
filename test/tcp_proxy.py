#!/usr/bin/env python3
"""tcp_proxy.py - forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET.

Tests put it between the server and the real S3 gateway and kill it to
make object storage unreachable (a real outage as PostgreSQL sees it:
connections refused), then start it again on the same port.
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer, target):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer))


async def main(listen, target):
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, target), "127.0.0.1", listen, reuse_address=True)
    print(f"proxy 127.0.0.1:{listen} -> 127.0.0.1:{target}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
