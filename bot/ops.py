"""The operations endpoints of `shiftwatch run` (aiohttp): /healthz, /readyz and /metrics.

- /healthz: the process answers (liveness).
- /readyz: 200 when the database answers a query and the scheduler is running, else 503 with
  the reason in the body (readiness).
- /metrics: Prometheus text format (bot/metrics.py).

Off unless SHIFTWATCH_HTTP_PORT is set; bound to 127.0.0.1 unless SHIFTWATCH_HTTP_HOST says
otherwise (the endpoints carry no secrets, but feed URLs and counts are nobody else's business).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aiohttp import web
from sqlalchemy import text

from bot.errors import BotError
from bot.metrics import Metrics
from bot.store import Store

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DB_CHECK_SECONDS = 5.0
METRICS_SECONDS = 10.0  # below Prometheus's default scrape timeout
T = TypeVar("T")


class Scheduler(Protocol):
    @property
    def running(self) -> bool: ...


class OpsServer:
    def __init__(self, store: Store, metrics: Metrics | None = None, *, port: int,
                 host: str = DEFAULT_HOST):
        self.store = store
        self.metrics = metrics if metrics is not None else Metrics(store)
        self.host = host
        self.port = port  # 0: any free port; the bound one is in `self.port` once started
        self.scheduler: Scheduler | None = None
        self._runner: web.AppRunner | None = None
        # The endpoints' store queries run in threads of their own, one per kind at most: a
        # database that hangs ties up these two, never the pool that parses feeds.
        self._threads = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="shiftwatch-ops")
        self._pending: dict[str, asyncio.Future[Any]] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self, scheduler: Scheduler | None = None) -> None:
        self.scheduler = scheduler
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics_page)
        runner = web.AppRunner(app, access_log=None)  # scrapes every 15 s would drown the log
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise BotError(f"cannot serve HTTP on {self.host}:{self.port} "
                           f"(SHIFTWATCH_HTTP_HOST/SHIFTWATCH_HTTP_PORT): {exc.strerror or exc}") from None
        self._runner = runner
        self.port = runner.addresses[0][1]
        log.info("serving /healthz, /readyz, /metrics on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._threads.shutdown(wait=False, cancel_futures=True)  # a hung query must not hold us

    # ------------------------------------------------------------------ endpoints

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(self, _request: web.Request) -> web.Response:
        problems = []
        if self.scheduler is None or not self.scheduler.running:
            problems.append("scheduler: not running")
        database = await self._database_problem()
        if database:
            problems.append(f"database: {database}")
        if problems:
            return web.Response(status=503, text="\n".join(problems) + "\n")
        return web.Response(text="ready\n")

    async def metrics_page(self, request: web.Request) -> web.Response:
        # The feed gauges query the store: off the event loop, like the readiness check.
        accept = request.headers.get("Accept", "")
        try:
            body, content_type = await self._off_loop(
                "metrics", lambda: self.metrics.exposition(accept), METRICS_SECONDS)
        except TimeoutError:
            return web.Response(status=503,
                                text=f"metrics: the store did not answer within {METRICS_SECONDS:g} s\n")
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _off_loop(self, kind: str, call: Callable[[], T], timeout: float) -> T:
        """`call()` in the endpoints' threads. While an earlier call of the same kind is still
        running (a database that hangs), requests wait on that one rather than start another."""
        pending = self._pending.get(kind)
        if pending is None or pending.done():
            pending = asyncio.get_running_loop().run_in_executor(self._threads, call)
            self._pending[kind] = pending
        return await asyncio.wait_for(asyncio.shield(pending), timeout)

    async def _database_problem(self) -> str | None:
        def ping() -> None:
            with self.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await self._off_loop("database", ping, DB_CHECK_SECONDS)
        except TimeoutError:
            return f"no answer within {DB_CHECK_SECONDS:g} s"
        except Exception as exc:
            orig = getattr(exc, "orig", None)  # the driver's message, without SQLAlchemy's preamble
            return f"{type(exc).__name__}: {orig or exc}".splitlines()[0]
        return None
