"""Destinations: where alerts go. Each turns a stored shift into a message and sends it.

A destination's `send` raises `DeliveryError` (with `permanent` or `retry_after`) on failure;
the outbox decides what to do about it.
"""

from __future__ import annotations

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
