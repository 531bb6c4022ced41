"""The Telegram service with the real python-telegram-bot against the Bot API emulator."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.telegram import COMMANDS, TelegramService, split_message
from bot.errors import BotError, DeliveryError
from bot.models import Item
from bot.pipeline import Pipeline
from bot.render import AlertView
from bot.rules import RuleSet
from bot.settings import Settings
from bot.store import Store
from tests.chat.conftest import with_env
from tests.emulators.telegram_api import DEFAULT_TOKEN, TelegramBotAPI

ROOT = Path(__file__).resolve().parents[2]
CHAT = 4711
OTHER = 4712
GROUP = -1001234567890
FEED = "https://news.example.org/feed.xml"

OPEN = ('French President Emmanuel Macron said that sending Western troops to Ukraine '
        '"cannot be ruled out".')
CONDITIONAL = ("Macron said France would be ready to send troops to Ukraine if Russia broke "
               "through the front line.")
NASTY = ("Macron said <b>France</b> & its allies would be ready to send troops to Ukraine "
         "if Russia broke through the front line.")


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's timedelta periods: otherwise RetryAfter.retry_after warns (v22.2+)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    for name in ("TELEGRAM_ALLOWED_CHATS", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_PORT",
                 "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api() -> Iterator[TelegramBotAPI]:
    with TelegramBotAPI(long_poll_cap=0.3) as emulator:
        yield emulator


@pytest.fixture
def settings(api: TelegramBotAPI) -> Settings:
    return Settings(telegram_token=DEFAULT_TOKEN, telegram_api_url=api.api_root)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 4, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make_service(settings: Settings, store: Store, rules: RuleSet, **env: str
                 ) -> TelegramService:
    return TelegramService(with_env(settings, **env), store, rules, poll_timeout=0.2)


@pytest.fixture
async def running(api: TelegramBotAPI, settings: Settings, store: Store, rules: RuleSet
                  ) -> AsyncIterator[TelegramService]:
    service = make_service(settings, store, rules)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def item(guid: str, text: str, day: datetime) -> Item:
    return Item(feed_url=FEED, guid=guid, url=f"https://news.example.org/{guid}?a=1&b=2",
                title="Europe and Ukraine", text=text, published=day)


def feed(pipeline: Pipeline, *texts: str) -> list[int]:
    shift_ids: list[int] = []
    day = datetime(2024, 2, 27, 9, tzinfo=UTC)
    for n, text in enumerate(texts):
        shift_ids += pipeline.process(item(f"item-{n}", text, day + timedelta(days=20 * n))
                                      ).shift_ids
    return shift_ids


async def ask(api: TelegramBotAPI, chat_id: int, text: str, **kw: object) -> str:
    before = len(api.sent_messages(chat_id))
    api.send_user_message(chat_id, text, **kw)  # type: ignore[arg-type]
    sent = await api.wait_for_messages(before + 1, chat_id=chat_id)
    return sent[before].plain_text


# ---------------------------------------------------------------------- commands


async def test_positions_for_a_country(api: TelegramBotAPI, running: TelegramService,
                                       store: Store, rules: RuleSet) -> None:
    feed(Pipeline(rules, store, platforms=("telegram",)), OPEN, CONDITIONAL)
    answer = await ask(api, CHAT, "/positions FR")
    assert "Positions of France (FR)" in answer
    assert "Emmanuel Macron on troops-to-ukraine: conditional since 2024-03-18" in answer
    assert "if Russia broke through the front line" in answer
    [sent] = api.sent_messages(CHAT)
    assert sent.parse_mode == "HTML"
    assert sent.link_preview_disabled
    # the href is HTML-escaped, as Telegram expects (it decodes entities in attributes)
    assert '<a href="https://news.example.org/item-1?a=1&amp;b=2">source</a>' in sent.text
    assert [e["type"] for e in sent.entities].count("text_link") == 1
    by_topic = await ask(api, CHAT, "/positions France troops-to-ukraine")
    assert "conditional" in by_topic
    nothing = await ask(api, CHAT, "/positions DE")
    assert nothing == "No positions recorded for Germany (DE) yet."


async def test_positions_suggests_and_explains(api: TelegramBotAPI,
                                               running: TelegramService) -> None:
    assert "Did you mean France (FR)?" in await ask(api, CHAT, "/positions Frnace")
    assert "Did you mean troops-to-ukraine?" in await ask(api, CHAT, "/positions FR troops-ukr")
    assert "Did you mean United Kingdom" in await ask(api, CHAT, "/positions United Kingdm")
    assert "No positions recorded for United Kingdom" in await ask(
        api, CHAT, "/positions United Kingdom troops-to-ukraine")
    usage = await ask(api, CHAT, "/positions")
    assert usage.startswith("Usage: /positions <country> [topic]")


async def test_help_topics_history_and_commands(api: TelegramBotAPI, running: TelegramService,
                                                store: Store, rules: RuleSet) -> None:
    assert [c["command"] for c in api.commands()] == [c for c, _ in COMMANDS]
    assert "/positions <country> [topic]" in await ask(api, CHAT, "/start")
    assert "troops-to-ukraine" in await ask(api, CHAT, "/topics")
    feed(Pipeline(rules, store, platforms=("telegram",)), OPEN, CONDITIONAL)
    history = await ask(api, CHAT, "/history Macron")
    assert "Emmanuel Macron: latest 2 statements" in history
    assert history.index("2024-03-18") < history.index("2024-02-27")
    assert "Did you mean" in await ask(api, CHAT, "/history Macorn")


async def test_an_unknown_command_gets_one_line_listing_the_known_ones(
        api: TelegramBotAPI, running: TelegramService) -> None:
    answer = await ask(api, CHAT, "/postions FR")
    assert answer == ("Unknown command /postions. Did you mean /positions? Commands: /start "
                      "/help /positions /history /subscribe /unsubscribe /subscriptions /topics "
                      "/chart /matrix /digest")
    assert "Did you mean" not in await ask(api, CHAT, "/frobnicate <b>")
    # a known command is answered by its own handler alone
    before = len(api.sent_messages(CHAT))
    assert "Commands" in await ask(api, CHAT, "/help")
    await asyncio.sleep(0.3)
    assert len(api.sent_messages(CHAT)) == before + 1


async def test_a_command_for_another_bot_in_a_group_gets_no_answer(
        api: TelegramBotAPI, running: TelegramService) -> None:
    api.send_user_message(GROUP, "/other@some_other_bot", user_id=7, chat_type="supergroup")
    # updates are handled in order: an answer to the first would come first
    mine = await ask(api, GROUP, f"/frobnicate@{api.bot_username}", user_id=7,
                     chat_type="supergroup")
    assert mine.startswith("Unknown command /frobnicate. Commands: /start")
    await asyncio.sleep(0.3)
    assert len(api.sent_messages(GROUP)) == 1


async def test_subscribe_lifecycle(api: TelegramBotAPI, running: TelegramService,
                                   store: Store) -> None:
    answer = await ask(api, CHAT, "/subscribe troops-to-ukraine France, Starmer")
    assert "Subscribed" in answer
    assert store.subscriptions(platform="telegram") == [
        ("telegram", str(CHAT), ["FR", "keir-starmer", "troops-to-ukraine"])]
    assert "troops-to-ukraine" in await ask(api, CHAT, "/subscriptions")
    assert "Did you mean" in await ask(api, CHAT, "/subscribe Frnace")
    assert store.subscriptions(platform="telegram")[0][2] == [
        "FR", "keir-starmer", "troops-to-ukraine"]
    assert "Unsubscribed" in await ask(api, CHAT, "/unsubscribe")
    assert store.subscriptions(platform="telegram") == []
    assert "no subscription" in await ask(api, CHAT, "/subscriptions")


async def test_subscribe_takes_multi_word_names_without_commas_as_slack_does(
        api: TelegramBotAPI, running: TelegramService, store: Store) -> None:
    assert "Subscribed" in await ask(api, CHAT, "/subscribe france emmanuel macron flop")
    assert store.subscriptions(platform="telegram") == [
        ("telegram", str(CHAT), ["FR", "emmanuel-macron", "flop"])]


async def test_group_non_admin_cannot_subscribe(api: TelegramBotAPI, running: TelegramService,
                                                store: Store) -> None:
    api.set_admins(GROUP, [7], owner_id=8)
    refused = await ask(api, GROUP, "/subscribe", user_id=4242, chat_type="supergroup")
    assert "Only this group's administrators" in refused
    assert store.subscriptions(platform="telegram") == []
    assert "Subscribed" in await ask(api, GROUP, "/subscribe", user_id=7,
                                     chat_type="supergroup")
    refused = await ask(api, GROUP, "/unsubscribe", user_id=4242, chat_type="supergroup")
    assert "Only this group's administrators" in refused
    assert store.subscriptions(platform="telegram") == [("telegram", str(GROUP), [])]
    # anyone may read
    assert "every stance shift" in await ask(api, GROUP, "/subscriptions", user_id=4242,
                                             chat_type="supergroup")


async def test_unauthorised_chat_changes_nothing(api: TelegramBotAPI, settings: Settings,
                                                 store: Store, rules: RuleSet,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    service = TelegramService(with_env(settings, TELEGRAM_ALLOWED_CHATS=f"{OTHER}, 99"), store,
                              rules, poll_timeout=0.2)
    await service.start()
    try:
        refused = await ask(api, CHAT, "/subscribe")
        assert "not allowed" in refused
        assert store.subscriptions(platform="telegram") == []
        assert "Subscribed" in await ask(api, OTHER, "/subscribe")
    finally:
        await service.stop()
    assert store.subscriptions(platform="telegram") == [("telegram", str(OTHER), [])]


# ---------------------------------------------------------------------- alerts


def subscribed_app(store: Store, rules: RuleSet, service: TelegramService, clock: Clock,
                   *chats: int) -> App:
    for chat in chats:
        store.subscribe("telegram", str(chat), [], clock())
    pipeline = Pipeline(rules, store, platforms=("telegram",), clock=clock)
    return App(pipeline, [], [service])


async def test_shift_reaches_each_chat_once_despite_429_and_restart(
        api: TelegramBotAPI, settings: Settings, store: Store, rules: RuleSet) -> None:
    clock = Clock()
    service = make_service(settings, store, rules)
    app = subscribed_app(store, rules, service, clock, CHAT, OTHER)
    assert len(feed(app.pipeline, OPEN, CONDITIONAL)) == 1
    api.fail_next("sendMessage", status=429, retry_after=7)
    assert await app.deliver_once() == 1  # the first chat was rate limited
    assert store.outbox_counts() == {"pending": 1, "sent": 1}
    await service.stop()

    # restart: a new service and app over the same store; the retry is due 30 s later
    clock.now += timedelta(seconds=31)
    service = make_service(settings, store, rules)
    app = App(Pipeline(rules, store, platforms=("telegram",), clock=clock), [], [service])
    assert await app.deliver_once() == 1
    assert await app.deliver_once() == 0
    await service.stop()

    assert store.outbox_counts() == {"sent": 2}
    for chat in (CHAT, OTHER):
        [sent] = api.sent_messages(chat)
        assert sent.plain_text.startswith("Emmanuel Macron (FR) on troops-to-ukraine\n"
                                          "open → conditional (half flip)")
        assert sent.link_preview_disabled
    assert len(api.requests("sendMessage")) == 3


async def test_retry_after_and_errors_map_to_delivery_errors(
        api: TelegramBotAPI, settings: Settings, store: Store, rules: RuleSet) -> None:
    clock = Clock()
    service = make_service(settings, store, rules)
    service.min_interval = 0.0
    app = subscribed_app(store, rules, service, clock, CHAT)
    [shift_id] = feed(app.pipeline, OPEN, CONDITIONAL)
    alert = AlertView.from_record(store.shift_record(shift_id))
    try:
        api.fail_next("sendMessage", status=429, retry_after=7)
        with pytest.raises(DeliveryError) as caught:
            await service.send(str(CHAT), alert)
        assert caught.value.retry_after == 7 and not caught.value.permanent
        api.fail_next("sendMessage", status=502)
        with pytest.raises(DeliveryError) as caught:
            await service.send(str(CHAT), alert)
        assert not caught.value.permanent and caught.value.retry_after is None
        api.fail_next("sendMessage", status=400)
        with pytest.raises(DeliveryError) as caught:
            await service.send(str(CHAT), alert)
        assert caught.value.permanent
        assert DEFAULT_TOKEN not in str(caught.value)
    finally:
        await service.stop()


async def test_feed_text_is_escaped(api: TelegramBotAPI, settings: Settings, store: Store,
                                    rules: RuleSet) -> None:
    clock = Clock()
    service = make_service(settings, store, rules)
    app = subscribed_app(store, rules, service, clock, CHAT)
    feed(app.pipeline, OPEN, NASTY)
    assert await app.deliver_once() == 1
    await service.stop()
    [sent] = api.sent_messages(CHAT)
    assert "&lt;b&gt;France&lt;/b&gt; &amp; its allies" in sent.text
    assert "<b>France</b> & its allies" in sent.plain_text
    bold = [sent.plain_text[e["offset"]:e["offset"] + e["length"]]
            for e in sent.entities if e["type"] == "bold"]
    assert "France" not in bold


async def test_blocked_chat_deactivates_subscription(api: TelegramBotAPI, settings: Settings,
                                                     store: Store, rules: RuleSet) -> None:
    clock = Clock()
    service = make_service(settings, store, rules)
    app = subscribed_app(store, rules, service, clock, CHAT, OTHER)
    api.block_chat(CHAT)
    feed(app.pipeline, OPEN, CONDITIONAL)
    assert await app.deliver_once() == 1
    await service.stop()
    assert store.outbox_counts() == {"dead": 1, "sent": 1}
    assert store.subscriptions(platform="telegram") == [("telegram", str(OTHER), [])]
    assert api.sent_messages(CHAT) == []


async def test_alerts_go_through_the_running_application(
        api: TelegramBotAPI, running: TelegramService, store: Store, rules: RuleSet) -> None:
    clock = Clock()
    app = subscribed_app(store, rules, running, clock, CHAT)
    feed(app.pipeline, OPEN, CONDITIONAL)
    assert await app.deliver_once() == 1
    assert len(api.sent_messages(CHAT)) == 1
    assert api.requests("getMe") and len(api.requests("getMe")) == 1  # no second Bot


# ---------------------------------------------------------------------- the rest


async def test_token_stays_out_of_logs(api: TelegramBotAPI, settings: Settings, store: Store,
                                       rules: RuleSet, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="httpx")  # as the CLI does
    clock = Clock()
    service = make_service(settings, store, rules)
    app = subscribed_app(store, rules, service, clock, CHAT)
    feed(app.pipeline, OPEN, CONDITIONAL)
    api.fail_next("sendMessage", status=500)
    await service.start()
    try:
        assert await app.deliver_once() == 0
        await ask(api, CHAT, "/positions FR")
    finally:
        await service.stop()
    row = store.due(clock.now + timedelta(days=1))
    assert row
    assert "delivery failed" in caplog.text
    assert DEFAULT_TOKEN not in caplog.text
    assert DEFAULT_TOKEN.split(":")[1] not in caplog.text


async def test_webhook_needs_the_extra(settings: Settings, store: Store,
                                       rules: RuleSet) -> None:
    service = TelegramService(with_env(settings, TELEGRAM_WEBHOOK_URL="https://bot.example.org/tg"),
                              store, rules)
    assert service.webhook_port == 8443
    with pytest.raises(BotError, match=r'pip install "python-telegram-bot\[webhooks\]"'):
        await service.start()


def test_configuration_errors(settings: Settings, store: Store, rules: RuleSet) -> None:
    with pytest.raises(BotError, match="TELEGRAM_BOT_TOKEN"):
        TelegramService(Settings(), store, rules)
    with pytest.raises(BotError, match="TELEGRAM_ALLOWED_CHATS"):
        with_env(settings, TELEGRAM_ALLOWED_CHATS="me")
    service = TelegramService(with_env(settings, TELEGRAM_ALLOWED_CHATS="1,-2"), store, rules)
    assert service.allowed_chats == {1, -2}
    assert service.base_url == settings.telegram_api_url + "/bot"


def test_split_message_stays_under_the_limit() -> None:
    blocks = [f"<b>Actor {n}</b>\n<blockquote>{'x' * 700}</blockquote>" for n in range(20)]
    chunks = split_message("\n\n".join(blocks))
    assert len(chunks) > 1
    assert all(len(c) <= 4000 for c in chunks)
    assert "\n\n".join(chunks) == "\n\n".join(blocks)
    assert all(c.count("<blockquote>") == c.count("</blockquote>") for c in chunks)


async def test_html_rejected_falls_back_to_plain_text_and_pacing(
        api: TelegramBotAPI, settings: Settings, store: Store, rules: RuleSet) -> None:
    clock = Clock()
    service = TelegramService(settings, store, rules, min_interval=0.3)
    app = subscribed_app(store, rules, service, clock, CHAT)
    [shift_id] = feed(app.pipeline, OPEN, CONDITIONAL)
    alert = AlertView.from_record(store.shift_record(shift_id))
    api.fail_next("sendMessage", status=400,
                  description="Bad Request: can't parse entities: Unsupported start tag")
    try:
        started = time.monotonic()
        await service.send(str(CHAT), alert)
        await service.send(str(CHAT), alert)
        elapsed = time.monotonic() - started
    finally:
        await service.stop()
    first, second = api.sent_messages(CHAT)
    assert first.parse_mode is None and first.text.startswith("SHIFT Emmanuel Macron (FR)")
    assert second.parse_mode == "HTML"
    assert elapsed >= 0.3  # one chat: no faster than min_interval


async def test_rejected_token_fails_start_without_showing_it(
        api: TelegramBotAPI, store: Store, rules: RuleSet) -> None:
    bad = "987654321:AAH-not-the-right-token-000000000000"
    service = TelegramService(Settings(telegram_token=bad, telegram_api_url=api.api_root),
                              store, rules)
    with pytest.raises(BotError, match="cannot start") as caught:
        await service.start()
    assert bad not in str(caught.value) and bad.split(":")[1] not in str(caught.value)
    with pytest.raises(DeliveryError, match="token was rejected") as failed:
        await service.send(str(CHAT), None)  # type: ignore[arg-type]
    assert not failed.value.permanent
    await service.stop()
