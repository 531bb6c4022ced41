"""Operational notices (a feed broke, a feed recovered) on the console, and to the admin chats
of Telegram and Slack through their API emulators."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.chat.console import ConsoleDestination
from bot.chat.slack import SlackService
from bot.chat.telegram import TelegramService
from bot.rules import RuleSet
from bot.settings import Settings
from bot.store import Store
from tests.emulators.slack_api import SlackWebAPI
from tests.emulators.telegram_api import DEFAULT_TOKEN, TelegramBotAPI

ROOT = Path(__file__).resolve().parents[2]
ADMIN, OTHER_ADMIN = 5150, 5151
ADMIN_CHANNEL = "C0ADMINS01"
TEXT = "Feed disabled: Example <news> & more (https://example.test/rss): 50 consecutive failures."


async def test_console_prints_the_notice(tmp_path: Path) -> None:
    out = io.StringIO()
    await ConsoleDestination(tmp_path / "alerts.jsonl", out=out).notice(TEXT)
    assert out.getvalue() == f"[shiftwatch] {TEXT}\n"
    assert not (tmp_path / "alerts.jsonl").exists()  # a notice is not an alert


async def test_telegram_sends_the_notice_as_plain_text_to_every_admin_chat(
        store: Store, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with TelegramBotAPI(long_poll_cap=0.3) as api:
        settings = Settings(telegram_token=DEFAULT_TOKEN, telegram_api_url=api.api_root,
                            telegram_admin_chat_ids=(str(ADMIN), str(OTHER_ADMIN)))
        service = TelegramService(settings, store, rules, poll_timeout=0.2)
        try:
            api.fail_next("sendMessage", status=403, times=1)  # the first admin blocked the bot
            await service.notice(TEXT)
        finally:
            await service.stop()
        sent = api.sent_messages()
    assert [m.chat_id for m in sent] == [OTHER_ADMIN]
    assert sent[0].text == TEXT and sent[0].parse_mode is None


async def test_telegram_without_admin_chats_sends_nothing(store: Store, rules: RuleSet,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with TelegramBotAPI(long_poll_cap=0.3) as api:
        settings = Settings(telegram_token=DEFAULT_TOKEN, telegram_api_url=api.api_root)
        service = TelegramService(settings, store, rules, poll_timeout=0.2)
        await service.notice(TEXT)
        await service.stop()
        assert api.sent_messages() == []


async def test_slack_posts_the_escaped_notice_to_the_admin_channel(store: Store,
                                                                   rules: RuleSet) -> None:
    with SlackWebAPI(channels={ADMIN_CHANNEL: "ops"}) as api:
        settings = Settings(slack_token=api.token, slack_api_url=api.base_url,
                            slack_admin_channel=ADMIN_CHANNEL)
        service = SlackService(settings, store, rules)
        await service.notice(TEXT)
        api.fail_next("chat.postMessage", error="channel_not_found")
        await service.notice("second notice")  # logged, not raised
        await service.stop()
        posted = api.posted_messages(ADMIN_CHANNEL)
    assert [m.text for m in posted] == [TEXT.replace("&", "&amp;").replace("<", "&lt;")
                                        .replace(">", "&gt;")]
    assert posted[0].unfurl_links is False


async def test_slack_without_an_admin_channel_posts_nothing(store: Store, rules: RuleSet) -> None:
    with SlackWebAPI(channels={ADMIN_CHANNEL: "ops"}) as api:
        settings = Settings(slack_token=api.token, slack_api_url=api.base_url)
        service = SlackService(settings, store, rules)
        await service.notice(TEXT)
        await service.stop()
        assert api.posted_messages() == []
