"""An emulator of the Telegram Bot API for tests, spoken to by the real python-telegram-bot.

Serves ``/bot{token}/{method}`` on 127.0.0.1. Parameters are accepted the way PTB 22 sends
them (``application/x-www-form-urlencoded`` with non-string values JSON-encoded, or
``multipart/form-data`` when files are uploaded), as JSON bodies, and as query strings.
Answers use the real API's envelopes (``{"ok": true, "result": ...}`` and
``{"ok": false, "error_code": N, "description": ...}``) and object shapes.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any, Literal
from urllib.parse import parse_qsl

from . import EmulatorServer, IncomingRequest, Reply

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "SentMessage",
    "SentPhoto",
    "TelegramBotAPI",
    "UploadedFile",
    "parse_formatted_text",
]

DEFAULT_TOKEN = "123456789:AAH-emulator-test-token-0123456789ab"

ChatType = Literal["private", "group", "supergroup", "channel"]

#: The real API's descriptions for the statuses fail_next() can inject.
DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

#: What a 403 on sendMessage says, by the type of the chat the bot is shut out of.
_BLOCKED_DESCRIPTIONS: dict[str, str] = {
    "private": "Forbidden: bot was blocked by the user",
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot is not a member of the channel chat",
}

#: Parameters that are strings in the Bot API: never JSON-decoded from a form field.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "title",
        "description",
        "short_description",
        "name",
        "username",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "query",
        "emoji",
        "custom_title",
        "business_connection_id",
        "message_effect_id",
        "first_name",
        "last_name",
        "address",
        "phone_number",
        "vcard",
        "question",
        "explanation",
        "payload",
        "provider_token",
        "currency",
        "start_parameter",
        "callback_query_id",
        "inline_query_id",
        "file_id",
        "sticker",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "thumbnail",
        "certificate",
        "invite_link",
    }
)

_DEFAULT_SCOPE: dict[str, Any] = {"type": "default"}
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"


class ApiError(Exception):
    """Raised inside a method handler to answer with a Bot API error."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def reply(self) -> Reply:
        """The error as the real API sends it."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return Reply(self.status, body)


def _bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SentMessage:
    """A delivered sendMessage call: what the bot sent and the Message the API returned."""

    chat_id: int
    text: str
    parse_mode: str | None
    plain_text: str
    entities: list[dict[str, Any]]
    link_preview_options: dict[str, Any] | None
    disable_web_page_preview: bool | None
    disable_notification: bool | None
    reply_markup: dict[str, Any] | None
    message_id: int
    params: dict[str, Any]
    message: dict[str, Any]

    @property
    def link_preview_disabled(self) -> bool:
        """Whether the bot asked for no link preview (either spelling of the option)."""
        options = self.link_preview_options or {}
        return bool(options.get("is_disabled") or self.disable_web_page_preview)


@dataclass(frozen=True)
class SentPhoto:
    """A delivered sendPhoto call: the uploaded picture, its caption and the Message returned."""

    chat_id: int
    photo: UploadedFile
    caption: str | None
    parse_mode: str | None
    plain_caption: str
    message_id: int
    params: dict[str, Any]
    message: dict[str, Any]


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG (from its IHDR chunk); None for what is not an image."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(_JPEG_SIGNATURE):
        return (0, 0)  # accepted; its size is not read
    return None


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    admins: set[int] = field(default_factory=set)
    owner_id: int | None = None
    members: set[int] = field(default_factory=set)
    blocked: bool = False
    last_message_id: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The Chat object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or f"User {self.id}"
        else:
            data["title"] = self.title or f"Chat {self.id}"
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None
    remaining: int


# -- parameter parsing -----------------------------------------------------------------------


def _coerce(name: str, value: str) -> Any:
    """A form/query value as the API reads it: strings stay, the rest is JSON-decoded."""
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_multipart(request: IncomingRequest) -> dict[str, Any]:
    head = f"Content-Type: {request.content_type_header}\r\nMIME-Version: 1.0\r\n\r\n"
    message = message_from_bytes(head.encode("latin-1") + request.body)
    params: dict[str, Any] = {}
    if not message.is_multipart():
        raise _bad_request("bad multipart/form-data body")
    parts = message.get_payload()
    assert isinstance(parts, list)
    for part in parts:
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        raw = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            params[name] = UploadedFile(filename, part.get_content_type(), raw)
        else:
            charset = part.get_content_charset() or "utf-8"
            params[name] = _coerce(name, raw.decode(charset))
    return params


def parse_params(request: IncomingRequest) -> dict[str, Any]:
    """Merge query-string and body parameters into Python values."""
    params: dict[str, Any] = {k: _coerce(k, v) for k, v in request.query.items()}
    if not request.body:
        return params
    kind = request.content_type
    if kind == "application/json":
        try:
            body = json.loads(request.body.decode("utf-8"))
        except ValueError as exc:
            raise _bad_request("can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise _bad_request("JSON object expected")
        params.update(body)
    elif kind == "multipart/form-data":
        params.update(_parse_multipart(request))
    else:  # x-www-form-urlencoded, also when the client sent no Content-Type
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        params.update({k: _coerce(k, v) for k, v in pairs})
    return params


# -- formatted text ------------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTR_RE = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _TextBuilder:
    """Collects plain text and entities with UTF-16 offsets."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += _utf16_len(text)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _TextBuilder(text)
    stack: list[tuple[str, int, dict[str, str]]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&":
            end = text.find(";", i + 1, i + 12)
            name = text[i + 1 : end] if end != -1 else ""
            if name in _NAMED_ENTITIES:
                out.add(_NAMED_ENTITIES[name])
                i = end + 1
                continue
            if re.fullmatch(r"#(\d{1,7}|x[0-9a-fA-F]{1,6})", name):
                out.add(html.unescape(f"&{name};"))
                i = end + 1
                continue
            out.add(char)
            i += 1
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        close = text.find(">", i)
        if close == -1:
            raise _bad_request(
                f"can't parse entities: Unclosed start tag at byte offset {out.byte_offset(i)}"
            )
        inner = text[i + 1 : close]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise _bad_request(
                    f"can't parse entities: Unexpected end tag at byte offset {out.byte_offset(i)}"
                )
            open_name, start, attrs = stack.pop()
            if name and name != open_name:
                raise _bad_request(
                    f"can't parse entities: Unmatched end tag at byte offset "
                    f'{out.byte_offset(i)}, expected "</{open_name}>", found "</{name}>"'
                )
            _close_html_entity(out, open_name, start, attrs, stack)
        else:
            match = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", inner)
            name = match.group(0).lower() if match else ""
            attrs = {
                m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None), "")
                for m in _ATTR_RE.finditer(inner[len(name) :])
            }
            if name not in _HTML_TAGS or (name == "span" and attrs.get("class") != "tg-spoiler"):
                raise _bad_request(
                    f'can\'t parse entities: Unsupported start tag "{name}" at byte offset '
                    f"{out.byte_offset(i)}"
                )
            stack.append((name, out.pos, attrs))
        i = close + 1
    if stack:
        raise _bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    return out.result()


