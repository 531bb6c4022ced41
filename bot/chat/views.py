"""Pictures, the matrix and digests in chat: `/chart`, `/matrix`, `/digest` in Telegram (the chart
as a photo) and `/shiftwatch chart|matrix|digest` in Slack (the chart uploaded to the channel);
and the scheduled digests (`send_due_digests`, for the scheduler's tick).

The services (bot/chat/telegram.py, bot/chat/slack.py) register these handlers; they are kept
here so that each service's own file changes by a few lines only.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from bot.errors import BotError, DeliveryError, UsageError

if TYPE_CHECKING:
    from bot.digest import Digest
    from bot.store import Store
    from bot.views import Subject

log = logging.getLogger(__name__)

# The chat services are handed in, never imported here: they import this module.
TelegramService: TypeAlias = Any
SlackService: TypeAlias = Any

REFUSAL = ("Sorry, shiftwatch is not enabled in this workspace or channel."
           " Ask the person who runs it to allow it here.")

SLACK_WORDS = ("chart", "matrix", "digest")
CHART_FILE = "shiftwatch-chart.png"
MAX_CAPTION = 1024  # Telegram's limit for a photo's caption


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------- shared


def _chart(store: Store, rules: Any, subject: Subject, topic: str | None
           ) -> tuple[bytes | None, str]:
    """The picture and its caption, or no picture and the sentence saying why."""
    from bot.views import load_timeline, nothing_to_draw

    timeline = load_timeline(store, rules, subject, topic)
    if timeline.empty:
        return None, nothing_to_draw(subject, topic, None)
    from bot.chart import timeline_png

    scope = f" on {topic}" if topic else ""
    return timeline_png(timeline), (f"{subject.display}{scope}: stance from "
                                    f"{timeline.start:%d %b %Y} to {timeline.end:%d %b %Y}")


def _matrix_table(store: Store, rules: Any, topic: str | None, today: Any) -> list[str]:
    from bot.matrix import matrix_compact
    from bot.views import load_matrix

    return matrix_compact(load_matrix(store, rules, topic, today))


def _digest_choice(words: list[str]) -> str | None:
    """"" (now), "daily", "weekly" or "off"; None for anything else."""
    word = " ".join(words).strip().lower()
    return word if word in ("", "daily", "weekly", "off") else None


DIGEST_USAGE = ("digest: daily or weekly for a digest here on schedule, off to stop it, "
                "nothing for one now")


def _digest_now(store: Store, platform: str, chat: str, now: datetime) -> Digest:
    from bot.digest import period_for
    from bot.store.digests import digest_subscriptions_of
    from bot.views import load_digest

    mine = [s for s in digest_subscriptions_of(store, platform) if s.chat_id == chat]
    start, end = period_for(mine[0].frequency if mine else None, now)
    return load_digest(store, start, end)


def _set_digest(store: Store, platform: str, chat: str, choice: str, now: datetime) -> str:
    from bot.store.digests import set_digest

    if choice == "off":
        return ("Digest stopped." if set_digest(store, platform, chat, None, now)
                else "This chat gets no digest.")
    set_digest(store, platform, chat, choice, now)
    period = "day" if choice == "daily" else "week"
    return f"This chat will get a {choice} digest: the {period}'s shifts, new actors and feeds failing."


# ---------------------------------------------------------------------- Telegram


def _subject_and_topic(rules: Any, text: str, resolve: Callable[[str], Any]) -> tuple[Any, str | None]:
    """`<actor or country words> [topic]`, read as the query layer reads every chat command."""
    from bot.queries import Queries

    def no_store() -> Any:
        raise AssertionError("splitting a command opens no database")

    return Queries(no_store, rules).subject_and_topic(text, resolve)


def telegram_handlers(service: TelegramService) -> list[tuple[str, Callable[..., Awaitable[None]]]]:
    """(command, handler) pairs for TelegramService.build_application."""

    async def chart(update: Any, context: Any) -> None:
        from telegram.constants import ParseMode

        from bot.views import resolve_subject

        args = list(context.args or [])
        if not args:
            await service._reply(update, "Usage: <code>/chart &lt;actor|country&gt; [topic]</code>, "
                                         "e.g. <code>/chart Macron</code> or "
                                         "<code>/chart GB troops-to-ukraine</code>.")
            return
        subject, topic = _subject_and_topic(service.rules, " ".join(args),
                                            lambda q: resolve_subject(q, service.rules))
        png, caption = await asyncio.to_thread(_chart, service.store, service.rules, subject, topic)
        if png is None:
            await service._reply(update, html.escape(caption))
            return
        await update.effective_message.reply_photo(
            photo=png, filename=CHART_FILE, caption=html.escape(caption[:MAX_CAPTION - 20]),
            parse_mode=ParseMode.HTML, do_quote=False)

    async def matrix(update: Any, context: Any) -> None:
        from bot.lookup import resolve_topic

        topic = resolve_topic(" ".join(context.args or []).strip() or None, service.rules)
        lines = await asyncio.to_thread(_matrix_table, service.store, service.rules, topic,
                                        service.clock().date())
        if not lines:
            await service._reply(update, "No positions recorded" + (
                f" on <i>{html.escape(topic)}</i>" if topic else "") + " yet.")
            return
        await service._reply(update, "<pre>" + html.escape("\n".join(lines)) + "</pre>")

    async def digest(update: Any, context: Any) -> None:
        choice = _digest_choice(list(context.args or []))
        chat = str(update.effective_chat.id)
        if choice is None:
            await service._reply(update, "Usage: <code>/digest [daily|weekly|off]</code>: "
                                         + html.escape(DIGEST_USAGE) + ".")
            return
        if choice == "":
            from bot.digest import digest_telegram_html

            found = await asyncio.to_thread(_digest_now, service.store, service.prefix, chat,
                                            service.clock())
            await service._reply(update, digest_telegram_html(found))
            return
        if not await service._admin_only(update, context):
            return
        answer = await asyncio.to_thread(_set_digest, service.store, service.prefix, chat, choice,
                                         service.clock())
        await service._reply(update, html.escape(answer))

    return [("chart", chart), ("matrix", matrix), ("digest", digest)]


async def telegram_send_digest(service: TelegramService, chat_id: str, digest: Digest) -> None:
    from telegram import LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.error import TelegramError

    from bot.chat.telegram_parts import target_chat
    from bot.digest import digest_telegram_html

    bot = await service._sender()
    try:
        await bot.send_message(target_chat(chat_id), digest_telegram_html(digest),
                               parse_mode=ParseMode.HTML,
                               link_preview_options=LinkPreviewOptions(is_disabled=True))
    except TelegramError as exc:
        raise service._delivery_error(exc) from None


# ---------------------------------------------------------------------- Slack


async def slack_view_command(service: SlackService, command: dict[str, Any],
                             respond: Callable[..., Awaitable[Any]]) -> bool:
    """Answer `/shiftwatch chart|matrix|digest ...`; False for any other subcommand."""
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    if word.lower() not in SLACK_WORDS:
        return False

    team, channel = command.get("team_id"), command.get("channel_id") or ""
    if not service.allowed(team, channel):
        await respond(text=REFUSAL, response_type="ephemeral")
        return True
    try:
        answer = await _slack_answer(service, word.lower(), rest.strip(), channel)
    except BotError as exc:
        from bot.render import slack_escape

        answer = slack_escape(str(exc))
    except Exception:
        log.exception("slack: /shiftwatch %s failed", word)
        answer = "Sorry, something went wrong. Please try again later."
    await respond(text=answer, response_type="ephemeral")
    return True


async def _slack_answer(service: SlackService, word: str, rest: str, channel: str) -> str:
    from bot.render import slack_escape

    if word == "chart":
        return await _slack_chart(service, rest, channel)
    if word == "matrix":
        from bot.lookup import resolve_topic

        topic = resolve_topic(rest or None, service.rules)
        lines = await asyncio.to_thread(_matrix_table, service.store, service.rules, topic,
                                        service.clock().date())
        if not lines:
            return "No positions recorded" + (f" on _{slack_escape(topic)}_" if topic else "") + " yet."
        return "```" + slack_escape("\n".join(lines)) + "```"
    choice = _digest_choice(rest.split())
    if choice is None:
        return "Usage: `/shiftwatch digest [daily|weekly|off]`: " + DIGEST_USAGE + "."
    if choice == "":
        from bot.digest import digest_slack

        return digest_slack(await asyncio.to_thread(_digest_now, service.store, service.prefix,
                                                    channel, service.clock()))
    return await asyncio.to_thread(_set_digest, service.store, service.prefix, channel, choice,
                                   service.clock())


async def _slack_chart(service: SlackService, rest: str, channel: str) -> str:
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.render import slack_escape
    from bot.views import resolve_subject

    if not rest:
        return "Usage: `/shiftwatch chart <actor|country> [topic]`, e.g. `chart macron`."
    subject, topic = _subject_and_topic(service.rules, rest,
                                        lambda q: resolve_subject(q, service.rules))
    png, caption = await asyncio.to_thread(_chart, service.store, service.rules, subject, topic)
    if png is None:
        return slack_escape(caption)
    try:
        await service.client.files_upload_v2(channel=channel, content=png, filename=CHART_FILE,
                                             title=caption[:250], alt_txt=caption[:1000],
                                             initial_comment=slack_escape(caption))
    except SlackApiError as exc:
        raise service._api_error(exc, "file upload") from None
    except (SlackClientError, OSError) as exc:
        raise BotError(service._redact(f"slack file upload: {type(exc).__name__}: {exc}")) from None
    return "Chart posted to this channel."


async def slack_send_digest(service: SlackService, channel: str, digest: Digest) -> None:
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.digest import digest_slack

    try:
        await service.client.chat_postMessage(channel=channel, text=digest_slack(digest)[:3900],
                                              unfurl_links=False, unfurl_media=False)
    except SlackApiError as exc:
        raise service._api_error(exc, f"chat.postMessage to {channel}") from None
    except (SlackClientError, OSError) as exc:
        raise DeliveryError(service._redact(f"slack digest to {channel}: {exc}")) from None


# ---------------------------------------------------------------------- scheduled digests


async def send_due_digests(store: Store, services: Iterable[Any], now: datetime | None = None
                           ) -> int:
    """Send every digest due at `now` through the chat service of its platform (services: the
    app's destinations; those that are not a chat service are passed over). A digest sent is
    marked so; one that failed is tried again at the next call, one whose chat is gone (a
    permanent delivery error) stops. How many were sent."""
    from bot.digest import due_digests
    from bot.store.digests import digest_subscriptions_of, mark_digest_sent, set_digest
    from bot.views import load_digest

    now = now or utcnow()
    senders: dict[str, Callable[[str, Digest], Awaitable[None]]] = {}
    for s in services:
        if getattr(s, "prefix", None) == "telegram":
            senders[s.prefix] = partial(telegram_send_digest, s)
        elif getattr(s, "prefix", None) == "slack":
            senders[s.prefix] = partial(slack_send_digest, s)
    subscriptions = await asyncio.to_thread(digest_subscriptions_of, store)
    sent = 0
    for due in due_digests(now, (s for s in subscriptions if s.platform in senders)):
        sub = due.subscription
        digest = await asyncio.to_thread(load_digest, store, due.start, due.end)
        try:
            await senders[sub.platform](sub.chat_id, digest)
        except (DeliveryError, UsageError) as exc:
            log.warning("digest to %s:%s failed: %s", sub.platform, sub.chat_id, exc)
            if isinstance(exc, DeliveryError) and exc.permanent:
                await asyncio.to_thread(set_digest, store, sub.platform, sub.chat_id, None, now)
            continue
        await asyncio.to_thread(mark_digest_sent, store, sub.platform, sub.chat_id, due.end)
        sent += 1
    return sent
