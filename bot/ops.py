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
import logging
from typing import Protocol

from aiohttp import web
from sqlalchemy import text

from bot.errors import BotError
from bot.metrics import Metrics
from bot.store import Store

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DB_CHECK_SECONDS = 5.0


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
        body, content_type = await asyncio.to_thread(self.metrics.exposition,
                                                     request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _database_problem(self) -> str | None:
        def ping() -> None:
            with self.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await asyncio.wait_for(asyncio.to_thread(ping), DB_CHECK_SECONDS)
        except TimeoutError:
            return f"no answer within {DB_CHECK_SECONDS:g} s"
        except Exception as exc:
            orig = getattr(exc, "orig", None)  # the driver's message, without SQLAlchemy's preamble
            return f"{type(exc).__name__}: {orig or exc}".splitlines()[0]
        return None
