"""Texts: the file backend in a folder of the test's own, GOV.UK Notify as a local fake, and a
resident's application in the shape application_submit leaves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from members.scoping import member_scope
from referrals.models import Referral
from tests.factories import ReferralFactory, ResidentFactory
from tests.notifications.fake_notify import API_KEY, TEMPLATE_ID, FakeNotify, fake_notify

MOBILE = "07700900123"
LANDLINE = "02079460000"


@pytest.fixture
def sms_dir(settings: Any, tmp_path: Path) -> Path:
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return settings.SMS_FILE_PATH


@pytest.fixture
def notify(settings: Any) -> Iterator[FakeNotify]:
    with fake_notify() as fake:
        settings.SMS_BACKEND = "notify"
        settings.NOTIFY_API_KEY = API_KEY
        settings.NOTIFY_SMS_TEMPLATE_ID = TEMPLATE_ID
        settings.NOTIFY_BASE_URL = fake.url
        yield fake


def texts_in(folder: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]


def resident_referral(
    member: Any,
    *,
    contact_method: str = "text",
    phone: str = MOBILE,
    email: str = "amina@example.org",
    language: str = "en",
) -> Referral:
    """A's resident with one application and its referral; the record and the application's
    snapshot agree, as for a resident's first application."""
    resident = ResidentFactory(
        member=member,
        email=email,
        phone=phone,
        contact_method=contact_method,
        preferred_language=language,
    )
    referral = ReferralFactory(
        member=member,
        application__resident=resident,
        application__language=language,
        application__contact_full_name=resident.full_name,
        application__contact_email=email,
        application__contact_phone=phone,
        application__contact_method=contact_method,
        application__contact_preferred_language=language,
    )
    return referral


def resident_of(referral: Referral) -> Any:
    from referrals.models import Resident

    with member_scope(referral.member_id):
        return Resident.objects.get(applications__referral=referral)
