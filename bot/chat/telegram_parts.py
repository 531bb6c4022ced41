"""The Telegram bot's parts that need no running bot: its commands and help, long answers cut
to fit, chat ids, and the API's errors as `DeliveryError`s for the outbox."""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable
from datetime import timedelta

from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.errors import DeliveryError

CHUNK_LIMIT = 4000  # a little under the API's 4096 (UTF-16 units of the parsed text)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What this bot does"),
    ("help", "Commands and examples"),
    ("positions", "Leaders' stances: /positions <country> [topic]"),
    ("history", "An actor's statements: /history <actor> [topic]"),
    ("subscribe", "Get stance-shift alerts here: /subscribe [topic|country|actor ...]"),
    ("unsubscribe", "Stop alerts in this chat"),
    ("subscriptions", "This chat's alert subscription"),
    ("topics", "The topics tracked"),
    # answered by bot/chat/views.py
    ("chart", "A stance timeline picture: /chart <actor|country> [topic]"),
    ("matrix", "Where each country stands: /matrix [topic]"),
    ("digest", "Shifts, new actors, failing feeds: /digest [daily|weekly|off]"),
)

HELP = """<b>ShiftWatch</b> follows news feeds for what leaders say on tracked topics and \
tells you when someone's stance shifts (say from <i>opposes</i> to <i>conditional</i>).

<b>Commands</b>
/positions &lt;country&gt; [topic] — current stances, with the quote and the source
/history &lt;actor&gt; [topic] — an actor's latest statements
/subscribe [topic|country|actor ...] — alerts in this chat (no filter: every shift; \
<code>flop</code>: only full flops, two steps or more on the stance scale; <code>half-flip</code>: \
one step; <code>magnitude&gt;=N</code>; separate multi-word names with commas)
/unsubscribe — stop alerts in this chat
/subscriptions — what this chat is subscribed to
/topics — the topics tracked

<b>Examples</b>
<code>/positions FR</code>
<code>/positions Germany troops-to-ukraine</code>
<code>/history Macron</code>
<code>/subscribe troops-to-ukraine</code>
<code>/subscribe FR, Keir Starmer, flop</code>

In groups only administrators can change subscriptions."""


def unknown_command_answer(typed: str) -> str:
    """One line: the command was not understood, the closest known one, and every known one."""
    known = [f"/{name}" for name, _ in COMMANDS]
    close = difflib.get_close_matches(typed.lower(), known, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]}?" if close else ""
    return f"Unknown command {typed}.{hint} Commands: {' '.join(known)}"


def command_word(text: str | None) -> str:
    """`/name@bot` of a command message (the words after it are its arguments)."""
    words = (text or "").split(maxsplit=1)
    return words[0] if words else ""


def split_message(text: str, limit: int = CHUNK_LIMIT) -> list[str]:
    """Chunks under Telegram's length limit, cut between paragraphs, then lines (never
    inside a tag: the blocks the bot builds keep their tags within one line)."""
    if _units(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joined = f"{current}\n\n{piece}" if current else piece
        if _units(joined) <= limit:
            current = joined
        else:
            if current:
                chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def _pieces(text: str, limit: int) -> Iterable[str]:
    for para in text.split("\n\n"):
        if _units(para) <= limit:
            yield para
            continue
        line_buf = ""
        for line in para.split("\n"):
            joined = f"{line_buf}\n{line}" if line_buf else line
            if _units(joined) <= limit:
                line_buf = joined
                continue
            if line_buf:
                yield line_buf
            while _units(line) > limit:  # a single huge line: cut it (rare; plain text only)
                yield line[: limit // 2]
                line = line[limit // 2:]
            line_buf = line
        if line_buf:
            yield line_buf


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def delivery_error(exc: TelegramError, text: str) -> DeliveryError:
    """What a failed send means for the outbox; `text` is the error with the token redacted."""
    if isinstance(exc, RetryAfter):
        seconds = _retry_seconds(exc)
        return DeliveryError(f"telegram: rate limited, retry after {seconds:g} s",
                             retry_after=seconds)
    if isinstance(exc, Forbidden):
        return DeliveryError(f"telegram: {text}", permanent=True)
    if isinstance(exc, BadRequest):
        lowered = text.lower()
        gone = any(s in lowered for s in ("chat not found", "chat_id is empty",
                                          "user is deactivated", "peer_id_invalid",
                                          "bot was kicked", "not enough rights to send"))
        return DeliveryError(f"telegram: {text}", permanent=gone)
    if isinstance(exc, InvalidToken):
        return DeliveryError("telegram: the bot token was rejected (check TELEGRAM_BOT_TOKEN)")
    if isinstance(exc, TimedOut):
        return DeliveryError(f"telegram: timed out: {text}")
    if isinstance(exc, NetworkError):
        return DeliveryError(f"telegram: network or server error: {text}")
    return DeliveryError(f"telegram: {text}")


def target_chat(target: str) -> int | str:
    target = target.strip()
    if not target:
        raise DeliveryError("telegram: no chat id in the destination", permanent=True)
    try:
        return int(target)
    except ValueError:
        return target  # @channelusername


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