def _close_html_entity(
    out: _TextBuilder,
    name: str,
    start: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str]]],
) -> None:
    kind = _HTML_TAGS[name]
    if name == "a":
        href = attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            user_dict = {"id": int(user.group(1)), "is_bot": False, "first_name": "User"}
            out.entity("text_mention", start, user=user_dict)
        elif href:
            out.entity("text_link", start, url=href)
        return
    if name == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1][2]["language"] = language
        return
    if name == "pre" and attrs.get("language"):
        out.entity("pre", start, language=attrs["language"])
        return
    if name == "blockquote" and "expandable" in attrs:
        out.entity("expandable_blockquote", start)
        return
    if name == "tg-emoji":
        out.entity(kind, start, custom_emoji_id=attrs.get("emoji-id", ""))
        return
    out.entity(kind, start)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_TOGGLES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def _parse_markdown(text: str, *, v2: bool) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 (strict about reserved characters) or legacy Markdown."""
    out = _TextBuilder(text)
    open_marks: list[tuple[str, int, int]] = []  # (mark, utf16 start, source index)
    link_start: tuple[int, int] | None = None
    toggles = _MDV2_TOGGLES if v2 else {"*": "bold", "_": "italic"}
    i = 0
    at_line_start = True
    while i < len(text):
        char = text[i]
        if char == "\\" and v2:
            if i + 1 < len(text):
                out.add(text[i + 1])
                i += 2
            else:
                raise _bad_request(
                    "can't parse entities: Character '\\' is reserved and must be escaped "
                    "with the preceding '\\'"
                )
            at_line_start = False
            continue
        if char == "`":
            fence = text.startswith("```", i)
            width = 3 if fence else 1
            end = _find_unescaped(text, "`" * width, i + width, escapes=v2)
            if end == -1:
                raise _bad_request(
                    "can't parse entities: Can't find end of the entity starting at byte "
                    f"offset {out.byte_offset(i)}"
                )
            body = text[i + width : end]
            language = ""
            if fence and "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            start = out.pos
            out.add(re.sub(r"\\([`\\])", r"\1", body) if v2 else body)
            if fence:
                out.entity("pre", start, **({"language": language} if language else {}))
            else:
                out.entity("code", start)
            i = end + width
            at_line_start = False
            continue
        if char == ">" and v2 and at_line_start:
            end = text.find("\n", i)
            end = len(text) if end == -1 else end
            start = out.pos
            inner, entities = _parse_markdown(text[i + 1 : end], v2=True)
            out.add(inner)
            out.entities.extend({**e, "offset": e["offset"] + start} for e in entities)
            out.entity("blockquote", start)
            i = end
            continue
        mark = text[i : i + 2] if text[i : i + 2] in toggles else char
        if mark in toggles:
            opened = next((m for m in reversed(open_marks) if m[0] == mark), None)
            if opened is not None:
                open_marks.remove(opened)
                out.entity(toggles[mark], opened[1])
            else:
                open_marks.append((mark, out.pos, i))
            i += len(mark)
            at_line_start = False
            continue
        if char == "[" and link_start is None:
            link_start = (out.pos, i)
            i += 1
            continue
        if char == "]" and link_start is not None and text.startswith("(", i + 1):
            end = _find_unescaped(text, ")", i + 2, escapes=v2)
            if end == -1:
                raise _bad_request(
                    "can't parse entities: Can't find end of a URL at byte offset "
                    f"{out.byte_offset(i + 1)}"
                )
            url = re.sub(r"\\([)\\])", r"\1", text[i + 2 : end]) if v2 else text[i + 2 : end]
            out.entity("text_link", link_start[0], url=url)
            link_start = None
            i = end + 1
            continue
        if v2 and char in _MDV2_RESERVED:
            raise _bad_request(
                f"can't parse entities: Character '{char}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        out.add(char)
        at_line_start = char == "\n"
        i += 1
    pending = [*open_marks, *([("[", *link_start)] if link_start else [])]
    if pending:
        first = min(pending, key=lambda m: m[2])
        raise _bad_request(
            "can't parse entities: Can't find end of the entity starting at byte offset "
            f"{out.byte_offset(first[2])}"
        )
    return out.result()


def _find_unescaped(text: str, needle: str, start: int, *, escapes: bool) -> int:
    i = start
    while i < len(text):
        if escapes and text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1


def parse_formatted_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of ``text`` as the Bot API derives them for ``parse_mode``.

    Raises :class:`ApiError` (400 "can't parse entities ...") on markup the real API rejects,
    e.g. an unescaped ``<`` or an unsupported tag such as ``<br>`` in HTML, or an unescaped
    reserved character such as ``.`` or ``-`` in MarkdownV2.
    """
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown(text, v2=True)
    if mode == "markdown":
        return _parse_markdown(text, v2=False)
    raise _bad_request(f"unsupported parse_mode {parse_mode!r}")


