"""fetch() against a real HTTP server on 127.0.0.1: conditional GET, limits, hostile answers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiohttp import web

import bot.fetch
import bot.netguard
from bot.errors import AddressRefused, FetchError
from bot.fetch import USER_AGENT, SharedClient, fetch, make_client
from bot.netguard import address_refusal
from tests.feedserver import FeedServer, endless_redirect, gzip_bomb, gzipped, http_date, trickle

BODY = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


async def test_conditional_get_sends_validators_and_a_304_has_no_body() -> None:
    async def conditional(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(text=BODY, headers={"ETag": '"v1"',
                                                "Last-Modified": "Sat, 01 Mar 2025 10:00:00 GMT"})

    async with FeedServer() as server, make_client() as client:
        url = server.route("/feed", conditional)
        first = await fetch(client, url)
        assert first.body == BODY.encode() and first.etag == '"v1"'
        second = await fetch(client, url, etag=first.etag, last_modified=first.last_modified)
    assert second.body is None and second.status == 304
    assert second.etag == '"v1"' and second.last_modified == "Sat, 01 Mar 2025 10:00:00 GMT"
    headers = server.requests[-1][1]
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Sat, 01 Mar 2025 10:00:00 GMT"
    assert headers["User-Agent"] == USER_AGENT and "shiftwatch" in USER_AGENT


async def test_gzip_and_deflate_bodies_are_decompressed() -> None:
    async with FeedServer() as server, make_client() as client:
        gz = server.static("/gz", gzipped(BODY), headers={"Content-Encoding": "gzip"})
        zl = server.static("/zlib", zlib.compress(BODY.encode()), headers={"Content-Encoding": "deflate"})
        raw = zlib.compressobj(wbits=-15)
        rd = server.static("/raw", raw.compress(BODY.encode()) + raw.flush(),
                           headers={"Content-Encoding": "deflate"})
        for url in (gz, zl, rd):
            assert (await fetch(client, url)).body == BODY.encode()
    assert "gzip" in server.requests[0][1]["Accept-Encoding"]


async def test_a_gzip_bomb_stops_at_the_cap_on_decompressed_bytes() -> None:
    bomb = gzip_bomb(64 << 20)
    assert len(bomb) < 1 << 20
    async with FeedServer() as server, make_client() as client:
        url = server.static("/bomb", bomb, headers={"Content-Encoding": "gzip"})
        with pytest.raises(FetchError, match="decompressed body over the 1048576-byte cap"):
            await fetch(client, url, max_bytes=1 << 20)


async def test_a_body_over_the_cap_fails_whether_or_not_its_length_is_announced() -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(40):
            await response.write(b"x" * 65536)
        return response

    async with FeedServer() as server, make_client() as client:
        announced = server.static("/big", b"x" * 300_000)
        streamed = server.route("/chunked", chunked)
        with pytest.raises(FetchError, match="300000 bytes is over the 100000-byte cap"):
            await fetch(client, announced, max_bytes=100_000)
        with pytest.raises(FetchError, match="body over the 100000-byte cap"):
            await fetch(client, streamed, max_bytes=100_000)


async def test_a_trickling_server_is_cut_off_by_the_overall_deadline() -> None:
    async with FeedServer() as server, make_client() as client:
        url = server.route("/trickle", trickle)
        with pytest.raises(FetchError, match=r"no complete answer within 0\.5 s"):
            await fetch(client, url, deadline=0.5)


async def test_endless_redirects_stop_after_five() -> None:
    async with FeedServer() as server, make_client() as client:
        url = server.route("/loop", endless_redirect)
        with pytest.raises(FetchError, match="more than 5 redirects"):
            await fetch(client, url)
    assert len(server.requests) == 6


async def test_retry_after_in_seconds_or_as_a_date_comes_with_429_and_503() -> None:
    later = http_date(datetime.now(UTC) + timedelta(hours=1))
    async with FeedServer() as server, make_client() as client:
        busy = server.static("/429", "slow down", status=429, headers={"Retry-After": "120"})
        down = server.static("/503", "maintenance", status=503, headers={"Retry-After": later})
        with pytest.raises(FetchError) as err:
            await fetch(client, busy)
        assert err.value.retry_after == 120 and err.value.status == 429
        assert str(err.value) == "HTTP 429 Too Many Requests, retry after 120 s"
        with pytest.raises(FetchError) as err:
            await fetch(client, down)
        assert err.value.retry_after is not None and 3500 < err.value.retry_after <= 3600


async def test_gone_is_marked_and_other_errors_name_the_status() -> None:
    async with FeedServer() as server, make_client() as client:
        gone = server.static("/gone", "bye", status=410)
        with pytest.raises(FetchError) as err:
            await fetch(client, gone)
        assert err.value.gone and str(err.value) == "HTTP 410 Gone"
        with pytest.raises(FetchError, match="HTTP 404 Not Found") as err:
            await fetch(client, server.url("/missing"))
        assert not err.value.gone


async def test_an_unsupported_content_encoding_is_a_clear_error() -> None:
    async with FeedServer() as server, make_client() as client:
        url = server.static("/br", b"\x8b\x00garbage", headers={"Content-Encoding": "br"})
        with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
            await fetch(client, url)
        bad = server.static("/badgz", b"not gzip at all", headers={"Content-Encoding": "gzip"})
        with pytest.raises(FetchError, match="corrupt gzip body"):
            await fetch(client, bad)


async def test_connection_refused_is_a_fetch_failure() -> None:
    async with FeedServer() as server:
        url = server.url("/feed")
    async with make_client() as client:
        with pytest.raises(FetchError, match="ConnectError"):
            await fetch(client, url)


async def test_local_files_are_read_and_missing_ones_fail(tmp_path) -> None:
    f = tmp_path / "feed.xml"
    f.write_text(BODY)
    async with make_client() as client:
        assert (await fetch(client, f"file://{f}")).body == BODY.encode()
        with pytest.raises(FetchError, match="cannot read"):
            await fetch(client, str(tmp_path / "absent.xml"))
        with pytest.raises(FetchError, match="larger than 10 bytes"):
            await fetch(client, str(f), max_bytes=10)


async def test_the_shared_client_keeps_its_connection_from_one_cycle_to_the_next() -> None:
    peers: list[object] = []

    async def feed(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.Response(text=BODY)

    shared = SharedClient()
    async with FeedServer() as server:
        url = server.route("/feed", feed)
        for _ in range(3):
            async with shared() as client:
                await fetch(client, url)
        await shared.aclose()
    assert len(peers) == 3 and len(set(peers)) == 1  # one TCP connection, kept alive


async def test_a_304_leaves_its_connection_open_for_the_next_fetch() -> None:
    peers: list[object] = []

    async def conditional(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.Response(status=304, headers={"ETag": '"v1"'})

    async with FeedServer() as server, make_client() as client:
        url = server.route("/feed", conditional)
        for _ in range(3):
            got = await fetch(client, url, etag='"v1"')
            assert got.status == 304 and got.body is None
    assert len(peers) == 3 and len(set(peers)) == 1  # kept alive, not one connection per 304


TLS = Path(__file__).resolve().parent / "tls"


def tls_server_context(monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """The test certificate's server side; clients made from here on trust it (httpx reads
    SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "cert.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "cert.pem", TLS / "key.pem")
    return context


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_a_kept_alive_connection_the_server_closed_is_not_reused(monkeypatch, scheme: str
                                                                        ) -> None:
    # The pool must notice, before sending, that an idle connection was closed by the server;
    # it asks bot.fetch's check (the socket kept from connect time), not anyio's each time.
    checks: list[bool] = []
    readable = bot.netguard._readable

    def counted(sock: socket.socket) -> bool:
        checks.append(readable(sock))
        return checks[-1]

    monkeypatch.setattr("bot.netguard._readable", counted)
    # over https the same check must see through TLS to the socket beneath it
    server_tls = tls_server_context(monkeypatch) if scheme == "https" else None
    connections = 0

    async def answer_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        # HTTP/1.1 without "Connection: close": the client keeps the connection for the next fetch
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await asyncio.sleep(0.01)  # the answer is on its way; then the connection is dropped
        # (a graceful TLS close from asyncio would wait for the client's close_notify first)
        writer.transport.abort()

    server = await asyncio.start_server(answer_then_hang_up, "127.0.0.1", 0, ssl=server_tls)
    url = f"{scheme}://127.0.0.1:{server.sockets[0].getsockname()[1]}/feed"
    async with server, make_client() as client:
        for _ in range(3):
            got = await fetch(client, url)
            assert got.body == b"ok"
            await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
    assert connections == 3
    assert True in checks  # the closed connections were found by the kept-socket check


