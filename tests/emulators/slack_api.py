"""An emulator of the Slack Web API (and of response URLs) for tests.

Serves ``/api/{method}`` on 127.0.0.1, so the client's ``base_url`` is
``http://127.0.0.1:PORT/api/``. It reads the bot token from ``Authorization: Bearer`` (or a
``token`` parameter) and parameters from the query string, form-encoded bodies and JSON
bodies, the three ways slack_sdk sends them. ``/response/{name}`` stands in for the
``response_url`` of a slash command or interaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from . import EmulatorServer, IncomingRequest, Reply

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_TOKEN",
    "PostedMessage",
    "ResponsePost",
    "SlackWebAPI",
    "UploadedFile",
    "sign_request",
    "signed_slash_command",
]

DEFAULT_TOKEN = "xoxb-0000000001-0000000000002-emulatortokenabcdef"
DEFAULT_CHANNELS: dict[str, str] = {"C0ALERTS01": "alerts"}

#: Form fields that carry JSON (slack_sdk's form-encoded calls send them as JSON strings).
_JSON_FIELDS = frozenset({"blocks", "attachments", "metadata", "channels", "users"})
#: Form fields that are booleans ("true"/"false" or, from slack_sdk, "1"/"0").
_BOOL_FIELDS = frozenset(
    {
        "unfurl_links",
        "unfurl_media",
        "mrkdwn",
        "reply_broadcast",
        "as_user",
        "link_names",
        "include_locale",
        "include_num_members",
    }
)
_MAX_TEXT = 40_000
_RESPONSE_URL_KEY = "response_url"


class SlackError(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, status: int = 200, headers: dict[str, str] | None = None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}

    def reply(self, extra: Mapping[str, Any] | None = None) -> Reply:
        """The error as Slack sends it."""
        return Reply(self.status, {"ok": False, "error": self.error, **(extra or {})}, self.headers)


@dataclass(frozen=True)
class PostedMessage:
    """A delivered chat.postMessage call."""

    channel: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    unfurl_links: bool | None
    unfurl_media: bool | None
    thread_ts: str | None
    ts: str
    params: dict[str, Any]
    message: dict[str, Any]


@dataclass(frozen=True)
class ResponsePost:
    """A POST to a response URL."""

    name: str
    body: Any
    raw: bytes
    content_type: str
    headers: dict[str, str]


@dataclass(frozen=True)
class UploadedFile:
    """A file shared in a channel: files.getUploadURLExternal, the upload, then
    files.completeUploadExternal (the three steps of slack_sdk's ``files_upload_v2``)."""

    file_id: str
    channel: str
    filename: str
    title: str | None
    alt_txt: str | None
    initial_comment: str | None
    data: bytes


@dataclass
class _PendingUpload:
    file_id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes | None = None


@dataclass
class _Channel:
    id: str
    name: str
    is_member: bool = True
    is_archived: bool = False
    is_private: bool = False
    created: int = field(default_factory=lambda: int(time.time()) - 86_400)


@dataclass
class _Fault:
    error: str
    status: int
    headers: dict[str, str]
    remaining: int


def _coerce(name: str, value: str) -> Any:
    """A form/query value as Slack reads it."""
    if name in _BOOL_FIELDS:
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        return value
    if name in _JSON_FIELDS and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_params(request: IncomingRequest) -> dict[str, Any]:
    """Merge query-string and body parameters (form-encoded or JSON)."""
    params: dict[str, Any] = {k: _coerce(k, v) for k, v in request.query.items()}
    if not request.body:
        return params
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body.decode("utf-8"))
        except ValueError as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        params.update(body)
    else:
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        params.update({k: _coerce(k, v) for k, v in pairs})
    return params


