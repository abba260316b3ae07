"""A resident who applies on the web and asks for texts gets the confirmation as a text, through
the outbox message the submission wrote, in their language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from notifications import tasks
from notifications.task_names import TASK_SEND_RESIDENT_NOTICE
from outbox.models import OutboxMessage
from tests.applications.conftest import idempotency_key, walk

pytestmark = pytest.mark.django_db


def test_applying_by_text_sends_the_confirmation_as_a_text(
    client: Client, service: Any, offers: Any, member_a: Any, settings: Any, tmp_path: Path
) -> None:
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "file", tmp_path
    walk(client, service, member_a, contact={"contact_method": "text", "phone": "07700 900 123"})
    client.post(
        f"/apply/{service.slug}/preferences/?change=1",
        {"preferred_language": "ar", "accessibility_needs": ""},
    )
    client.post(f"/apply/{service.slug}/sharing/", {"members": [str(member_a.pk)], "consent": "on"})
    client.post(
        f"/apply/{service.slug}/check/", {"idempotency_key": idempotency_key(client, service)}
    )
    message = OutboxMessage.objects.get(task_name=TASK_SEND_RESIDENT_NOTICE)
    assert message.kwargs == {"kind": "application_received", "ids": message.kwargs["ids"]}
    mail.outbox.clear()
    result = tasks.send_resident_notice.apply(
        kwargs={**message.kwargs, "member_id": member_a.pk, "outbox_message_id": str(message.pk)}
    )
    assert result.get() == "text"
    [path] = tmp_path.glob("*.txt")
    text = path.read_text(encoding="utf-8")
    assert "To: 07700900123" in text
    assert "استلمنا طلبك" in text  # Arabic
    assert "Amina" not in text  # the reference, never the name
    assert mail.outbox == []