async def test_an_https_connection_is_kept_alive_from_one_fetch_to_the_next(monkeypatch) -> None:
    server_tls = tls_server_context(monkeypatch)
    connections = 0

    async def answer_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):  # client gone
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_each, "127.0.0.1", 0, ssl=server_tls)
    url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/feed"
    async with make_client() as client:
        for _ in range(3):
            assert (await fetch(client, url)).body == b"ok"
    server.close()
    await server.wait_closed()
    assert connections == 1


# ---------------------------------------------------------------------- public addresses only

@pytest.mark.parametrize(("address", "refusal"), [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("100.64.0.1", "not global"),       # carrier-grade NAT
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.1.2.3", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.1", "private"),           # documentation
    ("198.18.0.1", "private"),          # benchmarking
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fe80::1%2", "link-local"),
    ("fc00::1", "private"),
    ("fd00:ec2::254", "private"),       # cloud metadata over IPv6
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", "private"),
    ("::ffff:127.0.0.1", "loopback"),   # IPv4-mapped
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:10.0.0.1", "private"),
    ("2002:7f00:1::", "loopback"),      # 6to4 around 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 around 169.254.169.254
    ("::127.0.0.1", "reserved"),        # IPv4-compatible (deprecated)
    ("8.8.8.8", None),
    ("93.184.215.14", None),
    ("2606:4700:4700::1111", None),
    ("::ffff:8.8.8.8", None),
    ("64:ff9b::808:808", None),         # NAT64 around 8.8.8.8
])
def test_address_refusal_says_what_kind_of_address_is_not_public(address: str, refusal: str | None
                                                                 ) -> None:
    assert address_refusal(address) == refusal


