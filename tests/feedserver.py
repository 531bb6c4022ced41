"""A real HTTP server on 127.0.0.1 serving good, broken and hostile feeds (aiohttp.web).

Started inside the test's event loop (`async with FeedServer() as server`), so handlers that
stall or trickle share the loop with the code under test, as a remote server would not block it.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web

GOOD_SENTENCE = "The harbour authority said the ferry timetable would change in spring."


def rss(items: list[str], *, title: str = "Test feed", encoding: str = "utf-8",
        declare: bool = True) -> str:
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    return (f'{head}<rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://example.test/</link>{''.join(items)}</channel></rss>")


def item(n: int, *, when: datetime | None = None, guid: str | None = "", link: str | None = "",
         title: str | None = None, description: str = GOOD_SENTENCE) -> str:
    parts = [f"<title>{title if title is not None else f'Report {n}'}</title>"]
    if guid is not None:
        parts.append(f"<guid isPermaLink=\"false\">{guid or f'id-{n}'}</guid>")
    if link is not None:
        parts.append(f"<link>{link or f'https://example.test/{n}'}</link>")
    if when is not None:
        parts.append(f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>")
    parts.append(f"<description>{description}</description>")
    return f"<item>{''.join(parts)}</item>"


class FeedServer:
    """Routes are added with `route(path, handler)` or the canned ones below; `requests` records
    (path, headers) of every request."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.app.middlewares.append(self._record)
        self.app.router.add_route("GET", "/{tail:.*}", self._dispatch)
        self.handlers: dict[str, Any] = {}
        self.active = 0
        self.max_active: dict[str, int] = {}

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.headers)))
        return await handler(request)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        handler = self.handlers.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no such feed")
        return await handler(request)

    def route(self, path: str, handler: Any) -> str:
        self.handlers[path] = handler
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def static(self, path: str, body: bytes | str, *, status: int = 200,
               headers: dict[str, str] | None = None, content_type: str = "application/rss+xml"
               ) -> str:
        data = body.encode() if isinstance(body, str) else body

        async def handler(request: web.Request) -> web.Response:
            hdrs = {"Content-Type": content_type, **(headers or {})}
            return web.Response(status=status, body=data, headers=hdrs)

        return self.route(path, handler)

    async def __aenter__(self) -> FeedServer:
        self.runner = web.AppRunner(self.app, handle_signals=False, access_log=None,
                                    shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


# ---------------------------------------------------------------------- hostile handlers

def good_feed(now: datetime, n: int = 3, prefix: str = "good") -> str:
    return rss([item(i, when=now - timedelta(hours=i + 1), guid=f"{prefix}-{i}",
                     link=f"https://good.example.test/{prefix}/{i}") for i in range(n)])


class Overlap:
    """Serves slowly and counts the requests in progress at once (`most`): what a politeness
    limit should cap."""

    def __init__(self, respond: Callable[[web.Request], web.Response], delay: float = 0.05):
        self.respond, self.delay = respond, delay
        self.now = self.most = 0

    async def __call__(self, request: web.Request) -> web.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(self.delay)
            return self.respond(request)
        finally:
            self.now -= 1


async def stall(request: web.Request) -> web.Response:
    await asyncio.sleep(30)
    return web.Response(text="too late")


async def trickle(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await response.prepare(request)
    await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
    for _ in range(600):  # a byte every 50 ms: every read is quick, the whole never ends
        await asyncio.sleep(0.05)
        await response.write(b" ")
    return response


async def endless_redirect(request: web.Request) -> web.Response:
    n = int(request.query.get("n", "0"))
    raise web.HTTPFound(f"{request.path}?n={n + 1}")


def gzip_bomb(size: int) -> bytes:
    """`size` bytes of zeros, gzipped (about a thousandth of the size)."""
    out = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    chunk = b"\0" * (1 << 20)
    parts = [out.compress(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')]
    for _ in range(size >> 20):
        parts.append(out.compress(chunk))
    parts.append(out.flush())
    return b"".join(parts)


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode())


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)
