"""Serves the files of a folder at http://127.0.0.1:PORT/NAME, with ETag and 304.

Files are read when first asked for (the caller may write them after the server started).

Run as a subprocess by bench/cycle.py, so that serving costs the benchmark no CPU; it prints
`PORT <n>` once listening and stops when its standard input closes (or after `--max-seconds`).

    .venv/bin/python -m bench.feedserver DIR [--port 0] [--max-seconds 1800]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import threading
from pathlib import Path

from aiohttp import web

TYPES = {".xml": "application/rss+xml; charset=utf-8", ".html": "text/html; charset=utf-8"}


def make_app(folder: Path) -> web.Application:
    cache: dict[str, tuple[bytes, str]] = {}

    async def serve_file(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in cache:
            path = folder / name
            if "/" in name or not path.is_file():
                raise web.HTTPNotFound()
            body = path.read_bytes()
            cache[name] = (body, '"' + hashlib.sha1(body).hexdigest()[:20] + '"')
        body, etag = cache[name]
        if etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={
            "ETag": etag, "Content-Type": TYPES.get(Path(name).suffix, "application/octet-stream")})

    app = web.Application()
    app.router.add_get("/{name}", serve_file)
    return app


async def serve(folder: Path, port: int, max_seconds: float) -> None:
    runner = web.AppRunner(make_app(folder), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    sock = site._server.sockets[0]  # type: ignore[union-attr]  # the port chosen for port 0
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = asyncio.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(stdin_closed.set)

    # A daemon thread, not the loop's executor: shutting down must not wait for a blocked read.
    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        await asyncio.wait_for(stdin_closed.wait(), timeout=max_seconds)
    except TimeoutError:
        pass
    finally:
        await runner.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=1800.0)
    args = ap.parse_args()
    asyncio.run(serve(args.folder, args.port, args.max_seconds))


if __name__ == "__main__":
    main()
