"""Local HTTP emulators of the Telegram Bot API and the Slack Web API for tests.

Each emulator serves on 127.0.0.1 with an OS-chosen port from a background thread, so the
real client libraries (python-telegram-bot, slack_sdk, slack-bolt) can talk to it from sync
and async tests alike. This module holds the shared server machinery; the emulators live in
``telegram_api`` and ``slack_api``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["EmulatorServer", "IncomingRequest", "RecordedRequest", "Reply"]

_LOGGER = logging.getLogger(__name__)

#: Errors raised when the client hangs up while we read or write; they are not our failure.
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass(frozen=True)
class IncomingRequest:
    """One HTTP request as received by the emulator."""

    http_method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-cased, without parameters."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def content_type_header(self) -> str:
        """The full Content-Type header (with boundary/charset parameters)."""
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, JSON-able body (or raw bytes) and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        """The body as bytes (JSON unless it already is bytes)."""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class RecordedRequest:
    """A handled API call, kept for assertions."""

    method: str
    params: dict[str, Any]
    http_method: str
    path: str
    headers: dict[str, str]
    status: int
    response: Any
    at: float

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (HTTP 2xx and no ``"ok": false`` body)."""
        body_ok = not (isinstance(self.response, dict) and self.response.get("ok") is False)
        return 200 <= self.status < 300 and body_ok


class _Server(ThreadingHTTPServer):
    """Threading server that tracks its connections and threads, and keeps quiet."""

    allow_reuse_address = True

    def __init__(self, emulator: EmulatorServer) -> None:
        self.emulator = emulator
        self.open_sockets: set[socket.socket] = set()
        self.handler_threads: list[threading.Thread] = []
        self.sockets_lock = threading.Lock()
        super().__init__((emulator.host, 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection from a named thread that stop() can join."""
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"{type(self.emulator).__name__}-connection",
            daemon=True,
        )
        with self.sockets_lock:
            self.open_sockets.add(request)
            self.handler_threads = [t for t in self.handler_threads if t.is_alive()]
            self.handler_threads.append(thread)
        thread.start()

    def join_handlers(self, timeout: float) -> None:
        """Wait for every connection thread to end."""
        with self.sockets_lock:
            threads = list(self.handler_threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection, then close it."""
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Shut down every open client connection (unblocks keep-alive reads)."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log instead of printing tracebacks to stderr; ignore clients that went away."""
        _LOGGER.debug("emulator connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP requests into IncomingRequest objects for the emulator."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Route access logs to logging (debug) instead of stderr."""
        _LOGGER.debug("%s - %s", self.address_string(), format % args)

    def handle_one_request(self) -> None:
        """Serve one request; a vanished client just ends the connection."""
        try:
            super().handle_one_request()
        except _CLIENT_GONE:
            self.close_connection = True

    def _serve(self) -> None:
        split = urlsplit(self.path)
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = self._read_chunked()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
        headers = _lower_headers(self.headers)
        request = IncomingRequest(
            http_method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
            body=body,
        )
        try:
            reply = self.server.emulator.handle(request)
        except Exception:  # a bug in the emulator must still answer, loudly
            _LOGGER.exception("emulator failed on %s %s", self.command, self.path)
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            reply = Reply(500, {**body, "error": "emulator_internal_error"})
        payload = reply.encode()
        self.send_response(reply.status)
        content_type = reply.content_type
        if content_type.startswith(("application/json", "text/")) and "charset" not in content_type:
            content_type += "; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if self.server.emulator.closing:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _read_chunked(self) -> bytes:
        """Read a ``Transfer-Encoding: chunked`` body."""
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


def _lower_headers(message: Message) -> dict[str, str]:
    """Headers as a dict keyed by lower-case name (last value wins)."""
    return {name.lower(): value for name, value in message.items()}


class EmulatorServer:
    """Base class: a threaded HTTP server with recorded calls, delays and a state lock.

    Subclasses implement :meth:`handle`; they guard their state with ``self._cond`` (a
    :class:`threading.Condition` over a re-entrant lock) and call :meth:`_record`.
    """

    host: ClassVar[str] = "127.0.0.1"

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._requests: list[RecordedRequest] = []
        self._delays: dict[str, float] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 on a free port and serve from a background thread."""
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self._closing.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake blocked requests, close every connection and join the threads."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._closing.set()
        with self._cond:
            self._cond.notify_all()
        server.shutdown()
        thread.join()
        server.cut_connections()
        server.join_handlers(timeout=5.0)
        server.server_close()
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    @property
    def closing(self) -> bool:
        """Whether stop() has begun."""
        return self._closing.is_set()

    @property
    def port(self) -> int:
        """The OS-chosen TCP port (only while running)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    # -- recording and delays ------------------------------------------------------------

    def requests(self, method: str | None = None) -> list[RecordedRequest]:
        """Recorded calls, oldest first; only those of ``method`` if given."""
        with self._cond:
            return [r for r in self._requests if method is None or r.method == method]

    def clear_requests(self) -> None:
        """Forget the recorded calls."""
        with self._cond:
            self._requests.clear()

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer every later call of ``method`` only after ``seconds`` (0 removes it)."""
        with self._cond:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def _delay_for(self, method: str) -> None:
        """Sleep the configured delay for ``method``; stop() cuts the sleep short."""
        with self._cond:
            seconds = self._delays.get(method, 0.0)
        if seconds > 0:
            self._closing.wait(seconds)

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        request: IncomingRequest,
        reply: Reply,
    ) -> Reply:
        """Store one handled call and hand back its reply."""
        entry = RecordedRequest(
            method=method,
            params=params,
            http_method=request.http_method,
            path=request.path,
            headers=dict(request.headers),
            status=reply.status,
            response=reply.body,
            at=time.time(),
        )
        with self._cond:
            self._requests.append(entry)
        return reply

    def handle(self, request: IncomingRequest) -> Reply:
        """Answer one request (implemented by the emulators)."""
        raise NotImplementedError
