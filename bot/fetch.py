"""Getting feed bytes: conditional GET over HTTP (httpx), or a local file.

Nothing a server sends may hang or exhaust the process: every fetch has an overall deadline
(a read timeout alone does not stop a server that trickles a byte a second), the body is capped
after decompression while it streams (a gzip bomb stops at the cap), and every failure becomes
a `FetchFailed` with a message fit for `feeds.last_error`.

Links found in feed content are untrusted: `make_client(public_only=True)` makes a client that
connects to public addresses only (`address_refusal`, `_PublicAddressesOnly`), so a feed cannot
make us read a page on this machine or the local network.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import select
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpcore
import httpx

from bot import __version__
from bot.schedule import parse_retry_after

USER_AGENT = f"shiftwatch/{__version__} (+https://github.com/shiftwatch; news stance monitor)"
MAX_BYTES = 10 * 1024 * 1024
DEADLINE = 30.0
MAX_REDIRECTS = 5
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
# (host, port) -> every address the host resolves to
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# RFC 6052's well-known NAT64 prefix: the last 32 bits are the IPv4 address a gateway connects to
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Fetched:
    body: bytes | None          # None: not modified (304)
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] | None = None
    status: int = 200


class FetchFailed(Exception):
    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status

    @property
    def gone(self) -> bool:
        """HTTP 410: the publisher says the feed is gone for good."""
        return self.status == 410


class AddressRefused(FetchFailed):
    """A connection not opened (`make_client(public_only=True)`): the host resolves to an
    address that is not a public one."""


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
        raise FetchFailed(f"no complete answer within {deadline:g} s") from None
    except httpx.TooManyRedirects:
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException as exc:
        raise FetchFailed(f"timed out ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from None
    except (OSError, ValueError) as exc:  # e.g. a malformed redirect target
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from None


def _read_local(path: Path, max_bytes: int) -> Fetched:
    try:
        if path.stat().st_size > max_bytes:
            raise FetchFailed(f"{path} is larger than {max_bytes} bytes")
        return Fetched(path.read_bytes())
    except OSError as exc:
        raise FetchFailed(f"cannot read {path}: {exc.strerror or exc}") from None


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
            raise FetchFailed(f"HTTP {status} {response.reason_phrase}{hint}".rstrip(), retry, status)
        if status >= 400:
            raise FetchFailed(f"HTTP {status} {response.reason_phrase}".rstrip(), status=status)
        if status >= 300:  # a redirect without a usable Location
            raise FetchFailed(f"HTTP {status} without a usable Location header", status=status)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise FetchFailed(f"body of {int(length)} bytes is over the {max_bytes}-byte cap")
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
            raise FetchFailed(f"unsupported Content-Encoding {encoding!r}")
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
            raise FetchFailed(f"corrupt {self.coding} body: {exc}") from None

    def finish(self) -> bytes:
        if self.inflater is not None:
            try:
                self._add(self.inflater.flush())
            except zlib.error as exc:
                raise FetchFailed(f"corrupt {self.coding} body: {exc}") from None
        return b"".join(self.parts)

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            what = "decompressed body" if self.inflater is not None else "body"
            raise FetchFailed(f"{what} over the {self.max_bytes}-byte cap")
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


def _cheap_idle_checks(client: httpx.AsyncClient) -> None:
    """Give the client's connection pools a network backend whose streams keep their socket.

    Before each request and after each response, httpcore's pool asks every idle keep-alive
    connection whether its socket is readable (a server that closed it), and anyio answers by
    rebuilding a table of socket attributes, with a system call, each time: a fifth of the CPU
    of each fetch in bench.cycle (encode/httpcore#928 is the open fix upstream). httpx offers no
    public way to choose httpcore's network backend, hence the private attributes; when they are
    not found (another httpx or httpcore) the client keeps the stock backend."""
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    pools = [getattr(t, "_pool", None) for t in transports]
    for pool in pools:
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.AsyncNetworkBackend) and not isinstance(backend, _KeptSockets):
            pool._network_backend = _KeptSockets(backend)  # type: ignore[union-attr]


class _KeptSockets(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, its streams wrapped in `_KeptSocketStream`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend):
        self.backend = backend

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        return _KeptSocketStream(await self.backend.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[SocketOption] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        return _KeptSocketStream(await self.backend.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options))

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class _KeptSocketStream(httpcore.AsyncNetworkStream):
    """A stream that answers "is_readable" from the socket it looked up once."""

    def __init__(self, stream: httpcore.AsyncNetworkStream):
        self.stream = stream
        self.socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self.stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _KeptSocketStream(await self.stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self.socket is not None:
            return _readable(self.socket)
        return self.stream.get_extra_info(info)


def _readable(sock: socket.socket) -> bool:
    """Whether a read would return at once: on an idle connection, that the server closed it
    (or sent what it should not have). A socket already closed counts as readable."""
    if sock.fileno() < 0:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


def address_refusal(address: str | IPAddress) -> str | None:
    """Why a link's page must not be fetched from `address` (an IP address), or None when the
    address is a public one.

    The standard library's registry of special-purpose ranges decides (`ipaddress`'s `is_global`
    and friends). An IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, NAT64) is judged
    by the IPv4 address it leads to: ::ffff:127.0.0.1 is 127.0.0.1."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    # multicast and site-local ranges count as global in the registry, hence asked for by name
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "site_local",
                 "private"):
        if getattr(ip, f"is_{kind}", False):
            return kind.replace("_", "-")
    return None if ip.is_global else "not global"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver's answer, its order kept)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _connect_to_public_addresses_only(transport: httpx.AsyncHTTPTransport, resolve: Resolver
                                      ) -> None:
    """Put `_PublicAddressesOnly` in front of the transport's network backend. The same private
    attribute as `_cheap_idle_checks`, but no quiet fallback here: without the check the client
    must not exist."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.AsyncNetworkBackend):
        raise RuntimeError("this httpx/httpcore offers no network backend to check addresses in "
                           "(bot/fetch.py: _connect_to_public_addresses_only)")
    pool._network_backend = _PublicAddressesOnly(backend, resolve)  # type: ignore[union-attr]


class _PublicAddressesOnly(httpcore.AsyncNetworkBackend):
    """A network backend that resolves the host itself, refuses it unless every address it
    resolves to is public (`address_refusal`), and connects to one of those addresses.

    Why here, at connection time, rather than checking each URL before fetching it: the check
    sees the address the socket is actually opened to. A check before the fetch resolves the
    name once and the connection resolves it again, and a DNS server that answers a public
    address the first time and 127.0.0.1 the second (DNS rebinding) would get through. Here the
    name is looked up once and the socket opened to the very address checked. Redirects need
    nothing more: every hop that needs a new connection comes through here, and a kept-alive
    connection is reused only within this client's pool, where every connection was checked
    (hence a client of its own for article pages, apart from the feeds' one, whose feeds may be
    local). TLS still verifies the URL's host name: httpcore gives the origin's host, not the
    address connected to, as the server name."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, resolve: Resolver):
        self.backend = backend
        self.resolve = resolve

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port, timeout)
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None and address == host:
                raise AddressRefused(f"refused: {host} is a private address ({refusal})")
            if refusal is not None:
                raise AddressRefused(f"refused: {host} resolves to a private address {address}"
                                     f" ({refusal})")
        failure: Exception | None = None
        for address in addresses:  # the resolver's order, as a connect by name would try them
            try:
                return await self.backend.connect_tcp(address, port, timeout=timeout,
                                                      local_address=local_address,
                                                      socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # _addresses returns at least one
        raise failure

    async def _addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        try:
            async with asyncio.timeout(timeout):
                addresses = list(await self.resolve(host, port))
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"looking up {host} timed out") from None
        except OSError as exc:  # as httpcore reports a name it cannot resolve
            raise httpcore.ConnectError(str(exc)) from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        return addresses

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[SocketOption] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(f"refused: a Unix socket ({path}) is local")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


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
