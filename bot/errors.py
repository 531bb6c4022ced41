"""The error tree: what went wrong, and whether trying again can help.

The CLI prints any `BotError` as one line (no traceback) and exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class BotError(Exception):
    """An error meant for the user: its message is complete and printable."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as the source allows."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class ConfigError(BotError):
    """A feeds or rules file is invalid; lists every problem found, not just the first."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class FetchError(BotError):
    """A feed or a page could not be fetched; the message is fit for `feeds.last_error`.

    `retry_after`: the server's own wait hint in seconds; `status`: its HTTP status, None when
    it never answered (a network problem rather than the feed's)."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status

    @property
    def gone(self) -> bool:
        """HTTP 410: the publisher says the feed is gone for good."""
        return self.status == 410


class AddressRefused(FetchError):
    """A connection not opened (`make_client(public_only=True)`): the host resolves to an
    address that is not a public one."""


class DeliveryError(BotError):
    """An alert could not be delivered to a destination.

    `permanent` means retrying cannot help (the chat is gone, the bot was blocked);
    `retry_after` is the server's own wait hint in seconds, when it gave one.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class UsageError(BotError):
    """The user asked for something that does not exist (unknown country, actor, topic)."""
