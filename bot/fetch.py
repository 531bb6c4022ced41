"""Getting feed bytes: conditional GET over HTTP (httpx), or a local file.

Nothing a server sends may hang or exhaust the process: every fetch has an overall deadline
(a read timeout alone does not stop a server that trickles a byte a second), the body is capped
after decompression while it streams (a gzip bomb stops at the cap), and every failure becomes
a `FetchError` with a message fit for `feeds.last_error`.

Links found in feed content are untrusted: `make_client(public_only=True)` makes a client that
connects to public addresses only (bot/netguard.py: `address_refusal`), so a feed cannot
make us read a page on this machine or the local network.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from bot import __version__
from bot.errors import FetchError
from bot.netguard import (
    Resolver,
    _cheap_idle_checks,
    _connect_to_public_addresses_only,
    resolve_host,
)
from bot.schedule import parse_retry_after

USER_AGENT = f"shiftwatch/{__version__} (+https://github.com/shiftwatch; news stance monitor)"
MAX_BYTES = 10 * 1024 * 1024
DEADLINE = 30.0
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Fetched:
    body: bytes | None          # None: not modified (304)
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] | None = None
    status: int = 200


def local_path(url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme in ("", ) or (len(parsed.scheme) == 1 and url[1:3] == ":\\"):
        return Path(url)
    return None


async def fetch(client: httpx.AsyncClient, url: str, *, etag: str | None = None,
                last_modified: str | None = None, max_bytes: int = MAX_BYTES,
                deadline: float = DEADLINE) -> Fetched:
    path = local_path(url)
    if path is not None:
        return _read_local(path, max_bytes)
    try:
        async with asyncio.timeout(deadline):
            return await _get(client, url, etag, last_modified, max_bytes)
    except TimeoutError:
        raise FetchError(f"no complete answer within {deadline:g} s") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from None
    except (OSError, ValueError) as exc:  # e.g. a malformed redirect target
        raise FetchError(f"{type(exc).__name__}: {exc}") from None


def _read_local(path: Path, max_bytes: int) -> Fetched:
    try:
        if path.stat().st_size > max_bytes:
            raise FetchError(f"{path} is larger than {max_bytes} bytes")
        return Fetched(path.read_bytes())
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None


async def _get(client: httpx.AsyncClient, url: str, etag: str | None, last_modified: str | None,
               max_bytes: int) -> Fetched:
    # Only encodings we can decompress under the cap ourselves (see _Body)
    headers = {"Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    async with client.stream("GET", url, headers=headers) as response:
        status = response.status_code
        if status == 304:
            # Read to its (empty) end, or the connection is closed instead of kept alive
            await response.aread()
            # a 304 may refresh the validators; keep the old ones when it does not
            return Fetched(None, response.headers.get("etag") or etag,
                           response.headers.get("last-modified") or last_modified,
                           _plain(response.headers), status)
        if status in (429, 503):
            retry = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
            hint = f", retry after {retry:g} s" if retry is not None else ""
            raise FetchError(f"HTTP {status} {response.reason_phrase}{hint}".rstrip(), retry, status)
        if status >= 400:
            raise FetchError(f"HTTP {status} {response.reason_phrase}".rstrip(), status=status)
        if status >= 300:  # a redirect without a usable Location
            raise FetchError(f"HTTP {status} without a usable Location header", status=status)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise FetchError(f"body of {int(length)} bytes is over the {max_bytes}-byte cap")
        body = _Body(response.headers.get("content-encoding", ""), max_bytes)
        async for chunk in response.aiter_raw():
            body.feed(chunk)
        return Fetched(body.finish(), response.headers.get("etag"),
                       response.headers.get("last-modified"), _plain(response.headers), status)


class _Body:
    """Decompresses as the bytes arrive and stops at the cap.

    httpx would decompress each network chunk whole before we could count it (a 64 KB chunk of
    a gzip bomb is 64 MB); zlib's `max_length` lets us stop at the cap instead.
    """

    def __init__(self, encoding: str, max_bytes: int):
        self.max_bytes = max_bytes
        self.parts: list[bytes] = []
        self.size = 0
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")
        self.coding = codings[0] if codings else ""
        self.inflater: zlib._Decompress | None = None
        if self.coding in ("gzip", "x-gzip"):
            self.inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.coding == "deflate" and self.inflater is None:
            # "deflate" is zlib-wrapped by the standard and raw in some servers
            raw = (chunk[0] & 0x0F) != 8
            self.inflater = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        if self.inflater is None:
            self._add(chunk)
            return
        if self.inflater.eof:
            return  # bytes after the end of the compressed stream
        try:
            self._add(self.inflater.decompress(chunk, self.max_bytes - self.size + 1))
        except zlib.error as exc:
            raise FetchError(f"corrupt {self.coding} body: {exc}") from None

    def finish(self) -> bytes:
        if self.inflater is not None:
            try:
                self._add(self.inflater.flush())
            except zlib.error as exc:
                raise FetchError(f"corrupt {self.coding} body: {exc}") from None
        return b"".join(self.parts)

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            what = "decompressed body" if self.inflater is not None else "body"
            raise FetchError(f"{what} over the {self.max_bytes}-byte cap")
        self.parts.append(data)


def _plain(headers: httpx.Headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def make_client(*, concurrency: int = 20, public_only: bool = False,
                resolve: Resolver | None = None) -> httpx.AsyncClient:
    """The HTTP client fetches go through. `public_only`: for links from feed content, a client
    that connects to public addresses only (`_PublicAddressesOnly`; `resolve` looks the names
    up, `resolve_host` unless a test gives its own)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency,
                          keepalive_expiry=60.0)
    # A transport of our own: the client then ignores HTTP(S)_PROXY, as it must when the
    # address it connects to is the one checked (a proxy would resolve the name itself)
    transport = (httpx.AsyncHTTPTransport(http1=True, http2=False, limits=limits)
                 if public_only else None)
    client = httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(20.0, connect=10.0),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        http1=True, http2=False,
        limits=limits,
        transport=transport,
    )
    _cheap_idle_checks(client)
    if transport is not None:
        _connect_to_public_addresses_only(transport, resolve or resolve_host)
    return client


# What a cycle gets its HTTP client from: `make_client` (a new client, closed after the cycle) or
# a `SharedClient` (one lent to every cycle)
ClientFactory = Callable[[], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


class SharedClient:
    """One AsyncClient for the life of the event loop, lent to each cycle (`async with
    shared() as client`) without being closed, so keep-alive connections outlive a tick.

    A client belongs to the loop it first ran in: under a new loop a new one is made."""

    def __init__(self, factory: Callable[[], httpx.AsyncClient] = make_client):
        self.factory = factory
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[httpx.AsyncClient]:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.is_closed or self._loop is not loop:
            self._client, self._loop = self.factory(), loop
        yield self._client

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None


def host_of(url: str) -> str:
    """The host whose per-host limit a fetch counts against ('' for local files)."""
    try:
        return (urlparse(url).hostname or "").lower()
    except ValueError:  # a malformed link: no host to be polite to
        return ""
