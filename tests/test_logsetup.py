"""What the command line's log lets through: the bot's own lines, the libraries' warnings."""

from __future__ import annotations

import logging

from bot.logsetup import LibraryFloor, configure_logging


def record(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "message", None, None)


def test_library_info_is_held_back_unless_verbose_and_the_bots_own_lines_pass() -> None:
    quiet, verbose = LibraryFloor(logging.WARNING), LibraryFloor(logging.INFO)
    for name in ("apscheduler.scheduler", "aiohttp.access", "telegram.ext.Application",
                 "alembic.runtime.migration", "botocore"):  # "bot" as a prefix only
        assert not quiet.filter(record(name, logging.INFO)), name
        assert quiet.filter(record(name, logging.WARNING)), name
        assert verbose.filter(record(name, logging.INFO)), name
        assert not verbose.filter(record(name, logging.DEBUG)), name
    for name in ("bot", "bot.app", "bot.chat.slack.bolt"):
        assert quiet.filter(record(name, logging.DEBUG)), name


def test_logging_set_up_elsewhere_is_left_alone() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    assert handlers  # pytest's own capture
    configure_logging(verbose=True, live=True)
    assert root.handlers == handlers and root.level == level
    assert logging.getLogger("httpx").level == logging.WARNING  # tokens stay out whatever else
