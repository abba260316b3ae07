"""The two SMS backends: files for the demo and the tests, and GOV.UK Notify through its official
client against a local server that speaks Notify's API (tests/notifications/fake_notify.py)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from notifications.sms import (
    FileSmsBackend,
    NotifySmsBackend,
    SmsConfigurationError,
    SmsPermanentFailure,
    SmsTemporaryFailure,
    is_uk_mobile,
    same_number,
    sms_backend,
    text_length,
)
from tests.notifications.conftest import LANDLINE, MOBILE, texts_in
from tests.notifications.fake_notify import API_KEY, SERVICE_ID, TEMPLATE_ID, FakeNotify


def test_the_file_backend_writes_one_file_per_text(tmp_path: Path) -> None:
    backend = FileSmsBackend(tmp_path / "sms")
    backend.send(phone=MOBILE, body="Application HC-7KQ4-M2XD received.", reference="a:1")
    backend.send(phone=MOBILE, body="Your request HC-7KQ4-M2XD is now finished.", reference="b:2")
    files = texts_in(tmp_path / "sms")
    assert len(files) == 2
    assert f"To: {MOBILE}" in files[0] and "Application HC-7KQ4-M2XD received." in files[0]
    assert "Reference: a:1" in files[0]
    assert "1 fragment(s)" in files[0]


def test_the_settings_choose_the_backend_and_its_folder(settings: Any, tmp_path: Path) -> None:
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "elsewhere"
    backend = sms_backend()
    assert isinstance(backend, FileSmsBackend) and backend.path == tmp_path / "elsewhere"
    settings.SMS_BACKEND = "notify"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_SMS_TEMPLATE_ID = TEMPLATE_ID
    assert isinstance(sms_backend(), NotifySmsBackend)
    settings.NOTIFY_API_KEY = None
    with pytest.raises(SmsConfigurationError):
        sms_backend()


def notify_backend(fake: FakeNotify, **overrides: Any) -> NotifySmsBackend:
    options = {"api_key": API_KEY, "template_id": TEMPLATE_ID, "base_url": fake.url, "timeout": 5}
    return NotifySmsBackend(**{**options, **overrides})


def test_notify_gets_the_one_template_with_the_rendered_body_and_a_signed_token(
    notify: FakeNotify,
) -> None:
    provider_id = notify_backend(notify).send(
        phone=MOBILE, body="Your code for HC-7KQ4-M2XD is 123456.", reference="code:1"
    )
    assert provider_id
    assert notify.token_errors == []
    assert notify.received == [
        {
            "phone_number": MOBILE,
            "template_id": TEMPLATE_ID,
            "personalisation": {"body": "Your code for HC-7KQ4-M2XD is 123456."},
            "reference": "code:1",
        }
    ]


def test_a_number_notify_refuses_is_a_permanent_failure(notify: FakeNotify) -> None:
    with pytest.raises(SmsPermanentFailure) as refused:
        notify_backend(notify).send(phone=LANDLINE, body="x", reference="r")
    assert refused.value.reason == "not_a_mobile"
    assert "phone_number" in refused.value.detail


@pytest.mark.parametrize("status", [500, 503, 429])
def test_notify_errors_worth_retrying_are_temporary(notify: FakeNotify, status: int) -> None:
    notify.fail_next(status)
    with pytest.raises(SmsTemporaryFailure) as failed:
        notify_backend(notify).send(phone=MOBILE, body="x", reference="r")
    assert failed.value.reason == f"notify_{status}"


def test_notify_refusing_the_portal_itself_is_a_configuration_error(notify: FakeNotify) -> None:
    wrong_secret = f"portal_test-{SERVICE_ID}-00000000-0000-0000-0000-000000000000"
    with pytest.raises(SmsConfigurationError) as refused:
        notify_backend(notify, api_key=wrong_secret).send(phone=MOBILE, body="x", reference="r")
    assert refused.value.reason == "notify_403"
    assert notify.token_errors  # the fake checked the signature and refused it
    with pytest.raises(SmsConfigurationError):
        notify_backend(notify, template_id="not-the-template").send(
            phone=MOBILE, body="x", reference="r"
        )
    with pytest.raises(SmsConfigurationError, match="notify_bad_key"):
        notify_backend(notify, api_key="short").send(phone=MOBILE, body="x", reference="r")


def test_notify_out_of_reach_is_temporary(notify: FakeNotify) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(SmsTemporaryFailure):
        notify_backend(notify, base_url=closed, timeout=2).send(
            phone=MOBILE, body="x", reference="r"
        )


def test_lengths_follow_the_encoding() -> None:
    assert text_length("a" * 160).fragments == 1
    assert text_length("a" * 161).fragments == 2
    assert text_length("€" * 80).characters == 160  # an extension character counts twice
    arabic = text_length("ب" * 70)
    assert (arabic.encoding, arabic.fragments) == ("UCS-2", 1)
    assert text_length("ب" * 71).fragments == 2
    assert text_length("ł" + "a" * 69).encoding == "UCS-2"  # one Polish letter is enough
    assert text_length("a" * 135).fragments == 1 and text_length("ب" * 135).fragments == 3


def test_numbers_compare_in_either_form() -> None:
    assert same_number("+44 7700 900123", "07700-900-123")
    assert not same_number("", "")
    assert is_uk_mobile("+447700900123") and not is_uk_mobile(LANDLINE)