def sign_request(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The X-Slack-Request-Timestamp and X-Slack-Signature headers Slack puts on ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def signed_slash_command(
    signing_secret: str,
    *,
    command: str,
    text: str,
    team_id: str,
    channel_id: str,
    user_id: str,
    response_url: str,
    timestamp: int | None = None,
    team_domain: str = "shiftwatch-test",
    channel_name: str = "alerts",
    user_name: str = "tester",
    api_app_id: str = "A0APPID001",
    trigger_id: str = "1000000001.1000000002.0123456789abcdef0123456789abcdef",
) -> tuple[bytes, dict[str, str]]:
    """A slash-command request as Slack sends it: form-encoded body and signed headers.

    The signature is ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the
    signing secret; ``timestamp`` defaults to now (verifiers reject ones older than 5 min).
    """
    fields = {
        "token": "emulator-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    body = urlencode(fields).encode("utf-8")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        **sign_request(signing_secret, body, timestamp),
    }
    return body, headers


_Handler = Callable[[dict[str, Any]], dict[str, Any]]


class SlackWebAPI(EmulatorServer):
    """The Slack Web API on 127.0.0.1, for the real slack_sdk / slack-bolt clients.

    Use ``AsyncWebClient(token=api.token, base_url=api.base_url)`` (slack-bolt: pass that
    client to ``AsyncApp(client=...)``).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        team_id: str = "T0EMULATOR",
        team: str = "ShiftWatch Test",
        team_domain: str = "shiftwatch-test",
        bot_user_id: str = "U0BOTUSER1",
        bot_user: str = "shiftwatch",
        bot_id: str = "B0BOTID001",
        app_id: str = "A0APPID001",
        channels: Mapping[str, str] | None = None,
    ) -> None:
        """Configure the workspace; ``channels`` maps channel id to name (the bot is in them)."""
        super().__init__()
        self.token = token
        self.team_id = team_id
        self.team = team
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_user = bot_user
        self.bot_id = bot_id
        self.app_id = app_id
        self._channels: dict[str, _Channel] = {}
        for channel_id, name in (DEFAULT_CHANNELS if channels is None else channels).items():
            self.add_channel(channel_id, name)
        self._posted: list[PostedMessage] = []
        self._responses: list[ResponsePost] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._last_ts_us = 0
        self._uploads: dict[str, _PendingUpload] = {}
        self._files: list[UploadedFile] = []
        self._methods: dict[str, _Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "conversations.info": self._conversations_info,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # -- URLs ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The client's ``base_url``: ``http://127.0.0.1:PORT/api/`` (trailing slash)."""
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        """A response URL whose POSTs are kept under ``name``."""
        return f"{self.url}/response/{name}"

    # -- state set-up --------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_member: bool = True,
        is_archived: bool = False,
        is_private: bool = False,
    ) -> None:
        """Make a channel known (or change it)."""
        with self._cond:
            self._channels[channel_id] = _Channel(
                channel_id, name, is_member, is_archived, is_private
            )

    def remove_channel(self, channel_id: str) -> None:
        """Forget a channel (later calls get channel_not_found)."""
        with self._cond:
            self._channels.pop(channel_id, None)

    # -- fault switches ------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``error`` defaults to "ratelimited" (HTTP 429 with a Retry-After header), or to
        "internal_error" when ``status`` is 5xx. Other errors (channel_not_found,
        not_in_channel, is_archived, ...) come with HTTP 200, as Slack sends them.
        ``method`` may also be "response_url" (any response URL).
        """
        if method != _RESPONSE_URL_KEY and method not in self._methods:
            raise ValueError(f"the emulator does not implement {method!r}")
        if error is None:
            error = "internal_error" if status is not None and status >= 500 else "ratelimited"
        if status is None:
            status = 429 if error == "ratelimited" else 200
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        with self._cond:
            self._faults.setdefault(method, []).append(_Fault(error, status, headers, times))

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer every later call of ``method`` only after ``seconds`` (0 removes it)."""
        if method != _RESPONSE_URL_KEY and method not in self._methods:
            raise ValueError(f"the emulator does not implement {method!r}")
        super().set_delay(method, seconds)

    # -- assertions ----------------------------------------------------------------------

    def posted_messages(self, channel: str | None = None) -> list[PostedMessage]:
        """Delivered chat.postMessage calls, oldest first (only to ``channel`` if given)."""
        with self._cond:
            return [m for m in self._posted if channel is None or m.channel == channel]

    def uploaded_files(self, channel: str | None = None) -> list[UploadedFile]:
        """Files shared by files.completeUploadExternal, oldest first (only in ``channel``)."""
        with self._cond:
            return [f for f in self._files if channel is None or f.channel == channel]

    def responses(self, name: str | None = None) -> list[ResponsePost]:
        """POSTs to response URLs, oldest first (only to ``name`` if given)."""
        with self._cond:
            return [r for r in self._responses if name is None or r.name == name]

    async def wait_for_responses(
        self, count: int = 1, *, name: str | None = None, timeout: float = 3.0
    ) -> list[ResponsePost]:
        """Wait (without blocking the event loop) for ``count`` response-URL POSTs."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.responses(name)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(found)} of {count} responses after {timeout} s")
            await asyncio.sleep(0.01)

    # -- request handling ----------------------------------------------------------------

    def handle(self, request: IncomingRequest) -> Reply:
        """Route ``/api/{method}`` and ``/response/{name}``."""
        if request.path.startswith("/response/"):
            return self._handle_response_url(request)
        if request.path.startswith("/upload/"):
            return self._handle_upload(request)
        method = request.path.removeprefix("/api/") if request.path.startswith("/api/") else ""
        try:
            params = parse_params(request)
        except SlackError as exc:
            return self._record(method, {}, request, exc.reply())
        handler = self._methods.get(method)
        if handler is None:
            reply = Reply(404, {"ok": False, "error": "unknown_method", "req_method": method})
            return self._record(method, params, request, reply)
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else params.pop("token", None)
        if not token:
            return self._record(method, params, request, SlackError("not_authed").reply())
        if token != self.token:
            return self._record(method, params, request, SlackError("invalid_auth").reply())
        self._delay_for(method)
        try:
            self._raise_fault(method)
            body = {"ok": True, **handler(params)}
        except SlackError as exc:
            return self._record(method, params, request, exc.reply())
        header = request.content_type_header.lower()
        if request.content_type == "application/json" and "charset" not in header:
            body["warning"] = "missing_charset"
            body["response_metadata"] = {"warnings": ["missing_charset"]}
        return self._record(method, params, request, Reply(200, body))

    def _handle_response_url(self, request: IncomingRequest) -> Reply:
        name = request.path.removeprefix("/response/")
        method = f"{_RESPONSE_URL_KEY}:{name}"
        if request.http_method != "POST":
            return self._record(method, {}, request, Reply(405, b"", content_type="text/html"))
        if request.content_type == "application/json":
            try:
                body: Any = json.loads(request.body.decode("utf-8"))
            except ValueError:
                reply = Reply(400, b"invalid_payload", content_type="text/html")
                return self._record(method, {}, request, reply)
        else:
            body = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        params = body if isinstance(body, dict) else {"payload": body}
        self._delay_for(_RESPONSE_URL_KEY)
        try:
            self._raise_fault(_RESPONSE_URL_KEY)
        except SlackError as exc:
            reply = Reply(exc.status, exc.error.encode(), exc.headers, "text/html")
            return self._record(method, params, request, reply)
        with self._cond:
            self._responses.append(
                ResponsePost(name, body, request.body, request.content_type, dict(request.headers))
            )
        return self._record(method, params, request, Reply(200, b"ok", content_type="text/html"))

    def _handle_upload(self, request: IncomingRequest) -> Reply:
        """The upload URL files.getUploadURLExternal hands out: the file's bytes, POSTed."""
        file_id = request.path.removeprefix("/upload/")
        with self._cond:
            pending = self._uploads.get(file_id)
            if request.http_method != "POST" or pending is None:
                reply = Reply(404, b"not found", content_type="text/plain")
            else:
                pending.data = request.body
                reply = Reply(200, f"OK - {len(request.body)}".encode(), content_type="text/plain")
        return self._record(f"upload:{file_id}", {"length": len(request.body)}, request, reply)

    def _raise_fault(self, method: str) -> None:
        with self._cond:
            queue = self._faults.get(method)
            if not queue:
                return
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
        raise SlackError(fault.error, fault.status, dict(fault.headers))

    def _next_ts(self) -> str:
        with self._cond:
            self._last_ts_us = max(self._last_ts_us + 1, int(time.time() * 1_000_000))
            seconds, micros = divmod(self._last_ts_us, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def _channel(self, value: Any) -> _Channel:
        if not isinstance(value, str) or not value:
            raise SlackError("channel_not_found")
        with self._cond:
            if value in self._channels:
                return self._channels[value]
            name = value.removeprefix("#")
            for channel in self._channels.values():
                if channel.name == name:
                    return channel
        raise SlackError("channel_not_found")

    # -- methods -------------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team,
            "user": self.bot_user,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        if not channel.is_member:
            raise SlackError("not_in_channel")
        text = params.get("text")
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            raise SlackError("invalid_blocks_format")
        if blocks is not None and (
            not isinstance(blocks, list)
            or not all(isinstance(b, dict) and b.get("type") for b in blocks)
        ):
            raise SlackError("invalid_blocks")
        if not text and not blocks and not params.get("attachments"):
            raise SlackError("no_text")
        if isinstance(text, str) and len(text) > _MAX_TEXT:
            raise SlackError("msg_too_long")
        ts = self._next_ts()
        message: dict[str, Any] = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": text or "",
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.bot_user,
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        if blocks:
            message["blocks"] = blocks
        thread_ts = params.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        posted = PostedMessage(
            channel=channel.id,
            text=text,
            blocks=blocks,
            unfurl_links=params.get("unfurl_links"),
            unfurl_media=params.get("unfurl_media"),
            thread_ts=str(thread_ts) if thread_ts else None,
            ts=ts,
            params=dict(params),
            message=message,
        )
        with self._cond:
            self._posted.append(posted)
        return {"channel": channel.id, "ts": ts, "message": message}

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        if not isinstance(filename, str) or not filename:
            raise SlackError("invalid_arguments")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None
        if length <= 0:
            raise SlackError("invalid_length")
        with self._cond:
            file_id = f"F{len(self._uploads) + 1:09d}"
            self._uploads[file_id] = _PendingUpload(file_id, filename, length,
                                                    params.get("alt_txt") or None)
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                raise SlackError("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        channel = None
        if params.get("channel_id"):
            channel = self._channel(params.get("channel_id"))
            if not channel.is_member:
                raise SlackError("not_in_channel")
        shared = []
        with self._cond:
            for entry in files:
                pending = self._uploads.get(str(entry.get("id")) if isinstance(entry, dict) else "")
                if pending is None or pending.data is None:
                    raise SlackError("file_not_found")
                if len(pending.data) != pending.length:
                    raise SlackError("file_upload_size_mismatch")
            for entry in files:
                pending = self._uploads.pop(str(entry["id"]))
                assert pending.data is not None
                title = entry.get("title") or pending.filename
                if channel is not None:
                    self._files.append(UploadedFile(
                        pending.file_id, channel.id, pending.filename, title, pending.alt_txt,
                        params.get("initial_comment") or None, pending.data))
                shared.append({"id": pending.file_id, "name": pending.filename, "title": title,
                               "size": len(pending.data), "user": self.bot_user_id,
                               "channels": [channel.id] if channel else []})
        return {"files": shared}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        return {
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "name_normalized": channel.name,
                "is_channel": not channel.is_private,
                "is_group": channel.is_private,
                "is_im": False,
                "is_mpim": False,
                "is_private": channel.is_private,
                "is_archived": channel.is_archived,
                "is_general": channel.name == "general",
                "is_shared": False,
                "is_ext_shared": False,
                "is_org_shared": False,
                "is_member": channel.is_member,
                "created": channel.created,
                "creator": "U0CREATOR1",
                "context_team_id": self.team_id,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
                "previous_names": [],
            }
        }
