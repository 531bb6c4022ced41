"""What every command shares: printing JSON, opening the database it reads, reading a file."""

from __future__ import annotations

import json
from pathlib import Path

from bot.errors import BotError
from bot.settings import Settings
from bot.store import MissingDatabase, Store


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 shift`, `2 shifts`; `many` for a word that does not just take an s."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def print_json(value: object, *, lines: bool = False) -> None:
    """Every JSON the commands print, escaped alike: non-ASCII text as itself. `lines`: one
    compact object per line (a stream); otherwise indented."""
    print(json.dumps(value, ensure_ascii=False, indent=None if lines else 2))


def existing_store(settings: Settings, *, readonly: bool = True) -> Store:
    """The database a command reads (or, with readonly=False, changes): never created here, so
    a mistyped --db is an error rather than a new empty database."""
    try:
        return Store.open_existing(settings.db_url, readonly=readonly)
    except MissingDatabase as exc:
        raise BotError(f"{exc} (run `shiftwatch run` or `poll --once` first, or pass --db)"
                       ) from None


def read_text_file(path: str, what: str) -> str:
    """A text file named on the command line; any reason it cannot be read is one line."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BotError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise BotError(f"{what} {path}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise BotError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise BotError(f"{what} {path}: {exc.strerror or exc}") from None
