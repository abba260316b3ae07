"""`check --deploy` says clearly when GOV.UK Notify is chosen but not configured."""

from __future__ import annotations

from typing import Any

from consortium.checks import check_text_messages
from tests.notifications.fake_notify import API_KEY, TEMPLATE_ID


def ids(settings: Any) -> set[str]:
    return {m.id for m in check_text_messages(None)}


def test_notify_without_a_key_is_an_error(settings: Any) -> None:
    settings.SMS_BACKEND = "notify"
    settings.NOTIFY_API_KEY = None
    settings.NOTIFY_SMS_TEMPLATE_ID = TEMPLATE_ID
    messages = check_text_messages(None)
    assert [m.id for m in messages] == ["consortium.E004"]
    assert "NOTIFY_API_KEY" in messages[0].msg


def test_notify_with_a_malformed_key_or_no_template_is_an_error(settings: Any) -> None:
    settings.SMS_BACKEND = "notify"
    settings.NOTIFY_API_KEY = "not-a-key"
    settings.NOTIFY_SMS_TEMPLATE_ID = None
    assert ids(settings) == {"consortium.E005", "consortium.E006"}


def test_notify_configured_passes(settings: Any) -> None:
    settings.SMS_BACKEND = "notify"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_SMS_TEMPLATE_ID = TEMPLATE_ID
    assert ids(settings) == set()


def test_files_in_production_are_a_warning(settings: Any) -> None:
    settings.SMS_BACKEND = "file"
    settings.PRODUCTION = True
    assert ids(settings) == {"consortium.W001"}
    settings.PRODUCTION = False
    assert ids(settings) == set()
