"""The Slack service end to end: the real Bolt app (HTTP mode, on a free local port) and the
real slack_sdk client against the Slack Web API emulator; real rules and SQLite stores."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.chat.slack import REFUSAL, SlackService
from bot.errors import BotError, DeliveryError
from bot.models import Item
from bot.pipeline import Pipeline
from bot.render import AlertView
from bot.rules import RuleSet
from bot.settings import Settings
from bot.store import Store
from tests.chat.conftest import with_env
from tests.emulators.slack_api import SlackWebAPI, signed_slash_command

REPO = Path(__file__).resolve().parents[2]
SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
TEAM = "T0EMULATOR"
ALERTS = "C0ALERTS01"
SECOND = "C0SECOND02"
FEED = "https://news.example/feed.rss"

OPEN = ('French President Emmanuel Macron said that sending Western troops to Ukraine'
        ' "cannot be ruled out".')
CONDITIONAL = ("Macron said France would send troops to Ukraine only if Russia broke through"
               " the front line.")
HOSTILE = ("Macron said France would not send troops to Ukraine <!channel> & see"
           " <https://evil.example|this>.")


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 9, 0, tzinfo=UTC)


def item(n: int, text: str, published: datetime) -> Item:
    return Item(FEED, f"guid-{n}", f"https://news.example/{n}", f"story {n}", text, published)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# ---------------------------------------------------------------------- fixtures


@pytest.fixture
def api() -> Iterator[SlackWebAPI]:
    with SlackWebAPI(channels={ALERTS: "alerts", SECOND: "second"}) as emulator:
        yield emulator


def make_service(api: SlackWebAPI, store: Store, rules: RuleSet, **env: str) -> SlackService:
    settings = Settings(slack_token=api.token, slack_api_url=api.base_url)
    environ = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_PORT": "0", "SLACK_HOST": "127.0.0.1",
               **env}
    return SlackService(with_env(settings, **environ), store, rules)


@pytest.fixture
async def service(api: SlackWebAPI, store: Store, rules: RuleSet) -> AsyncIterator[SlackService]:
    svc = make_service(api, store, rules)
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


async def command(svc: SlackService, api: SlackWebAPI, cmd: str, text: str, *,
                  name: str, channel: str = ALERTS, team: str = TEAM,
                  secret: str = SECRET, timestamp: int | None = None,
                  wait: bool = True) -> tuple[int, str | None]:
    """POST a signed slash command to the running app; the answer read at its response URL."""
    body, headers = signed_slash_command(
        secret, command=cmd, text=text, team_id=team, channel_id=channel, user_id="U0TESTER1",
        response_url=api.response_url(name), timestamp=timestamp)
    started = time.monotonic()
    async with aiohttp.ClientSession() as session, session.post(
            f"http://127.0.0.1:{svc.port}/slack/events", data=body, headers=headers) as resp:
        status = resp.status
        await resp.read()
    assert time.monotonic() - started < 3.0  # acknowledged within Slack's 3 s
    if not wait:
        return status, None
    [answer] = await api.wait_for_responses(1, name=name)
    return status, answer.body["text"]


def feed(store: Store, rules: RuleSet, texts: list[tuple[str, datetime]],
         clock: Clock | None = None) -> list[int]:
    pipeline = Pipeline(rules, store, platforms=("slack",), clock=clock or Clock(day(2024, 6, 10)))
    shift_ids: list[int] = []
    for n, (text, published) in enumerate(texts):
        shift_ids += pipeline.process(item(n, text, published)).shift_ids
    return shift_ids


def alert_for(store: Store, shift_id: int) -> AlertView:
    return AlertView.from_record(store.shift_record(shift_id))


# ---------------------------------------------------------------------- commands


async def test_positions_answers_with_the_current_stance(service: SlackService,
                                                         api: SlackWebAPI, store: Store,
                                                         rules: RuleSet) -> None:
    feed(store, rules, [(OPEN, day(2024, 2, 27)), (CONDITIONAL, day(2024, 5, 2))])
    status, text = await command(service, api, "/positions", "france", name="pos")
    assert status == 200
    assert text is not None
    assert "*Emmanuel Macron* on _troops-to-ukraine_: *conditional* since 2024-05-02" in text
    assert "> Macron said France would send troops to Ukraine only if Russia" in text
    assert "<https://news.example/1|source>" in text
    assert "France (FR)" in text
    [answer] = api.responses("pos")
    assert answer.body["response_type"] == "ephemeral"

    _, text = await command(service, api, "/positions", "FR troops-to-ukraine", name="topic")
    assert "conditional" in text
    _, text = await command(service, api, "/positions", "germany", name="none")
    assert "No positions recorded for Germany (DE)" in text


async def test_positions_suggests_and_explains(service: SlackService, api: SlackWebAPI) -> None:
    _, text = await command(service, api, "/positions", "Frnace", name="typo")
    assert "Did you mean France (FR)?" in text
    _, text = await command(service, api, "/positions", "france troops-to-ukrane", name="topic")
    assert "Did you mean troops-to-ukraine?" in text
    _, text = await command(service, api, "/positions", "", name="empty")
    assert text.startswith("Usage: `/positions <country> [topic]`")


async def test_forged_or_stale_signature_is_rejected(service: SlackService, api: SlackWebAPI,
                                                     store: Store) -> None:
    status, _ = await command(service, api, "/shiftwatch", "subscribe", name="forged",
                              secret="not-the-signing-secret", wait=False)
    assert status == 401
    stale = int(time.time()) - 600
    status, _ = await command(service, api, "/shiftwatch", "subscribe", name="stale",
                              timestamp=stale, wait=False)
    assert status == 401
    assert store.subscriptions(platform="slack") == []
    assert api.responses() == []


async def test_shiftwatch_subcommands(service: SlackService, api: SlackWebAPI, store: Store,
                                      rules: RuleSet) -> None:
    _, text = await command(service, api, "/shiftwatch", "", name="help")
    assert "/shiftwatch subscribe [filters]" in text
    _, text = await command(service, api, "/shiftwatch", "subscribe france Emmanuel Macron, flop",
                            name="sub")
    assert text.startswith("Subscribed")
    assert store.subscriptions(platform="slack") == [
        ("slack", ALERTS, ["FR", "emmanuel-macron", "flop"])]
    _, text = await command(service, api, "/shiftwatch", "subscribe frnace", name="badfilter")
    assert "Did you mean France (FR)?" in text
    _, text = await command(service, api, "/shiftwatch", "list", name="list")
    assert "`FR`" in text and "`flop`" in text
    _, text = await command(service, api, "/shiftwatch", "topics", name="topics")
    assert "`troops-to-ukraine`" in text
    feed(store, rules, [(OPEN, day(2024, 2, 27)), (HOSTILE, day(2024, 6, 2))])
    _, text = await command(service, api, "/shiftwatch", "history macron", name="history")
    assert "*opposes*" in text and "*open*" in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    _, text = await command(service, api, "/shiftwatch", "history Macorn", name="badactor")
    assert "Did you mean" in text
    _, text = await command(service, api, "/shiftwatch", "subscirbe", name="unknown")
    assert "Did you mean `subscribe`?" in text
    _, text = await command(service, api, "/shiftwatch", "unsubscribe", name="unsub")
    assert text.startswith("Unsubscribed")
    assert store.subscriptions(platform="slack") == []


async def test_other_teams_and_channels_are_refused(api: SlackWebAPI, store: Store,
                                                    rules: RuleSet) -> None:
    svc = make_service(api, store, rules, SLACK_ALLOWED_TEAMS=TEAM,
                       SLACK_ALLOWED_CHANNELS=f"{ALERTS}, {SECOND}")
    await svc.start()
    try:
        _, text = await command(svc, api, "/shiftwatch", "subscribe", name="team",
                                team="T0ELSEWHERE")
        assert text == REFUSAL
        _, text = await command(svc, api, "/shiftwatch", "subscribe", name="channel",
                                channel="C0NOTALLOWED")
        assert text == REFUSAL
        assert store.subscriptions(platform="slack") == []
        _, text = await command(svc, api, "/shiftwatch", "subscribe", name="ok")
        assert text.startswith("Subscribed")
    finally:
        await svc.stop()
    [shift_id] = feed(store, rules, [(OPEN, day(2024, 2, 27)), (CONDITIONAL, day(2024, 5, 2))])
    with pytest.raises(DeliveryError) as caught:
        await svc.send("C0NOTALLOWED", alert_for(store, shift_id))
    assert caught.value.permanent
    elsewhere = make_service(api, store, rules, SLACK_ALLOWED_TEAMS="T0ELSEWHERE")
    with pytest.raises(DeliveryError) as caught:
        await elsewhere.send(ALERTS, alert_for(store, shift_id))
    assert not caught.value.permanent
    await svc.send(ALERTS, alert_for(store, shift_id))
    assert [m.channel for m in api.posted_messages()] == [ALERTS]


# ---------------------------------------------------------------------- alerts


async def test_subscribed_channels_get_one_post_each_despite_rate_limit_and_restart(
        service: SlackService, api: SlackWebAPI, store: Store, rules: RuleSet,
        tmp_path: Path) -> None:
    for channel in (ALERTS, SECOND):
        _, text = await command(service, api, "/shiftwatch", "subscribe", name=channel,
                                channel=channel)
        assert text.startswith("Subscribed")
    clock = Clock(day(2024, 6, 10))
    [shift_id] = feed(store, rules, [(OPEN, day(2024, 2, 27)), (CONDITIONAL, day(2024, 5, 2))],
                      clock)
    api.fail_next("chat.postMessage", retry_after=120)  # the first post is rate limited

    app = App(Pipeline(rules, store, platforms=("slack",), clock=clock), [], [service])
    assert await app.deliver_once() == 1
    assert len(api.posted_messages()) == 1
    await service.stop()  # "restart": a new store, service and app on the same database
    store.close()

    clock.now += timedelta(seconds=60)  # Retry-After (120 s) is honoured
    store = Store(store.url)
    try:
        fresh = make_service(api, store, rules)  # never started, like `shiftwatch poll`
        app = App(Pipeline(rules, store, platforms=("slack",), clock=clock), [], [fresh])
        assert await app.deliver_once() == 0
        clock.now += timedelta(seconds=3600)
        assert await app.deliver_once() == 1
        assert await app.deliver_once() == 0
        assert store.outbox_counts() == {"sent": 2}
    finally:
        store.close()
    for channel in (ALERTS, SECOND):
        [post] = api.posted_messages(channel)
        assert post.unfurl_links is False and post.unfurl_media is False
        assert post.text and "Emmanuel Macron (FR): open → conditional" in post.text
        assert post.blocks and post.blocks[0]["type"] == "header"
        # the earlier statement is one click away, as in Telegram's alert
        assert "<https://news.example/0|The earlier statement (2024-02-27)>" in json.dumps(
            post.blocks)
    assert shift_id


async def test_channel_not_found_deactivates_the_subscription(api: SlackWebAPI, store: Store,
                                                              rules: RuleSet) -> None:
    now = day(2024, 6, 10)
    store.subscribe("slack", "C0GONE0001", [], now)
    store.subscribe("slack", ALERTS, [], now)
    feed(store, rules, [(OPEN, day(2024, 2, 27)), (CONDITIONAL, day(2024, 5, 2))])
    svc = make_service(api, store, rules)
    app = App(Pipeline(rules, store, platforms=("slack",), clock=lambda: now), [], [svc])
    assert await app.deliver_once() == 1
    assert store.subscriptions(platform="slack") == [("slack", ALERTS, [])]
    assert store.outbox_counts() == {"dead": 1, "sent": 1}


@pytest.mark.parametrize(("fault", "permanent", "retry_after"), [
    ({"error": "not_in_channel"}, True, None),
    ({"error": "is_archived"}, True, None),
    ({"status": 503}, False, None),
    ({"retry_after": 7}, False, 7.0),
])
async def test_send_maps_slack_errors(api: SlackWebAPI, store: Store, rules: RuleSet,
                                      fault: dict[str, Any], permanent: bool,
                                      retry_after: float | None) -> None:
    [shift_id] = feed(store, rules, [(OPEN, day(2024, 2, 27)), (CONDITIONAL, day(2024, 5, 2))])
    svc = make_service(api, store, rules)
    api.fail_next("chat.postMessage", **fault)
    with pytest.raises(DeliveryError) as caught:
        await svc.send(ALERTS, alert_for(store, shift_id))
    assert caught.value.permanent is permanent
    assert caught.value.retry_after == retry_after
    assert api.token not in str(caught.value)
    assert api.posted_messages() == []
    if retry_after:  # the channel stays blocked for Retry-After, without asking Slack again
        with pytest.raises(DeliveryError) as again:
            await svc.send(ALERTS, alert_for(store, shift_id))
        assert again.value.retry_after is not None and 0 < again.value.retry_after <= 7
        assert len(api.requests("chat.postMessage")) == 1


async def test_network_errors_are_retryable_and_keep_the_token_secret(
        store: Store, rules: RuleSet) -> None:
    with SlackWebAPI() as gone:
        url, token = gone.base_url, gone.token
    [shift_id] = feed(store, rules, [(OPEN, day(2024, 2, 27)), (CONDITIONAL, day(2024, 5, 2))])
    svc = SlackService(Settings(slack_token=token, slack_api_url=url), store, rules)
    with pytest.raises(DeliveryError) as caught:
        await svc.send(ALERTS, alert_for(store, shift_id))
    assert not caught.value.permanent
    assert token not in str(caught.value)


async def test_feed_text_arrives_escaped(api: SlackWebAPI, store: Store, rules: RuleSet) -> None:
    store.subscribe("slack", ALERTS, [], day(2024, 6, 10))
    feed(store, rules, [(OPEN, day(2024, 2, 27)), (HOSTILE, day(2024, 6, 2))])
    svc = make_service(api, store, rules)
    app = App(Pipeline(rules, store, platforms=("slack",), clock=lambda: day(2024, 6, 10)), [],
              [svc])
    assert await app.deliver_once() == 1
    [post] = api.posted_messages(ALERTS)
    sent = json.dumps({"text": post.text, "blocks": post.blocks})
    assert "<!channel>" not in sent and "<https://evil.example" not in sent
    assert "&lt;!channel&gt; &amp; see &lt;https://evil.example|this&gt;" in post.text


async def test_posts_to_one_channel_are_paced(api: SlackWebAPI, store: Store,
                                              rules: RuleSet) -> None:
    [shift_id] = feed(store, rules, [(OPEN, day(2024, 2, 27)), (CONDITIONAL, day(2024, 5, 2))])
    svc = make_service(api, store, rules)
    svc.min_interval = 0.3
    alert = alert_for(store, shift_id)
    started = time.monotonic()
    await svc.send(ALERTS, alert)
    await svc.send(SECOND, alert)  # another channel: no wait
    assert time.monotonic() - started < 0.25
    await svc.send(ALERTS, alert)
    assert time.monotonic() - started >= 0.3
    assert len(api.posted_messages(ALERTS)) == 2


# ---------------------------------------------------------------------- modes


async def test_http_mode_needs_the_signing_secret(api: SlackWebAPI, store: Store,
                                                  rules: RuleSet) -> None:
    svc = make_service(api, store, rules, SLACK_SIGNING_SECRET="")
    with pytest.raises(BotError, match="SLACK_SIGNING_SECRET"):
        await svc.start()
    await svc.stop()


async def test_socket_mode_is_chosen_by_the_app_token(api: SlackWebAPI, store: Store,
                                                      rules: RuleSet) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    svc = make_service(api, store, rules, SLACK_APP_TOKEN="xapp-1-A0APPID001-1-abcdef")
    assert svc.socket_mode
    handler = svc.build_socket_handler()
    try:
        assert isinstance(handler, AsyncSocketModeHandler)
    finally:
        await handler.close_async()


async def test_tokens_stay_out_of_the_logs(service: SlackService, api: SlackWebAPI, store: Store,
                                           rules: RuleSet,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    _, text = await command(service, api, "/shiftwatch", "subscribe", name="sub")
    assert text.startswith("Subscribed")
    feed(store, rules, [(OPEN, day(2024, 2, 27)), (CONDITIONAL, day(2024, 5, 2))])
    api.fail_next("chat.postMessage", error="channel_not_found")
    app = App(Pipeline(rules, store, platforms=("slack",), clock=lambda: day(2024, 6, 10)), [],
              [service])
    assert await app.deliver_once() == 0
    assert "channel_not_found" in caplog.text
    assert api.token not in caplog.text and SECRET not in caplog.text
