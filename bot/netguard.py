"""Network backends under httpx's connection pools: a cheap idle-connection check, and public
addresses only for links found in feed content (`make_client(public_only=True)` in bot/fetch.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import select
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import httpcore
import httpx

from bot.errors import AddressRefused

SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
# (host, port) -> every address the host resolves to
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# RFC 6052's well-known NAT64 prefix: the last 32 bits are the IPv4 address a gateway connects to
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


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