PUBLIC = "93.184.215.14"  # what the test resolver answers for the names below


@dataclass
class PublicInternet:
    """A resolver and a route in a box: `names` resolve to public addresses, and a socket
    opened to one reaches the test server on 127.0.0.1 instead. Other names resolve as usual.
    `connected` records every address a socket was opened to."""

    names: dict[str, list[str]] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=lambda: {PUBLIC: "127.0.0.1"})
    connected: list[str] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)

    async def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host in self.names:
            return self.names[host]
        return await bot.netguard.resolve_host(host, port)


@pytest.fixture
def internet(monkeypatch: pytest.MonkeyPatch) -> PublicInternet:
    net = PublicInternet(names={"news.example.test": [PUBLIC]})
    connect = anyio.connect_tcp

    async def routed(remote_host: str, remote_port: int, **kwargs: Any) -> Any:
        net.connected.append(remote_host)
        return await connect(net.routes.get(remote_host, remote_host), remote_port, **kwargs)

    monkeypatch.setattr(anyio, "connect_tcp", routed)  # what httpcore's network backend calls
    return net


async def test_a_public_page_is_fetched_through_the_public_only_client(internet: PublicInternet
                                                                       ) -> None:
    async with FeedServer() as server, make_client(public_only=True, resolve=internet.resolve) as client:
        server.static("/story", "the story", content_type="text/html")
        got = await fetch(client, f"http://news.example.test:{server.port}/story")
    assert got.body == b"the story"
    assert internet.connected == [PUBLIC]  # the socket went to the address checked, not the name


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.1", "2130706433", "0.0.0.0",
                                  "[::ffff:127.0.0.1]", "[::1]"])
