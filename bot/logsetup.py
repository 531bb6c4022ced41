"""How the command line logs: the bot's own lines, and the libraries' only when they matter.

`run` and `poll` log the bot's INFO lines (what was polled, found, delivered). The libraries'
INFO lines (apscheduler, aiohttp, telegram, alembic...) say nothing a user acts on, so they show
only with -v, which also shows the bot's DEBUG lines (idle cycles among them). Their warnings
and errors always show.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OWN_LOGGER = "bot"


class LibraryFloor(logging.Filter):
    """Passes every record of the bot's own loggers, and other loggers' from `floor` up."""

    def __init__(self, floor: int) -> None:
        super().__init__()
        self.floor = floor

    def filter(self, record: logging.LogRecord) -> bool:
        return (record.levelno >= self.floor or record.name == OWN_LOGGER
                or record.name.startswith(OWN_LOGGER + "."))


def configure_logging(*, verbose: bool, live: bool) -> None:
    """Log to stderr: `live` (run, poll) at INFO, other commands from WARNING, -v at DEBUG.

    The levels go on the root logger and the library floor on its handler, not on the
    libraries' loggers one by one: every library is covered, named or not. When logging is
    already set up (a program embedding the bot, a test), its handlers are left alone."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs URLs, and bot tokens in them
    # two INFO lines per tick ("Running job", "executed successfully"), even with -v
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # A cycle longer than the tick is normal (the tick only looks for due feeds): the skipped
    # tick is not worth a warning each time.
    logging.getLogger("apscheduler.scheduler").addFilter(
        lambda record: "maximum number of running instances" not in record.getMessage())
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(LibraryFloor(logging.INFO if verbose else logging.WARNING))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO if live else logging.WARNING)
