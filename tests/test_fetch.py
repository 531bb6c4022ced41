"""fetch() against a real HTTP server on 127.0.0.1: conditional GET, limits, hostile answers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

import bot.fetch
from bot.fetch import USER_AGENT, FetchFailed, SharedClient, fetch, make_client
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
        with pytest.raises(FetchFailed, match="decompressed body over the 1048576-byte cap"):
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
        with pytest.raises(FetchFailed, match="300000 bytes is over the 100000-byte cap"):
            await fetch(client, announced, max_bytes=100_000)
        with pytest.raises(FetchFailed, match="body over the 100000-byte cap"):
            await fetch(client, streamed, max_bytes=100_000)


async def test_a_trickling_server_is_cut_off_by_the_overall_deadline() -> None:
    async with FeedServer() as server, make_client() as client:
        url = server.route("/trickle", trickle)
        with pytest.raises(FetchFailed, match=r"no complete answer within 0\.5 s"):
            await fetch(client, url, deadline=0.5)


async def test_endless_redirects_stop_after_five() -> None:
    async with FeedServer() as server, make_client() as client:
        url = server.route("/loop", endless_redirect)
        with pytest.raises(FetchFailed, match="more than 5 redirects"):
            await fetch(client, url)
    assert len(server.requests) == 6


async def test_retry_after_in_seconds_or_as_a_date_comes_with_429_and_503() -> None:
    later = http_date(datetime.now(UTC) + timedelta(hours=1))
    async with FeedServer() as server, make_client() as client:
        busy = server.static("/429", "slow down", status=429, headers={"Retry-After": "120"})
        down = server.static("/503", "maintenance", status=503, headers={"Retry-After": later})
        with pytest.raises(FetchFailed) as err:
            await fetch(client, busy)
        assert err.value.retry_after == 120 and err.value.status == 429
        assert str(err.value) == "HTTP 429 Too Many Requests, retry after 120 s"
        with pytest.raises(FetchFailed) as err:
            await fetch(client, down)
        assert err.value.retry_after is not None and 3500 < err.value.retry_after <= 3600


async def test_gone_is_marked_and_other_errors_name_the_status() -> None:
    async with FeedServer() as server, make_client() as client:
        gone = server.static("/gone", "bye", status=410)
        with pytest.raises(FetchFailed) as err:
            await fetch(client, gone)
        assert err.value.gone and str(err.value) == "HTTP 410 Gone"
        with pytest.raises(FetchFailed, match="HTTP 404 Not Found") as err:
            await fetch(client, server.url("/missing"))
        assert not err.value.gone


async def test_an_unsupported_content_encoding_is_a_clear_error() -> None:
    async with FeedServer() as server, make_client() as client:
        url = server.static("/br", b"\x8b\x00garbage", headers={"Content-Encoding": "br"})
        with pytest.raises(FetchFailed, match="unsupported Content-Encoding 'br'"):
            await fetch(client, url)
        bad = server.static("/badgz", b"not gzip at all", headers={"Content-Encoding": "gzip"})
        with pytest.raises(FetchFailed, match="corrupt gzip body"):
            await fetch(client, bad)


async def test_connection_refused_is_a_fetch_failure() -> None:
    async with FeedServer() as server:
        url = server.url("/feed")
    async with make_client() as client:
        with pytest.raises(FetchFailed, match="ConnectError"):
            await fetch(client, url)


async def test_local_files_are_read_and_missing_ones_fail(tmp_path) -> None:
    f = tmp_path / "feed.xml"
    f.write_text(BODY)
    async with make_client() as client:
        assert (await fetch(client, f"file://{f}")).body == BODY.encode()
        with pytest.raises(FetchFailed, match="cannot read"):
            await fetch(client, str(tmp_path / "absent.xml"))
        with pytest.raises(FetchFailed, match="larger than 10 bytes"):
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
    readable = bot.fetch._readable

    def counted(sock: socket.socket) -> bool:
        checks.append(readable(sock))
        return checks[-1]

    monkeypatch.setattr("bot.fetch._readable", counted)
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
