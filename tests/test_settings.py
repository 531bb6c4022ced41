"""Settings: the one reader of the environment, chat services' variables included."""

from __future__ import annotations

import pytest

from bot.errors import BotError
from bot.settings import Settings


def test_the_chat_services_variables_are_read_into_settings() -> None:
    settings = Settings.from_env({
        "TELEGRAM_ALLOWED_CHATS": "12, -34;56", "TELEGRAM_WEBHOOK_URL": " https://bot.example/tg ",
        "TELEGRAM_WEBHOOK_PORT": "8444", "TELEGRAM_WEBHOOK_SECRET": "s3",
        "SLACK_SIGNING_SECRET": "sig", "SLACK_APP_TOKEN": "xapp-1", "SLACK_HOST": "127.0.0.1",
        "SLACK_PORT": "0", "SLACK_ALLOWED_TEAMS": "T1, T2", "SLACK_ALLOWED_CHANNELS": "C1"})
    assert settings.telegram_allowed_chats == {12, -34, 56}
    assert (settings.telegram_webhook_url, settings.telegram_webhook_port,
            settings.telegram_webhook_secret) == ("https://bot.example/tg", 8444, "s3")
    assert (settings.slack_signing_secret, settings.slack_app_token, settings.slack_host,
            settings.slack_port) == ("sig", "xapp-1", "127.0.0.1", 0)
    assert settings.slack_allowed_teams == {"T1", "T2"}
    assert settings.slack_allowed_channels == {"C1"}


def test_unset_chat_variables_leave_the_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.telegram_allowed_chats == frozenset() and settings.telegram_webhook_url is None
    assert (settings.telegram_webhook_port, settings.slack_port, settings.slack_host) == (
        8443, 3000, "0.0.0.0")


@pytest.mark.parametrize(("name", "value", "message"), [
    ("TELEGRAM_ALLOWED_CHATS", "me", "TELEGRAM_ALLOWED_CHATS: 'me' is not a chat id"),
    ("TELEGRAM_WEBHOOK_PORT", "https", "TELEGRAM_WEBHOOK_PORT must be a port number, not 'https'"),
    ("SLACK_PORT", "x", "SLACK_PORT must be a port number, not 'x'"),
])
def test_a_bad_chat_variable_is_one_line_naming_it(name: str, value: str, message: str) -> None:
    with pytest.raises(BotError) as raised:
        Settings.from_env({name: value})
    assert str(raised.value) == message