async def test_a_link_to_this_machine_is_refused_however_it_is_spelled(host: str) -> None:
    async with FeedServer() as server, make_client(public_only=True) as client:
        server.static("/secret", "internal")
        with pytest.raises(AddressRefused,
                           match=r"^refused: .* a private address .*\((loopback|unspecified)\)"):
            await fetch(client, f"http://{host}:{server.port}/secret")
    assert server.requests == []


async def test_a_redirect_from_a_public_address_to_a_private_one_is_not_followed(
        internet: PublicInternet) -> None:
    async with FeedServer() as server, make_client(public_only=True, resolve=internet.resolve) as client:
        server.static("/secret", "internal")
        hops = {"/to-ip": server.url("/secret"),
                "/to-name": f"http://localhost:{server.port}/secret",
                "/to-public": f"http://news.example.test:{server.port}/story"}
        for path, target in hops.items():
            server.static(path, "", status=302, headers={"Location": target})
        server.static("/story", "the story", content_type="text/html")

        with pytest.raises(AddressRefused, match=r"^refused: 127\.0\.0\.1 is a private address"):
            await fetch(client, f"http://news.example.test:{server.port}/to-ip")
        with pytest.raises(AddressRefused, match=r"^refused: localhost resolves to a private"):
            await fetch(client, f"http://news.example.test:{server.port}/to-name")
        # a hop to a public address is followed, over the same checked connection
        assert (await fetch(client, f"http://news.example.test:{server.port}/to-public")).body \
            == b"the story"
    assert [path for path, _ in server.requests] == ["/to-ip", "/to-name", "/to-public", "/story"]


async def test_every_address_a_name_resolves_to_must_be_public(internet: PublicInternet) -> None:
    internet.names["mixed.example.test"] = [PUBLIC, "10.0.0.7"]
    async with make_client(public_only=True, resolve=internet.resolve) as client:
        with pytest.raises(AddressRefused,
                           match=r"mixed\.example\.test resolves to a private address 10\.0\.0\.7"):
            await fetch(client, "http://mixed.example.test/story")
    assert internet.connected == []


async def test_the_name_is_looked_up_once_so_a_second_answer_cannot_rebind_it(
        internet: PublicInternet) -> None:
    answers = [[PUBLIC], ["127.0.0.1"]]  # a rebinding DNS server: public first, loopback next

    async def rebinding(host: str, port: int) -> list[str]:
        internet.lookups.append(host)
        return answers.pop(0) if host == "rebind.example.test" else await internet.resolve(host, port)

    async with FeedServer() as server, make_client(public_only=True, resolve=rebinding) as client:
        server.static("/story", "the story")
        got = await fetch(client, f"http://rebind.example.test:{server.port}/story")
    assert got.body == b"the story"
    assert internet.lookups == ["rebind.example.test"] and internet.connected == [PUBLIC]


async def test_the_public_only_client_still_verifies_tls_for_the_link_s_host_name(
        internet: PublicInternet, monkeypatch: pytest.MonkeyPatch) -> None:
    # The socket is opened to an address, but the certificate is checked against the name:
    # the test certificate is for localhost, so the same server fails under another name.
    server_tls = tls_server_context(monkeypatch)
    internet.names.update({"localhost": [PUBLIC]})

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    async with server, make_client(public_only=True, resolve=internet.resolve) as client:
        assert (await fetch(client, f"https://localhost:{port}/story")).body == b"ok"
        with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
            await fetch(client, f"https://news.example.test:{port}/story")
    assert internet.connected == [PUBLIC, PUBLIC]


async def test_a_name_that_does_not_resolve_fails_as_a_connect_error() -> None:
    async with make_client(public_only=True) as client:
        with pytest.raises(FetchError, match=r"^ConnectError: ") as failed:
            await fetch(client, "http://no-such-host.invalid/story")
    assert not isinstance(failed.value, AddressRefused)
