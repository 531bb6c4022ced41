"""The real python-telegram-bot against the Telegram Bot API emulator."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from .telegram_api import DEFAULT_TOKEN, TelegramBotAPI

CHAT = 4711
GROUP = -1001234567890


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta periods: otherwise RetryAfter() itself warns (v22.2+)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def api() -> Iterator[TelegramBotAPI]:
    """A running emulator whose long polls end after 0.3 s."""
    with TelegramBotAPI(long_poll_cap=0.3) as emulator:
        yield emulator


def make_bot(api: TelegramBotAPI, token: str = DEFAULT_TOKEN, read_timeout: float = 2.0) -> Bot:
    """A real Bot pointed at the emulator."""
    return Bot(token, base_url=api.base_url, request=HTTPXRequest(read_timeout=read_timeout))


async def test_get_me_and_html_message(api: TelegramBotAPI) -> None:
    async with make_bot(api) as bot:
        me = await bot.get_me()
        assert me.id == api.bot_id
        assert me.username == "shiftwatch_test_bot"
        assert me.is_bot

        message = await bot.send_message(
            CHAT,
            "<b>Stance shift</b>: Leader &amp; Co <a href='https://example.org/a'>source</a>",
            parse_mode=ParseMode.HTML,
            disable_web_page_preview=True,
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Open", url="https://example.org/a")]]
            ),
        )

    assert message.chat.id == CHAT
    assert message.text == "Stance shift: Leader & Co source"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 12),
        ("text_link", 26, 6),
    ]
    assert message.link_preview_options is not None
    assert message.link_preview_options.is_disabled

    [sent] = api.sent_messages(CHAT)
    assert sent.parse_mode == "HTML"
    assert sent.text.startswith("<b>Stance shift</b>")
    assert sent.message_id == message.message_id
    assert sent.link_preview_disabled
    assert sent.reply_markup == {
        "inline_keyboard": [[{"text": "Open", "url": "https://example.org/a"}]]
    }
    assert [r.method for r in api.requests()] == ["getMe", "getMe", "sendMessage"]
    assert (
        api.requests("sendMessage")[0]
        .headers["content-type"]
        .startswith("application/x-www-form-urlencoded")
    )


async def test_message_ids_increase_per_chat(api: TelegramBotAPI) -> None:
    async with make_bot(api) as bot:
        first = await bot.send_message(CHAT, "one")
        second = await bot.send_message(CHAT, "two")
        other = await bot.send_message(GROUP, "three")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert other.chat.type == "supergroup"
    assert [m.text for m in api.sent_messages()] == ["one", "two", "three"]
    assert [m.text for m in api.sent_messages(GROUP)] == ["three"]


async def test_commands_round_trip(api: TelegramBotAPI) -> None:
    commands = [BotCommand("status", "Show tracked topics"), BotCommand("ping", "Health check")]
    async with make_bot(api) as bot:
        assert await bot.get_my_commands() == ()
        assert await bot.set_my_commands(commands)
        assert await bot.get_my_commands() == tuple(commands)
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Bad Command", "nope")])
    assert api.commands() == [
        {"command": "status", "description": "Show tracked topics"},
        {"command": "ping", "description": "Health check"},
    ]


async def test_retry_after(api: TelegramBotAPI) -> None:
    api.fail_next("sendMessage", status=429, retry_after=7)
    async with make_bot(api) as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "flood")
        assert caught.value.retry_after == dtm.timedelta(seconds=7)
        await bot.send_message(CHAT, "after the flood")  # the fault fired once only
    [failed] = [r for r in api.requests("sendMessage") if not r.ok]
    assert failed.status == 429
    assert failed.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert [m.text for m in api.sent_messages()] == ["after the flood"]


async def test_forbidden_when_blocked(api: TelegramBotAPI) -> None:
    api.block_chat(CHAT)
    async with make_bot(api) as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(CHAT, "hello?")
        api.unblock_chat(CHAT)
        api.fail_next("sendMessage", status=403, times=2)
        for _ in range(2):
            with pytest.raises(Forbidden):
                await bot.send_message(CHAT, "still blocked")
        await bot.send_message(CHAT, "through")
    assert [m.text for m in api.sent_messages()] == ["through"]


async def test_bad_request_chat_not_found(api: TelegramBotAPI) -> None:
    api.fail_next("sendMessage", status=400)
    async with make_bot(api) as bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(CHAT, "x")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message("@nobody_here", "x")
    assert api.sent_messages() == []


async def test_strict_chats() -> None:
    with TelegramBotAPI(strict_chats=True) as api:
        api.add_chat(GROUP, chat_type="supergroup", title="Alerts")
        async with make_bot(api) as bot:
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(CHAT, "unknown chat")
            chat = await bot.get_chat(GROUP)
            assert (chat.title, chat.type) == ("Alerts", "supergroup")
            await bot.send_message(GROUP, "known chat")
        assert [m.chat_id for m in api.sent_messages()] == [GROUP]


async def test_server_error(api: TelegramBotAPI) -> None:
    api.fail_next("getChat", status=500)
    async with make_bot(api) as bot:
        with pytest.raises(Exception, match="Internal Server Error") as caught:
            await bot.get_chat(CHAT)
    assert type(caught.value).__name__ == "NetworkError"


async def test_html_the_real_api_rejects(api: TelegramBotAPI) -> None:
    async with make_bot(api) as bot:
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(CHAT, "GDP < 2% & falling", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
            await bot.send_message(CHAT, "line<br>line", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)must be escaped"):
            await bot.send_message(CHAT, "Rate is 2.5%", parse_mode=ParseMode.MARKDOWN_V2)
        ok = await bot.send_message(CHAT, r"*Rate* is 2\.5%", parse_mode=ParseMode.MARKDOWN_V2)
    assert ok.text == "Rate is 2.5%"
    assert len(api.sent_messages()) == 1


async def test_wrong_token(api: TelegramBotAPI) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server") as caught:
        async with make_bot(api, token="999:not-the-token") as bot:
            await bot.get_me()
    assert isinstance(caught.value.__cause__, InvalidToken)
    assert caught.value.__cause__.message == "Unauthorized"
    [call] = api.requests("getMe")
    assert call.status == 401
    assert call.response == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_raw_requests_json_query_multipart_and_unknown(api: TelegramBotAPI) -> None:
    async with httpx.AsyncClient(base_url=api.api_root) as client:
        me = await client.get(f"/bot{api.token}/getme")  # method names are case-insensitive
        assert me.json()["result"]["id"] == api.bot_id

        by_json = await client.post(
            f"/bot{api.token}/sendMessage", json={"chat_id": CHAT, "text": "123"}
        )
        assert by_json.json()["result"]["text"] == "123"

        by_query = await client.post(f"/bot{api.token}/sendMessage?chat_id={CHAT}&text=q")
        assert by_query.json()["ok"] is True

        by_multipart = await client.post(
            f"/bot{api.token}/sendMessage",
            data={"chat_id": str(CHAT), "text": "multi", "reply_markup": json.dumps({"a": 1})},
            files={"photo": ("p.png", b"\x89PNG", "image/png")},
        )
        assert by_multipart.json()["result"]["text"] == "multi"

        unknown = await client.post(f"/bot{api.token}/sendTelepathy")
        assert unknown.status_code == 404
        assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    params = [m.params for m in api.sent_messages()]
    assert params[0] == {"chat_id": CHAT, "text": "123"}
    assert params[1] == {"chat_id": CHAT, "text": "q"}
    assert params[2]["reply_markup"] == {"a": 1}
    assert params[2]["photo"].data == b"\x89PNG"


async def test_get_updates_long_poll_and_offset(api: TelegramBotAPI) -> None:
    async with make_bot(api) as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=30) == ()  # capped at 0.3 s
        assert 0.25 <= time.monotonic() - started < 2

        api.send_user_message(CHAT, "/status now", username="alice")
        api.send_user_message(GROUP, "hello", user_id=99, chat_type="supergroup")
        updates = await bot.get_updates(timeout=5)
        assert [u.effective_message.text for u in updates] == ["/status now", "hello"]
        first = updates[0]
        assert first.effective_user is not None
        assert first.effective_user.username == "alice"
        assert first.effective_message.entities[0].type == "bot_command"
        assert first.effective_message.entities[0].length == len("/status")

        again = await bot.get_updates(offset=updates[0].update_id + 1)
        assert [u.update_id for u in again] == [updates[1].update_id]
        assert await bot.get_updates(offset=updates[1].update_id + 1, timeout=0) == ()
    assert api.pending_updates() == []


async def test_chat_admins_and_members(api: TelegramBotAPI) -> None:
    api.set_admins(GROUP, [7, 8], owner_id=5)
    api.send_user_message(GROUP, "hi", user_id=9, chat_type="supergroup", first_name="Nine")
    async with make_bot(api) as bot:
        admins = await bot.get_chat_administrators(GROUP)
        assert [(m.user.id, m.status) for m in admins] == [
            (5, ChatMemberStatus.OWNER),
            (7, ChatMemberStatus.ADMINISTRATOR),
            (8, ChatMemberStatus.ADMINISTRATOR),
        ]
        assert (await bot.get_chat_member(GROUP, 7)).status == ChatMemberStatus.ADMINISTRATOR
        member = await bot.get_chat_member(GROUP, 9)
        assert (member.status, member.user.first_name) == (ChatMemberStatus.MEMBER, "Nine")
        assert (await bot.get_chat_member(GROUP, 10)).status == ChatMemberStatus.LEFT
        with pytest.raises(BadRequest, match="no administrators in the private chat"):
            await bot.get_chat_administrators(CHAT)


async def test_webhook_blocks_polling(api: TelegramBotAPI) -> None:
    async with make_bot(api) as bot:
        assert await bot.set_webhook("https://example.org/hook")
        assert (await bot.get_webhook_info()).url == "https://example.org/hook"
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.get_updates() == ()


async def test_slow_answer_times_out(api: TelegramBotAPI) -> None:
    api.set_delay("sendMessage", 0.5)
    async with make_bot(api, read_timeout=0.1) as bot:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "slow")
        assert time.monotonic() - started < 0.45
        api.set_delay("sendMessage", 0)
        await bot.send_message(CHAT, "fast")


async def test_application_polls_and_replies(api: TelegramBotAPI) -> None:
    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("pong")

    application = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    application.add_handler(CommandHandler("ping", ping))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=dtm.timedelta(seconds=10))
        try:
            api.send_user_message(CHAT, "/ping")
            [reply] = await api.wait_for_messages(1, chat_id=CHAT, timeout=3)
        finally:
            await application.updater.stop()
            await application.stop()

    assert reply.text == "pong"
    assert api.pending_updates() == []  # the updater confirmed the update on stop
    methods = [r.method for r in api.requests()]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    assert "getUpdates" in methods


async def test_rate_limiter_retries_after_429(api: TelegramBotAPI) -> None:
    application = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .rate_limiter(AIORateLimiter(max_retries=1))
        .build()
    )
    api.fail_next("sendMessage", status=429, retry_after=1)
    async with application:
        started = time.monotonic()
        await application.bot.send_message(GROUP, "eventually")
        assert time.monotonic() - started >= 1.0  # slept retry_after (+0.1 s) before the retry
    assert [r.status for r in api.requests("sendMessage")] == [429, 200]
    assert [m.text for m in api.sent_messages()] == ["eventually"]


async def test_stop_ends_long_polls_and_threads() -> None:
    api = TelegramBotAPI(long_poll_cap=30).start()
    async with httpx.AsyncClient(timeout=5) as client:
        poll = asyncio.create_task(client.post(api.method_url("getUpdates"), data={"timeout": 30}))
        while not any(t.name == "TelegramBotAPI-connection" for t in threading.enumerate()):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # let the long poll reach its wait
        started = time.monotonic()
        api.stop()
        assert time.monotonic() - started < 1
        assert (await poll).json() == {"ok": True, "result": []}
    assert not any(t.name.startswith("TelegramBotAPI") for t in threading.enumerate())
    assert not api.running