# -- the emulator -------------------------------------------------------------------------------

_Handler = Callable[[dict[str, Any]], Any]


class TelegramBotAPI(EmulatorServer):
    """The Telegram Bot API on 127.0.0.1, for the real python-telegram-bot.

    Use ``Bot(token, base_url=api.base_url)`` or
    ``ApplicationBuilder().token(token).base_url(api.base_url)``; code that takes the API root
    (``TELEGRAM_API_URL``, calling ``{root}/bot{token}/{method}``) uses :attr:`api_root`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "shiftwatch_test_bot",
        bot_first_name: str = "ShiftWatch Test",
        long_poll_cap: float = 1.0,
        admins: Mapping[int, Iterable[int]] | None = None,
        strict_chats: bool = False,
    ) -> None:
        """Configure the bot.

        ``long_poll_cap`` bounds how long getUpdates blocks whatever ``timeout`` it asks for;
        ``admins`` maps chat id to admin user ids; with ``strict_chats`` a chat must be known
        (add_chat, send_user_message, set_admins) or the API answers "chat not found",
        otherwise unknown chat ids are taken as existing chats.
        """
        super().__init__()
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456789
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.long_poll_cap = long_poll_cap
        self.strict_chats = strict_chats
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_000_001
        self._allowed_updates: list[str] = []
        self._sent: list[SentMessage] = []
        self._photos: list[SentPhoto] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._webhook: dict[str, Any] = {}
        self._methods: dict[str, tuple[str, _Handler]] = {}
        for name, handler in {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
        }.items():
            self._methods[name.lower()] = (name, handler)
        for chat_id, user_ids in (admins or {}).items():
            self.set_admins(chat_id, user_ids)

    # -- URLs ----------------------------------------------------------------------------

    @property
    def api_root(self) -> str:
        """The API root: the bot calls ``{api_root}/bot{token}/{method}``."""
        return self.url

    @property
    def base_url(self) -> str:
        """The value for PTB's ``base_url`` (PTB appends the token to it)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for PTB's ``base_file_url`` (file downloads are not emulated)."""
        return f"{self.url}/file/bot"

    def method_url(self, method: str, token: str | None = None) -> str:
        """The full URL of one method."""
        return f"{self.url}/bot{token or self.token}/{method}"

    # -- state set-up for tests ----------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's User object, as getMe returns it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def add_chat(
        self,
        chat_id: int,
        *,
        chat_type: ChatType | None = None,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """Make a chat known (or update it); returns its Chat object."""
        with self._cond:
            chat = self._chat(chat_id, create=True)
            if chat_type is not None:
                chat.type = chat_type
            if title is not None:
                chat.title = title
            if username is not None:
                chat.username = username.lstrip("@")
            if first_name is not None:
                chat.first_name = first_name
            return chat.to_dict()

    def set_admins(
        self, chat_id: int, user_ids: Iterable[int], *, owner_id: int | None = None
    ) -> None:
        """Set the administrators (and optionally the owner) of a chat."""
        with self._cond:
            chat = self._chat(chat_id, create=True)
            chat.admins = set(user_ids)
            if owner_id is not None:
                chat.owner_id = owner_id

    def block_chat(self, chat_id: int, blocked: bool = True) -> None:
        """Make every sendMessage to the chat fail with 403 (until unblocked)."""
        with self._cond:
            self._chat(chat_id, create=True).blocked = blocked

    def unblock_chat(self, chat_id: int) -> None:
        """Undo block_chat()."""
        self.block_chat(chat_id, blocked=False)

    def send_user_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: ChatType | None = None,
        username: str | None = None,
        first_name: str = "Tester",
        chat_title: str | None = None,
    ) -> dict[str, Any]:
        """Enqueue a message Update from a user; returns the Update.

        A text starting with "/" carries a ``bot_command`` entity, so PTB's CommandHandler
        matches it. In a private chat the user id is the chat id.
        """
        kind: ChatType = chat_type or _guess_chat_type(chat_id)
        if user_id is None:
            user_id = chat_id if kind == "private" else 4242
        if kind == "private" and user_id != chat_id:
            raise ValueError("in a private chat the user id is the chat id")
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "en",
        }
        if username:
            user["username"] = username.lstrip("@")
        with self._cond:
            self._users[user_id] = user
            chat = self._chat(chat_id, create=True)
            chat.type = kind
            if kind == "private":
                chat.first_name = first_name
                chat.username = user.get("username")
            elif chat_title is not None:
                chat.title = chat_title
            chat.members.add(user_id)
            chat.last_message_id += 1
            message: dict[str, Any] = {
                "message_id": chat.last_message_id,
                "from": user,
                "chat": chat.to_dict(),
                "date": int(time.time()),
                "text": text,
            }
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
                ]
            return self.enqueue_update({"message": message})

    def enqueue_update(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Enqueue any Update object (``update_id`` is assigned when missing)."""
        with self._cond:
            data = dict(update)
            if "update_id" not in data:
                data["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, int(data["update_id"])) + 1
            self._updates.append(data)
            self._cond.notify_all()
            return data

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return list(self._updates)

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list set for a scope and language."""
        with self._cond:
            return list(self._commands.get(_commands_key(scope, language_code), []))

    # -- fault switches ------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with the real API's error body.

        429 carries ``parameters.retry_after`` (default 1 s); the descriptions default to
        the real API's ("Internal Server Error", "Forbidden: bot was blocked by the user",
        "Bad Request: chat not found", ...).
        """
        canonical = self._canonical(method)
        parameters: dict[str, Any] | None = None
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            parameters = {"retry_after": retry_after}
        text = description or DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        text = text.format(retry_after=retry_after)
        with self._cond:
            self._faults.setdefault(canonical, []).append(_Fault(status, text, parameters, times))

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer every later call of ``method`` only after ``seconds`` (0 removes it).

        The delay comes before the call takes effect: a client that times out meanwhile
        may still have its message delivered, as with the real API.
        """
        super().set_delay(self._canonical(method), seconds)

    # -- assertions ----------------------------------------------------------------------

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Delivered sendMessage calls, oldest first (only to ``chat_id`` if given)."""
        with self._cond:
            return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]

    def sent_photos(self, chat_id: int | None = None) -> list[SentPhoto]:
        """Delivered sendPhoto calls, oldest first (only to ``chat_id`` if given)."""
        with self._cond:
            return [p for p in self._photos if chat_id is None or p.chat_id == chat_id]

    async def wait_for_photos(
        self, count: int = 1, *, chat_id: int | None = None, timeout: float = 5.0
    ) -> list[SentPhoto]:
        """Wait (without blocking the event loop) until ``count`` photos were delivered."""
        deadline = time.monotonic() + timeout
        while True:
            photos = self.sent_photos(chat_id)
            if len(photos) >= count:
                return photos
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(photos)} of {count} photos after {timeout} s")
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self, count: int = 1, *, chat_id: int | None = None, timeout: float = 3.0
    ) -> list[SentMessage]:
        """Wait (without blocking the event loop) until ``count`` messages were delivered."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.sent_messages(chat_id)
            if len(messages) >= count:
                return messages
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(messages)} of {count} messages after {timeout} s")
            await asyncio.sleep(0.01)

    # -- request handling ----------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        if entry is None:
            raise ValueError(f"the emulator does not implement {method!r}")
        return entry[0]

    def handle(self, request: IncomingRequest) -> Reply:
        """Route ``/bot{token}/{method}``."""
        match = re.fullmatch(r"/bot([^/]*)/([^/]+)", request.path)
        if match is None:
            reply = ApiError(404, "Not Found").reply()
            return self._record(request.path, {}, request, reply)
        token, method = match.groups()
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        try:
            params = parse_params(request)
        except ApiError as exc:
            return self._record(name, {}, request, exc.reply())
        if token != self.token:
            return self._record(name, params, request, ApiError(401, "Unauthorized").reply())
        if entry is None:
            return self._record(name, params, request, ApiError(404, "Not Found").reply())
        self._delay_for(name)
        try:
            self._raise_fault(name)
            result = entry[1](params)
        except ApiError as exc:
            return self._record(name, params, request, exc.reply())
        body: dict[str, Any] = {"ok": True, "result": result}
        if isinstance(result, _Described):
            body = {"ok": True, "result": result.value, "description": result.description}
        return self._record(name, params, request, Reply(200, body))

    def _raise_fault(self, method: str) -> None:
        with self._cond:
            queue = self._faults.get(method)
            if not queue:
                return
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
        raise ApiError(fault.status, fault.description, fault.parameters)

    def _chat(self, chat_id: int, *, create: bool = False) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if not create and self.strict_chats:
                raise _bad_request("chat not found")
            chat = _Chat(chat_id, _guess_chat_type(chat_id))
            self._chats[chat_id] = chat
        return chat

    def _resolve_chat(self, value: Any) -> _Chat:
        if value is None or value == "":
            raise _bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if chat.username and chat.username.lower() == value[1:].lower():
                    return chat
            raise _bad_request("chat not found")
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise _bad_request("chat not found") from None
        return self._chat(chat_id)

    def _user(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        return self._users.get(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )

    # -- methods -------------------------------------------------------------------------

    def _true(self, params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        deadline = time.monotonic() + min(timeout, self.long_poll_cap)
        with self._cond:
            if self._webhook.get("url"):
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if "allowed_updates" in params and isinstance(params["allowed_updates"], list):
                self._allowed_updates = [str(u) for u in params["allowed_updates"]]
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            while True:
                if self._allowed_updates:
                    allowed = set(self._allowed_updates) | {"update_id"}
                    self._updates = [u for u in self._updates if set(u) <= allowed]
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self.closing:
                    return [dict(u) for u in self._updates[:limit]]
                self._cond.wait(remaining)

    def _set_webhook(self, params: dict[str, Any]) -> _Described:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        with self._cond:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            if not url:
                self._webhook = {}
                return _Described(True, "Webhook was deleted")
            self._webhook = {
                "url": url,
                "max_connections": _int_param(params, "max_connections", 40),
                "allowed_updates": params.get("allowed_updates"),
                "secret_token": params.get("secret_token"),
            }
        return _Described(True, "Webhook was set")

    def _delete_webhook(self, params: dict[str, Any]) -> _Described:
        with self._cond:
            had = bool(self._webhook.get("url"))
            self._webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return _Described(True, "Webhook was deleted" if had else "Webhook is already deleted")

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            info: dict[str, Any] = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if info["url"]:
                info["max_connections"] = self._webhook["max_connections"]
                if self._webhook.get("allowed_updates"):
                    info["allowed_updates"] = self._webhook["allowed_updates"]
            return info

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        parse_mode = params.get("parse_mode") or None
        with self._cond:
            chat = self._resolve_chat(params.get("chat_id"))
            if not isinstance(text, str) or not text.strip():
                raise _bad_request("message text is empty")
            plain, entities = parse_formatted_text(text, parse_mode)
            if parse_mode is None and isinstance(params.get("entities"), list):
                entities = list(params["entities"])
            if not plain.strip():
                raise _bad_request("message text is empty")
            if _utf16_len(plain) > _MAX_TEXT:
                raise _bad_request("message is too long")
            if chat.blocked:
                raise ApiError(403, _BLOCKED_DESCRIPTIONS[chat.type])
            chat.last_message_id += 1
            message: dict[str, Any] = {
                "message_id": chat.last_message_id,
                "from": self._user(self.bot_id),
                "chat": chat.to_dict(),
                "date": int(time.time()),
                "text": plain,
            }
            if entities:
                message["entities"] = entities
            link_options = params.get("link_preview_options")
            if isinstance(link_options, dict):
                message["link_preview_options"] = link_options
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            self._sent.append(
                SentMessage(
                    chat_id=chat.id,
                    text=text,
                    parse_mode=parse_mode,
                    plain_text=plain,
                    entities=entities,
                    link_preview_options=link_options if isinstance(link_options, dict) else None,
                    disable_web_page_preview=params.get("disable_web_page_preview"),
                    disable_notification=params.get("disable_notification"),
                    reply_markup=markup if isinstance(markup, dict) else None,
                    message_id=chat.last_message_id,
                    params=dict(params),
                    message=message,
                )
            )
            return message

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """sendPhoto with an uploaded file (multipart/form-data), as the real API takes it."""
        photo = params.get("photo")
        caption = params.get("caption")
        parse_mode = params.get("parse_mode") or None
        with self._cond:
            chat = self._resolve_chat(params.get("chat_id"))
            if not isinstance(photo, UploadedFile):
                raise _bad_request("there is no photo in the request")
            size = _image_size(photo.data)
            if size is None:
                raise _bad_request("IMAGE_PROCESS_FAILED")
            plain, entities = ("", [])
            if isinstance(caption, str) and caption:
                plain, entities = parse_formatted_text(caption, parse_mode)
                if _utf16_len(plain) > _MAX_CAPTION:
                    raise _bad_request("message caption is too long")
            if chat.blocked:
                raise ApiError(403, _BLOCKED_DESCRIPTIONS[chat.type])
            chat.last_message_id += 1
            width, height = size
            unique = f"photo-{chat.id}-{chat.last_message_id}"
            message: dict[str, Any] = {
                "message_id": chat.last_message_id,
                "from": self._user(self.bot_id),
                "chat": chat.to_dict(),
                "date": int(time.time()),
                "photo": [{"file_id": unique, "file_unique_id": unique, "width": width,
                           "height": height, "file_size": len(photo.data)}],
            }
            if plain:
                message["caption"] = plain
            if entities:
                message["caption_entities"] = entities
            self._photos.append(
                SentPhoto(
                    chat_id=chat.id,
                    photo=photo,
                    caption=caption if isinstance(caption, str) else None,
                    parse_mode=parse_mode,
                    plain_caption=plain,
                    message_id=chat.last_message_id,
                    params={k: v for k, v in params.items() if k != "photo"},
                    message=message,
                )
            )
            return message

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("commands must be an array")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
        key = _commands_key(params.get("scope"), params.get("language_code") or "")
        with self._cond:
            self._commands[key] = [
                {"command": c["command"], "description": c.get("description", "")} for c in commands
            ]
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands(params.get("scope"), params.get("language_code") or "")

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = _commands_key(params.get("scope"), params.get("language_code") or "")
        with self._cond:
            self._commands.pop(key, None)
        return True

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            chat = self._resolve_chat(params.get("chat_id"))
            info = chat.to_dict()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def _member(self, chat: _Chat, user_id: int) -> dict[str, Any]:
        user = self._user(user_id)
        if chat.owner_id == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in chat.admins:
            rights = dict.fromkeys(
                (
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                    "can_pin_messages",
                ),
                True,
            )
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_promote_members": False,
                **rights,
            }
        in_chat = user_id in chat.members or user_id == self.bot_id
        if chat.type == "private":
            in_chat = user_id in (chat.id, self.bot_id)
        return {"status": "member" if in_chat else "left", "user": user}

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            chat = self._resolve_chat(params.get("chat_id"))
            user_id = _int_param(params, "user_id", 0)
            if user_id <= 0:
                raise _bad_request("invalid user_id specified")
            return self._member(chat, user_id)

    def _get_chat_administrators(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._cond:
            chat = self._resolve_chat(params.get("chat_id"))
            if chat.type == "private":
                raise _bad_request("there are no administrators in the private chat")
            ids = ([chat.owner_id] if chat.owner_id is not None else []) + sorted(
                chat.admins - {chat.owner_id}
            )
            return [self._member(chat, user_id) for user_id in ids]


@dataclass(frozen=True)
class _Described:
    """A result that the real API sends with a ``description`` (webhook methods)."""

    value: Any
    description: str


def _guess_chat_type(chat_id: int) -> ChatType:
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def _int_param(params: Mapping[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


def _commands_key(scope: Any, language_code: str) -> tuple[str, str]:
    return json.dumps(scope or _DEFAULT_SCOPE, sort_keys=True), language_code
