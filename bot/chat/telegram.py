"""The Telegram service: answers commands and delivers alerts queued for `telegram:<chat_id>`.

python-telegram-bot v22 (asyncio) runs in the same event loop as the scheduler. Long polling
by default; a webhook when TELEGRAM_WEBHOOK_URL is set (needs the PTB [webhooks] extra).

Settings (bot/settings.py reads them from the environment):
  TELEGRAM_ALLOWED_CHATS   comma-separated chat ids allowed to use the bot (empty: everyone)
  TELEGRAM_WEBHOOK_URL     public HTTPS URL of the webhook (unset: long polling)
  TELEGRAM_WEBHOOK_PORT    local port the webhook server listens on (default 8443)
  TELEGRAM_WEBHOOK_SECRET  secret token Telegram sends with every webhook request (optional)

The bot token never appears in a log line or an error message: every text that could carry
it (an exception from the HTTP layer, a URL) goes through `_redact`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, TelegramError
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes, MessageHandler
from telegram.ext import filters as ptb_filters
from telegram.request import HTTPXRequest

from bot.chat import utcnow
from bot.chat.telegram_parts import (
    COMMANDS,
    HELP,
    command_word,
    delivery_error,
    split_message,
    target_chat,
    unknown_command_answer,
)
from bot.chat.views import telegram_handlers
from bot.errors import BotError, DeliveryError, UsageError
from bot.queries import Queries
from bot.render import (
    AlertView,
    filters_telegram,
    history_telegram,
    positions_telegram,
    shift_telegram_html,
    shift_text,
    telegram_escape,
    topics_telegram,
)
from bot.rules import RuleSet
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

MAX_MESSAGE = 4096
HISTORY_ROWS = 10
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Telegram's user for "anonymous group admin" messages (sent on behalf of the group itself).
GROUP_ANONYMOUS_BOT = 1087968824

App = Application[Any, Any, Any, Any, Any, Any]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class TelegramService:
    """The `telegram` destination and the command bot, in one PTB Application."""

    prefix = "telegram"

    def __init__(self, settings: Settings, store: Store, rules: RuleSet, *,
                 clock: Callable[[], datetime] = utcnow,
                 min_interval: float = 1.0,
                 poll_timeout: float = 10.0):
        if not settings.telegram_token:
            raise BotError("TELEGRAM_BOT_TOKEN is not set")
        self.token = settings.telegram_token
        self.api_root = settings.telegram_api_url.rstrip("/")
        self.base_url = f"{self.api_root}/bot"
        self.store = store
        self.rules = rules
        self.queries = Queries(store, rules)
        self.clock = clock
        self.min_interval = min_interval  # seconds between two messages to one chat
        self.poll_timeout = poll_timeout
        self.allowed_chats = settings.telegram_allowed_chats
        self.admin_chats = settings.telegram_admin_chat_ids  # operational notices go here
        self.webhook_url = settings.telegram_webhook_url
        self.webhook_port = settings.telegram_webhook_port
        self.webhook_secret = settings.telegram_webhook_secret
        self._app: App | None = None
        self._bot: Bot | None = None  # for send() when the Application is not running
        self._bot_lock = asyncio.Lock()
        self._last_sent: dict[str, float] = {}
        self._chat_locks: dict[str, asyncio.Lock] = {}

    # ------------------------------------------------------------------ lifecycle

    def _request(self, read_timeout: float = 10.0) -> HTTPXRequest:
        return HTTPXRequest(connect_timeout=5.0, read_timeout=read_timeout, write_timeout=10.0,
                            pool_timeout=5.0, connection_pool_size=8)

    def build_application(self) -> App:
        app = (ApplicationBuilder().token(self.token).base_url(self.base_url)
               .request(self._request())
               .get_updates_request(self._request(read_timeout=self.poll_timeout + 10.0))
               .build())
        for name, handler in (
            ("start", self.cmd_help), ("help", self.cmd_help),
            ("positions", self.cmd_positions), ("history", self.cmd_history),
            ("subscribe", self.cmd_subscribe), ("unsubscribe", self.cmd_unsubscribe),
            ("subscriptions", self.cmd_subscriptions), ("topics", self.cmd_topics),
            *cast(list[tuple[str, Handler]], telegram_handlers(self)),
        ):
            app.add_handler(CommandHandler(name, self._guarded(handler)))
        # after the commands above: a handler group runs only the first handler that matches
        app.add_handler(MessageHandler(ptb_filters.COMMAND, self._unknown(self._guarded(
            self.cmd_unknown))))
        app.add_error_handler(self._on_error)
        return app

    async def start(self) -> None:
        if self._app is not None:
            return
        if self.webhook_url and importlib.util.find_spec("tornado") is None:
            raise BotError('TELEGRAM_WEBHOOK_URL is set but webhooks need the PTB extra: '
                           'pip install "python-telegram-bot[webhooks]" '
                           '(or unset TELEGRAM_WEBHOOK_URL to use long polling)')
        app = self.build_application()
        try:
            await app.initialize()
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
            assert app.updater is not None
            if self.webhook_url:
                await app.updater.start_webhook(
                    listen="0.0.0.0", port=self.webhook_port,
                    url_path=urlsplit(self.webhook_url).path.lstrip("/"),
                    webhook_url=self.webhook_url, secret_token=self.webhook_secret,
                    allowed_updates=[Update.MESSAGE])
            else:
                await app.updater.start_polling(
                    timeout=timedelta(seconds=self.poll_timeout),
                    allowed_updates=[Update.MESSAGE], error_callback=self._on_poll_error)
            await app.start()
        except TelegramError as exc:
            if app.updater is not None and app.updater.running:
                await _quietly(app.updater.stop())
            await _quietly(app.shutdown())
            await _quietly(app.bot.shutdown())  # initialize() failed: app.shutdown() skips it
            raise BotError(f"telegram: cannot start: {self._redact(exc)}") from None
        self._app = app
        log.info("telegram: started (%s) as @%s", "webhook" if self.webhook_url else "polling",
                 app.bot.username)

    async def stop(self) -> None:
        app, self._app = self._app, None
        if app is not None:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
            log.info("telegram: stopped")
        bot, self._bot = self._bot, None
        if bot is not None:
            await _quietly(bot.shutdown())

    # ------------------------------------------------------------------ delivery

    async def _sender(self) -> Bot:
        if self._app is not None:
            running: Bot = self._app.bot
            return running
        async with self._bot_lock:
            if self._bot is None:
                bot = Bot(self.token, base_url=self.base_url, request=self._request())
                try:
                    await bot.initialize()
                except TelegramError as exc:
                    await _quietly(bot.shutdown())
                    raise self._delivery_error(exc) from None
                self._bot = bot
            return self._bot

    async def send(self, target: str, alert: AlertView) -> None:
        """One alert to one chat; failures become DeliveryError for the outbox."""
        chat_id = target_chat(target)
        bot = await self._sender()
        lock = self._chat_locks.setdefault(target, asyncio.Lock())
        async with lock:
            wait = self._last_sent.get(target, -1e9) + self.min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                try:
                    await self._send_alert(bot, chat_id, alert)
                except ChatMigrated as exc:
                    # a group became a supergroup: its subscription follows it, and so
                    # does this alert (the outbox row stays under the old id, marked sent)
                    self._migrate_subscription(target, str(exc.new_chat_id))
                    await self._send_alert(bot, exc.new_chat_id, alert)
            except TelegramError as exc:
                raise self._delivery_error(exc) from None
            finally:
                self._last_sent[target] = time.monotonic()

    async def notice(self, text: str) -> None:
        """An operational notice (a feed broke or recovered) to TELEGRAM_ADMIN_CHAT_IDS, as plain
        text. Best effort: a chat that cannot be reached is logged, the others still get it."""
        for target in self.admin_chats:
            try:
                bot = await self._sender()
                await bot.send_message(target_chat(target), text[:MAX_MESSAGE],
                                       link_preview_options=NO_PREVIEW)
            except (TelegramError, DeliveryError, BotError) as exc:
                log.warning("telegram: notice to admin chat %s failed: %s", target, self._redact(exc))

    async def _send_alert(self, bot: Bot, chat_id: int | str, alert: AlertView) -> None:
        try:
            await bot.send_message(chat_id, shift_telegram_html(alert), parse_mode=ParseMode.HTML,
                                   link_preview_options=NO_PREVIEW)
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            # never lose an alert to a formatting bug: send it as plain text
            log.warning("telegram: HTML rejected, sending plain text: shift=%d error=%s",
                        alert.shift_id, self._redact(exc))
            await bot.send_message(chat_id, shift_text(alert)[:MAX_MESSAGE],
                                   link_preview_options=NO_PREVIEW)

    def _delivery_error(self, exc: TelegramError) -> DeliveryError:
        return delivery_error(exc, self._redact(exc))

    def _migrate_subscription(self, old: str, new: str) -> None:
        """A group became a supergroup: its subscription follows it."""
        for _platform, chat, filters in self.store.subscriptions(platform=self.prefix):
            if chat == old:
                self.store.subscribe(self.prefix, new, filters, self.clock())
                self.store.unsubscribe(self.prefix, old, note=f"migrated to {new}")
                log.info("telegram: subscription moved: chat=%s new_chat=%s", old, new)

    def _redact(self, value: object) -> str:
        text = str(value)
        if self.token:
            text = text.replace(self.token, "<token>")
        return text

    # ------------------------------------------------------------------ access

    def _guarded(self, handler: Handler) -> Handler:
        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            chat = update.effective_chat
            if chat is None or update.effective_message is None:
                return
            if self.allowed_chats and chat.id not in self.allowed_chats:
                log.info("telegram: refused chat=%s", chat.id)
                await self._reply(update, "Sorry, this bot is private: this chat is not allowed "
                                          "to use it. Ask the bot's operator to add it.")
                return
            try:
                await handler(update, context)
            except UsageError as exc:
                await self._reply(update, telegram_escape(str(exc)))
        return run

    def _unknown(self, handler: Handler) -> Handler:
        """`handler` for a command to this bot that no CommandHandler took; a command for
        another bot in the same group (/start@other_bot) is none of its business."""
        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.effective_message
            _, _, addressee = command_word(message.text if message else None).partition("@")
            if addressee and addressee.lower() != (context.bot.username or "").lower():
                return
            await handler(update, context)
        return run

    async def _is_admin(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        chat, user, message = update.effective_chat, update.effective_user, update.effective_message
        assert chat is not None
        if chat.type == ChatType.PRIVATE:
            return True
        if message is not None and message.sender_chat is not None:
            # an anonymous admin posts as the group itself; a channel post has no user
            return message.sender_chat.id == chat.id
        if user is None or user.id == GROUP_ANONYMOUS_BOT:
            return user is not None
        member = await context.bot.get_chat_member(chat.id, user.id)
        return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

    async def _admin_only(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        if await self._is_admin(update, context):
            return True
        await self._reply(update, "Only this group's administrators can change its alert "
                                  "subscription.")
        return False

    # ------------------------------------------------------------------ replies

    async def _reply(self, update: Update, text: str) -> None:
        message = update.effective_message
        assert message is not None
        for chunk in split_message(text):
            await message.reply_text(chunk, parse_mode=ParseMode.HTML,
                                     link_preview_options=NO_PREVIEW, do_quote=False)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: command failed: %s: %s", type(context.error).__name__,
                  self._redact(context.error),
                  exc_info=None if isinstance(context.error, TelegramError) else context.error)
        if isinstance(update, Update) and update.effective_message is not None:
            await _quietly(self._reply(update, "Sorry, something went wrong. Try again later."))

    def _on_poll_error(self, exc: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying: %s: %s", type(exc).__name__,
                    self._redact(exc))

    # ------------------------------------------------------------------ commands

    async def cmd_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, HELP)

    async def cmd_unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        typed = command_word(message.text if message else None).partition("@")[0]
        await self._reply(update, telegram_escape(unknown_command_answer(typed)))

    async def cmd_topics(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, topics_telegram(self.queries.topics()))

    async def cmd_positions(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        args = list(context.args or [])
        if not args:
            await self._reply(update, "Usage: <code>/positions &lt;country&gt; [topic]</code>\n"
                                      "For example <code>/positions FR</code> or "
                                      "<code>/positions Germany troops-to-ukraine</code>. "
                                      "/topics lists the topics.")
            return
        answer = await asyncio.to_thread(self.queries.positions_typed, " ".join(args))
        await self._reply(update, positions_telegram(answer))

    async def cmd_history(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        args = list(context.args or [])
        if not args:
            await self._reply(update, "Usage: <code>/history &lt;actor&gt; [topic]</code>\n"
                                      "For example <code>/history Macron</code> or "
                                      "<code>/history Keir Starmer troops-to-ukraine</code>.")
            return
        h = await asyncio.to_thread(self.queries.history_typed, " ".join(args), limit=HISTORY_ROWS)
        await self._reply(update, history_telegram(h))

    async def cmd_subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        filters = self.queries.filters(" ".join(context.args or []))
        if not await self._admin_only(update, context):
            return
        chat = update.effective_chat
        assert chat is not None
        await asyncio.to_thread(self.queries.subscribe, self.prefix, str(chat.id), filters,
                                self.clock())
        log.info("telegram: subscribed chat=%s filters=%s", chat.id, filters)
        what = ("every stance shift" if not filters else
                "shifts matching: " + filters_telegram(filters))
        await self._reply(update, f"Subscribed: this chat will get alerts for {what}.\n"
                                  "/unsubscribe stops them.")

    async def cmd_unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._admin_only(update, context):
            return
        chat = update.effective_chat
        assert chat is not None
        done = await asyncio.to_thread(self.queries.unsubscribe, self.prefix, str(chat.id),
                                       "unsubscribed by the chat")
        if done:
            log.info("telegram: unsubscribed chat=%s", chat.id)
        await self._reply(update, "Unsubscribed: no more alerts here." if done
                          else "This chat has no subscription. /subscribe starts one.")

    async def cmd_subscriptions(self, update: Update,
                                context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        assert chat is not None
        filters = await asyncio.to_thread(self.queries.subscription, self.prefix, str(chat.id))
        if filters is None:
            await self._reply(update, "This chat has no subscription. /subscribe starts one.")
            return
        await self._reply(update, f"This chat gets alerts for: {filters_telegram(filters)}.")



async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception as exc:  # cleanup must not hide the real error
        log.debug("telegram: cleanup failed: %s", type(exc).__name__)
