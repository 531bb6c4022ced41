"""Destinations: where alerts go. Each turns a stored shift into a message and sends it.

A destination's `send` raises `DeliveryError` (with `permanent` or `retry_after`) on failure;
the outbox decides what to do about it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from bot.render import AlertView


class Destination(Protocol):
    """Destinations are named by a prefix: outbox rows `console`, `telegram:<chat>`, ..."""

    prefix: str

    async def send(self, target: str, alert: AlertView) -> None: ...


class Service(Destination, Protocol):
    """A chat platform running in the same event loop as the scheduler: it answers commands
    (its own I/O) and delivers alerts queued for its prefix."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def utcnow() -> datetime:
    """The clock chat services stamp subscriptions with (tests give their own)."""
    return datetime.now(UTC)


class Deferred:
    """A chat service built on first use: a cycle that sends no message and answers no
    command never imports the chat SDK (seconds of start-up for `poll --once`)."""

    def __init__(self, prefix: str, build: Callable[[], Service]):
        self.prefix = prefix
        self._build = build
        self._service: Service | None = None

    @property
    def service(self) -> Service:
        if self._service is None:
            self._service = self._build()
        return self._service

    async def send(self, target: str, alert: AlertView) -> None:
        await self.service.send(target, alert)

    async def notice(self, text: str) -> None:
        notice = getattr(self.service, "notice", None)
        if notice is not None:
            await notice(text)

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        if self._service is not None:  # never built: nothing to stop
            await self._service.stop()
