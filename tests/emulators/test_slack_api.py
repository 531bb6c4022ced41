"""The real slack_sdk / slack-bolt clients against the Slack Web API emulator."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from .slack_api import DEFAULT_TOKEN, SlackWebAPI, signed_slash_command

CHANNEL = "C0ALERTS01"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Stance shift"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Leader X* on _tariffs_"}},
]


@pytest.fixture
def api() -> Iterator[SlackWebAPI]:
    """A running emulator."""
    with SlackWebAPI() as emulator:
        yield emulator


def make_client(api: SlackWebAPI, token: str = DEFAULT_TOKEN) -> AsyncWebClient:
    """A real AsyncWebClient pointed at the emulator."""
    return AsyncWebClient(token=token, base_url=api.base_url, timeout=5)


async def test_auth_test(api: SlackWebAPI) -> None:
    response = await make_client(api).auth_test()
    assert response["ok"] is True
    assert (response["team_id"], response["user_id"], response["bot_id"]) == (
        "T0EMULATOR",
        "U0BOTUSER1",
        "B0BOTID001",
    )
    assert response["url"] == "https://shiftwatch-test.slack.com/"
    [call] = api.requests("auth.test")
    assert call.headers["authorization"] == f"Bearer {DEFAULT_TOKEN}"


async def test_post_message_with_blocks(api: SlackWebAPI) -> None:
    client = make_client(api)
    first = await client.chat_postMessage(
        channel=CHANNEL, text="Stance shift", blocks=BLOCKS, unfurl_links=False, unfurl_media=False
    )
    second = await client.chat_postMessage(channel="#alerts", text="again")
    assert first["channel"] == second["channel"] == CHANNEL
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == BLOCKS

    posted = api.posted_messages(CHANNEL)
    assert [p.text for p in posted] == ["Stance shift", "again"]
    assert posted[0].blocks == BLOCKS
    assert (posted[0].unfurl_links, posted[0].unfurl_media) == (False, False)
    assert posted[0].ts == first["ts"]
    assert (
        api.requests("chat.postMessage")[0].headers["content-type"].startswith("application/json")
    )


async def test_form_encoded_post_message(api: SlackWebAPI) -> None:
    response = await make_client(api).api_call(
        "chat.postMessage",
        data={"channel": CHANNEL, "text": "form", "blocks": json.dumps(BLOCKS), "unfurl_links": 0},
    )
    assert response["ok"] is True
    [posted] = api.posted_messages()
    assert (posted.blocks, posted.unfurl_links) == (BLOCKS, False)


async def test_ratelimited(api: SlackWebAPI) -> None:
    api.fail_next("chat.postMessage", retry_after=3)
    client = make_client(api)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=CHANNEL, text="too fast")
    response = caught.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response["error"] == "ratelimited"
    assert api.posted_messages() == []
    await client.chat_postMessage(channel=CHANNEL, text="later")
    assert [p.text for p in api.posted_messages()] == ["later"]


async def test_channel_errors(api: SlackWebAPI) -> None:
    client = make_client(api)
    api.add_channel("C0ARCHIVED", "old", is_archived=True)
    api.add_channel("C0OUTSIDE1", "elsewhere", is_member=False)
    expected = {"C0NOSUCH00": "channel_not_found", "C0ARCHIVED": "is_archived"}
    expected["C0OUTSIDE1"] = "not_in_channel"
    for channel, error in expected.items():
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel=channel, text="x")
        assert (caught.value.response.status_code, caught.value.response["error"]) == (200, error)

    api.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.chat_postMessage(channel=CHANNEL, text="x")

    info = await client.conversations_info(channel=CHANNEL)
    assert (info["channel"]["name"], info["channel"]["is_member"]) == ("alerts", True)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.conversations_info(channel="C0NOSUCH00")
    assert api.requests("conversations.info")[0].http_method == "GET"
    assert api.posted_messages() == []


async def test_server_error(api: SlackWebAPI) -> None:
    api.fail_next("auth.test", status=500)
    with pytest.raises(SlackApiError) as caught:
        await make_client(api).auth_test()
    assert caught.value.response.status_code == 500
    assert caught.value.response["error"] == "internal_error"


async def test_bad_token_and_unknown_method(api: SlackWebAPI) -> None:
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await make_client(api, token="xoxb-wrong").auth_test()
    with pytest.raises(SlackApiError) as caught:
        await make_client(api).api_call("chat.teleport")
    assert caught.value.response.status_code == 404
    assert caught.value.response["error"] == "unknown_method"


async def test_delay(api: SlackWebAPI) -> None:
    api.set_delay("auth.test", 0.3)
    started = time.monotonic()
    await make_client(api).auth_test()
    assert time.monotonic() - started >= 0.3


async def test_response_url_post_is_recorded(api: SlackWebAPI) -> None:
    url = api.response_url("cmd-1")
    assert url == f"http://127.0.0.1:{api.port}/response/cmd-1"
    webhook = AsyncWebhookClient(url)
    response = await webhook.send(text="Tracking 3 topics", response_type="ephemeral")
    assert (response.status_code, response.body) == (200, "ok")
    [post] = api.responses("cmd-1")
    assert post.body == {"text": "Tracking 3 topics", "response_type": "ephemeral"}
    assert post.content_type == "application/json"
    assert api.responses("other") == []


def test_signed_slash_command_verifies() -> None:
    body, headers = signed_slash_command(
        SECRET,
        command="/shiftwatch",
        text="status tariffs",
        team_id="T0EMULATOR",
        channel_id=CHANNEL,
        user_id="U0HUMAN001",
        response_url="http://127.0.0.1:1/response/x",
    )
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = parse_qs(body.decode())
    assert fields["command"] == ["/shiftwatch"]
    assert fields["text"] == ["status tariffs"]
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert not verifier.is_valid_request(body + b"&x=1", headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    stale, stale_headers = signed_slash_command(
        SECRET,
        command="/shiftwatch",
        text="",
        team_id="T0EMULATOR",
        channel_id=CHANNEL,
        user_id="U0HUMAN001",
        response_url="http://127.0.0.1:1/response/x",
        timestamp=int(time.time()) - 600,
    )
    assert not verifier.is_valid_request(stale, stale_headers)


async def test_bolt_app_answers_a_signed_slash_command(api: SlackWebAPI) -> None:
    app = AsyncApp(client=make_client(api), signing_secret=SECRET, process_before_response=True)

    @app.command("/shiftwatch")
    async def shiftwatch(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"you asked: {command['text']}", response_type="ephemeral")

    body, headers = signed_slash_command(
        SECRET,
        command="/shiftwatch",
        text="status",
        team_id="T0EMULATOR",
        channel_id=CHANNEL,
        user_id="U0HUMAN001",
        response_url=api.response_url("slash"),
    )
    answer = await app.async_dispatch(AsyncBoltRequest(body=body.decode(), headers=headers))
    assert answer.status == 200
    [post] = api.responses("slash")
    assert post.body["text"] == "you asked: status"
    assert [r.method for r in api.requests("auth.test")] == ["auth.test"]

    forged = {**headers, "X-Slack-Signature": "v0=" + "0" * 64}
    rejected = await app.async_dispatch(AsyncBoltRequest(body=body.decode(), headers=forged))
    assert rejected.status == 401
    assert len(api.responses("slash")) == 1
