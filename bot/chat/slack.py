"""The Slack service: slash commands through a slack-bolt asyncio app, alerts via chat.postMessage.

HTTP mode (default) serves `/slack/events` from an aiohttp server started inside the running
event loop; bolt verifies every request with SLACK_SIGNING_SECRET (a bad or stale signature
gets 401 and nothing runs). With SLACK_APP_TOKEN set, Socket Mode is used instead.

Commands: `/positions <country> [topic]` and
`/shiftwatch subscribe [filters] | unsubscribe | list | history <actor> [topic] | topics | help`.
Every command is acknowledged at once; the answer goes to the command's response URL.
All text from feeds and rules is escaped for mrkdwn (`slack_escape`).

Settings (bot/settings.py reads them from the environment): SLACK_SIGNING_SECRET, SLACK_APP_TOKEN,
SLACK_HOST (default 0.0.0.0), SLACK_PORT (default 3000; 0 picks a free port),
SLACK_ALLOWED_TEAMS and SLACK_ALLOWED_CHANNELS (comma-separated; empty means no limit).
The bot token comes from settings.slack_token and never appears in logs or error messages.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import utcnow
from bot.chat.views import REFUSAL, slack_view_command
from bot.errors import BotError, DeliveryError
from bot.queries import Queries
from bot.render import (
    AlertView,
    filters_slack,
    history_slack,
    positions_slack,
    shift_slack,
    slack_escape,
    topics_slack,
)
from bot.rules import RuleSet
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
#: Slack's answers to chat.postMessage that mean the channel will never take our posts.
PERMANENT_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
MAX_ANSWER_CHARS = 12_000  # well under Slack's 40k limit, and still readable
HISTORY_LIMIT = 10

Respond = Callable[..., Awaitable[Any]]

USAGE = (
    "*shiftwatch* follows what leaders say on tracked topics and tells you when a stance shifts.\n"
    "• `/positions <country> [topic]`: where a country's leaders stand now\n"
    "• `/shiftwatch subscribe [filters]`: post shifts in this channel; filters are topics,"
    " countries, actors, `flop` (shifts of two steps or more on the stance scale), `half-flip`"
    " (one step) or `magnitude>=N`, e.g. `subscribe france flop`\n"
    "• `/shiftwatch unsubscribe`: stop posting here\n"
    "• `/shiftwatch list`: this channel's subscription\n"
    "• `/shiftwatch history <actor> [topic]`: an actor's recent statements\n"
    "• `/shiftwatch topics`: the tracked topics\n"
    "• `/shiftwatch help`: this text"
)
POSITIONS_USAGE = ("Usage: `/positions <country> [topic]`, e.g. `/positions france` or"
                   " `/positions FR troops-to-ukraine`. `/shiftwatch topics` lists the topics.")
SUBCOMMANDS = ("subscribe", "unsubscribe", "list", "history", "topics", "help")


class SlackService:
    """Answers slash commands and delivers `slack:<channel_id>` alerts."""

    prefix = "slack"
    min_interval = 1.0  # seconds between two posts to one channel (Slack allows about 1/s)

    def __init__(self, settings: Settings, store: Store, rules: RuleSet, *,
                 clock: Callable[[], datetime] = utcnow):
        if not settings.slack_token:
            raise BotError("SLACK_BOT_TOKEN is not set")
        self.settings = settings
        self.store = store
        self.rules = rules
        self.queries = Queries(store, rules)
        self.clock = clock
        self.signing_secret = settings.slack_signing_secret
        self.app_token = settings.slack_app_token
        self.host = settings.slack_host
        self.port = settings.slack_port
        self.allowed_teams = settings.slack_allowed_teams
        self.allowed_channels = settings.slack_allowed_channels
        self._token = settings.slack_token
        self._client: AsyncWebClient | None = None
        self._bolt: Any = None  # slack_bolt.async_app.AsyncApp, built in start()
        self._runner: web.AppRunner | None = None
        self._socket: Any = None  # AsyncSocketModeHandler
        self._own_team: str | None = None
        self._last_sent: dict[str, float] = {}
        self._blocked_until: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    # ------------------------------------------------------------------ lifecycle

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client, made on first use (send() may run without start())."""
        if self._client is None:
            self._client = AsyncWebClient(token=self._token, base_url=self.settings.slack_api_url,
                                          timeout=15)
        return self._client

    def build_app(self) -> Any:
        """The bolt app with this service's commands (made once)."""
        if self._bolt is None:
            from slack_bolt.async_app import AsyncApp

            app = AsyncApp(client=self.client, signing_secret=self.signing_secret,
                           name="shiftwatch", logger=logging.getLogger("bot.chat.slack.bolt"))
            app.command("/positions")(self._on_positions)
            app.command("/shiftwatch")(self._on_shiftwatch)
            self._bolt = app
        return self._bolt

    def build_socket_handler(self) -> Any:
        """The Socket Mode handler (needs a running loop: its client opens a session)."""
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        return AsyncSocketModeHandler(self.build_app(), self.app_token)

    async def start(self) -> None:
        app = self.build_app()
        if self.socket_mode:
            self._socket = self.build_socket_handler()
            await self._socket.connect_async()
            log.info("slack: connected in Socket Mode")
            return
        if not self.signing_secret:
            raise BotError("SLACK_SIGNING_SECRET is not set: it is needed to verify Slack's"
                           " requests in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)")
        web_app = web.Application()

        async def events(request: web.Request) -> web.Response:
            from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

            return await to_aiohttp_response(await app.async_dispatch(
                await to_bolt_request(request)))

        web_app.router.add_post(EVENTS_PATH, events)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise BotError(f"slack: cannot listen on {self.host}:{self.port}: {exc}") from None
        self._runner = runner
        self.port = runner.addresses[0][1]  # the real port when SLACK_PORT=0
        log.info("slack: listening on http://%s:%d%s", self.host, self.port, EVENTS_PATH)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close_async()

    # ------------------------------------------------------------------ access

    def allowed(self, team_id: str | None, channel_id: str | None) -> bool:
        if self.allowed_teams and team_id not in self.allowed_teams:
            return False
        return not (self.allowed_channels and channel_id not in self.allowed_channels)

    # ------------------------------------------------------------------ commands

    async def _on_positions(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                            respond: Respond) -> None:
        await ack()
        await self._answer(command, respond, self.positions_answer)

    async def _on_shiftwatch(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                             respond: Respond) -> None:
        await ack()
        if await slack_view_command(self, command, respond):  # chart, matrix, digest
            return
        await self._answer(command, respond, self.shiftwatch_answer)

    async def _answer(self, command: dict[str, Any], respond: Respond,
                      answer: Callable[[str, str], str]) -> None:
        team, channel = command.get("team_id"), command.get("channel_id")
        if not self.allowed(team, channel):
            log.info("slack: refused %s from team=%s channel=%s", command.get("command"), team,
                     channel)
            await respond(text=REFUSAL, response_type="ephemeral")
            return
        try:
            text = answer((command.get("text") or "").strip(), channel or "")
        except BotError as exc:
            text = slack_escape(str(exc))
        except Exception:
            log.exception("slack: command failed: %s", command.get("command"))
            text = "Sorry, something went wrong. Please try again later."
        await respond(text=_cap(text), response_type="ephemeral")

    def positions_answer(self, text: str, channel: str = "") -> str:
        if not text or text.lower() in {"help", "-h", "--help"}:
            return POSITIONS_USAGE
        return positions_slack(self.queries.positions_typed(text))

    def shiftwatch_answer(self, text: str, channel: str) -> str:
        word, _, rest = text.partition(" ")
        word, rest = word.lower(), rest.strip()
        if word in {"", "help", "-h", "--help"}:
            return USAGE
        if word == "subscribe":
            filters = self.queries.filters(rest)
            self.queries.subscribe(self.prefix, channel, filters, self.clock())
            what = f"matching {filters_slack(filters, '')}" if filters else "all"
            return f"Subscribed: this channel will get {what} stance shifts."
        if word == "unsubscribe":
            if self.queries.unsubscribe(self.prefix, channel, "unsubscribed in Slack"):
                return "Unsubscribed: no more alerts in this channel."
            return "This channel was not subscribed."
        if word == "list":
            current = self.queries.subscription(self.prefix, channel)
            if current is not None:
                return f"This channel is subscribed to: {filters_slack(current, 'everything')}."
            return "This channel is not subscribed. Try `/shiftwatch subscribe`."
        if word == "topics":
            return topics_slack(self.queries.topics())
        if word == "history":
            if not rest:
                return "Usage: `/shiftwatch history <actor> [topic]`, e.g. `history macron`."
            return history_slack(self.queries.history_typed(rest, limit=HISTORY_LIMIT))
        close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        return f"Unknown command `{slack_escape(word)}`.{hint}\n\n{USAGE}"

    # ------------------------------------------------------------------ alerts

    async def send(self, target: str, alert: AlertView) -> None:
        if self.allowed_channels and target not in self.allowed_channels:
            raise DeliveryError(f"slack channel {target} is not in SLACK_ALLOWED_CHANNELS",
                                permanent=True)
        if self.allowed_teams:
            await self._check_team()
        text, blocks = shift_slack(alert)
        lock = self._locks.setdefault(target, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            blocked = self._blocked_until.get(target, 0.0) - now
            if blocked > 0:
                raise DeliveryError(f"slack channel {target}: rate limited", retry_after=blocked)
            wait = self._last_sent.get(target, -1e9) + self.min_interval - now
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                await self.client.chat_postMessage(channel=target, text=text, blocks=blocks,
                                                   unfurl_links=False, unfurl_media=False)
            except SlackApiError as exc:
                error = self._api_error(exc, f"chat.postMessage to {target}")
                if error.retry_after:
                    self._blocked_until[target] = time.monotonic() + error.retry_after
                raise error from None
            except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise DeliveryError(self._redact(
                    f"slack chat.postMessage to {target}: {type(exc).__name__}: {exc}")) from None
            finally:
                self._last_sent[target] = time.monotonic()

    async def notice(self, text: str) -> None:
        """An operational notice (a feed broke or recovered) to SLACK_ADMIN_CHANNEL. Best effort:
        a failure is logged, never raised."""
        channel = self.settings.slack_admin_channel
        if not channel:
            return
        try:
            await self.client.chat_postMessage(channel=channel, text=slack_escape(text)[:3000],
                                               unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            log.warning("slack: notice to %s failed: %s", channel,
                        self._api_error(exc, "chat.postMessage"))
        except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("slack: notice to %s failed: %s", channel,
                        self._redact(f"{type(exc).__name__}: {exc}"))

    async def _check_team(self) -> None:
        """Posting is limited to the allowed workspaces too: ask once which one the token is in."""
        if self._own_team is None:
            try:
                answer = await self.client.auth_test()
            except SlackApiError as exc:
                raise self._api_error(exc, "auth.test") from None
            except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise DeliveryError(self._redact(
                    f"slack auth.test: {type(exc).__name__}: {exc}")) from None
            self._own_team = str(answer.get("team_id") or "")
        if self._own_team not in self.allowed_teams:
            raise DeliveryError(f"slack workspace {self._own_team} is not in SLACK_ALLOWED_TEAMS")

    def _api_error(self, exc: SlackApiError, what: str) -> DeliveryError:
        response = exc.response
        data = getattr(response, "data", None)
        error = str(data.get("error") or "") if isinstance(data, dict) else ""
        status = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
        message = self._redact(f"slack {what}: {error or 'unexpected answer'} (HTTP {status})")
        if error == "ratelimited" or status == 429:
            return DeliveryError(message, retry_after=_retry_after(response))
        if error in PERMANENT_ERRORS:
            return DeliveryError(message, permanent=True)
        return DeliveryError(message)  # 5xx, fatal_error, token trouble...: try again later

    def _redact(self, text: str) -> str:
        for secret in (self._token, self.app_token, self.signing_secret):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


# ---------------------------------------------------------------------- helpers


def _retry_after(response: Any) -> float:
    headers = getattr(response, "headers", None) or {}
    value = None
    try:
        for key in ("Retry-After", "retry-after"):
            value = headers.get(key)
            if value is not None:
                break
        if value is None:
            value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    except AttributeError:
        value = None
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(1.0, float(value)) if value is not None else 30.0
    except (TypeError, ValueError):
        return 30.0


def _cap(text: str) -> str:
    if len(text) <= MAX_ANSWER_CHARS:
        return text
    cut = text.rfind("\n• ", 0, MAX_ANSWER_CHARS - 40)
    return text[:cut if cut > 0 else MAX_ANSWER_CHARS - 40] + "\n…(more not shown)"
