"""/chart, /matrix and /digest through the real clients against the emulators: Telegram's
sendPhoto (python-telegram-bot), Slack's file upload (slack_sdk's files_upload_v2, via a signed
slash command to the running Bolt app), and the scheduled digests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.chat.slack import SlackService
from bot.chat.telegram import TelegramService
from bot.chat.views import send_due_digests
from bot.rules import RuleSet
from bot.settings import Settings
from bot.store import Store
from bot.store.digests import digest_subscriptions_of, set_digest
from tests.chat.test_slack import command
from tests.chat.test_slack import make_service as make_slack
from tests.chat.test_telegram import ask
from tests.emulators.slack_api import SlackWebAPI
from tests.emulators.telegram_api import DEFAULT_TOKEN, TelegramBotAPI
from tests.viewrows import add_feed, add_position, add_shift, add_statement

T = "troops-to-ukraine"
CHAT = 4711
GROUP = -1001234567890
ALERTS = "C0ALERTS01"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOW = datetime(2025, 3, 12, 8, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def _no_chat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    for name in ("TELEGRAM_ALLOWED_CHATS", "TELEGRAM_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def said(store: Store) -> Store:
    add_statement(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "open", date(2024, 2, 26),
                  "Macron said nothing should be ruled out.")
    add_statement(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "conditional",
                  date(2025, 3, 11), "Macron said France would go if there were a ceasefire.")
    add_shift(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "open", "conditional",
              date(2025, 3, 11), date(2024, 2, 26), "Macron said France would go if there were a ceasefire.")
    add_position(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "conditional", date(2025, 3, 11))
    add_feed(store, "https://broken.example/rss", "Broken News", failures=4, error="HTTP 503")
    return store


# ---------------------------------------------------------------------- Telegram


@pytest.fixture
def tg_api() -> Iterator[TelegramBotAPI]:
    with TelegramBotAPI(long_poll_cap=0.3) as emulator:
        yield emulator


@pytest.fixture
async def telegram(tg_api: TelegramBotAPI, said: Store, rules: RuleSet
                   ) -> AsyncIterator[TelegramService]:
    settings = Settings(telegram_token=DEFAULT_TOKEN, telegram_api_url=tg_api.api_root)
    service = TelegramService(settings, said, rules, poll_timeout=0.2, clock=Clock())
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def test_telegram_chart_is_sent_as_a_photo(tg_api: TelegramBotAPI,
                                                 telegram: TelegramService) -> None:
    tg_api.send_user_message(CHAT, "/chart Macron")
    [photo] = await tg_api.wait_for_photos(1, chat_id=CHAT, timeout=20)
    assert photo.photo.data.startswith(PNG_SIGNATURE)
    assert photo.photo.filename.endswith(".png")
    assert photo.message["photo"][0]["width"] == 1024
    assert photo.plain_caption.startswith("Emmanuel Macron (FR): stance from 26 Feb 2024")
    assert tg_api.sent_messages(CHAT) == []


async def test_telegram_chart_with_nothing_to_draw_answers_a_sentence(
        tg_api: TelegramBotAPI, telegram: TelegramService) -> None:
    answer = await ask(tg_api, CHAT, "/chart Starmer")
    assert answer == "Nothing to draw: no statements recorded for Keir Starmer (GB) yet."
    assert tg_api.sent_photos() == []
    assert "unknown actor or country 'Atlantis'" in await ask(tg_api, CHAT, "/chart Atlantis")
    assert "Usage" in await ask(tg_api, CHAT, "/chart")


async def test_telegram_matrix_is_a_compact_table(tg_api: TelegramBotAPI,
                                                  telegram: TelegramService) -> None:
    answer = await ask(tg_api, CHAT, f"/matrix {T}")
    assert answer.splitlines() == [T, "FR   conditional 2025-03 Macron"]
    [sent] = tg_api.sent_messages(CHAT)
    assert [e["type"] for e in sent.entities] == ["pre"]


async def test_telegram_digest_now_and_on_schedule(tg_api: TelegramBotAPI,
                                                   telegram: TelegramService, said: Store) -> None:
    now = await ask(tg_api, CHAT, "/digest")
    assert "Emmanuel Macron (FR) troops-to-ukraine: open → conditional" in now
    assert "Broken News: 4 failures in a row: HTTP 503" in now
    assert "daily digest" in await ask(tg_api, CHAT, "/digest daily")
    [sub] = digest_subscriptions_of(said, "telegram")
    assert (sub.chat_id, sub.frequency) == (str(CHAT), "daily")
    assert "Usage" in await ask(tg_api, CHAT, "/digest hourly")
    # nothing due within the day; due after it, sent once
    assert await send_due_digests(said, [telegram], NOW + timedelta(hours=2)) == 0
    before = len(tg_api.sent_messages(CHAT))
    assert await send_due_digests(said, [telegram], NOW + timedelta(days=1)) == 1
    assert await send_due_digests(said, [telegram], NOW + timedelta(days=1, hours=1)) == 0
    digest = tg_api.sent_messages(CHAT)[before]
    assert digest.parse_mode == "HTML" and "Feeds failing" in digest.plain_text
    assert "Digest stopped." in await ask(tg_api, CHAT, "/digest off")
    assert digest_subscriptions_of(said) == []


async def test_telegram_digest_subscription_in_a_group_is_for_admins(
        tg_api: TelegramBotAPI, telegram: TelegramService, said: Store) -> None:
    answer = await ask(tg_api, GROUP, "/digest weekly", user_id=99)
    assert "administrators" in answer
    assert digest_subscriptions_of(said) == []


async def test_a_blocked_chat_stops_its_digest(tg_api: TelegramBotAPI, telegram: TelegramService,
                                               said: Store) -> None:
    set_digest(said, "telegram", str(CHAT), "daily", NOW - timedelta(days=2))
    tg_api.block_chat(CHAT)
    assert await send_due_digests(said, [telegram], NOW) == 0
    assert digest_subscriptions_of(said) == []


# ---------------------------------------------------------------------- Slack


@pytest.fixture
def slack_api() -> Iterator[SlackWebAPI]:
    with SlackWebAPI(channels={ALERTS: "alerts"}) as emulator:
        yield emulator


@pytest.fixture
async def slack(slack_api: SlackWebAPI, said: Store, rules: RuleSet) -> AsyncIterator[SlackService]:
    service = make_slack(slack_api, said, rules)
    service.clock = Clock()
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def test_slack_chart_is_uploaded_to_the_channel(slack_api: SlackWebAPI,
                                                      slack: SlackService) -> None:
    status, answer = await command(slack, slack_api, "/shiftwatch", "chart macron", name="c1")
    assert status == 200 and answer == "Chart posted to this channel."
    [shared] = slack_api.uploaded_files(ALERTS)
    assert shared.data.startswith(PNG_SIGNATURE)
    assert shared.filename.endswith(".png")
    assert shared.title is not None and shared.title.startswith("Emmanuel Macron (FR)")
    assert [r.method for r in slack_api.requests() if r.method.startswith(("files.", "upload:"))] \
        == ["files.getUploadURLExternal", "upload:F000000001", "files.completeUploadExternal"]


async def test_slack_chart_nothing_to_draw_and_not_in_channel(slack_api: SlackWebAPI,
                                                              slack: SlackService) -> None:
    _, answer = await command(slack, slack_api, "/shiftwatch", "chart starmer", name="c2")
    assert answer == "Nothing to draw: no statements recorded for Keir Starmer (GB) yet."
    slack_api.add_channel(ALERTS, "alerts", is_member=False)
    _, answer = await command(slack, slack_api, "/shiftwatch", "chart macron", name="c3")
    assert "not_in_channel" in (answer or "")
    assert slack_api.uploaded_files() == []


async def test_slack_matrix_and_digest(slack_api: SlackWebAPI, slack: SlackService,
                                       said: Store) -> None:
    _, answer = await command(slack, slack_api, "/shiftwatch", f"matrix {T}", name="m")
    assert answer == f"```{T}\nFR   conditional 2025-03 Macron```"
    _, answer = await command(slack, slack_api, "/shiftwatch", "digest weekly", name="d1")
    assert "weekly digest" in (answer or "")
    _, answer = await command(slack, slack_api, "/shiftwatch", "digest", name="d2")
    assert "*Shifts* (1)" in (answer or "")
    assert await send_due_digests(said, [slack], NOW + timedelta(days=7)) == 1
    [posted] = slack_api.posted_messages(ALERTS)
    assert "*Feeds failing* (1)" in (posted.text or "")
    # the other subcommands are still the service's own
    _, answer = await command(slack, slack_api, "/shiftwatch", "topics", name="t")
    assert "Tracked topics" in (answer or "")
